//! The live resolver (hickory) against real DNS servers on loopback: one
//! that answers from a table (and counts the questions), one that never
//! answers. Through the host and the standard `dnsbl` plugin.

use bouncedx_plugins::dns::{Dns, Rtype};
use bouncedx_plugins::grants::Grants;
use bouncedx_plugins::runtime::Runtime;
use bouncedx_plugins::PluginHost;
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{rdata::A, Name, RData, Record, RecordType};
use std::net::UdpSocket;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A DNS server on loopback answering A questions from `table` (and the
/// resolver canary, `a.root-servers.net`); NXDOMAIN for anything else.
/// Returns its address and a question counter.
fn server(
    table: &'static [(&'static str, &'static str)],
) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    serve(table, true)
}

/// A DNS server on loopback that answers NXDOMAIN to every question, the
/// canary included (a resolver that is offline or blocked, as seen here).
fn liar() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    serve(&[], false)
}

/// [`server`], answering the canary or not.
fn serve(
    table: &'static [(&'static str, &'static str)],
    canary: bool,
) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let canary: &'static [(&'static str, &'static str)] = if canary {
        &[("a.root-servers.net", "198.41.0.4")]
    } else {
        &[]
    };
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                return;
            };
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let mut r = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
            r.metadata.recursion_desired = q.metadata.recursion_desired;
            r.metadata.recursion_available = true;
            r.queries = q.queries.clone();
            let query = &q.queries[0];
            let name = query.name().to_string();
            // every server answers the resolver canary, as a real one does
            let hit = table
                .iter()
                .chain(canary)
                .find(|(n, _)| format!("{n}.") == name.to_ascii_lowercase());
            match (hit, query.query_type()) {
                (Some((_, a)), RecordType::A) => {
                    r.answers.push(Record::from_rdata(
                        Name::from_ascii(&name).unwrap(),
                        60,
                        RData::A(A(a.parse().unwrap())),
                    ));
                }
                (Some(_), _) => {}
                (None, _) => r.metadata.response_code = ResponseCode::NXDomain,
            }
            let _ = sock.send_to(&r.to_vec().unwrap(), peer);
        }
    });
    (addr, asked)
}

fn host(dns: Dns) -> PluginHost {
    let rt = Runtime::new(
        Arc::new(dns),
        Some(std::env::temp_dir().join("bouncedx-test-plugin-cache")),
    )
    .unwrap();
    let mut host = PluginHost::new(rt);
    host.load_standard().unwrap();
    host.grant(
        "dnsbl",
        &Grants {
            dns: vec!["bl.test".into()],
            ..Grants::default()
        },
    );
    host
}

fn params(ip: &str) -> Vec<(String, String)> {
    vec![("ip".into(), ip.into()), ("zones".into(), "bl.test".into())]
}

#[test]
fn answers_nxdomain_and_the_cache() {
    let (addr, asked) = server(&[
        ("7.2.0.192.bl.test", "127.0.0.2"),
        ("2.0.0.127.bl.test", "127.0.0.2"),
    ]);
    let dns = Dns::live_at(addr, Duration::from_millis(1500));
    assert_eq!(
        dns.query("7.2.0.192.bl.test", Rtype::A).unwrap(),
        ["127.0.0.2"]
    );
    assert!(
        dns.query("8.2.0.192.bl.test", Rtype::A).unwrap().is_empty(),
        "NXDOMAIN is an empty answer"
    );
    let before = asked.load(Ordering::SeqCst);
    assert_eq!(
        dns.query("7.2.0.192.BL.test.", Rtype::A).unwrap(),
        ["127.0.0.2"]
    );
    assert_eq!(
        asked.load(Ordering::SeqCst),
        before,
        "the second question is answered from the cache"
    );

    let host = host(dns);
    let listed = host.call("dnsbl", "ip", &params("192.0.2.7"));
    assert_eq!(listed.status, "fail", "{listed:?}");
    let clean = host.call("dnsbl", "ip", &params("192.0.2.8"));
    assert_eq!(clean.status, "pass", "{clean:?}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let dns = Dns::live_at(silent.local_addr().unwrap(), Duration::from_millis(300));
    let t = Instant::now();
    let e = dns.query("7.2.0.192.bl.test", Rtype::A).unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t.elapsed()
    );
    assert!(e.contains("7.2.0.192.bl.test"), "{e}");
    // through the plugin: the list did not answer, so not "not listed"
    let host = host(Dns::live_at(
        silent.local_addr().unwrap(),
        Duration::from_millis(300),
    ));
    let o = host.call("dnsbl", "ip", &params("192.0.2.7"));
    assert_eq!(o.status, "unknown", "{o:?}");
    assert!(
        o.summary.contains("no usable answer from bl.test"),
        "{}",
        o.summary
    );
    drop(silent);
}

/// A resolver that says "no such name" to everything (offline, or blocked)
/// makes no verdict: a PTR check and a blocklist check are `unknown`, not
/// "no reverse DNS" and "not listed" (hardening item 9).
#[test]
fn a_resolver_that_says_no_to_everything_gives_no_verdict() {
    let (addr, _) = liar();
    let dns = Dns::live_at(addr, Duration::from_millis(1500));
    let e = dns.query("8.8.8.8.in-addr.arpa", Rtype::Ptr).unwrap_err();
    assert!(e.contains("a missing record proves nothing"), "{e}");
    let mut host = host(Dns::live_at(addr, Duration::from_millis(1500)));
    host.grant(
        "auth",
        &Grants {
            dns: vec!["*".into()],
            ..Grants::default()
        },
    );
    let ptr = host.call("auth", "ptr", &[("ip".into(), "8.8.8.8".into())]);
    assert_eq!(ptr.status, "unknown", "{ptr:?}");
    let test_point = host.call("dnsbl", "ip", &params("127.0.0.2"));
    assert_eq!(test_point.status, "unknown", "{test_point:?}");
    let ip = host.call("dnsbl", "ip", &params("192.0.2.9"));
    assert_eq!(ip.status, "unknown", "{ip:?}");
}
