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
        .map(|lines| positioned_addresses(&lines))
        .unwrap_or_default();
    records_for(bounce, &listed)
}
