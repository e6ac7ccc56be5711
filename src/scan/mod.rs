//! `scan`: diagnosing every rejection in files, folders, mailboxes, logs and
//! webhook dumps.
//!
//! The pipeline has three parts:
//!
//! 1. [`sources`] walks the inputs and cuts them into [`Job`]s of bounded
//!    size (an e-mail, [`LINES_PER_JOB`](sources::LINES_PER_JOB) log lines, a JSON document);
//! 2. [`process`] turns one job into diagnoses (jobs of a batch run on all
//!    cores with rayon, and come back in input order). A job is read first
//!    (the file, the MIME parse, the log line) and asks for the engine only
//!    to diagnose, so `scan` compiles the packs on one core while the other
//!    already reads (see [`EngineSource`]);
//! 3. [`summary`] folds the diagnoses into counts for `--summary`;
//!    [`progress`] shows how far the scan is on a terminal.

pub mod compressed;
pub mod progress;
pub mod sources;
pub mod summary;
pub mod tally;

use bouncedx_engine::intake::log::{multiline, qmail_delivery_start, read_log_line, LogLine};
use bouncedx_engine::intake::webhook::read_event;
use bouncedx_engine::{Diagnosis, Engine};
pub use sources::{Form, Job};

/// One line of output.
#[derive(Debug)]
pub enum Item {
    Result(Box<Diagnosis>),
    /// An input that could not be read: (source, reason).
    Error(String, String),
    /// A compressed file found by a worker ([`Job::Packed`]): the caller
    /// streams it (`sources::read_bytes` decompresses as it reads) rather
    /// than one worker holding every result of its text.
    Packed {
        source: String,
        form: Form,
        bytes: Vec<u8>,
    },
}

/// What one job produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Diagnoses and unreadable inputs, in input order.
    pub items: Vec<Item>,
    /// Log lines read, and how many of them were not rejections.
    pub lines: u64,
    pub skipped: u64,
    /// E-mails and JSON documents read.
    pub documents: u64,
}

impl Outcome {
    /// Appends what a later job (a part of the same input) produced.
    fn absorb(&mut self, later: Outcome) {
        self.items.extend(later.items);
        self.lines += later.lines;
        self.skipped += later.skipped;
        self.documents += later.documents;
    }
}

/// Where [`process`] takes the engine from when it has something to
/// diagnose: an engine at hand, or one still being compiled on another
/// thread (`OnceLock::wait` blocks until it is; `None` means the packs had
/// errors and nothing is diagnosed).
pub trait EngineSource: Sync {
    fn engine(&self) -> Option<&Engine>;
}

impl EngineSource for Engine {
    fn engine(&self) -> Option<&Engine> {
        Some(self)
    }
}

impl EngineSource for std::sync::OnceLock<Option<Engine>> {
    fn engine(&self) -> Option<&Engine> {
        self.wait().as_ref()
    }
}

/// Diagnoses one job.
pub fn process(engine: &impl EngineSource, job: Job) -> Outcome {
    let mut out = Outcome::default();
    match job {
        Job::Error { source, error } => out.items.push(Item::Error(source, error)),
        Job::Packed {
            source,
            form,
            bytes,
        } => out.items.push(Item::Packed {
            source,
            form,
            bytes,
        }),
        Job::File {
            source,
            path,
            form,
            size,
        } => {
            let mut jobs = Vec::new();
            let read = sources::read_small_file(&source, &path, size, form, &mut |j| {
                jobs.push(j);
                Ok(())
            });
            if let Err(e) = read {
                out.items
                    .push(Item::Error(source, format!("cannot read: {e}")));
            }
            for j in jobs {
                out.absorb(process(engine, j));
            }
        }
        Job::Email {
            source,
            message,
            bytes,
        } => {
            out.documents = 1;
            let read = bouncedx_engine::intake::email::read_email(&bytes);
            let Some(engine) = engine.engine() else {
                return out;
            };
            match read.map(|email| engine.diagnose_read_email(&email)) {
                Ok(ds) => {
                    for mut d in ds {
                        d.source = Some(source.clone());
                        d.message = message;
                        out.items.push(Item::Result(Box::new(d)));
                    }
                }
                Err(e) => {
                    let at = match message {
                        Some(m) => format!("{source}#{m}"),
                        None => source,
                    };
                    out.items.push(Item::Error(at, e.to_string()));
                }
            }
        }
        Job::Lines {
            source,
            first,
            lines,
            replies,
        } => {
            let mut i = 0;
            while i < lines.len() {
                // a multi-line reply pasted one reply line per line is one
                // reply (`550-...`, `550-...`, `550 ...`), read from its first
                let take = multiline::reply_lines(&lines, i);
                let line = &lines[i];
                let joined = (take > 1).then(|| lines[i..i + take].join("\n"));
                out.lines += take as u64;
                let n = first + i as u64;
                let n_at = i;
                i += take;
                let d = if replies {
                    if line.trim().is_empty() {
                        out.skipped += 1;
                        continue;
                    }
                    let Some(engine) = engine.engine() else {
                        return out;
                    };
                    engine.diagnose_reply(joined.as_deref().unwrap_or(line))
                } else {
                    match read_log_line(line) {
                        LogLine::Skip => {
                            out.skipped += take as u64;
                            continue;
                        }
                        LogLine::Rejection(mut r) => {
                            let Some(engine) = engine.engine() else {
                                return out;
                            };
                            if let Some(whole) = joined {
                                r.reply = whole;
                            }
                            // qmail names a delivery's recipient on its
                            // `starting delivery N:` line, earlier in the
                            // log: looked for in this block's lines, back
                            // from the result (only for qmail's results, so
                            // other logs pay nothing)
                            if let Some(n) = r.delivery.filter(|_| r.recipient.is_none()) {
                                r.recipient = lines[..n_at]
                                    .iter()
                                    .rev()
                                    .find_map(|l| qmail_delivery_start(l).filter(|s| s.0 == n))
                                    .map(|s| s.1);
                            }
                            engine.diagnose_log_record(&r)
                        }
                    }
                };
                let mut d = d;
                d.source = Some(source.clone());
                d.line = Some(n);
                out.items.push(Item::Result(Box::new(d)));
            }
        }
        Job::Json { source, line, text } => {
            out.documents = 1;
            let at = || match line {
                Some(l) => format!("{source}:{l}"),
                None => source.clone(),
            };
            match serde_json::from_str::<serde_json::Value>(&text) {
                Err(e) => out
                    .items
                    .push(Item::Error(at(), format!("invalid JSON: {e}"))),
                Ok(v) => match read_event(&v) {
                    Err(e) => out.items.push(Item::Error(at(), e.to_string())),
                    // An event (or a list of them) that names no recipient
                    // at all: an SES bounce whose `bouncedRecipients` is
                    // empty or not a list, one with no `bounce` object, a
                    // bare `[]`. Said, never dropped.
                    Ok(events) if events.is_empty() => out.items.push(Item::Error(
                        at(),
                        "the event names no recipient (an empty list, or a bounce without bouncedRecipients): nothing to diagnose".into(),
                    )),
                    Ok(events) => {
                        let Some(engine) = engine.engine() else {
                            return out;
                        };
                        for ev in events {
                            let mut d = engine.diagnose_event(&ev);
                            d.source = Some(source.clone());
                            d.line = line;
                            out.items.push(Item::Result(Box::new(d)));
                        }
                    }
                },
            }
        }
    }
    out
}

/// Reads `data` as `scan` would in every form it can be forced to (and
/// auto-detected), diagnoses every job and renders every result; returns
/// what came out, per form. The fuzz target `fuzz/scan_input` and the
/// replay of its findings (`tests/fuzz_regressions.rs`) both run this, so
/// a crash found by one is replayed by the other.
pub fn every_form(engine: &Engine, data: &[u8]) -> Vec<(Form, Outcome)> {
    [Form::Auto, Form::Json, Form::Log, Form::Email, Form::Reply]
        .into_iter()
        .map(|form| {
            let mut jobs = Vec::new();
            let mut all = Outcome::default();
            if let Err(e) = sources::read_bytes("input", data, form, &mut |job| {
                jobs.push(job);
                Ok(())
            }) {
                all.items
                    .push(Item::Error("input".into(), format!("cannot read: {e}")));
            }
            for job in jobs {
                let o = process(engine, job);
                for item in &o.items {
                    if let Item::Result(d) = item {
                        let _ = bouncedx_engine::render::jsonl(d);
                    }
                }
                all.absorb(o);
            }
            (form, all)
        })
        .collect()
}
