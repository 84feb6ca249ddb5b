//! `GET /portal/{public_id}?token=…`: the referrer widget as a hosted page, for
//! links in the merchant's emails. The program's name (escaped) is the only data
//! in the HTML; the page's script (`/s/widget.js`, the same file merchants embed)
//! reads the token from the address and asks `/w/me` on this same origin.

use crate::error::ApiResult;
use crate::programs::model::Program;
use crate::tracking::assets;
use worker::{Headers, Response};

/// Nothing but this origin's script, its `/w/me` and the QR code as a `data:` image; framed
/// only by this origin (the dashboard's preview).
const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src data:; style-src 'unsafe-inline'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

pub fn html(program_name: &str) -> String {
    let name = html_escape::encode_text(program_name);
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">
<title>{name} · Refer a friend</title>
<style>body{{margin:0;background:#f3f4f6;color:#111827;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}}
main{{max-width:760px;margin:0 auto;padding:24px 16px 48px}}h1{{font-size:1.5rem;line-height:1.25;margin:0 0 16px}}</style></head>
<body><main><h1>{name}</h1><div id="edgeref-portal"></div></main>
<script src="{src}" data-portal="edgeref-portal"></script></body></html>
"#,
        src = assets::widget_path(),
    )
}

/// The page: never indexed, never cached, and the token in its address never sent on as a referrer.
pub fn respond(program: &Program) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("x-robots-tag", "noindex, nofollow")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("cache-control", "no-store")?;
    headers.set("content-security-policy", CSP)?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::ok(html(&program.name))?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_name_is_escaped_and_the_page_is_noindex() {
        let page = html("Tom & Jerry's <script>alert(1)</script>");
        assert!(page.contains("<h1>Tom &amp; Jerry's &lt;script&gt;alert(1)&lt;/script&gt;</h1>"), "{page}");
        assert!(!page.contains("<script>alert"));
        assert!(page.contains(r#"<meta name="robots" content="noindex, nofollow">"#));
        assert!(page.contains("/s/widget.js?v="));
    }
}
