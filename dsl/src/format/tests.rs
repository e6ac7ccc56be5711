use super::*;
use proptest::prelude::*;

const MESSY: &str = "# a pack\n\n\n\nphrases odd = [\n\"a b\",   \"c\",\n      /x[a-z]+/,\n]\nrule r1 {   \n\n category blacklist\n  confidence    high\n      when text has odd\n   and not text has [\"z\"]\n  # why this rule\n fix \"one\"\n \"two\"\n  counterexample \"550 x\"\n      \"551 y\"\n\n}\n\n\n";

#[test]
fn messy_file_becomes_canonical() {
    let out = format(MESSY);
    assert_eq!(
        out,
        "# a pack\n\nphrases odd = [\n  \"a b\",   \"c\",\n  /x[a-z]+/,\n]\nrule r1 {\n  category   blacklist\n  confidence high\n  when       text has odd\n             and not text has [\"z\"]\n  # why this rule\n  fix        \"one\"\n             \"two\"\n  counterexample \"550 x\"\n                 \"551 y\"\n}\n"
    );
    assert!(same_meaning(MESSY, &out));
    assert_eq!(format(&out), out, "idempotent");
}

#[test]
fn a_concerns_list_is_aligned_like_any_field() {
    let src = "provider p {\n title \"P\"\n    concerns delivery,   account\nwhen host ends_with \".p.net\"\n}\nrule r {\n category x\n concerns   account\n}\n";
    let out = format(src);
    assert_eq!(
        out,
        "provider p {\n  title      \"P\"\n  concerns   delivery,   account\n  when       host ends_with \".p.net\"\n}\nrule r {\n  category   x\n  concerns   account\n}\n"
    );
    assert!(same_meaning(src, &out));
}

#[test]
fn braces_in_strings_regexes_and_comments_do_not_count() {
    let src = "rule r {\n  diagnosis \"a { b [\"\n  when text matches /\\{[/ # }\n  fix \"x\"\n}\n";
    let out = format(src);
    assert!(out.ends_with("  fix        \"x\"\n}\n"), "{out}");
    assert!(same_meaning(src, &out));
}

#[test]
fn a_change_of_meaning_is_seen() {
    assert!(!same_meaning(
        "rule r {\n  fix \"a\"\n}\n",
        "rule r {\n  fix \"b\"\n}\n"
    ));
}

/// The shipped packs, one pass, byte for byte.
#[test]
fn shipped_packs_are_formatted() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rulesets");
    for pack in std::fs::read_dir(&root).unwrap().flatten() {
        for f in std::fs::read_dir(pack.path()).unwrap().flatten() {
            if f.path().extension().is_some_and(|x| x == "bdx") {
                let src = std::fs::read_to_string(f.path()).unwrap();
                assert_eq!(
                    format(&src),
                    src,
                    "{} is not formatted: run `bouncedx fmt rulesets/`",
                    f.path().display()
                );
            }
        }
    }
}

fn shipped_sources() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rulesets");
    let mut out = Vec::new();
    for pack in std::fs::read_dir(&root).unwrap().flatten() {
        for f in std::fs::read_dir(pack.path()).unwrap().flatten() {
            if f.path().extension().is_some_and(|x| x == "bdx") {
                out.push(std::fs::read_to_string(f.path()).unwrap());
            }
        }
    }
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Packs with their layout scrambled (indentation, trailing blanks,
    /// runs of blank lines) format to the same text, keep their meaning, and a
    /// second pass changes nothing.
    #[test]
    fn scrambled_layout_formats_back(which in 0usize..14, seed in proptest::collection::vec(0u8..6, 1..400)) {
        let sources = shipped_sources();
        let src = &sources[which % sources.len()];
        let mut scrambled = String::new();
        for (i, line) in src.lines().enumerate() {
            let k = seed[i % seed.len()];
            scrambled.push_str(&" ".repeat(k as usize));
            scrambled.push_str(line.trim_start());
            if k == 3 { scrambled.push_str("   "); }
            scrambled.push('\n');
            // runs of blank lines (never new blank lines between fields)
            if k == 5 && line.trim().is_empty() { scrambled.push('\n'); }
        }
        let once = format(&scrambled);
        prop_assert!(same_meaning(src, &once));
        prop_assert_eq!(format(&once), once.clone());
        prop_assert_eq!(&once, &format(src));
    }
}

/// A generated pack: phrase sets and rules built from random names, phrases
/// (with quotes, braces, brackets and `#` inside strings and regexes), and
/// random indentation and spacing around the fields.
fn generated_pack() -> impl Strategy<Value = String> {
    let word = "[a-z]{3,8}";
    let phrase = || proptest::string::string_regex(r#"[a-z {}\[\]#]{3,12}"#).unwrap();
    // at least one space: a field keyword in column 1 starts a new item
    let indent = 1usize..6;
    (
        proptest::collection::vec((word, proptest::collection::vec(phrase(), 1..4)), 1..3),
        proptest::collection::vec(
            (word, phrase(), indent.clone(), indent, 0usize..3, any::<bool>()),
            1..4,
        ),
    )
        .prop_map(|(sets, rules)| {
            let mut out = String::from("# generated\n\ncategory blacklist {\n  title \"t\"\n  reason blocked\n  fix \"f\"\n}\n\n");
            for (i, (name, phrases)) in sets.iter().enumerate() {
                let list: Vec<String> = phrases.iter().map(|p| format!("{:?}", p.trim())).collect();
                out.push_str(&format!("phrases {name}{i} = [\n{}\n]\n\n", list.join(",\n   ")));
            }
            for (i, (name, phrase, a, b, conf, regex)) in rules.iter().enumerate() {
                let trigger = if *regex {
                    format!("text matches /{}\\d+/", name)
                } else {
                    format!("text has [{:?}]", phrase.trim())
                };
                let confidence = ["low", "medium", "high"][*conf];
                out.push_str(&format!(
                    "rule {name}_{i} {{\n{}category blacklist\n{}confidence {confidence}\n  when {trigger}\n{}and not code 421\n  diagnosis \"x {{y}} # not a comment\"\n{}fix \"one\"\n      \"two\"\n  refs \"https://example.org\"\n  example \"550 {name}\"\n}}\n\n",
                    " ".repeat(*a),
                    " ".repeat(*b),
                    " ".repeat(*a + 4),
                    " ".repeat(*b),
                ));
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// On generated packs: formatting keeps the meaning and a second pass
    /// changes nothing.
    #[test]
    fn generated_packs_format_safely(src in generated_pack()) {
        let once = format(&src);
        prop_assert!(same_meaning(&src, &once), "meaning changed:\n{src}\n---\n{once}");
        prop_assert_eq!(format(&once), once);
    }
}
