//! Accuracy on the reference rejection texts: every row of
//! `../shared/reference/provider_messages.tsv` (placeholders filled in),
//! scored by `bouncedx eval`'s own code, as replies and inside the log
//! lines of each MTA the log reader knows (Postfix, Exim, Haraka, Exchange
//! message tracking). The diagnosed category must match the row's cause for at least
//! 90% of rows in each half (tune and validate, split by a hash of the row),
//! and the halves must be within 3 points of each other. Rows whose cause
//! is `other` count as matched when bouncedx names a cause outside the
//! seven named ones. The misses are printed.

use bouncedx::eval::{self, report::Report};
use std::path::Path;

const BAR: f64 = 0.90;
/// Most the halves may differ, in points.
const GAP: f64 = 3.0;

#[test]
fn categories_match_reference_causes() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/provider_messages.tsv");
    if !path.is_file() {
        eprintln!(
            "SKIPPED: {} is absent; the accuracy test needs ../shared",
            path.display()
        );
        return;
    }
    let cases = eval::load(&path).expect("the reference set loads");
    let engine = bouncedx::default_engine();
    let forms = [
        None,
        Some(eval::LogForm::Postfix),
        Some(eval::LogForm::Exim),
        Some(eval::LogForm::Haraka),
        Some(eval::LogForm::Exchange),
    ];
    for as_log in forms {
        let report = Report::new(
            "provider_messages.tsv",
            &eval::score(&engine, &cases, as_log),
        );
        eprintln!("{}", report.human(50));
        for (half, f) in [("tune", &report.tune), ("validate", &report.validate)] {
            let share = f.category.share().expect("labelled rows");
            assert!(
                share >= BAR,
                "{half} half{}: {:.1}% is under the bar of {:.0}%",
                as_log.map_or(String::new(), |f| format!(" as {} log lines", f.title())),
                share * 100.0,
                BAR * 100.0
            );
        }
        let gap = (report.tune.category.share().unwrap()
            - report.validate.category.share().unwrap())
        .abs()
            * 100.0;
        assert!(gap <= GAP, "the halves differ by {gap:.1} points");
    }
}
