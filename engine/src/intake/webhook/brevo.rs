//! Brevo's (formerly Sendinblue's) webhooks: one flat object per event,
//! `event` (`request`, `delivered`, `deferred`, `soft_bounce`,
//! `hard_bounce`, `invalid_email`, `blocked`, `error`, `spam` or
//! `complaint`, `unsubscribed`, `opened`, `click`, ...), `email` (the
//! recipient), `id` (the webhook's), `date`, `ts`, `ts_event`, `ts_epoch`,
//! `message-id`, `subject`, `tag`, `sending_ip`, and `reason`: the remote
//! reply for a bounce or a deferral, Brevo's own words for a block or an
//! error. Marketing webhooks add `camp_id` and have no `message-id`. Brevo
//! publishes no table of reasons; `blocked` means it did not send (it
//! block-lists addresses that hard bounced, complained or unsubscribed).
//!
//! Sources: Brevo's developer docs "Transactional webhooks" and "Marketing
//! webhooks" (developers.brevo.com/docs/...), its event list in the API
//! reference (getTransacEmailContent), the help article "What is a
//! bounce?", and the Brevo webhook readers of django-anymail
//! (anymail/webhooks/brevo.py) and Symfony Mailer (Bridge/Brevo/
//! RemoteEvent/BrevoPayloadConverter.php).

use super::{address, event_with_any, s, some_text, EventRecord};
use serde_json::Value;

/// Fields only Brevo's events carry; SendGrid's also have `event` and
/// `email`.
const OWN_FIELDS: &[&str] = &[
    "message-id",
    "ts_event",
    "ts_epoch",
    "camp_id",
    "X-Mailin-custom",
];

pub(super) fn detects(v: &Value) -> bool {
    event_with_any(v, OWN_FIELDS)
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    let event = s(v, "event");
    vec![EventRecord {
        recipient: address(s(v, "email")),
        reply: s(v, "reason").trim().to_string(),
        esp: "brevo",
        esp_verdict: event.to_string(),
        complaint: matches!(event, "spam" | "complaint"),
        not_a_failure: !matches!(
            event,
            "deferred"
                | "soft_bounce"
                | "hard_bounce"
                | "invalid_email"
                | "blocked"
                | "error"
                | "spam"
                | "complaint"
                | "softBounce"
                | "hardBounce"
        ),
        permanent: match event {
            "hard_bounce" | "hardBounce" | "invalid_email" | "blocked" => Some(true),
            "soft_bounce" | "softBounce" | "deferred" => Some(false),
            _ => None,
        },
        client_ip: some_text(v, "sending_ip"),
        ..EventRecord::default()
    }]
}

#[cfg(test)]
mod tests {
    use super::super::read_event;
    use serde_json::json;

    #[test]
    fn brevo_events_are_not_taken_for_sendgrid_s() {
        let v = json!({"event": "hard_bounce", "email": "NoUser@example.com", "id": 123456, "ts": 1714557600,
            "message-id": "<202405011000.1@relay.example.com>", "ts_event": 1714557600, "sending_ip": "192.0.2.10",
            "reason": "550 5.1.1 <nouser@example.com>: Recipient address rejected: User unknown"});
        let r = read_event(&v).unwrap();
        assert_eq!(r[0].esp, "brevo");
        assert_eq!(r[0].recipient.as_deref(), Some("nouser@example.com"));
        assert_eq!(r[0].esp_verdict, "hard_bounce");
        assert_eq!(r[0].permanent, Some(true));
        assert_eq!(r[0].client_ip.as_deref(), Some("192.0.2.10"));
        let v = json!({"event": "deferred", "email": "slow@example.com", "ts_event": 1, "reason": "421 4.7.0 Try again later"});
        assert_eq!(read_event(&v).unwrap()[0].permanent, Some(false));
        let v =
            json!({"event": "request", "email": "a@example.com", "message-id": "<x@example.com>"});
        assert!(read_event(&v).unwrap()[0].not_a_failure);
        let v = json!({"event": "spam", "email": "a@example.com", "camp_id": 12, "reason": "undesired"});
        assert!(read_event(&v).unwrap()[0].complaint);
    }
}
