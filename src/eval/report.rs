//! Scoring a labelled set and reporting it: agreement per half, per
//! expected cause in each half, per confidence band, per rule, a confusion
//! table, and the misses.

use super::{category_agrees, half_of, Case, Half, Input};
use bouncedx_dsl::vocab::{HIGH, LOW, MEDIUM};
use bouncedx_engine::intake::log::{read_log_line, LogLine};
use bouncedx_engine::intake::reply::parse_reply;
use bouncedx_engine::Engine;
use std::collections::BTreeMap;

/// One row, scored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Scored {
    pub line: usize,
    pub half: Half,
    /// The reply, or `file#index`.
    pub input: String,
    pub expected_category: Option<String>,
    pub expected_reason: Option<String>,
    pub category: String,
    pub reason: String,
    pub rule: Option<String>,
    pub confidence: f32,
    /// `None` when the row has no such label.
    pub category_ok: Option<bool>,
    pub reason_ok: Option<bool>,
    /// Whether the answer's reason is in the expected reason's group
    /// (`reference/reasons.tsv`); an expected reason outside the vocabulary
    /// must be matched exactly.
    pub group_ok: Option<bool>,
}

impl Scored {
    /// The row agrees on everything it is labelled with.
    pub fn ok(&self) -> bool {
        self.category_ok != Some(false) && self.reason_ok != Some(false)
    }
}

/// Whether a reply that carries no reply code says in words that it defers
/// ("deferred using ...", "try again later", "temporarily"): Postfix would
/// have logged it `status=deferred` with a 4.x.x `dsn=`, from the code the
/// pasted text lost. A reply with a code is read by its code.
fn reads_as_deferral(reply: &str) -> bool {
    let t = reply.trim_start();
    let coded = t.len() >= 3 && t.as_bytes()[..3].iter().all(u8::is_ascii_digit);
    if coded {
        return false;
    }
    let t = t.to_ascii_lowercase();
    ["deferred", "try again later", "temporarily", "temporary"]
        .iter()
        .any(|w| t.contains(w))
}

/// The log formats `eval --as-log` wraps a reply in: each MTA's line for a
/// recipient that bounced (or was deferred, when the reply says so), as
/// its log reader (`intake::log`) reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogForm {
    /// `postfix/smtp[..]: QID: to=<a>, relay=..., dsn=5.7.1, status=bounced (host h[ip] said: ...)`
    Postfix,
    /// `QID ** a R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<a>: host h [ip]: ...` (`==` and `defer (-44):` when deferred)
    Exim,
    /// `[outbound] recipient <a> rejected: ...` (`deferred:`)
    Haraka,
    /// A message tracking CSV row whose `event-id` is `FAIL` (`DEFER`)
    Exchange,
    /// `mta delivery evpid=.. to=<a> .. result="PermFail" stat="..."` (`TempFail`)
    Opensmtpd,
    /// qmail-send's `delivery N: failure: ..` (`deferral:`), spaces written `_`
    Qmail,
}

impl LogForm {
    /// The MTA's name, for the report's title.
    pub fn title(self) -> &'static str {
        match self {
            LogForm::Postfix => "Postfix",
            LogForm::Exim => "Exim",
            LogForm::Haraka => "Haraka",
            LogForm::Exchange => "Exchange message tracking",
            LogForm::Opensmtpd => "OpenSMTPD",
            LogForm::Qmail => "qmail",
        }
    }
}

/// The enhanced status an MTA would log or report for `reply` (read into
/// `facts`): the engine's own reading finds its code and status wherever
/// the pasted text put them ("421-4.7.0 ...", a `Diagnostic-Code:` line);
/// Postfix logs that status as `dsn=`, or the code's class with 0.0 when
/// the reply has no enhanced status; a reply without a code is `4.0.0`
/// when its words defer, else `5.0.0`.
pub fn logged_status(reply: &str, facts: &bouncedx_engine::Facts) -> String {
    let class = facts.code.map(|c| c / 100);
    match (facts.status, class) {
        (Some(st), None) => st.to_string(),
        (Some(st), Some(c)) if st.class == c => st.to_string(),
        (_, Some(c @ (4 | 5))) => format!("{c}.0.0"),
        _ if reads_as_deferral(reply) => "4.0.0".into(),
        _ => "5.0.0".into(),
    }
}

/// A reply as a log line of `form`: the recipient is the one the reply
/// names (else bob@example.com), and it bounced, or was deferred when the
/// reply's class (or, without one, its words) says so.
pub fn as_log_line(form: LogForm, reply: &str) -> String {
    let facts = parse_reply(reply);
    let status = logged_status(reply, &facts);
    let deferred = status.starts_with('4');
    let reply = reply.replace(['\n', '\r'], " ");
    let rcpt = facts.recipient.as_deref().unwrap_or("bob@example.com");
    match form {
        LogForm::Postfix => format!(
            "Nov 26 10:00:02 mta1 postfix/smtp[4502]: 3F2A1B: to=<{rcpt}>, relay=mx.example.com[192.0.2.10]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn={status}, status={} (host mx.example.com[192.0.2.10] said: {reply} (in reply to RCPT TO command))",
            if deferred { "deferred" } else { "bounced" }
        ),
        LogForm::Exim => format!(
            "2026-11-26 10:00:02 1vAbCd-000Xyz-QR {} {rcpt} R=dnslookup T=remote_smtp{}: SMTP error from remote mail server after RCPT TO:<{rcpt}>: host mx.example.com [192.0.2.10]: {reply}",
            if deferred { "==" } else { "**" },
            if deferred { " defer (-44)" } else { "" }
        ),
        LogForm::Haraka => format!(
            "[NOTICE] [A1B2C3D4-0000-4000-8000-000000000001.1.1] [outbound] recipient <{rcpt}> {}: {reply}",
            if deferred { "deferred" } else { "rejected" }
        ),
        LogForm::Exchange => format!(
            "2026-11-26T10:00:02.000Z,,,192.0.2.10,EX01,08DD5A1B2C3D4E5F;250 2.1.5,Outbound to Internet,SMTP,{},123456789,<abc@example.com>,,{rcpt},\"{}\",2048,1,,,Report,sender@example.com,sender@example.com,,Originating,,,,",
            if deferred { "DEFER" } else { "FAIL" },
            reply.replace('"', "\"\"")
        ),
        LogForm::Opensmtpd => format!(
            "Nov 26 10:00:02 mta1 smtpd[4242]: 4a5b6c7d8e9f0a1b mta delivery evpid=4a5b6c7d8e9f0a1b from=<sender@example.com> to=<{rcpt}> rcpt=<-> source=\"192.0.2.1\" relay=\"mx.example.com [192.0.2.10]\" delay=2s result=\"{}\" stat=\"{reply}\"",
            if deferred { "TempFail" } else { "PermFail" }
        ),
        // qmail-remote's report of a refused recipient, as qmail-send's
        // `logsafe` writes it: line ends as `/`, every byte outside
        // `!`..`~` and `%` as `_`
        LogForm::Qmail => {
            let report = format!(
                "192.0.2.10 does not like recipient.\nRemote host said: {reply}\n{}",
                if deferred { "" } else { "Giving up on 192.0.2.10.\n" }
            );
            let safe: String = report
                .bytes()
                .map(|b| match b {
                    b'\n' => '/',
                    b'%' => '_',
                    33..=126 => b as char,
                    _ => '_',
                })
                .collect();
            format!(
                "@4000000069356a040a1b2c3d delivery 7: {}: {safe}",
                if deferred { "deferral" } else { "failure" }
            )
        }
    }
}

/// The recipient a row means: the one at `index`, unless the row repeats
/// an index and gives a status that another recipient has and this one
/// has not.
pub fn pick_recipient<'a>(
    ds: &'a [bouncedx_engine::Diagnosis],
    index: usize,
    status: Option<&str>,
) -> Option<&'a bouncedx_engine::Diagnosis> {
    let at = ds.get(index.checked_sub(1)?);
    let Some(status) = status else { return at };
    let has = |d: &bouncedx_engine::Diagnosis| d.status.is_some_and(|s| s.to_string() == status);
    if at.is_some_and(has) {
        return at;
    }
    ds.iter().find(|d| has(d)).or(at)
}

/// Diagnoses every case with `engine` (replies as log lines of `as_log`'s
/// form, when given) and scores it.
pub fn score(engine: &Engine, cases: &[Case], as_log: Option<LogForm>) -> Vec<Scored> {
    let mut out = Vec::with_capacity(cases.len());
    // each e-mail is read once, however many of its recipients are labelled
    let mut emails: BTreeMap<std::path::PathBuf, Result<Vec<bouncedx_engine::Diagnosis>, String>> =
        BTreeMap::new();
    for c in cases {
        let (got, shown) = match &c.input {
            Input::Reply(reply) => {
                let d = match as_log {
                    Some(form) => match read_log_line(&as_log_line(form, reply)) {
                        LogLine::Rejection(r) => Some(engine.diagnose_log_record(&r)),
                        LogLine::Skip => None,
                    },
                    None => Some(engine.diagnose_reply(reply)),
                };
                (
                    d.ok_or("the log reader skipped the line".to_string()),
                    reply.clone(),
                )
            }
            Input::Email {
                file,
                index,
                status,
            } => {
                let all = emails.entry(file.clone()).or_insert_with(|| {
                    std::fs::read(file)
                        .map_err(|e| format!("cannot read: {e}"))
                        .and_then(|b| engine.diagnose_email(&b).map_err(|e| e.to_string()))
                });
                let d = match all {
                    Ok(ds) => pick_recipient(ds, *index, status.as_deref())
                        .cloned()
                        .ok_or_else(|| format!("no recipient {index} (found {})", ds.len())),
                    Err(e) => Err(e.clone()),
                };
                (d, c.key.clone())
            }
        };
        let (category, reason, rule, confidence) = match &got {
            Ok(d) => (
                d.category.to_string(),
                d.reason.to_string(),
                d.rule.as_deref().map(str::to_string),
                d.confidence,
            ),
            Err(e) => (format!("({e})"), format!("({e})"), None, 0.0),
        };
        out.push(Scored {
            line: c.line,
            half: half_of(&c.key),
            input: shown,
            category_ok: c.category.as_deref().map(|e| category_agrees(e, &category)),
            reason_ok: c.reason.as_deref().map(|e| e == reason),
            group_ok: c.reason.as_deref().map(|e| same_group(e, &reason)),
            expected_category: c.category.clone(),
            expected_reason: c.reason.clone(),
            category,
            reason,
            rule,
            confidence,
        });
    }
    out
}

/// Whether `got` is in the group of the expected reason (an expected
/// reason outside the vocabulary has no group: only itself agrees).
fn same_group(expected: &str, got: &str) -> bool {
    match bouncedx_dsl::vocab::reason_group(expected) {
        Some(g) => bouncedx_dsl::vocab::reason_group(got) == Some(g),
        None => expected == got,
    }
}

/// Agreement of some rows: how many are labelled, how many agree.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Tally {
    pub rows: usize,
    pub agree: usize,
}

impl Tally {
    pub fn share(&self) -> Option<f64> {
        (self.rows > 0).then(|| self.agree as f64 / self.rows as f64)
    }

    fn add(&mut self, ok: Option<bool>) {
        if let Some(ok) = ok {
            self.rows += 1;
            self.agree += usize::from(ok);
        }
    }
}

/// The figures of one set of rows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Figures {
    pub rows: usize,
    pub category: Tally,
    pub reason: Tally,
    /// The reason's group (`recipient`, `sender`, `content`, `transport`,
    /// `meta`), on rows labelled with a reason.
    pub group: Tally,
    /// Agree on everything labelled.
    pub overall: Tally,
}

impl Figures {
    fn of<'a>(rows: impl Iterator<Item = &'a Scored>) -> Figures {
        let mut f = Figures::default();
        for r in rows {
            f.rows += 1;
            f.category.add(r.category_ok);
            f.reason.add(r.reason_ok);
            f.group.add(r.group_ok);
            f.overall.add(Some(r.ok()));
        }
        f
    }
}

/// The fewest rows a half needs before the gap between the halves is a
/// finding: below it one row moves a half by more than 3 points.
pub const MIN_HALF_ROWS: usize = 34;

/// The share of random splits below which a gap between the halves is
/// more than chance: 5%.
pub const CHANCE: f64 = 0.05;

/// How often chance alone puts two halves of these sizes at least as far
/// apart as `tune` and `validate` are, when every row has the same chance
/// to agree: the two-sided p-value of the two-proportion z-test (normal
/// approximation, pooled share). A gap of 8 points between halves of 50
/// rows is common (p about 0.2); between halves of 500, it is not.
pub fn chance_of_gap(tune: &Tally, validate: &Tally) -> Option<f64> {
    if tune.rows == 0 || validate.rows == 0 {
        return None;
    }
    let (n1, n2) = (tune.rows as f64, validate.rows as f64);
    let pooled = (tune.agree + validate.agree) as f64 / (n1 + n2);
    let spread = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let gap = (tune.agree as f64 / n1 - validate.agree as f64 / n2).abs();
    if spread == 0.0 {
        return Some(if gap == 0.0 { 1.0 } else { 0.0 });
    }
    Some(erfc(gap / spread / std::f64::consts::SQRT_2))
}

/// The complementary error function, to within 1.2e-7 (Numerical Recipes'
/// `erfcc`, a Chebyshev fit).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The confidence bands, high to low: (name, lower bound).
pub const BANDS: &[(&str, f32)] = &[
    ("0.9 and up", HIGH),
    ("0.7 to 0.9", MEDIUM),
    ("0.4 to 0.7", LOW),
    ("below 0.4", f32::MIN),
];

/// The band of a confidence.
pub fn band_of(confidence: f32) -> &'static str {
    BANDS
        .iter()
        .find(|(_, low)| confidence >= *low - 1e-6)
        .map_or("below 0.4", |(name, _)| name)
}

/// Agreement per confidence band of some rows, by `verdict` (`None`: the
/// row is not counted).
fn tally_bands<'a>(
    rows: impl Iterator<Item = &'a Scored>,
    verdict: impl Fn(&Scored) -> Option<bool>,
) -> Vec<(String, Tally)> {
    let mut bands: Vec<(String, Tally)> = BANDS
        .iter()
        .map(|(n, _)| (n.to_string(), Tally::default()))
        .collect();
    for r in rows {
        let b = band_of(r.confidence);
        if let (Some(ok), Some((_, t))) = (verdict(r), bands.iter_mut().find(|(n, _)| n == b)) {
            t.add(Some(ok));
        }
    }
    bands
}

/// Agreement (on everything labelled) per confidence band, of some rows.
fn bands_of<'a>(rows: impl Iterator<Item = &'a Scored>) -> Vec<(String, Tally)> {
    tally_bands(rows, |r| Some(r.ok()))
}

/// Agreement on the cause alone (the category) per confidence band, of the
/// rows labelled with one: a set labelled with reasons too is scored on
/// both above, and a reason convention (blocked or badreputation for the
/// same refusal) is not a broken promise about the cause.
fn cause_bands_of<'a>(rows: impl Iterator<Item = &'a Scored>) -> Vec<(String, Tally)> {
    tally_bands(rows, |r| r.category_ok)
}

/// How one rule kept its promise: the rows it answered, per half.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleFigures {
    pub rule: String,
    /// The highest confidence it answered with (a contested answer is lower).
    pub confidence: f32,
    pub tune: Tally,
    pub validate: Tally,
    pub all: Tally,
}

/// Per rule that answered, its agreement per half: a rule's confidence is
/// a promise, and this is where a team sees which rule breaks it, sets it
/// on the tune half and checks it on the validate half. Rules with the
/// most misses first.
fn rules_of(rows: &[Scored]) -> Vec<RuleFigures> {
    let mut by_rule: BTreeMap<&str, RuleFigures> = BTreeMap::new();
    for r in rows {
        let Some(rule) = r.rule.as_deref() else {
            continue;
        };
        let f = by_rule.entry(rule).or_insert_with(|| RuleFigures {
            rule: rule.to_string(),
            confidence: r.confidence,
            tune: Tally::default(),
            validate: Tally::default(),
            all: Tally::default(),
        });
        f.confidence = f.confidence.max(r.confidence);
        let ok = Some(r.ok());
        match r.half {
            Half::Tune => f.tune.add(ok),
            Half::Validate => f.validate.add(ok),
        }
        f.all.add(ok);
    }
    let mut out: Vec<RuleFigures> = by_rule.into_values().collect();
    out.sort_by(|a, b| {
        (b.all.rows - b.all.agree)
            .cmp(&(a.all.rows - a.all.agree))
            .then(b.all.rows.cmp(&a.all.rows))
            .then(a.rule.cmp(&b.rule))
    });
    out
}

/// A tally as the human report prints it: `agree/rows share%`, or `-`
/// for no rows, 16 columns wide.
fn pct(t: &Tally) -> String {
    match t.share() {
        Some(s) => format!("{:>4}/{:<4} {:>5.1}%", t.agree, t.rows, s * 100.0),
        None => format!("{:>16}", "-"),
    }
}

/// A titled table of rules with their agreement per half, the first 12
/// (JSON lists every rule).
fn rule_table(o: &mut String, title: &str, rules: &[&RuleFigures]) {
    o.push_str(&format!("\n{title}\n"));
    o.push_str(&format!(
        "  {:<44} {:>16}  {:>16}  {:>16}\n",
        "rule (confidence)", "tune", "validate", "all"
    ));
    for r in rules.iter().take(12) {
        o.push_str(&format!(
            "  {:<44} {}  {}  {}\n",
            format!("{} ({:.2})", r.rule, r.confidence),
            pct(&r.tune),
            pct(&r.validate),
            pct(&r.all)
        ));
    }
    if rules.len() > 12 {
        o.push_str(&format!(
            "  ... {} more (--format json lists every rule)\n",
            rules.len() - 12
        ));
    }
}

/// The fewest tune rows on which a `medium` rule's share is read as a
/// broken promise: fewer say little either way.
const MIN_TUNE_ROWS: usize = 4;

/// Whether a rule at `medium` (0.7 to 0.9) is right less often than
/// `medium` promises (75%) on the tune half, the half a team sets
/// confidences on (the validate half then checks the new setting).
fn short_of_medium(r: &RuleFigures) -> bool {
    (MEDIUM..HIGH).contains(&r.confidence)
        && r.tune.rows >= MIN_TUNE_ROWS
        && (r.tune.agree as f64) < 0.75 * r.tune.rows as f64
}

/// One expected cause's agreement (on the category) in each half.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CauseFigures {
    pub cause: String,
    pub tune: Tally,
    pub validate: Tally,
    pub all: Tally,
}

/// Agreement on the category per expected cause, causes in the order of
/// [`NAMED_CAUSES`](crate::eval::NAMED_CAUSES) and `other` last; a cause no
/// row expects is left out.
fn causes_of(rows: &[Scored]) -> Vec<CauseFigures> {
    let order = crate::eval::NAMED_CAUSES.iter().copied().chain(["other"]);
    let mut out = Vec::new();
    for cause in order {
        let mut f = CauseFigures {
            cause: cause.to_string(),
            ..Default::default()
        };
        for r in rows
            .iter()
            .filter(|r| r.expected_category.as_deref() == Some(cause))
        {
            f.all.add(r.category_ok);
            match r.half {
                Half::Tune => f.tune.add(r.category_ok),
                Half::Validate => f.validate.add(r.category_ok),
            }
        }
        if f.all.rows > 0 {
            out.push(f);
        }
    }
    out
}

/// Everything `eval` reports on one labelled set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub set: String,
    pub all: Figures,
    pub tune: Figures,
    pub validate: Figures,
    /// Agreement (on everything labelled) per confidence band.
    pub bands: Vec<(String, Tally)>,
    /// The same, in each half: a band calibrated on the tune half keeps
    /// its promise only if the validate half agrees.
    pub tune_bands: Vec<(String, Tally)>,
    pub validate_bands: Vec<(String, Tally)>,
    /// Agreement on the category alone per band (all, tune, validate), when
    /// some rows are labelled with both a category and a reason; empty
    /// otherwise (the bands above are then the same figures).
    pub cause_bands: Vec<(String, Tally)>,
    pub tune_cause_bands: Vec<(String, Tally)>,
    pub validate_cause_bands: Vec<(String, Tally)>,
    /// Agreement on the category per expected cause, in each half: where
    /// a gap between the halves lies (empty when no row names a category).
    pub by_cause: Vec<CauseFigures>,
    /// (expected, got) -> rows, on the category when labelled, else the reason.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Per rule that answered: its agreement per half.
    pub rules: Vec<RuleFigures>,
    /// How often chance alone splits these rows into halves at least as far
    /// apart as the tune and validate halves are ([`chance_of_gap`]).
    pub gap_chance: Option<f64>,
    pub misses: Vec<Scored>,
}

impl Report {
    pub fn new(set: &str, scored: &[Scored]) -> Report {
        // the cause bands only say something new when rows carry a reason too
        let both = scored
            .iter()
            .any(|r| r.category_ok.is_some() && r.reason_ok.is_some());
        let (cause_bands, tune_cause_bands, validate_cause_bands) = if both {
            (
                cause_bands_of(scored.iter()),
                cause_bands_of(scored.iter().filter(|r| r.half == Half::Tune)),
                cause_bands_of(scored.iter().filter(|r| r.half == Half::Validate)),
            )
        } else {
            Default::default()
        };
        let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for r in scored {
            let (expected, got) = match &r.expected_category {
                Some(e) => (e.clone(), r.category.clone()),
                None => (
                    r.expected_reason.clone().unwrap_or_default(),
                    r.reason.clone(),
                ),
            };
            let got = if expected == "other" && r.category_ok == Some(true) {
                "other".to_string()
            } else {
                got
            };
            *confusion
                .entry(expected)
                .or_default()
                .entry(got)
                .or_default() += 1;
        }
        let by_cause = causes_of(scored);
        let tune = Figures::of(scored.iter().filter(|r| r.half == Half::Tune));
        let validate = Figures::of(scored.iter().filter(|r| r.half == Half::Validate));
        Report {
            set: set.to_string(),
            all: Figures::of(scored.iter()),
            gap_chance: chance_of_gap(&tune.overall, &validate.overall),
            tune,
            validate,
            bands: bands_of(scored.iter()),
            tune_bands: bands_of(scored.iter().filter(|r| r.half == Half::Tune)),
            validate_bands: bands_of(scored.iter().filter(|r| r.half == Half::Validate)),
            cause_bands,
            tune_cause_bands,
            validate_cause_bands,
            by_cause,
            confusion,
            rules: rules_of(scored),
            misses: scored.iter().filter(|r| !r.ok()).cloned().collect(),
        }
    }

    /// The agreement `--min` is held to: on everything labelled.
    pub fn agreement(&self) -> f64 {
        self.all.overall.share().unwrap_or(0.0)
    }

    /// The report for people; at most `misses` misses listed.
    pub fn human(&self, misses: usize) -> String {
        let mut o = format!("{}: {} rows\n\n", self.set, self.all.rows);
        o.push_str(&format!(
            "  {:<10} {:>5}  {:>16}  {:>16}  {:>16}\n",
            "half", "rows", "category", "reason", "reason group"
        ));
        for (name, f) in [
            ("tune", &self.tune),
            ("validate", &self.validate),
            ("all", &self.all),
        ] {
            o.push_str(&format!(
                "  {:<10} {:>5}  {}  {}  {}\n",
                name,
                f.rows,
                pct(&f.category),
                pct(&f.reason),
                pct(&f.group)
            ));
        }
        if let (Some(t), Some(v)) = (self.tune.overall.share(), self.validate.overall.share()) {
            let gap = (t - v).abs() * 100.0;
            let fewest = self.tune.rows.min(self.validate.rows);
            o.push_str(&format!(
                "  gap between the halves: {gap:.1} points{}\n",
                if fewest < MIN_HALF_ROWS {
                    format!(" (a half of {fewest} rows: one row moves it {:.0} points, too few to judge)", 100.0 / fewest.max(1) as f64)
                } else if gap > 3.0 {
                    match self.gap_chance {
                        Some(p) if p >= CHANCE => format!(
                            " (more than 3, but halves of {} and {} rows are this far apart by chance alone in {:.0}% of splits: not yet evidence that rules fit the tune half)",
                            self.tune.overall.rows,
                            self.validate.overall.rows,
                            p * 100.0
                        ),
                        _ => " (more than 3, and more than chance gives: rules fit the tune half, or the halves differ in kind)".to_string(),
                    }
                } else {
                    String::new()
                }
            ));
        }
        if self.by_cause.len() > 1 {
            o.push_str("\nagreement by expected cause (on the category)\n");
            o.push_str(&format!(
                "  {:<14} {:>16}  {:>16}  {:>16}\n",
                "cause", "tune", "validate", "all"
            ));
            for c in &self.by_cause {
                o.push_str(&format!(
                    "  {:<14} {}  {}  {}\n",
                    c.cause,
                    pct(&c.tune),
                    pct(&c.validate),
                    pct(&c.all)
                ));
            }
        }
        o.push_str(
            "\nagreement by confidence (the promise: 0.9 and up right 95%, 0.7 to 0.9 right 75%)\n",
        );
        o.push_str(&format!(
            "  {:<12} {:>16}  {:>16}  {:>16}\n",
            "band", "tune", "validate", "all"
        ));
        let band_rows = |o: &mut String,
                         all: &[(String, Tally)],
                         tune: &[(String, Tally)],
                         validate: &[(String, Tally)]| {
            for (((name, t), (_, tu)), (_, va)) in all.iter().zip(tune).zip(validate) {
                o.push_str(&format!(
                    "  {:<12} {}  {}  {}\n",
                    name,
                    pct(tu),
                    pct(va),
                    pct(t)
                ));
            }
        };
        band_rows(&mut o, &self.bands, &self.tune_bands, &self.validate_bands);
        if !self.cause_bands.is_empty() {
            o.push_str(
                "  on the cause alone (the category; the rows above also need the reason):\n",
            );
            band_rows(
                &mut o,
                &self.cause_bands,
                &self.tune_cause_bands,
                &self.validate_cause_bands,
            );
        }
        let broken: Vec<&RuleFigures> = self
            .rules
            .iter()
            .filter(|r| r.confidence >= HIGH && r.all.agree < r.all.rows)
            .collect();
        if !broken.is_empty() {
            let title = format!(
                "rules at 0.9 and up with misses ({} of {} such rules; most misses first)",
                broken.len(),
                self.rules.iter().filter(|r| r.confidence >= HIGH).count()
            );
            rule_table(&mut o, &title, &broken);
        }
        let short: Vec<&RuleFigures> = self.rules.iter().filter(|r| short_of_medium(r)).collect();
        if !short.is_empty() {
            let title = format!(
                "rules at 0.7 to 0.9 right less than 75% on the tune half ({} of {} such rules, \
                 at least {MIN_TUNE_ROWS} tune rows each; lower their confidence, or narrow them)",
                short.len(),
                self.rules
                    .iter()
                    .filter(|r| (MEDIUM..HIGH).contains(&r.confidence))
                    .count()
            );
            rule_table(&mut o, &title, &short);
        }
        o.push_str("\nconfusion (expected -> what bouncedx said: rows)\n");
        for (expected, got) in &self.confusion {
            let total: usize = got.values().sum();
            let mut parts: Vec<(&String, &usize)> = got.iter().collect();
            parts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let parts: Vec<String> = parts
                .iter()
                .map(|(g, n)| {
                    if *g == expected {
                        format!("{g} {n} (right)")
                    } else {
                        format!("{g} {n}")
                    }
                })
                .collect();
            o.push_str(&format!("  {expected} ({total}): {}\n", parts.join(", ")));
        }
        if !self.misses.is_empty() {
            o.push_str(&format!(
                "\nmisses ({}{})\n",
                self.misses.len(),
                if self.misses.len() > misses {
                    format!(", first {misses}; --misses N for more")
                } else {
                    String::new()
                }
            ));
            for m in self.misses.iter().take(misses) {
                let expected = [m.expected_category.as_deref(), m.expected_reason.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("/");
                let text: String = m.input.chars().take(140).collect();
                o.push_str(&format!(
                    "  line {} [{}] expected {expected}, got {}/{} ({}, {:.2}): {text}\n",
                    m.line,
                    m.half.name(),
                    m.category,
                    m.reason,
                    m.rule.as_deref().unwrap_or("no rule"),
                    m.confidence
                ));
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of one half, `right` of them agreeing.
    fn rows(half: Half, n: usize, right: usize) -> Vec<Scored> {
        (0..n)
            .map(|i| Scored {
                line: i + 1,
                half,
                input: format!("row {i}"),
                expected_category: Some("recipient".into()),
                expected_reason: None,
                category: "recipient".into(),
                reason: "userunknown".into(),
                rule: None,
                confidence: 0.9,
                category_ok: Some(i < right),
                reason_ok: None,
                group_ok: None,
            })
            .collect()
    }

    #[test]
    fn a_reason_in_the_expected_group_agrees_on_the_group() {
        // Sisimai's `filtered` and bouncedx's `spamdetected`: both content
        assert!(same_group("filtered", "spamdetected"));
        assert!(!same_group("filtered", "userunknown"));
        // a reason outside the vocabulary has no group: only itself agrees
        assert!(!same_group("speeding", "ratelimited"));
        assert!(same_group("speeding", "speeding"));
        // an answer that is an error is in no group
        assert!(!same_group("userunknown", "(no recipient 2 (found 1))"));
    }

    #[test]
    fn causes_are_told_apart_per_half() {
        let mut all = rows(Half::Tune, 10, 9);
        all.extend(rows(Half::Validate, 10, 6));
        let mut content = rows(Half::Validate, 4, 1);
        for r in &mut content {
            r.expected_category = Some("content".into());
        }
        all.extend(content);
        let report = Report::new("set", &all);
        let causes: Vec<(&str, usize, usize, usize, usize)> = report
            .by_cause
            .iter()
            .map(|c| {
                (
                    c.cause.as_str(),
                    c.tune.agree,
                    c.tune.rows,
                    c.validate.agree,
                    c.validate.rows,
                )
            })
            .collect();
        // named causes in their fixed order, only those expected
        assert_eq!(
            causes,
            [("content", 0, 0, 1, 4), ("recipient", 9, 10, 6, 10)]
        );
        let human = report.human(0);
        assert!(human.contains("agreement by expected cause"), "{human}");
        assert!(
            human
                .lines()
                .any(|l| l.trim_start().starts_with("recipient") && l.contains("6/10")),
            "{human}"
        );
    }

    #[test]
    fn a_gap_is_a_finding_only_when_the_halves_can_show_one() {
        let gap_line = |tune: Vec<Scored>, validate: Vec<Scored>| {
            let all: Vec<Scored> = tune.into_iter().chain(validate).collect();
            Report::new("set", &all)
                .human(0)
                .lines()
                .find(|l| l.contains("gap between the halves"))
                .unwrap()
                .to_string()
        };
        // 40 rows a half: 100% against 90% is a finding
        let l = gap_line(rows(Half::Tune, 40, 40), rows(Half::Validate, 40, 36));
        assert!(l.contains("10.0 points (more than 3"), "{l}");
        // 7 rows a half: one row is 14 points, too few to judge
        let l = gap_line(rows(Half::Tune, 7, 7), rows(Half::Validate, 7, 6));
        assert!(l.contains("too few to judge"), "{l}");
        // within 3 points: no remark
        let l = gap_line(rows(Half::Tune, 40, 40), rows(Half::Validate, 40, 39));
        assert!(l.ends_with("2.5 points"), "{l}");
        // 50 rows a half, 90% against 82%: chance does that often
        let l = gap_line(rows(Half::Tune, 50, 45), rows(Half::Validate, 50, 41));
        assert!(l.contains("by chance alone in 25% of splits"), "{l}");
    }

    #[test]
    fn the_chance_of_a_gap_is_the_two_proportion_test() {
        let t = |rows, agree| Tally { rows, agree };
        // z = 1.96 gives 5%
        let p = chance_of_gap(&t(1000, 550), &t(1000, 506)).unwrap();
        assert!((p - 0.049).abs() < 0.002, "{p}");
        assert_eq!(chance_of_gap(&t(10, 10), &t(10, 10)), Some(1.0));
        assert_eq!(chance_of_gap(&t(0, 0), &t(10, 10)), None);
    }

    #[test]
    fn rules_that_break_their_promise_are_named_per_half() {
        let mut all = rows(Half::Tune, 20, 18);
        all.extend(rows(Half::Validate, 10, 10));
        for r in all.iter_mut() {
            r.rule = Some("core/user_unknown".into());
        }
        let mut other = rows(Half::Tune, 3, 3);
        for r in other.iter_mut() {
            r.rule = Some("core/mailbox_full".into());
        }
        all.extend(other);
        let report = Report::new("set", &all);
        let f = &report.rules[0];
        assert_eq!(f.rule, "core/user_unknown");
        assert_eq!((f.tune.agree, f.tune.rows), (18, 20));
        assert_eq!((f.validate.agree, f.validate.rows), (10, 10));
        let human = report.human(0);
        assert!(
            human.contains("rules at 0.9 and up with misses (1 of 2"),
            "{human}"
        );
        assert!(human.contains("core/user_unknown (0.90)"), "{human}");
        assert!(!human.contains("core/mailbox_full (0.90)"), "{human}");
    }

    #[test]
    fn medium_rules_short_of_their_promise_on_the_tune_half_are_named() {
        let medium = |rule: &'static str, half: Half, n: usize, right: usize| {
            rows(half, n, right).into_iter().map(move |mut r| {
                r.rule = Some(rule.to_string());
                r.confidence = 0.7;
                r
            })
        };
        let all: Vec<Scored> = medium("core/organisation_policy", Half::Tune, 8, 5)
            .chain(medium("core/organisation_policy", Half::Validate, 8, 8))
            // right 3 of 4 on the tune half: the promise, kept
            .chain(medium("core/kept", Half::Tune, 4, 3))
            // right 0 of 3: too few tune rows to say
            .chain(medium("core/few_rows", Half::Tune, 3, 0))
            .collect();
        let human = Report::new("set", &all).human(0);
        assert!(
            human.contains("rules at 0.7 to 0.9 right less than 75% on the tune half (1 of 3"),
            "{human}"
        );
        assert!(human.contains("core/organisation_policy (0.70)"), "{human}");
        assert!(!human.contains("core/kept (0.70)"), "{human}");
        assert!(!human.contains("core/few_rows (0.70)"), "{human}");
    }

    #[test]
    fn bands_cover_every_confidence() {
        assert_eq!(band_of(0.99), "0.9 and up");
        assert_eq!(band_of(0.9), "0.9 and up");
        assert_eq!(band_of(0.7), "0.7 to 0.9");
        assert_eq!(band_of(0.4), "0.4 to 0.7");
        assert_eq!(band_of(0.0), "below 0.4");
    }

    #[test]
    fn a_reply_becomes_a_postfix_line_with_its_status() {
        let l = as_log_line(LogForm::Postfix, "421 4.7.0 [TSS04] deferred");
        assert!(l.contains("dsn=4.7.0, status=deferred"), "{l}");
        assert!(
            l.contains("said: 421 4.7.0 [TSS04] deferred (in reply"),
            "{l}"
        );
        let l = as_log_line(LogForm::Postfix, "554 refused");
        assert!(l.contains("dsn=5.0.0, status=bounced"), "{l}");
        // no code, but the words defer: logged as Postfix would have
        let l = as_log_line(
            LogForm::Postfix,
            "Mail from 192.0.2.7 deferred using Trend Micro Email Reputation database",
        );
        assert!(l.contains("dsn=4.0.0, status=deferred"), "{l}");
        // a code decides over the words
        let l = as_log_line(LogForm::Postfix, "554 temporarily blocked for spam");
        assert!(l.contains("dsn=5.0.0, status=bounced"), "{l}");
        // a status joined to the code by a hyphen is still the status
        let l = as_log_line(
            LogForm::Postfix,
            "421-4.7.28 Gmail has detected an unusual rate of mail",
        );
        assert!(l.contains("dsn=4.7.28, status=deferred"), "{l}");
    }

    /// Each form's line is read back by the log reader as a rejection of
    /// the recipient the reply names, with the reply's words whole (a
    /// bracket, a quote, a second "rejected: " inside the reply included).
    #[test]
    fn every_log_form_reads_back_as_the_same_reply() {
        let replies = [
            "554 Message not allowed - [299]",
            "450 4.7.1 <ann@example.net>: Recipient address rejected: Greylisted for 300 seconds",
            "550 5.7.1 \"quoted\" words, with a comma",
            "Mail from 192.0.2.7 deferred using Trend Micro Email Reputation database",
        ];
        for form in [
            LogForm::Postfix,
            LogForm::Exim,
            LogForm::Haraka,
            LogForm::Exchange,
            LogForm::Opensmtpd,
            LogForm::Qmail,
        ] {
            for reply in replies {
                let line = as_log_line(form, reply);
                let LogLine::Rejection(r) = read_log_line(&line) else {
                    panic!("{form:?} skipped: {line}");
                };
                let facts = parse_reply(&r.reply);
                assert!(
                    facts
                        .text
                        .contains(reply.split_once(' ').map_or(reply, |(_, rest)| rest)),
                    "{form:?}: {line} read as {}",
                    facts.text
                );
                // qmail names the recipient on an earlier line
                if reply.contains("ann@") && form != LogForm::Qmail {
                    assert_eq!(r.recipient.as_deref(), Some("ann@example.net"), "{form:?}");
                }
            }
        }
    }
}
