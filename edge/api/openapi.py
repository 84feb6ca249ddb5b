"""Writes edge/api/openapi.json, the OpenAPI 3.1 document the Worker serves at
/openapi.json. The routes and schemas live here, once (docs/decisions.md says
why not in the Rust types); the build regenerates the JSON, a unit test checks
it against the router, and `make lint-openapi` against Redocly's recommended rules.

Every operation has an `operationId`: `verbResource` (`createCustomer`,
`listCustomerReferrals`); the owner's twin of a program-API operation puts
`Program` after the verb (`createProgramCustomer`), see `owner_twin`."""
import json
import pathlib
import re

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
EVENTS = ["customer.created", "customer.updated", "customer.deleted", "customer.credited", "transaction.created", "transaction.deleted",
          "reward.created", "reward.approved", "reward.rejected", "payout.created"]
MESSAGES = ["referrer_welcome", "friend_joined", "reward_approved", "payout_sent", "friend_welcome", "friend_invite", "sign_in_code"]
PLACEHOLDERS = ["name", "referral_link", "portal_link", "amount", "friend_name", "program_name", "code"]
CURRENCY = {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217 code"}
FLAGS = {"type": "array", "items": {"enum": ["disposable_email", "lookalike_email", "same_visitor", "velocity", "fulfilment_failed"]}}
STRIPE_CUSTOMER = {"type": "string", "pattern": "^cus_[A-Za-z0-9_]{1,250}$", "description": "The customer's id in your Stripe account, for Stripe credit (docs/fulfilment.md)"}
PAYOUT_METHOD = {"enum": ["manual", "stripe_credit"], "description": "`manual`: recorded by you (`POST /v1/payouts`); `stripe_credit`: a credit on the customer's Stripe balance made by Edgeref"}

# docs/privacy.md: consent before cookies and beacons; how long raw visits are kept.
PRIVACY_SETTINGS = {
    "consent": {"enum": ["not_required", "required", "google_consent_mode"], "default": "not_required",
                "description": "`required`: no cookie or beacon until the page calls `edgeref('consent', 'granted')`; "
                               "`google_consent_mode`: the same, following Google Consent Mode's `ad_storage` (docs/privacy.md)"},
    "visit_retention_days": {"type": "integer", "minimum": 30, "maximum": 3650, "default": 400,
                             "description": "Raw visits older than this are rolled into daily counts by the scheduled run and deleted"},
}

schemas = {
    "Error": {**obj({"error": obj({
        "code": {"type": "string", "description": "Machine-readable, stable: `malformed_request`, `invalid_signature` (400); `unauthorized` (401); "
                 "`forbidden`, `insufficient_scope`, `origin_not_allowed` (403); `not_found`, `no_route` (404); `conflict` (409); `payload_too_large` (413); "
                 "`unsupported_media_type` (415); `validation_failed` (422); `rate_limited` (429); `unavailable` (503)"},
        "message": {"type": "string", "description": "For people; may change"},
        "field": {"type": "string", "description": "The field or query parameter at fault, as a path (`referring_customer.key`)"},
        "required": {"type": "string", "description": "`insufficient_scope`: the scope the API key lacks (`customers:write`)"}},
        ["code", "message"])}, ["error"]), "description": "Every error, whatever its status"},
    "Deleted": {"type": "object", "properties": {"id": S, "key": S, "deleted": B}, "required": ["deleted"]},
    "Tracking": obj({"link_format": {"enum": ["query", "path"]}, "param": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
                     "cookie_days": nul({"type": "integer", "minimum": 1, "maximum": 3650}), "attribution": {"enum": ["last_click", "first_click"]},
                     "cookie_domain": nul(S), "endpoint": nul(S), **PRIVACY_SETTINGS},
                    ["link_format", "param", "cookie_days", "attribution", "cookie_domain", "endpoint", "consent", "visit_retention_days"]),
    "TrackingPatch": obj({"link_format": {"enum": ["query", "path"]}, "param": S, "cookie_days": nul({"type": "integer", "minimum": 1, "maximum": 3650}),
                          "attribution": {"enum": ["last_click", "first_click"]}, "cookie_domain": nul(S), "endpoint": nul(S), **PRIVACY_SETTINGS}),
    "RewardRule": {"oneOf": [obj({"type": {"const": "percent"}, "percent": {"type": "integer", "minimum": 0, "maximum": 100}}, ["type", "percent"]),
                             obj({"type": {"const": "fixed"}, "amount": {"type": "integer", "minimum": 0}, "on": {"enum": ["signup", "sale"]}}, ["type", "amount", "on"])]},
    "Limit": {"oneOf": [obj({"sales": {"type": "integer", "minimum": 1, "maximum": 1000}}, ["sales"]), obj({"months": {"type": "integer", "minimum": 1, "maximum": 120}}, ["months"])],
              "description": "Which of a friend's sales earn: their first N, or those within N calendar months of their first (docs/rewards.md#limits)"},
    "ReferrerRule": {"oneOf": [obj({"type": {"const": "percent"}, "percent": {"type": "integer", "minimum": 0, "maximum": 100}, "limit": ref("Limit")}, ["type", "percent"]),
                               obj({"type": {"const": "fixed"}, "amount": {"type": "integer", "minimum": 0}, "on": {"enum": ["signup", "sale"]}, "limit": ref("Limit")}, ["type", "amount", "on"])],
                     "description": "The referrer's reward; `limit` only on rewards per sale"},
    "Milestone": obj({"friends": {"type": "integer", "minimum": 1, "maximum": 1000000}, "amount": {"type": "integer", "minimum": 1}}, ["friends", "amount"]),
    "FriendReward": {"oneOf": [ref("RewardRule"), obj({"type": {"const": "coupon"}, "code": S, "description": S}, ["type", "code", "description"]),
                               obj({"type": {"const": "stripe_promotion_code"}, "coupon": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,200}$", "description": "The Stripe coupon's id"},
                                    "expires_days": {"type": "integer", "minimum": 1, "maximum": 365, "description": "Days each code lasts (default: no expiry)"}}, ["type", "coupon"])],
                     "description": "What a referred friend gets; `stripe_promotion_code`: a one-time Stripe promotion code of their own (docs/fulfilment.md)"},
    "Rewards": obj({"referrer": ref("ReferrerRule"), "friend": nul(ref("FriendReward")),
                    "hold_days": {"type": "integer", "minimum": 0, "maximum": 365, "description": "Days a reward stays pending (default 0)"},
                    "approval": {"enum": ["auto", "manual"], "description": "Who approves rewards after the hold (default auto)"},
                    "max_per_referrer_per_day": nul({"type": "integer", "minimum": 1, "description": "Rewards past this many a day are flagged velocity"}),
                    "milestones": {"type": "array", "maxItems": 20, "items": ref("Milestone"),
                                   "description": "Bonuses for reaching numbers of paying friends, each paid once (a reward of `kind: milestone`); left out when none"},
                    "fulfilment": obj({"referrer": {"enum": ["manual", "stripe_credit"], "description": "How a referrer's approved reward is paid (default manual): "
                                                    "`stripe_credit` credits their Stripe customer balance (docs/fulfilment.md)"}})},
                   ["referrer", "friend"]),
    "Program": obj({"id": S, "public_id": S, "name": S, "website_url": S, "currency": CURRENCY, "created_at": TIME, "tracking": ref("Tracking"),
                    "default_cookie_domain": {**nul(S), "description": "The cookie domain when `tracking.cookie_domain` is null: the website's registrable "
                                              "domain by the Public Suffix List (`shop.co.uk` for `www.shop.co.uk`); null for host-only cookies (an IP, `localhost`)"},
                    "rewards": ref("Rewards"), "emails": ref("EmailSettings"), "portal": ref("PortalSettings"), "snippet": S},
                   ["id", "public_id", "name", "website_url", "currency", "created_at", "tracking", "rewards", "emails", "portal", "snippet"], closed=False),
    "ProgramCreate": obj({"name": S, "website_url": {"type": "string", "format": "uri"}, "currency": CURRENCY, "tracking": ref("TrackingPatch"), "rewards": ref("Rewards"),
                          "emails": ref("EmailSettingsPatch"), "portal": ref("PortalSettings")}, ["name", "website_url"]),
    "ProgramPatch": obj({"name": S, "website_url": S, "currency": CURRENCY, "tracking": ref("TrackingPatch"), "rewards": ref("Rewards"),
                         "emails": ref("EmailSettingsPatch"), "portal": ref("PortalSettings")}),
    "EmailMessage": obj({"enabled": B, "subject": S, "body": S,
                         "placeholders": {"type": "array", "items": {"enum": PLACEHOLDERS}, "description": "What this message's subject and body may use, as `{{name}}`"}},
                        ["enabled", "subject", "body", "placeholders"]),
    "EmailSettings": obj({"enabled": B, "from_address": nul(S), "from_name": nul(S), "reply_to": nul(S),
                          "messages": obj({m: ref("EmailMessage") for m in MESSAGES}, MESSAGES)},
                         ["enabled", "from_address", "from_name", "reply_to", "messages"]),
    "EmailSettingsPatch": obj({"enabled": {"type": "boolean", "description": "Needs `from_address`"}, "from_address": nul({"type": "string", "format": "email"}),
                               "from_name": nul({"type": "string", "maxLength": 100}), "reply_to": nul({"type": "string", "format": "email"}),
                               "messages": obj({m: obj({"enabled": B, "subject": nul({"type": "string", "maxLength": 200, "description": "null: the default"}),
                                                        "body": nul({"type": "string", "maxLength": 5000, "description": "null: the default"})}) for m in MESSAGES})}),
    "PortalSettings": obj({"signup": {"enum": ["closed", "open"], "description": "`open`: anyone may sign into the portal with a code and becomes a referring customer"}}),
    "EmailPreviewRequest": obj({"message": {"enum": MESSAGES}, "subject": S, "body": S}, ["message"]),
    "EmailRendered": obj({"subject": S, "text": S, "html": S}, ["subject", "text", "html"]),
    "EmailTestRequest": obj({"message": {"enum": MESSAGES}, "to": {"type": "string", "format": "email"}}, ["message", "to"]),
    "EmailDelivery": obj({"id": S, "message": {"enum": MESSAGES}, "to": nul(S), "status": {"enum": ["pending", "succeeded", "failed"]}, "attempts": I,
                          "last_code": nul(I), "note": nul({"type": "string", "description": "The latest attempt's error or answer (`not sent: the address unsubscribed`)"}),
                          "created_at": TIME, "updated_at": TIME}, ["id", "message", "to", "status", "attempts", "created_at", "updated_at"], closed=False),
    "Suppression": obj({"email": S, "reason": {"enum": ["unsubscribed", "added"]}, "created_at": TIME}, ["email", "reason", "created_at"]),
    "SuppressionCreate": obj({"email": {"type": "string", "format": "email"}}, ["email"]),
    "PortalCodeRequest": obj({"email": {"type": "string", "format": "email"}}, ["email"]),
    "PortalSessionRequest": obj({"email": {"type": "string", "format": "email"}, "code": {"type": "string", "pattern": "^[0-9 ]{6,12}$"}}, ["email", "code"]),
    "InviteRequest": obj({"emails": {"type": "array", "minItems": 1, "maxItems": 20, "items": S}}, ["emails"]),
    "InviteResult": obj({"sent": {"type": "array", "items": S}, "skipped": {"type": "array", "items": obj({"email": S, "reason": {"enum": ["invalid_email", "daily_limit", "not_sent"]}}, ["email", "reason"])}},
                        ["sent", "skipped"]),
    "Ok": obj({"ok": B}, ["ok"]),
    "Reward": obj({"id": S, "customer": obj({"key": S}), "referred_customer": nul(obj({"key": S})), "kind": {"enum": ["referrer", "friend", "milestone"]}, "amount": I, "currency": S,
                   "status": {"enum": ["pending", "approved", "rejected", "reversed", "paid"]}, "flags": FLAGS, "transaction_key": nul(S),
                   "available_at": TIME, "created_at": TIME, "decided_at": nul(TIME), "reason": nul(S), "payout_id": nul(S),
                   "milestone": nul(obj({"friends": I}, ["friends"]))},
                  ["id", "customer", "kind", "amount", "currency", "status", "flags", "available_at", "created_at"], closed=False),
    "Rejection": obj({"reason": S}, ["reason"]),
    "Payout": obj({"id": S, "customer": obj({"key": S}), "amount": I, "currency": S, "reference": nul(S), "note": nul(S),
                   "reward_ids": {"type": "array", "items": S}, "method": PAYOUT_METHOD, "created_at": TIME}, ["id", "customer", "amount", "currency", "reward_ids", "method", "created_at"], closed=False),
    "PayoutCreate": obj({"customer": ref("CustomerRef"), "amount": {"type": "integer", "minimum": 1, "description": "Default: the whole approved balance"},
                         "reference": nul(S), "note": nul(S)}, ["customer"]),
    "Payable": obj({"customer": obj({"key": S, "email": S, "name": nul(S)}), "balance": I, "currency": S, "approved_rewards": I}, closed=False),
    "ApiKey": obj({"id": S, "name": S, "prefix": S, "created_at": TIME, "last_used_at": nul(TIME), "scopes": {"type": "array", "items": ref("Scope")}, "expires_at": nul(TIME)},
                  ["id", "name", "prefix", "created_at", "scopes", "expires_at"]),
    "ApiKeyCreated": obj({"id": S, "name": S, "prefix": S, "key": S, "created_at": TIME, "scopes": {"type": "array", "items": ref("Scope")}, "expires_at": nul(TIME), "last_used_at": nul(TIME)},
                         ["id", "name", "prefix", "key", "scopes"]),
    "ApiKeyCreate": obj({"name": S, "scopes": {"type": "array", "items": ref("Scope"), "description": "Default: every scope. Never one the creator's role lacks (`403`)"},
                         "expires_at": {**TIME, "description": "After this the key is refused (`401`)"}}, ["name"]),
    "Scope": {"enum": ["customers:read", "customers:write", "transactions:read", "transactions:write", "rewards:read", "rewards:write", "payouts:write",
                       "exports:read", "portal_tokens:write", "webhooks:read", "webhooks:write"],
              "description": "What an API key may do (docs/team.md); a request outside its scopes is `403 insufficient_scope`"},
    "Role": {"enum": ["owner", "admin", "member", "billing", "viewer"], "description": "docs/team.md has the table of what each may do"},
    "TeamUser": obj({"id": S, "email": S, "role": {"$ref": "#/components/schemas/Role"}, "programs": nul({"type": "array", "items": S}), "created_at": TIME, "last_sign_in_at": nul(TIME)},
                    ["id", "email", "role", "programs", "created_at", "last_sign_in_at"]),
    "Invitation": obj({"id": S, "email": S, "role": {"$ref": "#/components/schemas/Role"}, "programs": nul({"type": "array", "items": S}), "invited_by": S,
                       "created_at": TIME, "expires_at": TIME}, ["id", "email", "role", "programs", "invited_by", "created_at", "expires_at"]),
    "InvitationCreate": obj({"email": S, "role": {"$ref": "#/components/schemas/Role"}, "programs": {**nul({"type": "array", "items": S}), "description": "Only these programs (others are `404` to them); absent or null: every program"}},
                            ["email", "role"]),
    "TeamUserPatch": obj({"role": {"$ref": "#/components/schemas/Role"}, "programs": nul({"type": "array", "items": S})}),
    "Team": obj({"data": {"type": "array", "items": {"$ref": "#/components/schemas/TeamUser"}}, "invitations": {"type": "array", "items": {"$ref": "#/components/schemas/Invitation"}}},
                ["data", "invitations"]),
    "TeamSession": obj({"id": S, "user_id": S, "email": S, "user_agent": nul(S), "created_at": TIME, "expires_at": TIME, "current": B},
                       ["id", "user_id", "email", "user_agent", "created_at", "expires_at", "current"]),
    "CodeRequest": obj({"email": S}, ["email"]),
    "CustomerRef": obj({"key": KEY, "email": S}),
    "Customer": obj({"key": S, "email": S, "name": nul(S), "surname": nul(S), "referral_code": S, "referral_link": S,
                     "short_link": {"type": "string", "description": "`{tracking.endpoint or this Worker's origin}/r/{referral_code}`: a redirect link that counts the click "
                                    "and sets the referral cookie from the server (no JavaScript needed), then goes on to `referral_link`"},
                     "referred_by": nul(S), "friend_reward": nul(ref("FriendReward")), "referrals_count": I, "balance": I, "pending_balance": I, "paid_total": I, "stripe_customer_id": nul(STRIPE_CUSTOMER), "promotion_code": nul({"type": "string", "description": "The friend's own Stripe promotion code, once Stripe created it"}), "created_at": TIME, "updated_at": TIME},
                    ["key", "email", "referral_code", "referral_link", "short_link", "referred_by", "referrals_count", "balance", "created_at"], closed=False),
    "CustomerCreate": obj({"key": KEY, "email": {"type": "string", "format": "email"}, "name": nul(S), "surname": nul(S),
                           "referral_code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, "referring_customer": ref("CustomerRef"), "stripe_customer_id": STRIPE_CUSTOMER}, ["key", "email"]),
    "CustomerPatch": obj({"email": S, "name": nul(S), "surname": nul(S), "stripe_customer_id": nul(STRIPE_CUSTOMER)}),
    "CustomerExport": {"type": "object", "description": "The customer, their stats and referrals (masked as in `/w/me`), then one array per table "
                       "of rows about them: rewards, transactions, ledger, payouts, signups, visits (daily counts), messages, events, audit_log, "
                       "email_suppressions, sign_in_codes, invitations_received, invitations_sent",
                       "properties": {"exported_at": TIME, "customer": ref("Customer"), "referrals": {"type": "array", "items": {"type": "object"}}},
                       "required": ["exported_at", "customer", "referrals"]},
    "Stats": obj({"visits": I, "signups": I, "paying_referrals": I, "revenue": I, "rewards": I}, ["visits", "signups", "paying_referrals", "revenue", "rewards"]),
    "Credit": obj({"amount": {"type": "integer"}, "note": nul(S)}, ["amount"]),
    "PortalTokenRequest": obj({"ttl_seconds": {"type": "integer", "minimum": 60, "maximum": 86400, "default": 3600,
                                               "description": "How long the token works, in seconds (default an hour)"}}),
    "PortalToken": obj({"token": {"type": "string", "description": "For `Authorization: Bearer` on `GET /w/me`; signed, not encrypted (it shows the program id and customer key)"},
                        "expires_at": TIME,
                        "portal_url": {"type": "string", "description": "`{this Worker's origin}/portal/{public_id}?token=…`, the hosted portal page (`GET /portal/{public_id}`)"}},
                       ["token", "expires_at", "portal_url"]),
    "PortalReferral": obj({"name": nul(S), "email": {"type": "string", "description": "Masked: first character and domain, `b•••@example.com`"},
                           "joined_at": TIME, "purchased": {"type": "boolean", "description": "Has a sale that is not fully refunded"}},
                          ["name", "email", "joined_at", "purchased"]),
    "PortalMe": obj({"program": obj({"name": S}, ["name"]), "name": nul(S), "referral_code": S, "referral_link": S, "short_link": S,
                     "qr_svg": nul({"type": "string", "description": "SVG markup of the QR code of `referral_link` (null only for a link too long for any QR code); show it as an image (`data:image/svg+xml`), never as markup"}),
                     "stats": ref("Stats"),
                     "balance": I, "pending_balance": I, "paid_total": I, "currency": CURRENCY, "friend_reward": nul(ref("FriendReward")), "promotion_code": nul({"type": "string", "description": "The friend's own Stripe promotion code, once Stripe created it"}),
                     "referrals": {"type": "array", "maxItems": 100, "items": ref("PortalReferral"), "description": "The newest 100 friends; `stats.signups` counts them all"},
                     "can_invite": {"type": "boolean", "description": "The program sends `friend_invite`: `POST /w/invite` works"}},
                    ["program", "name", "referral_code", "referral_link", "short_link", "qr_svg", "stats", "balance", "pending_balance", "paid_total", "currency", "friend_reward", "referrals", "can_invite"]),
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
    "BillingSettings": obj({"webhook_secret": {"type": "string", "minLength": 1, "maxLength": 200, "description": "The webhook's signing secret (Paddle: the notification destination's secret key; Lemon Squeezy: the webhook's signing secret)"}},
                           ["webhook_secret"]),
    "StripeSettings": obj({"webhook_secret": {"type": "string", "pattern": "^whsec_"},
                           "secret_key": {"type": "string", "pattern": "^(rk|sk)_", "description": "A restricted key (`rk_…`) with Customers write, for Stripe credit; "
                                          "sealed, never shown again; left out, the stored one stays (docs/fulfilment.md)"},
                           "api_base": {"type": "string", "format": "uri", "description": "Default `https://api.stripe.com`"}}, ["webhook_secret"]),
    "StripeCredit": obj({"id": S, "reward_id": nul(S), "customer": nul(obj({"key": S})), "amount": nul(I), "status": {"enum": ["pending", "succeeded", "failed"]},
                         "attempts": I, "last_code": nul(I), "note": nul({"type": "string", "description": "The latest attempt's error or Stripe's answer"}),
                         "created_at": TIME, "updated_at": TIME}, ["id", "status", "attempts", "created_at", "updated_at"], closed=False),
    "MailerLiteSettings": obj({"api_token": S, "group_id": S, "api_base": S}, ["api_token", "group_id"]),
    "VisitBeacon": {"type": "object", "properties": {"program": S, "code": S, "url": S, "referrer": S}, "required": ["program", "code"]},
    "VisitAnswer": {"type": "object", "properties": {"visit_id": nul(S), "valid": B}, "required": ["visit_id", "valid"]},
    "SignupCustomer": {"type": "object", "properties": {"key": KEY, "email": S, "name": nul(S)}, "required": ["key", "email"]},
    "SignupBeacon": {"type": "object", "properties": {"program": S, "code": S, "visit_id": nul(S),
                     "customer": {"type": "object", "properties": {"key": KEY, "email": S, "name": nul(S)}, "required": ["key", "email"]}}, "required": ["program", "code", "customer"]},
    "SignupAnswer": {"type": "object", "properties": {"attributed": B, "reason": nul({"enum": ["unknown_code", "expired", "self_referral", "already_referred"]}),
                     "referral_code": nul(S), "referral_link": nul(S), "friend_reward": nul(ref("FriendReward")), "promotion_code": nul({"type": "string", "description": "The friend's own Stripe promotion code, once Stripe created it"})}, "required": ["attributed", "reason"]},
    "Session": {"type": "object"},
    "Login": {"oneOf": [obj({"token": S}, ["token"]), obj({"email": S, "code": {"type": "string", "pattern": "^[0-9]{6}$"}}, ["email", "code"])]},
}

def page(item):
    return {"type": "object", "properties": {"data": {"type": "array", "items": item}, "next_cursor": nul(S)}, "required": ["data", "next_cursor"]}

# Errors. Every 4xx (and the 503) an operation can answer is listed on it, each
# a shared response with the one error object. Which ones follows from how the
# Worker handles the request (edge/src/error.rs, http.rs, auth.rs), see `add`.
def error_response(description, code, message, field=None, retry=False):
    example = {"error": {"code": code, "message": message, **({"field": field} if field else {})}}
    r = {"description": description, "content": {"application/json": {"schema": ref("Error"), "example": example}}}
    if retry:
        r["headers"] = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}
    return r

ERRORS = {
    400: ("BadRequest", error_response("Malformed request: the body is not JSON (or not readable); `invalid_signature` for a Stripe event that does not verify",
                                       "malformed_request", "malformed JSON: EOF while parsing an object")),
    401: ("Unauthorized", error_response("Missing or invalid credentials (API key, admin token or session)",
                                         "unauthorized", "missing or invalid credentials: send Authorization: Bearer <token>")),
    403: ("Forbidden", error_response("Refused origin: a cookie-authenticated write or a sign-in from another origin (CSRF), or a beacon from a site that is not the program's",
                                      "forbidden", "cross-origin request refused: Origin must be this Edgeref's own")),
    404: ("NotFound", error_response("Something named in the path does not exist (in this program)", "not_found", "customer not found")),
    409: ("Conflict", error_response("Conflict: the key is taken, an idempotency key was reused with a different body, or (Stripe refunds) a concurrent change won: retry",
                                     "conflict", "a different transaction already used this key", "key")),
    413: ("PayloadTooLarge", error_response("The body is over the size limit (64 KiB; beacons 8 KiB; Stripe events 512 KiB)",
                                           "payload_too_large", "request bodies are limited to 64 KiB")),
    415: ("UnsupportedMediaType", error_response("The body was not sent as `Content-Type: application/json`",
                                                "unsupported_media_type", "send the body as Content-Type: application/json")),
    422: ("UnprocessableEntity", error_response("A field or query parameter is missing, unknown or invalid; `field` names it",
                                               "validation_failed", "must be an email address like name@example.com", "email")),
    429: ("TooManyRequests", error_response("Rate limited: retry after `Retry-After` seconds", "rate_limited",
                                           "too many beacons from this visitor; slow down", retry=True)),
    503: ("ServiceUnavailable", error_response("Storage is unavailable: retry after `Retry-After` seconds", "unavailable",
                                              "storage is unavailable, retry shortly", retry=True)),
}

# Who calls. The owner's session cookie makes every write CSRF-checked (403).
PUBLIC = []
OWNER = [{"adminToken": []}, {"session": []}]
KEYSEC = [{"apiKey": []}]

PARAMS = {
    "id": "The program's id (`prg_…`)",
    "webhook_id": "The webhook's id (`whk_…`)",
    "delivery_id": "The delivery's id, from the delivery log",
    "key_id": "The API key's id (`key_…`), not the key itself",
    "name": "The integration: `stripe`, `mailerlite`, `paddle` or `lemonsqueezy`",
    "file": "`{public_id}.js` (the loader), or the module it loads when there is something to track: `snippet_bg.js` and `snippet_bg.wasm`",
    "public_id": "The program's public id (in its snippet tag)",
    "reward_id": "The reward's id (`rwd_…`)",
    "credit": "A Stripe credit: its `id` in the credit log (`msg_….stripe_credit`), or its reward's id (`rwd_…`)",
    "code": "A customer's referral code (`short_link` ends with it)",
    "email": "The e-mail address (percent-encoded)",
    "token": "The signed token from the unsubscribe link of an e-mail",
    "session_id": "The session's id (`ses_…`)",
    "invitation_id": "The invitation's id (`inv_…`)",
    "user_id": "The person's id (`usr_…`)",
}
LIMIT = ("limit", {"type": "integer", "minimum": 1, "maximum": 250}, "Page size, 1–250 (default 50)")
ACTOR = {"oneOf": [obj({"type": {"enum": ["admin", "session", "system"]}}, ["type"]),
                   obj({"type": {"const": "api_key"}, "id": S, "name": S}, ["type", "id", "name"]),
                   obj({"type": {"const": "person"}, "id": S, "email": S}, ["type", "id", "email"])],
         "description": "Who made the change: the admin token, its dashboard session, a team member (their id and e-mail), an API key (its id and name at the time), or Edgeref's scheduled run"}
schemas["AuditEntry"] = obj({
    "id": S, "actor": ACTOR,
    "action": {"type": "string", "pattern": "^[a-z_]+\\.[a-z_]+$", "description": "`resource.verb`: `customer.created`, `program.updated`, `api_key.revoked`, `reward.approved`, `payout.created`, `webhook.deleted`, `export.downloaded`, `customer.portal_token_created`…"},
    "target": obj({"type": S, "id": S}, ["type", "id"]),
    "diff": {"type": "object", "additionalProperties": obj({"from": {}, "to": {}}),
             "description": "The changed fields (nested ones as `tracking.cookie_days`), each `{from, to}`; `from` is absent for a created object, `to` for a deleted one. Secrets only ever show as `[redacted]`"},
    "ip_hash": {**nul(S), "description": "A keyed hash of the caller's IP (CF-Connecting-IP): equal for the same address, not reversible"},
    "created_at": TIME}, ["id", "actor", "action", "target", "diff", "ip_hash", "created_at"])
CURSOR = ("cursor", S, "`next_cursor` of the previous page")
PAGING = (LIMIT, CURSOR)

CSV_IMPORT = ("RFC 4180 CSV, UTF-8 with or without a BOM, header row first. Columns (case-insensitive; others are ignored): "
              "`key` and `email` (required), `name`, `surname`, `referral_code`, `referred_by` (a key in the file or already stored), `created_at` (RFC 3339)")
schemas["ImportError"] = obj({"row": {"type": "integer", "description": "The file's row, the header being row 1"}, "field": S,
                              "code": {"enum": ["invalid", "too_long", "field_count", "malformed", "duplicate_key", "code_taken", "code_mismatch",
                                                "unknown_referrer", "referrer_locked", "self_referral", "referral_cycle"]},
                              "message": S}, ["row", "field", "code", "message"])
schemas["ImportResult"] = obj({"created": {"type": "integer"}, "updated": {"type": "integer"},
                               "unchanged": {"type": "integer", "description": "Rows equal to what is stored: nothing written"},
                               "errors": {"type": "array", "items": ref("ImportError"), "description": "Rows not imported; every other row is"}},
                              ["created", "updated", "unchanged", "errors"])

paths = {}

def add(method, path, op_id, summary, tag, security, ok, body=None, query=(), errs=None, extra=(), storage=True):
    """One operation. Unless `errs` lists its errors outright, they follow from it:
    401 for credentials, 403 for an owner's write (session CSRF check), 404 when
    the path names something, 400/413/415/422 for a JSON body, 422 for validated
    query parameters, `extra` for the rest, and 503 when it touches storage."""
    params = re.findall(r"\{(\w+)\}", path)
    if errs is None:
        errs = set(extra)
        if security:
            errs.add(401)
        if security == OWNER or (security == KEYSEC and path != "/v1/me"):
            errs.add(403)
        if params:
            errs.add(404)
        if body:
            errs |= {400, 413, 415, 422}
        if query:
            errs.add(422)
        if storage:
            errs.add(503)
    o = {"operationId": op_id, "summary": summary, "tags": [tag], "security": security}
    ps = [{"name": n, "in": "path", "required": True, "description": param_description(path, n), "schema": S} for n in params]
    ps += [{"name": n, "in": "query", "required": False, "description": d, "schema": s} for n, s, d in query]
    if ps:
        o["parameters"] = ps
    if body:
        o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    code, schema = ok
    o["responses"] = {code: {"description": summary, **({"content": {"application/json": {"schema": schema}}} if schema else {})}}
    if code.startswith("3"):
        o["responses"][code]["headers"] = {"Location": {"description": "Where the visitor goes next", "schema": {"type": "string", "format": "uri"}}}
    o["responses"].update({str(c): {"$ref": f"#/components/responses/{ERRORS[c][0]}"} for c in sorted(errs)})
    assert path not in paths or method not in paths[path], f"{method} {path} twice"
    paths.setdefault(path, {})[method] = o
    return o

def param_description(path, name):
    if name == "key":
        return "The transaction's key" if "/transactions/" in path else "The customer's key (your id for them)"
    return PARAMS[name]

def owner_twin(op_id):
    """operationId convention: `verbResource` (`createCustomer`, `listCustomerReferrals`).
    The owner's twin of a program-API operation, at /v1/programs/{id}/…, puts
    `Program` after the verb: `createProgramCustomer`, `listProgramCustomerReferrals`."""
    verb = re.match(r"[a-z]+", op_id).group(0)
    return f"{verb}Program{op_id[len(verb):]}"

def program_api(prefix, security, twin=False):
    """The program API, mounted at /v1 (API key) and /v1/programs/{id} (owner)."""
    def a(method, rest, op_id, summary, tag, ok, **kw):
        return add(method, prefix + rest, owner_twin(op_id) if twin else op_id, summary, f"{tag} (owner)" if twin else tag, security, ok, **kw)
    a("get", "/me", "getMe", "The program this key belongs to", "Program API", ("200", {"type": "object"}))
    a("post", "/customers", "createCustomer", "Create a referring or referred customer", "Customers", ("201", ref("Customer")), body=ref("CustomerCreate"), extra={409})
    a("get", "/customers", "listCustomers", "List customers", "Customers", ("200", page(ref("Customer"))), query=PAGING)
    a("get", "/customers/{key}", "getCustomer", "Get a customer", "Customers", ("200", ref("Customer")))
    a("patch", "/customers/{key}", "updateCustomer", "Update a customer", "Customers", ("200", ref("Customer")), body=ref("CustomerPatch"))
    a("delete", "/customers/{key}", "deleteCustomer", "Delete a customer", "Customers", ("200", ref("Deleted")))
    a("get", "/customers/{key}/referrals", "listCustomerReferrals", "Customers this one referred", "Customers", ("200", page(ref("Customer"))), query=PAGING)
    a("get", "/customers/{key}/stats", "getCustomerStats", "Referral statistics", "Customers", ("200", ref("Stats")))
    a("post", "/customers/{key}/credit", "creditCustomer", "Credit (or debit) the balance", "Customers", ("201", ref("LedgerEntry")), body=ref("Credit"))
    token = a("post", "/customers/{key}/portal-token", "createCustomerPortalToken", "Mint a portal token for the customer's browser (the widget, `GET /w/me`)",
              "Customers", ("201", ref("PortalToken")), body=ref("PortalTokenRequest"))
    token["requestBody"]["required"] = False  # no body: an hour
    a("get", "/customers/{key}/export", "exportCustomer", "Everything held about the customer, as JSON (a GDPR access request; docs/privacy.md)",
      "Customers", ("200", ref("CustomerExport")))
    erase = a("post", "/customers/{key}/erase", "eraseCustomer", "Erase the customer's personal data (name, e-mail, IP hashes, free text; "
              "MailerLite too), keeping amounts and keys; fires `customer.deleted` (docs/privacy.md)",
              "Customers", ("200", obj({"key": S, "erased": B, "redacted_rows": I}, ["key", "erased", "redacted_rows"])), body=obj({}))
    erase["requestBody"]["required"] = False  # no body needed; {} is accepted
    a("post", "/signups", "attributeSignup", "Attribute a signup from your backend (the code it captured)", "Tracking", ("200", ref("SignupAnswer")),
      body=obj({"code": S, "visit_id": nul(S), "customer": ref("SignupCustomer")}, ["code", "customer"]))
    a("post", "/transactions", "createTransaction", "Record a sale (idempotent on key; in the program's currency)", "Transactions", ("201", ref("Transaction")), body=ref("TransactionCreate"), extra={409})
    a("get", "/transactions", "listTransactions", "List transactions", "Transactions", ("200", page(ref("Transaction"))),
      query=PAGING + (("customer", S, "Only this customer's (by key)"), ("from", TIME, "Created at or after (RFC 3339)"), ("to", TIME, "Created before (RFC 3339)")))
    a("get", "/transactions/{key}", "getTransaction", "Get a transaction", "Transactions", ("200", ref("Transaction")))
    a("delete", "/transactions/{key}", "deleteTransaction", "Delete a transaction and reverse its reward", "Transactions", ("200", ref("Deleted")))
    a("get", "/events", "listEvents", "Recent events (samples)", "Webhooks", ("200", page(ref("Event"))),
      query=(("type", S, "Only events of this type"), ("limit", {"type": "integer", "minimum": 1, "maximum": 250}, "How many, 1–250 (default 10)")))
    a("post", "/webhooks", "createWebhook", "Create a webhook (returns its secret once)", "Webhooks", ("201", ref("Webhook")), body=ref("WebhookCreate"))
    a("get", "/webhooks", "listWebhooks", "List webhooks", "Webhooks", ("200", page(ref("Webhook"))))
    a("get", "/webhooks/{webhook_id}", "getWebhook", "Get a webhook", "Webhooks", ("200", ref("Webhook")))
    a("patch", "/webhooks/{webhook_id}", "updateWebhook", "Update a webhook", "Webhooks", ("200", ref("Webhook")), body=ref("WebhookPatch"))
    a("delete", "/webhooks/{webhook_id}", "deleteWebhook", "Delete a webhook", "Webhooks", ("200", ref("Deleted")))
    a("get", "/webhooks/{webhook_id}/deliveries", "listWebhookDeliveries", "Delivery log", "Webhooks", ("200", page(ref("Delivery"))), query=(LIMIT,))
    a("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", "resendWebhookDelivery", "Send a delivery again", "Webhooks", ("202", {"type": "object"}))
    a("post", "/webhooks/{webhook_id}/test", "testWebhook", "Send a test event", "Webhooks", ("202", {"type": "object"}))
    a("post", "/webhooks/{webhook_id}/rotate-secret", "rotateWebhookSecret", "Issue a new secret (shown once)", "Webhooks", ("200", {"type": "object"}))
    a("get", "/rewards", "listRewards", "List rewards (the review queue: ?status=pending&flagged=true)", "Rewards", ("200", page(ref("Reward"))),
      query=PAGING + (("status", {"enum": ["pending", "approved", "rejected", "reversed", "paid"]}, "Only rewards in this status"),
                      ("customer", S, "Only this customer's (by key)"), ("flagged", B, "Only flagged (true) or unflagged (false) rewards")))
    a("post", "/rewards/{reward_id}/approve", "approveReward", "Approve a pending reward", "Rewards", ("200", ref("Reward")), extra={409})
    a("post", "/rewards/{reward_id}/reject", "rejectReward", "Reject a pending reward, with a reason", "Rewards", ("200", ref("Reward")), body=ref("Rejection"), extra={409})
    a("post", "/payouts", "createPayout", "Pay a customer's approved rewards, oldest first", "Payouts", ("201", ref("Payout")), body=ref("PayoutCreate"), extra={409})
    a("get", "/payouts", "listPayouts", "Payouts made", "Payouts", ("200", page(ref("Payout"))), query=PAGING + (("customer", S, "Only this customer's (by key)"),))
    imp = a("post", "/customers/import", "importCustomers",
            "Import customers from CSV: upsert by key, keep referral codes and referrers (at most 5 MiB and 20,000 rows a call)", "Records",
            ("200", ref("ImportResult")), body={"type": "string"}, extra={409},
            query=(("notify", B, "Also emit `customer.created` for each created customer (default false: imported customers emit no events)"),
                   ("dry_run", B, "Answer what the import would do, writing nothing (default false)")))
    imp["requestBody"] = {"required": True, "description": CSV_IMPORT, "content": {"text/csv": {"schema": {"type": "string"}, "example": "key,email,name,referral_code,referred_by,created_at\r\nann,ann@example.com,Ann,ann2019,,2019-04-01T09:00:00Z\r\n"}}}
    for table, what in (("customers", "Customers"), ("transactions", "Transactions"), ("rewards", "Rewards"), ("payouts", "Payouts")):
        exp = a("get", f"/{table}.csv", f"export{what}", f"All {table} as CSV (streamed, RFC 4180, one header row; formula-like cells prefixed with ')", "Records", ("200", None))
        exp["responses"]["200"]["content"] = {"text/csv": {"schema": {"type": "string"}}}
    a("get", "/payables", "listPayables", "Customers with an approved, unpaid balance", "Payouts", ("200", page(ref("Payable"))), query=PAGING)
    a("get", "/email-suppressions", "listEmailSuppressions", "Addresses that get nothing from the program but sign-in codes, newest first", "E-mails",
      ("200", page(ref("Suppression"))), query=PAGING)
    a("post", "/email-suppressions", "createEmailSuppression", "Suppress an address", "E-mails", ("201", ref("Suppression")), body=ref("SuppressionCreate"))
    a("delete", "/email-suppressions/{email}", "deleteEmailSuppression", "Lift a suppression: the address gets the program's e-mail again", "E-mails", ("204", None))

# No 4xx at all for /health and /openapi.json: see .redocly.lint-ignore.yaml.
add("get", "/health", "getHealth", "Liveness", "Meta", PUBLIC, ("200", {"type": "object"}), storage=False)
add("get", "/openapi.json", "getOpenApiDocument", "This document", "Meta", PUBLIC, ("200", {"type": "object"}), storage=False)
add("post", "/auth/code", "requestSignInCode", "A team member's (or invited address's) six-digit sign-in code by e-mail, from `EMAIL_FROM`: always `202`, whoever asks",
    "Auth", PUBLIC, ("202", obj({"ok": B}, ["ok"])), ref("CodeRequest"), extra={403, 429})
add("post", "/auth/login", "login", "A session cookie for the admin token (`{token}`) or a team member's e-mailed code (`{email, code}`, `400 invalid_code` when wrong; the first sign-in accepts an invitation)",
    "Auth", PUBLIC, ("200", ref("Session")), ref("Login"), extra={401, 403, 429})
add("post", "/auth/logout", "logout", "End the session (only from this Worker's own pages: a foreign or missing `Origin` is a `403`)", "Auth", PUBLIC, ("200", ref("Session")), extra={403}, storage=False)
add("get", "/auth/session", "getSession", "Whether the session cookie is valid, whose it is, their role, programs and `permissions` (action → allowed)", "Auth", PUBLIC, ("200", ref("Session")), errs={401, 503})
add("get", "/auth/sessions", "listSessions", "Your own dashboard sessions (an owner's list: everyone's)", "Team", OWNER, ("200", obj({"data": {"type": "array", "items": ref("TeamSession")}}, ["data"])))
add("delete", "/auth/sessions/{session_id}", "revokeSession", "Sign a session out at once (another person's: owners only)", "Team", OWNER, ("200", ref("Deleted")))
add("get", "/v1/team", "getTeam", "The team's people and open invitations", "Team", OWNER, ("200", ref("Team")))
add("post", "/v1/team/invitations", "createInvitation", "Invite someone (owner or admin; only an owner invites owners): an e-mail with a link to the dashboard, valid 7 days; `409` for a member's address",
    "Team", OWNER, ("201", ref("Invitation")), ref("InvitationCreate"), extra={409})
add("delete", "/v1/team/invitations/{invitation_id}", "revokeInvitation", "Revoke an invitation", "Team", OWNER, ("200", ref("Deleted")))
add("patch", "/v1/team/users/{user_id}", "updateTeamUser", "Change a person's role or program limit; the last owner cannot be demoted (`409`), whoever asks", "Team", OWNER,
    ("200", ref("TeamUser")), ref("TeamUserPatch"), extra={409})
add("delete", "/v1/team/users/{user_id}", "removeTeamUser", "Remove a person: their sessions end at once; the last owner stays (`409`), whoever asks", "Team", OWNER, ("200", ref("Deleted")), extra={409})
add("get", "/v1/team/audit-log", "listTeamAuditLog", "Team-level audit entries, newest first: sign-ins, failed sign-ins, invitations, role changes, removals", "Team", OWNER,
    ("200", page(ref("AuditEntry"))), query=(("actor", S, "Only this actor"), ("action", S, "Only this action (`team.signed_in`)"), LIMIT, ("cursor", {"type": "string", "pattern": "^[1-9][0-9]{0,17}$"}, "`next_cursor` of the previous page")))
def first_party_twin(op_id):
    """Every tracking path is served under `/_edgeref/` too (a Worker route
    `shop.example/_edgeref/*` on the owner's site): `trackVisit` there is
    `trackFirstPartyVisit`, `FirstParty` after the verb as `owner_twin` does."""
    verb = re.match(r"[a-z]+", op_id).group(0)
    return f"{verb}FirstParty{op_id[len(verb):]}"

def tracking(method, path, op_id, summary, ok, body=None, **kw):
    add(method, path, op_id, summary, "Tracking", PUBLIC, ok, body, **kw)
    add(method, "/_edgeref" + path, first_party_twin(op_id), summary + ", under `/_edgeref/` (a first-party Worker route)", "Tracking", PUBLIC, ok, body, **kw)

tracking("get", "/s/{file}", "getSnippetFile", "The loader (`{public_id}.js`, config inlined; `304` for a matching `If-None-Match`), the snippet module (`snippet_bg.js`, `snippet_bg.wasm`) or the referrer widget (`widget.js`, loaded by `edgeref('widget', …)`)", ("200", None))
# Beacons are text/plain JSON (no preflight), so no 415; the site's origin is checked (403) and visitors rate limited (429).
tracking("post", "/t/visit", "trackVisit", "Visit beacon (text/plain JSON, no preflight); on a first-party host the answer sets the referral cookies", ("202", ref("VisitAnswer")),
         ref("VisitBeacon"), errs={400, 403, 404, 413, 422, 429, 503})
tracking("post", "/t/signup", "trackSignup", "Signup beacon: attribute a signup", ("200", ref("SignupAnswer")), ref("SignupBeacon"),
         errs={400, 403, 404, 413, 422, 429, 503})
# Any code redirects (an unknown or malformed one to the website without it); 404 only when the Worker has no program at all.
tracking("get", "/r/{code}", "followReferralLink", "Redirect link: counts the click, sets the cookies on a first-party host, `302` to the referral link",
         ("302", None), errs={404, 503})
# The referrer's browser, with a portal token (any token that does not let it in is one 401); rate limited like the beacons.
for prefix, op_id, where in (("", "getPortalMe", ""), ("/_edgeref", "getFirstPartyPortalMe", ", under `/_edgeref/` (a first-party Worker route)")):
    add("get", prefix + "/w/me", op_id, "The referrer's own link, its QR code, stats, balances and referred friends (masked), for a portal token" + where, "Portal",
        [{"portalToken": []}], ("200", ref("PortalMe")), errs={401, 429, 503})
# An HTML page (the widget, full page): 404 for an unknown program; a bad token is the widget's "link expired" state, not an error.
add("get", "/portal/{public_id}", "getPortalPage", "The hosted referrer portal (HTML; noindex, no-store, no-referrer): the widget as a page, for links in emails", "Portal",
    PUBLIC, ("200", None), query=(("token", S, "A portal token (the page's script reads it from the address)"),), errs={404, 503})
# Stripe's own raw body (signature over the bytes): 400 for a bad signature, 422 for a sale it cannot record, 409 for a refund racing another.
add("post", "/integrations/stripe/{public_id}", "receiveStripeWebhook", "Stripe webhook receiver (Stripe-Signature verified)", "Integrations", PUBLIC,
    ("200", {"type": "object"}), {"type": "object"}, errs={400, 404, 409, 413, 422, 503})
for provider, op_id, name, header in (("paddle", "receivePaddleWebhook", "Paddle Billing", "Paddle-Signature"), ("lemonsqueezy", "receiveLemonSqueezyWebhook", "Lemon Squeezy", "X-Signature")):
    add("post", f"/integrations/{provider}/{{public_id}}", op_id, f"{name} webhook receiver ({header} verified; docs/integrations.md)", "Integrations", PUBLIC,
        ("200", {"type": "object"}), {"type": "object"}, errs={400, 404, 409, 413, 422, 503})
add("post", "/v1/programs", "createProgram", "Create a program", "Programs", OWNER, ("201", ref("Program")), ref("ProgramCreate"))
add("get", "/v1/programs", "listPrograms", "List programs", "Programs", OWNER, ("200", page(ref("Program"))))
add("get", "/v1/programs/{id}", "getProgram", "Get a program", "Programs", OWNER, ("200", ref("Program")))
add("patch", "/v1/programs/{id}", "updateProgram", "Update name, website, currency, tracking or rewards (`409` for a new currency once the program holds money)", "Programs", OWNER, ("200", ref("Program")), ref("ProgramPatch"), extra={409})
add("delete", "/v1/programs/{id}", "deleteProgram", "Delete a program and everything under it", "Programs", OWNER, ("200", ref("Deleted")))
add("post", "/v1/programs/{id}/api-keys", "createProgramApiKey", "Create an API key (shown once), with `scopes` (default: all) and an optional `expires_at`", "Programs", OWNER, ("201", ref("ApiKeyCreated")), ref("ApiKeyCreate"))
add("get", "/v1/programs/{id}/api-keys", "listProgramApiKeys", "List API keys (no secrets)", "Programs", OWNER, ("200", page(ref("ApiKey"))))
add("delete", "/v1/programs/{id}/api-keys/{key_id}", "revokeProgramApiKey", "Revoke an API key", "Programs", OWNER, ("200", ref("Deleted")))
add("get", "/v1/programs/{id}/integrations", "listProgramIntegrations", "Integrations and their public settings", "Integrations", OWNER, ("200", ref("Integrations")))
add("put", "/v1/programs/{id}/integrations/{name}", "enableProgramIntegration", "Turn on Stripe (`StripeSettings`), MailerLite (`MailerLiteSettings`), Paddle or Lemon Squeezy (`BillingSettings`)",
    "Integrations", OWNER, ("200", {"type": "object"}), {"oneOf": [ref("StripeSettings"), ref("MailerLiteSettings"), ref("BillingSettings")]})
add("delete", "/v1/programs/{id}/integrations/{name}", "disableProgramIntegration", "Turn an integration off and forget its secret", "Integrations", OWNER, ("200", {"type": "object"}))
add("get", "/v1/programs/{id}/integrations/stripe/credits", "listStripeCredits", "The Stripe credit log: each credit of an approved reward, newest first (docs/fulfilment.md)",
    "Integrations", OWNER, ("200", page(ref("StripeCredit"))), query=PAGING)
add("post", "/v1/programs/{id}/integrations/stripe/credits/{credit}/retry", "retryStripeCredit",
    "Send a failed Stripe credit again now (`credit`: its id or its reward's), taking the reward's `fulfilment_failed` flag off first; answers its status after the attempt (`409` unless it failed)",
    "Integrations", OWNER, ("200", obj({"id": S, "reward_id": nul(S), "status": {"type": "string", "enum": ["pending", "succeeded", "failed"]}}, ["id", "reward_id", "status"])), extra={409})
add("get", "/v1/programs/{id}/stats", "getProgramStats", "Program totals and a daily series", "Programs", OWNER, ("200", {"type": "object"}),
    query=(("days", {"type": "integer", "minimum": 1, "maximum": 365}, "How many days up to today, 1–365 (default 30)"),))
add("get", "/v1/programs/{id}/ingest", "getProgramIngestReport", "Visits the ingest queue gave up on", "Programs", OWNER, ("200", {"type": "object"}))
add("get", "/v1/programs/{id}/audit-log", "listProgramAuditLog", "Who changed what: the audit log, newest first (owner only, never an API key)", "Programs", OWNER,
    ("200", page(ref("AuditEntry"))),
    query=(("actor", S, "Only this actor: `admin`, `session`, `system` or an API key's id"), ("action", S, "Only this action (`customer.updated`)"),
           ("target_type", S, "Only changes to this kind of object (`customer`, `webhook`…)"), ("target_id", S, "Only changes to the object with this id or key"),
           LIMIT, ("cursor", {"type": "string", "pattern": "^[1-9][0-9]{0,17}$"}, "`next_cursor` of the previous page (an entry's id)")))
add("post", "/v1/programs/{id}/emails/preview", "previewProgramEmail", "A message rendered with sample data (the subject and body given, else the program's)",
    "E-mails", OWNER, ("200", ref("EmailRendered")), ref("EmailPreviewRequest"))
add("post", "/v1/programs/{id}/emails/test", "sendProgramTestEmail", "Send a message with sample data to an address, through the outbox", "E-mails", OWNER,
    ("202", obj({"id": S}, ["id"])), ref("EmailTestRequest"))
add("get", "/v1/programs/{id}/emails", "listProgramEmails", "The e-mail delivery log, newest first", "E-mails", OWNER, ("200", page(ref("EmailDelivery"))), query=PAGING)
add("post", "/v1/programs/{id}/emails/{delivery_id}/resend", "resendProgramEmail", "Send an e-mail delivery again now", "E-mails", OWNER, ("202", {"type": "object"}))
# The referrer's side of e-mail: sign-in by code (HTML page's own script; same-origin only), invitations, one-click unsubscribe.
add("post", "/portal/{public_id}/code", "requestPortalSignInCode", "E-mail a sign-in code (always `202`, customer or not; `422` for a disposable address with open sign-up)",
    "Portal", PUBLIC, ("202", ref("Ok")), ref("PortalCodeRequest"), extra={403, 429})
add("post", "/portal/{public_id}/session", "createPortalSession", "Exchange the code for the portal session cookie (`400 invalid_code` when wrong, expired or used up)",
    "Portal", PUBLIC, ("200", ref("Ok")), ref("PortalSessionRequest"), extra={403, 429})
add("post", "/portal/{public_id}/logout", "deletePortalSession", "End the portal session", "Portal", PUBLIC, ("200", ref("Ok")), errs={404, 503})
for prefix, op_id, where in (("", "invitePortalFriends", ""), ("/_edgeref", "inviteFirstPartyPortalFriends", ", under `/_edgeref/` (a first-party Worker route)")):
    add("post", prefix + "/w/invite", op_id, "Invite friends by e-mail (five addresses a day), for a portal token" + where, "Portal",
        [{"portalToken": []}], ("200", ref("InviteResult")), ref("InviteRequest"), errs={400, 401, 409, 413, 415, 422, 429, 503})
add("get", "/u/{token}", "getUnsubscribePage", "The unsubscribe page of an e-mail's link (HTML): asks, changes nothing", "E-mails", PUBLIC, ("200", None), errs={404, 503})
add("post", "/u/{token}", "unsubscribe", "One-click unsubscribe (RFC 8058, `List-Unsubscribe=One-Click`): the address gets nothing from the program but sign-in codes",
    "E-mails", PUBLIC, ("200", None), errs={404, 503})
add("get", "/__dev/mail", "listDevMail", "Development only (`make dev` without `EMAIL_PROVIDER`): the messages that would have been sent (HTML; JSON for `Accept: application/json`)",
    "E-mails", PUBLIC, ("200", None), errs={404, 503})
program_api("/v1", KEYSEC)
program_api("/v1/programs/{id}", OWNER, twin=True)

ids = [o["operationId"] for ops in paths.values() for o in ops.values()]
assert len(ids) == len(set(ids)), "operationIds must be unique"

TAGS = {
    "Meta": "Liveness and this document.",
    "Auth": "The dashboard's sign-in: the admin token, or a team member's e-mailed code, exchanged for an HttpOnly session cookie.",
    "Team": "People, roles, program limits, invitations and sessions (docs/team.md).",
    "Tracking": "The snippet and its beacons (public, checked against the program's website), and server-side signups.",
    "Integrations": "Stripe and MailerLite: set-up by the owner, and the Stripe webhook receiver.",
    "Programs": "The owner's programs, their API keys, statistics, ingest report and audit log (admin token or session).",
    "Program API": "The program an API key belongs to (Zapier's authentication test).",
    "Customers": "Referring and referred customers, their referrals, statistics and balance.",
    "Transactions": "Sales (idempotent on their key); deleting one reverses its rewards.",
    "Webhooks": "Signed webhooks (Standard Webhooks), their delivery log, and recent events.",
    "Rewards": "What referrers and friends earn: held, reviewed (fraud flags), approved or rejected.",
    "Payouts": "Paying approved rewards, and who is owed money now.",
    "Records": "Moving customers in (CSV import, upsert by key) and everything out (streamed CSV exports).",
    "Portal": "The referrer's side: the hosted portal and its sign-in by e-mail code, and what a referrer's browser reads with a portal token (CORS: the program's website).",
    "E-mails": "Messages to referrers and friends: preview, test, the delivery log, suppressions and the one-click unsubscribe (docs/emails.md).",
}
used = list(dict.fromkeys(o["tags"][0] for ops in paths.values() for o in ops.values()))
tags = [{"name": t, "description": TAGS.get(t) or TAGS[t.removesuffix(" (owner)")] + " As the owner, under `/v1/programs/{id}/` (admin token or session)."} for t in used]

doc = {
    "openapi": "3.1.0",
    "info": {"title": "Edgeref", "version": "1.0.0",
             "description": "Self-hosted Refer-a-Friend on Cloudflare. Owner API (admin token or session) and program API (API key); the owner also reaches "
                            "every program-API operation under `/v1/programs/{id}/`. Errors are always `{\"error\": {\"code\", \"message\", \"field\"?}}`; "
                            "amounts are integers in minor units.\n\nOperation ids are `verbResource` (`createCustomer`, `listCustomerReferrals`); "
                            "the owner's twin of a program-API operation puts `Program` after the verb (`createProgramCustomer`).",
             "license": {"name": "MIT", "identifier": "MIT"}},
    "servers": [{"url": "/", "description": "The Edgeref Worker that serves this document"}],
    "tags": tags,
    "paths": paths,
    "components": {
        "schemas": schemas,
        "responses": {name: response for name, response in ERRORS.values()},
        "headers": {"RetryAfter": {"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 0}}},
        "securitySchemes": {
            "adminToken": {"type": "http", "scheme": "bearer", "description": "The ADMIN_TOKEN Worker secret"},
            "session": {"type": "apiKey", "in": "cookie", "name": "edgeref_session", "description": "Dashboard session from POST /auth/login"},
            "apiKey": {"type": "http", "scheme": "bearer", "description": "A program API key, erk_…"},
            "portalToken": {"type": "http", "scheme": "bearer", "description": "A portal token from POST /v1/customers/{key}/portal-token: one customer's, for at most a day"},
        },
    },
}
out = pathlib.Path(__file__).with_name("openapi.json")
out.write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {out} ({len(paths)} paths, {len(ids)} operations)")
