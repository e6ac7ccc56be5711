//! The compiled ruleset: what the engine runs.
//!
//! Compilation turns names into indices and text into typed values, so the
//! engine never looks anything up by string while matching:
//!
//! - every literal trigger of every rule and provider lives in **one**
//!   case-insensitive Aho-Corasick automaton, and every regex trigger in one
//!   `RegexSet` ([`Patterns`]); one pass over an input's text yields the set
//!   of triggers present;
//! - conditions are small [`Expr`] trees over facts and trigger ids;
//! - [`Ruleset::by_pattern`] maps each trigger to the rules that need it, so
//!   only rules whose triggers occur, whose status pattern the reply's status
//!   matches ([`Ruleset::by_status`]), whose cheap [`Gate`] holds
//!   ([`Ruleset::gated`]: a stage, a reply code, a fact present, a check
//!   verdict), plus the few in [`Ruleset::always`], are evaluated at all.

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexSet};

/// Index of a trigger: literals first, then regexes.
pub type PatternId = u32;
pub type RuleIdx = u32;
pub type ProviderIdx = u32;
pub type CategoryIdx = u32;

/// Every text trigger of the ruleset, compiled for one pass.
#[derive(Debug, Clone)]
pub struct Patterns {
    /// Literals, normalised: lower case, runs of white space folded to one space.
    pub literals: Vec<String>,
    /// The trigger literals then the gate literals, as one automaton: a
    /// contiguous NFA, quick to build (a run for one reply pays ~1 ms).
    pub automaton: AhoCorasick,
    /// The same patterns as a DFA: about 15% faster to search, about 10 ms
    /// to build. It is built on another thread once a run has searched
    /// [`DFA_AFTER`] texts, and used from then on; the answers are the same.
    pub dfa: std::sync::Arc<LazyDfa>,
    /// Regex sources (without the `(?i)` prefix).
    pub regex_sources: Vec<String>,
    /// Every regex, as one set: run over text that is not all ASCII.
    pub regex_set: RegexSet,
    /// Indices (into `regexes`) of the regexes that have no gate: each runs
    /// on its own over every ASCII text (alone, a regex searches with its own
    /// literal prefilter, which a set cannot).
    pub ungated: Vec<u32>,
    /// For automaton pattern `literals.len() + k`, the regex that the `k`th
    /// gate literal opens: a regex every match of which starts with one of
    /// its gate literals runs only when the automaton saw one of them.
    pub gates: Vec<u32>,
    /// The same regexes one by one, to find where a matched one matched;
    /// each is compiled the first time the set reports it (most never
    /// match, and compiling them all would slow every start).
    pub regexes: Vec<std::sync::OnceLock<Regex>>,
    /// The patterns the regexes are compiled from (`(?i)`, ASCII `\b`).
    pub compiled_sources: Vec<String>,
}

/// How many texts a run searches with the NFA before building the DFA.
pub const DFA_AFTER: usize = 50_000;

/// The DFA of [`Patterns::dfa`], and what is needed to build it.
#[derive(Debug, Default)]
pub struct LazyDfa {
    pub patterns: Vec<String>,
    searched: std::sync::atomic::AtomicUsize,
    built: std::sync::OnceLock<AhoCorasick>,
}

impl LazyDfa {
    pub fn new(patterns: Vec<String>) -> LazyDfa {
        LazyDfa {
            patterns,
            ..LazyDfa::default()
        }
    }
}

impl Patterns {
    /// The automaton to search with: the DFA once built, the NFA until
    /// then. Counts searches so that a long run starts building the DFA
    /// (on its own thread; if no thread can be started, the NFA stays).
    pub fn searcher(&self) -> &AhoCorasick {
        use std::sync::atomic::Ordering;
        if let Some(dfa) = self.dfa.built.get() {
            return dfa;
        }
        if self.dfa.searched.fetch_add(1, Ordering::Relaxed) == DFA_AFTER {
            let lazy = std::sync::Arc::clone(&self.dfa);
            let _ = std::thread::Builder::new()
                .name("bouncedx-dfa".into())
                .spawn(move || {
                    let built = crate::patterns::automaton(
                        &lazy.patterns,
                        aho_corasick::AhoCorasickKind::DFA,
                    );
                    if let Ok(dfa) = built {
                        let _ = lazy.built.set(dfa);
                    }
                });
        }
        &self.automaton
    }

    /// Regex `i`, compiled on first use. The set compiled the same source,
    /// so it is valid.
    pub fn regex(&self, i: usize) -> &Regex {
        self.regexes[i].get_or_init(|| {
            Regex::new(&self.compiled_sources[i]).expect("the RegexSet compiled this source")
        })
    }
}

impl Patterns {
    pub fn len(&self) -> usize {
        self.literals.len() + self.regexes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How a trigger was written, for explanations.
    pub fn describe(&self, id: PatternId) -> String {
        let id = id as usize;
        if id < self.literals.len() {
            format!("\"{}\"", self.literals[id])
        } else {
            format!("/{}/", self.regex_sources[id - self.literals.len()])
        }
    }
}

/// A fact of the input that conditions can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Host,
    RemoteIp,
    ClientIp,
    Recipient,
    Domain,
    Sender,
    SenderDomain,
    Mta,
    Token,
    Url,
}

impl Field {
    pub fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "host" => Field::Host,
            "remote_ip" => Field::RemoteIp,
            "client_ip" => Field::ClientIp,
            "recipient" => Field::Recipient,
            "domain" => Field::Domain,
            "sender" => Field::Sender,
            "sender_domain" => Field::SenderDomain,
            "mta" => Field::Mta,
            "token" => Field::Token,
            "url" => Field::Url,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Field::Host => "host",
            Field::RemoteIp => "remote_ip",
            Field::ClientIp => "client_ip",
            Field::Recipient => "recipient",
            Field::Domain => "domain",
            Field::Sender => "sender",
            Field::SenderDomain => "sender_domain",
            Field::Mta => "mta",
            Field::Token => "token",
            Field::Url => "url",
        }
    }
}

/// The SMTP stage a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Connect,
    Helo,
    Auth,
    Mail,
    Rcpt,
    Data,
}

impl Stage {
    pub fn from_name(name: &str) -> Option<Stage> {
        Some(match name {
            "connect" => Stage::Connect,
            "helo" => Stage::Helo,
            "auth" => Stage::Auth,
            "mail" => Stage::Mail,
            "rcpt" => Stage::Rcpt,
            "data" => Stage::Data,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Helo => "helo",
            Stage::Auth => "auth",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
        }
    }
}

/// A comparison of a field against values.
#[derive(Debug, Clone)]
pub enum FieldMatch {
    Is(Vec<String>),
    EndsWith(Vec<String>),
    StartsWith(Vec<String>),
    Contains(Vec<String>),
    Matches(Vec<Regex>),
    Exists,
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Expr {
    True,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// Reply code within `lo..=hi`.
    Code {
        lo: u16,
        hi: u16,
    },
    /// Enhanced status; `None` parts match anything.
    Status {
        class: Option<u16>,
        subject: Option<u16>,
        detail: Option<u16>,
    },
    /// `true` for permanent (5xx), `false` for transient (4xx).
    Permanent(bool),
    Stage(Stage),
    Provider(ProviderIdx),
    /// Any of these triggers occurs in the text.
    Text(Vec<PatternId>),
    Field(Field, FieldMatch),
    Rule(RuleIdx),
    Check {
        check: String,
        verdict: String,
    },
}

/// Fix, prevention and escalation steps, and references.
#[derive(Debug, Clone, Default)]
pub struct Advice {
    /// Shared strings: a diagnosis lists them without copying them.
    pub fix: Vec<std::sync::Arc<str>>,
    pub prevent: Vec<std::sync::Arc<str>>,
    pub escalate: Vec<std::sync::Arc<str>>,
    pub refs: Vec<std::sync::Arc<str>>,
}

#[derive(Debug, Clone)]
pub struct CategoryIr {
    /// Names are shared with every diagnosis (`Arc<str>`: cloning one is a
    /// reference count, not a copy).
    pub name: std::sync::Arc<str>,
    pub pack: String,
    pub title: std::sync::Arc<str>,
    pub description: Option<String>,
    pub reason: String,
    pub advice: Advice,
}

#[derive(Debug, Clone)]
pub struct ProviderIr {
    pub name: std::sync::Arc<str>,
    pub pack: String,
    pub title: String,
    pub when: Expr,
    pub advice: Advice,
}

/// A piece of a diagnosis template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    /// `{name}`: a capture or a fact.
    Slot(String),
}

#[derive(Debug, Clone)]
pub struct CheckIr {
    pub check: String,
    /// Argument name and either a literal or a fact name.
    pub args: Vec<(String, CheckArgIr)>,
}

#[derive(Debug, Clone)]
pub enum CheckArgIr {
    Literal(String),
    Fact(String),
}

#[derive(Debug, Clone)]
pub struct RuleIr {
    /// `pack/name`, shared with every diagnosis.
    pub id: std::sync::Arc<str>,
    pub name: String,
    pub pack: String,
    pub category: CategoryIdx,
    pub provider: Option<ProviderIdx>,
    pub reason: std::sync::Arc<str>,
    pub confidence: f32,
    pub priority: i32,
    /// The full condition, including the implied `provider` test.
    pub when: Expr,
    pub captures: Vec<(String, Regex)>,
    pub diagnosis: Vec<TemplatePart>,
    pub checks: Vec<CheckIr>,
    pub advice: Advice,
    pub examples: Vec<String>,
    pub counterexamples: Vec<String>,
    /// Where the rule's name is written (for diagnostics about the rule).
    pub name_span: crate::ast::Span,
    /// Turned off by an `override ... { disable }`: never a candidate.
    pub disabled: bool,
    /// Where the rule is defined, `file:line:col`.
    pub location: String,
}

#[derive(Debug, Clone)]
pub struct PackInfo {
    pub name: String,
    pub files: Vec<String>,
}

/// A whole compiled ruleset, ready to run.
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub packs: Vec<PackInfo>,
    pub categories: Vec<CategoryIr>,
    pub providers: Vec<ProviderIr>,
    pub rules: Vec<RuleIr>,
    pub patterns: Patterns,
    /// For each trigger, the rules whose condition can only hold when some of
    /// their triggers occur and this is one of them.
    pub by_pattern: Vec<Vec<RuleIdx>>,
    /// Rules that may hold when the reply's enhanced status matches a
    /// pattern (and that need no trigger otherwise), filed by the pattern's
    /// subject: entry `s` (0 to 7) holds the patterns for subject `s`, entry
    /// 8 those for any subject, so a reply's status is compared with its
    /// own subject's patterns only.
    pub by_status: Vec<Vec<(StatusPattern, RuleIdx)>>,
    /// Rules that need something other than a trigger or a status (a
    /// stage, a code, a fact, a check verdict), with what they need: they
    /// are evaluated only when their gate holds.
    pub gated: Vec<(RuleIdx, Gate)>,
    /// Rules that can hold with nothing in particular present.
    pub always: Vec<RuleIdx>,
    /// For each provider, what its `when` needs (`None`: nothing in
    /// particular, so it is always evaluated): most providers are `host
    /// ends_with [...] or text has [...]`, and the others are skipped
    /// without evaluating their condition.
    pub provider_gates: Vec<Option<Gate>>,
}

/// What a rule needs before it is worth evaluating; at least one of these
/// must be present. Each test is a comparison or a bit test, far cheaper
/// than evaluating the rule's condition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gate {
    pub triggers: Vec<PatternId>,
    pub statuses: Vec<StatusPattern>,
    pub stages: Vec<Stage>,
    /// Reply code ranges, inclusive.
    pub codes: Vec<(u16, u16)>,
    /// Facts that must have a value.
    pub fields: Vec<Field>,
    /// Whether some check verdict must be known.
    pub verdicts: bool,
    /// `triggers` as a bitset, filled by [`Gate::with_mask`].
    pub trigger_mask: Vec<u64>,
}

impl Gate {
    pub fn with_mask(mut self) -> Gate {
        self.trigger_mask = mask_of(&self.triggers);
        self
    }
}

/// A bitset with bit `id` set for each id.
pub fn mask_of(ids: &[PatternId]) -> Vec<u64> {
    let words = ids.iter().max().map_or(0, |m| *m as usize / 64 + 1);
    let mut mask = vec![0; words];
    for t in ids {
        mask[*t as usize / 64] |= 1 << (t % 64);
    }
    mask
}

/// An enhanced status with wildcards (`*.7.26`, `5.1.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPattern {
    pub class: Option<u16>,
    pub subject: Option<u16>,
    pub detail: Option<u16>,
}

impl StatusPattern {
    pub fn matches(&self, class: u16, subject: u16, detail: u16) -> bool {
        self.class.is_none_or(|c| c == class)
            && self.subject.is_none_or(|c| c == subject)
            && self.detail.is_none_or(|c| c == detail)
    }
}

impl Ruleset {
    pub fn rule(&self, id: &str) -> Option<&RuleIr> {
        self.rules.iter().find(|r| &*r.id == id || r.name == id)
    }
}
