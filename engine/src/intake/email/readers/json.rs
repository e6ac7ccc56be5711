//! JSON notifications mailed instead of posted: Amazon SES (and others)
//! can send their bounce, complaint and delivery events to an address, the
//! body a JSON document. It is read with the [webhook](crate::intake::webhook)
//! reader; each recipient it names is a record with the ESP's own verdict.

use super::{Bounce, Reader, Reading};
use crate::intake::email::{Kind, Record};

pub(super) const READER: Reader = Reader {
    name: "json",
    picks: |b| b.parts.text.trim_start().starts_with('{'),
    read,
};

fn read(bounce: &Bounce) -> Option<Reading> {
    let events = json_notification(&bounce.parts.text)?;
    let kind = if events.iter().any(|e| e.complaint) {
        Kind::Feedback
    } else {
        Kind::Bounce
    };
    let records = events
        .into_iter()
        .map(|e| Record {
            recipient: e.recipient,
            action: Some(
                if e.not_a_failure {
                    "delivered"
                } else {
                    "failed"
                }
                .into(),
            ),
            status: e.status,
            remote_mta: None,
            verdict: Some(format!("{}/{}", e.esp, e.esp_verdict)),
            diagnostic: (!e.reply.is_empty()).then_some(e.reply),
            context: String::new(),
            auth: Vec::new(),
        })
        .collect();
    Some(Reading::of(kind, records))
}

/// A JSON notification in the body (Amazon SES bounce, complaint or
/// delivery mailed to an address).
fn json_notification(text: &str) -> Option<Vec<crate::intake::webhook::EventRecord>> {
    let t = text.trim();
    if !t.starts_with('{') {
        return None;
    }
    // The first JSON value; text after it (SNS footers) is ignored. Mailers
    // may wrap long lines ("\n " continuations); try again unwrapped.
    let first = |s: &str| {
        serde_json::Deserializer::from_str(s)
            .into_iter::<serde_json::Value>()
            .next()
            .and_then(Result::ok)
    };
    let v = first(t).or_else(|| first(&t.replace("\r\n ", "").replace("\n ", "")))?;
    crate::intake::webhook::read_event(&v)
        .ok()
        .filter(|r| !r.is_empty())
}
