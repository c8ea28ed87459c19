//! Progress on stderr: each step is announced once the command has run for more than a second
//! (quick runs stay quiet), with the time elapsed.

use std::time::Instant;

/// The clock of one command.
pub struct Progress {
    start: Instant,
    quiet: bool,
    /// The steps not yet shown (kept until the first second has passed).
    pending: Vec<String>,
}

impl Progress {
    /// Starts the clock; `quiet` silences every step.
    pub fn new(quiet: bool) -> Self {
        Progress {
            start: Instant::now(),
            quiet,
            pending: Vec::new(),
        }
    }

    /// Announces a step (shown, with the earlier ones, once a second has passed).
    pub fn step(&mut self, what: impl Into<String>) {
        if self.quiet {
            return;
        }
        let elapsed = self.start.elapsed().as_secs_f64();
        self.pending
            .push(format!("clv: [{elapsed:6.1}s] {}", what.into()));
        if elapsed > 1.0 {
            for line in self.pending.drain(..) {
                eprintln!("{line}");
            }
        }
    }
}
