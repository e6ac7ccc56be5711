//! Exim (and Gmail, which writes the same header): the failed addresses in
//! an `X-Failed-Recipients` header, and in the report each on a line of its
//! own, indented, under "The following address(es) failed:", with the
//! reason on the lines below it:
//!
//! ```text
//! A message that you sent could not be delivered to one or more of its
//! recipients. This is a permanent error. The following address(es) failed:
//!
//!   ann@example.org
//!     Unrouteable address
//! ```
//!
//! Its delay warning lists the addresses not yet delivered the same way,
//! under "The address to which the message has not yet been delivered
//! is:".
//!
//! The reason is often Exim's own words with no SMTP code at all
//! ("Unrouteable address", "mailbox is full", "retry timeout exceeded"):
//! the rules read those words.

use super::{outermost_lines, positioned_addresses, records_for, section, Bounce, Reader, Reading};
use crate::intake::email::recipients::{recipient_blocks, Mentions};

pub(super) const READER: Reader = Reader {
    name: "exim",
    picks: |b| {
        b.header("X-Failed-Recipients").next().is_some()
            || b.family == Some("exim")
            || HEADINGS
                .iter()
                .any(|h| crate::intake::reply::find_ci(b.report(), h).is_some())
    },
    read,
};

/// Headings of Exim's list of failed addresses ("The following
/// address(es) failed:", wrapped anywhere; "... address(es) deferred"),
/// and of its delay warning's list (deliver.c: "The address(es) to which
/// the message has not yet been delivered is/are:").
const HEADINGS: &[&str] = &[
    "following address(es)",
    "address(es) deferred",
    "to which the message has not yet been delivered",
];

/// Where a list ends: the returned message's marker, or the delay
/// warning's closing words.
const LIST_ENDS: &[&str] = &["-----", "no action is required on your part"];

fn read(bounce: &Bounce) -> Option<Reading> {
    let failed: Vec<String> = bounce
        .header("X-Failed-Recipients")
        .flat_map(|v| {
            crate::intake::scan::emails(v)
                .into_iter()
                .map(|e| e.0.to_ascii_lowercase())
        })
        .fold(Vec::new(), |mut out, a| {
            if !out.contains(&a) {
                out.push(a);
            }
            out
        });
    if failed.is_empty() {
        let listed = section(bounce.report(), HEADINGS, LIST_ENDS)
            .map(|lines| listed_addresses(&lines))
            .unwrap_or_default();
        return records_for(bounce, &listed);
    }
    // The header names them; the report's words about each are wherever it
    // mentions the address (or the whole report).
    let report = bounce.report();
    let mentioned = recipient_blocks(report, &bounce.excluded, Mentions::Any);
    let blocks = failed
        .into_iter()
        .map(|a| {
            let context = mentioned
                .iter()
                .find(|(b, _)| *b == a)
                .map_or_else(|| report.to_string(), |(_, c)| c.clone());
            (a, context)
        })
        .collect();
    Some(Reading::bounce(super::records_of(report, blocks)))
}

/// The addresses Exim lists, each first on its line at the list's own
/// indentation ([`outermost_lines`]: a reply below an address that quotes
/// another, `551 5.1.1 <x@y>: Recipient address rejected`, is its reason,
/// not another recipient);
/// an entry that is no address ("an undisclosed address") is named by the
/// address it was generated from, the one the sender wrote:
///
/// ```text
///   an undisclosed address
///     (generated from ann@example.org)
/// ```
fn listed_addresses(lines: &[&str]) -> Vec<String> {
    let mut out = positioned_addresses(&outermost_lines(lines));
    for pair in lines.windows(2) {
        let [entry, next] = pair else { continue };
        let entry_is_address = entry.contains('@');
        let generated = crate::intake::reply::find_ci(next, "(generated from ");
        if let (false, Some(at)) = (entry_is_address || entry.trim().is_empty(), generated) {
            if let Some((a, _)) = crate::intake::scan::emails(&next[at..]).into_iter().next() {
                let a = a.to_ascii_lowercase();
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
    }
    out
}
