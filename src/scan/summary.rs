//! The aggregate report of a scan (`--summary`): how many rejections, and
//! broken down by category, what the answers concern, reason, provider, the software that wrote the
//! bounce or log line, receiving domain and sending IP, with the most
//! frequent diagnoses and an example of each.
//!
//! Counts are kept as results stream past; nothing else of a result is kept
//! except one example per rule. The breakdowns whose values are open-ended
//! (receiving domain, sending IP, provider, writer) are [`Tally`]s: exact up to
//! 4,096 distinct values, then heavy-hitter counts with a stated error, so
//! memory stays bounded however many results and distinct values there are.

use crate::scan::tally::Tally;
use bouncedx_engine::Diagnosis;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// How many rows each breakdown shows.
pub const TOP: usize = 10;

#[derive(Debug, Default)]
pub struct Summary {
    pub results: u64,
    pub documents: u64,
    pub lines: u64,
    pub skipped: u64,
    pub errors: u64,
    category: Tally,
    concerns: Tally,
    reason: Tally,
    provider: Tally,
    mta: Tally,
    domain: Tally,
    client_ip: Tally,
    /// rule → (count, diagnosis, example text)
    rules: HashMap<String, (u64, String, String)>,
}

fn bump(tally: &mut Tally, key: Option<&str>) {
    tally.bump(key.unwrap_or("(none)"));
}

/// One row of a breakdown.
#[derive(Debug, Serialize)]
pub struct Row {
    pub key: String,
    pub count: u64,
}

/// A frequent diagnosis with an example.
#[derive(Debug, Serialize)]
pub struct TopDiagnosis {
    pub rule: String,
    pub count: u64,
    pub diagnosis: String,
    pub example: String,
}

/// The report, ready to render.
#[derive(Debug, Serialize)]
pub struct Report {
    pub results: u64,
    pub inputs_read: u64,
    pub log_lines: u64,
    pub log_lines_skipped: u64,
    pub unreadable_inputs: u64,
    pub by_category: Vec<Row>,
    /// By what the answers are about (`concerns`): who acts on them.
    pub by_concerns: Vec<Row>,
    pub by_reason: Vec<Row>,
    pub by_provider: Vec<Row>,
    /// By the software that wrote the bounce or the log line (`mta`).
    pub by_mta: Vec<Row>,
    pub by_domain: Vec<Row>,
    pub by_client_ip: Vec<Row>,
    pub top_diagnoses: Vec<TopDiagnosis>,
    /// The breakdowns that saw more distinct values than are kept, with how
    /// far their counts may be from the truth (`{"by_domain": 3}`); absent
    /// when every count is exact.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub approximate: BTreeMap<&'static str, u64>,
}

impl Summary {
    pub fn add(&mut self, d: &Diagnosis) {
        self.results += 1;
        bump(&mut self.category, Some(&d.category));
        bump(&mut self.concerns, d.concerns.map(|c| c.word()));
        bump(&mut self.reason, Some(&d.reason));
        bump(&mut self.provider, d.provider.as_deref());
        bump(&mut self.mta, d.mta.as_deref());
        let domain = d
            .recipient
            .as_deref()
            .and_then(|r| r.rsplit_once('@'))
            .map(|(_, dom)| dom);
        bump(&mut self.domain, domain);
        bump(&mut self.client_ip, d.client_ip.as_deref());
        let rule = d.rule.as_deref().unwrap_or("(no rule: fallback)");
        match self.rules.get_mut(rule) {
            Some(e) => e.0 += 1,
            None => {
                let example = d.text.chars().take(200).collect();
                self.rules
                    .insert(rule.to_string(), (1, d.diagnosis.clone(), example));
            }
        }
    }

    /// Adds the counts of a later part of the scan (a worker's batch):
    /// each rule keeps the example seen first in input order.
    pub fn merge(&mut self, later: Summary) {
        self.results += later.results;
        self.documents += later.documents;
        self.lines += later.lines;
        self.skipped += later.skipped;
        self.errors += later.errors;
        for (mine, theirs) in [
            (&mut self.category, later.category),
            (&mut self.concerns, later.concerns),
            (&mut self.reason, later.reason),
            (&mut self.provider, later.provider),
            (&mut self.mta, later.mta),
            (&mut self.domain, later.domain),
            (&mut self.client_ip, later.client_ip),
        ] {
            mine.merge(theirs);
        }
        for (rule, (n, diagnosis, example)) in later.rules {
            self.rules
                .entry(rule)
                .and_modify(|e| e.0 += n)
                .or_insert((n, diagnosis, example));
        }
    }

    pub fn report(&self) -> Report {
        fn top(tally: &Tally) -> Vec<Row> {
            tally
                .top(TOP)
                .into_iter()
                .map(|(key, count)| Row { key, count })
                .collect()
        }
        let approximate = [
            ("by_category", &self.category),
            ("by_concerns", &self.concerns),
            ("by_reason", &self.reason),
            ("by_provider", &self.provider),
            ("by_mta", &self.mta),
            ("by_domain", &self.domain),
            ("by_client_ip", &self.client_ip),
        ]
        .into_iter()
        .filter(|(_, t)| t.error() > 0)
        .map(|(name, t)| (name, t.error()))
        .collect();
        let mut diags: Vec<TopDiagnosis> = self
            .rules
            .iter()
            .map(|(rule, (count, diagnosis, example))| TopDiagnosis {
                rule: rule.clone(),
                count: *count,
                diagnosis: diagnosis.clone(),
                example: example.clone(),
            })
            .collect();
        diags.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(&b.rule)));
        diags.truncate(TOP);
        Report {
            results: self.results,
            inputs_read: self.documents,
            log_lines: self.lines,
            log_lines_skipped: self.skipped,
            unreadable_inputs: self.errors,
            by_category: top(&self.category),
            by_concerns: top(&self.concerns),
            by_reason: top(&self.reason),
            by_provider: top(&self.provider),
            by_mta: top(&self.mta),
            by_domain: top(&self.domain),
            by_client_ip: top(&self.client_ip),
            top_diagnoses: diags,
            approximate,
        }
    }
}

impl Report {
    fn sections(&self) -> [(&'static str, &Vec<Row>, &'static str); 7] {
        [
            ("category", &self.by_category, "by_category"),
            ("concerns", &self.by_concerns, "by_concerns"),
            ("reason", &self.by_reason, "by_reason"),
            ("provider", &self.by_provider, "by_provider"),
            ("writer", &self.by_mta, "by_mta"),
            ("receiving domain", &self.by_domain, "by_domain"),
            ("sending IP", &self.by_client_ip, "by_client_ip"),
        ]
    }

    /// The note under a breakdown whose counts are approximate.
    fn approximation(&self, field: &str) -> Option<String> {
        self.approximate.get(field).map(|e| {
            format!(
                "more than {} distinct values: the most frequent are kept, each count within {e} of the truth",
                crate::scan::tally::KEEP
            )
        })
    }

    fn headline(&self) -> String {
        format!(
            "{} results from {} e-mails/documents and {} log lines ({} not rejections); {} unreadable inputs",
            self.results, self.inputs_read, self.log_lines, self.log_lines_skipped, self.unreadable_inputs
        )
    }

    fn pct(&self, n: u64) -> String {
        if self.results == 0 {
            "-".into()
        } else {
            format!("{:.1}%", n as f64 * 100.0 / self.results as f64)
        }
    }

    /// A plain-text table for the terminal.
    pub fn table(&self) -> String {
        let mut out = format!("{}\n", self.headline());
        for (title, rows, field) in self.sections() {
            out.push_str(&format!("\nby {title}\n"));
            if let Some(note) = self.approximation(field) {
                out.push_str(&format!("  ({note})\n"));
            }
            let w = rows.iter().map(|r| r.key.len()).max().unwrap_or(0).max(8);
            for r in rows {
                out.push_str(&format!(
                    "  {:<w$}  {:>8}  {:>6}\n",
                    r.key,
                    r.count,
                    self.pct(r.count)
                ));
            }
        }
        out.push_str("\ntop diagnoses\n");
        for d in &self.top_diagnoses {
            out.push_str(&format!(
                "  {:>8}  {}\n            {}\n            e.g. {}\n",
                d.count, d.rule, d.diagnosis, d.example
            ));
        }
        out
    }

    /// Markdown for dashboards and tickets.
    pub fn markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|");
        let mut out = format!("# bouncedx scan summary\n\n{}\n", self.headline());
        for (title, rows, field) in self.sections() {
            out.push_str(&format!("\n## By {title}\n\n"));
            if let Some(note) = self.approximation(field) {
                out.push_str(&format!("_{note}_\n\n"));
            }
            out.push_str(&format!(
                "| {title} | count | share |\n| --- | ---: | ---: |\n"
            ));
            for r in rows {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    cell(&r.key),
                    r.count,
                    self.pct(r.count)
                ));
            }
        }
        out.push_str("\n## Top diagnoses\n\n| count | rule | diagnosis | example |\n| ---: | --- | --- | --- |\n");
        for d in &self.top_diagnoses {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                d.count,
                d.rule,
                cell(&d.diagnosis),
                cell(&d.example)
            ));
        }
        out
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::Summary;

    /// Workers count their own results and the writer merges the parts in
    /// input order: the report must be the one a single count would give,
    /// first example per rule included.
    #[test]
    fn merged_parts_report_what_one_count_reports() {
        let engine = crate::default_engine();
        let replies = [
            "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown",
            "552 5.2.2 <bob@example.net>: mailbox full",
            "550 5.1.1 <cat@example.org>... User unknown",
            "554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org",
            "550 5.1.1 <dan@example.com> No such user",
        ];
        let ds: Vec<_> = replies.iter().map(|r| engine.diagnose_reply(r)).collect();
        let mut whole = Summary::default();
        ds.iter().for_each(|d| whole.add(d));
        let mut merged = Summary::default();
        for chunk in ds.chunks(2) {
            let mut part = Summary {
                lines: 2,
                ..Summary::default()
            };
            chunk.iter().for_each(|d| part.add(d));
            merged.merge(part);
        }
        assert_eq!(merged.lines, 6);
        merged.lines = 0;
        assert_eq!(merged.report().json(), whole.report().json());
        let top = &merged.report().top_diagnoses[0];
        assert_eq!((top.rule.as_str(), top.count), ("core/user_unknown", 3));
        assert!(top.example.contains("ann@example.com"), "{}", top.example);
    }

    /// Past the distinct values a breakdown keeps, the report says its
    /// counts are approximate, in JSON and in the table; below, it says
    /// nothing.
    #[test]
    fn a_breakdown_past_its_distinct_values_says_it_is_approximate() {
        let engine = crate::default_engine();
        let mut s = Summary::default();
        let n = 2 * crate::scan::tally::KEEP + 10;
        for i in 0..n {
            s.add(
                &engine.diagnose_reply(&format!("550 5.1.1 <ann@host{i}.example>: User unknown")),
            );
        }
        let report = s.report();
        assert_eq!(report.results, n as u64);
        assert!(
            report.approximate.contains_key("by_domain"),
            "{:?}",
            report.approximate
        );
        assert!(!report.approximate.contains_key("by_reason"));
        assert!(report.json().contains("\"approximate\""));
        assert!(report.table().contains("distinct values"));

        let mut small = Summary::default();
        small.add(&engine.diagnose_reply("550 5.1.1 <ann@example.com>: User unknown"));
        assert!(!small.report().json().contains("approximate"));
    }
}
