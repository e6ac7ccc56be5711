//! What a plugin may ask of bouncedx. Every call is checked against the
//! grants of the site: a DNS name outside the granted zones, a data file or
//! an HTTP host not granted is refused, and the check ends as `error`.
//!
//! In a WebAssembly build these call the host; in a native build (a
//! plugin's own `cargo test`) they answer from the [`crate::testing::Stand`]
//! the test installed.

/// The DNS record types a plugin may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    A,
    Aaaa,
    Txt,
    Ptr,
}

/// Log levels; the host prints them with the plugin's name under `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::*;
    use crate::bindings::bouncedx::plugin::host as wit;

    pub fn dns(name: &str, rtype: RecordType) -> Result<Vec<String>, String> {
        let t = match rtype {
            RecordType::A => wit::RecordType::A,
            RecordType::Aaaa => wit::RecordType::Aaaa,
            RecordType::Txt => wit::RecordType::Txt,
            RecordType::Ptr => wit::RecordType::Ptr,
        };
        wit::dns_query(name, t)
    }
    pub fn data(name: &str) -> Result<Vec<u8>, String> {
        wit::read_data(name)
    }
    pub fn http_get(url: &str) -> Result<HttpResponse, String> {
        wit::http_get(url).map(|r| HttpResponse {
            status: r.status,
            body: r.body,
        })
    }
    pub fn now_ms() -> u64 {
        wit::now_unix_ms()
    }
    pub fn log(level: LogLevel, message: &str) {
        let l = match level {
            LogLevel::Debug => wit::LogLevel::Debug,
            LogLevel::Info => wit::LogLevel::Info,
            LogLevel::Warn => wit::LogLevel::Warn,
            LogLevel::Error => wit::LogLevel::Error,
        };
        wit::log(l, message)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;
    use crate::testing::with_stand;

    pub fn dns(name: &str, rtype: RecordType) -> Result<Vec<String>, String> {
        with_stand(|s| s.dns_answer(name, rtype))
    }
    pub fn data(name: &str) -> Result<Vec<u8>, String> {
        with_stand(|s| s.file_bytes(name))
    }
    pub fn http_get(url: &str) -> Result<HttpResponse, String> {
        with_stand(|s| s.page_for(url))
    }
    pub fn now_ms() -> u64 {
        with_stand(|s| s.now_ms)
    }
    pub fn log(level: LogLevel, message: &str) {
        with_stand(|s| s.logged.push((level, message.to_string())))
    }
}

/// Answers for `name`: addresses, TXT strings (the strings of one record
/// joined) or names. Empty when the name does not exist.
pub fn dns(name: &str, rtype: RecordType) -> Result<Vec<String>, String> {
    imp::dns(name, rtype)
}

/// The bytes of the data file granted under `name`.
pub fn data(name: &str) -> Result<Vec<u8>, String> {
    imp::data(name)
}

/// GET a URL on a granted host. The host adds the credentials the site
/// configured for that host; the plugin never sees them.
pub fn http_get(url: &str) -> Result<HttpResponse, String> {
    imp::http_get(url)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    imp::now_ms()
}

/// Writes a line to the host's log.
pub fn log(level: LogLevel, message: &str) {
    imp::log(level, message)
}

/// The name an IP is looked up under in reverse zones and DNS blocklists:
/// `192.0.2.7` → `7.2.0.192`; IPv6 → its 32 nibbles reversed, dotted.
/// Append `.in-addr.arpa` / `.ip6.arpa` for PTR, or a blocklist's zone.
pub fn reversed(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
        }
        std::net::IpAddr::V6(v6) => {
            let mut parts = Vec::with_capacity(32);
            for b in v6.octets().iter().rev() {
                parts.push(format!("{:x}", b & 0x0f));
                parts.push(format!("{:x}", b >> 4));
            }
            parts.join(".")
        }
    }
}
