//! `/u/{token}`: the one-click unsubscribe of RFC 8058. A `POST` (what mail clients
//! send, `List-Unsubscribe=One-Click`, and the page's button) suppresses the address
//! for the program; a `GET` (what a link scanner fetches) only asks.

use super::store;
use crate::context::{worker_secret, Cx};
use crate::error::ApiResult;
use crate::ids;
use crate::programs::store as programs;
use edgeref_shared::email::unsubscribe;
use edgeref_shared::portal::mask_email;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use worker::{Headers, Response};

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The program and address a genuine token names.
async fn named(cx: &Cx, token: &str) -> ApiResult<Option<(String, String, String)>> {
    let Some(secret) = worker_secret(&cx.env) else { return Ok(None) };
    let Some((program_id, address)) = unsubscribe::verify(&unsubscribe::key_from_secret(&secret), token) else { return Ok(None) };
    match programs::get(&cx.db, &program_id).await {
        Ok(p) => Ok(Some((p.id, p.name, address))),
        Err(e) if e.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// `GET /u/{token}`: "Unsubscribe from …?" with one button.
pub async fn ask(cx: &Cx, token: &str) -> ApiResult<Response> {
    let Some((_, name, address)) = named(cx, token).await? else { return respond(404, &gone()) };
    let body = format!(
        r#"<h1>Unsubscribe from {name}?</h1><p>{address} will get no more e-mails from the {name} referral program.</p>
<form method="post" action="/u/{token}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>"#,
        name = text(&name),
        address = text(&mask_email(&address)),
        token = attr(token),
    );
    respond(200, &body)
}

/// `POST /u/{token}`: suppresses the address; saying so again for an address already suppressed.
pub async fn confirm(cx: &Cx, token: &str) -> ApiResult<Response> {
    let Some((program_id, name, address)) = named(cx, token).await? else { return respond(404, &gone()) };
    store::batch(&cx.db, vec![store::suppress(&cx.db, &program_id, &address, "unsubscribed", ids::now_ms())]).await?;
    respond(200, &format!("<h1>You are unsubscribed</h1><p>You will get no more e-mails from the {} referral program.</p>", text(&name)))
}

fn gone() -> String {
    "<h1>This link does not work</h1><p>It may be incomplete, or the program no longer exists.</p>".into()
}

fn respond(status: u16, body: &str) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-robots-tag", "noindex, nofollow")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("content-security-policy", CSP)?;
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow">
<title>Unsubscribe</title><style>body{{margin:0;background:#f3f4f6;color:#111827;font:16px/1.5 system-ui,sans-serif}}main{{max-width:520px;margin:48px auto;padding:24px;background:#fff;border-radius:8px}}
button{{font:inherit;padding:8px 16px;border:0;border-radius:6px;background:#111827;color:#fff;cursor:pointer}}h1{{font-size:1.3rem}}</style></head>
<body><main>{body}</main></body></html>
"#
    );
    Ok(Response::ok(page)?.with_status(status).with_headers(headers))
}
