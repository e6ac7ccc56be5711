//! Writing diagnoses: for people (a short report, colour only when asked),
//! as one JSON document, or as JSON Lines (one object per line, for streams
//! and pipes).

use crate::diagnosis::Diagnosis;
use std::fmt::Write as _;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Jsonl,
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn head(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn label(&self, s: &str) -> String {
        self.paint("36", &format!("{s:<11}"))
    }
}

/// A report a postmaster reads in a terminal.
pub fn human(d: &Diagnosis, color: bool) -> String {
    let st = Style { on: color };
    let mut o = String::new();
    if let Some(src) = &d.source {
        let line = d.line.map(|l| format!(":{l}")).unwrap_or_default();
        let message = d
            .message
            .map(|m| format!(" message {m}"))
            .unwrap_or_default();
        let rcpt = d
            .recipient
            .as_deref()
            .map(|r| format!(" → {r}"))
            .unwrap_or_default();
        let esp = d
            .esp_verdict
            .as_deref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "{}",
            st.paint("2", &format!("{src}{line}{message}{rcpt}{esp}"))
        );
    }
    let _ = writeln!(o, "{}", st.head(&d.text));
    if let Some(e) = &d.error {
        let _ = writeln!(o, "  {} {}", st.paint("31", &format!("{:<11}", "error")), e);
    }
    let sev = if d.confidence >= 0.8 {
        "32"
    } else if d.confidence >= 0.5 {
        "33"
    } else {
        "31"
    };
    let _ = writeln!(
        o,
        "  {}{} ({}, reason {})",
        st.label("cause"),
        st.paint("1", &d.category),
        d.category_title,
        d.reason
    );
    // Who acts, when it is not the sender's own delivery to this receiver.
    use bouncedx_dsl::ir::Concerns;
    let about = match d.concerns {
        Some(Concerns::Mailbox) => Some("the recipient's address or mailbox, not how you send"),
        Some(Concerns::Account) => {
            Some("your own account or submission server, not the recipient's side")
        }
        Some(Concerns::System) => {
            Some("a fault of the receiving system, not your mail or your sending")
        }
        Some(Concerns::Delivery) | None => None,
    };
    if let Some(about) = about {
        let _ = writeln!(o, "  {}{about}", st.label("concerns"));
    }
    let _ = writeln!(o, "  {}{}", st.label("diagnosis"), d.diagnosis);
    let rule = d
        .rule
        .as_deref()
        .map(|r| format!("rule {r}"))
        .unwrap_or_else(|| "no rule fired: from the code alone".into());
    let _ = writeln!(
        o,
        "  {}{} ({rule})",
        st.label("confidence"),
        st.paint(sev, &format!("{:.2}", d.confidence))
    );
    if let Some(note) = &d.confidence_note {
        let _ = writeln!(o, "  {}{note}", st.label(""));
    }
    let mut where_ = Vec::new();
    if let Some(p) = &d.provider {
        where_.push(format!("provider {p}"));
    }
    if let Some(s) = d.stage {
        where_.push(format!("stage {s}"));
    }
    if let Some(h) = &d.remote_host {
        where_.push(format!("host {h}"));
    }
    if let Some(ip) = &d.client_ip {
        where_.push(format!("client ip {ip}"));
    }
    if let (Some(s), Some(m)) = (d.status, &d.status_meaning) {
        where_.push(format!("{s} = {m}"));
    }
    if !where_.is_empty() {
        let _ = writeln!(o, "  {}{}", st.label("context"), where_.join(" · "));
    }
    let _ = writeln!(o, "  {}{}", st.label("retry"), d.retry.advice());
    if !d.evidence.is_empty() {
        let quoted: Vec<String> = d
            .evidence
            .iter()
            .map(|e| format!("\"{}\"", e.text))
            .collect();
        let _ = writeln!(
            o,
            "  {}{}",
            st.label("evidence"),
            st.paint("33", &quoted.join(", "))
        );
    }
    for (i, c) in d.checks.iter().enumerate() {
        let label = if i == 0 { "checks" } else { "" };
        let colour = match c.status.as_str() {
            "pass" => "32",
            "fail" | "error" => "31",
            "warn" => "33",
            _ => "2",
        };
        let took = if c.status == "skipped" {
            String::new()
        } else {
            format!(" ({:.1} ms)", c.millis)
        };
        let _ = writeln!(
            o,
            "  {}{} {}{}: {}",
            st.label(label),
            c.check,
            st.paint(colour, &c.status),
            took,
            c.summary
        );
    }
    list(&mut o, &st, "fix", &d.fix, true);
    list(&mut o, &st, "prevent", &d.prevent, false);
    list(&mut o, &st, "escalate", &d.escalate, false);
    list(&mut o, &st, "refs", &d.refs, false);
    for (i, a) in d.alternatives.iter().enumerate() {
        let label = if i == 0 { "also fired" } else { "" };
        let _ = writeln!(
            o,
            "  {}{} ({}, {}, {:.2})",
            st.label(label),
            a.rule,
            a.category,
            a.reason,
            a.confidence
        );
    }
    o
}

fn list(o: &mut String, st: &Style, label: &str, items: &[std::sync::Arc<str>], numbered: bool) {
    for (i, item) in items.iter().enumerate() {
        let l = if i == 0 { label } else { "" };
        let bullet = if numbered {
            format!("{}. ", i + 1)
        } else {
            "- ".into()
        };
        let _ = writeln!(o, "  {}{bullet}{item}", st.label(l));
    }
}

/// One JSON object per line.
pub fn jsonl(d: &Diagnosis) -> String {
    serde_json::to_string(d).expect("diagnoses serialise")
}

/// A pretty JSON document: an object for one diagnosis, an array for several.
pub fn json(ds: &[Diagnosis]) -> String {
    if ds.len() == 1 {
        serde_json::to_string_pretty(&ds[0]).expect("diagnoses serialise")
    } else {
        serde_json::to_string_pretty(ds).expect("diagnoses serialise")
    }
}
