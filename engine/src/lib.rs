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

pub mod checks;
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
pub use intake::email::EmailError;
use intake::email::{Kind, Record};

/// A compiled ruleset, ready to diagnose; with a [`checks::CheckRunner`],
/// it also runs the checks the fired rules ask for.
pub struct Engine {
    pub ruleset: Ruleset,
    pub checks: Option<std::sync::Arc<dyn checks::CheckRunner>>,
}

impl Engine {
    pub fn new(ruleset: Ruleset) -> Engine {
        Engine {
            ruleset,
            checks: None,
        }
    }

    /// Runs checks with `runner` from now on (`diagnose --checks`).
    pub fn with_checks(mut self, runner: std::sync::Arc<dyn checks::CheckRunner>) -> Engine {
        self.checks = Some(runner);
        self
    }

    /// Matches the facts; with a check runner, runs the checks the fired
    /// rules ask for and matches again with their verdicts.
    pub fn diagnose_facts(&self, facts: &Facts) -> Diagnosis {
        // a reply that accepts asks no rule, so it runs no check either
        let Some(runner) = self
            .checks
            .as_ref()
            .filter(|_| !diagnosis::is_accepted(facts))
        else {
            return diagnosis::diagnose(&self.ruleset, facts);
        };
        let (_, fired) = matcher::run(&self.ruleset, facts);
        let calls = checks::requested(&self.ruleset, fired.iter().map(|f| f.rule));
        if calls.is_empty() {
            return diagnosis::diagnose(&self.ruleset, facts);
        }
        let mut facts = facts.clone();
        let outcomes = checks::run_requested(&calls, &mut facts, runner.as_ref());
        let mut d = diagnosis::diagnose(&self.ruleset, &facts);
        d.checks = outcomes;
        d
    }

    /// [`Self::diagnose_facts`], keeping the facts' strings (the text,
    /// tokens, addresses) in the diagnosis instead of copying them.
    pub fn diagnose_owned(&self, facts: Facts) -> Diagnosis {
        match &self.checks {
            None => diagnosis::diagnose_owned(&self.ruleset, facts),
            Some(_) => self.diagnose_facts(&facts),
        }
    }

    /// Diagnoses one SMTP reply, in any of the wrappings intake knows.
    pub fn diagnose_reply(&self, reply: &str) -> Diagnosis {
        let facts = intake::reply::parse_reply(reply);
        let empty = facts.text.is_empty();
        let mut d = self.diagnose_owned(facts);
        if empty {
            d.error = Some("empty input: there is no reply to diagnose".into());
        } else if d.code.is_none() && d.status.is_none() && d.rule.is_none() {
            d.error = Some(
                "no SMTP reply code or enhanced status found, and no rule recognised the text"
                    .into(),
            );
        }
        d
    }

    /// Diagnoses a bounce e-mail: one diagnosis per recipient, in the order
    /// the bounce lists them.
    pub fn diagnose_email(&self, bytes: &[u8]) -> Result<Vec<Diagnosis>, EmailError> {
        let email = intake::email::read_email(bytes)?;
        Ok(self.diagnose_read_email(&email))
    }

    /// Diagnoses every recipient of an e-mail already read
    /// ([`intake::email::read_email`]), in the order the bounce lists them.
    pub fn diagnose_read_email(&self, email: &intake::email::Email) -> Vec<Diagnosis> {
        email
            .records
            .iter()
            .map(|r| self.diagnose_record_from(email.kind, r, email.about()))
            .collect()
    }

    /// Diagnoses a rejection found in a log line.
    pub fn diagnose_log_record(&self, r: &intake::log::LogRecord) -> Diagnosis {
        let mut facts = intake::reply::parse_reply(&r.reply);
        if r.recipient.is_some() {
            set_recipient(&mut facts, r.recipient.clone());
        } else if matches!(
            r.stage,
            Some(
                bouncedx_dsl::ir::Stage::Connect
                    | bouncedx_dsl::ir::Stage::Helo
                    | bouncedx_dsl::ir::Stage::Auth
                    | bouncedx_dsl::ir::Stage::Mail
            )
        ) {
            // a refusal before RCPT TO names no recipient: an address in
            // its words is the sender's (`<a@x>... Domain of sender
            // address a@x does not exist`) or the client's
            set_recipient(&mut facts, None);
        }
        if facts.status.is_none()
            || facts
                .status
                .is_some_and(|s| s.subject == 0 && s.detail == 0)
        {
            facts.status = r.status.or(facts.status);
        }
        if facts.host.is_none() {
            facts.host = r.relay.as_ref().map(|h| h.to_ascii_lowercase());
        }
        facts.mta = r.mta.map(str::to_string);
        if facts.stage.is_none() {
            facts.stage = r.stage;
        }
        facts.permanent_hint = r.permanent.or(facts.permanent_hint);
        if facts.client_ip.is_none() {
            facts.client_ip = r.client_ip.clone();
        }
        facts.esp = r.verdict.as_deref().map(esp_fact);
        let mut d = self.diagnose_facts(&facts);
        d.esp_verdict = r.verdict.as_deref().map(esp_shown);
        d
    }

    /// Diagnoses one recipient of an ESP webhook event.
    pub fn diagnose_event(&self, r: &intake::webhook::EventRecord) -> Diagnosis {
        let mut facts = intake::reply::parse_reply(&r.reply);
        set_recipient(&mut facts, r.recipient.clone());
        if facts.status.is_none() {
            facts.status = r.status;
        }
        if facts.host.is_none() {
            facts.host = r.remote_host.clone();
        }
        if facts.client_ip.is_none() {
            facts.client_ip = r.client_ip.clone();
        }
        let verdict = format!("{}/{}", r.esp, r.esp_verdict);
        facts.esp = Some(esp_fact(&verdict));
        facts.permanent_hint = r.permanent;
        let mut d = if r.complaint {
            diagnosis::not_a_bounce(diagnosis::NotABounce::Feedback, &facts)
        } else if r.auto_reply {
            diagnosis::not_a_bounce(diagnosis::NotABounce::Vacation, &facts)
        } else if r.not_a_failure {
            diagnosis::not_a_bounce(diagnosis::NotABounce::Delivered, &facts)
        } else {
            self.diagnose_facts(&facts)
        };
        d.esp_verdict = Some(esp_shown(&verdict));
        d
    }

    /// Diagnoses one recipient of a bounce e-mail.
    pub fn diagnose_record(&self, kind: Kind, r: &Record) -> Diagnosis {
        self.diagnose_record_from(kind, r, intake::email::About::default())
    }

    /// Diagnoses one recipient of a bounce e-mail with what the e-mail says
    /// of all its recipients ([`intake::email::About`]): the original
    /// sender (checks such as SPF and DMARC need its domain) and the writer
    /// (the `mta` fact, [`intake::family`]). The writer's own verdict on
    /// the recipient, when it gives one, is kept as `esp_verdict` and is
    /// the `esp` fact, as an ESP's is.
    pub fn diagnose_record_from(
        &self,
        kind: Kind,
        r: &Record,
        about: intake::email::About,
    ) -> Diagnosis {
        if kind == Kind::Message {
            return self.diagnose_test_message(r, about.sender);
        }
        let not_a_failure = match kind {
            Kind::Message => None,
            Kind::Feedback => Some(diagnosis::NotABounce::Feedback),
            Kind::Vacation => Some(diagnosis::NotABounce::Vacation),
            Kind::Bounce => match r.action.as_deref() {
                Some("delivered" | "deliverable" | "relayed" | "expanded") => {
                    Some(diagnosis::NotABounce::Delivered)
                }
                _ => None,
            },
        };
        if kind == Kind::Vacation {
            // The rules written for automatic replies (those that read
            // `notice`) name what the reply is, when it is more than an
            // out-of-office note: a challenge-response filter's challenge
            // holds the message.
            let d = self.diagnose_text_with(&r.context, r, about, Some("auto_reply"));
            if d.rule.is_some() {
                return d;
            }
        }
        if let Some(what) = not_a_failure {
            let mut facts = intake::reply::parse_reply(r.diagnostic.as_deref().unwrap_or(""));
            facts.recipient = r.recipient.clone();
            facts.status = r.status.or(facts.status);
            facts.mta = about.mta.map(str::to_string);
            let mut d = diagnosis::not_a_bounce(what, &facts);
            d.esp_verdict = r.verdict.as_deref().map(esp_shown);
            return d;
        }
        let primary = r.diagnostic.as_deref().unwrap_or(&r.context);
        let mut d = self.diagnose_text_with(primary, r, about, None);
        if d.rule.is_none() && r.diagnostic.is_some() && !r.context.trim().is_empty() {
            // The remote reply said too little; add the bounce's own words.
            let both = format!("{}\n{}", primary, r.context);
            d = self.diagnose_text_with(&both, r, about, None);
        }
        d.esp_verdict = r.verdict.as_deref().map(esp_shown);
        // A delay warning's writer is still trying: nothing expired yet,
        // unless its status says the delivery time did (X.4.7, RFC 3463).
        let time_expired = d.status.is_some_and(|s| s.subject == 4 && s.detail == 7);
        if about.permanence_of(r) != Some(false) || time_expired {
            expire_transient(&mut d);
        }
        if d.rule.is_none() && *d.reason == *"undefined" && r.recipient.is_some() {
            // A bounce naming a recipient but no reason: the failure is
            // known, its cause is not.
            d.reason = "onhold".into();
        }
        d
    }

    /// A test message: the rules read its Authentication-Results; when none
    /// fires, authentication passed and there is nothing to fix.
    fn diagnose_test_message(&self, r: &Record, sender: Option<&str>) -> Diagnosis {
        // Only the verdicts count here: the clause text (`dmarc=pass
        // (p=REJECT)`) would set off rules written for refusals.
        let about = intake::email::About {
            sender,
            ..Default::default()
        };
        let mut d = self.diagnose_text_with("Authentication-Results", r, about, None);
        if d.rule.is_some() {
            d.text = r.context.clone();
            return d;
        }
        let mut facts = intake::reply::parse_reply(&r.context);
        facts.recipient = r.recipient.clone();
        let mut d = diagnosis::not_a_bounce(diagnosis::NotABounce::Delivered, &facts);
        d.diagnosis = format!(
            "Not a bounce: a delivered message whose authentication shows no failure ({})",
            r.auth
                .iter()
                .map(|a| format!("{} {}", a.check, a.verdict))
                .collect::<Vec<_>>()
                .join(", ")
        );
        d
    }

    /// Diagnoses a record's text; `notice` is what the message is when it
    /// is no failure report (`auto_reply`), the `notice` fact.
    fn diagnose_text_with(
        &self,
        text: &str,
        r: &Record,
        about: intake::email::About,
        notice: Option<&str>,
    ) -> Diagnosis {
        let mut facts = intake::reply::parse_reply(text);
        facts.notice = notice.map(str::to_string);
        facts.mta = about.mta.map(str::to_string);
        facts.esp = r.verdict.as_deref().map(esp_fact);
        if let Some(s) = about.sender {
            facts.set_sender(s);
        }
        facts.verdicts = r
            .auth
            .iter()
            .map(|a| (a.check.to_string(), a.verdict.to_string()))
            .collect();
        // The recipient is the record's, read from a recipient position:
        // an address the words happen to contain ("please contact
        // helpdesk@...") is none, even when the record names nobody.
        set_recipient(&mut facts, r.recipient.clone());
        // Where the reply has no class, the bounce's own verdict stands in.
        facts.permanent_hint = about.permanence_of(r).or(facts.permanent_hint);
        // The DSN's Status is authoritative unless the reply is more precise.
        match (facts.status, r.status) {
            (None, Some(s)) => facts.status = Some(s),
            (Some(mine), Some(s)) if mine.subject == 0 && mine.detail == 0 => {
                facts.status = Some(s)
            }
            _ => {}
        }
        if facts.stage.is_none() {
            facts.stage = intake::reply::stage_in(&r.context);
        }
        if facts.host.is_none() {
            facts.host = r.remote_mta.as_ref().map(|h| h.to_ascii_lowercase());
        }
        self.diagnose_owned(facts)
    }
}

/// A sending system's own verdict, `writer/verdict` (`ses/Permanent/General`,
/// `powermta/bad-mailbox`), as the `esp` fact: in lower case.
fn esp_fact(verdict: &str) -> String {
    verdict.to_ascii_lowercase()
}

/// The same verdict as a result shows it (`esp_verdict`): `ses:
/// Permanent/General`.
fn esp_shown(verdict: &str) -> String {
    verdict.replacen('/', ": ", 1)
}

/// A bounce e-mail (not a live reply) that reports a connection timeout
/// with a transient or no status means the sending MTA stopped retrying:
/// the message expired in its queue, and that is the answer to give.
fn expire_transient(d: &mut Diagnosis) {
    // Connection timeouts are what an MTA retries until the queue lifetime
    // runs out; other transient errors (a refused connection, an LDAP
    // outage, DNS) keep their own reason.
    // A 5xx reply or 5.x.x status is a refusal, not a retry that ran out;
    // a writer's "permanent error" heading over a timeout is the latter.
    let refused = facts::reply_class(d.code, d.status) == Some(true);
    if *d.reason != *"networkerror" || refused {
        return;
    }
    let lower = d.text.to_ascii_lowercase();
    if !(lower.contains("timed out") || lower.contains("not reachable"))
        || ["dns", "name server", "name service", "loop", "hop count"]
            .iter()
            .any(|w| lower.contains(w))
    {
        return;
    }
    d.alternatives.insert(
        0,
        diagnosis::Alternative {
            rule: d.rule.clone().unwrap_or_else(|| "fallback".into()),
            reason: std::mem::replace(&mut d.reason, "expired".into()),
            category: std::mem::replace(&mut d.category, "expired".into()),
            confidence: d.confidence,
            evidence: d.evidence.clone(),
        },
    );
    d.category_title = "Delivery kept failing until the message expired".into();
    d.concerns = Some(bouncedx_dsl::ir::Concerns::Delivery);
    d.diagnosis = format!(
        "The sending MTA gave up after retrying: the last attempt failed temporarily ({})",
        d.diagnosis
    );
}

fn set_recipient(facts: &mut Facts, recipient: Option<String>) {
    facts.domain = recipient
        .as_deref()
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d.to_string());
    facts.recipient = recipient;
}
