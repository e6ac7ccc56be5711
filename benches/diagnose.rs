//! `cargo bench --bench diagnose`: replies per second on one core.
//!
//! Builds a batch of 100,000 replies by cycling the shipped rules' examples
//! (with the IP varied so no two neighbours are equal), diagnoses them all on
//! one thread, and prints the rate for two stages: facts + matching + ranking
//! (the diagnosis object), and the same plus JSON Lines rendering; five
//! rounds, then the best of them (the machine is shared, so single rounds
//! vary by about 10%).

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let engine = bouncedx::default_engine();
    let examples: Vec<String> = engine
        .ruleset
        .rules
        .iter()
        .flat_map(|r| r.examples.clone())
        .collect();
    let batch: Vec<String> = (0..100_000)
        .map(|i| {
            examples[i % examples.len()].replace(
                "192.0.2.7",
                &format!("198.51.{}.{}", (i / 250) % 250, i % 250),
            )
        })
        .collect();
    // warm up
    for r in batch.iter().take(1000) {
        black_box(engine.diagnose_reply(r));
    }
    let (mut best, mut best_json) = (0f64, 0f64);
    for round in 0..5 {
        let t = Instant::now();
        for r in &batch {
            black_box(engine.diagnose_reply(r));
        }
        let diag = t.elapsed();
        let t = Instant::now();
        let mut bytes = 0usize;
        for r in &batch {
            bytes += bouncedx_engine::render::jsonl(&engine.diagnose_reply(r)).len();
        }
        let with_json = t.elapsed();
        best = best.max(batch.len() as f64 / diag.as_secs_f64());
        best_json = best_json.max(batch.len() as f64 / with_json.as_secs_f64());
        println!(
            "round {round}: {} replies: diagnose {:.0}/s ({:.2} µs each); diagnose+jsonl {:.0}/s ({} MB out)",
            batch.len(),
            batch.len() as f64 / diag.as_secs_f64(),
            diag.as_secs_f64() * 1e6 / batch.len() as f64,
            batch.len() as f64 / with_json.as_secs_f64(),
            bytes / 1_000_000
        );
    }
    println!("best of 5 rounds: diagnose {best:.0}/s; diagnose+jsonl {best_json:.0}/s");
}
