//! From parsed packs to a [`Ruleset`]: name resolution, value checks, and
//! lowering.
//!
//! Checking and lowering are one walk: every node is validated where it is
//! turned into IR, so each mistake is found exactly once, at the node that has
//! the best span for it. Names are resolved in two scopes:
//!
//! - **categories and providers** are one shared vocabulary across all packs
//!   (they appear in output as bare ids such as `blacklist` and `gmail`);
//! - **phrase sets and rules** belong to their pack. An unqualified name is
//!   looked up in the pack itself, then in the packs it `import`s; `core/x`
//!   names a pack explicitly.
//!
//! The walk never stops at the first error. When errors were found, no
//! ruleset is produced, but every diagnostic is reported.

use crate::ast::{self, Cond, Span};
use crate::diagnostics::Diagnostic;
use crate::ir::*;
use crate::patterns::PatternBuilder;
use crate::vocab;
use std::collections::{HashMap, HashSet};

/// One pack after parsing: its name, its imports and its files' items.
pub struct ParsedPack {
    pub name: String,
    pub files: Vec<String>,
    pub imports: Vec<ast::Ident>,
    pub items: Vec<ast::Item>,
}

struct Def<'a, T> {
    node: &'a T,
}

/// Symbol tables over all packs.
struct Symbols<'a> {
    categories: HashMap<&'a str, Def<'a, ast::Category>>,
    providers: HashMap<&'a str, Def<'a, ast::Provider>>,
    phrases: HashMap<(usize, &'a str), &'a ast::PhraseSet>,
    rules: HashMap<(usize, &'a str), &'a ast::Rule>,
    pack_index: HashMap<&'a str, usize>,
    /// For each pack, the packs whose names it sees unqualified (itself first).
    visible: Vec<Vec<usize>>,
}

/// Runs every check and, when there is no error, lowers to a [`Ruleset`].
///
/// With `build_regexes`, every trigger regex is also compiled as the engine
/// will compile it, with the engine's size limits, so a regex that would
/// fail at run time (`/((a{100}){100}){100}/` is valid syntax but too big
/// to build) is an error with its span here rather than a failure later.
/// Captures and field regexes are always built (they are compiled here).
pub fn compile_packs(
    packs: &[ParsedPack],
    location: &dyn Fn(Span) -> String,
    diags: &mut Vec<Diagnostic>,
    build_regexes: bool,
) -> Option<Ruleset> {
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let symbols = collect(packs, diags);
    let mut lower = Lower {
        packs,
        symbols: &symbols,
        diags,
        patterns: PatternBuilder::default(),
        category_idx: HashMap::new(),
        category_defaults: Vec::new(),
        provider_idx: HashMap::new(),
        rule_idx: HashMap::new(),
        location,
        build_regexes,
    };
    let ruleset = lower.run();
    let errors_after = diags.iter().filter(|d| d.is_error()).count();
    if errors_after > errors_before {
        None
    } else {
        ruleset
    }
}

fn collect<'a>(packs: &'a [ParsedPack], diags: &mut Vec<Diagnostic>) -> Symbols<'a> {
    let mut s = Symbols {
        categories: HashMap::new(),
        providers: HashMap::new(),
        phrases: HashMap::new(),
        rules: HashMap::new(),
        pack_index: packs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect(),
        visible: Vec::new(),
    };
    for (pi, pack) in packs.iter().enumerate() {
        for item in &pack.items {
            match item {
                ast::Item::Override(_) => {}
                ast::Item::Category(c) => {
                    if let Some(first) = s.categories.get(c.name.name.as_str()) {
                        diags.push(duplicate(
                            "E0201",
                            "category",
                            &c.name,
                            first.node.name.span,
                        ));
                    } else {
                        s.categories.insert(&c.name.name, Def { node: c });
                    }
                }
                ast::Item::Provider(p) => {
                    if let Some(first) = s.providers.get(p.name.name.as_str()) {
                        diags.push(duplicate(
                            "E0204",
                            "provider",
                            &p.name,
                            first.node.name.span,
                        ));
                    } else {
                        s.providers.insert(&p.name.name, Def { node: p });
                    }
                }
                ast::Item::Phrases(ps) => {
                    if let Some(first) = s.phrases.get(&(pi, ps.name.name.as_str())) {
                        diags.push(duplicate("E0202", "phrase set", &ps.name, first.name.span));
                    } else {
                        s.phrases.insert((pi, &ps.name.name), ps);
                    }
                }
                ast::Item::Rule(r) => {
                    if let Some(first) = s.rules.get(&(pi, r.name.name.as_str())) {
                        diags.push(duplicate("E0203", "rule", &r.name, first.name.span));
                    } else {
                        s.rules.insert((pi, &r.name.name), r);
                    }
                }
                ast::Item::Import(_) | ast::Item::Include(_) => {}
            }
        }
    }
    // Imports: each must name a loaded pack; the import graph must be acyclic.
    for (pi, pack) in packs.iter().enumerate() {
        let mut vis = vec![pi];
        for imp in &pack.imports {
            match s.pack_index.get(imp.name.as_str()) {
                Some(&j) if j == pi => diags.push(
                    Diagnostic::error("E0214", format!("pack `{}` imports itself", imp.name))
                        .at(imp.span, "a pack sees its own names already")
                        .help("remove this import"),
                ),
                Some(&j) => vis.push(j),
                None => diags.push(
                    Diagnostic::error("E0114", format!("unknown pack `{}`", imp.name))
                        .at(imp.span, "no pack of this name is loaded")
                        .help(vocab::suggest(
                            &imp.name,
                            packs.iter().map(|p| p.name.as_str()),
                            "loaded pack",
                        )),
                ),
            }
        }
        s.visible.push(vis);
    }
    report_import_cycles(packs, &s, diags);
    s
}

fn report_import_cycles(packs: &[ParsedPack], s: &Symbols, diags: &mut Vec<Diagnostic>) {
    // Depth-first search with colours; a back edge closes a cycle.
    fn visit(
        at: usize,
        s: &Symbols,
        packs: &[ParsedPack],
        state: &mut [u8],
        path: &mut Vec<usize>,
        diags: &mut Vec<Diagnostic>,
    ) {
        state[at] = 1;
        path.push(at);
        for imp in &packs[at].imports {
            let Some(&next) = s.pack_index.get(imp.name.as_str()) else {
                continue;
            };
            if next == at {
                continue;
            }
            if state[next] == 1 {
                let from = path.iter().position(|&p| p == next).unwrap_or(0);
                let mut names: Vec<&str> = path[from..]
                    .iter()
                    .map(|&p| packs[p].name.as_str())
                    .collect();
                names.push(&packs[next].name);
                diags.push(
                    Diagnostic::error("E0214", format!("import cycle: {}", names.join(" -> ")))
                        .at(imp.span, "this import closes the cycle")
                        .help("packs must import each other in one direction; move the shared items into a pack both import"),
                );
            } else if state[next] == 0 {
                visit(next, s, packs, state, path, diags);
            }
        }
        path.pop();
        state[at] = 2;
    }
    let mut state = vec![0u8; packs.len()];
    for i in 0..packs.len() {
        if state[i] == 0 {
            visit(i, s, packs, &mut state, &mut Vec::new(), diags);
        }
    }
}

fn duplicate(code: &'static str, what: &str, name: &ast::Ident, first: Span) -> Diagnostic {
    Diagnostic::error(code, format!("{what} `{}` is defined twice", name.name))
        .at(name.span, "second definition")
        .note(first, "first defined here")
        .help(format!(
            "rename one of them, or remove the copy; {what} names must be unique"
        ))
}

struct Lower<'a, 'd> {
    packs: &'a [ParsedPack],
    symbols: &'a Symbols<'a>,
    diags: &'d mut Vec<Diagnostic>,
    patterns: PatternBuilder,
    category_idx: HashMap<&'a str, CategoryIdx>,
    /// The reason of each lowered category and what its answers are
    /// about, by index: a rule's defaults.
    category_defaults: Vec<(String, Concerns)>,
    provider_idx: HashMap<&'a str, ProviderIdx>,
    rule_idx: HashMap<(usize, &'a str), RuleIdx>,
    location: &'a dyn Fn(Span) -> String,
    /// Whether trigger regexes are built at compile time (see
    /// [`compile_packs`]).
    build_regexes: bool,
}

/// What a condition is written in: rules may use everything, providers not
/// other providers, rules or checks.
#[derive(Clone, Copy, PartialEq)]
enum Context<'r> {
    Rule(&'r ast::Rule),
    Provider,
    /// An override's `unless`: like a rule's condition, without checks.
    Override,
}

impl<'a> Lower<'a, '_> {
    fn run(&mut self) -> Option<Ruleset> {
        // Indices first, so conditions can refer forward.
        let mut cat_list = Vec::new();
        let mut prov_list = Vec::new();
        let mut rule_list = Vec::new();
        for (pi, pack) in self.packs.iter().enumerate() {
            for item in &pack.items {
                match item {
                    ast::Item::Category(c) if self.is_def_category(c) => {
                        self.category_idx
                            .insert(&c.name.name, cat_list.len() as u32);
                        cat_list.push((pi, c));
                    }
                    ast::Item::Provider(p) if self.is_def_provider(p) => {
                        self.provider_idx
                            .insert(&p.name.name, prov_list.len() as u32);
                        prov_list.push((pi, p));
                    }
                    ast::Item::Rule(r)
                        if std::ptr::eq(self.symbols.rules[&(pi, r.name.name.as_str())], &**r) =>
                    {
                        self.rule_idx
                            .insert((pi, &r.name.name), rule_list.len() as u32);
                        rule_list.push((pi, &**r));
                    }
                    _ => {}
                }
            }
        }
        let categories: Vec<CategoryIr> = cat_list
            .iter()
            .map(|(pi, c)| self.category(*pi, c))
            .collect();
        self.category_defaults = categories
            .iter()
            .map(|c| (c.reason.clone(), c.concerns))
            .collect();
        let mut providers: Vec<ProviderIr> = prov_list
            .iter()
            .map(|(pi, p)| self.provider(*pi, p))
            .collect();
        let mut rules: Vec<RuleIr> = rule_list.iter().map(|(pi, r)| self.rule(*pi, r)).collect();
        for pack in self.packs {
            for item in &pack.items {
                if let ast::Item::Phrases(ps) = item {
                    if ps.phrases.is_empty() {
                        self.diags.push(
                            Diagnostic::error(
                                "E0208",
                                format!("phrase set `{}` is empty", ps.name.name),
                            )
                            .at(ps.list_span, "no phrases in this list")
                            .help("add at least one \"literal\" or /regex/, or remove the set"),
                        );
                    }
                }
            }
        }
        self.apply_overrides(&mut rules);
        self.report_rule_cycles(&rule_list, &rules);
        let literal_count = self.patterns.literal_count();
        for e in providers
            .iter_mut()
            .map(|p| &mut p.when)
            .chain(rules.iter_mut().map(|r| &mut r.when))
        {
            remap_expr(e, literal_count);
        }
        let patterns = std::mem::take(&mut self.patterns);
        let patterns = match patterns.build() {
            Ok(p) => p,
            Err(msg) => {
                self.diags.push(Diagnostic::error(
                    "E0209",
                    format!("the triggers could not be compiled: {msg}"),
                ));
                return None;
            }
        };
        let mut rule_index = GateIndex::new(rules.len(), patterns.len());
        for (i, r) in rules.iter().enumerate() {
            if r.answers() {
                rule_index.add(i as u32, rule_gate(&r.when));
            }
        }
        let mut provider_index = GateIndex::new(providers.len(), patterns.len());
        for (i, p) in providers.iter().enumerate() {
            provider_index.add(i as u32, rule_gate(&p.when));
        }
        Some(Ruleset {
            packs: self
                .packs
                .iter()
                .map(|p| PackInfo {
                    name: p.name.clone(),
                    files: p.files.clone(),
                })
                .collect(),
            categories,
            providers,
            rules,
            patterns,
            rule_index,
            provider_index,
        })
    }

    fn is_def_category(&self, c: &ast::Category) -> bool {
        std::ptr::eq(self.symbols.categories[c.name.name.as_str()].node, c)
    }

    fn is_def_provider(&self, p: &ast::Provider) -> bool {
        std::ptr::eq(self.symbols.providers[p.name.name.as_str()].node, p)
    }

    /// `fix only` and the like replace a category's steps: only a rule can.
    fn only_outside_rule(&mut self, a: &ast::Advice, what: &str) {
        let o = &a.only;
        for (field, span) in [
            ("fix", o.fix),
            ("prevent", o.prevent),
            ("escalate", o.escalate),
        ] {
            if let Some(span) = span {
                self.diags.push(
                    Diagnostic::error("E0222", format!("`{field} only` in a {what}"))
                        .at(span, format!("a {what}'s steps have nothing to replace"))
                        .help(format!(
                            "remove `only`; in a rule, `{field} only` replaces the category's `{field}` steps"
                        )),
                );
            }
        }
    }

    /// Steps and references; every step is a template, checked like a
    /// diagnosis (`captures` are the rule's, `None` for a category or a
    /// provider). References are kept as written.
    fn advice(
        &mut self,
        a: &ast::Advice,
        captures: Option<&[(String, crate::ir::LazyRegex)]>,
    ) -> Advice {
        let mut steps = |v: &[ast::Str], what: &str| {
            v.iter()
                .map(|s| {
                    if s.value.contains(['{', '}']) {
                        self.template(s, what, captures);
                    }
                    std::sync::Arc::from(s.value.as_str())
                })
                .collect::<Vec<_>>()
        };
        Advice {
            fix: steps(&a.fix, "a `fix` step"),
            prevent: steps(&a.prevent, "a `prevent` step"),
            escalate: steps(&a.escalate, "an `escalate` step"),
            refs: a
                .refs
                .iter()
                .map(|s| std::sync::Arc::from(s.value.as_str()))
                .collect(),
            only: crate::ast::Only {
                fix: a.only.fix.is_some(),
                prevent: a.only.prevent.is_some(),
                escalate: a.only.escalate.is_some(),
            },
        }
    }

    fn unknown_fields(&mut self, fields: &[ast::UnknownField], what: &str, allowed: &[&str]) {
        const CONDITION_WORDS: &[&str] = &[
            "text", "code", "status", "class", "stage", "host", "domain", "and", "or", "not",
        ];
        for f in fields.iter().filter(|f| !f.broken) {
            let name = f.name.name.as_str();
            let help = if CONDITION_WORDS.contains(&name)
                || vocab::FIELDS.iter().any(|(n, _)| *n == name)
            {
                "this looks like part of a condition: join conditions with `and` or `or`"
                    .to_string()
            } else {
                vocab::suggest(name, allowed.iter().copied(), &format!("{what} field"))
            };
            self.diags.push(
                Diagnostic::error("E0118", format!("unknown field `{name}` in a {what}"))
                    .at(f.name.span, format!("not a field of a {what}"))
                    .help(help),
            );
        }
    }

    fn reason(&mut self, r: &ast::Ident) -> String {
        if !vocab::REASONS.contains(&r.name.as_str()) {
            self.diags.push(
                Diagnostic::error("E0107", format!("unknown reason `{}`", r.name))
                    .at(r.span, "not in the standard reason vocabulary")
                    .help(vocab::suggest(
                        &r.name,
                        vocab::REASONS.iter().copied(),
                        "reason",
                    )),
            );
        }
        r.name.clone()
    }

    fn category(&mut self, pi: usize, c: &ast::Category) -> CategoryIr {
        self.unknown_fields(
            &c.unknown,
            "category",
            &[
                "title",
                "description",
                "reason",
                "counts_as",
                "concerns",
                "fix",
                "prevent",
                "escalate",
                "refs",
            ],
        );
        let reported = self.counts_as(c);
        let reason = match &c.reason {
            Some(r) => self.reason(r),
            None if ast::written_as(&c.unknown, "reason") => "undefined".into(),
            None => {
                self.missing(
                    c.name.span,
                    "category",
                    &c.name.name,
                    "reason",
                    "reason blocked",
                );
                "undefined".into()
            }
        };
        if c.title.is_none() && !ast::written_as(&c.unknown, "title") {
            self.missing(
                c.name.span,
                "category",
                &c.name.name,
                "title",
                "title \"What went wrong\"",
            );
        }
        CategoryIr {
            name: c.name.name.as_str().into(),
            reported,
            pack: self.packs[pi].name.clone(),
            title: c.title.as_ref().map_or("", |t| t.value.as_str()).into(),
            description: c.description.as_ref().map(|d| d.value.clone()),
            reason,
            concerns: c.concerns.as_ref().map_or(Concerns::Delivery, |w| {
                self.one_concern(w, "category", Concerns::Delivery)
            }),
            advice: {
                self.only_outside_rule(&c.advice, "category");
                self.advice(&c.advice, None)
            },
        }
    }

    /// The name a category reports: its own, or the one its `counts_as`
    /// names, which must be a category that reports itself (one step, so
    /// what a diagnosis says never depends on a chain).
    fn counts_as(&mut self, c: &ast::Category) -> std::sync::Arc<str> {
        let own: std::sync::Arc<str> = c.name.name.as_str().into();
        let Some(target) = &c.counts_as else {
            return own;
        };
        let Some(def) = self.symbols.categories.get(target.name.as_str()) else {
            self.unknown_category(&target.name, &target.name, target.span);
            return own;
        };
        if target.name == c.name.name || def.node.counts_as.is_some() {
            let why = if target.name == c.name.name {
                "a category cannot count as itself".to_string()
            } else {
                format!("`{}` itself counts as another category", target.name)
            };
            self.diags.push(
                Diagnostic::error(
                    "E0223",
                    format!("`{}` cannot count as `{}`", c.name.name, target.name),
                )
                .at(target.span, why)
                .help("name the category it finally reports, e.g. `counts_as org_policy`"),
            );
            return own;
        }
        target.name.as_str().into()
    }

    fn missing(&mut self, at: Span, what: &str, name: &str, field: &str, example: &str) {
        self.diags.push(
            Diagnostic::error("E0207", format!("{what} `{name}` has no `{field}`"))
                .at(at, format!("this {what} needs a `{field}`"))
                .help(format!("add a line such as `{example}`")),
        );
    }

    fn provider(&mut self, pi: usize, p: &ast::Provider) -> ProviderIr {
        self.unknown_fields(
            &p.unknown,
            "provider",
            &[
                "title",
                "description",
                "when",
                "concerns",
                "fix",
                "prevent",
                "escalate",
                "refs",
            ],
        );
        let serves = match &p.concerns {
            None => vec![Concerns::Delivery],
            Some(words) => {
                let mut serves = Vec::new();
                for w in words {
                    let c = self.concerns(w, Concerns::Delivery);
                    if !serves.contains(&c) {
                        serves.push(c);
                    }
                }
                serves
            }
        };
        let when = match &p.when {
            Some(c) => self.cond(pi, c, Context::Provider),
            None if ast::written_as(&p.unknown, "when") => Expr::Not(Box::new(Expr::True)),
            None => {
                self.missing(
                    p.name.span,
                    "provider",
                    &p.name.name,
                    "when",
                    "when host ends_with \".example.com\"",
                );
                Expr::Not(Box::new(Expr::True))
            }
        };
        ProviderIr {
            name: p.name.name.as_str().into(),
            pack: self.packs[pi].name.clone(),
            title: p
                .title
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_else(|| p.name.name.clone()),
            when,
            serves,
            advice: {
                self.only_outside_rule(&p.advice, "provider");
                self.advice(&p.advice, None)
            },
        }
    }

    fn rule(&mut self, pi: usize, r: &'a ast::Rule) -> RuleIr {
        self.unknown_fields(
            &r.unknown,
            "rule",
            &[
                "category",
                "provider",
                "reason",
                "confidence",
                "priority",
                "retry",
                "concerns",
                "when",
                "capture",
                "diagnosis",
                "check",
                "fix",
                "prevent",
                "escalate",
                "refs",
                "example",
                "counterexample",
            ],
        );
        if r.private {
            self.private_fields(r);
        }
        let category = match &r.category {
            Some(q) => self.lookup_category(q),
            None if r.private || ast::written_as(&r.unknown, "category") => None,
            None => {
                self.missing(
                    r.name.span,
                    "rule",
                    &r.name.name,
                    "category",
                    "category blacklist",
                );
                None
            }
        };
        let provider = r.provider.as_ref().and_then(|q| self.lookup_provider(q));
        let (category_reason, category_concerns) = category
            .and_then(|c| self.category_defaults.get(c as usize).cloned())
            .unwrap_or_else(|| ("undefined".into(), Concerns::Delivery));
        let reason = match &r.reason {
            Some(x) => self.reason(x),
            None => category_reason,
        };
        let confidence = match &r.confidence {
            None => vocab::MEDIUM,
            Some(c) => self.confidence(c),
        };
        let retry = match &r.retry {
            None => vocab::default_retry(&reason),
            Some(v) => self.retry(v, &reason),
        };
        let concerns = match &r.concerns {
            None => category_concerns,
            Some(w) => self.one_concern(w, "rule", category_concerns),
        };
        let mut when = match &r.when {
            Some(c) => self.cond(pi, c, Context::Rule(r)),
            None if ast::written_as(&r.unknown, "when") => Expr::Not(Box::new(Expr::True)),
            None => {
                self.missing(
                    r.name.span,
                    "rule",
                    &r.name.name,
                    "when",
                    "when code 550 and text has \"blocked\"",
                );
                Expr::Not(Box::new(Expr::True))
            }
        };
        if let Some(p) = provider {
            when = Expr::And(vec![Expr::Provider(p), when]);
        }
        let captures = self.captures(r);
        let before = self.diags.len();
        let diagnosis = match &r.diagnosis {
            Some(d) => self.template(d, "a diagnosis", Some(&captures)),
            None if r.private || ast::written_as(&r.unknown, "diagnosis") => Vec::new(),
            None => {
                self.missing(
                    r.name.span,
                    "rule",
                    &r.name.name,
                    "diagnosis",
                    "diagnosis \"What happened, in one sentence\"",
                );
                Vec::new()
            }
        };
        let checks = r.checks.iter().map(|c| self.check_call(c)).collect();
        let advice = self.advice(&r.advice, Some(&captures));
        // A `capture` that did not parse defined a name nobody can know:
        // placeholders are not judged against the captures that remain.
        if r.unknown
            .iter()
            .any(|u| u.broken && u.name.name == "capture")
        {
            let mut i = before;
            while i < self.diags.len() {
                if self.diags[i].code == "E0105" {
                    self.diags.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        RuleIr {
            id: format!("{}/{}", self.packs[pi].name, r.name.name).into(),
            name: r.name.name.clone(),
            pack: self.packs[pi].name.clone(),
            category: category.unwrap_or(0),
            provider,
            reason: reason.into(),
            confidence,
            priority: r.priority.map(|p| p.0 as i32).unwrap_or(0),
            retry,
            concerns,
            when,
            captures,
            diagnosis,
            checks,
            advice,
            examples: r.examples.iter().map(|s| s.value.clone()).collect(),
            counterexamples: r.counterexamples.iter().map(|s| s.value.clone()).collect(),
            location: (self.location)(r.name.span),
            name_span: r.name.span,
            disabled: false,
            private: r.private,
        }
    }

    /// A private rule holds a condition and nothing else: any other field
    /// would say something no answer ever shows (E0224).
    fn private_fields(&mut self, r: &ast::Rule) {
        let mut written: Vec<(&str, Span)> = Vec::new();
        let mut note = |name: &'static str, span: Option<Span>| {
            if let Some(span) = span {
                written.push((name, span));
            }
        };
        note("category", r.category.as_ref().map(|q| q.span));
        note("provider", r.provider.as_ref().map(|q| q.span));
        note("reason", r.reason.as_ref().map(|x| x.span));
        note(
            "confidence",
            r.confidence.as_ref().map(|c| match c {
                ast::ConfidenceLit::Word(w) => w.span,
                ast::ConfidenceLit::Number { span, .. } => *span,
            }),
        );
        note("priority", r.priority.map(|p| p.1));
        note("retry", r.retry.as_ref().map(|x| x.span));
        note(
            "concerns",
            r.concerns.as_ref().and_then(|w| w.first()).map(|x| x.span),
        );
        note("diagnosis", r.diagnosis.as_ref().map(|d| d.span));
        note("example", r.examples.first().map(|e| e.span));
        note("counterexample", r.counterexamples.first().map(|e| e.span));
        note("fix", r.advice.fix.first().map(|e| e.span));
        note("prevent", r.advice.prevent.first().map(|e| e.span));
        note("escalate", r.advice.escalate.first().map(|e| e.span));
        note("capture", r.captures.first().map(|c| c.name.span));
        note("check", r.checks.first().map(|c| c.span));
        for (field, span) in written {
            self.diags.push(
                Diagnostic::error(
                    "E0224",
                    format!("`{field}` in private rule `{}`", r.name.name),
                )
                .at(span, "a private rule never answers, so this is never shown")
                .help("keep only `when` (and `refs`, comments); put the answer in the rules that use it with `rule NAME`"),
            );
        }
    }

    /// A rule's `retry` word: `later`, `by_class` or `none`.
    fn retry(&mut self, v: &ast::Ident, reason: &str) -> RuleRetry {
        if let Some(retry) = vocab::retry_word(&v.name) {
            return retry;
        }
        self.unknown_word(
            "E0122",
            "retry",
            v,
            vocab::RETRY_WORDS.iter().map(|(n, _)| *n),
            "`later` (the cause clears by itself, like a quota that resets), `by_class` (the reply's class decides) or `none` (nothing was refused, like a post held for a moderator)",
        );
        vocab::default_retry(reason)
    }

    /// E0122, E0123: a field's word that is not one of its words, with the
    /// closest one and what each means.
    fn unknown_word<'w>(
        &mut self,
        code: &'static str,
        field: &str,
        v: &ast::Ident,
        words: impl Iterator<Item = &'w str>,
        takes: &str,
    ) {
        let guess = vocab::did_you_mean(&v.name, words)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        self.diags.push(
            Diagnostic::error(code, format!("unknown {field} word `{}`", v.name))
                .at(v.span, format!("not a {field} word"))
                .help(format!("{guess}`{field}` takes {takes}")),
        );
    }

    /// The one `concerns` word of a category or a rule (only a provider
    /// lists several: the answers its steps serve).
    fn one_concern(&mut self, words: &[ast::Ident], what: &str, fallback: Concerns) -> Concerns {
        if let Some(extra) = words.get(1) {
            self.diags.push(
                Diagnostic::error("E0225", format!("more than one `concerns` word in a {what}"))
                    .at(extra.span, format!("a {what}'s answers are about one thing"))
                    .help("keep one of `delivery`, `mailbox`, `account` or `system`; a list belongs in a provider, where it names the answers the provider's steps serve"),
            );
        }
        match words.first() {
            Some(w) => self.concerns(w, fallback),
            None => fallback,
        }
    }

    /// A `concerns` word: `delivery`, `mailbox`, `account` or `system`;
    /// `fallback` (the category's) after an error.
    fn concerns(&mut self, v: &ast::Ident, fallback: Concerns) -> Concerns {
        if let Some(c) = vocab::concerns_word(&v.name) {
            return c;
        }
        self.unknown_word(
            "E0123",
            "concerns",
            v,
            vocab::CONCERNS_WORDS.iter().map(|(n, _)| *n),
            "`delivery` (the receiver judged the mail or its sender: the default), `mailbox` (the recipient's address or mailbox), `account` (the sender's own account or submission server) or `system` (a fault of the receiving system itself)",
        );
        fallback
    }

    /// A confidence word or number, checked.
    fn confidence(&mut self, c: &ast::ConfidenceLit) -> f32 {
        match c {
            ast::ConfidenceLit::Word(w) => {
                match vocab::CONFIDENCE_WORDS.iter().find(|(n, _)| *n == w.name) {
                    Some((_, v)) => *v,
                    None => {
                        self.diags.push(
                            Diagnostic::error("E0117", format!("unknown confidence `{}`", w.name))
                                .at(w.span, "not a confidence level")
                                .help(
                                    vocab::suggest(
                                        &w.name,
                                        vocab::CONFIDENCE_WORDS.iter().map(|(n, _)| *n),
                                        "confidence word",
                                    ) + "; or write a number between 0 and 1",
                                ),
                        );
                        0.0
                    }
                }
            }
            ast::ConfidenceLit::Number { text, span } => match text.parse::<f32>() {
                Ok(v) if (0.0..=1.0).contains(&v) => v,
                _ => {
                    self.diags.push(
                        Diagnostic::error("E0212", format!("confidence `{text}` is out of range"))
                            .at(*span, "not between 0 and 1")
                            .help("write a number from 0 to 1, e.g. `0.85`, or one of `low`, `medium`, `high`, `certain`"),
                    );
                    0.0
                }
            },
        }
    }

    /// Applies the overrides of every pack to the rules they name.
    fn apply_overrides(&mut self, rules: &mut [RuleIr]) {
        for (pi, pack) in self.packs.iter().enumerate() {
            for item in &pack.items {
                let ast::Item::Override(o) = item else {
                    continue;
                };
                self.unknown_fields(
                    &o.unknown,
                    "override",
                    &["disable", "confidence", "priority", "unless"],
                );
                let Some(idx) = self.rule_ref(pi, &o.target) else {
                    continue;
                };
                let confidence = o.confidence.as_ref().map(|c| self.confidence(c));
                let unless = o
                    .unless
                    .as_ref()
                    .map(|c| self.cond(pi, c, Context::Override));
                let rule = &mut rules[idx as usize];
                if o.disable.is_some() {
                    rule.disabled = true;
                }
                if let Some(c) = confidence {
                    rule.confidence = c;
                }
                if let Some((p, _)) = o.priority {
                    rule.priority = p as i32;
                }
                if let Some(e) = unless {
                    let when = std::mem::replace(&mut rule.when, Expr::True);
                    rule.when = Expr::And(vec![when, Expr::Not(Box::new(e))]);
                }
            }
        }
    }

    fn lookup_category(&mut self, q: &ast::QualifiedName) -> Option<CategoryIdx> {
        if let Some(&i) = self.category_idx.get(q.name.as_str()) {
            return Some(i);
        }
        self.unknown_category(&q.to_string(), &q.name, q.span);
        None
    }

    /// E0101 for `written` (as the file writes it), suggesting the defined
    /// category nearest to its `name`.
    fn unknown_category(&mut self, written: &str, name: &str, at: Span) {
        let names: Vec<&str> = self.symbols.categories.keys().copied().collect();
        self.diags.push(
            Diagnostic::error("E0101", format!("unknown category `{written}`"))
                .at(at, "no category of this name")
                .help(vocab::suggest(name, names, "category")),
        );
    }

    fn lookup_provider(&mut self, q: &ast::QualifiedName) -> Option<ProviderIdx> {
        if let Some(&i) = self.provider_idx.get(q.name.as_str()) {
            return Some(i);
        }
        let names: Vec<&str> = self.symbols.providers.keys().copied().collect();
        self.diags.push(
            Diagnostic::error("E0104", format!("unknown provider `{q}`"))
                .at(q.span, "no provider of this name")
                .help(vocab::suggest(&q.name, names, "provider")),
        );
        None
    }

    /// Resolves a pack-scoped name (phrase set or rule) to its pack.
    fn resolve_scoped(
        &mut self,
        pi: usize,
        q: &ast::QualifiedName,
        exists: &dyn Fn(usize, &str) -> bool,
    ) -> Result<usize, Option<Box<Diagnostic>>> {
        if let Some(pack) = &q.pack {
            let Some(&j) = self.symbols.pack_index.get(pack.as_str()) else {
                return Err(Some(Box::new(
                    Diagnostic::error("E0114", format!("unknown pack `{pack}`"))
                        .at(q.span, "no pack of this name is loaded")
                        .help(vocab::suggest(
                            pack,
                            self.packs.iter().map(|p| p.name.as_str()),
                            "loaded pack",
                        )),
                )));
            };
            if !self.symbols.visible[pi].contains(&j) {
                return Err(Some(Box::new(
                    Diagnostic::error("E0115", format!("pack `{pack}` is not imported here"))
                        .at(
                            q.span,
                            format!(
                                "`{pack}` is loaded but not imported by `{}`",
                                self.packs[pi].name
                            ),
                        )
                        .help(format!("add `import {pack}` at the top of the file")),
                )));
            }
            return if exists(j, &q.name) { Ok(j) } else { Err(None) };
        }
        let found: Vec<usize> = self.symbols.visible[pi]
            .iter()
            .copied()
            .filter(|&j| exists(j, &q.name))
            .collect();
        match found.as_slice() {
            [] => Err(None),
            [j] => Ok(*j),
            [first, ..] if *first == pi => Ok(pi),
            several => Err(Some(Box::new(
                Diagnostic::error("E0116", format!("`{}` is ambiguous", q.name))
                    .at(q.span, "defined in more than one imported pack")
                    .help(format!(
                        "qualify it with its pack: {}",
                        several
                            .iter()
                            .map(|&j| format!("`{}/{}`", self.packs[j].name, q.name))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )),
            ))),
        }
    }

    fn visible_names(&self, pi: usize, rules: bool) -> Vec<&'a str> {
        let vis = &self.symbols.visible[pi];
        if rules {
            self.symbols
                .rules
                .keys()
                .filter(|(p, _)| vis.contains(p))
                .map(|(_, n)| *n)
                .collect()
        } else {
            self.symbols
                .phrases
                .keys()
                .filter(|(p, _)| vis.contains(p))
                .map(|(_, n)| *n)
                .collect()
        }
    }

    fn phrase_set(&mut self, pi: usize, q: &ast::QualifiedName) -> Option<&'a ast::PhraseSet> {
        let phrases = &self.symbols.phrases;
        match self.resolve_scoped(pi, q, &|j, n| phrases.contains_key(&(j, n))) {
            Ok(j) => Some(self.symbols.phrases[&(j, q.name.as_str())]),
            Err(Some(d)) => {
                self.diags.push(*d);
                None
            }
            Err(None) => {
                let names = self.visible_names(pi, false);
                let mut help = vocab::suggest(&q.name, names, "phrase set");
                if q.pack.is_none() {
                    help.push_str("; for a literal, write it in quotes: `text has \"...\"`");
                }
                self.diags.push(
                    Diagnostic::error("E0102", format!("unknown phrase set `{q}`"))
                        .at(q.span, "no phrase set of this name")
                        .help(help),
                );
                None
            }
        }
    }

    fn rule_ref(&mut self, pi: usize, q: &ast::QualifiedName) -> Option<RuleIdx> {
        let rules = &self.symbols.rules;
        match self.resolve_scoped(pi, q, &|j, n| rules.contains_key(&(j, n))) {
            Ok(j) => self.rule_idx.get(&(j, q.name.as_str())).copied(),
            Err(Some(d)) => {
                self.diags.push(*d);
                None
            }
            Err(None) => {
                let names = self.visible_names(pi, true);
                self.diags.push(
                    Diagnostic::error("E0103", format!("unknown rule `{q}`"))
                        .at(q.span, "no rule of this name")
                        .help(vocab::suggest(&q.name, names, "rule")),
                );
                None
            }
        }
    }

    /// Interns a list of triggers, reporting bad ones.
    fn triggers(&mut self, phrases: &[ast::Phrase]) -> Vec<PatternId> {
        let mut ids = Vec::new();
        for p in phrases {
            match p {
                ast::Phrase::Literal(s) => {
                    if s.value.trim().is_empty() {
                        self.diags.push(
                            Diagnostic::error("E0216", "empty phrase")
                                .at(s.span, "this matches everywhere")
                                .help("remove it, or write the words the reply must contain"),
                        );
                        continue;
                    }
                    ids.push(self.patterns.literal(&s.value));
                }
                ast::Phrase::Regex(r) => {
                    let built = || {
                        regex_build_error(r, &crate::patterns::compiled_source(&r.source))
                            .err()
                            .map(|d| *d)
                    };
                    // Packs run unlinted (the built-in ones, checked by CI)
                    // skip the syntax check too: a regex that does not
                    // parse never matches (`Patterns::regex`).
                    let checked = || regex_error(r).or_else(built);
                    if let Some(d) = self.build_regexes.then(checked).flatten() {
                        self.diags.push(d);
                        continue;
                    }
                    ids.push(self.patterns.regex(&r.source));
                }
            }
        }
        ids
    }

    fn cond(&mut self, pi: usize, c: &Cond, ctx: Context) -> Expr {
        match c {
            Cond::And(parts, _) => {
                let lowered: Vec<Expr> = parts.iter().map(|p| self.cond(pi, p, ctx)).collect();
                Expr::And(lowered)
            }
            Cond::Or(parts, _) => Expr::Or(parts.iter().map(|p| self.cond(pi, p, ctx)).collect()),
            Cond::Not(inner, _) => Expr::Not(Box::new(self.cond(pi, inner, ctx))),
            Cond::Code(text, span) => match parse_code(text) {
                Ok((lo, hi)) => Expr::Code { lo, hi },
                Err(why) => {
                    self.diags.push(
                        Diagnostic::error("E0210", format!("`{text}` is not a reply code"))
                            .at(*span, why)
                            .help("reply codes run from 200 to 559, e.g. `550`; `5xx` is every permanent one, `45x` a family"),
                    );
                    Expr::True
                }
            },
            Cond::Status(text, span) => match parse_status(text) {
                Ok((class, subject, detail)) => Expr::Status {
                    class,
                    subject,
                    detail,
                },
                Err((what, help)) => {
                    self.diags.push(
                        Diagnostic::error(
                            "E0211",
                            format!("`{text}` is not an enhanced status code"),
                        )
                        .at(*span, what)
                        .help(help),
                    );
                    Expr::True
                }
            },
            Cond::Class(id, _) => match id.name.as_str() {
                "permanent" => Expr::Permanent(true),
                "transient" => Expr::Permanent(false),
                _ => {
                    self.diags.push(
                        Diagnostic::error("E0113", format!("unknown class `{}`", id.name))
                            .at(id.span, "not a reply class")
                            .help(vocab::suggest(
                                &id.name,
                                vocab::CLASSES.iter().copied(),
                                "class",
                            )),
                    );
                    Expr::True
                }
            },
            Cond::Stage(id, _) => match Stage::from_name(&id.name) {
                Some(s) => Expr::Stage(s),
                None => {
                    self.diags.push(
                        Diagnostic::error("E0108", format!("unknown SMTP stage `{}`", id.name))
                            .at(id.span, "not an SMTP stage")
                            .help(vocab::suggest(
                                &id.name,
                                vocab::STAGES.iter().copied(),
                                "stage",
                            )),
                    );
                    Expr::True
                }
            },
            Cond::Provider(q, span) => {
                if ctx == Context::Provider {
                    self.not_in_provider(*span, "`provider`");
                    return Expr::True;
                }
                self.lookup_provider(q)
                    .map(Expr::Provider)
                    .unwrap_or(Expr::True)
            }
            Cond::TextHas(r, _) => match r {
                ast::TextRef::Literal(s) => {
                    Expr::Text(self.triggers(&[ast::Phrase::Literal(s.clone())]))
                }
                ast::TextRef::List(list, span) => {
                    if list.is_empty() {
                        self.diags.push(
                            Diagnostic::error("E0208", "empty phrase list")
                                .at(*span, "no phrases in this list")
                                .help("add at least one \"literal\" or /regex/"),
                        );
                    }
                    Expr::Text(self.triggers(list))
                }
                ast::TextRef::Named(q) => match self.phrase_set(pi, q) {
                    Some(set) => Expr::Text(self.triggers(&set.phrases)),
                    None => Expr::True,
                },
            },
            Cond::TextMatches(r, _) => Expr::Text(self.triggers(&[ast::Phrase::Regex(r.clone())])),
            Cond::Rule(q, span) => {
                if ctx == Context::Provider {
                    self.not_in_provider(*span, "`rule`");
                    return Expr::True;
                }
                self.rule_ref(pi, q).map(Expr::Rule).unwrap_or(Expr::True)
            }
            Cond::Check {
                check,
                verdict,
                span,
            } => {
                let rule = match ctx {
                    Context::Rule(rule) => rule,
                    Context::Override => {
                        self.diags.push(
                            Diagnostic::error("E0221", "a check cannot be tested in an override")
                                .at(*span, "checks run only in the rule that declares them")
                                .help("test the reply (text, code, status, fields) in `unless`, or override the rule's confidence"),
                        );
                        return Expr::True;
                    }
                    Context::Provider => {
                        self.not_in_provider(*span, "`check`");
                        return Expr::True;
                    }
                };
                self.check_name(check);
                if !vocab::VERDICTS.contains(&verdict.name.as_str()) {
                    self.diags.push(
                        Diagnostic::error("E0112", format!("unknown verdict `{}`", verdict.name))
                            .at(verdict.span, "not a check verdict")
                            .help(vocab::suggest(
                                &verdict.name,
                                vocab::VERDICTS.iter().copied(),
                                "verdict",
                            )),
                    );
                }
                if vocab::find_check(&check.name).is_some()
                    && !rule.checks.iter().any(|c| c.name.name == check.name)
                {
                    self.diags.push(
                        Diagnostic::error(
                            "E0119",
                            format!("rule tests `{}` but never runs it", check.name),
                        )
                        .at(check.span, "this check's verdict is never computed")
                        .help(format!(
                            "add a `check {}(...)` line to the rule so the check runs",
                            check.name
                        )),
                    );
                }
                Expr::Check {
                    check: check.name.clone(),
                    verdict: verdict.name.clone(),
                }
            }
            Cond::Field { field, test, .. } => {
                let Some(f) = Field::from_name(&field.name) else {
                    self.unknown_fact(field);
                    return Expr::True;
                };
                match test {
                    ast::FieldTest::Exists => Expr::Field(f, FieldMatch::Exists),
                    ast::FieldTest::Compare {
                        op,
                        values,
                        op_span,
                    } => self.field_compare(f, *op, values, *op_span),
                }
            }
        }
    }

    fn field_compare(
        &mut self,
        f: Field,
        op: ast::FieldOp,
        values: &[ast::Phrase],
        op_span: Span,
    ) -> Expr {
        let mut literals = Vec::new();
        let mut regexes = Vec::new();
        for v in values {
            match v {
                ast::Phrase::Literal(s) => literals.push(s.value.to_lowercase()),
                ast::Phrase::Regex(r) => {
                    if let Some(d) = regex_error(r) {
                        self.diags.push(d);
                    } else if op != ast::FieldOp::Matches {
                        self.diags.push(
                            Diagnostic::error(
                                "E0220",
                                format!("`{}` compares with strings, not regexes", op.keyword()),
                            )
                            .at(r.span, "a regex here")
                            .help("use `matches /regex/`, or write the value as a \"string\""),
                        );
                    } else {
                        match regex_build_error(r, &crate::ir::LazyRegex::pattern_of(&r.source)) {
                            Ok(re) => regexes.push(crate::ir::LazyRegex::built(&r.source, re)),
                            Err(d) => self.diags.push(*d),
                        }
                    }
                }
            }
        }
        if op == ast::FieldOp::Matches && !literals.is_empty() {
            self.diags.push(
                Diagnostic::error("E0220", "`matches` takes a regex, not a string")
                    .at(op_span, "this compares with a regex")
                    .help("write the pattern between slashes, /like this/, or use `is`, `contains`, `ends_with`"),
            );
        }
        Expr::Field(
            f,
            match op {
                ast::FieldOp::Is => FieldMatch::Is(literals),
                ast::FieldOp::EndsWith => FieldMatch::EndsWith(literals),
                ast::FieldOp::StartsWith => FieldMatch::StartsWith(literals),
                ast::FieldOp::Contains => FieldMatch::Contains(literals),
                ast::FieldOp::Matches => FieldMatch::Matches(regexes),
            },
        )
    }

    fn unknown_fact(&mut self, field: &ast::Ident) {
        self.diags.push(
            Diagnostic::error("E0106", format!("unknown field `{}`", field.name))
                .at(field.span, "not a fact of the input")
                .help(vocab::suggest(
                    &field.name,
                    vocab::FIELDS.iter().map(|(n, _)| *n),
                    "field",
                )),
        );
    }

    fn not_in_provider(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::error("E0218", format!("{what} cannot be used to recognise a provider"))
                .at(span, "not allowed in a provider's `when`")
                .help("a provider is recognised from the reply alone: use host, text, code and status tests"),
        );
    }

    fn check_name(&mut self, check: &ast::Ident) -> Option<&'static vocab::CheckSig> {
        let sig = vocab::find_check(&check.name);
        if sig.is_none() {
            self.diags.push(
                Diagnostic::error("E0109", format!("unknown check `{}`", check.name))
                    .at(check.span, "no plugin offers this check")
                    .help(vocab::suggest(&check.name, vocab::check_names(), "check")),
            );
        }
        sig
    }

    fn check_call(&mut self, c: &ast::CheckCall) -> CheckIr {
        let sig = self.check_name(&c.name);
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut args = Vec::new();
        for a in &c.args {
            if let Some(first) = seen.insert(&a.name.name, a.name.span) {
                self.diags.push(
                    Diagnostic::error(
                        "E0217",
                        format!("argument `{}` is given twice", a.name.name),
                    )
                    .at(a.name.span, "second value")
                    .note(first, "first value")
                    .help("give each argument once"),
                );
            }
            if let Some(sig) = sig {
                if !sig.required.contains(&a.name.name.as_str())
                    && !sig.optional.contains(&a.name.name.as_str())
                {
                    let all: Vec<&str> = sig.required.iter().chain(sig.optional).copied().collect();
                    self.diags.push(
                        Diagnostic::error(
                            "E0110",
                            format!("check `{}` has no argument `{}`", c.name.name, a.name.name),
                        )
                        .at(a.name.span, "unknown argument")
                        .help(vocab::suggest(
                            &a.name.name,
                            all,
                            "argument",
                        )),
                    );
                }
            }
            let value = match &a.value {
                ast::CheckValue::Literal(s) => CheckArgIr::Literal(s.value.clone()),
                ast::CheckValue::Fact(f) => {
                    if Field::from_name(&f.name).is_none() {
                        self.unknown_fact(f);
                    }
                    CheckArgIr::Fact(f.name.clone())
                }
            };
            args.push((a.name.name.clone(), value));
        }
        if let Some(sig) = sig {
            for req in sig.required {
                if !seen.contains_key(req) {
                    self.diags.push(
                        Diagnostic::error(
                            "E0111",
                            format!("check `{}` needs argument `{req}`", c.name.name),
                        )
                        .at(c.span, format!("`{req}` is missing"))
                        .help(format!(
                            "add `{req}: FIELD` or `{req}: \"value\"`, e.g. `{req}: client_ip`"
                        )),
                    );
                }
            }
        }
        CheckIr {
            check: c.name.name.clone(),
            args,
        }
    }

    fn captures(&mut self, r: &ast::Rule) -> Vec<(String, crate::ir::LazyRegex)> {
        let mut out: Vec<(String, crate::ir::LazyRegex)> = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for c in &r.captures {
            if let Some(first) = seen.insert(&c.name.name, c.name.span) {
                self.diags.push(
                    Diagnostic::error(
                        "E0205",
                        format!("capture `{}` is defined twice", c.name.name),
                    )
                    .at(c.name.span, "second definition")
                    .note(first, "first defined here")
                    .help("give each capture its own name"),
                );
                continue;
            }
            // A capture whose regex is wrong still defines its name, so its
            // placeholders are not reported as unknown as well.
            if let Some(d) = regex_error(&c.regex) {
                self.diags.push(d);
                out.push((c.name.name.clone(), crate::ir::LazyRegex::new("")));
                continue;
            }
            let groups = regex_syntax::ParserBuilder::new()
                .case_insensitive(true)
                .build()
                .parse(&c.regex.source)
                .map(|h| h.properties().explicit_captures_len())
                .unwrap_or(0);
            if groups == 0 {
                self.diags.push(
                    Diagnostic::error("E0213", format!("capture `{}` has no group", c.name.name))
                        .at(c.regex.span, "nothing in parentheses to capture")
                        .help("wrap the part to capture in parentheses: /blocked using ([a-z0-9.-]+)/"),
                );
                out.push((c.name.name.clone(), crate::ir::LazyRegex::new("")));
                continue;
            }
            // A checked pack builds it now, with the engine's limits; a
            // pack that only runs builds it the first time it is used. It
            // reads the folded text, so it is folded as a `when` regex is.
            let source = crate::patterns::fold_regex(&c.regex.source);
            let lazy = if self.build_regexes {
                match regex_build_error(&c.regex, &crate::ir::LazyRegex::pattern_of(&source)) {
                    Ok(re) => crate::ir::LazyRegex::built(&source, re),
                    Err(d) => {
                        self.diags.push(*d);
                        out.push((c.name.name.clone(), crate::ir::LazyRegex::new("")));
                        continue;
                    }
                }
            } else {
                crate::ir::LazyRegex::new(&source)
            };
            out.push((c.name.name.clone(), lazy));
        }
        out
    }

    /// Checks a template (a diagnosis or a step) and splits it into parts:
    /// every `{placeholder}` must be closed and name a capture of the rule
    /// (`captures`; `None` outside a rule) or a fact.
    fn template(
        &mut self,
        s: &ast::Str,
        what: &str,
        captures: Option<&[(String, crate::ir::LazyRegex)]>,
    ) -> Vec<TemplatePart> {
        match parse_template(&s.value) {
            Err(at) => {
                self.diags.push(
                    Diagnostic::error("E0105", format!("unclosed `{{` in {what}"))
                        .at(
                            s.span,
                            format!("the `{{` at character {} is never closed", at + 1),
                        )
                        .help("close the placeholder with `}`, or write a literal brace as `{{`"),
                );
                Vec::new()
            }
            Ok(parts) => {
                let in_rule = captures.is_some();
                let captures = captures.unwrap_or(&[]);
                for p in &parts {
                    if let TemplatePart::Slot { name, .. } = p {
                        let known = captures.iter().any(|(n, _)| n == name)
                            || Field::from_name(name).is_some()
                            || vocab::TEMPLATE_FACTS.contains(&name.as_str());
                        if !known {
                            let mut candidates: Vec<&str> =
                                captures.iter().map(|(n, _)| n.as_str()).collect();
                            candidates.extend(vocab::FIELDS.iter().map(|(n, _)| *n));
                            candidates.extend(vocab::TEMPLATE_FACTS);
                            self.diags.push(
                                Diagnostic::error(
                                    "E0105",
                                    format!("unknown placeholder `{{{name}}}` in {what}"),
                                )
                                .at(
                                    s.span,
                                    if in_rule {
                                        format!("`{name}` is neither a capture of this rule nor a fact")
                                    } else {
                                        format!("`{name}` is not a fact (a category's or a provider's steps cannot use a rule's captures)")
                                    },
                                )
                                .help(
                                    vocab::suggest(name, candidates, "placeholder")
                                        + if in_rule {
                                            "; define it with `capture NAME = /(...)/`"
                                        } else {
                                            ""
                                        },
                                ),
                            );
                        }
                    }
                }
                parts
            }
        }
    }

    fn report_rule_cycles(&mut self, list: &[(usize, &ast::Rule)], rules: &[RuleIr]) {
        fn refs(e: &Expr, out: &mut Vec<RuleIdx>) {
            match e {
                Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| refs(x, out)),
                Expr::Not(x) => refs(x, out),
                Expr::Rule(r) => out.push(*r),
                _ => {}
            }
        }
        let edges: Vec<Vec<RuleIdx>> = rules
            .iter()
            .map(|r| {
                let mut v = Vec::new();
                refs(&r.when, &mut v);
                v
            })
            .collect();
        let mut reported = HashSet::new();
        for start in 0..rules.len() {
            // Is `start` reachable from itself?
            let mut stack: Vec<RuleIdx> = edges[start].clone();
            let mut seen = HashSet::new();
            while let Some(n) = stack.pop() {
                if n as usize == start {
                    if reported.insert(start) {
                        let r = list[start].1;
                        self.diags.push(
                            Diagnostic::error("E0215", format!("rule `{}` depends on itself", r.name.name))
                                .at(r.name.span, "its condition refers back to this rule")
                                .help("a `rule NAME` condition must not lead back to the rule that uses it"),
                        );
                    }
                    break;
                }
                if seen.insert(n) {
                    stack.extend(edges[n as usize].iter().copied());
                }
            }
        }
    }
}

fn remap_expr(e: &mut Expr, literal_count: u32) {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter_mut().for_each(|x| remap_expr(x, literal_count)),
        Expr::Not(x) => remap_expr(x, literal_count),
        Expr::Text(ids) => {
            for id in ids.iter_mut() {
                *id = crate::patterns::remap(*id, literal_count);
            }
            ids.sort_unstable();
            ids.dedup();
        }
        _ => {}
    }
}

/// The regex crate's complaint about a regex literal, as a diagnostic.
pub(crate) fn regex_error(r: &ast::RegexLit) -> Option<Diagnostic> {
    // Parsing finds every syntax error without compiling (compiling each
    // regex here, then again for the set, doubled the cost of loading).
    let err = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(&r.source)
        .err()?;
    let text = err.to_string();
    let why = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(text.lines().last().unwrap_or("invalid regex"))
        .to_string();
    Some(
        Diagnostic::error("E0209", "invalid regex")
            .at(r.span, why)
            .help(
            "regexes use the syntax of Rust's `regex` crate (no look-around or back-references)",
        ),
    )
}

/// Builds a regex literal whose syntax is valid (`regex_error` found
/// nothing) from `compiled`, the source as the engine compiles it, with the
/// engine's limits (the `regex` crate's defaults); a regex that is too big
/// to build is an error on its span.
pub(crate) fn regex_build_error(
    r: &ast::RegexLit,
    compiled: &str,
) -> Result<regex::Regex, Box<Diagnostic>> {
    regex::Regex::new(compiled).map_err(|e| {
        let why = match &e {
            regex::Error::CompiledTooBig(limit) => format!(
                "this regex compiles to more than the {} MiB the engine allows",
                limit >> 20
            ),
            other => other.to_string().lines().last().unwrap_or("cannot be built").to_string(),
        };
        Box::new(
            Diagnostic::error("E0209", "invalid regex")
                .at(r.span, why)
                .help("nested or large counted repetitions (`{100}` inside `{100}`) multiply; write the repetition with `+` or `*`, or a smaller count"),
        )
    })
}

/// `550` → (550, 550); `5xx` → (500, 599); `55x` → (550, 559).
pub fn parse_code(text: &str) -> Result<(u16, u16), String> {
    let b = text.as_bytes();
    let wild = |c: u8| c == b'x' || c == b'X';
    if b.len() != 3 {
        return Err("a reply code has three characters".into());
    }
    if !(b'2'..=b'5').contains(&b[0]) {
        return Err(format!("no reply code starts with `{}`", b[0] as char));
    }
    if wild(b[1]) && !wild(b[2]) {
        return Err("`x` may only stand at the end".into());
    }
    if !wild(b[1]) && b[1] > b'5' {
        return Err(format!(
            "the second digit of a reply code runs from 0 to 5, not {}",
            b[1] as char
        ));
    }
    let digit = |c: u8, w: u16| if wild(c) { w } else { (c - b'0') as u16 };
    let lo = digit(b[0], 0) * 100 + digit(b[1], 0) * 10 + digit(b[2], 0);
    let hi = digit(b[0], 0) * 100 + digit(b[1], 9) * 10 + digit(b[2], 9);
    Ok((lo, hi))
}

type StatusParts = (Option<u16>, Option<u16>, Option<u16>);

/// `5.7.1`, `5.7.*`, `*.7.26`.
pub fn parse_status(text: &str) -> Result<StatusParts, (String, String)> {
    let parts: Vec<&str> = text.split('.').collect();
    let num = |s: &str| {
        if s == "*" {
            Ok(None)
        } else {
            s.parse::<u16>().map(Some)
        }
    };
    let (Ok(class), Ok(subject), Ok(detail)) = (num(parts[0]), num(parts[1]), num(parts[2])) else {
        return Err((
            "a part is too long".into(),
            "each part is a small number or `*`".into(),
        ));
    };
    if let Some(c) = class {
        if ![2, 4, 5].contains(&c) {
            return Err((
                format!("no status class `{c}`"),
                "the class is 2 (success), 4 (persistent transient) or 5 (permanent)".into(),
            ));
        }
    }
    if let Some(s) = subject {
        if s > 7 {
            return Err((
                format!("no status subject `{s}`"),
                "subjects run from 0 to 7: 0 other, 1 addressing, 2 mailbox, 3 mail system, 4 network, 5 protocol, 6 content, 7 security or policy".into(),
            ));
        }
    }
    if let Some(d) = detail {
        if d > 999 {
            return Err((
                format!("detail `{d}` has more than three digits"),
                "the detail runs from 0 to 999".into(),
            ));
        }
    }
    Ok((class, subject, detail))
}

/// Splits a template into text and `{slot}`s; `Err(offset)` for an unclosed
/// brace. `{{` and `}}` are literal braces; `{name|wording}` gives the
/// wording to use when the input lacks `name` (up to the first `|`).
pub fn parse_template(s: &str) -> Result<Vec<TemplatePart>, usize> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let rest = &s[i + 1..];
                let Some(end) = rest.find('}') else {
                    return Err(i);
                };
                let inside = &rest[..end];
                let (name, fallback) = match inside.split_once('|') {
                    Some((n, f)) => (n.trim(), Some(f.trim().to_string())),
                    None => (inside.trim(), None),
                };
                if !text.is_empty() {
                    parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                }
                parts.push(TemplatePart::Slot {
                    name: name.to_string(),
                    fallback,
                });
                for _ in 0..rest[..end + 1].chars().count() {
                    chars.next();
                }
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(TemplatePart::Text(text));
    }
    Ok(parts)
}

/// How many keys a gate has: a conjunction keeps its narrowest part's.
fn gate_size(g: &Gate) -> usize {
    g.triggers.len()
        + g.statuses.len()
        + g.stages.len()
        + g.codes.len()
        + g.fields.len()
        + g.suffixes.len()
        + usize::from(g.verdicts)
}

/// Adds `other`'s keys to `into` (a disjunction needs any of them).
fn merge_gates(into: &mut Gate, other: Gate) {
    into.triggers.extend(other.triggers);
    into.statuses.extend(other.statuses);
    into.stages.extend(other.stages);
    into.codes.extend(other.codes);
    into.fields.extend(other.fields);
    into.suffixes.extend(other.suffixes);
    into.verdicts |= other.verdicts;
}

/// The keys of which at least one must be present for `e` to hold, or
/// `None` when `e` can hold without any. A single condition's keys come
/// from [`gate_leaf`]; a conjunction needs the keys of its narrowest keyed
/// part, a disjunction the keys of all its parts (and has none if one part
/// has none).
fn needed(e: &Expr) -> Option<Gate> {
    match e {
        Expr::And(v) => v.iter().filter_map(needed).min_by_key(gate_size),
        Expr::Or(v) => {
            let mut all = Gate::default();
            for x in v {
                merge_gates(&mut all, needed(x)?);
            }
            Some(all)
        }
        other => gate_leaf(other),
    }
}

/// What a rule needs before it is worth evaluating, from one condition:
/// a trigger, a status, a stage, a code, a fact with a value, a verdict.
/// Negations, `class` and `provider` need nothing in particular.
fn gate_leaf(e: &Expr) -> Option<Gate> {
    let g = Gate::default();
    match e {
        Expr::Text(ids) if !ids.is_empty() => Some(Gate {
            triggers: ids.clone(),
            ..g
        }),
        Expr::Status {
            class,
            subject,
            detail,
        } => Some(Gate {
            statuses: vec![StatusPattern {
                class: *class,
                subject: *subject,
                detail: *detail,
            }],
            ..g
        }),
        Expr::Stage(s) => Some(Gate {
            stages: vec![*s],
            ..g
        }),
        Expr::Code { lo, hi } => Some(Gate {
            codes: vec![(*lo, *hi)],
            ..g
        }),
        // every input has a `notice` (`bounce` unless it is an automatic
        // reply), so it narrows nothing: a conjunction's other parts gate
        Expr::Field(Field::Notice, _) => None,
        Expr::Field(f, FieldMatch::EndsWith(xs) | FieldMatch::Is(xs))
            if !xs.is_empty() && xs.iter().all(|x| x.len() >= SUFFIX_KEY) =>
        {
            Some(Gate {
                suffixes: xs.iter().map(|x| (*f, x.clone())).collect(),
                ..g
            })
        }
        Expr::Field(f, _) => Some(Gate {
            fields: vec![*f],
            ..g
        }),
        Expr::Check { .. } => Some(Gate {
            verdicts: true,
            ..g
        }),
        _ => None,
    }
}

/// What a rule's or a provider's condition needs: its [`Gate`] (triggers
/// sorted), or `None` when it can hold with nothing in particular present.
pub fn rule_gate(e: &Expr) -> Option<Gate> {
    let mut g = needed(e)?;
    g.triggers.sort_unstable();
    g.triggers.dedup();
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(parse_code("550"), Ok((550, 550)));
        assert_eq!(parse_code("5xx"), Ok((500, 599)));
        assert_eq!(parse_code("45x"), Ok((450, 459)));
        assert!(parse_code("699").is_err());
        assert!(parse_code("5x0").is_err());
        assert!(parse_code("580").is_err());
    }

    #[test]
    fn statuses() {
        assert_eq!(parse_status("5.7.1"), Ok((Some(5), Some(7), Some(1))));
        assert_eq!(parse_status("*.7.26"), Ok((None, Some(7), Some(26))));
        assert!(parse_status("5.9.1").is_err());
        assert!(parse_status("3.1.1").is_err());
    }

    #[test]
    fn templates() {
        assert_eq!(
            parse_template("ip {client_ip} on {{x}}"),
            Ok(vec![
                TemplatePart::Text("ip ".into()),
                TemplatePart::Slot {
                    name: "client_ip".into(),
                    fallback: None
                },
                TemplatePart::Text(" on {x}".into()),
            ])
        );
        assert_eq!(
            parse_template("from {client_ip | your sending IP}, {list|}"),
            Ok(vec![
                TemplatePart::Text("from ".into()),
                TemplatePart::Slot {
                    name: "client_ip".into(),
                    fallback: Some("your sending IP".into())
                },
                TemplatePart::Text(", ".into()),
                TemplatePart::Slot {
                    name: "list".into(),
                    fallback: Some(String::new())
                },
            ])
        );
        assert_eq!(parse_template("oops {x"), Err(5));
    }
}
