//! Resend's webhooks: `{"type": "email.<event>", "created_at": ...,
//! "data": {...}}`, the event one of `email.sent`, `email.delivered`,
//! `email.delivery_delayed`, `email.bounced`, `email.complained`,
//! `email.failed`, `email.suppressed`, `email.opened`, `email.clicked`,
//! `email.scheduled`, `email.received`. `data.to` lists the recipients;
//! a bounce has `data.bounce` with the remote `message` and Resend's
//! `type` and `subType` (as Amazon SES's: `Permanent`/`Transient`,
//! `General`, `NoEmail`, `Suppressed`, `MailboxFull`, ...); a failure
//! (Resend did not send: a bad recipient, an API key or domain problem, a
//! quota) has `data.failed.reason`; a suppression `data.suppressed` with
//! `message` and `type`.
//!
//! Sources: Resend's webhook docs (resend.com/docs/webhooks/event-types,
//! /emails/bounced, /emails/failed), its "Email bounces" page (bounce types
//! and subtypes), and the event types of its own Node SDK
//! (resend/resend-node src/webhooks/interfaces/webhook-event.interface.ts).

use super::{address, s, EventRecord};
use serde_json::Value;

pub(super) fn detects(v: &Value) -> bool {
    s(v, "type").starts_with("email.") && v.get("data").is_some_and(Value::is_object)
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    let kind = s(v, "type");
    let data = &v["data"];
    let (reply, verdict) = match kind {
        "email.bounced" => {
            let b = &data["bounce"];
            (
                s(b, "message").trim().to_string(),
                format!("{kind}/{}/{}", s(b, "type"), s(b, "subType")),
            )
        }
        "email.failed" => (
            s(&data["failed"], "reason").trim().to_string(),
            kind.to_string(),
        ),
        "email.suppressed" => {
            let x = &data["suppressed"];
            (
                s(x, "message").trim().to_string(),
                format!("{kind}/{}", s(x, "type")),
            )
        }
        _ => (String::new(), kind.to_string()),
    };
    let permanent = match kind {
        "email.bounced" => match s(&data["bounce"], "type") {
            "Transient" => Some(false),
            _ => Some(true),
        },
        "email.suppressed" | "email.failed" => Some(true),
        "email.delivery_delayed" => Some(false),
        _ => None,
    };
    let recipients: Vec<Option<String>> = match &data["to"] {
        Value::Array(to) => to.iter().filter_map(Value::as_str).map(address).collect(),
        Value::String(one) => vec![address(one)],
        _ => Vec::new(),
    };
    recipients
        .into_iter()
        .map(|recipient| EventRecord {
            recipient,
            reply: reply.clone(),
            esp: "resend",
            esp_verdict: verdict.clone(),
            complaint: kind == "email.complained",
            not_a_failure: !matches!(
                kind,
                "email.bounced"
                    | "email.delivery_delayed"
                    | "email.complained"
                    | "email.failed"
                    | "email.suppressed"
            ),
            permanent,
            ..EventRecord::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::read_event;
    use serde_json::json;

    #[test]
    fn one_record_per_recipient_with_the_bounce_s_type() {
        let v = json!({"type": "email.bounced", "created_at": "2025-01-02T03:04:05.000Z",
            "data": {"email_id": "x", "from": "Example <noreply@example.com>", "to": ["alice@example.com"], "subject": "Welcome",
                "bounce": {"message": "550 5.1.1 user unknown", "type": "Permanent", "subType": "General"}}});
        let r = read_event(&v).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].reply, "550 5.1.1 user unknown");
        assert_eq!(r[0].esp_verdict, "email.bounced/Permanent/General");
        assert_eq!(r[0].permanent, Some(true));
        let v = json!({"type": "email.delivery_delayed", "data": {"to": ["a@example.com", "b@example.com"]}});
        let r = read_event(&v).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].permanent, Some(false));
        let v = json!({"type": "email.delivered", "data": {"to": ["a@example.com"]}});
        assert!(read_event(&v).unwrap()[0].not_a_failure);
    }
}
