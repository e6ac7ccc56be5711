//! # The `dnsbl` plugin: is an IP or a domain on a blocklist?
//!
//! A DNS blocklist answers a question asked as a name: the IP `192.0.2.7`
//! is looked up as `7.2.0.192.zen.spamhaus.org` (IPv6: the 32 nibbles of
//! the address, reversed), a domain as `example.com.dbl.spamhaus.org`. No
//! answer means not listed; an answer in 127.0.0.0/8 means listed, and the
//! address says why (`127.0.0.4` on ZEN is XBL, a compromised host).
//!
//! Some answers are not listings: Spamhaus answers `127.255.255.x` when it
//! refuses the query (a public resolver, over the free limit, a mistyped
//! zone), and `127.0.1.255` when an IP was asked of the domain list. These
//! become `unknown` with the reason, never `fail`.
//!
//! Checks: `ip` (`ip=`, optional `zones=` comma-separated) and `domain`
//! (`domain=`, optional `zones=`). Codes, meanings and delisting pages come
//! from `shared/reference/dnsbl.tsv` (Spamhaus, Barracuda, SpamCop,
//! UCEPROTECT, Mailspike, PSBL, SpamRATS, SURBL, URIBL documentation).

use bouncedx_plugin_sdk::{host, CheckInfo, CheckResult, Params, Plugin, PluginInfo, Status};
use std::net::IpAddr;

mod zones;
use zones::{meaning, Meaning};

/// Zones asked about an IP when the call names none.
pub const DEFAULT_IP_ZONES: &[&str] = &[
    "zen.spamhaus.org",
    "b.barracudacentral.org",
    "bl.spamcop.net",
    "psbl.surriel.com",
    "bl.mailspike.net",
];

/// Zones asked about a domain when the call names none.
pub const DEFAULT_DOMAIN_ZONES: &[&str] =
    &["dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com"];

pub struct Dnsbl;

impl Plugin for Dnsbl {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "dnsbl",
            env!("CARGO_PKG_VERSION"),
            "Looks an IP or a domain up on DNS blocklists and says what each listing means and where to ask for removal",
        )
        .check(
            CheckInfo::new("ip", "Is the IP (v4 or v6) listed on the IP blocklists?")
                .required("ip", "the sending IP, e.g. 192.0.2.7 or 2001:db8::1")
                .optional("zones", "comma-separated zones; default zen.spamhaus.org, b.barracudacentral.org, bl.spamcop.net, psbl.surriel.com, bl.mailspike.net"),
        )
        .check(
            CheckInfo::new("domain", "Is the domain listed on the domain blocklists?")
                .required("domain", "the domain, e.g. example.com")
                .optional("zones", "comma-separated zones; default dbl.spamhaus.org, multi.surbl.org, multi.uribl.com"),
        )
    }

    fn run(check: &str, params: &Params) -> Result<CheckResult, String> {
        match check {
            "ip" => {
                let raw = params.required("ip")?;
                let ip: IpAddr = raw
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{raw}` is not an IP address"))?;
                let zones = zones_param(params, DEFAULT_IP_ZONES);
                Ok(lookup(&ip.to_string(), &reverse(ip), &zones))
            }
            "domain" => {
                let raw = params.required("domain")?;
                let domain = raw.trim().trim_end_matches('.').to_ascii_lowercase();
                if domain.is_empty()
                    || !domain.contains('.')
                    || !domain
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                {
                    return Err(format!("`{raw}` is not a domain name"));
                }
                let zones = zones_param(params, DEFAULT_DOMAIN_ZONES);
                Ok(lookup(&domain, &domain, &zones))
            }
            other => Err(format!("unknown check `{other}` (dnsbl has ip and domain)")),
        }
    }
}

fn zones_param(params: &Params, default: &[&str]) -> Vec<String> {
    match params.get("zones") {
        Some(z) => z
            .split(',')
            .map(|s| s.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
        None => default.iter().map(|s| s.to_string()).collect(),
    }
}

/// The name an IP is looked up under: reversed octets, or reversed nibbles.
pub fn reverse(ip: IpAddr) -> String {
    host::reversed(ip)
}

/// RFC 5782 §5: an IP list must list 127.0.0.2. When an IP looks clean, the
/// zone is asked for its test point; no answer there means the resolver is
/// not getting real answers (blocked, offline, or a dead list), so "not
/// listed" would be a guess. Domain lists are not probed. `Some(None)`:
/// the test address is not listed; `Some(Some(e))`: the probe failed.
fn test_point(name: &str, zone: &str) -> Option<Option<String>> {
    let is_ip_query = name
        .split('.')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_hexdigit()));
    if !is_ip_query {
        return None;
    }
    // asked about the test address itself: not listed is the probe failing
    if name == "2.0.0.127" {
        return Some(None);
    }
    match host::dns(&format!("2.0.0.127.{zone}"), host::RecordType::A) {
        Ok(a) if a.is_empty() => Some(None),
        Ok(_) => None,
        Err(e) => Some(Some(format!("{zone}: {e}"))),
    }
}

/// Looks `what` (queried as `name.zone`) up on every zone.
fn lookup(what: &str, name: &str, zones: &[String]) -> CheckResult {
    let mut listed: Vec<(String, String, Meaning)> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    // zones that answered nothing, not even for their test address
    let mut silent: Vec<(String, Option<String>)> = Vec::new();
    let mut clean: Vec<String> = Vec::new();
    let mut facts: Vec<(String, String)> = Vec::new();
    for zone in zones {
        let query = format!("{name}.{zone}");
        match host::dns(&query, host::RecordType::A) {
            Err(e) => refused.push(format!("{zone}: {e}")),
            Ok(answers) if answers.is_empty() => match test_point(name, zone) {
                Some(problem) => silent.push((zone.clone(), problem)),
                None => clean.push(zone.clone()),
            },
            Ok(answers) => {
                for a in answers {
                    let m = meaning(zone, &a);
                    facts.push((zone.clone(), format!("{a} {}", m.text)));
                    if m.refusal {
                        refused.push(format!("{zone} ({a}: {})", m.text));
                    } else {
                        listed.push((zone.clone(), a, m));
                    }
                }
            }
        }
    }
    if let Some((zone, _, m)) = listed.first() {
        if let Ok(txt) = host::dns(&format!("{name}.{zone}"), host::RecordType::Txt) {
            if let Some(t) = txt.first() {
                facts.push(("txt".into(), t.clone()));
            }
        }
        let names: Vec<String> = listed
            .iter()
            .map(|(z, a, m)| format!("{z} ({a}: {})", m.list))
            .collect();
        let mut r = CheckResult::fail(format!(
            "{what} is listed on {}: {}; removal: {}",
            names.join(", "),
            m.text,
            m.delist
        ))
        .fact(
            "listed",
            listed
                .iter()
                .map(|(z, _, _)| z.as_str())
                .collect::<Vec<_>>()
                .join(","),
        )
        .fact("delisting", m.delist);
        r.facts.extend(facts);
        return r;
    }
    let status = if refused.is_empty() && silent.is_empty() {
        Status::Pass
    } else {
        Status::Unknown
    };
    let mut parts = Vec::new();
    if !clean.is_empty() {
        parts.push(format!(
            "{what} is not listed on {} zone{} ({})",
            clean.len(),
            if clean.len() == 1 { "" } else { "s" },
            clean.join(", ")
        ));
    }
    let (no_test, failed): (Vec<_>, Vec<_>) = silent.into_iter().partition(|(_, e)| e.is_none());
    if !no_test.is_empty() {
        let zones: Vec<String> = no_test.into_iter().map(|(z, _)| z).collect();
        parts.push(format!(
            "no usable answer from {}: {} not list the RFC 5782 test address 127.0.0.2, so silence proves nothing (the resolver may be offline, refused, or the list gone)",
            zones.join(", "),
            if zones.len() == 1 { "it does" } else { "they do" }
        ));
    }
    for (_, e) in failed {
        refused.extend(e);
    }
    if !refused.is_empty() {
        parts.push(format!("no usable answer from {}", refused.join("; ")));
    }
    let mut summary = parts.join("; ");
    if summary.len() > 900 {
        let mut end = 900;
        while !summary.is_char_boundary(end) {
            end -= 1;
        }
        summary.truncate(end);
        summary.push('…');
    }
    let mut r = CheckResult::new(status, summary).fact("listed", "");
    r.facts.extend(facts);
    r
}

bouncedx_plugin_sdk::plugin!(Dnsbl);

#[cfg(test)]
mod tests {
    use super::*;
    use bouncedx_plugin_sdk::testing::Stand;
    use host::RecordType::{Txt, A};

    fn params(p: &[(&str, &str)]) -> Params {
        Params::new(p)
    }

    #[test]
    fn reverses_v4_and_v6() {
        assert_eq!(reverse("192.0.2.7".parse().unwrap()), "7.2.0.192");
        assert_eq!(
            reverse("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
        );
    }

    #[test]
    fn listed_on_zen_as_xbl_with_removal_link() {
        Stand::new()
            .dns("7.2.0.192.zen.spamhaus.org", A, &["127.0.0.4"])
            .dns(
                "7.2.0.192.zen.spamhaus.org",
                Txt,
                &["https://check.spamhaus.org/query/ip/192.0.2.7"],
            )
            .install();
        let r = Dnsbl::run(
            "ip",
            &params(&[
                ("ip", "192.0.2.7"),
                ("zones", "zen.spamhaus.org,bl.spamcop.net"),
            ]),
        )
        .unwrap();
        assert_eq!(r.status, Status::Fail);
        assert!(
            r.summary.starts_with(
                "192.0.2.7 is listed on zen.spamhaus.org (127.0.0.4: Spamhaus XBL): exploited"
            ),
            "{}",
            r.summary
        );
        assert_eq!(r.get("listed"), Some("zen.spamhaus.org"));
        assert_eq!(r.get("delisting"), Some("https://check.spamhaus.org/"));
        assert_eq!(
            r.get("txt"),
            Some("https://check.spamhaus.org/query/ip/192.0.2.7")
        );
    }

    #[test]
    fn spamhaus_refusal_is_unknown_not_listed() {
        Stand::new()
            .dns("7.2.0.192.zen.spamhaus.org", A, &["127.255.255.254"])
            .install();
        let r = Dnsbl::run(
            "ip",
            &params(&[("ip", "192.0.2.7"), ("zones", "zen.spamhaus.org")]),
        )
        .unwrap();
        assert_eq!(r.status, Status::Unknown);
        assert!(r.summary.contains("public/open resolver"), "{}", r.summary);
    }

    #[test]
    fn clean_everywhere_passes() {
        let mut stand = Stand::new();
        for z in DEFAULT_IP_ZONES {
            stand = stand.dns(&format!("2.0.0.127.{z}"), A, &["127.0.0.2"]);
        }
        stand.install();
        let r = Dnsbl::run("ip", &params(&[("ip", "2001:db8::1")])).unwrap();
        assert_eq!(r.status, Status::Pass);
        assert!(
            r.summary
                .starts_with("2001:db8::1 is not listed on 5 zones"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn a_zone_without_its_test_point_proves_nothing() {
        Stand::new().install();
        let r = Dnsbl::run(
            "ip",
            &params(&[("ip", "192.0.2.7"), ("zones", "zen.spamhaus.org")]),
        )
        .unwrap();
        assert_eq!(r.status, Status::Unknown);
        assert!(
            r.summary
                .contains("it does not list the RFC 5782 test address"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn domain_on_dbl_and_bad_input() {
        Stand::new()
            .dns("bad.example.dbl.spamhaus.org", A, &["127.0.1.4"])
            .install();
        let r = Dnsbl::run("domain", &params(&[("domain", "Bad.Example.")])).unwrap();
        assert_eq!(r.status, Status::Fail);
        assert!(r.summary.contains("Phishing domain"), "{}", r.summary);
        assert!(Dnsbl::run("ip", &params(&[("ip", "not-an-ip")]))
            .unwrap_err()
            .contains("not an IP"));
        assert!(Dnsbl::run("domain", &params(&[("domain", "a b")])).is_err());
    }
}
