//! Diagnostics: what the compiler tells an author, and how it looks.
//!
//! A [`Diagnostic`] is an error (with a stable code such as `E0104`) or a
//! warning (with a stable snake_case id such as `unused_phrases`), a one-line
//! message, a primary span with a label, optional secondary labels, and an
//! optional `help:` line that says what to do. Messages follow one style:
//! lowercase, no final period, the author's own text in backticks.
//!
//! Rendered for people it looks like rustc (through `annotate-snippets`, the
//! renderer rustc itself uses):
//!
//! ```text
//! error[E0104]: unknown provider `gogle`
//!  --> rulesets/core/x.bdx:3:12
//!   |
//! 3 |   provider gogle
//!   |            ^^^^^ no provider of this name
//!   |
//!   = help: did you mean `google`?
//! ```
//!
//! and for editors and CI as JSON (see [`Report::to_json`]).

use crate::ast::Span;
use crate::source::SourceMap;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary label: more context at another place.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub span: Span,
    pub label: String,
}

/// One thing the compiler has to say about the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// `E0104` for errors, a snake_case lint id for warnings.
    pub code: &'static str,
    pub message: String,
    pub span: Option<Span>,
    pub label: String,
    pub notes: Vec<Note>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            label: String::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(id: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(id, message)
        }
    }

    /// The primary place, with what to say under it.
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.span = Some(span);
        self.label = label.into();
        self
    }

    /// A secondary place.
    pub fn note(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.notes.push(Note {
            span,
            label: label.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Every diagnostic of one compilation, with the sources they point into.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
}

/// The JSON form of one diagnostic, for editors and CI.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub severity: Severity,
    pub code: &'a str,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub label: &'a str,
    pub help: Option<&'a str>,
}

impl Report {
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.diagnostics.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// Sorted by file and position, so output is stable and reads top-down.
    pub fn sort(&mut self) {
        self.diagnostics
            .sort_by_key(|d| d.span.map(|s| (s.file, s.start, s.end)).unwrap_or_default());
    }

    /// Renders every diagnostic like rustc; `color` adds ANSI styling.
    pub fn render(&self, sources: &SourceMap, color: bool) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&render_one(d, sources, color));
            out.push_str("\n\n");
        }
        out
    }

    pub fn to_json<'a>(&'a self, sources: &'a SourceMap) -> Vec<JsonDiagnostic<'a>> {
        self.diagnostics
            .iter()
            .map(|d| {
                let place = d.span.map(|s| {
                    let file = sources.get(s.file);
                    let (line, col) = file.line_col(s.start as usize);
                    let (end_line, end_col) = file.line_col(s.end as usize);
                    (file.name.as_str(), line, col, end_line, end_col)
                });
                JsonDiagnostic {
                    severity: d.severity,
                    code: d.code,
                    message: &d.message,
                    file: place.map(|p| p.0),
                    line: place.map(|p| p.1),
                    column: place.map(|p| p.2),
                    end_line: place.map(|p| p.3),
                    end_column: place.map(|p| p.4),
                    label: &d.label,
                    help: d.help.as_deref(),
                }
            })
            .collect()
    }
}

/// Renders one diagnostic like rustc.
pub fn render_one(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut group = Group::with_title(level.primary_title(&d.message).id(d.code));
    if let Some(span) = d.span {
        let file = sources.get(span.file);
        let mut snippet = Snippet::source(file.text.as_str())
            .path(file.name.as_str())
            .line_start(1)
            .fold(true)
            .annotation(
                AnnotationKind::Primary
                    .span(range(span, &file.text))
                    .label(&d.label),
            );
        for note in d.notes.iter().filter(|n| n.span.file == span.file) {
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(range(note.span, &file.text))
                    .label(&note.label),
            );
        }
        group = group.element(snippet);
        for note in d.notes.iter().filter(|n| n.span.file != span.file) {
            let other = sources.get(note.span.file);
            group = group.element(
                Snippet::source(other.text.as_str())
                    .path(other.name.as_str())
                    .line_start(1)
                    .fold(true)
                    .annotation(
                        AnnotationKind::Context
                            .span(range(note.span, &other.text))
                            .label(&note.label),
                    ),
            );
        }
    }
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&[group])
}

/// A span's byte range, clamped to the text and to character boundaries.
fn range(span: Span, text: &str) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(text.len());
    let mut end = (span.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}
