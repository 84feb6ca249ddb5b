//! Small trees with one planted fault each: the check must fail naming the file (the
//! faults the regex check it replaced could not see), and pass on a clean tree.

use crate::check;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A source tree in a fresh temporary directory, removed when dropped.
struct Tree(PathBuf);

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("edgeref-structure-{}-{n}", std::process::id()));
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Tree(root)
    }

    /// The check's output lines.
    fn lines(&self) -> Vec<String> {
        check(&self.0).unwrap().violations.iter().map(ToString::to_string).collect()
    }

    /// Asserts the output has exactly one line, at `file:line`, holding `text`.
    fn fails(&self, at: &str, text: &str) {
        let lines = self.lines();
        assert!(lines.len() == 1 && lines[0].starts_with(&format!("{at}: ")) && lines[0].contains(text), "expected {at}: …{text}…, got {lines:#?}");
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const LIB: (&str, &str) = ("lib.rs", "mod a;\nmod x;\n");

#[test]
fn a_cycle_through_super_between_two_sibling_files() {
    let tree = Tree::new(&[
        LIB,
        ("x.rs", ""),
        ("a/mod.rs", "mod b;\nmod c;\n"),
        ("a/b.rs", "use super::c::f;\npub fn g() {\n    f()\n}\n"),
        ("a/c.rs", "pub fn f() {\n    super::b::g()\n}\n"),
    ]);
    tree.fails("a/b.rs:1", "import cycle: a/b.rs → a/c.rs → a/b.rs");
}

#[test]
fn a_cycle_through_a_group_import_with_self() {
    let tree = Tree::new(&[
        LIB,
        ("x.rs", ""),
        ("a/mod.rs", "pub mod b;\npub mod x;\npub fn f() {}\n"),
        ("a/b.rs", "pub fn g() {\n    crate::a::x::h()\n}\n"),
        ("a/x.rs", "use crate::a::{self, b};\npub fn h() {\n    a::f();\n    b::g();\n}\n"),
    ]);
    tree.fails("a/b.rs:2", "import cycle: a/b.rs → a/x.rs → a/b.rs");
}

#[test]
fn a_parent_using_its_child_which_uses_the_parent() {
    let tree = Tree::new(&[
        LIB,
        ("x.rs", ""),
        ("a/mod.rs", "mod child;\npub struct Top;\npub fn f() -> u8 {\n    child::g()\n}\n"),
        ("a/child.rs", "use super::Top;\npub fn g() -> u8 {\n    let _ = Top;\n    1\n}\n"),
    ]);
    tree.fails("a/child.rs:1", "import cycle: a/child.rs → a/mod.rs → a/child.rs");
}

#[test]
fn a_cycle_through_super_super_and_a_renamed_import() {
    let tree = Tree::new(&[
        LIB,
        ("x.rs", ""),
        ("a/mod.rs", "mod b;\nmod x;\n"),
        ("a/b/mod.rs", "mod c;\n"),
        ("a/b/c.rs", "use super::super::x as other;\npub fn f() {\n    other::g()\n}\n"),
        ("a/x.rs", "pub fn g() {}\npub fn h() {\n    crate::a::b::c::f()\n}\n"),
    ]);
    tree.fails("a/b/c.rs:1", "import cycle: a/b/c.rs → a/x.rs → a/b/c.rs");
}

#[test]
fn sql_in_the_middle_of_a_string_outside_a_store() {
    let tree = Tree::new(&[
        LIB,
        ("x.rs", ""),
        ("a/mod.rs", "pub mod store;\npub const LOG: &str = \"rows: SELECT id FROM t\";\n"),
        ("a/store.rs", "pub const Q: &str = \"SELECT id FROM t\";\n"),
    ]);
    tree.fails("a/mod.rs:2", "SQL outside store.rs/db.rs: \"rows: SELECT id FROM t\"");
}

#[test]
fn sql_inside_a_macro_outside_a_store() {
    let tree = Tree::new(&[
        LIB,
        ("x.rs", "pub fn f(db: &str) {\n    sql!(db, r#\"delete from \"t\" where id = ?1\"#, 7);\n}\n"),
        ("a/mod.rs", ""),
    ]);
    tree.fails("x.rs:2", "SQL outside store.rs/db.rs: \"delete from \\\"t\\\" where id = ?1\"");
}

/// A function of `lines` lines, from `fn` to its closing brace.
fn function(name: &str, lines: usize) -> String {
    format!("fn {name}() {{\n{}}}\n", "    let _ = 1;\n".repeat(lines - 2))
}

#[test]
fn a_function_of_61_lines_but_not_one_of_60() {
    let text = format!("{}\nimpl S {{\n{}}}\npub struct S;\n", function("fits", 60), function("long", 61));
    let tree = Tree::new(&[LIB, ("x.rs", &text), ("a/mod.rs", "")]);
    tree.fails("x.rs:63", "fn long is 61 lines long (at most 60)");
}

#[test]
fn two_top_level_modules_tied_both_ways_without_a_file_cycle() {
    let tree = Tree::new(&[
        LIB,
        ("a/mod.rs", "mod m;\nmod n;\n"),
        ("a/m.rs", "pub fn f() {\n    crate::x::g()\n}\n"),
        ("a/n.rs", "pub fn h() {}\n"),
        ("x.rs", "pub fn g() {}\npub fn i() {\n    crate::a::n::h()\n}\n"),
    ]);
    tree.fails("a/m.rs:2", "two-way tie between top-level modules: a ↔ x; a/m.rs:2 → x.rs, x.rs:3 → a/n.rs");
}

#[test]
fn a_folder_using_another_folders_handlers() {
    let served = "pub mod service;\npub(crate) async fn get(_: Request) -> Result<Response, ()> {\n    Err(())\n}\npub fn shared() {}\n";
    let tree = Tree::new(&[
        ("lib.rs", "mod a;\nmod b;\nmod router;\n"),
        ("a/mod.rs", "mod m;\n"),
        ("a/m.rs", "pub fn f() {\n    crate::b::service::g();\n    crate::b::shared();\n}\n"),
        ("b/mod.rs", served),
        // Dressing a response is not answering a request.
        ("b/service.rs", "pub fn g() {}\npub fn with_cors(r: Response) -> Response {\n    r\n}\n"),
        // Routing to handlers is the root's job.
        ("router.rs", "pub fn route() {\n    let _ = crate::b::get;\n}\n"),
    ]);
    tree.fails("a/m.rs:3", "uses b/mod.rs, which serves requests");
}

#[test]
fn a_clean_tree_passes() {
    let tree = Tree::new(&[
        // A child using its parent, declared by it (a declaration is no dependency);
        // a macro exported from db.rs, named through the crate root.
        ("lib.rs", "mod a;\nmod db;\nmod x;\npub fn root() {\n    a::f();\n}\n"),
        ("db.rs", "#[macro_export]\nmacro_rules! sql {\n    ($q:expr) => { $crate::db::run($q) };\n}\npub fn run(q: &str) -> &str {\n    q\n}\n"),
        ("a/mod.rs", "pub mod store;\nmod view;\npub struct Program;\npub fn f() {}\n"),
        ("a/view.rs", "use super::Program;\n/// Runs `SELECT id FROM t` (a doc comment, not a string).\npub fn show(_: Program) -> &'static str {\n    \"Select a program, then update the settings.\"\n}\n"),
        ("a/store.rs", "use crate::sql;\npub fn get() -> &'static str {\n    sql!(\"SELECT id FROM programs\")\n}\n"),
        ("x.rs", &format!("{}\n#[cfg(test)]\nmod tests {{\n    use crate::x::*;\n    const Q: &str = \"DELETE FROM t\";\n}}\n", function("fits", 60))),
        // Test files are not checked.
        ("a/tests.rs", "use super::*;\nconst Q: &str = \"INSERT INTO t VALUES (1)\";\n"),
    ]);
    let report = check(&tree.0).unwrap();
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert_eq!((report.files, report.dependencies), (6, 3));
}

#[test]
fn sql_statements_and_prose() {
    use crate::rules::sql_at;
    for sql in [
        "SELECT id FROM t",
        "rows: select count(*) AS n from {table} WHERE x",
        "INSERT OR IGNORE INTO t VALUES (?1)",
        "replace into t",
        "UPDATE main.t SET a = 1",
        "UPDATE {table} SET a = 1",
        "DELETE FROM t",
        "CREATE UNIQUE INDEX i ON t (a)",
        "create table t (a)",
        "CREATE TRIGGER x AFTER INSERT ON t",
    ] {
        assert!(sql_at(sql).is_some(), "{sql}");
    }
    assert_eq!(sql_at("rows: select id from t"), Some(6));
    for prose in ["select a program", "update the program's settings", "delete it from the list", "created a table", "Inserted into", "selected FROM"] {
        assert_eq!(sql_at(prose), None, "{prose}");
    }
}
