//! What reply codes and enhanced status codes mean (RFC 5321, RFC 3463 and
//! the IANA registry), for fallback diagnoses and explanations.
//!
//! The table in `data/status_codes.tsv` (code, meaning) is taken from the
//! project's reference `status_codes.tsv`, which cites the RFCs and the IANA
//! registry for each row.

use crate::facts::Status;
use std::collections::HashMap;
use std::sync::OnceLock;

static TABLE: &str = include_str!("../data/status_codes.tsv");

fn table() -> &'static HashMap<&'static str, &'static str> {
    static T: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    T.get_or_init(|| {
        TABLE
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(code, meaning)| (code.trim(), meaning.trim()))
            .collect()
    })
}

/// The meaning of an enhanced status: the exact code if registered, else
/// the class and subject meanings together. Each distinct status is worked
/// out once and kept (there are at most 3 × 8 × 1000 of them), so a batch
/// of replies does not format the same meaning again and again.
pub fn status_meaning(s: Status) -> &'static str {
    static MEMO: OnceLock<std::sync::RwLock<HashMap<Status, &'static str>>> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    if let Some(m) = memo.read().ok().and_then(|m| m.get(&s).copied()) {
        return m;
    }
    let meaning: &'static str = Box::leak(work_out_meaning(s).into_boxed_str());
    if let Ok(mut m) = memo.write() {
        m.insert(s, meaning);
    }
    meaning
}

fn work_out_meaning(s: Status) -> String {
    let t = table();
    let exact = format!("{}.{}.{}", s.class, s.subject, s.detail);
    let generic = format!("X.{}.{}", s.subject, s.detail);
    if let Some(m) = t.get(exact.as_str()).or_else(|| t.get(generic.as_str())) {
        return m.to_string();
    }
    let class = t
        .get(format!("{}.X.X", s.class).as_str())
        .copied()
        .unwrap_or("unknown class");
    let subject = t
        .get(format!("X.{}.X", s.subject).as_str())
        .copied()
        .unwrap_or("unknown subject");
    format!("{class}; {subject}")
}

/// The meaning of a basic reply code, or of its class.
pub fn code_meaning(code: u16) -> String {
    let t = table();
    if let Some(m) = t.get(code.to_string().as_str()) {
        return m.to_string();
    }
    match code / 100 {
        4 => "Transient negative completion: the command was not accepted, but a retry may succeed"
            .into(),
        5 => "Permanent negative completion: the command was not accepted and will not be on retry"
            .into(),
        2 => "Positive completion: the command succeeded".into(),
        3 => "Positive intermediate: the server waits for more (354: the message text; 334: the next AUTH step)".into(),
        _ => "Unknown reply code".into(),
    }
}

/// A category id for a reply no rule recognised, from the status subject
/// (RFC 3463 section 3): what kind of thing failed.
pub fn fallback_category(status: Option<Status>, code: Option<u16>) -> &'static str {
    match status.map(|s| s.subject) {
        Some(1) => "addressing",
        Some(2) => "mailbox",
        Some(3) => "mail_system",
        Some(4) => "network_routing",
        Some(5) => "protocol",
        Some(6) => "message_content",
        Some(7) => "security_policy",
        _ => match code.map(|c| c / 100) {
            Some(4) => "unclassified_transient",
            Some(5) => "unclassified_permanent",
            _ => "unrecognised_input",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meanings() {
        let s = Status {
            class: 5,
            subject: 7,
            detail: 1,
        };
        assert!(
            status_meaning(s).to_lowercase().contains("not authorized")
                || status_meaning(s)
                    .to_lowercase()
                    .contains("delivery not authorized"),
            "{}",
            status_meaning(s)
        );
        let odd = Status {
            class: 5,
            subject: 7,
            detail: 999,
        };
        assert!(status_meaning(odd).contains(';'));
        assert!(code_meaning(550).to_lowercase().contains("mailbox"));
    }
}
