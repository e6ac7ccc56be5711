//! # The `snds` plugin: what Microsoft SNDS says of a sending IP
//!
//! Outlook.com's rejections (S3150, S3140, 5.7.511) come from filters
//! whose view of an IP Microsoft publishes through SNDS to the IP's
//! registered owner: per IP and day, the SmartScreen filter result (GREEN,
//! YELLOW, RED), the complaint rate and spamtrap hits; and a feed of
//! blocked IP ranges.
//!
//! The check `ip` (`ip=`) reads the data export (`data.aspx`, CSV with 14
//! columns and no header) from the data file `snds`, and the blocked-IP
//! feed (`ipStatus.aspx`, `first,last,Yes,reason`) from `snds-blocked`.
//! Without the files it fetches both from SNDS's automated data access
//! through a granted host, the site's key being put in the URL by the host
//! (`{token}`). Formats: `shared/reference/domain-notes.md` §5.1.

use bouncedx_plugin_sdk::{host, CheckInfo, CheckResult, Params, Plugin, PluginInfo, Status};
use std::net::Ipv4Addr;

/// SNDS's automated data access.
pub const API: &str = "https://sendersupport.olc.protection.outlook.com/snds";

pub struct Snds;

impl Plugin for Snds {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "snds",
            env!("CARGO_PKG_VERSION"),
            "Reads Microsoft SNDS for a sending IP: filter result, complaint rate, trap hits, and the blocked-IP feed",
        )
        .check(
            CheckInfo::new("ip", "The IP's latest SNDS day and whether Outlook.com blocks it")
                .required("ip", "the sending IPv4 address (SNDS covers IPv4 only)")
                .optional("api", "the automated data access base URL (default https://sendersupport.olc.protection.outlook.com/snds)"),
        )
    }

    fn run(check: &str, params: &Params) -> Result<CheckResult, String> {
        if check != "ip" {
            return Err(format!("unknown check `{check}` (snds has ip)"));
        }
        let raw = params.required("ip")?;
        let ip: Ipv4Addr = match raw.trim().parse() {
            Ok(ip) => ip,
            Err(_) if raw.contains(':') => {
                return Ok(CheckResult::unknown(format!(
                    "SNDS covers IPv4 only; {raw} is IPv6"
                )))
            }
            Err(_) => return Err(format!("`{raw}` is not an IPv4 address")),
        };
        let base = params.get("api").unwrap_or(API).trim_end_matches('/');
        // A site that granted files is answered from the files: the export
        // without the blocked feed (or the feed without the export) still
        // gives what it knows, and says what it lacks; the API is asked
        // only when no file was granted.
        let data_file = host::data("snds").ok();
        let feed_file = host::data("snds-blocked").ok();
        let (data, blocked): (Result<String, String>, Result<String, String>) =
            if data_file.is_some() || feed_file.is_some() {
                let text = |b: Option<Vec<u8>>, what: &str| {
                    b.map(|b| String::from_utf8_lossy(&b).into_owned())
                        .ok_or_else(|| format!("no `{what}` file was granted"))
                };
                (text(data_file, "snds"), text(feed_file, "snds-blocked"))
            } else {
                (
                    source("snds", &format!("{base}/data.aspx?key={{token}}")),
                    source(
                        "snds-blocked",
                        &format!("{base}/ipStatus.aspx?key={{token}}"),
                    ),
                )
            };
        if let (Err(d), Err(b)) = (&data, &blocked) {
            return Err(format!("no SNDS data to judge {ip}: {d}; {b}"));
        }
        let mut r = judge(
            ip,
            data.as_deref().unwrap_or(""),
            blocked.as_deref().unwrap_or(""),
        );
        if let Err(e) = &blocked {
            r.summary = format!(
                "{}; the blocked-IP feed was not available ({e}), so a block is not judged",
                r.summary
            );
        }
        if let Err(e) = &data {
            r.summary = format!(
                "{}; the data export was not available ({e}), so filter results and complaints are not judged",
                r.summary
            );
        }
        Ok(r)
    }
}

/// A data file by name, else the URL's body.
fn source(name: &str, url: &str) -> Result<String, String> {
    if let Ok(bytes) = host::data(name) {
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    let resp = host::http_get(url)?;
    if resp.status != 200 {
        return Err(format!(
            "SNDS answered HTTP {} for {}; check the key and that the IP range is registered",
            resp.status,
            url.split('?').next().unwrap_or(url)
        ));
    }
    Ok(String::from_utf8_lossy(&resp.body).into_owned())
}

/// One row of the data export.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub start: String,
    pub end: String,
    pub recipients: u64,
    pub filter: String,
    pub complaint_rate: f64,
    pub complaint_text: String,
    pub trap_hits: u64,
}

/// `< 0.1%` → 0.0, `0.5%` → 0.005.
pub fn rate(s: &str) -> f64 {
    let s = s.trim();
    if s.starts_with('<') {
        return 0.0;
    }
    s.trim_end_matches('%')
        .trim()
        .parse::<f64>()
        .map(|p| p / 100.0)
        .unwrap_or(0.0)
}

/// `MM/DD/YYYY h:mm AM` as a sortable number (YYYYMMDDhhmm).
fn sortable(date: &str) -> u64 {
    let mut it = date.split_whitespace();
    let d: Vec<u64> = it
        .next()
        .unwrap_or("")
        .split('/')
        .filter_map(|p| p.parse().ok())
        .collect();
    let t: Vec<u64> = it
        .next()
        .unwrap_or("")
        .split(':')
        .filter_map(|p| p.parse().ok())
        .collect();
    let pm = it.next().is_some_and(|p| p.eq_ignore_ascii_case("pm"));
    if d.len() != 3 {
        return 0;
    }
    let hour = t.first().copied().unwrap_or(0) % 12 + if pm { 12 } else { 0 };
    ((d[2] * 100 + d[0]) * 100 + d[1]) * 10_000 + hour * 100 + t.get(1).copied().unwrap_or(0)
}

/// The rows of the data export for one IP.
pub fn days(csv: &str, ip: Ipv4Addr) -> Vec<Day> {
    let want = ip.to_string();
    csv.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
            if f.len() < 11 || f[0].trim() != want {
                return None;
            }
            Some(Day {
                start: f[1].trim().into(),
                end: f[2].trim().into(),
                recipients: f[5].trim().parse().unwrap_or(0),
                filter: f[6].trim().to_ascii_uppercase(),
                complaint_rate: rate(f[7]),
                complaint_text: f[7].trim().into(),
                trap_hits: f[10].trim().parse().unwrap_or(0),
            })
        })
        .collect()
}

/// The blocked-feed reason for an IP, when a range holds it.
pub fn blocked(feed: &str, ip: Ipv4Addr) -> Option<String> {
    let ip = u32::from(ip);
    feed.lines().find_map(|line| {
        let f: Vec<&str> = line.trim_end_matches('\r').splitn(4, ',').collect();
        if f.len() < 3 {
            return None;
        }
        let first: Ipv4Addr = f[0].trim().parse().ok()?;
        let last: Ipv4Addr = f[1].trim().parse().ok()?;
        let inside = (u32::from(first)..=u32::from(last)).contains(&ip);
        (inside && f[2].trim().eq_ignore_ascii_case("yes"))
            .then(|| f.get(3).map(|r| r.trim().to_string()).unwrap_or_default())
    })
}

/// Judges the IP's latest day and the blocked feed.
pub fn judge(ip: Ipv4Addr, data: &str, feed: &str) -> CheckResult {
    let mut rows = days(data, ip);
    rows.sort_by_key(|d| sortable(&d.end));
    let block = blocked(feed, ip);
    let mut r = CheckResult::unknown("");
    let mut notes = Vec::new();
    let mut status = Status::Unknown;
    if let Some(day) = rows.last() {
        status = match day.filter.as_str() {
            "GREEN" => Status::Pass,
            "YELLOW" => Status::Warn,
            "RED" => Status::Fail,
            _ => Status::Unknown,
        };
        notes.push(format!(
            "filter result {} for {} recipients ({} to {})",
            day.filter, day.recipients, day.start, day.end
        ));
        notes.push(format!("complaint rate {}", day.complaint_text));
        if day.complaint_rate >= 0.003 {
            status = Status::Fail;
            notes
                .push("complaints at or over 0.3%: review consent and unsubscribe handling".into());
        }
        if day.trap_hits > 0 {
            notes.push(format!("{} spamtrap hits: clean the list", day.trap_hits));
            if status == Status::Pass {
                status = Status::Warn;
            }
        }
        r = r
            .fact("filter", &day.filter)
            .fact("complaint_rate", day.complaint_rate)
            .fact("trap_hits", day.trap_hits)
            .fact("recipients", day.recipients)
            .fact("period_end", &day.end);
    } else {
        notes.push(
            "no SNDS data for this IP (register the range in SNDS; only days with traffic appear)"
                .into(),
        );
    }
    if let Some(reason) = &block {
        status = Status::Fail;
        notes.push(format!(
            "BLOCKED by Outlook.com: {reason}; fix the cause, then ask for mitigation at https://olcsupport.office.com/"
        ));
        r = r.fact("blocked", reason);
    } else {
        r = r.fact("blocked", "");
    }
    r.status = status;
    r.summary = format!("SNDS for {ip}: {}", notes.join("; "));
    r
}

bouncedx_plugin_sdk::plugin!(Snds);

#[cfg(test)]
mod tests {
    use super::*;
    use bouncedx_plugin_sdk::testing::Stand;

    const DATA: &str = "192.0.2.7,11/24/2026 9:00 PM,11/25/2026 9:00 PM,47386,47386,47384,GREEN,< 0.1%,,,0,,,\r\n\
                        192.0.2.7,11/25/2026 9:00 PM,11/26/2026 9:00 PM,50000,50000,49990,RED,0.5%,11/26/2026 1:08 AM,11/26/2026 8:09 PM,40,mail.example.com,,\r\n\
                        192.0.2.8,11/25/2026 9:00 PM,11/26/2026 9:00 PM,100,100,100,GREEN,< 0.1%,,,0,,,\r\n";
    const FEED: &str =
        "192.0.2.0,192.0.2.7,Yes,Blocked due to user complaints or other evidence of spamming\r\n";

    #[test]
    fn latest_day_and_block() {
        Stand::new()
            .file("snds", DATA.as_bytes())
            .file("snds-blocked", FEED.as_bytes())
            .install();
        let r = Snds::run("ip", &Params::new(&[("ip", "192.0.2.7")])).unwrap();
        assert_eq!(r.status, Status::Fail);
        assert_eq!(
            (r.get("filter"), r.get("trap_hits")),
            (Some("RED"), Some("40"))
        );
        assert!(
            r.summary
                .contains("BLOCKED by Outlook.com: Blocked due to user complaints"),
            "{}",
            r.summary
        );
        let r = Snds::run("ip", &Params::new(&[("ip", "192.0.2.8")])).unwrap();
        assert_eq!(r.status, Status::Pass, "{}", r.summary);
        let r = Snds::run("ip", &Params::new(&[("ip", "198.51.100.1")])).unwrap();
        assert_eq!(r.status, Status::Unknown);
        let r = Snds::run("ip", &Params::new(&[("ip", "2001:db8::1")])).unwrap();
        assert_eq!(r.status, Status::Unknown);
    }

    #[test]
    fn rates_and_dates() {
        assert_eq!(rate("< 0.1%"), 0.0);
        assert!((rate("0.5%") - 0.005).abs() < 1e-12);
        assert!(sortable("11/26/2026 1:08 AM") < sortable("11/26/2026 9:00 PM"));
        assert!(sortable("12/31/2025 9:00 PM") < sortable("1/1/2026 8:00 AM"));
    }
}
