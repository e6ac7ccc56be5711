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
//! Limits, each with a clear answer: the body size (413), requests at once
//! (503 at once, not a queue), time per request including reading the body
//! (408). The engine is shared behind a lock that is held only to clone an
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
    pub rules: Vec<PathBuf>,
    pub no_default_rules: bool,
    pub max_body: usize,
    pub max_concurrency: usize,
    pub timeout: Duration,
    /// Runs the checks the fired rules ask for (`serve --checks`); the
    /// plugin host and its grants are set up once, at start.
    pub checks: Option<Arc<dyn bouncedx_engine::checks::CheckRunner>>,
}

/// What every handler shares.
pub struct Shared {
    engine: RwLock<Arc<Engine>>,
    /// One permit per request served at once.
    slots: Arc<tokio::sync::Semaphore>,
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
    if c.report.has_errors() {
        return Err(c.report.render(&c.sources, false));
    }
    let engine = Engine::new(c.ruleset.expect("no errors, so a ruleset"));
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
            *shared.engine.write().expect("engine lock") = Arc::new(e);
            shared.metrics.reload(true);
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
fn diagnose_bytes(engine: &Engine, shared: &Shared, bytes: &[u8], form: Form) -> String {
    let mut jobs = Vec::new();
    let _ = scan::sources::read_bytes("request", bytes, form, &mut |j| {
        jobs.push(j);
        Ok(())
    });
    let (mut results, mut errors) = (Vec::new(), Vec::new());
    for j in jobs {
        for item in scan::process(engine, j).items {
            match item {
                Item::Result(d) => {
                    shared.metrics.diagnosis(&d.category, &d.reason);
                    results.push(bouncedx_engine::render::jsonl(&d));
                }
                Item::Error(_, e) => errors.push(serde_json::Value::String(e).to_string()),
            }
        }
    }
    format!(
        "{{\"results\":[{}],\"errors\":[{}]}}",
        results.join(","),
        errors.join(",")
    )
}

async fn diagnose(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<FormQuery>,
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
    let form = if form == Form::Auto && lines <= 1 && scan::sources::detect(&bytes) == Form::Log {
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
    let engine = shared.engine();
    let s = shared.clone();
    let answer =
        tokio::task::spawn_blocking(move || diagnose_bytes(&engine, &s, &bytes, form)).await;
    let resp = match answer {
        Ok(body) => (
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
    let engine = shared.engine();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(64);
    let s = shared.clone();
    tokio::task::spawn_blocking(move || {
        let _ = scan::sources::read_bytes("request", &body, form, &mut |job| {
            for item in scan::process(&*engine, job).items {
                let line = match item {
                    Item::Result(d) => {
                        s.metrics.diagnosis(&d.category, &d.reason);
                        bouncedx_engine::render::jsonl(&d)
                    }
                    Item::Error(src, e) => {
                        serde_json::json!({ "source": src, "error": e }).to_string()
                    }
                };
                if tx.blocking_send(Ok(line + "\n")).is_err() {
                    // the client went away
                    return Err(std::io::Error::other("client gone"));
                }
            }
            Ok(())
        });
    });
    shared.metrics.request("scan", 200, started.elapsed());
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// `POST /v1/explain`: every rule on one reply, and why it fired or not.
async fn explain(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let started = Instant::now();
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
        .filter(|r| !r.disabled)
        .map(|r| &*r.id)
        .collect();
    let resp = json(
        StatusCode::OK,
        serde_json::json!({ "bouncedx": env!("CARGO_PKG_VERSION"), "packs": packs, "rules": ids }),
    );
    shared.metrics.request("rules", 200, started.elapsed());
    resp
}

async fn reload_route(State(shared): State<Arc<Shared>>) -> Response {
    let started = Instant::now();
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
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Ok(_slot) = shared.slots.clone().try_acquire_owned() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many requests at once (see --max-concurrency); retry shortly",
        );
    };
    match tokio::time::timeout(shared.config.timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => error(
            StatusCode::REQUEST_TIMEOUT,
            "the request took too long (see --timeout)",
        ),
    }
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
    axum::serve(listener, app(shared))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}
