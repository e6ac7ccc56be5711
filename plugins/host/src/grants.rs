//! Grants: what a plugin may reach. Nothing is granted by default.
//!
//! A plugin's grants name the DNS zones it may query (`zen.spamhaus.org`
//! grants that name and every name under it; `*` grants any name, for
//! checks such as SPF whose names come from the input), the data files it
//! may read by name, the HTTP hosts it may GET from (with a credential the
//! host adds, so the plugin never sees it), and its memory cap and time
//! budget. Grants come from a pack manifest (`grants:`), the site config
//! (`--config`) and the command line (`--zone`, `--data`); they add up.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The default memory cap of one plugin instance.
pub const DEFAULT_MEMORY_MB: u64 = 64;
/// The default time budget of one check call.
pub const DEFAULT_TIME_MS: u64 = 2_000;

/// What one plugin may reach.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// DNS zones (suffixes) it may query; `*` for any name.
    #[serde(default)]
    pub dns: Vec<String>,
    /// Data files by the name the plugin asks for.
    #[serde(default)]
    pub data: BTreeMap<String, PathBuf>,
    /// HTTP hosts (`host` or `host:port`) it may GET from.
    #[serde(default)]
    pub http: Vec<String>,
    /// Environment variable holding a bearer token the host sends to the
    /// granted HTTP hosts.
    #[serde(default)]
    pub http_token_env: Option<String>,
    /// Memory cap in MiB.
    #[serde(default)]
    pub memory_mb: Option<u64>,
    /// Time budget per call in milliseconds.
    #[serde(default)]
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    #[serde(default)]
    pub plugins: BTreeMap<String, Grants>,
}
