use super::*;
use proptest::prelude::*;

fn stored(email: &str, code: &str, by: Option<&str>) -> Stored {
    Stored { email: email.into(), referral_code: code.into(), referred_by: by.map(Into::into), ..Stored::default() }
}

fn plan_of(csv: &str, known: &Known) -> Plan {
    plan(parse(csv.as_bytes()).unwrap(), known)
}

fn codes(p: &Plan) -> Vec<(usize, &str, &str)> {
    p.errors.iter().map(|e| (e.row, e.field.as_str(), e.code)).collect()
}

#[test]
fn a_bom_crlf_lf_and_cr_line_endings_and_quoted_quotes_all_read() {
    let file = parse("\u{feff}Key,EMAIL,Name\r\na,a@x.example,\"Ann \"\"the\"\" A\"\nb,b@x.example,\"two, \"\"quoted\"\"\"\rc,c@x.example,C\n".as_bytes()).unwrap();
    assert_eq!(file.errors, []);
    let names: Vec<_> = file.rows.iter().map(|r| (r.row, r.key.as_str(), r.name.clone().flatten())).collect();
    assert_eq!(names, [(2, "a", Some("Ann \"the\" A".into())), (3, "b", Some("two, \"quoted\"".into())), (4, "c", Some("C".into()))]);
}

#[test]
fn files_without_a_key_or_email_column_or_text_are_refused_whole() {
    assert_eq!(parse(b"email,name\nx@y.example,X\n").unwrap_err(), FileError::MissingColumn("key"));
    assert_eq!(parse(b"key,name\nx,X\n").unwrap_err(), FileError::MissingColumn("email"));
    assert_eq!(parse(b"").unwrap_err(), FileError::Empty);
    assert_eq!(parse(b"\xff\xfe\x00k").unwrap_err(), FileError::NotText);
    assert_eq!(parse(b"key,email,e-mail\n").unwrap_err(), FileError::DuplicateColumn("email".into()));
    assert_eq!(parse(br#"{"key": "a", "email": "a@x.example"}"#).unwrap_err(), FileError::MissingColumn("key"));
    let many = format!("key,email\n{}", "a,a@x.example\n".repeat(MAX_ROWS + 1));
    assert_eq!(parse(many.as_bytes()).unwrap_err(), FileError::TooManyRows);
    assert_eq!(FileError::TooManyRows.describe().0, 413);
    assert_eq!(FileError::MissingColumn("key").describe().0, 422);
}

#[test]
fn bad_cells_are_row_errors_with_their_row_field_and_code() {
    let long = "x".repeat(MAX_CELL_CHARS + 1);
    let csv = format!("key,email,name,referral_code,created_at\na,nope,,,\nb,b@x.example,{long},,\nc,c@x.example,,bad code,\nd,d@x.example,,,yesterday\ne,e@x.example\nf,f@x.example,,,\nf,f2@x.example,,,\n");
    let file = parse(csv.as_bytes()).unwrap();
    let got: Vec<_> = file.errors.iter().map(|e| (e.row, e.field.as_str(), e.code)).collect();
    assert_eq!(got, [(2, "email", "invalid"), (3, "name", "too_long"), (4, "referral_code", "invalid"), (5, "created_at", "invalid"), (6, "", "field_count"), (8, "key", "duplicate_key")]);
    assert_eq!(file.rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["f"]);
}

#[test]
fn every_documented_header_spelling_and_the_limits_are_exact() {
    let spellings = [
        ("key", Column::Key), ("Customer Key", Column::Key), ("email", Column::Email), ("E-mail", Column::Email),
        ("email_address", Column::Email), ("name", Column::Name), ("First Name", Column::Name), ("surname", Column::Surname),
        ("last_name", Column::Surname), ("referral_code", Column::ReferralCode), ("code", Column::ReferralCode),
        ("referred_by", Column::ReferredBy), ("referrer", Column::ReferredBy), ("referrer_key", Column::ReferredBy), ("created_at", Column::CreatedAt),
    ];
    for (header, column) in spellings {
        assert_eq!(column_for(header), Some(column), "{header}");
    }
    let file = parse(b"key,email,Last Name\na,a@x.example,Lee\n").unwrap();
    assert_eq!(file.rows[0].surname, Some(Some("Lee".to_owned())));
    // A cell of exactly the limit is judged by its column's own rule, one more is `too_long`.
    for (len, code) in [(MAX_CELL_CHARS, "invalid"), (MAX_CELL_CHARS + 1, "too_long")] {
        let csv = format!("key,email\na,{}@x.example\n", "e".repeat(len - "@x.example".len()));
        assert_eq!(parse(csv.as_bytes()).unwrap().errors[0].code, code, "{len} characters");
    }
    // The contract's numbers (DESIGN.md): 5 MiB and 20,000 rows a call.
    assert_eq!((MAX_FILE_BYTES, MAX_ROWS), (5_242_880, 20_000));
}

#[test]
fn the_store_looks_up_every_key_and_referrer_once_and_every_given_code() {
    let file = parse(b"key,email,referral_code,referred_by\nb,b@x.example,,zed\na,a@x.example,old-a,b\nc,c@x.example,old-c,b\n").unwrap();
    assert_eq!(named_keys(&file), ["a", "b", "c", "zed"]);
    assert_eq!(named_codes(&file), ["old-a", "old-c"]);
}

#[test]
fn referrers_resolve_in_any_order_in_the_file_or_among_stored_customers() {
    let mut known = Known::default();
    known.customers.insert("old".into(), stored("old@x.example", "oldcode", None));
    let p = plan_of("key,email,referred_by\nc,c@x.example,b\nb,b@x.example,a\na,a@x.example,old\nd,d@x.example,ghost\ne,e@x.example,d\n", &known);
    assert_eq!(codes(&p), [(5, "referred_by", "unknown_referrer"), (6, "referred_by", "unknown_referrer")]);
    assert_eq!((p.created, p.updated, p.unchanged), (3, 0, 0));
    assert_eq!(p.referrers, ["a", "b", "old"]);
}

#[test]
fn cycles_inside_the_file_and_through_stored_links_are_refused() {
    let mut known = Known::default();
    known.customers.insert("s1".into(), stored("s1@x.example", "s1code", Some("s2")));
    known.customers.insert("s2".into(), stored("s2@x.example", "s2code", None));
    let p = plan_of("key,email,referred_by\na,a@x.example,b\nb,b@x.example,a\nself,self@x.example,self\ns2,s2@x.example,s1\nok,ok@x.example,s1\n", &known);
    assert_eq!(codes(&p), [(2, "referred_by", "referral_cycle"), (3, "referred_by", "referral_cycle"), (4, "referred_by", "self_referral"), (5, "referred_by", "referral_cycle")]);
    assert_eq!(p.writes.iter().map(|w| w.key.as_str()).collect::<Vec<_>>(), ["ok"]);
}

#[test]
fn codes_are_kept_unique_and_stored_codes_and_referrers_are_not_moved() {
    let mut known = Known::default();
    known.customers.insert("ann".into(), stored("ann@x.example", "anncode", Some("bob")));
    known.customers.insert("bob".into(), stored("bob@x.example", "bobcode", None));
    known.code_holders.insert("bobcode".into(), "bob".into());
    let p = plan_of("key,email,referral_code,referred_by\nnew,new@x.example,bobcode,\nann,ann@x.example,other,\nann2,ann2@x.example,,\nann,ann@x.example,,\n", &known);
    assert_eq!(codes(&p), [(2, "referral_code", "code_taken"), (3, "referral_code", "code_mismatch"), (5, "key", "duplicate_key")]);
    let p = plan_of("key,email,referred_by\nann,ann@x.example,new\nnew,new@x.example,\nsam,Sam@X.example,new2\nnew2,sam@x.example,\n", &known);
    assert_eq!(codes(&p), [(2, "referred_by", "referrer_locked"), (4, "referred_by", "self_referral")]);
}

#[test]
fn unchanged_rows_are_counted_and_not_written() {
    let mut known = Known::default();
    known.customers.insert("ann".into(), Stored { name: Some("Ann".into()), ..stored("ann@x.example", "anncode", None) });
    let p = plan_of("key,email,name\nann,ann@x.example,Ann\n", &known);
    assert_eq!((p.created, p.updated, p.unchanged, p.writes.len()), (0, 0, 1, 0));
    let p = plan_of("key,email\nann,ann@x.example\n", &known);
    assert_eq!(p.unchanged, 1, "a missing name column keeps the stored name");
    let p = plan_of("key,email,name\nann,ann@x.example,\n", &known);
    assert_eq!((p.updated, p.writes[0].name.clone()), (1, None), "a blank name clears it");
    assert_eq!(p.writes[0].referral_code.as_deref(), Some("anncode"));
}

#[test]
fn a_stripe_customer_id_column_links_customers_and_a_blank_cell_keeps_the_link() {
    let mut known = Known::default();
    known.customers.insert("ann".into(), Stored { stripe_customer_id: Some("cus_Ann1".into()), ..stored("ann@x.example", "anncode", None) });
    let p = plan_of("key,email,Stripe Customer ID\nann,ann@x.example,\nbob,bob@x.example,cus_Bob2\ncat,cat@x.example,acct_1\n", &known);
    assert_eq!((p.created, p.unchanged), (1, 1), "ann keeps her link: unchanged");
    assert_eq!(p.writes[0].stripe_customer_id.as_deref(), Some("cus_Bob2"));
    assert_eq!(codes(&p), [(4, "stripe_customer_id", "invalid")]);
    let p = plan_of("key,email,stripe_customer_id\nann,ann@x.example,cus_Ann9\n", &known);
    assert_eq!((p.updated, p.writes[0].stripe_customer_id.as_deref()), (1, Some("cus_Ann9")));
}

#[test]
fn export_cells_that_look_like_formulas_are_escaped_and_read_back() {
    for f in ["=SUM(A1)", "+1", "-1", "@x", "\tx", "\rx"] {
        assert_eq!(escape_formula(f), format!("'{f}"));
        assert_eq!(unescape_formula(&escape_formula(f)), f);
    }
    assert_eq!(escape_formula("ann"), "ann");
    assert_eq!(unescape_formula("'plain"), "'plain");
    assert_eq!(csv_line(&[Cell::Text(Some("a,\"b\"")), Cell::Text(None), Cell::Int(-5), Cell::Time(0), Cell::Text(Some("=1"))]), "\"a,\"\"b\"\"\",,-5,1970-01-01T00:00:00.000Z,'=1\r\n");
    assert_eq!(header_line(&IMPORT_COLUMNS[..2]), "key,email\r\n");
}

#[test]
fn times_read_in_the_usual_shapes() {
    assert_eq!(parse_time("2024-05-01T12:00:00Z"), Some(1_714_564_800_000));
    assert_eq!(parse_time("2024-05-01 12:00:00"), Some(1_714_564_800_000));
    assert_eq!(parse_time("2024-05-01"), Some(1_714_521_600_000));
    assert_eq!(parse_time("1714564800000"), Some(1_714_564_800_000));
    assert_eq!(parse_time("-1"), None);
}

proptest! {
    /// Any text cell survives export and import unchanged (formula escaping included).
    #[test]
    fn any_name_round_trips_through_a_csv_line(name in "[=+@'\" ,a-zA-Z\\-]{0,2}[a-zA-Z0-9 ,;\"'=+@é€😀\\-]{1,40}") {
        let name = name.trim().to_owned();
        prop_assume!(!name.is_empty() && validate::name("name", &name, 200).is_ok());
        let text = format!("key,email,name\r\n{}", csv_line(&[Cell::Text(Some("k")), Cell::Text(Some("k@x.example")), Cell::Text(Some(&name))]));
        let file = parse(text.as_bytes()).unwrap();
        prop_assert_eq!(file.errors.len(), 0);
        prop_assert_eq!(file.rows[0].name.clone().flatten(), Some(name));
    }

    /// Whatever the referrer links, the plan never writes a circle and every row is counted once.
    #[test]
    fn plans_never_write_a_cycle_and_account_for_every_row(links in proptest::collection::vec(proptest::option::of(0usize..12), 1..12), stored_links in proptest::collection::vec(proptest::option::of(0usize..12), 12)) {
        let mut known = Known::default();
        for (i, l) in stored_links.iter().enumerate().skip(6) {
            // Stored customers 6..12 are referred by lower-numbered stored ones only: no stored cycle.
            let by = l.filter(|p| *p >= 6 && *p < i).map(|p| format!("c{p}"));
            known.customers.insert(format!("c{i}"), stored(&format!("c{i}@x.example"), &format!("code{i}"), by.as_deref()));
        }
        let mut csv = String::from("key,email,referred_by\n");
        for (i, l) in links.iter().enumerate() {
            csv += &format!("c{i},c{i}@x.example,{}\n", l.map(|p| format!("c{p}")).unwrap_or_default());
        }
        let p = plan_of(&csv, &known);
        prop_assert_eq!(p.created + p.updated + p.unchanged + p.errors.len(), links.len());
        let mut parent: HashMap<String, Option<String>> = known.customers.iter().map(|(k, s)| (k.clone(), s.referred_by.clone())).collect();
        for w in &p.writes {
            parent.insert(w.key.clone(), w.referred_by.clone());
        }
        for start in parent.keys() {
            let (mut at, mut steps) = (Some(start.clone()), 0);
            while let Some(k) = at {
                prop_assert!(steps <= parent.len(), "cycle through {}", start);
                prop_assert!(parent.contains_key(&k), "dangling referrer {}", k);
                at = parent[&k].clone();
                steps += 1;
            }
        }
    }
}

#[test]
fn exports_write_their_columns_with_times_numbers_and_escaped_text() {
    let t = export_table("customers").unwrap();
    assert!(t.header().starts_with("key,email,name,surname,referral_code,referred_by,created_at,"));
    let row = serde_json::json!({"key": "a", "email": "a@x.example", "name": "=HYPERLINK(\"x\")", "surname": null, "referral_code": "acode", "referred_by": null, "created_at": 0, "referrals_count": 2, "balance": -150, "updated_at": 1000.0, "stripe_customer_id": "cus_1"});
    assert_eq!(t.line(&row), "a,a@x.example,\"'=HYPERLINK(\"\"x\"\")\",,acode,,1970-01-01T00:00:00.000Z,2,-150,1970-01-01T00:00:01.000Z,cus_1\r\n");
    assert!(export_table("programs").is_none());
    // What the customers export writes, the import reads back.
    let file = parse(format!("{}{}", t.header(), t.line(&row)).as_bytes()).unwrap();
    assert_eq!(file.errors, []);
    assert_eq!((file.rows[0].name.clone().flatten().as_deref(), file.rows[0].created_at), (Some("=HYPERLINK(\"x\")"), Some(0)));
    for t in EXPORTS {
        assert_eq!(t.header().matches(',').count() + 1, t.columns.len());
    }
}
