//! `bouncedx fmt`: rewrite rule files in the one canonical layout.

use bouncedx_dsl::format::{format, same_meaning};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Format rule files (`.bdx`) in the canonical layout, keeping every comment.
///
/// Only white space at the start and end of lines and blank lines change;
/// each file's new text is parsed again and compared with the old one, and a
/// file whose meaning would change is left alone and reported (please file a
/// bug with it). PATH is a `.bdx` file, a pack folder or a folder of packs.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  bouncedx fmt my-pack/\n  bouncedx fmt --check rulesets/     # in CI: exit 1 if a file is not formatted\n\nExit codes: 0 formatted (or, with --check, already formatted); 1 --check found unformatted files; 2 a file could not be read, written or safely formatted, or does not parse (it is left as it is)."
)]
pub struct Args {
    /// Files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted.
    #[arg(long)]
    pub check: bool,
}

fn bdx_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() || e.extension().is_some_and(|x| x == "bdx") {
                bdx_files(&e, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let mut files = Vec::new();
    for p in &a.paths {
        bdx_files(p, &mut files).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
    }
    let (mut changed, mut unsafe_files) = (Vec::new(), Vec::new());
    let mut broken = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f)
            .map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
        // A file that does not parse is left as it is: its layout cannot be
        // known, and formatting could move text in or out of a string.
        if let Some(why) = syntax_error(f, &src) {
            broken.push(why);
            continue;
        }
        let out = format(&src);
        if out == src {
            continue;
        }
        if !same_meaning(&src, &out) {
            unsafe_files.push(f.clone());
            continue;
        }
        changed.push(f.clone());
        if !a.check {
            std::fs::write(f, out).map_err(|e| format!("cannot write `{}`: {e}", f.display()))?;
        }
    }
    for why in &broken {
        eprintln!("error: {why}; left as it is (`bouncedx check` shows every error)");
    }
    for f in &unsafe_files {
        eprintln!(
            "error: {}: formatting would change its meaning; left as it is (please report this file)",
            f.display()
        );
    }
    let verb = if a.check {
        "not formatted"
    } else {
        "formatted"
    };
    for f in &changed {
        println!("{verb}: {}", f.display());
    }
    eprintln!("{} file(s) checked, {} {verb}", files.len(), changed.len());
    Ok(if !unsafe_files.is_empty() || !broken.is_empty() {
        ExitCode::from(2)
    } else if a.check && !changed.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The first syntax error (E0001-E0006) of a rule file, as
/// `file:line:col: message`, or
/// `None` when it parses. Only the parser runs: names and meanings are
/// `check`'s business, and a file of a pack need not compile alone.
fn syntax_error(path: &Path, src: &str) -> Option<String> {
    let mut sources = bouncedx_dsl::source::SourceMap::new();
    let id = sources.add(path.display().to_string(), src);
    let mut diags = Vec::new();
    bouncedx_dsl::parser::parse_file(id, src, &mut diags);
    diags
        .iter()
        .filter(|d| d.is_error() && d.code.starts_with("E000"))
        .min_by_key(|d| d.span.map(|s| s.start))
        .map(|d| {
            let at = d
                .span
                .map(|s| sources.location(s))
                .unwrap_or_else(|| path.display().to_string());
            format!("{at}: does not parse: {} [{}]", d.message, d.code)
        })
}
