//! Haraka's log: `recipient <a> rejected: ...`, `deferred: ...`, `Upstream
//! error: ...`.

use super::{angle, find, LogLine, LogRecord};

/// Haraka's outbound `recipient <a@b> rejected: 550 ...` (or `deferred:`):
/// the marker that follows the recipient's address, the first one in the
/// line; the reply itself may say "rejected: " again (Postfix's "Recipient
/// address rejected: Greylisted ...").
pub(super) fn read(line: &str) -> Option<LogLine> {
    let first_marker = [" rejected: ", " deferred: "]
        .iter()
        .filter_map(|m| find(line, m).map(|p| (p, m.len())))
        .min();
    if let Some((p, len)) = first_marker {
        let head = &line[..p];
        if let Some(r) = head.rfind("recipient ") {
            let address = &head[r + 10..];
            if !address.contains(' ') {
                return Some(LogLine::Rejection(LogRecord {
                    recipient: Some(angle(address)),
                    reply: line[p + len..].to_string(),
                    status: None,
                    relay: None,
                    mta: Some("haraka"),
                    ..LogRecord::default()
                }));
            }
        }
    }
    let p = find(line, "Upstream error: ")?;
    Some(LogLine::Rejection(LogRecord {
        recipient: None,
        reply: line[p + 16..].to_string(),
        status: None,
        relay: None,
        mta: Some("haraka"),
        ..LogRecord::default()
    }))
}
