//! The command line, run as a user runs it.

use std::io::Write;
use std::process::{Command, Stdio};

fn bouncedx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bouncedx"))
}

#[test]
fn diagnose_one_reply_as_json() {
    let out = bouncedx()
        .args([
            "diagnose",
            "--format",
            "json",
            "550 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["category"], "blacklist");
    assert_eq!(v["reason"], "blocked");
    assert_eq!(v["rule"], "core/dnsbl_spamhaus");
    assert_eq!(v["client_ip"], "192.0.2.7");
    assert_eq!(v["permanent"], true);
    assert_eq!(v["evidence"][0]["text"], "blocked using");
}

/// From stdin, every line yields exactly one result line, in order, even
/// empty lines and invalid UTF-8.
#[test]
fn stdin_is_one_result_per_line() {
    let mut child = bouncedx()
        .args(["diagnose", "--format", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input: Vec<u8> = b"550 5.1.1 user unknown\n\n421 4.7.28 Gmail has detected an unusual rate of mail originating from your IP address\n".to_vec();
    input.extend_from_slice(b"\xff\xfe550 5.7.1 \xc3\x28 bad bytes\n");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["reason"], "userunknown");
    assert!(lines[1]["error"].as_str().unwrap().contains("empty"));
    assert_eq!(lines[2]["category"], "rate_limit");
    assert_eq!(lines[2]["provider"], "gmail");
    assert!(lines[3]["error"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(
        lines
            .iter()
            .map(|l| l["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn check_reports_errors_with_exit_1_and_json() {
    let dir = std::env::temp_dir().join(format!("bdx-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.bdx");
    std::fs::write(
        &f,
        "import core\nrule r {\n  category blaclist\n  when code 699\n  diagnosis \"x\"\n}\n",
    )
    .unwrap();
    let out = bouncedx()
        .args(["check", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["E0101", "E0210"]);
    let first_error = v
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap();
    assert_eq!(
        (first_error["line"].as_u64(), first_error["column"].as_u64()),
        (Some(3), Some(12))
    );
    let shipped = bouncedx()
        .args([
            "check",
            "--deny-warnings",
            concat!(env!("CARGO_MANIFEST_DIR"), "/rulesets"),
        ])
        .output()
        .unwrap();
    assert!(
        shipped.status.success(),
        "{}",
        String::from_utf8_lossy(&shipped.stdout)
    );
}

#[test]
fn user_rules_replace_and_extend() {
    let dir = std::env::temp_dir().join(format!("bdx-pack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("site.bdx"),
        "import core\nrule our_relay {\n  category relay\n  confidence certain\n  when text has \"acme relay says no\"\n  diagnosis \"Our own relay refused it\"\n  refs \"https://wiki.example/relay\"\n  example \"550 acme relay says no\"\n}\n",
    )
    .unwrap();
    let out = bouncedx()
        .args(["diagnose", "--format", "json", "--rules"])
        .arg(&dir)
        .arg("550 5.7.1 acme relay says no")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["rule"].as_str().unwrap().ends_with("/our_relay"));
}

/// Exit statuses (hardening item 8): 0 diagnosed, 1 nothing recognised, 2
/// usage or I/O error, in every verb; a closed pipe ends quietly.
#[test]
fn exit_statuses_say_what_happened() {
    let run = |args: &[&str]| {
        let out = bouncedx().args(args).output().expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["scan", "--no-progress", "/nonexistent/bounces"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("no such file or folder: /nonexistent/bounces"),
        "{err}"
    );
    let (code, _) = run(&["scan", "--summary", "table", "nosuch.log"]);
    assert_eq!(code, Some(2));
    let (code, err) = run(&["diagnose", "replies.txt"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no such file: `replies.txt`"), "{err}");
    let eml = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rulesets/core/tests/emails/dsn-no-such-user.eml"
    );
    let (code, err) = run(&["diagnose", eml]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bouncedx scan"), "{err}");
    let (code, _) = run(&["diagnose", "hello there, nothing to see"]);
    assert_eq!(code, Some(1));
    let (code, _) = run(&["diagnose", "550 5.1.1 user unknown"]);
    assert_eq!(code, Some(0));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = bouncedx()
        .args(["diagnose", "--format", "jsonl", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        for _ in 0..20_000 {
            if stdin.write_all(b"550 5.1.1 user unknown\n").is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("userunknown"), "{first}");
    // stdout is closed here, like `| head -1`
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `check --format json` reports a bad manifest on stdout, as JSON
/// diagnostics naming the file (issue 20: it printed nothing there).
#[test]
fn check_json_reports_manifest_errors() {
    let dir = std::env::temp_dir().join(format!("bouncedx-badman-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pack.yaml"), "name: bad\nversion: one\n").unwrap();
    let out = bouncedx()
        .args(["check", "--format", "json", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v[0]["severity"], "error");
    assert!(v[0]["file"].as_str().unwrap().ends_with("pack.yaml"), "{v}");
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("not a semantic version"),
        "{v}"
    );
    assert!(
        v[0]["help"].as_str().unwrap().contains("MAJOR.MINOR.PATCH"),
        "{v}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
