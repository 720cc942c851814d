//! Progress bars while running: one overall bar plus one line per running
//! instance that long stages (training) update. Drawn only on a terminal.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::kind::Progress;

pub(crate) struct RunBars {
    multi: MultiProgress,
    pub overall: ProgressBar,
}

impl RunBars {
    pub fn new(total: usize, visible: bool) -> RunBars {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} instances {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        RunBars { multi, overall }
    }

    /// A line for one running instance.
    pub fn instance(&self, name: &str) -> InstanceBar {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("  {spinner} {prefix} {wide_msg} {elapsed}")
                .expect("valid template"),
        );
        bar.set_prefix(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        InstanceBar { bar }
    }

    /// Print a line above the bars (so logs and bars do not garble).
    pub fn println(&self, line: &str) {
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }

    pub fn finish(&self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

pub(crate) struct InstanceBar {
    bar: ProgressBar,
}

impl Progress for InstanceBar {
    fn update(&self, done: u64, total: u64, message: &str) {
        if self.bar.length() != Some(total) {
            self.bar.set_style(
                ProgressStyle::with_template(
                    "  {prefix} [{bar:25}] {pos}/{len} {wide_msg} {per_sec}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            self.bar.set_length(total);
        }
        self.bar.set_position(done);
        self.bar.set_message(message.to_string());
    }
}

impl Drop for InstanceBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
