//! `bouncedx test`: run a pack's cases and compare diagnoses with snapshots.

use bouncedx::authoring::{cases, manifest};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Run the test cases of rule packs against their snapshots.
///
/// Each PACK is a folder with `pack.yaml`, `.bdx` rule files and
/// `tests/*.yaml` case files. Every case is diagnosed with the built-in
/// packs plus every PACK given (each replaces a built-in pack of its name,
/// for the other packs too: `bouncedx test rulesets/core rulesets/providers`
/// tests the providers against the core being edited, not the built-in
/// one); its
/// expectations are checked (`expect`: the rule that must answer;
/// `expect_not`: rules that must not fire; `todo`: a known miss, reported but
/// not failed), then its full diagnosis is compared with the snapshot in
/// `tests/snapshots/`. A difference writes `.snap.new` beside it and prints
/// a diff; `--accept` keeps the new diagnosis as the snapshot. Snapshots no
/// case writes any more are listed, and `--accept` removes them.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  bouncedx new pack acme && bouncedx test acme\n  bouncedx test --accept acme      # after reviewing the diff\n\nExit codes: 0 all cases passed (todo cases do not fail); 1 a case failed or a snapshot changed; 2 a pack or case file could not be read."
)]
pub struct Args {
    /// Pack folders.
    #[arg(required = true, value_name = "PACK")]
    pub packs: Vec<PathBuf>,
    /// Keep the new diagnoses as the snapshots (after reviewing the diffs).
    #[arg(long, conflicts_with = "review")]
    pub accept: bool,
    /// Go through each changed snapshot: show its diff and ask whether to
    /// accept it (`a`), reject it (`r`, the `.snap.new` is removed) or skip
    /// it (`s`, it stays pending). Answers are read from stdin, one per line.
    #[arg(long)]
    pub review: bool,
}

/// Totals, printed like cargo test's result line.
#[derive(Default)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub todo: usize,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let mut totals = Totals::default();
    // Compiled once, together: a pack that imports another given here
    // is tested against the one being edited, not the built-in one.
    let engine = compile_together(&a.packs)?;
    for pack in &a.packs {
        test_pack_with(pack, &engine, a.accept, a.review, &mut totals)?;
    }
    let status = if totals.failed == 0 { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {status}. {} passed; {} failed; {} todo",
        totals.passed, totals.failed, totals.todo
    );
    Ok(if totals.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs one pack's cases, adding to `totals`.
pub fn test_pack(pack: &Path, accept: bool, totals: &mut Totals) -> Result<(), String> {
    let engine = compile_together(&[pack.to_path_buf()])?;
    test_pack_with(pack, &engine, accept, false, totals)
}

/// Compiles the packs given into one engine, or says which does not
/// compile, with the compiler's report on stderr.
fn compile_together(packs: &[PathBuf]) -> Result<bouncedx_engine::Engine, String> {
    let c = bouncedx::rules::compile(packs, false)?;
    bouncedx::rules::engine_of(c, crate::output::color_stderr()).map_err(|refused| {
        eprint!("{}", refused.report);
        let names: Vec<String> = packs.iter().map(|p| p.display().to_string()).collect();
        format!(
            "the packs do not compile; run `bouncedx check {}`",
            names.join(" ")
        )
    })
}

/// Asks what to do with one changed snapshot; `None` at the end of input.
fn ask(label: &str) -> Option<char> {
    use std::io::{BufRead, Write};
    print!("accept the new snapshot of {label}? [a]ccept [r]eject [s]kip: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => line.trim().chars().next().map(|c| c.to_ascii_lowercase()),
    }
}

/// `engine`: the packs compiled together (this one among them).
fn test_pack_with(
    pack: &Path,
    engine: &bouncedx_engine::Engine,
    accept: bool,
    review: bool,
    totals: &mut Totals,
) -> Result<(), String> {
    let m = manifest::load(pack)?;
    let files = cases::case_files(pack);
    let examples = cases::example_cases(&engine.ruleset, &m.name);
    let count: usize = examples.len()
        + files
            .iter()
            .filter_map(|f| cases::load(f).ok())
            .map(|cf| cf.cases.len())
            .sum::<usize>();
    println!("running {count} cases of pack {} {}", m.name, m.version);
    if files.is_empty() {
        println!("warning: {} has no tests/*.yaml case files", pack.display());
    }
    let mut runs: Vec<(PathBuf, cases::CaseFile)> = vec![(
        pack.join("tests").join(cases::EXAMPLES),
        cases::CaseFile { cases: examples },
    )];
    for file in files {
        if file.file_name().is_some_and(|n| n == cases::EXAMPLES) {
            return Err(format!(
                "{}: `{}` is the name bouncedx gives the rules' own examples; rename the file",
                file.display(),
                cases::EXAMPLES
            ));
        }
        runs.push((file.clone(), cases::load(&file)?));
    }
    let mut expected_snapshots = std::collections::BTreeSet::new();
    for (file, cf) in &runs {
        for case in &cf.cases {
            expected_snapshots.insert(cases::snapshot_path(file, case));
        }
    }
    report_orphan_snapshots(pack, &expected_snapshots, accept);
    for (file, cf) in runs {
        for case in &cf.cases {
            let label = format!(
                "{}::{}",
                file.file_stem().unwrap_or_default().to_string_lossy(),
                case.name
            );
            match cases::run_case(engine, &file, case, accept) {
                cases::Outcome::Passed => {
                    totals.passed += 1;
                    println!("case {label} ... ok");
                }
                cases::Outcome::Todo(why) => {
                    totals.todo += 1;
                    println!("case {label} ... todo ({why})");
                }
                cases::Outcome::Failed(problems) => {
                    totals.failed += 1;
                    println!("case {label} ... FAILED");
                    for p in problems {
                        println!("    {p}");
                    }
                }
                cases::Outcome::SnapshotChanged { diff, new_path } => {
                    totals.failed += 1;
                    println!("case {label} ... SNAPSHOT CHANGED");
                    for line in diff.lines() {
                        println!("    {line}");
                    }
                    if !review {
                        println!(
                            "    new snapshot written to {}; `bouncedx test --accept {}` keeps it",
                            new_path.display(),
                            pack.display()
                        );
                        continue;
                    }
                    let old_path = new_path.with_extension("");
                    match ask(&label) {
                        Some('a') => {
                            std::fs::rename(&new_path, &old_path).map_err(|e| {
                                format!("cannot accept {}: {e}", new_path.display())
                            })?;
                            totals.failed -= 1;
                            totals.passed += 1;
                            println!("    accepted");
                        }
                        Some('r') => {
                            let _ = std::fs::remove_file(&new_path);
                            println!("    rejected: the rule should be fixed");
                        }
                        _ => println!("    skipped: {} stays pending", new_path.display()),
                    }
                }
            }
        }
    }
    Ok(())
}

/// Snapshots in the pack's `tests/snapshots/` that no case of this run
/// writes: a rule, an example or a case was renamed or removed. They are
/// listed (they would otherwise pass unnoticed); `--accept` removes them.
fn report_orphan_snapshots(
    pack: &Path,
    expected: &std::collections::BTreeSet<PathBuf>,
    accept: bool,
) {
    let dir = pack.join("tests").join("snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut orphans: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "snap") && !expected.contains(p))
        .collect();
    if orphans.is_empty() {
        return;
    }
    orphans.sort();
    let verb = if accept { "removed" } else { "kept" };
    println!(
        "warning: {} snapshot(s) belong to no case (a rule, example or case was renamed or removed); {verb}:",
        orphans.len()
    );
    for o in &orphans {
        println!("    {}", o.display());
        if accept {
            let _ = std::fs::remove_file(o);
        }
    }
    if !accept {
        println!(
            "    `bouncedx test --accept {}` removes them",
            pack.display()
        );
    }
}
