//! SparkPost's webhooks (also Bird's): a batch is an array of
//! `{"msys": {"<class>": {event}}}`, the class (`message_event`,
//! `gen_event`, `track_event`, ...) wrapping an event whose `type` says
//! what happened (`bounce`, `out_of_band`, `delay`, `policy_rejection`,
//! `generation_failure`, `generation_rejection`, `spam_complaint`,
//! `delivery`, `injection`, ...). A failure carries the recipient
//! (`raw_rcpt_to`, `rcpt_to` in lower case), the remote reply
//! (`raw_reason`; `reason` masks addresses and IPs), `error_code`, the IP
//! SparkPost sent from (`sending_ip`) and its classification
//! `bounce_class`, a number written as a string, from the published table
//! below. An empty `{"msys": {}}` is the ping SparkPost sends to test a
//! webhook: nothing to read.
//!
//! Sources: SparkPost's "Event Types" and "Webhooks" API reference
//! (developers.sparkpost.com/api/webhooks/, /api/events/), its "Bounce
//! Classification Codes" article (support.sparkpost.com/docs/deliverability/
//! bounce-classification-codes, SparkPost/support-docs content/docs/
//! deliverability/bounce-classification-codes.md), and the event models of
//! its own Java and Go clients (java-sparkpost model/webhook/event/,
//! gosparkpost events/), which name every field.

use super::{address, s, some_text, text_of, EventRecord};
use serde_json::Value;

/// SparkPost's bounce classes: code, name, and its category (Hard, Soft,
/// Block, Admin, Undetermined). "Soft, block and undetermined are usually
/// temporary events"; hard and admin are the ones to suppress on.
const CLASSES: &[(&str, &str, Category)] = &[
    ("1", "Undetermined", Category::Undetermined),
    ("10", "Invalid Recipient", Category::Hard),
    ("20", "Soft Bounce", Category::Soft),
    ("21", "DNS Failure", Category::Soft),
    ("22", "Mailbox Full", Category::Soft),
    ("23", "Too Large", Category::Soft),
    ("24", "Timeout", Category::Soft),
    ("25", "Admin Failure", Category::Admin),
    ("30", "Generic Bounce: No RCPT", Category::Hard),
    ("40", "Generic Bounce", Category::Soft),
    ("50", "Mail Block", Category::Block),
    ("51", "Spam Block", Category::Block),
    ("52", "Spam Content", Category::Block),
    ("53", "Prohibited Attachment", Category::Block),
    ("54", "Relaying Denied", Category::Block),
    ("60", "Auto-Reply", Category::Soft),
    ("70", "Transient Failure", Category::Soft),
    ("80", "Subscribe", Category::Admin),
    ("90", "Unsubscribe", Category::Hard),
    ("100", "Challenge-Response", Category::Soft),
];

#[derive(Clone, Copy, PartialEq)]
enum Category {
    Hard,
    Soft,
    Block,
    Admin,
    Undetermined,
}

/// The event types that report a message that failed, or is delayed.
const FAILURES: &[&str] = &[
    "bounce",
    "out_of_band",
    "delay",
    "policy_rejection",
    "generation_failure",
    "generation_rejection",
];

pub(super) fn detects(v: &Value) -> bool {
    v.get("msys").is_some_and(Value::is_object)
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    // one class key per wrapper; the event's own `type` says what it is,
    // as SparkPost's Go client reads it
    let Some(e) = v["msys"].as_object().and_then(|m| m.values().next()) else {
        return Vec::new();
    };
    let kind = s(e, "type");
    let recipient = address(s(e, "raw_rcpt_to")).or_else(|| address(s(e, "rcpt_to")));
    let class = text_of(e, "bounce_class");
    let known = CLASSES.iter().find(|(code, ..)| *code == class);
    let verdict = match (known, class.is_empty()) {
        (Some((code, name, _)), _) => format!("{kind}/{code} {name}"),
        (None, false) => format!("{kind}/{class}"),
        (None, true) => kind.to_string(),
    };
    let mut reply = s(e, "raw_reason").trim().to_string();
    if reply.is_empty() {
        reply = s(e, "reason").trim().to_string();
    }
    if reply.is_empty() {
        reply = text_of(e, "error_code");
    }
    let failure = FAILURES.contains(&kind);
    vec![EventRecord {
        recipient,
        reply,
        esp: "sparkpost",
        esp_verdict: verdict,
        complaint: kind == "spam_complaint",
        auto_reply: class == "60",
        not_a_failure: !failure && kind != "spam_complaint",
        permanent: match (kind, known.map(|k| k.2)) {
            ("delay", _) => Some(false),
            (_, Some(Category::Hard | Category::Admin)) => Some(true),
            (_, Some(Category::Soft | Category::Block)) => Some(false),
            _ => None,
        },
        client_ip: some_text(e, "sending_ip"),
        ..EventRecord::default()
    }]
}

#[cfg(test)]
mod tests {
    use super::super::read_event;
    use serde_json::json;

    #[test]
    fn a_batch_gives_one_record_per_event_with_its_class_named() {
        let batch = json!([
            {"msys": {}},
            {"msys": {"message_event": {"type": "bounce", "bounce_class": "10", "error_code": "550",
                "raw_reason": "550 5.1.1 <Ann@example.com>: Recipient address rejected: User unknown",
                "reason": "550 5.1.1 <...@example.com>: Recipient address rejected: User unknown",
                "rcpt_to": "ann@example.com", "raw_rcpt_to": "Ann@example.com", "sending_ip": "192.0.2.10"}}},
            {"msys": {"message_event": {"type": "delay", "bounce_class": "21", "raw_reason": "451 4.4.0 DNS lookup temporarily failed", "rcpt_to": "bob@example.com"}}},
            {"msys": {"message_event": {"type": "spam_complaint", "fbtype": "abuse", "rcpt_to": "cat@example.com"}}},
            {"msys": {"message_event": {"type": "delivery", "rcpt_to": "dan@example.com"}}},
        ]);
        let r = read_event(&batch).unwrap();
        assert_eq!(r.len(), 4, "the ping gives nothing");
        assert_eq!(r[0].recipient.as_deref(), Some("ann@example.com"));
        assert!(
            r[0].reply.starts_with("550 5.1.1 <Ann@example.com>"),
            "raw_reason, unmasked"
        );
        assert_eq!(r[0].esp_verdict, "bounce/10 Invalid Recipient");
        assert_eq!(r[0].permanent, Some(true));
        assert_eq!(r[0].client_ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(r[1].esp_verdict, "delay/21 DNS Failure");
        assert_eq!(r[1].permanent, Some(false));
        assert!(r[2].complaint);
        assert!(r[3].not_a_failure);
    }

    #[test]
    fn a_class_outside_the_table_is_kept_as_written() {
        let e = json!({"msys": {"message_event": {"type": "bounce", "bounce_class": 26, "rcpt_to": "a@example.com", "error_code": 554}}});
        let r = read_event(&e).unwrap();
        assert_eq!(r[0].esp_verdict, "bounce/26");
        assert_eq!(r[0].reply, "554");
        assert_eq!(r[0].permanent, None);
    }
}
