//! Where rules come from: the packs embedded in the binary (`rulesets/`),
//! and packs given on the command line.

use bouncedx_dsl::{Compilation, PackSource};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/embedded_rulesets.rs"));

/// The shipped packs, as compiled into the binary.
pub fn builtin_packs() -> Vec<PackSource> {
    let mut packs: Vec<PackSource> = Vec::new();
    for (pack, path, text) in EMBEDDED {
        match packs.iter_mut().find(|p| p.name == *pack) {
            Some(p) => p.files.push((path.to_string(), text.to_string())),
            None => packs.push(PackSource {
                name: pack.to_string(),
                files: vec![(path.to_string(), text.to_string())],
            }),
        }
    }
    packs
}

/// The text of a file of the binary's copy, by the path it was embedded
/// under (`rulesets/core/recipient.bdx`).
fn embedded_text(path: &str) -> Option<&'static str> {
    EMBEDDED
        .iter()
        .find(|(_, p, _)| *p == path)
        .map(|(_, _, text)| *text)
}

/// The built-in pack a file of the binary's copy belongs to (by the path
/// it was embedded under).
pub fn embedded_pack_of(path: &str) -> Option<&'static str> {
    EMBEDDED
        .iter()
        .find(|(_, p, _)| *p == path)
        .map(|(pack, _, _)| *pack)
}

/// The built-in packs as the build compiled them (see
/// `bouncedx_dsl::prebuilt`): what a run of the default rules loads instead
/// of compiling 490 KB of rule text. Fails, saying why, when the build
/// could not compile them (then the text is compiled, errors and all).
pub fn prebuilt_builtins() -> Result<Compilation, String> {
    if PREBUILT.is_empty() {
        return Err("the built-in packs did not compile at build time".into());
    }
    let text_of = |name: &str| embedded_text(name).map(str::to_string);
    bouncedx_dsl::prebuilt::from_bytes(PREBUILT, &text_of)
}

/// The built-in packs compiled from their text now, as a run did before
/// they were pre-built (for checking that both agree).
pub fn compile_builtins_now() -> Compilation {
    bouncedx_dsl::compile_unlinted(builtin_packs(), &read_file, &builtin_pack)
}

fn builtin_pack(name: &str) -> Option<PackSource> {
    builtin_packs().into_iter().find(|p| p.name == name)
}

/// The packs at a path: a pack folder (it holds `.bdx` files), a folder of
/// pack folders (like `rulesets/`), or one `.bdx` file.
pub fn packs_at(path: &Path) -> std::io::Result<Vec<PackSource>> {
    if path.is_dir() {
        let has_bdx = std::fs::read_dir(path)?
            .filter_map(|e| e.ok())
            .any(|e| e.path().extension().is_some_and(|x| x == "bdx"));
        if !has_bdx {
            let mut subdirs: Vec<_> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect();
            subdirs.sort();
            let mut out = Vec::new();
            for d in subdirs {
                let pack = load_pack(&d)?;
                if !pack.files.is_empty() {
                    out.push(pack);
                }
            }
            if out.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "{} holds no .bdx rule files, nor folders of them",
                        path.display()
                    ),
                ));
            }
            return Ok(out);
        }
    }
    Ok(vec![load_pack(path)?])
}

/// A pack folder's files; its name is the manifest's (`pack.yaml`) when it
/// has one, so two versions of a pack in two folders are the same pack.
fn load_pack(dir: &Path) -> std::io::Result<PackSource> {
    let mut pack = bouncedx_dsl::load_pack(dir)?;
    if let Some(m) = manifest_of(dir)? {
        pack.name = m.name;
    }
    Ok(pack)
}

/// The manifest of a pack folder, if it has one.
fn manifest_of(dir: &Path) -> std::io::Result<Option<crate::authoring::manifest::Manifest>> {
    if !dir.join(crate::authoring::manifest::FILE).is_file() {
        return Ok(None);
    }
    crate::authoring::manifest::load(dir)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Applies the lint levels of the manifests of the packs at `paths` to the
/// warnings in their files: `allow` drops them, `deny` makes them errors
/// (and then there is no ruleset).
pub fn apply_lint_levels(c: &mut Compilation, paths: &[std::path::PathBuf]) {
    use crate::authoring::manifest::LintLevel;
    let levels: Vec<(
        std::path::PathBuf,
        std::collections::BTreeMap<String, LintLevel>,
    )> = manifests_at(paths)
        .into_iter()
        .filter(|(_, m)| !m.lints.is_empty())
        .map(|(d, m)| (d, m.lints))
        .collect();
    if levels.is_empty() {
        return;
    }
    let sources = &c.sources;
    let level_of = |d: &bouncedx_dsl::Diagnostic| {
        let span = d.span?;
        let file = Path::new(&sources.get(span.file).name);
        levels
            .iter()
            .find(|(dir, _)| file.starts_with(dir))
            .and_then(|(_, l)| l.get(d.code).copied())
    };
    let mut kept = Vec::new();
    for mut d in std::mem::take(&mut c.report.diagnostics) {
        if d.is_error() {
            kept.push(d);
            continue;
        }
        match level_of(&d) {
            Some(LintLevel::Allow) => {}
            Some(LintLevel::Deny) => {
                d.severity = bouncedx_dsl::Severity::Error;
                d.help = Some(format!(
                    "{}`{}` is denied in this pack's pack.yaml (`lints:`)",
                    d.help
                        .as_ref()
                        .map(|h| format!("{h}; "))
                        .unwrap_or_default(),
                    d.code
                ));
                kept.push(d);
            }
            _ => kept.push(d),
        }
    }
    c.report.diagnostics = kept;
    if c.report.has_errors() {
        c.ruleset = None;
    }
}

/// Rules that did not compile: how many errors, and the compiler's report
/// rendered for a terminal (or plain, for a service's JSON).
pub struct Refused {
    pub errors: usize,
    pub report: String,
}

/// The engine a compilation makes, or why it makes none: the step every
/// command that runs rules takes after [`compile`] or [`compile_to_run`].
/// Warnings are not printed here (a run shows none; `check` shows them).
pub fn engine_of(c: Compilation, color: bool) -> Result<bouncedx_engine::Engine, Refused> {
    match c.ruleset {
        Some(ruleset) if !c.report.has_errors() => Ok(bouncedx_engine::Engine::new(ruleset)),
        _ => Err(Refused {
            errors: c.report.errors(),
            report: c.report.render(&c.sources, color),
        }),
    }
}

/// Compiles the built-in packs (unless `no_defaults`) with the given ones;
/// a given pack replaces a built-in pack of the same name.
pub fn compile(paths: &[std::path::PathBuf], no_defaults: bool) -> Result<Compilation, String> {
    compile_as(paths, no_defaults, true)
}

/// [`compile`] for running rules (diagnose, scan, serve): the built-in packs
/// alone are not linted, since they are lint-clean (CI checks them with
/// `bouncedx check`) and a run shows no warnings. Given packs are linted,
/// since their `pack.yaml` may make a lint an error.
pub fn compile_to_run(
    paths: &[std::path::PathBuf],
    no_defaults: bool,
) -> Result<Compilation, String> {
    compile_as(paths, no_defaults, !paths.is_empty())
}

fn compile_as(
    paths: &[std::path::PathBuf],
    no_defaults: bool,
    lint: bool,
) -> Result<Compilation, String> {
    register_plugin_checks(&pack_plugins(paths))?;
    // The built-in packs alone, to run: the build compiled them already.
    if paths.is_empty() && !no_defaults && !lint {
        if let Ok(c) = prebuilt_builtins() {
            return Ok(c);
        }
    }
    let mut given: Vec<PackSource> = Vec::new();
    for p in paths {
        let found =
            packs_at(p).map_err(|e| format!("cannot read rules at `{}`: {e}", p.display()))?;
        given.extend(found);
    }
    // Built-in packs first, in their order; a given pack of the same name
    // takes the built-in's place, so rules rank the same whichever way the
    // packs were loaded (ties are broken by definition order).
    let mut packs: Vec<PackSource> = if no_defaults {
        Vec::new()
    } else {
        builtin_packs()
    };
    for g in given {
        match packs.iter_mut().find(|p| p.name == g.name) {
            Some(slot) => *slot = g,
            None => packs.push(g),
        }
    }
    if packs.is_empty() {
        return Err("no rules: `--no-default-rules` needs at least one `--rules PATH`".into());
    }
    check_imports(paths, &packs)?;
    let mut c = if lint {
        compile_packs(packs)
    } else {
        bouncedx_dsl::compile_unlinted(packs, &read_file, &builtin_pack)
    };
    apply_lint_levels(&mut c, paths);
    Ok(c)
}

/// The version of each pack that will be loaded: from the manifest of a
/// given pack, or the shipped manifest of a built-in one.
pub fn loaded_versions(paths: &[std::path::PathBuf]) -> Vec<(String, semver::Version)> {
    let mut out: Vec<(String, semver::Version)> = Vec::new();
    for (name, text) in EMBEDDED_MANIFESTS {
        if let Ok(m) = crate::authoring::manifest::parse(text, name) {
            if let Ok(v) = semver::Version::parse(&m.version) {
                out.push((m.name, v));
            }
        }
    }
    for m in given_manifests(paths) {
        if let Ok(v) = semver::Version::parse(&m.version) {
            out.retain(|(n, _)| *n != m.name);
            out.push((m.name.clone(), v));
        }
    }
    out
}

/// The pack folders with a manifest at `paths` (pack folders, or folders
/// of them), with their manifests.
fn manifests_at(
    paths: &[std::path::PathBuf],
) -> Vec<(std::path::PathBuf, crate::authoring::manifest::Manifest)> {
    let mut out = Vec::new();
    for p in paths {
        let mut dirs = vec![p.clone()];
        if let Ok(entries) = std::fs::read_dir(p) {
            dirs.extend(entries.flatten().map(|e| e.path()).filter(|d| d.is_dir()));
        }
        for d in dirs {
            if let Ok(Some(m)) = manifest_of(&d) {
                out.push((d, m));
            }
        }
    }
    out
}

/// bouncedx's own default grants: what the built-in packs' manifests
/// request (the standard blocklists' zones for `dnsbl`, any name for
/// `auth`). They ship with the binary, so they are the site's defaults,
/// whatever packs are loaded; `default_grants: false` in the site config
/// turns them off.
pub fn default_grants() -> Vec<(String, bouncedx_plugins::grants::Grants)> {
    EMBEDDED_MANIFESTS
        .iter()
        .filter_map(|(name, text)| crate::authoring::manifest::parse(text, name).ok())
        .flat_map(|m| m.requests)
        .collect()
}

/// What one pack asks the site to grant one plugin.
#[derive(Debug, Clone)]
pub struct Request {
    pub pack: String,
    pub dir: std::path::PathBuf,
    pub plugin: String,
    /// As the manifest wrote it (data files relative to the pack folder).
    pub asked: bouncedx_plugins::grants::Grants,
    /// Ready to grant: data files made paths from here.
    pub grants: bouncedx_plugins::grants::Grants,
}

/// The requests (`requests:` in `pack.yaml`) of the packs at `paths`. They
/// grant nothing by themselves (see `bouncedx_plugins::grants`).
pub fn pack_requests(paths: &[std::path::PathBuf]) -> Vec<Request> {
    let mut out = Vec::new();
    for (dir, m) in manifests_at(paths) {
        for (plugin, asked) in m.requests {
            let mut grants = asked.clone();
            for path in grants.data.values_mut() {
                if path.is_relative() {
                    let joined = dir.join(&*path);
                    *path = joined.canonicalize().unwrap_or(joined);
                }
            }
            out.push(Request {
                pack: m.name.clone(),
                dir: dir.clone(),
                plugin,
                asked,
                grants,
            });
        }
    }
    out
}

/// The requests of the pack `which` names: a pack folder (its
/// `pack.yaml`), or the name of a pack at `paths`. An error says which
/// packs there are.
pub fn requests_of(which: &str, paths: &[std::path::PathBuf]) -> Result<Vec<Request>, String> {
    let as_path = std::path::Path::new(which);
    if as_path.join(crate::authoring::manifest::FILE).is_file() {
        crate::authoring::manifest::load(as_path)?;
        return Ok(pack_requests(&[as_path.to_path_buf()]));
    }
    let all = manifests_at(paths);
    if !all.iter().any(|(_, m)| m.name == which) {
        let names: Vec<String> = all.iter().map(|(_, m)| m.name.clone()).collect();
        return Err(format!(
            "no pack `{which}`: give a pack folder (with a pack.yaml), or the name of a pack loaded with --rules{}",
            if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", names.join(", "))
            }
        ));
    }
    Ok(pack_requests(paths)
        .into_iter()
        .filter(|r| r.pack == which)
        .collect())
}

/// Reads the metadata of plugin components and makes their checks known to
/// the rule compiler, so rules can ask for them.
pub fn register_plugin_checks(files: &[std::path::PathBuf]) -> Result<(), String> {
    use bouncedx_plugins::{dns, runtime};
    if files.is_empty() {
        return Ok(());
    }
    let dns = std::sync::Arc::new(dns::Dns::Offline(dns::Zones::default()));
    let rt = runtime::Runtime::new(dns, runtime::default_cache_dir())?;
    for f in files {
        let bytes =
            std::fs::read(f).map_err(|e| format!("cannot read plugin {}: {e}", f.display()))?;
        let (loaded, _) = rt.load(&bytes, &f.display().to_string())?;
        for c in &loaded.meta.checks {
            let (req, opt): (Vec<_>, Vec<_>) = c.params.iter().partition(|p| p.required);
            bouncedx_dsl::vocab::register_check(
                &format!("{}.{}", loaded.meta.name, c.name),
                &req.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
                &opt.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
            );
        }
    }
    Ok(())
}

/// The plugin components the packs at `paths` bring (their manifests'
/// `plugins:`, made relative to each pack's folder).
pub fn pack_plugins(paths: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    manifests_at(paths)
        .into_iter()
        .flat_map(|(dir, m)| {
            m.plugins
                .into_iter()
                .map(move |p| if p.is_relative() { dir.join(p) } else { p })
        })
        .collect()
}

/// The manifests of the packs at `paths`.
fn given_manifests(paths: &[std::path::PathBuf]) -> Vec<crate::authoring::manifest::Manifest> {
    manifests_at(paths).into_iter().map(|(_, m)| m).collect()
}

/// Every `imports:` requirement of the given packs is met by the version of
/// that pack that will be loaded; otherwise an error that says which.
pub fn check_imports(paths: &[std::path::PathBuf], packs: &[PackSource]) -> Result<(), String> {
    let versions = loaded_versions(paths);
    for m in given_manifests(paths) {
        for (name, req) in &m.imports {
            let Ok(req) = semver::VersionReq::parse(req) else {
                continue; // the manifest check reports it
            };
            if !packs.iter().any(|p| &p.name == name) && !versions.iter().any(|(n, _)| n == name) {
                return Err(format!(
                    "pack `{}` imports `{name}` ({req}), which is not loaded\n  = help: add it with `--rules PATH`",
                    m.name
                ));
            }
            if let Some((_, v)) = versions.iter().find(|(n, _)| n == name) {
                if !req.matches(v) {
                    return Err(format!(
                        "pack `{}` needs `{name}` {req}, and `{name}` {v} is loaded\n  = help: load a version of `{name}` that matches, or a version of `{}` made for {name} {v}",
                        m.name, m.name
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Compiles exactly these packs; packs they import but that are not among
/// them come from the built-in ones.
pub fn compile_packs(packs: Vec<PackSource>) -> Compilation {
    let mut names: Vec<&str> = EMBEDDED.iter().map(|(pack, _, _)| *pack).collect();
    names.dedup();
    bouncedx_dsl::compile_importing(packs, &read_file, &builtin_pack, &names)
}

/// Reads an included file from disk; a built-in pack's files, whose paths
/// need not exist on this machine, come from the binary. The compiler has
/// already checked that the path is a `.bdx` inside the pack (E0121); here
/// only a regular file is opened (a FIFO would hang, a device never end, a
/// symbolic link could lead out of the pack), and no more than the parser's
/// size limit is read, whatever the file claims.
fn read_file(path: &str) -> std::io::Result<String> {
    bouncedx_dsl::read_rule_file(Path::new(path))
        .or_else(|e| embedded_text(path).map(str::to_string).ok_or(e))
}
