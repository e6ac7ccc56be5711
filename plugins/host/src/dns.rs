//! DNS for plugins: zone files offline, a real resolver live.
//!
//! Plugins ask the host for A, AAAA, TXT and PTR answers. Offline (tests,
//! air-gapped sites, `--zone FILE`), the answers come from RFC 1035 zone
//! files read with hickory's zone parser, and a name no zone file covers is
//! an error rather than a silent "not listed". Live, they come from
//! hickory's resolver with the system's configuration, a timeout per query
//! and a cache, so one scan asks each blocklist about each IP once.
//!
//! Answers are strings: dotted or colon addresses, a TXT record's strings
//! joined, a PTR's name without the final dot. A name that does not exist
//! is an empty answer, not an error.

use hickory_proto::rr::{RData, RecordType as HRecordType};
use hickory_proto::serialize::txt::Parser;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// The record types plugins may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rtype {
    A,
    Aaaa,
    Txt,
    Ptr,
}

impl Rtype {
    fn hickory(self) -> HRecordType {
        match self {
            Rtype::A => HRecordType::A,
            Rtype::Aaaa => HRecordType::AAAA,
            Rtype::Txt => HRecordType::TXT,
            Rtype::Ptr => HRecordType::PTR,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Rtype::A => "A",
            Rtype::Aaaa => "AAAA",
            Rtype::Txt => "TXT",
            Rtype::Ptr => "PTR",
        }
    }
}

fn rdata_text(data: &RData) -> Option<String> {
    match data {
        RData::A(a) => Some(a.0.to_string()),
        RData::AAAA(a) => Some(a.0.to_string()),
        RData::TXT(t) => Some(
            t.txt_data
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect::<String>(),
        ),
        RData::PTR(p) => Some(p.0.to_string().trim_end_matches('.').to_string()),
        _ => None,
    }
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Puts each parenthesised group on one line and drops comments outside
/// quotes. hickory 0.26 reads a `;` inside a quoted string that spans lines
/// in parentheses as a comment, which cuts DKIM and DMARC records written
/// the usual BIND way; the zone means the same on one line.
fn one_line_groups(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut quoted, mut escaped, mut depth, mut comment) = (false, false, 0u32, false);
    for c in text.chars() {
        if comment {
            if c == '\n' {
                comment = false;
                out.push(if depth > 0 { ' ' } else { '\n' });
            }
            continue;
        }
        if quoted {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                out.push(c);
            }
            ';' => comment = true,
            '(' => {
                depth += 1;
                out.push(' ');
            }
            ')' => {
                depth = depth.saturating_sub(1);
                out.push(' ');
            }
            '\n' if depth > 0 => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Answers read from zone files.
#[derive(Debug, Default)]
pub struct Zones {
    origins: Vec<String>,
    records: HashMap<(String, Rtype), Vec<String>>,
}

impl Zones {
    /// Reads one zone file. Its origin is `$ORIGIN` or, without one, the
    /// file name without `.zone`.
    pub fn add_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read zone file {}: {e}", path.display()))?;
        let origin = if text.lines().any(|l| l.trim_start().starts_with("$ORIGIN")) {
            None
        } else {
            let stem = path
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or("")
                .trim_end_matches(".zone");
            Some(
                hickory_proto::rr::Name::from_ascii(format!("{stem}.")).map_err(|e| {
                    format!(
                        "{}: no $ORIGIN and the file name is not a zone name: {e}",
                        path.display()
                    )
                })?,
            )
        };
        self.add_text(&text, origin, &path.display().to_string())
    }

    /// Reads a zone from text.
    pub fn add_text(
        &mut self,
        text: &str,
        origin: Option<hickory_proto::rr::Name>,
        what: &str,
    ) -> Result<(), String> {
        let text = one_line_groups(text);
        let (origin, sets) = Parser::new(text.as_str(), None, origin)
            .parse()
            .map_err(|e| format!("zone file {what}: {e} (help: RFC 1035 master file syntax, with $ORIGIN or a file named ZONE.zone)"))?;
        self.origins.push(key(&origin.to_string()));
        for (k, set) in sets {
            let rtype = match k.record_type {
                HRecordType::A => Rtype::A,
                HRecordType::AAAA => Rtype::Aaaa,
                HRecordType::TXT => Rtype::Txt,
                HRecordType::PTR => Rtype::Ptr,
                _ => continue,
            };
            let name = key(&k.name.to_string());
            let answers = self.records.entry((name, rtype)).or_default();
            for r in set.records_without_rrsigs() {
                if let Some(t) = rdata_text(&r.data) {
                    answers.push(t);
                }
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    fn answer(&self, name: &str, rtype: Rtype) -> Result<Vec<String>, String> {
        let name = key(name);
        let covered = self
            .origins
            .iter()
            .any(|o| name == *o || name.ends_with(&format!(".{o}")));
        if !covered {
            return Err(format!(
                "offline: no zone file covers {name} (zones loaded: {}); add one with --zone",
                self.origins.join(", ")
            ));
        }
        Ok(self
            .records
            .get(&(name, rtype))
            .cloned()
            .unwrap_or_default())
    }
}

/// The answers to one query, or why there are none.
type Answer = Result<Vec<String>, String>;

/// Where answers come from.
pub enum Dns {
    /// Zone files only: nothing leaves the machine.
    Offline(Zones),
    /// The system's resolver, with a timeout and a cache.
    Live(Box<Live>),
}

/// A live resolver and its cache.
pub struct Live {
    runtime: tokio::runtime::Runtime,
    resolver: Option<hickory_resolver::TokioResolver>,
    setup_error: Option<String>,
    timeout: Duration,
    cache: Mutex<HashMap<(String, Rtype), Answer>>,
    /// Whether the resolver gives real answers: asked once, the first time
    /// an answer is negative (see [`CANARY`]).
    truthful: std::sync::OnceLock<Result<(), String>>,
}

/// A name every working resolver answers (a root server, whose address has
/// not changed in decades). A negative answer ("no such name", "no record")
/// is trusted only once the resolver has answered this: a resolver that is
/// offline, blocked, or answers NXDOMAIN to everything would otherwise make
/// every check say "no PTR record" or "not listed" about any IP.
pub const CANARY: &str = "a.root-servers.net";

impl Dns {
    /// Zone files when any are given, else the system resolver.
    pub fn new(zones: Zones, timeout: Duration) -> Dns {
        if !zones.is_empty() {
            return Dns::Offline(zones);
        }
        Dns::live(None, timeout)
    }

    /// A live resolver asking one server (`ip:port`) instead of the
    /// system's: a site's own resolver, or a loopback server in tests.
    pub fn live_at(server: std::net::SocketAddr, timeout: Duration) -> Dns {
        Dns::live(Some(server), timeout)
    }

    fn live(server: Option<std::net::SocketAddr>, timeout: Duration) -> Dns {
        use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds");
        let (resolver, setup_error) = {
            let _guard = runtime.enter();
            let builder = match server {
                Some(addr) => {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let ns = NameServerConfig::new(addr.ip(), true, vec![udp]);
                    Ok(hickory_resolver::TokioResolver::builder_with_config(
                        ResolverConfig::from_parts(None, Vec::new(), vec![ns]),
                        hickory_resolver::net::runtime::TokioRuntimeProvider::default(),
                    ))
                }
                None => hickory_resolver::TokioResolver::builder_tokio(),
            };
            match builder {
                Ok(mut b) => {
                    b.options_mut().timeout = timeout;
                    b.options_mut().attempts = 1;
                    match b.build() {
                        Ok(r) => (Some(r), None),
                        Err(e) => (None, Some(format!("DNS resolver: {e}"))),
                    }
                }
                Err(e) => (None, Some(format!("DNS resolver configuration: {e}"))),
            }
        };
        Dns::Live(Box::new(Live {
            runtime,
            resolver,
            setup_error,
            timeout,
            truthful: std::sync::OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
        }))
    }

    /// The answers for a name; empty when it does not exist.
    pub fn query(&self, name: &str, rtype: Rtype) -> Result<Vec<String>, String> {
        match self {
            Dns::Offline(z) => z.answer(name, rtype),
            Dns::Live(live) => live.query(name, rtype),
        }
    }
}

impl Live {
    fn query(&self, name: &str, rtype: Rtype) -> Result<Vec<String>, String> {
        let k = (key(name), rtype);
        if let Some(hit) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&k) {
            return hit.clone();
        }
        let Some(resolver) = &self.resolver else {
            return Err(self.setup_error.clone().unwrap_or_default());
        };
        let fqdn = format!("{}.", k.0);
        let lookup = async {
            match tokio::time::timeout(
                self.timeout,
                resolver.lookup(fqdn.as_str(), rtype.hickory()),
            )
            .await
            {
                Err(_) => Err(format!(
                    "DNS {} {} timed out after {} ms",
                    rtype.name(),
                    k.0,
                    self.timeout.as_millis()
                )),
                Ok(Ok(lookup)) => Ok(lookup
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == rtype.hickory())
                    .filter_map(|r| rdata_text(&r.data))
                    .collect()),
                Ok(Err(e)) if e.is_nx_domain() || e.is_no_records_found() => Ok(Vec::new()),
                Ok(Err(e)) => Err(format!("DNS {} {}: {e}", rtype.name(), k.0)),
            }
        };
        // Called from inside another tokio runtime (the service), blocking
        // that thread on ours would panic: wait on a thread of its own.
        let answer = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| s.spawn(|| self.runtime.block_on(lookup)).join())
                .unwrap_or_else(|_| Err("DNS lookup thread failed".into()))
        } else {
            self.runtime.block_on(lookup)
        };
        // A negative answer counts only from a resolver that answers.
        let answer = match answer {
            Ok(a) if a.is_empty() && k.0 != CANARY => match self.truthful() {
                Ok(()) => Ok(a),
                Err(why) => Err(format!(
                    "no usable answer for {} {}: {why}; a missing record proves nothing",
                    rtype.name(),
                    k.0
                )),
            },
            other => other,
        };
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(k, answer.clone());
        answer
    }

    /// Whether the resolver answers [`CANARY`] (asked once).
    fn truthful(&self) -> Result<(), String> {
        self.truthful
            .get_or_init(|| match self.query(CANARY, Rtype::A) {
                Ok(a) if !a.is_empty() => Ok(()),
                Ok(_) => Err(format!(
                    "the resolver says even {CANARY} does not exist (offline, or it answers no to everything)"
                )),
                Err(e) => Err(format!("the resolver does not answer ({e})")),
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_answers_and_nxdomain_and_outside() {
        let mut z = Zones::default();
        z.add_text(
            "$ORIGIN zen.spamhaus.org.\n$TTL 60\n@ IN SOA ns. host. 1 2 3 4 5\n2.0.0.127 IN A 127.0.0.2\n2.0.0.127 IN TXT \"listed\" \" here\"\n",
            None,
            "test",
        )
        .unwrap();
        let dns = Dns::new(z, Duration::from_secs(1));
        assert_eq!(
            dns.query("2.0.0.127.zen.spamhaus.org", Rtype::A).unwrap(),
            ["127.0.0.2"]
        );
        assert_eq!(
            dns.query("2.0.0.127.ZEN.spamhaus.org.", Rtype::Txt)
                .unwrap(),
            ["listed here"]
        );
        assert!(dns
            .query("3.0.0.127.zen.spamhaus.org", Rtype::A)
            .unwrap()
            .is_empty());
        let e = dns.query("example.com", Rtype::A).unwrap_err();
        assert!(e.contains("no zone file covers example.com"), "{e}");
    }

    #[test]
    fn zone_syntax_error_names_the_file() {
        let mut z = Zones::default();
        let e = z
            .add_text("$ORIGIN x.test.\n@ IN A not-an-address\n", None, "bad.zone")
            .unwrap_err();
        assert!(e.starts_with("zone file bad.zone:"), "{e}");
    }

    #[test]
    fn multi_string_txt_in_parentheses() {
        let mut z = Zones::default();
        z.add_text(
            "$ORIGIN x.test.\n$TTL 60\n@ IN SOA ns. host. 1 2 3 4 5\nk IN TXT ( \"v=DKIM1; p=AB\" ; the key\n  \"CD\" )\n",
            None,
            "t",
        )
        .unwrap();
        let dns = Dns::new(z, Duration::from_secs(1));
        assert_eq!(
            dns.query("k.x.test", Rtype::Txt).unwrap(),
            ["v=DKIM1; p=ABCD"]
        );
    }

    proptest::proptest! {
        /// Whatever a zone file holds, reading it answers or errs; it
        /// never panics (hickory's parser behind our one-line pass).
        #[test]
        fn any_zone_text_is_read_or_refused(text in "[ -~\n\t();\"\\\\]{0,400}") {
            let mut z = Zones::default();
            let _ = z.add_text(&text, None, "fuzz");
            let _ = z.add_text(&format!("$ORIGIN f.test.\n$TTL 1\n{text}"), None, "fuzz");
        }
    }
}
