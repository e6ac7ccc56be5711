//! Exchange and Office 365 non-delivery reports, often HTML only.
//!
//! The report names the failed recipient in a title, in a list, and in a
//! table of the original message's details, beside the *sender*:
//!
//! ```text
//! Your message to ann@example.org couldn't be delivered.
//! ...
//! Delivery has failed to these recipients or groups:
//! ann@example.org<mailto:ann@example.org>
//! ...
//! Diagnostic information for administrators:
//! Generating server: AM0PR01MB1234.eurprd01.prod.outlook.com
//! ann@example.org
//! Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; ...'
//! ...
//! Original Message Details
//! Sender Address:      editor@example.com
//! Recipient Address:   ann@example.org
//! ```
//!
//! Once tags are stripped a table cell's label and its value may fall on
//! different lines ("Sender Address:" then, below it, the address), so
//! labels are read with the next line's value. The value of `Sender
//! Address` is never a recipient; those of `Recipient Address` and the
//! title's "Your message to ..." are.

use super::{positioned_addresses, records_for, section, Bounce, Reader, Reading};
use crate::intake::email::recipients::is_never_recipient;
use crate::intake::reply::find_ci;
use crate::intake::scan;

pub(super) const READER: Reader = Reader {
    name: "office365",
    picks: |b| {
        b.family == Some("exchange") || SIGNS.iter().any(|s| find_ci(b.report(), s).is_some())
    },
    read,
};

/// Sentences only these reports write.
const SIGNS: &[&str] = &[
    "delivery has failed to these recipients or groups",
    "couldn't be delivered",
    "original message details",
    "diagnostic information for administrators",
];

/// Headings of the lists of failed recipients.
const LISTS: &[&str] = &[
    "delivery has failed to these recipients or groups",
    "diagnostic information for administrators",
];

/// Where the lists end.
const LIST_ENDS: &[&str] = &["original message", "message hops", "error details"];

fn read(bounce: &Bounce) -> Option<Reading> {
    let report = bounce.report();
    let lines: Vec<&str> = crate::intake::lines(report).collect();
    let mut sender: Vec<String> = Vec::new();
    let mut found: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        // a label's value: on its line, else on the next line with text
        // (the title's link, a table's next cell)
        let value = |label: &str| -> Option<String> {
            let at = find_ci(line, label)?;
            let same = &line[at + label.len()..];
            let next = lines[i + 1..].iter().find(|l| !l.trim().is_empty());
            [Some(same), next.copied()]
                .into_iter()
                .flatten()
                .find_map(|t| scan::emails(t).into_iter().next())
                .map(|(a, _)| a.to_ascii_lowercase())
        };
        if let Some(a) = value("sender address:") {
            sender.push(a);
        }
        if let Some(a) = value("recipient address:") {
            found.push(a);
        }
        if let Some(a) = value("your message to") {
            found.push(a);
        }
    }
    for heading in LISTS {
        if let Some(list) = section(report, &[heading], LIST_ENDS) {
            found.extend(positioned_addresses(&list));
        }
    }
    let mut recipients: Vec<String> = Vec::new();
    for a in found {
        if !sender.contains(&a) && !is_never_recipient(&a, &[]) && !recipients.contains(&a) {
            recipients.push(a);
        }
    }
    records_for(bounce, &recipients)
}
