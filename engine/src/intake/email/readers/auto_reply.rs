//! Automatic replies: out-of-office and vacation messages, answered
//! `vacation`, never `delivered` and never a failure.
//!
//! RFC 3834 asks an automatic responder to say what it is with
//! `Auto-Submitted: auto-replied` (IANA's registry of the field's keywords
//! adds `auto-generated` and `auto-notified`, RFC 5436); many also or only
//! write `X-Autoreply`, `X-Autorespond`, `Precedence: auto_reply` or, at
//! Apple, `X-Apple-Action: vacation`, and many say it in the subject alone
//! ("Automatic reply:", "Out of Office:", "Abwesenheitsnotiz", "Réponse
//! automatique"). Bounces are automatic too, and Exim marks its bounces
//! `Auto-Submitted: auto-replied`: a message from a mailer daemon (or from
//! `root`, as sudo's security mails are), with a failure subject or with
//! failed recipients, is no auto-reply; the `Auto-Submitted` keywords count
//! only outside those. Sisimai's RFC 3834 detector (BSD-2) reads the same
//! signs. The record's recipient is the one who replied (the message's
//! `From`).
//!
//! An automatic reply can say more than "out of office": a
//! challenge-response filter's challenge (TMDA, cPanel BoxTrapper, ASK) is
//! automatic too, but the message was held, not delivered. This reader
//! does not know their words: the record is a vacation, and the rules that
//! read the `notice` fact run on its text first; one that fires (such as
//! `core/challenge_response_held`) is the answer.

use super::{Bounce, Reader, Reading};
use crate::intake::email::{Kind, Record};

pub(super) const READER: Reader = Reader {
    name: "auto_reply",
    picks: is_auto_reply,
    read,
};

/// A vacation record for the one who answered: the message's `From`, with
/// the reply's text for the rules that read automatic replies.
fn read(bounce: &Bounce) -> Option<Reading> {
    let record = Record {
        recipient: bounce.from(),
        context: bounce.report().to_string(),
        ..Record::default()
    };
    Some(Reading::of(Kind::Vacation, vec![record]))
}

/// Subject words of automatic replies, lower case: "automatic reply" and
/// "out of office" as mail clients write them in their users' languages
/// (Outlook puts its localised "Automatic reply:" before the subject).
/// Matched after the subject is lower-cased, so the non-ASCII ones are
/// lower case too.
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "automatic reply",
    "automatic response",
    "autorespons",
    "out of office",
    "out of the office",
    "out-of-office",
    "away until",
    "away from my mail",
    "on vacation",
    "on leave",
    "abwesenheit",
    "automatische antwort",
    "automatisch antwoord",
    "réponse automatique",
    "risposta automatica",
    "respuesta automática",
    "resposta automática",
    "autosvar",
    "automatisk svar",
    "odpowiedź automatyczna",
    "automatyczna odpowiedź",
    "autoodpowiedź",
    "automatická odpověď",
    "automatická odpoveď",
    "automatikus válasz",
    "automaattinen vastaus",
    "otomatik yanıt",
    "răspuns automat",
    "automatski odgovor",
    "samodejni odgovor",
    "автоматический ответ",
    "автоответ",
    "автоматична відповідь",
    "αυτόματη απάντηση",
    "自動応答",
    "自動返信",
    "自动回复",
    "自動回覆",
    "자동 회신",
    "자동 응답",
    "fuera de la oficina",
    "fuori sede",
    "poza biurem",
    // the subjects OpenEMM's bounce rules (bav.rule) and bouncefetch's
    // rules.rb file as out-of-office replies, Lotus Notes' Italian one as
    // the Mzax bounce detector lists it, and the Portuguese one in a
    // published list of auto-reply subjects
    "außer haus",
    "ausser haus",
    "nicht im haus",
    "ist im urlaub",
    "autoantwort",
    "non al computer",
    "fora do escritório",
];

/// Subject words of a failure report, which no auto-reply carries.
const FAILURE_SUBJECTS: &[&str] = &[
    "undeliver",
    "failure",
    "failed",
    "returned",
    "delivery status",
    "not delivered",
    "rejected",
    "bounce",
    "error",
    "security information for",
];

/// RFC 3834 and its common imitations.
fn is_auto_reply(bounce: &Bounce) -> bool {
    let subject = bounce.subject();
    if FAILURE_SUBJECTS.iter().any(|s| subject.contains(s))
        || bounce.header("X-Failed-Recipients").next().is_some()
    {
        return false;
    }
    // the raw header: `From: mailer-daemon` has no address to parse
    let from_daemon = bounce.header("From").any(|f| {
        let f = f.to_ascii_lowercase();
        ["mailer-daemon", "postmaster", "mail-daemon", "root@"]
            .iter()
            .any(|d| f.contains(d))
    });
    let auto_replied = bounce.header("Auto-Submitted").any(|v| {
        let v = v.trim().to_ascii_lowercase();
        ["auto-replied", "auto-generated", "auto-notified"]
            .iter()
            .any(|k| v.starts_with(k))
    });
    let marked = bounce.header("X-Autoreply").next().is_some()
        || bounce.header("X-Autorespond").next().is_some()
        || bounce.header("X-Autoresponder").next().is_some()
        || bounce
            .header("Precedence")
            .any(|v| v.trim().eq_ignore_ascii_case("auto_reply"))
        || bounce
            .header("X-Apple-Action")
            .any(|v| v.trim().eq_ignore_ascii_case("vacation"));
    let subject_says =
        AUTO_REPLY_SUBJECTS.iter().any(|s| subject.contains(s)) || subject.starts_with("auto:");
    subject_says || marked || (auto_replied && !from_daemon)
}
