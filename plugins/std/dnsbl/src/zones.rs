//! What each blocklist's answers mean, and where to ask for removal.
//! Source: `shared/reference/dnsbl.tsv` (each list's own documentation).

/// The meaning of one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Meaning {
    /// The list's name: `Spamhaus XBL`.
    pub list: &'static str,
    pub text: &'static str,
    pub delist: &'static str,
    /// The answer is a refused query, not a listing.
    pub refusal: bool,
}

const SPAMHAUS: &str = "https://check.spamhaus.org/";

const fn listed(list: &'static str, text: &'static str, delist: &'static str) -> Meaning {
    Meaning {
        list,
        text,
        delist,
        refusal: false,
    }
}

const fn refused(list: &'static str, text: &'static str) -> Meaning {
    Meaning {
        list,
        text,
        delist: "",
        refusal: true,
    }
}

fn last_octet(answer: &str) -> Option<u8> {
    let mut parts = answer.split('.');
    let ok = parts.next() == Some("127");
    let _ = parts.next();
    let _ = parts.next();
    parts.next().and_then(|o| o.parse().ok()).filter(|_| ok)
}

/// Lists whose every answer means the same: zone suffix, list, meaning,
/// delisting page.
const ONE_MEANING: &[(&str, &str, &str, &str)] = &[
    (
        "barracudacentral.org",
        "Barracuda BRBL",
        "Listed on the Barracuda Reputation Block List (spamtraps, appliance telemetry)",
        "https://www.barracudacentral.org/rbl/removal-request",
    ),
    (
        "spamcop.net",
        "SpamCop",
        "Listed after recent SpamCop user reports or spamtrap hits; expires once reports stop",
        "https://www.spamcop.net/bl.shtml",
    ),
    (
        "uceprotect.net",
        "UCEPROTECT",
        "Seen sending to UCEPROTECT spamtraps (level 1: this IP; 2 and 3: its network or ASN)",
        "https://www.uceprotect.net/en/rblcheck.php",
    ),
    (
        "mailspike.net",
        "Mailspike",
        "Listed on Mailspike (poor reputation or spam seen)",
        "https://mailspike.org/",
    ),
    (
        "surriel.com",
        "PSBL",
        "Listed on the Passive Spam Block List (spamtrap hits)",
        "https://psbl.org/",
    ),
    (
        "spamrats.com",
        "SpamRATS",
        "Listed on SpamRATS (dynamic, no-PTR or spam-sending IP)",
        "https://www.spamrats.com/removal.php",
    ),
];

/// What `answer` means on `zone`.
pub fn meaning(zone: &str, answer: &str) -> Meaning {
    let spamhaus = zone.ends_with("spamhaus.org") || zone.ends_with("spamhaus.net");
    if spamhaus {
        if let Some(o) = answer.strip_prefix("127.255.255.") {
            return match o {
                "252" => refused("Spamhaus", "query refused: typing error in the zone name (no such Spamhaus list)"),
                "254" => refused("Spamhaus", "query refused: it came through a public/open resolver; use your own resolver or a Spamhaus DQS key"),
                "255" => refused("Spamhaus", "query refused: excessive number of queries (over the free-use limit)"),
                _ => refused("Spamhaus", "query refused (127.255.255.0/24 is reserved for query errors, e.g. an invalid DQS key)"),
            };
        }
        if zone.starts_with("dbl.") {
            return match answer {
                "127.0.1.2" => listed("Spamhaus DBL", "Low-reputation (spam) domain", SPAMHAUS),
                "127.0.1.3" => listed("Spamhaus DBL", "Spammed redirector domain", SPAMHAUS),
                "127.0.1.4" => listed("Spamhaus DBL", "Phishing domain", SPAMHAUS),
                "127.0.1.5" => listed("Spamhaus DBL", "Malware domain", SPAMHAUS),
                "127.0.1.6" => listed("Spamhaus DBL", "Botnet C&C domain", SPAMHAUS),
                "127.0.1.102" => listed(
                    "Spamhaus DBL",
                    "Abused legitimate domain (compromised site used in spam)",
                    SPAMHAUS,
                ),
                "127.0.1.103" => listed("Spamhaus DBL", "Abused legitimate redirector", SPAMHAUS),
                "127.0.1.104" => listed(
                    "Spamhaus DBL",
                    "Abused legitimate domain used in phishing",
                    SPAMHAUS,
                ),
                "127.0.1.105" => listed(
                    "Spamhaus DBL",
                    "Abused legitimate domain used by malware",
                    SPAMHAUS,
                ),
                "127.0.1.106" => listed(
                    "Spamhaus DBL",
                    "Abused legitimate domain hosting C&C",
                    SPAMHAUS,
                ),
                "127.0.1.255" => refused(
                    "Spamhaus DBL",
                    "query error: an IP address was asked of the domain list",
                ),
                _ => listed("Spamhaus DBL", "Listed on the Domain Block List", SPAMHAUS),
            };
        }
        return match last_octet(answer) {
            Some(2) => listed("Spamhaus SBL", "SBL: manually verified spam source or spam operation", SPAMHAUS),
            Some(3) => listed("Spamhaus CSS", "CSS: low-reputation sending IP (snowshoe or bad sending practices)", SPAMHAUS),
            Some(4..=7) => listed("Spamhaus XBL", "exploited or compromised host (bots, proxies, malware)", SPAMHAUS),
            Some(9) => listed("Spamhaus DROP", "hijacked or criminal netblock (DROP/EDROP)", "Not removable by the sender: netblock-level listing"),
            Some(10) => listed("Spamhaus PBL", "end-user or dynamic address space (PBL, maintained by the ISP) not expected to send to MX hosts directly", SPAMHAUS),
            Some(11) => listed("Spamhaus PBL", "end-user or dynamic address space (PBL, maintained by Spamhaus)", SPAMHAUS),
            Some(20) => listed("Spamhaus AuthBL", "IP seen brute-forcing or abusing SMTP AUTH", SPAMHAUS),
            Some(30) => listed("Spamhaus BCL", "botnet controller IP", SPAMHAUS),
            _ => listed("Spamhaus", "listed (unrecognised return code)", SPAMHAUS),
        };
    }
    if let Some((_, list, text, delist)) = ONE_MEANING.iter().find(|z| zone.ends_with(z.0)) {
        return listed(list, text, delist);
    }
    if zone.ends_with("uribl.com") {
        return match last_octet(answer) {
            Some(1) => refused("URIBL", "query refused (URIBL blocks this resolver)"),
            Some(o) => listed(
                "URIBL",
                match o {
                    o if o & 2 != 0 => "URIBL black: domain seen in spam",
                    o if o & 8 != 0 => "URIBL red: domain seen in spam recently",
                    _ => "URIBL grey: domain in bulk mail",
                },
                "https://admin.uribl.com/",
            ),
            None => listed("URIBL", "listed", "https://admin.uribl.com/"),
        };
    }
    if zone.ends_with("surbl.org") {
        return listed(
            "SURBL",
            match last_octet(answer).unwrap_or(0) {
                o if o & 8 != 0 => "SURBL: phishing domain",
                o if o & 16 != 0 => "SURBL: malware domain",
                o if o & 64 != 0 => "SURBL: abused domain",
                o if o & 128 != 0 => "SURBL: cracked site",
                _ => "SURBL: domain seen in spam",
            },
            "https://www.surbl.org/surbl-analysis",
        );
    }
    listed("DNSBL", "listed", "see the list's website")
}

#[cfg(test)]
mod tests {
    use super::meaning;

    #[test]
    fn codes() {
        assert_eq!(
            meaning("zen.spamhaus.org", "127.0.0.10").list,
            "Spamhaus PBL"
        );
        assert!(meaning("zen.spamhaus.org", "127.255.255.255").refusal);
        assert!(meaning("dbl.spamhaus.org", "127.0.1.255").refusal);
        assert!(!meaning("b.barracudacentral.org", "127.0.0.2").refusal);
        assert!(meaning("multi.uribl.com", "127.0.0.1").refusal);
        assert_eq!(
            meaning("multi.surbl.org", "127.0.0.16").text,
            "SURBL: malware domain"
        );
    }
}
