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

pub mod multiline;

use crate::facts::Status;
use crate::intake::scan;
use memchr::memmem::Finder;
use std::sync::LazyLock;

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
    if let Some(r) = postfix(line) {
        return r;
    }
    // before Sendmail's: OpenSMTPD's delivery lines also hold ` to=` and
    // ` stat=`
    if let Some(r) = opensmtpd(line) {
        return r;
    }
    if let Some(r) = qmail(line) {
        return r;
    }
    if let Some(r) = exim(line) {
        return r;
    }
    if let Some(r) = sendmail(line) {
        return r;
    }
    if let Some(r) = sendmail_inbound(line) {
        return r;
    }
    if let Some(r) = powermta(line) {
        return r;
    }
    if let Some(r) = exchange(line) {
        return r;
    }
    if let Some(r) = haraka(line) {
        return r;
    }
    free_form(line)
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

/// The searches every Postfix line goes through, built once.
static POSTFIX_TAG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("postfix/"));
static STATUS_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" status="));
static REJECT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(": reject: "));
static MILTER_REJECT: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(": milter-reject: "));

fn postfix(line: &str) -> Option<LogLine> {
    let bytes = line.as_bytes();
    if POSTFIX_TAG.find(bytes).is_none() && STATUS_KEY.find(bytes).is_none() {
        return None;
    }
    // smtpd's and postscreen's refusals (smtpd_check.c `log_whatsup`:
    // `QUEUEID|NOQUEUE: reject: WHERE from host[ip]: TEXT; from=<s> to=<r>
    // proto=P helo=<h>`, `milter-reject:` for a milter's) and cleanup's
    // (header_checks, body_checks: `QUEUEID: reject: header|body CONTENT
    // from host[ip]; from=<s> to=<r> proto=P helo=<h>: TEXT`). A delivery
    // line's quoted reply may say ": reject: " too, after its `status=`.
    let marker = [
        (&*REJECT, ": reject: ".len()),
        (&*MILTER_REJECT, ": milter-reject: ".len()),
    ]
    .iter()
    .filter_map(|(f, n)| f.find(bytes).map(|p| (p, *n)))
    .min_by_key(|(p, _)| *p)
    .filter(|(p, _)| STATUS_KEY.find(bytes).is_none_or(|s| s > *p));
    if let Some((p, len)) = marker {
        let rest = &line[p + len..];
        if rest.starts_with("header ") || rest.starts_with("body ") {
            return Some(LogLine::Rejection(cleanup_reject(rest)));
        }
        // `RCPT from host[ip]: 554 5.7.1 ...; from=<> to=<> proto=ESMTP helo=<>`
        let reply = rest.split_once("]: ").map_or(rest, |(_, r)| r);
        let recipient = kv(rest, " to=<").map(|v| angle(v.split('>').next().unwrap_or(v)));
        let reply = reply.split("; from=<").next().unwrap_or(reply);
        // `RCPT from host[ip]:` names the command answered and the client
        let (command, client) = rest.split_once(" from ").unwrap_or((rest, ""));
        let client_ip = client
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .map(|(ip, _)| ip.to_string())
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
        return Some(LogLine::Rejection(LogRecord {
            recipient,
            reply: reply.to_string(),
            status: None,
            relay: None,
            mta: Some("postfix"),
            stage: crate::intake::reply::stage_from(command.trim()),
            client_ip,
            ..LogRecord::default()
        }));
    }
    let Some(status) = kv_by(line, &STATUS_KEY) else {
        // connect, qmgr, cleanup, pickup...: not about a recipient's fate
        return Some(LogLine::Skip);
    };
    if !(status.starts_with("bounced") || status.starts_with("deferred")) {
        return Some(LogLine::Skip);
    }
    let detail = line
        .find(" status=")
        .and_then(|p| line[p..].find('(').map(|q| &line[p + q + 1..]))
        .map(|d| d.strip_suffix(')').unwrap_or(d))
        .unwrap_or("");
    Some(LogLine::Rejection(LogRecord {
        recipient: kv(line, " to=").map(angle),
        reply: detail.to_string(),
        status: kv(line, " dsn=").and_then(|d| scan::find_status(d).map(|s| s.0)),
        // `relay=none`: no server was reached (a connection or DNS failure).
        relay: kv(line, " relay=")
            .map(|r| r.split('[').next().unwrap_or(r).to_string())
            .filter(|r| r != "none"),
        mta: Some("postfix"),
        ..LogRecord::default()
    }))
}

fn exim(line: &str) -> Option<LogLine> {
    // `<date> <time> <id> ** addr ...` or `== addr ...`
    let Some((marker, pos)) = [" ** ", " == "]
        .iter()
        .filter_map(|m| find(line, m).map(|p| (*m, p)))
        .min_by_key(|(_, p)| *p)
    else {
        return exim_inbound(line).or_else(|| exim_host_error(line));
    };
    let head = &line[..pos];
    // An Exim message id is 16 or more characters with dashes: 1RookS-000Pg8-VO
    let exim_id = head
        .split_whitespace()
        .last()
        .is_some_and(|id| id.matches('-').count() >= 2);
    if !exim_id {
        return None;
    }
    let rest = &line[pos + marker.len()..];
    let recipient = rest.split_whitespace().next().map(angle);
    let reply = rest
        .find(": ")
        .map(|p| &rest[p + 2..])
        .unwrap_or(rest)
        .to_string();
    Some(LogLine::Rejection(LogRecord {
        recipient,
        reply,
        status: None,
        relay: None,
        mta: Some("exim"),
        ..LogRecord::default()
    }))
}

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
fn opensmtpd(line: &str) -> Option<LogLine> {
    if find(line, " delivery evpid=").is_some() {
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
    if find(line, " smtp failed-command command=").is_some() {
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

/// Where qmail-send's `delivery N: ` starts in a line, and N.
fn qmail_delivery(line: &str, marker: &str) -> Option<(u64, usize)> {
    let at = find(line, marker)?;
    let rest = &line[at + marker.len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !rest[digits..].starts_with(": ") {
        return None;
    }
    let n = rest[..digits].parse().ok()?;
    Some((n, at + marker.len() + digits + 2))
}

/// qmail-send's `starting delivery N: msg M to local|remote ADDRESS`: the
/// delivery number and its recipient, for the `delivery N: failure:` line
/// that follows.
pub fn qmail_delivery_start(line: &str) -> Option<(u64, String)> {
    let (n, rest) = qmail_delivery(line, "starting delivery ")?;
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
fn qmail(line: &str) -> Option<LogLine> {
    let (n, at) = qmail_delivery(line, "delivery ")?;
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

fn sendmail(line: &str) -> Option<LogLine> {
    if find(line, " stat=").is_none() || find(line, " to=").is_none() {
        return None;
    }
    let dsn = kv(line, " dsn=");
    let status = dsn.and_then(|d| scan::find_status(d).map(|s| s.0));
    let stat = find(line, " stat=").map(|p| &line[p + 6..]).unwrap_or("");
    if status.is_some_and(|s| s.class == 2) || stat.starts_with("Sent") {
        return Some(LogLine::Skip);
    }
    Some(LogLine::Rejection(LogRecord {
        recipient: kv(line, " to=").map(angle),
        reply: stat.to_string(),
        status,
        relay: kv(line, " relay=").map(|r| {
            r.split_whitespace()
                .next()
                .unwrap_or(r)
                .trim_end_matches('.')
                .to_string()
        }),
        mta: Some("sendmail"),
        ..LogRecord::default()
    }))
}

/// Sendmail's own refusals as a receiving server: a ruleset's (`QID:
/// ruleset=check_rcpt, arg1=<a>, relay=host [ip], reject=550 5.7.1 ...`;
/// `check_mail`'s arg1 is the sender, `check_relay`'s arg2 the client's
/// IP), a milter's (`Milter: data, reject=554 ...`, `Milter: to=<a>,
/// reject=...`), and an unknown local recipient (`<a>... User unknown`,
/// which Sendmail logs without a code).
fn sendmail_inbound(line: &str) -> Option<LogLine> {
    let client_ip = || {
        kv(line, " relay=")
            .and_then(|r| r.split_once('['))
            .and_then(|(_, r)| r.split_once(']'))
            .map(|(ip, _)| ip.trim_start_matches("IPv6:").to_string())
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
    };
    if let Some(reject) = find(line, " reject=") {
        let reply = line[reject + " reject=".len()..].to_string();
        if let Some(ruleset) = kv(line, " ruleset=") {
            let arg1 = kv(line, " arg1=").unwrap_or("");
            let (stage, recipient, ip) = match ruleset {
                "check_rcpt" => (
                    Some(bouncedx_dsl::ir::Stage::Rcpt),
                    Some(angle(arg1)),
                    client_ip(),
                ),
                "check_mail" => (Some(bouncedx_dsl::ir::Stage::Mail), None, client_ip()),
                "check_relay" => (
                    Some(bouncedx_dsl::ir::Stage::Connect),
                    None,
                    kv(line, " arg2=").map(str::to_string).or_else(client_ip),
                ),
                "check_compat" | "check_eoh" | "check_data" | "check_eom" => {
                    (Some(bouncedx_dsl::ir::Stage::Data), None, client_ip())
                }
                _ => (None, None, client_ip()),
            };
            return Some(LogLine::Rejection(LogRecord {
                recipient: recipient.filter(|a| a.contains('@')),
                reply,
                mta: Some("sendmail"),
                stage,
                client_ip: ip,
                ..LogRecord::default()
            }));
        }
        if let Some(m) = find(line, "Milter: ") {
            let what = &line[m + "Milter: ".len()..reject];
            let stage = crate::intake::reply::stage_from(what).or_else(|| {
                if what.starts_with("to=") {
                    Some(bouncedx_dsl::ir::Stage::Rcpt)
                } else if what.starts_with("from=") {
                    Some(bouncedx_dsl::ir::Stage::Mail)
                } else {
                    None
                }
            });
            let recipient = what
                .strip_prefix("to=")
                .map(|a| angle(a.trim_end_matches([',', ' '])));
            return Some(LogLine::Rejection(LogRecord {
                recipient,
                reply,
                mta: Some("sendmail"),
                stage,
                ..LogRecord::default()
            }));
        }
    }
    if find(line, "sendmail[").is_some() || find(line, "sm-mta[").is_some() {
        // `QID: <a>... User unknown`
        let at = find(line, ">... ")?;
        let open = line[..at].rfind('<')?;
        let address = &line[open + 1..at];
        if !address.contains('@') && !address.contains('.') {
            return None;
        }
        let text = &line[at + ">... ".len()..];
        if !text.to_ascii_lowercase().starts_with("user unknown") {
            return None;
        }
        return Some(LogLine::Rejection(LogRecord {
            recipient: Some(address.to_ascii_lowercase()),
            reply: text.to_string(),
            mta: Some("sendmail"),
            stage: Some(bouncedx_dsl::ir::Stage::Rcpt),
            permanent: Some(true),
            ..LogRecord::default()
        }));
    }
    None
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

fn powermta(line: &str) -> Option<LogLine> {
    let kind = line.split(',').next()?;
    if !matches!(kind, "b" | "t" | "rb" | "tq" | "d" | "f" | "type") {
        return None;
    }
    let f = csv_fields(line);
    if f.len() < 9 || !f[4].contains('@') {
        return (kind == "type").then_some(LogLine::Skip);
    }
    if matches!(kind, "d" | "f") {
        return Some(LogLine::Skip);
    }
    let diag = f[8].as_str();
    let diag = diag
        .split_once(';')
        .filter(|(t, _)| t.len() < 12)
        .map_or(diag, |(_, r)| r);
    // The record fields are configurable, so the bounce category is the
    // field that holds one of PowerMTA's category names, wherever it is.
    let verdict = f[9..]
        .iter()
        .find(|v| POWERMTA_CATEGORIES.contains(&v.as_str()))
        .map(|c| format!("powermta/{c}"));
    Some(LogLine::Rejection(LogRecord {
        recipient: Some(f[4].to_ascii_lowercase()),
        reply: diag.trim().to_string(),
        status: scan::find_status(&f[7]).map(|s| s.0),
        relay: f
            .get(9)
            .map(|m| m.split(' ').next().unwrap_or(m).to_string()),
        mta: Some("powermta"),
        verdict,
        ..LogRecord::default()
    }))
}

/// PowerMTA's default bounce categories (`bounce-category-patterns`).
const POWERMTA_CATEGORIES: &[&str] = &[
    "bad-mailbox",
    "bad-domain",
    "inactive-mailbox",
    "quota-issues",
    "message-expired",
    "no-answer-from-host",
    "bad-connection",
    "routing-errors",
    "relaying-issues",
    "policy-related",
    "spam-related",
    "virus-related",
    "content-related",
    "protocol-errors",
    "bad-configuration",
    "other",
];

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
fn exchange(line: &str) -> Option<LogLine> {
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

/// Exim's line about one host's error, logged without a `**`/`==` flag
/// (`<id> H=mx.example.com [192.0.2.1]: SMTP error from remote mail server
/// after pipelined MAIL FROM:<a> SIZE=4169: 451 ...`): the reply with its
/// stage, and the host. The recipient is named only when the error came
/// after RCPT TO.
/// cleanup's refusal by header_checks or body_checks: `header|body CONTENT
/// from host[ip]; from=<s> to=<r> proto=P helo=<h>: TEXT` (the text is
/// absent when the rule gave none).
fn cleanup_reject(rest: &str) -> LogRecord {
    let (head, tail) = rest.split_once("; from=<").unwrap_or((rest, ""));
    let text = tail
        .find(" helo=<")
        .map(|h| &tail[h..])
        .and_then(|h| h.split_once(">: "))
        .map(|(_, t)| t)
        .or_else(|| tail.split_once(">: ").map(|(_, t)| t))
        .unwrap_or("");
    let recipient = kv(rest, " to=<").map(|v| angle(v.split('>').next().unwrap_or(v)));
    let client_ip = head
        .rsplit_once(" from ")
        .and_then(|(_, c)| c.split_once('['))
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(ip, _)| ip.to_string())
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
    LogRecord {
        recipient,
        // the rule's text, else what it matched
        reply: if text.is_empty() {
            format!("rejected by {}", head.trim())
        } else {
            text.to_string()
        },
        mta: Some("postfix"),
        stage: Some(bouncedx_dsl::ir::Stage::Data),
        client_ip,
        permanent: Some(true),
        ..LogRecord::default()
    }
}

/// Exim's own refusals as a receiving server (`smtp_in.c`
/// `smtp_handle_acl_fail`, `acl.c`): `H=host (helo) [ip] F=<sender>
/// rejected RCPT <rcpt>: message`, `rejected MAIL <sender>: ...`,
/// `rejected after DATA: ...`, `rejected EHLO or HELO name: ...`,
/// `rejected connection in "connect" ACL`, `rejected by local_scan(): ...`,
/// each `temporarily rejected` when the ACL deferred. The line holds the
/// ACL's message (its `log_message`, else its `message`), not the code sent
/// to the client, so the record says `permanent` from the verb. fail2ban's
/// Exim filters (config/filter.d/exim*.conf) match the same shapes.
fn exim_inbound(line: &str) -> Option<LogLine> {
    let h = find(line, "H=")?;
    let at = find(&line[h..], " rejected ")? + h;
    // the refusal is Exim's own when `rejected` follows the host and
    // sender fields directly; in a remote server's quoted reply
    // ("H=host [ip]: SMTP error ...: 550 rejected after DATA") a `: ` comes
    // first
    if find(&line[h..at], ": ").is_some() {
        return None;
    }
    let temporarily = line[..at].ends_with(" temporarily");
    let what = &line[at + " rejected ".len()..];
    let (head, message) = match what.split_once(": ") {
        Some((head, message)) => (head, message),
        None => (what, what),
    };
    let upper = head.to_ascii_uppercase();
    let stage = if upper.starts_with("RCPT") {
        Some(bouncedx_dsl::ir::Stage::Rcpt)
    } else if upper.starts_with("MAIL") {
        Some(bouncedx_dsl::ir::Stage::Mail)
    } else if upper.contains("DATA") || upper.starts_with("BY LOCAL_SCAN") {
        Some(bouncedx_dsl::ir::Stage::Data)
    } else if upper.starts_with("EHLO") || upper.starts_with("HELO") {
        Some(bouncedx_dsl::ir::Stage::Helo)
    } else if upper.starts_with("CONNECTION") {
        Some(bouncedx_dsl::ir::Stage::Connect)
    } else {
        return None;
    };
    let recipient = (stage == Some(bouncedx_dsl::ir::Stage::Rcpt))
        .then(|| head[4..].trim())
        .filter(|a| a.contains('@'))
        .map(angle);
    let client_ip = line[h..]
        .split_once('[')
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(ip, _)| ip.to_string())
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
    Some(LogLine::Rejection(LogRecord {
        recipient,
        reply: message.trim().to_string(),
        mta: Some("exim"),
        stage,
        client_ip,
        permanent: Some(!temporarily),
        ..LogRecord::default()
    }))
}

fn exim_host_error(line: &str) -> Option<LogLine> {
    let at = find(line, "SMTP error from remote mail server after ")?;
    let exim_id = line
        .split_whitespace()
        .nth(2)
        .is_some_and(|id| id.matches('-').count() >= 2 && id.len() >= 16);
    if !exim_id {
        return None;
    }
    let relay = find(line, " H=")
        .map(|h| &line[h + 3..])
        .and_then(|h| h.split([' ', ':']).next())
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase);
    Some(LogLine::Rejection(LogRecord {
        recipient: None,
        reply: line[at..].to_string(),
        status: None,
        relay,
        mta: Some("exim"),
        ..LogRecord::default()
    }))
}

/// Haraka's outbound `recipient <a@b> rejected: 550 ...` (or `deferred:`):
/// the marker that follows the recipient's address, the first one in the
/// line; the reply itself may say "rejected: " again (Postfix's "Recipient
/// address rejected: Greylisted ...").
fn haraka(line: &str) -> Option<LogLine> {
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

/// Any other line: a rejection when it holds a 4xx/5xx reply code followed
/// by words, or an enhanced status of class 4 or 5.
///
/// The reply code is the line's first (a number further on may be a size
/// or a count: "SpamNotification 512,"); an enhanced status of class 4 or
/// 5 counts wherever it stands, after a success's (`250 2.1.5 ... 550
/// 5.1.1 ...`), and the reply then starts at the code just before it.
fn free_form(line: &str) -> LogLine {
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

#[cfg(test)]
mod tests;
