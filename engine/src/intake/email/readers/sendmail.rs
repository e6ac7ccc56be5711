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
//! both are read, the second being the one the sender wrote.

use super::{positioned_addresses, records_for, section, Bounce, Reader, Reading};

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
    let listed = section(bounce.report(), HEADINGS, &["-----"])
        .map(|lines| listed_addresses(&lines))
        .unwrap_or_default();
    records_for(bounce, &listed)
}

/// The addresses listed, and after each alias target the address it was
/// expanded from, the one the sender wrote (a list knows its subscriber by
/// it):
///
/// ```text
/// <box17@mail.example.org>
///     (expanded from: <ann@example.org>)
/// ```
fn listed_addresses(lines: &[&str]) -> Vec<String> {
    let mut out = positioned_addresses(lines);
    for line in lines {
        let Some(at) = crate::intake::reply::find_ci(line, "expanded from") else {
            continue;
        };
        if let Some((a, _)) = crate::intake::scan::emails(&line[at..]).into_iter().next() {
            let a = a.to_ascii_lowercase();
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}
