//! Where a prose bounce names its recipients.
//!
//! A bounce's text holds many addresses: the failed recipients, but also the
//! sender, the list it came from, a help desk to write to, the postmaster.
//! Only an address in a *recipient position* is a failed recipient: on a
//! line of its own or at a line's start (`<ann@example.org>:`,
//! `  ann@example.org`, `* ann@example.org`), after words that name a
//! recipient (`Your message to`, `Recipient Address:`, `RCPT TO:<`,
//! `unknown user:`), or right after the reply code of the reply that
//! refused it (`550 5.1.1 <ann@example.org>... User unknown`). An address
//! inside a sentence ("please contact helpdesk@example.org", "the sender
//! editor@example.org was ...") is prose: it never becomes a record.
//!
//! An address that a recipient's own reply quotes is part of that reply:
//! once a recipient is named where no reply has come yet ("Your message to
//! ann@example.org", `<ann@example.org>:`), the first reply after it is
//! its reply, and `550 5.1.1 <ann.box@example.org>: Recipient address
//! rejected` (the mailbox an alias led to) or "550 Relaying mail to
//! x@example.net is not allowed" names no second recipient, nor does a
//! line that continues that reply, indented further than the line it
//! began on.
//!
//! [`recipient_blocks`] finds the recipients and gives each the lines from
//! its mention to the next recipient's: that block is what the rules read.

use super::report::{truncate_at_char, MAX_CONTEXT_BYTES};
use crate::intake::scan;

/// Mailing-list infrastructure (`list-bounces`, `list-request`,
/// `owner-list`, `list-admin`, FML's `list-ctl`): the list's own addresses, mentioned in a
/// bounce of a list message, never the failed recipient.
pub(super) fn is_list_address(local: &str) -> bool {
    ["-bounces", "-admin", "-request", "-owner", "-ctl"]
        .iter()
        .any(|s| local.ends_with(s))
        || local.starts_with("owner-")
        || local.contains("-bounces+")
}

/// Local parts that are never the failed recipient.
pub(super) const SYSTEM_LOCAL_PARTS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "double-bounce",
    "bounce",
    "bounces",
    "noreply",
    "no-reply",
];

/// Whether an address (lower case) is never a failed recipient: the
/// bounce's own sender or addressee, the returned message's sender
/// (`excluded`), a system mailbox (`postmaster@`) or a list's own address.
pub(super) fn is_never_recipient(address: &str, excluded: &[String]) -> bool {
    let local = address.split('@').next().unwrap_or("");
    excluded.iter().any(|e| e == address)
        || SYSTEM_LOCAL_PARTS.contains(&local)
        || is_list_address(local)
}

/// Whether a text holds an SMTP reply code or an enhanced status.
pub(super) fn has_reply(text: &str) -> bool {
    scan::find_status(text).is_some() || scan::find_code(text).is_some()
}

/// One recipient and the lines of the report about it.
pub(super) type Block = (String, String);

/// Which mentions of an address make it a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mentions {
    /// Any mention: the recipients are already known (from DSN fields, say)
    /// and the blocks are only their words.
    Any,
    /// At least one mention in a recipient position
    /// ([`in_recipient_position`]).
    InPosition,
}

/// The recipients the report text names, in order of first appearance,
/// each with the lines from that appearance to the next recipient's.
pub(super) fn recipient_blocks(report: &str, excluded: &[String], which: Mentions) -> Vec<Block> {
    let lines: Vec<&str> = crate::intake::lines(report).collect();
    let mut starts: Vec<(String, usize)> = Vec::new();
    // Every line naming a recipient, first mention or not.
    let mut mentions: Vec<(usize, String)> = Vec::new();
    // The addresses seen in a recipient position at least once.
    let mut positioned: Vec<String> = Vec::new();
    let mut replies = Replies::default();
    for (i, line) in lines.iter().enumerate() {
        let has_address = line.contains('@');
        let Some(mut here) = replies.line(i, line, has_address) else {
            continue;
        };
        // addresses from where the line names another party on are not
        // recipients (`bob@example.com: 501 Syntax: MAIL FROM: <x@y>`
        // keeps bob)
        let other_party = if has_address {
            other_party_at(&line.to_ascii_lowercase())
        } else {
            None
        };
        if has_address && other_party != Some(0) {
            for (addr, at) in scan::emails(line) {
                if other_party.is_some_and(|p| at.start >= p) {
                    break;
                }
                let a = addr.to_ascii_lowercase();
                let local = a.split('@').next().unwrap_or("");
                // "... because they are not accepting mail from <sender>:"
                // names the sender, not a recipient that failed.
                if excluded.contains(&a)
                    || crate::intake::reply::is_sender_address(line, at.clone())
                    || SYSTEM_LOCAL_PARTS.contains(&local)
                    || is_list_address(local)
                {
                    continue;
                }
                // An address another recipient's reply quotes is part of
                // that reply, unless it is a recipient already.
                if which == Mentions::InPosition
                    && replies.quotes(&here, &a, at.start)
                    && !starts.iter().any(|(s, _)| *s == a)
                {
                    continue;
                }
                if which == Mentions::InPosition && in_recipient_position(line, at.clone()) {
                    if !positioned.contains(&a) {
                        positioned.push(a.clone());
                    }
                    replies.named(&mut here, &a, line, at.clone());
                }
                mentions.push((i, a.clone()));
                if starts.iter().any(|(s, _)| *s == a) {
                    continue;
                }
                starts.push((a, i));
            }
        }
        replies.end_line(&here);
    }
    // Exchange's "Your message To: <list> ... did not reach the following
    // recipient(s):" names the original message's addressees first; the
    // failed recipients are the ones after the phrase.
    let marker = lines.iter().position(|l| {
        FAILED_LIST_MARKERS
            .iter()
            .any(|m| crate::intake::reply::find_ci(l, m).is_some())
    });
    if which == Mentions::InPosition {
        // what the phrase introduces is in a recipient position
        let after_marker: Vec<String> = mentions
            .iter()
            .filter(|(line, _)| marker.is_some_and(|m| *line > m))
            .map(|(_, a)| a.clone())
            .collect();
        let keep = |a: &String| positioned.contains(a) || after_marker.contains(a);
        mentions.retain(|(_, a)| keep(a));
        starts.retain(|(a, _)| keep(a));
    }
    if let Some(marker) = marker {
        if mentions.iter().any(|(line, _)| *line > marker) {
            mentions.retain(|(line, _)| *line > marker);
            starts.retain(|(_, line)| *line > marker);
        }
    }
    let mut out = Vec::new();
    for (addr, start) in &starts {
        // The block starts on the address's line and runs to the next line
        // naming another recipient (exclusive; a report that lists the
        // recipients twice, in two languages say, names them again) or the
        // end.
        let end = mentions
            .iter()
            .find(|(line, a)| line > start && a != addr)
            .map(|(line, _)| *line)
            .unwrap_or(lines.len());
        let mut block = lines[*start..end.max(start + 1)].join("\n");
        truncate_at_char(&mut block, MAX_CONTEXT_BYTES);
        out.push((addr.clone(), block));
    }
    out
}

/// Which recipient each reply belongs to, line by line.
///
/// A recipient named where no reply has come yet ("Your message to
/// ann@...", `<ann@...>:`) awaits its reply; the first reply after it is
/// its reply, and an address that reply quotes is part of it. A line
/// indented further than the one the reply began on, with no blank line
/// between, continues the reply.
#[derive(Default)]
struct Replies {
    /// The recipient waiting for its reply, with the line and the column
    /// its mention ends at.
    awaiting: Option<(String, usize, usize)>,
    /// Whether the last line with text ended with a cue that introduces a
    /// reply ("The response from the remote server was:").
    cued: bool,
    /// The recipient whose reply runs on, and the indentation of the line
    /// it began on.
    running: Option<(String, usize)>,
}

/// What [`Replies`] knows of one line.
struct Line {
    index: usize,
    indent: usize,
    /// Where a reply begins on the line, if one does.
    reply_at: Option<usize>,
    /// Whether the line continues the running reply.
    continues: bool,
}

impl Replies {
    /// Reads a line; `None` when it holds nothing to read (no address,
    /// and no recipient waits for its reply).
    fn line(&mut self, index: usize, line: &str, has_address: bool) -> Option<Line> {
        let indent = line.len() - line.trim_start().len();
        let blank = line.trim().is_empty();
        let continues = !blank
            && self
                .running
                .as_ref()
                .is_some_and(|(_, first)| indent > *first);
        if !continues {
            self.running = None;
        }
        if !has_address && self.awaiting.is_none() {
            self.cued &= blank;
            return None;
        }
        let reply_at = if self.cued && !blank {
            Some(0)
        } else {
            reply_start(line)
        };
        if !blank {
            self.cued = reply_cue_at(line).is_some_and(|end| line[end..].trim().is_empty());
        }
        Some(Line {
            index,
            indent,
            reply_at,
            continues,
        })
    }

    /// Whether a reply beginning at column `c` of the line comes after
    /// the awaiting recipient's mention.
    fn answers(&self, here: &Line, c: usize) -> bool {
        self.awaiting
            .as_ref()
            .is_some_and(|(_, l, col)| *l < here.index || *col <= c)
    }

    /// Whether the address at `start` is quoted by another recipient's
    /// reply: the awaiting one's on this line, or the running one's.
    fn quotes(&self, here: &Line, address: &str, start: usize) -> bool {
        let quoted = here
            .reply_at
            .is_some_and(|c| c <= start && self.answers(here, c))
            && self.awaiting.as_ref().is_some_and(|(r, _, _)| r != address);
        let continued = here.continues && self.running.as_ref().is_some_and(|(r, _)| r != address);
        quoted || continued
    }

    /// A recipient named in a recipient position: unless inside a reply,
    /// it now awaits its own, and `ann@example.org: <reply>` (OpenSMTPD's
    /// list, Postfix's `<ann@...>: host ... said:`) begins it after the
    /// colon, code or not.
    fn named(&mut self, here: &mut Line, address: &str, line: &str, at: std::ops::Range<usize>) {
        if here.reply_at.is_some_and(|c| c <= at.start) {
            return;
        }
        self.awaiting = Some((address.to_string(), here.index, at.end));
        let rest = line[at.end..].trim_start_matches('>');
        if let Some(after) = rest.strip_prefix(':') {
            if !after.trim().is_empty() {
                let c = line.len() - after.len();
                here.reply_at = Some(here.reply_at.map_or(c, |r| r.min(c)));
            }
        }
    }

    /// After the line: a reply on it answered the awaiting recipient,
    /// whose reply now runs on.
    fn end_line(&mut self, here: &Line) {
        if here.reply_at.is_some_and(|c| self.answers(here, c)) {
            self.running = self.awaiting.take().map(|(r, _, _)| (r, here.indent));
        }
    }
}

/// Where a reply opens on a line: its first reply code or enhanced status,
/// or the end of a cue that introduces one (a reply without a code).
fn reply_start(line: &str) -> Option<usize> {
    // a cue that ends its line introduces the next line
    let cue = reply_cue_at(line).filter(|&end| !line[end..].trim().is_empty());
    reply_code_at(line).into_iter().chain(cue).min()
}

/// Where a line's first reply code or enhanced status stands.
pub(super) fn reply_code_at(line: &str) -> Option<usize> {
    let code = scan::find_code(line).map(|(_, at)| at.start);
    let status = scan::find_status(line).map(|(_, at)| at.start);
    code.into_iter().chain(status).min()
}

/// Words a writer puts before the remote server's reply, code or not:
/// Postfix's and qmail's "said:", Gmail's "The response from the remote
/// server was:", Courier's and Sendmail's transcript `<<<`.
const REPLY_CUES: &[&str] = &["said:", "server was:", "the response was:", "<<<"];

/// Where the reply a cue introduces begins on a line: the end of the cue.
fn reply_cue_at(line: &str) -> Option<usize> {
    REPLY_CUES
        .iter()
        .filter_map(|c| crate::intake::reply::find_ci(line, c).map(|at| at + c.len()))
        .min()
}

/// Phrases after which a prose bounce lists the failed recipients, where
/// addresses before them belong to the original message's headers.
pub(super) const FAILED_LIST_MARKERS: &[&str] = &["did not reach the following recipient"];

/// Whether a (lower-case) line names a party other than a recipient: the
/// sender, a reply address, the reporting MTA, a message id.
pub(super) fn names_other_party(lower: &str) -> bool {
    other_party_at(lower).is_some()
}

/// Header-like labels that open a line naming another party.
const OTHER_PARTY_LABELS: &[&str] = &[
    "from:",
    "reply-to:",
    "return-path:",
    "message-id:",
    "reporting-mta:",
    "sender:",
];

/// Words inside a line after which an address is another party's.
const OTHER_PARTY_WORDS: &[&str] = &[
    "mail from:",
    "envelope-from",
    "generated from",
    "expanded from",
];

/// Where a (lower-case) line starts naming another party: 0 for a line
/// that opens with a label ([`OTHER_PARTY_LABELS`]), else the first of
/// [`OTHER_PARTY_WORDS`].
fn other_party_at(lower: &str) -> Option<usize> {
    let trimmed = lower.trim_start();
    if OTHER_PARTY_LABELS.iter().any(|l| trimmed.starts_with(l)) {
        return Some(0);
    }
    OTHER_PARTY_WORDS.iter().filter_map(|w| lower.find(w)).min()
}

/// The lines before the first recipient, when they say something about the
/// failure (some bounces state the reason once, above the address list).
pub(super) fn preamble(report: &str, blocks: &[Block]) -> String {
    let Some((first, _)) = blocks.first() else {
        return String::new();
    };
    let mut out = String::new();
    for line in crate::intake::lines(report) {
        let lower = line.to_ascii_lowercase();
        if lower.contains(first.as_str()) {
            break;
        }
        // `MAIL FROM: a@b` in a list of message details says who sent, not
        // why it failed; kept, it would read as a refused sender.
        if lower.contains('@') && names_other_party(&lower) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Each of `recipients` with every stretch of the report about it: from
/// each line that names it to the next line naming another of them. A
/// report that lists the recipients, then gives each one's reply further
/// down (Exchange's "Diagnostic information for administrators"), gives
/// both to each. A recipient the text never names gets the whole report.
pub(super) fn blocks_of(report: &str, recipients: &[String]) -> Vec<Block> {
    let lines: Vec<&str> = crate::intake::lines(report).collect();
    let lower: Vec<String> = lines.iter().map(|l| l.to_ascii_lowercase()).collect();
    let names = |i: usize, r: &str| lower[i].contains(r);
    recipients
        .iter()
        .map(|r| {
            let mut block = String::new();
            let mut i = 0;
            while i < lines.len() {
                if !names(i, r) {
                    i += 1;
                    continue;
                }
                let end = (i + 1..lines.len())
                    .find(|&j| recipients.iter().any(|o| o != r && names(j, o)) && !names(j, r))
                    .unwrap_or(lines.len());
                for line in &lines[i..end] {
                    block.push_str(line);
                    block.push('\n');
                }
                i = end;
            }
            if block.is_empty() {
                block = report.to_string();
            }
            truncate_at_char(&mut block, MAX_CONTEXT_BYTES);
            (r.clone(), block.trim_end().to_string())
        })
        .collect()
}

/// Words after which an address is the recipient: "Your message to",
/// "Recipient Address:", "RCPT TO:<", "unknown user:", "mailbox".
const RECIPIENT_CUES: &[&str] = &[
    "to",
    "to:",
    "rcpt to:",
    "recipient",
    "recipient:",
    "recipients:",
    "recipient address:",
    "address:",
    "addressee:",
    "addressed to",
    "user",
    "user:",
    "mailbox",
    "mailbox:",
    "account",
    "account:",
    "for",
    "for:",
    "failed:",
    "rfc822;",
    // an X.400 address's SMTP part (`c=US;a= ;p=ORG;dda:SMTP=ann@example.org;`)
    "smtp=",
    // "to" and "recipient" in the languages bounces are written in: "Die
    // Nachricht an <ann@...>", "votre message à", "el mensaje a", "para",
    // "aan", "till", "til", "do"
    "an",
    "à",
    "a",
    "para",
    "aan",
    "till",
    "til",
    "do",
    "empfänger:",
    "destinataire:",
    "destinatario:",
    "destinatário:",
];

/// Words of a clause that, ended by a colon, introduces failed recipients
/// (with the Chinese and Japanese "recipient" and "delivery failed" of
/// the bounces below: PMail's "以下收件人投递失败：", Outlook's Japanese
/// "以下の受信者にメールが配信できませんでした:").
const CLAUSE_WORDS: &[&str] = &[
    "recipient",
    "address",
    "user",
    "mailbox",
    "account",
    "failed",
    "deliver",
    "undeliverable",
    "收件人",
    "投递失败",
    "投遞失敗",
    "受信者",
];

/// Words right before an address that make it the recipient in scripts
/// written without spaces, where a word's edge is not marked: "recipient
/// (mail) address (" in QQ Mail's notice ("收件人邮件地址（ann@...）不存在"),
/// "sent to" in Gromox's templates ("您发送到“ann@...”的邮件") and QQ's
/// "无法发送到 ann@...", Japanese "destination" and "recipient", Korean
/// "recipient".
const SPACELESS_RECIPIENT_CUES: &[&str] = &[
    "收件人",
    "收件人地址",
    "收件人邮件地址",
    "收件人郵件地址",
    "收件方地址",
    "发送到",
    "發送到",
    "宛先",
    "受信者",
    "수신자",
];

/// Opening brackets and quotation marks of those scripts, which stand
/// between a cue and the address as `<` does in English prose.
const FULLWIDTH_OPENERS: &[char] = &['（', '“', '「', '『', '《', '【', '〈'];

/// Words that, said shortly before an address, make it someone to write to
/// or someone who wrote: never a recipient that failed.
const PROSE_CUES: &[&str] = &[
    "contact",
    "write to",
    "send mail to",
    "email us",
    "e-mail us",
    "reply to",
    "please",
    "questions",
    "help",
    "sender",
    "sent by",
    "written by",
];

/// Verbs that, opening the clause before an address, make the sentence an
/// instruction to the reader ("or send an e-mail message from another
/// address to postmaster@..."): the address is someone to write to.
const INSTRUCTION_VERBS: &[&str] = &["send", "write", "forward", "contact", "reply"];

/// Whether the clause that ends at the address (from the last sentence or
/// clause mark) opens with an instruction verb, after a conjunction or
/// "please".
fn in_instruction(before: &str) -> bool {
    let clause = before
        .rsplit(['.', ',', ';', '!', '?', ':'])
        .next()
        .unwrap_or("");
    let mut words = clause.split_whitespace();
    let mut first = words.next().unwrap_or("");
    while matches!(first, "or" | "and" | "then" | "please") {
        first = words.next().unwrap_or("");
    }
    INSTRUCTION_VERBS.contains(&first)
}

/// Words that, right after an address at a line's start, show the line is
/// a sentence wrapped onto it ("helpdesk@example.org for help").
const PROSE_CONTINUATIONS: &[&str] = &["for", "if", "and", "or", "with", "regarding", "about"];

/// Whether the address at `at` in `line` stands where a bounce names a
/// failed recipient: first on its line (after bullets, list numbers, quote
/// marks and brackets), after words that name a recipient, or after the
/// reply code of the reply that refused it.
pub(super) fn in_recipient_position(line: &str, at: std::ops::Range<usize>) -> bool {
    let before = line[..at.start]
        .trim_end_matches(['<', '"', '\'', '[', '(', ' ', '\t'])
        .trim_end_matches(FULLWIDTH_OPENERS)
        .to_ascii_lowercase();
    let after = line[at.end..]
        .trim_start_matches(['>', '"', '\'', ']', ')'])
        .trim_start()
        .to_ascii_lowercase();
    let first_word = after
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("");
    let tail = |n: usize| {
        let mut from = before.len().saturating_sub(n);
        while !before.is_char_boundary(from) {
            from -= 1;
        }
        &before[from..]
    };
    if PROSE_CUES.iter().any(|c| tail(32).contains(c)) || in_instruction(&before) {
        return false;
    }
    let leading = before
        .trim()
        .chars()
        .all(|c| matches!(c, '*' | '-' | '•' | '>' | '.' | ')' | ':' | '#') || c.is_ascii_digit());
    if leading {
        return !PROSE_CONTINUATIONS.contains(&first_word);
    }
    if RECIPIENT_CUES.iter().any(|c| ends_with_word(&before, c))
        || SPACELESS_RECIPIENT_CUES.iter().any(|c| before.ends_with(c))
    {
        return true;
    }
    // "The following recipients returned permanent errors: a@b": a
    // sentence about recipients, then a colon (or a full-width one) and
    // the address
    if before.ends_with(':') || before.ends_with('：') {
        let clause = before
            .rsplit(['.', '!', '?', '。', '！', '？'])
            .next()
            .unwrap_or("");
        if CLAUSE_WORDS.iter().any(|w| clause.contains(w)) {
            return true;
        }
    }
    // `550 5.1.1 <a@b>... User unknown`: the reply refusing the address
    let last = before.rsplit(' ').next().unwrap_or("");
    scan::find_status(last).is_some() || (last.len() == 3 && scan::find_code(last).is_some())
}

/// Whether `text` ends with `word` standing as a word of its own.
fn ends_with_word(text: &str, word: &str) -> bool {
    text.strip_suffix(word)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with(|c: char| !c.is_alphanumeric()))
}
