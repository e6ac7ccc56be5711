//! SendGrid's Event Webhook: one object per event with `email`, `event`
//! (`bounce`, `dropped`, `deferred`, `blocked`, `spamreport`, ...), the
//! remote reply in `reason` (`response` for a deferral), `status`, and the
//! verdict `type` and `bounce_classification`. Source: SendGrid's "Event
//! Webhook Reference".

use super::{s, status_of, verdict_of, EventRecord, OrElseStr};
use serde_json::Value;

pub(super) fn detects(v: &Value) -> bool {
    v.get("sg_event_id").is_some() || (v.get("event").is_some() && v.get("email").is_some())
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    vec![event(v)]
}

fn event(v: &Value) -> EventRecord {
    let event = s(v, "event");
    let kind = s(v, "type");
    let class = s(v, "bounce_classification");
    let verdict = verdict_of(&[event, kind, class]);
    EventRecord {
        recipient: Some(s(v, "email").to_ascii_lowercase()),
        reply: s(v, "reason").or_else_str(s(v, "response")).to_string(),
        status: status_of(s(v, "status")),
        esp: "sendgrid",
        esp_verdict: verdict,
        complaint: event == "spamreport",
        not_a_failure: !matches!(
            event,
            "bounce" | "dropped" | "deferred" | "blocked" | "spamreport"
        ),
        // SendGrid's `bounce` event is a bounce (`type: bounce`) or a block
        // (`type: blocked`, a refusal it may retry); `dropped` is never sent.
        permanent: match (event, kind) {
            ("bounce", "bounce") | ("dropped", _) => Some(true),
            ("deferred", _) | ("bounce", "blocked") => Some(false),
            _ => None,
        },
        ..EventRecord::default()
    }
}
