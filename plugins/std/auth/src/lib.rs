//! # The `auth` plugin: SPF, DMARC, DKIM and reverse DNS of a sender
//!
//! Receivers reject mail whose authentication fails (Gmail's 5.7.26,
//! Microsoft's 5.7.515, Yahoo's "not authenticated"). This plugin reads
//! the sender's published records the way a receiver would:
//!
//! - `spf` (`domain=`, optional `ip=`): the `v=spf1` record (one, valid),
//!   its `all` (`-all` fail, `~all` softfail, `?all`/`+all` too weak), the
//!   10 DNS-lookup limit of RFC 7208 §4.6.4 counted through includes and
//!   redirects, and with `ip=` whether that IP is authorised (`ip4`, `ip6`,
//!   `a`, `include`, `redirect`; `mx`, `ptr` and `exists` need lookups the
//!   host does not offer and are reported as not evaluated);
//! - `dmarc` (`domain=`): `_dmarc.DOMAIN` (or the organisational domain's),
//!   its policy, subdomain policy, alignment modes, `pct` and reporting;
//! - `dkim` (`domain=`, `selector=`): `SELECTOR._domainkey.DOMAIN` has a
//!   key, not revoked, of a reasonable size;
//! - `ptr` (`ip=`): the IP has a PTR, and the name resolves back to the IP
//!   (forward-confirmed reverse DNS), and does not look like a dynamic pool.
//!
//! Needs a DNS grant of `*`: the names come from the input.

use bouncedx_plugin_sdk::{host, CheckInfo, CheckResult, Params, Plugin, PluginInfo};
use std::net::IpAddr;

mod spf;

pub struct Auth;

impl Plugin for Auth {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "auth",
            env!("CARGO_PKG_VERSION"),
            "Reads a sender's SPF, DMARC and DKIM records and the sending IP's reverse DNS the way receivers do",
        )
        .check(
            CheckInfo::new("spf", "Is there one valid SPF record, within 10 lookups, ending in -all or ~all; with ip=, is that IP authorised?")
                .required("domain", "the envelope sender's domain")
                .optional("ip", "the sending IP to evaluate"),
        )
        .check(
            CheckInfo::new("dmarc", "Is there a DMARC record, and what does it ask receivers to do?")
                .required("domain", "the From domain"),
        )
        .check(
            CheckInfo::new("dkim", "Is a DKIM key published for the selector, and usable?")
                .required("domain", "the signing domain (d=)")
                .required("selector", "the selector (s=)"),
        )
        .check(
            CheckInfo::new("ptr", "Does the IP have a PTR whose name resolves back to it?")
                .required("ip", "the sending IP"),
        )
    }

    fn run(check: &str, params: &Params) -> Result<CheckResult, String> {
        match check {
            "spf" => {
                let domain = domain(params.required("domain")?)?;
                let ip = match params.get("ip") {
                    Some(s) => Some(
                        s.trim()
                            .parse::<IpAddr>()
                            .map_err(|_| format!("`{s}` is not an IP address"))?,
                    ),
                    None => None,
                };
                no_answer_is_unknown(spf::check(&domain, ip))
            }
            "dmarc" => no_answer_is_unknown(dmarc(&domain(params.required("domain")?)?)),
            "dkim" => {
                let d = domain(params.required("domain")?)?;
                let s = params.required("selector")?.trim().to_ascii_lowercase();
                if s.is_empty()
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
                {
                    return Err(format!("`{s}` is not a DKIM selector"));
                }
                no_answer_is_unknown(dkim(&d, &s))
            }
            "ptr" => {
                let raw = params.required("ip")?;
                let ip: IpAddr = raw
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{raw}` is not an IP address"))?;
                ptr(ip)
            }
            other => Err(format!(
                "unknown check `{other}` (auth has spf, dmarc, dkim and ptr)"
            )),
        }
    }
}

/// A check that failed because DNS gave no usable answer (the resolver is
/// offline, timed out, or refused) has no verdict: `unknown`, saying why,
/// rather than `error`, which is for a check that broke.
fn no_answer_is_unknown(r: Result<CheckResult, String>) -> Result<CheckResult, String> {
    match r {
        Err(e) if e.contains("DNS") || e.contains("no usable answer") || e.contains("resolver") => {
            Ok(CheckResult::unknown(format!("no answer from DNS: {e}")))
        }
        other => other,
    }
}

/// A lower-case domain name, or an error that quotes the input.
pub fn domain(raw: &str) -> Result<String, String> {
    let d = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let d = d.rsplit('@').next().unwrap_or("").to_string();
    if d.len() > 253
        || !d.contains('.')
        || !d
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return Err(format!("`{raw}` is not a domain name"));
    }
    Ok(d)
}

/// When a record is missing: does the domain answer at all? A domain with
/// no TXT, A or AAAA record does not exist, or the resolver gets no
/// answers (offline, blocked); then "no record" would be a guess.
pub fn silent_domain(domain: &str) -> Option<CheckResult> {
    for t in [
        host::RecordType::Txt,
        host::RecordType::A,
        host::RecordType::Aaaa,
    ] {
        match host::dns(domain, t) {
            Ok(a) if !a.is_empty() => return None,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    Some(CheckResult::unknown(format!(
        "{domain} has no TXT, A or AAAA record at all: the domain does not exist, or the resolver gets no answers, so a missing record proves nothing"
    )))
}

/// A tag=value record (DMARC, DKIM) as pairs, names lower-cased.
pub fn tags(record: &str) -> Vec<(String, String)> {
    record
        .split(';')
        .filter_map(|t| {
            let (k, v) = t.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect()
}

fn tag<'a>(tags: &'a [(String, String)], name: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The organisational domain (RFC 7489, 3.2): the public suffix of the
/// domain, from Mozilla's Public Suffix List (the `psl2` crate: the list as
/// a compact trie of bytes, so the plugin stays small and compiles fast in
/// the sandbox), plus one label: `example.co.uk` for `mail.example.co.uk`,
/// `shop.ltd.uk` for `bounce.shop.ltd.uk`, and under a private suffix such
/// as `github.io` the name one label below it. A name that is itself a
/// public suffix, or not a plain ASCII host name, is its own.
fn organisational(domain: &str) -> String {
    let lower = domain.trim_end_matches('.').to_ascii_lowercase();
    psl2::lookup(&lower)
        .and_then(|d| d.registrable_domain())
        .unwrap_or(&lower)
        .to_string()
}

fn dmarc(domain: &str) -> Result<CheckResult, String> {
    let mut at = domain.to_string();
    let mut records = dmarc_records(&at)?;
    if records.is_empty() {
        let org = organisational(domain);
        if org != domain {
            records = dmarc_records(&org)?;
            at = org;
        }
    }
    let record = match records.as_slice() {
        [] => {
            if let Some(r) = silent_domain(domain) {
                return Ok(r);
            }
            return Ok(CheckResult::fail(format!(
                "{domain} publishes no DMARC record (_dmarc.{domain} has no v=DMARC1 TXT); Gmail and Yahoo require one of bulk senders"
            ))
            .fact("record", ""));
        }
        [one] => one.clone(),
        _ => {
            return Ok(CheckResult::fail(format!(
                "_dmarc.{at} has {} DMARC records; receivers ignore them all (RFC 7489 §6.6.3)",
                records.len()
            )));
        }
    };
    let t = tags(&record);
    let p = tag(&t, "p").map(|s| s.to_ascii_lowercase());
    let mut r = match p.as_deref() {
        Some("reject") | Some("quarantine") => CheckResult::pass(format!(
            "{at} publishes DMARC p={}",
            p.as_deref().unwrap_or_default()
        )),
        Some("none") => CheckResult::warn(format!(
            "{at} publishes DMARC p=none: monitoring only, receivers are asked to take no action"
        )),
        Some(other) => CheckResult::fail(format!(
            "{at}'s DMARC record has an invalid policy p={other}"
        )),
        None => CheckResult::fail(format!(
            "{at}'s DMARC record has no p= tag, so it is invalid"
        )),
    };
    if at != domain {
        r.summary.push_str(&format!(
            " (found at the organisational domain; {domain} inherits sp=)"
        ));
    }
    if tag(&t, "rua").is_none() {
        r.summary.push_str("; no aggregate reports (rua=)");
    }
    r = r
        .fact("record", &record)
        .fact("found_at", &at)
        .fact("policy", p.unwrap_or_default())
        .fact("subdomain_policy", tag(&t, "sp").unwrap_or(""))
        .fact("adkim", tag(&t, "adkim").unwrap_or("r"))
        .fact("aspf", tag(&t, "aspf").unwrap_or("r"))
        .fact("pct", tag(&t, "pct").unwrap_or("100"))
        .fact("rua", tag(&t, "rua").unwrap_or(""));
    Ok(r)
}

fn dmarc_records(domain: &str) -> Result<Vec<String>, String> {
    Ok(
        host::dns(&format!("_dmarc.{domain}"), host::RecordType::Txt)?
            .into_iter()
            .filter(|t| t.trim_start().to_ascii_lowercase().starts_with("v=dmarc1"))
            .collect(),
    )
}

fn dkim(domain: &str, selector: &str) -> Result<CheckResult, String> {
    let name = format!("{selector}._domainkey.{domain}");
    let records = host::dns(&name, host::RecordType::Txt)?;
    let Some(record) = records
        .iter()
        .find(|r| r.contains("p=") || r.to_ascii_lowercase().contains("v=dkim1"))
    else {
        return Ok(CheckResult::fail(format!(
            "no DKIM key at {name}: signatures with s={selector} d={domain} cannot verify"
        ))
        .fact("record", ""));
    };
    let t = tags(record);
    let key: String = tag(&t, "p")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let kind = tag(&t, "k").unwrap_or("rsa").to_ascii_lowercase();
    if key.is_empty() {
        return Ok(
            CheckResult::fail(format!("the DKIM key at {name} is revoked (empty p=)"))
                .fact("record", record),
        );
    }
    // base64 of a DER SubjectPublicKeyInfo: 216 characters (162 bytes) for RSA-1024, 392 (294 bytes) for RSA-2048
    let bits = if kind == "rsa" {
        let der = key.len() * 3 / 4;
        Some(match der {
            0..=100 => 512,
            101..=140 => 768,
            141..=190 => 1024,
            191..=260 => 1536,
            261..=360 => 2048,
            361..=480 => 3072,
            _ => 4096,
        })
    } else {
        None
    };
    let mut r = match bits {
        Some(b) if b < 1024 => CheckResult::fail(format!(
            "the DKIM key at {name} is RSA-{b}: too short, receivers ignore it"
        )),
        Some(1024) => CheckResult::warn(format!(
            "the DKIM key at {name} is RSA-1024: it works, but use 2048 bits"
        )),
        Some(b) => CheckResult::pass(format!("{name} publishes an RSA-{b} DKIM key")),
        None => CheckResult::pass(format!("{name} publishes a {kind} DKIM key")),
    };
    r = r.fact("record", record).fact("key_type", &kind);
    if let Some(b) = bits {
        r = r.fact("key_bits", b);
    }
    if tag(&t, "t").is_some_and(|f| f.split(':').any(|x| x.trim() == "y")) {
        r.summary
            .push_str(" (t=y: the domain says it is testing DKIM)");
    }
    Ok(r)
}

/// The reverse-DNS name of an IP.
pub fn arpa(ip: IpAddr) -> String {
    let suffix = if ip.is_ipv4() {
        "in-addr.arpa"
    } else {
        "ip6.arpa"
    };
    format!("{}.{suffix}", host::reversed(ip))
}

fn looks_dynamic(name: &str, ip: IpAddr) -> bool {
    let n = name.to_ascii_lowercase();
    let words = [
        "dynamic",
        "dyn.",
        "dhcp",
        "pool",
        "dsl",
        "cable",
        "dial",
        "ppp",
        "client",
        "customer",
        "broadband",
    ];
    if words.iter().any(|w| n.contains(w)) {
        return true;
    }
    if let IpAddr::V4(v4) = ip {
        let o = v4.octets();
        let dashed = format!("{}-{}-{}-{}", o[0], o[1], o[2], o[3]);
        let dashed_rev = format!("{}-{}-{}-{}", o[3], o[2], o[1], o[0]);
        return n.contains(&dashed) || n.contains(&dashed_rev);
    }
    false
}

fn ptr(ip: IpAddr) -> Result<CheckResult, String> {
    // No answer is no verdict: an IP is not without reverse DNS because
    // the resolver could not be asked.
    let names = match host::dns(&arpa(ip), host::RecordType::Ptr) {
        Ok(n) => n,
        Err(e) => {
            return Ok(CheckResult::unknown(format!(
                "the PTR of {ip} could not be looked up: {e}"
            )))
        }
    };
    let Some(name) = names.first() else {
        return Ok(CheckResult::fail(format!(
            "{ip} has no PTR record: Gmail, Microsoft and most receivers reject or defer mail from IPs without reverse DNS"
        ))
        .fact("ptr", ""));
    };
    let rtype = if ip.is_ipv4() {
        host::RecordType::A
    } else {
        host::RecordType::Aaaa
    };
    let forward = match host::dns(name, rtype) {
        Ok(f) => f,
        Err(e) => {
            return Ok(CheckResult::unknown(format!(
                "{ip} has PTR {name}, whose address could not be looked up: {e}"
            ))
            .fact("ptr", name))
        }
    };
    let confirmed = forward
        .iter()
        .any(|a| a.parse::<IpAddr>().is_ok_and(|f| f == ip));
    let r = if !confirmed {
        CheckResult::fail(format!(
            "{ip} has PTR {name}, but {name} does not resolve back to {ip} (forward-confirmed reverse DNS fails)"
        ))
    } else if looks_dynamic(name, ip) {
        CheckResult::warn(format!(
            "{ip} has PTR {name}, which resolves back, but looks like a dynamic or end-user address; use a name of your mail domain"
        ))
    } else {
        CheckResult::pass(format!("{ip} has PTR {name}, which resolves back to it"))
    };
    Ok(r.fact("ptr", name).fact("forward", forward.join(",")))
}

bouncedx_plugin_sdk::plugin!(Auth);

#[cfg(test)]
mod tests {
    use super::*;
    use bouncedx_plugin_sdk::testing::Stand;
    use bouncedx_plugin_sdk::Status;
    use host::RecordType::{Ptr, Txt, A};

    fn run(check: &str, p: &[(&str, &str)]) -> CheckResult {
        Auth::run(check, &Params::new(p)).unwrap()
    }

    /// The Public Suffix List, not a guess from label lengths: the last
    /// two labels were wrong for `.com.au`-style and private suffixes and
    /// for three-letter second levels such as `ltd.uk`.
    #[test]
    fn organisational_domains_follow_the_public_suffix_list() {
        for (name, org) in [
            ("mail.example.co.uk", "example.co.uk"),
            ("news.example.com.au", "example.com.au"),
            ("bounce.shop.ltd.uk", "shop.ltd.uk"),
            ("a.b.example.com", "example.com"),
            ("Mail.Example.ORG.", "example.org"),
            ("project.github.io", "project.github.io"),
            ("docs.project.github.io", "project.github.io"),
            ("example.com", "example.com"),
            ("co.uk", "co.uk"),
            ("mx.parent.example", "parent.example"),
        ] {
            assert_eq!(organisational(name), org, "{name}");
        }
    }

    #[test]
    fn dmarc_policies() {
        Stand::new()
            .dns(
                "_dmarc.strict.example",
                Txt,
                &["v=DMARC1; p=reject; rua=mailto:d@strict.example; adkim=s"],
            )
            .dns("_dmarc.lax.example", Txt, &["v=DMARC1; p=none"])
            .dns(
                "_dmarc.parent.example",
                Txt,
                &["v=DMARC1; p=quarantine; sp=reject; rua=mailto:x@parent.example"],
            )
            .install();
        let r = run("dmarc", &[("domain", "strict.example")]);
        assert_eq!(
            (r.status, r.get("policy"), r.get("adkim")),
            (Status::Pass, Some("reject"), Some("s"))
        );
        let r = run("dmarc", &[("domain", "lax.example")]);
        assert_eq!(r.status, Status::Warn);
        assert!(
            r.summary.contains("monitoring only") && r.summary.contains("no aggregate reports"),
            "{}",
            r.summary
        );
        let r = run("dmarc", &[("domain", "mail.parent.example")]);
        assert_eq!(
            (r.status, r.get("found_at"), r.get("subdomain_policy")),
            (Status::Pass, Some("parent.example"), Some("reject"))
        );
        let r = run("dmarc", &[("domain", "none.example")]);
        assert_eq!(r.status, Status::Unknown, "a domain that answers nothing");
    }

    #[test]
    fn dkim_keys() {
        let key2048 = "A".repeat(392);
        let key1024 = "A".repeat(216);
        Stand::new()
            .dns(
                "s1._domainkey.example.com",
                Txt,
                &[&format!("v=DKIM1; k=rsa; p={key2048}")],
            )
            .dns(
                "old._domainkey.example.com",
                Txt,
                &[&format!("v=DKIM1; p={key1024}")],
            )
            .dns("gone._domainkey.example.com", Txt, &["v=DKIM1; p="])
            .install();
        assert_eq!(
            run("dkim", &[("domain", "example.com"), ("selector", "s1")]).status,
            Status::Pass
        );
        assert_eq!(
            run("dkim", &[("domain", "example.com"), ("selector", "old")]).status,
            Status::Warn
        );
        let r = run("dkim", &[("domain", "example.com"), ("selector", "gone")]);
        assert!(r.summary.contains("revoked"), "{}", r.summary);
        assert_eq!(
            run("dkim", &[("domain", "example.com"), ("selector", "none")]).status,
            Status::Fail
        );
    }

    #[test]
    fn ptr_forward_confirmed() {
        Stand::new()
            .dns("7.2.0.192.in-addr.arpa", Ptr, &["mail.example.com"])
            .dns("mail.example.com", A, &["192.0.2.7"])
            .dns("8.2.0.192.in-addr.arpa", Ptr, &["other.example.com"])
            .dns(
                "9.2.0.192.in-addr.arpa",
                Ptr,
                &["192-0-2-9.dynamic.isp.example"],
            )
            .dns("192-0-2-9.dynamic.isp.example", A, &["192.0.2.9"])
            .install();
        assert_eq!(run("ptr", &[("ip", "192.0.2.7")]).status, Status::Pass);
        let r = run("ptr", &[("ip", "192.0.2.8")]);
        assert!(r.summary.contains("does not resolve back"), "{}", r.summary);
        assert_eq!(run("ptr", &[("ip", "192.0.2.9")]).status, Status::Warn);
        assert_eq!(run("ptr", &[("ip", "192.0.2.10")]).status, Status::Fail);
    }

    #[test]
    fn bad_parameters() {
        assert!(Auth::run("spf", &Params::new(&[("domain", "not a domain")])).is_err());
        assert!(Auth::run("ptr", &Params::new(&[("ip", "1.2.3")])).is_err());
        assert_eq!(domain("Bounce@Example.COM.").unwrap(), "example.com");
    }
}
