//! A run's progress on stderr. On a terminal: a spinner per profile with the current
//! step. Otherwise (cron, systemd, a pipe to `tee`): one line per step with the time
//! since the run started, so a log shows where a run is and how long each step took,
//! instead of minutes of silence. Nothing with `--quiet` or `--json`.

use std::borrow::Cow;
use std::time::Instant;

use indicatif::ProgressBar;

/// One profile's progress (see the module docs).
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    /// Log lines instead of a spinner: the run's start and the line prefix.
    log: Option<(Instant, String)>,
}

impl Progress {
    /// Progress shown by `bar` (a spinner, or hidden).
    #[must_use]
    pub fn spinner(bar: ProgressBar) -> Self {
        Self { bar, log: None }
    }

    /// Progress written as lines `[  12.3 s] <prefix>: <step>` to stderr.
    #[must_use]
    pub fn lines(started: Instant, prefix: &str) -> Self {
        Self {
            bar: ProgressBar::hidden(),
            log: Some((started, prefix.to_owned())),
        }
    }

    /// Progress that shows nothing.
    #[must_use]
    pub fn hidden() -> Self {
        Self::spinner(ProgressBar::hidden())
    }

    /// The step now under way.
    pub fn set_message(&self, msg: impl Into<Cow<'static, str>>) {
        let msg = msg.into();
        if let Some((started, prefix)) = &self.log {
            eprintln!(
                "[{:>7.1} s] {prefix}: {msg}",
                started.elapsed().as_secs_f64()
            );
        }
        self.bar.set_message(msg);
    }

    /// Ends the progress (clears the spinner; a line says the profile is done).
    pub fn finish(&self) {
        if self.log.is_some() {
            self.set_message("done");
        }
        self.bar.finish_and_clear();
    }
}
