//! Postal's webhooks (the open-source mail server): `{"event": ...,
//! "timestamp": ..., "payload": {...}, "uuid": ...}`. A delivery event
//! (`MessageSent`, `MessageDelayed`, `MessageDeliveryFailed`,
//! `MessageHeld`) has `payload.status` (`Sent`, `SoftFail`, `HardFail`,
//! `Held`), `payload.details` (Postal's sentence), `payload.output` (the
//! remote server's reply, cut at 512 characters) and `payload.message`
//! with `to`, the recipient. `MessageBounced` reports a bounce message that
//! came back (`payload.original_message`, `payload.bounce`) and carries no
//! reply. Postal's docs show the payload alone; both forms are read.
//!
//! Sources: Postal's docs (postalserver/docs content/en/developer/
//! webhooks.md, webhook-events-and-payloads.md) and its source
//! (postalserver/postal app/models/webhook_request.rb,
//! lib/postal/message_db/delivery.rb, message.rb).

use super::{address, s, verdict_of, EventRecord};
use serde_json::Value;

pub(super) fn detects(v: &Value) -> bool {
    let event = s(v, "event");
    (event.starts_with("Message") && v.get("payload").is_some_and(Value::is_object))
        || (v.get("status").is_some()
            && v["message"].get("to").is_some()
            && v.get("output").is_some())
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    let event = s(v, "event");
    let p = v.get("payload").filter(|p| p.is_object()).unwrap_or(v);
    if event == "MessageBounced" {
        return vec![EventRecord {
            recipient: address(s(&p["original_message"], "to")),
            esp: "postal",
            esp_verdict: event.to_string(),
            permanent: Some(true),
            ..EventRecord::default()
        }];
    }
    let status = s(p, "status");
    let mut reply = s(p, "output").trim().to_string();
    if reply.is_empty() {
        reply = s(p, "details").trim().to_string();
    }
    let verdict = verdict_of(&[event, status]);
    vec![EventRecord {
        recipient: address(s(&p["message"], "to")),
        reply,
        esp: "postal",
        esp_verdict: verdict,
        not_a_failure: status == "Sent" || event == "MessageSent",
        permanent: match status {
            "HardFail" => Some(true),
            "SoftFail" => Some(false),
            _ => None,
        },
        ..EventRecord::default()
    }]
}

#[cfg(test)]
mod tests {
    use super::super::read_event;
    use serde_json::json;

    #[test]
    fn the_envelope_and_the_bare_payload_read_alike() {
        let payload = json!({"status": "HardFail", "details": "Permanent SMTP delivery error when sending to mx.example.com (192.0.2.30)",
            "output": "550 5.1.1 user unknown", "sent_with_ssl": true,
            "message": {"id": 42, "to": "Alice@example.com", "from": "app@example.com"}});
        let envelope = json!({"event": "MessageDeliveryFailed", "timestamp": 1700000001.25, "payload": payload.clone()});
        for v in [envelope, payload] {
            let r = read_event(&v).unwrap();
            assert_eq!(r[0].esp, "postal");
            assert_eq!(r[0].recipient.as_deref(), Some("alice@example.com"));
            assert_eq!(r[0].reply, "550 5.1.1 user unknown");
            assert_eq!(r[0].permanent, Some(true));
        }
    }
}
