//! Lotus (IBM, HCL) Domino and Notes: the failed addresses under "was not
//! delivered to:", the reason under "because:", shared by all of them:
//!
//! ```text
//! Your message
//!
//!   Subject: November news
//!
//! was not delivered to:
//!
//!   ann@example.org
//!
//! because:
//!
//!   User ann (ann@example.org) not listed in Domino Directory
//! ```

use super::{positioned_addresses, records_for, section, Bounce, Reader, Reading};
use crate::intake::reply::find_ci;

pub(super) const READER: Reader = Reader {
    name: "domino",
    picks: |b| {
        matches!(b.family, Some("domino" | "notes"))
            || find_ci(b.report(), "was not delivered to:").is_some()
    },
    read,
};

fn read(bounce: &Bounce) -> Option<Reading> {
    let listed = section(bounce.report(), &["was not delivered to:"], &["because:"])
        .map(|lines| positioned_addresses(&lines))
        .unwrap_or_default();
    let mut reading = records_for(bounce, &listed)?;
    // the reason is said once, after the list: every recipient gets it
    let because = section(bounce.report(), &["because:"], &[])
        .map(|lines| lines.join("\n"))
        .unwrap_or_default();
    for r in &mut reading.records {
        if !because.trim().is_empty() && !r.context.contains(because.trim()) {
            r.context.push('\n');
            r.context.push_str(&because);
        }
    }
    Some(reading)
}
