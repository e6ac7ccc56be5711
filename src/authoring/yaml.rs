//! Reading the YAML an author writes (`pack.yaml`, `tests/*.yaml`, the site
//! config), with errors that name the file.
//!
//! The YAML parser renders its own snippet under the name `<input>` and
//! starts its message with `error:`, which read as a second error inside
//! ours. Here the error is taken without its snippet, and the place is
//! shown the way the rule compiler shows one: `--> file:line:column`, the
//! line itself and a caret.

use serde::de::DeserializeOwned;

/// Parses `text`, read from `origin`; on error, a message that starts with
/// `origin:line:column`, shows the line, and ends with `help`.
pub fn parse<T: DeserializeOwned>(text: &str, origin: &str, help: &str) -> Result<T, String> {
    serde_saphyr::from_str(text).map_err(|e| describe(&e, text, origin, help))
}

fn describe(e: &serde_saphyr::Error, text: &str, origin: &str, help: &str) -> String {
    let bare = e.without_snippet().to_string();
    let mut message = bare.lines().next().unwrap_or("").trim();
    message = message.strip_prefix("error:").unwrap_or(message).trim();
    // "line 3 column 6: ..." is said by the location below.
    if let Some(rest) = message.strip_prefix("line ") {
        if let Some((_, after)) = rest.split_once(": ") {
            message = after;
        }
    }
    // ... and so is a trailing "at line 3, column 6".
    if let Some(at) = message.rfind(" at line ") {
        if message[at..].contains(", column ") {
            message = &message[..at];
        }
    }
    let Some((line, column)) = e
        .location()
        .map(|l| (l.line() as usize, l.column() as usize))
        .filter(|(l, _)| *l > 0)
    else {
        return format!("{origin}: {message}\n  = help: {help}");
    };
    let source = text.lines().nth(line - 1).unwrap_or("");
    let width = line.to_string().len();
    let pad = " ".repeat(width);
    let caret = " ".repeat(column.saturating_sub(1));
    format!(
        "{origin}:{line}:{column}: {message}\n{pad}--> {origin}:{line}:{column}\n{pad} |\n{line} | {source}\n{pad} | {caret}^\n  = help: {help}"
    )
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct M {
        name: String,
    }

    #[test]
    fn names_the_file_and_line_once() {
        let e = super::parse::<M>("name: a\n  bad: [\n", "acme/pack.yaml", "h").unwrap_err();
        assert!(e.starts_with("acme/pack.yaml:2:"), "{e}");
        assert!(!e.contains("<input>"), "{e}");
        assert_eq!(e.matches("error").count(), 0, "{e}");
        assert!(e.contains("2 |   bad: ["), "{e}");
        assert_eq!(e.matches("line 2").count(), 0, "{e}");
        assert!(e.ends_with("= help: h"), "{e}");
    }
}
