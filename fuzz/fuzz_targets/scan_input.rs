//! Any bytes as an input to `bouncedx scan`: cut into jobs in every form
//! (auto-detected, JSON Lines or documents, log, e-mail or mbox, replies),
//! gzip and zstd layers opened as `scan` opens them, and every job
//! diagnosed with the built-in packs and rendered. Nothing may panic; bad
//! input is an error job or an error item, and the rest of it goes on.
#![no_main]

use bouncedx_engine::Engine;
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(bouncedx::default_engine)
}

// An input that makes this panic belongs in `fuzz/regressions/`, which
// `tests/fuzz_regressions.rs` replays on every test run.
fuzz_target!(|data: &[u8]| {
    let _ = bouncedx::scan::every_form(engine(), data);
});
