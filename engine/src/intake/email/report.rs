//! The report text of a bounce: its human-readable words without the
//! returned message.
//!
//! A prose bounce is a letter followed by a copy of what was sent. Only the
//! letter speaks about the failure; the copy is somebody else's text, full
//! of addresses that are not recipients. [`cut_original`] ends the report
//! at the first line that announces the copy (`--- Below this line is a
//! copy of the message.`, `------ This is a copy of the message`, ...), and
//! [`unquote`] takes the `> ` marks off a bounce that was forwarded as a
//! quotation. [`header_fields`] reads the returned message's own `From`
//! and `To`.

use crate::intake::scan;

/// Lines that mark the start of the returned message in a prose bounce.
/// Matched case-insensitively at the start of a trimmed line.
pub(super) const ORIGINAL_MESSAGE_MARKERS: &[&str] = &[
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
pub(super) const MAX_REPORT_BYTES: usize = 64 * 1024;

/// The words about one recipient kept for the rules: the reply and the
/// sentences around it, never pages of a quoted message.
pub(super) const MAX_CONTEXT_BYTES: usize = 8 * 1024;

pub(super) fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// A bounce forwarded as a quotation (`> ` before every line) is read as
/// the bounce itself: when most lines are quoted, the quote marks go.
pub(super) fn unquote(text: &str) -> std::borrow::Cow<'_, str> {
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
pub(super) fn cut_original(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(64 * 1024));
    let mut seen_content = false;
    for line in crate::intake::lines(text) {
        let t = line.trim();
        if seen_content && announces_original(t) {
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

/// The returned message as a prose report quotes it: from the line that
/// announces it (see [`cut_original`]) to the end, when there is one.
pub(super) fn returned_part(text: &str) -> Option<&str> {
    let mut seen_content = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if seen_content && announces_original(t) {
            return Some(&text[offset..]);
        }
        seen_content |= !t.is_empty();
        offset += line.len();
    }
    None
}

/// The words of a ruled separator line that announce the returned
/// message, whatever the ruling around them: T-Online writes
/// `|----- Message header follows: -----|` and `|----- Message text
/// follows: (body too large, truncated) -----|` after its `|----- Failed
/// addresses follow: -----|` block (as FragDenStaat's bounce handling and
/// other projects' tests quote its bounces); others rule with `=` or `*`.
/// Matched case-insensitively after at least three ruling characters.
const RULED_MARKER_WORDS: &[&str] = &[
    "message header follows",
    "message text follows",
    "original message follows",
    "returned message follows",
    "copy of the message follows",
];

/// Whether a trimmed line starts with one of [`ORIGINAL_MESSAGE_MARKERS`],
/// or is a ruled separator whose words are one of [`RULED_MARKER_WORDS`].
fn announces_original(line: &str) -> bool {
    announces_original_literally(line) || ruled_marker(line)
}

/// `|------ Message header follows: ------|` and the like.
fn ruled_marker(line: &str) -> bool {
    if !line.starts_with(['|', '-', '=', '*', '_']) {
        return false;
    }
    let words = line.trim_start_matches(['|', '-', '=', '*', '_', ' ']);
    let ruling = line.len() - words.len();
    ruling >= 3
        && RULED_MARKER_WORDS.iter().any(|m| {
            words.len() >= m.len() && words.as_bytes()[..m.len()].eq_ignore_ascii_case(m.as_bytes())
        })
}

/// Whether a trimmed line starts with one of [`ORIGINAL_MESSAGE_MARKERS`].
fn announces_original_literally(line: &str) -> bool {
    let t = line.as_bytes();
    let starts_with =
        |m: &str| t.len() >= m.len() && t[..m.len()].eq_ignore_ascii_case(m.as_bytes());
    // most lines start with a byte no marker starts with
    let may_mark = t.first().is_some_and(|b| {
        let b = b.to_ascii_lowercase();
        ORIGINAL_MESSAGE_MARKERS
            .iter()
            .any(|m| m.as_bytes()[0] == b)
    });
    t.len() > 8 && may_mark && ORIGINAL_MESSAGE_MARKERS.iter().any(|m| starts_with(m))
}

/// `name: value` lines of a header block, unfolded, names lower-cased.
pub(super) fn header_lines(text: &str) -> Vec<(String, String)> {
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

pub(super) struct OriginalHeaders {
    pub(super) from: Option<String>,
    pub(super) to: Vec<String>,
}

pub(super) fn header_fields(text: &str) -> OriginalHeaders {
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
