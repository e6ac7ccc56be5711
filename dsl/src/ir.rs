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
//! - each rule's [`Gate`] (what must be present for its condition to hold:
//!   one of some triggers, a status, a stage, a reply code, a fact, a check
//!   verdict) is filed in a [`GateIndex`] under each of those keys, so an
//!   input opens only the rules filed under what it has, plus the few that
//!   need nothing in particular; only those are evaluated. Providers are
//!   recognised the same way.

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

/// Index of a trigger: literals first, then regexes.
pub type PatternId = u32;
pub type RuleIdx = u32;
pub type ProviderIdx = u32;
pub type CategoryIdx = u32;

/// Every text trigger of the ruleset, compiled for one pass. Serialised as
/// its sources (see [`crate::prebuilt`]): the automata and the regexes are
/// built again when a run first needs them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    into = "crate::prebuilt::PatternsData",
    try_from = "crate::prebuilt::PatternsData"
)]
pub struct Patterns {
    /// Literals, normalised: lower case, runs of white space folded to one space.
    pub literals: Vec<String>,
    /// The automata over the trigger literals then the gate literals, and
    /// what is needed to build them: nothing is built at load. A run that
    /// searches little text (one reply) finds the literals directly, which
    /// costs about a hundredth of building the automaton those few texts
    /// would use once; once a run has searched
    /// [`DIRECT_BUDGET`] bytes it builds the noncontiguous NFA, the quickest
    /// kind to build, and after [`CONTIGUOUS_AFTER`] texts the contiguous
    /// one, faster to search, on another thread. The answers are the same
    /// whichever searches (`tests/shortcuts.rs`). (Until the thirty-first
    /// session the second was a DFA: with the vocabulary's thousands of
    /// literals its transition table grew to about 110 MB and searched no
    /// faster than the contiguous NFA, which costs a tenth of that: `scan -j
    /// 1` of 800,000 rejections 6.74 s in 108-112 MB, against 6.77 s in
    /// 213-224 MB.)
    pub automata: std::sync::Arc<LazyAutomata>,
    /// Regex sources (without the `(?i)` prefix).
    pub regex_sources: Vec<String>,
    /// Every regex, as one set: run over text that is not all ASCII. Built
    /// the first time such a text comes (a run over ASCII replies never
    /// needs it, and building it is a sixth of a start); see
    /// [`Patterns::regex_set`].
    pub regex_set: std::sync::OnceLock<Option<RegexSet>>,
    /// Indices (into `regexes`) of the regexes that have no gate: each runs
    /// on its own over every ASCII text (alone, a regex searches with its own
    /// literal prefilter, which a set cannot).
    pub ungated: Vec<u32>,
    /// For automaton pattern `literals.len() + k`, the regex that the `k`th
    /// gate literal opens: a regex every match of which starts with one of
    /// its gate literals (or contains its one gate literal) runs only when
    /// the automaton saw one of them.
    pub gates: Vec<u32>,
    /// The same regexes one by one, to find where a matched one matched;
    /// each is compiled the first time the set reports it (most never
    /// match, and compiling them all would slow every start).
    pub regexes: Vec<std::sync::OnceLock<Option<Regex>>>,
    /// The patterns the regexes are compiled from (`(?i)`, ASCII `\b`).
    pub compiled_sources: Vec<String>,
}

/// A regex compiled the first time it is used (a capture, which most
/// diagnoses never fill): compiling every capture of 566 rules at each
/// start cost an eighth of a one-reply run. The compiler has checked its
/// syntax and its group (and, for a checked pack, built it once with the
/// engine's limits); one that still cannot be built captures nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct LazyRegex {
    pub source: String,
    compiled: std::sync::OnceLock<Option<Regex>>,
}

impl From<String> for LazyRegex {
    fn from(source: String) -> LazyRegex {
        LazyRegex {
            source,
            compiled: std::sync::OnceLock::new(),
        }
    }
}

impl From<LazyRegex> for String {
    fn from(lazy: LazyRegex) -> String {
        lazy.source
    }
}

impl LazyRegex {
    /// `source` as written (compiled case-insensitive).
    pub fn new(source: &str) -> LazyRegex {
        LazyRegex {
            source: source.to_string(),
            compiled: std::sync::OnceLock::new(),
        }
    }

    /// The same, already compiled.
    pub fn built(source: &str, re: Regex) -> LazyRegex {
        let lazy = LazyRegex::new(source);
        let _ = lazy.compiled.set(Some(re));
        lazy
    }

    /// The pattern a lazy regex of `source` is compiled from: the rule
    /// language's regexes are case-insensitive.
    pub fn pattern_of(source: &str) -> String {
        format!("(?i){source}")
    }

    pub fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(&LazyRegex::pattern_of(&self.source)).ok())
            .as_ref()
    }
}

/// How many texts a run searches with the noncontiguous NFA before building
/// the contiguous one.
pub const CONTIGUOUS_AFTER: usize = 50_000;

/// How many bytes of text (counting 64 for each text besides its length) a
/// run searches directly, literal by literal, before it builds the
/// noncontiguous NFA. Measured on the shipped packs (thirty-ninth session):
/// a direct search of one reply costs about 1 M instructions, building the
/// automaton 82 M and searching with it a few thousand a reply. So one
/// reply, a few, or the replies of one bounce are searched directly, and a
/// batch builds the automaton after half a dozen short texts (`scan -j 1`
/// of the Sisimai corpus: +1.4% instructions; one reply: a third of them).
pub const DIRECT_BUDGET: usize = 2 * 1024;

/// The automata of [`Patterns::automata`], built when a run needs them, and
/// what is needed to build them.
#[derive(Debug, Default)]
pub struct LazyAutomata {
    /// The literals the automata search: the trigger literals, then the
    /// gate literals.
    pub patterns: Vec<String>,
    searched: std::sync::atomic::AtomicUsize,
    direct_bytes: std::sync::atomic::AtomicUsize,
    noncontiguous: std::sync::OnceLock<Option<AhoCorasick>>,
    contiguous: std::sync::OnceLock<AhoCorasick>,
}

impl LazyAutomata {
    pub fn new(patterns: Vec<String>) -> LazyAutomata {
        LazyAutomata {
            patterns,
            ..LazyAutomata::default()
        }
    }
}

impl Patterns {
    /// The set of every regex, built on first use; `None` if the set cannot
    /// be built (each regex compiled alone, but together they passed a size
    /// limit): then the caller runs each regex on its own.
    pub fn regex_set(&self) -> Option<&RegexSet> {
        self.regex_set
            .get_or_init(|| RegexSet::new(&self.compiled_sources).ok())
            .as_ref()
    }

    /// The automaton to search a text of `len` bytes with, or `None` to
    /// find the literals directly (see [`DIRECT_BUDGET`]): the contiguous
    /// NFA once built, the noncontiguous one once the run has searched its
    /// budget directly. Counts searches so that a long run starts building
    /// the contiguous one (on its own thread; if no thread can be started,
    /// the noncontiguous one stays).
    pub fn searcher(&self, len: usize) -> Option<&AhoCorasick> {
        use std::sync::atomic::Ordering;
        let lazy = &self.automata;
        if let Some(built) = lazy.contiguous.get() {
            return Some(built);
        }
        if let Some(built) = lazy.noncontiguous.get() {
            if lazy.searched.fetch_add(1, Ordering::Relaxed) == CONTIGUOUS_AFTER {
                let lazy = std::sync::Arc::clone(lazy);
                let _ = std::thread::Builder::new()
                    .name("bouncedx-automaton".into())
                    .spawn(move || {
                        let built = crate::patterns::automaton(
                            &lazy.patterns,
                            aho_corasick::AhoCorasickKind::ContiguousNFA,
                        );
                        if let Ok(automaton) = built {
                            let _ = lazy.contiguous.set(automaton);
                        }
                    });
            }
            return built.as_ref();
        }
        let direct = lazy.direct_bytes.fetch_add(len + 64, Ordering::Relaxed);
        if direct + len + 64 <= DIRECT_BUDGET {
            return None;
        }
        self.noncontiguous()
    }

    /// The noncontiguous NFA over every searched literal, built now if it
    /// was not; `None` if it cannot be built (the literals are then found
    /// directly, with the same answers).
    pub fn noncontiguous(&self) -> Option<&AhoCorasick> {
        self.automata
            .noncontiguous
            .get_or_init(|| {
                crate::patterns::automaton(
                    &self.automata.patterns,
                    aho_corasick::AhoCorasickKind::NoncontiguousNFA,
                )
                .or_else(|_| AhoCorasick::builder().build(&self.automata.patterns))
                .ok()
            })
            .as_ref()
    }

    /// The literals the automata search: the trigger literals, then the
    /// gate literals (see [`Patterns::gates`]).
    pub fn searched(&self) -> &[String] {
        &self.automata.patterns
    }

    /// Regex `i`, compiled on first use. `check` builds every regex of a
    /// pack with the same limits, so `None` (too big to build: it never
    /// matches) is only met by rules that were never checked; the run goes
    /// on rather than failing on every text that reaches it.
    pub fn regex(&self, i: usize) -> Option<&Regex> {
        self.regexes[i]
            .get_or_init(|| Regex::new(&self.compiled_sources[i]).ok())
            .as_ref()
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Field {
    Host,
    RemoteIp,
    ClientIp,
    Recipient,
    Domain,
    Sender,
    SenderDomain,
    Mta,
    Esp,
    Token,
    Url,
    /// What the input is: `bounce` (a rejection, a bounce or delay report,
    /// a log line, an ESP event) or `auto_reply` (an automatic reply).
    /// Rules that read it are the only ones run on automatic replies.
    Notice,
}

impl Field {
    /// Every field, in declaration order (`Field::ALL[f as usize] == f`).
    pub const ALL: [Field; 12] = [
        Field::Host,
        Field::RemoteIp,
        Field::ClientIp,
        Field::Recipient,
        Field::Domain,
        Field::Sender,
        Field::SenderDomain,
        Field::Mta,
        Field::Esp,
        Field::Token,
        Field::Url,
        Field::Notice,
    ];

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
            "esp" => Field::Esp,
            "token" => Field::Token,
            "url" => Field::Url,
            "notice" => Field::Notice,
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
            Field::Esp => "esp",
            Field::Token => "token",
            Field::Url => "url",
            Field::Notice => "notice",
        }
    }
}

/// The SMTP stage a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum FieldMatch {
    Is(Vec<String>),
    EndsWith(Vec<String>),
    StartsWith(Vec<String>),
    Contains(Vec<String>),
    /// Regexes (case-insensitive), compiled the first time they are tried:
    /// a run that loads the built-in packs compiles only those its inputs
    /// reach.
    Matches(Vec<LazyRegex>),
    Exists,
}

/// A compiled condition.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

impl Expr {
    /// Whether the condition looks at the reply's code, status or class
    /// anywhere (a rule that fired on those alone quotes them as its
    /// evidence; one that fired on a fact such as the ESP's verdict does
    /// not).
    /// `rules` are the ruleset's: a `rule NAME` reference reads what that
    /// rule's condition reads (the compiler refuses cycles, E0215).
    pub fn reads_reply_code(&self, rules: &[RuleIr]) -> bool {
        match self {
            Expr::Code { .. } | Expr::Status { .. } | Expr::Permanent(_) => true,
            Expr::And(v) | Expr::Or(v) => v.iter().any(|e| e.reads_reply_code(rules)),
            Expr::Not(e) => e.reads_reply_code(rules),
            Expr::Rule(r) => rules
                .get(*r as usize)
                .is_some_and(|r| r.when.reads_reply_code(rules)),
            _ => false,
        }
    }

    /// Whether the condition tests the fact `f` anywhere, itself or through
    /// a `rule NAME` it names (the compiler refuses cycles, E0215).
    pub fn reads_field(&self, f: Field, rules: &[RuleIr]) -> bool {
        match self {
            Expr::Field(g, _) => *g == f,
            Expr::And(v) | Expr::Or(v) => v.iter().any(|e| e.reads_field(f, rules)),
            Expr::Not(e) => e.reads_field(f, rules),
            Expr::Rule(r) => rules
                .get(*r as usize)
                .is_some_and(|r| r.when.reads_field(f, rules)),
            _ => false,
        }
    }
}

/// Fix, prevention and escalation steps, and references.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Advice {
    /// Shared strings: a diagnosis lists them without copying them.
    pub fix: Vec<std::sync::Arc<str>>,
    pub prevent: Vec<std::sync::Arc<str>>,
    pub escalate: Vec<std::sync::Arc<str>>,
    pub refs: Vec<std::sync::Arc<str>>,
    /// Which of a rule's step lists replace its category's (`fix only`).
    pub only: crate::ast::Only<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CategoryIr {
    /// Names are shared with every diagnosis (`Arc<str>`: cloning one is a
    /// reference count, not a copy).
    pub name: std::sync::Arc<str>,
    /// The name a diagnosis reports: the category's own, or the one it
    /// `counts_as` (`relay` reports `org_policy`, with its own title and
    /// steps).
    pub reported: std::sync::Arc<str>,
    pub pack: String,
    pub title: std::sync::Arc<str>,
    pub description: Option<String>,
    pub reason: String,
    /// What its rules' answers are about, unless a rule says otherwise.
    pub concerns: Concerns,
    pub advice: Advice,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderIr {
    pub name: std::sync::Arc<str>,
    pub pack: String,
    pub title: String,
    pub when: Expr,
    /// The answers its steps serve (its `concerns` list; `delivery` when
    /// not written): its steps follow an answer only when they serve what
    /// the answer is about.
    pub serves: Vec<Concerns>,
    pub advice: Advice,
}

/// A piece of a template (a diagnosis or a step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TemplatePart {
    Text(String),
    /// `{name}` or `{name|wording}`: a capture or a fact, and what to write
    /// instead when the input lacks it (`{client_ip|your sending IP}`; an
    /// empty wording, `{client_ip|}`, leaves the placeholder out).
    Slot {
        name: String,
        fallback: Option<String>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckIr {
    pub check: String,
    /// Argument name and either a literal or a fact name.
    pub args: Vec<(String, CheckArgIr)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CheckArgIr {
    Literal(String),
    Fact(String),
}

/// A rule's `retry` word: what its answer says about resending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleRetry {
    /// The reply's class decides: 5xx do not retry unchanged, 4xx back off.
    ByClass,
    /// Resending later can help even after a permanent (5xx) reply: the
    /// cause clears by itself (a full mailbox, a quota that resets).
    Later,
    /// Nothing was refused (a post held for a moderator): nothing to
    /// resend, whatever the reply's class.
    Nothing,
}

/// What an answer is about (a `concerns` word): whom the steps address.
/// Written as its word (`"mailbox"`) wherever it is serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Concerns {
    /// The receiver's judgment of the mail or its sender (the default): a
    /// provider's steps (its dashboard, its sender desk) follow the answer.
    #[default]
    Delivery,
    /// The recipient's address or mailbox: the receiver's sender desk has
    /// nothing to do with it, so a provider's steps are left out.
    Mailbox,
    /// The sender's own account or submission server (a login refused, an
    /// account's sending limit): the provider's steps, written for mail
    /// sent to it, are left out.
    Account,
    /// The receiving system's own fault or set-up (an error, a loop, a
    /// server that cannot be reached): nothing about the sender to review,
    /// so a provider's reputation steps are left out.
    System,
}

impl Concerns {
    /// The word that names it in the language.
    pub fn word(self) -> &'static str {
        match self {
            Concerns::Delivery => "delivery",
            Concerns::Mailbox => "mailbox",
            Concerns::Account => "account",
            Concerns::System => "system",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// What the answer says about resending: the rule's `retry` word, or
    /// its reason's default (`Later` for a full mailbox, else `ByClass`).
    pub retry: RuleRetry,
    /// What the answer is about: the rule's `concerns` word, else its
    /// category's (`delivery` when neither says).
    pub concerns: Concerns,
    /// The full condition, including the implied `provider` test.
    pub when: Expr,
    pub captures: Vec<(String, LazyRegex)>,
    pub diagnosis: Vec<TemplatePart>,
    pub checks: Vec<CheckIr>,
    pub advice: Advice,
    pub examples: Vec<String>,
    pub counterexamples: Vec<String>,
    /// Where the rule's name is written (for diagnostics about the rule).
    pub name_span: crate::ast::Span,
    /// Turned off by an `override ... { disable }`: never a candidate.
    pub disabled: bool,
    /// `private rule`: a condition for other rules, never an answer.
    pub private: bool,
    /// Where the rule is defined, `file:line:col`.
    pub location: String,
}

impl RuleIr {
    /// Whether the rule can be an answer: not disabled and not private.
    pub fn answers(&self) -> bool {
        !self.disabled && !self.private
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackInfo {
    pub name: String,
    pub files: Vec<String>,
}

/// A whole compiled ruleset, ready to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ruleset {
    pub packs: Vec<PackInfo>,
    pub categories: Vec<CategoryIr>,
    pub providers: Vec<ProviderIr>,
    pub rules: Vec<RuleIr>,
    pub patterns: Patterns,
    /// Which rules are worth evaluating for an input: those one of whose
    /// needs (a trigger, a status, a stage, ...) it has, and those that
    /// need nothing in particular.
    pub rule_index: GateIndex,
    /// The same for providers: most are `host ends_with [...] or text has
    /// [...]`, and the others are skipped without evaluating their
    /// condition.
    pub provider_index: GateIndex,
}

/// What a rule needs before it is worth evaluating; at least one of these
/// must be present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gate {
    pub triggers: Vec<PatternId>,
    pub statuses: Vec<StatusPattern>,
    pub stages: Vec<Stage>,
    /// Reply code ranges, inclusive.
    pub codes: Vec<(u16, u16)>,
    /// Facts that must have a value.
    pub fields: Vec<Field>,
    /// Facts one of whose values must end with one of these (lower-case,
    /// at least [`SUFFIX_KEY`] bytes long): `host ends_with ".google.com"`.
    pub suffixes: Vec<(Field, String)>,
    /// Whether some check verdict must be known.
    pub verdicts: bool,
}

/// The suffix-gate key of a lower-case value: its last [`SUFFIX_KEY`]
/// bytes, or `None` when it is shorter.
pub fn suffix_key(lower: &str) -> Option<[u8; SUFFIX_KEY]> {
    let b = lower.as_bytes();
    b.len()
        .checked_sub(SUFFIX_KEY)
        .map(|start| b[start..].try_into().expect("SUFFIX_KEY bytes"))
}

/// How many final bytes of a value key the suffix gates: a value can end
/// with `.google.com` only if its last six bytes are `le.com`.
pub const SUFFIX_KEY: usize = 6;

/// Gates turned inside out: for each thing a gate can name, the members
/// (rules, or providers) that need it. An input opens the members filed
/// under the triggers it contains, its status, its stage, its code, its
/// facts with a value, and the members with no gate; the work is in
/// proportion to what the input has, not to the number of rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GateIndex {
    /// How many members there are (rules or providers, disabled included).
    pub members: usize,
    /// Members that need nothing in particular.
    pub always: Vec<u32>,
    /// For each trigger id, the members it opens.
    pub by_trigger: Vec<Vec<u32>>,
    /// Status patterns filed by subject: entry `s` (0 to 7) holds the
    /// patterns for subject `s`, entry 8 those for any subject, so a
    /// reply's status is compared with its own subject's patterns only.
    pub by_status: Vec<Vec<(StatusPattern, u32)>>,
    /// For each [`Stage`] (as an index), the members it opens.
    pub by_stage: Vec<Vec<u32>>,
    /// Reply code ranges (inclusive) and the member each opens.
    pub by_code: Vec<(u16, u16, u32)>,
    /// For each [`Field`] (as an index), the members a value opens.
    pub by_field: Vec<Vec<u32>>,
    /// The members a value opens by its last [`SUFFIX_KEY`] bytes
    /// (lower-cased), for the fields in `suffix_fields`.
    #[serde(with = "crate::prebuilt::sorted_map")]
    pub by_suffix: std::collections::HashMap<(Field, [u8; SUFFIX_KEY]), Vec<u32>>,
    /// The fields `by_suffix` has keys for.
    pub suffix_fields: Vec<Field>,
    /// Members opened by any check verdict.
    pub on_verdicts: Vec<u32>,
}

impl GateIndex {
    pub fn new(members: usize, triggers: usize) -> GateIndex {
        GateIndex {
            members,
            by_trigger: vec![Vec::new(); triggers],
            by_status: vec![Vec::new(); 9],
            by_stage: vec![Vec::new(); 6],
            by_field: vec![Vec::new(); Field::ALL.len()],
            ..GateIndex::default()
        }
    }

    /// Files `member` under every key of its gate (`None`: always open).
    pub fn add(&mut self, member: u32, gate: Option<Gate>) {
        let Some(g) = gate else {
            self.always.push(member);
            return;
        };
        for t in g.triggers {
            let list = &mut self.by_trigger[t as usize];
            if list.last() != Some(&member) {
                list.push(member);
            }
        }
        for s in g.statuses {
            let slot = s.subject.map_or(8, |x| (x as usize).min(8));
            self.by_status[slot].push((s, member));
        }
        for s in g.stages {
            self.by_stage[s as usize].push(member);
        }
        for (lo, hi) in g.codes {
            self.by_code.push((lo, hi, member));
        }
        for f in g.fields {
            self.by_field[f as usize].push(member);
        }
        for (f, suffix) in g.suffixes {
            if let Some(key) = suffix_key(&suffix) {
                let list = self.by_suffix.entry((f, key)).or_default();
                if list.last() != Some(&member) {
                    list.push(member);
                }
                if !self.suffix_fields.contains(&f) {
                    self.suffix_fields.push(f);
                }
            } else {
                self.by_field[f as usize].push(member);
            }
        }
        if g.verdicts {
            self.on_verdicts.push(member);
        }
    }
}

/// An enhanced status with wildcards (`*.7.26`, `5.1.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
