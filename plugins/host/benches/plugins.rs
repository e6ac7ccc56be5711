//! Plugin benchmark: check calls per second with a fresh instance per call
//! (what bouncedx does) and with one instance reused, and load time cold
//! (compile), from the disk cache (a new process) and from memory.
//!
//! Run with `cargo bench -p bouncedx-plugins`; figures go in
//! book/src/performance.md. The check is `dnsbl.ip` on one zone answered
//! from a zone file, so the figures measure the sandbox, not the network.

use bouncedx_plugins::dns::{Dns, Zones};
use bouncedx_plugins::grants::Grants;
use bouncedx_plugins::runtime::{LoadedFrom, Runtime};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn zones() -> Zones {
    let mut z = Zones::default();
    z.add_text(
        "$ORIGIN zen.spamhaus.org.\n$TTL 60\n@ IN SOA ns. host. 1 2 3 4 5\n2.0.0.127 IN A 127.0.0.2\n7.2.0.192 IN A 127.0.0.4\n",
        None,
        "bench",
    )
    .expect("zone");
    z
}

fn runtime(cache: Option<std::path::PathBuf>) -> Runtime {
    Runtime::new(Arc::new(Dns::new(zones(), Duration::from_secs(1))), cache).expect("runtime")
}

fn main() {
    let (_, dnsbl) = bouncedx_plugins::STANDARD
        .iter()
        .find(|(n, _)| *n == "dnsbl")
        .expect("dnsbl is built");
    let cache = std::env::temp_dir().join(format!("bouncedx-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);

    // load: cold (compile and write the cache), cached on disk (a new
    // runtime, as a new process would be), and in memory
    let rt = runtime(Some(cache.clone()));
    let t = Instant::now();
    let (loaded, from) = rt.load(dnsbl, "dnsbl").expect("loads");
    let cold = t.elapsed();
    assert_eq!(from, LoadedFrom::Compiled);
    let mut disk = Vec::new();
    for _ in 0..20 {
        let rt2 = runtime(Some(cache.clone()));
        let t = Instant::now();
        let (_, from) = rt2.load(dnsbl, "dnsbl").expect("loads");
        disk.push(t.elapsed());
        assert_eq!(from, LoadedFrom::Disk);
    }
    let t = Instant::now();
    let n_mem = 1000;
    for _ in 0..n_mem {
        let (_, from) = rt.load(dnsbl, "dnsbl").expect("loads");
        assert_eq!(from, LoadedFrom::Memory);
    }
    let mem = t.elapsed() / n_mem;
    disk.sort();
    println!("plugin load (dnsbl, {} KiB component):", dnsbl.len() / 1024);
    println!(
        "  cold, compiled:          {:>10.2} ms",
        cold.as_secs_f64() * 1e3
    );
    println!(
        "  cached on disk (median): {:>10.3} ms",
        disk[disk.len() / 2].as_secs_f64() * 1e3
    );
    println!(
        "  cached in memory:        {:>10.3} ms",
        mem.as_secs_f64() * 1e3
    );

    let grants = Arc::new(Grants {
        dns: vec!["zen.spamhaus.org".into()],
        ..Grants::default()
    });
    let params = vec![
        ("ip".to_string(), "192.0.2.7".to_string()),
        ("zones".to_string(), "zen.spamhaus.org".to_string()),
    ];
    let seconds = Duration::from_secs(3);

    let mut calls = 0u64;
    let t = Instant::now();
    while t.elapsed() < seconds {
        let o = rt.call(&loaded, &grants, "ip", &params);
        assert_eq!(o.status, "fail", "{o:?}");
        calls += 1;
    }
    let fresh = calls as f64 / t.elapsed().as_secs_f64();

    let mut session = rt.session(&loaded, &grants).expect("instance");
    let mut calls = 0u64;
    let t = Instant::now();
    while t.elapsed() < seconds {
        let o = session.call("ip", &params);
        assert_eq!(o.status, "fail", "{o:?}");
        calls += 1;
    }
    let reused = calls as f64 / t.elapsed().as_secs_f64();
    println!("check calls (dnsbl.ip, one zone, zone file):");
    println!(
        "  fresh instance per call: {fresh:>10.0} calls/s ({:.1} µs each)",
        1e6 / fresh
    );
    println!(
        "  one instance reused:     {reused:>10.0} calls/s ({:.1} µs each)",
        1e6 / reused
    );
    let _ = std::fs::remove_dir_all(&cache);
}
