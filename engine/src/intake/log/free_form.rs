//! A line of no known format: a rejection when it holds a 4xx/5xx reply
//! code, or a failure status, followed by words.

use super::{LogLine, LogRecord};
use crate::intake::scan;

/// Any other line: a rejection when it holds a 4xx/5xx reply code followed
/// by words, or an enhanced status of class 4 or 5.
///
/// The reply code is the line's first (a number further on may be a size
/// or a count: "SpamNotification 512,"); an enhanced status of class 4 or
/// 5 counts wherever it stands, after a success's (`250 2.1.5 ... 550
/// 5.1.1 ...`), and the reply then starts at the code just before it.
pub(super) fn read(line: &str) -> LogLine {
    let code = scan::find_code(line).filter(|(c, _)| *c >= 400);
    let status = scan::first_where(line, scan::find_status, |s| s.class >= 4);
    match (code, status) {
        (None, None) => LogLine::Skip,
        (code, status) => {
            let status_start = status.as_ref().map(|s| {
                let before = line[..s.1.start].trim_end_matches(' ');
                let code_before = before.len() >= 3
                    && before.is_char_boundary(before.len() - 3)
                    && scan::find_code(&before[before.len() - 3..])
                        .is_some_and(|(c, at)| c >= 400 && at.start == 0)
                    && (before.len() == 3 || before.as_bytes()[before.len() - 4] == b' ');
                if code_before {
                    before.len() - 3
                } else {
                    s.1.start
                }
            });
            let start = code
                .as_ref()
                .map(|c| c.1.start)
                .into_iter()
                .chain(status_start)
                .min()
                .unwrap_or(0);
            let reply = &line[start..];
            // A bare number without words is not a reply (a PID, a size).
            if reply.split_whitespace().count() < 3 {
                return LogLine::Skip;
            }
            LogLine::Rejection(LogRecord {
                recipient: free_form_recipient(line),
                reply: reply.to_string(),
                status: None,
                relay: None,
                mta: None,
                ..LogRecord::default()
            })
        }
    }
}

/// The recipient of a line of no known format: the address after a key
/// that names a recipient (`to=<`, `addr=<` as Courier writes it, `rcpt=`,
/// `recipient`), else the first address that does not follow a key naming
/// the sender (`from=<`, `sender=`, `MAIL FROM:<`): a log line names the
/// envelope sender as often as the recipient, and often first.
fn free_form_recipient(line: &str) -> Option<String> {
    const RECIPIENT_KEYS: &[&str] = &[
        "to=",
        "addr=",
        "rcpt=",
        "rcpt to:",
        "recipient=",
        "recipient ",
    ];
    const SENDER_KEYS: &[&str] = &["from=", "sender=", "mail from:", "from ", "envelope-from="];
    let emails = scan::emails(line);
    let key_before = |at: usize, keys: &[&str]| {
        let head = line[..at].trim_end_matches(['<', '"', '\'', ' ']);
        let head = head.as_bytes();
        keys.iter().any(|k| {
            let k = k.trim_end().as_bytes();
            head.len() >= k.len() && head[head.len() - k.len()..].eq_ignore_ascii_case(k)
        })
    };
    emails
        .iter()
        .find(|e| key_before(e.1.start, RECIPIENT_KEYS))
        .or_else(|| emails.iter().find(|e| !key_before(e.1.start, SENDER_KEYS)))
        .map(|e| e.0.to_ascii_lowercase())
}
