//! The matcher's shortcuts change how fast it is, never what it answers.
//!
//! Two shortcuts skip work: only *candidate* rules are evaluated (those
//! keyed by a trigger found, a status, or a gate that holds), and a regex
//! with gate literals runs only when the automaton saw one of them. And a
//! short run finds the literals without building the automaton: both ways
//! must find the same. Here
//! every input is also matched the slow way (every regex over the text,
//! every rule and provider evaluated) and the two answers must be the
//! same: the same triggers at the same places, the same provider, the same
//! rules fired with the same evidence.
//!
//! Inputs: every example and counterexample of the shipped rules, every
//! reference rejection text, and non-ASCII variants of them (where gates
//! step aside and the whole `RegexSet` runs).

use bouncedx_engine::intake::reply::parse_reply;
use bouncedx_engine::matcher::{self, Input};
use bouncedx_engine::Ruleset;
use std::path::Path;

/// Every trigger the slow way: the automaton's literals at word boundaries,
/// then each regex on its own.
fn triggers_slowly(rs: &Ruleset, text: &str) -> Vec<(u32, u32, u32)> {
    let pats = &rs.patterns;
    let base = pats.literals.len() as u32;
    let mut hits = Vec::new();
    let lower = bouncedx_dsl::patterns::search_form(text);
    for m in pats.noncontiguous().unwrap().find_overlapping_iter(&lower) {
        let id = m.pattern().as_u32();
        if id < base && matcher::at_word_boundaries(text, m.start(), m.end()) {
            hits.push((id, m.start() as u32, m.end() as u32));
        }
    }
    for i in 0..pats.regexes.len() {
        if let Some(m) = pats.regex(i).and_then(|re| re.find(text)) {
            hits.push((base + i as u32, m.start() as u32, m.end() as u32));
        }
    }
    hits.sort_unstable();
    hits.dedup_by_key(|h| h.0);
    hits
}

/// A rule that fired: its index, its evidence, and the cap that words
/// which overrule it put on its confidence (as bits, to sort).
type Answer = (u32, Vec<(u32, u32)>, Option<u32>);

fn inputs(rs: &Ruleset) -> Vec<String> {
    let mut v: Vec<String> = rs
        .rules
        .iter()
        .flat_map(|r| r.examples.iter().chain(&r.counterexamples).cloned())
        .collect();
    let tsv =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/provider_messages.tsv");
    match std::fs::read_to_string(&tsv) {
        Ok(t) => v.extend(t.lines().skip(1).filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.len() > 3).then(|| format!("{} {} {}", cols[1], cols[2], cols[3]))
        })),
        Err(_) => eprintln!("SKIPPED (part): {} is absent", tsv.display()),
    }
    // Hosts, which open providers by their last bytes (upper case and a
    // non-ASCII name included).
    for host in [
        "gmail-smtp-in.l.google.com",
        "MX.GOOGLE.COM",
        "eur.mail.protection.outlook.com",
        "mta7.am0.yahoodns.net",
        "mx.mail.ru",
        "mx1.t-online.de",
        "mxa.rr.com",
        "mx.example.com",
        "mx.exämple.com",
        "le.com",
    ] {
        v.push(format!(
            "host {host}[192.0.2.1] said: 550 5.7.1 Message rejected (in reply to RCPT TO command)"
        ));
    }
    // Addresses at providers' domains, which the provider pass reads past.
    for address in [
        "joe@yahoo.com",
        "a.b+c@hotmail.co.uk",
        "x@aol.com.",
        "y@gmail",
    ] {
        v.push(format!("550 5.1.1 <{address}>: Recipient address rejected"));
        v.push(format!("550 5.7.1 {address} refused; see help.yahoo.com"));
    }
    let non_ascii: Vec<String> = v.iter().map(|s| format!("{s} — «réf»")).collect();
    v.extend(non_ascii);
    v
}

#[test]
fn shortcuts_do_not_change_answers() {
    let engine = bouncedx::default_engine();
    let rs = &engine.ruleset;
    let inputs = inputs(rs);
    assert!(inputs.len() > 100, "too few inputs: {}", inputs.len());
    for text in &inputs {
        let facts = parse_reply(text);
        let found = matcher::find_triggers(rs, &facts.text);
        assert_eq!(
            found.hits,
            triggers_slowly(rs, &facts.text),
            "triggers for {text:?}"
        );
        // the literals found directly (a short run) and by the automaton
        // (a long one) are the same
        let automaton = rs.patterns.noncontiguous();
        assert!(automaton.is_some(), "the automaton builds");
        assert_eq!(
            matcher::find_triggers_with(rs, &facts.text, None).hits,
            matcher::find_triggers_with(rs, &facts.text, automaton).hits,
            "triggers found directly for {text:?}"
        );
        let (provider, fired) = matcher::run(rs, &facts);
        // Two passes, as the matcher does: the input's fields alone (no
        // text), then the text too, outside the e-mail addresses that do
        // not name the replier.
        let no_text = matcher::Found::default();
        let first = |found: &matcher::Found| {
            let no_provider = Input {
                facts: &facts,
                found,
                provider: None,
                verdicts: &[],
            };
            rs.providers
                .iter()
                .position(|p| matcher::eval(rs, &p.when, &no_provider, &mut Vec::new(), false))
                .map(|p| p as u32)
        };
        // The text pass reads the text with its e-mail addresses blanked.
        let spans = matcher::addresses_not_naming_the_replier(&facts);
        let blanked_found = matcher::find_triggers(rs, &matcher::blanked(&facts.text, &spans));
        let slow_provider = first(&no_text).or_else(|| first(&blanked_found));
        assert_eq!(provider, slow_provider, "provider for {text:?}");
        let inp = Input {
            facts: &facts,
            found: &found,
            provider,
            verdicts: &facts.verdicts,
        };
        let mut slow_fired: Vec<matcher::Fired> = Vec::new();
        for (i, r) in rs.rules.iter().enumerate() {
            let mut ev = Vec::new();
            if r.answers() && matcher::eval(rs, &r.when, &inp, &mut ev, true) {
                ev.sort_unstable();
                ev.dedup();
                slow_fired.push(matcher::Fired {
                    rule: i as u32,
                    evidence: ev,
                    overruled: None,
                });
            }
        }
        matcher::mark_overruled(rs, &mut slow_fired);
        // a rule that fired on no words quotes its status and provider
        matcher::quote_what_is_implied(rs, &inp, &mut slow_fired);
        let slow: Vec<Answer> = slow_fired
            .into_iter()
            .map(|f| (f.rule, f.evidence, f.overruled.map(f32::to_bits)))
            .collect();
        let mut fast: Vec<Answer> = fired
            .into_iter()
            .map(|f| (f.rule, f.evidence, f.overruled.map(f32::to_bits)))
            .collect();
        fast.sort();
        assert_eq!(fast, slow, "rules fired for {text:?}");
    }
}
