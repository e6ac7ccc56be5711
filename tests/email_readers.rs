//! The e-mail readers' fixtures (`engine/tests/fixtures/email/`, written
//! for this repository) diagnosed by the default rules: each recipient with
//! the reason and the rule that gave it. Bounces without an SMTP code
//! (qmail's and Exim's own words, a local delivery agent's) must still be
//! explained by a rule, and automatic replies are `vacation`.

use std::path::Path;

#[test]
fn email_fixtures_are_diagnosed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/tests/fixtures/email");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    let engine = bouncedx::default_engine();
    let mut out = String::new();
    for path in files {
        let bytes = std::fs::read(&path).expect("fixture");
        let name = path.file_name().expect("a name").to_string_lossy();
        for d in engine.diagnose_email(&bytes).expect("an e-mail") {
            out.push_str(&format!(
                "{name} → {}: {} ({})\n",
                d.recipient.as_deref().unwrap_or("-"),
                d.reason,
                d.rule.as_deref().unwrap_or("no rule")
            ));
        }
    }
    insta::assert_snapshot!(out);
}
