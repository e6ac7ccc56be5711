//! Turning paths into units of work.
//!
//! `scan` accepts files, folders (walked recursively, in name order, so runs
//! are repeatable), mboxes, Maildirs, logs, JSON and `-` for stdin. Each
//! input's form is detected from its first bytes unless `--input` forces it:
//!
//! | first bytes | form |
//! | --- | --- |
//! | `From ` | mbox: split into messages at `From ` lines |
//! | `{` or `[` | JSON: one document, or JSON Lines |
//! | `Name: value` header lines | one e-mail (`.eml`, a Maildir file) |
//! | anything else | a log: one line at a time |
//!
//! Big inputs are never read whole: logs are read line by line and mboxes
//! message by message, and handed on in [`Job`]s of bounded size, so memory
//! stays flat however large the input.

use bouncedx_engine::intake::email::is_binary;
use bouncedx_engine::intake::log::multiline;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One message larger than this is reported and skipped.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Log lines per job.
pub const LINES_PER_JOB: usize = 1024;
/// Lines longer than this are cut (no real log line is near it).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The form of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Form {
    /// Detect from content.
    Auto,
    /// One SMTP reply per line.
    Reply,
    /// A bounce e-mail (or an mbox of them).
    Email,
    /// An MTA log.
    Log,
    /// ESP webhook JSON (a document or JSON Lines).
    Json,
}

/// A unit of work, small enough to hold in memory with a few dozen others.
#[derive(Debug, Clone)]
pub enum Job {
    /// One e-mail; `message` is its index in an mbox.
    Email {
        source: String,
        message: Option<u64>,
        bytes: Vec<u8>,
    },
    /// Consecutive lines of a log (or of replies); `first` is the number of
    /// the first line.
    Lines {
        source: String,
        first: u64,
        lines: Vec<String>,
        replies: bool,
    },
    /// A JSON document, or one line of JSON Lines.
    Json {
        source: String,
        line: Option<u64>,
        text: String,
    },
    /// A small file, read and cut into jobs by the worker that takes it, so
    /// that reading runs on every core too.
    File {
        source: String,
        path: PathBuf,
        form: Form,
        /// Its size when the walk found it, for the progress bar.
        size: u64,
    },
    /// A small file that turned out to be compressed ([`Job::File`] read
    /// it): its text can be any size, so it goes back to the scan's own
    /// thread to be streamed in bounded jobs like a large file.
    Packed {
        source: String,
        form: Form,
        bytes: Vec<u8>,
    },
    /// An input that could not be read.
    Error { source: String, error: String },
}

impl Job {
    /// Bytes held, for bounding batches.
    pub fn weight(&self) -> usize {
        match self {
            Job::Email { bytes, .. } => bytes.len(),
            Job::Lines { lines, .. } => lines.iter().map(String::len).sum::<usize>() + lines.len(),
            Job::Json { text, .. } => text.len(),
            Job::Packed { bytes, .. } => bytes.len(),
            Job::File { .. } | Job::Error { .. } => SMALL_FILE_BYTES as usize / 64,
        }
    }

    /// Bytes of input this job stands for, for the progress bar.
    pub fn input_bytes(&self) -> u64 {
        match self {
            Job::File { size, .. } => *size,
            Job::Error { .. } => 0,
            other => other.weight() as u64,
        }
    }
}

/// The bytes of every file `inputs` name (folders walked), or `None` when
/// one is standard input, whose length is unknown.
pub fn total_bytes(inputs: &[String]) -> Option<u64> {
    let mut total = 0;
    for input in inputs {
        if input == "-" {
            return None;
        }
        let path = Path::new(input);
        let mut files = Vec::new();
        if path.is_dir() {
            walk(path, &mut files, &mut Vec::new());
        } else {
            files.push(path.to_path_buf());
        }
        total += files
            .iter()
            .map(|f| {
                std::fs::metadata(f).map_or(0, |m| super::compressed::expanded_size(f, m.len()))
            })
            .sum::<u64>();
    }
    Some(total)
}

/// Walks `inputs` and hands every job to `sink` in order. `sink` errors
/// (a closed stdout) stop the walk.
pub fn produce(
    inputs: &[String],
    form: Form,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for input in inputs {
        if input == "-" {
            let stdin = std::io::stdin();
            read_stream("-", Box::new(stdin.lock()), form, sink)?;
            continue;
        }
        let path = Path::new(input);
        if path.is_dir() {
            let mut files: Vec<PathBuf> = Vec::new();
            let mut errors: Vec<(PathBuf, String)> = Vec::new();
            walk(path, &mut files, &mut errors);
            for (at, error) in errors {
                sink(Job::Error {
                    source: at.display().to_string(),
                    error,
                })?;
            }
            for f in files {
                read_file(&f.display().to_string(), &f, form, sink)?;
            }
        } else {
            read_file(input, path, form, sink)?;
        }
    }
    Ok(())
}

/// The files under `dir`, depth first, each folder's entries in order of
/// name (a folder's files come before the files of a later folder). Names
/// come from the directory entries themselves, so sorting a folder of
/// thousands of bounces costs a string comparison per step, not a path
/// parse.
///
/// Nothing is skipped without a word: a symbolic link is followed (to a
/// file: read like the file; to a folder: walked, unless it leads back to a
/// folder already walked, which is said), and a broken link, a FIFO, a
/// socket or a device, or a folder that cannot be read, is noted in
/// `errors` with why; the walk goes on.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<(PathBuf, String)>) {
    let mut seen = std::collections::HashSet::new();
    if let Ok(c) = dir.canonicalize() {
        seen.insert(c);
    }
    walk_in(dir, files, errors, &mut seen);
}

/// Files of a Maildir's own folder that are the mail server's, not
/// messages: Dovecot's indexes and lists, Courier's, Maildir++'s markers.
fn maildir_server_file(name: &str) -> bool {
    name.starts_with("dovecot")
        || name.starts_with("courier")
        || matches!(
            name,
            "subscriptions" | "maildirfolder" | "maildirsize" | ".uidvalidity" | ".subscriptions"
        )
}

fn walk_in(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<(PathBuf, String)>,
    seen: &mut std::collections::HashSet<PathBuf>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => return errors.push((dir.to_path_buf(), format!("cannot walk: {e}"))),
    };
    let mut found: Vec<(std::ffi::OsString, std::fs::FileType)> = Vec::new();
    for entry in entries {
        match entry.and_then(|e| Ok((e.file_name(), e.file_type()?))) {
            Ok(x) => found.push(x),
            Err(e) => errors.push((dir.to_path_buf(), format!("cannot walk: {e}"))),
        }
    }
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // A Maildir (it has `cur/` and `new/`): `tmp/` holds deliveries still
    // being written, which a reader must not touch, and some files are the
    // mail server's own (Dovecot's `dovecot.index*` and `dovecot-uidlist`,
    // `subscriptions`, Courier's `courierimap*`): not messages, so not
    // reported as unreadable ones. Everything else in it is read as in any
    // folder.
    let is_dir_named = |n: &str| {
        found
            .iter()
            .any(|(name, kind)| kind.is_dir() && name.as_os_str() == n)
    };
    let maildir = is_dir_named("cur") && is_dir_named("new");
    for (name, kind) in &found {
        let (name, kind) = (name, *kind);
        let path = dir.join(name);
        if maildir {
            let n = name.to_string_lossy();
            if (kind.is_dir() && n == "tmp") || (kind.is_file() && maildir_server_file(&n)) {
                continue;
            }
        }
        if kind.is_dir() {
            match path.canonicalize() {
                // reached before through a link: each file is read once
                Ok(c) if seen.contains(&c) => errors.push((
                    path,
                    "a folder already walked through a symbolic link: not walked again".into(),
                )),
                Ok(c) => {
                    seen.insert(c);
                    walk_in(&path, files, errors, seen);
                }
                Err(_) => walk_in(&path, files, errors, seen),
            }
        } else if kind.is_file() {
            files.push(path);
        } else if kind.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => files.push(path),
                Ok(m) if m.is_dir() => match path.canonicalize() {
                    Ok(c) if seen.contains(&c) => errors.push((
                        path,
                        format!(
                            "a symbolic link to {}, a folder already walked: not walked again",
                            c.display()
                        ),
                    )),
                    Ok(c) => {
                        seen.insert(c);
                        walk_in(&path, files, errors, seen);
                    }
                    Err(e) => errors.push((path, format!("cannot follow the link: {e}"))),
                },
                Ok(m) => errors.push((
                    path,
                    format!("a link to {}: not read", special_kind(&m.file_type())),
                )),
                Err(e) => errors.push((path, format!("a broken symbolic link: {e}"))),
            }
        } else {
            errors.push((
                path,
                format!(
                    "{}: not read (only regular files are scanned; give it by name, or `cat` it into `bouncedx scan -`)",
                    special_kind(&kind)
                ),
            ));
        }
    }
}

/// What a file that is neither a regular file nor a folder is.
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    let _ = kind;
    "not a regular file"
}

/// What a binary input most likely is, when its first bytes say so, and
/// what to do with it: mail teams meet Outlook's `.msg` files and zipped
/// exports among their bounces.
fn binary_hint(head: &[u8]) -> &'static str {
    if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        "; this is an Outlook .msg (OLE) file: save the message as .eml, or convert it (msgconvert from libemail-outlook-message-perl)"
    } else if head.starts_with(b"PK\x03\x04") {
        "; this is a ZIP archive: unzip it and scan the folder"
    } else if head.starts_with(b"%PDF") {
        "; this is a PDF document"
    } else {
        ""
    }
}

/// How much of an input's start is looked at to tell its form.
const HEAD_BYTES: usize = 16 * 1024;

/// Files up to this size are handed to a worker whole ([`Job::File`]);
/// larger ones are streamed from here in bounded jobs.
pub const SMALL_FILE_BYTES: u64 = 1024 * 1024;

fn read_file(
    source: &str,
    path: &Path,
    form: Form,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // Only a regular file has a size to trust: a pipe (`scan <(zcat
    // mail.log.gz)`), a character device or a socket says 0 and is streamed
    // like standard input, never read whole.
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() <= SMALL_FILE_BYTES => {
            return sink(Job::File {
                source: source.to_string(),
                path: path.to_path_buf(),
                form,
                size: m.len(),
            })
        }
        _ => {}
    }
    read_file_now(source, path, form, sink)
}

/// Reads a small file ([`SMALL_FILE_BYTES`] at most; `size` bytes when the
/// walk saw it) whole, in one allocation of its size, and cuts it into jobs.
/// An e-mail (the usual case in a folder of bounces) becomes its job without
/// another copy.
pub fn read_small_file(
    source: &str,
    path: &Path,
    size: u64,
    form: Form,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let bytes = match read_sized(path, size) {
        Ok(b) => b,
        Err(e) => {
            return sink(Job::Error {
                source: source.to_string(),
                error: format!("cannot open: {e}"),
            })
        }
    };
    // A small compressed file can hold any amount of text (84 KB of zstd
    // held 24 GB of log): it is not cut into jobs here, in one worker that
    // would hold every result, but handed back to be streamed.
    if !matches!(
        super::compressed::detect(&bytes[..bytes.len().min(8)]),
        super::compressed::Compression::None
    ) {
        return sink(Job::Packed {
            source: source.to_string(),
            form,
            bytes,
        });
    }
    if !bytes.is_empty() && !is_binary(&bytes) && !bytes.starts_with(b"From ") {
        let form = if form == Form::Auto {
            detect(&bytes)
        } else {
            form
        };
        if form == Form::Email {
            return sink(Job::Email {
                source: source.to_string(),
                message: None,
                bytes,
            });
        }
    }
    read_bytes(source, &bytes, form, sink)
}

/// A file's bytes, with room for the `size` the walk's metadata gave (one
/// byte more, so a read that returns nothing confirms the end): no second
/// `stat` as [`std::fs::read`] makes, which on a folder of 3,000 bounces is
/// 3,000 system calls. The file may have changed since; it is read to its
/// end whatever its size now.
fn read_sized(path: &Path, size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    // `File::read_to_end` asks for the metadata itself: read by hand.
    let mut bytes = vec![0; usize::try_from(size.min(SMALL_FILE_BYTES)).unwrap_or(0) + 1];
    let mut len = 0;
    loop {
        if len == bytes.len() {
            bytes.resize(len * 2, 0);
        }
        match f.read(&mut bytes[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(len);
    Ok(bytes)
}

/// Reads a file into jobs at once (in the calling thread).
pub fn read_file_now(
    source: &str,
    path: &Path,
    form: Form,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    match std::fs::File::open(path) {
        Ok(f) => read_stream(
            source,
            Box::new(BufReader::with_capacity(16 * 1024, f)),
            form,
            sink,
        ),
        Err(e) => sink(Job::Error {
            source: source.to_string(),
            error: format!("cannot open: {e}"),
        }),
    }
}

/// Detects the form from the first bytes.
pub fn detect(head: &[u8]) -> Form {
    let head = &head[..head.len().min(4096)];
    if head.starts_with(b"From ") {
        return Form::Email;
    }
    let trimmed = head.trim_ascii_start();
    if trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        return Form::Json;
    }
    let first = trimmed.split(|&b| b == b'\n').next().unwrap_or(b"");
    let header_like = first.iter().position(|&b| b == b':').is_some_and(|colon| {
        colon > 0
            && colon < 60
            && first[..colon]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    });
    let blank_line = memchr::memmem::find(head, b"\n\n").is_some()
        || memchr::memmem::find(head, b"\r\n\r\n").is_some();
    if header_like && (blank_line || head.len() >= 4096) || opens_a_bounce(trimmed) {
        Form::Email
    } else {
        Form::Log
    }
}

/// The sentences that open the bounce templates of mail systems, which a
/// bounce saved or pasted without its header block holds in its first
/// lines (a log line never does). Such a text is read as an e-mail (its
/// body), not line by line as a log. The list is Sisimai's: the markers
/// its decoders look for where a bounce's text starts (`lib/Sisimai/
/// Lhost/*.pm`, `RFC3464.pm`, `ARF.pm`; BSD-2-Clause), those that name a
/// bounce on their own (not "Your message", "Error: ", "** "), with
/// Gmail's current "The response from the remote server was:" and "The
/// response was:" (its GoogleWorkspace decoder's error markers). A mail
/// client may add lines above the text, and Exchange writes its
/// administrators' section after a paragraph for the sender: the first
/// 1,024 bytes are searched.
const OPENERS: &[&[u8]] = &[
    // Postfix (bounce(8)), Yandex
    b"this is the mail system at host",
    b"this is the postfix program",
    b"i'm sorry to have to inform you that your message could not",
    // qmail-send
    b"hi. this is the qmail",
    b"i'm afraid i wasn't able to deliver your message",
    // Exim, and the providers that run it (Mail.ru, GMX, 1&1, Zoho, MXLogic)
    b"this message was created automatically by mail delivery",
    b"a message that you sent could not be delivered to",
    b"a message that you sent contained one or more recipient addresses",
    // Sendmail and its relatives (X1, Activehunter, Bigfoot, V5)
    b"the original message was received at",
    b"----- transcript of session follows -----",
    b"----- the following addresses had permanent fatal errors -----",
    b"the following addresses had delivery problems",
    // Exchange, Office 365, Outlook.com (English, French, Italian, Portuguese, Dutch)
    b"delivery has failed to these recipients",
    b"diagnostic information for administrators",
    b"informations de diagnostic pour les administrateurs",
    b"informazioni di diagnostica per gli amministratori",
    b"falha na entrega a estes destinat",
    b"uw bericht kan niet worden bezorgd bij de volgende geadresseerden",
    b"rejected your message to the following e",
    b"this is an automatically generated delivery status notification",
    // Gmail and Google Workspace
    b"delivery to the following recipient",
    b"technical details of permanent failure:",
    b"technical details of temporary failure:",
    b"** message not delivered **",
    b"the response from the remote server was:",
    b"the response was:",
    // Yahoo, AOL
    b"sorry, we were unable to deliver your message",
    // Amazon SES, WorkMail
    b"an error occurred while trying to deliver the mail",
    b"this message could not be delivered.",
    // Courier, Lotus Notes, Sun/Oracle Messaging Server, OpenSMTPD, DragonFly
    b"this is a delivery status notification",
    b"------- failure reasons",
    b"this report relates to a message you sent",
    b"this report relates to your message",
    b"this is the mailer-daemon, please do not reply",
    b"this is the dragonfly mail agent",
    // filters and services: MailFoundry, SurfControl, SendGrid, PowerMTA, Facebook, Deutsche Telekom
    b"unable to deliver message to",
    b"your message could not be sent.",
    b"this is an automatically generated message from sendgrid",
    b"hello, this is the mail server on",
    b"this message was created automatically by facebook",
    b"failed addresses follow:",
    // Japanese mobile carriers (KDDI, Verizon's MMS gateway)
    b"your mail sent on:",
    b"your mail attempted to be delivered on:",
    b"message could not be delivered to mobile",
    // unnamed systems Sisimai decodes (X2, X4, X6) and RFC 3464 texts
    b"unfortunately, your mail was not delivered to the following address",
    b"your mail message to the following address",
    b"your message to the following addresses",
    b"this is the machine generated message from mail service",
    b"this is the mail delivery agent at",
    b"su mensaje no pudo ser entregado",
    b"unable to deliver your message to the following addresses",
    b"we had trouble delivering your message. full details follow:",
    b"your message could not be delivered",
    b"your message was not delivered to",
    b"a summary of the undelivered message you sent follows:",
    b"the message that you sent was undeliverable to the following",
    // a delivery status or feedback report part pasted as it is
    b"content-type: message/delivery-status",
    b"content-type: message/feedback-report",
    b"this is an email abuse report",
    b"this is an autogenerated email abuse complaint",
];

/// [`OPENERS`] in one case-insensitive automaton, built once.
static OPENERS_AC: std::sync::LazyLock<aho_corasick::AhoCorasick> =
    std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(OPENERS)
            .expect("the openers are plain strings")
    });

fn opens_a_bounce(head: &[u8]) -> bool {
    OPENERS_AC.is_match(&head[..head.len().min(1024)])
}

/// Cuts bytes held in memory (a request body) into jobs, as a file would be.
pub fn read_bytes(
    source: &str,
    bytes: &[u8],
    form: Form,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    read_bytes_limited(source, bytes, form, &ReadLimits::default(), sink)
}

/// [`read_bytes`] under `limits`: what a compressed body may expand to
/// (in bytes, and as a multiple of its own size), and a flag that stops the
/// reading when the request it serves has ended.
pub fn read_bytes_limited(
    source: &str,
    bytes: &[u8],
    form: Form,
    limits: &ReadLimits,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    read_stream_layer(
        source,
        Box::new(bytes),
        form,
        sink,
        Some((limits, bytes.len() as u64)),
    )
}

fn read_stream(
    source: &str,
    reader: Box<dyn BufRead + '_>,
    form: Form,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    read_stream_layer(
        source,
        reader,
        form,
        sink,
        Some((&ReadLimits::default(), 0)),
    )
}

pub use super::compressed::ReadLimits;

/// [`read_stream`]; a compressed input ([`compressed`](super::compressed))
/// is decompressed once when `decompress` is given (a `.gz` inside a `.gz`
/// is not opened again), under its limits (the second member is the
/// compressed size when known, for the ratio limit).
fn read_stream_layer(
    source: &str,
    mut reader: Box<dyn BufRead + '_>,
    form: Form,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
    decompress: Option<(&ReadLimits, u64)>,
) -> std::io::Result<()> {
    let may_decompress = decompress.is_some();
    use super::compressed::{self, Compression};
    let head = match reader.fill_buf() {
        Ok(h) => h[..h.len().min(HEAD_BYTES)].to_vec(),
        Err(e) => {
            return sink(Job::Error {
                source: source.to_string(),
                error: format!("cannot read: {e}"),
            });
        }
    };
    if head.is_empty() {
        return sink(Job::Error {
            source: source.to_string(),
            error: if may_decompress {
                "empty file".into()
            } else {
                "empty after decompression".into()
            },
        });
    }
    let how = compressed::detect(&head);
    if may_decompress && !matches!(how, Compression::None) {
        let (limits, packed) = decompress.expect("may_decompress");
        return match compressed::decompress(&how, reader) {
            Ok(text) => read_stream_layer(source, limits.cap(text, packed), form, sink, None),
            Err(error) => sink(Job::Error {
                source: source.to_string(),
                error,
            }),
        };
    }
    if is_binary(&head) {
        return sink(Job::Error {
            source: source.to_string(),
            error: format!(
                "binary data (control bytes in the first 2 KiB): not an e-mail, a log or JSON{}",
                binary_hint(&head)
            ),
        });
    }
    let form = if form == Form::Auto {
        detect(&head)
    } else {
        form
    };
    match form {
        Form::Email if head.starts_with(b"From ") => read_mbox(source, reader, sink),
        Form::Email => {
            let mut bytes = Vec::new();
            match reader
                .take(MAX_MESSAGE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
            {
                Ok(_) if bytes.len() > MAX_MESSAGE_BYTES => sink(Job::Error {
                    source: source.to_string(),
                    error: format!(
                        "message larger than {} MiB; skipped",
                        MAX_MESSAGE_BYTES >> 20
                    ),
                }),
                Ok(_) => sink(Job::Email {
                    source: source.to_string(),
                    message: None,
                    bytes,
                }),
                Err(e) => sink(Job::Error {
                    source: source.to_string(),
                    error: format!("cannot read: {e}"),
                }),
            }
        }
        Form::Json => read_json(source, reader, sink),
        Form::Log | Form::Reply | Form::Auto => {
            read_lines(source, reader, form == Form::Reply, sink)
        }
    }
}

/// Reads one line (up to `\n`), cutting it at [`MAX_LINE_BYTES`] without
/// holding more than that in memory. `None` at the end.
fn next_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<()>> {
    next_line_upto(reader, buf, MAX_LINE_BYTES).map(|l| l.map(|_| ()))
}

/// A line's text, with bytes that are not UTF-8 replaced (U+FFFD), as
/// `String::from_utf8_lossy` gives it. `str::from_utf8` checks ASCII a
/// word at a time; the lossy decoder, kept for the rare line that is not
/// UTF-8, goes byte by byte and was a sixth of a log scan's instructions.
fn line_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// [`next_line`] keeping up to `limit` bytes of the line; `Some(true)` when
/// the line was longer and was cut.
fn next_line_upto(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut any = false;
    let mut cut = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(cut));
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = limit.saturating_sub(buf.len());
        cut |= take > room;
        buf.extend_from_slice(&chunk[..take.min(room)]);
        reader.consume(take);
        if done {
            return Ok(Some(cut));
        }
    }
}

fn read_lines(
    source: &str,
    mut reader: Box<dyn BufRead + '_>,
    replies: bool,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut lines = Vec::with_capacity(LINES_PER_JOB);
    let mut first = 1u64;
    let mut n = 0u64;
    // A read error (a truncated .gz, a disk error) is reported after the
    // lines read before it, so the output stays in input order.
    let mut failed = None;
    loop {
        match next_line(&mut *reader, &mut buf) {
            Ok(Some(())) => {
                n += 1;
                lines.push(line_text(&buf).trim_end_matches(['\n', '\r']).to_string());
                // a multi-line reply pasted one line per line is read
                // whole, so a part never ends inside one
                if lines.len() >= LINES_PER_JOB
                    && (lines.len() >= LINES_PER_JOB + multiline::MAX_REPLY_LINES
                        || !multiline::ends_open(&lines))
                {
                    sink(Job::Lines {
                        source: source.to_string(),
                        first,
                        lines: std::mem::replace(&mut lines, Vec::with_capacity(LINES_PER_JOB)),
                        replies,
                    })?;
                    first = n + 1;
                }
            }
            Ok(None) => break,
            Err(e) => {
                failed = Some(format!("cannot read after line {n}: {e}"));
                break;
            }
        }
    }
    if !lines.is_empty() {
        sink(Job::Lines {
            source: source.to_string(),
            first,
            lines,
            replies,
        })?;
    }
    match failed {
        Some(error) => sink(Job::Error {
            source: source.to_string(),
            error,
        }),
        None => Ok(()),
    }
}

/// Splits an mbox at `From ` lines that follow a blank line (or start the
/// file). `>From ` quoting is left to the MIME parser, which ignores it.
fn read_mbox(
    source: &str,
    mut reader: Box<dyn BufRead + '_>,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut message: Vec<u8> = Vec::new();
    let mut index = 0u64;
    let mut prev_blank = true;
    let mut oversized = false;
    let mut flush = |message: &mut Vec<u8>, index: u64, oversized: bool| -> std::io::Result<()> {
        if index == 0 {
            return Ok(());
        }
        if oversized {
            message.clear();
            return sink(Job::Error {
                source: format!("{source}#{index}"),
                error: format!(
                    "message {index} larger than {} MiB; skipped",
                    MAX_MESSAGE_BYTES >> 20
                ),
            });
        }
        sink(Job::Email {
            source: source.to_string(),
            message: Some(index),
            bytes: std::mem::take(message),
        })
    };
    loop {
        match next_line(&mut *reader, &mut buf) {
            Ok(Some(())) => {
                if prev_blank && buf.starts_with(b"From ") {
                    flush(&mut message, index, oversized)?;
                    index += 1;
                    oversized = false;
                    prev_blank = false;
                    continue;
                }
                prev_blank = buf == b"\n" || buf == b"\r\n";
                if message.len() + buf.len() > MAX_MESSAGE_BYTES {
                    oversized = true;
                } else {
                    message.extend_from_slice(&buf);
                }
            }
            Ok(None) => break,
            Err(e) => {
                return sink(Job::Error {
                    source: source.to_string(),
                    error: format!("cannot read message {index}: {e}"),
                });
            }
        }
    }
    flush(&mut message, index, oversized)
}

fn read_json(
    source: &str,
    mut reader: Box<dyn BufRead + '_>,
    sink: &mut dyn FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<()> {
    // JSON Lines (a first line that is JSON on its own) are handed on line
    // by line, however many there are; any other document (an array, an
    // object over several lines) is read whole, up to the message cap. A
    // JSON line is one event or a whole minified document, so it may be as
    // long as a message, not cut at a log line's length.
    let mut buf = Vec::new();
    let mut n = 0u64;
    let json = |line, text| Job::Json {
        source: source.to_string(),
        line,
        text,
    };
    let error = |error: String| Job::Error {
        source: source.to_string(),
        error,
    };
    let too_long = |at: u64| {
        error(format!(
            "line {at}: a JSON line larger than {} MiB is skipped",
            MAX_MESSAGE_BYTES >> 20
        ))
    };
    // The next line that is not blank, with its number; `Err(number)` for
    // one longer than the cap.
    let mut next = |reader: &mut dyn BufRead,
                    buf: &mut Vec<u8>|
     -> std::io::Result<Option<(u64, Result<String, u64>)>> {
        while let Some(cut) = next_line_upto(reader, buf, MAX_MESSAGE_BYTES)? {
            n += 1;
            if cut {
                return Ok(Some((n, Err(n))));
            }
            let line = line_text(buf).trim().to_string();
            if !line.is_empty() {
                return Ok(Some((n, Ok(line))));
            }
        }
        Ok(None)
    };
    let cannot_read = |e: std::io::Error| error(format!("cannot read: {e}"));
    let (first_at, first) = match next(&mut *reader, &mut buf) {
        Ok(Some((at, Ok(l)))) => (at, l),
        Ok(Some((at, Err(_)))) => {
            sink(too_long(at))?;
            (at, String::new())
        }
        Ok(None) => return Ok(()),
        Err(e) => return sink(cannot_read(e)),
    };
    let first_is_json =
        first.is_empty() || serde_json::from_str::<serde::de::IgnoredAny>(&first).is_ok();
    if first_is_json {
        // The first line waits until a second shows whether it is one of
        // JSON Lines (numbered) or the only document (not numbered).
        let mut pending = (!first.is_empty()).then_some((first_at, first));
        loop {
            match next(&mut *reader, &mut buf) {
                Ok(Some((at, line))) => {
                    if let Some((p_at, p)) = pending.take() {
                        sink(json(Some(p_at), p))?;
                    }
                    match line {
                        Ok(l) => sink(json(Some(at), l))?,
                        Err(at) => sink(too_long(at))?,
                    }
                }
                // the only line: one document (no `line`)
                Ok(None) => {
                    if let Some((_, p)) = pending {
                        sink(json(None, p))?;
                    }
                    return Ok(());
                }
                Err(e) => return sink(cannot_read(e)),
            }
        }
    }
    // a document over several lines: read the rest whole
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    let mut rest = String::new();
    let mut limited = reader.take(MAX_MESSAGE_BYTES as u64 + 1);
    if let Err(e) = limited.read_to_string(&mut rest) {
        return sink(error(format!("cannot read as UTF-8 JSON: {e}")));
    }
    text.push_str(&rest);
    if text.len() > MAX_MESSAGE_BYTES {
        return sink(error(format!(
            "a JSON document larger than {} MiB; give the events as JSON Lines (one per line)",
            MAX_MESSAGE_BYTES >> 20
        )));
    }
    if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
        return sink(json(None, text));
    }
    // Not one document: each line on its own (and each bad one reported);
    // `text` began at the first line that was not blank.
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        sink(json(Some(first_at + i as u64), line.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `scan <(zcat mail.log.gz)` names a pipe, whose size says 0: it must
    /// be streamed in blocks of lines like standard input, not handed to a
    /// worker to read whole (a 273 MB log through a pipe took 3.1 GB).
    #[cfg(unix)]
    #[test]
    fn a_pipe_given_as_a_path_is_streamed_not_read_whole() {
        let fifo = std::env::temp_dir().join(format!("bouncedx-fifo-{}", std::process::id()));
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED: mkfifo is not available");
            return;
        }
        let line = "Nov 26 10:00:02 mta1 postfix/smtp[4502]: 3F2A1B: to=<ann@example.net>, relay=mx.example.net[192.0.2.10]:25, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 User unknown (in reply to RCPT TO command))\n";
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(&fifo, line.repeat(LINES_PER_JOB + 1)))
        };
        let mut jobs = Vec::new();
        read_file("fifo", &fifo, Form::Auto, &mut |j| {
            jobs.push(j);
            Ok(())
        })
        .unwrap();
        if !jobs.iter().all(|j| matches!(j, Job::Lines { .. })) {
            // nothing read the pipe: read it here so the writer can finish
            let _ = std::fs::read(&fifo);
        }
        writer.join().unwrap().unwrap();
        std::fs::remove_file(&fifo).unwrap();
        let lines: Vec<usize> = jobs
            .iter()
            .map(|j| match j {
                Job::Lines { lines, .. } => lines.len(),
                other => panic!("a pipe became {other:?}"),
            })
            .collect();
        assert_eq!(lines, [LINES_PER_JOB, 1]);
    }

    /// A multi-line reply pasted one line per line is never cut between
    /// two parts of a log: the part that reaches it reads on to its end.
    #[test]
    fn a_part_never_ends_inside_a_multi_line_reply() {
        let mut text =
            "Nov 26 10:00:00 mta1 postfix/qmgr[1]: 3F2A1B: removed\n".repeat(LINES_PER_JOB - 1);
        text.push_str("550-5.7.26 This mail has been blocked because the sender is\n");
        text.push_str("550-5.7.26 unauthenticated.\n");
        text.push_str("550 5.7.26 Gmail requires all senders to authenticate.\n");
        text.push_str("550 5.1.1 user unknown\n");
        let mut jobs = Vec::new();
        read_bytes("log", text.as_bytes(), Form::Log, &mut |j| {
            jobs.push(j);
            Ok(())
        })
        .unwrap();
        let parts: Vec<(u64, usize)> = jobs
            .iter()
            .map(|j| match j {
                Job::Lines { first, lines, .. } => (*first, lines.len()),
                other => panic!("a log became {other:?}"),
            })
            .collect();
        assert_eq!(
            parts,
            [(1, LINES_PER_JOB + 2), (LINES_PER_JOB as u64 + 3, 1)]
        );
    }

    /// JSON Lines are handed on one event at a time however long the
    /// stream: a day of SES events past the 64 MiB cap on one document was
    /// refused whole before.
    #[test]
    fn json_lines_past_the_document_cap_are_all_read() {
        let line = format!(
            "{{\"event\":\"bounce\",\"email\":\"a@example.com\",\"reason\":\"550 5.1.1 unknown {}\"}}\n",
            "x".repeat(2000)
        );
        let copies = MAX_MESSAGE_BYTES / line.len() + 100;
        let stream = std::io::Read::chain(
            std::io::Cursor::new(line.repeat(copies / 2)),
            std::io::Cursor::new(line.repeat(copies - copies / 2)),
        );
        let (mut events, mut last) = (0usize, 0u64);
        read_json("big.jsonl", Box::new(BufReader::new(stream)), &mut |j| {
            match j {
                Job::Json { line: Some(n), .. } => {
                    events += 1;
                    last = n;
                }
                other => panic!("expected one event per line, got {other:?}"),
            }
            Ok(())
        })
        .unwrap();
        assert_eq!((events, last), (copies, copies as u64));
    }

    /// A document over several lines is one job; a single line is one
    /// document (no line number); lines that are not JSON keep their own
    /// line numbers.
    #[test]
    fn json_documents_and_lines_are_told_apart() {
        let read = |text: &str| {
            let mut jobs = Vec::new();
            read_json(
                "t",
                Box::new(BufReader::new(std::io::Cursor::new(text.to_string()))),
                &mut |j| {
                    jobs.push(match j {
                        Job::Json { line, .. } => line,
                        other => panic!("{other:?}"),
                    });
                    Ok(())
                },
            )
            .unwrap();
            jobs
        };
        assert_eq!(read("\n[\n {\"a\": 1},\n {\"b\": 2}\n]\n"), [None]);
        assert_eq!(read("{\"a\": 1}\n"), [None]);
        assert_eq!(
            read("{\"a\": 1}\nnot json\n\n{\"b\": 2}\n"),
            [Some(1), Some(2), Some(4)]
        );
        assert_eq!(read("\n{\n\"a\":\nbroken\n"), [Some(2), Some(3), Some(4)]);
        assert_eq!(read(""), []);
    }

    /// A minified JSON document or one large event is a single line far
    /// longer than a log line: it is read whole (it was cut at 64 KiB and
    /// reported as invalid JSON). A line past the message cap is an error
    /// with its number, and the lines after it are still read.
    #[test]
    fn long_json_lines_are_read_whole_and_oversized_ones_reported() {
        let read = |text: Vec<u8>| {
            let mut jobs = Vec::new();
            read_json(
                "t",
                Box::new(BufReader::new(std::io::Cursor::new(text))),
                &mut |j| {
                    jobs.push(match j {
                        Job::Json { line, text, .. } => format!("{line:?} {}", text.len()),
                        Job::Error { error, .. } => error,
                        other => panic!("{other:?}"),
                    });
                    Ok(())
                },
            )
            .unwrap();
            jobs
        };
        let event = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_LINE_BYTES * 3));
        let array = format!("[{event}, {event}]");
        assert_eq!(
            read(array.clone().into_bytes()),
            [format!("None {}", array.len())]
        );
        let lines = format!("{event}\n{event}\n");
        assert_eq!(
            read(lines.into_bytes()),
            [
                format!("Some(1) {}", event.len()),
                format!("Some(2) {}", event.len())
            ]
        );
        let mut huge = b"{\"b\": 1}\n".to_vec();
        huge.extend(std::iter::repeat_n(b'x', MAX_MESSAGE_BYTES + 1));
        huge.extend(b"\n{\"c\": 2}\n");
        assert_eq!(
            read(huge),
            [
                "Some(1) 8".to_string(),
                "line 2: a JSON line larger than 64 MiB is skipped".to_string(),
                "Some(3) 8".to_string()
            ]
        );
    }

    /// Input framing (compression, mbox splitting, JSON Lines, log lines)
    /// on thousands of inputs stitched from the fragments that steer it,
    /// through every form: no panic, and every input yields something
    /// (a job or an error), never nothing unless it is blank. A cheap,
    /// deterministic cousin of the cargo-fuzz targets, which cover the
    /// readers behind these jobs.
    #[test]
    fn framing_survives_stitched_inputs() {
        let gz = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(b"From a\n\n{\"x\":1}\n550 5.1.1 no\n").unwrap();
            e.finish().unwrap()
        };
        let fragments: [&[u8]; 14] = [
            b"From MAILER-DAEMON Fri\n",
            b"Subject: x\n",
            b"\n",
            b"\r\n",
            b"{\"event\":\"bounce\"}\n",
            b"[\n",
            b"]",
            b"550 5.1.1 <a@b.example> unknown\n",
            b"\x1f\x8b",
            b"\x28\xb5\x2f\xfd",
            b"\xff\xfe\x00",
            b">From x\n",
            &gz,
            b"status=bounced (host x said: 550 no)\n",
        ];
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let mut input = Vec::new();
            for _ in 0..(next() % 12) {
                let f = fragments[(next() % fragments.len() as u64) as usize];
                let cut = (next() as usize) % (f.len() + 1);
                input.extend_from_slice(&f[..if next() % 4 == 0 { cut } else { f.len() }]);
            }
            for form in [Form::Auto, Form::Email, Form::Log, Form::Json, Form::Reply] {
                let mut jobs = 0;
                read_bytes("t", &input, form, &mut |_| {
                    jobs += 1;
                    Ok(())
                })
                .unwrap();
                let blank = input.iter().all(u8::is_ascii_whitespace);
                assert!(jobs > 0 || blank, "{form:?} {input:?}");
            }
        }
    }

    /// The files [`walk`] yields under `dir`, relative to it, and its errors.
    fn walked(dir: &Path) -> (Vec<String>, Vec<(PathBuf, String)>) {
        let (mut files, mut errors) = (Vec::new(), Vec::new());
        walk(dir, &mut files, &mut errors);
        let names = files
            .iter()
            .map(|f| f.strip_prefix(dir).unwrap().display().to_string())
            .collect();
        (names, errors)
    }

    /// A Dovecot Maildir: messages in `cur/` and `new/` (and in the
    /// Maildir++ folder `.Sent/`) are read; `tmp/` and the server's index
    /// files are not inputs.
    #[test]
    fn a_maildir_yields_only_its_messages() {
        let dir = std::env::temp_dir().join(format!("bouncedx-maildir-{}", std::process::id()));
        for d in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        for f in [
            "cur/1.M1:2,S",
            "new/2.M2",
            "tmp/3.M3",
            "dovecot.index",
            "dovecot-uidlist",
            "subscriptions",
            ".Sent/maildirfolder",
            ".Sent/cur/4.M4:2,S",
            ".Sent/tmp/5.M5",
        ] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        let (names, errors) = walked(&dir);
        assert_eq!(names, [".Sent/cur/4.M4:2,S", "cur/1.M1:2,S", "new/2.M2"]);
        assert!(errors.is_empty());
        // a folder that merely has cur/ and new/ hides nothing else
        std::fs::create_dir_all(dir.join("archive")).unwrap();
        std::fs::write(dir.join("archive/bounce.eml"), "x").unwrap();
        std::fs::write(dir.join("notes.eml"), "x").unwrap();
        let (names, _) = walked(&dir);
        assert_eq!(
            names,
            [
                ".Sent/cur/4.M4:2,S",
                "archive/bounce.eml",
                "cur/1.M1:2,S",
                "new/2.M2",
                "notes.eml"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Links are followed, loops and special files are said, never dropped
    /// (hardening item 7).
    #[test]
    fn links_and_special_files_are_followed_or_named() {
        let dir = std::env::temp_dir().join(format!("bouncedx-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("real")).unwrap();
        std::fs::write(dir.join("real/a.eml"), "x").unwrap();
        std::os::unix::fs::symlink(dir.join("real/a.eml"), dir.join("link.eml")).unwrap();
        std::os::unix::fs::symlink(dir.join("real"), dir.join("linked-folder")).unwrap();
        std::os::unix::fs::symlink(&dir, dir.join("real/loop")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("broken")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(dir.join("pipe"))
            .status()
            .is_ok_and(|s| s.success());
        let (names, errors) = walked(&dir);
        // the folder is read once, through the link met first
        assert_eq!(names, ["link.eml", "linked-folder/a.eml"]);
        let said: Vec<String> = errors
            .iter()
            .map(|(p, e)| format!("{}: {e}", p.display()))
            .collect();
        let has = |needle: &str| said.iter().any(|s| s.contains(needle));
        assert!(has("broken: a broken symbolic link"), "{said:?}");
        assert!(has("real: a folder already walked"), "{said:?}");
        assert!(has("loop: a symbolic link to"), "{said:?}");
        if fifo {
            assert!(has("pipe: a FIFO (named pipe): not read"), "{said:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Binary inputs mail teams meet say what they are and what to do.
    #[test]
    fn binary_inputs_name_what_they_are() {
        let error = |bytes: &[u8]| {
            let mut out = String::new();
            read_bytes("t", bytes, Form::Auto, &mut |j| {
                if let Job::Error { error, .. } = j {
                    out = error;
                }
                Ok(())
            })
            .unwrap();
            out
        };
        let mut msg = vec![0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
        msg.extend([0u8; 64]);
        assert!(error(&msg).contains("Outlook .msg"), "{}", error(&msg));
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend([0u8; 64]);
        assert!(error(&zip).contains("ZIP archive"));
        assert!(error(&[0u8; 64]).ends_with("not an e-mail, a log or JSON"));
    }

    #[test]
    fn walk_goes_depth_first_in_name_order() {
        let dir = std::env::temp_dir().join(format!("bouncedx-walk-{}", std::process::id()));
        for d in ["a", "a/z", "b"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        for f in ["a.txt", "a/z/1.eml", "a/0.eml", "b/2.eml", "c.log"] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        let (names, errors) = walked(&dir);
        assert_eq!(names, ["a/0.eml", "a/z/1.eml", "a.txt", "b/2.eml", "c.log"]);
        assert!(errors.is_empty());
        let (names, errors) = walked(&dir.join("missing"));
        assert!(names.is_empty());
        assert_eq!(errors.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn total_bytes_sums_the_files_of_folders_and_knows_nothing_of_stdin() {
        let dir = std::env::temp_dir().join(format!("bouncedx-total-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.eml"), [b'x'; 100]).unwrap();
        std::fs::write(dir.join("sub/b.log"), [b'y'; 23]).unwrap();
        let one = dir.join("a.eml").display().to_string();
        let all = dir.display().to_string();
        assert_eq!(total_bytes(std::slice::from_ref(&all)), Some(123));
        assert_eq!(total_bytes(&[all.clone(), one]), Some(223));
        assert_eq!(total_bytes(&[all, "-".into()]), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn forms_are_detected_from_content() {
        assert_eq!(
            detect(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n"),
            Form::Email
        );
        assert_eq!(detect(b"  {\"notificationType\":\"Bounce\"}"), Form::Json);
        assert_eq!(detect(b"Return-Path: <>\nSubject: x\n\nbody"), Form::Email);
        assert_eq!(
            detect(b"Jun 17 10:22:33 mta1 postfix/smtp[1]: A: to=<a@b.c>, status=sent\n"),
            Form::Log
        );
        assert_eq!(detect(b"550 5.1.1 user unknown\n"), Form::Log);
        // a bounce's text saved without its headers is read whole, as a
        // bounce, not line by line
        assert_eq!(
            detect(b"This is the mail system at host mx.example.com.\n\nI'm sorry"),
            Form::Email
        );
        assert_eq!(
            detect(b"\nHi. This is the qmail-send program at example.com.\n"),
            Form::Email
        );
        // Gmail's current template, and Exchange's administrators' section
        // after a paragraph for the sender
        assert_eq!(
            detect(b"Message not delivered\nThere was a problem delivering your message to dan@example.com.\n\nThe response was:\nThe recipient server did not accept our requests to connect."),
            Form::Email
        );
        let exchange = format!(
            "Your message to bob@example.org couldn't be delivered.\n{}\nDiagnostic information for administrators:\n\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'",
            "The email address couldn't be found. ".repeat(12)
        );
        assert_eq!(detect(exchange.as_bytes()), Form::Email);
        // a log whose lines quote no bounce template stays a log
        assert_eq!(
            detect(b"Dec  7 10:00:01 mx postfix/smtp[1]: A: to=<a@b.c>, dsn=5.1.1, status=bounced (host x said: 550 5.1.1 user unknown)\n"),
            Form::Log
        );
    }

    fn jobs(input: &[u8], form: Form) -> Vec<Job> {
        let mut out = Vec::new();
        read_stream("t", Box::new(input), form, &mut |j| {
            out.push(j);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn mbox_is_split_into_numbered_messages() {
        let mbox = b"From a Thu Jan  1 00:00:00 2024\nSubject: one\n\nbody\nFrom inside a body is not a separator\n\nFrom b Thu Jan  1 00:00:00 2024\nSubject: two\n\nbody\n";
        let js = jobs(mbox, Form::Auto);
        assert_eq!(js.len(), 2);
        match &js[1] {
            Job::Email { message, bytes, .. } => {
                assert_eq!(*message, Some(2));
                assert!(bytes.starts_with(b"Subject: two"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_lines_are_cut_and_lines_numbered() {
        let mut input = vec![b'x'; MAX_LINE_BYTES * 3];
        input.extend_from_slice(b"\nsecond\n");
        let js = jobs(&input, Form::Log);
        match &js[0] {
            Job::Lines { first, lines, .. } => {
                assert_eq!(*first, 1);
                assert_eq!(lines.len(), 2);
                assert_eq!(lines[0].len(), MAX_LINE_BYTES);
                assert_eq!(lines[1], "second");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_input_is_an_error() {
        assert!(matches!(jobs(b"", Form::Auto)[0], Job::Error { .. }));
    }
}
