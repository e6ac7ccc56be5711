//! Which software wrote a bounce: its *family* (`postfix`, `exim`, `qmail`,
//! `mcafee`, ...), the `mta` fact of an e-mail.
//!
//! A bounce rarely names the program that wrote it, but most programs leave
//! a signature: a header of their own (`X-NAI-Header: Modified by McAfee
//! Email Gateway`, `X-PowerMTA-BounceCategory`, Exim's
//! `X-Failed-Recipients`), a sender at the vendor's domain
//! (`MAILER-DAEMON@...mxlogic.net`), or a fixed opening sentence (qmail's
//! "This is the qmail-send program"). Sisimai keeps one module per family
//! for the same reason.
//!
//! The family matters to a rule when the same words mean different things
//! from different writers. The clearest case: a *filtering gateway* (McAfee
//! Email Gateway, SurfControl, MX Logic) sits in front of the real mail
//! server, and its "No such user" is its own recipient filter speaking, not
//! the mailbox store; `core/gateway_recipient_filter` reads it so.
//!
//! Recognition is a table of clues tried in order; the first that holds
//! names the family. Only signatures a family alone writes are listed: a
//! wrong family is worse than none.

use crate::intake::reply::{find_ci, find_ci_bytes};
use mail_parser::Message;

/// One signature of a family.
enum Clue {
    /// A top-level header of this name whose value contains this text
    /// (either without regard to ASCII case; `""` for any value).
    Header(&'static str, &'static str),
    /// A top-level header whose name starts with this prefix (lower case).
    HeaderPrefix(&'static str),
    /// The bounce's `From` address ends with this domain.
    FromDomain(&'static str),
    /// The report's text contains this sentence (without regard to ASCII
    /// case).
    Says(&'static str),
}

use Clue::*;

/// (family, clue), tried in order. Gateways and vendor headers come first:
/// a gateway relaying a Postfix bounce is still the gateway speaking.
const CLUES: &[(&str, Clue)] = &[
    ("mcafee", Header("x-nai-header", "mcafee")),
    ("surfcontrol", Header("x-mailer", "surfcontrol")),
    ("surfcontrol", HeaderPrefix("x-sef-")),
    ("mxlogic", FromDomain("mxlogic.net")),
    ("mxlogic", HeaderPrefix("x-mxl-")),
    ("powermta", HeaderPrefix("x-powermta-")),
    ("mimecast", FromDomain("mimecast.com")),
    ("messagelabs", FromDomain("messagelabs.com")),
    ("amazonses", HeaderPrefix("x-ses-")),
    ("exchange", Header("x-ms-exchange-message-is-ndr", "")),
    // Gmail writes Exim's X-Failed-Recipients too.
    ("gmail", FromDomain("googlemail.com")),
    ("gmail", FromDomain("google.com")),
    ("exim", Header("x-failed-recipients", "")),
    ("postfix", Says("this is the mail system at host")),
    ("qmail", Says("this is the qmail-send program")),
    (
        "sendmail",
        Says("----- transcript of session follows -----"),
    ),
    ("domino", Says("domino directory")),
    ("notes", Says("name & address book")),
];

/// The family that wrote `msg`, whose human-readable text is `text`.
///
/// One pass over the top-level headers marks every header clue that holds
/// (a value is looked at only when the name matches); the sentence clues
/// are then searched in the text only while no earlier clue has won.
pub fn recognise(msg: &Message, text: &str) -> Option<&'static str> {
    let mut held = [false; CLUES.len()];
    let raw = msg.raw_message.as_ref();
    for header in msg.root_part().headers() {
        let name = header.name.as_str().as_bytes();
        // every header clue names an X- header
        if !name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"x-")) {
            continue;
        }
        for ((_, clue), held) in CLUES.iter().zip(held.iter_mut()) {
            *held |= match clue {
                Header(n, needle) => {
                    name.eq_ignore_ascii_case(n.as_bytes())
                        && (needle.is_empty()
                            || raw
                                .get(header.offset_start as usize..header.offset_end as usize)
                                .is_some_and(|v| find_ci_bytes(v, needle.as_bytes()).is_some()))
                }
                // compared as bytes: a header name may be any bytes, and
                // slicing it as text at the prefix's length can split a character
                HeaderPrefix(prefix) => name
                    .get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes())),
                FromDomain(_) | Says(_) => false,
            };
        }
    }
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim_matches(['<', '>']).to_ascii_lowercase());
    CLUES
        .iter()
        .zip(held)
        .find(|((_, clue), held)| match clue {
            Header(..) | HeaderPrefix(_) => *held,
            FromDomain(domain) => from.as_deref().is_some_and(|f| {
                f.rsplit_once('@').is_some_and(|(_, d)| {
                    d == *domain || d.strip_suffix(domain).is_some_and(|sub| sub.ends_with('.'))
                })
            }),
            Says(sentence) => find_ci(text, sentence).is_some(),
        })
        .map(|((family, _), _)| *family)
}

#[cfg(test)]
mod tests {
    use super::recognise;
    use mail_parser::MessageParser;

    fn family(raw: &str) -> Option<&'static str> {
        let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let text = msg.body_text(0).unwrap_or_default().into_owned();
        recognise(&msg, &text)
    }

    #[test]
    fn each_kind_of_clue_names_its_family() {
        assert_eq!(
            family("From: <>\nX-NAI-Header: Modified by McAfee Email Gateway (4500)\n\nx\n"),
            Some("mcafee")
        );
        assert_eq!(
            family("From: a@b\nX-SEF-Processed: 0_0\n\nx\n"),
            Some("surfcontrol")
        );
        assert_eq!(
            family("From: MAILER-DAEMON@00000000.mxlogic.net\n\nx\n"),
            Some("mxlogic")
        );
        assert_eq!(
            family("From: MAILER-DAEMON@x\n\nHi. This is the qmail-send program at x.\n"),
            Some("qmail")
        );
    }

    #[test]
    fn a_lookalike_domain_or_an_unknown_writer_names_none() {
        assert_eq!(family("From: a@notmxlogic.net\n\nx\n"), None);
        assert_eq!(family("From: a@b\nX-Mailer: Thunderbird\n\nx\n"), None);
    }

    #[test]
    fn the_gateway_wins_over_the_mta_it_relays() {
        assert_eq!(
            family("From: <>\nX-NAI-Header: McAfee\n\nThis is the mail system at host x.\n"),
            Some("mcafee")
        );
    }
}
