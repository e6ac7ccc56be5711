//! qmail: each failed address on a line of its own, in angle brackets and
//! followed by a colon, then what happened, often in qmail's own words and
//! with no SMTP code ("Sorry, no mailbox here by that name. (#5.1.1)",
//! "This address no longer accepts mail."):
//!
//! ```text
//! Hi. This is the qmail-send program at mx.example.net.
//! I'm afraid I wasn't able to deliver your message to the following addresses.
//! This is a permanent error; I've given up. Sorry it didn't work out.
//!
//! <ann@example.org>:
//! Sorry, no mailbox here by that name. (#5.1.1)
//! ```

use super::{angle_bracket_lines, records_for, Bounce, Reader, Reading};

pub(super) const READER: Reader = Reader {
    name: "qmail",
    picks: |b| {
        b.family == Some("qmail")
            || crate::intake::reply::find_ci(
                b.report(),
                "to deliver your message to the following addresses",
            )
            .is_some()
    },
    read,
};

fn read(bounce: &Bounce) -> Option<Reading> {
    records_for(bounce, &angle_bracket_lines(bounce))
}
