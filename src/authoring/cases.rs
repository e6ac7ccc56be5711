//! Test cases of a pack (`tests/*.yaml`) and their snapshots.
//!
//! ```yaml
//! cases:
//!   - name: spamhaus listing
//!     reply: "550 5.7.1 Client host [192.0.2.7] blocked using zen.spamhaus.org"
//!     expect: core/ip_on_blocklist        # this rule must be the diagnosis
//!   - name: deferral line
//!     log: "Jun 17 ... status=deferred (host ... said: 421 4.7.0 [TSS04] ...)"
//!     expect_not: [core/user_unknown]     # these rules must not fire
//!     fires: [core/rate_limited]          # these must fire (top or alternative)
//!   - name: a bounce we do not read yet
//!     email: bounces/odd.eml              # a path relative to the case file
//!     expect: acme/odd_bounce
//!     todo: "the recipient block is not found"   # known miss: reported, not failed
//!   - name: an ESP event
//!     event: '{"event":"dropped","email":"a@example.com","reason":"Bounced Address"}'
//!     expect: core/esp_suppressed
//! ```
//!
//! Each case's full diagnosis is kept as a snapshot next to the case file
//! (`tests/snapshots/<file>__<case>.snap`, insta's format, so `cargo insta
//! review` can read them too). A run compares the diagnosis with the
//! snapshot; on a difference it writes `.snap.new` and prints a diff, and
//! `--accept` makes the new one the snapshot.

use bouncedx_engine::{Diagnosis, Engine};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    pub cases: Vec<Case>,
}

/// One case: a name, one input, and what must (not) fire.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub reply: Option<String>,
    #[serde(default)]
    pub log: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// A webhook event or JSON log record (any sender `scan` reads) as
    /// JSON text; its first recipient is the one checked.
    #[serde(default)]
    pub event: Option<String>,
    /// The rule that must be the diagnosis.
    #[serde(default)]
    pub expect: Option<String>,
    /// Rules that must fire, as the diagnosis or an alternative.
    #[serde(default)]
    pub fires: Vec<String>,
    /// Rules that must not fire at all.
    #[serde(default)]
    pub expect_not: Vec<String>,
    /// A known miss: why. The case runs and is reported, never failed.
    #[serde(default)]
    pub todo: Option<String>,
    /// Verdicts the checks are taken to return (`dnsbl.ip: fail`), for
    /// rules that refine a diagnosis from checks; no plugin runs.
    #[serde(default)]
    pub checks: std::collections::BTreeMap<String, String>,
    /// Expectations only, no snapshot (a rule's counterexamples).
    #[serde(skip)]
    pub no_snapshot: bool,
}

/// The name of the virtual case file that holds a pack's rule examples.
pub const EXAMPLES: &str = "examples.yaml";

/// Every `example` and `counterexample` of the pack's rules, as cases: an
/// example must make its rule the diagnosis (and its diagnosis is
/// snapshotted), a counterexample must not make it fire. So every rule has
/// cases, written where the rule is.
pub fn example_cases(rs: &bouncedx_engine::Ruleset, pack: &str) -> Vec<Case> {
    let prefix = format!("{pack}/");
    let mut out = Vec::new();
    for rule in rs.rules.iter().filter(|r| r.id.starts_with(&prefix)) {
        let short = &rule.id[prefix.len()..];
        for (n, e) in rule.examples.iter().enumerate() {
            out.push(Case {
                name: format!("{short} example {}", n + 1),
                reply: Some(e.clone()),
                log: None,
                email: None,
                event: None,
                expect: None,
                fires: vec![rule.id.to_string()],
                expect_not: Vec::new(),
                todo: None,
                checks: Default::default(),
                no_snapshot: false,
            });
        }
        for (n, c) in rule.counterexamples.iter().enumerate() {
            out.push(Case {
                name: format!("{short} counterexample {}", n + 1),
                reply: Some(c.clone()),
                log: None,
                email: None,
                event: None,
                expect: None,
                fires: Vec::new(),
                expect_not: vec![rule.id.to_string()],
                todo: None,
                checks: Default::default(),
                no_snapshot: true,
            });
        }
    }
    out
}

/// How one case went.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Passed,
    /// Expectations failed (the messages say which).
    Failed(Vec<String>),
    /// The snapshot differs (or is missing); the diff to show.
    SnapshotChanged {
        diff: String,
        new_path: PathBuf,
    },
    Todo(String),
}

/// Reads the diagnoses a case's input yields.
/// The diagnoses of a case's input (`base` is the case file's folder).
pub fn diagnose(engine: &Engine, case: &Case, base: &Path) -> Result<Vec<Diagnosis>, String> {
    if !case.checks.is_empty() {
        for (check, verdict) in &case.checks {
            if !bouncedx_dsl::vocab::VERDICTS.contains(&verdict.as_str()) {
                return Err(format!(
                    "`checks: {{{check}: {verdict}}}`: not a verdict (pass, fail, warn, unknown or error)"
                ));
            }
        }
        let stated = Engine::new(engine.ruleset.clone())
            .with_checks(std::sync::Arc::new(StatedVerdicts(case.checks.clone())));
        let mut plain = case.clone_without_checks();
        plain.checks.clear();
        return diagnose(&stated, &plain, base);
    }
    match (&case.reply, &case.log, &case.email, &case.event) {
        (Some(r), None, None, None) => Ok(vec![engine.diagnose_reply(r)]),
        (None, Some(l), None, None) => match bouncedx_engine::intake::log::read_log_line(l) {
            bouncedx_engine::intake::log::LogLine::Rejection(r) => {
                Ok(vec![engine.diagnose_log_record(&r)])
            }
            bouncedx_engine::intake::log::LogLine::Skip => {
                Err("the log line is not a rejection (bouncedx skips it)".into())
            }
        },
        (None, None, Some(p), None) => {
            let path = base.join(p);
            let bytes =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            engine.diagnose_email(&bytes).map_err(|e| e.to_string())
        }
        (None, None, None, Some(json)) => {
            let value: serde_json::Value =
                serde_json::from_str(json).map_err(|e| format!("the event is not JSON: {e}"))?;
            let records =
                bouncedx_engine::intake::webhook::read_event(&value).map_err(|e| e.to_string())?;
            Ok(records.iter().map(|r| engine.diagnose_event(r)).collect())
        }
        _ => Err("a case needs exactly one of `reply`, `log`, `email` or `event`".into()),
    }
}

/// Check results as a case states them: the verdict given, or `skipped`
/// for a check the case says nothing about.
struct StatedVerdicts(std::collections::BTreeMap<String, String>);

impl bouncedx_engine::checks::CheckRunner for StatedVerdicts {
    fn run(
        &self,
        check: &str,
        params: &[(String, String)],
    ) -> bouncedx_engine::checks::CheckOutcome {
        use bouncedx_engine::checks::CheckOutcome;
        match self.0.get(check) {
            Some(v) => CheckOutcome {
                check: check.into(),
                params: params.to_vec(),
                status: v.clone(),
                summary: "as the case states".into(),
                facts: Vec::new(),
                millis: 0.0,
            },
            None => CheckOutcome::skipped(
                check,
                params.to_vec(),
                "not run: the case states no verdict".into(),
            ),
        }
    }
}

impl Case {
    fn clone_without_checks(&self) -> Case {
        Case {
            name: self.name.clone(),
            reply: self.reply.clone(),
            log: self.log.clone(),
            email: self.email.clone(),
            event: self.event.clone(),
            expect: self.expect.clone(),
            fires: self.fires.clone(),
            expect_not: self.expect_not.clone(),
            todo: self.todo.clone(),
            checks: Default::default(),
            no_snapshot: self.no_snapshot,
        }
    }
}

/// `spamhaus listing` → `spamhaus_listing`.
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s.split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The snapshot's path for a case of `case_file`.
pub fn snapshot_path(case_file: &Path, case: &Case) -> PathBuf {
    let stem = case_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    case_file
        .parent()
        .unwrap_or(Path::new("."))
        .join("snapshots")
        .join(format!("{stem}__{}.snap", slug(&case.name)))
}

/// The snapshot text: insta's header, then the diagnoses as JSON.
fn snapshot_text(case_file: &Path, case: &Case, ds: &[Diagnosis]) -> String {
    let body = if ds.len() == 1 {
        serde_json::to_string_pretty(&ds[0])
    } else {
        serde_json::to_string_pretty(ds)
    }
    .expect("diagnoses serialise");
    format!(
        "---\nsource: {}\nexpression: {:?}\n---\n{body}\n",
        case_file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        case.name
    )
}

/// The content of a snapshot file, header removed.
fn snapshot_body(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|p| &rest[p + 5..]))
        .unwrap_or(text)
}

/// A unified diff of two snapshot bodies, old then new.
fn diff(old: &str, new: &str) -> String {
    let d = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for hunk in d.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&format!("{hunk}"));
    }
    out
}

/// Runs one case: expectations first, then the snapshot.
pub fn run_case(engine: &Engine, case_file: &Path, case: &Case, accept: bool) -> Outcome {
    let base = case_file.parent().unwrap_or(Path::new("."));
    let ds = match diagnose(engine, case, base) {
        Ok(ds) => ds,
        Err(e) => {
            return match &case.todo {
                Some(why) => Outcome::Todo(format!("{why} ({e})")),
                None => Outcome::Failed(vec![e]),
            };
        }
    };
    let mut problems = Vec::new();
    // A rule named by the case that no loaded pack defines is a typo, not
    // a rule that "did not fire".
    let named = case
        .expect
        .iter()
        .chain(&case.fires)
        .chain(&case.expect_not);
    for id in named {
        if !engine.ruleset.rules.iter().any(|r| *r.id == **id) {
            let near = engine
                .ruleset
                .rules
                .iter()
                .map(|r| (strsim::levenshtein(&r.id, id), &r.id))
                .min()
                .filter(|(d, _)| *d <= 3)
                .map(|(_, r)| format!(" (did you mean `{r}`?)"))
                .unwrap_or_default();
            problems.push(format!("no loaded pack has a rule `{id}`{near}"));
        }
    }
    if !problems.is_empty() {
        return Outcome::Failed(problems);
    }
    if let Some(want) = &case.expect {
        let top = ds.first().and_then(|d| d.rule.as_deref());
        if top != Some(want.as_str()) {
            problems.push(format!(
                "expected `{want}` to be the diagnosis, got {}",
                top.map_or_else(
                    || "no rule (the code-only fallback)".to_string(),
                    |r| format!("`{r}`")
                )
            ));
        }
    }
    for must in &case.fires {
        let fired = ds.iter().any(|d| {
            d.rule.as_deref() == Some(must.as_str()) || d.fired.iter().any(|r| **r == **must)
        });
        if !fired {
            problems.push(format!("`{must}` did not fire"));
        }
    }
    for not in &case.expect_not {
        let fired = ds.iter().any(|d| {
            d.rule.as_deref() == Some(not.as_str()) || d.fired.iter().any(|r| **r == **not)
        });
        if fired {
            problems.push(format!("`{not}` fired, and must not"));
        }
    }
    if let Some(why) = &case.todo {
        return Outcome::Todo(if problems.is_empty() {
            format!("{why} (it passes now: remove `todo`)")
        } else {
            why.clone()
        });
    }
    if !problems.is_empty() {
        return Outcome::Failed(problems);
    }
    if case.no_snapshot {
        return Outcome::Passed;
    }
    let path = snapshot_path(case_file, case);
    let new_text = snapshot_text(case_file, case, &ds);
    let new_path = path.with_extension("snap.new");
    let old = std::fs::read_to_string(&path).ok();
    if old.as_deref().map(snapshot_body) == Some(snapshot_body(&new_text)) {
        let _ = std::fs::remove_file(&new_path);
        return Outcome::Passed;
    }
    if accept {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        return match std::fs::write(&path, &new_text) {
            Ok(()) => {
                let _ = std::fs::remove_file(&new_path);
                Outcome::Passed
            }
            Err(e) => Outcome::Failed(vec![format!("cannot write {}: {e}", path.display())]),
        };
    }
    if let Some(dir) = new_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&new_path, &new_text);
    let diff = match &old {
        Some(o) => diff(snapshot_body(o), snapshot_body(&new_text)),
        None => format!("(no snapshot yet)\n{}", snapshot_body(&new_text)),
    };
    Outcome::SnapshotChanged { diff, new_path }
}

/// Every case file of a pack: `tests/*.yaml`, sorted.
pub fn case_files(pack: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(pack.join("tests"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    out.sort();
    out
}

/// Reads a case file; errors name the file.
pub fn load(path: &Path) -> Result<CaseFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let file: CaseFile = crate::authoring::yaml::parse(
        &text,
        &path.display().to_string(),
        "a case file is `cases:` then a list of cases with `name`, one of `reply`/`log`/`email`/`event`, and `expect`, `expect_not` or `todo`",
    )?;
    // Each case's snapshot is named after it: two cases with one name
    // would share one snapshot, and each run would overwrite the other's.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, case) in file.cases.iter().enumerate() {
        if let Some(first) = seen.insert(slug(&case.name), i + 1) {
            return Err(format!(
                "{}: cases {first} and {} are both named `{}`\n  = help: give each case its own name: its snapshot is named after it",
                path.display(),
                i + 1,
                case.name
            ));
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cases_with_one_name_are_an_error() {
        let dir = std::env::temp_dir().join(format!("bouncedx-cases-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("c.yaml");
        std::fs::write(
            &f,
            "cases:\n  - name: Same name\n    reply: \"550 5.1.1 x\"\n  - name: same NAME\n    reply: \"550 5.1.1 y\"\n",
        )
        .unwrap();
        let e = load(&f).unwrap_err();
        assert!(e.contains("cases 1 and 2 are both named"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn slugs_and_snapshot_bodies() {
        assert_eq!(slug("Spamhaus listing (IP)!"), "spamhaus_listing_ip");
        assert_eq!(
            snapshot_body("---\nsource: a\nexpression: \"b\"\n---\n{}\n"),
            "{}\n"
        );
        assert!(diff("a\nb\n", "a\nc\n").contains("-b\n+c"));
    }
}
