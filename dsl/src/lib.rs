//! # The bouncedx rule language
//!
//! bouncedx's knowledge of bounces lives in **rule packs**: folders of `.bdx`
//! files. A file is a list of items, each led by a keyword:
//!
//! ```text
//! category blacklist {
//!   title  "Sending IP or domain is on a blocklist"
//!   reason blocked
//! }
//!
//! phrases dnsbl_named = [ "blocked using", /\bzen\.spamhaus\.org\b/ ]
//!
//! rule ip_on_blocklist {
//!   category   blacklist
//!   confidence high
//!   when       class permanent and text has dnsbl_named
//!   capture    list = /blocked using ([a-z0-9.-]+)/
//!   diagnosis  "The receiver refused {client_ip}: it is listed on {list}"
//!   fix        "Look the IP up on the list's site" "Delist once the cause is fixed"
//!   refs       "https://check.spamhaus.org/"
//!   example    "550 5.7.1 Client host [192.0.2.7] blocked using zen.spamhaus.org"
//! }
//! ```
//!
//! Compiling is a pipeline, one module per step:
//!
//! 1. [`parser`]: text to [`ast`], with error recovery at each top-level item;
//! 2. [`compile`]: name resolution, value checks and lowering to [`ir`]
//!    (one Aho-Corasick automaton and one `RegexSet` for all triggers);
//! 3. [`lints`]: warnings about things that compile but look wrong.
//!
//! Every problem becomes a [`Diagnostic`] with a stable code, rendered like
//! rustc's or as JSON. [`compile`](fn@compile) runs all of it over a set of
//! packs and never stops at the first error.

pub mod ast;
pub mod codes;
pub mod compile;
pub mod diagnostics;
pub mod format;
mod hints;
pub mod ir;
pub mod lints;
pub mod parser;
pub mod patterns;
pub mod prebuilt;
pub mod source;
pub mod vocab;

pub use diagnostics::{Diagnostic, Report, Severity};
pub use ir::Ruleset;
pub use source::SourceMap;

use std::path::{Path, PathBuf};

/// The source of one pack: its name and its files (path and text).
#[derive(Debug, Clone)]
pub struct PackSource {
    pub name: String,
    pub files: Vec<(String, String)>,
}

/// Everything one compilation produced.
pub struct Compilation {
    pub sources: SourceMap,
    pub report: Report,
    /// `None` when there were errors.
    pub ruleset: Option<Ruleset>,
}

/// Reads an included file by path; the CLI reads the file system, built-in
/// packs read the binary's embedded copies.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> std::io::Result<String>;
/// Supplies a pack that is imported but was not given (the built-in ones).
pub type FindPack<'a> = &'a dyn Fn(&str) -> Option<PackSource>;

/// Compiles packs into one ruleset. `read` resolves `include`s; `find_pack`
/// supplies packs that are `import`ed but not among `packs`.
pub fn compile(packs: Vec<PackSource>, read: ReadFile, find_pack: FindPack) -> Compilation {
    compile_inner(packs, read, find_pack, true, &[])
}

/// [`compile`], naming the packs `find_pack` can supply (the built-in
/// ones), so that errors can say which import was meant or which pack
/// defines an unknown name (see `hints`).
pub fn compile_importing(
    packs: Vec<PackSource>,
    read: ReadFile,
    find_pack: FindPack,
    importable: &[&str],
) -> Compilation {
    compile_inner(packs, read, find_pack, true, importable)
}

/// [`compile`] without the lints (warnings about style and likely
/// mistakes): for running packs known to be lint-clean, such as the
/// built-in ones, where a warning would not be shown anyway.
pub fn compile_unlinted(
    packs: Vec<PackSource>,
    read: ReadFile,
    find_pack: FindPack,
) -> Compilation {
    compile_inner(packs, read, find_pack, false, &[])
}

fn compile_inner(
    packs: Vec<PackSource>,
    read: ReadFile,
    find_pack: FindPack,
    lint: bool,
    importable: &[&str],
) -> Compilation {
    let mut sources = SourceMap::new();
    let mut diags = Vec::new();
    let mut parsed: Vec<compile::ParsedPack> = Vec::new();
    let mut queue = packs;
    let mut qi = 0;
    while qi < queue.len() {
        let pack = queue[qi].clone();
        qi += 1;
        let mut p = compile::ParsedPack {
            name: pack.name.clone(),
            files: Vec::new(),
            imports: Vec::new(),
            items: Vec::new(),
        };
        let mut loaded: Vec<String> = Vec::new();
        for (path, text) in &pack.files {
            parse_with_includes(
                path,
                text.clone(),
                &mut Vec::new(),
                &mut loaded,
                read,
                &mut sources,
                &mut diags,
                &mut p,
            );
        }
        for imp in &p.imports {
            let known = queue.iter().any(|q| q.name == imp.name);
            if !known {
                if let Some(extra) = find_pack(&imp.name) {
                    queue.push(extra);
                }
            }
        }
        parsed.push(p);
    }
    let item_lists: Vec<(&str, &[ast::Item])> = parsed
        .iter()
        .map(|p| (p.name.as_str(), p.items.as_slice()))
        .collect();
    if lint {
        let imports = parsed
            .iter()
            .map(|p| {
                let names = p.imports.iter().map(|i| i.name.as_str()).collect();
                (p.name.as_str(), names)
            })
            .collect();
        lints::lint(&item_lists, imports, &mut diags);
    }
    let location = |span: ast::Span| sources.location(span);
    let ruleset = compile::compile_packs(&parsed, &location, &mut diags, lint);
    hints::explain_imports(&mut diags, &sources, &parsed, importable, find_pack);
    diags.retain(|d| !allowed_here(d, &sources));
    let mut report = Report { diagnostics: diags };
    report.sort();
    let ruleset = if report.has_errors() { None } else { ruleset };
    Compilation {
        sources,
        report,
        ruleset,
    }
}

/// Drops the warnings that `# allow(id)` comments silence (for warnings
/// added after compiling, such as those that need the engine).
pub fn silence_allowed(c: &mut Compilation) {
    let sources = &c.sources;
    c.report.diagnostics.retain(|d| !allowed_here(d, sources));
}

/// Whether a warning is silenced where it points: by `# allow(lint_id)` at
/// the end of its line, or in the comment lines just above the top-level
/// item (rule, phrases, ...) that holds it.
fn allowed_here(d: &Diagnostic, sources: &SourceMap) -> bool {
    if d.is_error() {
        return false;
    }
    // A warning about two places (a trigger in two rules, say) is silenced
    // by an `allow` at either of them.
    d.span
        .into_iter()
        .chain(d.notes.iter().map(|n| n.span))
        .any(|span| allowed_at(d.code, span, sources))
}

/// Whether an `# allow(code)` comment covers `span`: on its line, or in the
/// comment lines above the item it is in.
fn allowed_at(code: &str, span: ast::Span, sources: &SourceMap) -> bool {
    let text = &sources.get(span.file).text;
    let marker = format!("allow({code})");
    let start = (span.start as usize).min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |p| p + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |p| start + p);
    let line = &text[line_start..line_end];
    if line.find('#').is_some_and(|h| line[h..].contains(&marker)) {
        return true;
    }
    // up to the item's first line, then its comment lines
    let lines: Vec<&str> = text[..line_end].lines().collect();
    let mut i = lines.len();
    while i > 0 {
        i -= 1;
        let l = lines[i];
        if parser::starts_item(l) {
            break;
        }
    }
    while i > 0 {
        i -= 1;
        let l = lines[i].trim_start();
        if !l.starts_with('#') {
            break;
        }
        if l.contains(&marker) {
            return true;
        }
    }
    false
}

#[allow(clippy::too_many_arguments)]
fn parse_with_includes(
    path: &str,
    text: String,
    stack: &mut Vec<String>,
    loaded: &mut Vec<String>,
    read: ReadFile,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    pack: &mut compile::ParsedPack,
) {
    if loaded.iter().any(|l| l == path) {
        return;
    }
    loaded.push(path.to_string());
    let id = sources.add(path, text);
    let file = parser::parse_file(id, &sources.get(id).text.clone(), diags);
    pack.files.push(path.to_string());
    stack.push(path.to_string());
    for item in file.items {
        match item {
            ast::Item::Include(s) => {
                if let Err((label, help)) = include_stays_inside(&stack[0], path, &s.value) {
                    diags.push(
                        Diagnostic::error(
                            "E0121",
                            format!("`{}` is not a rule file of this pack", s.value),
                        )
                        .at(s.span, label)
                        .help(help),
                    );
                    continue;
                }
                let target = join(path, &s.value);
                if stack.contains(&target) {
                    diags.push(
                        Diagnostic::error(
                            "E0214",
                            format!("include cycle: `{target}` includes itself"),
                        )
                        .at(
                            s.span,
                            "this include leads back to a file that is being read",
                        )
                        .help("include each file from one place only"),
                    );
                    continue;
                }
                match read(&target) {
                    Ok(t) => {
                        parse_with_includes(&target, t, stack, loaded, read, sources, diags, pack)
                    }
                    Err(e) => diags.push(
                        Diagnostic::error("E0120", format!("cannot read included file `{target}`"))
                            .at(s.span, e.to_string())
                            .help("the path is relative to the file that includes it"),
                    ),
                }
            }
            ast::Item::Import(i) => pack.imports.push(i),
            other => pack.items.push(other),
        }
    }
    stack.pop();
}

/// Whether `include "rel"` in the file `from` names a rule file of the
/// pack whose top-level file is `top`: a relative path ending in `.bdx`
/// that stays inside `top`'s folder however many `..` it has. Checked on
/// the words, before anything is opened, so an include can never make the
/// compiler read (or quote in an error) `/etc/shadow`, `/dev/zero` or a
/// FIFO. The reader then opens regular files only, with a size limit
/// (`src/rules.rs`). On failure: the label and the help of the error.
fn include_stays_inside(top: &str, from: &str, rel: &str) -> Result<(), (String, String)> {
    use std::path::Component;
    let rel_path = Path::new(rel);
    if rel.starts_with('/')
        || rel.starts_with('\\')
        || rel_path.has_root()
        || rel_path
            .components()
            .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
    {
        return Err((
            "an absolute path".into(),
            "an include is a path relative to the file that includes it, inside the pack's folder: `include \"causes/spam.bdx\"`".into(),
        ));
    }
    if !rel.ends_with(".bdx") {
        return Err((
            "not a `.bdx` file".into(),
            "only rule files (`.bdx`) of the pack can be included".into(),
        ));
    }
    let root = Path::new(top).parent().unwrap_or(Path::new(""));
    let base = Path::new(from).parent().unwrap_or(Path::new(""));
    // How deep the including file's folder is below the pack's folder.
    let mut depth = base
        .strip_prefix(root)
        .map(|p| {
            p.components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .count() as i64
        })
        .unwrap_or(0);
    for c in rel_path.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return Err((
                "this path leaves the pack's folder".into(),
                "a pack includes its own files only; to use another pack's rules, `import` it"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// `dir/a.bdx` + `b.bdx` → `dir/b.bdx`.
fn join(from: &str, rel: &str) -> String {
    let base = Path::new(from).parent().unwrap_or(Path::new(""));
    let mut out = PathBuf::new();
    for c in base.join(rel).components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}

/// A rule file's text: a regular file (not a symbolic link, FIFO or
/// device) of at most [`parser::MAX_SOURCE_BYTES`], with that limit
/// enforced while reading, and UTF-8. Packs and their includes are read
/// through this, so a pack can never make bouncedx open `/dev/zero`, wait
/// on a FIFO, or follow a link to `/etc/shadow` and quote it in an error.
pub fn read_rule_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let limit = parser::MAX_SOURCE_BYTES;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link: a pack's rule files must be files of the pack itself",
                path.display()
            ),
        ));
    }
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} is not a regular file (a folder, FIFO or device)",
                path.display()
            ),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "{} is larger than the {} MiB a rule file may have",
                path.display(),
                limit >> 20
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "{} is not UTF-8 (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Loads a pack from a folder (every `*.bdx` directly in it, sorted) or from
/// one file. The pack is named after the folder (for a file, its folder).
pub fn load_pack(path: &Path) -> std::io::Result<PackSource> {
    let meta = std::fs::metadata(path)?;
    let (dir, mut files) = if meta.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            // every `.bdx` entry that is not a folder: a link or a FIFO is
            // refused by `read_rule_file` with its name, not skipped
            .filter(|p| p.extension().is_some_and(|e| e == "bdx") && !p.is_dir())
            .collect();
        files.sort();
        (path.to_path_buf(), files)
    } else {
        (
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            // a file named on the command line may be a link: the user
            // chose it
            vec![if meta.file_type().is_symlink()
                || std::fs::symlink_metadata(path)?.file_type().is_symlink()
            {
                path.canonicalize()?
            } else {
                path.to_path_buf()
            }],
        )
    };
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "local".into());
    let mut out = Vec::new();
    for f in files.drain(..) {
        let text = read_rule_file(&f)?;
        out.push((f.to_string_lossy().into_owned(), text));
    }
    Ok(PackSource { name, files: out })
}

/// Compiles a single source text as a pack named `test`: handy in tests.
pub fn compile_str(name: &str, text: &str) -> Compilation {
    compile(
        vec![PackSource {
            name: "test".into(),
            files: vec![(name.into(), text.into())],
        }],
        &|p| {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no file {p}"),
            ))
        },
        &|_| None,
    )
}
