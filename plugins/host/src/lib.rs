//! # The bouncedx plugin host
//!
//! Checks that need the outside world (blocklists, DNS records, reputation
//! dashboards) are plugins: WebAssembly components that implement the
//! interface in `plugins/wit/plugin.wit` (`bouncedx:plugin@0.1.0`). This
//! crate runs them safely and offers them to the engine as a
//! [`bouncedx_engine::checks::CheckRunner`]:
//!
//! - [`runtime`]: the wasmtime sandbox (fresh instance per call, memory
//!   cap, epoch deadline, no WASI capabilities, a compile cache);
//! - [`grants`]: what each plugin may reach (DNS zones, data files, HTTP
//!   hosts) and its budgets; nothing by default;
//! - [`dns`]: zone files offline, hickory's resolver live;
//! - [`http`]: GET to granted hosts, with the site's credentials;
//! - [`PluginHost`]: the loaded plugins by name, their grants, and the
//!   mapping from `plugin.check` to a call.
//!
//! The standard plugins (`dnsbl`, `auth`, `postmaster`, `snds`) are built
//! from `plugins/std` by this crate's build script and embedded.

pub mod dns;
pub mod grants;
pub mod http;
pub mod runtime;

use bouncedx_engine::checks::{CheckOutcome, CheckRunner};
use grants::Grants;
use runtime::{Loaded, LoadedFrom, Runtime};
use std::collections::HashMap;
use std::sync::Arc;

/// The SDK series that builds plugins this host serves.
pub const SDK_VERSION: &str = "0.1";

/// Where build.rs put the plugins it built (the test plugins are there too).
pub const BUILT_DIR: &str = env!("BOUNCEDX_PLUGIN_DIR");

mod standard {
    include!(concat!(env!("OUT_DIR"), "/standard.rs"));
}
pub use standard::STANDARD;

/// The loaded plugins and their grants.
pub struct PluginHost {
    runtime: Runtime,
    plugins: Vec<Loaded>,
    grants: HashMap<String, Arc<Grants>>,
}

impl PluginHost {
    pub fn new(runtime: Runtime) -> PluginHost {
        PluginHost {
            runtime,
            plugins: Vec::new(),
            grants: HashMap::new(),
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Loads the embedded standard plugins.
    pub fn load_standard(&mut self) -> Result<(), String> {
        for (name, bytes) in STANDARD {
            self.load_bytes(bytes, &format!("standard plugin {name}"))?;
        }
        Ok(())
    }

    /// Loads a plugin component from a file.
    pub fn load_file(&mut self, path: &std::path::Path) -> Result<LoadedFrom, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read plugin {}: {e}", path.display()))?;
        self.load_bytes(&bytes, &path.display().to_string())
    }

    /// Loads a plugin component; a later plugin with the same name
    /// replaces an earlier one (a site's build of `dnsbl` replaces ours).
    pub fn load_bytes(&mut self, bytes: &[u8], source: &str) -> Result<LoadedFrom, String> {
        let (loaded, from) = self.runtime.load(bytes, source)?;
        self.plugins.retain(|p| p.meta.name != loaded.meta.name);
        self.plugins.push(loaded);
        Ok(from)
    }

    /// Adds grants for a plugin.
    pub fn grant(&mut self, plugin: &str, grants: &Grants) {
        let mut g = self
            .grants
            .get(plugin)
            .map(|g| (**g).clone())
            .unwrap_or_default();
        g.merge(grants);
        self.grants.insert(plugin.to_string(), Arc::new(g));
    }

    /// The grants a plugin has (empty when none).
    pub fn grants(&self, plugin: &str) -> Arc<Grants> {
        self.grants.get(plugin).cloned().unwrap_or_default()
    }

    pub fn plugins(&self) -> &[Loaded] {
        &self.plugins
    }

    pub fn find(&self, name: &str) -> Option<&Loaded> {
        self.plugins.iter().find(|p| p.meta.name == name)
    }

    /// Calls `plugin.check` with its parameters, after checking that the
    /// check exists and has its required parameters.
    pub fn call(&self, plugin: &str, check: &str, params: &[(String, String)]) -> CheckOutcome {
        let full = format!("{plugin}.{check}");
        let fail = |why: String| CheckOutcome {
            check: full.clone(),
            params: params.to_vec(),
            status: "error".into(),
            summary: why,
            facts: Vec::new(),
            millis: 0.0,
        };
        let Some(loaded) = self.find(plugin) else {
            let names: Vec<&str> = self.plugins.iter().map(|p| p.meta.name.as_str()).collect();
            return fail(format!(
                "no plugin named `{plugin}` is loaded (loaded: {})",
                names.join(", ")
            ));
        };
        let Some(info) = loaded.meta.checks.iter().find(|c| c.name == check) else {
            let names: Vec<&str> = loaded.meta.checks.iter().map(|c| c.name.as_str()).collect();
            return fail(format!(
                "plugin `{plugin}` has no check `{check}` (its checks: {})",
                names.join(", ")
            ));
        };
        for p in &info.params {
            if p.required && !params.iter().any(|(k, v)| *k == p.name && !v.is_empty()) {
                return fail(format!(
                    "`{full}` needs the parameter `{}` ({})",
                    p.name, p.description
                ));
            }
        }
        if let Some((k, _)) = params
            .iter()
            .find(|(k, _)| !info.params.iter().any(|p| p.name == *k))
        {
            let names: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
            return fail(format!(
                "`{full}` has no parameter `{k}` (its parameters: {})",
                names.join(", ")
            ));
        }
        self.runtime
            .call(loaded, &self.grants(plugin), check, params)
    }
}

impl CheckRunner for PluginHost {
    fn run(&self, check: &str, params: &[(String, String)]) -> CheckOutcome {
        let (plugin, name) = check.split_once('.').unwrap_or((check, ""));
        if self.find(plugin).is_none() {
            return CheckOutcome::skipped(
                check,
                params.to_vec(),
                format!("not run: no plugin named `{plugin}` is loaded"),
            );
        }
        if self.grants(plugin).is_empty() {
            return CheckOutcome::skipped(
                check,
                params.to_vec(),
                format!(
                    "not run: the site has granted `{plugin}` nothing (see `bouncedx plugin list` and the plugins chapter of the book)"
                ),
            );
        }
        self.call(plugin, name, params)
    }
}
