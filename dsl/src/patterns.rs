//! Interning triggers and building the one-pass matchers.
//!
//! Every `"literal"` of every rule and provider is normalised (white space
//! folded, lower-cased), deduplicated, and put into a single Aho-Corasick
//! automaton that matches ASCII case-insensitively; every `/regex/` goes into
//! one `RegexSet` (always case-insensitive). A trigger's id is its index:
//! literals first, then regexes. Two rules sharing a trigger share its id, so
//! the text is scanned once however many rules there are.

use crate::ir::{PatternId, Patterns};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

/// Folds runs of white space to one space, typographic quotes and dashes to
/// ASCII ([`ascii_punctuation`]), and lower-cases: the form in which
/// literals are compared with equally normalised text.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(ascii_punctuation(c).to_lowercase());
    }
    out
}

/// The ASCII form of a typographic quote, apostrophe or dash; any other
/// character as it is. Replies pasted from web pages and word processors
/// carry them where the server wrote ASCII, so the intake folds them in
/// the input and [`normalize`] in literals alike.
pub fn ascii_punctuation(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
        _ => c,
    }
}

/// A regex source with its typographic quotes and dashes written as the
/// ASCII the input is folded to ([`ascii_punctuation`]): a regex that says
/// `doesn’t` must find `doesn't`, as a literal does. A dash becomes `\-`,
/// which means a hyphen inside a character class and outside alike (a bare
/// `-` between two class members would make a range).
pub fn fold_regex(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for c in src.chars() {
        match ascii_punctuation(c) {
            '-' if c != '-' => out.push_str("\\-"),
            a => out.push(a),
        }
    }
    out
}

#[derive(Default)]
pub struct PatternBuilder {
    literals: Vec<String>,
    literal_ids: HashMap<String, u32>,
    regexes: Vec<String>,
    regex_ids: HashMap<String, u32>,
}

impl PatternBuilder {
    /// The id of a literal; the same text gives the same id. Literal ids are
    /// final; regex ids are offset by the literal count in [`Self::build`].
    pub fn literal(&mut self, s: &str) -> PatternId {
        let n = normalize(s);
        if let Some(&id) = self.literal_ids.get(&n) {
            return id;
        }
        let id = self.literals.len() as u32;
        self.literal_ids.insert(n.clone(), id);
        self.literals.push(n);
        id
    }

    /// Regex ids are handed out from the top of the id space and remapped in
    /// `build`, so literals and regexes can be interned in any order.
    pub fn regex(&mut self, s: &str) -> PatternId {
        let folded = fold_regex(s);
        let s = folded.as_str();
        if let Some(&id) = self.regex_ids.get(s) {
            return REGEX_BASE + id;
        }
        let id = self.regexes.len() as u32;
        self.regex_ids.insert(s.to_string(), id);
        self.regexes.push(s.to_string());
        REGEX_BASE + id
    }

    pub fn build(self) -> Result<Patterns, String> {
        let sources: Vec<String> = self.regexes.iter().map(|r| compiled_source(r)).collect();
        // Gate literals follow the trigger literals in the automaton.
        let mut searched = self.literals.clone();
        let mut gates = Vec::new();
        let mut ungated = Vec::new();
        for (i, src) in self.regexes.iter().enumerate() {
            match gate_literals(&ascii_word_boundaries(src)) {
                Some(lits) => {
                    for l in lits {
                        searched.push(l);
                        gates.push(i as u32);
                    }
                }
                None => ungated.push(i as u32),
            }
        }
        Patterns::assemble(crate::prebuilt::PatternsData {
            literals: self.literals,
            searched,
            regex_sources: self.regexes,
            ungated,
            gates,
            compiled_sources: sources,
        })
    }

    pub fn literal_count(&self) -> u32 {
        self.literals.len() as u32
    }
}

impl Patterns {
    /// The matchers from their sources: the automata over the searched
    /// literals and the regexes (and their set) are built when a run first
    /// needs them (see [`crate::ir::DIRECT_BUDGET`]).
    pub(crate) fn assemble(data: crate::prebuilt::PatternsData) -> Result<Patterns, String> {
        let crate::prebuilt::PatternsData {
            literals,
            searched,
            regex_sources,
            ungated,
            gates,
            compiled_sources,
        } = data;
        Ok(Patterns {
            literals,
            automata: std::sync::Arc::new(crate::ir::LazyAutomata::new(searched)),
            regex_sources,
            regex_set: std::sync::OnceLock::new(),
            ungated,
            gates,
            regexes: compiled_sources
                .iter()
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            compiled_sources,
        })
    }
}

/// The literals one of which every match of `src` starts with (or, failing
/// that, ends with), lower-cased, or `None` when there is no short, finite
/// list of them (`\d+` alone, say): such a regex runs over every text.
///
/// They are worked out from the regex as written, without `(?i)`: a
/// case-insensitive match differs from a case-sensitive one only in ASCII
/// case, which the automaton ignores, unless the text has one of the two
/// letters Unicode folds to ASCII (`ſ` to `s`, the Kelvin sign to `k`): on
/// such a text every regex runs (the engine's `gates_are_exact`).
///
/// A short prefix (`is\s+in\s+an\s.*?rbl`, `[45]\.\d\.\d+ szn;`,
/// `mail\s+score\s+\(`) opens the regex on most texts; when every match
/// also contains a longer literal somewhere (`rbl`, ` szn;`, `score`), that
/// literal is the gate instead (the longer, the rarer): a gate only has to
/// be present for the regex to have a chance.
fn gate_literals(src: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::parse(src).ok()?;
    gate_of(&hir)
}

/// The most literals a gate may hold: past this, a regex is opened by so
/// many words that it may as well run everywhere.
const GATE_MAX: usize = 64;

/// The gate of `hir`: the gate of the regex taken whole if it has one;
/// else, for an alternation (`a|b|c`), the union of its branches' gates,
/// and for a sequence, the gate of one part every match must contain (an
/// alternation between word boundaries: `\b(?:a|b)(?:x)?\b`). So a regex
/// listing many codes is not left to run over every text because the
/// prefixes of all its branches together are too many for one extraction.
fn gate_of(hir: &regex_syntax::hir::Hir) -> Option<Vec<String>> {
    use regex_syntax::hir::HirKind;
    if let Some(whole) = gate_of_sequence(hir) {
        // a required part rarer than the regex's own ends gates it instead:
        // `\b(?:users?|mailbox)\b.{0,40}?(?:disabled|suspended)\b` opens on
        // the states, not on every "user"
        let part = match hir.kind() {
            HirKind::Concat(parts) => best_part_gate(parts),
            _ => None,
        };
        return Some(match part {
            Some(p) if gate_strength(&p) > gate_strength(&whole) => p,
            _ => whole,
        });
    }
    match hir.kind() {
        HirKind::Capture(c) => gate_of(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => gate_of(&r.sub),
        HirKind::Alternation(branches) => {
            let mut union: Vec<String> = Vec::new();
            for branch in branches {
                for l in gate_of(branch)? {
                    if !union.contains(&l) {
                        union.push(l);
                    }
                }
            }
            (union.len() <= GATE_MAX).then_some(union)
        }
        HirKind::Concat(parts) => best_part_gate(parts),
        _ => None,
    }
}

/// Of the parts of a sequence that every match contains, the one whose gate
/// is rarest ([`gate_strength`]).
fn best_part_gate(parts: &[regex_syntax::hir::Hir]) -> Option<Vec<String>> {
    parts
        .iter()
        .filter(|p| p.properties().minimum_len().is_some_and(|n| n > 0))
        .filter_map(gate_of)
        .max_by_key(|g| gate_strength(g))
}

/// How rarely a gate opens, roughly: no boilerplate among its literals
/// first, then the length of its shortest literal (the longer, the rarer).
fn gate_strength(gate: &[String]) -> (bool, usize) {
    (
        gate.iter().all(|l| !is_boilerplate(l)),
        gate.iter().map(String::len).min().unwrap_or(0),
    )
}

/// The gate of a regex taken whole: its prefixes (or suffixes), or a
/// longer literal every match contains when those are weak.
fn gate_of_sequence(hir: &regex_syntax::hir::Hir) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::ExtractKind;
    let ends =
        literals_of(hir, ExtractKind::Prefix).or_else(|| literals_of(hir, ExtractKind::Suffix));
    let shortest = ends
        .as_ref()
        .and_then(|ls| ls.iter().map(String::len).min())
        .unwrap_or(0);
    let weak = ends
        .as_ref()
        .is_none_or(|ls| ls.iter().any(|l| l.len() < 4 || is_boilerplate(l)));
    match required_literal(hir) {
        Some(inner)
            if inner.len() >= 3 && (inner.len() > shortest || (weak && is_word_like(&inner))) =>
        {
            Some(vec![inner])
        }
        _ => ends,
    }
}

/// Words in nearly every bounce, as a gate, open the regex on most texts:
/// the lints' list of words too common to be a trigger
/// ([`COMMON_WORDS`](crate::lints::COMMON_WORDS)), and the words of
/// rejections themselves.
const GATE_BOILERPLATE: &[&str] = &["messages", "reject", "rejected", "said:"];

fn is_boilerplate(literal: &str) -> bool {
    let word = literal.trim();
    crate::lints::COMMON_WORDS.contains(&word) || GATE_BOILERPLATE.contains(&word)
}

/// A literal rare enough to gate a regex whose own prefix is weak: four
/// letters or digits or more, a letter among them, not boilerplate (not
/// ` - `, not `421`).
fn is_word_like(literal: &str) -> bool {
    let alnum = literal.bytes().filter(u8::is_ascii_alphanumeric).count();
    alnum >= 4 && literal.bytes().any(|b| b.is_ascii_alphabetic()) && !is_boilerplate(literal)
}

/// The longest literal that every match of `hir` contains, lower-cased
/// (ASCII only): a literal, or the longest required part of a sequence.
/// Of several, the rarest: a word that is not boilerplate, then the longest.
fn required_literal(hir: &regex_syntax::hir::Hir) -> Option<String> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Literal(l) => std::str::from_utf8(&l.0)
            .ok()
            .filter(|s| gate_safe(s))
            .map(str::to_ascii_lowercase),
        HirKind::Capture(c) => required_literal(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literal(&r.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required_literal)
            .max_by_key(|l| (!is_boilerplate(l), l.len())),
        _ => None,
    }
}

/// Whether a literal can gate a regex: ASCII (whose case the automaton
/// ignores), or characters without case (Chinese, Japanese, Korean), which
/// `(?i)` leaves as they are. A regex that needs one of those characters
/// cannot match ASCII text, and on other text every regex runs anyway.
fn gate_safe(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii() || (!c.is_lowercase() && !c.is_uppercase() && c.is_alphanumeric()))
}

/// The literals every match starts with (`Prefix`) or ends with (`Suffix`).
fn literals_of(
    hir: &regex_syntax::hir::Hir,
    kind: regex_syntax::hir::literal::ExtractKind,
) -> Option<Vec<String>> {
    let seq = regex_syntax::hir::literal::Extractor::new()
        .kind(kind)
        .extract(hir);
    let mut out: Vec<String> = Vec::new();
    for l in seq.literals()? {
        let s = std::str::from_utf8(l.as_bytes()).ok()?;
        // Short prefixes would open the gate on most texts.
        if !gate_safe(s) || s.len() < 2 {
            return None;
        }
        let s = s.to_ascii_lowercase();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    (!out.is_empty() && out.len() <= 16).then_some(out)
}

/// The one-pass automaton over `patterns` (every overlapping match), of
/// the given kind: the same answers whatever the kind, only build time and
/// search speed differ.
///
/// The patterns are lower-case and the automaton is case-sensitive: it
/// searches the text with ASCII letters lower-cased ([`search_form`]). That
/// is ASCII case-insensitive matching, with half the letters in the
/// automaton's alphabet, so its table is smaller and stays in cache.
pub fn automaton(
    patterns: &[String],
    kind: AhoCorasickKind,
) -> Result<AhoCorasick, aho_corasick::BuildError> {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(patterns)
}

/// The text as the automaton searches it: letters lower-cased, every byte
/// at the same offset as in `text`, so a match's span quotes the text. A
/// letter whose lower case is longer or shorter in UTF-8 (Turkish `İ`, the
/// Kelvin sign) stays as it is; literals are lower-cased by [`normalize`],
/// so "Überschritten" and "ТАКОГО" find "überschritten" and "такого".
pub fn search_form(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) if l.len_utf8() == c.len_utf8() => out.push(l),
            _ => out.push(c),
        }
    }
    out
}

/// Provisional ids of regexes before remapping.
pub const REGEX_BASE: u32 = 1 << 30;

/// Turns a provisional id into its final one.
pub fn remap(id: PatternId, literal_count: u32) -> PatternId {
    if id >= REGEX_BASE {
        id - REGEX_BASE + literal_count
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regex_is_folded_as_the_input_is() {
        assert_eq!(fold_regex("doesn\u{2019}t"), "doesn't");
        assert_eq!(fold_regex("[a\u{2013}z]"), "[a\\-z]");
        assert_eq!(fold_regex("a-z \u{201C}x\u{201D}"), "a-z \"x\"");
        assert!(regex::Regex::new(&fold_regex("[a\u{2013}z]+"))
            .unwrap()
            .is_match("-"));
    }

    #[test]
    fn the_long_run_automaton_finds_what_the_start_up_one_finds() {
        // A long run swaps the noncontiguous NFA for a contiguous one
        // (ir::Patterns::searcher): the matches must be the same.
        let words: Vec<String> = [
            "user unknown",
            "unknown",
            "mailbox full",
            "full",
            "blocked using",
            "spamhaus",
            "überschritten",
        ]
        .iter()
        .map(|w| w.to_string())
        .collect();
        let start = automaton(&words, AhoCorasickKind::NoncontiguousNFA).unwrap();
        let long = automaton(&words, AhoCorasickKind::ContiguousNFA).unwrap();
        for text in [
            "550 5.1.1 user unknown; mailbox full",
            "554 blocked using zen.spamhaus.org",
            "552 quota überschritten",
            "250 ok",
        ] {
            let form = search_form(text);
            let found = |a: &AhoCorasick| {
                a.find_overlapping_iter(&form)
                    .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(found(&start), found(&long), "{text}");
        }
    }

    #[test]
    fn the_search_form_lowers_every_letter_it_can_in_place() {
        let text = "550 Postfach ÜBERSCHRITTEN; Такого пользователя НЕТ; İstanbul \u{212A}";
        let lower = search_form(text);
        assert_eq!(lower.len(), text.len());
        assert!(lower.contains("überschritten") && lower.contains("такого пользователя нет"));
        // letters whose lower case changes length stay, so offsets hold
        assert!(lower.contains("İstanbul") && lower.contains('\u{212A}'));
        assert_eq!(search_form("550 USER Unknown"), "550 user unknown");
    }

    #[test]
    fn gates_are_the_prefixes_every_match_starts_with() {
        let g = |r: &str| gate_literals(&ascii_word_boundaries(r));
        let aup = g(r"AUP#In-12[0-5]\d").unwrap();
        assert_eq!(aup.len(), 6, "{aup:?}");
        assert!(aup.iter().all(|l| l.starts_with("aup#in-12")), "{aup:?}");
        let mut zen = g(r"\b(zen|sbl)\.spamhaus\.org\b").unwrap();
        zen.sort();
        assert_eq!(zen, vec!["sbl.spamhaus.org", "zen.spamhaus.org"]);
        // no usable prefix: what every match ends with
        assert_eq!(
            g(r"^\d{3} [a-z]+ does not exist"),
            Some(vec![" does not exist".to_string()])
        );
        let orange = g(r"\b(LPN|OFR|ODR)?\d{0,3}_?416\b").unwrap();
        assert!(orange.iter().all(|l| l.ends_with("416")), "{orange:?}");
        // neither: runs on every text
        assert_eq!(g(r"x+"), None);
        assert_eq!(g(r"\d{3}"), None);
        // a short prefix gives way to a longer literal every match contains
        assert_eq!(
            g(r"is\s+in\s+an\s.*?rbl\s+on\s"),
            Some(vec!["rbl".to_string()])
        );
        assert_eq!(g(r"\b[45]\.\d\.\d+ szn;"), Some(vec![" szn;".to_string()]));
        assert_eq!(
            g(r"ip\s.*?\sis\s+blocked\s+by\s+(Earthlink)"),
            Some(vec!["earthlink".to_string()])
        );
        // an optional part is not required
        // a boilerplate prefix gives way to a rarer word
        assert_eq!(
            g(r"message\s+size\s+\(\d+\)\s+exceeds\s+fixed"),
            Some(vec!["exceeds".to_string()])
        );
        // not for punctuation or a bare number
        assert_eq!(
            g(r"\bIP=\S+ - .*\((NOWL|BL)\)"),
            Some(vec!["ip=".to_string()])
        );
        // characters without case gate too (Chinese has no case to fold)
        let mut full = g(r"收件人(?:邮|郵)箱已(?:满|滿)").unwrap();
        full.sort();
        assert_eq!(full.len(), 4, "{full:?}");
        assert!(full.contains(&"收件人邮箱已满".to_string()), "{full:?}");
        // but not a letter with case outside ASCII
        assert_eq!(g(r"(?:ü|ue)bersch"), Some(vec!["bersch".to_string()]));
        let optional = g(r"ab(?:longword)?").unwrap();
        assert!(optional.contains(&"ab".to_string()), "{optional:?}");
        // a subject word opens less often than the state that follows it
        let mut states =
            g(r"\b(?:users?|mailbox)\b[^.]{0,40}?\b(?:is )?(?:disabled|suspended)\b").unwrap();
        states.sort();
        assert_eq!(states, vec!["disabled", "suspended"]);
    }

    #[test]
    fn an_alternation_too_wide_for_one_extraction_is_gated_by_its_branches() {
        let g = |r: &str| gate_literals(&ascii_word_boundaries(r));
        // Yahoo's codes: the prefixes of all branches together are hundreds
        let codes =
            g(r"\bVS\d{1,2}-(?:IP|MF)\d?\b|\(AU01\)|\b(?:RTR:(?:BB|BG|BL)|HVU:B\d|MFF:[A-Z]?\d)\b")
                .expect("gated");
        assert!(codes.contains(&"(au01)".to_string()), "{codes:?}");
        assert!(codes.contains(&"rtr:bb".to_string()), "{codes:?}");
        assert!(codes.iter().any(|l| l.starts_with("mff:")), "{codes:?}");
        assert!(codes.iter().any(|l| l.starts_with("vs")), "{codes:?}");
        // exception names, each optionally suffixed
        let names = g(r"\b(?:AccountSendingPaused|SendingPaused|AccountSuspended|AccountThrottled|A1|B2|C3|D4|E5)(?:Exception)?\b|\bInvalidSendingPoolName\b")
            .expect("gated");
        assert!(
            names.contains(&"invalidsendingpoolname".to_string()),
            "{names:?}"
        );
        // a branch with no gate leaves the whole ungated
        assert_eq!(g(r"\bfoo\b|\d{3}"), None);
    }

    #[test]
    fn normalises_space_and_case() {
        assert_eq!(normalize("  Blocked \t USING  "), "blocked using");
    }

    #[test]
    fn interns_duplicates() {
        let mut b = PatternBuilder::default();
        let a = b.literal("Listed in Spamhaus");
        let c = b.literal("listed  in spamhaus");
        assert_eq!(a, c);
        let r1 = b.regex("a+");
        assert_eq!(r1, b.regex("a+"));
        assert_ne!(a, r1);
    }
}

/// Rewrites `\b` and `\B` as ASCII word boundaries (`(?-u:\b)`). A Unicode
/// word boundary makes the regex crate leave its fast DFA for a much slower
/// engine on any non-ASCII text (bounces are full of it); the words that
/// triggers delimit (codes, tokens, English words) are ASCII.
pub fn ascii_word_boundaries(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 8);
    let mut chars = src.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod ascii_tests {
    use super::ascii_word_boundaries;

    #[test]
    fn word_boundaries_become_ascii() {
        assert_eq!(
            ascii_word_boundaries(r"\bBL0\d{2}\b"),
            r"(?-u:\b)BL0\d{2}(?-u:\b)"
        );
        assert_eq!(ascii_word_boundaries(r"a\\b"), r"a\\b");
        assert_eq!(ascii_word_boundaries(r"\Bx"), r"(?-u:\B)x");
    }
}

/// A trigger regex's source as the engine compiles it: case-insensitive,
/// with ASCII word boundaries.
pub fn compiled_source(source: &str) -> String {
    format!("(?i){}", ascii_word_boundaries(source))
}
