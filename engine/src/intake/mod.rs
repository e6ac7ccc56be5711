//! Intake: recognising what was given and extracting [`Facts`](crate::Facts).
//!
//! Today intake reads SMTP replies in every wrapping that DSNs and MTA logs
//! put around them ([`reply`]); the scanners in [`scan`] find addresses,
//! codes and tokens without regexes, in one pass each.

pub mod reply;
pub mod scan;
