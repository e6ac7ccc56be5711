//! The progress bar of a scan on a terminal.
//!
//! A scan's length is the bytes of its inputs. A thread of its own walks the
//! inputs once more and sums their sizes (the scan does not wait for it);
//! until it is done, and for standard input, whose length nobody knows, the
//! bar is a spinner with counts. Then it becomes a bar with a percentage and
//! an estimate of the time left. It advances by the input bytes of each
//! batch whose results have been written, so it never runs ahead of the
//! output.

use super::summary::Summary;
use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Shows a spinner now and a bar once the inputs' size is known.
    pub fn start(paths: &[String]) -> Progress {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("static template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let sized = bar.clone();
        let paths = paths.to_vec();
        // Detached: if the scan ends first, the sum is simply not used.
        let _ = std::thread::Builder::new()
            .name("bouncedx-progress".into())
            .spawn(move || {
                if let Some(total) = super::sources::total_bytes(&paths) {
                    if sized.is_finished() {
                        return;
                    }
                    sized.set_length(total);
                    sized.set_style(
                        ProgressStyle::with_template(
                            "{elapsed} [{bar:30}] {percent:>3}% of {total_bytes}, {eta} left · {msg}",
                        )
                        .expect("static template")
                        .progress_chars("=> "),
                    );
                }
            });
        Progress { bar }
    }

    /// `bytes` more of the input have their results written.
    pub fn advance(&self, bytes: u64, summary: &Summary) {
        self.bar.inc(bytes);
        self.bar.set_message(format!(
            "{} results, {} unreadable",
            summary.results, summary.errors
        ));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
