//! Progress of a long run: a bar when stderr is a terminal, else a plain line now and then
//! (logs and CI output stay readable).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A plain progress line every this many items.
const LINE_EVERY: u64 = 10_000;

/// The progress of counting up to a known total.
pub(crate) enum Progress {
    Bar(ProgressBar),
    Lines {
        what: &'static str,
        done: u64,
        total: u64,
    },
}

impl Progress {
    /// Progress over `total` items, each one `what` (plural, e.g. "resources").
    pub(crate) fn new(what: &'static str, total: u64) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::Lines {
                what,
                done: 0,
                total,
            };
        }
        let bar = ProgressBar::new(total);
        let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Self::Bar(bar)
    }

    /// One more item done.
    pub(crate) fn inc(&mut self) {
        match self {
            Self::Bar(bar) => bar.inc(1),
            Self::Lines { what, done, total } => {
                *done += 1;
                if done.is_multiple_of(LINE_EVERY) {
                    eprintln!("{done} of {total} {what}…");
                }
            }
        }
    }

    /// Prints `line` on stdout without tearing the bar.
    pub(crate) fn println(&self, line: &str) {
        match self {
            Self::Bar(bar) => bar.suspend(|| println!("{line}")),
            Self::Lines { .. } => println!("{line}"),
        }
    }

    /// The run is over: the bar goes away.
    pub(crate) fn finish(self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
