//! Exchange's message tracking log (`MSGTRK*.LOG`): `FAIL` and `DEFER` rows.

use super::{csv_fields, find, LogLine, LogRecord};
use crate::intake::scan;

/// Exchange's message tracking log (`MSGTRK*.LOG`, CSV). Its columns
/// moved between versions (2013 added `network-message-id` after
/// `message-id`), and each line is read on its own, without the file's
/// `#Fields:` header, so the fields are found by what they hold: the
/// `event-id` (`FAIL`, `DEFER`), then the first address after the
/// angle-bracketed `message-id` (`recipient-address`), then the first field
/// after it that starts with a 4xx/5xx reply (`recipient-status`; newer
/// versions wrap it as `[{LRT=...};{LED=550 5.7.1 ...};...]`). Other events
/// (`RECEIVE`, `SEND`, `DELIVER`, `DSN`, ...) and the `#` header lines are
/// skipped.
pub(super) fn read(line: &str) -> Option<LogLine> {
    if line.starts_with("#Software: Microsoft Exchange") || line.starts_with("#Fields: date-time") {
        return Some(LogLine::Skip);
    }
    let iso_date = line.len() > 20 && line.as_bytes()[4] == b'-' && line.as_bytes()[10] == b'T';
    if !iso_date || (find(line, ",FAIL,").is_none() && find(line, ",DEFER,").is_none()) {
        return None;
    }
    let f = csv_fields(line);
    let event = f.iter().position(|v| v == "FAIL" || v == "DEFER")?;
    let after = &f[event + 1..];
    let rcpt_at = after
        .iter()
        .position(|v| v.contains('@') && !v.starts_with('<') && !v.contains(' '))?;
    let recipient = after[rcpt_at]
        .split(';')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    // A FAIL or DEFER event is a failure whatever its status field holds:
    // when no field opens with a reply code or a failure status, the field
    // after the recipient (`recipient-status`) is the reply, if any.
    let reply = after[rcpt_at + 1..]
        .iter()
        .find_map(|v| {
            // `[{LRT=...};{LED=550 5.7.1 ...};{FQDN=}]`: the reply is the
            // `LED=` value, up to its `}` (a plain field keeps its own
            // closing bracket: Yahoo's "Message not allowed - [299]")
            let v = match v.rsplit_once("LED=") {
                Some((_, led)) => led.split('}').next().unwrap_or(led),
                None => v.as_str(),
            };
            let b = v.as_bytes();
            let code = b.len() > 4
                && matches!(b[0], b'4' | b'5')
                && b[1..3].iter().all(u8::is_ascii_digit);
            let status = scan::find_status(v).is_some_and(|(s, at)| at.start == 0 && s.class >= 4);
            (code || status).then(|| v.to_string())
        })
        .or_else(|| {
            after
                .get(rcpt_at + 1)
                .filter(|v| !v.trim().is_empty())
                .cloned()
        })?;
    Some(LogLine::Rejection(LogRecord {
        recipient: Some(recipient),
        reply,
        status: None,
        relay: None,
        mta: Some("exchange"),
        ..LogRecord::default()
    }))
}
