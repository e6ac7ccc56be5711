//! Native stand-ins for the host, for a plugin's own `cargo test`.
//!
//! Fill a [`Stand`] with the DNS answers, data files and HTTP responses a
//! test needs and install it; [`crate::host`] answers from it on this
//! thread. Anything not in the stand is refused the way an ungranted
//! request is refused by the real host.
//!
//! ```
//! use bouncedx_plugin_sdk::{host, testing::Stand};
//! Stand::new().dns("2.0.0.127.zen.spamhaus.org", host::RecordType::A, &["127.0.0.2"]).install();
//! assert_eq!(host::dns("2.0.0.127.zen.spamhaus.org", host::RecordType::A).unwrap(), ["127.0.0.2"]);
//! assert!(host::dns("example.com", host::RecordType::A).unwrap().is_empty());
//! ```

use crate::host::{HttpResponse, LogLevel, RecordType};
use std::cell::RefCell;
use std::collections::HashMap;

/// What the host answers in a native test.
#[derive(Debug, Default, Clone)]
pub struct Stand {
    records: HashMap<(String, RecordType), Vec<String>>,
    files: HashMap<String, Vec<u8>>,
    pages: HashMap<String, HttpResponse>,
    /// Zones the stand answers for; names outside them are refused as the
    /// host refuses names outside the grant. Empty: every name.
    pub zones: Vec<String>,
    pub now_ms: u64,
    /// What the plugin logged.
    pub logged: Vec<(LogLevel, String)>,
}

thread_local! {
    static STAND: RefCell<Stand> = RefCell::new(Stand::default());
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn with_stand<T>(f: impl FnOnce(&mut Stand) -> T) -> T {
    STAND.with(|s| f(&mut s.borrow_mut()))
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
impl Stand {
    pub fn new() -> Stand {
        Stand {
            now_ms: 1_790_000_000_000,
            ..Stand::default()
        }
    }
    /// Adds answers for a name and type.
    pub fn dns(mut self, name: &str, rtype: RecordType, answers: &[&str]) -> Stand {
        self.records
            .entry((name.trim_end_matches('.').to_ascii_lowercase(), rtype))
            .or_default()
            .extend(answers.iter().map(|a| a.to_string()));
        self
    }
    /// Restricts the names answered to these zones.
    pub fn zones(mut self, zones: &[&str]) -> Stand {
        self.zones = zones.iter().map(|z| z.to_string()).collect();
        self
    }
    /// Grants a data file.
    pub fn file(mut self, name: &str, bytes: &[u8]) -> Stand {
        self.files.insert(name.into(), bytes.to_vec());
        self
    }
    /// Serves `body` with `status` for a URL.
    pub fn page(mut self, url: &str, status: u16, body: &[u8]) -> Stand {
        self.pages.insert(
            url.into(),
            HttpResponse {
                status,
                body: body.to_vec(),
            },
        );
        self
    }
    /// Makes this stand the one [`crate::host`] answers from on this thread.
    pub fn install(self) {
        with_stand(|s| *s = self);
    }
    /// What the plugin logged since the stand was installed.
    pub fn logged() -> Vec<(LogLevel, String)> {
        with_stand(|s| s.logged.clone())
    }

    pub(crate) fn dns_answer(&self, name: &str, rtype: RecordType) -> Result<Vec<String>, String> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let inside = self.zones.is_empty()
            || self
                .zones
                .iter()
                .any(|z| name == *z || name.ends_with(&format!(".{z}")));
        if !inside {
            return Err(format!(
                "not granted: DNS name {name} is outside the granted zones"
            ));
        }
        Ok(self
            .records
            .get(&(name, rtype))
            .cloned()
            .unwrap_or_default())
    }
    pub(crate) fn file_bytes(&self, name: &str) -> Result<Vec<u8>, String> {
        self.files
            .get(name)
            .cloned()
            .ok_or_else(|| format!("not granted: no data file named `{name}`"))
    }
    pub(crate) fn page_for(&self, url: &str) -> Result<HttpResponse, String> {
        self.pages
            .get(url)
            .cloned()
            .ok_or_else(|| format!("not granted: no HTTP access to {url}"))
    }
}
