//! Counters for `GET /metrics`, in the Prometheus text format.
//!
//! Requests by endpoint and status, a latency histogram by endpoint, and
//! diagnoses by category, what they concern and reason. Plain atomics and a mutex-guarded map:
//! the service counts a few things per request, nothing per byte.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Everything `/metrics` reports.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// (category, concerns, reason) -> count
    diagnoses: Mutex<BTreeMap<(String, &'static str, String), u64>>,
    reloads: Mutex<(u64, u64)>,
}

/// The endpoint name a path is counted under (as the handlers name
/// themselves), for answers given before a handler runs (503, 408, 413).
pub fn route_of(path: &str) -> &'static str {
    match path {
        "/v1/diagnose" => "diagnose",
        "/v1/scan" => "scan",
        "/v1/explain" => "explain",
        "/v1/rules" => "rules",
        "/v1/reload" => "reload",
        "/healthz" => "healthz",
        "/metrics" => "metrics",
        "/" => "page",
        _ => "other",
    }
}

impl Metrics {
    /// Counts one request and its latency.
    pub fn request(&self, endpoint: &str, status: u16, took: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((endpoint.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(endpoint.to_string()).or_insert_with(|| Histogram {
                counts: vec![0; BUCKETS.len()],
                ..Histogram::default()
            });
            let secs = took.as_secs_f64();
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += secs;
            h.count += 1;
        }
    }

    /// Counts one diagnosis.
    /// `concerns` is `none` when no rule fired.
    pub fn diagnosis(
        &self,
        category: &str,
        concerns: Option<bouncedx_dsl::ir::Concerns>,
        reason: &str,
    ) {
        if let Ok(mut d) = self.diagnoses.lock() {
            *d.entry((
                category.to_string(),
                concerns.map_or("none", |c| c.word()),
                reason.to_string(),
            ))
            .or_default() += 1;
        }
    }

    /// Counts a reload, good or refused.
    pub fn reload(&self, ok: bool) {
        if let Ok(mut r) = self.reloads.lock() {
            if ok {
                r.0 += 1;
            } else {
                r.1 += 1;
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut o = String::new();
        o.push_str("# HELP bouncedx_requests_total Requests served, by endpoint and HTTP status.\n# TYPE bouncedx_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((e, s), n) in r.iter() {
                o.push_str(&format!(
                    "bouncedx_requests_total{{endpoint=\"{e}\",status=\"{s}\"}} {n}\n"
                ));
            }
        }
        o.push_str("# HELP bouncedx_request_seconds Time to answer, by endpoint.\n# TYPE bouncedx_request_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for (e, h) in l.iter() {
                for (i, b) in BUCKETS.iter().enumerate() {
                    o.push_str(&format!(
                        "bouncedx_request_seconds_bucket{{endpoint=\"{e}\",le=\"{b}\"}} {}\n",
                        h.counts[i]
                    ));
                }
                o.push_str(&format!(
                    "bouncedx_request_seconds_bucket{{endpoint=\"{e}\",le=\"+Inf\"}} {}\n",
                    h.count
                ));
                o.push_str(&format!(
                    "bouncedx_request_seconds_sum{{endpoint=\"{e}\"}} {}\n",
                    h.sum
                ));
                o.push_str(&format!(
                    "bouncedx_request_seconds_count{{endpoint=\"{e}\"}} {}\n",
                    h.count
                ));
            }
        }
        o.push_str("# HELP bouncedx_diagnoses_total Diagnoses given, by category, what they concern and reason.\n# TYPE bouncedx_diagnoses_total counter\n");
        if let Ok(d) = self.diagnoses.lock() {
            for ((c, k, r), n) in d.iter() {
                o.push_str(&format!(
                    "bouncedx_diagnoses_total{{category=\"{c}\",concerns=\"{k}\",reason=\"{r}\"}} {n}\n"
                ));
            }
        }
        o.push_str("# HELP bouncedx_reloads_total Rule reloads, by result.\n# TYPE bouncedx_reloads_total counter\n");
        if let Ok(r) = self.reloads.lock() {
            o.push_str(&format!(
                "bouncedx_reloads_total{{result=\"ok\"}} {}\n",
                r.0
            ));
            o.push_str(&format!(
                "bouncedx_reloads_total{{result=\"refused\"}} {}\n",
                r.1
            ));
        }
        o
    }
}
