//! The sandbox: loading plugin components and calling them under budgets.
//!
//! One wasmtime [`Engine`] serves every plugin. A component is compiled
//! once and cached twice: in memory for the process, and on disk keyed by
//! the SHA-256 of its bytes and the engine's compatibility hash, so the
//! next process loads it by mapping the file (well under a millisecond)
//! instead of compiling it again.
//!
//! Each call gets a fresh store (fresh memory, nothing left over from the
//! previous call) holding:
//!
//! - a WASI context with nothing in it: no files, no environment, no
//!   arguments, no sockets, stdout discarded and stderr kept (bounded) for
//!   the error message when the plugin panics;
//! - a memory limiter at the plugin's cap; growing past it traps;
//! - an epoch deadline: a ticker thread advances the engine's epoch every
//!   [`TICK`], and the call traps once its time budget has passed;
//! - the plugin's grants, which every host call is checked against. A
//!   refused request is remembered and turns the result into `error`, even
//!   if the plugin carried on.
//!
//! Whatever happens inside, a call returns a [`CheckOutcome`]: the
//! plugin's verdict, or `error` with the reason in words.

use crate::dns::{Dns, Rtype};
use crate::grants::Grants;
use bouncedx_engine::checks::CheckOutcome;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
});

use bouncedx::plugin::host as wit_host;
use bouncedx::plugin::types as wit_types;

/// The interface version this host serves: every 0.1.x plugin.
pub const INTERFACE: &str = "bouncedx:plugin@0.1.0";
const INTERFACE_PREFIX: &str = "bouncedx:plugin/";
const SERVED_SERIES: (u64, u64) = (0, 1);

/// How often the epoch advances.
pub const TICK: Duration = Duration::from_millis(5);

/// The largest summary a plugin may return, in bytes.
pub const MAX_SUMMARY: usize = 1024;
/// The most facts a plugin may return, and their total size.
pub const MAX_FACTS: usize = 256;
pub const MAX_FACT_BYTES: usize = 64 * 1024;
/// The most DNS, data and HTTP requests one call may make.
pub const MAX_HOST_CALLS: usize = 512;
const STDERR_CAPACITY: usize = 4096;

/// What a plugin says about itself.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PluginMeta {
    pub name: String,
    pub version: String,
    pub description: String,
    pub checks: Vec<CheckMeta>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckMeta {
    pub name: String,
    pub description: String,
    pub params: Vec<ParamMeta>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ParamMeta {
    pub name: String,
    pub description: String,
    pub required: bool,
}

/// The engine, the linker and the compile cache, shared by all plugins.
pub struct Runtime {
    engine: Engine,
    linker: Linker<State>,
    memory_cache: Mutex<HashMap<String, Component>>,
    disk_cache: Option<PathBuf>,
    dns: Arc<Dns>,
}

/// A loaded plugin: its component, ready to instantiate, and its metadata.
pub struct Loaded {
    pub meta: PluginMeta,
    pub hash: String,
    pub source: String,
    pre: PluginPre<State>,
}

/// How a plugin was loaded, for the load benchmark and `plugin list -v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadedFrom {
    Memory,
    Disk,
    Compiled,
}

/// Advances the engine's epoch every [`TICK`] until the engine is dropped.
/// One thread per runtime; the CLI has one runtime per process.
fn ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("bouncedx-epoch".into())
        .spawn(move || loop {
            std::thread::sleep(TICK);
            match weak.upgrade() {
                Some(e) => e.increment_epoch(),
                None => return,
            }
        })
        .expect("the epoch thread starts");
}

/// The default on-disk cache: `$BOUNCEDX_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/bouncedx/plugins`, else `~/.cache/bouncedx/plugins`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("BOUNCEDX_CACHE_DIR") {
        return (!d.is_empty()).then(|| PathBuf::from(d));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("bouncedx").join("plugins"))
}

impl Runtime {
    /// A runtime answering DNS from `dns`, caching compiled plugins in
    /// `disk_cache` (none: memory only).
    pub fn new(dns: Arc<Dns>, disk_cache: Option<PathBuf>) -> Result<Runtime, String> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        let engine = Engine::new(&config).map_err(|e| format!("WebAssembly engine: {e}"))?;
        ticker(&engine);
        let mut linker: Linker<State> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| format!("linking WASI: {e}"))?;
        Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| format!("linking the host interface: {e}"))?;
        forbid_sleeping(&mut linker).map_err(|e| format!("linking the clock: {e}"))?;
        Ok(Runtime {
            engine,
            linker,
            memory_cache: Mutex::new(HashMap::new()),
            disk_cache,
            dns,
        })
    }

    pub fn dns(&self) -> &Arc<Dns> {
        &self.dns
    }

    /// Compiles (or finds in a cache) a component.
    pub fn component(&self, bytes: &[u8]) -> Result<(Component, String, LoadedFrom), String> {
        let hash = hex(&Sha256::digest(bytes));
        if let Some(c) = self
            .memory_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
        {
            return Ok((c.clone(), hash, LoadedFrom::Memory));
        }
        let cached = self.cache_path(&hash);
        let mut from = LoadedFrom::Compiled;
        let component = match cached.as_deref().filter(|p| p.exists()) {
            // SAFETY: the file was written by `Component::serialize` of an
            // engine with the same compatibility hash (it is in the name),
            // in a cache directory of this user's; a corrupt or foreign
            // file fails to deserialize and is compiled again below.
            Some(p) => match unsafe { Component::deserialize_file(&self.engine, p) } {
                Ok(c) => {
                    from = LoadedFrom::Disk;
                    Some(c)
                }
                Err(_) => None,
            },
            None => None,
        };
        let component = match component {
            Some(c) => c,
            None => {
                let c = Component::new(&self.engine, bytes)
                    .map_err(|e| format!("not a WebAssembly component bouncedx can load: {e:#}"))?;
                if let Some(p) = &cached {
                    if let Ok(ser) = c.serialize() {
                        let _ = write_atomically(p, &ser);
                    }
                }
                c
            }
        };
        self.memory_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(hash.clone(), component.clone());
        Ok((component, hash, from))
    }

    fn cache_path(&self, hash: &str) -> Option<PathBuf> {
        use std::hash::{Hash, Hasher};
        let dir = self.disk_cache.as_ref()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        Some(dir.join(format!("{hash}-{:016x}.cwasm", h.finish())))
    }

    /// Loads a plugin: checks its interface version and imports, links
    /// it, and asks for its metadata.
    pub fn load(&self, bytes: &[u8], source: &str) -> Result<(Loaded, LoadedFrom), String> {
        let (component, hash, from) = self.component(bytes)?;
        self.check_imports(&component, source)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| format!("{source}: cannot be linked: {e:#}"))?;
        let pre = PluginPre::new(pre).map_err(|e| {
            format!("{source}: does not export the bouncedx plugin interface ({INTERFACE}): {e:#}")
        })?;
        let mut loaded = Loaded {
            meta: PluginMeta {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                checks: Vec::new(),
            },
            hash,
            source: source.to_string(),
            pre,
        };
        let grants = Arc::new(Grants::default());
        let mut store = self.store(&loaded, &grants, "metadata");
        let meta = loaded
            .pre
            .instantiate(&mut store)
            .and_then(|p| p.call_metadata(&mut store))
            .map_err(|e| {
                format!(
                    "{source}: metadata failed: {}",
                    explain_trap(&e, &store, &grants)
                )
            })?;
        loaded.meta = PluginMeta {
            name: meta.name,
            version: meta.version,
            description: meta.description,
            checks: meta
                .checks
                .into_iter()
                .map(|c| CheckMeta {
                    name: c.name,
                    description: c.description,
                    params: c
                        .params
                        .into_iter()
                        .map(|p| ParamMeta {
                            name: p.name,
                            description: p.description,
                            required: p.required,
                        })
                        .collect(),
                })
                .collect(),
        };
        if loaded.meta.name.is_empty()
            || !loaded
                .meta
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "{source}: the plugin's name {:?} is not a plain name (letters, digits, _ and -)",
                loaded.meta.name
            ));
        }
        Ok((loaded, from))
    }

    /// Refuses a component built for an interface version this host does
    /// not serve, or importing something it does not provide.
    fn check_imports(&self, component: &Component, source: &str) -> Result<(), String> {
        let ty = component.component_type();
        for (name, _) in ty.imports(&self.engine) {
            if let Some(rest) = name.strip_prefix(INTERFACE_PREFIX) {
                let version = rest.split_once('@').map(|(_, v)| v).unwrap_or("");
                let mut parts = version
                    .split('.')
                    .map(|p| p.parse::<u64>().unwrap_or(u64::MAX));
                let series = (
                    parts.next().unwrap_or(u64::MAX),
                    parts.next().unwrap_or(u64::MAX),
                );
                if series != SERVED_SERIES {
                    return Err(format!(
                        "{source}: built for bouncedx:plugin@{version}, but this bouncedx serves {INTERFACE} (0.1.x) \
                         (help: rebuild the plugin with bouncedx-plugin-sdk {}, or use a bouncedx that serves {version})",
                        crate::SDK_VERSION
                    ));
                }
            } else if !name.starts_with("wasi:") {
                return Err(format!(
                    "{source}: imports `{name}`, which bouncedx does not provide (plugins may import only {INTERFACE} and WASI)"
                ));
            }
        }
        Ok(())
    }

    fn store(&self, loaded: &Loaded, grants: &Arc<Grants>, check: &str) -> Store<State> {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                cap: grants.memory_bytes(),
                hit: None,
            },
            grants: grants.clone(),
            dns: self.dns.clone(),
            plugin: loaded.meta.name.clone(),
            check: check.to_string(),
            denied: Vec::new(),
            host_calls: 0,
            stderr,
            deadline: Instant::now() + Duration::from_millis(grants.time_ms()),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        let ticks = grants.time_ms().div_ceil(TICK.as_millis() as u64).max(1) + 1;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }

    /// Runs one check in a fresh instance.
    pub fn call(
        &self,
        loaded: &Loaded,
        grants: &Arc<Grants>,
        check: &str,
        params: &[(String, String)],
    ) -> CheckOutcome {
        let started = Instant::now();
        let full = format!("{}.{check}", loaded.meta.name);
        let mut store = self.store(loaded, grants, check);
        let result = loaded
            .pre
            .instantiate(&mut store)
            .and_then(|p| p.call_run_check(&mut store, check, params));
        let mut outcome = finish(&full, params, result, &store, grants);
        outcome.millis = started.elapsed().as_secs_f64() * 1000.0;
        outcome
    }

    /// An instance kept for several calls (the benchmark's "reuse" case;
    /// a call that fails discards it).
    pub fn session(&self, loaded: &Loaded, grants: &Arc<Grants>) -> Result<Session, String> {
        let mut store = self.store(loaded, grants, "");
        let plugin = loaded
            .pre
            .instantiate(&mut store)
            .map_err(|e| explain_trap(&e, &store, grants))?;
        Ok(Session {
            store,
            plugin,
            name: loaded.meta.name.clone(),
            grants: grants.clone(),
        })
    }
}

/// One instance reused across calls.
pub struct Session {
    store: Store<State>,
    plugin: Plugin,
    name: String,
    grants: Arc<Grants>,
}

impl Session {
    pub fn call(&mut self, check: &str, params: &[(String, String)]) -> CheckOutcome {
        let started = Instant::now();
        let ticks = self
            .grants
            .time_ms()
            .div_ceil(TICK.as_millis() as u64)
            .max(1)
            + 1;
        self.store.set_epoch_deadline(ticks);
        let data = self.store.data_mut();
        data.denied.clear();
        data.host_calls = 0;
        data.deadline = Instant::now() + Duration::from_millis(self.grants.time_ms());
        let result = self.plugin.call_run_check(&mut self.store, check, params);
        let mut outcome = finish(
            &format!("{}.{check}", self.name),
            params,
            result,
            &self.store,
            &self.grants,
        );
        outcome.millis = started.elapsed().as_secs_f64() * 1000.0;
        outcome
    }
}

fn error(check: &str, params: &[(String, String)], why: String) -> CheckOutcome {
    CheckOutcome {
        check: check.to_string(),
        params: params.to_vec(),
        status: "error".into(),
        summary: why,
        facts: Vec::new(),
        millis: 0.0,
    }
}

fn finish(
    check: &str,
    params: &[(String, String)],
    result: wasmtime::Result<Result<wit_types::CheckResult, String>>,
    store: &Store<State>,
    grants: &Grants,
) -> CheckOutcome {
    let state = store.data();
    let r = match result {
        Err(e) => return error(check, params, explain_trap(&e, store, grants)),
        Ok(r) => r,
    };
    if let Some(first) = state.denied.first() {
        let more = match state.denied.len() {
            1 => String::new(),
            n => format!(" (and {} more refused requests)", n - 1),
        };
        return error(check, params, format!("denied: {first}{more}"));
    }
    let r = match r {
        Err(msg) => {
            return error(
                check,
                params,
                format!("the plugin says: {}", clip(&msg, MAX_SUMMARY)),
            );
        }
        Ok(r) => r,
    };
    if r.summary.len() > MAX_SUMMARY {
        return error(
            check,
            params,
            format!(
                "output too large: a summary of {} bytes (the limit is {MAX_SUMMARY})",
                r.summary.len()
            ),
        );
    }
    let fact_bytes: usize = r.facts.iter().map(|f| f.name.len() + f.value.len()).sum();
    if r.facts.len() > MAX_FACTS || fact_bytes > MAX_FACT_BYTES {
        return error(
            check,
            params,
            format!(
                "output too large: {} facts, {fact_bytes} bytes (the limits are {MAX_FACTS} facts, {MAX_FACT_BYTES} bytes)",
                r.facts.len()
            ),
        );
    }
    CheckOutcome {
        check: check.to_string(),
        params: params.to_vec(),
        status: match r.status {
            wit_types::Status::Pass => "pass",
            wit_types::Status::Fail => "fail",
            wit_types::Status::Warn => "warn",
            wit_types::Status::Unknown => "unknown",
        }
        .into(),
        summary: r.summary,
        facts: r.facts.into_iter().map(|f| (f.name, f.value)).collect(),
        millis: 0.0,
    }
}

/// Words for why a call failed.
/// A plugin that sleeps would block this thread inside a host call, where
/// the epoch deadline cannot reach it. Waiting on the clock is therefore
/// replaced by an error that ends the call: a check has no reason to wait,
/// and the host already bounds every DNS and HTTP request with its own
/// timeout.
fn forbid_sleeping(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    const WHY: &str = "plugins may not sleep or wait on the clock; the host bounds every request with its own timeout";
    linker.allow_shadowing(true);
    let mut clock = linker.instance("wasi:clocks/monotonic-clock@0.2.12")?;
    clock.func_wrap(
        "subscribe-duration",
        |_, (_,): (u64,)| -> wasmtime::Result<(Resource<DynPollable>,)> {
            Err(wasmtime::format_err!(WHY))
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |_, (_,): (u64,)| -> wasmtime::Result<(Resource<DynPollable>,)> {
            Err(wasmtime::format_err!(WHY))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

fn explain_trap(e: &wasmtime::Error, store: &Store<State>, grants: &Grants) -> String {
    let state = store.data();
    if let Some(wanted) = state.limiter.hit {
        return format!(
            "memory cap of {} MiB reached (the plugin asked for {} MiB); raise memory_mb in its grants if this is expected",
            grants.memory_bytes() >> 20,
            wanted.div_ceil(1 << 20)
        );
    }
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        if *trap == wasmtime::Trap::Interrupt {
            return format!(
                "time budget of {} ms exceeded; the call was stopped (raise time_ms in its grants if this is expected)",
                grants.time_ms()
            );
        }
        let said = String::from_utf8_lossy(&state.stderr.contents()).into_owned();
        let said = said
            .lines()
            .rfind(|l| !l.trim().is_empty() && !l.contains("RUST_BACKTRACE"))
            .map(|l| format!(": {}", clip(l.trim(), 300)))
            .unwrap_or_default();
        return format!("the plugin crashed ({trap}){said}");
    }
    clip(&format!("{e:#}"), 500)
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// The memory limiter of one store.
struct Limiter {
    cap: usize,
    hit: Option<usize>,
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.hit = Some(desired);
            wasmtime::bail!("memory cap reached");
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// What a store holds for one call.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    grants: Arc<Grants>,
    dns: Arc<Dns>,
    plugin: String,
    check: String,
    denied: Vec<String>,
    host_calls: usize,
    stderr: MemoryOutputPipe,
    deadline: Instant,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl State {
    /// Counts a host call; refuses once the call has made too many.
    fn count(&mut self, what: &str) -> Result<(), String> {
        self.host_calls += 1;
        if self.host_calls > MAX_HOST_CALLS {
            let why = format!("more than {MAX_HOST_CALLS} host requests in one call ({what})");
            if self.denied.len() < 8 {
                self.denied.push(why.clone());
            }
            return Err(why);
        }
        if Instant::now() > self.deadline {
            return Err("the call's time budget is spent".into());
        }
        Ok(())
    }

    fn deny(&mut self, why: String) -> String {
        if self.denied.len() < 8 {
            self.denied.push(why.clone());
        }
        format!("not granted: {why}")
    }
}

impl wit_types::Host for State {}

impl wit_host::Host for State {
    fn dns_query(
        &mut self,
        name: String,
        rtype: wit_host::RecordType,
    ) -> Result<Vec<String>, String> {
        self.count("DNS")?;
        let rtype = match rtype {
            wit_host::RecordType::A => Rtype::A,
            wit_host::RecordType::Aaaa => Rtype::Aaaa,
            wit_host::RecordType::Txt => Rtype::Txt,
            wit_host::RecordType::Ptr => Rtype::Ptr,
        };
        if name.len() > 253 {
            return Err(format!("DNS name of {} bytes is too long", name.len()));
        }
        if !self.grants.allows_name(&name) {
            let zones = if self.grants.dns.is_empty() {
                "none".to_string()
            } else {
                self.grants.dns.join(", ")
            };
            return Err(self.deny(format!(
                "DNS {} query for {name} is outside the zones granted to {} (granted: {zones})",
                rtype.name(),
                self.plugin
            )));
        }
        self.dns.query(&name, rtype)
    }

    fn read_data(&mut self, name: String) -> Result<Vec<u8>, String> {
        self.count("data")?;
        // Asking for a data file that is not granted reaches nothing: it
        // is how a plugin learns which source the site configured (a file,
        // or the live API), so it is an answer, not a denial.
        let Some(path) = self.grants.data.get(&name).cloned() else {
            return Err(format!(
                "not granted: data file `{name}` is not granted to {} (grant it with --data {name}=FILE or in the site config)",
                self.plugin
            ));
        };
        let meta = std::fs::metadata(&path)
            .map_err(|e| format!("data file `{name}` ({}): {e}", path.display()))?;
        if meta.len() > 64 << 20 {
            return Err(format!("data file `{name}` is over 64 MiB"));
        }
        std::fs::read(&path).map_err(|e| format!("data file `{name}` ({}): {e}", path.display()))
    }

    fn http_get(&mut self, url: String) -> Result<wit_host::HttpResponse, String> {
        self.count("HTTP")?;
        let authority = crate::http::authority(&url)?.to_string();
        if !self.grants.allows_host(&authority) {
            return Err(self.deny(format!(
                "HTTP GET to {authority} is not granted to {} (granted hosts: {})",
                self.plugin,
                if self.grants.http.is_empty() {
                    "none".to_string()
                } else {
                    self.grants.http.join(", ")
                }
            )));
        }
        let token = self
            .grants
            .http_token_env
            .as_ref()
            .and_then(|v| std::env::var(v).ok());
        let left = self.deadline.saturating_duration_since(Instant::now());
        // `{token}` in the URL is replaced by the site's secret (SNDS puts
        // its key in the query string); the plugin never sees the value.
        let url = match &token {
            Some(t) if url.contains("{token}") => url.replace("{token}", &crate::http::encode(t)),
            _ => url,
        };
        let (status, body) =
            crate::http::get(&url, token.as_deref(), left.max(Duration::from_millis(50)))?;
        Ok(wit_host::HttpResponse { status, body })
    }

    fn now_unix_ms(&mut self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn log(&mut self, level: wit_host::LogLevel, message: String) {
        if std::env::var_os("BOUNCEDX_PLUGIN_LOG").is_some() {
            let level = match level {
                wit_host::LogLevel::Debug => "debug",
                wit_host::LogLevel::Info => "info",
                wit_host::LogLevel::Warn => "warn",
                wit_host::LogLevel::Error => "error",
            };
            eprintln!(
                "[{} {}.{}] {}",
                level,
                self.plugin,
                self.check,
                clip(&message, 500)
            );
        }
    }
}
