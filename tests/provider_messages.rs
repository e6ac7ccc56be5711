//! Accuracy on the reference rejection texts: for every row of
//! `../shared/reference/provider_messages.tsv` (placeholders filled in), the
//! diagnosed category must match the row's cause for at least 90% of rows.
//! Rows whose cause is `other` count as matched when bouncedx names a cause
//! outside the seven named ones (it must say what it is, not guess one of
//! them). The misses are printed.

use std::path::Path;

const BAR: f64 = 0.90;

fn fill(text: &str) -> String {
    text.replace("<IP>", "192.0.2.7")
        .replace("<domain>", "example.com")
        .replace("<addr>", "bob@example.com")
        .replace("<n>", "3")
        .replace("<id>", "abc123")
        .replace("<zone>", "bl.example.org")
        .replace("<server>", "mx1.example.net")
        .replace("<host>", "mx01")
        .replace("<NNN>", "001")
}

const NAMED: &[&str] = &[
    "blacklist",
    "authentication",
    "reputation",
    "content",
    "org_policy",
    "rate_limit",
    "recipient",
];

#[test]
fn categories_match_reference_causes() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/provider_messages.tsv");
    let Ok(tsv) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIPPED: {} is absent; the accuracy test needs ../shared",
            path.display()
        );
        return;
    };
    let engine = bouncedx::default_engine();
    let (mut total, mut hits) = (0, 0);
    let mut misses = Vec::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 6 {
            continue;
        }
        let (code, status, text, cause) = (
            cols[1].trim(),
            cols[2].trim(),
            fill(cols[3]),
            cols[5].trim(),
        );
        let status = status
            .split('-')
            .next()
            .unwrap_or("")
            .replace("xx", "00")
            .replace('x', "0");
        let reply = if text.starts_with(code) && !code.is_empty() {
            text.clone()
        } else {
            format!("{code} {status} {text}").trim().to_string()
        };
        let d = engine.diagnose_reply(&reply);
        let want = if cause == "recipient/mailbox" {
            "recipient"
        } else {
            cause
        };
        let ok = if want == "other" {
            !NAMED.contains(&&*d.category)
        } else {
            *d.category == *want
        };
        total += 1;
        if ok {
            hits += 1;
        } else {
            misses.push(format!(
                "  want {want:<15} got {:<15} {} | {reply}",
                d.category,
                d.rule.unwrap_or_default()
            ));
        }
    }
    let rate = hits as f64 / total as f64;
    eprintln!(
        "provider_messages.tsv: {hits}/{total} = {:.1}% categories match",
        rate * 100.0
    );
    for m in &misses {
        eprintln!("{m}");
    }
    assert!(
        rate >= BAR,
        "accuracy {:.1}% is under the bar of {:.0}%",
        rate * 100.0,
        BAR * 100.0
    );
}
