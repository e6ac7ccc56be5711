//! Exim's main log: a recipient that failed (`**`) or was deferred (`==`), a
//! host's error logged without a flag, and Exim's own ACL refusals as a
//! receiving server (`H=host [ip] F=<s> rejected RCPT <a>: ...`).

use super::{angle, bracketed_ip, find, LogLine, LogRecord};

pub(super) fn read(line: &str) -> Option<LogLine> {
    // `<date> <time> <id> ** addr ...` or `== addr ...`
    let Some((marker, pos)) = [" ** ", " == "]
        .iter()
        .filter_map(|m| find(line, m).map(|p| (*m, p)))
        .min_by_key(|(_, p)| *p)
    else {
        return read_inbound(line).or_else(|| read_host_error(line));
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

/// Exim's own refusals as a receiving server (`smtp_in.c`
/// `smtp_handle_acl_fail`, `acl.c`): `H=host (helo) [ip] F=<sender>
/// rejected RCPT <rcpt>: message`, `rejected MAIL <sender>: ...`,
/// `rejected after DATA: ...`, `rejected EHLO or HELO name: ...`,
/// `rejected connection in "connect" ACL`, `rejected by local_scan(): ...`,
/// each `temporarily rejected` when the ACL deferred. The line holds the
/// ACL's message (its `log_message`, else its `message`), not the code sent
/// to the client, so the record says `permanent` from the verb. fail2ban's
/// Exim filters (config/filter.d/exim*.conf) match the same shapes.
fn read_inbound(line: &str) -> Option<LogLine> {
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
    let client_ip = bracketed_ip(&line[h..]);
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

fn read_host_error(line: &str) -> Option<LogLine> {
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
