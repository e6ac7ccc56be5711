//! Reading one SMTP reply, in whatever wrapping it arrives.
//!
//! A reply reaches a mail team in many shapes:
//!
//! ```text
//! 550 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org
//! 550-5.7.26 This mail has been blocked because the sender is
//! 550-5.7.26 unauthenticated. Gmail requires all senders to ...
//! Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: Recipient address rejected
//! host mx.example.net[192.0.2.1] said: 554 5.7.1 ... (in reply to RCPT TO command)
//! SMTP error from remote mail server after RCPT TO:<bob@example.com>: 550 ...
//! ```
//!
//! [`parse_reply`] unfolds multi-line replies (dropping the repeated `550-`
//! and status prefixes), peels off the DSN and MTA wrappers while keeping
//! what they say (remote host and IP, SMTP stage, recipient), folds white
//! space, and then scans the text for the code, status, addresses and tokens.

use crate::facts::{Facts, Status};
use crate::intake::scan;
use bouncedx_dsl::ir::Stage;

/// Inputs longer than this are cut (at a character boundary) before reading;
/// no real reply is near it.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Reads one reply into facts. Never fails: what cannot be found stays empty.
pub fn parse_reply(input: &str) -> Facts {
    let input = truncate(input, MAX_REPLY_BYTES);
    let mut facts = Facts::default();
    let unfolded = unfold(input);
    let mut text: &str = unfolded.trim();

    // `Diagnostic-Code: smtp; ...`, `Status: 5.1.1` and similar headers.
    if let Some(rest) = strip_prefix_ci(text, "diagnostic-code:") {
        text = rest.trim_start();
        if let Some(semi) = text.find(';') {
            if text[..semi]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                text = text[semi + 1..].trim_start();
            }
        }
    } else if let Some(semi) = text.find(';') {
        // `smtp; 550 ...` without the header name
        if text[..semi].eq_ignore_ascii_case("smtp")
            || text[..semi].eq_ignore_ascii_case("x-postfix")
        {
            text = text[semi + 1..].trim_start();
        }
    }

    // Postfix: `delivery temporarily suspended: <the last error>` says it
    // holds the destination back after failures; what follows is the error.
    if let Some(rest) = strip_prefix_ci(text.trim_start(), "delivery temporarily suspended:") {
        text = rest.trim_start();
    }
    // Which wrappers occur at all, in one pass (most replies have none);
    // each step below searches only for a wrapper that does.
    let present = wrappers_present(text);
    // Gmail relaying another server's refusal: `Technical details of
    // permanent failure: Google tried to deliver your message, but it was
    // rejected by the recipient domain. ... The error that the other server
    // returned was: 554 5.7.0 Header error (state 18).` The sentences before
    // are Google's boilerplate around every such bounce ("rejected by the
    // recipient domain" is not a policy); the reply follows the colon.
    if let Some(at) = present[4].then(|| find_ci(text, WRAPPERS[4])).flatten() {
        text = text[at + WRAPPERS[4].len()..].trim_start();
    }
    // Exim: `SMTP error from remote mail server after RCPT TO:<a@b>: 550 ...`.
    // Exim's wrapper is always the outermost (it writes it in its own logs
    // and bounces, never in a reply), so it is peeled first: a reply that
    // quotes another server's (`551 5.1.1 ...: host 127.0.0.1[127.0.0.1]
    // said: 554 ...`) then opens with its own code, and stays whole below.
    let mut owned;
    if let Some(p) = present[1]
        .then(|| find_ci(text, "smtp error from remote mail server after "))
        .flatten()
    {
        let rest = &text[p + "smtp error from remote mail server after ".len()..];
        facts.stage = stage_from(rest);
        // the reply begins after the first `: ` that follows the command
        let cut = rest
            .find(">: ")
            .map(|i| i + 3)
            .or_else(|| rest.find(": ").map(|i| i + 2));
        if let Some(c) = cut {
            let recipient = scan::emails(&rest[..c]).into_iter().next().map(|e| e.0);
            if facts.stage == Some(Stage::Rcpt) {
                facts.recipient = recipient;
            }
            owned = rest[c..].to_string();
            text = owned.as_str();
        }
    }
    // Exim: `host mx.example.com [192.0.2.1]: 550 ...`, the host and its
    // bracketed address only (not Postfix's `host h[ip] said: ... [x]: `)
    if let Some(rest) = strip_prefix_ci(text.trim_start(), "host ") {
        if let Some(end) = rest
            .find("]: ")
            .filter(|&end| rest[..end].split_whitespace().count() <= 2)
        {
            let (host, ip) = split_host_ip(&rest[..=end]);
            if facts.host.is_none() {
                facts.host = host;
            }
            facts.remote_ip = facts.remote_ip.take().or(ip);
            owned = rest[end + 3..].to_string();
            text = owned.as_str();
        }
    }
    // Postfix: `host mx.example.net[192.0.2.1] said: ...`. Not when the
    // text is itself a reply that quotes another server's: Postfix's
    // address verification answers `450 4.1.7 <a@b>: Sender address
    // rejected: undeliverable address: host mx.b[192.0.2.1] said: 550 5.1.1
    // ...` (smtpd_check.c), and the refusal is the outer reply's.
    if let Some(said) = present[0]
        .then(|| find_ci(text, " said: ").or_else(|| find_ci(text, " said:")))
        .flatten()
        .filter(|&said| !opens_with_reply_code(&text[..said]))
    {
        if let Some((host, ip)) = host_before(&text[..said]) {
            facts.host = host;
            facts.remote_ip = ip;
            let body_start = said
                + if text[said..].starts_with(" said: ") {
                    7
                } else {
                    6
                };
            owned = text[body_start..].to_string();
            text = owned.as_str();
        }
    }
    // Postfix: `host mx.example.net[192.0.2.1] refused to talk to me: 554 ...`
    // (the greeting was an error).
    if let Some(at) = present[3]
        .then(|| find_ci(text, " refused to talk to me:"))
        .flatten()
    {
        if let Some((host, ip)) = host_before(&text[..at]) {
            facts.host = host;
            facts.remote_ip = ip;
        }
        facts.stage = Some(Stage::Connect);
        owned = text[at + WRAPPERS[3].len()..].trim_start().to_string();
        text = owned.as_str();
    }
    // `(in reply to RCPT TO command)` and its kin.
    if let Some(p) = present[2]
        .then(|| rfind_ci(text, "(in reply to "))
        .flatten()
    {
        let tail = &text[p..];
        if let Some(end) = tail.find(')') {
            facts.stage = stage_from(&tail[13..end]);
            owned = format!("{}{}", &text[..p], &tail[end + 1..]);
            text = owned.as_str();
        }
    }

    let inline =
        drop_inline_continuations(text).or_else(|| quoted_reply_without_continuations(text));
    facts.text = fold_space(inline.as_deref().unwrap_or(text));
    // The sender domain's server's reply that an Exim sender callout
    // quotes is that server's answer to the receiver's check: its words
    // ("User unknown", Gmail's "gsmtp") would name a cause and a provider
    // of this refusal; the rules read Exim's own words around it.
    // (The heading stands before what is cut, so where it stands holds.)
    let callout = sender_callout_at(&facts.text);
    if let Some(quoted) = callout
        .and_then(|heading| sender_callout_response(&facts.text, heading))
        .or_else(|| sender_probe_reply(&facts.text))
    {
        facts.text.replace_range(quoted, CALLOUT_RESPONSE_LEFT_OUT);
    }
    // Postfix's account of a conversation that broke off names the step:
    // `lost connection with h[ip] while sending RCPT TO`.
    if facts.stage.is_none() && memchr::memmem::find(facts.text.as_bytes(), b"while ").is_some() {
        facts.stage = stage_in(&facts.text);
    }
    let t = facts.text.as_str();
    // Prefer a code at the very start; else the first one that stands alone.
    facts.code = failure_code(t);
    // Exim's reply to a failed sender callout quotes the sender domain's
    // server from here on: its status, host and addresses are the
    // callout's, not this refusal's.
    facts.status = failure_status(&t[..callout.unwrap_or(t.len())]);
    if facts.code.is_none() && facts.status.is_none() {
        // no class of its own: its words may still say given up or not
        facts.permanent_hint = super::verdict::permanence(t);
    }
    if let (Some(code), Some(status)) = (facts.code, facts.status) {
        // `250 ... 5.1.1`: a status whose class disagrees with the code
        // usually quotes something else; keep the code's class.
        if code / 100 != status.class && status.class != 2 && code / 100 != 2 {
            facts.status = Some(Status {
                class: code / 100,
                ..status
            });
        }
    }
    // A code like Openwave's "(1.5.6.1)" or "policy (3.2.1.1)" reads as an
    // address too: it is not the client's
    for (ip, at) in scan::ips(t) {
        if callout.is_some_and(|c| at.start >= c) {
            break;
        }
        if names_remote_host(t, at.clone()) {
            // `host mx.example.com [192.0.2.1]`, `192.0.2.1 does not like
            // recipient`: the receiving server, not the sender.
            facts.remote_ip.get_or_insert(ip);
            continue;
        }
        if facts.remote_ip.as_deref() != Some(ip.as_str())
            && facts.client_ip.is_none()
            && !is_private(&ip)
            && !is_code_like(t, at)
        {
            facts.client_ip = Some(ip);
        }
    }
    // An address the text calls the sender (`for sender x@y`, `MAIL
    // FROM:<x@y>`, `<x@y>: Sender address rejected`) is the sender; the
    // first other address is the recipient, unless the prose names it as
    // someone to write to (`contact us at support@...`) or a link carries
    // it (`...?id=x@y`).
    let mut sender = None;
    for (addr, at) in scan::emails(t) {
        if let Some(c) = callout.filter(|&c| at.start >= c) {
            // the heading names the sender; the callout's record after it
            // (`Sent: RCPT TO:<...>`, the quoted response) names no one
            if at.start < c + SENDER_CALLOUT_SPAN {
                sender.get_or_insert(addr);
            }
            continue;
        }
        if is_sender_address(t, at.clone()) {
            sender.get_or_insert(addr);
        } else if facts.recipient.is_none()
            && !is_contact_address(t, at)
            // the sender named again further on is still the sender
            && !sender.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(&addr))
        {
            facts.recipient = Some(addr);
        }
    }
    facts.recipient = facts.recipient.map(|r| r.to_ascii_lowercase());
    facts.domain = facts
        .recipient
        .as_deref()
        .and_then(|r| r.rsplit_once('@'))
        .map(|(_, d)| d.to_string());
    facts.host = facts.host.map(|h| h.to_ascii_lowercase());
    facts.tokens = scan::tokens(t);
    facts.urls = scan::urls(t);
    if let Some(s) = sender {
        facts.set_sender(&s);
    }
    facts
}

/// The first reply code, unless it is a success (`250`, `354`) and a
/// failure code follows: a session transcript (`Out: 250 2.1.5 Ok ... Out:
/// 451 4.3.0 Error`) is about the reply that failed.
fn failure_code(t: &str) -> Option<u16> {
    first_failure(t, scan::find_code, |c| *c >= 400)
}

/// The first enhanced status, unless it is a success (`2.1.5`) and a
/// failure status follows (see [`failure_code`]).
fn failure_status(t: &str) -> Option<Status> {
    first_failure(t, scan::find_status, |s| s.class != 2)
}

/// The first thing `find` finds in `t`, or the first that `failed` says is
/// a failure when the first is not ([`scan::first_where`] after it).
fn first_failure<T>(
    t: &str,
    find: fn(&str) -> scan::Found<T>,
    failed: fn(&T) -> bool,
) -> Option<T> {
    let (first, at) = find(t)?;
    if failed(&first) {
        return Some(first);
    }
    Some(scan::first_where(&t[at.end..], find, failed).map_or(first, |(x, _)| x))
}

/// The wrappers [`parse_reply`] peels off, in its order.
const WRAPPERS: [&str; 5] = [
    " said:",
    "smtp error from remote mail server after ",
    "(in reply to ",
    // Postfix, when the server's greeting was an error
    " refused to talk to me:",
    // Gmail, quoting the server it relayed to
    "the error that the other server returned was:",
];

/// Which of [`WRAPPERS`] occur in `text` (without regard to ASCII case).
/// The steps only ever narrow the text, so a wrapper absent here is absent
/// at every step.
///
/// Each wrapper has a byte that is rare in replies (`:` ends ` said:`, `(`
/// starts `(in reply to `, `s`/`S` starts Exim's phrase); `memchr` finds
/// those and only there is the wrapper compared.
fn wrappers_present(text: &str) -> [bool; 5] {
    let b = text.as_bytes();
    let is_at = |at: usize, w: &str| {
        b.get(at..at + w.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(w.as_bytes()))
    };
    // ` said:`, ` refused to talk to me:` and Gmail's sentence all end at
    // a colon.
    let ends_at = |i: usize, w: &str| i + 1 >= w.len() && is_at(i + 1 - w.len(), w);
    let (mut said, mut refused, mut relayed) = (false, false, false);
    for i in memchr::memchr_iter(b':', b) {
        said |= ends_at(i, WRAPPERS[0]);
        refused |= ends_at(i, WRAPPERS[3]);
        relayed |= ends_at(i, WRAPPERS[4]);
        if said && refused && relayed {
            break;
        }
    }
    [
        said,
        memchr::memchr2_iter(b's', b'S', b).any(|i| is_at(i, WRAPPERS[1])),
        memchr::memchr_iter(b'(', b).any(|i| is_at(i, WRAPPERS[2])),
        refused,
        relayed,
    ]
}

/// The headings of Exim's reply to a sender callout that failed
/// (`smtp_in.c`, `smtp_handle_acl_fail`), each followed by the sender
/// address: "Verification failed for <news@example.org>", then the
/// callout's record (verify.c: `Called: 192.0.2.20`, `Sent: RCPT
/// TO:<news@example.org>`, `Response: 550 5.1.1 ... User unknown`) and
/// "Sender verify failed".
const SENDER_CALLOUT_HEADINGS: &[&str] = &[
    "verification failed for <",
    "postmaster verification failed while checking <",
    "callback setup failed while verifying <",
];

/// How far after a callout heading its sender address may stand.
const SENDER_CALLOUT_SPAN: usize = 64;

/// What stands for the reply a sender callout quotes, which is not read.
const CALLOUT_RESPONSE_LEFT_OUT: &str = "(…) ";

/// Exim's own words that follow the quoted response of a sender callout
/// (smtp_in.c and acl.c): the postmaster and callback explanations and the
/// ACL's verdict.
const CALLOUT_TRAILERS: &[&str] = &[
    "several rfcs state",
    "the initial connection, or a helo",
    "sender verify failed",
    "could not complete sender verify",
];

/// The quoted reply of a failed Exim sender callout whose heading stands
/// at `heading` (`Response: 550 5.1.1 ... User unknown`): from after
/// `Response:` to Exim's next words of its own, or the end.
fn sender_callout_response(t: &str, heading: usize) -> Option<std::ops::Range<usize>> {
    let label = heading + find_ci(&t[heading..], "response:")?;
    let start = label + "response:".len();
    let start = start + (t[start..].len() - t[start..].trim_start().len());
    let end = CALLOUT_TRAILERS
        .iter()
        .filter_map(|w| find_ci(&t[start..], w).map(|at| start + at))
        .min()
        .unwrap_or(t.len());
    (end > start).then_some(start..end)
}

/// Postfix's `reject_unverified_sender` (smtpd_check.c): "Sender address
/// rejected: undeliverable address: host mx.example.org[192.0.2.20] said:
/// 550 5.1.1 ... User unknown". What follows names the sender domain's
/// server and the reply it gave Postfix's probe of the sender address:
/// like an Exim callout's, it is not read (its host would make that
/// server's provider the refusing one). Postfix's own account of a probe
/// that met no server ("undeliverable address: Host or domain name not
/// found") is.
fn sender_probe_reply(t: &str) -> Option<std::ops::Range<usize>> {
    let marker = [
        "sender address rejected: undeliverable address:",
        "sender address rejected: unverified address:",
    ]
    .iter()
    .filter_map(|m| find_ci(t, m).map(|at| at + m.len()))
    .min()?;
    // the probe's server and its reply ("host mx[ip] said: ..."), both the
    // sender domain's, not the receiver's
    find_ci(&t[marker..], "said:")?;
    let start = marker + (t[marker..].len() - t[marker..].trim_start().len());
    (t.len() > start).then_some(start..t.len())
}

/// Where the first heading of an Exim sender callout failure stands.
fn sender_callout_at(t: &str) -> Option<usize> {
    // every heading says "failed ": most replies are passed over at once
    memchr::memmem::find(t.as_bytes(), b"ailed ")?;
    SENDER_CALLOUT_HEADINGS
        .iter()
        .filter_map(|h| find_ci(t, h))
        .min()
}

/// Whether the words around an address say it is the envelope sender.
pub(crate) fn is_sender_address(t: &str, at: std::ops::Range<usize>) -> bool {
    let mut from = at.start.saturating_sub(24);
    while !t.is_char_boundary(from) {
        from -= 1;
    }
    let before = t[from..at.start].to_ascii_lowercase();
    let mut to = (at.end + 28).min(t.len());
    while !t.is_char_boundary(to) {
        to -= 1;
    }
    let after = t[at.end..to].to_ascii_lowercase();
    let after = after.trim_start_matches(['>', ':', ' ']);
    before.contains("sender")
        || before.contains("mail from")
        || before.contains("envelope-from")
        || before.contains("return-path")
        || before.trim_end().ends_with("from:<")
        || before.trim_end().ends_with("from <")
        || after.starts_with("sender address rejected")
        || after.starts_with("sender rejected")
}

/// Whether the address at `at` is one the reply tells the reader to
/// write to (`please contact postmaster@example.com`, `mailto:`), or part
/// of a link (`http://...?s=mfrom;id=joe@example.com`): not the recipient.
pub fn is_contact_address(t: &str, at: std::ops::Range<usize>) -> bool {
    let b = t.as_bytes();
    if at.start > 0 && matches!(b[at.start - 1], b'=' | b'/' | b'?' | b'&' | b';') {
        return true;
    }
    let mut from = at.start.saturating_sub(32);
    while !t.is_char_boundary(from) {
        from -= 1;
    }
    let before = t[from..at.start].to_ascii_lowercase();
    let before = before.trim_end_matches(['<', ' ', '(', '"']);
    // "contact" or "write to", also as "contact us" or "write to us"
    let unus = before.strip_suffix(" us").unwrap_or(before);
    before.ends_with("mailto:")
        || [
            "contact",
            "contact us via",
            "e-mail us at",
            "email us at",
            "write to",
            "send an email to",
            "send an e-mail to",
            "please email",
            "please e-mail",
            "reach us at",
            "questions to",
            "report it to",
            "forward it to",
            // Microsoft's block list replies ("please forward this message
            // to delist@messaging.microsoft.com"), Forward Email's ("forward
            // this email to support@forwardemail.net")
            "forward this message to",
            "forward this email to",
            "forward this e-mail to",
            "forward this mail to",
        ]
        .iter()
        .any(|w| before.ends_with(w) || unus.ends_with(w))
        || (before.ends_with(" at") && before.contains("contact"))
}

/// Joins the lines of a multi-line reply. Continuation lines `550-5.7.1 text`
/// and `550 5.7.1 text` lose their code (and a status equal to the first
/// line's), so the text reads as one sentence.
fn unfold(input: &str) -> String {
    let mut lines = crate::intake::lines(input)
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return String::new();
    };
    let mut out = String::with_capacity(input.len());
    out.push_str(first);
    let code = reply_prefix(first).map(|(c, _)| c);
    let status = code.and_then(|_| {
        let rest = first.get(4..)?;
        let tok = rest.split_whitespace().next()?;
        scan::find_status(tok)
            .filter(|(_, r)| r.start == 0 && r.end == tok.len())
            .map(|_| tok.to_string())
    });
    for line in lines {
        out.push(' ');
        match (code, reply_prefix(line)) {
            (Some(c), Some((lc, rest))) if c == lc => {
                let rest = rest.trim_start();
                let rest = match &status {
                    Some(st) => rest
                        .strip_prefix(st.as_str())
                        .map(str::trim_start)
                        .unwrap_or(rest),
                    None => rest,
                };
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// `text` with the continuation prefixes dropped from a reply it quotes
/// after words of its writer's that stay (qmail-remote's `<a@b>: 192.0.2.1
/// does not like recipient. Remote host said: 550-5.7.1 ... 550-5.7.1
/// ...`, the words that give the stage and the receiving server; Domino's
/// `was not delivered to: ... because: 550-5.7.1 ...`): the reply is the
/// first failure code (4xx, 5xx) that opens one. `None` when there is
/// nothing to drop.
fn quoted_reply_without_continuations(text: &str) -> Option<String> {
    let mut from = 0;
    while let Some((code, at)) = text.get(from..).and_then(scan::find_code) {
        let start = from + at.start;
        if code >= 400 && opens_with_reply_code(&text[start..]) {
            if start == 0 {
                return None; // the whole text was tried
            }
            return drop_inline_continuations(&text[start..])
                .map(|r| format!("{}{}", &text[..start], r.trim_start()));
        }
        from = start + 3;
    }
    None
}

/// A multi-line reply joined onto one line by whoever logged it (Postfix
/// writes `said: 550-5.7.26 This mail ... sender is 550-5.7.26
/// unauthenticated. ... 550 5.7.26 with either SPF or DKIM`), without the
/// repeated `550-5.7.26` prefixes, which would otherwise sit inside the
/// words a rule looks for. Only the reply's own code (and its own status,
/// when it has one) is dropped, and `550 ` only when that status follows.
/// Clients that keep each line's status but not its code (Python's
/// smtplib, some webmail and ESP logs: `5.7.0 This message ... potential
/// 5.7.0 security issue`) leave the bare status inside the words; it is
/// dropped too, when it is the reply's own leading status standing alone
/// between spaces. `None` when there is nothing to drop.
fn drop_inline_continuations(text: &str) -> Option<String> {
    let t = text.trim_start();
    let (code, rest, rest_at) = match reply_prefix(t) {
        Some((c, r)) => (Some(c), r, 4),
        None => (None, t, 0),
    };
    let lead = rest.trim_start();
    let status = lead.split_whitespace().next().filter(|tok| {
        scan::find_status(tok).is_some_and(|(_, r)| r.start == 0 && r.end == tok.len())
    });
    // where the search starts: after the code and the leading status
    let first = rest_at + (rest.len() - lead.len()) + status.map_or(0, str::len);
    // Most replies never repeat their code or status: they cost a search
    // or two, and nothing is built for them.
    let repeats_code =
        code.is_some_and(|c| memchr::memmem::find(rest.as_bytes(), c.as_bytes()).is_some());
    let bare = status.map(|st| format!(" {st} "));
    let repeats_status = bare.as_ref().is_some_and(|b| {
        t.get(first..)
            .is_some_and(|after| memchr::memmem::find(after.as_bytes(), b.as_bytes()).is_some())
    });
    if !repeats_code && !repeats_status {
        return None;
    }
    let dash = code.map(|c| format!(" {c}-"));
    let spaced = code.zip(status).map(|(c, st)| format!(" {c} {st} "));
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut at = first;
    while at < t.len() {
        let after = &t.as_bytes()[at..];
        let next_dash = dash
            .as_ref()
            .and_then(|d| memchr::memmem::find(after, d.as_bytes()).map(|i| (at + i, d.len())));
        let next_spaced = spaced.as_ref().and_then(|sp| {
            memchr::memmem::find(after, sp.as_bytes())
                .map(|i| (at + i, 2 + code.map_or(0, str::len)))
        });
        let next_bare = bare
            .as_ref()
            .and_then(|b| memchr::memmem::find(after, b.as_bytes()).map(|i| (at + i, b.len())));
        let Some((start, len)) = [next_dash, next_spaced, next_bare]
            .into_iter()
            .flatten()
            .min()
        else {
            break;
        };
        // a bare status right after another reply's code (`said: 450
        // 4.1.1 ...`) is that reply's, and stays (the three patterns
        // differ after their leading space, so none shares a start)
        if next_bare == Some((start, len)) && follows_code(t, start) {
            at = start + 1;
            continue;
        }
        let mut end = start + len;
        if let Some(st) = status {
            if t[end..].starts_with(st) && t[end + st.len()..].starts_with([' ', '\t']) {
                end += st.len();
            }
        }
        cuts.push((start + 1, end));
        at = end;
    }
    if cuts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(t.len());
    let mut from = 0;
    for (s, e) in cuts {
        out.push_str(&t[from..s]);
        from = e;
    }
    out.push_str(&t[from..]);
    Some(out)
}

/// Whether a reply code (three digits standing alone) ends at `at`.
fn follows_code(t: &str, at: usize) -> bool {
    let b = t.as_bytes();
    at >= 3
        && b[at - 3..at].iter().all(u8::is_ascii_digit)
        && (at == 3 || !b[at - 4].is_ascii_alphanumeric())
}

/// `550-rest` or `550 rest` → (550, rest).
fn reply_prefix(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && (b[3] == b'-' || b[3] == b' ') {
        Some((&line[..3], &line[4..]))
    } else {
        None
    }
}

/// The SMTP command a failure answered, from the prose around a reply:
/// `(in reply to end of DATA command)`, `after RCPT TO:<...>`, Sendmail's
/// transcript `>>> DATA` / `<<< 550 ...`, `SMTP command DATA`, and the
/// phrases of MTAs that name the command in their own words: qmail's
/// `does not like recipient` / `did not like our RCPT TO` / `said 550 for
/// RCPT TO response`, `SMTP:RCPT host ...`, `[RCPT_TO]`; Postfix's
/// `while sending RCPT TO`, `while receiving the initial server greeting`
/// and `refused to talk to me` (its word for an error greeting).
/// The last such mention wins (transcripts end with the failing command).
pub fn stage_in(text: &str) -> Option<Stage> {
    static MARKERS: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new(STAGE_MARKERS.iter().map(|(m, _)| m))
                .expect("plain literals")
        });
    let mut lower = fold_space(text);
    lower.make_ascii_lowercase();
    let mut best: Option<(usize, Stage)> = None;
    for m in MARKERS.find_overlapping_iter(&lower) {
        let rest = &lower[m.end()..];
        let word = match rest.char_indices().nth(24) {
            Some((end, _)) => &rest[..end],
            None => rest,
        };
        let stage = match STAGE_MARKERS[m.pattern().as_usize()].1 {
            Then::Is(st) => Some(st),
            Then::Word => stage_from_lower(word),
            Then::Command => {
                let w = word.trim_start();
                if w.starts_with("rcpt")
                    || w.starts_with("end of data")
                    || w.starts_with("data")
                    || w.starts_with("mail from")
                    || w.starts_with("helo")
                    || w.starts_with("ehlo")
                    || w.starts_with("initial connection")
                {
                    stage_from_lower(w)
                } else {
                    None
                }
            }
        };
        if let Some(st) = stage {
            if best.is_none_or(|(p, _)| m.start() >= p) {
                best = Some((m.start(), st));
            }
        }
    }
    best.map(|(_, s)| s)
}

/// What a marker of [`STAGE_MARKERS`] says of the stage.
#[derive(Clone, Copy)]
enum Then {
    /// The words after it name the command (`in reply to end of DATA`).
    Word,
    /// Only a command name right after it counts (`after RCPT TO`, `after
    /// end of data`, `SMTP:RCPT host`; not `after 3 attempts`).
    Command,
    /// It is the stage itself (qmail's `does not like recipient`).
    Is(Stage),
}

/// What introduces the command a reply answered, in [`stage_in`].
const STAGE_MARKERS: [(&str, Then); 18] = [
    ("in reply to ", Then::Word),
    // Postfix's own account of a conversation that broke off.
    ("while sending ", Then::Command),
    ("while sending message body", Then::Is(Stage::Data)),
    (
        "while receiving the initial server greeting",
        Then::Is(Stage::Connect),
    ),
    ("while performing the ehlo handshake", Then::Is(Stage::Helo)),
    // Postfix: the server's greeting was an error.
    ("refused to talk to me", Then::Is(Stage::Connect)),
    (">>> ", Then::Word),
    ("smtp command ", Then::Word),
    ("command: ", Then::Word),
    ("after ", Then::Command),
    ("smtp:", Then::Command),
    ("did not like our ", Then::Command),
    ("does not like recipient", Then::Is(Stage::Rcpt)),
    ("does not like sender", Then::Is(Stage::Mail)),
    ("for rcpt to response", Then::Is(Stage::Rcpt)),
    ("[rcpt_to]", Then::Is(Stage::Rcpt)),
    ("[mail_from]", Then::Is(Stage::Mail)),
    ("[data]", Then::Is(Stage::Data)),
];

/// The stage a command name stands for.
pub(crate) fn stage_from(s: &str) -> Option<Stage> {
    stage_from_lower(&s.to_ascii_lowercase())
}

/// The stage a lower-case command name stands for.
fn stage_from_lower(l: &str) -> Option<Stage> {
    if l.contains("rcpt") {
        Some(Stage::Rcpt)
    } else if l.contains("data") || l.contains("end of") || l.contains("end-of-message") {
        Some(Stage::Data)
    } else if l.contains("mail from") || l.starts_with("mail") {
        Some(Stage::Mail)
    } else if l.contains("helo") || l.contains("ehlo") {
        Some(Stage::Helo)
    } else if l.contains("auth") {
        Some(Stage::Auth)
    } else if l.contains("connect")
        || l.contains("greeting")
        || l.contains("banner")
        || l.contains("initial")
    {
        Some(Stage::Connect)
    } else {
        None
    }
}

/// Whether `text` opens with an SMTP reply code (`450 `, `550-`): a
/// [`reply_prefix`] whose class is 2 to 5.
fn opens_with_reply_code(text: &str) -> bool {
    reply_prefix(text.trim_start())
        .is_some_and(|(code, _)| matches!(code.as_bytes()[0], b'2'..=b'5'))
}

/// The host and IP Postfix names before its own words about a reply
/// (`host mx.example.net[192.0.2.1] said:` / `refused to talk to me:`):
/// what follows the last `host ` in `head`.
fn host_before(head: &str) -> Option<(Option<String>, Option<String>)> {
    rfind_ci(head, "host ").map(|h| split_host_ip(&head[h + 5..]))
}

/// `mx.example.net[192.0.2.1]` → host and IP.
fn split_host_ip(s: &str) -> (Option<String>, Option<String>) {
    let s = s.trim();
    match s.find('[') {
        Some(b) => {
            let host = s[..b].trim();
            let ip = s[b + 1..].trim_end_matches(']').trim();
            (
                (!host.is_empty()).then(|| host.to_string()),
                (!ip.is_empty()).then(|| ip.to_string()),
            )
        }
        None => ((!s.is_empty()).then(|| s.to_string()), None),
    }
}

/// Whether the address at `at` is a dotted code in parentheses, every part
/// one digit (`(1.5.6.1)`, Openwave/Synchronoss's reply codes), rather than
/// an address the text gives.
fn is_code_like(text: &str, at: std::ops::Range<usize>) -> bool {
    let b = text.as_bytes();
    let inside = at.start > 0 && b[at.start - 1] == b'(' && b.get(at.end) == Some(&b')');
    (inside && text[at.clone()].split('.').all(|p| p.len() == 1)) || is_section_number(text, at)
}

/// Whether the dotted number at `at` is a section of a standard: "See RFC
/// 2821 4.1.1.1", "RFC5321 section 4.1.4", "§ 4.2.1.1".
fn is_section_number(text: &str, at: std::ops::Range<usize>) -> bool {
    let before = text[..at.start].trim_end().to_ascii_lowercase();
    let mut words = before.rsplit(|c: char| c.is_whitespace() || c == '(');
    let last = words.next().unwrap_or("");
    let prev = words.next().unwrap_or("");
    matches!(last, "section" | "sec." | "§")
        || last.starts_with("rfc") && last[3..].chars().all(|c| c.is_ascii_digit())
        || last.chars().all(|c| c.is_ascii_digit()) && !last.is_empty() && prev == "rfc"
}

/// Whether the IP at `at` is the receiving server's, by the words around
/// it: Exim's `host NAME [IP]`, Postfix's `NAME[IP]:25`, qmail's `IP does
/// not like recipient` and `Connected to IP but`, `IP said`.
fn names_remote_host(t: &str, at: std::ops::Range<usize>) -> bool {
    let before = t[..at.start].trim_end_matches('[').trim_end();
    let after = t[at.end..].trim_start_matches(']');
    let prev_word = before.rsplit(' ').next().unwrap_or("");
    let prev_two = before.rsplit(' ').nth(1).unwrap_or("").to_ascii_lowercase();
    // `Client host [IP]` names the sender; `host NAME [IP]` and `host [IP]`
    // the receiver.
    (prev_two == "host" && !prev_word.eq_ignore_ascii_case("client"))
        || (prev_word.eq_ignore_ascii_case("host") && prev_two != "client")
        || before.to_ascii_lowercase().ends_with("connected to")
        || after.starts_with(" does not like")
        || after.starts_with(" said")
        || after.starts_with(":25")
}

fn is_private(ip: &str) -> bool {
    ip.starts_with("127.") || ip.starts_with("10.") || ip.starts_with("192.168.") || ip == "0.0.0.0"
}

/// Folds every run of white space (and control characters) to one space,
/// and typographic quotes and dashes to their ASCII forms: a reply pasted
/// from a web page, a word processor or a client that "smartens" quotes
/// says `doesn’t` and `address – Relay denied` where the server wrote
/// `doesn't` and `address - Relay denied`, and rules are written in ASCII.
pub fn fold_space(s: &str) -> String {
    let s = s.trim();
    let b = s.as_bytes();
    // Fast path: printable ASCII whose only white space is single spaces.
    static TWO_SPACES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"  "));
    if printable_ascii(b) && TWO_SPACES.find(b).is_none() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    let mut i = 0;
    while i < b.len() {
        // a run of printable, non-space ASCII is copied whole
        let run = b[i..]
            .iter()
            .position(|&c| c <= b' ' || c >= 0x7f)
            .unwrap_or(b.len() - i);
        if run > 0 {
            if space {
                out.push(' ');
                space = false;
            }
            out.push_str(&s[i..i + run]);
            i += run;
            continue;
        }
        let c = s[i..].chars().next().expect("i is on a char boundary");
        i += c.len_utf8();
        if c.is_whitespace() || c.is_control() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(bouncedx_dsl::patterns::ascii_punctuation(c));
    }
    out
}

/// Whether every byte is printable ASCII (space to `~`), eight bytes at a
/// time: a word has a byte under 0x20 when subtracting 0x20 from every byte
/// borrows into a clear top bit (exact once no top bit is set), and a 0x7f
/// byte when the word XOR 0x7f… has a zero byte.
fn printable_ascii(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        let del = x ^ (ONES * 0x7f);
        if x & TOPS != 0
            || x.wrapping_sub(ONES * 0x20) & !x & TOPS != 0
            || del.wrapping_sub(ONES) & !del & TOPS != 0
        {
            return false;
        }
    }
    words.remainder().iter().all(|c| (b' '..0x7f).contains(c))
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The byte of `needle` to look for with `memchr`: its first letter (a
/// space or a parenthesis is everywhere in a reply; a letter is rarer).
fn anchor(n: &[u8]) -> usize {
    n.iter().position(u8::is_ascii_alphabetic).unwrap_or(0)
}

/// ASCII case-insensitive search.
pub fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    find_ci_bytes(hay.as_bytes(), needle.as_bytes())
}

/// [`find_ci`] over bytes (a raw header value, a MIME part), which need not
/// be text.
pub fn find_ci_bytes(h: &[u8], n: &[u8]) -> Option<usize> {
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    let k = anchor(n);
    let a = n[k];
    let last_start = h.len() - n.len();
    memchr::memchr2_iter(a.to_ascii_lowercase(), a.to_ascii_uppercase(), &h[k..])
        .take_while(|&i| i <= last_start)
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn rfind_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    let k = anchor(n);
    let a = n[k];
    let last_start = h.len() - n.len();
    memchr::memchr2_iter(a.to_ascii_lowercase(), a.to_ascii_uppercase(), &h[k..])
        .rev()
        .skip_while(|&i| i > last_start)
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_to_write_to_or_in_a_link_is_not_the_recipient() {
        let recipient = |reply: &str| parse_reply(reply).recipient;
        assert_eq!(
            recipient("502 5.7.0 Your SMTP account is not yet activated. Please contact us at contact@sendinblue.com to request activation."),
            None
        );
        assert_eq!(
            recipient("550 5.7.1 SPF fail. Please see http://www.openspf.net/Why?s=mfrom;id=joe@example.com;ip=192.0.2.7"),
            None
        );
        assert_eq!(
            recipient("550 5.7.1 Rejected, write to <postmaster@example.org> or see mailto:abuse@example.org"),
            None
        );
        // the address the reply is about stays the recipient
        assert_eq!(
            recipient("550 5.1.1 <bob@example.org>: Recipient address rejected; contact postmaster@example.org").as_deref(),
            Some("bob@example.org")
        );
    }

    #[test]
    fn typographic_quotes_and_dashes_are_read_as_ascii() {
        assert_eq!(
            fold_space("554 delivery error: This user doesn\u{2019}t have an account"),
            "554 delivery error: This user doesn't have an account"
        );
        assert_eq!(
            fold_space(
                "550 User not local or invalid address \u{2013} Relay denied \u{201C}x\u{201D}"
            ),
            "550 User not local or invalid address - Relay denied \"x\""
        );
        // letters outside ASCII stay
        assert_eq!(
            fold_space("550 Adresse ung\u{00FC}ltig"),
            "550 Adresse ung\u{00FC}ltig"
        );
    }

    #[test]
    fn continuation_prefixes_joined_onto_one_line_are_dropped() {
        // (what was logged, the reply's text)
        let cases = [
            (
                "host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.7.26 This mail has been blocked because the sender is 550-5.7.26 unauthenticated. Gmail requires all senders to authenticate 550 5.7.26 with either SPF or DKIM. gsmtp (in reply to end of DATA command)",
                "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. gsmtp",
            ),
            // another code, or the same code with another status, is text
            (
                "550 5.1.1 user unknown; earlier 451 4.3.0 and 550 5.7.1 too",
                "550 5.1.1 user unknown; earlier 451 4.3.0 and 550 5.7.1 too",
            ),
            // a reply without a status loses its `421-` prefixes
            (
                "421-mx.example.com busy 421-try again later",
                "421-mx.example.com busy try again later",
            ),
            // a client that kept each line's status but not its code
            (
                "552 5.7.0 This message was blocked because its content presents a potential 5.7.0 security issue. Please visit 5.7.0 https://support.google.com/mail/?p=BlockedMessage",
                "552 5.7.0 This message was blocked because its content presents a potential security issue. Please visit https://support.google.com/mail/?p=BlockedMessage",
            ),
            (
                "5.7.0 This message was blocked because its content presents a potential 5.7.0 security issue.",
                "5.7.0 This message was blocked because its content presents a potential security issue.",
            ),
            // another status inside the words is text
            (
                "550 5.1.1 no such user (was 4.4.1 earlier)",
                "550 5.1.1 no such user (was 4.4.1 earlier)",
            ),
            // the same status after another reply's code belongs to that reply
            (
                "421 4.1.1 <a@example.com>: unverified address: said: 450 4.1.1 <a@example.com>: lost connection",
                "421 4.1.1 <a@example.com>: unverified address: said: 450 4.1.1 <a@example.com>: lost connection",
            ),
        ];
        for (logged, text) in cases {
            assert_eq!(parse_reply(logged).text, text, "{logged}");
        }
    }

    #[test]
    fn printable_ascii_agrees_with_a_byte_at_a_time_test() {
        let slow = |b: &[u8]| b.iter().all(|c| (b' '..0x7f).contains(c));
        let mut cases: Vec<Vec<u8>> = vec![b"".to_vec(), b"550 5.7.1 all plain text here".to_vec()];
        for bad in [
            0u8, 9, 10, 13, 0x1f, 0x7f, 0x80, 0xc3, 0xff, b' ', b'~', b'!',
        ] {
            for pos in [0usize, 3, 7, 8, 12, 15, 16, 20] {
                let mut v = b"abcdefghijklmnopqrstu".to_vec();
                v[pos] = bad;
                cases.push(v);
            }
        }
        for c in &cases {
            assert_eq!(printable_ascii(c), slow(c), "{c:?}");
        }
    }

    #[test]
    fn stage_is_read_from_each_way_mtas_name_the_command() {
        let cases = [
            (
                "550 5.1.1 unknown (in reply to RCPT TO command)",
                Some(Stage::Rcpt),
            ),
            (
                "SMTP error from remote mail server after end of data: 550",
                Some(Stage::Data),
            ),
            (">>> DATA <<< 554 rejected", Some(Stage::Data)),
            (
                "192.0.2.1 does not like recipient. Remote host said: 550",
                Some(Stage::Rcpt),
            ),
            (
                "192.0.2.1 does not like sender. Remote host said: 553",
                Some(Stage::Mail),
            ),
            ("192.0.2.1 said 550 for RCPT TO response", Some(Stage::Rcpt)),
            (
                "Technical details: SMTP:RCPT host 192.0.2.8: 553 no such user",
                Some(Stage::Rcpt),
            ),
            (
                "550 5.2.1 <a@b>... User Unknown [RCPT_TO]",
                Some(Stage::Rcpt),
            ),
            (
                "mx.example did not like our RCPT TO: 550 policy",
                Some(Stage::Rcpt),
            ),
            (
                "lost connection with mx.example[192.0.2.1] while sending RCPT TO",
                Some(Stage::Rcpt),
            ),
            (
                "conversation with mx.example timed out while sending message body",
                Some(Stage::Data),
            ),
            (
                "lost connection with mx.example while receiving the initial server greeting",
                Some(Stage::Connect),
            ),
            (
                "host mx.example[192.0.2.1] refused to talk to me: 554 5.7.1 blocked",
                Some(Stage::Connect),
            ),
            (
                "SMTP error from remote mail server after initial connection: 554",
                Some(Stage::Connect),
            ),
            // a command name must follow these markers
            ("SMTP: 421 cannot connect now", None),
            ("lost connection while sending the report", None),
            ("did not like our message", None),
            ("550 mailbox unavailable", None),
        ];
        for (text, want) in cases {
            assert_eq!(stage_in(text), want, "{text}");
        }
    }

    #[test]
    fn a_reply_quoting_another_servers_reply_stays_the_refusal() {
        // Postfix's address verification quotes the probe's answer inside
        // its own reply; the refusal (of the sender) is the outer reply's
        let f = parse_reply(
            "450 4.1.7 <a@example.org>: Sender address rejected: undeliverable address: host mx.example.org[192.0.2.20] said: 550 5.1.1 <a@example.org>: User unknown (in reply to RCPT TO command)",
        );
        assert_eq!(f.code, Some(450));
        assert!(f
            .text
            .starts_with("450 4.1.7 <a@example.org>: Sender address rejected"));
        assert_eq!(f.host, None, "the quoted host is not the one that refused");
        // a Postfix log's own wrapper is still taken off
        let f = parse_reply(
            "host mx.example.org[192.0.2.20] said: 550 5.1.1 <a@example.org>: User unknown (in reply to RCPT TO command)",
        );
        assert_eq!(f.code, Some(550));
        assert_eq!(f.host.as_deref(), Some("mx.example.org"));
        // inside Exim's wrapper too: the reply after Exim's host is whole
        let f = parse_reply(
            "SMTP error from remote mail server after RCPT TO:<a@example.org>: host mx.example.org [192.0.2.20]: 551 5.1.1 <a@example.org>: Recipient address rejected: Failed recipient validation check.: host 127.0.0.1[127.0.0.1] said: 554 5.7.1 recipient verify from ldap failed",
        );
        assert_eq!(f.code, Some(551));
        assert_eq!(f.host.as_deref(), Some("mx.example.org"));
        assert!(f.text.starts_with("551 5.1.1"), "{}", f.text);
    }

    #[test]
    fn case_insensitive_search_anchors_on_a_letter() {
        assert_eq!(find_ci("x host A said: 550", " said: "), Some(8));
        assert_eq!(find_ci("X SAID: 550", " said: "), Some(1));
        assert_eq!(find_ci(" said", " said: "), None);
        assert_eq!(
            rfind_ci("(in reply to a) (In Reply To b)", "(in reply to "),
            Some(16)
        );
        assert_eq!(find_ci("abc", ""), None);
    }

    #[test]
    fn an_exim_sender_callout_quotes_the_senders_server_not_the_recipient() {
        let f = parse_reply(
            "550-Verification failed for <news@example.org>\n550-Called:   192.0.2.20\n550-Sent:     RCPT TO:<news@example.org>\n550-Response: 550 5.1.1 <news@example.org>: Recipient address rejected: User unknown\n550 Sender verify failed",
        );
        assert_eq!(f.code, Some(550));
        // the status, the host and the addresses are the callout's
        assert_eq!(f.status, None);
        assert_eq!(f.client_ip, None);
        assert_eq!(f.recipient, None);
        assert_eq!(f.sender.as_deref(), Some("news@example.org"));
        let f = parse_reply(
            "550-Postmaster verification failed while checking <news@example.org>\n550-Called:   192.0.2.20\n550-Sent:     RCPT TO:<postmaster@example.org>\n550-Response: 550 5.1.1 <postmaster@example.org>: User unknown\n550 Sender verify failed",
        );
        assert_eq!(f.recipient, None);
        assert_eq!(f.sender.as_deref(), Some("news@example.org"));
        // the quoted reply is not read: neither its status nor its provider
        let f = parse_reply(
            "550-Verification failed for <news@example.org>\n550-Called:   142.250.1.26\n550-Sent:     RCPT TO:<news@example.org>\n550-Response: 550-5.1.1 The email account that you tried to reach does not exist. a1si123 - gsmtp\n550 Sender verify failed",
        );
        assert!(!f.text.contains("gsmtp"), "{}", f.text);
        assert!(
            f.text.ends_with("Response: (…) Sender verify failed"),
            "{}",
            f.text
        );
        // Postfix's reject_unverified_sender quotes the sender's server too
        let f = parse_reply(
            "450 4.1.7 <bounce@example.org>: Sender address rejected: undeliverable address: host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.1.1 The email account that you tried to reach does not exist. - gsmtp (in reply to RCPT TO command)",
        );
        assert!(!f.text.contains("gsmtp"), "{}", f.text);
        assert_eq!(f.status.map(|s| s.to_string()).as_deref(), Some("4.1.7"));
        let f = parse_reply(
            "450 4.1.7 <bounce@example.org>: Sender address rejected: undeliverable address: host mx.example.org[192.0.2.20] said: 550 5.1.1 <bounce@example.org>: Recipient address rejected: User unknown",
        );
        assert_eq!(f.recipient, None);
        assert_eq!(f.sender.as_deref(), Some("bounce@example.org"));
    }

    #[test]
    fn a_section_of_an_rfc_is_not_the_client_ip() {
        let f =
            parse_reply("550 R1: HELO should be a FQDN or address literal (See RFC 2821 4.1.1.1)");
        assert_eq!(f.client_ip, None);
        let f = parse_reply("554 5.7.1 Bad HELO, see RFC5321 section 4.1.4, from 192.0.2.7");
        assert_eq!(f.client_ip.as_deref(), Some("192.0.2.7"));
    }

    #[test]
    fn a_dotted_code_in_parentheses_is_not_the_client_ip() {
        let f = parse_reply("421 Too many messages (1.5.6.1) from 192.0.2.7");
        assert_eq!(f.client_ip.as_deref(), Some("192.0.2.7"));
        let f = parse_reply("554 policy (3.2.1.1) - Your message looks like SPAM");
        assert_eq!(f.client_ip, None);
    }

    #[test]
    fn a_reply_quoted_after_qmails_words_loses_its_continuation_prefixes() {
        let f = parse_reply(
            "<bob@example.com>: 142.250.1.26 does not like recipient. Remote host said: 550-5.7.1 [192.0.2.7] Our system has detected an unusual rate of 550-5.7.1 unsolicited mail originating from your IP address. 550 5.7.1 https://support.google.com/mail/?p=UnsolicitedIPError - gsmtp Giving up on 142.250.1.26.",
        );
        assert!(
            f.text.contains("an unusual rate of unsolicited mail"),
            "{}",
            f.text
        );
        assert_eq!(f.remote_ip.as_deref(), Some("142.250.1.26"));
        assert_eq!(f.code, Some(550));
    }

    #[test]
    fn a_reply_quoted_after_dominos_words_loses_its_continuation_prefixes() {
        let f = parse_reply(
            "was not delivered to: bob@example.com because: 550-5.7.1 [192.0.2.7] The IP you're using to send mail is not authorized to 550-5.7.1 send email directly to our servers. 550 5.7.1 - gsmtp",
        );
        assert!(
            f.text.contains("not authorized to send email directly"),
            "{}",
            f.text
        );
        assert!(f.text.starts_with("was not delivered to:"), "{}", f.text);
    }

    #[test]
    fn the_receiving_servers_ip_is_not_the_client_ip() {
        let f = parse_reply(
            "host mx.example.com [192.0.2.40]: 550 5.7.1 Client host [198.51.100.7] blocked",
        );
        assert_eq!(f.remote_ip.as_deref(), Some("192.0.2.40"));
        assert_eq!(f.client_ip.as_deref(), Some("198.51.100.7"));
        let f = parse_reply("<a@example.jp>: 192.0.2.32 does not like recipient. Remote host said: 550 5.1.1 unknown");
        assert_eq!(f.remote_ip.as_deref(), Some("192.0.2.32"));
        assert_eq!(f.client_ip, None);
    }

    #[test]
    fn postfix_holding_a_destination_back_is_peeled() {
        let f = parse_reply(
            "delivery temporarily suspended: connect to mx.example.net[192.0.2.1]:25: Connection timed out",
        );
        assert_eq!(
            f.text,
            "connect to mx.example.net[192.0.2.1]:25: Connection timed out"
        );
        let f = parse_reply("Delivery temporarily suspended: host mx.example.net[192.0.2.1] said: 452 4.2.2 Mailbox full");
        assert_eq!(f.host.as_deref(), Some("mx.example.net"));
        assert_eq!(f.text, "452 4.2.2 Mailbox full");
    }

    #[test]
    fn gmail_relaying_another_servers_error_is_peeled() {
        let f = parse_reply(
            "bob@example.org Technical details of permanent failure: Google tried to deliver \
             your message, but it was rejected by the recipient domain. We recommend contacting \
             the other email provider for further information about the cause of this error. \
             The error that the other server returned was: 550 550 5.1.1 user unknown (state 14).",
        );
        assert_eq!(f.text, "550 550 5.1.1 user unknown (state 14).");
        assert_eq!(f.code, Some(550));
        assert_eq!(f.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
        // Only Google's sentence is a wrapper; a reply that merely says
        // "error" keeps its words.
        let f = parse_reply("550 5.7.1 the error was: spam");
        assert_eq!(f.text, "550 5.7.1 the error was: spam");
    }

    #[test]
    fn a_transcript_is_about_the_reply_that_failed() {
        let f = parse_reply("In: RCPT TO:<a@example.net> Out: 250 2.1.5 Ok In: DATA Out: 354 End data Out: 451 4.3.0 Error: queue file write error In: QUIT Out: 221 2.0.0 Bye");
        assert_eq!(f.code, Some(451));
        assert_eq!(f.status.map(|s| s.to_string()).as_deref(), Some("4.3.0"));
        let f = parse_reply("250 2.0.0 Ok: queued as ABC");
        assert_eq!(f.code, Some(250));
        assert_eq!(f.status.map(|s| s.to_string()).as_deref(), Some("2.0.0"));
    }

    #[test]
    fn exim_host_prefix() {
        let f = parse_reply("SMTP error from remote mail server after RCPT TO:<a@example.com>: host mx.example.com [192.0.2.20]: 550 5.2.2 <a@example.com>: mailbox full");
        assert_eq!(f.host.as_deref(), Some("mx.example.com"));
        assert_eq!(f.remote_ip.as_deref(), Some("192.0.2.20"));
        assert!(f.text.starts_with("550 5.2.2"));
    }

    #[test]
    fn plain_reply() {
        let f = parse_reply(
            "550 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org",
        );
        assert_eq!(f.code, Some(550));
        assert_eq!(f.status.unwrap().to_string(), "5.7.1");
        assert_eq!(f.client_ip.as_deref(), Some("192.0.2.7"));
        assert_eq!(f.permanent(), Some(true));
    }

    #[test]
    fn multiline_reply_is_unfolded() {
        let f =
            parse_reply("550 5.7.1 <bounce@Example.com>: Sender address rejected: Access denied");
        assert_eq!(
            (
                f.sender.as_deref(),
                f.sender_domain.as_deref(),
                f.recipient.as_deref()
            ),
            (Some("bounce@example.com"), Some("example.com"), None)
        );
        let f = parse_reply("550 5.7.1 Message from [192.0.2.7] for sender bounce@example.com to <ann@example.net> rejected");
        assert_eq!(
            (f.sender.as_deref(), f.recipient.as_deref()),
            (Some("bounce@example.com"), Some("ann@example.net"))
        );
        let f = parse_reply("550-5.7.26 This mail has been blocked because the sender is\n550-5.7.26 unauthenticated. Gmail requires\n550 5.7.26 all senders to authenticate. x.123 - gsmtp");
        assert_eq!(f.text, "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate. x.123 - gsmtp");
        assert_eq!(f.status.unwrap().to_string(), "5.7.26");
    }

    #[test]
    fn postfix_wrapper() {
        let f = parse_reply("host mx.example.net[192.0.2.1] said: 554 5.7.1 <bob@example.net>: Relay access denied (in reply to RCPT TO command)");
        assert_eq!(f.host.as_deref(), Some("mx.example.net"));
        assert_eq!(f.remote_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(f.stage, Some(Stage::Rcpt));
        assert_eq!(f.code, Some(554));
        assert_eq!(f.recipient.as_deref(), Some("bob@example.net"));
        assert_eq!(f.domain.as_deref(), Some("example.net"));
        assert_eq!(f.text, "554 5.7.1 <bob@example.net>: Relay access denied");
    }

    #[test]
    fn dsn_and_exim_wrappers() {
        let f = parse_reply("Diagnostic-Code: smtp; 550 5.1.1 user unknown");
        assert_eq!(f.text, "550 5.1.1 user unknown");
        let f = parse_reply("SMTP error from remote mail server after RCPT TO:<a@b.example>: 550 5.1.1 no such user");
        assert_eq!(f.stage, Some(Stage::Rcpt));
        assert_eq!(f.recipient.as_deref(), Some("a@b.example"));
        assert_eq!(f.code, Some(550));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for s in [
            "",
            "\u{0}\u{1}",
            "550",
            "5.",
            "[",
            "@",
            "host said:",
            "(in reply to",
            "é550 5.7.1",
        ] {
            let _ = parse_reply(s);
        }
        let big = "x".repeat(10 << 20);
        assert!(parse_reply(&big).text.len() <= MAX_REPLY_BYTES);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any input yields facts without panicking; the text is folded and
        /// bounded; a found code lies in 200..=559.
        #[test]
        fn any_input_is_read(s in "\\PC{0,300}|[0-9 .\\-\\[\\]@:;()<>a-z\\n]{0,200}") {
            let f = parse_reply(&s);
            prop_assert!(!f.text.contains("  "));
            prop_assert!(f.text.len() <= MAX_REPLY_BYTES);
            if let Some(c) = f.code {
                prop_assert!((200..=559).contains(&c));
            }
        }

        /// A reply wrapped as a DSN diagnostic code reads like the bare reply.
        #[test]
        fn dsn_wrapper_is_transparent(code in 400u16..560, text in "[a-z ]{1,40}") {
            let bare = format!("{code} 5.1.1 {text}");
            let wrapped = format!("Diagnostic-Code: smtp; {bare}");
            prop_assert_eq!(parse_reply(&bare).text, parse_reply(&wrapped).text);
        }
    }
}
