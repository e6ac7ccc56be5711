//! Running a compiled ruleset over facts.
//!
//! One call does one pass over the text: the Aho-Corasick automaton reports
//! every literal trigger present (overlapping matches included), the
//! `RegexSet` every regex trigger. (A run that searches little text, one
//! reply, finds the literals directly instead and builds no automaton: see
//! [`find_triggers_with`].) Only rules whose triggers occur, plus the
//! rules that need no trigger, have their conditions evaluated. The provider
//! is recognised first, since rule conditions may test it.

use crate::facts::Facts;
use bouncedx_dsl::ir::{
    suffix_key, Expr, Field, FieldMatch, GateIndex, ProviderIdx, RuleIdx, Ruleset,
};
use bouncedx_dsl::vocab::{MEDIUM, NAMES_A_CAUSE};

/// The triggers found in a text: `(id, start, end)`, the first occurrence of
/// each, sorted by id.
#[derive(Debug, Default, Clone)]
pub struct Found {
    pub hits: Vec<(u32, u32, u32)>,
    /// One bit per trigger id: set when the trigger occurs. Most lookups are
    /// for triggers that are absent, and a bit test answers those at once.
    present: Vec<u64>,
}

impl Found {
    pub fn get(&self, id: u32) -> Option<(u32, u32)> {
        let word = self.present.get(id as usize / 64)?;
        if word & (1 << (id % 64)) == 0 {
            return None;
        }
        self.hits
            .binary_search_by_key(&id, |h| h.0)
            .ok()
            .map(|i| (self.hits[i].1, self.hits[i].2))
    }
}

impl Found {
    /// Whether any trigger of the sorted, duplicate-free `ids` occurs. When
    /// the ids are one contiguous run (a phrase list compiles to one), this
    /// is a few word operations on the bitset rather than a test per id.
    pub fn any_of(&self, ids: &[u32]) -> bool {
        let (Some(&lo), Some(&hi)) = (ids.first(), ids.last()) else {
            return false;
        };
        if (hi - lo) as usize + 1 != ids.len() {
            return ids.iter().any(|&id| self.get(id).is_some());
        }
        let (lo, hi) = (lo as usize, hi as usize);
        let last_word = (hi / 64).min(self.present.len().saturating_sub(1));
        if lo / 64 >= self.present.len() {
            return false;
        }
        (lo / 64..=last_word).any(|w| {
            let mut mask = u64::MAX;
            if w == lo / 64 {
                mask &= u64::MAX << (lo % 64);
            }
            if w == hi / 64 {
                mask &= u64::MAX >> (63 - hi % 64);
            }
            self.present[w] & mask != 0
        })
    }
}

/// Whether a regex's gate (literals every match contains, compared without
/// regard to ASCII case) decides for `text` whether the regex can match.
/// The regexes are case-insensitive by Unicode's simple case folding, which
/// takes only two non-ASCII characters to ASCII letters: `ſ` (U+017F) to
/// `s` and the Kelvin sign `K` (U+212A) to `k`. On any text without them,
/// ASCII or not (Chinese, German, a bounce with a non-ASCII name), a gate
/// that is absent means the regex cannot match.
fn gates_are_exact(text: &str) -> bool {
    text.is_ascii() || !text.contains(['\u{17F}', '\u{212A}'])
}

/// Finds every trigger of the ruleset in `text`.
pub fn find_triggers(rs: &Ruleset, text: &str) -> Found {
    find_triggers_with(rs, text, rs.patterns.searcher(text.len()))
}

/// Finds every trigger of the ruleset in `text`, the literals with
/// `automaton` (one pass, every occurrence of every literal) or, without
/// one, directly: each literal searched on its own, up to its first
/// occurrence at word boundaries. The answers are the same; which is
/// cheaper depends on how much text the run searches (see
/// [`bouncedx_dsl::ir::DIRECT_BUDGET`]).
pub fn find_triggers_with(
    rs: &Ruleset,
    text: &str,
    automaton: Option<&aho_corasick::AhoCorasick>,
) -> Found {
    let mut hits: Vec<(u32, u32, u32)> = Vec::new();
    let pats = &rs.patterns;
    let base = pats.literals.len() as u32;
    // Regexes whose gate literal occurs: few, usually none.
    let mut opened: Vec<u32> = Vec::new();
    let lower = bouncedx_dsl::patterns::search_form(text);
    match automaton {
        Some(automaton) => {
            for m in automaton.find_overlapping_iter(&lower) {
                let id = m.pattern().as_u32();
                if id >= base {
                    opened.push(pats.gates[(id - base) as usize]);
                } else if at_word_boundaries(text, m.start(), m.end()) {
                    hits.push((id, m.start() as u32, m.end() as u32));
                }
            }
        }
        None => find_literals_directly(rs, text, &lower, &mut hits, &mut opened),
    }
    if gates_are_exact(text) {
        opened.sort_unstable();
        opened.dedup();
        opened.extend_from_slice(&pats.ungated);
    } else if !pats.regexes.is_empty() {
        // A text where case folding can turn a non-ASCII letter into an
        // ASCII one: every regex, in one set (see `gates_are_exact`).
        opened.clear();
        match pats.regex_set() {
            Some(set) => opened.extend(set.matches(text).iter().map(|i| i as u32)),
            None => opened.extend(0..pats.regexes.len() as u32),
        }
    }
    for i in opened {
        if let Some(m) = pats.regex(i as usize).and_then(|re| re.find(text)) {
            hits.push((base + i, m.start() as u32, m.end() as u32));
        }
    }
    // keep the first occurrence of each id
    hits.sort_unstable();
    hits.dedup_by_key(|h| h.0);
    let mut present = vec![0u64; hits.last().map_or(0, |h| h.0 as usize / 64 + 1)];
    for h in &hits {
        present[h.0 as usize / 64] |= 1 << (h.0 % 64);
    }
    Found { hits, present }
}

/// The literals' hits and the gates they open, found without an automaton:
/// the text's positions sorted by the two bytes that start there, then for
/// each searched literal the positions that start with its first two bytes,
/// in order, until the first where the whole literal stands at word
/// boundaries; a gate literal opens its regex at any of them. The automaton
/// reports the same, since only the first occurrence of each trigger is
/// kept. For a reply of a few hundred bytes this is a few instructions a
/// literal, where building the automaton costs about a hundred.
fn find_literals_directly(
    rs: &Ruleset,
    text: &str,
    lower: &str,
    hits: &mut Vec<(u32, u32, u32)>,
    opened: &mut Vec<u32>,
) {
    let pats = &rs.patterns;
    let base = pats.literals.len();
    let hay = lower.as_bytes();
    let pair = |b: &[u8]| u16::from(b[0]) << 8 | u16::from(b[1]);
    let mut starts: Vec<(u16, u32)> = hay
        .windows(2)
        .enumerate()
        .map(|(at, w)| (pair(w), at as u32))
        .collect();
    starts.sort_unstable();
    for (id, literal) in pats.searched().iter().enumerate() {
        let needle = literal.as_bytes();
        let found = |at: usize| {
            hay[at..].starts_with(needle)
                && (id >= base || at_word_boundaries(text, at, at + needle.len()))
        };
        let first = match needle.len() {
            0 => None,
            1 => memchr::memchr_iter(needle[0], hay).find(|&at| found(at)),
            _ => {
                let key = pair(needle);
                let from = starts.partition_point(|&(k, _)| k < key);
                starts[from..]
                    .iter()
                    .take_while(|&&(k, _)| k == key)
                    .map(|&(_, at)| at as usize)
                    .find(|&at| found(at))
            }
        };
        match first {
            Some(_) if id >= base => opened.push(pats.gates[id - base]),
            Some(at) => hits.push((id as u32, at as u32, (at + needle.len()) as u32)),
            None => {}
        }
    }
}

/// A word character: a letter or digit of any script, or `_`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Scripts written without spaces between words (Chinese, Japanese,
/// Thai, Lao, Khmer, Myanmar) and Korean, whose particles attach to the
/// word before them: there a word's edge is not marked, so a literal in one
/// of them, or next to one, needs no boundary on that side ("用户不存在"
/// inside "收件人用户不存在").
fn spaceless(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1100..=0x11FF // Hangul Jamo
        | 0x1780..=0x17FF // Khmer
        | 0x2E80..=0x9FFF // CJK radicals, punctuation, kana, ideographs
        | 0xA960..=0xA97F // Hangul Jamo extended
        | 0xAC00..=0xD7FF // Hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFF00..=0xFFEF // full-width and half-width forms
        | 0x20000..=0x3FFFF // CJK extensions
    )
}

/// Literals match whole words: `blocked` is not found in `unblocked`, and
/// `locked` not in `blocked`. Where a literal starts or ends with a
/// non-word character (`- spam`, `aup#`), that side needs no boundary; nor
/// where the literal's edge or its neighbour is in a script written
/// without spaces ([`spaceless`]).
/// `start` and `end` are on character boundaries (a UTF-8 literal matched
/// in UTF-8 text); any other offset counts as an edge.
pub fn at_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let after = |i: usize| text.get(i..).and_then(|t| t.chars().next());
    let before = |i: usize| text.get(..i).and_then(|t| t.chars().next_back());
    let edge_ok = |inner: Option<char>, outer: Option<char>| match (inner, outer) {
        (Some(i), Some(o)) => !is_word(i) || !is_word(o) || spaceless(i) || spaceless(o),
        _ => true,
    };
    edge_ok(after(start), before(start)) && edge_ok(before(end), after(end))
}

/// Everything evaluation needs to know about one input.
pub struct Input<'a> {
    pub facts: &'a Facts,
    pub found: &'a Found,
    pub provider: Option<ProviderIdx>,
    /// Verdicts of checks that ran: (check, verdict).
    pub verdicts: &'a [(String, String)],
}

/// Evaluates a condition; `evidence` collects the spans of the triggers that
/// made it true (only outside negations).
pub fn eval(
    rs: &Ruleset,
    e: &Expr,
    inp: &Input,
    evidence: &mut Vec<(u32, u32)>,
    positive: bool,
) -> bool {
    match e {
        Expr::True => true,
        Expr::And(v) => v.iter().all(|x| eval(rs, x, inp, evidence, positive)),
        Expr::Or(v) if !positive => v.iter().any(|x| eval(rs, x, inp, evidence, false)),
        Expr::Or(v) => {
            let mut any = false;
            for x in v {
                // evaluate every alternative so that evidence is complete
                any |= eval(rs, x, inp, evidence, positive);
            }
            any
        }
        Expr::Not(x) => !eval(rs, x, inp, evidence, false),
        Expr::Code { lo, hi } => inp.facts.code.is_some_and(|c| (*lo..=*hi).contains(&c)),
        Expr::Status {
            class,
            subject,
            detail,
        } => inp.facts.status.is_some_and(|s| {
            class.is_none_or(|c| c == s.class)
                && subject.is_none_or(|c| c == s.subject)
                && detail.is_none_or(|c| c == s.detail)
        }),
        Expr::Permanent(p) => inp.facts.permanent() == Some(*p),
        Expr::Stage(s) => inp.facts.stage == Some(*s),
        Expr::Provider(p) => inp.provider == Some(*p),
        Expr::Text(ids) if !inp.found.any_of(ids) => false,
        Expr::Text(_) if !positive => true,
        Expr::Text(ids) => {
            // The evidence: every listed trigger that occurs. A text has a
            // few triggers and a list may have hundreds, so walk the hits
            // (sorted by id, like the list: the evidence keeps list order).
            let contiguous = ids.len() == (ids[ids.len() - 1] - ids[0]) as usize + 1;
            for &(id, start, end) in &inp.found.hits {
                let listed = if contiguous {
                    (ids[0]..=ids[ids.len() - 1]).contains(&id)
                } else {
                    ids.binary_search(&id).is_ok()
                };
                if listed {
                    evidence.push((start, end));
                }
            }
            true
        }
        Expr::Field(f, m) => field_matches(inp.facts.field(*f), m),
        Expr::Rule(r) => eval(rs, &rs.rules[*r as usize].when, inp, evidence, positive),
        Expr::Check { check, verdict } => {
            inp.verdicts.iter().any(|(c, v)| c == check && v == verdict)
        }
    }
}

/// A value as field patterns compare it: lower-cased (most values already
/// are, and are borrowed).
fn lower_case(v: &str) -> std::borrow::Cow<'_, str> {
    if v.bytes().any(|b| b.is_ascii_uppercase()) || !v.is_ascii() {
        std::borrow::Cow::Owned(v.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

pub fn field_matches(values: &[String], m: &FieldMatch) -> bool {
    values.iter().any(|v| {
        // patterns are stored lower-case
        let v = lower_case(v);
        let v = v.as_ref();
        match m {
            FieldMatch::Exists => true,
            FieldMatch::Is(xs) => xs.iter().any(|x| x == v),
            FieldMatch::EndsWith(xs) => xs.iter().any(|x| v.ends_with(x.as_str())),
            FieldMatch::StartsWith(xs) => xs.iter().any(|x| v.starts_with(x.as_str())),
            FieldMatch::Contains(xs) => xs.iter().any(|x| v.contains(x.as_str())),
            FieldMatch::Matches(rs) => rs.iter().any(|r| r.get().is_some_and(|re| re.is_match(v))),
        }
    })
}

/// The provider that answered.
///
/// Two passes. First the providers recognised by the input's own fields
/// (the host that replied, ...) with the text left out: a reply that came
/// from `smtp.zeptomail.com` is ZeptoMail's even when it quotes an address
/// at gmail.com, and a text token such as `gmail` must not outrank the
/// host. Only when no field names a provider is the text read, and then
/// the first provider whose `when` holds answers.
///
/// The text pass reads no e-mail address but the recipient's and those
/// the reply gives to write to: the recipient's mailbox is where the
/// refusing server usually is (a reply to `RCPT TO:<bob@icloud.com>` is
/// Apple's), and a contact address is the replier's own (`contact us at
/// contact@brevo.com`), while any other address names someone else: the
/// sender (`<joe@hotmail.com>: Sender address rejected` is not
/// Microsoft's refusal), a forwarder. So a provider's word (`hotmail`,
/// `yahoo`, `aol.com`) counts in those addresses and outside addresses
/// only (and the recipient's not for a relay refusal: see
/// [`recognise_and_fire`]). When a trigger was
/// found inside another address, the text is searched again with those
/// addresses blanked out (rare: most texts quote none, or no provider's
/// domain).
pub fn recognise_provider(rs: &Ruleset, facts: &Facts, found: &Found) -> Option<ProviderIdx> {
    recognise_provider_by(rs, facts, found, Recipient::NamesTheReplier)
}

/// Whether the recipient's address may name the provider that answered
/// (see [`recognise_provider`] and [`recognise_and_fire`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recipient {
    NamesTheReplier,
    NamesSomeoneElse,
}

fn recognise_provider_by(
    rs: &Ruleset,
    facts: &Facts,
    found: &Found,
    recipient: Recipient,
) -> Option<ProviderIdx> {
    let no_text = Found::default();
    if let Some(p) = first_provider(rs, facts, &no_text) {
        return Some(p);
    }
    let mut addresses = addresses_not_naming_the_replier(facts);
    if recipient == Recipient::NamesSomeoneElse {
        addresses.extend(recipient_spans(facts));
    }
    // a hit that overlaps a span (a regex's match may take the character
    // before the word: `[^@.\w]gmail\b` in "[GMAIL.COM]") may come from it
    let in_address = |&(_, start, end): &(u32, u32, u32)| {
        addresses
            .iter()
            .any(|&(a, b)| (start as usize) < b && (end as usize) > a)
    };
    if !found.hits.iter().any(in_address) {
        return first_provider(rs, facts, found);
    }
    first_provider(
        rs,
        facts,
        &find_triggers(rs, &blanked(&facts.text, &addresses)),
    )
}

/// The spans of the recipient's address where the text quotes it.
fn recipient_spans(facts: &Facts) -> Vec<(usize, usize)> {
    let Some(recipient) = facts.recipient.as_deref() else {
        return Vec::new();
    };
    crate::intake::scan::emails(&facts.text)
        .into_iter()
        .filter(|(address, _)| address.eq_ignore_ascii_case(recipient))
        .map(|(_, at)| (at.start, at.end))
        .collect()
}

/// `text` with the byte spans `spans` (addresses: ASCII only) replaced by
/// spaces, so that nothing inside them is found and offsets stay put.
pub fn blanked(text: &str, spans: &[(usize, usize)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(a, b) in spans {
        bytes[a..b].fill(b' ');
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// The spans of the addresses in the reply that say nothing of who wrote
/// it: all but the recipient's and those the reply asks the reader to
/// write to (`contact us at support@brevo.com` names the service that
/// answered); and the domains it names as the sender's, which any receiver
/// echoes in an SPF or DMARC refusal (OpenDMARC's "rejected by DMARC policy
/// for gmail.com", Exim's "is not allowed to send mail from gmail.com",
/// Microsoft's "sending domain [GMAIL.COM] does not pass DMARC").
pub fn addresses_not_naming_the_replier(facts: &Facts) -> Vec<(usize, usize)> {
    let text = &facts.text;
    let recipient = facts.recipient.as_deref().unwrap_or_default();
    let mut spans: Vec<(usize, usize)> = crate::intake::scan::emails(text)
        .into_iter()
        .filter(|(address, at)| {
            !address.eq_ignore_ascii_case(recipient)
                && !crate::intake::reply::is_contact_address(text, at.clone())
        })
        .map(|(_, at)| (at.start, at.end))
        .collect();
    spans.extend(sender_domains(text));
    spans
}

/// The spans of the domains `text` names as the sender's: after "DMARC
/// policy for", "not allowed to send (mail) from", "sending domain", "domain
/// of", "from domain".
fn sender_domains(text: &str) -> Vec<(usize, usize)> {
    static SENDER_DOMAIN: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(re) = SENDER_DOMAIN
        .get_or_init(|| {
            regex::Regex::new(
                r"(?i)(?:dmarc policy (?:for|of)|not (?:allowed|permitted|authorized) to send (?:mail |email )?(?:from|for)|sending domain|domain of|from domain)[ :\[]*([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)",
            )
            .ok()
        })
        .as_ref()
    else {
        return Vec::new();
    };
    re.captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// The first provider, in file order, whose `when` holds on `found`.
fn first_provider(rs: &Ruleset, facts: &Facts, found: &Found) -> Option<ProviderIdx> {
    let inp = Input {
        facts,
        found,
        provider: None,
        verdicts: &[],
    };
    let mut scratch = Vec::new();
    open_gates(&rs.provider_index, facts, found)
        .into_iter()
        .find(|&p| {
            eval(
                rs,
                &rs.providers[p as usize].when,
                &inp,
                &mut scratch,
                false,
            )
        })
}

/// A rule that fired, with the spans of its evidence.
#[derive(Debug, Clone)]
pub struct Fired {
    pub rule: RuleIdx,
    pub evidence: Vec<(u32, u32)>,
    /// For a generic rule that fired on the reply code or status alone
    /// while words of the reply name another cause (see
    /// [`mark_overruled`]): the most it is worth then, `medium` or the
    /// confidence of the strongest of those words if that is less.
    pub overruled: Option<f32>,
}

impl Fired {
    /// What the answer is worth: the rule's confidence, capped when words
    /// of the reply overrule it.
    pub fn confidence(&self, rs: &Ruleset) -> f32 {
        let c = rs.rules[self.rule as usize].confidence;
        self.overruled.map_or(c, |cap| c.min(cap))
    }
}

/// Whether a rule fired on the reply code or enhanced status alone: a
/// generic rule (not a provider's) whose condition reads the code and
/// whose evidence holds no word of the reply. A condition that also reads
/// another fact (the stage of the conversation, a field, a check's
/// verdict) did not fire on the code alone: a 554 at connection time is
/// the client refused, whatever words follow.
fn status_alone(rs: &Ruleset, rule: RuleIdx, evidence: &[(u32, u32)]) -> bool {
    let r = &rs.rules[rule as usize];
    r.provider.is_none() && evidence.is_empty() && {
        let (code, other) = what_fires(rs, &r.when);
        code && !other
    }
}

/// Marks the rules that fired on the status alone while a rule that fired
/// on words names another cause (another category or reason). Mail
/// systems use RFC 3463's codes loosely (5.5.x for policy refusals, 5.2.2
/// for quotas of every kind, 5.4.6 for a domain's hourly limit), so where
/// the words say something else the words outrank the code, and the code
/// is worth no more than `medium`, nor more than the words that overrule
/// it: "550 5.1.1 sender is blacklisted" is the sender's address listed,
/// at what that wording is worth, not an unknown user at 0.9.
///
/// How sure a rule is and whether its words outrank a code are two things:
/// words name a cause from [`NAMES_A_CAUSE`] up, so a wording measured
/// right only half the time can promise that much and still outrank a
/// code that does not fit it. Below that are the catch-alls (a lone
/// "refused", "unclassified"), which name no cause and overrule nothing.
/// Where no words name a cause, the code is all there is and keeps the
/// rule's confidence (a bare `550 5.1.1` is an unknown user). A provider's
/// own table is not overruled: its codes mean what the provider publishes.
/// Run on the evidence as conditions found it, before
/// [`quote_what_is_implied`].
pub fn mark_overruled(rs: &Ruleset, fired: &mut [Fired]) {
    let alone: Vec<bool> = fired
        .iter()
        .map(|f| status_alone(rs, f.rule, &f.evidence))
        .collect();
    let words: Vec<(u32, &str, f32)> = fired
        .iter()
        .zip(&alone)
        .filter(|(f, a)| !**a && rs.rules[f.rule as usize].confidence >= NAMES_A_CAUSE)
        .map(|(f, _)| {
            let r = &rs.rules[f.rule as usize];
            (r.category, &*r.reason, r.confidence)
        })
        .collect();
    for (f, a) in fired.iter_mut().zip(alone) {
        let r = &rs.rules[f.rule as usize];
        f.overruled = if a {
            words
                .iter()
                .filter(|&&(c, why, _)| c != r.category || why != &*r.reason)
                .map(|&(_, _, conf)| conf.min(MEDIUM))
                .reduce(f32::max)
        } else {
            None
        };
    }
}

/// What the positive part of a condition (outside `not`) reads: the reply
/// code or status, and any other fact (stage, field, check verdict,
/// provider).
fn what_fires(rs: &Ruleset, e: &Expr) -> (bool, bool) {
    match e {
        Expr::Code { .. } | Expr::Status { .. } | Expr::Permanent(_) => (true, false),
        Expr::Stage(_) | Expr::Field(..) | Expr::Check { .. } | Expr::Provider(_) => (false, true),
        Expr::And(v) | Expr::Or(v) => v.iter().fold((false, false), |(c, o), x| {
            let (xc, xo) = what_fires(rs, x);
            (c || xc, o || xo)
        }),
        Expr::Rule(r) => what_fires(rs, &rs.rules[*r as usize].when),
        Expr::Not(_) | Expr::True | Expr::Text(_) => (false, false),
    }
}

/// The rules that may fire: those needing nothing in particular and those
/// one of whose needs the input has (a trigger found, its status, its
/// stage, ...). In rule order, without duplicates.
pub fn candidates(rs: &Ruleset, facts: &Facts, found: &Found) -> Vec<RuleIdx> {
    open_gates(&rs.rule_index, facts, found)
}

/// The members of `ix` whose gate the input opens, in order, each once (a
/// bitset over the members, read back in order).
fn open_gates(ix: &GateIndex, facts: &Facts, found: &Found) -> Vec<u32> {
    let mut set = vec![0u64; ix.members.div_ceil(64)];
    let mut add = |m: &u32| set[*m as usize / 64] |= 1 << (m % 64);
    ix.always.iter().for_each(&mut add);
    for (id, _, _) in &found.hits {
        ix.by_trigger[*id as usize].iter().for_each(&mut add);
    }
    if let Some(s) = facts.status {
        let own = ix
            .by_status
            .get(s.subject as usize)
            .filter(|_| s.subject < 8);
        for (p, m) in own.into_iter().chain(ix.by_status.get(8)).flatten() {
            if p.matches(s.class, s.subject, s.detail) {
                add(m);
            }
        }
    }
    if let Some(stage) = facts.stage {
        ix.by_stage[stage as usize].iter().for_each(&mut add);
    }
    if let Some(c) = facts.code {
        for (lo, hi, m) in &ix.by_code {
            if (*lo..=*hi).contains(&c) {
                add(m);
            }
        }
    }
    for (f, members) in ix.by_field.iter().enumerate() {
        if !members.is_empty() && !facts.field(Field::ALL[f]).is_empty() {
            members.iter().for_each(&mut add);
        }
    }
    for &f in &ix.suffix_fields {
        for v in facts.field(f) {
            let key = suffix_key(&lower_case(v));
            if let Some(members) = key.and_then(|k| ix.by_suffix.get(&(f, k))) {
                members.iter().for_each(&mut add);
            }
        }
    }
    if !facts.verdicts.is_empty() {
        ix.on_verdicts.iter().for_each(&mut add);
    }
    let mut out = Vec::with_capacity(16);
    for (w, mut bits) in set.into_iter().enumerate() {
        while bits != 0 {
            out.push((w * 64) as u32 + bits.trailing_zeros());
            bits &= bits - 1;
        }
    }
    out
}

/// Every rule that fires, ranked (see [`rank`]). On an automatic reply
/// (the `notice` fact set) only the rules that read `notice` run: the
/// others were written for failures, and an out-of-office text's words
/// ("my mailbox is full of messages") are no refusal.
pub fn fire(rs: &Ruleset, inp: &Input) -> Vec<Fired> {
    let mut fired = Vec::new();
    let notice = inp.facts.notice.is_some();
    for r in candidates(rs, inp.facts, inp.found) {
        if notice
            && !rs.rules[r as usize]
                .when
                .reads_field(Field::Notice, &rs.rules)
        {
            continue;
        }
        let mut evidence = Vec::new();
        if eval(rs, &rs.rules[r as usize].when, inp, &mut evidence, true) {
            evidence.sort_unstable();
            evidence.dedup();
            fired.push(Fired {
                rule: r,
                evidence,
                overruled: None,
            });
        }
    }
    mark_overruled(rs, &mut fired);
    rank(rs, &mut fired);
    fired
}

/// Ranks rules that fired: confidence (for one that words overrule, at
/// most `medium` and at most those words' own, see [`mark_overruled`]),
/// then words over an overruled code (so words at 0.5 still come first
/// when the code they overrule is capped to 0.5 too), then
/// provider-specific over generic, then priority, then order of definition.
pub fn rank(rs: &Ruleset, fired: &mut [Fired]) {
    fired.sort_by(|a, b| {
        let (ra, rb) = (&rs.rules[a.rule as usize], &rs.rules[b.rule as usize]);
        b.confidence(rs)
            .total_cmp(&a.confidence(rs))
            .then(a.overruled.is_some().cmp(&b.overruled.is_some()))
            .then(rb.provider.is_some().cmp(&ra.provider.is_some()))
            .then(rb.priority.cmp(&ra.priority))
            .then(a.rule.cmp(&b.rule))
    });
}

/// The whole matching step for one input: triggers, provider, ranked rules.
pub fn run(rs: &Ruleset, facts: &Facts) -> (Option<ProviderIdx>, Vec<Fired>) {
    let found = find_triggers(rs, &facts.text);
    let (provider, mut fired) = recognise_and_fire(rs, facts, &found);
    let inp = Input {
        facts,
        found: &found,
        provider,
        verdicts: &facts.verdicts,
    };
    quote_what_is_implied(rs, &inp, &mut fired);
    (provider, fired)
}

/// The provider and the rules that fire, ranked.
///
/// A refusal to relay comes from a server that is not the recipient
/// domain's own: it says it is no destination for that domain. Its
/// recipient's address then names the mailbox, not who answered ("550
/// 5.7.1 <bob@hotmail.it>... Relaying denied" is the sender's own relay,
/// and Microsoft's steps would send the reader to SNDS). So when the first
/// answer is a relay refusal (reason `norelaying`) and the words named the
/// provider, it is recognised again without the recipient's address, and
/// the rules fire again if that changes it. Other answers keep the
/// recipient's domain as a witness: a reply to `RCPT TO:<bob@icloud.com>`
/// about that mailbox is usually Apple's.
pub fn recognise_and_fire(
    rs: &Ruleset,
    facts: &Facts,
    found: &Found,
) -> (Option<ProviderIdx>, Vec<Fired>) {
    let provider = recognise_provider(rs, facts, found);
    let inp = Input {
        facts,
        found,
        provider,
        verdicts: &facts.verdicts,
    };
    let fired = fire(rs, &inp);
    let relay_refusal = fired
        .first()
        .is_some_and(|f| &*rs.rules[f.rule as usize].reason == "norelaying");
    if provider.is_none() || !relay_refusal || facts.recipient.is_none() {
        return (provider, fired);
    }
    let without = recognise_provider_by(rs, facts, found, Recipient::NamesSomeoneElse);
    if without == provider {
        return (provider, fired);
    }
    let inp = Input {
        provider: without,
        ..inp
    };
    (without, fire(rs, &inp))
}

/// A rule that fired on no words of the reply (on its status, code or a
/// fact alone) still quotes something: the enhanced status (else the reply
/// code) where the text shows it, when its condition reads them (a rule
/// that fired on the ESP's verdict alone quotes nothing of the reply), and,
/// for a provider's rule, the words that named the provider.
pub fn quote_what_is_implied(rs: &Ruleset, inp: &Input, fired: &mut [Fired]) {
    let mut provider_words: Option<Vec<(u32, u32)>> = None;
    for f in fired.iter_mut().filter(|f| f.evidence.is_empty()) {
        let rule = &rs.rules[f.rule as usize];
        let code = inp.facts.code.map(|c| c.to_string());
        let status = inp.facts.status.map(|s| s.to_string());
        if let Some(span) = [status, code]
            .iter()
            .flatten()
            .find_map(|needle| find_token(&inp.facts.text, needle))
            .filter(|_| rule.when.reads_reply_code(&rs.rules))
        {
            f.evidence.push(span);
        }
        if let (Some(p), Some(_)) = (rule.provider, inp.provider) {
            let words = provider_words.get_or_insert_with(|| {
                let mut w = Vec::new();
                eval(rs, &rs.providers[p as usize].when, inp, &mut w, true);
                w.sort_unstable();
                w.dedup();
                w
            });
            f.evidence.extend_from_slice(words);
            f.evidence.sort_unstable();
            f.evidence.dedup();
        }
    }
}

/// Where `needle` (a reply code or a status) stands in `text` as a whole
/// token, not inside a longer number or status.
pub fn find_token(text: &str, needle: &str) -> Option<(u32, u32)> {
    let b = text.as_bytes();
    let number_char = |c: u8| c.is_ascii_digit() || c == b'.';
    let mut from = 0;
    while let Some(i) = text[from..].find(needle) {
        let at = from + i;
        let end = at + needle.len();
        let before = at == 0 || !number_char(b[at - 1]);
        let after = end == b.len()
            || !(b[end].is_ascii_digit()
                || b[end] == b'.' && b.get(end + 1).is_some_and(u8::is_ascii_digit));
        if before && after {
            return Some((at as u32, end as u32));
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(ids: &[u32]) -> Found {
        let hits: Vec<(u32, u32, u32)> = ids.iter().map(|&i| (i, 0, 1)).collect();
        let mut present = vec![0u64; ids.iter().max().map_or(0, |m| *m as usize / 64 + 1)];
        for &i in ids {
            present[i as usize / 64] |= 1 << (i % 64);
        }
        Found { hits, present }
    }

    #[test]
    fn literals_match_whole_words_except_in_scripts_without_spaces() {
        let at = |text: &str, word: &str| {
            let start = text.find(word).expect("the word is in the text");
            at_word_boundaries(text, start, start + word.len())
        };
        assert!(!at("550 unblocked", "blocked"));
        assert!(at("550 Empfänger unbekannt", "unbekannt"));
        assert!(!at("550 Empfängerunbekannt", "unbekannt"));
        // a non-letter next to a word is an edge, ASCII or not
        assert!(at("550 «Benutzer unbekannt»", "Benutzer unbekannt"));
        // Chinese and Japanese write no spaces; Korean attaches particles
        assert!(at("550 收件人用户不存在", "用户不存在"));
        assert!(at(
            "550 宛先のメールアドレスが見つかりません",
            "見つかりません"
        ));
        assert!(at("550 수신자의 사용자가 없습니다", "사용자"));
        assert!(at("550 该邮件被识别为spam", "spam"));
    }

    #[test]
    fn gates_hold_on_text_without_letters_that_fold_to_ascii() {
        assert!(gates_are_exact("550 5.1.1 user unknown"));
        assert!(gates_are_exact("550 Empfänger unbekannt 收件人不存在"));
        assert!(!gates_are_exact("550 mailbox unavailable: Meſſage"));
        assert!(!gates_are_exact("550 \u{212A}elvin"));
    }

    #[test]
    fn the_senders_domain_in_an_spf_or_dmarc_refusal_is_blanked() {
        for (reply, domain) in [
            ("550 5.7.1 rejected by DMARC policy for comcast.net", "comcast.net"),
            ("550 [SPF] 192.0.2.10 is not allowed to send mail from gmail.com.", "gmail.com"),
            (
                "550 5.7.509 Access denied, sending domain [GMAIL.COM] does not pass DMARC verification",
                "GMAIL.COM",
            ),
        ] {
            let facts = crate::intake::reply::parse_reply(reply);
            let spans = addresses_not_naming_the_replier(&facts);
            let words: Vec<&str> = spans.iter().map(|&(a, b)| &facts.text[a..b]).collect();
            assert_eq!(words, [domain], "{reply}");
        }
        // a domain the reply does not name as the sender's stays
        let facts =
            crate::intake::reply::parse_reply("550 5.7.1 see https://postmaster.comcast.net/");
        assert!(addresses_not_naming_the_replier(&facts).is_empty());
    }

    #[test]
    fn only_addresses_that_do_not_name_the_replier_are_blanked() {
        let facts = crate::intake::reply::parse_reply(
            "550 5.1.1 <bob@icloud.com>: unknown; sender joe.b+x@mail.yahoo.com; contact us at help@aol.com",
        );
        let spans = addresses_not_naming_the_replier(&facts);
        let words: Vec<&str> = spans.iter().map(|&(a, b)| &facts.text[a..b]).collect();
        assert_eq!(words, ["joe.b+x@mail.yahoo.com"]);
        let blank = blanked(&facts.text, &spans);
        assert_eq!(blank.len(), facts.text.len());
        assert!(!blank.contains("yahoo") && blank.contains("icloud") && blank.contains("aol"));
    }

    #[test]
    fn any_of_agrees_with_one_test_per_id() {
        let sets: &[&[u32]] = &[&[], &[0], &[63], &[64], &[130], &[5, 70, 200]];
        let queries: &[&[u32]] = &[
            &[],
            &[0],
            &[1, 2, 3],
            &[60, 61, 62, 63, 64, 65],
            &[64],
            &[65, 66],
            &[100, 101, 102, 103],
            &[129, 130, 131],
            &[195, 196, 197, 198, 199, 200],
            &[201, 202],
            &[5, 70],
            &[6, 71],
            &[300, 301],
        ];
        for set in sets {
            let f = found(set);
            for q in queries {
                let slow = q.iter().any(|&id| f.get(id).is_some());
                assert_eq!(f.any_of(q), slow, "set {set:?} query {q:?}");
            }
        }
    }
}
