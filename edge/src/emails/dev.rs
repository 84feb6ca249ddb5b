//! `GET /__dev/mail`: what `make dev` would have sent (`EMAIL_PROVIDER` unset or `dev`),
//! each message rendered, newest first; JSON for `Accept: application/json`. A `404`
//! whenever a real provider is set, and always outside development mode.

use super::store::{self, DevMailRow};
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::outbox::senders::email::{provider, Provider};
use edgeref_shared::time;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use worker::{Headers, Request, Response};

pub async fn mail(req: &Request, cx: &Cx) -> ApiResult<Response> {
    if provider(&cx.env) != Provider::Dev {
        return Err(ApiError::new(404, "no_route", "no route for /__dev/mail"));
    }
    let rows = store::dev_mail(&cx.db, 200).await?;
    let wants_json = req.headers().get("accept").ok().flatten().is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return json(200, &serde_json::json!({"data": rows}));
    }
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    // Messages are shown in sandboxed frames: their HTML runs nothing and reaches nothing.
    headers.set("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src data:; base-uri 'none'")?;
    Ok(Response::ok(page(&rows))?.with_headers(headers))
}

fn page(rows: &[DevMailRow]) -> String {
    let items: String = rows.iter().map(item).collect();
    let empty = if rows.is_empty() { "<p>No messages yet. Anything Edgeref sends while <code>make dev</code> runs shows up here.</p>" } else { "" };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Edgeref · development mail</title>
<style>body{{margin:0;background:#f3f4f6;color:#111827;font:15px/1.5 system-ui,sans-serif}}main{{max-width:900px;margin:0 auto;padding:24px 16px}}
article{{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:0 0 20px;padding:16px}}h2{{font-size:1.1rem;margin:0 0 8px}}
dl{{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 12px;font-size:13px}}dt{{color:#6b7280}}dd{{margin:0;word-break:break-all}}
iframe{{width:100%;height:360px;border:1px solid #e5e7eb;border-radius:4px;background:#fff}}pre{{white-space:pre-wrap;background:#f9fafb;padding:8px;font-size:13px}}</style></head>
<body><main><h1>Development mail</h1><p>Messages Edgeref would have sent (newest first). Set <code>EMAIL_PROVIDER</code> to send them for real (docs/emails.md).</p>{empty}{items}</main></body></html>
"#
    )
}

fn item(m: &DevMailRow) -> String {
    let headers: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&m.headers).unwrap_or_default();
    let header_rows: String = headers.iter().map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", text(k), text(v.as_str().unwrap_or_default()))).collect();
    format!(
        r#"<article data-message="{message}"><h2>{subject}</h2><dl><dt>Message</dt><dd>{message}</dd><dt>From</dt><dd>{from}</dd><dt>To</dt><dd>{to}</dd>{reply}<dt>Sent</dt><dd>{at}</dd>{header_rows}</dl>
<iframe sandbox="" title="{subject_attr}" srcdoc="{html}"></iframe><details><summary>Text part</summary><pre>{text_part}</pre></details></article>
"#,
        message = text(&m.message),
        subject = text(&m.subject),
        subject_attr = attr(&m.subject),
        from = text(&m.from_header),
        to = text(&m.to_address),
        reply = m.reply_to.as_deref().map(|r| format!("<dt>Reply-To</dt><dd>{}</dd>", text(r))).unwrap_or_default(),
        at = time::rfc3339(m.created_at),
        html = attr(&m.html_body),
        text_part = text(&m.text_body),
    )
}
