//! `bouncedx scan`: every rejection in files, folders, mailboxes, logs and
//! webhook dumps, streamed as JSON Lines or folded into a summary.

use super::RuleArgs;
use bouncedx::scan::{self, summary::Summary, Form, Job};
use bouncedx_engine::{render, Engine};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Scan bounce e-mails, mailboxes, MTA logs and ESP webhooks for rejections.
///
/// PATH is a file, a folder (walked recursively, in name order), an mbox, a
/// Maildir, a log, a JSON file, or `-` for stdin. Each input's form is
/// detected from its content (`--input` forces one): an mbox starts with
/// `From `; JSON with `{` or `[` (a webhook event or log record of Amazon
/// SES, SparkPost, Mandrill, Mailjet, Brevo, SendGrid, Mailgun, Postmark,
/// Resend, Postal or KumoMTA, or any event naming a recipient and a reply);
/// an e-mail with header lines, or a bounce's text saved without them (a
/// mail system's bounce sentence in its first 1,024 bytes); anything else is
/// read as a log, one line at a time: Postfix, Exim, Sendmail, OpenSMTPD,
/// qmail, PowerMTA, Exchange and Haraka lines by their fields (deliveries
/// and the server's own refusals), any other line that holds a 4xx/5xx
/// reply by its words; lines that are not rejections are counted and
/// skipped. Any of them may be gzip- or
/// zstd-compressed (rotated logs: `mail.log.2.gz`); it is decompressed as it
/// is read.
///
/// Every diagnosis is one JSON line with `source` (the path), `line` (for
/// logs and JSON Lines), `message` (the index in an mbox) and, for webhook
/// events, `esp_verdict`. An input that cannot be read yields a line
/// `{"source": ..., "error": ...}` and the scan goes on.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  bouncedx scan bounces/                      # a folder of .eml files, JSON Lines out\n  bouncedx scan --summary table /var/log/mail.log\n  bouncedx scan /var/log/mail.log*            # rotated logs too: .gz and .zst are read as they are\n  bouncedx scan --summary markdown Maildir/ > report.md\n  cat events.jsonl | bouncedx scan --input json -\n  bouncedx scan --checks --zone dnsbl.zone bounces/   # refine vague 5.7.1s with checks\n\nExit codes: 0 scanned (even if some inputs were unreadable: see the error lines and the summary); 1 rule errors; 2 usage or I/O error (a named path that does not exist: the others are scanned first). Output to a pipe that closes early ends the scan quietly."
)]
pub struct Args {
    /// Files, folders, mboxes, Maildirs, logs, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Force the input form instead of detecting it from content.
    #[arg(long = "input", value_enum, default_value = "auto")]
    pub input: Form,
    /// Per-result output: `jsonl` (one object per line) or `human`.
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "human"])]
    pub format: String,
    /// Print only an aggregate report instead of each result: `table`,
    /// `json` or `markdown`.
    #[arg(long, value_name = "FORMAT", value_parser = ["table", "json", "markdown"])]
    pub summary: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Run the plugin checks the fired rules ask for (blocklists, SPF,
    /// DMARC, DKIM, reverse DNS, Postmaster Tools, SNDS: whatever the site
    /// granted) on every diagnosis; results are listed under `checks`. Live
    /// DNS is cached for the whole scan.
    #[arg(long)]
    pub checks: bool,
    #[command(flatten)]
    pub check_args: super::plugin::CheckArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Jobs are processed in batches of this many bytes (or [`BATCH_JOBS`]
/// jobs), all cores at once; results come back in input order.
const BATCH_BYTES: usize = 4 * 1024 * 1024;
const BATCH_JOBS: usize = 256;
/// How many batches may be in the workers' hands at once.
const IN_FLIGHT: usize = 2;

/// Compiles the packs (and, with `--checks`, starts the plugin host): the
/// engine, or what to exit with when the packs have errors.
fn build_engine(a: &Args) -> Result<Result<Engine, ExitCode>, String> {
    let mut engine = match a.rules.engine()? {
        Ok(e) => e,
        Err(code) => return Ok(Err(code)),
    };
    if a.checks {
        let host = a.check_args.host(&a.rules)?;
        engine = engine.with_checks(std::sync::Arc::new(host));
    }
    Ok(Ok(engine))
}

/// Why a scan stopped before its end without an I/O error: the packs did
/// not compile (their errors are reported by the compiling thread's result).
const RULES_FAILED: &str = "the rules did not compile";

pub fn run(a: Args) -> Result<ExitCode, String> {
    if !a.checks && (!a.check_args.zones.is_empty() || !a.check_args.data.is_empty()) {
        return Err("--zone and --data are for checks: add --checks".into());
    }
    if let Some(n) = a.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .map_err(|e| format!("cannot start {n} worker threads: {e}"))?;
    }
    // A path that does not exist is a usage error (exit 2), said on stderr
    // even under --summary; the other inputs are still scanned.
    let missing: Vec<&String> = a
        .paths
        .iter()
        .filter(|p| *p != "-" && std::fs::symlink_metadata(p).is_err())
        .collect();
    let progress = (!a.no_progress && std::io::stderr().is_terminal())
        .then(|| scan::progress::Progress::start(&a.paths));
    let human = a.format == "human";
    let color = crate::output::color_stdout();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut summary = Summary::default();
    let mut batch: Vec<Job> = Vec::new();
    let mut weight = 0usize;
    let summary_only = a.summary.is_some();

    // The packs compile on a thread of their own while the walk starts and
    // the workers read and MIME-parse the first e-mails; a worker waits for
    // the engine only when it has something to diagnose (`EngineSource`).
    let engine: std::sync::OnceLock<Option<Engine>> = std::sync::OnceLock::new();
    // What a worker hands back for one job: its share of the summary, and
    // its output lines already rendered. The diagnoses themselves are
    // dropped in the worker, so a batch in flight holds text, not
    // structures (a log where every line is a rejection held ~4x more).
    enum Out {
        Line(String),
        /// An input that could not be read: (source, reason).
        Error(String, String),
        /// A small file that is compressed: streamed by this thread, in
        /// bounded batches, when its turn to be written comes.
        Packed(String, Form, Vec<u8>),
    }
    type Done = Vec<(Summary, Vec<Out>)>;
    // Workers diagnose and render a batch; this thread walks, counts and
    // writes.
    let process = |jobs: Vec<Job>| -> Done {
        jobs.into_par_iter()
            .map(|j| {
                let o = scan::process(&engine, j);
                let mut part = Summary::default();
                part.documents = o.documents;
                part.lines = o.lines;
                part.skipped = o.skipped;
                let mut outs = Vec::with_capacity(if summary_only { 0 } else { o.items.len() });
                for item in o.items {
                    match item {
                        scan::Item::Result(d) => {
                            // Without --summary only the count is shown
                            // (by the progress bar): the tallies are not
                            // built for nothing.
                            if summary_only {
                                part.add(&d);
                            } else {
                                part.results += 1;
                                outs.push(Out::Line(if human {
                                    render::human(&d, color)
                                } else {
                                    render::jsonl(&d)
                                }));
                            }
                        }
                        scan::Item::Error(source, error) => {
                            part.errors += 1;
                            if !summary_only {
                                outs.push(Out::Error(source, error));
                            }
                        }
                        scan::Item::Packed {
                            source,
                            form,
                            bytes,
                        } => outs.push(Out::Packed(source, form, bytes)),
                    }
                }
                (part, outs)
            })
            .collect()
    };
    let write_one = |o: Out, out: &mut dyn Write| -> std::io::Result<()> {
        match o {
            Out::Line(line) => writeln!(out, "{line}"),
            Out::Error(source, error) if human => {
                eprintln!("error: {source}: {error}");
                Ok(())
            }
            Out::Error(source, error) => {
                let line = serde_json::json!({ "source": source, "error": error });
                writeln!(out, "{line}")
            }
            Out::Packed(source, ..) => {
                // only files hold compressed text, and they are opened once
                let line = serde_json::json!({ "source": source, "error": "compressed data inside compressed data: not read" });
                writeln!(out, "{line}")
            }
        }
    };
    // A compressed small file, streamed here as a large file is: batches of
    // bounded size, diagnosed on every core, written as each completes.
    let stream_packed = |source: &str,
                         form: Form,
                         bytes: &[u8],
                         summary: &mut Summary,
                         out: &mut dyn Write|
     -> std::io::Result<()> {
        let mut batch: Vec<Job> = Vec::new();
        let mut weight = 0usize;
        let flush = |batch: &mut Vec<Job>, summary: &mut Summary, out: &mut dyn Write| {
            let jobs = std::mem::take(batch);
            let bytes = jobs.iter().map(Job::input_bytes).sum::<u64>();
            for (part, outs) in process(jobs) {
                summary.merge(part);
                for o in outs {
                    write_one(o, out)?;
                }
            }
            if let Some(p) = &progress {
                p.advance(bytes, summary);
            }
            std::io::Result::Ok(())
        };
        scan::sources::read_bytes(source, bytes, form, &mut |job| {
            weight += job.weight();
            batch.push(job);
            if batch.len() >= BATCH_JOBS || weight >= BATCH_BYTES {
                weight = 0;
                flush(&mut batch, summary, out)?;
            }
            Ok(())
        })?;
        flush(&mut batch, summary, out)
    };
    let write =
        |outcomes: Done, summary: &mut Summary, out: &mut dyn Write| -> std::io::Result<()> {
            for (part, outs) in outcomes {
                summary.merge(part);
                for o in outs {
                    match o {
                        Out::Packed(source, form, bytes) => {
                            stream_packed(&source, form, &bytes, summary, out)?
                        }
                        other => write_one(other, out)?,
                    }
                }
            }
            Ok(())
        };

    // Up to IN_FLIGHT batches are processed at once, so the workers start
    // on the next batch while the last e-mails of one are still being read;
    // results are written in input order as each oldest batch completes.
    let (finished, built) = std::thread::scope(|scope| {
        let compiling = scope.spawn(|| {
            // Whatever happens here (even a panic), the workers waiting for
            // the engine must be let go.
            struct Release<'a>(&'a std::sync::OnceLock<Option<Engine>>);
            impl Drop for Release<'_> {
                fn drop(&mut self) {
                    let _ = self.0.set(None);
                }
            }
            let _release = Release(&engine);
            match build_engine(&a) {
                Ok(Ok(e)) => {
                    let _ = engine.set(Some(e));
                    Ok(None)
                }
                Ok(Err(code)) => Ok(Some(code)),
                Err(msg) => Err(msg),
            }
        });
        let mut in_flight = std::collections::VecDeque::new();
        let mut launch = |batch: &mut Vec<Job>,
                          summary: &mut Summary,
                          out: &mut dyn Write,
                          keep: usize|
         -> std::io::Result<()> {
            if !batch.is_empty() {
                let jobs = std::mem::take(batch);
                let bytes = jobs.iter().map(Job::input_bytes).sum::<u64>();
                in_flight.push_back((scope.spawn(move || process(jobs)), bytes));
            }
            while in_flight.len() > keep {
                let (oldest, bytes) = in_flight.pop_front().expect("non-empty");
                let done = oldest
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p));
                if engine.wait().is_none() {
                    // the packs have errors: nothing is written
                    return Err(std::io::Error::other(RULES_FAILED));
                }
                write(done, summary, out)?;
                if let Some(p) = &progress {
                    p.advance(bytes, summary);
                }
            }
            Ok(())
        };
        let finished = scan::sources::produce(&a.paths, a.input, &mut |job| {
            weight += job.weight();
            batch.push(job);
            if batch.len() >= BATCH_JOBS || weight >= BATCH_BYTES {
                weight = 0;
                launch(&mut batch, &mut summary, &mut out, IN_FLIGHT - 1)?;
            }
            Ok(())
        })
        .and_then(|()| launch(&mut batch, &mut summary, &mut out, 0));
        let built = compiling
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (finished, built)
    });
    if let Some(p) = &progress {
        p.finish();
    }
    match built {
        Err(msg) => return Err(msg),
        Ok(Some(code)) => return Ok(code),
        Ok(None) => {}
    }
    match finished {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(format!("cannot write results: {e}")),
    }
    if let Some(kind) = &a.summary {
        let report = summary.report();
        let text = match kind.as_str() {
            "json" => report.json(),
            "markdown" => report.markdown(),
            _ => report.table(),
        };
        writeln!(out, "{text}").map_err(|e| format!("cannot write the summary: {e}"))?;
    }
    out.flush()
        .map_err(|e| format!("cannot write results: {e}"))?;
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|p| p.as_str()).collect();
        return Err(format!("no such file or folder: {}", names.join(", ")));
    }
    Ok(ExitCode::SUCCESS)
}
