//! `bouncedx eval` through the binary: a labelled TSV and a folder of
//! e-mails written for this repository, the report (snapshotted), the JSON
//! form, `--min` as a CI gate, `--as-log`, and clear errors for a bad set.

use std::path::Path;
use std::process::Command;

fn bouncedx(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_labelled_tsv_is_scored_per_half_band_and_cause() {
    let (code, out, err) = bouncedx(&["eval", "labelled.tsv"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
    // the same rows inside Postfix log lines agree as often
    let (_, as_log, _) = bouncedx(&["eval", "--as-log", "--misses", "0", "labelled.tsv"]);
    let all = |s: &str| {
        s.lines()
            .find(|l| l.trim_start().starts_with("all"))
            .map(str::to_string)
    };
    assert_eq!(all(&out), all(&as_log), "{as_log}");
    // `--as-log` before the file takes no value from it; each form agrees
    let (code, before, err) = bouncedx(&["eval", "--as-log", "labelled.tsv", "--misses", "0"]);
    assert_eq!(code, 0, "{err}");
    assert!(before.contains("(as Postfix log lines)"), "{before}");
    for (form, title) in [
        ("--as-log=exim", "Exim"),
        ("--as-log=haraka", "Haraka"),
        ("--as-log=exchange", "Exchange message tracking"),
    ] {
        let (code, report, err) = bouncedx(&["eval", form, "--misses", "0", "labelled.tsv"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            report.contains(&format!("(as {title} log lines)")),
            "{report}"
        );
        assert_eq!(all(&out), all(&report), "{form}: {report}");
    }
    // a folder of e-mails is read as e-mails, and its title does not say
    // otherwise
    let (code, emails, err) = bouncedx(&["eval", "--as-log=exim", "--misses", "0", "bounces"]);
    assert_eq!(code, 0, "{err}");
    assert!(!emails.contains("log lines"), "{emails}");
}

#[test]
fn a_folder_of_emails_and_json_for_dashboards() {
    let (code, out, err) = bouncedx(&["eval", "--format", "json", "bounces"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let r = &v[0];
    assert_eq!(r["all"]["rows"], 3, "{r}");
    assert_eq!(r["all"]["category"]["agree"], 3, "{r}");
    assert_eq!(r["all"]["reason"]["agree"], 3, "{r}");
    assert_eq!(r["misses"], serde_json::json!([]));
    assert_eq!(
        r["tune"]["rows"].as_u64().unwrap() + r["validate"]["rows"].as_u64().unwrap(),
        3
    );
}

#[test]
fn pooled_adds_one_report_of_every_set_together() {
    let (code, out, err) = bouncedx(&[
        "eval",
        "--pooled",
        "--format",
        "json",
        "labelled.tsv",
        "bounces",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let reports = v.as_array().unwrap();
    assert_eq!(reports.len(), 3, "{out}");
    let rows = |r: &serde_json::Value| r["all"]["rows"].as_u64().unwrap();
    let agree = |r: &serde_json::Value| r["all"]["category"]["agree"].as_u64().unwrap();
    let pooled = &reports[2];
    assert_eq!(pooled["set"], "all 2 sets, pooled");
    assert_eq!(rows(pooled), rows(&reports[0]) + rows(&reports[1]));
    assert_eq!(agree(pooled), agree(&reports[0]) + agree(&reports[1]));
    // its causes add up to the sets' rows that name a category
    let by_cause: u64 = pooled["by_cause"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["all"]["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(
        by_cause,
        pooled["all"]["category"]["rows"].as_u64().unwrap()
    );
    // misses stay with their own set (their lines are that file's)
    assert_eq!(pooled["misses"], serde_json::json!([]));
    // one set: nothing to pool
    let (_, one, _) = bouncedx(&["eval", "--pooled", "--format", "json", "labelled.tsv"]);
    let one: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1);
}

#[test]
fn a_repeated_index_is_told_apart_by_its_status() {
    // a label file that gives index 1 twice: the second row's status (5.7.1)
    // is that of the e-mail's second recipient, so it scores that one
    let dir = std::env::temp_dir().join(format!("bouncedx-eval-rep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval/bounces/emails");
    std::fs::copy(
        fixtures.join("postfix-dsn-two-recipients.eml"),
        dir.join("two.eml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("expected.tsv"),
        "file\trcpt_index\tstatus\treason\ntwo.eml\t1\t5.1.1\tuserunknown\ntwo.eml\t1\t5.7.1\tblocked\n",
    )
    .unwrap();
    let (code, out, err) = bouncedx(&["eval", "--format", "json", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v[0]["all"]["reason"]["agree"], 2, "{v}");
}

#[test]
fn min_fails_ci_below_the_share() {
    let (code, _, err) = bouncedx(&["eval", "--min", "0.99", "--misses", "0", "labelled.tsv"]);
    assert_eq!(code, 1);
    assert!(err.contains("is below --min 99.0%"), "{err}");
    let (code, _, _) = bouncedx(&["eval", "--min", "0.5", "--misses", "0", "labelled.tsv"]);
    assert_eq!(code, 0);
    let (code, out, _) = bouncedx(&[
        "eval",
        "--half",
        "validate",
        "--misses",
        "0",
        "labelled.tsv",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("(validate half)"), "{out}");
}

#[test]
fn a_bad_set_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("bouncedx-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.tsv");
    std::fs::write(&bad, "550 5.1.1 user unknown\trecipient\n421 try later\n").unwrap();
    let (code, _, err) = bouncedx(&["eval", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.tsv:2: the row has no label"), "{err}");
    let (code, _, err) = bouncedx(&["eval", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("expected.tsv: cannot read") && err.contains("help"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_exchange_reply_with_a_leading_hash_is_a_row_not_a_comment() {
    let (code, out, err) = bouncedx(&["eval", "--format", "json", "exchange_hash.tsv"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let all = &report[0]["all"];
    assert_eq!(all["rows"], 2, "{out}");
    assert_eq!(all["category"]["agree"], 2, "{out}");
}
