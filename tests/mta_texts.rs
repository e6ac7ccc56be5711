//! Texts the rules were not written against: the wording Postfix, Exim,
//! Sendmail and Microsoft 365 use for deferrals and rejections, collected in
//! `tests/fixtures/mta_texts.tsv` (written for this repository, not taken
//! from the Sisimai corpus), each with the reason a postmaster should be
//! told. Every row must agree; a miss prints the row and what was said.
//!
//! The table began as an audit: Postfix's "delivery temporarily suspended:"
//! (its queue holding a destination back) was read as a suspended account.

#[test]
fn every_mta_text_gets_its_reason() {
    let table = include_str!("fixtures/mta_texts.tsv");
    let engine = bouncedx::default_engine();
    let mut rows = 0;
    let mut misses = Vec::new();
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (want, text) = line.split_once('\t').expect("reason<TAB>text");
        rows += 1;
        let d = engine.diagnose_reply(text);
        if d.reason.to_string() != want {
            misses.push(format!(
                "expected {want}, got {} ({}) for {text:?}",
                d.reason,
                d.rule.as_deref().unwrap_or("no rule")
            ));
        }
    }
    assert!(rows >= 60, "the table has {rows} rows");
    assert!(
        misses.is_empty(),
        "{} of {rows} rows missed:\n{}",
        misses.len(),
        misses.join("\n")
    );
}
