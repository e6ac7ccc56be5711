//! Any bytes as an input to `bouncedx scan`: cut into jobs in every form
//! (auto-detected, JSON Lines or documents, log, e-mail or mbox, replies),
//! gzip and zstd layers opened as `scan` opens them, and every job
//! diagnosed with the built-in packs and rendered. Nothing may panic; bad
//! input is an error job or an error item, and the rest of it goes on.
#![no_main]

use bouncedx::scan::{self, Form};
use bouncedx_engine::Engine;
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(bouncedx::default_engine)
}

fuzz_target!(|data: &[u8]| {
    for form in [Form::Auto, Form::Json, Form::Log, Form::Email, Form::Reply] {
        let mut jobs = Vec::new();
        let _ = scan::sources::read_bytes("fuzz", data, form, &mut |job| {
            jobs.push(job);
            Ok(())
        });
        for job in jobs {
            for item in scan::process(engine(), job).items {
                if let scan::Item::Result(d) = item {
                    let _ = bouncedx_engine::render::jsonl(&d);
                }
            }
        }
    }
});
