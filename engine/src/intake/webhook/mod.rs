//! Reading the JSON events of sending services and MTAs: ESP webhooks
//! (Amazon SES, SparkPost, Mandrill, Mailjet, Brevo, SendGrid, Mailgun,
//! Postmark, Resend, Postal) and KumoMTA's log records.
//!
//! Each sender wraps the remote server's reply in its own JSON, with its
//! own verdict beside it (SES `bounceType`/`bounceSubType`, SparkPost's
//! `bounce_class`, Mailjet's `error_related_to`/`error`, KumoMTA's
//! `bounce_classification`, ...). One module per sender knows its fields
//! and says in its doc comment where they are documented; [`READERS`]
//! picks the module by the fields only that sender writes. An event no
//! module knows is still read when it names a recipient and carries a
//! reply (`generic`), so a new ESP's events are diagnosed, not dropped.
//! [`read_event`] turns one JSON value (an object, or an array of events)
//! into one [`EventRecord`] per recipient, keeping the verdict so the
//! output can show it beside bouncedx's: the `esp` fact is
//! `sender/verdict` in lower case (`sparkpost/bounce/10 invalid recipient`,
//! `kumomta/bounce/invalidrecipient`).

mod brevo;
mod generic;
mod kumomta;
mod mailgun;
mod mailjet;
mod mandrill;
mod postal;
mod postmark;
mod resend;
mod sendgrid;
mod ses;
mod sparkpost;

use crate::facts::Status;
use crate::intake::scan;
use serde_json::Value;

/// One recipient of a webhook event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventRecord {
    pub recipient: Option<String>,
    /// The remote reply, or the ESP's description when it has none.
    pub reply: String,
    pub status: Option<Status>,
    /// Who wrote the event: `ses`, `sparkpost`, `mandrill`, `mailjet`,
    /// `brevo`, `sendgrid`, `mailgun`, `postmark`, `resend`, `postal`,
    /// `kumomta`, or `json` (an event no reader knows by name).
    pub esp: &'static str,
    /// The ESP's own classification, as it wrote it.
    pub esp_verdict: String,
    /// The event reports a complaint, not a bounce.
    pub complaint: bool,
    /// The event is not a failure at all (a delivery, an open...).
    pub not_a_failure: bool,
    /// What came back was an automatic reply, not a bounce (SparkPost's
    /// bounce class 60, KumoMTA's `AutoReply`).
    pub auto_reply: bool,
    /// Whether the ESP calls the failure permanent (SES `bounceType`,
    /// Mailgun `severity`, SendGrid's bounce or deferral, Postmark's hard
    /// or soft bounce), for when the reply gives no code or status.
    pub permanent: Option<bool>,
    /// The receiving host the sender talked to, when the event names it
    /// (KumoMTA's `peer_address`).
    pub remote_host: Option<String>,
    /// The sending IP the receiver saw (SparkPost's and Brevo's
    /// `sending_ip`, Mandrill's `source_ip`), which block lists name.
    pub client_ip: Option<String>,
}

/// Why a JSON value is not an event we read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnEvent(pub String);

impl std::fmt::Display for NotAnEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub(super) fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn strip_type(d: &str) -> String {
    d.split_once(';')
        .filter(|(t, _)| t.len() < 12 && !t.contains(' '))
        .map_or(d, |(_, r)| r)
        .trim()
        .to_string()
}

pub(super) fn status_of(v: &str) -> Option<Status> {
    scan::find_status(v).map(|s| s.0)
}

/// The readers, tried in this order; the first whose `detects` holds
/// reads the event. An ESP whose events share field names with another's
/// comes first (Mailjet and Brevo name the recipient `email` and the event
/// `event`, as SendGrid does, and are told apart by the fields only they
/// send). The generic reader is last: any other JSON event that names a
/// recipient and carries a reply.
const READERS: &[Reader] = &[
    Reader {
        name: "Amazon SES",
        detects: ses::detects,
        read: ses::read,
    },
    Reader {
        name: "SparkPost",
        detects: sparkpost::detects,
        read: sparkpost::read,
    },
    Reader {
        name: "Mandrill",
        detects: mandrill::detects,
        read: mandrill::read,
    },
    Reader {
        name: "Mailjet",
        detects: mailjet::detects,
        read: mailjet::read,
    },
    Reader {
        name: "Brevo",
        detects: brevo::detects,
        read: brevo::read,
    },
    Reader {
        name: "SendGrid",
        detects: sendgrid::detects,
        read: sendgrid::read,
    },
    Reader {
        name: "Mailgun",
        detects: mailgun::detects,
        read: mailgun::read,
    },
    Reader {
        name: "Postmark",
        detects: postmark::detects,
        read: postmark::read,
    },
    Reader {
        name: "Resend",
        detects: resend::detects,
        read: resend::read,
    },
    Reader {
        name: "Postal",
        detects: postal::detects,
        read: postal::read,
    },
    Reader {
        name: "KumoMTA",
        detects: kumomta::detects,
        read: kumomta::read,
    },
];

struct Reader {
    name: &'static str,
    detects: fn(&Value) -> bool,
    read: fn(&Value) -> Vec<EventRecord>,
}

/// The ESPs and MTAs whose events are read by name, for messages.
pub fn known_senders() -> String {
    READERS
        .iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one event, or an array of events.
pub fn read_event(v: &Value) -> Result<Vec<EventRecord>, NotAnEvent> {
    if let Some(items) = v.as_array() {
        let mut out = Vec::new();
        for item in items {
            out.extend(read_event(item)?);
        }
        return Ok(out);
    }
    // SNS envelope: the notification is a JSON string in `Message`.
    if let Some(inner) = v.get("Message").and_then(Value::as_str) {
        if let Ok(parsed) = serde_json::from_str::<Value>(inner) {
            return read_event(&parsed);
        }
    }
    // Mandrill posts its batch as the form field `mandrill_events`; a
    // stored request body kept as JSON holds it as a string or an array.
    if let Some(batch) = v.get("mandrill_events") {
        return match batch {
            Value::String(inner) => match serde_json::from_str::<Value>(inner) {
                Ok(parsed) => read_event(&parsed),
                Err(e) => Err(NotAnEvent(format!("`mandrill_events` is not JSON: {e}"))),
            },
            other => read_event(other),
        };
    }
    if let Some(reader) = READERS.iter().find(|r| (r.detects)(v)) {
        return Ok((reader.read)(v));
    }
    generic::read(v).ok_or_else(|| {
        NotAnEvent(format!(
            "JSON, but not an event bouncedx reads: not the fields of {}, and no field names both a recipient (`email`, `recipient`, `rcpt_to`...) and a reply (`reason`, `diagnostic_code`, `smtp_response`...)",
            known_senders()
        ))
    })
}

/// A JSON value as a boolean: `true`, `"true"`, `1` (ESPs send all three).
pub(super) fn truthy(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_u64().map(|n| n != 0),
        _ => None,
    }
}

/// A field that is a string or a number, as text (`"550"` or `550`).
pub(super) fn text_of(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A string field's trimmed value, `None` when absent or empty.
pub(super) fn some_text(v: &Value, key: &str) -> Option<String> {
    Some(s(v, key).trim().to_string()).filter(|t| !t.is_empty())
}

/// Whether the event has its `event` field and one of the fields only its
/// sender writes (Mailjet's and Brevo's beside SendGrid's, which has
/// `event` and `email` as they do).
pub(super) fn event_with_any(v: &Value, own_fields: &[&str]) -> bool {
    v.get("event").is_some() && own_fields.iter().any(|f| v.get(*f).is_some())
}

/// A verdict from the parts of it an event names: the non-empty ones,
/// joined with `/` (`bounce/recipient/user unknown`).
pub(super) fn verdict_of(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|x| !x.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// An address as the records keep it: trimmed, in lower case, `None` when
/// empty.
pub(super) fn address(a: &str) -> Option<String> {
    let a = a.trim().trim_start_matches('<').trim_end_matches('>');
    (!a.is_empty()).then(|| a.to_ascii_lowercase())
}

pub(super) trait OrElseStr<'a> {
    fn or_else_str(self, other: &'a str) -> &'a str;
}

impl<'a> OrElseStr<'a> for &'a str {
    fn or_else_str(self, other: &'a str) -> &'a str {
        if self.is_empty() {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ses_bounce_keeps_the_verdict() {
        let v = json!({"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
            "bouncedRecipients":[{"emailAddress":"Bob@example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]},
            "mail":{"destination":["bob@example.com"]}});
        let r = read_event(&v).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].recipient.as_deref(), Some("bob@example.com"));
        assert_eq!(r[0].reply, "550 5.1.1 user unknown");
        assert_eq!(r[0].esp_verdict, "Permanent/General");
    }

    #[test]
    fn sendgrid_array_mailgun_postmark() {
        let v = json!([{"email":"a@example.com","event":"bounce","type":"blocked","status":"5.7.1","reason":"550 5.7.1 blocked (S3150)","bounce_classification":"Reputation","sg_event_id":"x"},
                       {"email":"b@example.com","event":"delivered","sg_event_id":"y"}]);
        let r = read_event(&v).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].esp_verdict, "bounce/blocked/Reputation");
        assert!(r[1].not_a_failure);
        let v = json!({"event-data":{"event":"failed","severity":"permanent","reason":"suppress-bounce","recipient":"alice@example.com",
            "delivery-status":{"code":550,"enhanced-code":"5.1.1","description":"User not found"}}});
        let r = read_event(&v).unwrap();
        assert_eq!(r[0].reply, "550 5.1.1 User not found");
        let v = json!({"RecordType":"Bounce","Type":"HardBounce","TypeCode":1,"Name":"Hard bounce","Email":"c@example.com","Details":"smtp;550 5.1.1 The email account that you tried to reach does not exist"});
        assert_eq!(read_event(&v).unwrap()[0].esp, "postmark");
        assert!(read_event(&json!({"hello":"world"})).is_err());
    }

    #[test]
    fn each_esp_says_whether_the_failure_is_permanent() {
        let first = |v: serde_json::Value| read_event(&v).unwrap()[0].permanent;
        let ses = |kind: &str| {
            json!({"notificationType":"Bounce","bounce":{"bounceType":kind,"bounceSubType":"General",
                "bouncedRecipients":[{"emailAddress":"a@example.com"}]}})
        };
        assert_eq!(first(ses("Permanent")), Some(true));
        assert_eq!(first(ses("Transient")), Some(false));
        assert_eq!(first(ses("Undetermined")), None);
        let sendgrid =
            |event: &str, kind: &str| json!({"email":"a@example.com","event":event,"type":kind});
        assert_eq!(first(sendgrid("bounce", "bounce")), Some(true));
        assert_eq!(first(sendgrid("bounce", "blocked")), Some(false));
        assert_eq!(first(sendgrid("deferred", "")), Some(false));
        assert_eq!(first(sendgrid("dropped", "")), Some(true));
        let mailgun = |severity: &str| json!({"event-data":{"event":"failed","severity":severity,"recipient":"a@example.com"}});
        assert_eq!(first(mailgun("permanent")), Some(true));
        assert_eq!(first(mailgun("temporary")), Some(false));
        let postmark =
            |kind: &str| json!({"RecordType":"Bounce","Type":kind,"Email":"a@example.com"});
        assert_eq!(first(postmark("HardBounce")), Some(true));
        assert_eq!(first(postmark("SoftBounce")), Some(false));
        assert_eq!(first(postmark("SpamNotification")), None);
    }
}
