//! Postfix's log lines: deliveries (`postfix/smtp[..]: QID: to=<a>, relay=h[ip]:25, ...,
//! dsn=5.7.1, status=bounced (host h[ip] said: ... (in reply to RCPT TO command))`,
//! `status=deferred`), and the refusals of its own smtpd, postscreen and
//! cleanup as a receiving server (`NOQUEUE: reject: RCPT from host[ip]: ...`).

use super::{angle, angle_kv, bracketed_ip, kv, kv_by, LogLine, LogRecord};
use crate::intake::scan;
use memchr::memmem::Finder;
use std::sync::LazyLock;

/// The searches every Postfix line goes through, built once.
static POSTFIX_TAG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("postfix/"));

static STATUS_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" status="));

/// `reject: `, after `: ` or `: milter-` (one search finds both).
static REJECT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("reject: "));

pub(super) fn read(line: &str) -> Option<LogLine> {
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
    let marker = REJECT
        .find(bytes)
        .and_then(|p| {
            // `: reject: ` or `: milter-reject: `, found with one search
            let head = &line[..p];
            if head.ends_with(": ") {
                Some((p - 2, ": reject: ".len()))
            } else if head.ends_with(": milter-") {
                Some((p - 9, ": milter-reject: ".len()))
            } else {
                None
            }
        })
        .filter(|(p, _)| STATUS_KEY.find(bytes).is_none_or(|s| s > *p));
    if let Some((p, len)) = marker {
        let rest = &line[p + len..];
        if rest.starts_with("header ") || rest.starts_with("body ") {
            return Some(LogLine::Rejection(cleanup_reject(rest)));
        }
        // `RCPT from host[ip]: 554 5.7.1 ...; from=<> to=<> proto=ESMTP helo=<>`
        let reply = rest.split_once("]: ").map_or(rest, |(_, r)| r);
        let recipient = angle_kv(rest, " to=<");
        let reply = reply.split("; from=<").next().unwrap_or(reply);
        // `RCPT from host[ip]:` names the command answered and the client
        let (command, client) = rest.split_once(" from ").unwrap_or((rest, ""));
        let client_ip = bracketed_ip(client);
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
    // `SOFTBOUNCE` is what Postfix logs for a bounce while `soft_bounce =
    // yes` keeps the message queued (global/bounce.c: the DSN's class
    // becomes 4, the receiver's reply stays as it was)
    if !(status.starts_with("bounced")
        || status.starts_with("deferred")
        || status.starts_with("SOFTBOUNCE"))
    {
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
    let recipient = angle_kv(rest, " to=<");
    let client_ip = head
        .rsplit_once(" from ")
        .and_then(|(_, c)| bracketed_ip(c));
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
