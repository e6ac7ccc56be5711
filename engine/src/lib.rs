//! # The bouncedx engine
//!
//! Turns inputs into diagnoses with a compiled [`Ruleset`]:
//!
//! ```text
//! input ──► intake ──► facts ──► match ──► rank ──► diagnosis ──► render
//! ```
//!
//! - [`intake`] reads SMTP replies in their DSN and log wrappings into
//!   [`Facts`];
//! - [`matcher`] finds every trigger in one pass and evaluates only the
//!   candidate rules, then ranks what fired;
//! - [`diagnosis`] builds the answer (the output contract) from the top rule,
//!   or from the reply code when nothing fired;
//! - [`explain`] evaluates every rule without shortcuts and says why each did
//!   or did not fire;
//! - [`render`] writes diagnoses for people, or as JSON / JSON Lines.
//!
//! The engine does not know how rules are written (that is
//! `bouncedx-dsl`) nor how checks run (that is the plugin host).

pub mod diagnosis;
pub mod explain;
pub mod facts;
pub mod intake;
pub mod matcher;
pub mod render;
pub mod status;

pub use bouncedx_dsl::Ruleset;
pub use diagnosis::Diagnosis;
pub use facts::Facts;

/// A compiled ruleset, ready to diagnose.
pub struct Engine {
    pub ruleset: Ruleset,
}

impl Engine {
    pub fn new(ruleset: Ruleset) -> Engine {
        Engine { ruleset }
    }

    /// Diagnoses one SMTP reply, in any of the wrappings intake knows.
    pub fn diagnose_reply(&self, reply: &str) -> Diagnosis {
        let facts = intake::reply::parse_reply(reply);
        let mut d = diagnosis::diagnose(&self.ruleset, &facts);
        if facts.text.is_empty() {
            d.error = Some("empty input: there is no reply to diagnose".into());
        } else if facts.code.is_none() && facts.status.is_none() && d.rule.is_none() {
            d.error = Some(
                "no SMTP reply code or enhanced status found, and no rule recognised the text"
                    .into(),
            );
        }
        d
    }
}
