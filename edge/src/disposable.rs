//! Whether an address is at a throwaway-mail domain (`edgeref_shared::disposable`). The
//! list (800 KB) is not in the Worker's wasm: the first signup an isolate sees reads it
//! from the static assets (`www/data/disposable-domains.txt`, through the `ASSETS`
//! binding), and the isolate keeps it.

use crate::context::Cx;
use edgeref_shared::disposable;
use std::cell::RefCell;
use std::rc::Rc;

const PATH: &str = "https://assets.invalid/data/disposable-domains.txt";

thread_local! {
    static LIST: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
}

/// `true` when the address is listed. If the list cannot be read, `false` (a flag only
/// holds a reward for review; a signup never fails for it), logged, and asked again next time.
pub async fn is_disposable(cx: &Cx, email: &str) -> bool {
    match list(cx).await {
        Ok(list) => disposable::listed(&list, email),
        Err(e) => {
            worker::console_error!("reading the disposable-domain list failed: {e}");
            false
        }
    }
}

async fn list(cx: &Cx) -> worker::Result<Rc<str>> {
    if let Some(list) = LIST.with_borrow(Clone::clone) {
        return Ok(list);
    }
    let mut response = cx.env.assets("ASSETS")?.fetch(PATH, None).await?;
    if response.status_code() != 200 {
        return Err(worker::Error::RustError(format!("HTTP {}", response.status_code())));
    }
    let list: Rc<str> = response.text().await?.into();
    LIST.set(Some(list.clone()));
    Ok(list)
}
