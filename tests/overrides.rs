//! Site overrides through the CLI: a pack of the site's own changes to the
//! shipped rules, loaded with `--rules`, without forking `core`.

use std::process::Command;

fn diagnose(rules: &std::path::Path, reply: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
        .args(["diagnose", "--format", "json", "--rules"])
        .arg(rules)
        .arg(reply)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

const SPAMHAUS: &str =
    "550 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org";

#[test]
fn disable_unless_confidence_priority() {
    let dir = std::env::temp_dir().join(format!("bouncedx-override-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let site = dir.join("site");
    std::fs::create_dir_all(&site).unwrap();

    std::fs::write(
        site.join("site.bdx"),
        "import core\n\noverride core/ip_on_blocklist {\n  disable\n}\n",
    )
    .unwrap();
    let d = diagnose(&site, SPAMHAUS);
    assert_ne!(d["rule"], "core/ip_on_blocklist", "{d}");

    std::fs::write(
        site.join("site.bdx"),
        "import core\n\noverride core/ip_on_blocklist {\n  unless     text has \"zen.spamhaus.org\"\n}\n",
    )
    .unwrap();
    assert_ne!(diagnose(&site, SPAMHAUS)["rule"], "core/ip_on_blocklist");
    // a list with no rule of its own (core/dnsbls.bdx knows SpamCop)
    let other = "554 5.7.1 Client host [192.0.2.7] blocked using dnsbl.example.net";
    assert_eq!(diagnose(&site, other)["rule"], "core/ip_on_blocklist");

    std::fs::write(
        site.join("site.bdx"),
        "import core\n\noverride core/ip_on_blocklist {\n  confidence 0.55\n  priority   -5\n}\n",
    )
    .unwrap();
    let d = diagnose(&site, SPAMHAUS);
    let conf = d["confidence"].as_f64().unwrap_or(0.0);
    if d["rule"] == "core/ip_on_blocklist" {
        assert!((conf - 0.55).abs() < 1e-6, "{d}");
    } else {
        // lowered below another rule, it lost; it is listed as an
        // alternative only when it reads the reply otherwise than the
        // answer, and then with its new confidence
        assert!(conf > 0.55, "{d}");
        let listed: Vec<&serde_json::Value> = d["alternatives"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["rule"] == "core/ip_on_blocklist")
            .collect();
        let same_answer = d["category"] == "blacklist" && d["reason"] == "blocked";
        assert!(same_answer || !listed.is_empty(), "{d}");
        for a in listed {
            assert!(
                (a["confidence"].as_f64().unwrap() - 0.55).abs() < 1e-6,
                "{d}"
            );
        }
    }

    // an override of a rule that does not exist is an error, with a suggestion
    std::fs::write(
        site.join("site.bdx"),
        "import core\n\noverride core/ip_on_blocklst {\n  disable\n}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
        .args(["check"])
        .arg(&site)
        .output()
        .unwrap();
    let err =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("unknown rule `core/ip_on_blocklst`") && err.contains("ip_on_blocklist"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
