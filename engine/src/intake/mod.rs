//! Intake: recognising what was given and extracting [`Facts`](crate::Facts).
//!
//! - [`reply`] reads one SMTP reply in every wrapping that DSNs and MTA logs
//!   put around it;
//! - [`email`] reads a bounce e-mail (standard DSN or prose) into one record
//!   per recipient, with [`dsn`] for the RFC 3464 fields;
//! - [`scan`] finds addresses, codes and tokens without regexes, in one pass
//!   each.

pub mod auth_results;
pub mod dsn;
pub mod email;
pub mod log;
pub mod reply;
pub mod scan;
pub mod webhook;
