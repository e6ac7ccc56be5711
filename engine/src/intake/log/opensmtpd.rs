//! OpenSMTPD's log: delivery lines (`mta delivery`, `mda delivery`) and the
//! refusals of its SMTP server (`smtp failed-command`).

use super::{angle, find, kv, LogLine, LogRecord};
use memchr::memmem::Finder;
use std::sync::LazyLock;

/// The markers every line that reaches this reader is searched for,
/// built once.
static DELIVERY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" delivery evpid="));
static FAILED_COMMAND: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(" smtp failed-command command="));

/// The value of `key="..."` (OpenSMTPD quotes the values that hold
/// spaces) or of `key=` up to the next space.
fn quoted<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = find(line, key)? + key.len();
    let rest = &line[start..];
    match rest.strip_prefix('"') {
        // the last field (`stat="..."`) may hold quotes of its own: it
        // ends at the line's last quote
        Some(inner) if key == " stat=" || (key == " result=" && find(line, " stat=").is_none()) => {
            Some(inner.rfind('"').map_or(inner, |q| &inner[..q]))
        }
        Some(inner) => Some(inner.split('"').next().unwrap_or(inner)),
        // `mda delivery` writes `stat=` unquoted, last: the rest of the line
        None if key == " stat=" => Some(rest.trim_end()),
        None => Some(rest.split(' ').next().unwrap_or(rest)),
    }
}

/// OpenSMTPD's delivery lines, one per recipient and attempt (`mta.c`
/// `mta_log`, `mda.c` `mda_log`): `<session> mta delivery evpid=<id>
/// from=<s> to=<dest> rcpt=<orig> source="<ip>" relay="<host> [<ip>]"
/// delay=<d> result="Ok|TempFail|PermFail|Loop" stat="<reply>"`; and the
/// inbound refusals of its SMTP server (`smtp_session.c`): `<session> smtp
/// failed-command command="RCPT TO:<a>" result="550 ..."`.
pub(super) fn read(line: &str) -> Option<LogLine> {
    if DELIVERY.find(line.as_bytes()).is_some() {
        let result = quoted(line, " result=").unwrap_or("");
        if result.eq_ignore_ascii_case("ok") {
            return Some(LogLine::Skip);
        }
        let stat = quoted(line, " stat=").unwrap_or("");
        let relay = quoted(line, " relay=")
            .and_then(|r| r.split_whitespace().next())
            .filter(|r| !r.is_empty() && *r != "-")
            .map(str::to_string);
        return Some(LogLine::Rejection(LogRecord {
            recipient: kv(line, " to=<").map(|v| angle(v.split('>').next().unwrap_or(v))),
            reply: stat.to_string(),
            relay,
            mta: Some("opensmtpd"),
            ..LogRecord::default()
        }));
    }
    if FAILED_COMMAND.find(line.as_bytes()).is_some() {
        let command = quoted(line, " command=").unwrap_or("");
        let reply = quoted(line, " result=").unwrap_or("");
        let recipient = command
            .to_ascii_uppercase()
            .starts_with("RCPT TO:")
            .then(|| angle(&command["RCPT TO:".len()..]));
        return Some(LogLine::Rejection(LogRecord {
            recipient,
            reply: reply.to_string(),
            mta: Some("opensmtpd"),
            stage: crate::intake::reply::stage_from(command),
            ..LogRecord::default()
        }));
    }
    None
}
