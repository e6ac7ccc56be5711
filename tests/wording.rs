//! Every shipped diagnosis and step reads as English when the reply names
//! none of what its placeholders ask for (a bare "550 5.1.1 User unknown"
//! has no recipient, no client IP, no captured list): each placeholder
//! that may be absent brings its own wording (`{client_ip|your sending
//! IP}`), and no template leaves a doubled article ("the address the
//! recipient"), a dangling "(not stated in the reply)", empty parentheses
//! or doubled spaces behind.

use bouncedx_dsl::compile::parse_template;
use bouncedx_dsl::ir::TemplatePart;
use bouncedx_engine::diagnosis::render_parts;
use bouncedx_engine::facts::Facts;

const DETERMINERS: &[&str] = &["the", "a", "an", "your", "its", "this"];

/// Nouns after which a placeholder's own noun phrase would double up: "the
/// address {recipient}" must not read "the address the recipient".
const NOUNS: &[&str] = &[
    "address",
    "ip",
    "mailbox",
    "account",
    "recipient",
    "domain",
    "sender",
    "host",
    "user",
    "server",
];

/// Where a template's absent placeholders join their neighbours badly:
/// a noun, then a wording that starts a noun phrase of its own.
fn joins(parts: &[TemplatePart]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let TemplatePart::Slot { name, fallback } = p else {
            continue;
        };
        let wording = fallback
            .as_deref()
            .unwrap_or(bouncedx_dsl::vocab::default_wording(name));
        let Some(TemplatePart::Text(before)) = i.checked_sub(1).map(|j| &parts[j]) else {
            continue;
        };
        if !before.ends_with(' ') {
            continue;
        }
        let last = before
            .split_whitespace()
            .last()
            .unwrap_or("")
            .to_lowercase();
        let first = wording
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase();
        if (NOUNS.contains(&last.as_str()) || DETERMINERS.contains(&last.as_str()))
            && DETERMINERS.contains(&first.as_str())
        {
            out.push(format!("\"{last} {{{name}}}\" reads \"{last} {wording}\""));
        }
    }
    out
}

/// What a rendered sentence must not contain, with why.
fn faults(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = s.to_lowercase();
    for bad in [
        "(not stated in the reply)",
        "what the reply names",
        "()",
        "( ",
        " )",
        "  ",
        " ,",
        " ;",
        " :",
        "{",
        "}",
    ] {
        if lower.contains(bad) {
            out.push(format!("contains {bad:?}"));
        }
    }
    // "the your", "a the", "your your": adjacent words, no punctuation between
    let words: Vec<&str> = lower.split_whitespace().collect();
    for w in words.windows(2) {
        // "an A record" names a DNS record
        if DETERMINERS.contains(&w[0]) && DETERMINERS.contains(&w[1]) && w[1] != "a" {
            out.push(format!("doubled determiner \"{} {}\"", w[0], w[1]));
        }
    }
    if s.trim() != s {
        out.push("leading or trailing space".into());
    }
    out
}

/// A template as the input without its optional facts fills it: a
/// placeholder with a wording is absent; one without is one the rule's
/// condition guarantees (`placeholder_may_be_absent`, denied for the
/// shipped packs, holds the others), so it stands for a value.
fn absent(parts: &[TemplatePart]) -> Vec<TemplatePart> {
    parts
        .iter()
        .map(|p| match p {
            TemplatePart::Slot { fallback: None, .. } => TemplatePart::Text("VALUE".into()),
            other => other.clone(),
        })
        .collect()
}

#[test]
fn every_template_reads_well_without_its_placeholders() {
    let engine = bouncedx::default_engine();
    let rs = &engine.ruleset;
    let none = Facts::default();
    let mut problems: Vec<String> = Vec::new();
    let check = |problems: &mut Vec<String>,
                 who: &str,
                 field: &str,
                 template: &str,
                 captures: &[(String, bouncedx_dsl::ir::LazyRegex)],
                 provider: Option<&str>| {
        let parts = absent(&parse_template(template).expect("the compiler checked it"));
        let text = render_parts(&parts, captures, &none, provider);
        for f in faults(&text).into_iter().chain(joins(&parts)) {
            problems.push(format!("{who} {field}: {f}\n    {template}\n    → {text}"));
        }
    };
    // every fix, prevent and escalate step of one rule, category or provider
    let check_steps = |problems: &mut Vec<String>,
                       who: &str,
                       a: &bouncedx_dsl::ir::Advice,
                       captures: &[(String, bouncedx_dsl::ir::LazyRegex)],
                       provider: Option<&str>| {
        for (field, list) in [
            ("fix", &a.fix),
            ("prevent", &a.prevent),
            ("escalate", &a.escalate),
        ] {
            for step in list {
                check(problems, who, field, step, captures, provider);
            }
        }
    };
    for rule in &rs.rules {
        let provider = rule
            .provider
            .map(|p| rs.providers[p as usize].title.as_str());
        let parts = absent(&rule.diagnosis);
        let text = render_parts(&parts, &rule.captures, &none, provider);
        for f in faults(&text).into_iter().chain(joins(&parts)) {
            problems.push(format!("{} diagnosis: {f}\n    → {text}", rule.id));
        }
        check_steps(
            &mut problems,
            &rule.id,
            &rule.advice,
            &rule.captures,
            provider,
        );
    }
    for c in &rs.categories {
        check_steps(
            &mut problems,
            &format!("category {}", c.name),
            &c.advice,
            &[],
            None,
        );
    }
    for p in &rs.providers {
        check_steps(
            &mut problems,
            &format!("provider {}", p.name),
            &p.advice,
            &[],
            Some(&p.title),
        );
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The sentences the issue quoted, as the shipped rules now read them.
#[test]
fn the_reported_sentences_read_well() {
    let engine = bouncedx::default_engine();
    let answer = |reply: &str| {
        let facts = bouncedx_engine::intake::reply::parse_reply(reply);
        bouncedx_engine::diagnosis::diagnose(&engine.ruleset, &facts)
    };
    let d = answer("550 5.1.1 The email account that you tried to reach does not exist");
    assert!(
        !d.diagnosis.contains("the recipient does"),
        "{}",
        d.diagnosis
    );
    let d = answer("550 5.7.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. gsmtp");
    assert!(!d.diagnosis.contains("(the recipient)"), "{}", d.diagnosis);
    let d = answer("421-4.7.28 Gmail has detected an unusual rate of mail ... gsmtp");
    assert!(
        !d.diagnosis.contains("not stated") && !d.diagnosis.contains("your your"),
        "{}",
        d.diagnosis
    );
}

/// The shipped packs give a wording to every placeholder that may be
/// absent, and no step contradicts its rule's retry line.
#[test]
fn shipped_packs_have_no_risky_placeholders_or_retry_contradictions() {
    let c = bouncedx::rules::compile(&[], false).expect("the built-in packs compile");
    let found: Vec<String> = c
        .report
        .diagnostics
        .iter()
        .filter(|d| ["placeholder_may_be_absent", "retry_contradicts_class"].contains(&d.code))
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}
