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
//! [`read_email`] parses the MIME structure with `mail-parser` (every
//! transfer encoding and charset, CRLF or LF), classifies the message
//! (failure, ARF feedback report, auto-reply), and produces one [`Record`]
//! per recipient in the order the bounce lists them. For prose bounces it
//! cuts the returned message off, finds the recipient addresses in the report
//! text, and gives each the lines that follow it up to the next recipient.
//! What the remote server said is left as text for the rules to judge.

use crate::facts::Status;
use crate::intake::dsn::{self, RecipientFields};
use crate::intake::scan;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

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
    pub status: Option<Status>,
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
    pub records: Vec<Record>,
}

/// What a bounce says about all of its recipients at once: who sent the
/// original message and which software wrote the bounce. Every record of
/// the e-mail is diagnosed with it.
#[derive(Debug, Clone, Copy, Default)]
pub struct About<'a> {
    pub sender: Option<&'a str>,
    pub mta: Option<&'a str>,
}

impl Email {
    /// What the e-mail says about all of its recipients.
    pub fn about(&self) -> About<'_> {
        About {
            sender: self.sender.as_deref(),
            mta: self.mta,
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

/// How many `multipart/` content types `bytes` declares, counting up to
/// `MAX_MULTIPARTS + 1` (case-insensitive on the first letter and on the
/// whole word in capitals, as MUAs write it).
fn multipart_count(bytes: &[u8]) -> usize {
    let lower = memchr::memmem::find_iter(bytes, b"ultipart/")
        .take(MAX_MULTIPARTS + 1)
        .count();
    if lower > MAX_MULTIPARTS {
        return lower;
    }
    lower
        + memchr::memmem::find_iter(bytes, b"ULTIPART/")
            .take(MAX_MULTIPARTS + 1)
            .count()
}

impl std::fmt::Display for EmailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EmailError::Empty => "empty input: there is no message to read",
            EmailError::Binary => "binary data, not an e-mail (control bytes in the first 2 KiB)",
            EmailError::NotAnEmail => {
                "not an e-mail: no header lines (`Name: value`) before the body"
            }
            EmailError::TooNested(_) => {
                "more than 256 multipart parts nested or declared: not a bounce (refused before MIME parsing, which would hold many times the message's size)"
            }
        })
    }
}

/// Lines that mark the start of the returned message in a prose bounce.
/// Matched case-insensitively at the start of a trimmed line.
const ORIGINAL_MESSAGE_MARKERS: &[&str] = &[
    "--- below this line is a copy of the message",
    "------ this is a copy of the message",
    "------ this is a copy of your message",
    "----- original message -----",
    "-----original message-----",
    "--- original message ---",
    "original message follows",
    "------- returned message --------",
    "----- the header of the original message is following",
    "----- this is a copy of the message, including all the headers",
    "--- the header of the original message is following",
    "----- unsent message below -----",
    "----- original message follows -----",
    "------ original message ------",
    "--------------- original message",
    "----- message header follows -----",
    "------ the original message",
    "--- original message header follows ---",
    "----- returned message follows -----",
    "original message:",
    // Vade Secure (EarthLink): the original's From/To/Subject as bullets
    "original message details:",
    "original message headers:",
    "--- returned mail follows ---",
    "-------- original message --------",
    "below is a copy of the original message",
    "content-type: message/rfc822",
    "received: from",
    "return-path: <",
];

/// The report text kept (the human-readable part; the returned message is
/// cut off before this).
const MAX_REPORT_BYTES: usize = 64 * 1024;
/// The words about one recipient kept for the rules: the reply and the
/// sentences around it, never pages of a quoted message.
const MAX_CONTEXT_BYTES: usize = 8 * 1024;

fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// Mailing-list infrastructure (`list-bounces`, `list-request`,
/// `owner-list`, `list-admin`): the list's own addresses, mentioned in a
/// bounce of a list message, never the failed recipient.
fn is_list_address(local: &str) -> bool {
    ["-bounces", "-admin", "-request", "-owner"]
        .iter()
        .any(|s| local.ends_with(s))
        || local.starts_with("owner-")
        || local.contains("-bounces+")
}

/// Local parts that are never the failed recipient.
const SYSTEM_LOCAL_PARTS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "double-bounce",
    "bounce",
    "bounces",
    "noreply",
    "no-reply",
];

/// The MIME parser, set to decode only the headers bouncedx reads (MIME,
/// From, To, Subject). The others are skipped, not even copied as text:
/// their place in the message is kept, so the few read raw
/// (`Authentication-Results`, `X-Failed-Recipients`, `Auto-Submitted`) are
/// read from the message's bytes. Every `Received:` line of every bounce
/// would otherwise be tokenised or copied.
fn parser() -> &'static MessageParser {
    static PARSER: std::sync::OnceLock<MessageParser> = std::sync::OnceLock::new();
    PARSER.get_or_init(|| {
        MessageParser::new()
            .with_mime_headers()
            .header_text(mail_parser::HeaderName::Subject)
            .header_address(mail_parser::HeaderName::From)
            .header_address(mail_parser::HeaderName::To)
            .default_header_ignore()
    })
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
    if is_binary(bytes) {
        return Err(EmailError::Binary);
    }
    let (report_bytes, returned_headers) = split_returned_message(bytes);
    let declared = multipart_count(&report_bytes);
    if declared > MAX_MULTIPARTS {
        return Err(EmailError::TooNested(declared));
    }
    let report_bytes = restore_missing_boundary(fold_stray_parameters(report_bytes));
    // The HTML twin of a plain-text report is not decoded (see
    // `alternative`); should the plain text turn out empty, the message is
    // parsed again whole, so the result is the same either way.
    let slim = crate::intake::alternative::drop_html_twins(&report_bytes);
    let mut msg = parser()
        .parse(slim.as_deref().unwrap_or(&report_bytes))
        .ok_or(EmailError::NotAnEmail)?;
    if msg.headers().is_empty() {
        return Err(EmailError::NotAnEmail);
    }
    let mut parts = Parts::default();
    collect(&msg, &mut parts);
    if slim.is_some() && parts.text.trim().is_empty() {
        msg = parser()
            .parse(report_bytes.as_ref())
            .ok_or(EmailError::NotAnEmail)?;
        parts = Parts::default();
        collect(&msg, &mut parts);
    }
    let subject = msg.subject().map(str::to_string);
    let sender = msg
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim_matches(['<', '>']).to_ascii_lowercase())
        .filter(|a| {
            a.contains('@') && !a.starts_with("mailer-daemon@") && !a.starts_with("postmaster@")
        });
    let mut email = Email {
        kind: Kind::Bounce,
        subject,
        sender,
        reporting_mta: None,
        mta: None,
        records: Vec::new(),
    };

    email.mta = crate::intake::family::recognise(&msg, &parts.text);
    if parts.original_headers.is_none() {
        parts.original_headers = returned_headers;
    }

    // The addresses that are never the failed recipient: the bounce's own
    // From and To, and the returned message's sender.
    let mut excluded: Vec<String> = Vec::new();
    for a in [msg.from(), msg.to()].into_iter().flatten() {
        for addr in a.iter() {
            if let Some(x) = addr.address() {
                excluded.push(x.to_ascii_lowercase());
            }
        }
    }
    let original = parts.original_headers.as_deref().map(header_fields);
    let returned_auth = parts
        .original_headers
        .as_deref()
        .map(|h| {
            let values = crate::intake::auth_results::header_values(h);
            crate::intake::auth_results::verdicts(values.iter().map(String::as_str))
        })
        .unwrap_or_default();
    if let Some(o) = &original {
        if let Some(from) = &o.from {
            excluded.push(from.clone());
        }
    }

    // Amazon SES (and others) mail their JSON notifications.
    if let Some(records) = json_notification(&parts.text) {
        let complaint = records.iter().any(|r| r.complaint);
        email.kind = if complaint {
            Kind::Feedback
        } else {
            Kind::Bounce
        };
        email.records = records
            .into_iter()
            .map(|e| Record {
                recipient: e.recipient,
                action: Some(
                    if e.not_a_failure {
                        "delivered"
                    } else {
                        "failed"
                    }
                    .into(),
                ),
                status: e.status,
                remote_mta: None,
                verdict: Some(format!("{}/{}", e.esp, e.esp_verdict)),
                diagnostic: (!e.reply.is_empty()).then_some(e.reply),
                context: String::new(),
                auth: Vec::new(),
            })
            .collect();
        return Ok((email, returned_auth));
    }

    if parts.feedback.is_some() || is_feedback_type(&msg) || is_complaint_notice(&msg, &parts.text)
    {
        email.kind = Kind::Feedback;
        let fb = parts.feedback.as_deref().unwrap_or("");
        let mut recipients: Vec<String> = Vec::new();
        for (name, value) in header_lines(fb) {
            if name == "original-rcpt-to" || name == "removal-recipient" {
                recipients.extend(scan::emails(&value).into_iter().map(|e| e.0));
            }
        }
        if recipients.is_empty() {
            if let Some(o) = &original {
                recipients = o.to.clone();
            }
        }
        if recipients.is_empty() {
            recipients.push(String::new());
        }
        email.records = recipients
            .into_iter()
            .map(|r| Record {
                recipient: (!r.is_empty()).then(|| r.to_ascii_lowercase()),
                context: fb.to_string(),
                ..Record::default()
            })
            .collect();
        return Ok((email, returned_auth));
    }

    let report = cut_original(&unquote(&parts.text));
    let fields = parts
        .delivery_status
        .as_deref()
        .map(dsn::parse_fields)
        .filter(|d| !d.recipients.is_empty())
        .or_else(|| {
            // Many MTAs print the fields in the body instead of a part.
            let d = dsn::parse_fields(&report);
            (!d.recipients.is_empty()).then_some(d)
        });

    if let Some(ds) = fields {
        email.reporting_mta = ds.reporting_mta.clone();
        email.mta = email.mta.or(ds.writer);
        let blocks = recipient_blocks(&report, &excluded);
        let alone = ds.recipients.len() == 1;
        for f in ds.recipients {
            // A report without a Diagnostic-Code whose only mention of the
            // recipient is its DSN fields printed in the body, with no
            // reply: the reply is elsewhere in the prose (Sendmail's
            // transcript names the local program, not the address), so a
            // lone recipient gets the whole report.
            let wordless = |c: &String| {
                f.diagnostic.is_none()
                    && alone
                    && crate::intake::reply::find_ci(c, "final-recipient:").is_some()
                    && scan::find_code(c).is_none()
            };
            // The prose may name the address before or after aliasing.
            let context = [
                f.recipient(),
                f.final_recipient.as_deref(),
                f.original_recipient.as_deref(),
            ]
            .into_iter()
            .flatten()
            .find_map(|r| blocks.iter().find(|(a, _)| a == r))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| {
                if blocks.len() <= 1 {
                    blocks
                        .first()
                        .map(|(_, c)| c.clone())
                        .unwrap_or_else(|| report.clone())
                } else {
                    String::new()
                }
            });
            let context = if wordless(&context) {
                report.clone()
            } else {
                context
            };
            email.records.push(from_fields(f, context));
        }
        return Ok((email, returned_auth));
    }

    // A message that is no bounce but carries its own Authentication-Results
    // is a test message: the answer is how its authentication fared.
    if !looks_like_bounce(&msg, &report) {
        let own: Vec<String> = msg
            .headers_raw()
            .filter(|(name, _)| name.eq_ignore_ascii_case("Authentication-Results"))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let auth = crate::intake::auth_results::verdicts(own.iter().map(String::as_str));
        if !auth.is_empty() {
            email.kind = Kind::Message;
            let context = auth
                .iter()
                .map(|a| a.clause.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            email.records.push(Record {
                recipient: msg
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .map(|a| a.to_ascii_lowercase()),
                context: format!("Authentication-Results: {context}"),
                auth,
                ..Record::default()
            });
            return Ok((email, returned_auth));
        }
    }

    if is_auto_reply(&msg) {
        email.kind = Kind::Vacation;
        email.records.push(Record {
            recipient: msg
                .from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(|a| a.to_ascii_lowercase()),
            context: report,
            ..Record::default()
        });
        return Ok((email, returned_auth));
    }

    let mut blocks = recipient_blocks(&report, &excluded);
    // `X-Failed-Recipients` (Exim, Gmail) names the failed addresses.
    let failed: Vec<String> = msg
        .headers_raw()
        .filter(|(name, _)| name.eq_ignore_ascii_case("X-Failed-Recipients"))
        .map(|(_, v)| v)
        .flat_map(|v| {
            scan::emails(v)
                .into_iter()
                .map(|e| e.0.to_ascii_lowercase())
        })
        .collect();
    if !failed.is_empty() {
        let whole = report.clone();
        blocks = failed
            .into_iter()
            .map(|a| {
                let context = blocks
                    .iter()
                    .find(|(b, _)| *b == a)
                    .map(|(_, c)| c.clone())
                    .unwrap_or_else(|| whole.clone());
                (a, context)
            })
            .collect();
    }
    if blocks.is_empty() {
        let recipient = original.as_ref().and_then(|o| o.to.first().cloned());
        email.records.push(Record {
            recipient,
            context: report,
            ..Record::default()
        });
    } else {
        let preamble = preamble(&report, &blocks);
        for (addr, context) in blocks {
            let context = if has_reply(&context) || preamble.is_empty() {
                context
            } else {
                format!("{context}\n{preamble}")
            };
            email.records.push(Record {
                recipient: Some(addr),
                context,
                ..Record::default()
            });
        }
    }
    Ok((email, returned_auth))
}

/// Joins a `boundary=` parameter written on a line of its own to the
/// `Content-Type: multipart/...;` line above it. Some mailers (JavaMail in
/// Apache James's bounces) forget the indentation that makes the second
/// line a continuation, and a MIME parser then sees a multipart with no
/// boundary and loses every part in it. A stray line that starts with
/// `boundary=` right after a header line ending in `;` can mean nothing
/// else, so it gets the missing tab.
fn fold_stray_parameters(bytes: std::borrow::Cow<'_, [u8]>) -> std::borrow::Cow<'_, [u8]> {
    use memchr::memmem;
    static FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memmem::Finder::new(b"\nboundary="));
    let stray = |at: usize, b: &[u8]| {
        let before = b[..at].strip_suffix(b"\r").unwrap_or(&b[..at]);
        before.ends_with(b";")
    };
    let b: &[u8] = bytes.as_ref();
    let hits: Vec<usize> = FINDER.find_iter(b).filter(|&at| stray(at, b)).collect();
    if hits.is_empty() {
        return bytes;
    }
    let mut out = Vec::with_capacity(b.len() + hits.len());
    let mut from = 0;
    for at in hits {
        out.extend_from_slice(&b[from..=at]);
        out.push(b'\t');
        from = at + 1;
    }
    out.extend_from_slice(&b[from..]);
    std::borrow::Cow::Owned(out)
}

/// Gives a top-level `Content-Type: multipart/...` that names no
/// `boundary=` the boundary its body uses. Some gateways write a
/// `multipart/report` without the parameter; a MIME parser then sees one
/// part and loses the delivery-status part with the recipients in it. The
/// body's first delimiter line (`--` and a token, RFC 2046 §5.1.1) that
/// comes back later is that boundary; nothing is changed unless it does.
fn restore_missing_boundary(bytes: std::borrow::Cow<'_, [u8]>) -> std::borrow::Cow<'_, [u8]> {
    use crate::intake::reply::find_ci_bytes;
    let b: &[u8] = bytes.as_ref();
    let Some((head_end, body_start)) = blank_line(b) else {
        return bytes;
    };
    let head = &b[..head_end];
    // the Content-Type field, with its continuation lines
    let Some(at) =
        find_ci_bytes(head, b"content-type:").filter(|&p| p == 0 || head[p - 1] == b'\n')
    else {
        return bytes;
    };
    let mut end = at;
    loop {
        match memchr::memchr(b'\n', &head[end..]) {
            Some(nl)
                if head
                    .get(end + nl + 1)
                    .is_some_and(|c| *c == b' ' || *c == b'\t') =>
            {
                end += nl + 1;
            }
            Some(nl) => {
                end += nl;
                break;
            }
            None => {
                end = head.len();
                break;
            }
        }
    }
    let field = &head[at..end];
    if find_ci_bytes(field, b"multipart/").is_none() || find_ci_bytes(field, b"boundary").is_some()
    {
        return bytes;
    }
    let body = &b[body_start..];
    let token = body
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter_map(|l| l.strip_prefix(b"--"))
        .map(|t| t.trim_ascii_end())
        .find(|t| {
            (1..=70).contains(&t.len())
                && !t.ends_with(b"--")
                && t.iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(c))
        });
    let Some(token) = token else {
        return bytes;
    };
    let mut delimiter = b"\n--".to_vec();
    delimiter.extend_from_slice(token);
    if memchr::memmem::find_iter(body, &delimiter).count()
        + usize::from(body.starts_with(&delimiter[1..]))
        < 2
    {
        return bytes;
    }
    let field_end = if head[..end].ends_with(b"\r") {
        end - 1
    } else {
        end
    };
    let mut out = Vec::with_capacity(b.len() + token.len() + 14);
    out.extend_from_slice(&b[..field_end]);
    out.extend_from_slice(b"; boundary=\"");
    out.extend_from_slice(token);
    out.push(b'"');
    out.extend_from_slice(&b[field_end..]);
    std::borrow::Cow::Owned(out)
}

/// Splits off the returned message of a multipart report: the part that
/// starts with `Content-Type: message/rfc822` (or `text/rfc822-headers`).
/// bouncedx needs only that part's headers (its sender and recipients), and
/// the message itself can be large (attachments), so the MIME parser gets
/// the report without it, closed with the final boundary, and the returned
/// message's header block is kept as text.
fn split_returned_message(bytes: &[u8]) -> (std::borrow::Cow<'_, [u8]>, Option<String>) {
    // `/rfc822` is rare, so a SIMD search for it, then a look at its line,
    // costs far less than a case-insensitive search for the whole header.
    let at = finder!(b"/rfc822")
        .find_iter(bytes)
        .chain(finder!(b"/RFC822").find_iter(bytes))
        .filter_map(|p| {
            let line_start = memchr::memrchr(b'\n', &bytes[..p])?;
            let line = &bytes[line_start + 1..p];
            let is_part_header =
                line.len() >= 17 && line[..13].eq_ignore_ascii_case(b"content-type:") && {
                    let kind = line[13..].trim_ascii();
                    kind.eq_ignore_ascii_case(b"message") || kind.eq_ignore_ascii_case(b"text")
                };
            is_part_header.then_some(line_start)
        })
        .min();
    let Some(at) = at else {
        return (std::borrow::Cow::Borrowed(bytes), None);
    };
    // The boundary line just before the part's headers.
    let before = &bytes[..at];
    let Some(line_start) = before
        .rsplit(|&b| b == b'\n')
        .take(8)
        .scan(before.len(), |end, line| {
            let start = end.saturating_sub(line.len());
            *end = start.saturating_sub(1);
            Some((start, line))
        })
        .find(|(_, line)| line.starts_with(b"--") && line.len() > 3)
        .map(|(start, line)| (start, line.trim_ascii_end().to_vec()))
    else {
        return (std::borrow::Cow::Borrowed(bytes), None);
    };
    let (start, boundary) = line_start;
    let mut head = bytes[..start].to_vec();
    head.extend_from_slice(&boundary);
    head.extend_from_slice(b"--\n");
    // The returned message's headers: after the part's own header block.
    let part = &bytes[at + 1..];
    let body = blank_line(part).map_or(&[][..], |(p, _)| &part[p..]);
    let body = body.trim_ascii_start();
    let end = blank_line(body)
        .map_or(body.len(), |(p, _)| p)
        .min(64 * 1024);
    let headers = String::from_utf8_lossy(&body[..end]).into_owned();
    (std::borrow::Cow::Owned(head), Some(headers))
}

fn from_fields(f: RecipientFields, context: String) -> Record {
    Record {
        recipient: f.recipient().map(str::to_string),
        action: f.action,
        status: f.status,
        remote_mta: f.remote_mta,
        diagnostic: f.diagnostic,
        verdict: f.verdict,
        context,
        auth: Vec::new(),
    }
}

/// The parts of a bounce that matter, gathered from the MIME tree.
#[derive(Default)]
struct Parts {
    /// Text of the human-readable parts (not inside the returned message).
    text: String,
    delivery_status: Option<String>,
    feedback: Option<String>,
    /// Header block of the returned message.
    original_headers: Option<String>,
}

fn collect(msg: &Message, parts: &mut Parts) {
    // HTML is read only when the message has no plain text: most reports
    // with an HTML part carry the same words as text/plain beside it.
    let mut html: Vec<&str> = Vec::new();
    for part in &msg.parts {
        let (ctype, sub) = part
            .content_type()
            .map(|c| {
                (
                    c.ctype().to_ascii_lowercase(),
                    c.subtype().unwrap_or("").to_ascii_lowercase(),
                )
            })
            .unwrap_or_else(|| ("text".into(), "plain".into()));
        match (&part.body, ctype.as_str(), sub.as_str()) {
            (PartType::Message(inner), _, _) => {
                parts
                    .original_headers
                    .get_or_insert_with(|| raw_headers(inner));
            }
            (_, "message", "delivery-status" | "global-delivery-status") => {
                let t = part_text(&part.body);
                parts
                    .delivery_status
                    .get_or_insert_with(String::new)
                    .push_str(&t);
                parts
                    .delivery_status
                    .as_mut()
                    .expect("set")
                    .push_str("\n\n");
            }
            (_, "message", "feedback-report") => parts.feedback = Some(part_text(&part.body)),
            (_, "text", "rfc822-headers") | (_, "message", "rfc822-headers") => {
                parts
                    .original_headers
                    .get_or_insert_with(|| part_text(&part.body));
            }
            (PartType::Text(t), _, _) => {
                if !parts.text.is_empty() {
                    parts.text.push('\n');
                }
                parts.text.push_str(&redecode_mislabelled(msg, part, t));
            }
            (PartType::Html(h), _, _) => html.push(h),
            _ => {}
        }
    }
    if parts.text.trim().is_empty() {
        parts.text = html.iter().fold(String::new(), |mut text, h| {
            text.push_str(&strip_html(h));
            text.push('\n');
            text
        });
    }
}

/// The text of a part whose bytes are not in the charset it declares:
/// Japanese carriers' bounces that say ISO-2022-JP over EUC-JP or
/// Shift_JIS bytes, European ones that say UTF-8 over Latin-1. When the
/// declared decoding left replacement characters and the part's bytes are
/// not transfer-encoded, they are decoded again: as UTF-8 if they are
/// valid UTF-8, else in the first likely charset (Japanese ones for a
/// Japanese label, Windows-1252 otherwise) that decodes them without an
/// error.
fn redecode_mislabelled<'a>(
    msg: &Message,
    part: &mail_parser::MessagePart,
    decoded: &'a str,
) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    if !decoded.contains('\u{FFFD}') || part.encoding != mail_parser::Encoding::None {
        return Cow::Borrowed(decoded);
    }
    let Some(raw) = msg
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)
    else {
        return Cow::Borrowed(decoded);
    };
    if let Ok(text) = std::str::from_utf8(raw) {
        return Cow::Owned(text.to_string());
    }
    let label = part
        .content_type()
        .and_then(|c| c.attribute("charset"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let candidates: &[&'static encoding_rs::Encoding] =
        if label.contains("jp") || label.contains("jis") {
            &[encoding_rs::EUC_JP, encoding_rs::SHIFT_JIS]
        } else {
            &[encoding_rs::WINDOWS_1252]
        };
    candidates
        .iter()
        .find_map(|e| e.decode_without_bom_handling_and_without_replacement(raw))
        .map_or(Cow::Borrowed(decoded), |t| Cow::Owned(t.into_owned()))
}

fn part_text(body: &PartType) -> String {
    match body {
        PartType::Text(t) | PartType::Html(t) => t.to_string(),
        PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

fn raw_headers(m: &Message) -> String {
    let raw = m.raw_message();
    let end = m.root_part().raw_body_offset().min(raw.len() as u32) as usize;
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

/// Removes tags and decodes the few entities bounce pages use. Works on
/// bytes (tags are ASCII) and copies text between tags whole, so it never
/// splits a character.
fn strip_html(h: &str) -> String {
    let b = h.as_bytes();
    let starts = |at: usize, tag: &[u8]| {
        b.len() >= at + tag.len() && b[at..at + tag.len()].eq_ignore_ascii_case(tag)
    };
    let mut out = String::with_capacity(h.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            // text up to the next tag, copied whole
            let end = memchr::memchr(b'<', &b[i..]).map_or(b.len(), |p| i + p);
            out.push_str(&h[i..end]);
            i = end;
            continue;
        }
        let skip_to: Option<&[u8]> = if starts(i, b"<style") {
            Some(b"</style>")
        } else if starts(i, b"<script") {
            Some(b"</script>")
        } else {
            None
        };
        if let Some(close) = skip_to {
            let mut j = i + 1;
            while j < b.len() && !starts(j, close) {
                j += 1;
            }
            i = (j + close.len()).min(b.len());
            out.push(' ');
            continue;
        }
        if starts(i, b"<br")
            || starts(i, b"<p")
            || starts(i, b"</p")
            || starts(i, b"<tr")
            || starts(i, b"<div")
        {
            out.push('\n');
        }
        // skip the tag
        i = memchr::memchr(b'>', &b[i..]).map_or(b.len(), |p| i + p + 1);
        out.push(' ');
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A bounce forwarded as a quotation (`> ` before every line) is read as
/// the bounce itself: when most lines are quoted, the quote marks go.
fn unquote(text: &str) -> std::borrow::Cow<'_, str> {
    let (mut lines, mut quoted) = (0usize, 0usize);
    for l in crate::intake::lines(text).filter(|l| !l.trim().is_empty()) {
        lines += 1;
        quoted += usize::from(l.starts_with('>'));
    }
    if lines < 5 || quoted * 2 < lines {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for l in crate::intake::lines(text) {
        let mut l = l;
        if let Some(rest) = l.strip_prefix('>') {
            l = rest.strip_prefix(' ').unwrap_or(rest);
        }
        out.push_str(l);
        out.push('\n');
    }
    std::borrow::Cow::Owned(out)
}

/// The report text up to where the returned message begins.
fn cut_original(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(64 * 1024));
    let mut seen_content = false;
    for line in crate::intake::lines(text) {
        let t = line.trim().as_bytes();
        let starts_with =
            |m: &str| t.len() >= m.len() && t[..m.len()].eq_ignore_ascii_case(m.as_bytes());
        // most lines start with a byte no marker starts with
        let may_mark = t.first().is_some_and(|b| {
            let b = b.to_ascii_lowercase();
            ORIGINAL_MESSAGE_MARKERS
                .iter()
                .any(|m| m.as_bytes()[0] == b)
        });
        if seen_content
            && t.len() > 8
            && may_mark
            && ORIGINAL_MESSAGE_MARKERS.iter().any(|m| starts_with(m))
        {
            break;
        }
        seen_content |= !t.is_empty();
        out.push_str(line.trim_end_matches('\r'));
        out.push('\n');
        if out.len() > MAX_REPORT_BYTES {
            break;
        }
    }
    out
}

/// Whether a text holds an SMTP reply code or an enhanced status.
fn has_reply(text: &str) -> bool {
    scan::find_status(text).is_some() || scan::find_code(text).is_some()
}

/// Addresses in the report text, in order of first appearance, each with the
/// lines from that appearance to the next recipient's.
fn recipient_blocks(report: &str, excluded: &[String]) -> Vec<(String, String)> {
    let lines: Vec<&str> = crate::intake::lines(report).collect();
    let mut starts: Vec<(String, usize)> = Vec::new();
    // Every line naming a recipient, first mention or not.
    let mut mentions: Vec<(usize, String)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.contains('@') {
            continue;
        }
        if names_other_party(&line.to_ascii_lowercase()) {
            continue;
        }
        for (addr, at) in scan::emails(line) {
            let a = addr.to_ascii_lowercase();
            let local = a.split('@').next().unwrap_or("");
            // "... because they are not accepting mail from <sender>:"
            // names the sender, not a recipient that failed.
            if excluded.contains(&a)
                || crate::intake::reply::is_sender_address(line, at)
                || SYSTEM_LOCAL_PARTS.contains(&local)
                || is_list_address(local)
            {
                continue;
            }
            mentions.push((i, a.clone()));
            if starts.iter().any(|(s, _)| *s == a) {
                continue;
            }
            starts.push((a, i));
        }
    }
    // Exchange's "Your message To: <list> ... did not reach the following
    // recipient(s):" names the original message's addressees first; the
    // failed recipients are the ones after the phrase.
    if let Some(marker) = lines.iter().position(|l| {
        FAILED_LIST_MARKERS
            .iter()
            .any(|m| crate::intake::reply::find_ci(l, m).is_some())
    }) {
        if mentions.iter().any(|(line, _)| *line > marker) {
            mentions.retain(|(line, _)| *line > marker);
            starts.retain(|(_, line)| *line > marker);
        }
    }
    let mut out = Vec::new();
    for (addr, start) in &starts {
        // The block starts on the address's line and runs to the next line
        // naming another recipient (exclusive; a report that lists the
        // recipients twice, in two languages say, names them again) or the
        // end.
        let end = mentions
            .iter()
            .find(|(line, a)| line > start && a != addr)
            .map(|(line, _)| *line)
            .unwrap_or(lines.len());
        let mut block = lines[*start..end.max(start + 1)].join("\n");
        truncate_at_char(&mut block, MAX_CONTEXT_BYTES);
        out.push((addr.clone(), block));
    }
    out
}

/// Phrases after which a prose bounce lists the failed recipients, where
/// addresses before them belong to the original message's headers.
const FAILED_LIST_MARKERS: &[&str] = &["did not reach the following recipient"];

/// Whether a (lower-case) line names a party other than a recipient: the
/// sender, a reply address, the reporting MTA, a message id.
fn names_other_party(lower: &str) -> bool {
    let trimmed = lower.trim_start();
    trimmed.starts_with("from:")
        || trimmed.starts_with("reply-to:")
        || trimmed.starts_with("return-path:")
        || trimmed.starts_with("message-id:")
        || trimmed.starts_with("reporting-mta:")
        || trimmed.starts_with("sender:")
        || trimmed.contains("mail from:")
        || trimmed.contains("envelope-from")
        || trimmed.contains("generated from")
        || trimmed.contains("expanded from")
}

/// The lines before the first recipient, when they say something about the
/// failure (some bounces state the reason once, above the address list).
fn preamble(report: &str, blocks: &[(String, String)]) -> String {
    let Some((first, _)) = blocks.first() else {
        return String::new();
    };
    let mut out = String::new();
    for line in crate::intake::lines(report) {
        let lower = line.to_ascii_lowercase();
        if lower.contains(first.as_str()) {
            break;
        }
        // `MAIL FROM: a@b` in a list of message details says who sent, not
        // why it failed; kept, it would read as a refused sender.
        if lower.contains('@') && names_other_party(&lower) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Whether a message reads as a delivery report at all: from a mailer
/// daemon or postmaster, a failure subject, or failure words in its text.
fn looks_like_bounce(msg: &Message, report: &str) -> bool {
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ["mailer-daemon", "postmaster", "mail-daemon", "bounce"]
        .iter()
        .any(|w| from.contains(w))
    {
        return true;
    }
    let subject = msg.subject().unwrap_or("").to_ascii_lowercase();
    let text = report.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "undeliver",
        "could not be delivered",
        "delivery failed",
        "delivery has failed",
        "returned mail",
        "failure notice",
        "permanent error",
        "did not reach",
        "not be delivered",
        "delivery status notification",
        "mail delivery",
        "not delivered",
        "delivery failure",
        "rejected",
        "failed",
    ];
    WORDS
        .iter()
        .any(|w| subject.contains(w) || text.contains(w))
}

/// Complaint notices that are not ARF: Microsoft JMRP's "complaint about
/// message from <IP>" and Apple Mail's unsubscribe request.
fn is_complaint_notice(msg: &Message, text: &str) -> bool {
    let subject = msg.subject().unwrap_or("").trim().to_ascii_lowercase();
    subject.starts_with("complaint about message from")
        || text.contains("sent this email to unsubscribe")
}

/// A JSON notification in the body (Amazon SES bounce, complaint or
/// delivery mailed to an address).
fn json_notification(text: &str) -> Option<Vec<crate::intake::webhook::EventRecord>> {
    let t = text.trim();
    if !t.starts_with('{') {
        return None;
    }
    // The first JSON value; text after it (SNS footers) is ignored. Mailers
    // may wrap long lines ("\n " continuations); try again unwrapped.
    let first = |s: &str| {
        serde_json::Deserializer::from_str(s)
            .into_iter::<serde_json::Value>()
            .next()
            .and_then(Result::ok)
    };
    let v = first(t).or_else(|| first(&t.replace("\r\n ", "").replace("\n ", "")))?;
    crate::intake::webhook::read_event(&v)
        .ok()
        .filter(|r| !r.is_empty())
}

fn is_feedback_type(msg: &Message) -> bool {
    msg.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && c.attribute("report-type")
                .is_some_and(|r| r.eq_ignore_ascii_case("feedback-report"))
    })
}

/// RFC 3834 and its common imitations.
fn is_auto_reply(msg: &Message) -> bool {
    let auto_submitted = msg
        .header_raw("Auto-Submitted")
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("auto-replied"));
    let x_auto = msg.header_raw("X-Autoreply").is_some()
        || msg.header_raw("X-Autorespond").is_some()
        || msg
            .header_raw("Precedence")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("auto_reply"));
    let subject = msg.subject().unwrap_or("").to_ascii_lowercase();
    let subject_says = [
        "auto reply",
        "auto-reply",
        "autoreply",
        "automatic reply",
        "autorespons",
        "out of office",
        "out of the office",
        "away until",
        "on vacation",
        "abwesenheit",
        "réponse automatique",
    ]
    .iter()
    .any(|s| subject.contains(s))
        || subject.starts_with("auto:");
    let failure_subject = [
        "undeliver",
        "failure",
        "returned",
        "delivery status",
        "not delivered",
    ]
    .iter()
    .any(|s| subject.contains(s));
    !failure_subject && (subject_says || x_auto || (auto_submitted && subject.starts_with("re:")))
}

/// `name: value` lines of a header block, unfolded, names lower-cased.
fn header_lines(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in crate::intake::lines(text) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            out.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

struct OriginalHeaders {
    from: Option<String>,
    to: Vec<String>,
}

fn header_fields(text: &str) -> OriginalHeaders {
    let mut o = OriginalHeaders {
        from: None,
        to: Vec::new(),
    };
    for (name, value) in header_lines(text) {
        match name.as_str() {
            "from" if o.from.is_none() => {
                o.from = scan::emails(&value)
                    .into_iter()
                    .next()
                    .map(|e| e.0.to_ascii_lowercase())
            }
            "to" | "cc" if o.to.is_empty() => {
                o.to = scan::emails(&value)
                    .into_iter()
                    .map(|e| e.0.to_ascii_lowercase())
                    .collect()
            }
            _ => {}
        }
    }
    o
}

#[cfg(test)]
mod tests;
