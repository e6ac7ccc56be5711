//! `pack.yaml`: what a pack is, who made it, and what it needs.
//!
//! ```yaml
//! name: acme
//! version: 1.2.0
//! description: ACME's own receivers and their quirks
//! license: MIT
//! authors: ["Postmaster <postmaster@acme.example>"]
//! bouncedx: ">=0.1"          # the bouncedx versions it works with
//! imports:                   # packs it builds on, with version requirements
//!   core: ">=0.1"
//! checks: [dnsbl.ip]         # plugin checks its rules run
//! lints:                     # allow | warn | deny, for this pack's files
//!   short_trigger: allow
//!   missing_refs: deny
//! requests:                  # what it asks the site to grant its plugins
//!   dnsbl: { dns: [zen.spamhaus.org] }
//! plugins: [plugins/bimi.wasm]  # plugin components the pack brings
//! ```
//!
//! A pack that needs a newer bouncedx says so before any rule is parsed, so
//! the author sees "needs bouncedx >=0.3, this is 0.1.0" rather than a parse
//! error about a keyword the old grammar does not know.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The manifest of a pack.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub authors: Vec<String>,
    /// The bouncedx versions the pack works with (a semver requirement).
    #[serde(default)]
    pub bouncedx: Option<String>,
    /// Packs it imports, by name, with version requirements.
    #[serde(default)]
    pub imports: BTreeMap<String, String>,
    /// Plugin checks its rules run.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Lint levels for this pack's files: `allow`, `warn` (the default) or
    /// `deny` (the warning becomes an error).
    #[serde(default)]
    pub lints: BTreeMap<String, LintLevel>,
    /// What the pack asks the site to let the plugins its rules call reach,
    /// per plugin (DNS zones, data files relative to the pack folder, HTTP
    /// hosts, budgets). A request grants nothing: `check` and `plugin
    /// list` show it, and the site grants it (`bouncedx plugin grant PACK`
    /// or `--grant PACK`). Older packs wrote it `grants:`, read the same.
    #[serde(default, alias = "grants")]
    pub requests: BTreeMap<String, bouncedx_plugins::grants::Grants>,
    /// Plugin components the pack brings (paths relative to the pack
    /// folder): loaded with the pack, their checks usable in its rules.
    #[serde(default)]
    pub plugins: Vec<std::path::PathBuf>,
}

/// What a lint does in a pack.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LintLevel {
    Allow,
    Warn,
    Deny,
}

/// The file name of a manifest in a pack folder.
pub const FILE: &str = "pack.yaml";

/// Reads and checks `dir/pack.yaml`. Errors name the file and say what to do.
pub fn load(dir: &Path) -> Result<Manifest, String> {
    let path = dir.join(FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Parses and checks a manifest's text (`origin` names it in errors).
pub fn parse(text: &str, origin: &str) -> Result<Manifest, String> {
    let m: Manifest = crate::authoring::yaml::parse(
        text,
        origin,
        "a manifest has `name`, `version` and optionally `description`, `license`, `authors`, `bouncedx`, `imports`, `checks`",
    )?;
    if m.name.is_empty()
        || !m
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "{origin}: pack name `{}` must be letters, digits, `_` or `-`",
            m.name
        ));
    }
    semver::Version::parse(&m.version).map_err(|e| {
        format!(
            "{origin}: version `{}` is not a semantic version ({e})\n  = help: write it as MAJOR.MINOR.PATCH, e.g. `1.0.0`",
            m.version
        )
    })?;
    if let Some(req) = &m.bouncedx {
        let req = semver::VersionReq::parse(req).map_err(|e| {
            format!("{origin}: `bouncedx: {req}` is not a version requirement ({e})")
        })?;
        let ours = semver::Version::parse(env!("CARGO_PKG_VERSION")).expect("our version");
        if !req.matches(&ours) {
            return Err(format!(
                "{origin}: pack `{}` needs bouncedx {req}, and this is bouncedx {ours}\n  = help: upgrade bouncedx, or use a version of the pack made for {ours}",
                m.name
            ));
        }
    }
    for (name, req) in &m.imports {
        semver::VersionReq::parse(req).map_err(|e| {
            format!("{origin}: import `{name}: {req}` is not a version requirement ({e})")
        })?;
    }
    for id in m.lints.keys() {
        if !bouncedx_dsl::lints::LINTS.iter().any(|(l, _)| l == id) {
            return Err(format!(
                "{origin}: unknown lint `{id}`\n  = help: the lints are {}",
                bouncedx_dsl::lints::LINTS
                    .iter()
                    .map(|(l, _)| *l)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for c in &m.checks {
        let standard_plugin = bouncedx_dsl::vocab::CHECKS
            .iter()
            .any(|k| k.name.split('.').next() == c.split('.').next());
        if bouncedx_dsl::vocab::find_check(c).is_none() && (standard_plugin || m.plugins.is_empty())
        {
            return Err(format!(
                "{origin}: unknown check `{c}`\n  = help: the standard checks are {}; a check of another plugin needs that plugin's component under `plugins:`",
                bouncedx_dsl::vocab::CHECKS
                    .iter()
                    .map(|k| k.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_manifest() {
        let m = parse(
            "name: acme\nversion: 1.2.0\ndescription: d\nlicense: MIT\nauthors: [a]\nbouncedx: \">=0.1\"\nimports:\n  core: \">=0.1\"\nchecks: [dnsbl.ip]\n",
            "pack.yaml",
        )
        .unwrap();
        assert_eq!(m.name, "acme");
        assert_eq!(m.imports["core"], ">=0.1");
    }

    #[test]
    fn clear_errors() {
        let e = parse("name: acme\nversion: one\n", "p/pack.yaml").unwrap_err();
        assert!(
            e.contains("p/pack.yaml") && e.contains("MAJOR.MINOR.PATCH"),
            "{e}"
        );
        let e = parse(
            "name: acme\nversion: 1.0.0\nbouncedx: \">=99\"\n",
            "p/pack.yaml",
        )
        .unwrap_err();
        assert!(e.contains("needs bouncedx >=99"), "{e}");
        let e = parse("name: acme\nversion: 1.0.0\nchecks: [dnsbl.ipp]\n", "p").unwrap_err();
        assert!(e.contains("unknown check `dnsbl.ipp`"), "{e}");
        let e = parse("name: acme\nversion: 1.0.0\nlicence: MIT\n", "p").unwrap_err();
        assert!(e.contains("licence"), "{e}");
    }
}
