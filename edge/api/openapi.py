"""Writes edge/api/openapi.json, the OpenAPI 3.1 document the Worker serves at
/openapi.json. The routes and schemas live here, once; `make openapi` (and the
build) regenerate the JSON, and a test checks it against the router."""
import json
import pathlib

def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}

def obj(props, required=(), closed=True, nullable=()):
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema

S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
def nul(s): return {"oneOf": [s, {"type": "null"}]}
TIME = {"type": "string", "format": "date-time"}
KEY = {"type": "string", "pattern": "^[A-Za-z0-9._@:+-]{1,128}$"}
EVENTS = ["customer.created", "customer.updated", "customer.deleted", "customer.credited", "transaction.created", "transaction.deleted"]

schemas = {
    "Error": obj({"error": obj({"code": S, "message": S, "field": S}, ["code", "message"])}, ["error"]),
    "Deleted": {"type": "object", "properties": {"id": S, "key": S, "deleted": B}, "required": ["deleted"]},
    "Tracking": obj({"link_format": {"enum": ["query", "path"]}, "param": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
                     "cookie_days": nul({"type": "integer", "minimum": 1, "maximum": 3650}), "attribution": {"enum": ["last_click", "first_click"]},
                     "cookie_domain": nul(S), "endpoint": nul(S)},
                    ["link_format", "param", "cookie_days", "attribution", "cookie_domain", "endpoint"]),
    "TrackingPatch": obj({"link_format": {"enum": ["query", "path"]}, "param": S, "cookie_days": nul({"type": "integer", "minimum": 1, "maximum": 3650}),
                          "attribution": {"enum": ["last_click", "first_click"]}, "cookie_domain": nul(S), "endpoint": nul(S)}),
    "RewardRule": {"oneOf": [obj({"type": {"const": "percent"}, "percent": {"type": "integer", "minimum": 0, "maximum": 100}}, ["type", "percent"]),
                             obj({"type": {"const": "fixed"}, "amount": {"type": "integer", "minimum": 0}, "on": {"enum": ["signup", "sale"]}}, ["type", "amount", "on"])]},
    "FriendReward": {"oneOf": [ref("RewardRule"), obj({"type": {"const": "coupon"}, "code": S, "description": S}, ["type", "code", "description"])]},
    "Rewards": obj({"referrer": ref("RewardRule"), "friend": nul(ref("FriendReward"))}, ["referrer", "friend"]),
    "Program": obj({"id": S, "public_id": S, "name": S, "website_url": S, "created_at": TIME, "tracking": ref("Tracking"),
                    "rewards": ref("Rewards"), "snippet": S}, ["id", "public_id", "name", "website_url", "created_at", "tracking", "rewards", "snippet"], closed=False),
    "ProgramCreate": obj({"name": S, "website_url": {"type": "string", "format": "uri"}, "tracking": ref("TrackingPatch"), "rewards": ref("Rewards")}, ["name", "website_url"]),
    "ProgramPatch": obj({"name": S, "website_url": S, "tracking": ref("TrackingPatch"), "rewards": ref("Rewards")}),
    "ApiKey": obj({"id": S, "name": S, "prefix": S, "created_at": TIME, "last_used_at": nul(TIME)}, ["id", "name", "prefix", "created_at"]),
    "ApiKeyCreated": obj({"id": S, "name": S, "prefix": S, "key": S, "created_at": TIME}, ["id", "name", "prefix", "key"]),
    "Named": obj({"name": S}, ["name"]),
    "CustomerRef": obj({"key": KEY, "email": S}),
    "Customer": obj({"key": S, "email": S, "name": nul(S), "surname": nul(S), "referral_code": S, "referral_link": S, "referred_by": nul(S),
                     "friend_reward": nul(ref("FriendReward")), "referrals_count": I, "balance": I, "created_at": TIME, "updated_at": TIME},
                    ["key", "email", "referral_code", "referral_link", "referred_by", "referrals_count", "balance", "created_at"], closed=False),
    "CustomerCreate": obj({"key": KEY, "email": {"type": "string", "format": "email"}, "name": nul(S), "surname": nul(S),
                           "referral_code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, "referring_customer": ref("CustomerRef")}, ["key", "email"]),
    "CustomerPatch": obj({"email": S, "name": nul(S), "surname": nul(S)}),
    "Stats": obj({"visits": I, "signups": I, "paying_referrals": I, "revenue": I, "rewards": I}, ["visits", "signups", "paying_referrals", "revenue", "rewards"]),
    "Credit": obj({"amount": {"type": "integer"}, "note": nul(S)}, ["amount"]),
    "LedgerEntry": obj({"customer": obj({"key": S}), "amount": I, "kind": S, "note": nul(S), "balance": I, "created_at": TIME}, closed=False),
    "Transaction": obj({"key": S, "customer": obj({"key": S}), "referring_customer": nul(obj({"key": S})), "amount": I, "currency": S,
                        "product_id": nul(S), "reward": I, "friend_reward": I, "refunded": I, "created_at": TIME}, ["key", "customer", "amount", "currency", "reward"], closed=False),
    "TransactionCreate": obj({"key": KEY, "customer": ref("CustomerRef"), "amount": {"type": "integer", "minimum": 1, "maximum": 10**15},
                              "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"}, "product_id": nul(KEY)}, ["key", "customer", "amount", "currency"]),
    "Webhook": obj({"id": S, "name": S, "url": S, "events": {"type": "array", "items": {"enum": EVENTS}}, "is_active": B, "source": nul(S),
                    "disabled_reason": nul(S), "created_at": TIME, "updated_at": TIME, "secret": S}, ["id", "name", "url", "events", "is_active"], closed=False),
    "WebhookCreate": obj({"name": S, "url": {"type": "string", "format": "uri"}, "events": {"type": "array", "minItems": 1, "items": {"enum": EVENTS}},
                          "is_active": B, "source": nul(S)}, ["name", "url", "events"]),
    "WebhookPatch": obj({"name": S, "url": S, "events": {"type": "array", "items": {"enum": EVENTS}}, "is_active": B}),
    "Delivery": {"type": "object", "properties": {"id": S, "event_id": S, "event_type": S, "status": {"enum": ["pending", "succeeded", "failed"]},
                 "attempts_count": I, "last_response_code": nul(I), "next_attempt_at": nul(TIME), "created_at": TIME,
                 "attempts": {"type": "array", "items": {"type": "object", "properties": {"attempted_at": TIME, "response_code": nul(I), "response_body": nul(S),
                              "duration_ms": I, "error": nul(S), "next_retry_at": nul(TIME)}}}}},
    "Event": {"type": "object", "properties": {"id": S, "type": S, "timestamp": TIME, "program_id": S, "data": {"type": "object"}}, "required": ["id", "type", "timestamp", "program_id", "data"]},
    "Integrations": {"type": "object", "properties": {"stripe": {"type": "object"}, "mailerlite": {"type": "object"}, "zapier": {"type": "object"}}},
    "StripeSettings": obj({"webhook_secret": {"type": "string", "pattern": "^whsec_"}}, ["webhook_secret"]),
    "MailerLiteSettings": obj({"api_token": S, "group_id": S, "api_base": S}, ["api_token", "group_id"]),
    "VisitBeacon": {"type": "object", "properties": {"program": S, "code": S, "url": S, "referrer": S}, "required": ["program", "code"]},
    "VisitAnswer": {"type": "object", "properties": {"visit_id": nul(S), "valid": B}, "required": ["visit_id", "valid"]},
    "SignupCustomer": {"type": "object", "properties": {"key": KEY, "email": S, "name": nul(S)}, "required": ["key", "email"]},
    "SignupBeacon": {"type": "object", "properties": {"program": S, "code": S, "visit_id": nul(S),
                     "customer": {"type": "object", "properties": {"key": KEY, "email": S, "name": nul(S)}, "required": ["key", "email"]}}, "required": ["program", "code", "customer"]},
    "SignupAnswer": {"type": "object", "properties": {"attributed": B, "reason": nul({"enum": ["unknown_code", "expired", "self_referral", "already_referred"]}),
                     "referral_code": nul(S), "referral_link": nul(S), "friend_reward": nul(ref("FriendReward"))}, "required": ["attributed", "reason"]},
    "Session": {"type": "object"},
    "Login": obj({"token": S}, ["token"]),
}

def page(item):
    return {"type": "object", "properties": {"data": {"type": "array", "items": item}, "next_cursor": nul(S)}, "required": ["data", "next_cursor"]}

def errors(*codes):
    text = {400: "Malformed JSON", 401: "Missing or invalid credentials", 403: "Forbidden (origin or CSRF)", 404: "Not found",
            409: "Conflict (duplicate key, idempotency conflict)", 413: "Body over the size limit", 415: "Content-Type is not application/json",
            422: "A field is invalid; `field` names it", 429: "Rate limited; see Retry-After", 503: "Storage unavailable; retry after Retry-After"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": ref("Error")}}} for c in codes}

READ = (401, 404, 503)
WRITE = (400, 401, 404, 409, 413, 415, 422, 503)

def op(summary, tag, security, ok=("200", None), body=None, params=(), errs=READ, query=()):
    o = {"summary": summary, "tags": [tag], "security": security, "responses": {}}
    code, schema = ok
    o["responses"][code] = {"description": summary, **({"content": {"application/json": {"schema": schema}}} if schema else {})}
    o["responses"].update(errors(*errs))
    if body:
        o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    ps = [{"name": p, "in": "path", "required": True, "schema": S} for p in params]
    ps += [{"name": n, "in": "query", "required": False, "schema": s} for n, s in query]
    if ps:
        o["parameters"] = ps
    return o

OWNER = [{"adminToken": []}, {"session": []}]
KEYSEC = [{"apiKey": []}]
PAGING = (("limit", {"type": "integer", "minimum": 1, "maximum": 250}), ("cursor", S))

def program_api(prefix, security, pre=()):
    """The program API, mounted at /v1 (API key) and /v1/programs/{id} (owner)."""
    p = lambda *names: (*pre, *names)
    t = lambda tag: tag if not pre else f"{tag} (owner)"
    return {
        f"{prefix}/me": {"get": op("The program this key belongs to", t("Program API"), security, ("200", {"type": "object"}), params=p())},
        f"{prefix}/customers": {
            "post": op("Create a referring or referred customer", t("Customers"), security, ("201", ref("Customer")), ref("CustomerCreate"), p(), WRITE),
            "get": op("List customers", t("Customers"), security, ("200", page(ref("Customer"))), params=p(), errs=(401, 404, 422, 503), query=PAGING)},
        f"{prefix}/customers/{{key}}": {
            "get": op("Get a customer", t("Customers"), security, ("200", ref("Customer")), params=p("key")),
            "patch": op("Update a customer", t("Customers"), security, ("200", ref("Customer")), ref("CustomerPatch"), p("key"), WRITE),
            "delete": op("Delete a customer", t("Customers"), security, ("200", ref("Deleted")), params=p("key"))},
        f"{prefix}/customers/{{key}}/referrals": {"get": op("Customers this one referred", t("Customers"), security, ("200", page(ref("Customer"))), params=p("key"), errs=(401, 404, 422, 503), query=PAGING)},
        f"{prefix}/customers/{{key}}/stats": {"get": op("Referral statistics", t("Customers"), security, ("200", ref("Stats")), params=p("key"))},
        f"{prefix}/customers/{{key}}/credit": {"post": op("Credit (or debit) the balance", t("Customers"), security, ("201", ref("LedgerEntry")), ref("Credit"), p("key"), WRITE)},
        f"{prefix}/signups": {"post": op("Attribute a signup from your backend (the code it captured)", t("Tracking"), security, ("200", ref("SignupAnswer")),
                                         obj({"code": S, "visit_id": nul(S), "customer": ref("SignupCustomer")}, ["code", "customer"]), p(), WRITE)},
        f"{prefix}/transactions": {
            "post": op("Record a sale (idempotent on key)", t("Transactions"), security, ("201", ref("Transaction")), ref("TransactionCreate"), p(), WRITE),
            "get": op("List transactions", t("Transactions"), security, ("200", page(ref("Transaction"))), params=p(), errs=(401, 404, 422, 503),
                      query=PAGING + (("customer", S), ("from", TIME), ("to", TIME)))},
        f"{prefix}/transactions/{{key}}": {
            "get": op("Get a transaction", t("Transactions"), security, ("200", ref("Transaction")), params=p("key")),
            "delete": op("Delete a transaction and reverse its reward", t("Transactions"), security, ("200", ref("Deleted")), params=p("key"))},
        f"{prefix}/events": {"get": op("Recent events (samples)", t("Webhooks"), security, ("200", page(ref("Event"))), params=p(), errs=(401, 404, 422, 503), query=(("type", S), ("limit", {"type": "integer", "minimum": 1, "maximum": 250})))},
        f"{prefix}/webhooks": {
            "post": op("Create a webhook (returns its secret once)", t("Webhooks"), security, ("201", ref("Webhook")), ref("WebhookCreate"), p(), WRITE),
            "get": op("List webhooks", t("Webhooks"), security, ("200", page(ref("Webhook"))), params=p())},
        f"{prefix}/webhooks/{{webhook_id}}": {
            "get": op("Get a webhook", t("Webhooks"), security, ("200", ref("Webhook")), params=p("webhook_id")),
            "patch": op("Update a webhook", t("Webhooks"), security, ("200", ref("Webhook")), ref("WebhookPatch"), p("webhook_id"), WRITE),
            "delete": op("Delete a webhook", t("Webhooks"), security, ("200", ref("Deleted")), params=p("webhook_id"))},
        f"{prefix}/webhooks/{{webhook_id}}/deliveries": {"get": op("Delivery log", t("Webhooks"), security, ("200", page(ref("Delivery"))), params=p("webhook_id"), errs=(401, 404, 422, 503), query=(("limit", {"type": "integer", "minimum": 1, "maximum": 250}),))},
        f"{prefix}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/resend": {"post": op("Send a delivery again", t("Webhooks"), security, ("202", {"type": "object"}), params=p("webhook_id", "delivery_id"))},
        f"{prefix}/webhooks/{{webhook_id}}/test": {"post": op("Send a test event", t("Webhooks"), security, ("202", {"type": "object"}), params=p("webhook_id"))},
        f"{prefix}/webhooks/{{webhook_id}}/rotate-secret": {"post": op("Issue a new secret (shown once)", t("Webhooks"), security, ("200", {"type": "object"}), params=p("webhook_id"))},
    }

paths = {
    "/health": {"get": op("Liveness", "Meta", [], ("200", {"type": "object"}), errs=())},
    "/openapi.json": {"get": op("This document", "Meta", [], ("200", {"type": "object"}), errs=())},
    "/auth/login": {"post": op("Exchange the admin token for a session cookie", "Owner", [], ("200", ref("Session")), ref("Login"), errs=(400, 401, 403, 413, 415, 422))},
    "/auth/logout": {"post": op("End the session", "Owner", [], ("200", ref("Session")), errs=(403,))},
    "/auth/session": {"get": op("Whether the session cookie is valid", "Owner", [], ("200", ref("Session")), errs=(401,))},
    "/s/{file}": {"get": op("The loader (`{public_id}.js`, config inlined) or the snippet module (`snippet_bg.wasm`)", "Tracking", [],
                            ("200", None), params=("file",), errs=(404, 503))},
    "/t/visit": {"post": op("Visit beacon (text/plain JSON, no preflight)", "Tracking", [], ("202", ref("VisitAnswer")), ref("VisitBeacon"), errs=(400, 403, 404, 413, 422, 429, 503))},
    "/t/signup": {"post": op("Signup beacon: attribute a signup", "Tracking", [], ("200", ref("SignupAnswer")), ref("SignupBeacon"), errs=(400, 403, 404, 413, 422, 429, 503))},
    "/integrations/stripe/{public_id}": {"post": op("Stripe webhook receiver (Stripe-Signature verified)", "Integrations", [], ("200", {"type": "object"}),
                                                    {"type": "object"}, ("public_id",), (400, 404, 413, 503))},
    "/v1/programs": {
        "post": op("Create a program", "Programs", OWNER, ("201", ref("Program")), ref("ProgramCreate"), errs=(400, 401, 413, 415, 422, 503)),
        "get": op("List programs", "Programs", OWNER, ("200", page(ref("Program"))), errs=(401, 503))},
    "/v1/programs/{id}": {
        "get": op("Get a program", "Programs", OWNER, ("200", ref("Program")), params=("id",)),
        "patch": op("Update name, website, tracking or rewards", "Programs", OWNER, ("200", ref("Program")), ref("ProgramPatch"), ("id",), WRITE),
        "delete": op("Delete a program and everything under it", "Programs", OWNER, ("200", ref("Deleted")), params=("id",))},
    "/v1/programs/{id}/api-keys": {
        "post": op("Create an API key (shown once)", "Programs", OWNER, ("201", ref("ApiKeyCreated")), ref("Named"), ("id",), WRITE),
        "get": op("List API keys (no secrets)", "Programs", OWNER, ("200", page(ref("ApiKey"))), params=("id",))},
    "/v1/programs/{id}/api-keys/{key_id}": {"delete": op("Revoke an API key", "Programs", OWNER, ("200", ref("Deleted")), params=("id", "key_id"))},
    "/v1/programs/{id}/integrations": {"get": op("Integrations and their public settings", "Integrations", OWNER, ("200", ref("Integrations")), params=("id",))},
    "/v1/programs/{id}/integrations/{name}": {
        "put": op("Turn on Stripe (`StripeSettings`) or MailerLite (`MailerLiteSettings`)", "Integrations", OWNER, ("200", {"type": "object"}),
                  {"oneOf": [ref("StripeSettings"), ref("MailerLiteSettings")]}, ("id", "name"), WRITE),
        "delete": op("Turn an integration off and forget its secret", "Integrations", OWNER, ("200", {"type": "object"}), params=("id", "name"))},
    "/v1/programs/{id}/stats": {"get": op("Program totals and a daily series", "Programs", OWNER, ("200", {"type": "object"}), params=("id",),
                                          errs=(401, 404, 422, 503), query=(("days", {"type": "integer", "minimum": 1, "maximum": 365}),))},
    "/v1/programs/{id}/ingest": {"get": op("Visits the ingest queue gave up on", "Programs", OWNER, ("200", {"type": "object"}), params=("id",))},
    **program_api("/v1", KEYSEC),
    **program_api("/v1/programs/{id}", OWNER, pre=("id",)),
}

doc = {
    "openapi": "3.1.0",
    "info": {"title": "Edgeref", "version": "1.0.0",
             "description": "Self-hosted Refer-a-Friend on Cloudflare. Owner API (admin token or session) and program API (API key). Errors are always `{\"error\": {\"code\", \"message\", \"field\"?}}`; amounts are integers in minor units."},
    "servers": [{"url": "/"}],
    "paths": paths,
    "components": {
        "schemas": schemas,
        "securitySchemes": {
            "adminToken": {"type": "http", "scheme": "bearer", "description": "The ADMIN_TOKEN Worker secret"},
            "session": {"type": "apiKey", "in": "cookie", "name": "edgeref_session", "description": "Dashboard session from POST /auth/login"},
            "apiKey": {"type": "http", "scheme": "bearer", "description": "A program API key, erk_…"},
        },
    },
}
out = pathlib.Path(__file__).with_name("openapi.json")
out.write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {out} ({len(paths)} paths)")
