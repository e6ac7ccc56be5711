//! `bouncedx serve`: the HTTP service and its page.

use super::RuleArgs;
use std::process::ExitCode;

/// Serve diagnoses over HTTP, with a page to paste bounces into.
///
/// Routes: POST /v1/diagnose, POST /v1/scan, POST /v1/explain, GET /v1/rules,
/// POST /v1/reload, GET /healthz, GET /metrics, and the page at /. The rule
/// packs are loaded at start; SIGHUP or POST /v1/reload reloads them, and a
/// pack that does not compile is refused with the old rules kept.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  bouncedx serve                              # http://127.0.0.1:8025/\n  BOUNCEDX_TOKEN=$(openssl rand -hex 16) bouncedx serve --listen 0.0.0.0:8025 --public --rules site/\n  curl -d '550 5.1.1 user unknown' http://127.0.0.1:8025/v1/diagnose"
)]
pub struct Args {
    /// Address to listen on (loopback unless told otherwise). Any other
    /// address needs --public and a token.
    #[arg(long, default_value = "127.0.0.1:8025")]
    pub listen: std::net::SocketAddr,
    /// Allow listening on an address other than loopback. The service has
    /// no user accounts: put it behind your own access control, and set a
    /// token (--token or BOUNCEDX_TOKEN) for /v1/reload.
    #[arg(long)]
    pub public: bool,
    /// The bearer token POST /v1/reload requires (`Authorization: Bearer
    /// TOKEN`); default $BOUNCEDX_TOKEN. Without one, /v1/reload answers
    /// only loopback clients.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "BOUNCEDX_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_body: usize,
    /// Requests served at once; more are answered 503 at once. A request
    /// holds its slot until its work is done (a /v1/scan stream: until
    /// the stream ends).
    #[arg(long, default_value_t = 256)]
    pub max_concurrency: usize,
    /// /v1/scan streams at once (each also holds a request slot), so that
    /// streams to clients that read slowly cannot take every slot.
    #[arg(long, default_value_t = 32)]
    pub max_scans: usize,
    /// Time allowed per request, in seconds: reading its body, the work,
    /// and streaming a /v1/scan answer included.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Time a client has to send a request's headers, in seconds; a slower
    /// client's connection is closed.
    #[arg(long, default_value_t = 10.0)]
    pub header_timeout: f64,
    /// Open connections from one client address; more are answered 503 and
    /// closed.
    #[arg(long, default_value_t = 64)]
    pub max_connections_per_ip: usize,
    /// What a gzip- or zstd-compressed body may decompress to, in MiB
    /// (/v1/diagnose: never more than --max-body either).
    #[arg(long, default_value_t = 256)]
    pub max_expanded: u64,
    /// What a compressed body may decompress to, as a multiple of its own
    /// size (never below 1 MiB).
    #[arg(long, default_value_t = 1000)]
    pub max_ratio: u64,
    /// Run the plugin checks the fired rules ask for on every diagnosis
    /// (blocklists, SPF/DMARC/DKIM, PTR, Postmaster Tools, SNDS: what the
    /// site granted). Plugins and grants are read at start, not on reload.
    #[arg(long)]
    pub checks: bool,
    #[command(flatten)]
    pub check_args: super::plugin::CheckArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let token = a.token.clone().filter(|t| !t.is_empty());
    if !a.listen.ip().is_loopback() {
        if !a.public {
            return Err(format!(
                "{} is not a loopback address: the service would answer anyone who can reach it\n  = help: add --public (and put it behind your own access control), with a token for /v1/reload: --token TOKEN or BOUNCEDX_TOKEN",
                a.listen
            ));
        }
        if token.is_none() {
            return Err(format!(
                "listening on {} needs a token for /v1/reload\n  = help: set --token TOKEN or BOUNCEDX_TOKEN (clients send `Authorization: Bearer TOKEN`)",
                a.listen
            ));
        }
    }
    bouncedx::rules::register_plugin_checks(&a.rules.plugins)?;
    let checks: Option<std::sync::Arc<dyn bouncedx_engine::checks::CheckRunner>> = if a.checks {
        Some(std::sync::Arc::new(a.check_args.host(&a.rules)?))
    } else {
        None
    };
    let config = bouncedx::serve::Config {
        checks,
        listen: a.listen,
        token,
        rules: a.rules.rules.clone(),
        no_default_rules: a.rules.no_default_rules,
        max_body: a.max_body,
        max_concurrency: a.max_concurrency.max(1),
        max_scans: a.max_scans.max(1),
        timeout: std::time::Duration::from_secs_f64(a.timeout.max(0.001)),
        header_timeout: std::time::Duration::from_secs_f64(a.header_timeout.max(0.001)),
        max_connections_per_ip: a.max_connections_per_ip.max(1),
        max_expanded: a.max_expanded.max(1).saturating_mul(1 << 20),
        max_ratio: a.max_ratio.max(1),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(bouncedx::serve::run(config))?;
    Ok(ExitCode::SUCCESS)
}
