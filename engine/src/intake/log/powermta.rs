//! PowerMTA's accounting CSV: rows of type `b`, `t`, `rb` with the recipient,
//! the DSN status and diagnostic, and PowerMTA's bounce category.

use super::{csv_fields, LogLine, LogRecord};
use crate::intake::scan;

pub(super) fn read(line: &str) -> Option<LogLine> {
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
