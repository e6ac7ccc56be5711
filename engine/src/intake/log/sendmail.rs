//! Sendmail's log: a delivery's status (`to=<a>, ..., dsn=5.1.1, stat=...`),
//! and its own refusals as a receiving server (rulesets, milters, an unknown
//! local user).

use super::{angle, bracketed_ip, find, kv, LogLine, LogRecord};
use crate::intake::scan;

pub(super) fn read(line: &str) -> Option<LogLine> {
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
pub(super) fn read_inbound(line: &str) -> Option<LogLine> {
    let client_ip = || kv(line, " relay=").and_then(bracketed_ip);
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
