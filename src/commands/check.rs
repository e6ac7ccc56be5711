//! `bouncedx check`: compile rule packs and report every problem.

use bouncedx_dsl::PackSource;
use std::path::PathBuf;
use std::process::ExitCode;

/// Compile rule packs and print every error and warning, like a compiler.
///
/// With no PATH, checks the built-in packs. Packs that a checked pack imports
/// but that are not given are taken from the built-in ones.
#[derive(clap::Args)]
pub struct Args {
    /// Pack folders, folders of packs (like `rulesets/`), or .bdx files.
    pub paths: Vec<PathBuf>,
    /// `human` (rustc-like) or `json` (one array of diagnostics, for editors and CI).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Exit with 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Every `pack.yaml` at or one level below `path` (a pack folder or a
/// folder of packs), checked; the errors, one per bad manifest.
fn manifest_errors(path: &std::path::Path) -> Vec<(PathBuf, String)> {
    let mut dirs = vec![path.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(path) {
        dirs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    dirs.iter()
        .map(|d| d.join(bouncedx::authoring::manifest::FILE))
        .filter(|f| f.is_file())
        .filter_map(|f| {
            let dir = f.parent().expect("a manifest's folder");
            bouncedx::authoring::manifest::load(dir)
                .err()
                .map(|e| (f, e))
        })
        .collect()
}

/// The last line of `check`: what was checked (the packs given, not the
/// built-in packs they import, which are counted apart) and the outcome.
fn summary(c: &bouncedx_dsl::Compilation, checked: &[String]) -> String {
    let imported_file = |name: &str| {
        crate::rules::embedded_pack_of(name).is_some_and(|p| !checked.iter().any(|c| c == p))
    };
    let (mut files, mut imported_files) = (0, 0);
    for (_, f) in c.sources.files() {
        if imported_file(&f.name) {
            imported_files += 1;
        } else {
            files += 1;
        }
    }
    let (mut rules, mut imported_rules) = (0, 0);
    let mut imported: Vec<&str> = Vec::new();
    for r in c.ruleset.iter().flat_map(|r| &r.rules) {
        if checked.is_empty() || checked.iter().any(|p| **p == *r.pack) {
            rules += 1;
        } else {
            imported_rules += 1;
            if !imported.contains(&&*r.pack) {
                imported.push(&r.pack);
            }
        }
    }
    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let what = if c.ruleset.is_some() {
        format!("{}, {}", plural(files, "file"), plural(rules, "rule"))
    } else {
        plural(files, "file")
    };
    let beside = if imported_files > 0 && c.ruleset.is_some() {
        format!(
            " (imported: {}, {}, {})",
            imported.join(", "),
            plural(imported_files, "file"),
            plural(imported_rules, "rule")
        )
    } else {
        String::new()
    };
    match (c.report.errors(), c.report.warnings()) {
        (0, 0) => format!("ok: {what}, no problems{beside}"),
        (0, w) => format!("ok: {what}, {}{beside}", plural(w, "warning")),
        (e, w) => format!(
            "failed: {}, {} in {}",
            plural(e, "error"),
            plural(w, "warning"),
            plural(files, "file")
        ),
    }
}

/// `shadowed_rule`: a rule that fires on its own examples but is never the
/// diagnosis, because a higher-ranked rule answers every one of them. It
/// can then never be the answer a user sees for the case it was written
/// for. This lint needs the engine, so `check` runs it after compiling.
fn shadowed_rules(c: &mut bouncedx_dsl::Compilation, packs: &[String]) {
    let Some(rs) = c.ruleset.take() else {
        return;
    };
    let engine = bouncedx_engine::Engine::new(rs);
    for rule in &engine.ruleset.rules {
        if !rule.answers()
            || rule.examples.is_empty()
            || !(packs.is_empty() || packs.contains(&rule.pack))
        {
            continue;
        }
        // (the answer, whether this rule fired) for each example
        let results: Vec<(Option<std::sync::Arc<str>>, bool)> = rule
            .examples
            .iter()
            .map(|e| {
                let d = engine.diagnose_reply(e);
                let fired = d.fired.iter().any(|f| **f == *rule.id);
                (d.rule, fired)
            })
            .collect();
        let unmatched: Vec<&String> = rule
            .examples
            .iter()
            .zip(&results)
            .filter(|(_, (_, fired))| !fired)
            .map(|(e, _)| e)
            .collect();
        if let Some(first) = unmatched.first() {
            let shown: String = first.chars().take(60).collect();
            c.report.diagnostics.push(
                bouncedx_dsl::Diagnostic::warning(
                    "example_not_matched",
                    format!(
                        "rule `{}` does not fire on {} of its own examples",
                        rule.name,
                        if unmatched.len() == rule.examples.len() {
                            "any".to_string()
                        } else {
                            format!("{} of {}", unmatched.len(), rule.examples.len())
                        }
                    ),
                )
                .at(
                    rule.name_span,
                    format!("its `when` does not hold for \"{shown}\""),
                )
                .help(format!(
                    "`bouncedx explain --rules PACK \"{shown}\"` shows which condition fails; fix the `when` or the example"
                )),
            );
            continue;
        }
        if results.iter().all(|(t, _)| t.as_deref() != Some(&*rule.id)) {
            let winner = results
                .iter()
                .filter_map(|(t, _)| t.clone())
                .next()
                .unwrap_or_else(|| "no rule".into());
            c.report.diagnostics.push(
                bouncedx_dsl::Diagnostic::warning(
                    "shadowed_rule",
                    format!("rule `{}` is never the diagnosis of its own examples", rule.name),
                )
                .at(rule.name_span, format!("it fires, but `{winner}` answers them"))
                .help("raise its confidence or priority, narrow the other rule, or give it an example only it answers"),
            );
        }
    }
    c.ruleset = Some(engine.ruleset);
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    let bad_manifests: Vec<(PathBuf, String)> =
        a.paths.iter().flat_map(|p| manifest_errors(p)).collect();
    if a.format == "json" && !bad_manifests.is_empty() {
        // Editors and CI read stdout: the manifest errors as diagnostics
        // of the same shape, with their file.
        let v: Vec<serde_json::Value> = bad_manifests
            .iter()
            .map(|(path, e)| {
                let file = path.display().to_string();
                let e = e.strip_prefix(&format!("{file}: ")).unwrap_or(e);
                let (message, help) = e.split_once("\n  = help: ").unwrap_or((e, ""));
                serde_json::json!({
                    "severity": "error",
                    "code": "manifest",
                    "message": message,
                    "file": file,
                    "help": (!help.is_empty()).then_some(help),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).expect("serialise"));
        return Ok(ExitCode::from(1));
    }
    for (_, e) in &bad_manifests {
        eprintln!("error: {e}");
    }
    if !bad_manifests.is_empty() {
        eprintln!(
            "failed: {} manifest(s) with errors; the rules were not compiled",
            bad_manifests.len()
        );
        return Ok(ExitCode::from(1));
    }
    // What the packs ask the site to grant their plugins: shown, never
    // granted here (grants come from the site).
    if a.format == "human" {
        let defaults = crate::rules::default_grants();
        for r in crate::rules::pack_requests(&a.paths) {
            let by_default = defaults
                .iter()
                .any(|(p, g)| *p == r.plugin && g.covers(&r.grants));
            if by_default {
                continue; // what bouncedx grants anyway (the built-in packs' requests)
            }
            eprintln!(
                "note: pack `{}` requests for plugin `{}`: {}\n  = not granted until the site grants it: `bouncedx plugin grant {}` (or `--grant {}` for one run)",
                r.pack,
                r.plugin,
                r.grants.describe().join("; "),
                r.dir.display(),
                r.pack
            );
            for risk in r.asked.risks(&r.dir) {
                eprintln!("  = look twice: {risk}");
            }
        }
    }
    let mut packs: Vec<PackSource> = Vec::new();
    for p in &a.paths {
        packs.extend(
            crate::rules::packs_at(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?,
        );
    }
    if let Err(e) = crate::rules::check_imports(&a.paths, &packs) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(1));
    }
    crate::rules::register_plugin_checks(&crate::rules::pack_plugins(&a.paths))?;
    let checked: Vec<String> = packs.iter().map(|p| p.name.clone()).collect();
    let mut c = if packs.is_empty() {
        crate::rules::compile(&[], false)?
    } else {
        crate::rules::compile_packs(packs)
    };
    shadowed_rules(&mut c, &checked);
    crate::rules::apply_lint_levels(&mut c, &a.paths);
    bouncedx_dsl::silence_allowed(&mut c);
    if a.format == "json" {
        let json = serde_json::to_string_pretty(&c.report.to_json(&c.sources)).expect("serialise");
        println!("{json}");
    } else {
        print!(
            "{}",
            c.report.render(&c.sources, crate::output::color_stdout())
        );
        eprintln!("{}", summary(&c, &checked));
    }
    let fail = c.report.has_errors() || (a.deny_warnings && c.report.warnings() > 0);
    Ok(if fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
