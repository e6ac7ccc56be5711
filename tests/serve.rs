//! `bouncedx serve` for real: the binary on a loopback port, spoken to over
//! TCP with plain HTTP/1.1 (no client library between the test and the
//! server): every endpoint, the limits (an oversized body, a slow client,
//! too many requests at once), and reloading with a good and a bad pack.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("starts");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    err.read_line(&mut line).expect("a first line");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("an address")
        .to_string();
    // keep draining stderr so the server never blocks on it
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = err.read_to_string(&mut sink);
    });
    Server { child, addr }
}

/// One request; the status and the body.
/// Asks `probe` every 100 ms until `done` holds for its answer or `within`
/// has passed, and returns the last answer (the caller asserts on it, so a
/// timeout fails with what was last seen).
fn poll_until<T>(within: Duration, mut probe: impl FnMut() -> T, done: impl Fn(&T) -> bool) -> T {
    let started = std::time::Instant::now();
    loop {
        let answer = probe();
        if done(&answer) || started.elapsed() > within {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn http(addr: &str, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, dechunk(&body))
}

/// Undoes chunked transfer encoding when the body uses it.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return body.to_string();
        };
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_string();
        };
        if n == 0 {
            return out;
        }
        if after.len() < n {
            return body.to_string();
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
}

#[test]
fn every_endpoint() {
    let s = start(&[]);
    let (code, body) = http(&s.addr, "GET", "/healthz", "text/plain", b"");
    assert_eq!((code, body.trim()), (200, "ok"));

    let (code, body) = http(
        &s.addr,
        "POST",
        "/v1/diagnose",
        "text/plain",
        b"550 5.1.1 <bob@example.com>: user unknown",
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["results"][0]["reason"], "userunknown");
    assert_eq!(v["results"][0]["confidence"], 0.9);

    let (code, body) = http(&s.addr, "POST", "/v1/diagnose", "application/json", br#"{"input":"421 4.7.0 [TSS04] Messages from 192.0.2.7 temporarily deferred","form":"reply"}"#);
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["results"][0]["provider"], "yahoo");

    // a bounce e-mail
    let eml = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/scan/email/postfix-dsn-two-recipients.eml"
    ))
    .unwrap();
    let (code, body) = http(&s.addr, "POST", "/v1/diagnose", "message/rfc822", &eml);
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 2);

    // a batch: JSON Lines out, in order, non-rejections skipped
    let log = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/scan/logs/postfix.log"
    ))
    .unwrap();
    let (code, body) = http(&s.addr, "POST", "/v1/scan?input=log", "text/plain", &log);
    assert_eq!(code, 200, "{body}");
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert_eq!(lines[0]["line"], 3);
    assert_eq!(lines[1]["provider"], "microsoft");

    let (code, body) = http(
        &s.addr,
        "POST",
        "/v1/explain",
        "text/plain",
        b"550 5.1.1 user unknown",
    );
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["rule"] == "core/user_unknown" && r["fired"] == true));

    let (code, body) = http(&s.addr, "GET", "/v1/rules", "text/plain", b"");
    assert_eq!(code, 200);
    assert!(body.contains("core/ip_on_blocklist"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["packs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "core" && p["version"] == "0.1.0"),
        "{body}"
    );

    let (code, body) = http(&s.addr, "GET", "/", "text/plain", b"");
    assert_eq!(code, 200);
    assert!(body.contains("<textarea"));

    let (code, body) = http(&s.addr, "GET", "/metrics", "text/plain", b"");
    assert_eq!(code, 200);
    assert!(
        body.contains("bouncedx_requests_total{endpoint=\"diagnose\",status=\"200\"} 3"),
        "{body}"
    );
    assert!(
        body.contains("bouncedx_diagnoses_total{category=\"recipient\",concerns=\"mailbox\",reason=\"userunknown\"}"),
        "{body}"
    );
    assert!(
        body.contains("bouncedx_request_seconds_bucket{endpoint=\"diagnose\",le=\"+Inf\"} 3"),
        "{body}"
    );

    // clear 4xx answers
    let (code, body) = http(
        &s.addr,
        "POST",
        "/v1/diagnose",
        "application/json",
        b"{not json",
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("input"), "{body}");
    let (code, _) = http(&s.addr, "POST", "/v1/diagnose", "text/plain", b"  \n");
    assert_eq!(code, 400);
    let (code, body) = http(&s.addr, "POST", "/v1/scan?input=pdf", "text/plain", b"x");
    assert_eq!(code, 400);
    assert!(body.contains("unknown input form"));
}

#[test]
fn limits() {
    let s = start(&[
        "--max-body",
        "1000",
        "--timeout",
        "1",
        "--max-concurrency",
        "1",
    ]);
    let (code, _) = http(
        &s.addr,
        "POST",
        "/v1/diagnose",
        "text/plain",
        &vec![b'x'; 5000],
    );
    assert_eq!(code, 413);

    // a slow client: says it will send 100 bytes, sends 10, waits
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"POST /v1/diagnose HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n550 5.1.1 ").unwrap();
    // while it holds the only slot, another request is refused at once
    std::thread::sleep(Duration::from_millis(200));
    let (code, body) = http(&s.addr, "GET", "/healthz", "text/plain", b"");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("too many requests at once"), "{body}");
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // and the slot is free again
    let (code, _) = http(&s.addr, "GET", "/healthz", "text/plain", b"");
    assert_eq!(code, 200);
}

#[test]
fn reload_good_and_bad() {
    let dir = std::env::temp_dir().join(format!("bouncedx-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pack = dir.join("site");
    std::fs::create_dir_all(&pack).unwrap();
    let rule = |diag: &str| {
        format!("import core\n\nrule site_code {{\n  category   blacklist\n  confidence certain\n  when       text has \"site-code-77\"\n  diagnosis  \"{diag}\"\n  fix        \"ask the site\"\n  refs       \"https://example.org\"\n  example    \"550 site-code-77\"\n}}\n")
    };
    std::fs::write(pack.join("site.bdx"), rule("first version")).unwrap();
    let s = start(&["--rules", pack.to_str().unwrap()]);
    let ask = || {
        let (_, body) = http(
            &s.addr,
            "POST",
            "/v1/diagnose",
            "text/plain",
            b"550 site-code-77",
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["results"][0]["diagnosis"].as_str().unwrap().to_string()
    };
    assert_eq!(ask(), "first version");

    std::fs::write(pack.join("site.bdx"), rule("second version")).unwrap();
    let (code, body) = http(&s.addr, "POST", "/v1/reload", "text/plain", b"");
    assert_eq!(code, 200, "{body}");
    assert_eq!(ask(), "second version");

    std::fs::write(
        pack.join("site.bdx"),
        "import core\n\nrule broken {\n  category   nope\n}\n",
    )
    .unwrap();
    let (code, body) = http(&s.addr, "POST", "/v1/reload", "text/plain", b"");
    assert_eq!(code, 422, "{body}");
    assert!(
        body.contains("the old rules stay") && body.contains("unknown category"),
        "{body}"
    );
    assert_eq!(ask(), "second version");
    // SIGHUP reloads too
    std::fs::write(pack.join("site.bdx"), rule("third version")).unwrap();
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    // a debug build on a loaded machine can take seconds to compile the
    // packs again: wait up to 30 s
    let seen = poll_until(Duration::from_secs(30), &ask, |seen| {
        seen == "third version"
    });
    assert_eq!(seen, "third version");
    let (_, metrics) = http(&s.addr, "GET", "/metrics", "text/plain", b"");
    assert!(
        metrics.contains("bouncedx_reloads_total{result=\"ok\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("bouncedx_reloads_total{result=\"refused\"} 1"),
        "{metrics}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checks_in_the_service() {
    let zen = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("plugins/host/tests/fixtures/zones/zen.spamhaus.org.zone");
    let s = start(&["--checks", "--zone", zen.to_str().unwrap()]);
    let (code, body) = http(
        &s.addr,
        "POST",
        "/v1/diagnose",
        "text/plain",
        b"550 5.7.1 Message rejected from [192.0.2.7]",
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let d = &v["results"][0];
    assert_eq!(d["rule"], "core/vague_policy_ip_listed", "{d}");
    assert_eq!(d["checks"][0]["check"], "dnsbl.ip");
    assert_eq!(d["checks"][0]["status"], "fail");
}

/// The peak resident memory of a running process, in MiB (`VmHWM`).
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

/// A gzip body of `mib` MiB of log text, about 1 KB per MiB (one member
/// written `mib` times; members concatenated are one gzip stream).
fn gzip_of_log(mib: usize) -> Vec<u8> {
    use std::io::Write as _;
    let line = "Nov 26 10:00:03 mta1 postfix/smtp[4503]: 3F2A1C: to=<bob@example.net>, relay=mx.example.net[192.0.2.10]:25, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n";
    let text = line.repeat((1 << 20) / line.len());
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap().repeat(mib)
}

/// Hardening item 1: a small compressed body that expands (here about a
/// MiB to 400 MiB) is refused once it passes the cap, and the server's memory
/// stays where it was.
#[test]
fn compressed_bodies_are_capped() {
    let s = start(&["--max-expanded", "16"]);
    let _ = http(
        &s.addr,
        "POST",
        "/v1/diagnose",
        "text/plain",
        b"550 5.1.1 user unknown",
    );
    let before = peak_mib(s.child.id());
    let bomb = gzip_of_log(400);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let (code, body) = http(&s.addr, "POST", "/v1/diagnose", "text/plain", &bomb);
    assert_eq!(code, 413, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("decompresses to more than"),
        "{body}"
    );
    // /v1/scan streams, and stops with an error line at --max-expanded
    let (code, body) = http(&s.addr, "POST", "/v1/scan?input=log", "text/plain", &bomb);
    assert_eq!(code, 200);
    assert!(body.contains("decompresses to more than 16 MiB"), "{body}");
    let peak = peak_mib(s.child.id());
    assert!(
        peak < before + 60,
        "the server grew from {before} to {peak} MiB on a body it should have capped"
    );
    // every error body is JSON, 413 from the body limit too
    let s = start(&["--max-body", "1000"]);
    let (code, body) = http(&s.addr, "POST", "/v1/diagnose", "text/plain", &[b'x'; 5000]);
    assert_eq!(code, 413);
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_ok(),
        "{body}"
    );
    let (_, metrics) = http(&s.addr, "GET", "/metrics", "text/plain", b"");
    assert!(metrics.contains("status=\"413\""), "{metrics}");
}

/// Opens a /v1/scan request with `body` and never reads the answer.
fn scan_without_reading(addr: &str, body: &[u8]) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST /v1/scan?input=log HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // The body is written from another thread: a server that stops
    // reading (its answers unread) blocks the writer, and the deadline
    // then breaks the pipe; neither may stop the test.
    let mut writer = s.try_clone().unwrap();
    let body = body.to_vec();
    std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
    });
    s
}

/// Hardening item 2: streams to clients that never read hold their slots
/// (more are refused), never take /v1/diagnose's, and are cut off at the
/// deadline, which frees the slots.
#[test]
fn scan_streams_hold_their_slots_until_the_deadline() {
    let s = start(&[
        "--max-scans",
        "2",
        "--timeout",
        "4",
        "--max-body",
        "134217728",
    ]);
    let line = "Nov 26 10:00:02 mta1 postfix/smtp[4502]: 3F2A1B: to=<ann@example.net>, relay=mx.example.net[192.0.2.10]:25, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 <ann@example.net>: User unknown (in reply to RCPT TO command))\n";
    // Its answer (about 1 KB a line, 96 MB) is far more than the socket
    // buffers hold (4 MB to send, up to 32 MB to receive), so a client that
    // does not read holds its stream open until the deadline; its body (25
    // MB) is small enough to be in well within the 4 s that reading it may
    // take (a body that is not in by then is answered 408, and the stream
    // never holds a slot).
    let log = line.repeat(100_000);
    let opened = std::time::Instant::now();
    let mut held = vec![scan_without_reading(&s.addr, log.as_bytes())];
    std::thread::sleep(Duration::from_millis(300));
    held.push(scan_without_reading(&s.addr, log.as_bytes()));
    // A stream takes its slot once the server has its whole body (25 MB),
    // which a loaded machine running a debug build may take seconds to
    // receive: probe with a one-line scan (it frees its slot at once when
    // it gets one) until both slots are held. The deadline runs from each
    // stream's start, so both are still held when the probe sees them so.
    std::thread::sleep(Duration::from_millis(500));
    let (code, body) = poll_until(
        Duration::from_secs(8),
        || http(&s.addr, "POST", "/v1/scan", "text/plain", line.as_bytes()),
        |(code, _)| *code == 503,
    );
    if code != 503 {
        // say what the streams got: a 408 means a body took too long to send
        let got: Vec<String> = held
            .iter_mut()
            .map(|h| {
                h.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
                let mut buf = vec![0; 300];
                let n = h.read(&mut buf).unwrap_or(0);
                String::from_utf8_lossy(&buf[..n]).into_owned()
            })
            .collect();
        panic!("the probe got {code} ({body}), not 503; the held streams began: {got:#?}");
    }
    let both_held = std::time::Instant::now();
    assert!(body.contains("--max-scans"), "{body}");
    let (code, body) = http(
        &s.addr,
        "POST",
        "/v1/diagnose",
        "text/plain",
        b"550 5.1.1 user unknown",
    );
    assert_eq!(code, 200, "{body}");
    // at the deadline the streams are cut: their connections close and the
    // answers they got are not complete. Read only once the deadline (4 s
    // after each stream's body arrived) has passed: a client that reads
    // earlier lets a fast server finish the whole answer first. Both
    // streams started before `both_held`, so 5 s after it is late enough;
    // never earlier than 7 s after they were opened.
    std::thread::sleep(
        Duration::from_secs(7)
            .saturating_sub(opened.elapsed())
            .max(Duration::from_secs(5).saturating_sub(both_held.elapsed())),
    );
    for mut h in held {
        h.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut got = Vec::new();
        let end = h.read_to_end(&mut got);
        assert!(
            end.is_ok()
                || end
                    .as_ref()
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
            "the connection was not closed: {end:?}"
        );
        assert!(!got.ends_with(b"0\r\n\r\n"), "a cut stream looked complete");
    }
    let (code, body) = http(&s.addr, "POST", "/v1/scan", "text/plain", line.as_bytes());
    assert_eq!(code, 200, "the slots are free again: {body}");
    let (_, metrics) = http(&s.addr, "GET", "/metrics", "text/plain", b"");
    assert!(
        metrics.contains("endpoint=\"scan\",status=\"503\""),
        "{metrics}"
    );
}

/// Hardening item 3: a client that sends its headers a byte at a time is
/// cut off at --header-timeout, and one address cannot hold more than
/// --max-connections-per-ip connections.
#[test]
fn slow_headers_and_too_many_connections_are_cut_off() {
    let s = start(&["--header-timeout", "1", "--max-connections-per-ip", "3"]);
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = std::time::Instant::now();
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut closed = false;
    for b in request {
        if slow.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        match slow.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => {
                closed = true; // an answer (408) before the headers were done
                break;
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        closed,
        "a client sending a byte at a time was never cut off"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(&s.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (code, body) = http(&s.addr, "GET", "/healthz", "text/plain", b"");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("--max-connections-per-ip"), "{body}");
    drop(idle);
    std::thread::sleep(Duration::from_millis(300));
    let (code, _) = http(&s.addr, "GET", "/healthz", "text/plain", b"");
    assert_eq!(code, 200);
}

/// Hardening item 10: listening beyond loopback needs --public and a token;
/// /v1/reload wants the token when there is one; /v1/explain with an empty
/// body is a 400.
#[test]
fn the_service_edges_are_guarded() {
    let refuse = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
            .args(["serve"])
            .args(args)
            .env_remove("BOUNCEDX_TOKEN")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = refuse(&["--listen", "0.0.0.0:0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--public"), "{err}");
    let (code, err) = refuse(&["--listen", "0.0.0.0:0", "--public"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("needs a token"), "{err}");

    let s = start(&["--token", "s3cret"]);
    let (code, body) = http(&s.addr, "POST", "/v1/reload", "text/plain", b"");
    assert_eq!(code, 401, "{body}");
    let reload = |auth: &str| {
        let mut c = TcpStream::connect(&s.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(c, "POST /v1/reload HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        answer
    };
    assert!(reload("Bearer wrong").starts_with("HTTP/1.1 401"));
    let ok = reload("Bearer s3cret");
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.contains("\"reloaded\":true"),
        "{ok}"
    );
    let (code, body) = http(&s.addr, "POST", "/v1/explain", "text/plain", b"");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("empty body"), "{body}");
}
