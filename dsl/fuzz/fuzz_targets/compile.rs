//! Any bytes through the whole compiler: parse, check, lower, lint and
//! render the report. Nothing may panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let c = bouncedx_dsl::compile_str("fuzz.bdx", text);
        let _ = c.report.render(&c.sources, false);
        let _ = c.report.to_json(&c.sources);
    }
});
