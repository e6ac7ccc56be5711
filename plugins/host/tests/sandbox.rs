//! Hostile plugins in the real host: each misbehaviour ends as an `error`
//! result with a clear reason within its budget, and the next call on the
//! same host still works. The plugin is `plugins/tests/hostile`, built from
//! source to WebAssembly by build.rs.

use bouncedx_plugins::dns::{Dns, Zones};
use bouncedx_plugins::grants::Grants;
use bouncedx_plugins::runtime::Runtime;
use bouncedx_plugins::PluginHost;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn host() -> PluginHost {
    host_with_time(300)
}

/// A host granting the hostile plugin `time_ms`: the output-size test gets
/// more, so that a loaded machine (writing 16 MiB takes a while there)
/// tests the size cap and not the clock.
fn host_with_time(time_ms: u64) -> PluginHost {
    let mut zones = Zones::default();
    zones
        .add_text(
            "$ORIGIN allowed.test.\n$TTL 60\n@ IN SOA ns. host. 1 2 3 4 5\nwww IN A 192.0.2.1\n",
            None,
            "allowed.test",
        )
        .unwrap();
    let runtime = Runtime::new(
        Arc::new(Dns::new(zones, Duration::from_secs(1))),
        Some(std::env::temp_dir().join("bouncedx-test-plugin-cache")),
    )
    .unwrap();
    let mut host = PluginHost::new(runtime);
    let path =
        std::path::Path::new(bouncedx_plugins::BUILT_DIR).join("bouncedx_plugin_hostile.wasm");
    host.load_file(&path).unwrap();
    host.grant(
        "hostile",
        &Grants {
            dns: vec!["allowed.test".into()],
            memory_mb: Some(32),
            time_ms: Some(time_ms),
            ..Grants::default()
        },
    );
    host
}

fn run(host: &PluginHost, check: &str, params: &[(&str, &str)]) -> (String, String, Duration) {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let t = Instant::now();
    let o = host.call("hostile", check, &params);
    let took = t.elapsed();
    // the host stays healthy: a good call right after works
    let ok = host.call("hostile", "ok", &[]);
    assert_eq!(ok.status, "pass", "after {check}: {ok:?}");
    (o.status, o.summary, took)
}

#[test]
fn endless_loop_stops_at_the_time_budget() {
    let host = host();
    let (status, why, took) = run(&host, "loop", &[]);
    assert_eq!(status, "error");
    assert!(why.starts_with("time budget of 300 ms exceeded"), "{why}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn memory_bomb_stops_at_the_cap() {
    let host = host();
    let (status, why, _) = run(&host, "alloc", &[]);
    assert_eq!(status, "error");
    assert!(why.starts_with("memory cap of 32 MiB reached"), "{why}");
}

#[test]
fn panic_is_a_crash_with_its_message() {
    let host = host();
    let (status, why, _) = run(&host, "trap", &[]);
    assert_eq!(status, "error");
    assert!(why.starts_with("the plugin crashed"), "{why}");
    assert!(why.contains("hostile plugin panics on purpose"), "{why}");
}

#[test]
fn no_files_no_environment_no_sockets() {
    let host = host();
    let (status, why, _) = run(&host, "file", &[("target", "/etc/passwd")]);
    assert_eq!(status, "error");
    assert!(
        why.starts_with("the plugin says: could not read /etc/passwd"),
        "{why}"
    );
    let (status, why, _) = run(&host, "env", &[]);
    assert_eq!(
        (status.as_str(), why.as_str()),
        (
            "error",
            "the plugin says: the environment is empty: no variables, no arguments"
        )
    );
    // a real listener on loopback: the plugin still cannot reach it
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let (status, why, _) = run(&host, "socket", &[("target", &target)]);
    assert_eq!(status, "error");
    assert!(
        why.starts_with(&format!("the plugin says: could not connect to {target}")),
        "{why}"
    );
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "no connection arrived");
}

#[test]
fn dns_outside_the_grant_is_denied() {
    let host = host();
    let (status, why, _) = run(&host, "dns", &[]);
    assert_eq!(status, "error");
    assert_eq!(
        why,
        "denied: DNS A query for www.example.com is outside the zones granted to hostile (granted: allowed.test)"
    );
}

#[test]
fn huge_outputs_are_refused() {
    let host = host_with_time(5000);
    let (status, why, _) = run(&host, "huge", &[]);
    assert_eq!(status, "error");
    assert_eq!(
        why,
        "output too large: a summary of 16777216 bytes (the limit is 1024)"
    );
    let (status, why, _) = run(&host, "facts", &[]);
    assert_eq!(status, "error");
    assert!(
        why.starts_with("output too large: 1000000 facts") || why.starts_with("memory cap"),
        "{why}"
    );
}

#[test]
fn unknown_checks_and_parameters_are_named() {
    let host = host();
    let o = host.call("hostile", "nope", &[]);
    assert_eq!(o.status, "error");
    assert!(
        o.summary
            .starts_with("plugin `hostile` has no check `nope` (its checks: ok, loop"),
        "{}",
        o.summary
    );
    let o = host.call("hostile", "ok", &[("colour".into(), "red".into())]);
    assert_eq!(
        o.summary,
        "`hostile.ok` has no parameter `colour` (its parameters: target)"
    );
}

#[test]
fn a_plugin_for_another_interface_version_is_refused() {
    let mut host = host();
    let path =
        std::path::Path::new(bouncedx_plugins::BUILT_DIR).join("bouncedx_plugin_future.wasm");
    let e = host.load_file(&path).unwrap_err();
    assert!(
        e.contains(
            "built for bouncedx:plugin@0.2.0, but this bouncedx serves bouncedx:plugin@0.1.0"
        ),
        "{e}"
    );
}

#[test]
fn junk_is_not_a_plugin() {
    let mut host = host();
    let e = host
        .load_bytes(b"\x00asm\x01\x00\x00\x00junk", "junk.wasm")
        .unwrap_err();
    assert!(
        e.starts_with("not a WebAssembly component bouncedx can load"),
        "{e}"
    );
    let e = host.load_bytes(b"hello", "hello.wasm").unwrap_err();
    assert!(
        e.starts_with("not a WebAssembly component bouncedx can load"),
        "{e}"
    );
}

#[test]
fn sleeping_is_refused_not_waited_out() {
    let host = host();
    let (status, why, took) = run(&host, "sleep", &[]);
    assert_eq!(status, "error");
    assert!(why.contains("may not sleep"), "{why}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn a_flood_of_host_requests_is_cut_off() {
    let host = host();
    let (status, why, took) = run(&host, "flood", &[]);
    assert_eq!(status, "error");
    assert!(
        why.starts_with("denied: more than 512 host requests in one call"),
        "{why}"
    );
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}
