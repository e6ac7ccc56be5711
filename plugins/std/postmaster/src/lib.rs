//! # The `postmaster` plugin: what Google Postmaster Tools says of a domain
//!
//! Gmail rarely says why it rejects beyond "suspicious" or "low
//! reputation". Postmaster Tools has the numbers behind it, per domain and
//! day: domain and IP reputation (HIGH, MEDIUM, LOW, BAD), the
//! user-reported spam rate (Gmail asks senders to stay under 0.1% and
//! enforces at 0.3%), SPF/DKIM/DMARC success ratios and the delivery
//! errors Gmail returned.
//!
//! The check `domain` (`domain=`, optional `ip=`) reads the latest day for
//! the domain from the data file `postmaster` (an export of the v1 API:
//! one `TrafficStats` object, a list of them, or the API's
//! `{"trafficStats": [...]}` page). Without that file it asks the API
//! itself, `GET /v1/domains/{domain}/trafficStats`, through a granted host;
//! the site's OAuth token is added by the host. Field names and meanings:
//! `shared/reference/domain-notes.md` §4.1.

use bouncedx_plugin_sdk::{host, CheckInfo, CheckResult, Params, Plugin, PluginInfo, Status};
use serde_json::Value;

/// The v1 API's base URL.
pub const API: &str = "https://gmailpostmastertools.googleapis.com";

/// Gmail's spam-rate lines: aim below 0.1%, never reach 0.3%.
pub const SPAM_AIM: f64 = 0.001;
pub const SPAM_LIMIT: f64 = 0.003;

pub struct Postmaster;

impl Plugin for Postmaster {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "postmaster",
            env!("CARGO_PKG_VERSION"),
            "Reads Google Postmaster Tools traffic stats for a domain: reputation, spam rate, authentication, delivery errors",
        )
        .check(
            CheckInfo::new("domain", "The latest Postmaster Tools day for the domain, judged against Gmail's sender guidelines")
                .required("domain", "the sending domain, as verified in Postmaster Tools")
                .optional("ip", "a sending IP to look for among the sample IPs")
                .optional("api", "the API's base URL (default https://gmailpostmastertools.googleapis.com)"),
        )
    }

    fn run(check: &str, params: &Params) -> Result<CheckResult, String> {
        if check != "domain" {
            return Err(format!("unknown check `{check}` (postmaster has domain)"));
        }
        let domain = params
            .required("domain")?
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let (stats, source) = match host::data("postmaster") {
            Ok(bytes) => (
                serde_json::from_slice::<Value>(&bytes)
                    .map_err(|e| format!("the postmaster data file is not JSON: {e}"))?,
                "the postmaster data file".to_string(),
            ),
            Err(_) => {
                let base = params.get("api").unwrap_or(API).trim_end_matches('/');
                let url = format!("{base}/v1/domains/{domain}/trafficStats?pageSize=30");
                let resp = host::http_get(&url)?;
                match resp.status {
                    200 => {}
                    401 | 403 => {
                        return Err(format!(
                            "the Postmaster Tools API refused the request (HTTP {}): check the token and that {domain} is verified for its account",
                            resp.status
                        ))
                    }
                    404 => {
                        return Ok(CheckResult::unknown(format!(
                            "Postmaster Tools does not know {domain} (HTTP 404): add and verify the domain at https://postmaster.google.com/"
                        )))
                    }
                    s => return Err(format!("the Postmaster Tools API answered HTTP {s}")),
                }
                (
                    serde_json::from_slice::<Value>(&resp.body).map_err(|e| {
                        format!("the Postmaster Tools API answered something that is not JSON: {e}")
                    })?,
                    "the Postmaster Tools API".to_string(),
                )
            }
        };
        Ok(judge(&domain, &stats, params.get("ip"), &source))
    }
}

/// The day's entries for a domain, latest first.
fn days<'a>(stats: &'a Value, domain: &str) -> Vec<&'a Value> {
    let list: Vec<&Value> = match stats {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) if o.contains_key("trafficStats") => o["trafficStats"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        v @ Value::Object(_) => vec![v],
        _ => Vec::new(),
    };
    let prefix = format!("domains/{domain}/trafficStats/");
    let mut mine: Vec<&Value> = list
        .into_iter()
        .filter(|v| v["name"].as_str().is_some_and(|n| n.starts_with(&prefix)))
        .collect();
    mine.sort_by(|a, b| b["name"].as_str().cmp(&a["name"].as_str()));
    mine
}

fn pct(r: f64) -> String {
    let p = r * 100.0;
    if p < 0.1 {
        format!("{p:.3}%")
    } else {
        format!("{p:.2}%")
    }
}

fn worse(a: Status, b: Status) -> Status {
    let rank = |s| match s {
        Status::Pass => 0,
        Status::Unknown => 1,
        Status::Warn => 2,
        Status::Fail => 3,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Judges the latest day against Gmail's guidelines.
pub fn judge(domain: &str, stats: &Value, ip: Option<&str>, source: &str) -> CheckResult {
    let days = days(stats, domain);
    let Some(day) = days.first() else {
        return CheckResult::unknown(format!(
            "{source} has no day for {domain}: the domain must be verified in Postmaster Tools, and days with little Gmail traffic have no data"
        ));
    };
    let date = day["name"]
        .as_str()
        .and_then(|n| n.rsplit('/').next())
        .unwrap_or("")
        .to_string();
    let mut status = Status::Pass;
    let mut notes: Vec<String> = Vec::new();
    let mut r = CheckResult::pass("").fact("date", &date);
    if let Some(rep) = day["domainReputation"].as_str() {
        let s = match rep {
            "HIGH" => Status::Pass,
            "MEDIUM" => Status::Warn,
            "LOW" | "BAD" => Status::Fail,
            _ => Status::Unknown,
        };
        status = worse(status, s);
        notes.push(format!("domain reputation {rep}"));
        r = r.fact("domain_reputation", rep);
    }
    if let Some(spam) = day["userReportedSpamRatio"].as_f64() {
        let s = if spam >= SPAM_LIMIT {
            notes.push(format!("spam rate {} is over Gmail's 0.3% line", pct(spam)));
            Status::Fail
        } else if spam >= SPAM_AIM {
            notes.push(format!(
                "spam rate {} is above the 0.1% Gmail asks for",
                pct(spam)
            ));
            Status::Warn
        } else {
            notes.push(format!("spam rate {}", pct(spam)));
            Status::Pass
        };
        status = worse(status, s);
        r = r.fact("spam_rate", spam);
    }
    for (field, name) in [
        ("spfSuccessRatio", "spf"),
        ("dkimSuccessRatio", "dkim"),
        ("dmarcSuccessRatio", "dmarc"),
    ] {
        if let Some(v) = day[field].as_f64() {
            r = r.fact(format!("{name}_success"), v);
            if v < 0.95 {
                status = worse(status, Status::Warn);
                notes.push(format!(
                    "{} passes for only {}",
                    name.to_uppercase(),
                    pct(v)
                ));
            }
        }
    }
    let mut bad_ips = 0;
    if let Some(reps) = day["ipReputations"].as_array() {
        for rep in reps {
            let cat = rep["reputation"].as_str().unwrap_or("");
            let count = rep["ipCount"]
                .as_str()
                .and_then(|c| c.parse::<u64>().ok())
                .or_else(|| rep["ipCount"].as_u64())
                .unwrap_or(0);
            if matches!(cat, "LOW" | "BAD") {
                bad_ips += count;
            }
            if let Some(ip) = ip {
                if rep["sampleIps"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|x| x.as_str() == Some(ip)))
                {
                    r = r.fact("ip_reputation", cat);
                    notes.push(format!("{ip} is in the {cat} bucket"));
                    if matches!(cat, "LOW" | "BAD") {
                        status = worse(status, Status::Fail);
                    }
                }
            }
        }
        r = r.fact("low_or_bad_ips", bad_ips);
        if bad_ips > 0 {
            status = worse(status, Status::Warn);
            notes.push(format!(
                "{bad_ips} IP{} with LOW or BAD reputation",
                if bad_ips == 1 { "" } else { "s" }
            ));
        }
    }
    if let Some(errors) = day["deliveryErrors"].as_array() {
        let mut list: Vec<(String, f64)> = errors
            .iter()
            .map(|e| {
                (
                    format!(
                        "{} {}",
                        e["errorClass"]
                            .as_str()
                            .unwrap_or("")
                            .replace("_ERROR", "")
                            .to_lowercase(),
                        e["errorType"].as_str().unwrap_or("")
                    ),
                    e["errorRatio"].as_f64().unwrap_or(0.0),
                )
            })
            .collect();
        list.sort_by(|a, b| b.1.total_cmp(&a.1));
        if let Some((what, ratio)) = list.first() {
            notes.push(format!("top delivery error {what} at {}", pct(*ratio)));
        }
        r = r.fact(
            "delivery_errors",
            list.iter()
                .map(|(w, ratio)| format!("{w}={ratio}"))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    r.status = status;
    r.summary = format!(
        "Postmaster Tools for {domain} on {date}: {}",
        notes.join("; ")
    );
    r
}

bouncedx_plugin_sdk::plugin!(Postmaster);

#[cfg(test)]
mod tests {
    use super::*;
    use bouncedx_plugin_sdk::testing::Stand;

    const EXPORT: &str = r#"{"trafficStats": [
      {"name": "domains/example.com/trafficStats/20261125", "domainReputation": "HIGH", "userReportedSpamRatio": 0.0004},
      {"name": "domains/example.com/trafficStats/20261126", "domainReputation": "LOW", "userReportedSpamRatio": 0.0042,
       "spfSuccessRatio": 1.0, "dkimSuccessRatio": 0.99, "dmarcSuccessRatio": 0.8,
       "ipReputations": [{"reputation": "BAD", "ipCount": "2", "sampleIps": ["192.0.2.7"]}, {"reputation": "HIGH", "ipCount": "5"}],
       "deliveryErrors": [{"errorClass": "PERMANENT_ERROR", "errorType": "LOW_DOMAIN_REPUTATION", "errorRatio": 0.12},
                          {"errorClass": "TEMPORARY_ERROR", "errorType": "RATE_LIMIT_EXCEEDED", "errorRatio": 0.03}]}
    ]}"#;

    #[test]
    fn latest_day_judged() {
        Stand::new().file("postmaster", EXPORT.as_bytes()).install();
        let r = Postmaster::run(
            "domain",
            &Params::new(&[("domain", "example.com"), ("ip", "192.0.2.7")]),
        )
        .unwrap();
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.get("date"), Some("20261126"));
        assert_eq!(r.get("domain_reputation"), Some("LOW"));
        assert_eq!(r.get("ip_reputation"), Some("BAD"));
        assert!(
            r.summary
                .contains("spam rate 0.42% is over Gmail's 0.3% line"),
            "{}",
            r.summary
        );
        assert!(
            r.summary
                .contains("top delivery error permanent LOW_DOMAIN_REPUTATION at 12.00%"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn unknown_domain_and_api_fallback() {
        Stand::new().file("postmaster", EXPORT.as_bytes()).install();
        let r = Postmaster::run("domain", &Params::new(&[("domain", "other.example")])).unwrap();
        assert_eq!(r.status, Status::Unknown);
        Stand::new()
            .page(
                "http://127.0.0.1:9/v1/domains/example.com/trafficStats?pageSize=30",
                200,
                br#"{"trafficStats":[{"name":"domains/example.com/trafficStats/20261126","domainReputation":"HIGH","userReportedSpamRatio":0.0002}]}"#,
            )
            .install();
        let r = Postmaster::run(
            "domain",
            &Params::new(&[("domain", "example.com"), ("api", "http://127.0.0.1:9")]),
        )
        .unwrap();
        assert_eq!(r.status, Status::Pass, "{}", r.summary);
    }
}
