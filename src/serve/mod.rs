//! `bouncedx serve`: the engine behind HTTP.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/diagnose` | one input (a reply, a bounce e-mail, a log line, a webhook event), raw or as `{"input": "...", "form": "auto"}`; answers `{"results": [...], "errors": [...]}` |
//! | `POST /v1/scan?input=auto` | a batch (a log, replies one per line, JSON Lines events); answers JSON Lines, streamed as they are diagnosed |
//! | `POST /v1/explain` | every rule on one reply (raw body), and why it fired or not |
//! | `GET /v1/rules` | the loaded packs, their files and rule ids |
//! | `GET /` | a page to paste a bounce into (no network needed: it is in the binary) |
//! | `POST /v1/reload` | reloads the rule packs; a pack that does not compile is refused and the old rules stay |
//! | `GET /healthz` | `ok` |
//! | `GET /metrics` | Prometheus text: requests, latency, diagnoses by category and reason, reloads |
//!
//! Limits, each with a clear answer (every error body is JSON):
//!
//! | limit | flag | answer |
//! | --- | --- | --- |
//! | body size | `--max-body` | 413 |
//! | what a gzip/zstd body expands to | `--max-expanded`, `--max-ratio` | 413 (`/v1/diagnose`), an error line (`/v1/scan`) |
//! | requests at once | `--max-concurrency` | 503 at once, not a queue |
//! | `/v1/scan` streams at once | `--max-scans` | 503 (so streams never starve `/v1/diagnose`) |
//! | time per request, reading the body and streaming the answer included | `--timeout` | 408, or a cut stream |
//! | time to send the request headers | `--header-timeout` | connection closed |
//! | connections per client address | `--max-connections-per-ip` | 503 and closed |
//!
//! A request holds its slot until its work is done, not until its headers
//! are sent: the blocking work and a streamed body each keep the slot, and
//! when the deadline passes or the client leaves the work is told to stop
//! (it checks between jobs and while decompressing) and a stream's
//! connection is closed.
//!
//! The engine is shared behind a lock that is held only to clone an
//! `Arc`, so a reload (`SIGHUP` or `POST /v1/reload`) swaps rules without
//! dropping requests: those in flight finish on the rules they started with.

pub mod metrics;

use crate::scan::{self, Form, Item};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bouncedx_engine::Engine;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How the service is set up.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The bearer token `/v1/reload` requires; without one, only loopback
    /// clients may reload.
    pub token: Option<String>,
    pub rules: Vec<PathBuf>,
    pub no_default_rules: bool,
    pub max_body: usize,
    pub max_concurrency: usize,
    /// `/v1/scan` streams at once (each also takes a request slot).
    pub max_scans: usize,
    pub timeout: Duration,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// Open connections from one client address.
    pub max_connections_per_ip: usize,
    /// Decompressed bytes one request may expand to.
    pub max_expanded: u64,
    /// Decompressed bytes per compressed byte one request may expand to.
    pub max_ratio: u64,
    /// Runs the checks the fired rules ask for (`serve --checks`); the
    /// plugin host and its grants are set up once, at start.
    pub checks: Option<Arc<dyn bouncedx_engine::checks::CheckRunner>>,
}

/// What every handler shares.
pub struct Shared {
    engine: RwLock<Arc<Engine>>,
    /// One permit per request served at once.
    slots: Arc<tokio::sync::Semaphore>,
    /// One permit per `/v1/scan` stream.
    scan_slots: Arc<tokio::sync::Semaphore>,
    config: Config,
    pub metrics: metrics::Metrics,
}

impl Shared {
    fn engine(&self) -> Arc<Engine> {
        self.engine.read().expect("engine lock").clone()
    }
}

/// Compiles the configured packs; the rendered diagnostics on failure.
pub fn load(config: &Config) -> Result<Engine, String> {
    let c = crate::rules::compile_to_run(&config.rules, config.no_default_rules)?;
    let engine = crate::rules::engine_of(c, false).map_err(|refused| refused.report)?;
    Ok(match &config.checks {
        Some(runner) => engine.with_checks(runner.clone()),
        None => engine,
    })
}

/// Reloads the rules: on success they replace the old ones; on failure the
/// old ones stay and the reason is returned.
pub fn reload(shared: &Shared) -> Result<usize, String> {
    match load(&shared.config) {
        Ok(e) => {
            let n = e.ruleset.rules.len();
            // counted first: whoever sees the new rules sees the count too
            shared.metrics.reload(true);
            *shared.engine.write().expect("engine lock") = Arc::new(e);
            Ok(n)
        }
        Err(e) => {
            shared.metrics.reload(false);
            Err(e)
        }
    }
}

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, msg: impl Into<String>) -> Response {
    json(status, serde_json::json!({ "error": msg.into() }))
}

/// `?input=reply|email|log|json|auto`.
#[derive(serde::Deserialize, Default)]
pub struct FormQuery {
    input: Option<String>,
}

fn form_of(name: Option<&str>) -> Result<Form, String> {
    Ok(match name.unwrap_or("auto") {
        "auto" => Form::Auto,
        "reply" => Form::Reply,
        "email" => Form::Email,
        "log" => Form::Log,
        "json" => Form::Json,
        other => {
            return Err(format!(
                "unknown input form `{other}`: use auto, reply, email, log or json"
            ));
        }
    })
}

/// Diagnoses bytes held in memory: `{"results": [...], "errors": [...]}`,
/// each result rendered as the CLI renders it (the same JSON, byte for byte).
/// `None` when the request ended first (`limits.stop`) or its body
/// expanded past the limits (`limits.tripped`: the caller answers 413).
fn diagnose_bytes(
    engine: &Engine,
    shared: &Shared,
    bytes: &[u8],
    form: Form,
    limits: &scan::sources::ReadLimits,
) -> Option<String> {
    let (mut results, mut errors) = (Vec::new(), Vec::new());
    // One answer holds every result: it may be at most 4 times --max-body
    // (a batch that yields more belongs to /v1/scan, which streams).
    let answer_cap = shared.config.max_body.saturating_mul(4);
    let mut answer_bytes = 0usize;
    let _ = scan::sources::read_bytes_limited("request", bytes, form, limits, &mut |j| {
        if limits.stopped() {
            return Err(std::io::Error::other("the request ended"));
        }
        for item in scan::process(engine, j).items {
            match item {
                Item::Result(d) => {
                    shared.metrics.diagnosis(&d.category, d.concerns, &d.reason);
                    let line = bouncedx_engine::render::jsonl(&d);
                    answer_bytes += line.len();
                    results.push(line);
                    if answer_bytes > answer_cap {
                        limits
                            .tripped
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                        return Err(std::io::Error::other("the answer is too large"));
                    }
                }
                Item::Error(_, e) => errors.push(serde_json::Value::String(e).to_string()),
                Item::Packed { .. } => {}
            }
        }
        Ok(())
    });
    let tripped = limits.tripped.load(std::sync::atomic::Ordering::Relaxed);
    if tripped || limits.stopped() {
        return None;
    }
    Some(format!(
        "{{\"results\":[{}],\"errors\":[{}]}}",
        results.join(","),
        errors.join(",")
    ))
}

/// A request's hold on its slot, shared by the handler and the work it
/// starts (a blocking task, a streamed body): the slot is free again only
/// when every holder has let go.
#[derive(Clone)]
pub struct Slot(#[allow(dead_code)] Arc<tokio::sync::OwnedSemaphorePermit>);

/// Tells the work of a request to stop when the request ends (its future
/// is dropped: the deadline passed, or the client left).
struct StopOnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Closes a request's connection (set per connection by [`run`]).
#[derive(Clone)]
pub struct CloseConnection(Arc<tokio::sync::Notify>);

/// The limits one request's body is read under.
fn read_limits(shared: &Shared, max_expanded: u64) -> scan::sources::ReadLimits {
    scan::sources::ReadLimits {
        max_expanded: Some(max_expanded),
        max_ratio: Some(shared.config.max_ratio),
        stop: Some(Arc::new(std::sync::atomic::AtomicBool::new(false))),
        tripped: Arc::default(),
    }
}

async fn diagnose(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<FormQuery>,
    slot: Option<axum::Extension<Slot>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (bytes, form) = if is_json {
        #[derive(serde::Deserialize)]
        struct Req {
            input: String,
            #[serde(default)]
            form: Option<String>,
        }
        match serde_json::from_slice::<Req>(&body) {
            Ok(r) => (r.input.into_bytes(), r.form),
            Err(e) => {
                let resp = error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "the JSON body must be {{\"input\": \"...\", \"form\": \"auto\"}}: {e}"
                    ),
                );
                shared.metrics.request("diagnose", 400, started.elapsed());
                return resp;
            }
        }
    } else {
        (body.to_vec(), q.input)
    };
    let form = match form_of(form.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            shared.metrics.request("diagnose", 400, started.elapsed());
            return error(StatusCode::BAD_REQUEST, e);
        }
    };
    // One line that is not an e-mail or JSON is a reply (a log scanner
    // would skip a short reply without a recognisable log shape).
    let lines = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count();
    // (A compressed body is no reply, whatever its bytes look like.)
    let compressed = !matches!(
        scan::compressed::detect(&bytes),
        scan::compressed::Compression::None
    );
    let form = if form == Form::Auto
        && !compressed
        && lines <= 1
        && scan::sources::detect(&bytes) == Form::Log
    {
        Form::Reply
    } else {
        form
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        shared.metrics.request("diagnose", 400, started.elapsed());
        return error(
            StatusCode::BAD_REQUEST,
            "empty body: send a reply, a bounce, a log line or an event",
        );
    }
    let body_len = bytes.len() as u64;
    let engine = shared.engine();
    let s = shared.clone();
    // One answer holds every result: the body may expand to --max-body at
    // most (and --max-expanded); batches go to /v1/scan, which streams.
    let limits = read_limits(
        &shared,
        shared
            .config
            .max_expanded
            .min(shared.config.max_body as u64),
    );
    let _stop = StopOnDrop(limits.stop.clone().expect("set"));
    let work_limits = limits.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let _slot = slot; // the slot stays taken until the work is done
        diagnose_bytes(&engine, &s, &bytes, form, &work_limits)
    })
    .await;
    let resp = match answer {
        Ok(None) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body decompresses to more than {} (--max-expanded, --max-ratio), or its results would pass 4 times --max-body; /v1/diagnose answers at once, so send batches to /v1/scan",
                scan::compressed::human_bytes(
                    limits
                        .cap_for(body_len)
                        .unwrap_or(shared.config.max_expanded)
                )
            ),
        ),
        Ok(Some(body)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("diagnosis failed: {e}"),
        ),
    };
    shared
        .metrics
        .request("diagnose", resp.status().as_u16(), started.elapsed());
    resp
}

async fn scan_batch(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<FormQuery>,
    slot: Option<axum::Extension<Slot>>,
    close: Option<axum::Extension<CloseConnection>>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let form = match form_of(q.input.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            shared.metrics.request("scan", 400, started.elapsed());
            return error(StatusCode::BAD_REQUEST, e);
        }
    };
    // Streams hold their slots for as long as they stream: they have a
    // share of their own, so that clients who never read cannot take every
    // slot from /v1/diagnose.
    let Ok(scan_slot) = shared.scan_slots.clone().try_acquire_owned() else {
        shared.metrics.request("scan", 503, started.elapsed());
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many /v1/scan streams at once (see --max-scans); retry shortly",
        );
    };
    let engine = shared.engine();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(64);
    let s = shared.clone();
    let limits = read_limits(&shared, shared.config.max_expanded);
    let stop = limits.stop.clone().expect("set");
    // The deadline covers the whole stream: when it passes the work stops
    // and the connection is closed, whether or not the client reads.
    let deadline = tokio::time::Instant::from_std(started + shared.config.timeout);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    if let Some(axum::Extension(close)) = close {
                        close.0.notify_one();
                    }
                }
                _ = done_rx => {}
            }
        });
    }
    let handle = tokio::runtime::Handle::current();
    let work_slot = slot.clone();
    tokio::task::spawn_blocking(move || {
        let _slot = work_slot;
        let send = |line: Result<String, std::io::Error>| -> bool {
            // Back-pressure: wait while the client does not read, up to
            // the deadline.
            matches!(
                handle.block_on(tokio::time::timeout_at(deadline, tx.send(line))),
                Ok(Ok(()))
            )
        };
        let read = scan::sources::read_bytes_limited("request", &body, form, &limits, &mut |job| {
            if limits.stopped() {
                return Err(std::io::Error::other("stopped"));
            }
            for item in scan::process(&*engine, job).items {
                let line = match item {
                    Item::Result(d) => {
                        s.metrics.diagnosis(&d.category, d.concerns, &d.reason);
                        bouncedx_engine::render::jsonl(&d)
                    }
                    Item::Error(src, e) => {
                        serde_json::json!({ "source": src, "error": e }).to_string()
                    }
                    Item::Packed { .. } => continue,
                };
                if !send(Ok(line + "\n")) {
                    // the client went away, or the deadline passed
                    return Err(std::io::Error::other("client gone"));
                }
            }
            Ok(())
        });
        if read.is_err() && limits.stopped() {
            let line = serde_json::json!({ "source": "request", "error": "the request took too long (see --timeout); the results above are not all" }).to_string();
            let _ = send(Ok(line + "\n"));
            // an error ends the body without its last chunk: the client
            // sees a cut answer, not a complete one
            let _ = send(Err(std::io::Error::other("timed out")));
        }
    });
    shared.metrics.request("scan", 200, started.elapsed());
    // The body holds the slots until it is done (or dropped with its
    // connection), and tells the watchdog it finished.
    struct Held {
        rx: tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>,
        _slot: Option<axum::Extension<Slot>>,
        _scan_slot: tokio::sync::OwnedSemaphorePermit,
        _done: tokio::sync::oneshot::Sender<()>,
        _stop: StopOnDrop,
    }
    let held = Held {
        rx,
        _slot: slot,
        _scan_slot: scan_slot,
        _done: done_tx,
        _stop: StopOnDrop(stop),
    };
    let stream = futures_util::stream::unfold(held, |mut h| async move {
        h.rx.recv().await.map(|item| (item, h))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// Compares two secrets in time that does not depend on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's address, set per connection by [`run`].
#[derive(Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// `POST /v1/explain`: every rule on one reply, and why it fired or not.
async fn explain(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let started = Instant::now();
    if body.iter().all(u8::is_ascii_whitespace) {
        shared.metrics.request("explain", 400, started.elapsed());
        return error(
            StatusCode::BAD_REQUEST,
            "empty body: send one reply to explain",
        );
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let engine = shared.engine();
    let x = tokio::task::spawn_blocking(move || {
        let facts = bouncedx_engine::intake::reply::parse_reply(&text);
        bouncedx_engine::explain::explain(&engine.ruleset, &facts)
    })
    .await;
    let resp = match x {
        Ok(x) => json(
            StatusCode::OK,
            serde_json::to_value(&x).expect("explanation serialises"),
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("explain failed: {e}"),
        ),
    };
    shared
        .metrics
        .request("explain", resp.status().as_u16(), started.elapsed());
    resp
}

async fn rules(State(shared): State<Arc<Shared>>) -> Response {
    let started = Instant::now();
    let engine = shared.engine();
    let rs = &engine.ruleset;
    let versions = crate::rules::loaded_versions(&shared.config.rules);
    let packs: Vec<serde_json::Value> = rs
        .packs
        .iter()
        .map(|p| {
            let version = versions
                .iter()
                .find(|(n, _)| *n == p.name)
                .map(|(_, v)| v.to_string());
            serde_json::json!({ "name": p.name, "version": version, "files": p.files })
        })
        .collect();
    let ids: Vec<&str> = rs
        .rules
        .iter()
        .filter(|r| r.answers())
        .map(|r| &*r.id)
        .collect();
    let resp = json(
        StatusCode::OK,
        serde_json::json!({ "bouncedx": env!("CARGO_PKG_VERSION"), "packs": packs, "rules": ids }),
    );
    shared.metrics.request("rules", 200, started.elapsed());
    resp
}

async fn reload_route(
    State(shared): State<Arc<Shared>>,
    peer: Option<axum::Extension<Peer>>,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let allowed = match &shared.config.token {
        Some(t) => given.is_some_and(|g| constant_time_eq(g.as_bytes(), t.as_bytes())),
        None => peer.is_some_and(|axum::Extension(Peer(addr))| addr.ip().is_loopback()),
    };
    if !allowed {
        shared.metrics.request("reload", 401, started.elapsed());
        return error(
            StatusCode::UNAUTHORIZED,
            if shared.config.token.is_some() {
                "reloading needs `Authorization: Bearer TOKEN` with the service's token (--token, BOUNCEDX_TOKEN)"
            } else {
                "reloading without a token is for loopback clients only; start the service with --token"
            },
        );
    }
    let s = shared.clone();
    let result = tokio::task::spawn_blocking(move || reload(&s)).await;
    let resp = match result {
        Ok(Ok(n)) => json(
            StatusCode::OK,
            serde_json::json!({ "reloaded": true, "rules": n }),
        ),
        Ok(Err(why)) => json(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({ "reloaded": false, "error": "the rules did not compile; the old rules stay", "diagnostics": why }),
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reload failed: {e}"),
        ),
    };
    shared
        .metrics
        .request("reload", resp.status().as_u16(), started.elapsed());
    resp
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn metrics_route(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(),
    )
        .into_response()
}

/// The limits every request goes through: a slot among
/// `--max-concurrency` (none free: 503 at once), and `--timeout` for the
/// whole request, reading its body included (408).
async fn limits(
    State(shared): State<Arc<Shared>>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = Instant::now();
    let route = metrics::route_of(req.uri().path());
    let Ok(permit) = shared.slots.clone().try_acquire_owned() else {
        shared.metrics.request(route, 503, started.elapsed());
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many requests at once (see --max-concurrency); retry shortly",
        );
    };
    // The handler and the work it starts hold the slot; it is free again
    // when the last of them lets go.
    req.extensions_mut().insert(Slot(Arc::new(permit)));
    match tokio::time::timeout(shared.config.timeout, next.run(req)).await {
        Ok(resp) if resp.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json(&resp) => {
            // axum's own body limit answers in plain text
            shared.metrics.request(route, 413, started.elapsed());
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body is larger than {} (see --max-body)",
                    scan::compressed::human_bytes(shared.config.max_body as u64)
                ),
            )
        }
        Ok(resp) => resp,
        Err(_) => {
            shared.metrics.request(route, 408, started.elapsed());
            error(
                StatusCode::REQUEST_TIMEOUT,
                "the request took too long (see --timeout)",
            )
        }
    }
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The routes with their limits.
pub fn app(shared: Arc<Shared>) -> Router {
    let cfg = &shared.config;
    Router::new()
        .route("/v1/diagnose", post(diagnose))
        .route("/v1/scan", post(scan_batch))
        .route("/v1/rules", get(rules))
        .route("/v1/explain", post(explain))
        .route("/v1/reload", post(reload_route))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_route))
        .route("/", get(page))
        .layer(DefaultBodyLimit::max(cfg.max_body))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), limits))
        .with_state(shared.clone())
}

async fn page() -> axum::response::Html<&'static str> {
    axum::response::Html(include_str!("page.html"))
}

/// Runs the service until interrupted.
pub async fn run(config: Config) -> Result<(), String> {
    let engine = load(&config)?;
    let shared = Arc::new(Shared {
        engine: RwLock::new(Arc::new(engine)),
        slots: Arc::new(tokio::sync::Semaphore::new(config.max_concurrency)),
        scan_slots: Arc::new(tokio::sync::Semaphore::new(config.max_scans)),
        config: config.clone(),
        metrics: metrics::Metrics::default(),
    });
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    eprintln!("bouncedx serve: listening on http://{addr}");
    #[cfg(unix)]
    {
        let s = shared.clone();
        tokio::spawn(async move {
            let Ok(mut hup) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            else {
                return;
            };
            while hup.recv().await.is_some() {
                let s2 = s.clone();
                match tokio::task::spawn_blocking(move || reload(&s2)).await {
                    Ok(Ok(n)) => eprintln!("bouncedx serve: rules reloaded ({n} rules)"),
                    Ok(Err(e)) => {
                        eprintln!("bouncedx serve: reload refused, the old rules stay:\n{e}")
                    }
                    Err(e) => eprintln!("bouncedx serve: reload failed: {e}"),
                }
            }
        });
    }
    serve_connections(listener, app(shared), &config).await
}

/// The accept loop: each connection served by hyper with a deadline for
/// its request headers (a client that sends them a byte at a time is cut
/// off), at most `--max-connections-per-ip` connections per client
/// address, and a handle ([`CloseConnection`]) its requests use to close
/// it when their deadline passes. Ends on Ctrl-C.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    config: &Config,
) -> Result<(), String> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use std::collections::HashMap;
    use std::net::IpAddr;
    let per_ip: Arc<std::sync::Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // out of descriptors and the like: wait a moment, go on
                    eprintln!("bouncedx serve: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut ctrl_c => return Ok(()),
        };
        let ip = peer.ip();
        let open = {
            let mut m = per_ip.lock().expect("per-ip lock");
            let n = m.entry(ip).or_insert(0);
            *n += 1;
            *n
        };
        // Forgets the connection when its task ends, however it ends.
        struct Counted(Arc<std::sync::Mutex<HashMap<IpAddr, usize>>>, IpAddr);
        impl Drop for Counted {
            fn drop(&mut self) {
                let mut m = self.0.lock().expect("per-ip lock");
                if let Some(n) = m.get_mut(&self.1) {
                    *n -= 1;
                    if *n == 0 {
                        m.remove(&self.1);
                    }
                }
            }
        }
        let counted = Counted(per_ip.clone(), ip);
        if open > config.max_connections_per_ip {
            tokio::spawn(async move {
                let _counted = counted;
                refuse(stream).await;
            });
            continue;
        }
        let app = app.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let _counted = counted;
            let close = CloseConnection(Arc::new(tokio::sync::Notify::new()));
            let for_requests = close.clone();
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(for_requests.clone());
                    req.extensions_mut().insert(Peer(peer));
                    let mut app = app.clone();
                    async move {
                        use tower_service::Service;
                        app.call(req).await
                    }
                },
            );
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = close.0.notified() => {} // dropped: the socket closes
            }
        });
    }
}

/// Answers a connection over the per-address limit with a 503 and closes it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let body =
        r#"{"error":"too many connections from this address (see --max-connections-per-ip)"}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(answer.as_bytes())).await;
    let _ = stream.shutdown().await;
}
