//! The book's example runs are real: every ```` ```console ```` block whose
//! one command is a self-contained `bouncedx diagnose`, `explain` or
//! `scan --format human` (a quoted reply or a fixture of this repository;
//! no pipe, no redirection, no `# fields trimmed` comment), or an `eval`
//! of the labelled sets in `../shared` (skipped where they are absent), is run, and its
//! output must be the block's text. A rule or wording change that alters
//! an answer then fails here until the book shows the new answer:
//! `BOUNCEDX_BLESS=1 cargo test --test book_outputs` rewrites the blocks,
//! to review with `git diff book/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

/// Splits a command line the way a POSIX shell does for plain words and
/// single- or double-quoted ones (no variables, no escapes but `\"`).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') if chars.peek() == Some(&'"') => cur.push(chars.next().unwrap()),
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The arguments to run for a block's command, if it is one this test runs.
fn runnable(command: &str) -> Option<Vec<String>> {
    // a comment, a pipe or a redirection outside quotes
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#' | '>' | '|' | '<') => return None,
            _ => {}
        }
    }
    let words = shell_words(command);
    let args: Vec<String> = match words.first().map(String::as_str) {
        Some("bouncedx") => words[1..].to_vec(),
        Some("cargo")
            if words.get(1..4) == Some(&["run".into(), "--release".into(), "--".into()]) =>
        {
            words[4..].to_vec()
        }
        _ => return None,
    };
    let verb = args.first()?.as_str();
    let human_scan = verb == "scan"
        && args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "human");
    // `eval` on the shared labelled sets (the book's real run); an `eval`
    // of a set outside the repository and `../shared` is history, kept as
    // it printed then
    let shared_eval = verb == "eval"
        && args[1..]
            .iter()
            .filter(|a| !a.starts_with('-') && a.contains('/'))
            .all(|a| a.starts_with("../shared/"));
    if !(verb == "diagnose" || verb == "explain" || human_scan || shared_eval) {
        return None;
    }
    // every path argument must be a file of this repository
    for a in &args[1..] {
        if a.starts_with('-') || a.contains(' ') || a == "human" {
            continue;
        }
        if a.contains('/') && !root().join(a).exists() {
            return None;
        }
    }
    Some(args)
}

#[test]
fn console_blocks_show_real_output() {
    let bless = std::env::var_os("BOUNCEDX_BLESS").is_some();
    let mut files = Vec::new();
    markdown_files(&root().join("book/src"), &mut files);
    files.sort();
    let mut checked = 0;
    let mut stale = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut out_lines: Vec<String> = Vec::new();
        let mut i = 0;
        let mut changed = false;
        while i < lines.len() {
            out_lines.push(lines[i].to_string());
            if lines[i].trim() != "```console" {
                i += 1;
                continue;
            }
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim() == "```")
                .expect("closed block");
            let block = &lines[i + 1..end];
            let single = block.iter().filter(|l| l.starts_with("$ ")).count() == 1;
            let args = block
                .first()
                .and_then(|l| l.strip_prefix("$ "))
                .filter(|_| single)
                .and_then(runnable);
            match args {
                Some(args) => {
                    checked += 1;
                    let out = Command::new(env!("CARGO_BIN_EXE_bouncedx"))
                        .current_dir(root())
                        .env("NO_COLOR", "1")
                        .args(&args)
                        .output()
                        .expect("runs");
                    let got = String::from_utf8_lossy(&out.stdout);
                    let got: Vec<&str> = got.trim_end().lines().map(str::trim_end).collect();
                    let want: Vec<&str> = block[1..].iter().map(|l| l.trim_end()).collect();
                    out_lines.push(block[0].to_string());
                    if got != want {
                        changed = true;
                        stale.push(format!(
                            "{}:{}: `{}`\n--- book\n{}\n--- now\n{}",
                            path.strip_prefix(root()).unwrap().display(),
                            i + 2,
                            block[0],
                            want.join("\n"),
                            got.join("\n")
                        ));
                        out_lines.extend(got.iter().map(|s| s.to_string()));
                    } else {
                        out_lines.extend(want.iter().map(|s| s.to_string()));
                    }
                }
                None => out_lines.extend(block.iter().map(|s| s.to_string())),
            }
            out_lines.push(lines[end].to_string());
            i = end + 1;
        }
        if bless && changed {
            let mut new = out_lines.join("\n");
            new.push('\n');
            std::fs::write(&path, new).unwrap();
        }
    }
    assert!(checked >= 4, "only {checked} runnable console blocks found");
    assert!(
        bless || stale.is_empty(),
        "{} console block(s) in the book show output bouncedx no longer prints \
         (rerun with BOUNCEDX_BLESS=1 to rewrite them, then review `git diff book/`):\n\n{}",
        stale.len(),
        stale.join("\n\n")
    );
}
