//! `eval`: how often the packs agree with a labelled set, and how far their
//! confidence can be trusted.
//!
//! A team brings rejections it has labelled by hand. Two shapes are read
//! ([`load`]):
//!
//! - a **TSV of replies**: one reply and its expected category a row
//!   (`reply<TAB>category[<TAB>reason]`), or any TSV whose header names its
//!   columns: `reply` or `message_text_or_pattern` (the reply text, with
//!   `reply_code` and `enhanced_code` put in front when given), `category`
//!   or `cause_category`, `reason`. Placeholders such as `<IP>` and
//!   `<domain>` are filled with documentation values (see [`fill`]);
//! - a **folder of e-mails** with an `expected.tsv` (`file`, `rcpt_index`,
//!   and `category` and/or `reason`): the recipient at that index of that
//!   bounce is compared.
//!
//! Every row is scored on what it is labelled with (category, reason or
//! both). An expected category `other` agrees with any answer outside the
//! seven named causes ([`NAMED_CAUSES`]): the labeller said it is none of
//! them, and bouncedx must say what it is, not guess one of them.
//!
//! **Halves.** Each row falls in the *tune* or the *validate* half by a
//! hash of the row itself ([`half_of`]: FNV-1a of the reply, or of
//! `file#index`), so the split is the same on every machine and does not
//! move when rows are added. Rules are written from sources and the tune
//! half; the validate half says whether they carry over. A gap of more
//! than 3 points between the halves is a finding, not a figure to report.
//!
//! **Confidence bands.** Agreement is also given per band of the answer's
//! confidence (0.9 and up, 0.7 to 0.9, 0.4 to 0.7, below 0.4): the promise
//! is that `certain`/`high` answers are right 95% of the time and `medium`
//! 75% on data the rules were not written against.

pub mod load;
pub mod report;

pub use load::{fill, load, Case, Input, LoadError};
pub use report::{logged_status, score, LogForm, Scored};

/// The causes a labeller can name; anything else is `other`.
pub const NAMED_CAUSES: &[&str] = &[
    "blacklist",
    "authentication",
    "reputation",
    "content",
    "org_policy",
    "rate_limit",
    "recipient",
];

/// Which half a row falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Half {
    Tune,
    Validate,
}

impl Half {
    pub fn name(self) -> &'static str {
        match self {
            Half::Tune => "tune",
            Half::Validate => "validate",
        }
    }
}

/// The half of the row whose key is `key`: FNV-1a (64 bit) of its bytes,
/// even in *tune*, odd in *validate*. Stable across machines and releases.
pub fn half_of(key: &str) -> Half {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    if h.is_multiple_of(2) {
        Half::Tune
    } else {
        Half::Validate
    }
}

/// Whether an answer's category agrees with the expected one (`other`:
/// any category outside [`NAMED_CAUSES`]).
pub fn category_agrees(expected: &str, got: &str) -> bool {
    if expected == "other" {
        !NAMED_CAUSES.contains(&got)
    } else {
        expected == got
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_are_stable_and_balanced() {
        // fixed: a change of the hash would move every published figure
        assert_eq!(
            half_of("550 5.1.1 user unknown"),
            half_of("550 5.1.1 user unknown")
        );
        let tune = (0..1000)
            .filter(|i| half_of(&format!("row {i}")) == Half::Tune)
            .count();
        assert!((400..600).contains(&tune), "{tune}");
    }

    #[test]
    fn other_means_none_of_the_named_causes() {
        assert!(category_agrees("other", "tls"));
        assert!(!category_agrees("other", "reputation"));
        assert!(category_agrees("content", "content"));
        assert!(!category_agrees("content", "org_policy"));
    }
}
