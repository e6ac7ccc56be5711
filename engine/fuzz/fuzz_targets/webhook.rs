//! Any JSON as an ESP webhook event (Amazon SES, SendGrid, Mailgun,
//! Postmark): read into recipients, each diagnosed. Nothing may panic; an
//! event of no known shape is an error value.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "packs.rs"]
mod packs;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let engine = packs::engine();
    if let Ok(events) = bouncedx_engine::intake::webhook::read_event(&v) {
        for ev in &events {
            let _ = bouncedx_engine::render::jsonl(&engine.diagnose_event(ev));
        }
    }
});
