//! `bouncedx eval`: score the packs on a labelled set a team brings.

use super::RuleArgs;
use bouncedx::eval::{self, report::Report};
use std::path::PathBuf;
use std::process::ExitCode;

/// Score the rule packs on labelled rejections: agreement, per half, per
/// confidence band, a confusion table and the misses.
///
/// FILE is a TSV of replies (`reply<TAB>category[<TAB>reason]`, or with a
/// header naming `reply`/`message_text_or_pattern`, `reply_code`,
/// `enhanced_code`, `category`/`cause_category`, `reason`), or a folder of
/// bounce e-mails with an `expected.tsv` (`file`, `rcpt_index`, `category`
/// and/or `reason`). Categories: blacklist, authentication, reputation,
/// content, org_policy, rate_limit, recipient, or `other` (none of them).
///
/// Every row falls in the tune or the validate half by a hash of the row:
/// write rules from the tune half, and trust the validate half's figure. A
/// gap of more than 3 points between the halves is flagged, with how often
/// chance alone puts halves of those sizes that far apart.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  bouncedx eval labelled.tsv\n  bouncedx eval ../shared/reference/provider_messages.tsv --as-log   # the same texts inside Postfix log lines\n  bouncedx eval bench/field/replies.tsv --as-log=exim                # ... inside Exim log lines (also haraka, exchange, opensmtpd, qmail)\n  bouncedx eval ../shared/corpus/sisimai --half validate --min 0.9  # fail CI below 90%\n  bouncedx eval --rules acme/ --format json labelled.tsv > eval.json\n  bouncedx eval --pooled bench/field/*.tsv                          # each set, then all of them together\n\nExit codes: 0 scored (and at or above --min); 1 below --min; 2 usage or I/O error, or a labelled file that cannot be read."
)]
pub struct Args {
    /// Labelled sets: TSV files of replies, or folders of e-mails with an
    /// expected.tsv.
    #[arg(required = true, value_name = "FILE")]
    pub sets: Vec<PathBuf>,
    /// Score only one half (`tune` or `validate`) of each set; `all`
    /// reports both and the whole.
    #[arg(long, default_value = "all", value_parser = ["all", "tune", "validate"])]
    pub half: String,
    /// Read each reply as the log reader reads it: inside a log line of a
    /// bounced (5xx) or deferred (4xx) recipient, written as FORM writes it
    /// (`--as-log` alone: `postfix`; `--as-log=exim`, `=haraka`,
    /// `=exchange` message tracking, `=opensmtpd`, or `=qmail`, whose
    /// qmail-send writes spaces as `_`); a reply without a code is logged as
    /// bounced unless its words say it defers. A folder of e-mails is read
    /// as e-mails either way.
    #[arg(long, value_name = "FORM", num_args = 0..=1, require_equals = true, default_missing_value = "postfix", value_enum)]
    pub as_log: Option<eval::LogForm>,
    /// `human` or `json`.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Exit with 1 when a set's agreement (on everything it is labelled
    /// with, in the chosen half) is below this share, e.g. 0.9.
    #[arg(long, value_name = "SHARE")]
    pub min: Option<f64>,
    /// How many misses to list per set (human format).
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub misses: usize,
    /// With several sets, add one more report of all their rows together
    /// (halves, bands, causes, rules and confusion pooled; misses stay
    /// listed per set). `--min` still holds each set on its own.
    #[arg(long)]
    pub pooled: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let engine = match a.rules.engine()? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let mut below = Vec::new();
    let mut reports = Vec::new();
    let mut pooled = Vec::new();
    for set in &a.sets {
        let mut cases = eval::load(set).map_err(|e| e.to_string())?;
        match a.half.as_str() {
            "tune" => cases.retain(|c| eval::half_of(&c.key) == eval::Half::Tune),
            "validate" => cases.retain(|c| eval::half_of(&c.key) == eval::Half::Validate),
            _ => {}
        }
        if cases.is_empty() {
            return Err(format!("{}: no labelled rows", set.display()));
        }
        let scored = eval::score(&engine, &cases, a.as_log);
        let mut name = set.display().to_string();
        if a.half != "all" {
            name.push_str(&format!(" ({} half)", a.half));
        }
        // a folder of e-mails is read as e-mails whatever --as-log says
        let replies = cases
            .iter()
            .any(|c| matches!(c.input, eval::Input::Reply(_)));
        if let Some(form) = a.as_log.filter(|_| replies) {
            name.push_str(&format!(" (as {} log lines)", form.title()));
        }
        let report = Report::new(&name, &scored);
        if a.pooled {
            pooled.extend(scored);
        }
        if let Some(min) = a.min {
            if report.agreement() < min {
                below.push(format!(
                    "{name}: {:.1}% is below --min {:.1}%",
                    report.agreement() * 100.0,
                    min * 100.0
                ));
            }
        }
        reports.push(report);
    }
    if a.pooled && reports.len() > 1 {
        let mut name = format!("all {} sets, pooled", reports.len());
        if a.half != "all" {
            name.push_str(&format!(" ({} half)", a.half));
        }
        let mut report = Report::new(&name, &pooled);
        report.misses.clear();
        reports.push(report);
    }
    if a.format == "json" {
        let v = serde_json::to_string_pretty(&reports).map_err(|e| e.to_string())?;
        println!("{v}");
    } else {
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                println!();
            }
            print!("{}", r.human(a.misses));
        }
    }
    for b in &below {
        eprintln!("error: {b}");
    }
    Ok(if below.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
