//! Postmark's bounce webhook and bounce API: `RecordType`, `Type`
//! (`HardBounce`, `SoftBounce`, ...), `TypeCode`, `Email`, the remote reply
//! in `Details` and Postmark's `Description`. Source: Postmark's "Bounce
//! webhook" and "Bounce types" documentation.

use super::s;
use super::EventRecord;
use serde_json::Value;

pub(super) fn detects(v: &Value) -> bool {
    v.get("RecordType").is_some() || v.get("TypeCode").is_some()
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    vec![event(v)]
}

fn event(v: &Value) -> EventRecord {
    let kind = s(v, "Type");
    let details = s(v, "Details");
    let description = s(v, "Description");
    EventRecord {
        recipient: Some(s(v, "Email").to_ascii_lowercase()),
        reply: if details.is_empty() {
            description.to_string()
        } else {
            details.to_string()
        },
        status: None,
        esp: "postmark",
        esp_verdict: format!("{}/{}", kind, s(v, "Name")),
        complaint: kind == "SpamComplaint",
        not_a_failure: matches!(kind, "AutoResponder" | "Subscribe" | "Unsubscribe"),
        permanent: match kind {
            "HardBounce" | "BadEmailAddress" | "ManuallyDeactivated" => Some(true),
            "SoftBounce" | "Transient" | "DnsError" => Some(false),
            _ => None,
        },
        ..EventRecord::default()
    }
}
