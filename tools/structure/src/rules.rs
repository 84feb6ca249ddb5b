//! The per-file rules: SQL statements only in stores, no function over a screen.

use crate::{test_only, token_strings, Violation};
use syn::visit::{self, Visit};
use syn::{Block, Signature};

/// The longest a function may be, from the line of `fn` to its closing brace.
pub const MAX_FN_LINES: usize = 60;

/// Checks one parsed file (`rel`: its path under the root) for both rules.
pub fn check_file(rel: &str, ast: &syn::File, out: &mut Vec<Violation>) {
    if test_only(&ast.attrs) {
        return;
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let mut rules = Rules { rel, sql_allowed: name == "store.rs" || name == "db.rs", out };
    rules.visit_file(ast);
}

struct Rules<'a> {
    rel: &'a str,
    /// Stores and the D1 helpers are where SQL belongs.
    sql_allowed: bool,
    out: &'a mut Vec<Violation>,
}

impl Rules<'_> {
    fn function(&mut self, sig: &Signature, body: &Block) {
        let first = sig.fn_token.span.start().line;
        let lines = body.brace_token.span.close().end().line + 1 - first;
        if lines > MAX_FN_LINES {
            let message = format!("fn {} is {lines} lines long (at most {MAX_FN_LINES})", sig.ident);
            self.out.push(Violation::at(self.rel, first, message));
        }
    }

    fn string(&mut self, lit: &syn::LitStr) {
        let text = lit.value();
        let Some(at) = sql_at(&text).filter(|_| !self.sql_allowed) else { return };
        // The string, or, if long, from the statement on: enough to find it by.
        let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut shown = squeeze(&text);
        if shown.chars().count() > 60 {
            shown = squeeze(&text[at..]).chars().take(60).collect();
            shown = format!("{}{shown}…", if at > 0 { "…" } else { "" });
        }
        self.out.push(Violation::at(self.rel, lit.span().start().line, format!("SQL outside store.rs/db.rs: {shown:?}")));
    }
}

impl<'ast> Visit<'ast> for Rules<'_> {
    skip_test_only!();

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.function(&f.sig, &f.block);
        visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.function(&f.sig, &f.block);
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(body) = &f.default {
            self.function(&f.sig, body);
        }
        visit::visit_trait_item_fn(self, f);
    }

    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        self.string(lit);
    }

    /// Macro arguments are tokens to syn: `sql!(db, "…")`, `format!("…")`.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let mut strings = Vec::new();
        token_strings(m.tokens.clone(), &mut strings);
        strings.iter().for_each(|s| self.string(s));
        visit::visit_macro(self, m);
    }

    /// Doc comments are prose (they may show a query); other attributes' strings count.
    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        if a.path().is_ident("doc") {
            return;
        }
        if let syn::Meta::List(list) = &a.meta {
            let mut strings = Vec::new();
            token_strings(list.tokens.clone(), &mut strings);
            strings.iter().for_each(|s| self.string(s));
        }
        visit::visit_attribute(self, a);
    }
}

/// Whether a string holds an SQL statement anywhere in it: a statement's keywords as
/// whole words (any case) with what must follow them, so prose such as "select a
/// program" or "update the settings" is not one, while `"rows: SELECT id FROM t"` is.
/// Returns where the statement starts.
pub fn sql_at(text: &str) -> Option<usize> {
    let (starts, words): (Vec<usize>, Vec<String>) = words(text).into_iter().unzip();
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    // `INSERT OR IGNORE INTO`, `UPDATE OR REPLACE t SET`: the optional conflict clause.
    let or_clause = |i: usize| if word(i) == "OR" { i + 2 } else { i };
    let statement = (0..words.len()).find(|&i| match word(i) {
        "SELECT" => (i + 1..words.len()).any(|j| word(j) == "FROM" && is_table(word(j + 1))),
        "INSERT" => word(or_clause(i + 1)) == "INTO",
        "REPLACE" => word(i + 1) == "INTO",
        "DELETE" => word(i + 1) == "FROM",
        "UPDATE" => {
            // `UPDATE t SET`, `UPDATE main.t SET`, `UPDATE {table} SET`: one name, then SET.
            let from = or_clause(i + 1);
            let Some(len) = (from..words.len()).position(|j| word(j) == "SET") else { return false };
            let name = &words[from..from + len];
            name.iter().any(|w| is_table(w))
                && name.iter().all(|w| is_table(w) || matches!(w.as_str(), "." | "}" | "]"))
                && name.windows(2).all(|p| !(is_word(&p[0]) && is_word(&p[1])))
        }
        "CREATE" => {
            let j = if matches!(word(i + 1), "UNIQUE" | "TEMP" | "TEMPORARY" | "VIRTUAL") { i + 2 } else { i + 1 };
            matches!(word(j), "TABLE" | "INDEX" | "TRIGGER")
        }
        _ => false,
    });
    statement.map(|i| starts[i])
}

/// A table name, or what stands for one (`{t}`, `(` of a subquery, a quoted name).
fn is_table(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') || matches!(w, "{" | "(" | "\"" | "`" | "[")
}

fn is_word(w: &str) -> bool {
    w.starts_with(|c: char| c.is_alphanumeric() || c == '_')
}

/// Words (letters, digits, `_`) upper-cased, and every other non-space character
/// alone, each with its byte offset.
fn words(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut in_word = false;
    for (at, c) in text.char_indices() {
        if c.is_alphanumeric() || c == '_' {
            if !in_word {
                out.push((at, String::new()));
            }
            out.last_mut().expect("pushed").1.extend(c.to_uppercase());
            in_word = true;
        } else {
            in_word = false;
            if !c.is_whitespace() {
                out.push((at, c.to_string()));
            }
        }
    }
    out
}
