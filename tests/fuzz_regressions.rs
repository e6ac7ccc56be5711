//! Replays `fuzz/regressions/`: inputs that once broke `scan`'s reading
//! (found by the `fuzz/scan_input` target) and hostile shapes written by
//! hand (a gzip stream cut in half, a zstd frame claiming exabytes, JSON
//! nested 100,000 deep, an mbox of binary, a multipart 1,000 levels deep, a
//! 100 KB diagnostic line). Each goes through every input form as the fuzz
//! target sends it. None may panic, and none may vanish: in every form
//! each input gives a result, a counted line or an error that says why.
//! The snapshot lists what each gave, so a change in how hostile input is
//! answered is reviewed like code.

use bouncedx::scan::{every_form, Item};
use std::fmt::Write as _;

#[test]
fn hostile_inputs_are_answered_in_every_form() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fuzz/regressions exists")
        .map(|e| e.expect("readable entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    let engine = bouncedx::default_engine();
    let mut report = String::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).expect("readable input");
        writeln!(report, "{name}").unwrap();
        for (form, out) in every_form(&engine, &bytes) {
            let results = out
                .items
                .iter()
                .filter(|i| matches!(i, Item::Result(_)))
                .count();
            let first_error = out.items.iter().find_map(|i| match i {
                Item::Error(_, e) => Some(e.chars().take(90).collect::<String>()),
                Item::Result(_) | Item::Packed { .. } => None,
            });
            assert!(
                !out.items.is_empty() || out.lines > 0,
                "{name} as {form:?}: nothing came out and nothing was counted"
            );
            write!(
                report,
                "  {form:?}: {results} results, {} lines ({} skipped), {} documents",
                out.lines, out.skipped, out.documents
            )
            .unwrap();
            match first_error {
                Some(e) => writeln!(report, "; error: {e}").unwrap(),
                None => writeln!(report).unwrap(),
            }
        }
    }
    insta::assert_snapshot!(report);
}
