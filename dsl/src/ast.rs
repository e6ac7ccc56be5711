//! The abstract syntax tree of a `.bdx` file.
//!
//! Every node carries a [`Span`]: the file it came from and its byte range, so
//! every later diagnostic can point at the exact text an author wrote. No pest
//! type appears here: the parser builds this tree and nothing downstream knows
//! how it was parsed, so the parser can change without touching the checker or
//! the compiler.
//!
//! The tree is deliberately close to the source: values such as reply codes and
//! status patterns are kept as written (with their spans) and validated by the
//! checker, which can give a precise message for each mistake.

use serde::{Deserialize, Serialize};

/// The index of a source file in a [`crate::SourceMap`].
pub type FileId = u32;

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A name as written, e.g. `ip_on_blocklist`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A possibly pack-qualified name: `dnsbl_named` or `core/dnsbl_named`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualifiedName {
    pub pack: Option<String>,
    pub name: String,
    pub span: Span,
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.pack {
            Some(pack) => write!(f, "{pack}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A string literal with its escapes resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

/// A regex literal as written between the slashes (escaped slashes resolved).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegexLit {
    pub source: String,
    pub span: Span,
}

/// One trigger of a phrase list: a case-insensitive literal or a regex.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Phrase {
    Literal(Str),
    Regex(RegexLit),
}

impl Phrase {
    pub fn span(&self) -> Span {
        match self {
            Phrase::Literal(s) => s.span,
            Phrase::Regex(r) => r.span,
        }
    }
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Item {
    /// `import core`: another pack's names become visible here.
    Import(Ident),
    /// `include "other.bdx"`: another file of the same pack.
    Include(Str),
    Category(Category),
    Phrases(PhraseSet),
    Provider(Provider),
    Rule(Box<Rule>),
    /// `override core/rule_id { ... }`: a site's change to another pack's rule.
    Override(Override),
}

impl Item {
    /// Where the item is written (`None` for `import` and `include`, whose
    /// name or path is all there is).
    pub fn span(&self) -> Option<Span> {
        match self {
            Item::Import(_) | Item::Include(_) => None,
            Item::Category(c) => Some(c.span),
            Item::Phrases(p) => Some(p.span),
            Item::Provider(p) => Some(p.span),
            Item::Rule(r) => Some(r.span),
            Item::Override(o) => Some(o.span),
        }
    }

    /// The item's list of unknown and broken fields (phrases, imports and
    /// includes have no fields).
    pub fn unknown_fields_mut(&mut self) -> Option<&mut Vec<UnknownField>> {
        match self {
            Item::Category(c) => Some(&mut c.unknown),
            Item::Provider(p) => Some(&mut p.unknown),
            Item::Rule(r) => Some(&mut r.unknown),
            Item::Override(o) => Some(&mut o.unknown),
            Item::Import(_) | Item::Include(_) | Item::Phrases(_) => None,
        }
    }
}

/// A site override of a rule, by id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Override {
    pub target: QualifiedName,
    /// `disable`: the rule never fires.
    pub disable: Option<Span>,
    pub confidence: Option<ConfidenceLit>,
    pub priority: Option<(i64, Span)>,
    /// `unless COND`: the rule does not fire when COND holds.
    pub unless: Option<Cond>,
    pub unknown: Vec<UnknownField>,
    pub span: Span,
}

/// A field name the grammar did not know, kept for a "did you mean"; or a
/// field whose value did not parse (`broken`), already reported as a syntax
/// error and kept so that the item is not also said to lack it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownField {
    pub name: Ident,
    pub span: Span,
    pub broken: bool,
}

impl UnknownField {
    /// Whether this is, most likely, the author's `field`: the field itself
    /// with a value that did not parse, or a name close to it.
    pub fn stands_for(&self, field: &str) -> bool {
        self.name.name == field || crate::vocab::did_you_mean(&self.name.name, [field]).is_some()
    }
}

/// Whether any of an item's unknown or broken fields stands for `field`.
pub fn written_as(unknown: &[UnknownField], field: &str) -> bool {
    unknown.iter().any(|u| u.stands_for(field))
}

/// Steps and references shared by categories, providers and rules.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Advice {
    pub fix: Vec<Str>,
    pub prevent: Vec<Str>,
    pub escalate: Vec<Str>,
    pub refs: Vec<Str>,
    /// Where `only` is written (`fix only "..."`): a rule's list that
    /// replaces its category's instead of adding to it.
    #[serde(skip_serializing_if = "Only::is_empty")]
    pub only: Only<Option<Span>>,
}

/// One flag per step list: `fix only`, `prevent only`, `escalate only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Only<T> {
    pub fix: T,
    pub prevent: T,
    pub escalate: T,
}

impl Only<Option<Span>> {
    pub fn is_empty(&self) -> bool {
        self.fix.is_none() && self.prevent.is_none() && self.escalate.is_none()
    }
}

/// `category blacklist { title "..." reason blocked ... }`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    pub name: Ident,
    pub title: Option<Str>,
    pub description: Option<Str>,
    pub reason: Option<Ident>,
    /// `counts_as org_policy`: the category a diagnosis reports instead of
    /// this one (this one's title and steps are kept).
    pub counts_as: Option<Ident>,
    /// `concerns mailbox`: what its answers are about (`delivery`,
    /// `mailbox` or `account`); a rule may say otherwise. One word.
    pub concerns: Option<Vec<Ident>>,
    pub advice: Advice,
    pub unknown: Vec<UnknownField>,
    pub span: Span,
}

/// `phrases NAME = [ "literal", /regex/ ]`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhraseSet {
    pub name: Ident,
    pub phrases: Vec<Phrase>,
    pub list_span: Span,
    pub span: Span,
}

/// `provider gmail { title "..." when ... }`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provider {
    pub name: Ident,
    pub title: Option<Str>,
    pub description: Option<Str>,
    pub when: Option<Cond>,
    /// `concerns delivery, account`: the answers its steps serve
    /// (`delivery` when not written).
    pub concerns: Option<Vec<Ident>>,
    pub advice: Advice,
    pub unknown: Vec<UnknownField>,
    pub span: Span,
}

/// How sure a rule is when it fires.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ConfidenceLit {
    Word(Ident),
    Number { text: String, span: Span },
}

/// `capture NAME = /regex with a (group)/`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capture {
    pub name: Ident,
    pub regex: RegexLit,
}

/// `check dnsbl.ip(ip: client_ip)`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckCall {
    /// `plugin.check`, as written.
    pub name: Ident,
    pub args: Vec<CheckArg>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckArg {
    pub name: Ident,
    pub value: CheckValue,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CheckValue {
    /// A literal string.
    Literal(Str),
    /// A fact of the input, e.g. `client_ip`.
    Fact(Ident),
}

/// `rule NAME { ... }`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// `private rule`: a condition that other rules use (`rule NAME`); it
    /// never answers, so it has no category, diagnosis or example.
    pub private: bool,
    pub name: Ident,
    pub category: Option<QualifiedName>,
    pub provider: Option<QualifiedName>,
    pub reason: Option<Ident>,
    pub confidence: Option<ConfidenceLit>,
    pub priority: Option<(i64, Span)>,
    /// `retry later` or `retry by_class`: whether resending can help, when
    /// the reply's class alone would say otherwise.
    pub retry: Option<Ident>,
    /// `concerns account`: what the answer is about, when it differs from
    /// the category's (a sending limit of the sender's own account under
    /// `rate_limit`). One word.
    pub concerns: Option<Vec<Ident>>,
    pub when: Option<Cond>,
    pub captures: Vec<Capture>,
    pub diagnosis: Option<Str>,
    pub checks: Vec<CheckCall>,
    pub advice: Advice,
    pub examples: Vec<Str>,
    pub counterexamples: Vec<Str>,
    pub unknown: Vec<UnknownField>,
    pub span: Span,
}

/// What `text has` looks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TextRef {
    /// A named phrase set.
    Named(QualifiedName),
    /// One literal.
    Literal(Str),
    /// An inline list.
    List(Vec<Phrase>, Span),
}

/// The comparison in a field condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FieldOp {
    Is,
    EndsWith,
    StartsWith,
    Contains,
    Matches,
}

impl FieldOp {
    pub fn keyword(self) -> &'static str {
        match self {
            FieldOp::Is => "is",
            FieldOp::EndsWith => "ends_with",
            FieldOp::StartsWith => "starts_with",
            FieldOp::Contains => "contains",
            FieldOp::Matches => "matches",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FieldTest {
    Exists,
    Compare {
        op: FieldOp,
        values: Vec<Phrase>,
        op_span: Span,
    },
}

/// A condition, as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cond {
    And(Vec<Cond>, Span),
    Or(Vec<Cond>, Span),
    Not(Box<Cond>, Span),
    /// `code 550`, `code 5xx`: the pattern as written.
    Code(String, Span),
    /// `status 5.7.*`: the pattern as written.
    Status(String, Span),
    /// `class permanent`
    Class(Ident, Span),
    /// `stage rcpt`
    Stage(Ident, Span),
    /// `provider gmail`
    Provider(QualifiedName, Span),
    /// `text has ...`
    TextHas(TextRef, Span),
    /// `text matches /re/`
    TextMatches(RegexLit, Span),
    /// `rule other_rule`: true when that rule's condition holds.
    Rule(QualifiedName, Span),
    /// `check dnsbl.ip is fail`
    Check {
        check: Ident,
        verdict: Ident,
        span: Span,
    },
    /// `host ends_with ".google.com"`, `client_ip exists`
    Field {
        field: Ident,
        test: FieldTest,
        span: Span,
    },
}

impl Cond {
    pub fn span(&self) -> Span {
        match self {
            Cond::And(_, s)
            | Cond::Or(_, s)
            | Cond::Not(_, s)
            | Cond::Code(_, s)
            | Cond::Status(_, s)
            | Cond::Class(_, s)
            | Cond::Stage(_, s)
            | Cond::Provider(_, s)
            | Cond::TextHas(_, s)
            | Cond::TextMatches(_, s)
            | Cond::Rule(_, s) => *s,
            Cond::Check { span, .. } | Cond::Field { span, .. } => *span,
        }
    }
}
