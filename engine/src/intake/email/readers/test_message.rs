//! A test message: no bounce at all, but a message sent to a seed mailbox
//! to see how its authentication fared. When a message reads as no
//! delivery report (no mailer-daemon sender, no failure words) and carries
//! its own `Authentication-Results` headers (RFC 8601), the answer is what
//! those say: one record, for its addressee, with the SPF, DKIM and DMARC
//! verdicts.

use super::{Bounce, Reader, Reading};
use crate::intake::email::{Kind, Record};
use mail_parser::Message;

pub(super) const READER: Reader = Reader {
    name: "test_message",
    picks: |b| !looks_like_bounce(b.msg, b.report()),
    read,
};

fn read(bounce: &Bounce) -> Option<Reading> {
    let own: Vec<String> = bounce
        .header("Authentication-Results")
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let auth = crate::intake::auth_results::verdicts(own.iter().map(String::as_str));
    if auth.is_empty() {
        return None;
    }
    let clauses = auth
        .iter()
        .map(|a| a.clause.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let record = Record {
        recipient: bounce
            .msg
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|a| a.to_ascii_lowercase()),
        context: format!("Authentication-Results: {clauses}"),
        auth,
        ..Record::default()
    };
    Some(Reading::of(Kind::Message, vec![record]))
}

/// Whether a message reads as a delivery report at all: from a mailer
/// daemon or postmaster, a failure subject, or failure words in its text.
fn looks_like_bounce(msg: &Message, report: &str) -> bool {
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ["mailer-daemon", "postmaster", "mail-daemon", "bounce"]
        .iter()
        .any(|w| from.contains(w))
    {
        return true;
    }
    let subject = msg.subject().unwrap_or("").to_ascii_lowercase();
    let text = report.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "undeliver",
        "could not be delivered",
        "delivery failed",
        "delivery has failed",
        "returned mail",
        "failure notice",
        "permanent error",
        "did not reach",
        "not be delivered",
        "delivery status notification",
        "mail delivery",
        "not delivered",
        "delivery failure",
        "rejected",
        "failed",
    ];
    WORDS
        .iter()
        .any(|w| subject.contains(w) || text.contains(w))
}
