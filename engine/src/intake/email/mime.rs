//! The MIME side of a bounce: from bytes to the parts that matter.
//!
//! A bounce is a MIME message, and its words and fields sit in parts:
//! the human-readable report (`text/plain`, sometimes only `text/html`),
//! the `message/delivery-status` fields, an ARF `message/feedback-report`,
//! and the returned message (`message/rfc822`) or its headers
//! (`text/rfc822-headers`). [`collect`] gathers them into [`Parts`].
//!
//! Before the parser sees the bytes, a few repairs and savings are made on
//! the raw message: the returned message is split off
//! ([`split_returned_message`]: only its header block is kept), a
//! `boundary=` parameter written on a line of its own is folded back
//! ([`fold_stray_parameters`]), and a `multipart/` without any `boundary=`
//! gets the one its body uses ([`restore_missing_boundary`]). Broken
//! structure is common in bounces, and a parser that loses the
//! delivery-status part loses every recipient in it.

use super::blank_line;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

/// How many `multipart/` content types `bytes` declares, counting up to
/// `MAX_MULTIPARTS + 1` (case-insensitive on the first letter and on the
/// whole word in capitals, as MUAs write it).
pub(super) fn multipart_count(bytes: &[u8]) -> usize {
    let lower = memchr::memmem::find_iter(bytes, b"ultipart/")
        .take(super::MAX_MULTIPARTS + 1)
        .count();
    if lower > super::MAX_MULTIPARTS {
        return lower;
    }
    lower
        + memchr::memmem::find_iter(bytes, b"ULTIPART/")
            .take(super::MAX_MULTIPARTS + 1)
            .count()
}

/// The MIME parser, set to decode only the headers bouncedx reads (MIME,
/// From, To, Subject). The others are skipped, not even copied as text:
/// their place in the message is kept, so the few read raw
/// (`Authentication-Results`, `X-Failed-Recipients`, `Auto-Submitted`) are
/// read from the message's bytes. Every `Received:` line of every bounce
/// would otherwise be tokenised or copied.
pub(super) fn parser() -> &'static MessageParser {
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

/// Joins a `boundary=` parameter written on a line of its own to the
/// `Content-Type: multipart/...;` line above it. Some mailers (JavaMail in
/// Apache James's bounces) forget the indentation that makes the second
/// line a continuation, and a MIME parser then sees a multipart with no
/// boundary and loses every part in it. A stray line that starts with
/// `boundary=` right after a header line ending in `;` can mean nothing
/// else, so it gets the missing tab.
pub(super) fn fold_stray_parameters(
    bytes: std::borrow::Cow<'_, [u8]>,
) -> std::borrow::Cow<'_, [u8]> {
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
pub(super) fn restore_missing_boundary(
    bytes: std::borrow::Cow<'_, [u8]>,
) -> std::borrow::Cow<'_, [u8]> {
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
pub(super) fn split_returned_message(bytes: &[u8]) -> (std::borrow::Cow<'_, [u8]>, Option<String>) {
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

/// The parts of a bounce that matter, gathered from the MIME tree.
#[derive(Default)]
pub(super) struct Parts {
    /// Text of the human-readable parts (not inside the returned message).
    pub(super) text: String,
    pub(super) delivery_status: Option<String>,
    pub(super) feedback: Option<String>,
    /// Header block of the returned message.
    pub(super) original_headers: Option<String>,
}

pub(super) fn collect(msg: &Message, parts: &mut Parts) {
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
                let raw = part_text(&part.body);
                let t = undo_iso2022_jp(&raw);
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
                parts
                    .text
                    .push_str(&undo_iso2022_jp(&redecode_mislabelled(msg, part, t)));
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
pub(super) fn redecode_mislabelled<'a>(
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

/// Japanese text in ISO-2022-JP that no charset label decoded: Lotus
/// Domino writes its `Diagnostic-Code` so inside a `message/delivery-status`
/// part (which has no charset), and some text parts declare none. The
/// encoding is 7-bit: ASCII, with runs of JIS X 0208 between escape
/// sequences (`ESC $ B` ... `ESC ( B`), so a text that is ASCII and holds
/// such an escape is decoded as ISO-2022-JP; any other text is left as it
/// is.
pub(super) fn undo_iso2022_jp(text: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let escaped = ["\x1b$B", "\x1b$@", "\x1b(J", "\x1b(I"]
        .iter()
        .any(|e| text.contains(e));
    if !text.is_ascii() || !escaped {
        return Cow::Borrowed(text);
    }
    encoding_rs::ISO_2022_JP
        .decode_without_bom_handling_and_without_replacement(text.as_bytes())
        .map_or(Cow::Borrowed(text), |t| Cow::Owned(t.into_owned()))
}

pub(super) fn part_text(body: &PartType) -> String {
    match body {
        PartType::Text(t) | PartType::Html(t) => t.to_string(),
        PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

pub(super) fn raw_headers(m: &Message) -> String {
    let raw = m.raw_message();
    let end = m.root_part().raw_body_offset().min(raw.len() as u32) as usize;
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

/// Removes tags and decodes the few entities bounce pages use. Works on
/// bytes (tags are ASCII) and copies text between tags whole, so it never
/// splits a character.
pub(super) fn strip_html(h: &str) -> String {
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
