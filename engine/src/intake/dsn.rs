//! RFC 3464 delivery status fields.
//!
//! A `message/delivery-status` part is a block of per-message fields
//! (`Reporting-MTA`, `Arrival-Date`, ...) followed by one block per recipient,
//! blocks separated by blank lines:
//!
//! ```text
//! Final-Recipient: rfc822; bob@example.com
//! Action: failed
//! Status: 5.1.1
//! Remote-MTA: dns; mx.example.com
//! Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: Recipient address
//!     rejected: User unknown in local recipient table
//! ```
//!
//! Fields fold like mail headers (a line starting with white space continues
//! the previous one). Many MTAs also print these fields in a plain-text body
//! rather than a proper part, so [`parse_fields`] reads any text and keeps
//! the blocks that name a recipient.

use crate::facts::Status;
use crate::intake::scan;

/// One recipient's block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecipientFields {
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    pub action: Option<String>,
    pub status: Option<Status>,
    pub remote_mta: Option<String>,
    /// `Diagnostic-Code` without its type (`smtp;`).
    pub diagnostic: Option<String>,
    pub last_attempt: Option<String>,
    /// The writer's own verdict (PowerMTA's `X-PowerMTA-BounceCategory`),
    /// as `powermta/bad-mailbox`.
    pub verdict: Option<String>,
}

impl RecipientFields {
    /// The failed address as the sender wrote it: `Original-Recipient`
    /// (RFC 3464, 2.3.1: the address the sender gave, before any aliasing
    /// or forwarding; the one a mailing list knows and suppresses) when it
    /// names a real address, else `Final-Recipient` (the address after
    /// rewriting, which Postfix and others write first and which may be an
    /// alias target or a local delivery agent like
    /// `userx@sims-ms-daemon`).
    pub fn recipient(&self) -> Option<&str> {
        let real = |a: &&str| a.rsplit_once('@').is_some_and(|(_, d)| d.contains('.'));
        self.original_recipient
            .as_deref()
            .filter(real)
            .or(self.final_recipient.as_deref().filter(real))
            .or(self.final_recipient.as_deref())
            .or(self.original_recipient.as_deref())
    }
}

/// Per-message fields and the recipient blocks, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryStatus {
    pub reporting_mta: Option<String>,
    /// The software whose own fields the report carries (`powermta` for
    /// `X-PowerMTA-*`), the e-mail's `mta` fact when nothing else names it.
    pub writer: Option<&'static str>,
    pub recipients: Vec<RecipientFields>,
}

/// PowerMTA's bounce category (`bad-mailbox`, `spam-related`, ...) as a
/// verdict, `powermta/bad-mailbox`; anything but a plain word is ignored.
fn powermta_category(value: &str) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    (!v.is_empty() && v.len() <= 40 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then(|| format!("powermta/{v}"))
}

/// `rfc822; bob@example.com` → `bob@example.com`; `dns; mx.example.com` →
/// `mx.example.com`.
fn typed_value(v: &str) -> String {
    let v = v.trim();
    let v = match v.split_once(';') {
        Some((ty, rest)) if !ty.contains(' ') && ty.len() < 20 => rest.trim(),
        _ => v,
    };
    v.trim_matches(|c| c == '<' || c == '>').trim().to_string()
}

/// A `Diagnostic-Code` of type `X-Unix` (RFC 3464 leaves the type open;
/// Sendmail uses it) is not a server's reply but the exit status of the
/// local program that was to deliver the message (a pipe, procmail, a
/// filter), from `sysexits.h`. A bare `71` means nothing to a rule or a
/// reader, so it is put in words: "local delivery program exited with
/// status 71 (EX_OSERR: operating system error)".
fn unix_exit(v: &str) -> Option<String> {
    let (ty, rest) = v.trim().split_once(';')?;
    if !ty.trim().eq_ignore_ascii_case("x-unix") {
        return None;
    }
    let code: u8 = rest.trim().parse().ok()?;
    let meaning = match code {
        64 => "EX_USAGE: command line usage error",
        65 => "EX_DATAERR: data format error",
        66 => "EX_NOINPUT: cannot open input",
        67 => "EX_NOUSER: addressee unknown",
        68 => "EX_NOHOST: host name unknown",
        69 => "EX_UNAVAILABLE: service unavailable",
        70 => "EX_SOFTWARE: internal software error",
        71 => "EX_OSERR: operating system error",
        72 => "EX_OSFILE: critical OS file missing",
        73 => "EX_CANTCREAT: cannot create output file",
        74 => "EX_IOERR: input/output error",
        75 => "EX_TEMPFAIL: temporary failure",
        76 => "EX_PROTOCOL: remote error in protocol",
        77 => "EX_NOPERM: permission denied",
        78 => "EX_CONFIG: configuration error",
        _ => "an unlisted status",
    };
    Some(format!(
        "local delivery program exited with status {code} ({meaning})"
    ))
}

/// Unfolds header-style lines into `(name, value)` pairs and blank-line
/// separated blocks.
fn blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for raw in crate::intake::lines(text) {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !out.last().is_some_and(Vec::is_empty) {
                out.push(Vec::new());
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut().and_then(|b| b.last_mut()) {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty()
                && name.len() < 40
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                out.last_mut()
                    .expect("always one block")
                    .push((name.to_ascii_lowercase(), value.trim().to_string()));
                continue;
            }
        }
        // A line that is not a field ends the block (plain-text bodies).
        if !out.last().is_some_and(Vec::is_empty) {
            out.push(Vec::new());
        }
    }
    out.retain(|b| !b.is_empty());
    out
}

/// Reads delivery-status fields from `text`. Blocks naming a recipient
/// (`Final-Recipient` or `Original-Recipient`) become recipients; a
/// `Diagnostic-Code` or `Status` that comes in a block of its own (some MTAs
/// split them) joins the recipient before it.
pub fn parse_fields(text: &str) -> DeliveryStatus {
    let mut ds = DeliveryStatus::default();
    for block in blocks(text) {
        let mut r = RecipientFields::default();
        let mut any = false;
        for (name, value) in &block {
            any |= true;
            // Some MTAs put recipients one after another with no blank line
            // between: a second recipient field starts a new record.
            let starts_new = match name.as_str() {
                "final-recipient" => r.final_recipient.is_some(),
                "original-recipient" => r.original_recipient.is_some(),
                _ => false,
            };
            if starts_new {
                ds.recipients.push(std::mem::take(&mut r));
            }
            if name.starts_with("x-powermta-") {
                ds.writer = Some("powermta");
            }
            match name.as_str() {
                "reporting-mta" => ds.reporting_mta = Some(typed_value(value)),
                "final-recipient" => r.final_recipient = address(value),
                "x-actual-recipient" if r.final_recipient.is_none() => {
                    r.final_recipient = address(value)
                }
                "original-recipient" => r.original_recipient = address(value),
                "action" => r.action = Some(value.trim().to_ascii_lowercase()),
                "status" => {
                    r.status = scan::find_status(value).map(|(s, _)| s);
                }
                // the host alone: PowerMTA, Sendmail and others add the
                // address (`dns;mx.example.org (192.0.2.61)`), and some the
                // root's dot (`mx.example.jp.`)
                "remote-mta" => {
                    let v = typed_value(value);
                    r.remote_mta = v
                        .split_whitespace()
                        .next()
                        .map(|h| h.strip_suffix('.').unwrap_or(h).to_string())
                }
                "diagnostic-code" => {
                    let v = unix_exit(value).unwrap_or_else(|| typed_value(value));
                    if !v.is_empty() {
                        r.diagnostic = Some(v);
                    }
                }
                "last-attempt-date" => r.last_attempt = Some(value.clone()),
                "x-powermta-bouncecategory" => r.verdict = powermta_category(value),
                _ => {}
            }
        }
        if !any {
            continue;
        }
        if r.recipient().is_some() {
            ds.recipients.push(r);
        } else if let Some(prev) = ds.recipients.last_mut() {
            if prev.diagnostic.is_none() {
                prev.diagnostic = r.diagnostic;
            }
            if prev.status.is_none() {
                prev.status = r.status;
            }
            if prev.action.is_none() {
                prev.action = r.action;
            }
        }
    }
    ds
}

fn address(v: &str) -> Option<String> {
    let v = typed_value(v);
    scan::emails(&v)
        .into_iter()
        .next()
        .map(|(a, _)| a.to_ascii_lowercase())
        .or_else(|| (!v.is_empty() && v.contains('@')).then(|| v.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powermta_fields_name_the_writer_and_its_verdict() {
        let ds = parse_fields(
            "Reporting-MTA: dns;mta3.example.net\nX-PowerMTA-VirtualMTA: vmta-news\n\n\
             Final-Recipient: rfc822;carol@example.org\nAction: failed\nStatus: 5.1.1\n\
             X-PowerMTA-BounceCategory: Bad-Mailbox\n\n\
             Final-Recipient: rfc822;dave@example.org\nAction: failed\nStatus: 5.7.1\n\
             X-PowerMTA-BounceCategory: <script>\n",
        );
        assert_eq!(ds.writer, Some("powermta"));
        assert_eq!(
            ds.recipients[0].verdict.as_deref(),
            Some("powermta/bad-mailbox")
        );
        // not a category word: not kept
        assert_eq!(ds.recipients[1].verdict, None);
        assert_eq!(
            parse_fields("Final-Recipient: rfc822;a@example.org\n").writer,
            None
        );
    }

    #[test]
    fn a_unix_exit_status_is_put_in_words() {
        let d = parse_fields(
            "Final-Recipient: rfc822; a@example.org\nAction: delayed\nStatus: 4.5.0\nDiagnostic-Code: X-Unix; 71\n",
        );
        assert_eq!(
            d.recipients[0].diagnostic.as_deref(),
            Some("local delivery program exited with status 71 (EX_OSERR: operating system error)")
        );
        let d =
            parse_fields("Final-Recipient: rfc822; a@example.org\nDiagnostic-Code: smtp; 71 x\n");
        assert_eq!(d.recipients[0].diagnostic.as_deref(), Some("71 x"));
    }

    #[test]
    fn two_recipients_with_folded_diagnostic() {
        let ds = parse_fields(
            "Reporting-MTA: dns; mx.example.org\n\
             Arrival-Date: Mon, 1 Jan 2024 00:00:00 +0000\n\
             \n\
             Final-Recipient: rfc822; Bob@example.com\n\
             Action: failed\n\
             Status: 5.1.1\n\
             Remote-MTA: dns; mx.example.com\n\
             Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: Recipient address\n\
             \x20   rejected: User unknown\n\
             \n\
             Final-Recipient: rfc822;carol@example.com\n\
             Action: delayed\n\
             Status: 4.4.1\n",
        );
        assert_eq!(ds.reporting_mta.as_deref(), Some("mx.example.org"));
        assert_eq!(ds.recipients.len(), 2);
        let bob = &ds.recipients[0];
        assert_eq!(bob.recipient(), Some("bob@example.com"));
        assert_eq!(bob.action.as_deref(), Some("failed"));
        assert_eq!(bob.status.unwrap().to_string(), "5.1.1");
        assert_eq!(bob.remote_mta.as_deref(), Some("mx.example.com"));
        assert_eq!(
            bob.diagnostic.as_deref(),
            Some("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown")
        );
        assert_eq!(ds.recipients[1].status.unwrap().to_string(), "4.4.1");
    }

    #[test]
    fn recipients_without_blank_lines_between() {
        let ds = parse_fields(
            "Final-Recipient: rfc822; a@example.jp\nOriginal-Recipient: rfc822;a@example.jp\nAction: failed\nStatus: 5.2.2\n\
             Final-Recipient: rfc822; b@example.jp\nOriginal-Recipient: rfc822;b@example.jp\nAction: failed\nStatus: 5.1.1\n",
        );
        assert_eq!(ds.recipients.len(), 2);
        assert_eq!(ds.recipients[1].recipient(), Some("b@example.jp"));
        assert_eq!(ds.recipients[1].status.unwrap().to_string(), "5.1.1");
    }

    /// Postfix writes `Final-Recipient` first; after an alias or a forward
    /// the `Original-Recipient` that follows names another address of the
    /// same recipient, the one the sender used.
    #[test]
    fn an_aliased_recipient_is_one_recipient_named_as_the_sender_wrote_it() {
        let ds = parse_fields(
            "Final-Recipient: rfc822; box17@mail.example.fi\n\
             Original-Recipient: rfc822;bob@example.fi\n\
             Action: delayed\nStatus: 4.2.2\n",
        );
        assert_eq!(ds.recipients.len(), 1);
        assert_eq!(ds.recipients[0].recipient(), Some("bob@example.fi"));
        // A local delivery agent as the original is no address to act on.
        let ds = parse_fields(
            "Original-Recipient: rfc822;bob@sims-ms-daemon\n\
             Final-Recipient: rfc822; bob@example.com\nAction: failed\nStatus: 5.1.1\n",
        );
        assert_eq!(ds.recipients[0].recipient(), Some("bob@example.com"));
    }

    #[test]
    fn prose_is_not_fields() {
        let ds = parse_fields("Hello: this is not a DSN.\nJust text, no recipient.\n");
        assert!(ds.recipients.is_empty());
    }
}
