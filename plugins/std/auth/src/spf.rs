//! SPF (RFC 7208): the record, its DNS-lookup count, and whether an IP is
//! authorised.
//!
//! A record is a list of terms: mechanisms with a qualifier (`+` pass, `-`
//! fail, `~` softfail, `?` neutral) tried left to right until one matches
//! the IP, and modifiers (`redirect=`, `exp=`). Mechanisms that query DNS
//! (`include`, `a`, `mx`, `ptr`, `exists`, and `redirect`) count towards a
//! limit of 10 for the whole evaluation, includes included; over it the
//! receiver's result is `permerror`, which most treat as a failure.

use bouncedx_plugin_sdk::{host, CheckResult, Status};
use std::net::IpAddr;

/// The RFC 7208 §4.6.4 limit.
pub const LOOKUP_LIMIT: usize = 10;
const MAX_DEPTH: usize = 10;

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Mechanism {
        qualifier: char,
        kind: String,
        domain: Option<String>,
        cidr4: u8,
        cidr6: u8,
        text: String,
    },
    Redirect(String),
    Other,
}

/// The SPF record of a domain: `Ok(None)` when there is none.
fn record(domain: &str) -> Result<Option<String>, String> {
    let txt = host::dns(domain, host::RecordType::Txt)?;
    let spf: Vec<String> = txt
        .into_iter()
        .filter(|t| {
            let l = t.trim_start().to_ascii_lowercase();
            l == "v=spf1" || l.starts_with("v=spf1 ")
        })
        .collect();
    match spf.len() {
        0 => Ok(None),
        1 => Ok(spf.into_iter().next()),
        n => Err(format!(
            "{domain} publishes {n} SPF records; receivers return permerror (RFC 7208 §4.5)"
        )),
    }
}

fn parse(record: &str, domain: &str) -> Result<Vec<Term>, String> {
    let mut terms = Vec::new();
    for raw in record.split_whitespace().skip(1) {
        let lower = raw.to_ascii_lowercase();
        if let Some(target) = lower.strip_prefix("redirect=") {
            terms.push(Term::Redirect(target.to_string()));
            continue;
        }
        if lower.contains('=') {
            terms.push(Term::Other); // exp= and unknown modifiers are ignored
            continue;
        }
        let (qualifier, rest) = match lower.chars().next() {
            Some(q @ ('+' | '-' | '~' | '?')) => (q, &lower[1..]),
            _ => ('+', lower.as_str()),
        };
        let (name, arg) = match rest.find([':', '/']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if !matches!(
            name,
            "all" | "include" | "a" | "mx" | "ptr" | "ip4" | "ip6" | "exists"
        ) {
            return Err(format!("{domain}'s SPF record has an unknown mechanism `{raw}`: receivers return permerror"));
        }
        let (target, cidr) = match arg.strip_prefix(':') {
            Some(a) => match a.find('/') {
                Some(i) => (Some(a[..i].to_string()), &a[i..]),
                None => (Some(a.to_string()), ""),
            },
            None => (None, arg),
        };
        let mut cidr4 = 32;
        let mut cidr6 = 128;
        if !cidr.is_empty() && !matches!(name, "ip4" | "ip6") {
            let mut parts = cidr.split("//");
            if let Some(c4) = parts.next().and_then(|c| c.strip_prefix('/')) {
                cidr4 = c4
                    .parse()
                    .map_err(|_| format!("bad prefix length in `{raw}`"))?;
            }
            if let Some(c6) = parts.next() {
                cidr6 = c6
                    .parse()
                    .map_err(|_| format!("bad prefix length in `{raw}`"))?;
            }
        }
        let needs_arg = matches!(name, "include" | "ip4" | "ip6" | "exists");
        if needs_arg && target.is_none() {
            return Err(format!(
                "{domain}'s SPF term `{raw}` needs a value: receivers return permerror"
            ));
        }
        let mut domain_arg = target;
        if matches!(name, "ip4" | "ip6") {
            domain_arg = Some(format!("{}{}", domain_arg.unwrap_or_default(), cidr));
        }
        terms.push(Term::Mechanism {
            qualifier,
            kind: name.to_string(),
            domain: domain_arg,
            cidr4,
            cidr6,
            text: raw.to_string(),
        });
    }
    Ok(terms)
}

/// Walks a record and everything it includes, counting DNS lookups.
struct Walk {
    lookups: usize,
    problems: Vec<String>,
    /// Mechanisms that cannot be evaluated with A/AAAA/TXT/PTR lookups.
    unevaluated: Vec<String>,
}

/// How the evaluation ended for an IP.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Matched {
        qualifier: char,
        term: String,
        at: String,
    },
    NoMatch,
}

impl Walk {
    fn count(&mut self, domain: &str, terms: &[Term], depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "SPF includes nest deeper than {MAX_DEPTH} levels at {domain}"
            ));
        }
        for t in terms {
            let target = match t {
                Term::Mechanism {
                    kind, domain: d, ..
                } => match kind.as_str() {
                    "include" => {
                        self.lookups += 1;
                        d.clone()
                    }
                    "a" | "mx" | "ptr" | "exists" => {
                        self.lookups += 1;
                        None
                    }
                    _ => None,
                },
                Term::Redirect(d) => {
                    self.lookups += 1;
                    Some(d.clone())
                }
                Term::Other => None,
            };
            if self.lookups > LOOKUP_LIMIT * 3 {
                return Ok(());
            }
            if let Some(target) = target {
                if target.contains('%') {
                    continue; // macros: counted, not followed
                }
                match record(&target)? {
                    None => self.problems.push(format!(
                        "{domain} includes {target}, which has no SPF record (permerror)"
                    )),
                    Some(r) => {
                        let terms = parse(&r, &target)?;
                        self.count(&target, &terms, depth + 1)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn eval(
        &mut self,
        domain: &str,
        terms: &[Term],
        ip: IpAddr,
        depth: usize,
    ) -> Result<Verdict, String> {
        if depth > MAX_DEPTH {
            return Ok(Verdict::NoMatch);
        }
        for t in terms {
            let Term::Mechanism {
                qualifier,
                kind,
                domain: d,
                cidr4,
                cidr6,
                text,
            } = t
            else {
                continue;
            };
            let target = d.clone().unwrap_or_else(|| domain.to_string());
            let matched = match kind.as_str() {
                "all" => true,
                "ip4" | "ip6" => in_network(ip, &target),
                "a" => {
                    let rtype = if ip.is_ipv4() {
                        host::RecordType::A
                    } else {
                        host::RecordType::Aaaa
                    };
                    let prefix = if ip.is_ipv4() { *cidr4 } else { *cidr6 };
                    host::dns(&target, rtype)?
                        .iter()
                        .any(|a| in_network(ip, &format!("{a}/{prefix}")))
                }
                "include" => {
                    if target.contains('%') {
                        self.unevaluated.push(text.clone());
                        false
                    } else {
                        match record(&target)? {
                            None => false,
                            Some(r) => {
                                let terms = parse(&r, &target)?;
                                matches!(
                                    self.eval(&target, &terms, ip, depth + 1)?,
                                    Verdict::Matched { qualifier: '+', .. }
                                )
                            }
                        }
                    }
                }
                "exists" if !target.contains('%') => {
                    !host::dns(&target, host::RecordType::A)?.is_empty()
                }
                _ => {
                    self.unevaluated.push(format!("{text} (at {domain})"));
                    false
                }
            };
            if matched {
                return Ok(Verdict::Matched {
                    qualifier: *qualifier,
                    term: text.clone(),
                    at: domain.to_string(),
                });
            }
        }
        if let Some(Term::Redirect(target)) = terms.iter().find(|t| matches!(t, Term::Redirect(_)))
        {
            if let Some(r) = record(target)? {
                let terms = parse(&r, target)?;
                return self.eval(target, &terms, ip, depth + 1);
            }
        }
        Ok(Verdict::NoMatch)
    }
}

/// Whether `ip` is in `net` (`192.0.2.0/24`, `2001:db8::/32`, or one address).
pub fn in_network(ip: IpAddr, net: &str) -> bool {
    let (addr, len) = match net.split_once('/') {
        Some((a, l)) => (a, l.parse::<u32>().ok()),
        None => (net, None),
    };
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (ip, addr) {
        (IpAddr::V4(i), IpAddr::V4(n)) => {
            let len = len.unwrap_or(32).min(32);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(i) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(i), IpAddr::V6(n)) => {
            let len = len.unwrap_or(128).min(128);
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(i) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn all_of(terms: &[Term]) -> Option<char> {
    terms.iter().find_map(|t| match t {
        Term::Mechanism {
            qualifier, kind, ..
        } if kind == "all" => Some(*qualifier),
        _ => None,
    })
}

/// The `spf` check.
pub fn check(domain: &str, ip: Option<IpAddr>) -> Result<CheckResult, String> {
    let rec = match record(domain) {
        Ok(Some(r)) => r,
        Ok(None) => {
            if let Some(r) = crate::silent_domain(domain) {
                return Ok(r);
            }
            return Ok(CheckResult::fail(format!(
                "{domain} publishes no SPF record: receivers cannot tell which IPs may send for it"
            ))
            .fact("record", ""));
        }
        Err(e) if e.contains("SPF records") => return Ok(CheckResult::fail(e)),
        Err(e) => return Err(e),
    };
    let terms = match parse(&rec, domain) {
        Ok(t) => t,
        Err(e) => return Ok(CheckResult::fail(e).fact("record", &rec)),
    };
    let mut walk = Walk {
        lookups: 0,
        problems: Vec::new(),
        unevaluated: Vec::new(),
    };
    if let Err(e) = walk.count(domain, &terms, 0) {
        return Ok(CheckResult::fail(e).fact("record", &rec));
    }
    let all = all_of(&terms);
    let redirect = terms.iter().any(|t| matches!(t, Term::Redirect(_)));
    let all_text = match all {
        Some('-') => "-all",
        Some('~') => "~all",
        Some('?') => "?all",
        Some(_) => "+all",
        None if redirect => "redirect",
        None => "none",
    };
    let lookups = walk.lookups;
    let base = |r: CheckResult| {
        r.fact("record", &rec)
            .fact("lookups", lookups)
            .fact("all", all_text)
    };
    if walk.lookups > LOOKUP_LIMIT {
        return Ok(base(CheckResult::fail(format!(
            "{domain}'s SPF needs {} DNS lookups, over the limit of {LOOKUP_LIMIT}: receivers return permerror; flatten includes",
            walk.lookups
        ))));
    }
    if let Some(p) = walk.problems.first() {
        return Ok(base(CheckResult::fail(p.clone())));
    }
    if let Some(ip) = ip {
        let verdict = match walk.eval(domain, &terms, ip, 0) {
            Ok(v) => v,
            Err(e) => {
                return Ok(base(CheckResult::unknown(format!(
                    "could not evaluate SPF for {ip}: {e}"
                ))))
            }
        };
        let r = match verdict {
            Verdict::Matched { qualifier: '+', term, at } => CheckResult::pass(format!(
                "{ip} is authorised by {domain}'s SPF ({term} at {at}; {} of {LOOKUP_LIMIT} lookups)",
                walk.lookups
            )),
            Verdict::Matched { term, .. } if !walk.unevaluated.is_empty() => CheckResult::unknown(format!(
                "{ip} reached {term} in {domain}'s SPF, but {} could not be evaluated here, so it may be authorised",
                walk.unevaluated.join(", ")
            )),
            Verdict::Matched { qualifier: '-', term, .. } => CheckResult::fail(format!(
                "{ip} is not authorised by {domain}'s SPF: it reaches {term}, so receivers see SPF fail; add the IP (or its provider's include) to the record"
            )),
            Verdict::Matched { qualifier: '~', term, .. } => CheckResult::warn(format!(
                "{ip} is not authorised by {domain}'s SPF: it reaches {term} (softfail); add the IP to the record"
            )),
            Verdict::Matched { term, .. } => CheckResult::warn(format!(
                "{ip} is not authorised by {domain}'s SPF: it reaches {term} (neutral)"
            )),
            Verdict::NoMatch if !walk.unevaluated.is_empty() => CheckResult::unknown(format!(
                "{ip} matched none of the SPF terms evaluated; {} could not be evaluated here",
                walk.unevaluated.join(", ")
            )),
            Verdict::NoMatch => CheckResult::warn(format!(
                "{ip} matched no term of {domain}'s SPF and the record has no all: the result is neutral"
            )),
        };
        let result = match r.status {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "softfail/neutral",
            Status::Unknown => "unknown",
        };
        return Ok(base(r).fact("result", result));
    }
    let r = match all {
        Some('-') | Some('~') => CheckResult::pass(format!(
            "{domain} publishes a valid SPF record ending in {all_text} ({} of {LOOKUP_LIMIT} DNS lookups)",
            walk.lookups
        )),
        Some('+') => CheckResult::warn(format!("{domain}'s SPF ends in +all: it authorises every IP on the internet")),
        _ if redirect => CheckResult::pass(format!(
            "{domain} publishes a valid SPF record that redirects ({} of {LOOKUP_LIMIT} DNS lookups)",
            walk.lookups
        )),
        _ => CheckResult::warn(format!(
            "{domain}'s SPF ends without -all or ~all: mail from other IPs gets a neutral result"
        )),
    };
    Ok(base(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bouncedx_plugin_sdk::testing::Stand;
    use host::RecordType::{Txt, A};

    fn stand() -> Stand {
        Stand::new()
            .dns("example.com", Txt, &["v=spf1 ip4:192.0.2.0/24 include:_spf.esp.example a:mail.example.com -all", "google-site-verification=x"])
            .dns("_spf.esp.example", Txt, &["v=spf1 ip6:2001:db8::/32 ip4:198.51.100.7 ~all"])
            .dns("mail.example.com", A, &["203.0.113.5"])
            .dns("soft.example", Txt, &["v=spf1 mx ~all"])
            .dns("open.example", Txt, &["v=spf1 +all"])
            .dns("two.example", Txt, &["v=spf1 -all", "v=spf1 ~all"])
            .dns("bad.example", Txt, &["v=spf1 ip4:192.0.2.1 foo:bar -all"])
            .dns("many.example", Txt, &["v=spf1 include:i1.example include:i2.example include:i3.example include:i4.example include:i5.example include:i6.example -all"])
            .dns("i1.example", Txt, &["v=spf1 a mx -all"])
            .dns("i2.example", Txt, &["v=spf1 a mx -all"])
            .dns("i3.example", Txt, &["v=spf1 a mx -all"])
            .dns("i4.example", Txt, &["v=spf1 a -all"])
            .dns("i5.example", Txt, &["v=spf1 a -all"])
            .dns("i6.example", Txt, &["v=spf1 -all"])
            .dns("nospf.example", A, &["192.0.2.80"])
    }

    #[test]
    fn record_health() {
        stand().install();
        let r = check("example.com", None).unwrap();
        assert_eq!(
            (r.status, r.get("lookups"), r.get("all")),
            (Status::Pass, Some("2"), Some("-all"))
        );
        assert_eq!(check("open.example", None).unwrap().status, Status::Warn);
        assert_eq!(check("nospf.example", None).unwrap().status, Status::Fail);
        assert!(check("two.example", None)
            .unwrap()
            .summary
            .contains("2 SPF records"));
        assert!(check("bad.example", None)
            .unwrap()
            .summary
            .contains("unknown mechanism `foo:bar`"));
        let r = check("many.example", None).unwrap();
        assert_eq!(
            (r.status, r.get("lookups")),
            (Status::Fail, Some("14")),
            "{}",
            r.summary
        );
        // a domain that answers nothing at all: unknown, not "no SPF"
        assert_eq!(
            check("nothing.example", None).unwrap().status,
            Status::Unknown
        );
    }

    #[test]
    fn ip_authorisation() {
        stand().install();
        let ip = |s: &str| Some(s.parse().unwrap());
        let r = check("example.com", ip("192.0.2.44")).unwrap();
        assert_eq!(r.status, Status::Pass, "{}", r.summary);
        assert_eq!(
            check("example.com", ip("198.51.100.7")).unwrap().status,
            Status::Pass
        );
        assert_eq!(
            check("example.com", ip("2001:db8::25")).unwrap().status,
            Status::Pass
        );
        assert_eq!(
            check("example.com", ip("203.0.113.5")).unwrap().status,
            Status::Pass
        );
        let r = check("example.com", ip("203.0.113.6")).unwrap();
        assert_eq!(
            (r.status, r.get("result")),
            (Status::Fail, Some("fail")),
            "{}",
            r.summary
        );
        let r = check("soft.example", ip("203.0.113.6")).unwrap();
        assert_eq!(r.status, Status::Unknown, "{}", r.summary);
    }

    #[test]
    fn networks() {
        let ip: IpAddr = "192.0.2.130".parse().unwrap();
        assert!(in_network(ip, "192.0.2.128/25"));
        assert!(!in_network(ip, "192.0.2.0/25"));
        assert!(in_network(ip, "0.0.0.0/0"));
        assert!(!in_network(ip, "2001:db8::/32"));
    }
}
