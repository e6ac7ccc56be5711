//! Checks: asking the outside world what a rejection does not say.
//!
//! A vague `550 5.7.1` names no reason. Rules can ask for checks
//! (`check dnsbl.ip(ip: client_ip)`) and condition on their verdicts
//! (`when check dnsbl.ip is fail`). The engine does not know how a check
//! runs; it asks a [`CheckRunner`], which the plugin host implements (the
//! CLI wires it in), so the engine builds and tests without WebAssembly.
//!
//! Diagnosing with checks is two passes over the same facts:
//!
//! 1. match as usual; collect the checks the fired rules ask for (top
//!    diagnosis first, then the alternatives), with their arguments filled
//!    from the facts;
//! 2. run each once, add the verdicts to the facts, and match again, so a
//!    rule that conditions on a verdict can now fire and refine the answer.
//!
//! The diagnosis lists every check asked for under `checks`: what ran, with
//! its status, summary, facts and time, and what did not, with the reason.

use crate::facts::Facts;
use bouncedx_dsl::ir::{CheckArgIr, CheckIr};
use bouncedx_dsl::Ruleset;
use serde::Serialize;

/// The outcome of one check call.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckOutcome {
    /// `plugin.check`, e.g. `dnsbl.ip`.
    pub check: String,
    /// The arguments it was called with.
    pub params: Vec<(String, String)>,
    /// `pass`, `fail`, `warn`, `unknown`; `error` when the plugin failed
    /// (trap, budget, denied request); `skipped` when it did not run.
    pub status: String,
    /// One line for people (the reason, for `error` and `skipped`).
    pub summary: String,
    pub facts: Vec<(String, String)>,
    /// Wall-clock time of the call, in milliseconds.
    pub millis: f64,
}

impl CheckOutcome {
    /// A check that was not run, and why.
    pub fn skipped(check: &str, params: Vec<(String, String)>, why: String) -> CheckOutcome {
        CheckOutcome {
            check: check.into(),
            params,
            status: "skipped".into(),
            summary: why,
            facts: Vec::new(),
            millis: 0.0,
        }
    }
}

/// Something that can run checks: the plugin host.
pub trait CheckRunner: Send + Sync {
    /// Runs `check` (`plugin.check`) with its arguments. Never panics:
    /// failures are outcomes of status `error` or `skipped`.
    fn run(&self, check: &str, params: &[(String, String)]) -> CheckOutcome;
}

/// A check's arguments, `name=value`.
pub type Params = Vec<(String, String)>;

/// Fills a rule's check arguments from the facts. `Err` has the arguments
/// that could be filled and a sentence naming the fact the input lacks.
pub fn fill_args(call: &CheckIr, facts: &Facts) -> Result<Params, (Params, String)> {
    let mut args = Vec::with_capacity(call.args.len());
    let mut missing = None;
    for (name, value) in &call.args {
        match value {
            CheckArgIr::Literal(v) => args.push((name.clone(), v.clone())),
            CheckArgIr::Fact(f) => match facts.get(f) {
                Some(v) if !v.is_empty() => args.push((name.clone(), v)),
                _ => {
                    missing.get_or_insert_with(|| f.clone());
                }
            },
        }
    }
    match missing {
        None => Ok(args),
        Some(f) => Err((
            args,
            format!("not run: the input does not name the {f} this check needs"),
        )),
    }
}

/// The checks the fired rules ask for, in rank order, each once.
pub fn requested(rs: &Ruleset, fired: impl Iterator<Item = u32>) -> Vec<&CheckIr> {
    let mut out: Vec<&CheckIr> = Vec::new();
    for r in fired {
        for c in &rs.rules[r as usize].checks {
            let same = |o: &&CheckIr| {
                o.check == c.check
                    && o.args.len() == c.args.len()
                    && o.args.iter().zip(&c.args).all(|(a, b)| {
                        a.0 == b.0
                            && match (&a.1, &b.1) {
                                (CheckArgIr::Literal(x), CheckArgIr::Literal(y))
                                | (CheckArgIr::Fact(x), CheckArgIr::Fact(y)) => x == y,
                                _ => false,
                            }
                    })
            };
            if !out.iter().any(same) {
                out.push(c);
            }
        }
    }
    out
}

/// Runs the requested checks and records their verdicts in the facts (a
/// verdict the input already carries, such as Authentication-Results,
/// is kept).
pub fn run_requested(
    calls: &[&CheckIr],
    facts: &mut Facts,
    runner: &dyn CheckRunner,
) -> Vec<CheckOutcome> {
    let mut outcomes = Vec::with_capacity(calls.len());
    for call in calls {
        let outcome = match fill_args(call, facts) {
            Ok(args) => runner.run(&call.check, &args),
            Err((args, why)) => CheckOutcome::skipped(&call.check, args, why),
        };
        if matches!(
            outcome.status.as_str(),
            "pass" | "fail" | "warn" | "unknown" | "error"
        ) && !facts.verdicts.iter().any(|(c, _)| *c == outcome.check)
        {
            facts
                .verdicts
                .push((outcome.check.clone(), outcome.status.clone()));
        }
        outcomes.push(outcome);
    }
    outcomes
}
