//! Copies the built browser snippet (`snippet/pkg`, made by `make snippet`) into
//! OUT_DIR for `include_bytes!`, and names the content hash of the files the loader
//! fetches (the module's JS and wasm, the widget) for cache busting: one version for all
//! three, since every hex digit of it is a loader byte on every page view.
//! Without a built snippet (plain `cargo test`) empty placeholders keep the crate compiling.
use std::{env, fs, path::Path};

fn main() {
    let out = env::var("OUT_DIR").unwrap();
    // Read when the script runs, not baked in when it is compiled: a target dir shared by two
    // checkouts must not serve one checkout the other's snippet.
    let pkg = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("../snippet/pkg");
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for name in ["snippet.js", "snippet_bg.js", "snippet_bg.wasm", "widget.js"] {
        let src = pkg.join(name);
        println!("cargo:rerun-if-changed={}", src.display());
        let bytes = fs::read(&src).unwrap_or_else(|_| {
            println!("cargo:warning=snippet/pkg/{name} missing: run `make snippet`; serving an empty snippet");
            Vec::new()
        });
        if name != "snippet.js" {
            for b in &bytes {
                hash = (hash ^ *b as u64).wrapping_mul(0x100_0000_01b3); // FNV-1a
            }
        }
        fs::write(Path::new(&out).join(name), bytes).unwrap();
    }
    // 32 bits tell one release's files from another's; every hex digit is a loader byte on every page view.
    let short = |h: u64| format!("{:08x}", (h ^ (h >> 32)) as u32);
    println!("cargo:rustc-env=SNIPPET_HASH={}", short(hash));
}
