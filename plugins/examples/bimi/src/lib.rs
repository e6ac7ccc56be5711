//! The plugin of the book's authoring guide (book/src/plugins/authoring.md):
//! does a domain publish a BIMI record (`default._bimi.DOMAIN`, `v=BIMI1`)
//! with a logo (`l=`) and, for Gmail and Apple, a mark certificate (`a=`)?

use bouncedx_plugin_sdk::{host, CheckInfo, CheckResult, Params, Plugin, PluginInfo};

pub struct Bimi;

impl Plugin for Bimi {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "bimi",
            "0.1.0",
            "Is a BIMI record published for the domain?",
        )
        .check(
            CheckInfo::new(
                "record",
                "default._bimi.DOMAIN has v=BIMI1 with a logo and a certificate",
            )
            .required("domain", "the From domain"),
        )
    }

    fn run(check: &str, params: &Params) -> Result<CheckResult, String> {
        if check != "record" {
            return Err(format!("unknown check `{check}`"));
        }
        let domain = params.required("domain")?;
        let name = format!("default._bimi.{domain}");
        let records = host::dns(&name, host::RecordType::Txt)?;
        let Some(record) = records.iter().find(|r| r.starts_with("v=BIMI1")) else {
            return Ok(CheckResult::fail(format!("{name} has no BIMI record")));
        };
        let tag = |t: &str| {
            record
                .split(';')
                .filter_map(|kv| kv.trim().split_once('='))
                .find(|(k, _)| *k == t)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Ok(match (tag("l"), tag("a")) {
            (Some(logo), Some(_)) => CheckResult::pass(format!("{domain} publishes BIMI with a logo and a mark certificate")).fact("logo", logo),
            (Some(logo), None) => CheckResult::warn(format!("{domain} publishes a BIMI logo but no certificate (a=): Gmail and Apple Mail will not show it")).fact("logo", logo),
            (None, _) => CheckResult::fail(format!("{domain}'s BIMI record has no logo (l=)")),
        })
    }
}

bouncedx_plugin_sdk::plugin!(Bimi);

#[cfg(test)]
mod tests {
    use super::*;
    use bouncedx_plugin_sdk::{testing::Stand, Status};

    #[test]
    fn logo_without_certificate_warns() {
        Stand::new()
            .dns(
                "default._bimi.example.com",
                host::RecordType::Txt,
                &["v=BIMI1; l=https://example.com/logo.svg; a="],
            )
            .install();
        let r = Bimi::run("record", &Params::new(&[("domain", "example.com")])).unwrap();
        assert_eq!(r.status, Status::Warn);
        assert_eq!(r.get("logo"), Some("https://example.com/logo.svg"));
    }

    #[test]
    fn no_record_fails() {
        Stand::new().install();
        let r = Bimi::run("record", &Params::new(&[("domain", "example.org")])).unwrap();
        assert_eq!(r.status, Status::Fail);
    }
}
