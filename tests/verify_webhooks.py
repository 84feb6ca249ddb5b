"""Verifies received webhook requests with the official Standard Webhooks
library, as a merchant's receiver would. Reads JSON from stdin:
{"secret": "whsec_...", "requests": [{"headers": {...}, "body": "..."}]}
and prints one JSON line per request: {"ok": true, "payload": ...} or {"ok": false, "error": ...}."""
import json
import sys

from standardwebhooks.webhooks import Webhook

job = json.load(sys.stdin)
hook = Webhook(job["secret"])
for req in job["requests"]:
    try:
        payload = hook.verify(req["body"], req["headers"])
        print(json.dumps({"ok": True, "payload": payload}))
    except Exception as e:  # the library raises its own error types
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
