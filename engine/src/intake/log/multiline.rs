//! A multi-line SMTP reply pasted into a file of replies or a log, one
//! reply line per text line.
//!
//! RFC 5321 (4.2.1) writes a reply of several lines with a hyphen after
//! the code on every line but the last, which has a space:
//!
//! ```text
//! 550-5.7.26 This mail has been blocked because the sender is
//! 550-5.7.26 unauthenticated. Gmail requires all senders to
//! 550 5.7.26 authenticate with either SPF or DKIM.
//! ```
//!
//! An MTA's log keeps such a reply on one line, but a team that pastes
//! replies from a session transcript, a support ticket or a screen gets
//! one text line per reply line. Read line by line, each fragment would be
//! a diagnosis of its own ("unauthenticated." alone, "authenticate with
//! either SPF or DKIM." alone); [`reply_lines`] says how many lines from a
//! given one belong to one reply, so that `scan` reads them as one.
//!
//! A group opens with a line `NNN-` (the code of a failure or of a
//! deferral), takes every following line `NNN-` with the same code, and
//! closes with the line `NNN ` (or `NNN` alone) that ends it. A group that
//! never closes (the paste was cut) still ends where its lines do. At most
//! [`MAX_REPLY_LINES`] lines make one reply: more is not a reply but a
//! file of the same code, read line by line.

/// The most lines one multi-line reply takes (RFC 5321 sets no limit;
/// the longest real replies, Gmail's and Microsoft's, take six to ten).
pub const MAX_REPLY_LINES: usize = 64;

/// The code of a line that a later line continues (`550-5.7.1 ...`): a
/// failure or deferral code (4xx, 5xx) right after the line's indentation,
/// then a hyphen.
pub fn continued_code(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let b = t.as_bytes();
    (b.len() >= 4
        && matches!(b[0], b'4' | b'5')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b'-')
        .then(|| &t[..3])
}

/// Whether `line` is the last line of a reply with `code`: the code, then
/// a space or nothing.
fn ends_reply(line: &str, code: &str) -> bool {
    let t = line.trim_start();
    t.strip_prefix(code)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// How many of `lines`, from `at`, are one reply: 1 for a line that opens
/// no multi-line reply, else the lines up to and with the one that ends
/// it (fewer when the lines end first, at most [`MAX_REPLY_LINES`]).
pub fn reply_lines<S: AsRef<str>>(lines: &[S], at: usize) -> usize {
    let Some(code) = lines.get(at).and_then(|l| continued_code(l.as_ref())) else {
        return 1;
    };
    let mut n = 1;
    while at + n < lines.len() && n < MAX_REPLY_LINES {
        let line = lines[at + n].as_ref();
        if continued_code(line) == Some(code) {
            n += 1;
        } else {
            if ends_reply(line, code) {
                n += 1;
            }
            break;
        }
    }
    n
}

/// Whether a reply that opens among `lines` is still open at their end
/// (its last line continues), so a reader cutting the lines into parts
/// should read on before it cuts.
pub fn ends_open<S: AsRef<str>>(lines: &[S]) -> bool {
    lines
        .last()
        .is_some_and(|l| continued_code(l.as_ref()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_of_one_reply_are_counted_together() {
        let lines = [
            "421-4.7.0 unsolicited mail originating from your IP address. To protect our",
            "421-4.7.0 users from spam, mail sent from your IP address has been temporarily",
            "421 4.7.0 rate limited.",
            "550 5.1.1 user unknown",
        ];
        assert_eq!(reply_lines(&lines, 0), 3);
        assert_eq!(reply_lines(&lines, 3), 1);
        // read from a line in its middle, the rest of the reply still goes together
        assert_eq!(reply_lines(&lines, 1), 2);
    }

    #[test]
    fn another_code_or_a_cut_paste_ends_the_reply() {
        let lines = ["550-5.7.1 first", "554 5.7.1 another reply"];
        assert_eq!(reply_lines(&lines, 0), 1);
        let cut = ["550-5.7.1 first", "550-5.7.1 second"];
        assert_eq!(reply_lines(&cut, 0), 2);
        assert!(ends_open(&cut));
        assert!(!ends_open(&["550 5.7.1 done"]));
        // a success's continuation is an EHLO answer, not a refusal
        assert_eq!(reply_lines(&["250-mx.example.org", "250 SIZE"], 0), 1);
    }

    #[test]
    fn a_file_of_one_code_is_not_one_reply() {
        let lines = vec!["550-x"; MAX_REPLY_LINES * 2];
        assert_eq!(reply_lines(&lines, 0), MAX_REPLY_LINES);
    }
}
