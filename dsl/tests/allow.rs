//! `# allow(lint_id)` silences one lint where it is written, and only there.

fn warnings(src: &str) -> Vec<&'static str> {
    let c = bouncedx_dsl::compile_str("allow.bdx", src);
    c.report
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| d.code)
        .collect()
}

const RULE: &str = "  category   blacklist\n  when       text has [\"ab\"]\n  diagnosis  \"x\"\n  fix        \"y\"\n  refs       \"https://example.org\"\n  example    \"550 ab\"\n}\n";

fn categories() -> &'static str {
    "category blacklist {\n  title      \"t\"\n  reason     blocked\n  fix        \"f\"\n}\n\n"
}

#[test]
fn a_lint_fires_without_allow() {
    let src = format!("{}rule r {{\n{RULE}", categories());
    assert!(
        warnings(&src).contains(&"short_trigger"),
        "{:?}",
        warnings(&src)
    );
}

#[test]
fn allow_above_the_item_silences_it() {
    let src = format!(
        "{}# allow(short_trigger): the provider's code is two letters\nrule r {{\n{RULE}",
        categories()
    );
    assert!(
        !warnings(&src).contains(&"short_trigger"),
        "{:?}",
        warnings(&src)
    );
}

#[test]
fn allow_on_the_line_silences_it() {
    let rule = RULE.replace("[\"ab\"]", "[\"ab\"]   # allow(short_trigger)");
    let src = format!("{}rule r {{\n{rule}", categories());
    assert!(!warnings(&src).contains(&"short_trigger"));
}

#[test]
fn allow_of_another_lint_or_another_item_does_not() {
    let src = format!("{}# allow(missing_refs)\nrule r {{\n{RULE}", categories());
    assert!(warnings(&src).contains(&"short_trigger"));
    let src = format!(
        "{}# allow(short_trigger)\nrule q {{\n  category   blacklist\n  when       code 550\n  diagnosis  \"x\"\n  fix \"y\"\n  refs \"https://example.org\"\n  example \"550 x\"\n}}\n\nrule r {{\n{RULE}",
        categories()
    );
    assert!(warnings(&src).contains(&"short_trigger"));
}

/// A rule of `cat` whose one trigger is `words`.
fn rule_in(name: &str, cat: &str, words: &str) -> String {
    format!("rule {name} {{\n  category   {cat}\n  when       text has \"{words}\"\n  diagnosis  \"x\"\n  fix        \"y\"\n  refs       \"https://example.org\"\n  example    \"550 {words}\"\n}}\n\n")
}

#[test]
fn a_warning_about_two_places_is_silenced_at_either() {
    let cats = "category blacklist {\n  title \"t\"\n  reason blocked\n  fix \"f\"\n}\n\ncategory rate_limit {\n  title \"t\"\n  reason ratelimited\n  fix \"f\"\n}\n\n";
    let rule = |name: &str, cat: &str| rule_in(name, cat, "service refused now");
    let plain = format!(
        "{cats}{}{}",
        rule("first", "blacklist"),
        rule("second", "rate_limit")
    );
    assert!(
        warnings(&plain).contains(&"trigger_in_two_categories"),
        "{:?}",
        warnings(&plain)
    );
    for (a, b) in [
        ("# allow(trigger_in_two_categories)\n", ""),
        ("", "# allow(trigger_in_two_categories)\n"),
    ] {
        let src = format!(
            "{cats}{a}{}{b}{}",
            rule("first", "blacklist"),
            rule("second", "rate_limit")
        );
        assert!(
            !warnings(&src).contains(&"trigger_in_two_categories"),
            "{a:?}{b:?}: {:?}",
            warnings(&src)
        );
    }
}

/// A category that `counts_as` another answers as that one: the same words
/// in its rules and the other's are one answer read finer, not two.
#[test]
fn a_finer_reading_of_one_cause_is_not_two_categories() {
    let cats = "category recipient {\n  title \"t\"\n  reason userunknown\n  fix \"f\"\n}\n\ncategory mailbox_disabled {\n  title \"t\"\n  reason suspend\n  counts_as recipient\n  fix \"f\"\n}\n\ncategory rate_limit {\n  title \"t\"\n  reason ratelimited\n  fix \"f\"\n}\n\n";
    let rule = |name: &str, cat: &str| rule_in(name, cat, "mailbox unavailable now");
    let finer = format!(
        "{cats}{}{}",
        rule("first", "recipient"),
        rule("second", "mailbox_disabled")
    );
    assert!(
        !warnings(&finer).contains(&"trigger_in_two_categories"),
        "{:?}",
        warnings(&finer)
    );
    let other = format!(
        "{cats}{}{}",
        rule("first", "mailbox_disabled"),
        rule("second", "rate_limit")
    );
    assert!(warnings(&other).contains(&"trigger_in_two_categories"));
}
