//! Golden tests: one small input per compiler diagnostic, in
//! `tests/errors/*.bdx`; the rendered report is an insta snapshot. Review a
//! changed snapshot as you would review code: does the message tell the
//! author what to do?

use bouncedx_dsl::{codes, compile_str, lints};
use std::collections::BTreeSet;

fn report_for(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let name = format!(
        "tests/errors/{}",
        path.file_name().unwrap().to_string_lossy()
    );
    let c = compile_str(&name, &text);
    let mut out = c.report.render(&c.sources, false);
    out.push_str(&format!(
        "{} error(s), {} warning(s)\n",
        c.report.errors(),
        c.report.warnings()
    ));
    out
}

#[test]
fn every_diagnostic_renders_as_reviewed() {
    insta::glob!("errors/*.bdx", |path| {
        insta::assert_snapshot!(report_for(path));
    });
}

/// Each golden file shows the diagnostic its name promises, and between them
/// they cover at least 40 distinct codes and lint ids.
#[test]
fn golden_files_cover_the_catalogue() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let report = report_for(&path);
        let stem = stem.split("__").next().unwrap_or_default().to_string();
        let expected = if let Some(rest) = stem.strip_prefix("W_") {
            format!("warning[{rest}]")
        } else if stem.starts_with('E') {
            format!("error[{}]", &stem[..5])
        } else {
            continue;
        };
        assert!(
            report.contains(&expected),
            "{stem}: expected `{expected}` in\n{report}"
        );
        seen.insert(expected);
    }
    let known: BTreeSet<String> = codes::ERRORS
        .iter()
        .map(|(c, _)| format!("error[{c}]"))
        .chain(lints::LINTS.iter().map(|(l, _)| format!("warning[{l}]")))
        .collect();
    for s in &seen {
        assert!(
            known.contains(s),
            "{s} is not in the catalogue (codes.rs / lints.rs)"
        );
    }
    assert!(
        seen.len() >= 40,
        "only {} distinct diagnostics have golden files",
        seen.len()
    );
}

/// Two typos thirty lines apart give two errors, each at its true line.
#[test]
fn independent_errors_are_all_reported_at_their_lines() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/errors/multi_two_typos_30_lines_apart.bdx");
    let text = std::fs::read_to_string(&path).unwrap();
    let c = compile_str("x.bdx", &text);
    let errors: Vec<_> = c
        .report
        .to_json(&c.sources)
        .into_iter()
        .filter(|d| d.code.starts_with('E'))
        .collect();
    assert_eq!(errors.len(), 2, "{:#?}", c.report.diagnostics);
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    assert_eq!(
        (errors[0].code, errors[0].line),
        ("E0104", line_of("gogle"))
    );
    assert_eq!(
        (errors[1].code, errors[1].line),
        ("E0108", line_of("rcpt_to"))
    );
    assert!(errors[1].line.unwrap() - errors[0].line.unwrap() >= 30);
    assert_eq!(errors[1].column, Some(14));
}

/// A syntax error in one item does not hide a name error in the next.
#[test]
fn recovery_resumes_at_the_next_item() {
    let src = "rule a {\n  when code\n}\nrule b {\n  category nope\n  when code 550\n  diagnosis \"x\"\n}\n";
    let c = compile_str("x.bdx", src);
    let codes: Vec<&str> = c
        .report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect();
    // rule `a` is still read after its broken `when`: it lacks a category
    // and a diagnosis too (E0207), and rule `b` is read in full.
    assert_eq!(codes, vec!["E0207", "E0207", "E0001", "E0101"]);
}

#[test]
fn oversized_file_is_refused_quickly() {
    let big = "# x\n".repeat(300_000);
    let c = compile_str("big.bdx", &big);
    assert_eq!(c.report.diagnostics[0].code, "E0005");
}

#[test]
fn pathological_nesting_is_an_error_not_a_hang() {
    let src = format!(
        "rule r {{ when {}code 550{} }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let start = std::time::Instant::now();
    let c = compile_str("deep.bdx", &src);
    assert!(c.report.diagnostics.iter().any(|d| d.code == "E0006"));
    // not a timing test of speed, only a guard against a hang
    assert!(start.elapsed().as_secs() < 10);
}
