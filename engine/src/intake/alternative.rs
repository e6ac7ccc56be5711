//! Dropping the HTML twin of a plain-text report before MIME parsing.
//!
//! Many bounce writers (Exchange and Microsoft 365, AOL, Google Workspace)
//! send the human-readable report twice, as `multipart/alternative`: a
//! `text/plain` part and a `text/html` part with the same words, the HTML
//! often ten times larger and quoted-printable encoded. bouncedx reads the
//! HTML only when a message has no plain text at all, yet the MIME parser
//! decodes every part it meets, so the HTML twin was decoded for nothing
//! (on the Sisimai corpus, nine such NDRs of 430 bounces took a third of
//! the parser's time).
//!
//! [`drop_html_twins`] finds each `multipart/alternative` whose parts
//! include a `text/plain` one with some text in it, and returns the
//! message with the bodies of its `text/html` parts removed (their headers
//! stay, so the MIME structure is unchanged). It works on the raw bytes,
//! before any parsing, and gives up (returns `None`) whenever the structure
//! is not plain: no boundary, an unterminated part, nothing to drop. The
//! caller parses the original again if the slimmed message turns out to
//! have no plain text after all, so the result never differs.

use crate::intake::email::blank_line;
use crate::intake::reply::find_ci_bytes;
use memchr::memmem::Finder;
use std::ops::Range;
use std::sync::LazyLock;

/// The message without the bodies of HTML parts that have a plain-text
/// sibling, or `None` when there is none to drop.
pub fn drop_html_twins(bytes: &[u8]) -> Option<Vec<u8>> {
    // A SIMD search for the rare tail of the name, then a look back at the
    // rest, costs far less than a case-insensitive search for all of it.
    static LOWER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"lternative"));
    static UPPER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"LTERNATIVE"));
    const HEAD: &[u8] = b"multipart/a";
    let mut found: Vec<usize> = LOWER
        .find_iter(bytes)
        .chain(UPPER.find_iter(bytes))
        .filter(|&at| at >= HEAD.len() && bytes[at - HEAD.len()..at].eq_ignore_ascii_case(HEAD))
        .map(|at| at + b"lternative".len())
        .collect();
    found.sort_unstable();
    let mut cuts: Vec<Range<usize>> = Vec::new();
    for end in found {
        if cuts.last().is_some_and(|c| c.end > end) {
            continue;
        }
        if let Some(bodies) = html_bodies(bytes, end) {
            cuts.extend(bodies);
        }
    }
    if cuts.is_empty() {
        return None;
    }
    cuts.sort_by_key(|c| c.start);
    let mut out = Vec::with_capacity(bytes.len());
    let mut from = 0;
    for cut in cuts {
        out.extend_from_slice(&bytes[from..cut.start]);
        from = cut.end;
    }
    out.extend_from_slice(&bytes[from..]);
    Some(out)
}

/// The body ranges of the HTML parts of the `multipart/alternative` whose
/// content type ends at `after`, when a plain-text part with text sits
/// beside them.
fn html_bodies(bytes: &[u8], after: usize) -> Option<Vec<Range<usize>>> {
    let boundary = boundary(&bytes[after..])?;
    let mut delimiter = b"\n--".to_vec();
    delimiter.extend_from_slice(boundary);
    let finder = memchr::memmem::Finder::new(&delimiter);
    // Each delimiter line starts a part; `--boundary--` closes the section.
    let mut starts = Vec::new();
    let mut at = after;
    loop {
        let d = at + finder.find(&bytes[at..])?;
        let tail = &bytes[d + delimiter.len()..];
        let closing = tail.starts_with(b"--");
        // `--b1` followed by more of a name is a longer boundary (`--b1-2`)
        if !closing && !matches!(tail.first(), Some(b'\r' | b'\n' | b' ' | b'\t')) {
            at = d + 1;
            continue;
        }
        let line_end = memchr::memchr(b'\n', &bytes[d + 1..]).map(|i| d + 1 + i + 1)?;
        starts.push((d, line_end));
        if closing {
            break;
        }
        at = line_end - 1;
    }
    let mut plain_with_text = false;
    let mut html = Vec::new();
    for pair in starts.windows(2) {
        let (body_start, end) = (pair[0].1, pair[1].0);
        let part = &bytes[body_start..end];
        let header_end = header_block_end(part)?;
        let ctype = content_type(&part[..header_end]);
        let body = body_start + header_end..end;
        if ctype.eq_ignore_ascii_case(b"text/plain") {
            plain_with_text |= bytes[body.clone()].iter().any(|b| !b.is_ascii_whitespace());
        } else if ctype.eq_ignore_ascii_case(b"text/html") && !body.is_empty() {
            html.push(body);
        }
    }
    (plain_with_text && !html.is_empty()).then_some(html)
}

/// The `boundary` parameter of the header that follows (up to the blank
/// line that ends its header block), unquoted.
fn boundary(rest: &[u8]) -> Option<&[u8]> {
    let head = &rest[..header_block_end(rest).unwrap_or(rest.len()).min(1024)];
    let key = find_ci_bytes(head, b"boundary=")?;
    let value = &head[key + 9..];
    let value = match value.first() {
        Some(b'"') => {
            let v = &value[1..];
            &v[..memchr::memchr(b'"', v)?]
        }
        _ => {
            let end = value
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b';')
                .unwrap_or(value.len());
            &value[..end]
        }
    };
    (!value.is_empty() && value.len() <= 200).then_some(value)
}

/// Where a part's header block ends: just after its blank line.
fn header_block_end(part: &[u8]) -> Option<usize> {
    if part.starts_with(b"\n") {
        return Some(1);
    }
    if part.starts_with(b"\r\n") {
        return Some(2);
    }
    blank_line(part).map(|(_, body)| body)
}

/// A part's media type (`text/html`), or `text/plain` when it declares
/// none (RFC 2045's default).
fn content_type(headers: &[u8]) -> &[u8] {
    let mut line_start = 0;
    while line_start < headers.len() {
        let line = &headers[line_start..];
        if line.len() > 13 && line[..13].eq_ignore_ascii_case(b"content-type:") {
            let value = line[13..].trim_ascii_start();
            let end = value
                .iter()
                .position(|&b| b == b';' || b.is_ascii_whitespace())
                .unwrap_or(value.len());
            return &value[..end];
        }
        line_start += memchr::memchr(b'\n', line).map_or(line.len(), |i| i + 1);
    }
    b"text/plain"
}

#[cfg(test)]
mod tests {
    use super::drop_html_twins;

    const TWINS: &str = "From: a@example.org\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nDelivery has failed.\n--b1\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<p>Delivery has =\nfailed.</p>\n--b1--\n";

    #[test]
    fn the_html_twin_of_plain_text_loses_its_body_and_keeps_its_headers() {
        let slim = String::from_utf8(drop_html_twins(TWINS.as_bytes()).unwrap()).unwrap();
        assert!(slim.contains("Delivery has failed.\n--b1\nContent-Type: text/html"));
        assert!(!slim.contains("<p>"));
        assert!(slim.ends_with("quoted-printable\n\n\n--b1--\n"));
    }

    #[test]
    fn html_alone_or_beside_empty_text_is_kept() {
        let alone = TWINS.replace(
            "Content-Type: text/plain\n\nDelivery has failed.\n",
            "Content-Type: image/png\n\nxx\n",
        );
        assert_eq!(drop_html_twins(alone.as_bytes()), None);
        let empty = TWINS.replace("Delivery has failed.\n", "  \n");
        assert_eq!(drop_html_twins(empty.as_bytes()), None);
    }

    #[test]
    fn a_broken_structure_is_left_alone() {
        // no closing delimiter
        let open = TWINS.replace("--b1--\n", "");
        assert_eq!(drop_html_twins(open.as_bytes()), None);
        // no boundary parameter
        let bare = TWINS.replace("; boundary=\"b1\"", "");
        assert_eq!(drop_html_twins(bare.as_bytes()), None);
        assert_eq!(drop_html_twins(b"multipart/alternative"), None);
        assert_eq!(drop_html_twins(b""), None);
    }

    #[test]
    fn a_longer_boundary_sharing_the_prefix_is_not_a_delimiter() {
        let nested = TWINS.replace(
            "<p>Delivery has =\nfailed.</p>\n",
            "<p>Delivery has =\nfailed.</p>\n--b1-inner\nnot a part\n",
        );
        let slim = String::from_utf8(drop_html_twins(nested.as_bytes()).unwrap()).unwrap();
        assert!(!slim.contains("b1-inner"));
    }

    #[test]
    fn crlf_messages_are_slimmed_too() {
        let crlf = TWINS.replace('\n', "\r\n");
        let slim = drop_html_twins(crlf.as_bytes()).unwrap();
        assert!(!String::from_utf8(slim).unwrap().contains("<p>"));
    }
}
