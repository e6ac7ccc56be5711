//! The book's language reference stays true: every `bdx` example compiles,
//! every grammar keyword is documented, and the error index lists every code.

use std::path::Path;

fn book(page: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../book/src")
            .join(page),
    )
    .unwrap()
}

#[test]
fn language_examples_compile() {
    let page = book("language.md");
    let mut n = 0;
    for (i, block) in page.split("```bdx\n").skip(1).enumerate() {
        let code = block.split("```").next().unwrap();
        let c = bouncedx_dsl::compile_str(&format!("language.md example {}", i + 1), code);
        assert!(
            !c.report.has_errors(),
            "example {} does not compile:\n{}",
            i + 1,
            c.report.render(&c.sources, false)
        );
        n += 1;
    }
    assert!(n >= 5);
}

#[test]
fn every_keyword_is_documented() {
    let grammar = include_str!("../src/grammar.pest");
    let page = book("language.md");
    for line in grammar.lines() {
        if let Some(rest) = line.trim().strip_prefix("kw_") {
            let kw = rest.split('"').nth(1).unwrap();
            assert!(
                page.contains(&format!("`{kw}`")),
                "keyword `{kw}` is not in book/src/language.md"
            );
        }
    }
}

#[test]
fn error_index_lists_every_code() {
    let page = book("errors.md");
    for (code, _) in bouncedx_dsl::codes::ERRORS {
        assert!(
            page.contains(code),
            "{code} is missing from book/src/errors.md"
        );
    }
    for (id, _) in bouncedx_dsl::lints::LINTS {
        assert!(page.contains(id), "{id} is missing from book/src/errors.md");
    }
}
