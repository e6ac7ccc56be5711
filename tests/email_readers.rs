//! The e-mail readers' fixtures (`engine/tests/fixtures/email/`, written
//! for this repository) diagnosed by the default rules: each recipient with
//! the reason and the rule that gave it. Bounces without an SMTP code
//! (qmail's and Exim's own words, a local delivery agent's) must still be
//! explained by a rule, and automatic replies are `vacation`. Each line
//! also says whether a retry can help: where the reply has no class, the
//! writer's heading decides ("This is a permanent error", "YOU DO NOT NEED
//! TO RESEND YOUR MESSAGE").

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
            let retry = serde_json::to_value(d.retry).expect("retry");
            out.push_str(&format!(
                "{name} → {}: {} ({}); retry {}\n",
                d.recipient.as_deref().unwrap_or("-"),
                d.reason,
                d.rule.as_deref().unwrap_or("no rule"),
                retry.as_str().unwrap_or("?")
            ));
        }
    }
    insta::assert_snapshot!(out);
}

/// Automatic replies run only the rules that read the `notice` fact: the
/// default rules answer an out-of-office note `vacation` even when its
/// words are a failure's ("my mailbox is full"), and a pack's rule that
/// reads `notice` names what the reply says.
#[test]
fn only_rules_that_read_notice_answer_automatic_replies() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("engine/tests/fixtures/email/auto-reply-words-of-a-failure.eml");
    let scan = |rules: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bouncedx"));
        cmd.arg("scan");
        if let Some(r) = rules {
            cmd.arg("--rules").arg(r);
        }
        let out = cmd.arg(&fixture).output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8(out.stdout).expect("utf-8");
        serde_json::from_str::<serde_json::Value>(line.lines().next().expect("a line"))
            .expect("json")
    };
    let d = scan(None);
    assert_eq!(d["reason"], "vacation");
    assert_eq!(d["recipient"], "priya@example.org");

    let dir = std::env::temp_dir().join(format!("bouncedx-notice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let pack = dir.join("left.bdx");
    std::fs::write(
        &pack,
        r#"category left_company { title "The person left" reason hasmoved fix "Write to the address the reply gives" }

rule left_the_company {
  category  left_company
  when      notice is "auto_reply" and text has "no longer with the company"
  diagnosis "The recipient's automatic reply says they left"
  refs      "https://www.rfc-editor.org/rfc/rfc3834"
}

rule full_mailbox_words {
  category  left_company
  confidence certain
  when      text has "my mailbox is full"
  diagnosis "never the answer to an automatic reply: it does not read notice"
  refs      "https://www.rfc-editor.org/rfc/rfc3463"
}
"#,
    )
    .expect("a pack");
    let d = scan(Some(&pack));
    std::fs::remove_dir_all(&dir).ok();
    let rule = d["rule"].as_str().unwrap_or_default();
    assert!(rule.ends_with("/left_the_company"), "{d}");
    assert_eq!(d["reason"], "hasmoved");
    assert_eq!(d["recipient"], "priya@example.org");
}

/// An Office 365 report of another server's refusal is read from the reply
/// it quotes ("Reported error"), said by the server it names ("Remote
/// server"): the receiver that refused is the provider, not Microsoft,
/// which only relayed the refusal, and the report's own words ("Sender
/// Address", "How to Fix It", "block list") are not causes. The reply's
/// "your message to <another address>" names no second recipient.
#[test]
fn an_office_365_report_of_a_remote_refusal_is_read_from_the_reply() {
    let bytes = include_bytes!("../engine/tests/fixtures/email/o365-remote-refusal.eml");
    let ds = bouncedx::default_engine()
        .diagnose_email(bytes)
        .expect("an e-mail");
    assert_eq!(ds.len(), 1, "{ds:#?}");
    let d = &ds[0];
    assert_eq!(d.recipient.as_deref(), Some("ann@example.net"));
    assert_eq!(d.remote_host.as_deref(), Some("mta1001.mail.example.net"));
    assert_ne!(d.provider.as_deref(), Some("microsoft"));
    assert_eq!((&*d.category, &*d.reason), ("recipient", "suspend"));
    assert!(d.text.starts_with("554 delivery error"), "{}", d.text);
}
