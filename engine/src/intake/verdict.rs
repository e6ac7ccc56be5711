//! What a bounce's writer, or a reply's own words, say of a failure as a
//! whole: given up for good, or still trying.
//!
//! A reply carries its own class (5xx or 4xx, 5.x.x or 4.x.x), and a DSN its
//! `Action` (`failed` or `delayed`). Prose bounces often quote no code at
//! all ("Sorry, no mailbox here by that name.", "retry timeout exceeded"),
//! but their writer says in its heading which kind of report it is:
//!
//! ```text
//! I'm afraid I wasn't able to deliver your message to the following addresses.
//! This is a permanent error; I've given up. Sorry it didn't work out.
//! ```
//!
//! That heading is the writer's verdict on every recipient it lists. It
//! matters only where a recipient's own words carry no class: then it is
//! the `permanent` of the answer (and what `class permanent` reads), so
//! that the retry advice is the writer's, not "no reply class given". A
//! pasted reply without a code or status is read for the same words
//! ("Message will be retried for 2 more day(s)").
//!
//! The headings, each the writer's fixed text:
//! - qmail-send (qmail-send.c): "This is a permanent error; I've given up."
//! - Exim (the default bounce text in deliver.c, copied by Mail.ru's and
//!   1&1's bounces): "This is a permanent error." and, in all its versions,
//!   "The following address(es) failed:"; its delay warning (the default
//!   warn text): "No action is required on your part. Delivery attempts
//!   will continue for some time".
//! - OpenSMTPD (smtpd/bounce.c): "An error has occurred while attempting
//!   to deliver a message for the following list of recipients:", and for
//!   a delay "Please note that this is only a temporary failure report."
//!   and "You DO NOT NEED to re-send the message".
//! - Sendmail (savemail.c): "----- The following addresses had permanent
//!   fatal errors -----" and "... had transient non-fatal errors -----";
//!   its warning: "THIS IS A WARNING MESSAGE ONLY ... YOU DO NOT NEED TO
//!   RESEND YOUR MESSAGE".
//! - Postfix (bounce's default templates, bounce(5)): the delay template's
//!   "THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE."
//! - Gmail: "Delivery to the following recipient failed permanently" and
//!   "Delivery to the following recipient has been delayed ... Message
//!   will be retried for 2 more day(s)".
//! - The DragonFly Mail Agent (dma), as its bounces in the Sisimai corpus
//!   show it: "Could not deliver for the last N seconds. Giving up."
//! - Exchange's delay DSNs: "Delivery is delayed to these recipients or
//!   groups" (2007 and later), "Delivery to the following recipients has
//!   been delayed" (2000/2003) and "The server will continue trying for
//!   up to 21 hours".
//!
//! A bounce that says both (a Sendmail report with a permanent and a
//! transient section, a digest of several writers) gives no verdict.

/// Words with which a writer says it gave up for good.
const GIVEN_UP: &[&str] = &[
    "this is a permanent error",
    "had permanent fatal errors",
    "failed permanently",
    "i've given up",
    "seconds. giving up.",
    "the following address(es) failed",
    "an error has occurred while attempting to deliver a message for",
];

/// Words with which a writer says it is still trying.
const STILL_TRYING: &[&str] = &[
    "you do not need to resend your message",
    "you do not need to re-send",
    "this is a warning message only",
    "delivery attempts will continue",
    "had transient non-fatal errors",
    "delivery is delayed to these recipients",
    "delivery to the following recipients has been delayed",
    "delivery to the following recipient has been delayed",
    "will be retried for",
    "this is only a temporary failure report",
    "will continue trying",
];

/// Both word lists in one case-insensitive automaton, built once: a report
/// is read in one pass (the lists searched one by one cost 1.7% of a
/// `scan` of the Sisimai corpus).
fn automaton() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            // the cheapest to build: it runs on prose bounces only
            .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
            .build(GIVEN_UP.iter().chain(STILL_TRYING))
            .expect("fixed word lists")
    });
    &AC
}

/// `Some(true)` when the report says its failures are permanent,
/// `Some(false)` when it says delivery is still being tried, `None` when
/// it says neither or both.
pub(crate) fn permanence(report: &str) -> Option<bool> {
    let (mut given_up, mut still_trying) = (false, false);
    for m in automaton().find_iter(report) {
        if m.pattern().as_usize() < GIVEN_UP.len() {
            given_up = true;
        } else {
            still_trying = true;
        }
        if given_up && still_trying {
            return None;
        }
    }
    match (given_up, still_trying) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// The verdict for one recipient: its DSN `Action` when it has one
/// (`failed` or `delayed`), else the report's.
pub(crate) fn for_record(action: Option<&str>, report: Option<bool>) -> Option<bool> {
    match action {
        Some("failed") => Some(true),
        Some("delayed") => Some(false),
        _ => report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_say_given_up_or_still_trying() {
        assert_eq!(
            permanence("Hi. This is the qmail-send program at mx.example.net.\nThis is a permanent error; I've given up. Sorry it didn't work out."),
            Some(true)
        );
        assert_eq!(
            permanence("A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:"),
            Some(true)
        );
        assert_eq!(
            permanence("# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #"),
            Some(false)
        );
        assert_eq!(
            permanence(
                "No action is required on your part. Delivery attempts will continue for some time"
            ),
            Some(false)
        );
        assert_eq!(permanence("Your message could not be delivered."), None);
    }

    #[test]
    fn a_report_saying_both_gives_no_verdict() {
        let both = "----- The following addresses had permanent fatal errors -----\n<a@example.org>\n----- The following addresses had transient non-fatal errors -----\n<b@example.org>";
        assert_eq!(permanence(both), None);
    }

    #[test]
    fn a_recipients_own_action_comes_first() {
        assert_eq!(for_record(Some("delayed"), Some(true)), Some(false));
        assert_eq!(for_record(Some("failed"), Some(false)), Some(true));
        assert_eq!(for_record(None, Some(true)), Some(true));
        assert_eq!(for_record(Some("delivered"), None), None);
    }
}
