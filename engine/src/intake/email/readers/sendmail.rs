//! Sendmail without a delivery-status part: the failed addresses listed
//! under a dashed heading, each with its reason, then the session
//! transcript where the remote server's reply names the address again:
//!
//! ```text
//!    ----- The following addresses had permanent fatal errors -----
//! <ann@example.org>
//!     (reason: 550 5.1.1 User unknown)
//!
//!    ----- Transcript of session follows -----
//! ... while talking to mx.example.org.:
//! >>> RCPT To:<ann@example.org>
//! <<< 550 5.1.1 <ann@example.org>... User unknown
//! ```
//!
//! An alias target is followed by the address it was `(expanded from: ...)`:
//! both are read, the second being the one the sender wrote. They are one
//! failure, and the transcript names only one of them (the address the
//! remote server was given, usually the original), so each takes the
//! other's lines too: a target whose own lines hold no reply still gets the
//! reason.

use super::super::recipients::{blocks_of, has_reply};
use super::{outermost_lines, positioned_addresses, records_of, section, Bounce, Reader, Reading};

pub(super) const READER: Reader = Reader {
    name: "sendmail",
    picks: |b| {
        HEADINGS
            .iter()
            .any(|h| crate::intake::reply::find_ci(b.report(), h).is_some())
    },
    read,
};

const HEADINGS: &[&str] = &[
    "the following addresses had permanent fatal errors",
    "the following addresses had transient non-fatal errors",
];

fn read(bounce: &Bounce) -> Option<Reading> {
    let (listed, aliases) = section(bounce.report(), HEADINGS, &["-----"])
        .map(|lines| listed_addresses(&lines))
        .unwrap_or_default();
    if listed.is_empty() {
        return None;
    }
    let report = bounce.report();
    let mut blocks = blocks_of(report, &listed);
    for (target, original) in &aliases {
        let at = |who: &str| blocks.iter().position(|(r, _)| r == who);
        let (Some(t), Some(o)) = (at(target), at(original)) else {
            continue;
        };
        // at most one direction applies: the side without a reply takes
        // the side with one
        for (to, from) in [(t, o), (o, t)] {
            if !has_reply(&blocks[to].1) && has_reply(&blocks[from].1) {
                let other = blocks[from].1.clone();
                blocks[to].1.push('\n');
                blocks[to].1.push_str(&other);
            }
        }
    }
    Some(Reading::bounce(records_of(report, blocks)))
}

/// The addresses listed, and after each alias target the address it was
/// expanded from, the one the sender wrote (a list knows its subscriber by
/// it); and the pairs (target, original):
///
/// ```text
/// <box17@mail.example.org>
///     (expanded from: <ann@example.org>)
/// ```
fn listed_addresses(lines: &[&str]) -> (Vec<String>, Vec<(String, String)>) {
    // the addresses at the list's own indentation ([`outermost_lines`]),
    // not one that its `(reason: 550 5.1.1 <x@y>... ...)` quotes
    let mut out = positioned_addresses(&outermost_lines(lines));
    let mut aliases = Vec::new();
    let mut last_target: Option<String> = None;
    for line in lines {
        let Some(at) = crate::intake::reply::find_ci(line, "expanded from") else {
            // the line of a listed address: the target of any expansion below
            let lower = line.to_ascii_lowercase();
            if out.iter().any(|a| lower.contains(a.as_str())) {
                last_target = positioned_addresses(&[*line])
                    .into_iter()
                    .next()
                    .or(last_target);
            }
            continue;
        };
        if let Some((a, _)) = crate::intake::scan::emails(&line[at..]).into_iter().next() {
            let a = a.to_ascii_lowercase();
            if let Some(target) = &last_target {
                if *target != a {
                    aliases.push((target.clone(), a.clone()));
                }
            }
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    (out, aliases)
}
