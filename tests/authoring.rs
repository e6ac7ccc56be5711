//! The author's loop through the built binary, in a temporary folder:
//! scaffold a pack (it passes), add a rule and a case (the run fails and
//! shows the new diagnosis), accept (it passes), change the rule (the diff
//! shows exactly the changed line).

use std::path::Path;
use std::process::Command;

fn bouncedx(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// A fresh folder named after the test, with `bouncedx new pack acme` run in it.
fn scaffolded(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bouncedx-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (code, out) = bouncedx(&dir, &["new", "pack", "acme"]);
    assert_eq!(code, 0, "{out}");
    dir
}

#[test]
fn scaffold_add_accept_change() {
    let dir = std::env::temp_dir().join(format!("bouncedx-author-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let (code, out) = bouncedx(&dir, &["new", "pack", "acme"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("case cases::example mail block code ... ok"),
        "{out}"
    );
    let (code, out) = bouncedx(&dir, &["test", "acme"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("test result: ok. 3 passed; 0 failed; 0 todo"),
        "{out}"
    );
    let (code, out) = bouncedx(&dir, &["check", "--deny-warnings", "acme"]);
    assert_eq!(code, 0, "{out}");

    let rules = dir.join("acme/rules.bdx");
    let mut text = std::fs::read_to_string(&rules).unwrap();
    text.push_str(
        r#"
rule example_rate_code {
  category   rate_limit
  confidence certain
  when       text matches /\bEXM-3\d\d\b/
  diagnosis  "Example Mail is throttling your mail"
  refs       "https://www.rfc-editor.org/rfc/rfc3463#section-3.8"
  example    "421 4.7.0 [EXM-301] too many messages, slow down"
}
"#,
    );
    std::fs::write(&rules, &text).unwrap();
    let cases = dir.join("acme/tests/cases.yaml");
    let mut c = std::fs::read_to_string(&cases).unwrap();
    c.push_str(
        "  - name: throttling\n    reply: \"421 4.7.0 [EXM-301] too many messages, slow down\"\n    expect: acme/example_rate_code\n",
    );
    std::fs::write(&cases, c).unwrap();

    let (code, out) = bouncedx(&dir, &["test", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("case cases::throttling ... SNAPSHOT CHANGED"),
        "{out}"
    );
    assert!(out.contains("(no snapshot yet)"), "{out}");
    assert!(dir
        .join("acme/tests/snapshots/cases__throttling.snap.new")
        .exists());

    let (code, out) = bouncedx(&dir, &["test", "--accept", "acme"]);
    assert_eq!(code, 0, "{out}");
    assert!(!dir
        .join("acme/tests/snapshots/cases__throttling.snap.new")
        .exists());
    let (code, _) = bouncedx(&dir, &["test", "acme"]);
    assert_eq!(code, 0);

    std::fs::write(
        &rules,
        text.replace(
            "throttling your mail\"",
            "throttling mail from {client_ip|your sending IP}\"",
        ),
    )
    .unwrap();
    let (code, out) = bouncedx(&dir, &["test", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("case cases::example mail block code ... ok"),
        "{out}"
    );
    assert!(
        out.contains("-  \"diagnosis\": \"Example Mail is throttling your mail\",")
            && out.contains(
                "+  \"diagnosis\": \"Example Mail is throttling mail from your sending IP\","
            ),
        "{out}"
    );

    // diff: the old pack (a copy taken before the change) against the new
    let old = dir.join("acme-old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::copy(dir.join("acme/pack.yaml"), old.join("pack.yaml")).unwrap();
    std::fs::write(old.join("rules.bdx"), &text).unwrap();
    std::fs::write(
        dir.join("replies.txt"),
        "421 4.7.0 [EXM-301] too many messages, slow down\n550 5.1.1 user unknown\n",
    )
    .unwrap();
    let (code, out) = bouncedx(
        &dir,
        &[
            "diff",
            "--old",
            "acme-old",
            "--new",
            "acme",
            "--input",
            "reply",
            "replies.txt",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("replies.txt:1") && out.contains("1 of 2 answers change"),
        "{out}"
    );
    let (code, out) = bouncedx(
        &dir,
        &[
            "diff",
            "--old",
            "acme",
            "--new",
            "acme",
            "--input",
            "reply",
            "replies.txt",
        ],
    );
    assert_eq!(code, 0, "{out}");

    // a wrong expectation fails with a message, not a snapshot diff
    let c = std::fs::read_to_string(&cases).unwrap();
    std::fs::write(
        &cases,
        c.replace(
            "expect: acme/example_rate_code",
            "expect: acme/example_block_code",
        ),
    )
    .unwrap();
    let (code, out) = bouncedx(&dir, &["test", "acme"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "expected `acme/example_block_code` to be the diagnosis, got `acme/example_rate_code`"
        ),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn manifest_errors_are_clear() {
    let dir = std::env::temp_dir().join(format!("bouncedx-manifest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("newer")).unwrap();
    std::fs::write(
        dir.join("newer/pack.yaml"),
        "name: newer\nversion: 1.0.0\nbouncedx: \">=99.0\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("newer/rules.bdx"), "import core\n").unwrap();
    let (code, out) = bouncedx(&dir, &["test", "newer"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("needs bouncedx >=99.0"), "{out}");
    // an import whose version requirement the loaded pack does not meet
    std::fs::create_dir_all(dir.join("needy")).unwrap();
    std::fs::write(
        dir.join("needy/pack.yaml"),
        "name: needy\nversion: 1.0.0\nimports:\n  core: \">=7\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("needy/rules.bdx"), "import core\n").unwrap();
    let (code, out) = bouncedx(&dir, &["check", "needy"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("pack `needy` needs `core` >=7, and `core` 0.1.0 is loaded"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn manifest_lint_levels() {
    let dir = scaffolded("lints");
    let rules = dir.join("acme/rules.bdx");
    let mut text = std::fs::read_to_string(&rules).unwrap();
    text.push_str("\nrule two_letter_code {\n  category   blacklist\n  when       text has \"zq\"\n  diagnosis  \"code ZQ\"\n  fix        \"ask\"\n  example    \"550 zq refused\"\n}\n");
    std::fs::write(&rules, &text).unwrap();
    let (code, out) = bouncedx(&dir, &["check", "--deny-warnings", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("warning[short_trigger]") && out.contains("warning[missing_refs]"),
        "{out}"
    );
    let manifest = dir.join("acme/pack.yaml");
    let mut m = std::fs::read_to_string(&manifest).unwrap();
    m.push_str("lints:\n  short_trigger: allow\n  missing_refs: deny\n");
    std::fs::write(&manifest, &m).unwrap();
    let (code, out) = bouncedx(&dir, &["check", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("short_trigger"), "{out}");
    assert!(
        out.contains("error[missing_refs]") && out.contains("denied in this pack's pack.yaml"),
        "{out}"
    );
    std::fs::write(
        &manifest,
        m.replace("missing_refs: deny", "missing_ref: deny"),
    )
    .unwrap();
    let (code, out) = bouncedx(&dir, &["check", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown lint `missing_ref`"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shadowed_rules_are_reported() {
    let dir = scaffolded("shadow");
    let rules = dir.join("acme/rules.bdx");
    let mut text = std::fs::read_to_string(&rules).unwrap();
    // a weaker rule whose only example the scaffold's rule also answers
    text.push_str("\nrule weaker_block_code {\n  category   blacklist\n  confidence low\n  when       text has \"example mail policy\"\n  diagnosis  \"x\"\n  fix        \"y\"\n  refs       \"https://example.org\"\n  example    \"554 5.7.1 [EXM-101] 192.0.2.7 is blocked by Example Mail policy\"\n}\n");
    std::fs::write(&rules, &text).unwrap();
    let (code, out) = bouncedx(&dir, &["check", "--deny-warnings", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("warning[shadowed_rule]: rule `weaker_block_code` is never the diagnosis of its own examples")
            && out.contains("it fires, but `acme/example_block_code` answers them"),
        "{out}"
    );
    std::fs::write(
        &rules,
        text.replace(
            "\nrule weaker_block_code",
            "\n# allow(shadowed_rule): kept as an alternative\nrule weaker_block_code",
        ),
    )
    .unwrap();
    let (code, out) = bouncedx(&dir, &["check", "--deny-warnings", "acme"]);
    assert_eq!(code, 0, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn review_accepts_rejects_and_skips() {
    use std::io::Write;
    let dir = scaffolded("review");
    // change the scaffold rule's diagnosis: its example case and the file
    // case both change
    let rules = dir.join("acme/rules.bdx");
    let text = std::fs::read_to_string(&rules).unwrap();
    std::fs::write(
        &rules,
        text.replace("Example Mail blocks", "Example Mail refuses"),
    )
    .unwrap();
    let review = |answers: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
            .current_dir(&dir)
            .args(["test", "--review", "acme"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answers.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, out) = review("a\ns\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("    accepted") && out.contains("stays pending"),
        "{out}"
    );
    let (code, out) = review("a\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("test result: ok. 3 passed; 0 failed"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A case that names a rule no pack has says so, with the nearest name,
/// rather than "did not fire"; two cases with one name are an error
/// (issue 20, `fmt` and `test`).
#[test]
fn cases_name_real_rules_and_have_their_own_names() {
    let dir = scaffolded("case-names");
    let cases = dir.join("acme/tests/typo.yaml");
    std::fs::write(
        &cases,
        "cases:\n  - name: a typo in the rule id\n    reply: \"550 5.1.1 <bob@example.com>: user unknown\"\n    expect: core/user_unknwon\n",
    )
    .unwrap();
    let (code, out) = bouncedx(&dir, &["test", "acme"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(
            "no loaded pack has a rule `core/user_unknwon` (did you mean `core/user_unknown`?)"
        ),
        "{out}"
    );
    std::fs::write(
        &cases,
        "cases:\n  - name: twice\n    reply: \"550 5.1.1 x\"\n    expect: core/user_unknown\n  - name: Twice\n    reply: \"550 5.1.1 y\"\n    expect: core/user_unknown\n",
    )
    .unwrap();
    let (code, out) = bouncedx(&dir, &["test", "acme"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("cases 1 and 2 are both named `Twice`"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `fmt` leaves a file that does not parse as it is, says where, and exits
/// 2, with or without `--check` (issue 20: it used to rewrite it).
#[test]
fn fmt_leaves_a_broken_file_alone() {
    let dir = std::env::temp_dir().join(format!("bouncedx-fmt-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.bdx");
    let text = "rule r {\n  category blacklist\n  when text has \"unterminated\n}\n";
    std::fs::write(&f, text).unwrap();
    for args in [vec!["fmt", "--check", "bad.bdx"], vec!["fmt", "bad.bdx"]] {
        let (code, out) = bouncedx(&dir, &args);
        assert_eq!(code, 2, "{out}");
        assert!(
            out.contains("bad.bdx:3:17: does not parse: unterminated string [E0002]"),
            "{out}"
        );
        assert_eq!(std::fs::read_to_string(&f).unwrap(), text);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// What `check` says is true: a rule that does not fire on its example is
/// not called shadowed; the summary counts the checked pack, with the
/// imported built-in packs apart; a manifest's YAML error names the file
/// and line once; a provider used without `import providers` says which
/// import brings it.
#[test]
fn check_tells_the_truth() {
    let dir = scaffolded("truths");
    let rules = dir.join("acme/rules.bdx");
    let scaffold = std::fs::read_to_string(&rules).unwrap();
    let (code, out) = bouncedx(&dir, &["check", "acme"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok: 1 file, 1 rule, no problems (imported: core, "),
        "{out}"
    );

    // an example the rule's `when` does not hold for
    let mut text = scaffold.clone();
    text.push_str("\nrule never_fires {\n  category   blacklist\n  when       text has \"zzq-unseen\"\n  diagnosis  \"x\"\n  fix        \"y\"\n  refs       \"https://example.org\"\n  example    \"554 5.7.1 blocked by policy\"\n}\n");
    std::fs::write(&rules, &text).unwrap();
    let (code, out) = bouncedx(&dir, &["check", "--deny-warnings", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "warning[example_not_matched]: rule `never_fires` does not fire on any of its own examples"
        ) && !out.contains("shadowed_rule"),
        "{out}"
    );

    // a provider of the `providers` pack with `import core` only
    std::fs::write(
        &rules,
        scaffold.replace(
            "  category   blacklist\n",
            "  category   blacklist\n  provider   microsoft\n",
        ),
    )
    .unwrap();
    let (code, out) = bouncedx(&dir, &["check", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("`microsoft` is a provider of the `providers` pack: add `import providers`"),
        "{out}"
    );

    // `import coer`: one error, with the pack meant
    std::fs::write(&rules, scaffold.replace("import core", "import coer")).unwrap();
    let (code, out) = bouncedx(&dir, &["check", "acme"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("did you mean `core`?"), "{out}");
    assert!(out.contains("failed: 1 error, 0 warnings"), "{out}");

    // a YAML mistake in pack.yaml
    std::fs::write(&rules, &scaffold).unwrap();
    let manifest = dir.join("acme/pack.yaml");
    let m = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        m.replace("version: 0.1.0", "version: 0.1.0\n  oops: ["),
    )
    .unwrap();
    let (code, out) = bouncedx(&dir, &["check", "acme"]);
    assert_eq!(code, 1, "{out}");
    let first = out.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: acme/pack.yaml:3:"), "{out}");
    assert!(
        !out.contains("<input>") && out.matches("error:").count() == 1,
        "{out}"
    );
    assert!(out.contains("3 |   oops: ["), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn packs_tested_together_import_each_other_not_the_built_in_ones() {
    // beta imports acme: tested alone it cannot find acme; tested beside
    // it, beta's rules see the acme given (as `bouncedx test rulesets/core
    // rulesets/providers` tests the providers against the core being edited)
    let dir = scaffolded("together");
    let (code, out) = bouncedx(&dir, &["new", "pack", "beta"]);
    assert_eq!(code, 0, "{out}");
    let manifest = dir.join("beta/pack.yaml");
    let m = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        m.replace("imports:\n", "imports:\n  acme: \">=0.1\"\n"),
    )
    .unwrap();
    // beta's own rule, on acme's; its scaffolded rule and case go
    let rules = dir.join("beta/rules.bdx");
    let text = String::from("import core\nimport acme\n")
        + r#"
rule beta_on_acme_block {
  category   blacklist
  confidence certain
  priority   5
  when       rule acme/example_block_code and text has "beta relay"
  diagnosis  "Beta's relay passed on Example Mail's block"
  refs       "https://www.rfc-editor.org/rfc/rfc3463#section-3.8"
  example    "554 5.7.1 [EXM-101] 192.0.2.7 is blocked by Example Mail policy (beta relay)"
}
"#;
    std::fs::write(&rules, text).unwrap();
    std::fs::write(
        dir.join("beta/tests/cases.yaml"),
        "cases:\n  - name: beta relays the block\n    reply: \"554 5.7.1 [EXM-101] 192.0.2.7 is blocked by Example Mail policy (beta relay)\"\n    expect: beta/beta_on_acme_block\n",
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(dir.join("beta/tests/snapshots"));
    let (code, out) = bouncedx(&dir, &["test", "beta"]);
    assert_ne!(code, 0, "beta alone has no acme to import: {out}");
    let (code, out) = bouncedx(&dir, &["test", "--accept", "acme", "beta"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("case examples::beta_on_acme_block example 1 ... ok"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn snapshots_no_case_writes_are_listed_and_accept_removes_them() {
    let dir = scaffolded("orphans");
    let stale = dir.join("acme/tests/snapshots/examples__a_removed_rule_example_1.snap");
    std::fs::write(&stale, "---\nsource: examples.yaml\n---\n{}\n").unwrap();
    let (code, out) = bouncedx(&dir, &["test", "acme"]);
    assert_eq!(
        code, 0,
        "a stale snapshot is a warning, not a failure: {out}"
    );
    assert!(
        out.contains("1 snapshot(s) belong to no case") && out.contains("a_removed_rule"),
        "{out}"
    );
    let (code, out) = bouncedx(&dir, &["test", "--accept", "acme"]);
    assert_eq!(code, 0, "{out}");
    assert!(!stale.exists(), "--accept removes it: {out}");
    let (_, out) = bouncedx(&dir, &["test", "acme"]);
    assert!(!out.contains("belong to no case"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
