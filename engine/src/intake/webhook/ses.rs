//! Amazon SES notifications (`notificationType`, or `eventType` for the
//! event publishing of configuration sets): a `Bounce` lists its
//! `bouncedRecipients` with the remote reply in `diagnosticCode`; the
//! verdict is `bounceType`/`bounceSubType`. Sources: the SES developer
//! guide, "Amazon SES notification contents" and "Event publishing:
//! contents of event data".

use super::{s, status_of, strip_type, EventRecord};
use serde_json::Value;

pub(super) fn detects(v: &Value) -> bool {
    kind(v).is_some()
}

fn kind(v: &Value) -> Option<&str> {
    v.get("notificationType")
        .or_else(|| v.get("eventType"))
        .and_then(Value::as_str)
}

pub(super) fn read(v: &Value) -> Vec<EventRecord> {
    let kind = kind(v).unwrap_or_default();
    let mut out = Vec::new();
    match kind {
        "Bounce" => {
            let b = &v["bounce"];
            let verdict = format!("{}/{}", s(b, "bounceType"), s(b, "bounceSubType"));
            for r in b["bouncedRecipients"].as_array().into_iter().flatten() {
                let diag = strip_type(s(r, "diagnosticCode"));
                out.push(EventRecord {
                    recipient: Some(s(r, "emailAddress").to_ascii_lowercase()),
                    reply: if diag.is_empty() {
                        format!("bounce: {verdict}")
                    } else {
                        diag
                    },
                    status: status_of(s(r, "status")),
                    esp: "ses",
                    esp_verdict: verdict.clone(),
                    permanent: match s(b, "bounceType") {
                        "Permanent" => Some(true),
                        "Transient" => Some(false),
                        _ => None,
                    },
                    ..EventRecord::default()
                });
            }
        }
        "Complaint" => {
            let c = &v["complaint"];
            for r in c["complainedRecipients"].as_array().into_iter().flatten() {
                out.push(EventRecord {
                    recipient: Some(s(r, "emailAddress").to_ascii_lowercase()),
                    reply: String::new(),
                    esp: "ses",
                    esp_verdict: format!("Complaint/{}", s(c, "complaintFeedbackType")),
                    complaint: true,
                    ..EventRecord::default()
                });
            }
        }
        other => {
            for r in v["mail"]["destination"].as_array().into_iter().flatten() {
                out.push(EventRecord {
                    recipient: r.as_str().map(str::to_ascii_lowercase),
                    esp: "ses",
                    esp_verdict: other.to_string(),
                    not_a_failure: true,
                    ..EventRecord::default()
                });
            }
        }
    }
    out
}
