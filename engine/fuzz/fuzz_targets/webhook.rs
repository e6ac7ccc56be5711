//! `cargo +nightly fuzz run webhook`: any JSON value as an ESP event.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = bouncedx_engine::intake::webhook::read_event(&v);
    }
});
