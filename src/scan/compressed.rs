//! Compressed inputs: rotated logs (`mail.log.2.gz`), archived bounces.
//!
//! logrotate compresses old logs with gzip by default, and zstd is common
//! where disks are tight, so `scan /var/log/` meets them beside the live
//! log. They are recognised by their first bytes (the *magic number*), not
//! by the file name, so a pipe or standard input works the same, and they
//! are decompressed as they are read: the text behind them is streamed in
//! the same bounded jobs as any log, however much a small file expands.
//!
//! Formats read: gzip (RFC 1952, members concatenated as `cat a.gz b.gz`
//! makes them) and zstd (RFC 8878). xz and bzip2 are recognised and
//! refused with the command that reads them, rather than being called
//! binary data.

use std::io::{BufRead, BufReader};

// The limits a service sets on what it decompresses: see [`ReadLimits`].

/// What the first bytes of an input say about its compression.
pub enum Compression {
    None,
    Gzip,
    Zstd,
    /// A format that is recognised but not read; the name and the command
    /// to decompress it.
    Unsupported(&'static str, &'static str),
}

/// The compression of an input that begins with `head`.
pub fn detect(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Compression::Unsupported("xz", "xz -dc")
    } else if head.starts_with(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        Compression::Unsupported("bzip2", "bzip2 -dc")
    } else {
        Compression::None
    }
}

/// The size of the text inside the file at `path` (`size` bytes on disk),
/// for the progress bar, whose length is the bytes of text to read. gzip
/// records it in its last four bytes (modulo 4 GiB; the last member's only),
/// zstd in its frame header when the compressor knew it (RFC 8878,
/// 3.1.1.1). Only names ending in `.gz` or `.zst` are opened: this runs
/// beside the scan, and opening every file of a folder of e-mails twice
/// would cost more than the estimate is worth. Otherwise, and when the
/// format does not say, `size`.
pub fn expanded_size(path: &std::path::Path, size: u64) -> u64 {
    use std::io::{Read, Seek, SeekFrom};
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "gz" | "zst") {
        return size;
    }
    let read = || -> std::io::Result<Option<u64>> {
        let mut f = std::fs::File::open(path)?;
        let mut head = [0u8; 18];
        let n = f.read(&mut head)?;
        let head = &head[..n];
        match detect(head) {
            Compression::Gzip if size >= 18 => {
                let mut isize = [0u8; 4];
                f.seek(SeekFrom::End(-4))?;
                f.read_exact(&mut isize)?;
                Ok(Some(u64::from(u32::from_le_bytes(isize))))
            }
            Compression::Zstd => Ok(zstd_content_size(head)),
            _ => Ok(None),
        }
    };
    match read() {
        Ok(Some(n)) if n >= size => n,
        _ => size,
    }
}

/// The `Frame_Content_Size` of a zstd frame header (`head` starts with the
/// magic number), when present.
fn zstd_content_size(head: &[u8]) -> Option<u64> {
    let fhd = *head.get(4)?;
    let single_segment = fhd & 0x20 != 0;
    let fcs_bytes = match fhd >> 6 {
        0 if single_segment => 1,
        0 => return None,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let dict_bytes = [0, 1, 2, 4][usize::from(fhd & 3)];
    let at = 5 + usize::from(!single_segment) + dict_bytes;
    let field = head.get(at..at + fcs_bytes)?;
    let mut le = [0u8; 8];
    le[..fcs_bytes].copy_from_slice(field);
    let n = u64::from_le_bytes(le);
    Some(if fcs_bytes == 2 { n + 256 } else { n })
}

/// A reader of the decompressed text of `reader`, which is compressed as
/// `how` says (`Gzip` or `Zstd`); an error message when it cannot be.
pub fn decompress<'a>(
    how: &Compression,
    reader: Box<dyn BufRead + 'a>,
) -> Result<Box<dyn BufRead + 'a>, String> {
    match how {
        Compression::Gzip => Ok(Box::new(BufReader::with_capacity(
            64 * 1024,
            flate2::bufread::MultiGzDecoder::new(reader),
        ))),
        Compression::Zstd => ruzstd::decoding::StreamingDecoder::new(reader)
            .map(|d| Box::new(BufReader::with_capacity(64 * 1024, d)) as Box<dyn BufRead + 'a>)
            .map_err(|e| format!("not a readable zstd stream: {e}")),
        Compression::Unsupported(name, command) => Err(format!(
            "{name}-compressed; bouncedx reads gzip and zstd: decompress it first (`{command} FILE | bouncedx scan -`)"
        )),
        Compression::None => Ok(reader),
    }
}

/// What a compressed input may expand to, and when to stop reading it.
///
/// A gzip stream expands at most ~1,000 times; a zstd frame of a few
/// kilobytes can claim gigabytes. `scan` streams what it decompresses in
/// bounded jobs, so on the command line only time is at stake (like
/// `zcat`), and no cap is set. A service answering one request must not
/// let 2 KB of body become gigabytes of work: `serve` caps the expanded
/// size, and the ratio of expanded to compressed bytes, and stops when the
/// request ends (its deadline passed, its client left).
#[derive(Debug, Clone, Default)]
pub struct ReadLimits {
    /// Bytes of decompressed text at most.
    pub max_expanded: Option<u64>,
    /// Decompressed bytes per compressed byte at most (the expanded cap is
    /// then the smaller of the two, and never below 1 MiB, so a small
    /// request is not refused for compressing well).
    pub max_ratio: Option<u64>,
    /// Set by the owner to stop the reading (the request ended).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Set by the reader when a cap was hit, so the owner can answer 413.
    pub tripped: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl ReadLimits {
    /// The expanded-size cap for an input of `packed` compressed bytes
    /// (0: unknown, the ratio does not apply).
    pub fn cap_for(&self, packed: u64) -> Option<u64> {
        let by_ratio = self
            .max_ratio
            .filter(|_| packed > 0)
            .map(|r| packed.saturating_mul(r).max(1 << 20));
        match (self.max_expanded, by_ratio) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `text` (decompressed from `packed` bytes) under these limits.
    pub fn cap<'a>(&self, text: Box<dyn BufRead + 'a>, packed: u64) -> Box<dyn BufRead + 'a> {
        let cap = self.cap_for(packed);
        if cap.is_none() && self.stop.is_none() {
            return text;
        }
        Box::new(BufReader::with_capacity(
            64 * 1024,
            Capped {
                inner: text,
                left: cap.unwrap_or(u64::MAX),
                cap,
                limits: self.clone(),
            },
        ))
    }

    /// Whether the owner asked to stop.
    pub fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// A reader that fails once more than its cap has come out of `inner`, or
/// once its owner asked it to stop.
struct Capped<R> {
    inner: R,
    left: u64,
    cap: Option<u64>,
    limits: ReadLimits,
}

impl<R: std::io::Read> std::io::Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.limits.stopped() {
            return Err(std::io::Error::other("stopped: the request ended"));
        }
        if self.left == 0 {
            // At the cap: the input is within it only if nothing follows.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.limits
                .tripped
                .store(true, std::sync::atomic::Ordering::Relaxed);
            let cap = self.cap.unwrap_or_default();
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!(
                    "decompresses to more than {} (the limit for one request: --max-expanded, --max-ratio); send it uncompressed, in parts, or to bouncedx scan",
                    human_bytes(cap)
                ),
            ));
        }
        let n = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// `1536` → "1.5 KiB", `16777216` → "16 MiB".
pub fn human_bytes(n: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 || v.fract() == 0.0 {
        format!("{} {}", v as u64, units[u])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

#[cfg(test)]
mod tests {
    use crate::scan::sources::{read_bytes, Form, Job};
    use std::io::Write;

    const LOG: &str = "Nov 26 10:00:02 mta1 postfix/smtp[4502]: 3F2A1B: to=<ann@example.net>, relay=mx.example.net[192.0.2.10]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 <ann@example.net>: User unknown (in reply to RCPT TO command))\nNov 26 10:00:03 mta1 postfix/qmgr[4400]: 3F2A1B: removed\n";

    /// What an input becomes: each job as text.
    fn jobs(bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        read_bytes("t", bytes, Form::Auto, &mut |j| {
            out.push(match j {
                Job::Lines { first, lines, .. } => format!("lines from {first}: {}", lines.len()),
                Job::Error { error, .. } => format!("error: {error}"),
                other => format!("{other:?}"),
            });
            Ok(())
        })
        .unwrap();
        out
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_and_zstd_read_as_the_text_inside() {
        let plain = jobs(LOG.as_bytes());
        assert_eq!(plain, ["lines from 1: 2"]);
        assert_eq!(jobs(&gzip(LOG.as_bytes())), plain);
        // two members, as `cat a.gz b.gz` makes
        let mut two = gzip(LOG.as_bytes());
        two.extend(gzip(LOG.as_bytes()));
        assert_eq!(jobs(&two), ["lines from 1: 4"]);
        let zst = ruzstd::encoding::compress_to_vec(
            LOG.as_bytes(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert_eq!(jobs(&zst), plain);
    }

    /// The progress bar's length is the text inside a compressed file, as
    /// its format records it.
    #[test]
    fn the_size_inside_is_read_from_the_format() {
        let dir = std::env::temp_dir().join(format!("bouncedx-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = LOG.repeat(40);
        let gz = dir.join("a.log.gz");
        std::fs::write(&gz, gzip(text.as_bytes())).unwrap();
        let zst = dir.join("a.log.zst");
        std::fs::write(
            &zst,
            ruzstd::encoding::compress_to_vec(
                text.as_bytes(),
                ruzstd::encoding::CompressionLevel::Fastest,
            ),
        )
        .unwrap();
        for f in [&gz, &zst] {
            let on_disk = std::fs::metadata(f).unwrap().len();
            assert!(on_disk < text.len() as u64 / 4);
            let inside = super::expanded_size(f, on_disk);
            assert!(
                inside == text.len() as u64 || (f == &zst && inside == on_disk),
                "{}: {inside}",
                f.display()
            );
        }
        assert_eq!(super::expanded_size(&dir.join("plain.log"), 99), 99);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn zstd_frame_headers_give_their_content_size() {
        // single segment, 1-byte size
        assert_eq!(
            super::zstd_content_size(&[0x28, 0xb5, 0x2f, 0xfd, 0x20, 200]),
            Some(200)
        );
        // 2-byte size (+256), with a window descriptor
        assert_eq!(
            super::zstd_content_size(&[0x28, 0xb5, 0x2f, 0xfd, 0x40, 0x58, 0x10, 0x00]),
            Some(0x10 + 256)
        );
        // 4-byte size
        assert_eq!(
            super::zstd_content_size(&[0x28, 0xb5, 0x2f, 0xfd, 0x80, 0x58, 0x00, 0x00, 0x01, 0x00]),
            Some(0x10000)
        );
        // no size recorded
        assert_eq!(
            super::zstd_content_size(&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]),
            None
        );
    }

    #[test]
    fn broken_and_unread_formats_are_named() {
        let gz = gzip(LOG.repeat(50).as_bytes());
        let cut = jobs(&gz[..gz.len() / 2]);
        assert!(
            cut.last().is_some_and(|j| j.contains("error: cannot read")),
            "{cut:?}"
        );
        let xz = [0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4];
        assert_eq!(
            jobs(&xz),
            ["error: xz-compressed; bouncedx reads gzip and zstd: decompress it first (`xz -dc FILE | bouncedx scan -`)"]
        );
        // gzip inside gzip is opened once: the inner layer is binary data
        let nested = jobs(&gzip(&gzip(LOG.as_bytes())));
        assert!(nested[0].starts_with("error: binary data"), "{nested:?}");
        assert_eq!(jobs(&gzip(b"")), ["error: empty after decompression"]);
    }
}
