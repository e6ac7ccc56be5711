//! Facts: what intake learned about one rejection.
//!
//! Rules never see raw input. Intake turns a reply, a DSN record or a log
//! line into [`Facts`]: the reply code, the enhanced status, the SMTP stage,
//! the hosts and addresses involved, provider tokens, and the reply **text**
//! with wrappers removed and white space folded. Conditions test these facts;
//! `text has` triggers match the text.

use bouncedx_dsl::ir::{Field, Stage};
use serde::Serialize;

/// An RFC 3463 enhanced status code, `class.subject.detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status {
    pub class: u16,
    pub subject: u16,
    pub detail: u16,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Everything known about one rejection.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The reply text as rules see it: wrappers removed, white space folded.
    pub text: String,
    pub code: Option<u16>,
    pub status: Option<Status>,
    pub stage: Option<Stage>,
    pub host: Option<String>,
    pub remote_ip: Option<String>,
    pub client_ip: Option<String>,
    pub recipient: Option<String>,
    pub domain: Option<String>,
    pub sender: Option<String>,
    pub sender_domain: Option<String>,
    pub mta: Option<String>,
    /// The sending system's own verdict: an ESP webhook event's
    /// (`ses/permanent/suppressed`, `sendgrid/dropped`,
    /// `mailgun/failed/permanent/suppress-bounce`, the same from an SES
    /// notification e-mail) or PowerMTA's bounce category from its
    /// accounting log or its DSN's `X-PowerMTA-BounceCategory`
    /// (`powermta/spam-related`).
    pub esp: Option<String>,
    /// Whether the input's sender calls the failure permanent when the
    /// reply itself gives no code or status (an ESP event's verdict).
    pub permanent_hint: Option<bool>,
    pub tokens: Vec<String>,
    pub urls: Vec<String>,
    /// Check verdicts already known without running the check, as
    /// `(check, verdict)`: `auth.spf`/`auth.dkim`/`auth.dmarc` from the
    /// `Authentication-Results` headers of a returned or test message.
    pub verdicts: Vec<(String, String)>,
    /// What the input is when it is no failure report: `auto_reply` for
    /// an automatic reply. `None` reads as `bounce` (the `notice` field):
    /// every other input is a rejection, a bounce or a delay report.
    pub notice: Option<String>,
}

/// What a reply's own code or status says: `Some(true)` permanent (5xx,
/// else 5.x.x), `Some(false)` transient (4xx, else 4.x.x), `None` when
/// neither says (no code or status, or a success).
pub fn reply_class(code: Option<u16>, status: Option<Status>) -> Option<bool> {
    match (code, status) {
        (Some(c), _) if (500..600).contains(&c) => Some(true),
        (Some(c), _) if (400..500).contains(&c) => Some(false),
        (_, Some(s)) if s.class == 5 => Some(true),
        (_, Some(s)) if s.class == 4 => Some(false),
        _ => None,
    }
}

/// The `notice` of every input that sets none.
static BOUNCE: std::sync::LazyLock<[String; 1]> =
    std::sync::LazyLock::new(|| ["bounce".to_string()]);

impl Facts {
    /// `Some(true)` for a permanent failure (5xx or 5.x.x), `Some(false)` for a
    /// transient one; when neither code nor status says, what the input's
    /// sender said ([`Facts::permanent_hint`]), if anything.
    pub fn permanent(&self) -> Option<bool> {
        reply_class(self.code, self.status).or(self.permanent_hint)
    }

    /// Sets the envelope sender and its domain.
    pub fn set_sender(&mut self, sender: &str) {
        let s = sender.trim().trim_matches(['<', '>']).to_ascii_lowercase();
        self.sender_domain = s
            .rsplit_once('@')
            .map(|(_, d)| d.to_string())
            .filter(|d| !d.is_empty());
        self.sender = Some(s).filter(|s| !s.is_empty());
    }

    /// The values of a field (several for tokens and URLs).
    pub fn field(&self, f: Field) -> &[String] {
        fn one(o: &Option<String>) -> &[String] {
            o.as_slice()
        }
        match f {
            Field::Host => one(&self.host),
            Field::RemoteIp => one(&self.remote_ip),
            Field::ClientIp => one(&self.client_ip),
            Field::Recipient => one(&self.recipient),
            Field::Domain => one(&self.domain),
            Field::Sender => one(&self.sender),
            Field::SenderDomain => one(&self.sender_domain),
            Field::Mta => one(&self.mta),
            Field::Esp => one(&self.esp),
            Field::Token => &self.tokens,
            Field::Url => &self.urls,
            Field::Notice => match &self.notice {
                Some(n) => std::slice::from_ref(n),
                None => &BOUNCE[..],
            },
        }
    }

    /// A fact by name, for templates and check arguments.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(f) = Field::from_name(name) {
            return self.field(f).first().cloned();
        }
        match name {
            "code" => self.code.map(|c| c.to_string()),
            "status" => self.status.map(|s| s.to_string()),
            "stage" => self.stage.map(|s| s.name().to_string()),
            "text" => Some(self.text.clone()),
            _ => None,
        }
    }
}
