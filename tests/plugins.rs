//! Plugins through the CLI, offline: `plugin list`, `plugin call` and
//! `diagnose --checks` with the zone files and sample exports of
//! `plugins/host/tests/fixtures`, and the errors a user meets.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("plugins/host/tests/fixtures")
}

fn bouncedx(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
        .args(args)
        .env(
            "BOUNCEDX_CACHE_DIR",
            std::env::temp_dir().join("bouncedx-test-plugin-cache"),
        )
        .env_remove("BOUNCEDX_CONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn zone_args() -> Vec<String> {
    let mut v = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("zones"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        v.push("--zone".to_string());
        v.push(f.display().to_string());
    }
    v
}

#[test]
fn plugin_list_names_checks_and_grants() {
    let (code, out, err) = bouncedx(&["plugin", "list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dnsbl", "auth", "postmaster", "snds"]);
    // the core pack grants dnsbl its zones and auth any name; postmaster
    // and snds get nothing until the site grants them data or hosts
    assert!(v[0]["grants"]["dns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|z| z == "zen.spamhaus.org"));
    assert_eq!(v[1]["grants"]["dns"], serde_json::json!(["*"]));
    assert_eq!(v[2]["grants"]["data"], serde_json::json!([]));
    let (_, human, _) = bouncedx(&["plugin", "list"]);
    assert!(
        human.contains(
            "  auth.dkim(domain= selector=)  Is a DKIM key published for the selector, and usable?"
        ),
        "{human}"
    );
    assert!(
        human.contains("granted: nothing (its checks are skipped)"),
        "{human}"
    );
}

#[test]
fn plugin_call_prints_the_result() {
    let zen = fixtures().join("zones/zen.spamhaus.org.zone");
    let (code, out, err) = bouncedx(&[
        "plugin",
        "call",
        "dnsbl",
        "ip",
        "ip=192.0.2.7",
        "zones=zen.spamhaus.org",
        "--zone",
        zen.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "fail");
    assert_eq!(v["facts"]["listed"], "zen.spamhaus.org");
    assert_eq!(v["facts"]["delisting"], "https://check.spamhaus.org/");

    let data = format!(
        "postmaster={}",
        fixtures().join("postmaster.json").display()
    );
    let (code, out, _) = bouncedx(&[
        "plugin",
        "call",
        "postmaster",
        "domain",
        "domain=example.com",
        "--data",
        &data,
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            v["status"].as_str(),
            v["facts"]["domain_reputation"].as_str()
        ),
        (Some("fail"), Some("LOW"))
    );
}

#[test]
fn plugin_call_errors_are_plain() {
    let (code, out, _) = bouncedx(&["plugin", "call", "dnsbl", "ipp", "ip=192.0.2.7"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("plugin `dnsbl` has no check `ipp` (its checks: ip, domain)"),
        "{out}"
    );
    let (code, out, _) = bouncedx(&["plugin", "call", "auth", "spf"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("`auth.spf` needs the parameter `domain`"),
        "{out}"
    );
    let (code, _, err) = bouncedx(&["plugin", "call", "auth", "spf", "example.com"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("parameter `example.com` is not key=value"),
        "{err}"
    );
    let (code, _, err) = bouncedx(&[
        "plugin",
        "call",
        "nope",
        "x",
        "--data",
        "nope-file=/dev/null",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no plugin is named `nope`"), "{err}");
    let bad = std::env::temp_dir().join(format!("bouncedx-bad-{}.zone", std::process::id()));
    std::fs::write(
        &bad,
        "$ORIGIN x.test.\n$TTL 60\n@ IN SOA ns. h. 1 2 3 4 5\nwww IN A 999.1.1.1\n",
    )
    .unwrap();
    let (code, _, err) = bouncedx(&[
        "plugin",
        "call",
        "dnsbl",
        "ip",
        "ip=192.0.2.7",
        "--zone",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("zone file {}", bad.display())),
        "{err}"
    );
    let (code, _, err) = bouncedx(&[
        "plugin",
        "call",
        "dnsbl",
        "ip",
        "ip=1.2.3.4",
        "--plugin",
        "/etc/hostname",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a WebAssembly component bouncedx can load"),
        "{err}"
    );
}

/// Runs bouncedx with `args` and every test zone file, expects success and
/// returns its JSON output.
fn json_with_zones(args: &[&str]) -> serde_json::Value {
    let zones = zone_args();
    let all: Vec<&str> = args
        .iter()
        .copied()
        .chain(zones.iter().map(String::as_str))
        .collect();
    let (code, out, err) = bouncedx(&all);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The result of the check named `name` in a JSON output's `checks`.
fn check_result<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .expect("a checks list")
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("{name} ran: {v}"))
}

#[test]
fn explain_with_checks_shows_the_verdicts_and_why_a_refinement_fired() {
    let reply = "550 5.7.1 Message rejected from [192.0.2.7] for sender bounce@example.com";
    let v = json_with_zones(&["explain", "--format", "json", "--fired", "--checks", reply]);
    let dnsbl = check_result(&v, "dnsbl.ip");
    assert_eq!(dnsbl["status"], "fail", "{dnsbl}");
    // the fired rules in the diagnosis's ranking: the refinement first
    let fired: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(fired[0], "core/vague_policy_ip_listed", "{fired:?}");
    assert!(fired.contains(&"core/vague_permanent_policy"), "{fired:?}");
    // without --checks there are no verdicts, and the refinement stays out
    let (code, out, _) = bouncedx(&["explain", "--format", "json", "--fired", reply]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("checks").is_none(), "{v}");
    assert!(!out.contains("vague_policy_ip_listed"), "{out}");
}

#[test]
fn diagnose_with_checks_refines_a_vague_refusal() {
    let reply = "550 5.7.1 Message rejected from [192.0.2.7] for sender bounce@example.com";
    let v = json_with_zones(&["diagnose", "--format", "json", "--checks", reply]);
    // without the checks this reply is the vague-policy fallback; the
    // blocklist check finds the IP listed and that becomes the diagnosis
    assert_eq!(v["rule"], "core/vague_policy_ip_listed");
    let checks: Vec<(String, String)> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        checks,
        [
            ("dnsbl.ip", "fail"),
            ("auth.spf", "fail"),
            ("auth.dmarc", "warn"),
            ("auth.ptr", "warn"),
            ("postmaster.domain", "skipped"),
            ("snds.ip", "skipped"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(v["checks"][4]["summary"]
        .as_str()
        .unwrap()
        .contains("the site has granted `postmaster` nothing"));

    // the same reply without --checks: the vague fallback, no checks
    let (_, out, _) = bouncedx(&["diagnose", "--format", "json", reply]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["rule"].as_str(), v["checks"].as_array().map(Vec::len)),
        (Some("core/vague_permanent_policy"), Some(0))
    );
}

#[test]
fn site_config_grants_data() {
    let dir = std::env::temp_dir().join(format!("bouncedx-site-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixtures().join("snds.csv"), dir.join("snds.csv")).unwrap();
    std::fs::copy(fixtures().join("snds-blocked.csv"), dir.join("blocked.csv")).unwrap();
    let config = dir.join("bouncedx.yaml");
    std::fs::write(
        &config,
        "plugins:\n  snds:\n    data: { snds: snds.csv, snds-blocked: blocked.csv }\n",
    )
    .unwrap();
    let (code, out, err) = bouncedx(&[
        "plugin",
        "call",
        "snds",
        "ip",
        "ip=192.0.2.7",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("BLOCKED by Outlook.com"), "{out}");
    std::fs::write(&config, "plugins:\n  snds:\n    files: [x]\n").unwrap();
    let (code, _, err) = bouncedx(&["plugin", "list", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bouncedx.yaml") && err.contains("files"),
        "{err}"
    );
}

/// The authoring guide's plugin (`plugins/examples/bimi`, built to
/// WebAssembly by the host's build script) brought by a pack: its check is
/// known to the compiler, requested by the pack, granted by the site
/// (`--grant`), and runs with --checks.
#[test]
fn a_pack_brings_its_own_plugin() {
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/plugins/wasm32-wasip2/release/bouncedx_plugin_bimi.wasm");
    assert!(built.is_file(), "build.rs builds {}", built.display());
    let dir = std::env::temp_dir().join(format!("bouncedx-bimi-pack-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    std::fs::copy(&built, dir.join("plugins/bimi.wasm")).unwrap();
    std::fs::write(
        dir.join("pack.yaml"),
        "name: brand\nversion: 0.1.0\nbouncedx: \">=0.1\"\nimports: { core: \">=0.1\" }\nchecks: [bimi.record]\nplugins: [plugins/bimi.wasm]\nrequests:\n  bimi: { dns: [\"*\"] }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("brand.bdx"),
        "import core\n\nrule vague_refusal_brand_check {\n  category   vague_policy\n  confidence low\n  when       status 5.7.1 and text has \"message rejected\"\n  diagnosis  \"A vague refusal; the brand check says whether BIMI is published\"\n  check      bimi.record(domain: sender_domain)\n  refs       \"https://bimigroup.org/\"\n  example    \"550 5.7.1 Message rejected\"\n}\n",
    )
    .unwrap();
    let pack = dir.to_str().unwrap();
    let (code, out, err) = bouncedx(&["check", pack]);
    assert_eq!(code, 0, "{out}{err}");
    let zone = fixtures().join("zones/example.com.zone");
    let (code, out, err) = bouncedx(&[
        "diagnose",
        "--format",
        "json",
        "--checks",
        "--rules",
        pack,
        "--grant",
        "brand",
        "--zone",
        zone.to_str().unwrap(),
        "550 5.7.1 Message rejected for sender bounce@example.com",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let bimi = check_result(&v, "bimi.record");
    assert_eq!(bimi["status"], "warn", "{bimi}");
    // without the pack, the check is unknown to the compiler
    let other = dir.join("other.bdx");
    std::fs::write(&other, "rule r {\n  category vague_policy\n  when status 5.7.1\n  diagnosis \"x\"\n  check bimi.record(domain: sender_domain)\n  example \"550 5.7.1 x\"\n}\n").unwrap();
    let (code, out, err) = bouncedx(&["check", other.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!((out.clone() + &err).contains("E0109"), "{out}{err}");
}

#[test]
fn scan_with_checks_refines_each_log_line() {
    // a Postfix log: one vague refusal, one unknown user, one delivery
    let log = std::env::temp_dir().join(format!("bouncedx-checks-{}.log", std::process::id()));
    std::fs::write(
        &log,
        "Nov 26 10:00:01 mta1 postfix/smtp[1]: 3F2A1: to=<bob@example.net>, relay=mx.example.net[192.0.2.10]:25, dsn=5.7.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.7.1 Message rejected from [192.0.2.7] for sender bounce@example.com (in reply to RCPT TO command))\n\
         Nov 26 10:00:02 mta1 postfix/smtp[1]: 3F2A2: to=<ann@example.net>, relay=mx.example.net[192.0.2.10]:25, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 <ann@example.net>: User unknown (in reply to RCPT TO command))\n\
         Nov 26 10:00:03 mta1 postfix/smtp[1]: 3F2A3: to=<cat@example.net>, relay=mx.example.net[192.0.2.10]:25, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n",
    )
    .unwrap();
    let mut args: Vec<String> = vec![
        "scan".into(),
        "--no-progress".into(),
        "--checks".into(),
        log.to_str().unwrap().into(),
    ];
    args.extend(zone_args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = bouncedx(&args);
    std::fs::remove_file(&log).ok();
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(&str, usize)> = lines
        .iter()
        .map(|v| {
            (
                v["rule"].as_str().unwrap_or("-"),
                v["checks"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    // the vague refusal ran its six checks and the listing decided it; the
    // unknown user asked for none
    assert_eq!(
        got,
        [("core/vague_policy_ip_listed", 6), ("core/user_unknown", 0)]
    );

    // --zone without --checks is a usage error that says what to add
    let (code, _, err) = bouncedx(&["scan", "--zone", "x.zone", "-"]);
    assert_eq!(code, 2);
    assert!(err.contains("add --checks"), "{err}");
}
