//! The module graph: file A depends on file B when A's code names an item of B's
//! module, through `use` (groups, `self`, renames and globs expanded), or a path in an
//! expression, type, pattern or macro (`crate::db::run(…)`, `super::store::get(…)`).
//! Declaring a child (`mod child;`) is not a dependency; using an item of it is.

use crate::{test_only, token_strings, Violation};
use proc_macro2::{Spacing, TokenStream, TokenTree};
use std::collections::{BTreeMap, HashMap, HashSet};
use syn::visit::{self, Visit};

/// A module path, `["programs", "store"]` for `crate::programs::store`.
type ModPath = Vec<String>;

/// Past this many elementary cycles the report says so instead of listing more
/// (a tangle that large needs untangling, not an allow list).
const MAX_CYCLES: usize = 500;

pub struct Graph {
    /// Files by their path under the root, sorted: a cycle is named from its first file.
    files: Vec<String>,
    /// (from, to) → the first line in `from` naming `to`'s module.
    edges: BTreeMap<(usize, usize), usize>,
    /// Which files serve requests: they declare a handler (a `pub fn` that answers with a `Response`).
    serves: Vec<bool>,
}

/// A file's module path: `a/mod.rs` → `a`, `a/b.rs` → `a::b`, `lib.rs` → the crate root.
pub fn module_path(rel: &str) -> ModPath {
    let mut parts: ModPath = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
    let last = parts.last().map(String::as_str);
    if last == Some("mod") || (parts.len() == 1 && matches!(last, Some("lib" | "main"))) {
        parts.pop();
    }
    parts
}

impl Graph {
    pub fn build(files: &[(String, syn::File)]) -> Graph {
        let modules: HashMap<ModPath, usize> = files.iter().enumerate().map(|(i, (rel, _))| (module_path(rel), i)).collect();
        let scans: Vec<Scan> = files.iter().map(|(rel, ast)| Scan::file(module_path(rel), ast)).collect();
        // `#[macro_export]` puts a macro at the crate root, wherever it is defined:
        // `crate::sql` names db.rs, not lib.rs.
        let macros: HashMap<&str, usize> =
            scans.iter().enumerate().flat_map(|(i, s)| s.macros.iter().map(move |m| (m.as_str(), i))).collect();
        let mut edges = BTreeMap::new();
        for (from, scan) in scans.iter().enumerate() {
            for r in &scan.refs {
                let Some(path) = scan.absolute(&r.scope, &r.segs, 0) else { continue };
                let Some(to) = locate(&modules, &macros, &path) else { continue };
                if to != from {
                    let line = edges.entry((from, to)).or_insert(r.line);
                    *line = (*line).min(r.line);
                }
            }
        }
        let serves = files.iter().map(|(_, ast)| ast.items.iter().any(is_handler)).collect();
        Graph { files: files.iter().map(|(rel, _)| rel.clone()).collect(), edges, serves }
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    fn edge(&self, from: usize, to: usize) -> String {
        format!("{}:{} → {}", self.files[from], self.edges[&(from, to)], self.files[to])
    }

    /// Every elementary cycle once, named from its first file in path order.
    pub fn cycles(&self, out: &mut Vec<Violation>) {
        let mut adjacent = vec![Vec::new(); self.files.len()];
        for &(from, to) in self.edges.keys() {
            adjacent[from].push(to);
        }
        let mut found = Vec::new();
        for start in 0..self.files.len() {
            let mut path = vec![start];
            circuits(start, &adjacent, &mut path, &mut found);
        }
        for cycle in found.iter().take(MAX_CYCLES) {
            let names: Vec<&str> = cycle.iter().chain([&cycle[0]]).map(|&f| self.files[f].as_str()).collect();
            let via: Vec<String> = cycle.iter().zip(cycle.iter().cycle().skip(1)).map(|(&a, &b)| self.edge(a, b)).collect();
            out.push(Violation {
                file: self.files[cycle[0]].clone(),
                line: self.edges[&(cycle[0], cycle[1])],
                message: format!("import cycle: {}", names.join(" → ")),
                detail: via.join(", "),
            });
        }
        if found.len() > MAX_CYCLES {
            let file = &self.files[found[MAX_CYCLES][0]];
            out.push(Violation::at(file, 1, format!("and more import cycles, not listed past the first {MAX_CYCLES}")));
        }
    }

    /// Top-level modules (`programs`, `codes`, …: a path's first segment) that depend on
    /// each other, whether or not through a file cycle: one example edge each way.
    pub fn ties(&self, out: &mut Vec<Violation>) {
        let top = |f: usize| module_path(&self.files[f]).first().cloned();
        // (from module, to module) → the first file edge, in path and line order.
        let mut between: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
        for &(from, to) in self.edges.keys() {
            if let (Some(a), Some(b)) = (top(from), top(to)) {
                if a != b {
                    between.entry((a, b)).or_insert((from, to));
                }
            }
        }
        for ((a, b), &(from, to)) in &between {
            if a < b {
                if let Some(&(back_from, back_to)) = between.get(&(b.clone(), a.clone())) {
                    out.push(Violation {
                        file: self.files[from].clone(),
                        line: self.edges[&(from, to)],
                        message: format!("two-way tie between top-level modules: {a} ↔ {b}"),
                        detail: format!("{}, {}", self.edge(from, to), self.edge(back_from, back_to)),
                            });
                }
            }
        }
    }
}

impl Graph {
    /// Files in a folder that name a file of another folder which serves requests: a
    /// folder's handlers are the router's to call; what other folders share goes in a
    /// file that answers no request (`service.rs`, `store.rs`, `model.rs`).
    pub fn handler_uses(&self, out: &mut Vec<Violation>) {
        let folder = |f: usize| self.files[f].split_once('/').map(|(top, _)| top);
        for (&(from, to), &line) in &self.edges {
            if let (Some(a), Some(b)) = (folder(from), folder(to)) {
                if a != b && self.serves[to] {
                    let message = format!("uses {}, which serves requests: share what {a} needs in a module that does not", self.files[to]);
                    out.push(Violation::at(&self.files[from], line, message));
                }
            }
        }
    }
}

/// A request handler: a `pub` or `pub(crate)` fn (not test-only) that answers with a `Response` and is
/// not given one (`with_cors(response, …)` only dresses one).
fn is_handler(item: &syn::Item) -> bool {
    struct NamesResponse(bool);
    impl<'ast> Visit<'ast> for NamesResponse {
        fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
            self.0 |= s.ident == "Response";
            visit::visit_path_segment(self, s);
        }
    }
    let syn::Item::Fn(f) = item else { return false };
    let (mut answers, mut given) = (NamesResponse(false), NamesResponse(false));
    answers.visit_return_type(&f.sig.output);
    f.sig.inputs.iter().for_each(|i| given.visit_fn_arg(i));
    !matches!(f.vis, syn::Visibility::Inherited) && !test_only(&f.attrs) && answers.0 && !given.0
}

/// The cycles through `path[0]` whose other files all come after it (so each cycle is
/// found once, from its first file), extending `path`.
fn circuits(start: usize, adjacent: &[Vec<usize>], path: &mut Vec<usize>, found: &mut Vec<Vec<usize>>) {
    let last = *path.last().expect("starts with start");
    for &next in &adjacent[last] {
        if found.len() > MAX_CYCLES {
            return;
        }
        if next == start {
            found.push(path.clone());
        } else if next > start && !path.contains(&next) {
            path.push(next);
            circuits(start, adjacent, path, found);
            path.pop();
        }
    }
}

/// The file of the deepest module on an absolute path (`programs::store::get` →
/// programs/store.rs; an item of an inline module → the file holding it).
fn locate(modules: &HashMap<ModPath, usize>, macros: &HashMap<&str, usize>, path: &[String]) -> Option<usize> {
    let deepest = (0..=path.len()).rev().find(|&n| modules.contains_key(&path[..n]))?;
    if deepest == 0 {
        if let Some(&file) = path.first().and_then(|name| macros.get(name.as_str())) {
            return Some(file);
        }
    }
    modules.get(&path[..deepest]).copied()
}

/// A path as written, in the module it was written in.
struct Ref {
    scope: ModPath,
    segs: Vec<String>,
    line: usize,
}

/// What one file names, and what it takes to resolve that.
struct Scan {
    /// The module being visited: the file's, then any inline `mod m { … }` inside it.
    scope: ModPath,
    refs: Vec<Ref>,
    /// (module, name brought in by `use`) → the path it was brought from, as written.
    imports: HashMap<(ModPath, String), Vec<String>>,
    /// Modules declared in this file (`mod x;`, `mod x { … }`), by absolute path.
    children: HashSet<ModPath>,
    /// `#[macro_export]` macros defined here.
    macros: Vec<String>,
}

impl Scan {
    fn file(scope: ModPath, ast: &syn::File) -> Scan {
        let mut scan = Scan { scope, refs: Vec::new(), imports: HashMap::new(), children: HashSet::new(), macros: Vec::new() };
        if !test_only(&ast.attrs) {
            scan.visit_file(ast);
        }
        scan
    }

    fn add(&mut self, segs: Vec<String>, line: usize) {
        self.refs.push(Ref { scope: self.scope.clone(), segs, line });
    }

    /// A path written in `scope`, made absolute, if it names something in this crate:
    /// `crate::`, `self::`, `super::` (as often as written, from the module the code is
    /// in: a/b.rs is `a::b`, its `super` is `a`), a child module (`store::get` in
    /// a/mod.rs), or a name that a `use` brought in (`store::get` after `use super::store`).
    /// Anything else is another crate's, or a local name.
    fn absolute(&self, scope: &ModPath, segs: &[String], depth: usize) -> Option<ModPath> {
        let first = segs.first()?.as_str();
        match first {
            "crate" => Some(segs[1..].to_vec()),
            "self" => Some([scope.as_slice(), &segs[1..]].concat()),
            "super" => {
                let up = segs.iter().take_while(|s| *s == "super").count();
                let base = scope.get(..scope.len().checked_sub(up)?)?;
                Some([base, &segs[up..]].concat())
            }
            _ if self.children.contains(&[scope.as_slice(), &segs[..1]].concat()) => Some([scope.as_slice(), segs].concat()),
            // `use a::b as a;` would loop: a few steps are plenty for real chains.
            _ if depth < 8 => {
                let from = self.imports.get(&(scope.clone(), first.to_string()))?;
                self.absolute(scope, &[from.as_slice(), &segs[1..]].concat(), depth + 1)
            }
            _ => None,
        }
    }

    /// Every path a `use` tree spells, and the names it brings in.
    fn use_tree(&mut self, tree: &syn::UseTree, mut prefix: Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix);
            }
            syn::UseTree::Name(n) => self.import(prefix, &n.ident, &n.ident),
            syn::UseTree::Rename(r) => self.import(prefix, &r.ident, &r.rename),
            syn::UseTree::Glob(g) => self.add(prefix, g.star_token.spans[0].start().line),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(t, prefix.clone())),
        }
    }

    /// `use prefix::ident as name;`: `self` in a group (`a::{self, b}`) is the prefix.
    fn import(&mut self, mut path: Vec<String>, ident: &syn::Ident, name: &syn::Ident) {
        let mut name = name.to_string();
        if ident == "self" {
            if name == "self" {
                name = path.last().cloned().unwrap_or_default();
            }
        } else {
            path.push(ident.to_string());
        }
        if name != "_" {
            self.imports.insert((self.scope.clone(), name), path.clone());
        }
        self.add(path, ident.span().start().line);
    }
}

impl<'ast> Visit<'ast> for Scan {
    skip_test_only!();

    /// A declaration only makes the name resolvable; an inline module's body is
    /// visited in that module's scope.
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.scope.push(m.ident.to_string());
        self.children.insert(self.scope.clone());
        for item in m.content.iter().flat_map(|(_, items)| items) {
            self.visit_item(item);
        }
        self.scope.pop();
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if u.leading_colon.is_none() {
            self.use_tree(&u.tree, Vec::new());
        }
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        if let Some(name) = &m.ident {
            if m.attrs.iter().any(|a| a.path().is_ident("macro_export")) {
                self.macros.push(name.to_string());
            }
        }
        visit::visit_item_macro(self, m);
    }

    /// `pub(in crate::a)` limits who may use an item; it uses nothing.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    /// One segment is a local name or an import already counted at its `use` (and
    /// never a module: modules are not values), so only longer paths add anything.
    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.leading_colon.is_none() && p.segments.len() > 1 {
            let segs = p.segments.iter().map(|s| s.ident.to_string()).collect();
            self.add(segs, p.segments[0].ident.span().start().line);
        }
        visit::visit_path(self, p);
    }

    /// Macro arguments are tokens to syn: find the paths in them (`json!({ "at": crate::ids::now_ms() })`).
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        for (segs, line) in token_paths(m.tokens.clone()) {
            self.add(segs, line);
        }
        visit::visit_macro(self, m);
    }

    /// A path in a string of an attribute is code too: `#[serde(with = "crate::http::x")]`.
    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        if a.path().is_ident("doc") {
            return;
        }
        if let syn::Meta::List(list) = &a.meta {
            let mut strings = Vec::new();
            token_strings(list.tokens.clone(), &mut strings);
            for s in strings {
                if let Ok(p) = s.parse::<syn::Path>() {
                    if p.leading_colon.is_none() && p.segments.len() > 1 {
                        self.add(p.segments.iter().map(|s| s.ident.to_string()).collect(), s.span().start().line);
                    }
                }
            }
        }
        visit::visit_attribute(self, a);
    }
}

/// `a::b::c` sequences of two or more identifiers in a token stream, at any depth,
/// with the line of their first one. `$crate::x` (in `macro_rules!`) reads as `crate::x`.
fn token_paths(tokens: TokenStream) -> Vec<(Vec<String>, usize)> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let colons = |i: usize| match (tokens.get(i), tokens.get(i + 1)) {
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) => {
            a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
        }
        _ => false,
    };
    // Not a path's start after `::` (`Vec::<u8>::new`, `::std`) or `.` (a method).
    let inside = |i: usize| {
        (i >= 2 && colons(i - 2)) || matches!(i.checked_sub(1).map(|p| &tokens[p]), Some(TokenTree::Punct(p)) if p.as_char() == '.')
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Group(g) => found.extend(token_paths(g.stream())),
            TokenTree::Ident(id) if !inside(i) => {
                let mut segs = vec![id.to_string()];
                while colons(i + 1) {
                    let Some(TokenTree::Ident(next)) = tokens.get(i + 3) else { break };
                    segs.push(next.to_string());
                    i += 3;
                }
                if segs.len() > 1 {
                    found.push((segs, id.span().start().line));
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}
