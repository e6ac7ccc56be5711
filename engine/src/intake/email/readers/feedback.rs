//! Complaint reports: not a failure but a recipient who called the message
//! spam.
//!
//! The standard is ARF (RFC 5965): `multipart/report;
//! report-type=feedback-report` with a `message/feedback-report` part whose
//! `Original-Rcpt-To` (or `Removal-Recipient`) names the complaining
//! recipient. Some feedback loops send plain notices instead: Microsoft's
//! JMRP ("complaint about message from <IP>"), Apple Mail's unsubscribe
//! request. When the report names nobody, the returned message's `To` is
//! the complainer.

use super::{Bounce, Reader, Reading};
use crate::intake::email::report::header_lines;
use crate::intake::email::{Kind, Record};
use crate::intake::scan;
use mail_parser::{Message, MimeHeaders};

pub(super) const READER: Reader = Reader {
    name: "feedback",
    picks: |b| {
        b.parts.feedback.is_some()
            || is_feedback_type(b.msg)
            || is_complaint_notice(b.msg, &b.parts.text)
    },
    read,
};

fn read(bounce: &Bounce) -> Option<Reading> {
    let report = bounce.parts.feedback.as_deref().unwrap_or("");
    let mut recipients: Vec<String> = header_lines(report)
        .into_iter()
        .filter(|(name, _)| name == "original-rcpt-to" || name == "removal-recipient")
        .flat_map(|(_, value)| scan::emails(&value).into_iter().map(|e| e.0))
        .collect();
    if recipients.is_empty() {
        if let Some(o) = &bounce.original {
            recipients = o.to.clone();
        }
    }
    if recipients.is_empty() {
        recipients.push(String::new());
    }
    let records = recipients
        .into_iter()
        .map(|r| Record {
            recipient: (!r.is_empty()).then(|| r.to_ascii_lowercase()),
            context: report.to_string(),
            ..Record::default()
        })
        .collect();
    Some(Reading::of(Kind::Feedback, records))
}

fn is_feedback_type(msg: &Message) -> bool {
    msg.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && c.attribute("report-type")
                .is_some_and(|r| r.eq_ignore_ascii_case("feedback-report"))
    })
}

/// Complaint notices that are not ARF: Microsoft JMRP's "complaint about
/// message from <IP>" and Apple Mail's unsubscribe request.
fn is_complaint_notice(msg: &Message, text: &str) -> bool {
    let subject = msg.subject().unwrap_or("").trim().to_ascii_lowercase();
    subject.starts_with("complaint about message from")
        || text.contains("sent this email to unsubscribe")
}
