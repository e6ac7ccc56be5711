//! `Authentication-Results` headers (RFC 8601): what the receiving server
//! concluded about SPF, DKIM and DMARC.
//!
//! ```text
//! Authentication-Results: mx.google.com;
//!        dkim=pass header.i=@example.com header.s=s1;
//!        spf=softfail (google.com: domain of transitioning a@example.com does
//!            not designate 192.0.2.7 as permitted sender) smtp.mailfrom=a@example.com;
//!        dmarc=fail (p=REJECT sp=REJECT dis=REJECT) header.from=example.com
//! ```
//!
//! The header is `authserv-id; method=result (comment) property=value; ...`.
//! [`verdicts`] reads every such header of a message and returns one verdict
//! per method as a check verdict (`auth.spf`, `auth.dkim`, `auth.dmarc`), so
//! a rule that runs `check auth.dmarc(...)` and tests `check auth.dmarc is
//! fail` gets its answer from the message itself before any DNS lookup.
//!
//! Results map to verdicts: `pass` → pass; `fail`, `permerror` → fail;
//! `softfail`, `neutral`, `none`, `policy` → warn; `temperror` → error.
//! With several results for one method (two DKIM signatures, two hops), a
//! `pass` wins for DKIM (one valid signature is enough) and the first header
//! (the one nearest the recipient) wins otherwise.

/// One method's verdict, and the text it came from (for evidence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthVerdict {
    /// `auth.spf`, `auth.dkim` or `auth.dmarc`.
    pub check: &'static str,
    /// `pass`, `fail`, `warn` or `error`.
    pub verdict: &'static str,
    /// The `method=result ...` clause as written.
    pub clause: String,
}

fn verdict_of(result: &str) -> Option<&'static str> {
    Some(match result {
        "pass" => "pass",
        "fail" | "hardfail" | "permerror" => "fail",
        "softfail" | "neutral" | "none" | "policy" => "warn",
        "temperror" => "error",
        _ => return None,
    })
}

/// Removes `(comments)`, which may hold `;` and `=`.
fn strip_comments(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut depth = 0usize;
    for c in v.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Verdicts from the values of every `Authentication-Results` header, in
/// the order the headers appear (nearest the recipient first).
pub fn verdicts<'a>(headers: impl IntoIterator<Item = &'a str>) -> Vec<AuthVerdict> {
    let mut out: Vec<AuthVerdict> = Vec::new();
    for value in headers {
        let clean = strip_comments(value);
        // the first element is the authserv-id
        for clause in clean.split(';').skip(1) {
            let clause = clause.split_whitespace().collect::<Vec<_>>().join(" ");
            let Some((method, rest)) = clause.split_once('=') else {
                continue;
            };
            let check = match method.trim().to_ascii_lowercase().as_str() {
                "spf" => "auth.spf",
                "dkim" => "auth.dkim",
                "dmarc" => "auth.dmarc",
                _ => continue,
            };
            let result = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let Some(verdict) = verdict_of(&result) else {
                continue;
            };
            match out.iter_mut().find(|v| v.check == check) {
                Some(prev)
                    if check == "auth.dkim" && verdict == "pass" && prev.verdict != "pass" =>
                {
                    prev.verdict = verdict;
                    prev.clause = clause.clone();
                }
                Some(_) => {}
                None => out.push(AuthVerdict {
                    check,
                    verdict,
                    clause: clause.clone(),
                }),
            }
        }
    }
    out
}

/// The values of the `Authentication-Results` headers in a raw header block.
pub fn header_values(block: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in crate::intake::lines(block) {
        if line.starts_with([' ', '\t']) {
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(line.trim());
            }
            continue;
        }
        if let Some(done) = current.take() {
            out.push(done);
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("authentication-results") {
                current = Some(value.trim().to_string());
            }
        }
        if line.trim().is_empty() {
            break;
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_style_header() {
        let block = "Received: from x\nAuthentication-Results: mx.google.com;\n       dkim=pass header.i=@example.com header.s=s1;\n       spf=softfail (google.com: domain of a@example.com does not designate 192.0.2.7; odd) smtp.mailfrom=a@example.com;\n       dmarc=fail (p=REJECT sp=REJECT dis=REJECT) header.from=example.com\nSubject: hi\n\nbody dmarc=pass";
        let vs = verdicts(header_values(block).iter().map(String::as_str));
        let get = |c: &str| vs.iter().find(|v| v.check == c).map(|v| v.verdict);
        assert_eq!(get("auth.dkim"), Some("pass"));
        assert_eq!(get("auth.spf"), Some("warn"));
        assert_eq!(get("auth.dmarc"), Some("fail"));
        assert!(vs.iter().any(|v| v.clause.starts_with("dmarc=fail")));
    }

    #[test]
    fn one_passing_dkim_signature_is_enough_and_first_hop_wins() {
        let vs = verdicts([
            "mx.example.net; dkim=fail header.d=a.example; dkim=pass header.d=b.example; spf=fail",
            "relay.example.net; spf=pass",
        ]);
        assert_eq!(
            vs.iter().find(|v| v.check == "auth.dkim").unwrap().verdict,
            "pass"
        );
        assert_eq!(
            vs.iter().find(|v| v.check == "auth.spf").unwrap().verdict,
            "fail"
        );
        assert!(verdicts(["mx.example.net; none"]).is_empty());
        assert!(verdicts(["garbage without semicolons"]).is_empty());
    }
}
