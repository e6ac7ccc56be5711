//! Any text as MTA log lines (Postfix, Exim, Sendmail, Exchange) and as a
//! pasted reply: each line is read, and a rejection diagnosed. Nothing may
//! panic.
#![no_main]

use bouncedx_engine::intake::log::{read_log_line, LogLine};
use libfuzzer_sys::fuzz_target;

#[path = "packs.rs"]
mod packs;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let engine = packs::engine();
    for line in text.lines() {
        if let LogLine::Rejection(r) = read_log_line(line) {
            let _ = bouncedx_engine::render::jsonl(&engine.diagnose_log_record(&r));
        }
    }
    let _ = bouncedx_engine::render::jsonl(&engine.diagnose_reply(text));
});
