//! What the parser does after a mistake, so that one mistake is one error.
//!
//! pest stops at the first thing it cannot read, and an item (a `rule`, a
//! `category`, ...) is parsed in one go, so without help one slip costs the
//! whole item: its other fields are never read, and the checker then
//! complains that they are missing. Three mistakes are handled here:
//!
//! 1. **An item never closed.** A `{` without its `}` would otherwise be
//!    reported at the next item (`found rule`). [`unclosed`] finds it before
//!    pest runs, lexing strings, regexes and comments so a brace inside them
//!    does not count; the error points at the `{`, and the item is parsed as
//!    if its `}` followed its last field.
//! 2. **A field whose value does not parse** (`code 4.3.0`, `diagnosis`
//!    without quotes). After pest's error the field's lines are blanked
//!    (replaced by spaces, so every offset stays true) and the item is parsed
//!    again; [`field_at`] finds those lines. The field is then kept as
//!    *broken* ([`crate::ast::UnknownField::broken`]), so the checker does
//!    not also say the item lacks it. [`meant`] turns the commonest values
//!    of the wrong kind into an error that says what was meant.
//! 3. **A misspelt item keyword** (`rul r1 {` in column 1). [`item_typo`]
//!    makes such a line start an item of its own, so the mistake is one
//!    "unknown item" error with a suggestion instead of a parse error
//!    inside the item above it.

use crate::ast::{FileId, Span};
use crate::diagnostics::Diagnostic;

/// The end of an item's text as a lexer sees it.
pub(super) struct Braces {
    /// Braces opened and not closed at the end of the text.
    pub depth: usize,
    /// Where the item's first `{` is.
    pub open: Option<usize>,
    /// Where the `}` that closes it is.
    pub close: Option<usize>,
    /// The end of the last character that is not blank and not a comment.
    pub last: usize,
}

/// Where the string or regex opened at `start` (its `"` or `/`) ends: `Ok`
/// with the index of its closing delimiter, or `Err` with the index of the
/// newline (or the end of the text) that cuts it off. Shared by the
/// pre-lexer, which reports the cut, and [`braces`], which skips it.
pub(super) fn literal_end(bytes: &[u8], start: usize) -> Result<usize, usize> {
    let delimiter = bytes[start];
    let mut i = start + 1;
    loop {
        match bytes.get(i) {
            None | Some(b'\n') => return Err(i.min(bytes.len())),
            Some(b'\\') => i += 2,
            Some(&b) if b == delimiter => return Ok(i),
            Some(_) => i += 1,
        }
    }
}

/// The end of the comment that starts at `start` (its `#`): the newline,
/// or the end of the text.
pub(super) fn comment_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| start + n)
}

/// Lexes `chunk` for braces outside strings, regexes and comments.
pub(super) fn braces(chunk: &str) -> Braces {
    let bytes = chunk.as_bytes();
    let mut out = Braces {
        depth: 0,
        open: None,
        close: None,
        last: 0,
    };
    let mut i = 0;
    let mut prev_ident = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'#' => {
                i = comment_end(bytes, i);
                prev_ident = false;
                continue;
            }
            b'"' | b'/' if !(c == b'/' && prev_ident) => {
                i = literal_end(bytes, i).unwrap_or_else(|cut| cut);
                prev_ident = false;
            }
            b'{' => {
                if out.depth == 0 && out.open.is_none() {
                    out.open = Some(i);
                }
                out.depth += 1;
                prev_ident = false;
            }
            b'}' => {
                out.depth = out.depth.saturating_sub(1);
                if out.depth == 0 && out.open.is_some() && out.close.is_none() {
                    out.close = Some(i);
                }
                prev_ident = false;
            }
            _ => prev_ident = c.is_ascii_alphanumeric() || c == b'_',
        }
        if !c.is_ascii_whitespace() {
            out.last = (i + 1).min(bytes.len());
        }
        i += 1;
    }
    out
}

/// `rule r1`, `category x`: how an error names the item a chunk holds.
pub(super) fn item_name(chunk: &str) -> String {
    let mut words = chunk
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .unwrap_or("")
        .split(|c: char| c.is_whitespace() || c == '{')
        .filter(|w| !w.is_empty());
    match (words.next(), words.next()) {
        (Some(kw), Some(name)) => format!("{kw} `{name}`"),
        (Some(kw), None) => format!("this {kw}"),
        _ => "this item".into(),
    }
}

/// The error for an item whose `{` is never closed, and where to put the
/// missing `}`: right after the item's last character (anything after it is
/// blank or comments, so no span moves).
pub(super) fn unclosed(
    file: FileId,
    text: &str,
    chunk: &str,
    offset: usize,
) -> Option<(Diagnostic, usize)> {
    let b = braces(chunk);
    let open = b.open?;
    if b.depth == 0 {
        return None;
    }
    let line = text[..offset + b.last].matches('\n').count() + 1;
    let what = item_name(chunk);
    let d = Diagnostic::error("E0001", format!("{what} is never closed"))
        .at(
            Span::new(file, offset + open, offset + open + 1),
            "this `{` has no matching `}`",
        )
        .help(format!(
            "add `}}` after line {line}, the last line of {what}; an item ends before the next one starts"
        ));
    Some((d, b.last))
}

/// The item keyword a column-1 line misspells (`rul r1 {` → `rule`), when
/// the line has the shape of an item's first line.
pub fn item_typo(line: &str) -> Option<&'static str> {
    let word_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (word, rest) = line.split_at(word_end);
    if word.is_empty() || !rest.starts_with([' ', '\t']) {
        return None;
    }
    if super::ITEM_KEYWORDS.contains(&word) {
        return None;
    }
    let rest = rest.trim();
    let name_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '/'))
        .unwrap_or(rest.len());
    let after = rest[name_end..].trim_start();
    let shaped = name_end > 0
        && (after.starts_with('{') || after.starts_with('=') || after.is_empty())
        || rest.starts_with('"');
    if !shaped {
        return None;
    }
    let kw = crate::vocab::did_you_mean(word, super::ITEM_KEYWORDS)?;
    super::ITEM_KEYWORDS.iter().copied().find(|k| *k == kw)
}

/// The error for a chunk that starts with a misspelt item keyword, and
/// the keyword meant.
pub(super) fn item_typo_error(
    file: FileId,
    chunk: &str,
    offset: usize,
) -> Option<(Diagnostic, &'static str)> {
    let first = chunk.lines().next()?;
    let kw = item_typo(first)?;
    let word_len = first
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(first.len());
    let word = &first[..word_len];
    Some((
        Diagnostic::error("E0001", format!("unknown item `{word}`"))
            .at(
                Span::new(file, offset, offset + word_len),
                "not an item keyword",
            )
            .help(format!(
                "did you mean `{kw}`? An item starts with `rule`, `category`, `phrases`, `provider`, `import`, `include` or `override`"
            )),
        kw,
    ))
}

/// The lines of the field that holds byte `pos` of an item: from the line
/// where the field starts (its first word is a name other than `and`, `or`,
/// `not`) to the line before the next field or the item's closing `}`.
/// Returns the byte range and the field's first word; `None` when `pos` is
/// in the item's first line, where there is no field to drop.
pub(super) fn field_at(chunk: &str, pos: usize) -> Option<(usize, usize, String)> {
    let b = braces(chunk);
    let open = b.open?;
    // Only inside the item's braces: after its `}` there is no field.
    if pos <= open || b.close.is_some_and(|c| pos > c) {
        return None;
    }
    let body_line = chunk[..open].rfind('\n').map_or(0, |p| p + 1);
    // (start of line, its first word or first character)
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for line in chunk.split_inclusive('\n') {
        lines.push((at, line));
        at += line.len();
    }
    let first_word = |l: &str| -> String {
        let t = l.trim_start();
        let end = t
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(t.len());
        if end == 0 {
            t.chars().next().map(String::from).unwrap_or_default()
        } else {
            t[..end].to_string()
        }
    };
    let starts_field = |l: &str| {
        let w = first_word(l);
        w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && !matches!(w.as_str(), "and" | "or" | "not")
    };
    let mut error_line = lines.iter().rposition(|(s, _)| *s <= pos)?;
    // An error at the first word of a field's line is the field above
    // being cut short (`when` with nothing after it): that one is broken.
    let (line_start, line) = lines[error_line];
    let indent = line.len() - line.trim_start().len();
    if pos == line_start + indent && starts_field(line) && error_line > 0 {
        error_line -= 1;
    }
    let start_line = (0..=error_line)
        .rev()
        .find(|&i| lines[i].0 > body_line && starts_field(lines[i].1))?;
    let ends_item = |l: &str| l.trim_start().starts_with('}');
    let mut end_line = start_line + 1;
    while end_line < lines.len() {
        let l = lines[end_line].1;
        if (end_line > error_line || ends_item(l)) && (starts_field(l) || ends_item(l)) {
            break;
        }
        end_line += 1;
    }
    let start = lines[start_line].0;
    let mut end = lines.get(end_line).map_or(chunk.len(), |(s, _)| *s);
    // Never blank the item's own `}` when it ends a field's line.
    if end_line >= lines.len() {
        if let Some(close) = chunk[..b.last].rfind('}') {
            if close >= start {
                end = close;
            }
        }
    }
    if end <= start {
        return None;
    }
    Some((start, end, first_word(lines[start_line].1)))
}

/// `text` with `range` replaced by spaces (newlines kept).
pub(super) fn blank(text: &str, range: (usize, usize)) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..range.0]);
    for c in text[range.0..range.1].chars() {
        if c == '\n' || c == '\r' {
            out.push(c);
        } else {
            for _ in 0..c.len_utf8() {
                out.push(' ');
            }
        }
    }
    out.push_str(&text[range.1..]);
    out
}

/// A field value of the wrong kind, said as what was meant: `code 4.3.0` is
/// an enhanced status, `status 451` a reply code, a string field's value
/// without quotes, and the like. `field` is the field's text, starting at
/// byte `at` of the file; `error` is where pest stopped, in `field`. Of the
/// shapes found, the one starting nearest before the error is said; the
/// insides of strings are not looked at.
pub(super) fn meant(file: FileId, field: &str, at: usize, error: usize) -> Option<Diagnostic> {
    use regex::Regex;
    use std::sync::LazyLock;
    struct Shape {
        re: Regex,
        code: &'static str,
        message: fn(&regex::Captures, &str) -> (String, String, String),
    }
    static SHAPES: LazyLock<Vec<Shape>> = LazyLock::new(|| {
        let shape =
            |re: &str, message: fn(&regex::Captures, &str) -> (String, String, String)| Shape {
                re: Regex::new(re).expect("recovery pattern"),
                code: "E0007",
                message,
            };
        let empty = Shape {
            re: Regex::new(r"^\s*(?P<f>[a-z_]+)\s*(?:#.*)?$").expect("recovery pattern"),
            code: "E0001",
            message: |c, _| {
                let f = &c["f"];
                (
                    format!("`{f}` has no value"),
                    "nothing follows it on its line".into(),
                    format!(
                        "write the value after the field name, e.g. {}",
                        match f {
                            "when" | "unless" => "`when code 550 and text has \"blocked\"`",
                            "capture" => "`capture ip = /\\[([0-9.]+)\\]/`",
                            "confidence" => "`confidence high`",
                            "priority" => "`priority 10`",
                            "category" => "`category blacklist`",
                            "reason" => "`reason blocked`",
                            "check" => "`check dnsbl.ip(ip: client_ip)`",
                            _ => "a string in double quotes",
                        }
                    ),
                )
            },
        };
        let test_without_value = Shape {
            re: Regex::new(
                r"\b(?P<f>code|status|class|stage|text has|text matches)\s*(?:#[^\n]*)?\s*$",
            )
            .expect("recovery pattern"),
            code: "E0001",
            message: |c, _| {
                let f = &c["f"];
                (
                    format!("`{f}` has no value"),
                    "the condition ends here".into(),
                    format!(
                        "write what it tests, e.g. {}",
                        match f {
                            "code" => "`code 550` or `code 5xx`",
                            "status" => "`status 5.7.1` or `status 5.7.*`",
                            "class" => "`class permanent` or `class transient`",
                            "stage" => "`stage rcpt`",
                            "text has" => "`text has \"blocked\"` or `text has [\"a\", \"b\"]`",
                            _ => "`text matches /blocked using \\S+/`",
                        }
                    ),
                )
            },
        };
        vec![
            empty,
            test_without_value,
            shape(
                r#"^\s*capture\s+\w+\s*=\s*(?P<v>"(?:[^"\\]|\\.)*"|'[^']*')"#,
                |c, raw| {
                    let v = &raw[c.name("v").map_or(0..0, |m| m.range())];
                    (
                    "a capture takes a regex, not a string".to_string(),
                    "a string".into(),
                    format!("write it between slashes, with the part to capture in parentheses: `/{}/`", v.trim_matches(['"', '\''])),
                )
                },
            ),
            shape(r"\bcode\s+(?P<v>[0-9*]+\.[0-9*]+\.[0-9*]+)", |c, _| {
                let v = &c["v"];
                (
                    format!("`{v}` is an enhanced status, not a reply code"),
                    "an enhanced status".into(),
                    format!("write `status {v}`; `code` takes a three-digit reply code such as `550` or `5xx`"),
                )
            }),
            shape(r"\bstatus\s+(?P<v>[0-9][0-9xX]{2})\b", |c, _| {
                let v = &c["v"];
                (
                    format!("`{v}` is a reply code, not an enhanced status"),
                    "a reply code".into(),
                    format!("write `code {v}`; `status` takes `class.subject.detail` such as `5.7.1` or `5.7.*`"),
                )
            }),
            shape(r"\bcode\s+(?P<v>[0-9xX]{1,2}|[0-9xX]{4,})\b", |c, _| {
                let v = &c["v"];
                (
                    format!("`{v}` is not a reply code"),
                    "not three characters".into(),
                    "a reply code is three characters: `550`, or `5xx` and `55x` for a family"
                        .into(),
                )
            }),
            shape(
                r"\btext\s+(?P<verb>has|matches)\s+(?P<v>[0-9][0-9xX*]*(?:\.[0-9*]+){0,2})",
                |c, _| {
                    let v = &c["v"];
                    let verb = &c["verb"];
                    let test = if v.contains('.') {
                        format!("status {v}")
                    } else {
                        format!("code {v}")
                    };
                    (
                    format!("`text {verb}` looks for words, and `{v}` is not quoted"),
                    "a code, not a phrase".into(),
                    format!("to test the reply write `{test}`; to look for these characters in the text write `text has \"{v}\"`"),
                )
                },
            ),
            shape(r"\bclass\s+(?P<v>[0-9][0-9xX.*]*)", |c, _| {
                let v = &c["v"];
                (
                    format!("`{v}` is not a reply class"),
                    "a code, not a class".into(),
                    format!(
                        "`class` takes `permanent` or `transient`; to test codes write `code {}`",
                        if v.len() == 1 {
                            format!("{v}xx")
                        } else {
                            v.to_string()
                        }
                    ),
                )
            }),
            shape(
                r"^\s*(?P<f>diagnosis|title|description|fix|prevent|escalate|refs|example|counterexample)\s+(?P<v>')",
                |c, _| {
                    let f = &c["f"];
                    (
                        format!("the value of `{f}` is in single quotes"),
                        "strings use double quotes".into(),
                        format!("write `{f} \"...\"`"),
                    )
                },
            ),
            shape(
                r#"^\s*(?P<f>diagnosis|title|description|fix|prevent|escalate|refs|example|counterexample)\s+(?P<v>[^"\s/]\S*)(?P<rest>[^\n]*)"#,
                |c, raw| {
                    let f = &c["f"];
                    let v = &c["v"];
                    let line = raw[c
                        .name("v")
                        .map_or(0..0, |m| m.start()..c.get(0).map_or(0, |m| m.end()))]
                    .trim_end();
                    let shown: String = line.chars().take(40).collect();
                    let more = if shown.len() < line.len() { " ..." } else { "" };
                    (
                        format!("the value of `{f}` is not a string"),
                        format!("`{v}` starts the value without a quote"),
                        format!("put the text in double quotes: `{f} \"{shown}{more}\"`"),
                    )
                },
            ),
            shape(
                r#"^\s*(?P<f>fix|prevent|escalate|refs|example|counterexample)\s+"(?:[^"\\]|\\.)*"\s*(?P<v>,)"#,
                |c, _| {
                    let f = &c["f"];
                    (
                        format!("the values of `{f}` are separated by commas"),
                        "no comma between strings".into(),
                        format!("write the strings one after another: `{f} \"first\" \"second\"`"),
                    )
                },
            ),
            shape(
                r#"(?:\bwhen|\band|\bor|\bnot|\bunless|\()\s+(?P<f>[a-z_]+)\s*(?P<op>==?|!=)\s*["\[/]"#,
                |c, _| {
                    let f = &c["f"];
                    let op = &c["op"];
                    let (verb, help) = if op == "!=" {
                        ("not", format!("write `not {f} is \"...\"`"))
                    } else {
                        ("is", format!("write `{f} is \"...\"`; the comparisons are `is`, `contains`, `starts_with`, `ends_with`, `matches`"))
                    };
                    (
                        format!("`{op}` is not a comparison here"),
                        format!("write `{verb}`"),
                        help,
                    )
                },
            ),
            shape(r"^\s*priority\s+(?P<v>\S+)", |c, _| {
                let v = &c["v"];
                (
                    format!("`{v}` is not a priority"),
                    "not a whole number".into(),
                    "`priority` takes a whole number from -1000 to 1000; higher wins a tie".into(),
                )
            }),
            shape(r"^\s*confidence\s+(?P<v>\S+)", |c, _| {
                let v = &c["v"];
                (
                    format!("`{v}` is not a confidence"),
                    "not a word or a number".into(),
                    "`confidence` takes `certain`, `high`, `medium`, `low` or a number from 0 to 1 such as `0.85`".into(),
                )
            }),
        ]
    });
    let plain = blank_strings(field);
    let mut best: Option<(usize, Diagnostic)> = None;
    for s in SHAPES.iter() {
        for c in s.re.captures_iter(&plain) {
            let whole = c.get(0).expect("whole match");
            if whole.start() > error || best.as_ref().is_some_and(|(b, _)| *b >= whole.start()) {
                continue;
            }
            let m = c
                .name("v")
                .or_else(|| c.name("op"))
                .or_else(|| c.name("f"))
                .unwrap_or(whole);
            let (message, label, help) = (s.message)(&c, field);
            let d = Diagnostic::error(s.code, message)
                .at(Span::new(file, at + m.start(), at + m.end()), label)
                .help(help);
            best = Some((whole.start(), d));
        }
    }
    best.map(|(_, d)| d)
}

/// `text` with the inside of every string replaced by spaces, so a shape is
/// never found in an author's prose.
fn blank_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                out.push(c);
                continue;
            }
            for _ in 0..c.len_utf8() {
                out.push(if c == '\n' { '\n' } else { ' ' });
            }
        } else {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}
