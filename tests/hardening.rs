//! The holes an attacker found (issue 19), each reproduced through the
//! built binary: a small compressed file that expands without bound, a
//! pack that grants its own plugin anything, an `include` that reads any
//! path, and a regex that passes `check` but cannot be built. (The
//! service's holes are in `tests/serve.rs`.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn bouncedx(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
        .args(args)
        .env_remove("BOUNCEDX_CONFIG")
        // no site config of this machine's user is read
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("bouncedx-hardening-no-config"),
        )
        .env(
            "BOUNCEDX_CACHE_DIR",
            std::env::temp_dir().join("bouncedx-test-plugin-cache"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh folder of this test run.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("bouncedx-hardening-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The peak resident memory of the largest child waited for so far, in MiB
/// (`getrusage(RUSAGE_CHILDREN)`, which Linux reports in KiB).
fn children_peak_mib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: filled by the successful call above.
    unsafe { usage.assume_init() }.ru_maxrss / 1024
}

/// A gzip file under 1 MiB whose text is `mib` MiB of a Postfix log: one
/// member of 1 MiB written `mib` times (`cat a.gz a.gz` is one valid gzip
/// stream), with one rejection per member.
fn gzip_bomb(path: &Path, mib: usize) -> u64 {
    let bounce = "Nov 26 10:00:02 mta1 postfix/smtp[4502]: 3F2A1B: to=<ann@example.net>, relay=mx.example.net[192.0.2.10]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 <ann@example.net>: User unknown (in reply to RCPT TO command))\n";
    let sent = "Nov 26 10:00:03 mta1 postfix/smtp[4503]: 3F2A1C: to=<bob@example.net>, relay=mx.example.net[192.0.2.10]:25, delay=0.2, delays=0.1/0/0.05/0.05, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F8E7D)\n";
    let mut text = String::from(bounce);
    while text.len() + sent.len() <= 1 << 20 {
        text.push_str(sent);
    }
    let lines_per_member = text.lines().count() as u64;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(text.as_bytes()).unwrap();
    let member = e.finish().unwrap();
    let mut f = std::fs::File::create(path).unwrap();
    for _ in 0..mib {
        f.write_all(&member).unwrap();
    }
    assert!(
        std::fs::metadata(path).unwrap().len() < 1 << 20,
        "a small file"
    );
    lines_per_member * mib as u64
}

/// Item 1: a small `.gz` was read whole by one worker, which held every
/// job and result of its text (84 KB of zstd: 24 GB). Now it is streamed:
/// every line counted, memory flat.
#[test]
fn a_small_compressed_file_is_streamed_with_every_line_counted() {
    let dir = scratch("bomb");
    let gz = dir.join("mail.log.1.gz");
    let lines = gzip_bomb(&gz, 160);
    let (code, out, err) = bouncedx(&[
        "scan",
        "--no-progress",
        "--summary",
        "json",
        gz.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("a JSON summary");
    assert_eq!(v["log_lines"], lines, "{out}");
    assert_eq!(v["results"], 160, "{out}");
    // 160 MiB of text went through; holding it (the old way) took more
    // than that.
    let peak = children_peak_mib();
    assert!(peak < 120, "scan peaked at {peak} MiB");
    // and the JSON Lines of a compressed file in a folder come out too
    let (code, out, _) = bouncedx(&["scan", "--no-progress", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 160);
    std::fs::remove_dir_all(&dir).ok();
}

/// A third-party pack whose manifest gives its plugin everything.
fn greedy_pack(dir: &Path) {
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/plugins/wasm32-wasip2/release/bouncedx_plugin_bimi.wasm");
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    std::fs::copy(&built, dir.join("plugins/bimi.wasm")).unwrap();
    std::fs::write(
        dir.join("pack.yaml"),
        "name: greedy\nversion: 0.1.0\nbouncedx: \">=0.1\"\nimports: { core: \">=0.1\" }\nchecks: [bimi.record]\nplugins: [plugins/bimi.wasm]\ngrants:\n  bimi:\n    dns: [\"*\"]\n    data: { secrets: /etc/passwd }\n    http: [\"169.254.169.254\"]\n    http_token_env: HOME\n    memory_mb: 3000\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("greedy.bdx"),
        "import core\n\nrule vague_refusal_brand_check {\n  category   vague_policy\n  confidence low\n  when       status 5.7.1 and text has \"message rejected\"\n  diagnosis  \"A vague refusal; the brand check says whether BIMI is published\"\n  check      bimi.record(domain: sender_domain)\n  refs       \"https://bimigroup.org/\"\n  example    \"550 5.7.1 Message rejected\"\n}\n",
    )
    .unwrap();
}

fn plugin(list: &serde_json::Value, name: &str) -> serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no plugin {name} in {list}"))
}

/// Item 4: a pack's manifest asks; only the site grants.
#[test]
fn a_pack_requests_grants_and_only_the_site_gives_them() {
    let dir = scratch("greedy");
    let pack = dir.join("greedy");
    greedy_pack(&pack);
    let p = pack.to_str().unwrap();

    // check shows the request and what deserves a second look, and passes
    let (code, _, err) = bouncedx(&["check", p]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("pack `greedy` requests for plugin `bimi`"),
        "{err}"
    );
    assert!(
        err.contains("not granted until the site grants it"),
        "{err}"
    );
    for risk in [
        "look up any name",
        "/etc/passwd",
        "169.254.169.254",
        "HOME",
        "3000 MiB",
    ] {
        assert!(err.contains(risk), "{risk} not flagged: {err}");
    }

    // plugin list: requested, not granted; the plugin has nothing
    let (code, out, err) = bouncedx(&["plugin", "list", "--format", "json", "--rules", p]);
    assert_eq!(code, 0, "{err}");
    let bimi = plugin(&serde_json::from_str(&out).unwrap(), "bimi");
    assert_eq!(bimi["grants"]["dns"], serde_json::json!([]), "{bimi}");
    assert_eq!(bimi["grants"]["data"], serde_json::json!([]), "{bimi}");
    assert_eq!(bimi["grants"]["memory_mb"], 64, "{bimi}");
    assert_eq!(bimi["requested"][0]["pack"], "greedy");
    assert_eq!(bimi["requested"][0]["granted"], false);
    let (_, human, _) = bouncedx(&["plugin", "list", "--rules", p]);
    assert!(human.contains("requested by pack `greedy`"), "{human}");
    assert!(human.contains("not granted"), "{human}");

    // the check does not run with the pack's own say-so
    let zone = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("plugins/host/tests/fixtures/zones/example.com.zone");
    let reply = "550 5.7.1 Message rejected for sender bounce@example.com";
    let run = |extra: &[&str]| {
        let mut args = vec![
            "diagnose",
            "--format",
            "json",
            "--checks",
            "--rules",
            p,
            "--zone",
            zone.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.push(reply);
        let (code, out, err) = bouncedx(&args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let ran = |v: &serde_json::Value| {
        v["checks"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["check"] == "bimi.record" && c["status"] != "skipped")
        })
    };
    assert!(!ran(&run(&[])), "the pack granted itself");
    // --grant for one run
    assert!(ran(&run(&["--grant", "greedy"])));

    // plugin grant writes the site config, which then grants it for good
    let config = dir.join("site.yaml");
    let c = config.to_str().unwrap();
    let (code, out, err) = bouncedx(&["plugin", "grant", p, "--config", c]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("look twice"), "{out}");
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.contains("bimi") && written.contains("169.254.169.254"),
        "{written}"
    );
    let (_, out, _) = bouncedx(&[
        "plugin", "list", "--format", "json", "--rules", p, "--config", c,
    ]);
    let bimi = plugin(&serde_json::from_str(&out).unwrap(), "bimi");
    assert_eq!(bimi["grants"]["dns"], serde_json::json!(["*"]), "{bimi}");
    assert_eq!(bimi["requested"][0]["granted"], true, "{bimi}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A pack folder with one rule file that includes `target`.
fn including(name: &str, target: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(
        dir.join("main.bdx"),
        format!("include \"{target}\"\n\ncategory c {{\n  title \"c\"\n  reason blocked\n}}\n"),
    )
    .unwrap();
    dir
}

/// Item 5: `include` stays inside the pack, opens regular `.bdx` files
/// only, and never quotes another file.
#[test]
fn includes_stay_inside_the_pack() {
    for (name, target, says) in [
        ("abs", "/etc/passwd", "an absolute path"),
        (
            "up",
            "../../../../../../etc/passwd.bdx",
            "leaves the pack's folder",
        ),
        ("ext", "notes.txt", "not a `.bdx` file"),
        ("zero", "/dev/zero", "an absolute path"),
    ] {
        let dir = including(name, target);
        std::fs::write(dir.join("notes.txt"), "root:x:0:0:secret\n").unwrap();
        let (code, out, err) = bouncedx(&["check", dir.to_str().unwrap()]);
        let all = out + &err;
        assert_eq!(code, 1, "{name}: {all}");
        assert!(all.contains("E0121") && all.contains(says), "{name}: {all}");
        assert!(!all.contains("root:"), "{name} quoted a file: {all}");
        std::fs::remove_dir_all(&dir).ok();
    }
    // a FIFO and a symbolic link with a .bdx name, inside the pack: not
    // opened (a FIFO would hang), not followed
    let dir = including("fifo", "sub/pipe.bdx");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let fifo = dir.join("sub/pipe.bdx");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success());
    if made.unwrap_or(false) {
        let (code, out, err) = bouncedx(&["check", dir.to_str().unwrap()]);
        assert_eq!(code, 1);
        assert!((out + &err).contains("not a regular file"));
    } else {
        eprintln!("skipped the FIFO case: mkfifo is not available");
    }
    std::fs::remove_file(&fifo).ok();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("sub/link.bdx")).unwrap();
    std::fs::write(dir.join("main.bdx"), "include \"sub/link.bdx\"\n").unwrap();
    let (code, out, err) = bouncedx(&["check", dir.to_str().unwrap()]);
    let all = out + &err;
    assert_eq!(code, 1, "{all}");
    assert!(
        all.contains("symbolic link") && !all.contains("root:"),
        "{all}"
    );
    // nor is a link among the pack's own files read
    std::fs::write(dir.join("main.bdx"), "").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("top.bdx")).unwrap();
    let (code, out, err) = bouncedx(&["check", dir.to_str().unwrap()]);
    let all = out + &err;
    assert_ne!(code, 0, "{all}");
    assert!(
        all.contains("symbolic link") && !all.contains("root:"),
        "{all}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Item 6: a regex that is valid syntax but too big to build is an error
/// of `check` (with its span), and never a panic at run time.
#[test]
fn a_regex_too_big_to_build_is_an_error_not_a_panic() {
    let dir = scratch("regex");
    std::fs::write(
        dir.join("big.bdx"),
        "import core\n\nrule huge {\n  category   vague_policy\n  confidence low\n  when       text matches /((((a{100}){100}){100}){100})/\n  diagnosis  \"x\"\n  refs       \"https://example.org/\"\n  example    \"550 aaaa\"\n}\n",
    )
    .unwrap();
    let p = dir.to_str().unwrap();
    let (code, out, err) = bouncedx(&["check", p]);
    let all = out + &err;
    assert_eq!(code, 1, "{all}");
    assert!(
        all.contains("E0209") && all.contains("MiB the engine allows"),
        "{all}"
    );
    assert!(
        all.contains("big.bdx:6:"),
        "the error points at the regex: {all}"
    );
    let (code, out, err) = bouncedx(&["diagnose", "--rules", p, "550 5.7.1 aaaaaaaaaa"]);
    assert_ne!(code, 101, "panicked: {out}{err}");
    assert!((out + &err).contains("E0209"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Item 7: results, counted skips and error lines account for every input:
/// events that name no recipient, and special files in a scanned folder.
#[test]
fn nothing_scanned_is_dropped_without_a_word() {
    let dir = scratch("dropped");
    std::fs::write(
        dir.join("events.jsonl"),
        "[]\n{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bouncedRecipients\":[]}}\n{\"notificationType\":\"Bounce\"}\n",
    )
    .unwrap();
    let made = Command::new("mkfifo")
        .arg(dir.join("pipe.log"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let (code, out, err) = bouncedx(&["scan", "--no-progress", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let errors: Vec<String> = lines
        .iter()
        .filter_map(|l| {
            Some(format!(
                "{}: {}",
                l["source"].as_str()?,
                l["error"].as_str()?
            ))
        })
        .collect();
    for n in 1..=3 {
        assert!(
            errors
                .iter()
                .any(|e| e.contains(&format!("events.jsonl:{n}: the event names no recipient"))),
            "line {n}: {errors:?}"
        );
    }
    if made {
        assert!(
            errors.iter().any(|e| e.contains("pipe.log: a FIFO")),
            "{errors:?}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
