//! Postfix without its delivery-status part (older versions, or a relay
//! that dropped it): the report's "This is the mail system at host ..."
//! letter names each recipient at the start of a line, in angle brackets,
//! with the reply after a colon; an alias shows as `(expanded from ...)`:
//!
//! ```text
//! <ann@example.org> (expanded from <info@example.org>): host
//!     mx.example.org[192.0.2.25] said: 550 5.1.1 <ann@example.org>: Recipient
//!     address rejected: User unknown (in reply to RCPT TO command)
//! ```
//!
//! A local delivery agent writes no code at all (`<ann@example.org>:
//! cannot update mailbox /var/mail/ann for user ann. error writing
//! message: File too large`); the rules read the words.

use super::{angle_bracket_lines, records_for, Bounce, Reader, Reading};

pub(super) const READER: Reader = Reader {
    name: "postfix",
    picks: |b| b.family == Some("postfix"),
    read,
};

fn read(bounce: &Bounce) -> Option<Reading> {
    records_for(bounce, &angle_bracket_lines(bounce))
}
