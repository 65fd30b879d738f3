//! Progress of a long run: a bar when stderr is a terminal, else a plain line now and then
//! (logs and CI output stay readable).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A plain progress line every this many items.
const LINE_EVERY: u64 = 10_000;

/// The progress of counting items, up to a known total or not.
pub(crate) enum Progress {
    Bar(ProgressBar),
    Lines {
        what: &'static str,
        done: u64,
        /// `None` when the total is not known in advance.
        total: Option<u64>,
    },
}

impl Progress {
    /// Progress over `total` items, each one `what` (plural, e.g. "resources").
    pub(crate) fn new(what: &'static str, total: u64) -> Self {
        let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)");
        Self::start(what, Some(total), &template)
    }

    /// Progress over items whose total is not known in advance (an archive's resources).
    pub(crate) fn counting(what: &'static str) -> Self {
        Self::start(
            what,
            None,
            &format!("{{spinner}} {{pos}} {what} ({{per_sec}})"),
        )
    }

    fn start(what: &'static str, total: Option<u64>, template: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::Lines {
                what,
                done: 0,
                total,
            };
        }
        let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
        if let Ok(style) = ProgressStyle::with_template(template) {
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
                    match total {
                        Some(total) => eprintln!("{done} of {total} {what}…"),
                        None => eprintln!("{done} {what}…"),
                    }
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
