//! From text to [`ast::File`], with error recovery.
//!
//! This is the only module that knows about pest. It works in three steps:
//!
//! 1. **Split** the file into chunks, one per top-level item: a chunk starts at
//!    a line that begins (column 1) with a top-level keyword (`import`,
//!    `include`, `category`, `phrases`, `provider`, `rule`). An error inside one
//!    item therefore never hides an error in the next.
//! 2. **Pre-lex** each chunk for the mistakes a grammar reports badly: an
//!    unterminated string or regex, and nesting too deep to be sane (which
//!    would otherwise cost pest deep recursion). These get their own codes.
//! 3. **Parse** the chunk with the pest grammar (`grammar.pest`) under a call
//!    limit, then walk the pairs into the AST. A pest error becomes `E0001`,
//!    with every grammar rule given a printable name (see [`rule_name`]).

use crate::ast::*;
use crate::diagnostics::Diagnostic;
use pest::iterators::Pair;
use pest::Parser as _;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "grammar.pest"]
struct BdxParser;

/// Files larger than this are refused outright (`E0005`).
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Parentheses and brackets nested deeper than this are refused (`E0006`).
pub const MAX_NESTING: usize = 32;
/// pest's budget of rule calls per item; past it the item is "too complex".
const CALL_LIMIT: usize = 2_000_000;

/// The keywords that start a top-level item.
pub const ITEM_KEYWORDS: [&str; 8] = [
    "import", "include", "category", "phrases", "provider", "rule", "private", "override",
];

/// Parses one file. Every problem found goes to `diags`; the returned file
/// holds every item that parsed.
pub fn parse_file(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> File {
    let mut out = File::default();
    if text.len() > MAX_SOURCE_BYTES {
        diags.push(
            Diagnostic::error(
                "E0005",
                format!(
                    "rule file is too large ({} bytes, the limit is {MAX_SOURCE_BYTES})",
                    text.len()
                ),
            )
            .at(Span::new(file, 0, 0), "this file")
            .help("split the pack into several files and `include` them"),
        );
        return out;
    }
    pest::set_call_limit(std::num::NonZeroUsize::new(CALL_LIMIT));
    for (start, end) in split_items(text) {
        let chunk = &text[start..end];
        if let Some(d) = prelex(file, chunk, start) {
            diags.push(d);
            continue;
        }
        if let Some((d, meant)) = recovery::item_typo_error(file, chunk, start) {
            diags.push(d);
            // `improt core` still imports `core`, so the names it brings
            // are not reported unknown as well.
            if meant == "import" {
                if let Some(name) = chunk.split_whitespace().nth(1) {
                    let at = start + chunk.find(name).unwrap_or(0);
                    out.items.push(Item::Import(Ident {
                        name: name.to_string(),
                        span: Span::new(file, at, at + name.len()),
                    }));
                }
            }
            continue;
        }
        parse_item(file, text, start, end, diags, &mut out);
    }
    out
}

/// How many broken fields one item may have before the parser stops
/// reading it.
const MAX_RECOVERIES: usize = 16;

/// Parses the chunk `text[start..end]` (one item, or several on one line),
/// recovering from a missing `}` and from fields that do not parse (see
/// [`recovery`]): each such mistake is one error, and the rest of the item
/// is still read.
fn parse_item(
    file: FileId,
    text: &str,
    start: usize,
    end: usize,
    diags: &mut Vec<Diagnostic>,
    out: &mut File,
) {
    let chunk = &text[start..end];
    let mut current: std::borrow::Cow<str> = std::borrow::Cow::Borrowed(chunk);
    // An item never closed fails to parse; only then are its braces
    // counted (on every item, that costs 3% of loading the built-in packs).
    let mut closed_checked = false;
    let mut broken: Vec<UnknownField> = Vec::new();
    for _ in 0..=MAX_RECOVERIES {
        match BdxParser::parse(Rule::file, &current) {
            Ok(mut pairs) => {
                let first = out.items.len();
                let b = Builder {
                    file,
                    offset: start,
                    diags: &mut *diags,
                };
                b.file(pairs.next().expect("file rule"), out);
                for f in broken {
                    if let Some(list) = out.items[first..]
                        .iter_mut()
                        .rev()
                        .find(|i| i.span().is_some_and(|s| s.start <= f.span.start))
                        .and_then(Item::unknown_fields_mut)
                    {
                        list.push(f);
                    }
                }
                return;
            }
            Err(_) if !closed_checked => {
                closed_checked = true;
                if let Some((d, at)) = recovery::unclosed(file, text, chunk, start) {
                    diags.push(d);
                    current =
                        std::borrow::Cow::Owned(format!("{}}}{}", &chunk[..at], &chunk[at..]));
                }
            }
            Err(e) => {
                // Tracking what the parser tried costs a tenth of every
                // parse, so a chunk is parsed without it and, only when it
                // fails, again with it, for the error's "expected ...".
                // The setting is global and is never turned off again, so a
                // parallel parse cannot lose the detail of its error.
                pest::set_error_detail(true);
                let e = BdxParser::parse(Rule::file, &current).err().unwrap_or(e);
                let pos = error_position(&e, &current);
                let field = recovery::field_at(&current, pos);
                let d = field
                    .as_ref()
                    .and_then(|(s, e, _)| {
                        recovery::meant(file, &current[*s..*e], start + s, pos - s)
                    })
                    .unwrap_or_else(|| syntax_error(file, &current, start, e));
                diags.push(d);
                let Some((s, e, name)) = field else {
                    // Junk after the item's closing `}` (a stray brace, a
                    // line pasted from elsewhere): the item itself is kept.
                    let closed = recovery::braces(&current).close;
                    if let Some(close) = closed.filter(|c| pos > *c) {
                        current = std::borrow::Cow::Owned(recovery::blank(
                            &current,
                            (close + 1, current.len()),
                        ));
                        continue;
                    }
                    return;
                };
                let name_end = s + current[s..].find(name.as_str()).unwrap_or(0) + name.len();
                let name_start = name_end - name.len();
                broken.push(UnknownField {
                    name: Ident {
                        name,
                        span: Span::new(file, start + name_start, start + name_end),
                    },
                    span: Span::new(file, start + s, start + e),
                    broken: true,
                });
                current = std::borrow::Cow::Owned(recovery::blank(&current, (s, e)));
            }
        }
    }
}

/// Where pest stopped: the furthest position it tried, which is where the
/// text stops making sense.
fn error_position(e: &pest::error::Error<Rule>, text: &str) -> usize {
    use pest::error::InputLocation;
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = e.parse_attempts().map_or(pos, |a| a.max_position.max(pos));
    keyword_start(text, pos).unwrap_or(pos)
}

/// The start of the keyword that ends at `pos`, if one does. pest's
/// furthest attempt can be the end of a keyword it only looked at (a field
/// name is never a fact, so a condition peeks at `capture` and stops):
/// the mistake is then before the keyword, not inside it.
fn keyword_start(text: &str, pos: usize) -> Option<usize> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if pos == 0 || pos > text.len() || text[pos..].starts_with(word) {
        return None;
    }
    let start = text[..pos].rfind(|c: char| !word(c)).map_or(0, |i| i + 1);
    let w = &text[start..pos];
    let keyword = matches!(
        w,
        "and"
            | "or"
            | "not"
            | "title"
            | "reason"
            | "description"
            | "fix"
            | "prevent"
            | "escalate"
            | "refs"
            | "when"
            | "confidence"
            | "priority"
            | "retry"
            | "concerns"
            | "capture"
            | "diagnosis"
            | "check"
            | "example"
            | "counterexample"
            | "category"
            | "provider"
            | "disable"
            | "unless"
            | "rule"
            | "private"
            | "import"
            | "include"
            | "phrases"
            | "override"
    );
    (keyword && start < pos).then_some(start)
}

/// Byte ranges of the top-level chunks.
fn split_items(text: &str) -> Vec<(usize, usize)> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset != 0 && (starts_item(line) || recovery::item_typo(line).is_some()) {
            starts.push(offset);
        }
        offset += line.len();
    }
    let mut ends: Vec<usize> = starts[1..].to_vec();
    ends.push(text.len());
    starts.into_iter().zip(ends).collect()
}

/// Whether a line starts a top-level item (a keyword in column 1).
pub fn starts_item(line: &str) -> bool {
    ITEM_KEYWORDS.iter().any(|kw| {
        line.strip_prefix(kw)
            .is_some_and(|rest| rest.starts_with([' ', '\t']))
    })
}

/// Finds unterminated strings and regexes and excessive nesting.
fn prelex(file: FileId, chunk: &str, offset: usize) -> Option<Diagnostic> {
    let bytes = chunk.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    let mut prev_ident = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'#' => {
                i = recovery::comment_end(bytes, i);
                prev_ident = false;
                continue;
            }
            b'"' | b'/' if !(c == b'/' && prev_ident) => {
                let start = i;
                match recovery::literal_end(bytes, i) {
                    Ok(end) => i = end,
                    Err(cut) => {
                        let (code, what, help) = if c == b'"' {
                            ("E0002", "string", "close the string with `\"` on the same line; write a newline as `\\n`")
                        } else {
                            (
                                "E0003",
                                "regex",
                                "close the regex with `/`; write a slash inside it as `\\/`",
                            )
                        };
                        return Some(
                            Diagnostic::error(code, format!("unterminated {what}"))
                                .at(
                                    Span::new(file, offset + start, offset + cut),
                                    format!("this {what} is never closed"),
                                )
                                .help(help),
                        );
                    }
                }
                prev_ident = false;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::error("E0006", "condition is nested too deeply")
                            .at(
                                Span::new(file, offset + i, offset + i + 1),
                                format!("more than {MAX_NESTING} levels of nesting here"),
                            )
                            .help(
                                "split the condition into rules and refer to them with `rule NAME`",
                            ),
                    );
                }
                prev_ident = false;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                prev_ident = false;
            }
            _ => prev_ident = c.is_ascii_alphanumeric() || c == b'_',
        }
        i += 1;
    }
    None
}

/// Turns a pest error into `E0001`, or `E0006` when the call limit was hit.
fn syntax_error(
    file: FileId,
    chunk: &str,
    offset: usize,
    e: pest::error::Error<Rule>,
) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let location = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = error_position(&e, chunk);
    // pest's positives only name rules; its parse attempts also know the
    // literal tokens (`{`, `=`, ...) tried at the furthest position.
    let mut tokens: Vec<String> = Vec::new();
    if let Some(attempts) = e.parse_attempts() {
        if attempts.max_position > location && attempts.max_position == pos {
            tokens = attempts
                .expected_tokens()
                .iter()
                .map(|t| t.to_string())
                .filter(|t| {
                    t != "BUILTIN_RULE"
                        && t != "#"
                        && !t.trim().is_empty()
                        && !(t.chars().count() == 4 && t.contains(".."))
                })
                .map(|t| format!("`{t}`"))
                .collect();
        }
    }
    match e.variant {
        ErrorVariant::CustomError { .. } => {
            Diagnostic::error("E0006", "item is too complex to parse")
                .at(
                    Span::new(file, offset + pos, offset + pos),
                    "the parser gave up here",
                )
                .help("simplify the condition or split it into several rules")
        }
        ErrorVariant::ParsingError { positives, .. } => {
            let found = found_at(&chunk[pos..]);
            let span = Span::new(file, offset + pos, offset + pos + found.len());
            let mut names: Vec<&str> = if tokens.is_empty() {
                positives.iter().filter_map(|r| rule_name(*r)).collect()
            } else {
                tokens.iter().map(String::as_str).collect()
            };
            names.sort_unstable();
            names.dedup();
            // At the top level `category`, `provider` and `override` are
            // items: say "an item (...)" once, not each keyword again.
            let item = rule_name(Rule::item).unwrap_or_default();
            if names.contains(&item) {
                names.retain(|n| !matches!(*n, "`category`" | "`provider`" | "`override`"));
            }
            let expected = join_or(&names);
            let found_text = if found.is_empty() {
                "end of file".to_string()
            } else {
                format!("`{found}`")
            };
            let mut d =
                Diagnostic::error("E0001", format!("expected {expected}, found {found_text}"))
                    .at(span, format!("expected {expected}"));
            if let Some(help) = syntax_help(&names, found) {
                d = d.help(help);
            }
            d
        }
    }
}

/// The token at the error position: a word, or one character.
fn found_at(rest: &str) -> &str {
    let word_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    if word_len > 0 {
        return &rest[..word_len];
    }
    match rest.chars().next() {
        Some(c) if c.is_whitespace() => "",
        Some(c) => &rest[..c.len_utf8()],
        None => "",
    }
}

fn syntax_help(expected: &[&str], found: &str) -> Option<String> {
    let wants = |s: &str| expected.iter().any(|e| e.contains(s));
    if wants("reply code") {
        return Some("a reply code is three characters: `550`, or `5xx` for a family".into());
    }
    if wants("enhanced status") {
        return Some(
            "an enhanced status is `class.subject.detail`, e.g. `5.7.1`; use `*` for any part"
                .into(),
        );
    }
    if wants("`and`") && !found.is_empty() {
        return Some(
            "conditions are joined with `and` or `or`; a new field starts on its own line".into(),
        );
    }
    if wants("a condition") {
        return Some("a condition is e.g. `code 550`, `status 5.7.*`, `text has NAME` or `host ends_with \"x\"`".into());
    }
    None
}

fn join_or(names: &[&str]) -> String {
    match names {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// How an error names what may start an item.
const ITEM_PHRASE: &str =
    "an item (`rule`, `category`, `phrases`, `provider`, `import`, `include`, `override`)";

/// The printable name of a grammar rule in "expected ..." messages; `None`
/// for rules that are not worth naming (trivia, the inside of literals).
pub fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::WHITESPACE
        | Rule::COMMENT
        | Rule::string_inner
        | Rule::regex_inner
        | Rule::unknown_rest
        | Rule::unknown_continued
        | Rule::ident_char => return None,
        Rule::item => ITEM_PHRASE,
        Rule::phrase => "a string or a regex",
        Rule::EOI => "end of file",
        Rule::ident | Rule::qualified_ident => "a name",
        Rule::string => "a string",
        Rule::regex => "a regex",
        Rule::number => "a number",
        Rule::integer => "a whole number",
        Rule::code_pattern => "a reply code like `550` or `5xx`",
        Rule::status_pattern | Rule::status_part => "an enhanced status like `5.7.1` or `5.7.*`",
        Rule::phrase_list => "a list `[...]`",
        Rule::check_name => "a check name like `dnsbl.ip`",
        Rule::check_call => "a check call like `dnsbl.ip(ip: client_ip)`",
        Rule::check_arg => "an argument `name: value`",
        Rule::file
        | Rule::import
        | Rule::include
        | Rule::category
        | Rule::phrases
        | Rule::provider
        | Rule::rule => ITEM_PHRASE,
        Rule::kw_import
        | Rule::kw_include
        | Rule::kw_phrases
        | Rule::kw_rule
        | Rule::kw_private => ITEM_PHRASE,
        Rule::unknown_field
        | Rule::category_field
        | Rule::provider_field
        | Rule::rule_field
        | Rule::override_field => "a field",
        Rule::reserved_word | Rule::condition_keyword => "a name",
        Rule::kw_title | Rule::title_field => "`title`",
        Rule::kw_reason | Rule::reason_field => "`reason`",
        Rule::kw_description | Rule::description_field => "`description`",
        Rule::kw_counts_as | Rule::counts_as_field => "`counts_as`",
        Rule::kw_concerns | Rule::concerns_field => "`concerns`",
        Rule::kw_fix | Rule::fix_field => "`fix`",
        Rule::kw_prevent | Rule::prevent_field => "`prevent`",
        Rule::kw_escalate | Rule::escalate_field => "`escalate`",
        Rule::kw_refs | Rule::refs_field => "`refs`",
        Rule::kw_when | Rule::when_field => "`when`",
        Rule::kw_confidence | Rule::confidence_field => "`confidence`",
        Rule::kw_priority | Rule::priority_field => "`priority`",
        Rule::kw_retry | Rule::retry_field => "`retry`",
        Rule::kw_capture | Rule::capture_field => "`capture`",
        Rule::kw_diagnosis | Rule::diagnosis_field => "`diagnosis`",
        Rule::kw_check | Rule::check_field | Rule::check_cond => "`check`",
        Rule::kw_example | Rule::example_field => "`example`",
        Rule::kw_counterexample | Rule::counterexample_field => "`counterexample`",
        Rule::kw_override | Rule::override_item => "`override`",
        Rule::kw_disable | Rule::disable_field => "`disable`",
        Rule::kw_unless | Rule::unless_field => "`unless`",
        Rule::kw_only => "`only`",
        Rule::kw_category | Rule::category_ref => "`category`",
        Rule::kw_provider | Rule::provider_ref | Rule::provider_cond => "`provider`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not => "`not`",
        Rule::kw_code | Rule::code_cond => "`code`",
        Rule::kw_status | Rule::status_cond => "`status`",
        Rule::kw_class | Rule::class_cond => "`class`",
        Rule::kw_stage | Rule::stage_cond => "`stage`",
        Rule::kw_text | Rule::text_has | Rule::text_matches => "`text`",
        Rule::kw_has => "`has`",
        Rule::kw_matches => "`matches`",
        Rule::kw_is
        | Rule::kw_ends_with
        | Rule::kw_starts_with
        | Rule::kw_contains
        | Rule::field_op
        | Rule::field_test => {
            "a comparison (`is`, `ends_with`, `starts_with`, `contains`, `matches`)"
        }
        Rule::kw_exists | Rule::field_exists => "`exists`",
        Rule::rule_cond => "`rule`",
        Rule::atom
        | Rule::condition
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::group
        | Rule::field_cond => "a condition",
    })
}

/// Walks pest pairs into the AST, shifting spans by the chunk's offset.
struct Builder<'d> {
    file: FileId,
    offset: usize,
    diags: &'d mut Vec<Diagnostic>,
}

impl Builder<'_> {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn qualified(&self, p: Pair<Rule>) -> QualifiedName {
        let span = self.span(&p);
        match p.as_str().split_once('/') {
            Some((pack, name)) => QualifiedName {
                pack: Some(pack.to_string()),
                name: name.to_string(),
                span,
            },
            None => QualifiedName {
                pack: None,
                name: p.as_str().to_string(),
                span,
            },
        }
    }

    fn string(&mut self, p: Pair<Rule>) -> Str {
        let span = self.span(&p);
        let inner = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
        let mut value = String::with_capacity(inner.len());
        // One error per string: a Windows path has a bad escape at every
        // backslash, and one message says it.
        let mut bad_escape = false;
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, other)) if !bad_escape => {
                    bad_escape = true;
                    let at = span.start as usize + 1 + i;
                    self.diags.push(
                        Diagnostic::error("E0004", format!("unknown escape `\\{other}` in a string"))
                            .at(
                                Span::new(self.file, at, at + 1 + other.len_utf8()),
                                "not an escape",
                            )
                            .help("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t` (a backslash is `\\\\`); regexes go between slashes: /.../"),
                    );
                }
                Some(_) => {}
                None => {}
            }
        }
        Str { value, span }
    }

    fn regex(&self, p: Pair<Rule>) -> RegexLit {
        let span = self.span(&p);
        let inner = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
        RegexLit {
            source: inner.replace("\\/", "/"),
            span,
        }
    }

    fn phrase(&mut self, p: Pair<Rule>) -> Phrase {
        match p.as_rule() {
            Rule::string => Phrase::Literal(self.string(p)),
            _ => Phrase::Regex(self.regex(p)),
        }
    }

    fn phrase_list(&mut self, p: Pair<Rule>) -> Vec<Phrase> {
        p.into_inner().map(|x| self.phrase(x)).collect()
    }

    fn strings(&mut self, p: Pair<Rule>) -> Vec<Str> {
        p.into_inner().skip(1).map(|s| self.string(s)).collect()
    }

    fn file(mut self, p: Pair<Rule>, out: &mut File) {
        for item in p.into_inner() {
            let span = self.span(&item);
            let it = match item.as_rule() {
                Rule::import => Item::Import(self.ident(item.into_inner().nth(1).expect("name"))),
                Rule::include => {
                    Item::Include(self.string(item.into_inner().nth(1).expect("path")))
                }
                Rule::category => Item::Category(self.category(item, span)),
                Rule::phrases => {
                    let mut inner = item.into_inner().skip(1);
                    let name = self.ident(inner.next().expect("name"));
                    let list = inner.next().expect("list");
                    let list_span = self.span(&list);
                    Item::Phrases(PhraseSet {
                        name,
                        phrases: self.phrase_list(list),
                        list_span,
                        span,
                    })
                }
                Rule::provider => Item::Provider(self.provider(item, span)),
                Rule::rule => Item::Rule(Box::new(self.rule(item, span))),
                Rule::override_item => Item::Override(self.override_item(item, span)),
                _ => continue, // EOI
            };
            out.items.push(it);
        }
    }

    /// Reports a single-valued field given twice.
    /// The words of a field that takes names after its keyword
    /// (`concerns delivery, account`).
    fn words(&mut self, field: &Pair<Rule>) -> Vec<Ident> {
        field
            .clone()
            .into_inner()
            .skip(1)
            .map(|w| self.ident(w))
            .collect()
    }

    fn once<T>(&mut self, slot: &mut Option<T>, value: T, field: &Pair<Rule>) {
        if slot.is_some() {
            let kw = field.as_str().split_whitespace().next().unwrap_or("");
            self.diags.push(
                Diagnostic::error("E0206", format!("field `{kw}` is given twice"))
                    .at(self.span(field), "second definition")
                    .help(format!("keep one `{kw}`; fields that take several values (fix, refs, ...) take them in one field")),
            );
        } else {
            *slot = Some(value);
        }
    }

    fn advice<'i>(&mut self, f: Pair<'i, Rule>, advice: &mut Advice) -> Option<Pair<'i, Rule>> {
        let mut never = None;
        let (target, only) = match f.as_rule() {
            Rule::fix_field => (&mut advice.fix, &mut advice.only.fix),
            Rule::prevent_field => (&mut advice.prevent, &mut advice.only.prevent),
            Rule::escalate_field => (&mut advice.escalate, &mut advice.only.escalate),
            Rule::refs_field => (&mut advice.refs, &mut never),
            _ => return Some(f),
        };
        for p in f.into_inner().skip(1) {
            if p.as_rule() == Rule::kw_only {
                *only = Some(self.span(&p));
            } else {
                target.push(self.string(p));
            }
        }
        None
    }

    fn unknown(&self, f: Pair<Rule>) -> UnknownField {
        let span = self.span(&f);
        UnknownField {
            name: self.ident(f.into_inner().next().expect("name")),
            span,
            broken: false,
        }
    }

    fn category(&mut self, p: Pair<Rule>, span: Span) -> Category {
        let mut inner = p.into_inner().skip(1);
        let name = self.ident(inner.next().expect("name"));
        let mut c = Category {
            name,
            title: None,
            description: None,
            reason: None,
            counts_as: None,
            concerns: None,
            advice: Advice::default(),
            unknown: Vec::new(),
            span,
        };
        for f in inner {
            let Some(f) = self.advice(f, &mut c.advice) else {
                continue;
            };
            match f.as_rule() {
                Rule::title_field => {
                    let v = self.string(f.clone().into_inner().nth(1).expect("title"));
                    self.once(&mut c.title, v, &f);
                }
                Rule::description_field => {
                    let v = self.string(f.clone().into_inner().nth(1).expect("text"));
                    self.once(&mut c.description, v, &f);
                }
                Rule::reason_field => {
                    let v = self.ident(f.clone().into_inner().nth(1).expect("reason"));
                    self.once(&mut c.reason, v, &f);
                }
                Rule::counts_as_field => {
                    let v = self.ident(f.clone().into_inner().nth(1).expect("category"));
                    self.once(&mut c.counts_as, v, &f);
                }
                Rule::concerns_field => {
                    let v = self.words(&f);
                    self.once(&mut c.concerns, v, &f);
                }
                Rule::unknown_field => c.unknown.push(self.unknown(f)),
                _ => {}
            }
        }
        c
    }

    fn provider(&mut self, p: Pair<Rule>, span: Span) -> Provider {
        let mut inner = p.into_inner().skip(1);
        let name = self.ident(inner.next().expect("name"));
        let mut pr = Provider {
            name,
            title: None,
            description: None,
            when: None,
            concerns: None,
            advice: Advice::default(),
            unknown: Vec::new(),
            span,
        };
        for f in inner {
            let Some(f) = self.advice(f, &mut pr.advice) else {
                continue;
            };
            match f.as_rule() {
                Rule::title_field => {
                    let v = self.string(f.clone().into_inner().nth(1).expect("title"));
                    self.once(&mut pr.title, v, &f);
                }
                Rule::description_field => {
                    let v = self.string(f.clone().into_inner().nth(1).expect("text"));
                    self.once(&mut pr.description, v, &f);
                }
                Rule::when_field => {
                    let v = self.condition(f.clone().into_inner().nth(1).expect("condition"));
                    self.once(&mut pr.when, v, &f);
                }
                Rule::concerns_field => {
                    let v = self.words(&f);
                    self.once(&mut pr.concerns, v, &f);
                }
                Rule::unknown_field => pr.unknown.push(self.unknown(f)),
                _ => {}
            }
        }
        pr
    }

    fn confidence_lit(&mut self, v: Pair<Rule>) -> ConfidenceLit {
        if v.as_rule() == Rule::number {
            ConfidenceLit::Number {
                text: v.as_str().to_string(),
                span: self.span(&v),
            }
        } else {
            ConfidenceLit::Word(self.ident(v))
        }
    }

    fn priority_value(&mut self, v: Pair<Rule>) -> (i64, Span) {
        let span = self.span(&v);
        let n = match v.as_str().parse::<i64>() {
            Ok(n) if (-1000..=1000).contains(&n) => n,
            _ => {
                self.diags.push(
                    Diagnostic::error("E0219", format!("priority `{}` is out of range", v.as_str()))
                        .at(span, "not between -1000 and 1000")
                        .help("priorities only break ties between rules of equal confidence; small numbers do"),
                );
                0
            }
        };
        (n, span)
    }

    fn override_item(&mut self, p: Pair<Rule>, span: Span) -> Override {
        let mut inner = p.into_inner().skip(1);
        let target = self.qualified(inner.next().expect("target"));
        let mut o = Override {
            target,
            disable: None,
            confidence: None,
            priority: None,
            unless: None,
            unknown: Vec::new(),
            span,
        };
        for f in inner {
            let mut parts = f.clone().into_inner().skip(1);
            match f.as_rule() {
                Rule::disable_field => {
                    let s = self.span(&f);
                    self.once(&mut o.disable, s, &f);
                }
                Rule::confidence_field => {
                    let lit = self.confidence_lit(parts.next().expect("value"));
                    self.once(&mut o.confidence, lit, &f);
                }
                Rule::priority_field => {
                    let v = self.priority_value(parts.next().expect("value"));
                    self.once(&mut o.priority, v, &f);
                }
                Rule::unless_field => {
                    let c = self.condition(parts.next().expect("condition"));
                    self.once(&mut o.unless, c, &f);
                }
                Rule::unknown_field => o.unknown.push(self.unknown(f)),
                _ => {}
            }
        }
        o
    }

    fn rule(&mut self, p: Pair<Rule>, span: Span) -> crate::ast::Rule {
        let mut inner = p.into_inner().peekable();
        let private = inner.next_if(|t| t.as_rule() == Rule::kw_private).is_some();
        inner.next(); // `rule`
        let name = self.ident(inner.next().expect("name"));
        let mut r = crate::ast::Rule {
            private,
            name,
            category: None,
            provider: None,
            reason: None,
            confidence: None,
            priority: None,
            retry: None,
            concerns: None,
            when: None,
            captures: Vec::new(),
            diagnosis: None,
            checks: Vec::new(),
            advice: Advice::default(),
            examples: Vec::new(),
            counterexamples: Vec::new(),
            unknown: Vec::new(),
            span,
        };
        for f in inner {
            let Some(f) = self.advice(f, &mut r.advice) else {
                continue;
            };
            let mut parts = f.clone().into_inner().skip(1);
            match f.as_rule() {
                Rule::category_ref => {
                    let v = self.qualified(parts.next().expect("name"));
                    self.once(&mut r.category, v, &f);
                }
                Rule::provider_ref => {
                    let v = self.qualified(parts.next().expect("name"));
                    self.once(&mut r.provider, v, &f);
                }
                Rule::reason_field => {
                    let v = self.ident(parts.next().expect("reason"));
                    self.once(&mut r.reason, v, &f);
                }
                Rule::confidence_field => {
                    let lit = self.confidence_lit(parts.next().expect("value"));
                    self.once(&mut r.confidence, lit, &f);
                }
                Rule::priority_field => {
                    let v = self.priority_value(parts.next().expect("value"));
                    self.once(&mut r.priority, v, &f);
                }
                Rule::retry_field => {
                    let v = self.ident(parts.next().expect("value"));
                    self.once(&mut r.retry, v, &f);
                }
                Rule::concerns_field => {
                    let v = self.words(&f);
                    self.once(&mut r.concerns, v, &f);
                }
                Rule::when_field => {
                    let v = self.condition(parts.next().expect("condition"));
                    self.once(&mut r.when, v, &f);
                }
                Rule::capture_field => {
                    let name = self.ident(parts.next().expect("name"));
                    let regex = self.regex(parts.next().expect("regex"));
                    r.captures.push(Capture { name, regex });
                }
                Rule::diagnosis_field => {
                    let v = self.string(parts.next().expect("text"));
                    self.once(&mut r.diagnosis, v, &f);
                }
                Rule::check_field => {
                    let call = self.check_call(parts.next().expect("call"));
                    r.checks.push(call);
                }
                Rule::example_field => {
                    let v: Vec<Str> = self.strings(f);
                    r.examples.extend(v);
                }
                Rule::counterexample_field => {
                    let v: Vec<Str> = self.strings(f);
                    r.counterexamples.extend(v);
                }
                Rule::unknown_field => r.unknown.push(self.unknown(f)),
                _ => {}
            }
        }
        r
    }

    fn check_call(&mut self, p: Pair<Rule>) -> CheckCall {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.ident(inner.next().expect("check name"));
        let mut args = Vec::new();
        for a in inner {
            let mut kv = a.into_inner();
            let key = self.ident(kv.next().expect("key"));
            let v = kv.next().expect("value");
            let value = if v.as_rule() == Rule::string {
                CheckValue::Literal(self.string(v))
            } else {
                CheckValue::Fact(self.ident(v))
            };
            args.push(CheckArg { name: key, value });
        }
        CheckCall { name, args, span }
    }

    fn condition(&mut self, p: Pair<Rule>) -> Cond {
        // condition -> or_expr
        let inner = p.into_inner().next().expect("or_expr");
        self.expr(inner)
    }

    fn expr(&mut self, p: Pair<Rule>) -> Cond {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::or_expr | Rule::and_expr => {
                let is_or = p.as_rule() == Rule::or_expr;
                let mut parts: Vec<Cond> = p
                    .into_inner()
                    .filter(|x| !matches!(x.as_rule(), Rule::kw_or | Rule::kw_and))
                    .map(|x| self.expr(x))
                    .collect();
                if parts.len() == 1 {
                    return parts.pop().expect("one part");
                }
                if is_or {
                    Cond::Or(parts, span)
                } else {
                    Cond::And(parts, span)
                }
            }
            Rule::not_expr => {
                let mut inner = p.into_inner();
                let first = inner.next().expect("operand");
                if first.as_rule() == Rule::kw_not {
                    let operand = self.expr(inner.next().expect("operand"));
                    Cond::Not(Box::new(operand), span)
                } else {
                    self.expr(first)
                }
            }
            Rule::group => self.expr(p.into_inner().next().expect("inner")),
            _ => self.atom(p, span),
        }
    }

    fn atom(&mut self, p: Pair<Rule>, span: Span) -> Cond {
        let kind = p.as_rule();
        let mut inner = p.into_inner();
        let _kw = inner.next();
        match kind {
            Rule::code_cond => Cond::Code(inner.next().expect("code").as_str().to_string(), span),
            Rule::status_cond => {
                Cond::Status(inner.next().expect("status").as_str().to_string(), span)
            }
            Rule::class_cond => Cond::Class(self.ident(inner.next().expect("class")), span),
            Rule::stage_cond => Cond::Stage(self.ident(inner.next().expect("stage")), span),
            Rule::provider_cond => {
                Cond::Provider(self.qualified(inner.next().expect("name")), span)
            }
            Rule::rule_cond => Cond::Rule(self.qualified(inner.next().expect("name")), span),
            Rule::text_has => {
                let v = inner.nth(1).expect("operand");
                let r = match v.as_rule() {
                    Rule::phrase_list => {
                        let s = self.span(&v);
                        TextRef::List(self.phrase_list(v), s)
                    }
                    Rule::string => TextRef::Literal(self.string(v)),
                    _ => TextRef::Named(self.qualified(v)),
                };
                Cond::TextHas(r, span)
            }
            Rule::text_matches => Cond::TextMatches(self.regex(inner.nth(1).expect("regex")), span),
            Rule::check_cond => {
                let check = self.ident(inner.next().expect("check"));
                let verdict = self.ident(inner.nth(1).expect("verdict"));
                Cond::Check {
                    check,
                    verdict,
                    span,
                }
            }
            Rule::field_cond => {
                // the first pair was the field name
                let field = self.ident(_kw.expect("field"));
                let t = inner.next().expect("test");
                let test = if t.as_rule() == Rule::field_exists {
                    FieldTest::Exists
                } else {
                    let mut ti = t.into_inner();
                    let op_pair = ti.next().expect("op");
                    let op_span = self.span(&op_pair);
                    let op = match op_pair.as_str() {
                        "is" => FieldOp::Is,
                        "ends_with" => FieldOp::EndsWith,
                        "starts_with" => FieldOp::StartsWith,
                        "contains" => FieldOp::Contains,
                        _ => FieldOp::Matches,
                    };
                    let v = ti.next().expect("value");
                    let values = match v.as_rule() {
                        Rule::phrase_list => self.phrase_list(v),
                        _ => vec![self.phrase(v)],
                    };
                    FieldTest::Compare {
                        op,
                        values,
                        op_span,
                    }
                };
                Cond::Field { field, test, span }
            }
            other => unreachable!("not a condition atom: {other:?}"),
        }
    }
}

mod recovery;

#[cfg(test)]
mod tests;
