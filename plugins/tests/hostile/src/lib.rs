//! A plugin that misbehaves on purpose. Each check tries one thing a
//! plugin must not be able to do, or does not stop; the sandbox tests
//! (`plugins/host/tests/sandbox.rs`) assert that each ends as an `error`
//! result with a clear reason, within the budget, and that the next call
//! still works. `ok` is the well-behaved check for that next call.

use bouncedx_plugin_sdk::{host, CheckInfo, CheckResult, Params, Plugin, PluginInfo};

pub struct Hostile;

impl Plugin for Hostile {
    fn info() -> PluginInfo {
        let mut info = PluginInfo::new("hostile", "0.1.0", "Misbehaves on purpose");
        for (name, what) in [
            ("ok", "behaves"),
            ("loop", "never returns"),
            ("alloc", "allocates without end"),
            ("trap", "panics"),
            ("file", "reads /etc/passwd"),
            ("env", "reads the environment and arguments"),
            ("socket", "opens a TCP connection"),
            ("dns", "asks for a name outside its grant"),
            ("huge", "returns a 16 MiB summary"),
            ("facts", "returns a million facts"),
            ("sleep", "sleeps for an hour"),
            ("flood", "asks the host 10,000 DNS questions"),
        ] {
            info = info.check(CheckInfo::new(name, what).optional("target", "host:port or path"));
        }
        info
    }

    fn run(check: &str, params: &Params) -> Result<CheckResult, String> {
        match check {
            "ok" => Ok(CheckResult::pass("fine")),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![7u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => panic!("hostile plugin panics on purpose"),
            "file" => {
                let path = params.get("target").unwrap_or("/etc/passwd");
                match std::fs::read(path) {
                    Ok(bytes) => Ok(CheckResult::pass(format!(
                        "read {} bytes of {path}",
                        bytes.len()
                    ))),
                    Err(e) => Err(format!("could not read {path}: {e}")),
                }
            }
            "env" => {
                let vars = std::env::vars().count();
                let args = std::env::args().count();
                if vars == 0 && args == 0 {
                    Err("the environment is empty: no variables, no arguments".into())
                } else {
                    Ok(CheckResult::pass(format!(
                        "saw {vars} variables, {args} arguments"
                    )))
                }
            }
            "socket" => {
                let target = params.get("target").unwrap_or("127.0.0.1:25");
                match std::net::TcpStream::connect(target) {
                    Ok(_) => Ok(CheckResult::pass(format!("connected to {target}"))),
                    Err(e) => Err(format!("could not connect to {target}: {e}")),
                }
            }
            "dns" => {
                let answers = host::dns("www.example.com", host::RecordType::A)?;
                Ok(CheckResult::pass(format!("got {answers:?}")))
            }
            "huge" => Ok(CheckResult::pass("x".repeat(16 << 20))),
            "facts" => {
                let mut r = CheckResult::pass("many facts");
                for i in 0..1_000_000 {
                    r = r.fact(format!("f{i}"), i);
                }
                Ok(r)
            }
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                Ok(CheckResult::pass("slept"))
            }
            "flood" => {
                for i in 0..10_000 {
                    let _ = host::dns(&format!("n{i}.allowed.test"), host::RecordType::A);
                }
                Ok(CheckResult::pass("asked 10,000 questions"))
            }
            other => Err(format!("unknown check `{other}`")),
        }
    }
}

bouncedx_plugin_sdk::plugin!(Hostile);
