//! Real replies from the field (`bench/field/`, committed with the repo):
//! rejections people pasted in public threads, labelled by collectors who
//! did not run bouncedx. They are the sets closest to mail no rule was
//! written against, so a change that loses ground on them is caught here.
//!
//! Each set must keep at least the causes it agrees on today ([`FLOORS`],
//! counted on the category), and answers at 0.9 or more must name the right
//! cause at least [`HIGH_BAR`] of the time. The bars are floors, not
//! targets: raise them when the packs improve, and say in the commit why
//! one is lowered.
//!
//! The source audits (`bench/audits/`: every entry of a source, labelled by
//! the source's own classes) were written from, so they measure nothing
//! unseen; they hold the ground each audit gained (the `audits` rows of
//! [`FLOORS`]).

use bouncedx::eval::{self, report::Report};
use std::path::Path;

/// (folder of `bench/`, set, causes agreed on, rows): what has been
/// reached so far. `field` holds the measuring sets, `audits` the source
/// audits.
const FLOORS: &[(&str, &str, usize, usize)] = &[
    ("field", "replies.tsv", 276, 319),
    ("field", "replies-2.tsv", 162, 188),
    ("field", "replies-3.tsv", 105, 116),
    ("field", "replies-4.tsv", 61, 74),
    ("field", "replies-5.tsv", 57, 66),
    ("audits", "sisimai-receivers.tsv", 483, 594),
    ("audits", "sisimai-mtas.tsv", 271, 344),
    ("audits", "newsletter-apps.tsv", 210, 257),
    ("audits", "gateways.tsv", 66, 78),
    ("audits", "regional-receivers.tsv", 44, 54),
    ("audits", "hosting-panels.tsv", 26, 35),
    ("audits", "marketing-platforms.tsv", 86, 127),
];

/// The share of answers at 0.9 or more that must name the right cause
/// (the promise is 95%; the third set, first run unseen, reads 93.8%).
const HIGH_BAR: f64 = 0.93;

/// Scores one labelled set of `bench/<folder>` and holds it to its floor of
/// causes agreed on; the report goes to stderr for the CI log.
fn score_with_floor(folder: &str, set: &str, floor: usize, rows: usize) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench")
        .join(folder)
        .join(set);
    let cases = eval::load(&path).expect("the set loads");
    assert_eq!(
        cases.len(),
        rows,
        "{folder}/{set}: rows added or lost; update its floor"
    );
    let report = Report::new(
        set,
        &eval::score(&bouncedx::default_engine(), &cases, false),
    );
    eprintln!("{}", report.human(0));
    let agree = report.all.category.agree;
    assert!(
        agree >= floor,
        "{folder}/{set}: the cause agrees for {agree} of {rows} rows, under the floor of {floor}"
    );
    report
}

#[test]
fn field_replies_keep_their_ground() {
    for &(folder, set, floor, rows) in FLOORS.iter().filter(|f| f.0 == "field") {
        let report = score_with_floor(folder, set, floor, rows);
        let high = &report
            .cause_bands
            .iter()
            .find(|(band, _)| band == "0.9 and up")
            .expect("the set has reasons too, so the cause bands are reported")
            .1;
        let share = high.share().expect("answers at 0.9 or more");
        assert!(
            share >= HIGH_BAR,
            "{set}: answers at 0.9 or more name the right cause {:.1}% of the time, under {:.0}%",
            share * 100.0,
            HIGH_BAR * 100.0
        );
    }
}

#[test]
fn source_audits_keep_their_ground() {
    for &(folder, set, floor, rows) in FLOORS.iter().filter(|f| f.0 == "audits") {
        score_with_floor(folder, set, floor, rows);
    }
}
