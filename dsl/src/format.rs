//! `bouncedx fmt`: one canonical layout for rule files.
//!
//! The formatter works on lines, not on the syntax tree, so every comment
//! stays exactly where it was; it only changes white space:
//!
//! - top-level items (`rule`, `category`, `phrases`, ...) and their closing
//!   `}` or `]` start in column 1;
//! - inside a block, a field's keyword is indented two spaces and its value
//!   starts in column 14 (one space after keywords longer than ten
//!   characters, like `counterexample`); a field's further lines (more
//!   strings, a condition continued) line up with its value;
//! - inside a phrase list, entries are indented two spaces per level;
//! - trailing white space goes, runs of blank lines become one, blank lines
//!   just inside a `{` or before a `}` go, and the file ends with one
//!   newline.
//!
//! White space *within* a line (between the words of a condition, inside
//! strings and regexes) is never touched, which is what makes the meaning
//! safe; [`same_meaning`] proves it by parsing both versions and comparing
//! their syntax trees without positions. `fmt` refuses to write a file when
//! that check fails.

use crate::parser::parse_file;

/// Keywords that start a field inside a block.
const FIELD_KEYWORDS: &[&str] = &[
    "title",
    "reason",
    "description",
    "counts_as",
    "fix",
    "prevent",
    "escalate",
    "refs",
    "when",
    "confidence",
    "priority",
    "retry",
    "concerns",
    "capture",
    "diagnosis",
    "check",
    "example",
    "counterexample",
    "category",
    "provider",
    "disable",
    "unless",
];

/// Width a field keyword is padded to (its value then starts two columns
/// further, after the indent).
const KEYWORD_WIDTH: usize = 11;

/// The nesting a line leaves behind: counts of `{` and `[` opened minus
/// closed, outside strings, regexes and comments.
fn nesting_change(line: &str) -> (i32, i32) {
    let (mut braces, mut brackets) = (0i32, 0i32);
    let mut chars = line.chars().peekable();
    let mut prev_significant: Option<char> = None;
    while let Some(c) = chars.next() {
        match c {
            '#' => break,
            '"' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            // A regex starts where a value can: after white space, `[`,
            // `,`, `=` or at the start.
            '/' if matches!(prev_significant, None | Some('[' | ',' | '=' | ' ')) => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '/' => break,
                        _ => {}
                    }
                }
            }
            '{' => braces += 1,
            '}' => braces -= 1,
            '[' => brackets += 1,
            ']' => brackets -= 1,
            _ => {}
        }
        prev_significant = Some(if c.is_whitespace() { ' ' } else { c });
    }
    (braces, brackets)
}

/// The field keyword a (trimmed) line starts with, if any.
fn field_keyword(line: &str) -> Option<&str> {
    let word_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let word = &line[..word_end];
    let followed_by_space = line[word_end..].starts_with([' ', '\t']) || word_end == line.len();
    (followed_by_space && FIELD_KEYWORDS.contains(&word)).then_some(word)
}

/// Formats one rule file.
pub fn format(src: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let (mut braces, mut brackets) = (0i32, 0i32);
    // The column a field's continuation lines start at.
    let mut value_column = 2 + KEYWORD_WIDTH;
    for raw in src.lines() {
        let line = raw.trim();
        if line.is_empty() {
            let after_open = out.last().is_some_and(|l| l.ends_with('{'));
            let after_blank = out.last().is_some_and(|l| l.is_empty());
            if !out.is_empty() && !after_open && !after_blank {
                out.push(String::new());
            }
            continue;
        }
        let closes = line.starts_with('}') || line.starts_with(']');
        if line.starts_with('}') && out.last().is_some_and(|l| l.is_empty()) {
            out.pop();
        }
        let formatted = if braces <= 0 && brackets <= 0 {
            line.to_string()
        } else if brackets > 0 {
            // inside a phrase list (at top level or in a block)
            let depth = (brackets + braces.max(0)) as usize - usize::from(closes);
            format!("{}{line}", "  ".repeat(depth))
        } else if closes {
            format!("{}{line}", "  ".repeat((braces - 1).max(0) as usize))
        } else if line.starts_with('#') {
            format!("  {line}")
        } else if let Some(kw) = field_keyword(line) {
            let rest = line[kw.len()..].trim_start();
            let pad = KEYWORD_WIDTH.saturating_sub(kw.len()).max(1);
            value_column = 2 + kw.len() + pad;
            if rest.is_empty() {
                format!("  {kw}")
            } else {
                format!("  {kw}{}{rest}", " ".repeat(pad))
            }
        } else {
            // a field's further strings, or its condition continued
            format!("{}{line}", " ".repeat(value_column))
        };
        out.push(formatted);
        let (b, k) = nesting_change(line);
        braces += b;
        brackets += k;
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// Whether two versions of a file mean the same: both parse with the same
/// problems, and their syntax trees are equal once positions are removed.
pub fn same_meaning(a: &str, b: &str) -> bool {
    let tree = |src: &str| {
        let mut diags = Vec::new();
        let file = parse_file(0, src, &mut diags);
        let mut v = serde_json::to_value(&file).expect("syntax trees serialise");
        strip_spans(&mut v);
        let codes: Vec<&'static str> = diags.iter().map(|d| d.code).collect();
        (v, codes)
    };
    tree(a) == tree(b)
}

/// Removes positions: `span` fields, and spans kept in tuples (objects of
/// exactly `file`, `start` and `end`).
fn strip_spans(v: &mut serde_json::Value) {
    let is_span = |m: &serde_json::Map<String, serde_json::Value>| {
        m.len() == 3 && m.contains_key("file") && m.contains_key("start") && m.contains_key("end")
    };
    match v {
        serde_json::Value::Object(map) if is_span(map) => *v = serde_json::Value::Null,
        serde_json::Value::Object(map) => {
            map.remove("span");
            for x in map.values_mut() {
                strip_spans(x);
            }
        }
        serde_json::Value::Array(xs) => xs.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
