//! KumoMTA's log records, as its local logger writes them (JSON Lines)
//! and its webhooks post them: `type` (`Reception`, `Delivery`, `Bounce`,
//! `TransientFailure`, `Expiration`, `AdminBounce`, `OOB`, `Feedback`,
//! `Rejection`, `Delayed`, `AdminRebind`, ...), `recipient` (a string, or
//! a list when batching by domain), `sender`, `queue`, `site`, the
//! `response` (`code`, `enhanced_code` as `{class, subject, detail}` or
//! null, `content` on one line, `command`), `peer_address` (`name`,
//! `addr`), and `bounce_classification`, a class of KumoMTA's bounce
//! classifier (`InvalidRecipient`, `BadDomain`, `QuotaIssues`,
//! `SpamBlock`, ... or a site's own label; `Uncategorized` by default).
//! `Bounce`, `Expiration`, `AdminBounce` and `OOB` (an asynchronous bounce,
//! written only for failed recipients) are permanent; `TransientFailure`
//! is a deferral; `Rejection` is KumoMTA refusing mail it was handed, as
//! its code says.
//!
//! Sources: KumoMTA's "Log Record" reference (docs.kumomta.com/reference/
//! log_record/, KumoCorp/kumomta docs/reference/log_record.md), the
//! record's own types (crates/kumo-log-types/src/lib.rs `JsonLogRecord`,
//! `RecordType`; crates/rfc5321/src/client_types.rs `Response`), the
//! classifier's classes (crates/bounce-classify/src/lib.rs,
//! docs/reference/kumo/configure_bounce_classifier.md), and the changelog
//! of 2025.12.02 (a `recipient` list).

use super::{address, s, EventRecord};
use serde_json::Value;

/// The record types KumoMTA logs.
const TYPES: &[&str] = &[
    "Reception",
    "Delivery",
    "Bounce",
    "TransientFailure",
    "Expiration",
    "AdminBounce",
    "OOB",
    "Feedback",
    "Rejection",
    "AdminRebind",
    "DeferredInjectionRebind",
    "Delayed",
    "Delay",
    "XferOut",
    "XferIn",
];

pub(super) fn detects(v: &Value) -> bool {
    TYPES.contains(&s(v, "type"))
        && (v.get("response").is_some_and(Value::is_object)
            || v.get("bounce_classification").is_some())
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    let kind = s(v, "type");
    let r = &v["response"];
    let code = r.get("code").and_then(Value::as_u64);
    let mut reply = String::new();
    if let Some(c) = code {
        reply.push_str(&c.to_string());
        reply.push(' ');
    }
    let e = &r["enhanced_code"];
    if let (Some(class), Some(subject), Some(detail)) = (
        e.get("class").and_then(Value::as_u64),
        e.get("subject").and_then(Value::as_u64),
        e.get("detail").and_then(Value::as_u64),
    ) {
        let status = format!("{class}.{subject}.{detail}");
        // the content usually leaves the enhanced code out; when it
        // starts with it, it is not written twice
        if !s(r, "content").trim_start().starts_with(&status) {
            reply.push_str(&status);
            reply.push(' ');
        }
    }
    reply.push_str(s(r, "content").trim());
    let class = s(v, "bounce_classification");
    let verdict = if class.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}/{class}")
    };
    let permanent = match kind {
        "Bounce" | "Expiration" | "AdminBounce" | "OOB" => Some(true),
        "TransientFailure" => Some(false),
        "Rejection" => code.map(|c| c >= 500),
        _ => None,
    };
    let remote_host = Some(
        s(&v["peer_address"], "name")
            .trim_end_matches('.')
            .to_ascii_lowercase(),
    )
    .filter(|h| !h.is_empty());
    let recipients: Vec<Option<String>> = match &v["recipient"] {
        Value::Array(list) => list.iter().filter_map(Value::as_str).map(address).collect(),
        Value::String(one) => vec![address(one)],
        _ => vec![None],
    };
    recipients
        .into_iter()
        .map(|recipient| EventRecord {
            recipient,
            reply: reply.trim().to_string(),
            esp: "kumomta",
            esp_verdict: verdict.clone(),
            complaint: kind == "Feedback",
            auto_reply: class == "AutoReply",
            not_a_failure: !matches!(
                kind,
                "Bounce"
                    | "TransientFailure"
                    | "Expiration"
                    | "AdminBounce"
                    | "OOB"
                    | "Feedback"
                    | "Rejection"
            ),
            permanent,
            remote_host: remote_host.clone(),
            ..EventRecord::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::read_event;
    use serde_json::json;

    #[test]
    fn a_record_s_response_becomes_the_reply() {
        let v = json!({"type": "Bounce", "id": "a1", "sender": "bounces@example.com", "recipient": "alice@example.com",
            "queue": "example.com", "site": "pool0->mx.example.com",
            "response": {"code": 550, "enhanced_code": {"class": 5, "subject": 1, "detail": 1}, "content": "mailbox unavailable", "command": "RCPT TO:<alice@example.com>\r\n"},
            "peer_address": {"name": "mx.example.com.", "addr": "192.0.2.25"}, "timestamp": 1700000000,
            "bounce_classification": "InvalidRecipient"});
        let r = read_event(&v).unwrap();
        assert_eq!(r[0].reply, "550 5.1.1 mailbox unavailable");
        assert_eq!(r[0].esp_verdict, "Bounce/InvalidRecipient");
        assert_eq!(r[0].permanent, Some(true));
        assert_eq!(r[0].remote_host.as_deref(), Some("mx.example.com"));
    }

    #[test]
    fn a_batch_record_names_each_recipient_and_deliveries_are_no_failure() {
        let v = json!({"type": "TransientFailure", "recipient": ["a@example.com", "b@example.com"],
            "response": {"code": 451, "enhanced_code": null, "content": "4.7.1 try again later"},
            "bounce_classification": "Uncategorized"});
        let r = read_event(&v).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].reply, "451 4.7.1 try again later");
        assert_eq!(r[1].permanent, Some(false));
        let v = json!({"type": "Delivery", "recipient": "a@example.com", "response": {"code": 250, "content": "ok"}});
        assert!(read_event(&v).unwrap()[0].not_a_failure);
    }
}
