use std::hint::black_box;
fn main() {
    let engine = bouncedx::default_engine();
    let rs = &engine.ruleset;
    let examples: Vec<String> = rs.rules.iter().flat_map(|r| r.examples.clone()).collect();
    let n: usize = std::env::var("N").ok().and_then(|n| n.parse().ok()).unwrap_or(20000);
    let batch: Vec<String> = (0..n).map(|i| examples[i % examples.len()].replace("192.0.2.7", &format!("198.51.{}.{}", (i / 250) % 250, i % 250))).collect();
    for r in &batch { black_box(engine.diagnose_reply(r)); }
}
