//! Any other JSON event: a sending service no reader knows by name, an
//! in-house bounce processor's records, a ticket system's export. What
//! every such event shares is a recipient and the words the receiver (or
//! the sender) gave, under names that vary (`email`, `recipient`,
//! `rcpt_to`; `diagnostic_code`, `smtp_response`, `reason`, `error`...).
//! The event is searched breadth first, three objects deep, for a field
//! whose name says it holds an address and that does, and for one whose
//! name says it holds a reply; a reply that carries an SMTP code or an
//! enhanced status is preferred to one that does not. Without both, the
//! value is no event and `read_event` says so. The event's own name for
//! what happened (`event`, `type`, `status`...) is kept as its verdict,
//! and says whether it was a failure at all (a `delivered` or `open`
//! event with no refusal in it is none).

use super::EventRecord;
use crate::intake::scan;
use serde_json::{Map, Value};

/// Field names (lower case, `_` and `-` dropped) that hold the recipient.
const RECIPIENT_KEYS: &[&str] = &[
    "recipient",
    "email",
    "emailaddress",
    "rcpt",
    "rcptto",
    "to",
    "address",
    "recipientemail",
    "recipientaddress",
    "finalrecipient",
    "originalrecipient",
    "destination",
];

/// Field names that hold the receiver's reply or the sender's words on
/// the failure, most specific first.
const REPLY_KEYS: &[&str] = &[
    "diagnosticcode",
    "diagnostic",
    "diag",
    "smtpresponse",
    "smtpreply",
    "rawreason",
    "response",
    "bouncereason",
    "reason",
    "error",
    "errormessage",
    "statusmessage",
    "details",
    "description",
    "message",
    "output",
];

/// Field names that say what happened.
const EVENT_KEYS: &[&str] = &[
    "event",
    "eventtype",
    "type",
    "recordtype",
    "bouncetype",
    "status",
];

fn norm(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The address in a field's value: the whole value, or the part in angle
/// brackets of `Name <a@b>`.
fn address_in(s: &str) -> Option<&str> {
    let s = match (s.rfind('<'), s.rfind('>')) {
        (Some(open), Some(close)) if open < close => &s[open + 1..close],
        _ => s,
    };
    is_address(s).then_some(s.trim())
}

fn is_address(s: &str) -> bool {
    let s = s.trim().trim_start_matches('<').trim_end_matches('>');
    s.len() <= 320
        && !s.contains(char::is_whitespace)
        && s.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
}

/// The objects of `v`, breadth first, at most three levels down.
fn objects(v: &Value) -> Vec<&Map<String, Value>> {
    let mut level: Vec<&Map<String, Value>> = v.as_object().into_iter().collect();
    let mut out = Vec::new();
    for _ in 0..3 {
        let next = level
            .iter()
            .flat_map(|m| m.values().filter_map(Value::as_object))
            .collect::<Vec<_>>();
        out.extend(level);
        level = next;
    }
    out.extend(level);
    out
}

pub(super) fn read(v: &Value) -> Option<Vec<EventRecord>> {
    let objects = objects(v);
    fn field<'a>(keys: &[&str], m: &'a Map<String, Value>) -> Vec<(usize, &'a Value)> {
        m.iter()
            .filter_map(|(k, val)| keys.iter().position(|w| *w == norm(k)).map(|i| (i, val)))
            .collect()
    }
    let mut recipients = Vec::new();
    for m in &objects {
        for (_, val) in field(RECIPIENT_KEYS, m) {
            match val {
                Value::String(a) => recipients.extend(address_in(a).map(str::to_string)),
                Value::Array(list) => recipients.extend(
                    list.iter()
                        .filter_map(Value::as_str)
                        .filter_map(address_in)
                        .map(str::to_string),
                ),
                _ => {}
            }
        }
        if !recipients.is_empty() {
            break;
        }
    }
    // (no code in it, the object's place breadth first, the key's rank)
    let mut replies: Vec<(bool, usize, usize, String)> = Vec::new();
    for (place, m) in objects.iter().enumerate() {
        for (rank, val) in field(REPLY_KEYS, m) {
            if let Value::String(text) = val {
                let text = super::strip_type(text);
                if text.is_empty() || is_address(&text) {
                    continue;
                }
                let coded = scan::find_code(&text).is_some_and(|(c, _)| c >= 400)
                    || scan::find_status(&text).is_some_and(|(s, _)| s.class >= 4);
                replies.push((!coded, place, rank, text));
            }
        }
    }
    replies.sort_by_key(|r| (r.0, r.1, r.2));
    let (uncoded, _, _, reply) = replies.into_iter().next()?;
    if recipients.is_empty() {
        return None;
    }
    let verdict = objects
        .iter()
        .flat_map(|m| field(EVENT_KEYS, m))
        .min_by_key(|(rank, _)| *rank)
        .and_then(|(_, v)| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let said = verdict.to_ascii_lowercase();
    let failure_word = [
        "bounce", "fail", "reject", "block", "defer", "delay", "drop", "error", "complain", "spam",
    ]
    .iter()
    .any(|w| said.contains(w));
    let success_word = [
        "deliver", "open", "click", "sent", "send", "process", "accept",
    ]
    .iter()
    .any(|w| said.contains(w));
    // words without a code, in an event that names no failure, are no
    // bounce to diagnose (a subscription's "message", a profile's
    // "description"): the value is reported as not read, not guessed at
    if uncoded && !failure_word && !success_word {
        return None;
    }
    Some(
        recipients
            .into_iter()
            .map(|a| EventRecord {
                recipient: super::address(&a),
                reply: reply.clone(),
                esp: "json",
                esp_verdict: verdict.clone(),
                complaint: said.contains("complain")
                    || said == "spam"
                    || said.contains("spamreport"),
                not_a_failure: uncoded && success_word && !failure_word,
                permanent: if said.contains("hard") || said.contains("permanent") {
                    Some(true)
                } else if ["soft", "defer", "delay", "transient", "temporary"]
                    .iter()
                    .any(|w| said.contains(w))
                {
                    Some(false)
                } else {
                    None
                },
                ..EventRecord::default()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::read_event;
    use serde_json::json;

    #[test]
    fn an_unknown_sender_s_event_is_read_by_its_field_names() {
        let v = json!({"event_type": "hard_bounce", "data": {"recipient": {"email": "Ann@example.com"},
            "reason": "Mailbox does not exist", "smtp_response": "550 5.1.1 <ann@example.com>: user unknown"}});
        let r = read_event(&v).unwrap();
        assert_eq!(r[0].esp, "json");
        assert_eq!(r[0].recipient.as_deref(), Some("ann@example.com"));
        assert_eq!(
            r[0].reply, "550 5.1.1 <ann@example.com>: user unknown",
            "the coded reply first"
        );
        assert_eq!(r[0].esp_verdict, "hard_bounce");
        assert_eq!(r[0].permanent, Some(true));
    }

    #[test]
    fn a_delivery_is_no_failure_and_a_value_without_a_recipient_no_event() {
        let v = json!({"type": "delivered", "to": "a@example.com", "response": "250 2.0.0 OK"});
        assert!(read_event(&v).unwrap()[0].not_a_failure);
        assert!(read_event(&json!({"reason": "550 5.1.1 user unknown"})).is_err());
        assert!(read_event(&json!({"email": "a@example.com", "name": "Ann"})).is_err());
        assert!(read_event(&json!({"hello": "world"})).is_err());
        let v = json!({"type": "subscribed", "email": "a@example.com", "message": "Thanks for joining"});
        assert!(read_event(&v).is_err(), "no code and no failure named");
    }

    #[test]
    fn a_named_address_is_read_from_its_angle_brackets() {
        let v = json!({"status": "bounced", "to": "Ann Example <Ann@example.org>", "reason": "mailbox full"});
        let r = read_event(&v).unwrap();
        assert_eq!(r[0].recipient.as_deref(), Some("ann@example.org"));
    }
}
