//! OpenSMTPD's log: delivery lines (`mta delivery`, `mda delivery`) and the
//! refusals of its SMTP server (`smtp failed-command`).

use super::{angle, angle_kv, find, LogLine, LogRecord};
use memchr::memmem::Finder;
use std::sync::LazyLock;

/// The markers every line that reaches this reader is searched for,
/// built once.
static DELIVERY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" delivery evpid="));
static FAILED_COMMAND: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(" smtp failed-command command="));

/// Where a field stands in OpenSMTPD's line: the last one (`stat=`, and
/// `result=` of a failed command) holds the reply, which may hold quotes
/// and spaces of its own, and runs to the line's last quote (or its end,
/// unquoted, as `mda delivery` writes `stat=`).
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Inner,
    Last,
}

/// The value of `key="..."` (OpenSMTPD quotes the values that hold
/// spaces) or of `key=` up to the next space.
fn quoted<'a>(line: &'a str, key: &str, place: Place) -> Option<&'a str> {
    let start = find(line, key)? + key.len();
    let rest = &line[start..];
    Some(match (rest.strip_prefix('"'), place) {
        (Some(inner), Place::Last) => inner.rfind('"').map_or(inner, |q| &inner[..q]),
        (Some(inner), Place::Inner) => inner.split('"').next().unwrap_or(inner),
        (None, Place::Last) => rest.trim_end(),
        (None, Place::Inner) => rest.split(' ').next().unwrap_or(rest),
    })
}

/// OpenSMTPD's delivery lines, one per recipient and attempt (`mta.c`
/// `mta_log`, `mda.c` `mda_log`): `<session> mta delivery evpid=<id>
/// from=<s> to=<dest> rcpt=<orig> source="<ip>" relay="<host> [<ip>]"
/// delay=<d> result="Ok|TempFail|PermFail|Loop" stat="<reply>"`; and the
/// inbound refusals of its SMTP server (`smtp_session.c`): `<session> smtp
/// failed-command command="RCPT TO:<a>" result="550 ..."`.
pub(super) fn read(line: &str) -> Option<LogLine> {
    if DELIVERY.find(line.as_bytes()).is_some() {
        let result = quoted(line, " result=", Place::Inner).unwrap_or("");
        if result.eq_ignore_ascii_case("ok") {
            return Some(LogLine::Skip);
        }
        let stat = quoted(line, " stat=", Place::Last).unwrap_or("");
        let relay = quoted(line, " relay=", Place::Inner)
            .and_then(|r| r.split_whitespace().next())
            .filter(|r| !r.is_empty() && *r != "-")
            .map(str::to_string);
        return Some(LogLine::Rejection(LogRecord {
            recipient: angle_kv(line, " to=<"),
            reply: stat.to_string(),
            relay,
            mta: Some("opensmtpd"),
            ..LogRecord::default()
        }));
    }
    if FAILED_COMMAND.find(line.as_bytes()).is_some() {
        let command = quoted(line, " command=", Place::Inner).unwrap_or("");
        let reply = quoted(line, " result=", Place::Last).unwrap_or("");
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
