//! `cargo +nightly fuzz run email`: reading any bytes as a bounce e-mail
//! must return records or an error, never panic or hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(email) = bouncedx_engine::intake::email::read_email(data) {
        for r in &email.records {
            let _ = bouncedx_engine::intake::reply::parse_reply(r.diagnostic.as_deref().unwrap_or(&r.context));
        }
    }
});
