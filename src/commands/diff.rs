//! `bouncedx diff`: which answers change between two versions of a pack.

use bouncedx::scan::{self, Form, Item};
use bouncedx_engine::{Diagnosis, Engine};
use std::path::PathBuf;
use std::process::ExitCode;

/// List the inputs whose diagnosis changes between two versions of a pack.
///
/// `--old` and `--new` are two folders of the same pack (say, the version
/// you run and a community update). Each is compiled with the built-in
/// packs, replacing the built-in pack of its name. Every INPUT (any file,
/// folder, mailbox or log `scan` reads, or `-`) is diagnosed with both, and
/// each result whose rule, reason, category or diagnosis differs is listed.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  bouncedx diff --old acme-1.2/ --new acme-1.3/ samples/ /var/log/mail.log\n\nExit codes: 0 no answer changes; 1 some answers change; 2 usage, rules or I/O error."
)]
pub struct Args {
    /// The pack as it is.
    #[arg(long, value_name = "PACK")]
    pub old: PathBuf,
    /// The pack as it would be.
    #[arg(long, value_name = "PACK")]
    pub new: PathBuf,
    /// Force the input form instead of detecting it from content.
    #[arg(long = "input", value_enum, default_value = "auto")]
    pub input: Form,
    /// Inputs to diagnose with both.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
}

fn engine(pack: &PathBuf) -> Result<Engine, String> {
    let c = bouncedx::rules::compile(std::slice::from_ref(pack), false)?;
    bouncedx::rules::engine_of(c, crate::output::color_stderr()).map_err(|refused| {
        eprint!("{}", refused.report);
        format!(
            "the rules at `{}` do not compile; run `bouncedx check {}`",
            pack.display(),
            pack.display()
        )
    })
}

/// What a reviewer compares.
fn answer(d: &Diagnosis) -> String {
    format!(
        "{} ({}, {}): {}",
        d.rule.as_deref().unwrap_or("no rule"),
        d.category,
        d.reason,
        d.diagnosis
    )
}

fn place(d: &Diagnosis) -> String {
    let mut p = d.source.clone().unwrap_or_default();
    if let Some(l) = d.line {
        p.push_str(&format!(":{l}"));
    }
    if let Some(m) = d.message {
        p.push_str(&format!(" message {m}"));
    }
    if let Some(r) = &d.recipient {
        p.push_str(&format!(" → {r}"));
    }
    p
}

/// Diagnoses one job with both engines and prints each result whose answer
/// changed.
fn compare(
    before: scan::Outcome,
    new: &Engine,
    job: scan::Job,
    results: &mut usize,
    changed: &mut usize,
) {
    let after = scan::process(new, job);
    for (b, n) in before.items.iter().zip(&after.items) {
        let (Item::Result(b), Item::Result(n)) = (b, n) else {
            continue;
        };
        *results += 1;
        let (was, now) = (answer(b), answer(n));
        if was != now {
            *changed += 1;
            println!("{}\n  - {was}\n  + {now}", place(n));
        }
    }
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let old = engine(&a.old)?;
    let new = engine(&a.new)?;
    let (mut results, mut changed) = (0usize, 0usize);
    let walked = scan::sources::produce(&a.inputs, a.input, &mut |job| {
        let before = scan::process(&old, job.clone());
        // A small compressed file comes back to be streamed: its jobs are
        // compared one by one.
        if let [Item::Packed {
            source,
            form,
            bytes,
        }] = before.items.as_slice()
        {
            return scan::sources::read_bytes(source, bytes, *form, &mut |inner| {
                let before = scan::process(&old, inner.clone());
                compare(before, &new, inner, &mut results, &mut changed);
                Ok(())
            });
        }
        compare(before, &new, job, &mut results, &mut changed);
        Ok(())
    });
    walked.map_err(|e| format!("cannot read the inputs: {e}"))?;
    println!(
        "\n{changed} of {results} answers change between {} and {}",
        a.old.display(),
        a.new.display()
    );
    Ok(if changed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
