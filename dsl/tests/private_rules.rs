//! `unused_private_rule` resolves names as the compiler does: a private
//! rule is used when another pack names it (qualified, or bare through an
//! `import`) or an `override`'s `unless` reads it, and a rule of the same
//! name in another pack does not count as a use.

use bouncedx_dsl::{compile, PackSource};

const CATEGORY: &str =
    "category recipient {\n  title \"The recipient address\"\n  reason userunknown\n}\n";

const WORDS: &str =
    "private rule unknown_words {\n  when text has [\"no such user\", \"user unknown\"]\n}\n";

fn rule(name: &str, when: &str) -> String {
    format!(
        "rule {name} {{\n  category recipient\n  when {when}\n  diagnosis \"The address does not exist\"\n  fix \"Remove the address\"\n  refs \"https://www.rfc-editor.org/rfc/rfc3463\"\n  example \"550 no such user here\"\n}}\n"
    )
}

fn pack(name: &str, text: String) -> PackSource {
    PackSource {
        name: name.into(),
        files: vec![(format!("{name}.bdx"), text)],
    }
}

/// The `unused_private_rule` warnings' messages.
fn unused(packs: Vec<PackSource>) -> Vec<String> {
    let c = compile(
        packs,
        &|p| Err(std::io::Error::other(p.to_string())),
        &|_| None,
    );
    let errors: Vec<_> = c
        .report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    c.report
        .diagnostics
        .iter()
        .filter(|d| d.code == "unused_private_rule")
        .map(|d| d.message.clone())
        .collect()
}

/// `base` defines the private rule; `site` imports `base` and has one rule
/// whose `when` is `when`.
fn base_and_site(when: &str) -> Vec<PackSource> {
    vec![
        pack("base", format!("{CATEGORY}{WORDS}")),
        pack("site", format!("import base\n{}", rule("r", when))),
    ]
}

#[test]
fn a_qualified_name_in_another_pack_uses_it() {
    let packs = base_and_site("rule base/unknown_words and code 550");
    assert_eq!(unused(packs), Vec::<String>::new());
}

#[test]
fn a_bare_name_through_an_import_uses_it() {
    let packs = base_and_site("rule unknown_words and code 550");
    assert_eq!(unused(packs), Vec::<String>::new());
}

#[test]
fn an_override_unless_uses_it() {
    let base = pack(
        "base",
        format!("{CATEGORY}{}", rule("r", "text has \"no such user\"")),
    );
    let site = pack(
        "site",
        format!("import base\n{WORDS}override base/r {{\n  unless rule unknown_words\n}}\n"),
    );
    assert_eq!(unused(vec![base, site]), Vec::<String>::new());
}

#[test]
fn a_same_named_rule_elsewhere_is_not_a_use() {
    // `site` reads its own `unknown_words`; `base`'s is read by nobody.
    let base = pack("base", format!("{CATEGORY}{WORDS}"));
    let site = pack(
        "site",
        format!(
            "import base\n{WORDS}{}",
            rule("r", "rule unknown_words and code 550")
        ),
    );
    assert_eq!(
        unused(vec![base, site]),
        vec!["private rule `unknown_words` is never used".to_string()]
    );
}
