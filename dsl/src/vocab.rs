//! The fixed vocabularies the language checks names against: standard bounce
//! reasons, SMTP stages, input fields, confidence words, and the checks the
//! standard plugins offer.

use crate::ir::{Concerns, RuleRetry};

/// The standard bounce-reason vocabulary (as made common by Sisimai). Every
/// diagnosis carries one, so figures compare across tools.
pub const REASONS: &[&str] = &[
    "userunknown",
    "hostunknown",
    "hasmoved",
    "suspend",
    "mailboxfull",
    "suppressed",
    "notaccept",
    "blocked",
    "badreputation",
    "authfailure",
    "requireptr",
    "rejected",
    "norelaying",
    "ratelimited",
    "spamdetected",
    "virusdetected",
    "contenterror",
    "filtered",
    "policyviolation",
    "notcompliantrfc",
    "emailtoolarge",
    "securityerror",
    "failedstarttls",
    "networkerror",
    "expired",
    "systemerror",
    "systemfull",
    "syntaxerror",
    "mailererror",
    "feedback",
    "vacation",
    "delivered",
    "onhold",
    "undefined",
];

/// The group of each reason, as `reference/reasons.tsv` gives it: where
/// the fault lies (`recipient`, `sender`, `content`, `transport`) or that
/// the message is no bounce (`meta`). Two tools that disagree on the reason
/// can still agree on its group (Sisimai's `filtered` and bouncedx's
/// `spamdetected` are both `content`), so `eval` reports both.
pub const REASON_GROUPS: &[(&str, &str)] = &[
    ("userunknown", "recipient"),
    ("hostunknown", "recipient"),
    ("hasmoved", "recipient"),
    ("suspend", "recipient"),
    ("mailboxfull", "recipient"),
    ("suppressed", "recipient"),
    ("notaccept", "recipient"),
    ("blocked", "sender"),
    ("badreputation", "sender"),
    ("authfailure", "sender"),
    ("requireptr", "sender"),
    ("rejected", "sender"),
    ("norelaying", "sender"),
    ("ratelimited", "sender"),
    ("spamdetected", "content"),
    ("virusdetected", "content"),
    ("contenterror", "content"),
    ("filtered", "content"),
    ("policyviolation", "content"),
    ("notcompliantrfc", "content"),
    ("emailtoolarge", "content"),
    ("securityerror", "transport"),
    ("failedstarttls", "transport"),
    ("networkerror", "transport"),
    ("expired", "transport"),
    ("systemerror", "transport"),
    ("systemfull", "transport"),
    ("syntaxerror", "transport"),
    ("mailererror", "transport"),
    ("feedback", "meta"),
    ("vacation", "meta"),
    ("delivered", "meta"),
    ("onhold", "meta"),
    ("undefined", "meta"),
];

/// The group of a standard reason ([`REASON_GROUPS`]); `None` for a name
/// outside the vocabulary.
pub fn reason_group(reason: &str) -> Option<&'static str> {
    REASON_GROUPS
        .iter()
        .find(|(r, _)| *r == reason)
        .map(|(_, g)| *g)
}

/// The SMTP stages a reply can come from, in dialogue order.
pub const STAGES: &[&str] = &["connect", "helo", "auth", "mail", "rcpt", "data"];

/// Classes of a reply: `permanent` (5xx) and `transient` (4xx).
pub const CLASSES: &[&str] = &["permanent", "transient"];

/// Facts of an input that conditions, check arguments and templates can use.
pub const FIELDS: &[(&str, &str)] = &[
    ("host", "the remote (receiving) host name that answered"),
    ("remote_ip", "the remote host's IP address"),
    (
        "client_ip",
        "the sending (client) IP address, when the text names it",
    ),
    ("recipient", "the recipient address"),
    ("domain", "the recipient's domain"),
    ("sender", "the envelope sender address"),
    ("sender_domain", "the envelope sender's domain"),
    ("mta", "the reporting MTA"),
    (
        "esp",
        "an ESP event's own verdict, `esp/verdict`, e.g. `ses/permanent/suppressed`",
    ),
    (
        "token",
        "a provider token in the text, e.g. `TSS04`, `S3150`, `AUP#1234`",
    ),
    ("url", "a URL in the text"),
    (
        "notice",
        "what the input is: `bounce` (a rejection, bounce, delay report, log line or ESP event) or `auto_reply` (an automatic reply; only rules that read `notice` run on those)",
    ),
];

/// Extra placeholders a diagnosis template may use besides fields and captures.
pub const TEMPLATE_FACTS: &[&str] = &["code", "status", "provider", "stage", "text"];

/// Reasons whose cause usually clears by itself even when the reply is
/// permanent (5xx): the answer says to retry later, over days, rather than
/// not to retry unchanged. A full mailbox is "persistent transient" in RFC
/// 3463 (X.2.2) whatever the reply code.
pub const RETRY_LATER_REASONS: &[&str] = &["mailboxfull"];

/// The words of a rule's `retry` field and what each says: `later` for a
/// cause that clears by itself whatever the reply's class (a sending quota
/// that resets, a recipient flooded for an hour), `by_class` to let the
/// reply's class decide even for a reason in [`RETRY_LATER_REASONS`],
/// `none` when nothing was refused (a post held for a moderator).
pub const RETRY_WORDS: &[(&str, RuleRetry)] = &[
    ("later", RuleRetry::Later),
    ("by_class", RuleRetry::ByClass),
    ("none", RuleRetry::Nothing),
];

/// The words of a `concerns` field: what an answer is about. A provider's
/// steps (its reputation dashboard, its sender desk) help a sender whose
/// mail the provider judged (`delivery`); they are left out of an answer
/// about the recipient's address or mailbox (`mailbox`), about the
/// sender's own account or submission server (`account`) or about a fault
/// of the receiving system itself (`system`).
pub const CONCERNS_WORDS: &[(&str, Concerns)] = &[
    ("delivery", Concerns::Delivery),
    ("mailbox", Concerns::Mailbox),
    ("account", Concerns::Account),
    ("system", Concerns::System),
];

/// What a `concerns` word says, `None` for a word that is not one.
pub fn concerns_word(word: &str) -> Option<Concerns> {
    CONCERNS_WORDS
        .iter()
        .find(|(n, _)| *n == word)
        .map(|(_, c)| *c)
}

/// What a `retry` word says, `None` for a word that is not one.
pub fn retry_word(word: &str) -> Option<RuleRetry> {
    RETRY_WORDS
        .iter()
        .find(|(n, _)| *n == word)
        .map(|(_, r)| *r)
}

/// What a rule of this reason with no `retry` field says about resending:
/// `Later` for a reason in [`RETRY_LATER_REASONS`], else `ByClass`.
pub fn default_retry(reason: &str) -> RuleRetry {
    if RETRY_LATER_REASONS.contains(&reason) {
        RuleRetry::Later
    } else {
        RuleRetry::ByClass
    }
}

/// The wording for a placeholder the input lacks when its template gives
/// none: a noun phrase that reads where the value would ("from your sending
/// IP"). `placeholder_may_be_absent` asks authors for a wording of their own.
pub fn default_wording(name: &str) -> &'static str {
    match name {
        "client_ip" => "your sending IP",
        "remote_ip" | "host" => "the receiving server",
        "recipient" => "the recipient's address",
        "domain" => "the recipient's domain",
        "sender" => "your sending address",
        "sender_domain" => "your sending domain",
        "provider" => "the receiver",
        "list" => "a blocklist",
        "code" => "the reply code",
        "status" => "the enhanced status",
        "stage" => "the SMTP stage",
        "mta" => "the reporting system",
        "esp" => "the sending service",
        "token" => "the receiver's code",
        "url" => "the receiver's page",
        "notice" => "the kind of message",
        _ => "what the reply names",
    }
}

/// `certain`: the receiver's own code or exact wording, one cause.
pub const CERTAIN: f32 = 0.99;
/// `high`: the level from which a rule promises to be right 95% of the time
/// (the engine's contest test and `eval`'s top band start here).
pub const HIGH: f32 = 0.9;
/// `medium`, and a rule's confidence when it names none: right 75% of the
/// time (the level from which a rule names a cause).
pub const MEDIUM: f32 = 0.7;
/// `low`: a hint, not an answer.
pub const LOW: f32 = 0.4;
/// The least confidence at which a rule's words name a cause: from here a
/// wording outranks a rule that fired on the status alone and stands as an
/// alternative beside a named answer, whatever it promises. Below it are
/// the catch-alls (a lone "refused" at 0.4, "unclassified"), which name
/// none.
pub const NAMES_A_CAUSE: f32 = 0.5;

/// Confidence words and the number each stands for.
pub const CONFIDENCE_WORDS: &[(&str, f32)] = &[
    ("certain", CERTAIN),
    ("high", HIGH),
    ("medium", MEDIUM),
    ("low", LOW),
];

/// Verdicts a check can return.
pub const VERDICTS: &[&str] = &["pass", "fail", "warn", "unknown", "error"];

/// A check a plugin offers: its name and its parameters (required ones first).
pub struct CheckSig {
    pub name: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

/// The checks of the standard plugins.
pub const CHECKS: &[CheckSig] = &[
    CheckSig {
        name: "dnsbl.ip",
        required: &["ip"],
        optional: &["zones"],
    },
    CheckSig {
        name: "dnsbl.domain",
        required: &["domain"],
        optional: &["zones"],
    },
    CheckSig {
        name: "auth.spf",
        required: &["domain"],
        optional: &["ip"],
    },
    CheckSig {
        name: "auth.dmarc",
        required: &["domain"],
        optional: &[],
    },
    CheckSig {
        name: "auth.dkim",
        required: &["domain", "selector"],
        optional: &[],
    },
    CheckSig {
        name: "auth.ptr",
        required: &["ip"],
        optional: &[],
    },
    CheckSig {
        name: "postmaster.domain",
        required: &["domain"],
        optional: &["ip", "api"],
    },
    CheckSig {
        name: "snds.ip",
        required: &["ip"],
        optional: &["api"],
    },
];

/// Checks of plugins loaded beside the standard ones (`--plugin`, a pack's
/// `plugins:`), registered from their metadata before rules compile.
static EXTRA_CHECKS: std::sync::RwLock<Vec<&'static CheckSig>> = std::sync::RwLock::new(Vec::new());

/// Makes a plugin's check known to the compiler. The names live as long
/// as the process (a handful of short strings per plugin).
pub fn register_check(name: &str, required: &[String], optional: &[String]) {
    if find_check(name).is_some() {
        return;
    }
    fn leak(v: &[String]) -> &'static [&'static str] {
        let v: Vec<&'static str> = v
            .iter()
            .map(|s| &*Box::leak(s.clone().into_boxed_str()))
            .collect();
        Box::leak(v.into_boxed_slice())
    }
    let sig: &'static CheckSig = Box::leak(Box::new(CheckSig {
        name: Box::leak(name.to_string().into_boxed_str()),
        required: leak(required),
        optional: leak(optional),
    }));
    EXTRA_CHECKS
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .push(sig);
}

/// A check by name: a standard one or a registered one.
pub fn find_check(name: &str) -> Option<&'static CheckSig> {
    CHECKS.iter().find(|c| c.name == name).or_else(|| {
        EXTRA_CHECKS
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .find(|c| c.name == name)
    })
}

/// Every known check's name.
pub fn check_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = CHECKS.iter().map(|c| c.name).collect();
    v.extend(
        EXTRA_CHECKS
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|c| c.name),
    );
    v
}

/// The closest candidate to `name`, if one is close enough to suggest.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            (
                strsim::damerau_levenshtein(&name.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `category` → `categories`, `rule` → `rules`.
fn plural(what: &str) -> String {
    match what.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ if what.ends_with(['s', 'x']) || what.ends_with("sh") || what.ends_with("ch") => {
            format!("{what}es")
        }
        _ => format!("{what}s"),
    }
}

/// `help:` text for a did-you-mean, or a fallback.
pub fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
    what: &str,
) -> String {
    match did_you_mean(name, candidates.clone()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => {
            let mut all: Vec<&str> = candidates.into_iter().collect();
            all.sort_unstable();
            all.dedup();
            if all.is_empty() {
                format!("no {what} is defined; define one first")
            } else if all.len() <= 12 {
                format!(
                    "the {} are: {}",
                    plural(what),
                    all.iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!(
                    "there are {} {}; none is close to `{name}`",
                    all.len(),
                    plural(what)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_name_the_kind_in_the_plural() {
        let many: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
        let help = suggest("nope", many.iter().map(String::as_str), "category");
        assert_eq!(help, "there are 20 categories; none is close to `nope`");
        assert_eq!(suggest("zz", ["ab"], "rule"), "the rules are: `ab`");
        assert_eq!(plural("key"), "keys");
        assert_eq!(plural("class"), "classes");
        assert_eq!(plural("reply class"), "reply classes");
    }

    #[test]
    fn every_reason_has_one_group() {
        let named: Vec<&str> = REASON_GROUPS.iter().map(|(r, _)| *r).collect();
        assert_eq!(named, REASONS, "REASON_GROUPS follows REASONS, in order");
        assert_eq!(reason_group("filtered"), Some("content"));
        assert_eq!(reason_group("ratelimited"), Some("sender"));
        assert_eq!(reason_group("speeding"), None);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("gogle", ["google", "yahoo"]), Some("google"));
        assert_eq!(
            did_you_mean("blaclist", ["blacklist", "content"]),
            Some("blacklist")
        );
        assert_eq!(did_you_mean("zzz", ["google", "yahoo"]), None);
    }
}
