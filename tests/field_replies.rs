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

use bouncedx::eval::{self, report::Report};
use std::path::Path;

/// (set, causes agreed on, rows): what has been reached so far.
const FLOORS: &[(&str, usize, usize)] = &[
    ("replies.tsv", 276, 319),
    ("replies-2.tsv", 162, 188),
    ("replies-3.tsv", 105, 116),
    ("replies-4.tsv", 61, 74),
    ("replies-5.tsv", 57, 66),
];

/// The share of answers at 0.9 or more that must name the right cause
/// (the promise is 95%; the third set, first run unseen, reads 93.8%).
const HIGH_BAR: f64 = 0.93;

#[test]
fn field_replies_keep_their_ground() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/field");
    let engine = bouncedx::default_engine();
    for &(set, floor, rows) in FLOORS {
        let cases = eval::load(&dir.join(set)).expect("the field set loads");
        assert_eq!(
            cases.len(),
            rows,
            "{set}: rows added or lost; update FLOORS"
        );
        let report = Report::new(set, &eval::score(&engine, &cases, false));
        eprintln!("{}", report.human(0));
        let agree = report.all.category.agree;
        assert!(
            agree >= floor,
            "{set}: the cause agrees for {agree} of {rows} rows, under the floor of {floor}"
        );
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
