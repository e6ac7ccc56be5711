//! Grammar tests: for each grammar rule, inputs it accepts (consuming the
//! whole input) and inputs it rejects.

use super::{BdxParser, Rule};
use pest::Parser;

fn accepts(r: Rule, input: &str) -> bool {
    match BdxParser::parse(r, input) {
        Ok(mut pairs) => pairs
            .next()
            .is_some_and(|p| p.as_span().end() == input.len()),
        Err(_) => false,
    }
}

#[test]
fn grammar_rules_accept_and_reject() {
    let cases: &[(Rule, &[&str], &[&str])] = &[
        (
            Rule::ident,
            &["a", "ip_on_blocklist", "_x1"],
            &["1a", "a-b", ""],
        ),
        (
            Rule::qualified_ident,
            &["core/dnsbl", "x"],
            &["core/", "/x"],
        ),
        (
            Rule::string,
            &[r#""a""#, r#""a \" b""#, r#""""#],
            &[r#""a"#, "\"a\nb\""],
        ),
        (Rule::regex, &["/a+/", r"/a\/b/", "//"], &["/a", "/a\n/"]),
        (
            Rule::code_pattern,
            &["550", "5xx", "45x", "5XX"],
            &["55", "5500", "x50"],
        ),
        (
            Rule::status_pattern,
            &["5.7.1", "5.7.*", "*.7.26", "4.16.55"],
            &["5.7", "5.7.1.2", "5..1"],
        ),
        (Rule::number, &["0.9", "1"], &["0.", ".5"]),
        (Rule::integer, &["10", "-5"], &["1.5", "x"]),
        (
            Rule::phrase_list,
            &["[]", r#"["a", /b/]"#, r#"["a",]"#],
            &[r#"["a" "b"]"#, "["],
        ),
        (
            Rule::import,
            &["import core"],
            &["import \"core\"", "import"],
        ),
        (Rule::include, &[r#"include "x.bdx""#], &["include x"]),
        (
            Rule::category,
            &[
                r#"category c { title "t" reason blocked }"#,
                "category c {}",
            ],
            &["category { }", "category c"],
        ),
        (
            Rule::phrases,
            &[r#"phrases p = ["a"]"#],
            &[r#"phrases p ["a"]"#, "phrases = []"],
        ),
        (
            Rule::provider,
            &[r#"provider g { when host ends_with ".g.com" }"#],
            &["provider g"],
        ),
        (
            Rule::rule,
            &[
                "rule r { when code 550 }",
                "rule r { confidence 0.5 priority -1 }",
            ],
            &["rule { }", "rule r when code 550"],
        ),
        (
            Rule::capture_field,
            &["capture list = /using (\\S+)/"],
            &["capture list /x/", "capture = /x/"],
        ),
        (
            Rule::check_field,
            &[
                "check dnsbl.ip(ip: client_ip)",
                r#"check dnsbl.ip(ip: "1.2.3.4", zones: "a",)"#,
            ],
            &["check dnsbl(ip: x)", "check dnsbl.ip"],
        ),
        (Rule::fix_field, &[r#"fix "a" "b""#], &["fix"]),
        (
            Rule::condition,
            &[
                "code 550",
                "status 5.7.*",
                "class permanent",
                "stage rcpt",
                "provider gmail",
                r#"text has "x""#,
                "text has core/x",
                r#"text has ["a", /b/]"#,
                "text matches /x/",
                r#"host ends_with ".google.com""#,
                "client_ip exists",
                "rule other",
                "check dnsbl.ip is fail",
                "not code 550",
                "(code 550 or code 554) and not status 5.1.*",
                r#"domain is ["a.example", "b.example"]"#,
            ],
            &[
                "code",
                "text has",
                "and code 550",
                "code 550 and",
                "(code 550",
                "host ends_with",
            ],
        ),
        (
            Rule::file,
            &[
                "",
                "# only a comment\n",
                "import core\nrule r { when code 550 }\n",
            ],
            &["rule", "garbage here"],
        ),
    ];
    for (r, good, bad) in cases {
        for g in *good {
            assert!(accepts(*r, g), "{r:?} should accept {g:?}");
        }
        for b in *bad {
            assert!(!accepts(*r, b), "{r:?} should reject {b:?}");
        }
    }
}

#[test]
fn keywords_need_a_boundary() {
    // `rules` is a name, not `rule` + `s`
    assert!(!accepts(Rule::kw_rule, "rules"));
    assert!(accepts(Rule::kw_rule, "rule"));
    assert!(accepts(Rule::condition, "code 550 and order exists"));
}

#[test]
fn ast_snapshot() {
    let src = r#"# a comment
phrases dnsbl = ["blocked using", /zen\.spamhaus\.org/]
rule r {
  category blacklist
  confidence high
  when class permanent and (text has dnsbl or not status 5.1.*)
  capture list = /using (\S+)/
  diagnosis "on {list}"
  check dnsbl.ip(ip: client_ip)
}
"#;
    let mut diags = Vec::new();
    let file = super::parse_file(0, src, &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    insta::assert_json_snapshot!(file);
}
