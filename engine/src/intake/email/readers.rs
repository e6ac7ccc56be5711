//! The readers of a bounce, one per shape or writer family, and the table
//! that picks them.
//!
//! Every writer of bounces has its own way to say which recipient failed:
//! RFC 3464 puts each in a `Final-Recipient` field, Exim in an
//! `X-Failed-Recipients` header and an indented line, qmail in a line
//! `<ann@example.org>:`, Sendmail under "----- The following addresses had
//! permanent fatal errors -----", Office 365 in "Your message to ann@...
//! couldn't be delivered" and a `Recipient Address` cell, Domino under
//! "was not delivered to:". A reader knows one of these ways, and reads a
//! recipient only from the place its writer puts recipients; the same
//! bounce holds other addresses (its sender, a help desk, the list it came
//! from) that a reader never takes.
//!
//! [`READERS`] lists them in the order they are tried. A reader first says
//! whether the bounce is its kind ([`Reader::picks`]: the family
//! [`recognised`](crate::intake::family) or a structural sign, such as a
//! header or a heading line); then it reads, and may still find nothing it
//! knows (no recipient line), in which case the next reader gets the bounce.
//! The last, [`prose`], reads any text.
//!
//! The order matters where shapes overlap: RFC 3464 fields win over any
//! prose beside them, an automatic reply is said to be one before anything
//! takes its lack of failure words for a delivered test message, and the
//! families come before the generic prose reader.

mod auto_reply;
mod delivery_status;
mod domino;
mod exim;
mod feedback;
mod json;
mod office365;
mod postfix;
mod prose;
mod qmail;
mod sendmail;
mod test_message;

use super::mime::Parts;
use super::recipients::{has_reply, preamble, Block};
use super::report::{cut_original, header_fields, returned_part, unquote, OriginalHeaders};
use super::{Kind, Record};
use mail_parser::Message;
use std::cell::OnceCell;

/// What every reader sees of one e-mail.
pub(super) struct Bounce<'m> {
    pub msg: &'m Message<'m>,
    pub parts: &'m Parts,
    /// The writer family, when its signature shows.
    pub family: Option<&'static str>,
    /// Addresses that are never the failed recipient: the bounce's own
    /// `From` and `To`, and the returned message's sender.
    pub excluded: Vec<String>,
    /// The returned message's own `From` and `To`.
    pub original: Option<OriginalHeaders>,
    report: OnceCell<String>,
}

impl<'m> Bounce<'m> {
    pub fn new(msg: &'m Message<'m>, parts: &'m Parts) -> Self {
        let mut excluded: Vec<String> = Vec::new();
        for a in [msg.from(), msg.to()].into_iter().flatten() {
            for addr in a.iter() {
                if let Some(x) = addr.address() {
                    excluded.push(x.to_ascii_lowercase());
                }
            }
        }
        // The returned message's headers: its own part, else the copy a
        // prose report quotes after its marker line.
        let original = parts
            .original_headers
            .as_deref()
            .or_else(|| returned_part(&parts.text))
            .map(header_fields);
        if let Some(from) = original.as_ref().and_then(|o| o.from.clone()) {
            excluded.push(from);
        }
        Bounce {
            msg,
            parts,
            family: crate::intake::family::recognise(msg, &parts.text),
            excluded,
            original,
            report: OnceCell::new(),
        }
    }

    /// The human-readable text up to the returned message, unquoted.
    pub fn report(&self) -> &str {
        self.report
            .get_or_init(|| cut_original(&unquote(&self.parts.text)))
    }

    /// The bounce's subject, lower case beyond ASCII too ("Автоматический
    /// ответ" is matched as "автоматический ответ").
    pub fn subject(&self) -> String {
        self.msg.subject().unwrap_or("").to_lowercase()
    }

    /// The bounce's `From` address, lower case.
    pub fn from(&self) -> Option<String> {
        self.msg
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|a| a.to_ascii_lowercase())
    }

    /// The values of a top-level header, raw.
    pub fn header<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.msg
            .headers_raw()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// What a reader made of a bounce.
#[derive(Debug)]
pub(super) struct Reading {
    pub kind: Kind,
    pub records: Vec<Record>,
    pub reporting_mta: Option<String>,
    /// The writer, when the reader learned it from the report's fields.
    pub writer: Option<&'static str>,
    /// Which reader read it (filled in by [`read`]).
    pub reader: &'static str,
}

impl Reading {
    /// A reading of this kind with these records.
    fn of(kind: Kind, records: Vec<Record>) -> Self {
        Reading {
            kind,
            records,
            reporting_mta: None,
            writer: None,
            reader: "",
        }
    }

    /// A failure report with these records.
    fn bounce(records: Vec<Record>) -> Self {
        Reading::of(Kind::Bounce, records)
    }
}

/// One reader: whether a bounce is its kind, and how to read it.
pub(super) struct Reader {
    pub name: &'static str,
    /// The cheap test: the family recognised, a header, a heading line.
    pub picks: fn(&Bounce) -> bool,
    /// The reading; `None` when the bounce holds nothing this reader knows
    /// (the next one is tried).
    pub read: fn(&Bounce) -> Option<Reading>,
}

/// The readers, in the order they are tried.
pub(super) const READERS: &[Reader] = &[
    json::READER,
    feedback::READER,
    delivery_status::READER,
    auto_reply::READER,
    test_message::READER,
    exim::READER,
    qmail::READER,
    postfix::READER,
    sendmail::READER,
    office365::READER,
    domino::READER,
    prose::READER,
];

/// Reads a bounce with the first reader that picks it and finds something
/// (the prose reader, last, always does).
pub(super) fn read(bounce: &Bounce) -> Reading {
    READERS
        .iter()
        .filter(|reader| (reader.picks)(bounce))
        .find_map(|reader| {
            (reader.read)(bounce).map(|mut reading| {
                reading.reader = reader.name;
                reading
            })
        })
        .unwrap_or_else(|| Reading::bounce(Vec::new()))
}

/// Records for prose blocks: a block with no reply in it gets the lines
/// before the first recipient too, when those say something (some bounces
/// state the reason once, above the list of addresses).
fn records_of(report: &str, blocks: Vec<Block>) -> Vec<Record> {
    let preamble = preamble(report, &blocks);
    blocks
        .into_iter()
        .map(|(recipient, context)| {
            let context = if has_reply(&context) || preamble.is_empty() {
                context
            } else {
                format!("{context}\n{preamble}")
            };
            Record {
                recipient: Some(recipient),
                context,
                ..Record::default()
            }
        })
        .collect()
}

/// Lines of `report` from the first line that contains one of `headings`
/// (without regard to ASCII case), the heading line excluded, up to the
/// first line that contains one of `ends`.
fn section<'r>(report: &'r str, headings: &[&str], ends: &[&str]) -> Option<Vec<&'r str>> {
    let has = |l: &str, set: &[&str]| {
        set.iter()
            .any(|m| crate::intake::reply::find_ci(l, m).is_some())
    };
    let mut lines = crate::intake::lines(report).skip_while(|l| !has(l, headings));
    lines.next()?;
    Some(lines.take_while(|l| !has(l, ends)).collect())
}

/// The first address of each line of `lines` that stands in a recipient
/// position ([`in_recipient_position`](super::recipients::in_recipient_position)),
/// lower case, in order, once each; never a system mailbox or a list's own
/// address ([`is_never_recipient`](super::recipients::is_never_recipient)).
/// The bounce's own `To` may be one: a sender testing with its own address
/// gets its own bounce, and the writer's recipient line says so.
fn positioned_addresses(lines: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        let Some((addr, at)) = crate::intake::scan::emails(line).into_iter().next() else {
            continue;
        };
        let a = addr.to_ascii_lowercase();
        if super::recipients::in_recipient_position(line, at)
            && !super::recipients::is_never_recipient(&a, &[])
            && !out.contains(&a)
        {
            out.push(a);
        }
    }
    out
}

/// The lines of a family's list of failed addresses that stand at the
/// list's own indentation, that of its first entry (the first non-blank
/// line under the heading): the writers put each address there and its
/// reason below it, further in (Exim's deliver.c two spaces and four,
/// Sendmail's savemail.c none and four). A reason that quotes an address
/// (`550 5.1.1 <x@y>: Recipient address rejected`) is then no recipient
/// line, nor is a sentence after the list ("If you need help, write to
/// ...", at the margin). A list whose lines all stand at one indentation
/// keeps them all.
fn outermost_lines<'l>(lines: &[&'l str]) -> Vec<&'l str> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let outermost = lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .map_or(0, |l| indent(l));
    lines
        .iter()
        .copied()
        .filter(|l| indent(l) == outermost)
        .collect()
}

/// Addresses that open a line in angle brackets and are followed by a colon
/// or a parenthesis: qmail's `<ann@example.org>:` and Postfix's
/// `<ann@example.org>: host mx.example.org said: ...` or `<ann@example.org>
/// (expanded from <info@example.org>): ...`, lower case, once each.
fn angle_bracket_lines(bounce: &Bounce) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for line in crate::intake::lines(bounce.report()) {
        let indent = line.len() - line.trim_start().len();
        let Some(rest) = line.trim_start().strip_prefix('<') else {
            continue;
        };
        let Some((inside, after)) = rest.split_once('>') else {
            continue;
        };
        let after = after.trim_start();
        if !(after.starts_with(':') || after.starts_with('(')) {
            continue;
        }
        let a = inside.trim().to_ascii_lowercase();
        let is_address = crate::intake::scan::emails(&a)
            .first()
            .is_some_and(|(found, _)| found.len() == a.len());
        if is_address && !super::recipients::is_never_recipient(&a, &[]) {
            found.push((indent, a));
        }
    }
    // the list's own lines stand at the margin (or at the list's
    // indentation); one indented further continues a folded reply
    // (`    <x@y>: Recipient address rejected: ...`)
    let margin = found.iter().map(|(i, _)| *i).min().unwrap_or(0);
    let mut out: Vec<String> = Vec::new();
    for (indent, a) in found {
        if indent == margin && !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// Records for recipients a family reader found: each with its stretches
/// of the report ([`blocks_of`](super::recipients::blocks_of)); `None` when
/// it found none.
fn records_for(bounce: &Bounce, recipients: &[String]) -> Option<Reading> {
    if recipients.is_empty() {
        return None;
    }
    let report = bounce.report();
    let blocks = super::recipients::blocks_of(report, recipients);
    Some(Reading::bounce(records_of(report, blocks)))
}
