//! Every shipped rule proves itself: each `example` makes it fire, each
//! `counterexample` does not, and the full diagnosis of every example is an
//! insta snapshot kept in its pack (`rulesets/<pack>/tests/snapshots/`),
//! the same files `bouncedx test` compares (review changes with `cargo
//! insta review` or `bouncedx test`).

use bouncedx_engine::intake::reply::parse_reply;
use bouncedx_engine::{explain, matcher};

/// A run loads the packs as the build compiled them
/// (`bouncedx_dsl::prebuilt`). They must be exactly what compiling the
/// text gives now: a stale or misread pre-built form would answer with
/// other rules than the files say.
#[test]
fn the_prebuilt_packs_are_the_packs_compiled_now() {
    use bouncedx_dsl::prebuilt::to_bytes;
    let loaded = bouncedx::rules::prebuilt_builtins().expect("the build pre-built the packs");
    let now = bouncedx::rules::compile_builtins_now();
    assert!(!now.report.has_errors(), "the built-in packs have errors");
    let (a, b) = (to_bytes(&loaded).unwrap(), to_bytes(&now).unwrap());
    let first_difference = a.iter().zip(&b).position(|(x, y)| x != y);
    assert!(
        a == b,
        "pre-built and compiled-now rulesets differ: {} vs {} bytes, first at byte {first_difference:?}",
        a.len(),
        b.len()
    );
    assert_eq!(
        loaded.ruleset.unwrap().rules.len(),
        now.ruleset.unwrap().rules.len()
    );
}

#[test]
fn examples_fire_and_counterexamples_do_not() {
    let engine = bouncedx::default_engine();
    let rs = &engine.ruleset;
    let mut failures = Vec::new();
    for (i, rule) in rs.rules.iter().enumerate() {
        for (text, want) in rule
            .examples
            .iter()
            .map(|e| (e, true))
            .chain(rule.counterexamples.iter().map(|c| (c, false)))
        {
            let (_, ranked) = matcher::run(rs, &parse_reply(text));
            let fired = ranked.iter().any(|f| f.rule as usize == i);
            if fired != want {
                failures.push(format!(
                    "{} {} on {text:?}",
                    rule.id,
                    if want { "did not fire" } else { "fired" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The same snapshots `bouncedx test rulesets/<pack>` compares, read and
/// written through insta (`cargo insta review` works on them too): each
/// pack keeps its rules' example diagnoses in `tests/snapshots/`.
#[test]
fn example_diagnoses_are_as_reviewed() {
    let engine = bouncedx::default_engine();
    for rule in &engine.ruleset.rules {
        let (pack, short) = rule.id.split_once('/').expect("qualified rule id");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("rulesets")
                .join(pack)
                .join("tests/snapshots"),
        );
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            for (n, text) in rule.examples.iter().enumerate() {
                let d = engine.diagnose_reply(text);
                let name = bouncedx::authoring::cases::slug(&format!("{short} example {}", n + 1));
                insta::assert_json_snapshot!(format!("examples__{name}"), d);
            }
        });
    }
}

/// Explain evaluates without shortcuts; the matcher with them. They must
/// agree on which rules fire.
#[test]
fn explain_agrees_with_the_matcher() {
    let engine = bouncedx::default_engine();
    let rs = &engine.ruleset;
    let mut inputs: Vec<String> = rs
        .rules
        .iter()
        .flat_map(|r| r.examples.iter().chain(&r.counterexamples).cloned())
        .collect();
    inputs.extend(["", "hello", "421 try again later", "550 5.7.1 rejected"].map(String::from));
    for text in inputs {
        let facts = parse_reply(&text);
        let (_, ranked) = matcher::run(rs, &facts);
        let mut fast: Vec<String> = ranked
            .iter()
            .map(|f| rs.rules[f.rule as usize].id.to_string())
            .collect();
        let mut full: Vec<String> = explain::explain(rs, &facts)
            .rules
            .into_iter()
            .filter(|r| r.fired)
            .map(|r| r.rule)
            .collect();
        fast.sort();
        full.sort();
        assert_eq!(fast, full, "on {text:?}");
    }
}

#[test]
fn hostile_replies_get_an_answer() {
    let engine = bouncedx::default_engine();
    let big = "550 5.7.1 ".to_string() + &"x".repeat(10 << 20);
    for input in [
        big.as_str(),
        "",
        "\u{0}\u{1}\u{2}",
        "ÿþ binary \u{fffd}\u{fffd}",
        "550",
        "5.7.1",
    ] {
        let d = engine.diagnose_reply(input);
        assert!(!d.category.is_empty());
        assert!(!d.reason.is_empty());
    }
    assert!(engine.diagnose_reply("").error.is_some());
}
