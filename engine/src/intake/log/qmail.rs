//! qmail-send's log: `starting delivery N: msg M to remote a@b`, then
//! `delivery N: failure|deferral|success: REPORT`, the report written
//! through `logsafe`.

use super::{find, LogLine, LogRecord};
use memchr::memmem::Finder;
use std::sync::LazyLock;

/// The markers every line of a log is searched for, built once (a
/// searcher built per call cost a fifth of a Postfix log's scan).
static DELIVERY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("delivery "));
static STARTING: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("starting delivery "));

/// Where qmail-send's `delivery N: ` starts in a line, and N.
fn qmail_delivery(line: &str, marker: &Finder<'static>) -> Option<(u64, usize)> {
    let at = marker.find(line.as_bytes())?;
    let len = marker.needle().len();
    let rest = &line[at + len..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !rest[digits..].starts_with(": ") {
        return None;
    }
    let n = rest[..digits].parse().ok()?;
    Some((n, at + len + digits + 2))
}

/// qmail-send's `starting delivery N: msg M to local|remote ADDRESS`: the
/// delivery number and its recipient, for the `delivery N: failure:` line
/// that follows.
pub fn qmail_delivery_start(line: &str) -> Option<(u64, String)> {
    let (n, rest) = qmail_delivery(line, &STARTING)?;
    let rest = &line[rest..];
    let to = [" to remote ", " to local "]
        .iter()
        .find_map(|m| find(rest, m).map(|p| &rest[p + m.len()..]))?;
    let address = to.split_whitespace().next()?;
    address
        .contains('@')
        .then(|| address.to_ascii_lowercase())
        .map(|a| (n, a))
}

/// qmail-send's result lines (`qmail-send.c`, `qsutil.c`): `delivery N:
/// success: ...`, `failure: ...` or `deferral: ...`, the delivery
/// program's report written through `logsafe`, which turns each line end
/// into `/` and every other character outside `!`..`~` (the space among
/// them) or `%` into `_` (some patched qmails write a space instead).
/// The report is read back with its spaces, and a `/` that ended one of
/// qmail-remote's sentences (before "Remote host said:", "Giving up on",
/// or after a full stop) as a line end; a `/` inside a URL stays.
pub(super) fn read(line: &str) -> Option<LogLine> {
    let (n, at) = qmail_delivery(line, &DELIVERY)?;
    let rest = &line[at..];
    let text = if let Some(t) = rest.strip_prefix("failure: ") {
        t
    } else if let Some(t) = rest.strip_prefix("deferral: ") {
        t
    } else if rest.starts_with("success: ") {
        return Some(LogLine::Skip);
    } else {
        return None;
    };
    Some(LogLine::Rejection(LogRecord {
        reply: qmail_unsafe(text),
        mta: Some("qmail"),
        delivery: Some(n),
        ..LogRecord::default()
    }))
}

fn qmail_unsafe(text: &str) -> String {
    let spaced = text.replace('_', " ");
    let mut out = String::with_capacity(spaced.len());
    let bytes = spaced.as_bytes();
    for (i, c) in spaced.char_indices() {
        if c == '/' {
            let after = &spaced[i + 1..];
            let line_end = after.is_empty()
                || i > 0 && bytes[i - 1] == b'.'
                || [
                    "Remote host said:",
                    "Giving up on",
                    "I'm not going to try again",
                ]
                .iter()
                .any(|s| after.starts_with(s));
            if line_end {
                out.push('\n');
                continue;
            }
        }
        out.push(c);
    }
    out.trim_end().to_string()
}
