//! The browser-side code this Worker serves, compiled in by `edge/build.rs` from
//! `make snippet`'s output, with the content hashes that version its URLs.

/// The loader (snippet/core.js, minified) and the module (snippet/loader.js with the
/// Rust wasm), from `make snippet`.
pub static LOADER: &str = include_str!(concat!(env!("OUT_DIR"), "/snippet.js"));
pub static MODULE_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/snippet_bg.js"));
pub static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/snippet_bg.wasm"));
/// The version of the module's JS and wasm and the widget (one content hash for the three).
pub const VERSION: &str = env!("SNIPPET_HASH");
/// The referrer widget (snippet/widget.js, minified): its own file, never in the loader's budget.
pub static WIDGET: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.js"));

/// Where the widget's script is, below a tracking base (this version's, cached forever).
pub fn widget_path() -> String {
    format!("/s/widget.js?v={VERSION}")
}
