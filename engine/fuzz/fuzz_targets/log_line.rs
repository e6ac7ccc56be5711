//! `cargo +nightly fuzz run log_line`: any line, any MTA.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    if let bouncedx_engine::intake::log::LogLine::Rejection(r) =
        bouncedx_engine::intake::log::read_log_line(&line)
    {
        let _ = bouncedx_engine::intake::reply::parse_reply(&r.reply);
    }
});
