//! Hand-written scanners for the small things a reply names: reply codes,
//! enhanced status codes, IP addresses, e-mail addresses, URLs and provider
//! tokens. Each is one left-to-right pass over bytes with no allocation until
//! something is found, so intake costs little next to matching.

use crate::facts::Status;
use std::ops::Range;

fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// Length of the run of digits at `i`.
fn digits_at(b: &[u8], i: usize) -> usize {
    b[i..].iter().take_while(|c| is_digit(**c)).count()
}

/// What a scanner finds: the value and where it stands.
pub type Found<T> = Option<(T, Range<usize>)>;

/// The first of `find`'s finds in `t` that `accept` takes, and where it
/// stands: a text may name a success first (`250 2.1.5` of an earlier step
/// of a session) and the failure after it.
pub fn first_where<T>(t: &str, find: fn(&str) -> Found<T>, accept: fn(&T) -> bool) -> Found<T> {
    let mut from = 0;
    while let Some((v, at)) = t.get(from..).and_then(find) {
        let at = from + at.start..from + at.end;
        if accept(&v) {
            return Some((v, at));
        }
        from = at.end;
    }
    None
}

/// Software whose name, a space, then its version (`Mailman 2.0.12`,
/// `MDaemon 5.0.5`, `Postfix 2.3.3`) would read as an enhanced status.
const VERSIONED_NAMES: &[&str] = &[
    "mailman",
    "majordomo",
    "listserv",
    "sympa",
    "ezmlm",
    "ecartis",
    "postfix",
    "sendmail",
    "courier",
    "mdaemon",
    "imail",
    "zimbra",
    "kerio",
    "merak",
    "icewarp",
    "communigate",
    "domino",
    "notes",
    "groupwise",
    "smartermail",
    "exchange",
    "version",
    "release",
    "v",
];

/// Whether the text before a number ends with one of [`VERSIONED_NAMES`]
/// and a space: the number is that software's version.
fn names_a_version(before: &[u8]) -> bool {
    let Some(rest) = before.strip_suffix(b" ") else {
        return false;
    };
    let start = rest
        .iter()
        .rposition(|c| !c.is_ascii_alphabetic())
        .map_or(0, |p| p + 1);
    let word = &rest[start..];
    VERSIONED_NAMES
        .iter()
        .any(|n| word.eq_ignore_ascii_case(n.as_bytes()))
}

/// The first enhanced status code (`5.7.1`), with class 2, 4 or 5 and
/// subject 0 to 7, standing alone (not inside an IP address or version,
/// nor a version after its software's name).
pub fn find_status(s: &str) -> Option<(Status, Range<usize>)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i + 4 < b.len() {
        let c = b[i];
        // not inside a version ("mailman-2.1.6", "/usr/lib/foo_2.0.1"):
        // after a reply code's hyphen ("550-5.7.1") a status still counts
        let boundary = i == 0
            || !(b[i - 1].is_ascii_alphanumeric()
                || matches!(b[i - 1], b'.' | b'_' | b'/')
                || (b[i - 1] == b'-' && i >= 2 && b[i - 2].is_ascii_alphabetic()));
        if boundary && matches!(c, b'2' | b'4' | b'5') && b[i + 1] == b'.' {
            let sl = digits_at(b, i + 2);
            if (1..=3).contains(&sl) && b.get(i + 2 + sl) == Some(&b'.') {
                let ds = i + 3 + sl;
                let dl = digits_at(b, ds);
                let end = ds + dl;
                let after_ok = match b.get(end) {
                    None => true,
                    Some(&n) => {
                        !(n.is_ascii_alphanumeric()
                            || (n == b'.' && b.get(end + 1).is_some_and(|x| is_digit(*x))))
                    }
                };
                if (1..=3).contains(&dl) && after_ok && !names_a_version(&b[..i]) {
                    let subject: u16 = s[i + 2..i + 2 + sl].parse().ok()?;
                    let detail: u16 = s[ds..end].parse().ok()?;
                    if subject <= 7 {
                        return Some((
                            Status {
                                class: (c - b'0') as u16,
                                subject,
                                detail,
                            },
                            i..end,
                        ));
                    }
                }
            }
        }
        i += 1;
    }
    None
}

/// The first SMTP reply code: three digits from 200 to 559 standing alone
/// and followed by a space, `-`, `;`, `,` or the end (not by `.`, so IP
/// address octets and status codes are not taken for codes). At the very
/// start of the text a 4xx or 5xx code outside RFC 5321's second digits is
/// a code too: Verizon answered `571 Email from ... is currently blocked`,
/// and a reply that opens with such a number has nothing else it could be.
pub fn find_code(s: &str) -> Option<(u16, Range<usize>)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i + 3 <= b.len() {
        let boundary = i == 0
            || !(b[i - 1].is_ascii_alphanumeric()
                || matches!(b[i - 1], b'.' | b'-' | b'#' | b'/' | b'='));
        if boundary
            && matches!(b[i], b'2'..=b'5')
            && is_digit(b[i + 1])
            && is_digit(b[i + 2])
            && (b[i + 1] <= b'5'
                || (i == 0 && matches!(b[i], b'4' | b'5') && b.get(i + 3) == Some(&b' ')))
        {
            let ok_after = match b.get(i + 3) {
                None => true,
                // `550: : User unknown` (Yahoo's relay of a reply): a colon
                // and a space after a code that stands alone after a space,
                // not `smtp.c:421: error` or a time.
                Some(b':') => {
                    (i == 0 || b[i - 1] == b' ') && matches!(b.get(i + 4), None | Some(b' '))
                }
                Some(&n) => matches!(
                    n,
                    b' ' | b'-' | b'\t' | b';' | b',' | b')' | b']' | b'"' | b'\''
                ),
            };
            if ok_after && !is_http_status_value(b, i) {
                let code = (b[i] - b'0') as u16 * 100
                    + (b[i + 1] - b'0') as u16 * 10
                    + (b[i + 2] - b'0') as u16;
                return Some((code, i..i + 3));
            }
        }
        i += 1;
    }
    None
}

/// Whether the number at `i` is the value of a JSON key that holds an HTTP
/// status (`"statusCode": 403`, `"StatusCode":429`, `"http_status": 422`).
/// Sending services answer their APIs with such bodies; an HTTP 403 is not
/// SMTP's 403, and reading it as one would give the wrong retry advice.
fn is_http_status_value(b: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && matches!(b[j - 1], b' ' | b'\t' | b'"') {
        j -= 1;
    }
    if j == 0 || b[j - 1] != b':' {
        return false;
    }
    j -= 1;
    while j > 0 && matches!(b[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    if j == 0 || !matches!(b[j - 1], b'"' | b'\'') {
        return false;
    }
    let end = j - 1;
    let start = b[..end]
        .iter()
        .rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'))
        .map_or(0, |p| p + 1);
    let key: String = b[start..end]
        .iter()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase() as char)
        .collect();
    key.starts_with("http") || key.ends_with("statuscode")
}

/// Every IPv4 address, and every bracketed IPv6 address, in order.
pub fn ips(s: &str) -> Vec<(String, Range<usize>)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // jump to the next place an address can start
        match b[i..].iter().position(|&c| is_digit(c) || c == b'[') {
            Some(k) => i += k,
            None => break,
        }
        if is_digit(b[i]) && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.')) {
            let mut j = i;
            let mut parts = 0;
            let mut ok = true;
            loop {
                let n = digits_at(b, j);
                let octet = b[j..j + n.min(3)]
                    .iter()
                    .fold(0u16, |v, d| v * 10 + u16::from(d - b'0'));
                if n == 0 || n > 3 || octet > 255 {
                    ok = false;
                    break;
                }
                j += n;
                parts += 1;
                if parts == 4 {
                    break;
                }
                if b.get(j) != Some(&b'.') {
                    ok = false;
                    break;
                }
                j += 1;
            }
            let clean_end = b.get(j).is_none_or(|c| {
                !(c.is_ascii_alphanumeric()
                    || (*c == b'.' && b.get(j + 1).is_some_and(|x| is_digit(*x))))
            });
            if ok && parts == 4 && clean_end {
                out.push((s[i..j].to_string(), i..j));
                i = j;
                continue;
            }
            // skip the rest of this number run
            while i < b.len() && (is_digit(b[i]) || b[i] == b'.') {
                i += 1;
            }
            continue;
        }
        if b[i] == b'[' {
            let rest = &s[i + 1..];
            let rest = rest
                .strip_prefix("IPv6:")
                .or_else(|| rest.strip_prefix("ipv6:"))
                .unwrap_or(rest);
            let start = s.len() - rest.len();
            let len = rest
                .bytes()
                .take_while(|c| c.is_ascii_hexdigit() || *c == b':' || *c == b'.')
                .count();
            if len >= 3
                && rest.as_bytes().get(len) == Some(&b']')
                && rest[..len].matches(':').count() >= 2
            {
                out.push((rest[..len].to_ascii_lowercase(), start..start + len));
                i = start + len;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-' | b'=' | b'\'')
}

fn is_domain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-')
}

/// Every e-mail address, in order. Exchange's `SMTP=`/`smtp:` prefixes and
/// leading quotes are not part of it; `...` after a domain ends it.
pub fn emails(s: &str) -> Vec<(String, Range<usize>)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    for (at, _) in s.match_indices('@') {
        let mut start = at;
        while start > 0 && is_local_char(b[start - 1]) {
            start -= 1;
        }
        // A local part does not start with punctuation (`'user@...` is a
        // quoted address), and `SMTP=` / `smtp:` is Exchange's prefix.
        while start < at && matches!(b[start], b'.' | b'\'' | b'=' | b'-') {
            start += 1;
        }
        for prefix in ["smtp=", "smtp:", "rfc822;"] {
            if s[start..at].len() > prefix.len()
                && s[start..start + prefix.len()].eq_ignore_ascii_case(prefix)
            {
                start += prefix.len();
            }
        }
        let mut end = at + 1;
        // A domain ends at two dots in a row (`user@example.net...`).
        while end < b.len()
            && is_domain_char(b[end])
            && !(b[end] == b'.' && b.get(end + 1) == Some(&b'.'))
        {
            end += 1;
        }
        while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &s[at + 1..end];
        let local = &s[start..at];
        // `david...@gmail.com` is an address shortened for display
        if local.contains("..") || local.ends_with('.') {
            continue;
        }
        if start < at && domain.contains('.') && !domain.starts_with('.') {
            out.push((s[start..end].to_string(), start..end));
        }
    }
    out
}

/// Every `http://` or `https://` URL.
pub fn urls(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut from = 0;
    // `h` or `H`, then the rest compared without case: no lower-case copy.
    while let Some(p) = memchr::memchr2(b'h', b'H', &b[from..]) {
        let start = from + p;
        let rest = &b[start..];
        let has = |prefix: &[u8]| {
            rest.len() >= prefix.len() && rest[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        if has(b"http://") || has(b"https://") {
            let len = s[start..]
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '>' | ')' | ']' | '"' | '\'' | ',')
                })
                .unwrap_or(s.len() - start);
            let url = s[start..start + len].trim_end_matches(['.', ';', ':']);
            out.push(url.to_string());
            from = start + len.max(1);
        } else {
            from = start + 1;
        }
    }
    out
}

/// Provider tokens: `[TSS04]`, `(S3150)`, `AUP#1234`, `[BL21]`, `OU-002`...
/// A token is 1–6 capital letters then 2–6 digits, in brackets or
/// parentheses; or `AUP#` and what follows it.
pub fn tokens(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    for i in memchr::memchr2_iter(b'[', b'(', b) {
        let c = b[i];
        {
            let close = if c == b'[' { b']' } else { b')' };
            let rest = &b[i + 1..];
            let letters = rest.iter().take_while(|x| x.is_ascii_uppercase()).count();
            let mut j = letters;
            if rest.get(j) == Some(&b'-') {
                j += 1;
            }
            let digits = rest[j.min(rest.len())..]
                .iter()
                .take_while(|x| is_digit(**x))
                .count();
            if (1..=6).contains(&letters)
                && (2..=6).contains(&digits)
                && rest.get(j + digits) == Some(&close)
            {
                out.push(s[i + 1..i + 1 + j + digits].to_string());
            }
        }
    }
    static AUP: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"AUP#"));
    for p in AUP.find_iter(b) {
        let len = s[p + 4..]
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'-')
            .count();
        out.push(s[p..p + 4 + len].to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_stands_alone() {
        assert_eq!(
            find_status("550 5.7.1 no").map(|s| s.0.to_string()),
            Some("5.7.1".into())
        );
        assert_eq!(find_status("from 192.5.7.1 x"), None);
        assert_eq!(find_status("v5.7.1"), None);
        // a version is no status; a reply code's continuation hyphen is
        assert_eq!(
            find_status("\"/mail/mailman-2.1.6/mail/mailman bounces\""),
            None
        );
        assert_eq!(find_status("libfoo_2.0.1 and /opt/4.4.1"), None);
        // a version after its software's name, then a real status
        assert_eq!(find_status("ANNOUNCE Mailman 2.0.12 release"), None);
        assert_eq!(
            find_status("MDaemon 5.0.5 said: 550 5.1.1 unknown").map(|s| s.0.to_string()),
            Some("5.1.1".into())
        );
        assert_eq!(
            find_status("Status: 5.2.2").map(|s| s.0.to_string()),
            Some("5.2.2".into())
        );
        assert_eq!(
            find_status("550-5.7.26 x").map(|s| s.0.to_string()),
            Some("5.7.26".into())
        );
        assert_eq!(
            find_status("5.7.1."),
            Some((
                Status {
                    class: 5,
                    subject: 7,
                    detail: 1
                },
                0..5
            ))
        );
    }

    #[test]
    fn code_is_not_an_octet() {
        assert_eq!(find_code("192.0.2.7 said: 550 no").map(|c| c.0), Some(550));
        assert_eq!(find_code("550-5.7.1").map(|c| c.0), Some(550));
        assert_eq!(find_code("port 25 ok"), None);
    }

    #[test]
    fn a_non_standard_code_counts_only_where_the_reply_opens() {
        let code = |s: &str| find_code(s).map(|c| c.0);
        assert_eq!(
            code("571 Email from 192.0.2.7 is currently blocked"),
            Some(571)
        );
        // inside the text, or glued to other characters, it is a number
        assert_eq!(code("queue 571 messages"), None);
        assert_eq!(code("571-x"), None);
        assert_eq!(code("671 no"), None);
    }

    #[test]
    fn a_code_may_end_in_a_colon_when_it_stands_alone() {
        let code = |s: &str| find_code(s).map(|c| c.0);
        // Yahoo relays the receiver's reply as `CODE: text`
        assert_eq!(code("<bob@example.jp>: 550: : User unknown"), Some(550));
        assert_eq!(code("501: 5.1.8 sender rejected"), Some(501));
        // a source line or a clock is not a reply code
        assert_eq!(code("smtp.c:421: connection lost"), None);
        assert_eq!(code("at 10:450:12 done"), None);
        assert_eq!(code("error 450:ok"), None);
    }

    #[test]
    fn an_http_status_in_an_api_body_is_not_a_reply_code() {
        let code = |s: &str| find_code(s).map(|c| c.0);
        assert_eq!(
            code(r#"{"statusCode":403,"name":"validation_error"}"#),
            None
        );
        assert_eq!(code(r#"{"StatusCode": 429, "ErrorMessage": "x"}"#), None);
        assert_eq!(code(r#"{"http_status":"422"}"#), None);
        // an SMTP code under another key, or in the message, is still one
        assert_eq!(code(r#"{"code":550,"message":"no"}"#), Some(550));
        assert_eq!(
            code(r#"{"statusCode":403,"message":"550 5.1.1 unknown"}"#),
            Some(550)
        );
    }

    #[test]
    fn finds_ips() {
        let v: Vec<String> = ips("host [192.0.2.7] and 10.0.0.300 and [IPv6:2001:db8::1]")
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(v, vec!["192.0.2.7", "2001:db8::1"]);
    }

    #[test]
    fn finds_emails_and_tokens() {
        let e: Vec<String> = emails("<bob@example.com>: x")
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(e, vec!["bob@example.com"]);
        assert_eq!(
            tokens("421 4.7.0 [TSS04] and (S3150) AUP#BL"),
            vec!["TSS04", "S3150", "AUP#BL"]
        );
        assert_eq!(
            urls("see https://x.example/a?b=1. now"),
            vec!["https://x.example/a?b=1"]
        );
    }
}

#[cfg(test)]
mod address_tests {
    use super::emails;

    fn first(s: &str) -> String {
        emails(s)
            .into_iter()
            .next()
            .map(|e| e.0)
            .unwrap_or_default()
    }

    #[test]
    fn prefixes_quotes_and_trailing_dots_are_not_the_address() {
        assert_eq!(first("SMTP=userx@example.com"), "userx@example.com");
        assert_eq!(first("smtp:userx@example.com"), "userx@example.com");
        assert_eq!(first("'userx@example.uk'"), "userx@example.uk");
        assert_eq!(
            first("<subscriber@earthlink.net>...user unknown"),
            "subscriber@earthlink.net"
        );
        assert_eq!(
            first("subscriber@earthlink.net...User"),
            "subscriber@earthlink.net"
        );
        // VERP and tagged addresses keep their `=` and `+`
        assert_eq!(
            first("list-bounces+bob=example.com@lists.example.org"),
            "list-bounces+bob=example.com@lists.example.org"
        );
    }
}
