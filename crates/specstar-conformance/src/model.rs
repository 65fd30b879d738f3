//! A plain model of the contract: what every operation must answer, computed with vectors and
//! no cleverness, for the property test to compare stores against.

use specstar_core::Action;

use crate::fixtures::Issue;

/// One resource in the model: its revisions, oldest first.
#[derive(Clone, Debug, Default)]
pub struct ModelResource {
    /// `(data, action, deleted)` of revision `n` at index `n - 1`.
    pub revisions: Vec<(Issue, Action, bool)>,
}

impl ModelResource {
    fn current(&self) -> &(Issue, Action, bool) {
        self.revisions
            .last()
            .expect("a model resource has revision 1")
    }

    fn number(&self) -> u64 {
        self.revisions.len() as u64
    }

    fn deleted(&self) -> bool {
        self.current().2
    }

    fn append(&mut self, data: Issue, action: Action, deleted: bool) -> Outcome {
        self.revisions.push((data, action, deleted));
        Outcome::Revision(self.number())
    }
}

/// What an operation answered, reduced to what the contract fixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The current revision after a write (the new one, or the unchanged head).
    Revision(u64),
    /// A read revision: its number, data and tombstone flag.
    Data(u64, Issue, bool),
    /// A history: number, action and tombstone flag of each revision, oldest first.
    History(Vec<(u64, Action, bool)>),
    /// A permanent delete: the revision count the resource had.
    Purged(u64),
    /// An error, by kind.
    Error(ErrorKind),
}

/// The kinds of error the operations can give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// [`specstar_core::Error::ResourceNotFound`].
    NotFound,
    /// [`specstar_core::Error::RevisionNotFound`].
    RevisionNotFound,
    /// [`specstar_core::Error::Deleted`].
    Deleted,
    /// [`specstar_core::Error::AlreadyExists`].
    AlreadyExists,
    /// [`specstar_core::Error::Conflict`].
    Conflict,
}

/// An operation on the resource in `slot`.
#[derive(Clone, Debug)]
pub enum Op {
    /// Create with the slot's id.
    Create(usize, Issue),
    /// Unconditioned update.
    Update(usize, Issue),
    /// Update expecting the current revision (`stale`: one that is not current).
    UpdateIf(usize, Issue, bool),
    /// Merge patch of the title.
    PatchTitle(usize, String),
    /// Soft delete.
    Delete(usize),
    /// Restore.
    Restore(usize),
    /// Revert to revision `n`.
    Revert(usize, u64),
    /// Permanent delete.
    Purge(usize),
    /// Read the current revision.
    Get(usize),
    /// Read revision `n`.
    GetRevision(usize, u64),
    /// List the history.
    History(usize),
}

/// The model: one optional resource per slot.
#[derive(Clone, Debug)]
pub struct Model {
    slots: Vec<Option<ModelResource>>,
}

impl Model {
    /// A model with `slots` empty slots.
    pub fn new(slots: usize) -> Self {
        Self {
            slots: vec![None; slots],
        }
    }

    /// The revision number `update_if` expects for `slot` (`stale`: one that is not current).
    pub fn expected_number(&self, slot: usize, stale: bool) -> u64 {
        let current = self.slots[slot].as_ref().map_or(1, ModelResource::number);
        if stale { current + 1 } else { current }
    }

    /// Applies `op` and returns what the contract says it answers.
    pub fn apply(&mut self, op: &Op) -> Outcome {
        use ErrorKind::*;
        let slot = match op {
            Op::Create(s, _)
            | Op::Update(s, _)
            | Op::UpdateIf(s, _, _)
            | Op::PatchTitle(s, _)
            | Op::Delete(s)
            | Op::Restore(s)
            | Op::Revert(s, _)
            | Op::Purge(s)
            | Op::Get(s)
            | Op::GetRevision(s, _)
            | Op::History(s) => *s,
        };
        if let Op::Create(_, data) = op {
            if self.slots[slot].is_some() {
                return Outcome::Error(AlreadyExists);
            }
            let mut resource = ModelResource::default();
            let outcome = resource.append(data.clone(), Action::Create, false);
            self.slots[slot] = Some(resource);
            return outcome;
        }
        if let Op::Purge(_) = op {
            return match self.slots[slot].take() {
                Some(resource) => Outcome::Purged(resource.number()),
                None => Outcome::Error(NotFound),
            };
        }
        let Some(resource) = self.slots[slot].as_mut() else {
            return Outcome::Error(NotFound);
        };
        let put = |resource: &mut ModelResource, data: Issue, action| {
            if resource.deleted() {
                Outcome::Error(Deleted)
            } else if resource.current().0 == data {
                Outcome::Revision(resource.number())
            } else {
                resource.append(data, action, false)
            }
        };
        match op {
            Op::Create(..) | Op::Purge(_) => unreachable!("handled above"),
            Op::Update(_, data) => put(resource, data.clone(), Action::Update),
            Op::UpdateIf(_, data, stale) => {
                if resource.deleted() {
                    Outcome::Error(Deleted)
                } else if *stale {
                    Outcome::Error(Conflict)
                } else {
                    put(resource, data.clone(), Action::Update)
                }
            }
            Op::PatchTitle(_, title) => {
                let mut data = resource.current().0.clone();
                data.title = title.clone();
                put(resource, data, Action::Patch)
            }
            Op::Delete(_) => {
                if resource.deleted() {
                    Outcome::Error(Deleted)
                } else {
                    let data = resource.current().0.clone();
                    resource.append(data, Action::Delete, true)
                }
            }
            Op::Restore(_) => {
                if resource.deleted() {
                    let data = resource.current().0.clone();
                    resource.append(data, Action::Restore, false)
                } else {
                    Outcome::Revision(resource.number())
                }
            }
            Op::Revert(_, n) => {
                if *n > resource.number() {
                    Outcome::Error(RevisionNotFound)
                } else {
                    let data = resource.revisions[(*n - 1) as usize].0.clone();
                    put(resource, data, Action::Revert)
                }
            }
            Op::Get(_) => {
                if resource.deleted() {
                    Outcome::Error(Deleted)
                } else {
                    let (data, _, deleted) = resource.current().clone();
                    Outcome::Data(resource.number(), data, deleted)
                }
            }
            Op::GetRevision(_, n) => match resource.revisions.get((*n - 1) as usize) {
                Some((data, _, deleted)) => Outcome::Data(*n, data.clone(), *deleted),
                None => Outcome::Error(RevisionNotFound),
            },
            Op::History(_) => Outcome::History(
                resource
                    .revisions
                    .iter()
                    .enumerate()
                    .map(|(i, (_, action, deleted))| (i as u64 + 1, *action, *deleted))
                    .collect(),
            ),
        }
    }
}
