//! The standard: RFC 3464 delivery-status fields, one block per recipient.
//!
//! The fields come in a `message/delivery-status` part, or printed in the
//! body by MTAs that do not build the part (see
//! [`dsn::parse_fields`](crate::intake::dsn::parse_fields)). Each
//! recipient block is a record: the recipient is its `Original-Recipient`
//! or `Final-Recipient`, the reply its `Diagnostic-Code`. The report's
//! prose gives each recipient its words: the lines from the place it names
//! that recipient (before or after aliasing) to the next recipient's.

use super::{Bounce, Reader, Reading};
use crate::intake::dsn::{self, RecipientFields};
use crate::intake::email::recipients::{recipient_blocks, Mentions};
use crate::intake::email::Record;
use crate::intake::scan;

pub(super) const READER: Reader = Reader {
    name: "delivery_status",
    picks: |_| true,
    read,
};

fn read(bounce: &Bounce) -> Option<Reading> {
    let report = bounce.report();
    let fields = bounce
        .parts
        .delivery_status
        .as_deref()
        .map(dsn::parse_fields)
        .filter(|d| !d.recipients.is_empty())
        .or_else(|| {
            // Many MTAs print the fields in the body instead of a part.
            let d = dsn::parse_fields(report);
            (!d.recipients.is_empty()).then_some(d)
        })?;
    let blocks = recipient_blocks(report, &bounce.excluded, Mentions::Any);
    let alone = fields.recipients.len() == 1;
    let mut records = Vec::with_capacity(fields.recipients.len());
    for f in fields.recipients {
        // A report without a Diagnostic-Code whose only mention of the
        // recipient is its DSN fields printed in the body, with no reply:
        // the reply is elsewhere in the prose (Sendmail's transcript names
        // the local program, not the address), so a lone recipient gets the
        // whole report.
        let wordless = |c: &String| {
            f.diagnostic.is_none()
                && alone
                && crate::intake::reply::find_ci(c, "final-recipient:").is_some()
                && scan::find_code(c).is_none()
        };
        // The prose may name the address before or after aliasing.
        let context = [
            f.recipient(),
            f.final_recipient.as_deref(),
            f.original_recipient.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| blocks.iter().find(|(a, _)| a == r))
        .map(|(_, c)| c.clone())
        .unwrap_or_else(|| {
            if blocks.len() <= 1 {
                blocks
                    .first()
                    .map_or_else(|| report.to_string(), |(_, c)| c.clone())
            } else {
                String::new()
            }
        });
        let context = if wordless(&context) {
            report.to_string()
        } else {
            context
        };
        records.push(from_fields(f, context));
    }
    let mut reading = Reading::bounce(records);
    reading.reporting_mta = fields.reporting_mta;
    reading.writer = fields.writer;
    Some(reading)
}

fn from_fields(f: RecipientFields, context: String) -> Record {
    Record {
        recipient: f.recipient().map(str::to_string),
        action: f.action,
        status: f.status,
        remote_mta: f.remote_mta,
        diagnostic: f.diagnostic,
        verdict: f.verdict,
        context,
        auth: Vec::new(),
    }
}
