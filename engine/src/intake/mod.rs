//! Intake: recognising what was given and extracting [`Facts`](crate::Facts).
//!
//! - [`reply`] reads one SMTP reply in every wrapping that DSNs and MTA logs
//!   put around it;
//! - [`email`] reads a bounce e-mail (standard DSN or prose) into one record
//!   per recipient, with [`dsn`] for the RFC 3464 fields;
//! - [`family`] names the software that wrote a bounce (its `mta` fact);
//! - [`scan`] finds addresses, codes and tokens without regexes, in one pass
//!   each.

pub mod alternative;
pub mod auth_results;
pub mod dsn;
pub mod email;
pub mod family;
pub mod log;
pub mod reply;
pub mod scan;
pub(crate) mod verdict;
pub mod webhook;

/// The lines of `text`, as [`str::lines`] gives them (split at `\n`, a
/// `\r` before the `\n` dropped, no empty last line), found with `memchr`'s SIMD
/// search: bounce reports are read line by line several times, and the
/// standard library's search for a `char` is a slower word-at-a-time loop.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(at) => {
                let line = &rest[..at];
                rest = &rest[at + 1..];
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            None => Some(std::mem::take(&mut rest)),
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_are_the_standard_librarys_lines() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\n",
            "a\r\nb\n\nc",
            "\r\n\r\n",
            "a\rb\n",
            "x\r",
            "é\nü\r\n",
        ] {
            assert_eq!(
                super::lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }
}
