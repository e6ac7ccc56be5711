//! Reading a bounce e-mail: which recipients failed, and what was said.
//!
//! Bounces come in two shapes:
//!
//! - **Standard** (RFC 3464): `multipart/report; report-type=delivery-status`
//!   with a human-readable part, a `message/delivery-status` part holding one
//!   block of fields per recipient (see [`dsn`](crate::intake::dsn)), and the
//!   returned message or its headers.
//! - **Non-standard**: prose written by qmail, Exim, older Sendmail, Domino,
//!   Exchange and many appliances: "I'm afraid I wasn't able to deliver your
//!   message to the following addresses", then each address and the reply
//!   the remote server gave, then a copy of the message.
//!
//! Beside them come messages that are not failures at all: complaint
//! reports, automatic replies, JSON notifications mailed by an ESP, test
//! messages.
//!
//! Reading one goes in three steps, a module each:
//!
//! 1. [`mime`]: the bytes are repaired where bounces are commonly broken,
//!    parsed with `mail-parser` (every transfer encoding and charset, CRLF
//!    or LF), and the parts that matter gathered.
//! 2. [`report`]: the human-readable text is cut where the returned
//!    message begins.
//! 3. [`readers`]: a table of small readers, one per shape or writer family
//!    (RFC 3464 fields, Exim, qmail, Sendmail, Office 365, Domino, ...),
//!    picks the one that knows this bounce; it produces one [`Record`] per
//!    recipient in the order the bounce lists them. A recipient always comes
//!    from a recipient position ([`recipients`]): a DSN field, the family's
//!    recipient line, never an address met in a sentence.
//!
//! What the remote server said is left as text for the rules to judge.

use mail_parser::MimeHeaders;

/// Searchers for the fixed strings every e-mail is searched for, built
/// once: `memmem::find_iter` builds a new searcher on each call, which
/// costs more than the search itself on a message of a few KiB.
macro_rules! finder {
    ($needle:expr) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        &*FINDER
    }};
}

mod mime;
mod readers;
mod recipients;
mod report;

use crate::intake::verdict;
use mime::{collect, multipart_count, parser, Parts};
#[cfg(test)]
use mime::{restore_missing_boundary, strip_html};

/// What kind of message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A delivery failure or delay notice.
    Bounce,
    /// An ARF (RFC 5965) feedback report: a complaint, not a bounce.
    Feedback,
    /// An automatic reply (RFC 3834): out of office, not a bounce.
    Vacation,
    /// Not a bounce at all: a message (a test message sent to check
    /// authentication) whose `Authentication-Results` say how it fared.
    Message,
}

/// One recipient of a bounce.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub recipient: Option<String>,
    /// DSN `Action` (`failed`, `delayed`, `delivered`, `relayed`, `expanded`).
    pub action: Option<String>,
    /// DSN `Status`.
    pub status: Option<crate::facts::Status>,
    pub remote_mta: Option<String>,
    /// The remote server's reply (DSN `Diagnostic-Code`), when given.
    pub diagnostic: Option<String>,
    /// The writer's own verdict on this recipient, as `writer/verdict`
    /// (PowerMTA's `X-PowerMTA-BounceCategory: bad-mailbox` is
    /// `powermta/bad-mailbox`): kept as `esp_verdict`, and the `esp` fact.
    pub verdict: Option<String>,
    /// The bounce's own words about this recipient (the prose part).
    pub context: String,
    /// SPF, DKIM and DMARC verdicts from the `Authentication-Results`
    /// headers of the returned message (or of a test message).
    pub auth: Vec<crate::intake::auth_results::AuthVerdict>,
}

/// A bounce e-mail, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub kind: Kind,
    pub subject: Option<String>,
    /// The original message's envelope sender: a bounce is addressed to
    /// it, so it is the bounce's `To`.
    pub sender: Option<String>,
    pub reporting_mta: Option<String>,
    /// The software that wrote the bounce, when its signature shows
    /// ([`family`](crate::intake::family)): the `mta` fact of every record.
    pub mta: Option<&'static str>,
    /// The reader that read it (`delivery_status`, `exim`, `qmail`,
    /// `office365`, `prose`, ...; see `readers`).
    pub reader: &'static str,
    /// What the writer's heading says of all its failures
    /// ([`verdict`](crate::intake::verdict)): `Some(true)` "This is a permanent error",
    /// `Some(false)` "YOU DO NOT NEED TO RESEND YOUR MESSAGE", `None`
    /// neither, or not read (every record has a DSN status or action).
    pub permanent: Option<bool>,
    pub records: Vec<Record>,
}

/// What a bounce says about all of its recipients at once: who sent the
/// original message, which software wrote the bounce and whether it gave
/// up. Every record of the e-mail is diagnosed with it.
#[derive(Debug, Clone, Copy, Default)]
pub struct About<'a> {
    pub sender: Option<&'a str>,
    pub mta: Option<&'a str>,
    /// The writer's verdict on its failures ([`Email::permanent`]).
    pub permanent: Option<bool>,
}

impl About<'_> {
    /// Whether the bounce calls this recipient's failure permanent: its
    /// DSN `Action` (`failed`, `delayed`) when it has one, else the
    /// writer's heading. Used only where the reply itself has no class.
    pub fn permanence_of(&self, r: &Record) -> Option<bool> {
        verdict::for_record(r.action.as_deref(), self.permanent)
    }
}

impl Email {
    /// What the e-mail says about all of its recipients.
    pub fn about(&self) -> About<'_> {
        About {
            sender: self.sender.as_deref(),
            mta: self.mta,
            permanent: self.permanent,
        }
    }
}

/// Why an input could not be read as an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailError {
    Empty,
    Binary,
    NotAnEmail,
    /// More multipart containers than any bounce has (see
    /// [`MAX_MULTIPARTS`]).
    TooNested(usize),
}

/// The most `multipart/` containers one message may declare. A bounce has a
/// handful (report, alternative, the returned message's own); a message
/// nested 800,000 deep made the MIME parser hold 17 times its size (1 GB
/// for 56 MB), so such a message is refused before it is parsed.
pub const MAX_MULTIPARTS: usize = 256;

impl std::fmt::Display for EmailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EmailError::Empty => "empty input: there is no message to read",
            EmailError::Binary => "binary data, not an e-mail (control bytes in the first 2 KiB)",
            EmailError::NotAnEmail => {
                "not an e-mail: no header lines (`Name: value`) before the body, and no failed recipient in its text (`scan --input log` reads it line by line)"
            }
            EmailError::TooNested(_) => {
                "more than 256 multipart parts nested or declared: not a bounce (refused before MIME parsing, which would hold many times the message's size)"
            }
        })
    }
}

/// Whether bytes are binary data rather than text: more than 1 in 100 of
/// the first 2 KiB are control characters other than tab, CR, LF, form feed
/// and ESC (ISO-2022-JP text uses ESC). Real bounces sometimes carry a stray
/// NUL; that alone does not make them binary.
pub fn is_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(2048)];
    // Branch-free comparisons (`&`, not `&&`; no table) over 64-byte
    // chunks counted in a byte, so the compiler tests a chunk at a time.
    let is_control = |b: u8| {
        u8::from(
            (b < 0x20) & (b != b'\t') & (b != b'\r') & (b != b'\n') & (b != 0x0c) & (b != 0x1b),
        )
    };
    let chunks = head.chunks_exact(64);
    let tail: usize = chunks
        .remainder()
        .iter()
        .map(|&b| usize::from(is_control(b)))
        .sum();
    let controls: usize = chunks
        .map(|c| usize::from(c.iter().fold(0u8, |n, &b| n + is_control(b))))
        .sum::<usize>()
        + tail;
    controls * 100 > head.len()
}

/// The message without the blank lines (or lines of spaces) before its
/// first header, as a message pasted or saved with a leading empty line
/// has: no header block starts with one, and the MIME parser would read it
/// as an empty header block and the headers as body.
fn skip_blank_lines(bytes: &[u8]) -> &[u8] {
    let mut rest = bytes;
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        if !rest[..nl].iter().all(u8::is_ascii_whitespace) {
            break;
        }
        rest = &rest[nl + 1..];
    }
    rest
}

/// Reads one e-mail.
pub fn read_email(bytes: &[u8]) -> Result<Email, EmailError> {
    let mut email = read_one(bytes)?;
    // A bounce forwarded inline (pasted into a plain-text message after its
    // mbox `From ` line) or as an attachment: when the outer message says
    // nothing of its own about any recipient, the report inside is the
    // bounce to read.
    let says_nothing = email
        .records
        .iter()
        .all(|r| r.status.is_none() && r.diagnostic.is_none());
    if says_nothing {
        if let Some(inner) = forwarded_report(bytes) {
            if let Ok(read) = read_one(inner) {
                if read
                    .records
                    .iter()
                    .any(|r| r.status.is_some() || r.diagnostic.is_some())
                {
                    email.records = read.records;
                    email.mta = read.mta.or(email.mta);
                    email.reporting_mta = read.reporting_mta.or(email.reporting_mta);
                }
            }
        }
    }
    // Some mailers append a second report after the first one's closing
    // boundary (two bounces in one file); read it too. Only worth a look
    // when the file names more recipients than were read.
    let named = finder!(b"Final-Recipient:").find_iter(bytes).count()
        + finder!(b"Final-recipient:").find_iter(bytes).count();
    if named <= email.records.len() {
        return Ok(email);
    }
    if let Some(tail) = after_closing_boundary(bytes) {
        if let Ok(more) = read_one(tail) {
            email.records.extend(more.records);
        }
    }
    Ok(email)
}

/// A delivery report inside another message: pasted whole into its body
/// after an mbox `From ` line (a help desk forwarding it inline), or
/// attached as a `message/rfc822` part (a gateway or a mail client
/// forwarding it as an attachment). Either way the embedded message's own
/// header block (up to its first blank line) declares `multipart/report`.
/// Only the first is taken.
fn forwarded_report(bytes: &[u8]) -> Option<&[u8]> {
    let (body, _) = blank_line(bytes)?;
    let header_block = |at: usize| {
        let rest = &bytes[at..];
        &rest[..blank_line(rest).map_or(rest.len(), |(end, _)| end)]
    };
    let declares_report =
        |block: &[u8]| crate::intake::reply::find_ci_bytes(block, b"multipart/report").is_some();
    let inline = finder!(b"\nFrom ").find_iter(&bytes[body..]).map(|at| {
        // the `From ` line itself is an mbox separator, not a header
        let line = body + at + 1;
        memchr::memchr(b'\n', &bytes[line..]).map_or(bytes.len(), |nl| line + nl + 1)
    });
    let attached = finder!(b"message/rfc822")
        .find_iter(&bytes[body..])
        .filter_map(|at| {
            // the attached message begins after its part's header block
            let part = body + at;
            blank_line(&bytes[part..]).map(|(_, after)| part + after)
        });
    inline
        .chain(attached)
        .filter(|&at| at < bytes.len())
        .find(|&at| declares_report(header_block(at)))
        .map(|at| &bytes[at..])
}

/// The blank line that ends a header block: where it starts and where the
/// body after it begins (`\n\n`, else `\r\n\r\n`).
pub(crate) fn blank_line(bytes: &[u8]) -> Option<(usize, usize)> {
    finder!(b"\n\n")
        .find(bytes)
        .map(|p| (p, p + 2))
        .or_else(|| finder!(b"\r\n\r\n").find(bytes).map(|p| (p, p + 4)))
}

/// The bytes after the top-level closing boundary, when they hold another
/// message with delivery-status fields.
fn after_closing_boundary(bytes: &[u8]) -> Option<&[u8]> {
    let msg = parser().parse_headers(bytes)?;
    let boundary = msg.content_type()?.attribute("boundary")?.to_string();
    let close = format!("--{boundary}--");
    let at = memchr::memmem::find(bytes, close.as_bytes())? + close.len();
    let tail = &bytes[at..];
    let has_fields = memchr::memmem::find(tail, b"Final-Recipient:").is_some()
        && memchr::memmem::find(tail, b"Content-Type:").is_some();
    has_fields.then_some(tail.trim_ascii_start())
}

fn read_one(bytes: &[u8]) -> Result<Email, EmailError> {
    let (mut email, auth) = read_one_inner(bytes)?;
    if !auth.is_empty() {
        for r in &mut email.records {
            if r.auth.is_empty() {
                r.auth = auth.clone();
            }
        }
    }
    Ok(email)
}

/// Reads one e-mail; also returns the returned message's authentication
/// verdicts, which every record shares.
fn read_one_inner(
    bytes: &[u8],
) -> Result<(Email, Vec<crate::intake::auth_results::AuthVerdict>), EmailError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(EmailError::Empty);
    }
    let bytes = skip_blank_lines(bytes);
    if is_binary(bytes) {
        return Err(EmailError::Binary);
    }
    let (report_bytes, returned_headers) = mime::split_returned_message(bytes);
    let declared = multipart_count(&report_bytes);
    if declared > MAX_MULTIPARTS {
        return Err(EmailError::TooNested(declared));
    }
    let report_bytes = mime::restore_missing_boundary(mime::fold_stray_parameters(report_bytes));
    // The HTML twin of a plain-text report is not decoded (see
    // `alternative`); should the plain text turn out empty, the message is
    // parsed again whole, so the result is the same either way.
    let slim = crate::intake::alternative::drop_html_twins(&report_bytes);
    let Some(mut msg) = parser()
        .parse(slim.as_deref().unwrap_or(&report_bytes))
        .filter(|m| !m.headers().is_empty())
    else {
        return read_headerless(bytes);
    };
    let mut parts = Parts::default();
    collect(&msg, &mut parts);
    if slim.is_some() && parts.text.trim().is_empty() {
        msg = parser()
            .parse(report_bytes.as_ref())
            .ok_or(EmailError::NotAnEmail)?;
        parts = Parts::default();
        collect(&msg, &mut parts);
    }
    if parts.original_headers.is_none() {
        parts.original_headers = returned_headers;
    }
    let returned_auth = parts
        .original_headers
        .as_deref()
        .map(|h| {
            let values = crate::intake::auth_results::header_values(h);
            crate::intake::auth_results::verdicts(values.iter().map(String::as_str))
        })
        .unwrap_or_default();
    Ok((read_parsed(&msg, &parts), returned_auth))
}

/// What a parsed message says: its readers' records, with the sender (the
/// bounce's `To`), the subject and the writer.
fn read_parsed(msg: &mail_parser::Message, parts: &Parts) -> Email {
    let sender = msg
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim_matches(['<', '>']).to_ascii_lowercase())
        .filter(|a| {
            a.contains('@') && !a.starts_with("mailer-daemon@") && !a.starts_with("postmaster@")
        });
    let bounce = readers::Bounce::new(msg, parts);
    let reading = readers::read(&bounce);
    Email {
        kind: reading.kind,
        subject: msg.subject().map(str::to_string),
        sender,
        reporting_mta: reading.reporting_mta,
        mta: bounce.family.or(reading.writer),
        reader: reading.reader,
        // read only where a record may need it: one with neither a DSN
        // status nor an action (prose bounces; a DSN says it per recipient)
        permanent: if reading
            .records
            .iter()
            .any(|r| r.status.is_none() && r.action.is_none())
        {
            verdict::permanence(bounce.report())
        } else {
            None
        },
        records: reading.records,
    }
}

/// The text of a bounce without its header block, as a postmaster pastes
/// it or a bounce tool keeps it ("This is the mail system at host ...",
/// then the failed recipients and what their servers said): read as the
/// body of a plain-text message. It is a bounce only if a reader finds a
/// failed recipient in it, with a status, a reply or the bounce's words
/// about it; any other text without headers is still not an e-mail.
fn read_headerless(
    bytes: &[u8],
) -> Result<(Email, Vec<crate::intake::auth_results::AuthVerdict>), EmailError> {
    let mut wrapped = b"Content-Type: text/plain; charset=utf-8\n\n".to_vec();
    wrapped.extend_from_slice(bytes);
    let msg = parser().parse(&wrapped).ok_or(EmailError::NotAnEmail)?;
    let mut parts = Parts::default();
    collect(&msg, &mut parts);
    let email = read_parsed(&msg, &parts);
    let said = email.records.iter().any(|r| {
        r.recipient.is_some()
            && (r.status.is_some() || r.diagnostic.is_some() || !r.context.trim().is_empty())
    });
    if !said {
        return Err(EmailError::NotAnEmail);
    }
    Ok((email, Vec::new()))
}

#[cfg(test)]
mod tests;
