//! A reply reads the same in every bounce that carries it.
//!
//! A team meets one refusal pasted alone, inside a log line, or inside the
//! bounce its own MTA wrote. The readers of those wrappings must hand the
//! rules the reply and the failed recipient, nothing less and nothing
//! more: not a phantom recipient made of an address the reply quotes, not
//! the writer's own boilerplate read as a cause. This test wraps every
//! real reply of `bench/field/` in the bounce of ten writers (a Postfix
//! DSN; Exim's, Sendmail's, qmail's, Domino's, Yahoo's, Courier's and
//! OpenSMTPD's plain-text bounces; Gmail's and Postfix's without their DSN
//! part, Postfix's reply folded;
//! Office 365's HTML report; as their sources and samples write them; and
//! every deferral in Exim's and Sendmail's delay warnings, whose heading
//! must not outrank the cause the quoted error names)
//! and holds each to two things:
//!
//! - every bounce yields one diagnosis, for the recipient the writer
//!   listed (`bob@example.com`);
//! - the category agrees with the row's label about as often as the reply
//!   read alone: at most 2% of rows lower. Some difference is the
//!   wrapping's own: each bounce names a receiving host (`mx.example.com`),
//!   which outranks a provider's words, and the session stage (RCPT TO).
//!
//! The agreement of each form is printed.

use bouncedx::eval::{self, Input};
use std::path::Path;

/// Most a form may agree less often than the plain replies, as a share of
/// the rows it wraps.
const TOLERANCE: f64 = 0.02;

/// A reply as a bounce of one writer, or `None` when that writer would not
/// bounce it (a deferral: Exim, Sendmail and qmail send no bounce for it).
type Wrap = fn(&str, &str, &str) -> Option<String>;

/// RFC 3464, as Postfix writes it: the reply in the human part and in the
/// `Diagnostic-Code` field.
fn postfix_dsn(reply: &str, status: &str, folded: &str) -> Option<String> {
    let action = if status.starts_with('4') {
        "delayed"
    } else {
        "failed"
    };
    Some(format!(
        "Return-Path: <>\nFrom: MAILER-DAEMON@mta1.example.org (Mail Delivery System)\nTo: news@example.org\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B0UND\"\n\n--B0UND\nContent-Type: text/plain; charset=utf-8\n\nThis is the mail system at host mta1.example.org.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<bob@example.com>: host mx.example.com[192.0.2.10] said: {folded}\n\n--B0UND\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta1.example.org\n\nFinal-Recipient: rfc822; bob@example.com\nAction: {action}\nStatus: {status}\nRemote-MTA: dns; mx.example.com\nDiagnostic-Code: smtp; {reply}\n\n--B0UND--\n"
    ))
}

/// Exim's deliver.c: the address two spaces in, its reason four.
fn exim(_: &str, status: &str, folded: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "Return-Path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mta1.example.org>\nTo: news@example.org\nSubject: Mail delivery failed: returning message to sender\nContent-Type: text/plain; charset=utf-8\n\nThis message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  bob@example.com\n    host mx.example.com [192.0.2.10]\n    SMTP error from remote mail server after RCPT TO:<bob@example.com>:\n    {folded}\n\n------ This is a copy of the message, including all the headers. ------\n\nFrom: news@example.org\nTo: bob@example.com\nSubject: hello\n\nhi\n"
    ))
}

/// Sendmail's savemail.c: the address at the margin, `(reason: ...)`
/// below it, then the transcript.
fn sendmail(reply: &str, status: &str, _: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "Return-Path: <>\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mta1.example.org>\nTo: <news@example.org>\nSubject: Returned mail: see transcript for details\n\nThe original message was received at Thu, 26 Nov 2026 10:00:00 +0100\nfrom localhost [127.0.0.1]\n\n   ----- The following addresses had permanent fatal errors -----\n<bob@example.com>\n    (reason: {reply})\n\n   ----- Transcript of session follows -----\n... while talking to mx.example.com.:\n>>> RCPT To:<bob@example.com>\n<<< {reply}\n\n   ----- Original message follows -----\n\nFrom: news@example.org\nTo: bob@example.com\nSubject: hello\n\nhi\n"
    ))
}

/// qmail-send with qmail-remote's account of a refusal at RCPT TO.
fn qmail(reply: &str, status: &str, _: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "Return-Path: <>\nFrom: MAILER-DAEMON@mta1.example.org\nTo: news@example.org\nSubject: failure notice\n\nHi. This is the qmail-send program at mta1.example.org.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<bob@example.com>:\n192.0.2.10 does not like recipient.\nRemote host said: {reply}\nGiving up on 192.0.2.10.\n\n--- Below this line is a copy of the message.\n\nFrom: news@example.org\nTo: bob@example.com\nSubject: hello\n\nhi\n"
    ))
}

/// Domino's "was not delivered to: ... because:" report.
fn domino(reply: &str, status: &str, _: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "Return-Path: <>\nFrom: Postmaster@mta1.example.org\nTo: news@example.org\nSubject: DELIVERY FAILURE: hello\nContent-Type: text/plain; charset=utf-8\n\nYour message\n\n  Subject: hello\n\nwas not delivered to:\n\n  bob@example.com\n\nbecause:\n\n  {reply}\n"
    ))
}

/// Postfix's bounce without its DSN part (as a forward or a copy keeps
/// it): the reply after "said:", folded with its continuation lines
/// indented (bounce_notify_util.c).
fn postfix_prose(_: &str, status: &str, folded: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "From: MAILER-DAEMON@mta1.example.org (Mail Delivery System)\nTo: news@example.org\nSubject: Undelivered Mail Returned to Sender\n\nThis is the mail system at host mta1.example.org.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send mail to postmaster.\n\n                   The mail system\n\n<bob@example.com>: host mx.example.com[192.0.2.10] said: {folded}\n"
    ))
}

/// Exim's delay warning (its default warn_message_file): the address the
/// message has not reached yet, its last error, and that delivery
/// attempts will continue. Only a deferral is warned about.
fn exim_delay(_: &str, status: &str, folded: &str) -> Option<String> {
    status.starts_with('4').then(|| format!(
        "From: Mail Delivery System <Mailer-Daemon@mta1.example.org>\nTo: news@example.org\nSubject: Warning: message 1abc23-000456-78 delayed 24 hours\n\nThis message was created automatically by mail delivery software.\nA message that you sent has not yet been delivered to one or more of its\nrecipients after more than 24 hours on the queue on mta1.example.org.\n\nThe message identifier is:     1abc23-000456-78\nThe subject of the message is: hello\n\nThe address to which the message has not yet been delivered is:\n\n  bob@example.com\n    host mx.example.com [192.0.2.10]\n    SMTP error from remote mail server after RCPT TO:<bob@example.com>:\n    {folded}\n\nNo action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\nremains undelivered. Eventually the mail delivery software will give up,\nand when that happens, the message will be returned to you.\n"
    ))
}

/// Sendmail's warning (savemail.c's banner, the transcript, `Deferred:`).
fn sendmail_delay(reply: &str, status: &str, _: &str) -> Option<String> {
    status.starts_with('4').then(|| format!(
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mta1.example.org>\nTo: <news@example.org>\nSubject: Warning: could not send message for past 4 hours\n\n    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\nThe original message was received at Thu, 26 Nov 2026 10:00:00 +0100\nfrom localhost [127.0.0.1]\n\n   ----- Transcript of session follows -----\n... while talking to mx.example.com.:\n>>> RCPT To:<bob@example.com>\n<<< {reply}\n<bob@example.com>... Deferred: {reply}\nWarning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n"
    ))
}

/// Gmail's failure notice without its DSN part (as a forward or a copy
/// keeps it): the recipient in a sentence, the reply on the lines after
/// "The response from the remote server was:".
fn gmail(reply: &str, status: &str, _: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nTo: news@example.org\nSubject: Delivery Status Notification (Failure)\nContent-Type: text/plain; charset=\"UTF-8\"\n\n** Message not delivered **\n\nThere was a problem delivering your message to bob@example.com. See the technical details below, or try resending in a few minutes.\n\nThe response from the remote server was:\n{reply}\n\n----- Original message -----\n\nFrom: news@example.org\nTo: bob@example.com\nSubject: hello\n\nhi\n"
    ))
}

/// Yahoo's failure notice (a qmail descendant): `<address>:` and "Remote
/// host said:" with the reply and the stage in brackets.
fn yahoo(reply: &str, status: &str, _: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "From: MAILER-DAEMON@yahoo.com\nTo: news@example.org\nSubject: Failure Notice\n\nSorry, we were unable to deliver your message to the following address.\n\n<bob@example.com>:\nRemote host said: {reply} [RCPT_TO]\n\n--- Below this line is a copy of the message.\n\nFrom: news@example.org\nTo: bob@example.com\nSubject: hello\n\nhi\n"
    ))
}

/// Courier's delivery status notification, its text part: the address,
/// the host, and the SMTP transcript (`>>>` sent, `<<<` the reply).
fn courier(reply: &str, status: &str, _: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "From: Courier mail server at mta1.example.org <@>\nTo: news@example.org\nSubject: DELIVERY FAILURE: hello\n\nThis is a delivery status notification from mta1.example.org,\nrunning the Courier mail server, version 1.1.\n\n                           UNDELIVERABLE MAIL\n\nYour message to the following recipients cannot be delivered:\n\n<bob@example.com>:\n    mx.example.com [192.0.2.10]:\n>>> RCPT TO:<bob@example.com>\n<<< {reply}\n\nIf your message was also sent to additional recipients, their delivery\nstatus is not included in this report.\n"
    ))
}

/// OpenSMTPD's bounce.c: one line per recipient, `address: reply`.
fn opensmtpd(reply: &str, status: &str, _: &str) -> Option<String> {
    status.starts_with('5').then(|| format!(
        "From: Mailer Daemon <MAILER-DAEMON@mta1.example.org>\nTo: news@example.org\nSubject: Delivery status notification: error\n\nHi!\n\nThis is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\nAn error has occurred while attempting to deliver a message for\nthe following list of recipients:\n\nbob@example.com: {reply}\n\nBelow is a copy of the original message:\n\nFrom: news@example.org\nTo: bob@example.com\nSubject: hello\n\nhi\n"
    ))
}

/// An Office 365 (Exchange Online) HTML non-delivery report of a remote
/// refusal: the reply, HTML-escaped, in the "Error Details" table beside
/// the remote server, and the sender's address in the original message's
/// details, where a reader must not take it for a recipient.
fn office365(reply: &str, status: &str, _: &str) -> Option<String> {
    let html = reply
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    status.starts_with('5').then(|| format!(
        "From: postmaster@outlook.example.org\nTo: news@example.org\nSubject: Undeliverable: hello\nX-MS-Exchange-Message-Is-Ndr:\nMIME-Version: 1.0\nContent-Type: text/html; charset=\"utf-8\"\n\n<html><body>\n<p><b>Your message to\n<a href=\"mailto:bob@example.com\">bob@example.com</a> couldn't be delivered.</b></p>\n<table>\n<tr><td>news</td><td>Office 365</td><td>example.com</td></tr>\n<tr><td>Action Required</td><td></td><td>Recipient's server</td></tr>\n</table>\n<p><b>Original Message Details</b></p>\n<table>\n<tr><td>Created Date:</td>\n<td>11/26/2026 9:40:30 AM</td></tr>\n<tr><td>Sender Address:</td>\n<td>news@example.org</td></tr>\n<tr><td>Recipient Address:</td>\n<td>bob@example.com</td></tr>\n<tr><td>Subject:</td>\n<td>hello</td></tr>\n</table>\n<p><b>Error Details</b></p>\n<table>\n<tr><td>Reported error:</td>\n<td>{html}</td></tr>\n<tr><td>DSN generated by:</td>\n<td>AM0PR01MB1234.eurprd01.prod.outlook.com</td></tr>\n<tr><td>Remote server:</td>\n<td>mx.example.com</td></tr>\n</table>\n</body></html>\n"
    ))
}

/// `reply` folded onto lines of at most 70 characters, each continuation
/// indented as the writer indents it.
fn fold(reply: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in reply.split_whitespace() {
        if line > 0 && line + word.len() > 70 {
            out.push('\n');
            out.push_str(indent);
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// Every labelled reply of `bench/field/`, on one line, with its category.
fn field_rows() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/field");
    let mut sets: Vec<_> = std::fs::read_dir(&dir)
        .expect("bench/field")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    sets.sort();
    let mut rows: Vec<(String, String)> = Vec::new();
    for set in &sets {
        for case in eval::load(set).expect("a field set loads") {
            if let (Input::Reply(reply), Some(category)) = (case.input, case.category) {
                rows.push((reply.replace(['\n', '\r'], " "), category));
            }
        }
    }
    assert!(rows.len() > 1000, "too few field replies: {}", rows.len());
    rows
}

#[test]
fn a_reply_reads_the_same_in_every_bounce_that_carries_it() {
    let rows = field_rows();
    let engine = bouncedx::default_engine();
    let agrees = |d: &bouncedx_engine::Diagnosis, expected: &str| {
        eval::category_agrees(expected, &d.category)
    };
    let forms: [(&str, Wrap, &str); 13] = [
        ("Postfix DSN", postfix_dsn, "    "),
        ("Exim", exim, "    "),
        ("Sendmail", sendmail, "    "),
        ("qmail", qmail, ""),
        ("Domino", domino, ""),
        ("Office 365", office365, ""),
        ("Gmail", gmail, ""),
        ("Yahoo", yahoo, ""),
        ("Courier", courier, ""),
        ("OpenSMTPD", opensmtpd, ""),
        ("Postfix without its DSN", postfix_prose, "    "),
        ("Exim delay warning", exim_delay, "    "),
        ("Sendmail delay warning", sendmail_delay, ""),
    ];
    let mut problems = Vec::new();
    for (name, wrap, indent) in forms {
        let (mut wrapped, mut plain_agree, mut form_agree) = (0usize, 0usize, 0usize);
        for (reply, expected) in &rows {
            let facts = bouncedx_engine::intake::reply::parse_reply(reply);
            let status = eval::logged_status(reply, &facts);
            let Some(bounce) = wrap(reply, &status, &fold(reply, indent)) else {
                continue;
            };
            wrapped += 1;
            plain_agree += usize::from(agrees(&engine.diagnose_reply(reply), expected));
            let ds = match engine.diagnose_email(bounce.as_bytes()) {
                Ok(ds) => ds,
                Err(e) => {
                    problems.push(format!("{name}: not read ({e}): {reply}"));
                    continue;
                }
            };
            let recipients: Vec<Option<&str>> = ds.iter().map(|d| d.recipient.as_deref()).collect();
            if recipients != [Some("bob@example.com")] {
                problems.push(format!("{name}: recipients {recipients:?} for: {reply}"));
            }
            if let Some(d) = ds.first() {
                form_agree += usize::from(agrees(d, expected));
            }
        }
        eprintln!(
            "{name}: {wrapped} bounces, category agrees {form_agree} (the replies alone: {plain_agree})"
        );
        let floor = plain_agree as f64 - TOLERANCE * wrapped as f64;
        if (form_agree as f64) < floor {
            problems.push(format!(
                "{name}: agrees {form_agree} of {wrapped}, below the replies alone ({plain_agree}) by more than {:.0}%",
                TOLERANCE * 100.0
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Two refused recipients in one bounce, as each writer lists them: the
/// address, then its reply (Exim's deliver.c and Sendmail's savemail.c
/// lists, qmail-send's blocks, OpenSMTPD's lines, a Postfix DSN's human
/// part and its fields, Exchange's administrators' section).
type Wrap2 = fn(&str, &str) -> String;

fn postfix_dsn_two(a: &str, b: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mta1.example.org (Mail Delivery System)\nTo: news@example.org\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B0UND\"\n\n--B0UND\nContent-Type: text/plain; charset=utf-8\n\nThis is the mail system at host mta1.example.org.\n\n<bob@example.com>: host mx.example.com[192.0.2.10] said: {a}\n\n<carol@example.net>: host mx.example.net[192.0.2.20] said: {b}\n\n--B0UND\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta1.example.org\n\nFinal-Recipient: rfc822; bob@example.com\nAction: failed\nStatus: 5.0.0\nRemote-MTA: dns; mx.example.com\nDiagnostic-Code: smtp; {a}\n\nFinal-Recipient: rfc822; carol@example.net\nAction: failed\nStatus: 5.0.0\nRemote-MTA: dns; mx.example.net\nDiagnostic-Code: smtp; {b}\n\n--B0UND--\n"
    )
}

fn exim_two(a: &str, b: &str) -> String {
    format!(
        "From: Mail Delivery System <Mailer-Daemon@mta1.example.org>\nTo: news@example.org\nSubject: Mail delivery failed: returning message to sender\n\nThis message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  bob@example.com\n    host mx.example.com [192.0.2.10]\n    SMTP error from remote mail server after RCPT TO:<bob@example.com>:\n    {a}\n  carol@example.net\n    host mx.example.net [192.0.2.20]\n    SMTP error from remote mail server after RCPT TO:<carol@example.net>:\n    {b}\n\n------ This is a copy of the message, including all the headers. ------\n\nFrom: news@example.org\nSubject: hello\n\nhi\n"
    )
}

fn sendmail_two(a: &str, b: &str) -> String {
    format!(
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mta1.example.org>\nTo: <news@example.org>\nSubject: Returned mail: see transcript for details\n\nThe original message was received at Thu, 26 Nov 2026 10:00:00 +0100\nfrom localhost [127.0.0.1]\n\n   ----- The following addresses had permanent fatal errors -----\n<bob@example.com>\n    (reason: {a})\n<carol@example.net>\n    (reason: {b})\n\n   ----- Transcript of session follows -----\n... while talking to mx.example.com.:\n>>> RCPT To:<bob@example.com>\n<<< {a}\n... while talking to mx.example.net.:\n>>> RCPT To:<carol@example.net>\n<<< {b}\n\n   ----- Original message follows -----\n\nFrom: news@example.org\nSubject: hello\n\nhi\n"
    )
}

fn qmail_two(a: &str, b: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mta1.example.org\nTo: news@example.org\nSubject: failure notice\n\nHi. This is the qmail-send program at mta1.example.org.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<bob@example.com>:\n192.0.2.10 does not like recipient.\nRemote host said: {a}\nGiving up on 192.0.2.10.\n\n<carol@example.net>:\n192.0.2.20 does not like recipient.\nRemote host said: {b}\nGiving up on 192.0.2.20.\n\n--- Below this line is a copy of the message.\n\nFrom: news@example.org\nSubject: hello\n\nhi\n"
    )
}

fn opensmtpd_two(a: &str, b: &str) -> String {
    format!(
        "From: Mailer Daemon <MAILER-DAEMON@mta1.example.org>\nTo: news@example.org\nSubject: Delivery status notification: error\n\nHi!\n\nThis is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\nAn error has occurred while attempting to deliver a message for\nthe following list of recipients:\n\nbob@example.com: {a}\n\ncarol@example.net: {b}\n\nBelow is a copy of the original message:\n\nFrom: news@example.org\nSubject: hello\n\nhi\n"
    )
}

/// Exchange's report (2010 and later, plain text): the recipients listed,
/// then in the administrators' section each again with "Remote Server
/// returned '<reply>'".
fn exchange_two(a: &str, b: &str) -> String {
    format!(
        "From: postmaster@mta1.example.org\nTo: news@example.org\nSubject: Undeliverable: hello\nContent-Type: text/plain; charset=\"utf-8\"\n\nDelivery has failed to these recipients or groups:\n\nbob@example.com\ncarol@example.net\n\nDiagnostic information for administrators:\n\nGenerating server: MTA1.example.org\n\nbob@example.com\nRemote Server returned '{a}'\n\ncarol@example.net\nRemote Server returned '{b}'\n\nOriginal message headers:\n\nReceived: from news.example.org by MTA1.example.org\nSubject: hello\n"
    )
}

/// Each recipient of a bounce gets its own reply: two permanent field
/// replies in one bounce give two diagnoses, one for each listed
/// recipient, each agreeing with its reply's label about as often as the
/// reply read alone (a reply's words never leak into the other
/// recipient's reading, and an address a reply quotes is no third
/// recipient).
#[test]
fn each_recipient_of_a_bounce_gets_its_own_reply() {
    let rows: Vec<(String, String)> = field_rows()
        .into_iter()
        .filter(|(reply, _)| {
            let facts = bouncedx_engine::intake::reply::parse_reply(reply);
            eval::logged_status(reply, &facts).starts_with('5')
        })
        .collect();
    let engine = bouncedx::default_engine();
    let plain: Vec<bool> = rows
        .iter()
        .map(|(reply, expected)| {
            eval::category_agrees(expected, &engine.diagnose_reply(reply).category)
        })
        .collect();
    let forms: [(&str, Wrap2); 6] = [
        ("Postfix DSN", postfix_dsn_two),
        ("Exim", exim_two),
        ("Sendmail", sendmail_two),
        ("qmail", qmail_two),
        ("OpenSMTPD", opensmtpd_two),
        ("Exchange", exchange_two),
    ];
    let mut problems = Vec::new();
    for (name, wrap) in forms {
        let (mut records, mut plain_agree, mut form_agree) = (0usize, 0usize, 0usize);
        for pair in (0..rows.len() - 1).step_by(2) {
            let (a, b) = (&rows[pair], &rows[pair + 1]);
            let ds = match engine.diagnose_email(wrap(&a.0, &b.0).as_bytes()) {
                Ok(ds) => ds,
                Err(e) => {
                    problems.push(format!("{name}: not read ({e}): {} / {}", a.0, b.0));
                    continue;
                }
            };
            let recipients: Vec<Option<&str>> = ds.iter().map(|d| d.recipient.as_deref()).collect();
            if recipients != [Some("bob@example.com"), Some("carol@example.net")] {
                problems.push(format!(
                    "{name}: recipients {recipients:?} for: {} / {}",
                    a.0, b.0
                ));
                continue;
            }
            for (d, (i, (_, expected))) in ds.iter().zip([(pair, a), (pair + 1, b)]) {
                records += 1;
                plain_agree += usize::from(plain[i]);
                form_agree += usize::from(eval::category_agrees(expected, &d.category));
            }
        }
        eprintln!(
            "{name}, two recipients: {records} records, category agrees {form_agree} (the replies alone: {plain_agree})"
        );
        if (form_agree as f64) < plain_agree as f64 - TOLERANCE * records as f64 {
            problems.push(format!(
                "{name}: two recipients agree {form_agree} of {records}, below the replies alone ({plain_agree}) by more than {:.0}%",
                TOLERANCE * 100.0
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
