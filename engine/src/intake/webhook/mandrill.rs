//! Mandrill's (Mailchimp Transactional's) webhooks: the POST's form field
//! `mandrill_events` holds a JSON array of events (`mod.rs` unwraps it),
//! each `{"event": ..., "msg": {...}, "ts": ...}`. `event` is `send`,
//! `delivered`, `deferral`, `hard_bounce`, `soft_bounce`, `open`, `click`,
//! `spam`, `unsub` or `reject` (Mandrill refused to send, most often to an
//! address on its rejection denylist). `msg.email` is the recipient,
//! `msg.diag` the remote server's reply (often behind `smtp;`),
//! `msg.bounce_description` Mandrill's short reason (`bad_mailbox`,
//! `invalid_domain`, ...; no whole list is published), and
//! `msg.smtp_events` the SMTP answers with `diag`, `source_ip` and
//! `destination_ip`. Sync events (`type` `blacklist`/`denylist` or
//! `whitelist`/`safelist`, `action`, `reject`) report the denylist: an
//! address added after a bounce carries that bounce's reply in
//! `reject.detail` and its kind in `reject.reason` (`hard-bounce`,
//! `soft-bounce`, `spam`, `unsub`, `custom`).
//!
//! Sources: Mandrill's help centre "Webhook Format", "Message Event Webhook
//! Format" and sync-event pages (mandrill.zendesk.com), its API reference
//! (mandrillapp.com/api/docs/messages.html, rejects.JSON.html), and the
//! Mandrill webhook readers of django-anymail (anymail/webhooks/mandrill.py)
//! and Symfony Mailer (Bridge/Mailchimp/RemoteEvent).

use super::{address, s, some_text, strip_type, EventRecord};
use serde_json::Value;

pub(super) fn detects(v: &Value) -> bool {
    (v.get("event").is_some() && v.get("msg").is_some_and(Value::is_object))
        || (v.get("reject").is_some_and(Value::is_object) && v.get("action").is_some())
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    if let Some(entry) = v.get("reject").filter(|_| v.get("msg").is_none()) {
        return vec![sync(v, entry)];
    }
    let event = s(v, "event");
    let msg = &v["msg"];
    let events = msg["smtp_events"].as_array();
    let last = events.and_then(|e| e.last());
    let mut reply = strip_type(s(msg, "diag"));
    if reply.is_empty() {
        reply = last.map(|e| strip_type(s(e, "diag"))).unwrap_or_default();
    }
    let description = s(msg, "bounce_description");
    if reply.is_empty() {
        reply = description.replace('_', " ");
    }
    let verdict = if description.is_empty() {
        event.to_string()
    } else {
        format!("{event}/{description}")
    };
    vec![EventRecord {
        recipient: address(s(msg, "email")),
        reply,
        esp: "mandrill",
        esp_verdict: verdict,
        complaint: event == "spam",
        not_a_failure: matches!(event, "send" | "delivered" | "open" | "click" | "unsub"),
        permanent: match event {
            "hard_bounce" | "reject" => Some(true),
            "soft_bounce" | "deferral" => Some(false),
            _ => None,
        },
        client_ip: last.and_then(|e| some_text(e, "source_ip")),
        ..EventRecord::default()
    }]
}

/// A denylist (or safelist) change. An address added to the denylist
/// after a bounce is reported with that bounce's reply; a removal, or a
/// safelist change, is no failure.
fn sync(v: &Value, entry: &Value) -> EventRecord {
    let list = s(v, "type");
    let action = s(v, "action");
    let reason = s(entry, "reason");
    let added = matches!(list, "blacklist" | "denylist") && action == "add";
    EventRecord {
        recipient: address(s(entry, "email")),
        reply: strip_type(s(entry, "detail")),
        esp: "mandrill",
        esp_verdict: format!("{list}/{action}/{reason}"),
        complaint: added && reason == "spam",
        not_a_failure: !added,
        permanent: added.then_some(true),
        ..EventRecord::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::read_event;
    use serde_json::json;

    #[test]
    fn events_and_the_form_field_that_carries_them() {
        let batch = json!([
            {"event": "hard_bounce", "ts": 1700000100, "msg": {"email": "Bob@example.com", "state": "bounced",
                "bounce_description": "bad_mailbox", "diag": "smtp;550 5.1.1 <bob@example.com>: user unknown"}},
            {"event": "deferral", "ts": 1700000300, "msg": {"email": "dave@example.com", "smtp_events": [
                {"ts": 1700000290, "type": "deferred", "diag": "451 4.7.1 try again later", "source_ip": "192.0.2.10", "destination_ip": "192.0.2.25"}]}},
            {"event": "spam", "msg": {"email": "frank@example.com"}},
            {"event": "send", "msg": {"email": "gus@example.com"}},
        ]);
        let form = json!({"mandrill_events": batch.to_string()});
        for v in [batch, form] {
            let r = read_event(&v).unwrap();
            assert_eq!(r.len(), 4);
            assert_eq!(r[0].recipient.as_deref(), Some("bob@example.com"));
            assert_eq!(r[0].reply, "550 5.1.1 <bob@example.com>: user unknown");
            assert_eq!(r[0].esp_verdict, "hard_bounce/bad_mailbox");
            assert_eq!(r[0].permanent, Some(true));
            assert_eq!(
                r[1].reply, "451 4.7.1 try again later",
                "the last SMTP event's answer"
            );
            assert_eq!(r[1].client_ip.as_deref(), Some("192.0.2.10"));
            assert_eq!(r[1].permanent, Some(false));
            assert!(r[2].complaint);
            assert!(r[3].not_a_failure);
        }
    }

    #[test]
    fn a_denylist_addition_carries_the_bounce_that_caused_it() {
        let v = json!({"type": "blacklist", "action": "add", "reject": {"reason": "hard-bounce",
            "detail": "550 5.1.1 user unknown", "email": "bob@example.com"}});
        let r = read_event(&v).unwrap();
        assert_eq!(r[0].reply, "550 5.1.1 user unknown");
        assert_eq!(r[0].esp_verdict, "blacklist/add/hard-bounce");
        assert!(!r[0].not_a_failure);
        let v = json!({"type": "denylist", "action": "remove", "reject": {"reason": "hard-bounce", "email": "bob@example.com"}});
        assert!(read_event(&v).unwrap()[0].not_a_failure);
    }
}
