//! Any other prose bounce, read without knowing its writer: every address
//! the report text names in a recipient position
//! ([`recipient_blocks`](crate::intake::email::recipients::recipient_blocks))
//! is a failed recipient, with the lines from it to the next recipient.
//! Addresses met only inside sentences ("please contact
//! helpdesk@example.org") are not. A report that names no recipient gives
//! one record for the returned message's addressee, or none named.

use super::{records_of, Bounce, Reader, Reading};
use crate::intake::email::recipients::{recipient_blocks, Mentions};
use crate::intake::email::Record;

pub(super) const READER: Reader = Reader {
    name: "prose",
    picks: |_| true,
    read,
};

fn read(bounce: &Bounce) -> Option<Reading> {
    let report = bounce.report();
    let blocks = recipient_blocks(report, &bounce.excluded, Mentions::InPosition);
    if blocks.is_empty() {
        let record = Record {
            recipient: bounce.original.as_ref().and_then(|o| o.to.first().cloned()),
            context: report.to_string(),
            ..Record::default()
        };
        return Some(Reading::bounce(vec![record]));
    }
    Some(Reading::bounce(records_of(report, blocks)))
}
