//! `GET /portal/{public_id}`: the referrer widget as a hosted page, for links in
//! e-mail. With `?token=…` (minted by the merchant's server) or a portal session
//! (signed in by e-mail code) it shows the widget; otherwise the sign-in form.
//! The program's name (escaped) is the only data in the HTML, besides a session's
//! short-lived token for the widget; the scripts are this origin's own:
//! `/s/widget.js` (the file merchants embed) and `/portal/sign-in.js`.

use crate::error::ApiResult;
use crate::programs::model::Program;
use crate::tracking::assets;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use worker::{Headers, Response};

/// Nothing but this origin's scripts, their calls to this origin and the QR code as a
/// `data:` image; framed only by this origin (the dashboard's preview).
const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src data:; style-src 'unsafe-inline'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// What the page shows.
pub enum View<'a> {
    /// The widget: its token from the address, or from a portal session (`token`).
    Widget { token: Option<&'a str> },
    /// The sign-in form, when the program sends sign-in codes; else where to get a link.
    SignIn { offered: bool },
}

const STYLE: &str = "body{margin:0;background:#f3f4f6;color:#111827;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}\
main{max-width:760px;margin:0 auto;padding:24px 16px 48px}h1{font-size:1.5rem;line-height:1.25;margin:0 0 16px}\
form.card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:20px;max-width:420px}label{display:block;font-weight:600;margin:0 0 6px}\
input{font:inherit;width:100%;box-sizing:border-box;padding:8px 10px;border:1px solid #d1d5db;border-radius:6px;margin:0 0 12px}\
button{font:inherit;padding:8px 16px;border:0;border-radius:6px;background:#111827;color:#fff;cursor:pointer}\
#edgeref-sign-out{text-align:right;margin:0 0 8px}#edgeref-sign-out button{background:none;color:#374151;text-decoration:underline;padding:0}\
[role=status]{color:#374151;min-height:1.5em}";

pub fn html(program_name: &str, view: &View) -> String {
    let name = text(program_name);
    let body = match view {
        View::Widget { token } => {
            let (data_token, sign_out) = match token {
                Some(t) => (format!(r#" data-token="{}""#, attr(t)), r#"<form id="edgeref-sign-out"><button type="submit">Sign out</button></form>"#),
                None => (String::new(), ""),
            };
            format!(
                r#"{sign_out}<h1>{name}</h1><div id="edgeref-portal"></div>
<script src="{src}" data-portal="edgeref-portal"{data_token}></script>{sign_in_js}"#,
                src = assets::widget_path(),
                sign_in_js = if token.is_some() { r#"<script src="/portal/sign-in.js"></script>"# } else { "" },
            )
        }
        View::SignIn { offered: true } => format!(
            r#"<h1>{name}</h1><p>Sign in to see your referral link, your friends and your rewards.</p>
<form class="card" id="edgeref-sign-in" novalidate>
<div data-step="email"><label for="email">Your e-mail address</label><input id="email" name="email" type="email" autocomplete="email" required>
<button type="submit">Send me a code</button></div>
<div data-step="code" hidden><label for="code">The 6-digit code we e-mailed you</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{{6}}" maxlength="6">
<button type="submit">Sign in</button></div>
<p role="status" id="edgeref-status"></p></form>
<script src="/portal/sign-in.js"></script>"#
        ),
        View::SignIn { offered: false } => format!("<h1>{name}</h1><p>Open the link {name} sent you to see your referral link and rewards.</p>"),
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">
<title>{name} · Refer a friend</title>
<style>{STYLE}</style></head>
<body><main>{body}</main></body></html>
"#
    )
}

/// The page: never indexed, never cached, and the token in its address never sent on as a referrer.
pub fn respond(program: &Program, view: &View) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("x-robots-tag", "noindex, nofollow")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("cache-control", "no-store")?;
    headers.set("content-security-policy", CSP)?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::ok(html(&program.name, view))?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_name_is_escaped_and_the_page_is_noindex() {
        let page = html("Tom & Jerry's <script>alert(1)</script>", &View::Widget { token: None });
        assert!(page.contains("<h1>Tom &amp; Jerry's &lt;script&gt;alert(1)&lt;/script&gt;</h1>"), "{page}");
        assert!(!page.contains("<script>alert"));
        assert!(page.contains(r#"<meta name="robots" content="noindex, nofollow">"#));
        assert!(page.contains("/s/widget.js?v="));
        assert!(!page.contains("data-token"));
    }

    #[test]
    fn a_session_hands_the_widget_its_token_and_offers_to_sign_out() {
        let page = html("Shop", &View::Widget { token: Some("a.b.1.\"x") });
        assert!(page.contains(r#"data-token="a.b.1.&quot;x""#), "{page}");
        assert!(page.contains("edgeref-sign-out"));
    }

    #[test]
    fn without_a_token_the_page_asks_for_an_email_then_a_one_time_code() {
        let page = html("Shop", &View::SignIn { offered: true });
        assert!(page.contains(r#"type="email""#));
        assert!(page.contains(r#"autocomplete="one-time-code""#));
        assert!(page.contains(r#"pattern="[0-9]{6}""#));
        let closed = html("Shop", &View::SignIn { offered: false });
        assert!(!closed.contains("<form"));
    }
}
