//! Reading ESP webhook events: Amazon SES, SendGrid, Mailgun, Postmark.
//!
//! Each ESP wraps the remote server's reply in its own JSON, with its own
//! verdict beside it (SES `bounceType`/`bounceSubType`, SendGrid `type` and
//! `bounce_classification`, Mailgun `severity`/`reason`, Postmark `Type`).
//! [`read_event`] turns one JSON value (an object, or an array of events)
//! into one [`EventRecord`] per recipient, keeping the ESP's verdict so the
//! output can show it beside bouncedx's.

mod mailgun;
mod postmark;
mod sendgrid;
mod ses;

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
    /// `ses`, `sendgrid`, `mailgun`, `postmark`.
    pub esp: &'static str,
    /// The ESP's own classification, as it wrote it.
    pub esp_verdict: String,
    /// The event reports a complaint, not a bounce.
    pub complaint: bool,
    /// The event is not a failure at all (a delivery, an open...).
    pub not_a_failure: bool,
    /// Whether the ESP calls the failure permanent (SES `bounceType`,
    /// Mailgun `severity`, SendGrid's bounce or deferral, Postmark's hard
    /// or soft bounce), for when the reply gives no code or status.
    pub permanent: Option<bool>,
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
    let kind = v
        .get("notificationType")
        .or_else(|| v.get("eventType"))
        .and_then(Value::as_str);
    if let Some(kind) = kind {
        return Ok(ses::read(v, kind));
    }
    if v.get("sg_event_id").is_some() || (v.get("event").is_some() && v.get("email").is_some()) {
        return Ok(vec![sendgrid::read(v)]);
    }
    if let Some(data) = v.get("event-data") {
        return Ok(vec![mailgun::read(data)]);
    }
    if v.get("event").and_then(Value::as_str) == Some("failed") {
        return Ok(vec![mailgun::read(v)]);
    }
    if v.get("RecordType").is_some() || v.get("TypeCode").is_some() {
        return Ok(vec![postmark::read(v)]);
    }
    Err(NotAnEvent(
        "JSON, but not an event bouncedx reads (Amazon SES, SendGrid, Mailgun, Postmark)".into(),
    ))
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
