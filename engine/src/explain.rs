//! Explain: every rule, whether it fired, and why.
//!
//! The matcher takes shortcuts (it skips rules whose triggers are absent,
//! stops an `and` at its first false part). Explain takes none: it evaluates
//! every node of every rule's condition and records each value, so an author
//! sees which part was false. A test keeps the two in agreement: the rules
//! explain marks as fired are exactly the rules the matcher fires.

use crate::facts::Facts;
use crate::matcher::{self, Found, Input};
use bouncedx_dsl::ir::{Expr, FieldMatch, Ruleset};
use serde::Serialize;
use std::fmt::Write as _;

/// One evaluated node of a condition.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub test: String,
    pub value: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

/// One rule's evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTrace {
    pub rule: String,
    pub fired: bool,
    pub confidence: f32,
    pub condition: Node,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub text: String,
    pub code: Option<u16>,
    pub status: Option<String>,
    pub provider: Option<String>,
    pub triggers_found: Vec<String>,
    /// The checks that ran (`explain --checks`): their verdicts are in the
    /// facts the rules were evaluated on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<crate::checks::CheckOutcome>,
    pub rules: Vec<RuleTrace>,
}

pub fn explain(rs: &Ruleset, facts: &Facts) -> Explanation {
    let found = matcher::find_triggers(rs, &facts.text);
    let (provider, ranked) = matcher::recognise_and_fire(rs, facts, &found);
    let inp = Input {
        facts,
        found: &found,
        provider,
        verdicts: &facts.verdicts,
    };
    // Fired rules in the matcher's ranking (confidence, words over a status
    // alone, provider-specific first, priority, definition order), then the
    // others by confidence. A rule that fired on the status alone shows the
    // confidence it answers with (at most `medium`).
    let mut rules: Vec<RuleTrace> = rs
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.answers())
        .map(|(i, r)| {
            let condition = trace(rs, &r.when, &inp, &found);
            let confidence = ranked
                .iter()
                .find(|f| f.rule as usize == i)
                .map_or(r.confidence, |f| f.confidence(rs));
            RuleTrace {
                rule: r.id.to_string(),
                fired: condition.value,
                confidence,
                condition,
            }
        })
        .collect();
    let rank = |t: &RuleTrace| {
        ranked
            .iter()
            .position(|f| *rs.rules[f.rule as usize].id == *t.rule)
            .unwrap_or(usize::MAX)
    };
    rules.sort_by(|a, b| {
        b.fired
            .cmp(&a.fired)
            .then(rank(a).cmp(&rank(b)))
            .then(b.confidence.total_cmp(&a.confidence))
    });
    Explanation {
        text: facts.text.clone(),
        code: facts.code,
        status: facts.status.map(|s| s.to_string()),
        provider: provider.map(|p| rs.providers[p as usize].name.to_string()),
        triggers_found: found
            .hits
            .iter()
            .map(|(id, s, e)| format!("{} at {s}..{e}", rs.patterns.describe(*id)))
            .collect(),
        checks: Vec::new(),
        rules,
    }
}

/// [`explain`] after running the checks the fired rules ask for (as
/// `diagnose --checks` does): the rules are evaluated again with the
/// checks' verdicts, so the refinements that depend on them show why they
/// fired or not.
pub fn explain_with_checks(
    rs: &Ruleset,
    facts: &Facts,
    runner: &dyn crate::checks::CheckRunner,
) -> Explanation {
    let (_, fired) = matcher::run(rs, facts);
    let calls = crate::checks::requested(rs, fired.iter().map(|f| f.rule));
    let mut facts = facts.clone();
    let outcomes = crate::checks::run_requested(&calls, &mut facts, runner);
    let mut x = explain(rs, &facts);
    x.checks = outcomes;
    x
}

fn trace(rs: &Ruleset, e: &Expr, inp: &Input, found: &Found) -> Node {
    let leaf = |test: String, value: bool| Node {
        test,
        value,
        children: Vec::new(),
    };
    match e {
        Expr::True => leaf("true".into(), true),
        Expr::And(v) => {
            let children: Vec<Node> = v.iter().map(|x| trace(rs, x, inp, found)).collect();
            Node {
                test: "all of".into(),
                value: children.iter().all(|c| c.value),
                children,
            }
        }
        Expr::Or(v) => {
            let children: Vec<Node> = v.iter().map(|x| trace(rs, x, inp, found)).collect();
            Node {
                test: "any of".into(),
                value: children.iter().any(|c| c.value),
                children,
            }
        }
        Expr::Not(x) => {
            let child = trace(rs, x, inp, found);
            Node {
                test: "not".into(),
                value: !child.value,
                children: vec![child],
            }
        }
        Expr::Text(ids) => {
            let hits: Vec<String> = ids
                .iter()
                .filter_map(|id| {
                    found
                        .get(*id)
                        .map(|(s, e)| format!("{} at {s}..{e}", rs.patterns.describe(*id)))
                })
                .collect();
            let test = if hits.is_empty() {
                let shown: Vec<String> = ids
                    .iter()
                    .take(4)
                    .map(|id| rs.patterns.describe(*id))
                    .collect();
                let more = if ids.len() > 4 {
                    format!(" and {} more", ids.len() - 4)
                } else {
                    String::new()
                };
                format!("text has {}{more}: none found", shown.join(", "))
            } else {
                format!("text has {}", hits.join(", "))
            };
            leaf(test, !hits.is_empty())
        }
        Expr::Rule(r) => {
            let rule = &rs.rules[*r as usize];
            let child = trace(rs, &rule.when, inp, found);
            Node {
                test: format!("rule {}", rule.id),
                value: child.value,
                children: vec![child],
            }
        }
        other => {
            let mut scratch = Vec::new();
            let value = matcher::eval(rs, other, inp, &mut scratch, false);
            leaf(describe(rs, other, inp), value)
        }
    }
}

fn describe(rs: &Ruleset, e: &Expr, inp: &Input) -> String {
    let f = inp.facts;
    let got = |s: Option<String>| s.unwrap_or_else(|| "none".into());
    match e {
        Expr::Code { lo, hi } if lo == hi => format!(
            "code {lo} (reply has {})",
            got(f.code.map(|c| c.to_string()))
        ),
        Expr::Code { lo, hi } => format!(
            "code {lo}..{hi} (reply has {})",
            got(f.code.map(|c| c.to_string()))
        ),
        Expr::Status {
            class,
            subject,
            detail,
        } => {
            let p = |x: &Option<u16>| x.map(|v| v.to_string()).unwrap_or_else(|| "*".into());
            format!(
                "status {}.{}.{} (reply has {})",
                p(class),
                p(subject),
                p(detail),
                got(f.status.map(|s| s.to_string()))
            )
        }
        Expr::Permanent(p) => format!(
            "class {} (reply is {})",
            if *p { "permanent" } else { "transient" },
            match f.permanent() {
                Some(true) => "permanent",
                Some(false) => "transient",
                None => "of no class",
            }
        ),
        Expr::Stage(s) => format!(
            "stage {} (reply has {})",
            s.name(),
            got(f.stage.map(|s| s.name().to_string()))
        ),
        Expr::Provider(p) => format!(
            "provider {} (recognised: {})",
            rs.providers[*p as usize].name,
            got(inp
                .provider
                .map(|p| rs.providers[p as usize].name.to_string()))
        ),
        Expr::Field(field, m) => {
            let op = match m {
                FieldMatch::Exists => "exists".to_string(),
                FieldMatch::Is(v) => format!("is {v:?}"),
                FieldMatch::EndsWith(v) => format!("ends_with {v:?}"),
                FieldMatch::StartsWith(v) => format!("starts_with {v:?}"),
                FieldMatch::Contains(v) => format!("contains {v:?}"),
                FieldMatch::Matches(v) => format!(
                    "matches {:?}",
                    v.iter()
                        .map(|r| bouncedx_dsl::ir::LazyRegex::pattern_of(&r.source))
                        .collect::<Vec<_>>()
                ),
            };
            let vals = f.field(*field);
            format!(
                "{} {op} (input has {})",
                field.name(),
                if vals.is_empty() {
                    "none".into()
                } else {
                    vals.join(", ")
                }
            )
        }
        Expr::Check { check, verdict } => match inp.verdicts.iter().find(|(c, _)| c == check) {
            Some((_, v)) => format!("check {check} is {verdict} (it is {v})"),
            None => format!("check {check} is {verdict} (not run: no verdict for {check})"),
        },
        _ => String::new(),
    }
}

/// The explanation as an indented tree for a terminal.
pub fn render(x: &Explanation) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "text      {}", x.text);
    let _ = writeln!(
        o,
        "facts     code {} · status {} · provider {}",
        x.code
            .map(|c| c.to_string())
            .unwrap_or_else(|| "none".into()),
        x.status.clone().unwrap_or_else(|| "none".into()),
        x.provider.clone().unwrap_or_else(|| "none".into())
    );
    let _ = writeln!(
        o,
        "triggers  {}",
        if x.triggers_found.is_empty() {
            "none found".into()
        } else {
            x.triggers_found.join("; ")
        }
    );
    for c in &x.checks {
        let params: Vec<String> = c.params.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(
            o,
            "check     {}({}) is {}: {}",
            c.check,
            params.join(", "),
            c.status,
            c.summary
        );
    }
    let fired = x.rules.iter().filter(|r| r.fired).count();
    let _ = writeln!(
        o,
        "\n{fired} of {} rules fired (ranked first):",
        x.rules.len()
    );
    for r in &x.rules {
        let mark = if r.fired { "FIRED" } else { "no   " };
        let _ = writeln!(o, "\n{mark} {} (confidence {:.2})", r.rule, r.confidence);
        node(&mut o, &r.condition, 1);
    }
    o
}

fn node(o: &mut String, n: &Node, depth: usize) {
    let mark = if n.value { "✓" } else { "✗" };
    let _ = writeln!(o, "{}{mark} {}", "  ".repeat(depth), n.test);
    for c in &n.children {
        node(o, c, depth + 1);
    }
}
