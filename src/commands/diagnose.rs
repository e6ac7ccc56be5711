//! `bouncedx diagnose`: the main job.

use super::RuleArgs;
use bouncedx_engine::intake::log::multiline;
use bouncedx_engine::render::{self, Format};
use bouncedx_engine::{Diagnosis, Engine};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// Diagnose SMTP rejections: what happened, how sure, and what to do.
///
/// Each INPUT is a reply given as text ("550 5.7.1 ..."), a file, or `-` for
/// standard input. From stdin every line is one reply and yields exactly one
/// result, in input order (a filter for pipes and Spark). In a file, a
/// multi-line reply (`550-...` continuation lines) is one reply; other lines
/// are one reply each. Blank lines in files are skipped.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  bouncedx diagnose \"550 5.7.1 Client host [192.0.2.7] blocked using zen.spamhaus.org\"\n  bouncedx diagnose --format json replies.txt\n  tail -f mail.log | bouncedx diagnose --input log --format jsonl -\n\nExit codes: 0 diagnosed; 1 no rule recognised any input (or the rules have errors); 2 usage or I/O error (a named file that does not exist, an e-mail given instead of replies: use `bouncedx scan`)."
)]
pub struct Args {
    /// Replies, files, or `-` for stdin.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// `human` (a report), `json` (an object, or an array for several
    /// results) or `jsonl` (one object per line).
    #[arg(long, default_value = "human", value_parser = ["human", "json", "jsonl"])]
    pub format: String,
    /// How to read each stdin line: `reply` (an SMTP reply in any
    /// wrapping) or `log` (an MTA log line: a line that is not a rejection
    /// yields a result whose `error` says it was skipped, so output lines
    /// still match input lines one for one, as Spark's `pipe` needs).
    #[arg(long = "input", default_value = "reply", value_parser = ["reply", "log"])]
    pub input: String,
    /// Run the plugin checks the fired rules ask for (blocklists, SPF,
    /// DMARC, DKIM, reverse DNS, Postmaster Tools, SNDS: whatever the site
    /// granted) and refine the diagnosis with their verdicts; results are
    /// listed under `checks`, with time taken.
    #[arg(long)]
    pub checks: bool,
    #[command(flatten)]
    pub check_args: super::plugin::CheckArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let mut engine = match a.rules.engine()? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    if a.checks {
        let host = a.check_args.host(&a.rules)?;
        engine = engine.with_checks(std::sync::Arc::new(host));
    } else if !a.check_args.zones.is_empty() || !a.check_args.data.is_empty() {
        return Err("--zone and --data are for checks: add --checks".into());
    }
    let format = match a.format.as_str() {
        "json" => Format::Json,
        "jsonl" => Format::Jsonl,
        _ => Format::Human,
    };
    let mut out = Output::new(format);
    for input in &a.inputs {
        if input == "-" {
            let stdin = std::io::stdin().lock();
            for (n, line) in stdin.split(b'\n').enumerate() {
                let line = line.map_err(|e| format!("cannot read stdin: {e}"))?;
                let mut d = if a.input == "log" {
                    diagnose_log_line(&engine, &line)
                } else {
                    diagnose_bytes(&engine, &line)
                };
                d.source = Some("-".into());
                d.line = Some(n as u64 + 1);
                out.emit(d)?;
            }
        } else if std::path::Path::new(input).is_file() {
            let bytes = std::fs::read(input).map_err(|e| format!("cannot read `{input}`: {e}"))?;
            if bouncedx::scan::sources::detect(&bytes) == bouncedx::scan::Form::Email {
                return Err(format!(
                    "`{input}` is an e-mail (or a mailbox), not replies\n  = help: read bounce e-mails with `bouncedx scan {input}`"
                ));
            }
            let text = String::from_utf8_lossy(&bytes);
            for (line, reply) in group_replies(&text) {
                let mut d = engine.diagnose_reply(&reply);
                d.source = Some(input.clone());
                d.line = Some(line);
                out.emit(d)?;
            }
        } else if looks_like_a_path(input) {
            return Err(format!(
                "no such file: `{input}`\n  = help: give a reply in quotes (\"550 5.1.1 ...\"), a file of replies, or `-` for standard input"
            ));
        } else {
            out.emit(engine.diagnose_reply(input))?;
        }
    }
    let recognised = out.recognised;
    out.finish()?;
    // 0: something was diagnosed; 1: no rule recognised any input.
    Ok(if recognised > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Whether a command-line argument that is not a file was meant as one: a
/// single word with a folder separator or a file extension
/// (`replies.txt`, `./bounce.eml`), not a reply (which has spaces).
fn looks_like_a_path(arg: &str) -> bool {
    let word = !arg.trim().contains(char::is_whitespace) && !arg.is_empty();
    let ext = std::path::Path::new(arg)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "txt"
                    | "eml"
                    | "log"
                    | "json"
                    | "jsonl"
                    | "gz"
                    | "zst"
                    | "mbox"
                    | "msg"
                    | "tsv"
                    | "csv"
                    | "out"
            )
        });
    word && (arg.contains('/') || ext)
}

/// One log line: a rejection is diagnosed; any other line yields a result
/// that says it was skipped.
fn diagnose_log_line(engine: &Engine, line: &[u8]) -> Diagnosis {
    let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned();
    match bouncedx_engine::intake::log::read_log_line(&line) {
        bouncedx_engine::intake::log::LogLine::Rejection(r) => engine.diagnose_log_record(&r),
        bouncedx_engine::intake::log::LogLine::Skip => {
            let mut d = engine.diagnose_reply("");
            d.error = Some("not a rejection: log line skipped".into());
            d
        }
    }
}

/// One stdin line: invalid UTF-8 is read lossily and said so.
fn diagnose_bytes(engine: &Engine, line: &[u8]) -> Diagnosis {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match std::str::from_utf8(line) {
        Ok(s) => engine.diagnose_reply(s),
        Err(_) => {
            let mut d = engine.diagnose_reply(&String::from_utf8_lossy(line));
            if d.error.is_none() {
                d.error = Some("the line is not valid UTF-8; invalid bytes were replaced".into());
            }
            d
        }
    }
}

/// Groups a file's lines into replies: the lines of a multi-line reply
/// (`550-...`, `550 ...`) are one ([`multiline`]), as `scan` reads them.
fn group_replies(text: &str) -> Vec<(u64, String)> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let take = multiline::reply_lines(&lines, i);
        if !lines[i].is_empty() {
            out.push((i as u64 + 1, lines[i..i + take].join("\n")));
        }
        i += take;
    }
    out
}

/// Streams results (human, jsonl) or collects them (json).
struct Output {
    format: Format,
    color: bool,
    collected: Vec<Diagnosis>,
    out: std::io::BufWriter<std::io::Stdout>,
    count: usize,
    /// Results a rule explained.
    recognised: usize,
}

impl Output {
    fn new(format: Format) -> Output {
        Output {
            format,
            color: crate::output::color_stdout(),
            collected: Vec::new(),
            out: std::io::BufWriter::new(std::io::stdout()),
            count: 0,
            recognised: 0,
        }
    }

    fn emit(&mut self, d: Diagnosis) -> Result<(), String> {
        self.recognised += usize::from(d.rule.is_some());
        let r = match self.format {
            Format::Json => {
                self.collected.push(d);
                Ok(())
            }
            Format::Jsonl => writeln!(self.out, "{}", render::jsonl(&d)),
            Format::Human => {
                let sep = if self.count > 0 { "\n" } else { "" };
                write!(self.out, "{sep}{}", render::human(&d, self.color))
            }
        };
        self.count += 1;
        r.map_err(|e| format!("cannot write output: {e}"))
    }

    fn finish(mut self) -> Result<(), String> {
        if self.format == Format::Json {
            writeln!(self.out, "{}", render::json(&self.collected)).map_err(|e| e.to_string())?;
        }
        self.out
            .flush()
            .map_err(|e| format!("cannot write output: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::{group_replies, looks_like_a_path};

    #[test]
    fn paths_and_replies_are_told_apart() {
        assert!(looks_like_a_path("replies.txt"));
        assert!(looks_like_a_path("./bounces/x"));
        assert!(!looks_like_a_path("550 5.1.1 user unknown"));
        assert!(!looks_like_a_path("550"));
        assert!(!looks_like_a_path("5.7.1"));
    }

    #[test]
    fn continuation_lines_make_one_reply() {
        let g = group_replies("550-5.7.1 a\n550 5.7.1 b\n\n421 4.7.0 c\n");
        assert_eq!(
            g,
            vec![
                (1, "550-5.7.1 a\n550 5.7.1 b".to_string()),
                (4, "421 4.7.0 c".to_string())
            ]
        );
    }
}
