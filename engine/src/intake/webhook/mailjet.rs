//! Mailjet's Event API (webhooks): one flat object per event, or an array
//! of them when the callback is set to version 2 (events of the last
//! second grouped). Every event has `event` (`sent`, `bounce`, `blocked`,
//! `spam`, `unsub`, `open`, `click`), `email` (the recipient), `time`,
//! `MessageID`, `mj_campaign_id`, `mj_contact_id`, `CustomID` and
//! `Payload`; a `bounce` adds `hard_bounce` and `blocked` (true or false,
//! sometimes as strings), and `bounce` and `blocked` both add Mailjet's
//! classification, `error_related_to` (`recipient`, `domain`, `spam`,
//! `system`, `mailjet`, ...) and `error` (`user unknown`, `quota exceeded`,
//! `preblocked`, ...). The remote reply, when Mailjet passes it on, is in
//! `comment` (or `smtp_reply`, which `sent` events carry).
//!
//! Sources: Mailjet's Event API guide (mailjet/api-documentation
//! guides/_event-api.md: the fields and the whole `error_related_to` /
//! `error` table), its help article "Event Tracking API", and the Mailjet
//! webhook readers of django-anymail (anymail/webhooks/mailjet.py, which
//! also reads `blacklisted`, `spam reporter`, `typofix`) and Symfony Mailer
//! (Bridge/Mailjet/RemoteEvent). `comment` is not in the published guide;
//! Mautic's Mailjet integration (mautic/mautic#11912) reads it.

use super::{address, event_with_any, s, truthy, verdict_of, EventRecord};
use serde_json::Value;

/// Fields only Mailjet's events carry; SendGrid's also have `event` and
/// `email`.
const OWN_FIELDS: &[&str] = &[
    "MessageID",
    "mj_campaign_id",
    "mj_contact_id",
    "mj_message_id",
    "Message_GUID",
    "error_related_to",
    "customcampaign",
];

pub(super) fn detects(v: &Value) -> bool {
    event_with_any(v, OWN_FIELDS)
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    let event = s(v, "event");
    let related = s(v, "error_related_to").trim();
    let error = s(v, "error").trim();
    let mut reply = s(v, "comment").trim().to_string();
    if reply.is_empty() {
        reply = s(v, "smtp_reply").trim().to_string();
    }
    if reply.is_empty() {
        reply = error.to_string();
    }
    let verdict = verdict_of(&[event, related, error]);
    vec![EventRecord {
        recipient: address(s(v, "email")),
        reply,
        esp: "mailjet",
        esp_verdict: verdict,
        complaint: event == "spam",
        not_a_failure: !matches!(event, "bounce" | "blocked" | "spam"),
        // `blocked`: Mailjet did not send (the address bounced before, or
        // the message duplicated another): nothing a retry changes
        permanent: match event {
            "bounce" => truthy(v.get("hard_bounce")),
            "blocked" => Some(true),
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
    fn bounce_and_blocked_keep_mailjet_s_classification() {
        let v = json!([
            {"event": "bounce", "time": 1700000000, "MessageID": 1152921500000000001u64, "email": "nouser@example.com",
             "mj_campaign_id": 0, "mj_contact_id": 0, "blocked": true, "hard_bounce": "true",
             "error_related_to": "recipient", "error": "user unknown",
             "comment": "550 5.1.1 <nouser@example.com>: mailbox unavailable"},
            {"event": "blocked", "email": "old@example.com", "MessageID": 2, "error_related_to": "mailjet", "error": "preblocked"},
            {"event": "bounce", "email": "full@example.com", "MessageID": 3, "hard_bounce": false,
             "error_related_to": "recipient", "error": "quota exceeded"},
            {"event": "sent", "email": "ok@example.com", "MessageID": 4, "smtp_reply": "sent (250 2.0.0 OK queued as ABC123)"},
        ]);
        let r = read_event(&v).unwrap();
        assert_eq!(r[0].esp, "mailjet", "not read as SendGrid's");
        assert_eq!(
            r[0].reply,
            "550 5.1.1 <nouser@example.com>: mailbox unavailable"
        );
        assert_eq!(r[0].esp_verdict, "bounce/recipient/user unknown");
        assert_eq!(r[0].permanent, Some(true));
        assert_eq!(r[1].esp_verdict, "blocked/mailjet/preblocked");
        assert_eq!(
            r[2].reply, "quota exceeded",
            "Mailjet's words when it passes no reply on"
        );
        assert_eq!(r[2].permanent, Some(false));
        assert!(r[3].not_a_failure);
    }
}
