//! Running a compiled ruleset over facts.
//!
//! One call does one pass over the text: the Aho-Corasick automaton reports
//! every literal trigger present (overlapping matches included), the
//! `RegexSet` every regex trigger. Only rules whose triggers occur, plus the
//! rules that need no trigger, have their conditions evaluated. The provider
//! is recognised first, since rule conditions may test it.

use crate::facts::Facts;
use bouncedx_dsl::ir::{Expr, FieldMatch, ProviderIdx, RuleIdx, Ruleset};

/// The triggers found in a text: `(id, start, end)`, the first occurrence of
/// each, sorted by id.
#[derive(Debug, Default, Clone)]
pub struct Found {
    pub hits: Vec<(u32, u32, u32)>,
}

impl Found {
    pub fn get(&self, id: u32) -> Option<(u32, u32)> {
        self.hits
            .binary_search_by_key(&id, |h| h.0)
            .ok()
            .map(|i| (self.hits[i].1, self.hits[i].2))
    }
}

/// Finds every trigger of the ruleset in `text`.
pub fn find_triggers(rs: &Ruleset, text: &str) -> Found {
    let mut hits: Vec<(u32, u32, u32)> = Vec::new();
    let bytes = text.as_bytes();
    for m in rs.patterns.automaton.find_overlapping_iter(text) {
        if at_word_boundaries(bytes, m.start(), m.end()) {
            hits.push((m.pattern().as_u32(), m.start() as u32, m.end() as u32));
        }
    }
    let base = rs.patterns.literals.len() as u32;
    if !rs.patterns.regexes.is_empty() {
        for i in rs.patterns.regex_set.matches(text).iter() {
            if let Some(m) = rs.patterns.regexes[i].find(text) {
                hits.push((base + i as u32, m.start() as u32, m.end() as u32));
            }
        }
    }
    // keep the first occurrence of each id
    hits.sort_unstable();
    hits.dedup_by_key(|h| h.0);
    Found { hits }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Literals match whole words: `blocked` is not found in `unblocked`, and
/// `locked` not in `blocked`. Where a literal starts or ends with a
/// non-word character (`- spam`, `aup#`), that side needs no boundary.
pub fn at_word_boundaries(text: &[u8], start: usize, end: usize) -> bool {
    let left = start == 0 || !is_word(text[start]) || !is_word(text[start - 1]);
    let right = end == text.len() || !is_word(text[end - 1]) || !is_word(text[end]);
    left && right
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
        Expr::Text(ids) => {
            let mut any = false;
            for id in ids {
                if let Some(span) = inp.found.get(*id) {
                    any = true;
                    if positive {
                        evidence.push(span);
                    } else {
                        break;
                    }
                }
            }
            any
        }
        Expr::Field(f, m) => field_matches(inp.facts.field(*f), m),
        Expr::Rule(r) => eval(rs, &rs.rules[*r as usize].when, inp, evidence, positive),
        Expr::Check { check, verdict } => {
            inp.verdicts.iter().any(|(c, v)| c == check && v == verdict)
        }
    }
}

pub fn field_matches(values: &[String], m: &FieldMatch) -> bool {
    values.iter().any(|v| {
        let v = v.to_lowercase();
        match m {
            FieldMatch::Exists => true,
            FieldMatch::Is(xs) => xs.contains(&v),
            FieldMatch::EndsWith(xs) => xs.iter().any(|x| v.ends_with(x.as_str())),
            FieldMatch::StartsWith(xs) => xs.iter().any(|x| v.starts_with(x.as_str())),
            FieldMatch::Contains(xs) => xs.iter().any(|x| v.contains(x.as_str())),
            FieldMatch::Matches(rs) => rs.iter().any(|r| r.is_match(&v)),
        }
    })
}

/// The provider that answered: the first whose `when` holds.
pub fn recognise_provider(rs: &Ruleset, facts: &Facts, found: &Found) -> Option<ProviderIdx> {
    let inp = Input {
        facts,
        found,
        provider: None,
        verdicts: &[],
    };
    let mut scratch = Vec::new();
    rs.providers
        .iter()
        .position(|p| eval(rs, &p.when, &inp, &mut scratch, false))
        .map(|i| i as ProviderIdx)
}

/// A rule that fired, with the spans of its evidence.
#[derive(Debug, Clone)]
pub struct Fired {
    pub rule: RuleIdx,
    pub evidence: Vec<(u32, u32)>,
}

/// The rules that may fire: those needing no trigger, and those one of
/// whose triggers was found. Sorted, without duplicates.
pub fn candidates(rs: &Ruleset, found: &Found) -> Vec<RuleIdx> {
    let mut c: Vec<RuleIdx> = rs.always.clone();
    for (id, _, _) in &found.hits {
        c.extend_from_slice(&rs.by_pattern[*id as usize]);
    }
    c.sort_unstable();
    c.dedup();
    c
}

/// Every rule that fires, ranked: confidence, then provider-specific over
/// generic, then priority, then order of definition.
pub fn fire(rs: &Ruleset, inp: &Input) -> Vec<Fired> {
    let mut fired = Vec::new();
    for r in candidates(rs, inp.found) {
        let mut evidence = Vec::new();
        if eval(rs, &rs.rules[r as usize].when, inp, &mut evidence, true) {
            evidence.sort_unstable();
            evidence.dedup();
            fired.push(Fired { rule: r, evidence });
        }
    }
    fired.sort_by(|a, b| {
        let (ra, rb) = (&rs.rules[a.rule as usize], &rs.rules[b.rule as usize]);
        rb.confidence
            .total_cmp(&ra.confidence)
            .then(rb.provider.is_some().cmp(&ra.provider.is_some()))
            .then(rb.priority.cmp(&ra.priority))
            .then(a.rule.cmp(&b.rule))
    });
    fired
}

/// The whole matching step for one input: triggers, provider, ranked rules.
pub fn run(rs: &Ruleset, facts: &Facts) -> (Option<ProviderIdx>, Vec<Fired>) {
    let found = find_triggers(rs, &facts.text);
    let provider = recognise_provider(rs, facts, &found);
    let inp = Input {
        facts,
        found: &found,
        provider,
        verdicts: &[],
    };
    let fired = fire(rs, &inp);
    (provider, fired)
}
