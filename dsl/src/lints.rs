//! Warnings: code that compiles but is probably not what the author meant.
//!
//! Each lint has a stable snake_case id (listed in [`LINTS`] and in the book's
//! lint catalogue). Lints read the AST, so they can point at exactly what was
//! written; they never stop a ruleset from compiling.

use crate::ast::{self, Cond, Item, Phrase, Span};
use crate::compile::parse_template;
use crate::diagnostics::Diagnostic;
use crate::ir::TemplatePart;
use crate::patterns::normalize;
use crate::vocab;
use std::collections::{HashMap, HashSet};

/// Every lint id with a one-line summary.
pub const LINTS: &[(&str, &str)] = &[
    (
        "contradictory_condition",
        "an `and` of tests that cannot all hold, e.g. `code 4xx and status 5.*.*`",
    ),
    ("unused_phrases", "a phrase set no condition uses"),
    ("duplicate_phrase", "the same phrase twice in one list"),
    (
        "short_trigger",
        "a literal so short it matches almost everywhere",
    ),
    (
        "regex_could_be_literal",
        "a regex without special characters, which a literal would match faster",
    ),
    (
        "confusable_unicode",
        "a phrase with invisible characters or letters that look like ASCII but are not",
    ),
    ("missing_refs", "a rule that cites no source"),
    (
        "unused_private_rule",
        "a `private rule` no other rule's condition refers to",
    ),
    (
        "missing_fix",
        "a rule whose diagnosis comes with no fix steps (neither its own nor its category's)",
    ),
    (
        "missing_example",
        "a rule with no `example` to prove it fires",
    ),
    ("unused_capture", "a capture that neither the diagnosis nor a step uses"),
    ("double_negation", "`not not x`, which is just `x`"),
    (
        "common_trigger",
        "a literal that is one common word of bounce boilerplate, found in nearly every input",
    ),
    (
        "trigger_in_two_categories",
        "the same literal is a positive trigger of rules of two different categories",
    ),
    (
        "placeholder_may_be_absent",
        "a `{placeholder}` the input may lack, with no wording for when it does (`{client_ip|your sending IP}`)",
    ),
    (
        "retry_contradicts_class",
        "a step that says to retry on a permanent reply, or not to retry on a temporary one",
    ),
    (
        "shadowed_rule",
        "a rule that is never the diagnosis of its own examples: a higher-ranked rule answers them",
    ),
    (
        "example_not_matched",
        "a rule whose `when` does not hold for one of its own examples",
    ),
];

/// The shortest literal trigger that is not "too short".
pub const MIN_TRIGGER_LEN: usize = 3;

/// Single words found in the boilerplate of nearly every bounce ("Delivery
/// to the following recipient failed permanently", "mail server"): as a
/// trigger alone they select almost every input, so every rule using them
/// is evaluated everywhere and the evidence they give is no evidence.
pub const COMMON_WORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "you",
    "your",
    "this",
    "that",
    "was",
    "has",
    "have",
    "been",
    "with",
    "from",
    "not",
    "message",
    "mail",
    "email",
    "e-mail",
    "user",
    "delivery",
    "deliver",
    "delivered",
    "server",
    "address",
    "error",
    "failed",
    "failure",
    "please",
    "recipient",
    "sender",
    "smtp",
    "host",
    "domain",
    "could not",
];

/// Runs every lint over the packs (name, items); `imports` names the packs
/// each pack imports, which a bare name may refer to.
pub fn lint<'a>(
    packs: &[(&'a str, &'a [Item])],
    imports: HashMap<&'a str, HashSet<&'a str>>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut uses = Uses {
        imports,
        ..Uses::default()
    };
    let mut category_has_fix: HashMap<&str, bool> = HashMap::new();
    let mut categories: HashMap<&str, &ast::Category> = HashMap::new();
    for (pack, items) in packs {
        for item in items.iter() {
            let when = match item {
                Item::Rule(r) => r.when.as_ref(),
                Item::Provider(p) => p.when.as_ref(),
                Item::Override(o) => o.unless.as_ref(),
                Item::Phrases(ps) => {
                    uses.defined_sets.insert((pack, &ps.name.name));
                    None
                }
                Item::Category(c) => {
                    category_has_fix.insert(&c.name.name, !c.advice.fix.is_empty());
                    categories.insert(&c.name.name, c);
                    None
                }
                Item::Include(_) | Item::Import(_) => None,
            };
            if let Item::Rule(r) = item {
                uses.defined_rules.insert((pack, &r.name.name));
            }
            if let Some(c) = when {
                collect_used(c, pack, &mut uses);
            }
        }
    }
    two_categories(packs, diags);
    for (pack, items) in packs {
        for item in items.iter() {
            match item {
                Item::Phrases(ps) => {
                    if !uses.set_used(pack, &ps.name.name) {
                        diags.push(
                            Diagnostic::warning(
                                "unused_phrases",
                                format!("phrase set `{}` is never used", ps.name.name),
                            )
                            .at(ps.name.span, "no condition refers to it")
                            .help(format!(
                                "use it with `text has {}`, or remove it",
                                ps.name.name
                            )),
                        );
                    }
                    phrases(&ps.phrases, diags);
                }
                Item::Rule(r) if r.private => {
                    if let Some(c) = &r.when {
                        cond(c, diags);
                    }
                    if !uses.rule_used(pack, &r.name.name) {
                        diags.push(
                            Diagnostic::warning(
                                "unused_private_rule",
                                format!("private rule `{}` is never used", r.name.name),
                            )
                            .at(
                                r.name.span,
                                "no condition refers to it, and it never answers",
                            )
                            .help(format!(
                                "use it with `rule {}` in another rule's `when`, or remove it",
                                r.name.name
                            )),
                        );
                    }
                }
                Item::Rule(r) => {
                    rule(r, &category_has_fix, diags);
                    rule_placeholders(r, diags);
                    let category = r
                        .category
                        .as_ref()
                        .and_then(|c| categories.get(c.name.as_str()).copied());
                    retry_advice(r, category, diags);
                }
                Item::Provider(p) => {
                    if let Some(c) = &p.when {
                        cond(c, diags);
                    }
                    let mut known = vec!["text", "provider"];
                    if let Some(c) = &p.when {
                        known.extend(
                            vocab::FIELDS
                                .iter()
                                .map(|(n, _)| *n)
                                .filter(|n| guarantees(c, n, &[])),
                        );
                    }
                    for s in steps(&p.advice) {
                        placeholders(s, &[], &|n| known.contains(&n), diags);
                    }
                }
                Item::Category(c) => {
                    for s in steps(&c.advice) {
                        placeholders(s, &[], &|n| n == "text", diags);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The literals a condition needs to be present (not under a `not`), with
/// where they are written; named sets are looked up in `sets`.
fn positive_literals<'a>(
    c: &'a Cond,
    sets: &HashMap<&str, &'a ast::PhraseSet>,
    out: &mut Vec<(String, Span)>,
) {
    let mut push = |list: &'a [Phrase]| {
        for p in list {
            if let Phrase::Literal(s) = p {
                out.push((normalize(&s.value), s.span));
            }
        }
    };
    match c {
        Cond::And(v, _) | Cond::Or(v, _) => v.iter().for_each(|x| positive_literals(x, sets, out)),
        Cond::TextHas(ast::TextRef::List(list, _), _) => push(list),
        Cond::TextHas(ast::TextRef::Literal(s), _) => out.push((normalize(&s.value), s.span)),
        Cond::TextHas(ast::TextRef::Named(q), _) => {
            if let Some(set) = sets.get(q.name.as_str()) {
                push(&set.phrases);
            }
        }
        _ => {}
    }
}

/// `trigger_in_two_categories`: a literal that is a positive trigger of
/// rules of different categories says two things at once; usually one of
/// the rules should require more words. Categories are compared as
/// answers report them (a category that `counts_as` another is that one).
/// Rules are compared within one scope: the generic rules, or one provider's. A provider's rule reads
/// that provider's words as its table says and only fires for it (and
/// ranks above generic rules there), so the same words read otherwise
/// elsewhere are not two readings of one reply.
fn two_categories(packs: &[(&str, &[Item])], diags: &mut Vec<Diagnostic>) {
    let mut sets: HashMap<&str, &ast::PhraseSet> = HashMap::new();
    // category -> the category it reports (`counts_as`): a finer reading
    // of one cause (core's `mailbox_full` of `recipient`) is not a second
    // answer
    let mut reports: HashMap<&str, &str> = HashMap::new();
    for (_, items) in packs {
        for item in items.iter() {
            match item {
                Item::Phrases(ps) => {
                    sets.insert(&ps.name.name, ps);
                }
                Item::Category(c) => {
                    if let Some(t) = &c.counts_as {
                        reports.insert(&c.name.name, &t.name);
                    }
                }
                _ => {}
            }
        }
    }
    let one_answer = |a: &str, b: &str| {
        reports.get(a).copied().unwrap_or(a) == reports.get(b).copied().unwrap_or(b)
    };
    // (literal, provider) -> (category, rule, span) of its first use
    let mut first: HashMap<(String, String), (String, String, Span)> = HashMap::new();
    let mut reported: HashSet<(String, String, String)> = HashSet::new();
    for (_, items) in packs {
        for item in items.iter() {
            let Item::Rule(r) = item else { continue };
            let (Some(cat), Some(when)) = (&r.category, &r.when) else {
                continue;
            };
            let scope = r
                .provider
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let mut lits = Vec::new();
            positive_literals(when, &sets, &mut lits);
            for (lit, span) in lits {
                let key = (lit, scope.clone());
                match first.get(&key) {
                    None => {
                        first.insert(key, (cat.name.clone(), r.name.name.clone(), span));
                    }
                    Some((c, other, first_span))
                        if !one_answer(c, &cat.name)
                            && reported.insert((
                                key.0.clone(),
                                key.1.clone(),
                                cat.name.clone(),
                            )) =>
                    {
                        diags.push(
                            Diagnostic::warning(
                                "trigger_in_two_categories",
                                format!("\"{}\" triggers rules of two categories", key.0),
                            )
                            .at(span, format!("here for rule `{}` ({})", r.name.name, cat.name))
                            .note(*first_span, format!("and here for rule `{other}` ({c})"))
                            .help("require more words in one of the rules, or `# allow(trigger_in_two_categories)` if both readings are meant"),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

/// A phrase set (`text has NAME`) or rule (`rule NAME`) named in a
/// condition, as written in one pack.
struct NameRef<'a> {
    /// The pack whose file holds the condition.
    scope: &'a str,
    /// `core` of `core/name`; `None` for a bare name.
    pack: Option<&'a str>,
    name: &'a str,
}

/// What the conditions of all packs refer to, with what each pack defines
/// and imports, so that a name resolves as the compiler resolves it: a
/// qualified name in its pack, a bare name in the writer's own pack first,
/// then in the packs it imports.
#[derive(Default)]
struct Uses<'a> {
    sets: Vec<NameRef<'a>>,
    rules: Vec<NameRef<'a>>,
    imports: HashMap<&'a str, HashSet<&'a str>>,
    defined_sets: HashSet<(&'a str, &'a str)>,
    defined_rules: HashSet<(&'a str, &'a str)>,
}

impl Uses<'_> {
    fn set_used(&self, pack: &str, name: &str) -> bool {
        self.sets
            .iter()
            .any(|r| self.resolves_to(r, pack, name, &self.defined_sets))
    }

    fn rule_used(&self, pack: &str, name: &str) -> bool {
        self.rules
            .iter()
            .any(|r| self.resolves_to(r, pack, name, &self.defined_rules))
    }

    fn resolves_to(
        &self,
        r: &NameRef,
        pack: &str,
        name: &str,
        defined: &HashSet<(&str, &str)>,
    ) -> bool {
        if r.name != name {
            return false;
        }
        match r.pack {
            Some(p) => p == pack,
            None => {
                r.scope == pack
                    || (!defined.contains(&(r.scope, name))
                        && self.imports.get(r.scope).is_some_and(|i| i.contains(pack)))
            }
        }
    }
}

/// Records the phrase sets and rules a condition names (under `not` too).
fn collect_used<'a>(c: &'a Cond, scope: &'a str, uses: &mut Uses<'a>) {
    let name_ref = |q: &'a ast::QualifiedName| NameRef {
        scope,
        pack: q.pack.as_deref(),
        name: &q.name,
    };
    match c {
        Cond::And(v, _) | Cond::Or(v, _) => v.iter().for_each(|x| collect_used(x, scope, uses)),
        Cond::Not(x, _) => collect_used(x, scope, uses),
        Cond::TextHas(ast::TextRef::Named(q), _) => uses.sets.push(name_ref(q)),
        Cond::Rule(q, _) => uses.rules.push(name_ref(q)),
        _ => {}
    }
}

fn rule(r: &ast::Rule, category_has_fix: &HashMap<&str, bool>, diags: &mut Vec<Diagnostic>) {
    if r.advice.refs.is_empty() && !ast::written_as(&r.unknown, "refs") {
        diags.push(
            Diagnostic::warning(
                "missing_refs",
                format!("rule `{}` cites no source", r.name.name),
            )
            .at(r.name.span, "no `refs`")
            .help(
                "add `refs \"https://...\"` naming the provider page or RFC the rule is based on",
            ),
        );
    }
    let category_fix = r
        .category
        .as_ref()
        .and_then(|c| category_has_fix.get(c.name.as_str()))
        .copied()
        .unwrap_or(true);
    if r.advice.fix.is_empty() && !category_fix && !ast::written_as(&r.unknown, "fix") {
        diags.push(
            Diagnostic::warning(
                "missing_fix",
                format!("rule `{}` gives no fix steps", r.name.name),
            )
            .at(r.name.span, "neither the rule nor its category has `fix`")
            .help("add `fix \"first step\" \"second step\"`"),
        );
    }
    // A rule that needs a check's verdict cannot be fired by a reply alone;
    // its cases live in the pack's tests/*.yaml with `checks:` verdicts.
    if r.examples.is_empty()
        && !r.when.as_ref().is_some_and(tests_a_check)
        && !ast::written_as(&r.unknown, "example")
    {
        diags.push(
            Diagnostic::warning(
                "missing_example",
                format!("rule `{}` has no example", r.name.name),
            )
            .at(r.name.span, "nothing proves this rule fires")
            .help("add `example \"550 5.7.1 ...\"` with a real reply it must diagnose"),
        );
    }
    if r.diagnosis.is_some() {
        let used: HashSet<String> = r
            .diagnosis
            .iter()
            .chain(steps(&r.advice))
            .filter_map(|s| parse_template(&s.value).ok())
            .flatten()
            .filter_map(|p| match p {
                TemplatePart::Slot { name, .. } => Some(name),
                TemplatePart::Text(_) => None,
            })
            .collect();
        for c in &r.captures {
            // `{ipp}` for capture `ip` is a misspelt use (E0105 says so),
            // not an unused capture.
            let misspelt = used.iter().any(|name| {
                *name != c.name.name
                    && crate::vocab::did_you_mean(name, [c.name.name.as_str()]).is_some()
            });
            if !misspelt && !used.contains(&c.name.name) {
                diags.push(
                    Diagnostic::warning(
                        "unused_capture",
                        format!("capture `{}` is never used", c.name.name),
                    )
                    .at(c.name.span, "not in the diagnosis or a step")
                    .help(format!(
                        "write `{{{}}}` in the diagnosis or a step, or remove the capture",
                        c.name.name
                    )),
                );
            }
        }
    }
    if let Some(c) = &r.when {
        cond(c, diags);
    }
}

/// The reply class a test pins down, if any: 4 or 5.
fn class_of(c: &Cond) -> Option<(u8, Span)> {
    let digit = |s: &str| {
        s.as_bytes()
            .first()
            .copied()
            .filter(u8::is_ascii_digit)
            .map(|d| d - b'0')
    };
    match c {
        Cond::Code(t, s) => digit(t).map(|d| (d, *s)),
        Cond::Status(t, s) => digit(t).map(|d| (d, *s)),
        Cond::Class(id, s) => match id.name.as_str() {
            "permanent" => Some((5, *s)),
            "transient" => Some((4, *s)),
            _ => None,
        },
        _ => None,
    }
}

fn cond(c: &Cond, diags: &mut Vec<Diagnostic>) {
    match c {
        Cond::And(v, _) => {
            let mut first: Option<(u8, Span)> = None;
            for x in v {
                if let Some((class, span)) = class_of(x) {
                    match first {
                        Some((c0, s0)) if c0 != class => diags.push(
                            Diagnostic::warning(
                                "contradictory_condition",
                                "this condition can never hold",
                            )
                            .at(span, format!("this asks for a {class}xx reply"))
                            .note(s0, format!("but this asks for a {c0}xx reply"))
                            .help("a reply has one class; use `or`, or remove one of the tests"),
                        ),
                        None => first = Some((class, span)),
                        _ => {}
                    }
                }
                cond(x, diags);
            }
        }
        Cond::Or(v, _) => v.iter().for_each(|x| cond(x, diags)),
        Cond::Not(x, span) => {
            if let Cond::Not(inner, _) = x.as_ref() {
                diags.push(
                    Diagnostic::warning("double_negation", "`not not` cancels out")
                        .at(*span, "two negations")
                        .help("write the inner condition alone: the condition without `not not`"),
                );
                cond(inner, diags);
            } else {
                cond(x, diags);
            }
        }
        Cond::TextHas(ast::TextRef::List(list, _), _) => phrases(list, diags),
        Cond::TextHas(ast::TextRef::Literal(s), _) => phrases(&[Phrase::Literal(s.clone())], diags),
        Cond::TextMatches(r, _) => phrases(&[Phrase::Regex(r.clone())], diags),
        _ => {}
    }
}

fn phrases(list: &[Phrase], diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<String, Span> = HashMap::new();
    for p in list {
        match p {
            Phrase::Literal(s) => {
                let n = normalize(&s.value);
                if let Some(first) = seen.insert(n.clone(), s.span) {
                    diags.push(
                        Diagnostic::warning(
                            "duplicate_phrase",
                            format!("phrase \"{}\" is listed twice", s.value),
                        )
                        .at(s.span, "duplicate")
                        .note(first, "first listed here")
                        .help(
                            "phrases match case-insensitively with white space folded; remove one",
                        ),
                    );
                }
                if COMMON_WORDS.contains(&n.as_str()) {
                    diags.push(
                        Diagnostic::warning("common_trigger", format!("phrase \"{}\" is in nearly every bounce", s.value))
                            .at(s.span, "a word of bounce boilerplate")
                            .help("write the words that set this reply apart, e.g. \"mailbox full\" rather than \"mail\""),
                    );
                }
                if !n.is_empty() && n.chars().count() < MIN_TRIGGER_LEN {
                    diags.push(
                        Diagnostic::warning("short_trigger", format!("phrase \"{}\" is very short", s.value))
                            .at(s.span, format!("fewer than {MIN_TRIGGER_LEN} characters match almost anywhere"))
                            .help("use a longer phrase, or a regex with word boundaries such as /\\bxyz\\b/"),
                    );
                }
                confusables(&s.value, s.span, diags);
            }
            Phrase::Regex(r) => {
                let special = r.source.chars().any(|c| "\\.^$|?*+()[]{}".contains(c));
                if !special && !r.source.is_empty() {
                    diags.push(
                        Diagnostic::warning(
                            "regex_could_be_literal",
                            format!("regex /{}/ has no special characters", r.source),
                        )
                        .at(r.span, "a literal would do")
                        .help(format!(
                            "write it as \"{}\": literals go into one fast automaton",
                            r.source
                        )),
                    );
                }
                confusables(&r.source, r.span, diags);
            }
        }
    }
}

fn confusables(text: &str, span: Span, diags: &mut Vec<Diagnostic>) {
    // Invisible characters, and Cyrillic/Greek letters that look like Latin ones.
    const INVISIBLE: &[char] = &[
        '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{00a0}', '\u{00ad}',
    ];
    const LOOKALIKES: &str = "аеорсухіјԁһАВЕКМНОРСТХІЈοΑΒΕΖΗΙΚΜΝΟΡΤΥΧ";
    if let Some(c) = text
        .chars()
        .find(|c| INVISIBLE.contains(c) || LOOKALIKES.contains(*c))
    {
        diags.push(
            Diagnostic::warning(
                "confusable_unicode",
                format!(
                    "phrase contains the confusable character U+{:04X}",
                    c as u32
                ),
            )
            .at(span, "looks like plain ASCII but is not")
            .help(
                "retype the phrase in plain ASCII; a reply with the ASCII letters would not match",
            ),
        );
    }
}

/// Whether a condition tests a check's verdict outside a negation.
fn tests_a_check(c: &crate::ast::Cond) -> bool {
    use crate::ast::Cond;
    match c {
        Cond::Check { .. } => true,
        Cond::And(v, _) | Cond::Or(v, _) => v.iter().any(tests_a_check),
        _ => false,
    }
}

/// The steps of a block: `fix`, `prevent` and `escalate` (references are
/// not templates).
fn steps(a: &ast::Advice) -> impl Iterator<Item = &ast::Str> {
    a.fix.iter().chain(&a.prevent).chain(&a.escalate)
}

/// Whether a condition that holds guarantees a value for the placeholder
/// `name`: a test of that fact (`client_ip exists`, `code 550`, `status
/// 5.7.*`, `stage rcpt`, `provider gmail`) or, for a capture, `text
/// matches` with the capture's own regex, in every way the condition can
/// hold.
fn guarantees(c: &Cond, name: &str, captures: &[ast::Capture]) -> bool {
    match c {
        Cond::And(v, _) => v.iter().any(|x| guarantees(x, name, captures)),
        Cond::Or(v, _) => v.iter().all(|x| guarantees(x, name, captures)),
        Cond::Code(..) => name == "code",
        Cond::Status(..) => name == "status",
        Cond::Stage(..) => name == "stage",
        Cond::Provider(..) => name == "provider",
        Cond::Field { field, .. } => field.name == name,
        Cond::TextMatches(r, _) => captures
            .iter()
            .any(|c| c.name.name == name && ungrouped(&c.regex.source) == ungrouped(&r.source)),
        _ => false,
    }
}

/// A regex without its groups' brackets: `AUP#(IPBL[01]{4})` and
/// `AUP#IPBL[01]{4}` match where the other does, so a `text matches` with
/// the one guarantees a capture with the other.
fn ungrouped(re: &str) -> String {
    re.replace("(?:", "").replace(['(', ')'], "")
}

/// `placeholder_may_be_absent` for one template: every `{name}` without a
/// wording of its own (`{name|...}`) that `present` does not vouch for.
fn placeholders(
    s: &ast::Str,
    captures: &[&str],
    present: &dyn Fn(&str) -> bool,
    diags: &mut Vec<Diagnostic>,
) {
    let Ok(parts) = parse_template(&s.value) else {
        return; // E0105
    };
    for p in parts {
        if let TemplatePart::Slot {
            name,
            fallback: None,
        } = p
        {
            let fact = crate::ir::Field::from_name(&name).is_some()
                || vocab::TEMPLATE_FACTS.contains(&name.as_str());
            if present(&name) || !(fact || captures.contains(&name.as_str())) {
                continue; // certain, or unknown (E0105)
            }
            diags.push(
                Diagnostic::warning(
                    "placeholder_may_be_absent",
                    format!("`{{{name}}}` may be absent from the input"),
                )
                .at(s.span, format!("without `{name}` this reads \"{}\"", without(&s.value, &name)))
                .help(format!(
                    "give the wording to use without it, e.g. `{{{name}|{}}}`, or `{{{name}|}}` to leave it out",
                    vocab::default_wording(&name)
                )),
            );
        }
    }
}

/// A template as it reads when `name` is absent and has no wording.
fn without(template: &str, name: &str) -> String {
    let Ok(parts) = parse_template(template) else {
        return template.to_string();
    };
    parts
        .iter()
        .map(|p| {
            match p {
                TemplatePart::Text(t) => t.as_str(),
                TemplatePart::Slot { name: n, fallback } if n == name => {
                    fallback.as_deref().unwrap_or(vocab::default_wording(n))
                }
                TemplatePart::Slot { name: n, .. } => return format!("{{{n}}}"),
            }
            .to_string()
        })
        .collect()
}

fn rule_placeholders(r: &ast::Rule, diags: &mut Vec<Diagnostic>) {
    // A capture whose regex does not parse or has no group is an error of
    // its own (E0209, E0213): its placeholders are not also reported.
    let broken: Vec<&str> = r
        .captures
        .iter()
        .filter(|c| {
            regex_syntax::parse(&c.regex.source)
                .map(|h| h.properties().explicit_captures_len() == 0)
                .unwrap_or(true)
        })
        .map(|c| c.name.name.as_str())
        .collect();
    let present = |name: &str| {
        name == "text"
            || broken.contains(&name)
            || (name == "provider" && r.provider.is_some())
            || r.when
                .as_ref()
                .is_some_and(|c| guarantees(c, name, &r.captures))
    };
    let captures: Vec<&str> = r.captures.iter().map(|c| c.name.name.as_str()).collect();
    for s in r.diagnosis.iter().chain(steps(&r.advice)) {
        placeholders(s, &captures, &present, diags);
    }
}

/// Whether a step tells the sender to resend as things are: "retry later",
/// "try again later", "wait and retry".
pub fn says_retry(step: &str) -> bool {
    let s = step.to_lowercase();
    if says_no_retry(&s) {
        return false;
    }
    [
        "retry later",
        "try again later",
        "wait and retry",
        "wait, then retry",
        "and try again",
        "retry in ",
        "retry with backoff",
        "retries with backoff",
        "retry with back-off",
        "let the sending mta retry",
        "the next retry",
        "resend later",
        "send again later",
    ]
    .iter()
    .any(|p| s.contains(p))
        || s.starts_with("retry")
            && !s.starts_with("retry once")
            && !s.starts_with("retry only")
            && !s.starts_with("retry after")
}

/// Whether a step tells the sender not to resend.
pub fn says_no_retry(step: &str) -> bool {
    let s = step.to_lowercase();
    [
        "do not retry",
        "don't retry",
        "never retry",
        "no retry",
        "not be retried",
        "retrying will not help",
        "retrying does not help",
        "retrying will fail",
    ]
    .iter()
    .any(|p| s.contains(p))
}

/// The class (4 or 5) a rule's replies have: pinned by its `when` (a
/// `code`, `status` or `class` every way it holds), else shared by all its
/// examples.
fn rule_class(r: &ast::Rule) -> Option<(u8, Span)> {
    fn pinned(c: &Cond) -> Option<(u8, Span)> {
        match c {
            Cond::And(v, _) => v.iter().find_map(pinned),
            Cond::Or(v, _) => {
                let all: Vec<(u8, Span)> = v.iter().map(pinned).collect::<Option<_>>()?;
                let first = *all.first()?;
                all.iter().all(|x| x.0 == first.0).then_some(first)
            }
            other => class_of(other),
        }
    }
    if let Some(c) = r.when.as_ref().and_then(pinned) {
        return Some(c);
    }
    let classes: Vec<u8> = r
        .examples
        .iter()
        .filter_map(|e| {
            let t = e.value.trim_start();
            let b = t.as_bytes();
            (b.len() >= 3
                && matches!(b[0], b'4' | b'5')
                && b[1].is_ascii_digit()
                && b[2].is_ascii_digit()
                && b.get(3).is_none_or(|c| !c.is_ascii_digit()))
            .then(|| b[0] - b'0')
        })
        .collect();
    let first = *classes.first()?;
    (classes.len() == r.examples.len() && classes.iter().all(|&c| c == first))
        .then_some((first, r.examples[0].span))
}

/// `retry_contradicts_class`: the answer's retry line follows the reply's
/// class (5xx: do not retry unchanged; 4xx: the MTA retries with backoff;
/// a full mailbox or a rule's `retry later`: retry later over hours or
/// days; a rule's `retry none`: nothing to resend), and a step must not say
/// the opposite.
fn retry_advice(r: &ast::Rule, category: Option<&ast::Category>, diags: &mut Vec<Diagnostic>) {
    let Some((class, class_span)) = rule_class(r) else {
        return;
    };
    let reason = r.reason.as_ref().map(|x| x.name.as_str()).or_else(|| {
        category
            .and_then(|c| c.reason.as_ref())
            .map(|x| x.name.as_str())
    });
    // as the compiler reads it: the rule's word, else (no word, or one it
    // refuses with E0122) the reason's default
    let retry = r
        .retry
        .as_ref()
        .and_then(|w| vocab::retry_word(&w.name))
        .unwrap_or_else(|| vocab::default_retry(reason.unwrap_or_default()));
    let later = retry == crate::ir::RuleRetry::Later;
    // `retry none`: the answer says nothing was refused, whatever the class,
    // so a step must not tell to retry
    let nothing = retry == crate::ir::RuleRetry::Nothing;
    let mut all: Vec<(&ast::Str, bool)> = steps(&r.advice).map(|s| (s, true)).collect();
    if let Some(c) = category {
        let o = &r.advice.only;
        fn pick(own: Option<Span>, list: &[ast::Str]) -> &[ast::Str] {
            if own.is_some() {
                &[]
            } else {
                list
            }
        }
        for s in pick(o.fix, &c.advice.fix)
            .iter()
            .chain(pick(o.prevent, &c.advice.prevent))
            .chain(pick(o.escalate, &c.advice.escalate))
        {
            all.push((s, false));
        }
    }
    for (s, own) in all {
        let (bad, says, verdict) = if nothing {
            (
                says_retry(&s.value),
                "to retry",
                "a rule marked `retry none`: the answer says nothing was refused, nothing to resend",
            )
        } else if class == 5 && !later {
            (
                says_retry(&s.value),
                "to retry",
                "a permanent (5xx) reply: the answer says not to retry unchanged",
            )
        } else {
            (
                says_no_retry(&s.value),
                "not to retry",
                if class == 4 {
                    "a temporary (4xx) reply: the answer says the MTA retries with backoff"
                } else {
                    "a cause that usually clears: the answer says to retry later"
                },
            )
        };
        if !bad {
            continue;
        }
        let d = Diagnostic::warning(
            "retry_contradicts_class",
            format!(
                "rule `{}` says {says}, against {}",
                r.name.name,
                if nothing {
                    "its `retry none`"
                } else {
                    "its reply's class"
                }
            ),
        );
        let d = if own {
            d.at(s.span, format!("this step says {says}"))
        } else {
            d.at(r.name.span, "this rule's answer lists its category's steps")
                .note(s.span, format!("this step of the category says {says}"))
        }
        .note(class_span, format!("but this is {verdict}"));
        diags.push(d.help(if own {
            "reword the step so it agrees with the retry line, or narrow the rule to the class it means"
                .to_string()
        } else {
            let field = if r.advice.only.fix.is_none() { "fix" } else { "prevent` or `escalate" };
            format!("give the rule its own steps with `{field} only \"...\"`, which replace the category's")
        }));
    }
}
