//! The page in a real browser: Debian's headless Chromium, driven by
//! playwright-core (`tests/browser/page.mjs`), against the real server on
//! loopback. `.ci/run` installs both (`apt-get install chromium`,
//! `npm install --prefix target/browser playwright-core`); without them the
//! test says SKIPPED. With `BOUNCEDX_SCREENSHOT=path` it also saves a
//! screenshot (the book's is made that way).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn page_shows_cause_evidence_and_steps() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let modules = root.join("target/browser/node_modules");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node_ok = Command::new("node").arg("--version").output().is_ok();
    if !node_ok || !modules.join("playwright-core").is_dir() || !Path::new(&chromium).exists() {
        eprintln!("SKIPPED: needs node, {chromium} and target/browser/node_modules/playwright-core (.ci/run installs them)");
        return;
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut err = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let base = format!("http://{}", line.trim().rsplit("http://").next().unwrap());
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut sink);
    });
    let mut cmd = Command::new("node");
    cmd.arg(root.join("tests/browser/page.mjs"))
        .arg(&base)
        .env("NODE_PATH", &modules)
        .env("CHROMIUM", &chromium);
    if let Ok(shot) = std::env::var("BOUNCEDX_SCREENSHOT") {
        cmd.arg(shot);
    }
    let out = cmd.output().expect("node runs");
    let _ = server.kill();
    let _ = server.wait();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("ok: cause, evidence"), "{text}");
}
