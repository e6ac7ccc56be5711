//! `bouncedx plugin list|call`, and the options every verb that runs checks
//! shares (`--zone`, `--data`, `--config`, `--plugin`).
//!
//! Grants come from the site only, and add up: bouncedx's defaults (the
//! built-in packs' requests: `dnsbl` its blocklist zones, `auth` any name),
//! the site config (`--config FILE`, `$BOUNCEDX_CONFIG`, or
//! `~/.config/bouncedx/site.yaml`), and the command line (`--grant PACK`,
//! `--data`, and for `plugin call` the zones of `--zone`). A pack's
//! `requests:` grant nothing until the site grants them: `plugin list`
//! shows them as requested, `plugin grant PACK` writes them into the site
//! config.

use super::RuleArgs;
use bouncedx_plugins::dns::{Dns, Zones};
use bouncedx_plugins::grants::{Grants, SiteConfig};
use bouncedx_plugins::runtime::{default_cache_dir, Runtime};
use bouncedx_plugins::PluginHost;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Where checks get their answers and what they may reach.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CheckArgs {
    /// Answer DNS from this RFC 1035 zone file instead of the network
    /// (repeatable; with any zone file nothing is asked of the network).
    #[arg(long = "zone", value_name = "FILE")]
    pub zones: Vec<PathBuf>,
    /// Grant a data file to a plugin: `postmaster=export.json`,
    /// `snds=data.csv`, `snds-blocked=ipstatus.csv`, or `PLUGIN:NAME=FILE`
    /// (without PLUGIN, the plugin named by NAME's first part). Repeatable.
    #[arg(long = "data", value_name = "[PLUGIN:]NAME=FILE")]
    pub data: Vec<String>,
    /// The site config (YAML: `plugins:` with grants per plugin); default
    /// $BOUNCEDX_CONFIG.
    #[arg(long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Grant a pack's requests (`requests:` in its pack.yaml) for this run:
    /// a pack folder, or the name of a pack given with --rules. Repeatable.
    /// `bouncedx plugin grant PACK` grants them for good.
    #[arg(long = "grant", value_name = "PACK")]
    pub grant: Vec<String>,
    /// Time limit for one live DNS query, in milliseconds.
    #[arg(long = "dns-timeout", value_name = "MS", default_value_t = 2000)]
    pub dns_timeout: u64,
}

impl CheckArgs {
    /// The plugin host: standard plugins, extra ones, and every grant.
    pub fn host(&self, rules: &RuleArgs) -> Result<PluginHost, String> {
        let mut zones = Zones::default();
        for z in &self.zones {
            zones.add_file(z)?;
        }
        let dns = Dns::new(zones, Duration::from_millis(self.dns_timeout.max(1)));
        let runtime = Runtime::new(Arc::new(dns), default_cache_dir())?;
        let mut host = PluginHost::new(runtime);
        host.load_standard()?;
        let config = self.site_config()?;
        let from_packs = crate::rules::pack_plugins(&rules.rules);
        for p in from_packs.iter().chain(&rules.plugins) {
            host.load_file(p)?;
        }
        if config.default_grants != Some(false) {
            for (plugin, g) in crate::rules::default_grants() {
                host.grant(&plugin, &g);
            }
        }
        for (plugin, g) in &config.plugins {
            host.grant(plugin, g);
        }
        for pack in &self.grant {
            for r in crate::rules::requests_of(pack, &rules.rules)
                .map_err(|e| format!("--grant {pack}: {e}"))?
            {
                host.grant(&r.plugin, &r.grants);
            }
        }
        for d in &self.data {
            let (plugin, name, file) = parse_data(d, &host)?;
            if !file.is_file() {
                return Err(format!("--data {d}: {} is not a file", file.display()));
            }
            let mut g = Grants::default();
            g.data.insert(name, file);
            host.grant(&plugin, &g);
        }
        Ok(host)
    }

    /// The site config file: `--config`, else `$BOUNCEDX_CONFIG`, else
    /// `~/.config/bouncedx/site.yaml` (`$XDG_CONFIG_HOME` honoured), which
    /// is read only when it exists.
    pub fn site_config_path(&self) -> (Option<PathBuf>, bool) {
        if let Some(p) = self
            .config
            .clone()
            .or_else(|| std::env::var_os("BOUNCEDX_CONFIG").map(PathBuf::from))
        {
            return (Some(p), true);
        }
        (default_site_config(), false)
    }

    fn site_config(&self) -> Result<SiteConfig, String> {
        let (path, named) = self.site_config_path();
        let Some(path) = path.filter(|p| named || p.is_file()) else {
            return Ok(SiteConfig::default());
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the site config {}: {e}", path.display()))?;
        let mut config: SiteConfig = bouncedx::authoring::yaml::parse(
            &text,
            &path.display().to_string(),
            "the site config has `plugins:`, grants per plugin name: dns, data, http, http_token_env, memory_mb, time_ms",
        )?;
        let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
        for g in config.plugins.values_mut() {
            for f in g.data.values_mut() {
                if f.is_relative() {
                    *f = dir.join(&*f);
                }
            }
        }
        Ok(config)
    }
}

/// `$XDG_CONFIG_HOME/bouncedx/site.yaml`, or `~/.config/bouncedx/site.yaml`.
fn default_site_config() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("bouncedx").join("site.yaml"))
}

/// `[PLUGIN:]NAME=FILE`.
fn parse_data(arg: &str, host: &PluginHost) -> Result<(String, String, PathBuf), String> {
    let (lhs, file) = arg.split_once('=').ok_or_else(|| {
        format!("--data {arg}: write NAME=FILE, e.g. --data postmaster=export.json")
    })?;
    let (plugin, name) = match lhs.split_once(':') {
        Some((p, n)) => (p.to_string(), n.to_string()),
        None => {
            let first = lhs.split('-').next().unwrap_or(lhs).to_string();
            if host.find(&first).is_none() {
                return Err(format!(
                    "--data {arg}: no plugin is named `{first}`; say which plugin reads it: --data PLUGIN:{lhs}={file}"
                ));
            }
            (first, lhs.to_string())
        }
    };
    Ok((plugin, name, PathBuf::from(file)))
}

/// List the plugins and their checks, or run one check by hand.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub verb: Verb,
}

#[derive(clap::Subcommand)]
pub enum Verb {
    /// The plugins (standard ones and any loaded), their checks with their
    /// parameters, and what each is granted.
    List {
        /// `human` or `json`.
        #[arg(long, default_value = "human", value_parser = ["human", "json"])]
        format: String,
        #[command(flatten)]
        checks: CheckArgs,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Grant a pack's requests for good: writes what its `pack.yaml` asks
    /// for under `requests:` into the site config (`--config`,
    /// `$BOUNCEDX_CONFIG`, or ~/.config/bouncedx/site.yaml), after showing
    /// it and what deserves a second look. Until then a pack's plugins get
    /// nothing the site did not give them.
    ///
    /// Examples:
    ///   bouncedx plugin grant ./packs/brand            # a pack folder
    ///   bouncedx plugin grant brand --rules ./packs/   # a pack by name
    Grant {
        /// A pack folder (with a pack.yaml), or the name of a pack given
        /// with --rules.
        pack: String,
        /// Show what would be granted, and write nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        checks: CheckArgs,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Run one check and print its result as JSON (`status`, `summary`,
    /// `facts`, `millis`). Exit code 0 when the check ran (whatever its
    /// verdict), 2 when it could not (an `error` result).
    ///
    /// Examples:
    ///   bouncedx plugin call dnsbl ip ip=192.0.2.7
    ///   bouncedx plugin call auth spf domain=example.com ip=192.0.2.7
    ///   bouncedx plugin call postmaster domain domain=example.com --data postmaster=traffic.json
    ///   bouncedx plugin call dnsbl ip ip=192.0.2.7 zones=zen.spamhaus.org --zone zen.spamhaus.org.zone
    Call {
        /// The plugin: dnsbl, auth, postmaster, snds, or a loaded one.
        plugin: String,
        /// The check, e.g. `ip`, `spf`.
        check: String,
        /// Parameters as key=value.
        params: Vec<String>,
        #[command(flatten)]
        checks: CheckArgs,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    match a.verb {
        Verb::List {
            format,
            checks,
            rules,
        } => list(
            &checks.host(&rules)?,
            &crate::rules::pack_requests(&rules.rules),
            &format,
        ),
        Verb::Grant {
            pack,
            dry_run,
            checks,
            rules,
        } => grant(&pack, dry_run, &checks, &rules),
        Verb::Call {
            plugin,
            check,
            params,
            checks,
            rules,
        } => {
            let mut host = checks.host(&rules)?;
            // zone files given for this call are granted to its plugin
            if let bouncedx_plugins::dns::Dns::Offline(z) = host.runtime().dns().as_ref() {
                let g = Grants {
                    dns: z.origins().to_vec(),
                    ..Grants::default()
                };
                host.grant(&plugin, &g);
            }
            let mut kv = Vec::new();
            for p in &params {
                let (k, v) = p.split_once('=').ok_or_else(|| {
                    format!("parameter `{p}` is not key=value (e.g. ip=192.0.2.7)")
                })?;
                kv.push((k.trim().to_string(), v.trim().to_string()));
            }
            let o = host.call(&plugin, &check, &kv);
            #[derive(serde::Serialize)]
            struct Shown<'a> {
                check: &'a str,
                status: &'a str,
                summary: &'a str,
                facts: indexmap_like::Ordered<'a>,
                params: indexmap_like::Ordered<'a>,
                millis: f64,
            }
            let out = Shown {
                check: &o.check,
                status: &o.status,
                summary: &o.summary,
                facts: indexmap_like::Ordered(&o.facts),
                params: indexmap_like::Ordered(&kv),
                millis: (o.millis * 1000.0).round() / 1000.0,
            };
            println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
            Ok(if o.status == "error" {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// `plugin grant PACK`: the pack's requests, merged into the site config.
fn grant(
    which: &str,
    dry_run: bool,
    checks: &CheckArgs,
    rules: &RuleArgs,
) -> Result<ExitCode, String> {
    let requests = crate::rules::requests_of(which, &rules.rules)?;
    if requests.is_empty() {
        println!("pack `{which}` requests nothing: there is nothing to grant");
        return Ok(ExitCode::SUCCESS);
    }
    let (path, _) = checks.site_config_path();
    let path = path.ok_or("no site config to write: give --config FILE or set BOUNCEDX_CONFIG")?;
    let mut config = if path.is_file() {
        checks.site_config()?
    } else {
        SiteConfig::default()
    };
    for r in &requests {
        println!(
            "pack `{}` asks for plugin `{}`: {}",
            r.pack,
            r.plugin,
            r.grants.describe().join("; ")
        );
        for risk in r.asked.risks(&r.dir) {
            println!("  look twice: {risk}");
        }
        config
            .plugins
            .entry(r.plugin.clone())
            .or_default()
            .merge(&r.grants);
    }
    if dry_run {
        println!("(--dry-run: {} not written)", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let yaml = serde_saphyr::to_string(&config)
        .map_err(|e| format!("cannot write the site config: {e}"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = format!("# bouncedx site config: what each plugin may reach (written by `bouncedx plugin grant`)\n{yaml}");
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("granted: written to {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// The requests of `plugin` in `requests`, each with whether the site's
/// grants already cover it.
fn requests_for<'a>(
    host: &PluginHost,
    plugin: &str,
    requests: &'a [crate::rules::Request],
) -> Vec<(&'a crate::rules::Request, bool)> {
    let g = host.grants(plugin);
    requests
        .iter()
        .filter(|r| r.plugin == plugin)
        .map(|r| (r, g.covers(&r.grants)))
        .collect()
}

fn list(
    host: &PluginHost,
    requests: &[crate::rules::Request],
    format: &str,
) -> Result<ExitCode, String> {
    if format == "json" {
        let v: Vec<serde_json::Value> = host
            .plugins()
            .iter()
            .map(|p| {
                let g = host.grants(&p.meta.name);
                serde_json::json!({
                    "name": p.meta.name,
                    "version": p.meta.version,
                    "description": p.meta.description,
                    "source": p.source,
                    "sha256": p.hash,
                    "checks": p.meta.checks,
                    "grants": {
                        "dns": g.dns,
                        "data": g.data.keys().collect::<Vec<_>>(),
                        "http": g.http,
                        "memory_mb": g.memory_bytes() >> 20,
                        "time_ms": g.time_ms(),
                    },
                    "requested": requests_for(host, &p.meta.name, requests).iter().map(|(r, granted)| serde_json::json!({
                        "pack": r.pack,
                        "grants": r.grants,
                        "granted": granted,
                        "risks": r.asked.risks(&r.dir),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    for p in host.plugins() {
        out.push_str(&format!(
            "{} {}  {}\n",
            p.meta.name, p.meta.version, p.meta.description
        ));
        for c in &p.meta.checks {
            let params: Vec<String> = c
                .params
                .iter()
                .map(|p| {
                    if p.required {
                        format!("{}=", p.name)
                    } else {
                        format!("[{}=]", p.name)
                    }
                })
                .collect();
            out.push_str(&format!(
                "  {}.{}({})  {}\n",
                p.meta.name,
                c.name,
                params.join(" "),
                c.description
            ));
        }
        let g = host.grants(&p.meta.name);
        let mut granted = Vec::new();
        if !g.dns.is_empty() {
            granted.push(format!("dns {}", g.dns.join(", ")));
        }
        if !g.data.is_empty() {
            granted.push(format!(
                "data {}",
                g.data.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !g.http.is_empty() {
            granted.push(format!("http {}", g.http.join(", ")));
        }
        out.push_str(&format!(
            "  granted: {}; memory {} MiB, {} ms per call\n",
            if granted.is_empty() {
                "nothing (its checks are skipped)".to_string()
            } else {
                granted.join("; ")
            },
            g.memory_bytes() >> 20,
            g.time_ms()
        ));
        for (r, granted) in requests_for(host, &p.meta.name, requests) {
            out.push_str(&format!(
                "  requested by pack `{}`: {} ({})\n",
                r.pack,
                r.grants.describe().join("; "),
                if granted {
                    "granted by the site".to_string()
                } else {
                    format!(
                        "not granted: `bouncedx plugin grant {}` or --grant {}",
                        r.dir.display(),
                        r.pack
                    )
                }
            ));
            for risk in r.asked.risks(&r.dir) {
                out.push_str(&format!("    look twice: {risk}\n"));
            }
        }
        out.push('\n');
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

mod indexmap_like {
    //! Pairs shown as a JSON object in their own order.
    pub struct Ordered<'a>(pub &'a [(String, String)]);

    impl serde::Serialize for Ordered<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in self.0 {
                m.serialize_entry(k, v)?;
            }
            m.end()
        }
    }
}
