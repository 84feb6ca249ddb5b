//! `edgeref-structure ROOT`: checks a Rust source tree (the Worker's
//! `edge/src`) from its parsed syntax, not from regexes over its text:
//!
//! * no import cycle between files, no two-way tie between top-level modules, and no
//!   folder naming a file of another folder that serves requests (`graph.rs`);
//! * SQL statements only in `store.rs` and `db.rs`, and no function over 60 lines (`rules.rs`).
//!
//! Each violation is printed as `path:LINE: message`, the path relative to ROOT; the exit
//! code is 1 if there is any. Items under `#[cfg(test)]` and files named `tests.rs` are
//! not checked.

/// The `Visit` methods that step over items only tests compile (`#[cfg(test)]`), for each visitor here.
macro_rules! skip_test_only {
    () => {
        fn visit_item(&mut self, i: &'ast syn::Item) {
            if !crate::test_only(crate::item_attrs(i)) {
                syn::visit::visit_item(self, i);
            }
        }

        fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
            if !crate::test_only(crate::impl_item_attrs(i)) {
                syn::visit::visit_impl_item(self, i);
            }
        }

        fn visit_trait_item(&mut self, i: &'ast syn::TraitItem) {
            if !crate::test_only(crate::trait_item_attrs(i)) {
                syn::visit::visit_trait_item(self, i);
            }
        }
    };
}

mod graph;
mod rules;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use syn::{Attribute, ImplItem, Item, Meta, TraitItem};

/// One finding, printed as `file:LINE: message` (`; detail` after it, if any).
#[derive(Debug, Clone)]
pub struct Violation {
    pub file: String,
    pub line: usize,
    pub message: String,
    /// Where a cycle or tie goes through.
    pub detail: String,
}

impl Violation {
    /// A violation inside one file.
    pub fn at(file: &str, line: usize, message: String) -> Violation {
        Violation { file: file.to_string(), line, message, detail: String::new() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)?;
        if !self.detail.is_empty() {
            write!(f, "; {}", self.detail)?;
        }
        Ok(())
    }
}

/// The result of checking a tree: what is wrong, and what was looked at.
pub struct Report {
    pub violations: Vec<Violation>,
    pub root: PathBuf,
    pub files: usize,
    pub dependencies: usize,
}

impl Report {
    /// The one line printed when nothing is wrong.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} files, {} dependencies between them: no import cycle, no two-way tie between top-level modules, no folder using another's handlers, SQL only in store.rs/db.rs, no function over {} lines",
            self.root.display(),
            self.files,
            self.dependencies,
            rules::MAX_FN_LINES
        )
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root] = args.as_slice() else {
        eprintln!("usage: edgeref-structure ROOT");
        return ExitCode::from(2);
    };
    let root = PathBuf::from(root);
    match check(&root) {
        Ok(report) if report.violations.is_empty() => {
            println!("{}", report.summary());
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for v in &report.violations {
                println!("{v}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("edgeref-structure: {}: {e}", root.display());
            ExitCode::from(2)
        }
    }
}

/// Checks every `.rs` file under `root` (but `tests.rs`).
pub fn check(root: &Path) -> std::io::Result<Report> {
    let mut paths = Vec::new();
    rust_files(root, &mut paths)?;
    paths.sort();
    let mut violations = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        if rel == "tests.rs" || rel.ends_with("/tests.rs") {
            continue;
        }
        match syn::parse_file(&std::fs::read_to_string(&path)?) {
            Ok(ast) => {
                rules::check_file(&rel, &ast, &mut violations);
                files.push((rel, ast));
            }
            Err(e) => violations.push(Violation::at(&rel, e.span().start().line, format!("does not parse: {e}"))),
        }
    }
    let graph = graph::Graph::build(&files);
    graph.cycles(&mut violations);
    graph.ties(&mut violations);
    graph.handler_uses(&mut violations);
    Ok(Report { violations, root: root.to_path_buf(), files: files.len(), dependencies: graph.edge_count() })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether an item is compiled only for tests (`#[cfg(test)]`, `#[cfg(all(test, …))]`):
/// test code may use SQL, long tables and `use super::*`, so no rule looks inside it.
pub fn test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        Meta::List(list) if list.path.is_ident("cfg") => cfg_needs_test(list.tokens.clone()),
        _ => false,
    })
}

/// `test`, or `all(…)` with a `test` among its terms (`any`/`not` don't imply a test build).
fn cfg_needs_test(tokens: proc_macro2::TokenStream) -> bool {
    use proc_macro2::TokenTree;
    let mut tokens = tokens.into_iter().peekable();
    match tokens.next() {
        Some(TokenTree::Ident(id)) if id == "test" => tokens.peek().is_none(),
        Some(TokenTree::Ident(id)) if id == "all" => match tokens.next() {
            Some(TokenTree::Group(g)) => split_commas(g.stream()).into_iter().any(cfg_needs_test),
            _ => false,
        },
        _ => false,
    }
}

fn split_commas(tokens: proc_macro2::TokenStream) -> Vec<proc_macro2::TokenStream> {
    let mut parts = vec![proc_macro2::TokenStream::new()];
    for t in tokens {
        match &t {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => parts.push(proc_macro2::TokenStream::new()),
            _ => parts.last_mut().expect("never empty").extend([t]),
        }
    }
    parts
}

/// An item's attributes (syn has no accessor common to all kinds of item).
pub fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

pub fn impl_item_attrs(item: &ImplItem) -> &[Attribute] {
    match item {
        ImplItem::Const(i) => &i.attrs,
        ImplItem::Fn(i) => &i.attrs,
        ImplItem::Type(i) => &i.attrs,
        ImplItem::Macro(i) => &i.attrs,
        _ => &[],
    }
}

pub fn trait_item_attrs(item: &TraitItem) -> &[Attribute] {
    match item {
        TraitItem::Const(i) => &i.attrs,
        TraitItem::Fn(i) => &i.attrs,
        TraitItem::Type(i) => &i.attrs,
        TraitItem::Macro(i) => &i.attrs,
        _ => &[],
    }
}

/// The string literals among a macro's or an attribute's tokens (which syn leaves
/// unparsed), at any depth: `sql!(db, &format!("SELECT …"))` has one.
pub fn token_strings(tokens: proc_macro2::TokenStream, out: &mut Vec<syn::LitStr>) {
    for t in tokens {
        match t {
            proc_macro2::TokenTree::Group(g) => token_strings(g.stream(), out),
            proc_macro2::TokenTree::Literal(lit) => {
                if let syn::Lit::Str(s) = syn::Lit::new(lit) {
                    out.push(s);
                }
            }
            _ => {}
        }
    }
}
