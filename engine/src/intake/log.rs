//! Reading MTA log lines: which lines report a rejection, and what it was.
//!
//! A mail log is mostly lines about other things (connections, queue
//! management, deliveries). [`read_log_line`] recognises the lines that
//! report a failed or deferred recipient and returns the recipient and the
//! reply; every other line is [`LogLine::Skip`], to be counted, not reported.
//!
//! | MTA | failure lines |
//! | --- | --- |
//! | Postfix | `postfix/smtp[..]: QID: to=<a>, relay=h[ip]:25, ..., dsn=5.7.1, status=bounced (host h[ip] said: ... (in reply to RCPT TO command))`; `status=deferred (...)`; inbound `NOQUEUE: reject: RCPT from ...: 554 5.7.1 ...` (or a queue id, `milter-reject:`), cleanup's `QID: reject: header ...` |
//! | Exim | `** a@b R=.. T=..: SMTP error from remote mail server after RCPT TO:<a@b>: 550 ...`; deferrals `==`; its own refusals as a receiver, `H=h [ip] F=<s> rejected RCPT <a>: message` (`temporarily rejected`) |
//! | Sendmail | `QID: to=<a>, ..., dsn=5.1.1, stat=User unknown`; its own refusals, `ruleset=check_rcpt, arg1=<a>, relay=h [ip], reject=550 ...`, `Milter: data, reject=...`, `<a>... User unknown` |
//! | PowerMTA | accounting CSV rows of type `b`, `t`, `rb` |
//! | Haraka | `recipient <a> rejected: 550 ...`, `Upstream error: 421 ...` |
//! | Exchange | message tracking CSV rows whose `event-id` is `FAIL` or `DEFER` |
//! | OpenSMTPD | `mta delivery evpid=... to=<a> ... relay="h [ip]" ... result="PermFail" stat="550 ..."` (and `mda delivery`, `TempFail`); inbound `smtp failed-command command="RCPT TO:<a>" result="550 ..."` |
//! | qmail | `delivery N: failure: TEXT` and `delivery N: deferral: TEXT` (qmail-send's log, spaces written `_` and line ends `/`); the recipient is on the line `starting delivery N: msg M to remote a@b` before it ([`qmail_delivery_start`]) |
//! | any | a line that holds an SMTP reply (`550 5.7.1 ...`) |

mod exchange;
mod exim;
mod free_form;
mod haraka;
pub mod multiline;
mod opensmtpd;
mod postfix;
mod powermta;
mod qmail;
mod sendmail;

pub use qmail::qmail_delivery_start;

use crate::facts::Status;
use memchr::memmem::Finder;

/// One log line, read.
#[derive(Debug, Clone, PartialEq)]
pub enum LogLine {
    /// Not a rejection (a delivery, a connection, anything else).
    Skip,
    /// A failed or deferred recipient.
    Rejection(LogRecord),
}

/// A rejection found in a log line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogRecord {
    pub recipient: Option<String>,
    /// The reply (or the MTA's own words) to diagnose.
    pub reply: String,
    /// The `dsn=` status the MTA logged.
    pub status: Option<Status>,
    /// The relay host the MTA talked to.
    pub relay: Option<String>,
    /// Which MTA wrote the line; none for a rejection found in a line of no
    /// known format (no writer is claimed for it).
    pub mta: Option<&'static str>,
    /// The SMTP command answered, when the line says it outside the reply
    /// (Postfix's inbound `NOQUEUE: reject: RCPT from ...`).
    pub stage: Option<bouncedx_dsl::ir::Stage>,
    /// The connecting client that was refused, for a receiving MTA's own
    /// rejections (`RCPT from host[192.0.2.7]`).
    pub client_ip: Option<String>,
    /// The sending MTA's own classification, when its log carries one
    /// (PowerMTA's `bounceCat`: `spam-related`), kept beside bouncedx's as
    /// an ESP's verdict is.
    pub verdict: Option<String>,
    /// Whether the writer says the refusal was permanent, when the line
    /// holds no reply code (Exim logs its ACL refusals as `rejected` or
    /// `temporarily rejected` with the ACL's message, not the code sent).
    pub permanent: Option<bool>,
    /// qmail's delivery number (`delivery 42: failure: ...`): the
    /// recipient is named on the earlier `starting delivery 42:` line, and
    /// whoever reads the log in order fills it in.
    pub delivery: Option<u64>,
}

/// Reads one line of a mail log.
pub fn read_log_line(line: &str) -> LogLine {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.len() < 8 {
        return LogLine::Skip;
    }
    if let Some(r) = postfix::read(line) {
        return r;
    }
    // before Sendmail's: OpenSMTPD's delivery lines also hold ` to=` and
    // ` stat=`
    if let Some(r) = opensmtpd::read(line) {
        return r;
    }
    if let Some(r) = qmail::read(line) {
        return r;
    }
    if let Some(r) = exim::read(line) {
        return r;
    }
    if let Some(r) = sendmail::read(line) {
        return r;
    }
    if let Some(r) = sendmail::read_inbound(line) {
        return r;
    }
    if let Some(r) = powermta::read(line) {
        return r;
    }
    if let Some(r) = exchange::read(line) {
        return r;
    }
    if let Some(r) = haraka::read(line) {
        return r;
    }
    free_form::read(line)
}

/// The value of `key=` up to the next `, ` (or the end).
fn kv<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = find(line, key)? + key.len();
    value_from(line, start)
}

/// [`kv`] with a searcher built once, for the keys every line is
/// searched for.
fn kv_by<'a>(line: &'a str, key: &Finder<'static>) -> Option<&'a str> {
    let start = key.find(line.as_bytes())? + key.needle().len();
    value_from(line, start)
}

fn value_from(line: &str, start: usize) -> Option<&str> {
    let rest = &line[start..];
    let end = rest.find(", ").unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The address in `key<...>` (` to=<a@b>`), in lower case.
fn angle_kv(line: &str, key: &str) -> Option<String> {
    kv(line, key).map(|v| angle(v.split('>').next().unwrap_or(v)))
}

/// The IP in the first `[...]` of `s` (`host[192.0.2.7]`,
/// `host [IPv6:2001:db8::1]`), when it is one.
fn bracketed_ip(s: &str) -> Option<String> {
    s.split_once('[')
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(ip, _)| ip.trim_start_matches("IPv6:").to_string())
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
}

fn angle(v: &str) -> String {
    v.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase()
}

/// Where `needle` first occurs in `line`: `memchr`'s SIMD substring
/// search. Every line of a log is searched a few times, and `str::find`
/// builds a two-way searcher on each call (a third of a log scan's
/// instructions went there).
fn find(line: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(line.as_bytes(), needle.as_bytes())
}

/// Splits one CSV row (double quotes, `""` escapes).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests;
