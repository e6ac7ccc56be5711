//! Reading a labelled set: a TSV of replies, or a folder of e-mails with an
//! `expected.tsv` (see the module above for the shapes).

use std::path::{Path, PathBuf};

/// One labelled row.
#[derive(Debug, Clone)]
pub struct Case {
    /// What the half is decided by: the reply, or `file#index`.
    pub key: String,
    /// The line of the labelled file it came from (1-based).
    pub line: usize,
    pub input: Input,
    pub category: Option<String>,
    pub reason: Option<String>,
}

/// What is diagnosed for a row.
#[derive(Debug, Clone)]
pub enum Input {
    Reply(String),
    /// The recipient at `index` (1-based) of the bounce in `file`.
    Email {
        file: PathBuf,
        index: usize,
        /// Set only on a row that repeats an index already labelled for the
        /// same file: the status it gives (`5.1.1`) says which recipient it
        /// means, when the one at `index` has another status.
        status: Option<String>,
    },
}

/// Why a labelled set could not be read: where, and what to do.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Fills the placeholders of reference texts (`<IP>`, `<domain>`, ...)
/// with documentation values, so a pattern reads as a real reply.
pub fn fill(text: &str) -> String {
    text.replace("<IP>", "192.0.2.7")
        .replace("<domain>", "example.com")
        .replace("<addr>", "bob@example.com")
        .replace("<n>", "3")
        .replace("<id>", "abc123")
        .replace("<zone>", "bl.example.org")
        .replace("<server>", "mx1.example.net")
        .replace("<host>", "mx01")
        .replace("<NNN>", "001")
}

/// Reads the labelled set at `path`: a folder (with `expected.tsv`) or a
/// TSV file.
pub fn load(path: &Path) -> Result<Vec<Case>, LoadError> {
    if path.is_dir() {
        return load_folder(path);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError(format!("{}: cannot read: {e}", path.display())))?;
    load_replies(&text, &path.display().to_string())
}

/// The header's columns, when the first line names them.
struct Columns {
    reply: usize,
    code: Option<usize>,
    status: Option<usize>,
    category: Option<usize>,
    reason: Option<usize>,
}

fn columns(header: &[&str]) -> Option<Columns> {
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    let reply = find(&["reply", "message_text_or_pattern", "text", "message"])?;
    Some(Columns {
        reply,
        code: find(&["reply_code", "replycode", "code"]),
        status: find(&["enhanced_code", "status"]),
        category: find(&["category", "cause_category", "cause"]),
        reason: find(&["reason", "expected_reason"]),
    })
}

/// The rows of a TSV that hold data (not blank, not `#` comments): each
/// with its line number (1-based) and its cells.
fn data_rows<'a>(
    lines: impl Iterator<Item = (usize, &'a str)>,
) -> impl Iterator<Item = (usize, Vec<&'a str>)> {
    lines
        .filter(|(_, l)| !l.trim().is_empty() && !is_comment(l))
        .map(|(i, l)| (i + 1, l.split('\t').collect()))
}

/// A `#` comment line. Exchange writes its NDR replies with a leading `#`
/// ("#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"), so a `#` followed
/// by a digit starts a reply, not a comment.
fn is_comment(line: &str) -> bool {
    line.strip_prefix('#')
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// A label cell: trimmed, `None` when empty or `-`.
fn label(cell: Option<&&str>) -> Option<String> {
    cell.map(|c| c.trim())
        .filter(|c| !c.is_empty() && *c != "-")
        .map(str::to_string)
}

fn load_replies(text: &str, origin: &str) -> Result<Vec<Case>, LoadError> {
    let mut lines = text.lines().enumerate().peekable();
    // A header is a first line that names a reply column.
    let first: Vec<&str> = lines
        .peek()
        .map(|(_, l)| l.split('\t').collect())
        .unwrap_or_default();
    let cols = match columns(&first) {
        Some(c) => {
            lines.next();
            c
        }
        None => Columns {
            reply: 0,
            code: None,
            status: None,
            category: Some(1),
            reason: Some(2),
        },
    };
    if cols.category.is_none() && cols.reason.is_none() {
        return Err(LoadError(format!(
            "{origin}:1: the header names no `category` or `reason` column\n  = help: label each reply with its expected category (blacklist, authentication, reputation, content, org_policy, rate_limit, recipient, other) and/or reason"
        )));
    }
    let mut cases = Vec::new();
    for (n, cells) in data_rows(lines) {
        let Some(reply) = cells
            .get(cols.reply)
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
        else {
            return Err(LoadError(format!(
                "{origin}:{n}: no reply in column {}\n  = help: a row is `reply<TAB>category[<TAB>reason]`",
                cols.reply + 1
            )));
        };
        let text = fill(reply);
        let mut words = Vec::new();
        for c in [cols.code, cols.status].into_iter().flatten() {
            if let Some(v) = label(cells.get(c)) {
                // a range such as 4.7.500-699 is written as its first code,
                // a family such as 5.7.5xx as its first member
                let v = v.split('-').next().unwrap_or_default();
                words.push(v.replace("xx", "00").replace('x', "0"));
            }
        }
        // a text that already starts with its code is the whole reply
        if words
            .first()
            .is_some_and(|code| text.starts_with(code.as_str()))
        {
            words.clear();
        }
        words.push(text);
        let reply = words.join(" ").trim().to_string();
        // `recipient/mailbox`: a category and a finer label under it
        let category = cols
            .category
            .and_then(|c| label(cells.get(c)))
            .map(|c| c.split('/').next().unwrap_or_default().to_string());
        let reason = cols.reason.and_then(|c| label(cells.get(c)));
        if category.is_none() && reason.is_none() {
            return Err(LoadError(format!(
                "{origin}:{n}: the row has no label\n  = help: give its expected category (or reason) after a tab"
            )));
        }
        cases.push(Case {
            key: reply.clone(),
            line: n,
            input: Input::Reply(reply),
            category,
            reason,
        });
    }
    Ok(cases)
}

fn load_folder(dir: &Path) -> Result<Vec<Case>, LoadError> {
    let tsv = dir.join("expected.tsv");
    let text = std::fs::read_to_string(&tsv).map_err(|e| {
        LoadError(format!(
            "{}: cannot read: {e}\n  = help: a folder of e-mails needs an expected.tsv: file<TAB>rcpt_index<TAB>category<TAB>reason, with that header",
            tsv.display()
        ))
    })?;
    let origin = tsv.display().to_string();
    let mut lines = text.lines().enumerate();
    let header: Vec<String> = lines
        .next()
        .map(|(_, l)| {
            l.split('\t')
                .map(|h| h.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (Some(file), Some(index)) = (col(&["file"]), col(&["rcpt_index", "index", "recipient"]))
    else {
        return Err(LoadError(format!(
            "{origin}:1: the header must name `file` and `rcpt_index`\n  = help: file<TAB>rcpt_index<TAB>category<TAB>reason"
        )));
    };
    let (category, reason) = (col(&["category"]), col(&["reason"]));
    let status = col(&["status"]);
    if category.is_none() && reason.is_none() {
        return Err(LoadError(format!(
            "{origin}:1: the header names no `category` or `reason` column"
        )));
    }
    let emails = if dir.join("emails").is_dir() {
        dir.join("emails")
    } else {
        dir.to_path_buf()
    };
    let mut cases = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, cells) in data_rows(lines) {
        let name = cells.get(file).map(|c| c.trim()).unwrap_or_default();
        let at: usize = cells
            .get(index)
            .and_then(|c| c.trim().parse().ok())
            .filter(|i| *i >= 1)
            .ok_or_else(|| {
                LoadError(format!(
                    "{origin}:{n}: `{}` is not a recipient index (1 for the first recipient)",
                    cells.get(index).unwrap_or(&"")
                ))
            })?;
        let path = emails.join(name);
        if name.is_empty() || !path.is_file() {
            return Err(LoadError(format!(
                "{origin}:{n}: no e-mail `{name}` in {}",
                emails.display()
            )));
        }
        // a second row for the same index (an e-mail with two failures for
        // one recipient position in the label file) is told apart by its
        // status, when the file has one
        let repeated = !seen.insert((name.to_string(), at));
        let status = status
            .and_then(|c| cells.get(c))
            .map(|s| s.trim())
            .filter(|s| repeated && !s.is_empty())
            .map(str::to_string);
        cases.push(Case {
            key: format!("{name}#{at}"),
            line: n,
            input: Input::Email {
                file: path,
                index: at,
                status,
            },
            category: category.and_then(|c| label(cells.get(c))),
            reason: reason.and_then(|c| label(cells.get(c))),
        });
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rows_and_named_columns() {
        let c = load_replies("550 5.1.1 user unknown\trecipient\tuserunknown\n# a comment\n421 try later\trate_limit\n", "t").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].category.as_deref(), Some("recipient"));
        assert_eq!(c[0].reason.as_deref(), Some("userunknown"));
        assert_eq!(c[1].reason, None);
        let c = load_replies(
            "provider\treply_code\tenhanced_code\tmessage_text_or_pattern\tmeaning\tcause_category\nX\t550\t5.7.500-699\tAccess denied from <IP>\tm\tblacklist\n",
            "t",
        )
        .unwrap();
        match &c[0].input {
            Input::Reply(r) => assert_eq!(r, "550 5.7.500 Access denied from 192.0.2.7"),
            other => panic!("{other:?}"),
        }
        assert_eq!(c[0].line, 2);
    }

    #[test]
    fn errors_say_where_and_what_to_do() {
        let e = load_replies("550 x\n", "set.tsv").unwrap_err().0;
        assert!(e.starts_with("set.tsv:1: the row has no label"), "{e}");
        let e = load_replies("reply\tnote\n550 x\ty\n", "set.tsv")
            .unwrap_err()
            .0;
        assert!(e.contains("no `category` or `reason`"), "{e}");
    }
}
