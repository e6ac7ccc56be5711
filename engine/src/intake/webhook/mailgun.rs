//! Mailgun's webhooks (`event-data`, or the event itself as its Events API
//! returns it): `recipient`, `event` (`failed`, `complained`, ...),
//! `severity`, `reason`, and `delivery-status` with the remote `code`,
//! `enhanced-code` and `message` (or Mailgun's `description`). Source:
//! Mailgun's "Events" and "Webhooks" documentation.

use super::{s, status_of, EventRecord};
use serde_json::Value;

pub(super) fn detects(v: &Value) -> bool {
    v.get("event-data").is_some() || v.get("event").and_then(Value::as_str) == Some("failed")
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    vec![event(v.get("event-data").unwrap_or(v))]
}

fn event(d: &Value) -> EventRecord {
    let ds = &d["delivery-status"];
    let code = ds.get("code").and_then(Value::as_u64);
    let enhanced = s(ds, "enhanced-code");
    let mut reply = String::new();
    if let Some(c) = code {
        reply.push_str(&c.to_string());
        reply.push(' ');
    }
    if !enhanced.is_empty() {
        reply.push_str(enhanced);
        reply.push(' ');
    }
    let message = s(ds, "message");
    reply.push_str(if message.is_empty() {
        s(ds, "description")
    } else {
        message
    });
    let event = s(d, "event");
    EventRecord {
        recipient: Some(s(d, "recipient").to_ascii_lowercase()),
        reply: reply.trim().to_string(),
        status: status_of(enhanced),
        esp: "mailgun",
        esp_verdict: format!("{}/{}/{}", event, s(d, "severity"), s(d, "reason")),
        complaint: event == "complained",
        not_a_failure: !matches!(event, "failed" | "complained" | "rejected"),
        permanent: match s(d, "severity") {
            "permanent" => Some(true),
            "temporary" => Some(false),
            _ => None,
        },
        ..EventRecord::default()
    }
}
