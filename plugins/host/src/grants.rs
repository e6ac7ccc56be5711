//! Grants: what a plugin may reach. Nothing is granted by default.
//!
//! A plugin's grants name the DNS zones it may query (`zen.spamhaus.org`
//! grants that name and every name under it; `*` grants any name, for
//! checks such as SPF whose names come from the input), the data files it
//! may read by name, the HTTP hosts it may GET from (with a credential the
//! host adds, so the plugin never sees it), and its memory cap and time
//! budget.
//!
//! **Grants come from the site only**: bouncedx's own defaults (the zones
//! of the standard blocklists to `dnsbl`, any name to `auth`), the site
//! config (`--config`, `$BOUNCEDX_CONFIG`), and the command line (`--grant
//! PACK`, `--zone`, `--data`); they add up. A rule pack written by someone
//! else may only *request* grants (`requests:` in its `pack.yaml`): a
//! request is shown by `check` and `plugin list` and has no effect until
//! the site grants it (`bouncedx plugin grant PACK` writes it into the site
//! config; `--grant PACK` grants it for one run). Otherwise a pack could
//! hand its own plugin `/etc/shadow`, the cloud metadata address or an
//! environment variable sent to a host of its choosing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The default memory cap of one plugin instance.
pub const DEFAULT_MEMORY_MB: u64 = 64;
/// The default time budget of one check call.
pub const DEFAULT_TIME_MS: u64 = 2_000;

/// What one plugin may reach.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// DNS zones (suffixes) it may query; `*` for any name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    /// Data files by the name the plugin asks for.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, PathBuf>,
    /// HTTP hosts (`host` or `host:port`) it may GET from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<String>,
    /// Environment variable holding a bearer token the host sends to the
    /// granted HTTP hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_token_env: Option<String>,
    /// Memory cap in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Time budget per call in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<u64>,
}

impl Grants {
    /// Nothing granted at all: the plugin's checks are skipped.
    pub fn is_empty(&self) -> bool {
        self.dns.is_empty() && self.data.is_empty() && self.http.is_empty()
    }

    /// Adds `other`'s grants to these; budgets take the other's value when set.
    pub fn merge(&mut self, other: &Grants) {
        for z in &other.dns {
            if !self.dns.contains(z) {
                self.dns.push(z.clone());
            }
        }
        for (k, v) in &other.data {
            self.data.insert(k.clone(), v.clone());
        }
        for h in &other.http {
            if !self.http.contains(h) {
                self.http.push(h.clone());
            }
        }
        if other.http_token_env.is_some() {
            self.http_token_env = other.http_token_env.clone();
        }
        if other.memory_mb.is_some() {
            self.memory_mb = other.memory_mb;
        }
        if other.time_ms.is_some() {
            self.time_ms = other.time_ms;
        }
    }

    pub fn memory_bytes(&self) -> usize {
        (self.memory_mb.unwrap_or(DEFAULT_MEMORY_MB) as usize).saturating_mul(1 << 20)
    }

    pub fn time_ms(&self) -> u64 {
        self.time_ms.unwrap_or(DEFAULT_TIME_MS)
    }

    /// Whether these grants already give everything `request` asks for
    /// (budgets: at least as much).
    pub fn covers(&self, request: &Grants) -> bool {
        request
            .dns
            .iter()
            .all(|z| self.dns.contains(z) || self.dns.iter().any(|g| g == "*"))
            && request
                .data
                .iter()
                .all(|(k, v)| self.data.get(k).is_some_and(|g| g == v))
            && request.http.iter().all(|h| self.http.contains(h))
            && (request.http_token_env.is_none() || request.http_token_env == self.http_token_env)
            && request
                .memory_mb
                .is_none_or(|m| self.memory_mb.is_some_and(|g| g >= m))
            && request
                .time_ms
                .is_none_or(|t| self.time_ms.is_some_and(|g| g >= t))
    }

    /// The grants in words, one part per kind (`dns *`, `data x=/p`, ...),
    /// data files with their paths so a site sees what it gives away.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.dns.is_empty() {
            out.push(format!("dns {}", self.dns.join(", ")));
        }
        if !self.data.is_empty() {
            let files: Vec<String> = self
                .data
                .iter()
                .map(|(k, v)| format!("{k}={}", v.display()))
                .collect();
            out.push(format!("data {}", files.join(", ")));
        }
        if !self.http.is_empty() {
            out.push(format!("http {}", self.http.join(", ")));
        }
        if let Some(env) = &self.http_token_env {
            out.push(format!("the token in ${env} sent to those hosts"));
        }
        if let Some(m) = self.memory_mb {
            out.push(format!("memory {m} MiB"));
        }
        if let Some(t) = self.time_ms {
            out.push(format!("{t} ms per call"));
        }
        out
    }

    /// What in these grants deserves a second look before a site gives them
    /// (a request from a pack): any DNS name, files outside `pack_dir`,
    /// HTTP to an address rather than a name (the cloud metadata service is
    /// `169.254.169.254`), a credential, budgets past the defaults.
    pub fn risks(&self, pack_dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        if self.dns.iter().any(|z| z.trim() == "*") {
            out.push(
                "`dns: [\"*\"]` lets the plugin look up any name (and so signal out through DNS)"
                    .into(),
            );
        }
        for (name, path) in &self.data {
            let inside = path.is_relative()
                && !path
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir));
            if !inside {
                out.push(format!(
                    "data `{name}` is {}, outside the pack's folder {}",
                    path.display(),
                    pack_dir.display()
                ));
            }
        }
        for h in &self.http {
            let host = h.rsplit_once(':').map_or(h.as_str(), |(host, _)| host);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.parse::<std::net::IpAddr>().is_ok() || host.eq_ignore_ascii_case("localhost") {
                out.push(format!(
                    "http to `{h}`, an address rather than a service's name"
                ));
            }
        }
        if let Some(env) = &self.http_token_env {
            out.push(format!(
                "`http_token_env: {env}` sends that environment variable to {}",
                if self.http.is_empty() {
                    "no host yet".to_string()
                } else {
                    self.http.join(", ")
                }
            ));
        }
        if self.memory_mb.is_some_and(|m| m > DEFAULT_MEMORY_MB * 4) {
            out.push(format!(
                "{} MiB of memory per instance",
                self.memory_mb.unwrap_or_default()
            ));
        }
        if self.time_ms.is_some_and(|t| t > DEFAULT_TIME_MS * 5) {
            out.push(format!("{} ms per call", self.time_ms.unwrap_or_default()));
        }
        out
    }

    /// Whether a DNS name is inside a granted zone.
    pub fn allows_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.dns.iter().any(|z| {
            let z = z.trim_end_matches('.').to_ascii_lowercase();
            z == "*" || name == z || name.ends_with(&format!(".{z}"))
        })
    }

    /// Whether an HTTP authority (`host` or `host:port`) is granted.
    pub fn allows_host(&self, authority: &str) -> bool {
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        self.http
            .iter()
            .any(|g| g.eq_ignore_ascii_case(authority) || g.eq_ignore_ascii_case(host))
    }
}

/// The site config: grants per plugin. (Plugin components come with the
/// packs that use them, `plugins:` in `pack.yaml`, or `--plugin`.)
///
/// ```yaml
/// plugins:
///   dnsbl:
///     dns: [zen.spamhaus.org, b.barracudacentral.org]
///   postmaster:
///     data: { postmaster: /var/lib/bouncedx/postmaster.json }
///     http: [gmailpostmastertools.googleapis.com]
///     http_token_env: POSTMASTER_TOKEN
/// ```
///
/// `default_grants: false` turns off bouncedx's own defaults (the standard
/// blocklist zones to `dnsbl`, any name to `auth`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_grants: Option<bool>,
    #[serde(default)]
    pub plugins: BTreeMap<String, Grants>,
}
