//! Any bytes as a bounce e-mail: the binary test, the MIME parser, the
//! DSN, ARF and auto-reply readers, recipient finding, and the diagnosis of
//! every recipient found. Nothing may panic, whatever the input; an input
//! that is not an e-mail is an `EmailError`, not a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "packs.rs"]
mod packs;

fuzz_target!(|data: &[u8]| {
    let engine = packs::engine();
    if let Ok(diagnoses) = engine.diagnose_email(data) {
        for d in &diagnoses {
            let _ = bouncedx_engine::render::jsonl(d);
        }
    }
});
