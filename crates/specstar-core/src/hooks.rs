//! Hooks around writes: code of the application's own that every write of the resource
//! managers goes through, whatever calls it (Rust, the HTTP API).
//!
//! - A **before-write** hook sees the write about to be asked of the store (the
//!   [`WriteRequest`]: the resource, the change with its encoded data, the expected revision,
//!   the user, the time) and the resource's head as it is, and may refuse it with a
//!   [`Refusal`]: then nothing is written, and the caller gets [`Error::Refused`] (over HTTP,
//!   the refusal's 4xx status and code).
//! - An **after-commit** hook runs once for each revision a write appended, after the store
//!   made it durable, with what was written. It cannot undo the write; a hook that must not
//!   miss a revision (a process may stop between the commit and the hook) consumes the change
//!   feed instead.
//!
//! A model's hooks ([`Schema::hooks`](crate::Schema::hooks)) and the global
//! ones of a [`WriteContext`](crate::WriteContext) both run, the model's first.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::meta::ResourceMeta;
use crate::store::{WriteRequest, Written};

/// Why a before-write hook refuses a write: an HTTP status of 400 to 499 (others are answered
/// as 422), a stable code of the application's own, and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The status the HTTP API answers (400–499).
    pub status: u16,
    /// A stable, machine-readable name (`title_taken`, …).
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
}

impl Refusal {
    /// A refusal answered 422 with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 422,
            code,
            message: message.into(),
        }
    }

    /// The same refusal answered with `status` (400–499).
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

/// A before-write hook: the write asked and the head as it is (`None` before a create).
pub type BeforeWrite = Arc<
    dyn Fn(&WriteRequest, Option<&ResourceMeta>) -> std::result::Result<(), Refusal> + Send + Sync,
>;

/// An after-commit hook: what a write that appended a revision wrote.
pub type AfterCommit = Arc<dyn Fn(&Written) + Send + Sync>;

/// A set of hooks, run in the order they were added.
#[derive(Clone, Default)]
pub struct Hooks {
    before: Vec<BeforeWrite>,
    after: Vec<AfterCommit>,
}

impl Hooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same hooks and `hook` before every write.
    #[must_use]
    pub fn before_write(
        mut self,
        hook: impl Fn(&WriteRequest, Option<&ResourceMeta>) -> std::result::Result<(), Refusal>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.before.push(Arc::new(hook));
        self
    }

    /// The same hooks and `hook` after every committed revision.
    #[must_use]
    pub fn after_commit(mut self, hook: impl Fn(&Written) + Send + Sync + 'static) -> Self {
        self.after.push(Arc::new(hook));
        self
    }

    /// Whether there are no hooks at all.
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.after.is_empty()
    }

    /// Whether there is a before-write hook (a write then reads the head first).
    pub fn has_before(&self) -> bool {
        !self.before.is_empty()
    }

    /// Runs the before-write hooks; the first refusal stops the write.
    ///
    /// # Errors
    /// [`Error::Refused`] with the first refusal.
    pub fn check(&self, request: &WriteRequest, head: Option<&ResourceMeta>) -> Result<()> {
        for hook in &self.before {
            hook(request, head).map_err(|refusal| Error::Refused {
                resource_id: request.resource_id.clone(),
                status: refusal.status,
                code: refusal.code,
                message: refusal.message,
            })?;
        }
        Ok(())
    }

    /// Runs the after-commit hooks, when the write appended a revision.
    pub fn committed(&self, written: &Written) {
        if written.appended {
            for hook in &self.after {
                hook(written);
            }
        }
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("before_write", &self.before.len())
            .field("after_commit", &self.after.len())
            .finish()
    }
}
