//! The mistakes a new rule author makes, one per file in `tests/mistakes/`,
//! each written into the same realistic rule (it imports the shipped
//! `core` pack, as the scaffold does). A file's header says what the
//! compiler must answer:
//!
//! ```text
//! # mistake: a misspelt field name
//! # expect: E0118 at 'confidance'
//! ```
//!
//! and the test holds it to exactly that: one error, with that code, whose
//! primary span starts where the quoted text first appears below the
//! header, and nothing else, not even a warning: no cascade. The rendered
//! report is an insta snapshot, to review as text a user reads.

use bouncedx_dsl::{compile_importing, Compilation, PackSource};
use std::path::{Path, PathBuf};

fn rulesets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rulesets")
}

/// A shipped pack, read from the repository (what the binary embeds).
fn shipped(name: &str) -> Option<PackSource> {
    let dir = rulesets().join(name);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bdx"))
        .map(|p| {
            (
                format!(
                    "rulesets/{name}/{}",
                    p.file_name().unwrap().to_string_lossy()
                ),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    Some(PackSource {
        name: name.into(),
        files,
    })
}

fn compile(name: &str, text: &str) -> Compilation {
    compile_importing(
        vec![PackSource {
            name: "acme".into(),
            files: vec![(name.into(), text.into())],
        }],
        &|p| {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no file {p}"),
            ))
        },
        &shipped,
        &["core", "providers"],
    )
}

/// (code, quoted text) from `# expect: CODE at 'TEXT'`.
fn expectation(text: &str) -> (String, String) {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect: "))
        .expect("a `# expect:` line");
    let (code, quoted) = line.split_once(" at ").expect("`CODE at 'TEXT'`");
    let q = quoted.trim();
    let inner = &q[1..q.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    (code.to_string(), out)
}

#[test]
fn each_mistake_is_one_error_at_its_place() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mistakes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bdx"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} mistake files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = format!(
            "tests/mistakes/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let (code, snippet) = expectation(&text);
        let body_start = text.match_indices('\n').nth(1).map(|(i, _)| i + 1).unwrap();
        let at = body_start
            + text[body_start..]
                .find(&snippet)
                .unwrap_or_else(|| panic!("{name}: {snippet:?} is not in the file"));
        let c = compile(&name, &text);
        let report = c.report.render(&c.sources, false);
        let own: Vec<_> = c
            .report
            .diagnostics
            .iter()
            .filter(|d| d.span.is_none_or(|s| c.sources.get(s.file).name == name))
            .collect();
        let ok = c.report.diagnostics.len() == 1
            && own.len() == 1
            && own[0].code == code
            && own[0].span.is_some_and(|s| s.start as usize == at);
        if !ok {
            failures.push(format!(
                "{name}: expected only {code} at byte {at}, got:\n{report}"
            ));
        }
        insta::with_settings!({snapshot_suffix => path.file_stem().unwrap().to_string_lossy().to_string(), input_file => path}, {
            insta::assert_snapshot!(report);
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
