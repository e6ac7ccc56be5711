//! `bouncedx scan` end to end, through the built binary, on fixtures written
//! for this repository (`tests/fixtures/scan/`): one folder per input family,
//! plus broken inputs. Each run's JSON Lines are reduced to the fields that
//! say what was found (source, position, recipient, status, reason, rule,
//! ESP verdict, error) and snapshotted; the summary is snapshotted whole.

use std::path::Path;
use std::process::Command;

fn bouncedx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bouncedx"))
}

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/scan"))
}

/// Runs `scan` on one fixture folder and keeps the telling fields.
fn scan_compact(dir: &str) -> String {
    let out = bouncedx()
        .current_dir(fixtures())
        .args(["scan", "--no-progress", dir])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = Vec::new();
    for line in String::from_utf8(out.stdout).expect("utf-8").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        let keep = [
            "source",
            "line",
            "message",
            "recipient",
            "status",
            "reason",
            "rule",
            "provider",
            "esp_verdict",
            "error",
        ];
        let compact: serde_json::Map<String, serde_json::Value> = keep
            .iter()
            .filter_map(|k| {
                v.get(*k)
                    .filter(|x| !x.is_null())
                    .map(|x| (k.to_string(), x.clone()))
            })
            .collect();
        lines.push(serde_json::Value::Object(compact).to_string());
    }
    lines.join("\n")
}

#[test]
fn bounce_emails() {
    insta::assert_snapshot!(scan_compact("email"));
}

#[test]
fn broken_inputs_are_reported_and_the_scan_goes_on() {
    insta::assert_snapshot!(scan_compact("broken"));
}

#[test]
fn mbox_messages_are_numbered() {
    insta::assert_snapshot!(scan_compact("mbox"));
}

#[test]
fn maildir() {
    insta::assert_snapshot!(scan_compact("maildir"));
}

#[test]
fn mta_logs_skip_what_is_not_a_rejection() {
    insta::assert_snapshot!(scan_compact("logs"));
}

/// Rotated logs as logrotate leaves them: gzip and zstd are read as the
/// text inside (the same results as `logs/`, with the compressed file as
/// source); a truncated `.gz` gives its lines up to the break and an error;
/// xz is named with the command that reads it.
#[test]
fn compressed_logs_are_read_as_they_are() {
    insta::assert_snapshot!(scan_compact("compressed"));
}

#[test]
fn esp_webhooks_keep_their_verdict() {
    insta::assert_snapshot!(scan_compact("json"));
}

#[test]
fn summary_as_markdown() {
    let out = bouncedx()
        .current_dir(fixtures())
        .args(["scan", "--no-progress", "--summary", "markdown", "."])
        .output()
        .expect("runs");
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8(out.stdout).expect("utf-8"));
}

#[test]
fn stdin_log_is_streamed() {
    use std::io::Write;
    let mut child = bouncedx()
        .args(["scan", "--no-progress", "--input", "log", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"noise\nERROR to <a@example.com>: 550 5.1.1 user unknown\n")
        .expect("writes");
    let out = child.wait_with_output().expect("waits");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let v: serde_json::Value = serde_json::from_str(text.trim()).expect("one line");
    assert_eq!(v["source"], "-");
    assert_eq!(v["line"], 2);
    assert_eq!(v["reason"], "userunknown");
    // A line of no known log format names no writer.
    assert_eq!(v.get("mta"), None);
}

/// A 50 MB attachment: read, diagnosed, in bounded time and without error.
/// Generated at run time (not committed); the timing is not asserted.
#[test]
fn fifty_megabyte_attachment() {
    let dir = std::env::temp_dir().join(format!("bouncedx-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.eml");
    let mut mail = String::from(
        "From: MAILER-DAEMON@example.org\nTo: s@example.org\nSubject: Undelivered Mail\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"X\"\n\n--X\nContent-Type: text/plain\n\n<big@example.com>: host mx.example.com[192.0.2.1] said: 552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)\n\n--X\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n",
    );
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\n";
    while mail.len() < 50 * 1024 * 1024 {
        mail.push_str(line);
    }
    mail.push_str("--X--\n");
    std::fs::write(&path, mail).expect("writes");
    let out = bouncedx()
        .args(["scan", "--no-progress"])
        .arg(&path)
        .output()
        .expect("runs");
    std::fs::remove_dir_all(&dir).ok();
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).expect("one result");
    assert_eq!(v["recipient"], "big@example.com");
    assert_eq!(v["reason"], "emailtoolarge");
}

/// The packs compile while the walk and the reading of the first inputs go
/// on; when they have errors, the scan writes no result (not even the
/// walk's own error lines), reports the rule errors and exits 1.
#[test]
fn rules_with_errors_stop_the_scan_before_any_output() {
    let dir = std::env::temp_dir().join(format!("bouncedx-scan-badrules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules = dir.join("bad.bdx");
    std::fs::write(&rules, "rule x {\n  category nope\n}\n").expect("write");
    let out = bouncedx()
        .current_dir(fixtures())
        .args(["scan", "--no-progress", "--rules"])
        .arg(&rules)
        .args(["email", "broken", "no-such-path"])
        .output()
        .expect("runs");
    std::fs::remove_dir_all(&dir).ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("unknown category `nope`"), "{stderr}");
    assert!(stderr.contains("nothing was diagnosed"), "{stderr}");
}
