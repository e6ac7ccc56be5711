//! The `bouncedx` command line: one verb per module in `commands/`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod commands;
mod output;
use bouncedx::rules;

/// bouncedx tells you why your email was rejected and what to do about it.
///
/// Give it an SMTP rejection (`550 5.7.1 ...`), a bounce e-mail, a mailbox, an
/// MTA log or ESP webhook events (`scan`); it
/// answers with the cause, the provider, how sure it is and why, whether a
/// retry can help, the fix and when to escalate. The knowledge lives in rule
/// packs; the shipped ones are built in.
#[derive(Parser)]
#[command(
    name = "bouncedx",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Examples:\n  bouncedx diagnose \"550 5.7.1 Client host [192.0.2.7] blocked using zen.spamhaus.org\"\n  tail -f mail.log | bouncedx diagnose --format jsonl -\n  bouncedx scan --summary table bounces/ /var/log/mail.log\n  bouncedx explain \"421 4.7.0 [TSS04] Messages from 192.0.2.7 temporarily deferred\"\n  bouncedx diagnose --checks \"550 5.7.1 Message rejected from 192.0.2.7\"\n  bouncedx plugin call dnsbl ip ip=192.0.2.7\n  bouncedx check my-pack/\n  bouncedx new pack acme && bouncedx test acme\n  bouncedx eval labelled.tsv                  # agreement on rejections your team labelled\n\nExit codes: 0 success (diagnosed); 1 nothing recognised, or rule errors (or warnings with --deny-warnings); 2 usage or I/O error (a file that does not exist, a closed pipe ends quietly)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Diagnose(commands::diagnose::Args),
    Explain(commands::explain::Args),
    Scan(commands::scan::Args),
    Check(commands::check::Args),
    Test(commands::test::Args),
    New(commands::new::Args),
    Diff(commands::diff::Args),
    Eval(commands::eval::Args),
    Fmt(commands::fmt::Args),
    Serve(commands::serve::Args),
    Plugin(commands::plugin::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A command whose output goes to a pipe that closes early (`bouncedx
    // scan ... | head`) ends quietly, as `cat` does, instead of failing on
    // the next write (Rust ignores SIGPIPE by default). Not the service:
    // a client that hangs up must not end the server.
    if !matches!(cli.command, Command::Serve(_)) {
        #[cfg(unix)]
        // SAFETY: restoring the default disposition of one signal before
        // any thread is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let result = match cli.command {
        Command::Diagnose(a) => commands::diagnose::run(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Scan(a) => commands::scan::run(a),
        Command::Check(a) => commands::check::run(a),
        Command::Test(a) => commands::test::run(a),
        Command::New(a) => commands::new::run(a),
        Command::Diff(a) => commands::diff::run(a),
        Command::Eval(a) => commands::eval::run(a),
        Command::Fmt(a) => commands::fmt::run(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Plugin(a) => commands::plugin::run(a),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "error: {msg}");
            ExitCode::from(2)
        }
    }
}
