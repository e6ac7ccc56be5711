//! HTTP GET for plugins, to granted hosts only.
//!
//! Postmaster Tools and SNDS have HTTP APIs. A plugin asks the host to GET
//! a URL; the host checks the URL's host against the grant, adds the bearer
//! token the site configured (read from an environment variable, so the
//! plugin never sees it), applies a timeout and a size cap, and returns the
//! status and body. Redirects are not followed: a redirect to another host
//! would step outside the grant.

use std::io::Read;
use std::time::Duration;

/// The largest body a plugin may receive.
pub const MAX_BODY: u64 = 8 << 20;

/// The `host[:port]` part of an http(s) URL.
pub fn authority(url: &str) -> Result<&str, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("only http:// and https:// URLs can be fetched, not {url}"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    if auth.is_empty() || auth.contains('@') {
        return Err(format!("the URL {url} has no plain host"));
    }
    Ok(auth)
}

/// Percent-encodes a value for a query string.
pub fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GETs `url` with an optional bearer token.
pub fn get(url: &str, token: Option<&str>, timeout: Duration) -> Result<(u16, Vec<u8>), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut req = agent.get(url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = req.call().map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("GET {url}: reading the body: {e}"))?;
    if body.len() as u64 > MAX_BODY {
        return Err(format!(
            "GET {url}: the body is over {} MiB",
            MAX_BODY >> 20
        ));
    }
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn authority_of_urls() {
        assert_eq!(authority("https://a.example/v1/x?y").unwrap(), "a.example");
        assert_eq!(
            authority("http://127.0.0.1:8080/p").unwrap(),
            "127.0.0.1:8080"
        );
        assert!(authority("file:///etc/passwd").is_err());
        assert!(authority("http://user@evil.example/").is_err());
    }
}
