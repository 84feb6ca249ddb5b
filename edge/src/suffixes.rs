//! The Public Suffix List's rules (`edgeref_shared::domain`), which decide cookie domains
//! and first-party hosts. They are 150 KB of text, so the Worker's wasm does not carry
//! them: the first request an isolate serves reads `www/data/public-suffixes.txt`
//! through the `ASSETS` binding and installs it for the isolate's life.

use crate::context::Cx;
use edgeref_shared::domain;

const PATH: &str = "https://assets.invalid/data/public-suffixes.txt";

/// Installs the rules unless this isolate already has them. A failed read is logged
/// and tried again on the next request; meanwhile only the list's `*` rule applies.
pub async fn ensure(cx: &Cx) {
    if domain::rules_installed() {
        return;
    }
    match read(cx).await {
        Ok(rules) => domain::install_rules(rules),
        Err(e) => worker::console_error!("reading the public suffix list failed: {e}"),
    }
}

async fn read(cx: &Cx) -> worker::Result<String> {
    let mut response = cx.env.assets("ASSETS")?.fetch(PATH, None).await?;
    if response.status_code() != 200 {
        return Err(worker::Error::RustError(format!("HTTP {}", response.status_code())));
    }
    response.text().await
}
