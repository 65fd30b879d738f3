//! Who and when: the acting user and the clock that every write records.

use std::fmt;
use std::sync::Arc;

use crate::hooks::Hooks;
use crate::time::{Clock, SystemClock, Timestamp};

/// The user recorded when no one is named.
pub const ANONYMOUS: &str = "anonymous";

/// The acting user and the clock of a resource manager. Managers are cheap to clone, so a
/// context is set per scope (`let alice = mgr.as_user("alice")`) or per call
/// (`mgr.as_user("bob").update(…)`).
#[derive(Clone)]
pub struct WriteContext {
    user: Arc<str>,
    clock: Arc<dyn Clock>,
    /// Hooks every write of this context runs, besides its model's.
    hooks: Arc<Hooks>,
}

impl WriteContext {
    /// A context acting as `user` with the system clock.
    pub fn new(user: impl Into<Arc<str>>) -> Self {
        Self {
            user: user.into(),
            clock: Arc::new(SystemClock),
            hooks: Arc::default(),
        }
    }

    /// The same context acting as `user`.
    #[must_use]
    pub fn as_user(&self, user: impl Into<Arc<str>>) -> Self {
        Self {
            user: user.into(),
            ..self.clone()
        }
    }

    /// The same context reading time from `clock`.
    #[must_use]
    pub fn with_clock(&self, clock: impl Clock) -> Self {
        Self {
            clock: Arc::new(clock),
            ..self.clone()
        }
    }

    /// The same context running `hooks` around every write (global hooks: a model's own
    /// run first).
    #[must_use]
    pub fn with_hooks(&self, hooks: Hooks) -> Self {
        Self {
            hooks: Arc::new(hooks),
            ..self.clone()
        }
    }

    /// The global hooks.
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// The acting user.
    pub fn user(&self) -> &Arc<str> {
        &self.user
    }

    /// The time to record for a write now, truncated to microseconds.
    pub fn now(&self) -> Timestamp {
        self.clock.now().truncated()
    }
}

impl Default for WriteContext {
    fn default() -> Self {
        Self::new(ANONYMOUS)
    }
}

impl fmt::Debug for WriteContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteContext")
            .field("user", &self.user)
            .field("clock", &self.clock)
            .field("hooks", &self.hooks)
            .finish()
    }
}
