//! A plain model of the contract: what every operation must answer, computed with vectors and
//! no cleverness, for the property test to compare stores against.

use specstar_core::Action;
use specstar_core::ErrorCode::{
    self, AlreadyExists, PreconditionFailed, ResourceDeleted, ResourceNotFound, RevisionNotFound,
};

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

    /// A write of new data: refused on a deleted resource, nothing appended when unchanged.
    fn put(&mut self, data: Issue, action: Action) -> Outcome {
        if self.deleted() {
            Outcome::Error(ResourceDeleted)
        } else if self.current().0 == data {
            Outcome::Revision(self.number())
        } else {
            self.append(data, action, false)
        }
    }

    /// Applies `op`, an operation on this existing resource other than a create or a purge.
    fn apply(&mut self, op: &Op) -> Outcome {
        match op {
            Op::Create(..) | Op::Purge(_) => unreachable!("the model applies them to its slots"),
            Op::Update(_, data) => self.put(data.clone(), Action::Update),
            Op::UpdateIf(_, _, _) if self.deleted() => Outcome::Error(ResourceDeleted),
            Op::UpdateIf(_, _, true) => Outcome::Error(PreconditionFailed),
            Op::UpdateIf(_, data, false) => self.put(data.clone(), Action::Update),
            Op::PatchTitle(_, title) => {
                let mut data = self.current().0.clone();
                data.title = title.clone();
                self.put(data, Action::Patch)
            }
            Op::Delete(_) if self.deleted() => Outcome::Error(ResourceDeleted),
            Op::Delete(_) => {
                let data = self.current().0.clone();
                self.append(data, Action::Delete, true)
            }
            Op::Restore(_) if self.deleted() => {
                let data = self.current().0.clone();
                self.append(data, Action::Restore, false)
            }
            Op::Restore(_) => Outcome::Revision(self.number()),
            Op::Revert(_, n) if *n > self.number() => Outcome::Error(RevisionNotFound),
            Op::Revert(_, n) => {
                let data = self.revisions[(*n - 1) as usize].0.clone();
                self.put(data, Action::Revert)
            }
            Op::Get(_) | Op::GetRevision(..) | Op::History(_) => self.read(op),
        }
    }

    /// Answers a read of this resource.
    fn read(&self, op: &Op) -> Outcome {
        match op {
            Op::Get(_) if self.deleted() => Outcome::Error(ResourceDeleted),
            Op::Get(_) => {
                let (data, _, deleted) = self.current().clone();
                Outcome::Data(self.number(), data, deleted)
            }
            Op::GetRevision(_, n) => match self.revisions.get((*n - 1) as usize) {
                Some((data, _, deleted)) => Outcome::Data(*n, data.clone(), *deleted),
                None => Outcome::Error(RevisionNotFound),
            },
            Op::History(_) => Outcome::History(
                self.revisions
                    .iter()
                    .enumerate()
                    .map(|(i, (_, action, deleted))| (i as u64 + 1, *action, *deleted))
                    .collect(),
            ),
            _ => unreachable!("only reads are read"),
        }
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
    /// An error, by its code (only the codes of the contract's refusals: not found, deleted,
    /// already exists, precondition failed).
    Error(ErrorCode),
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

impl Op {
    /// The slot the operation is on.
    pub fn slot(&self) -> usize {
        match self {
            Self::Create(s, _)
            | Self::Update(s, _)
            | Self::UpdateIf(s, _, _)
            | Self::PatchTitle(s, _)
            | Self::Delete(s)
            | Self::Restore(s)
            | Self::Revert(s, _)
            | Self::Purge(s)
            | Self::Get(s)
            | Self::GetRevision(s, _)
            | Self::History(s) => *s,
        }
    }
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
        let slot = op.slot();
        match op {
            Op::Create(_, data) => self.create(slot, data),
            Op::Purge(_) => match self.slots[slot].take() {
                Some(resource) => Outcome::Purged(resource.number()),
                None => Outcome::Error(ResourceNotFound),
            },
            _ => match self.slots[slot].as_mut() {
                Some(resource) => resource.apply(op),
                None => Outcome::Error(ResourceNotFound),
            },
        }
    }

    fn create(&mut self, slot: usize, data: &Issue) -> Outcome {
        if self.slots[slot].is_some() {
            return Outcome::Error(AlreadyExists);
        }
        let mut resource = ModelResource::default();
        let outcome = resource.append(data.clone(), Action::Create, false);
        self.slots[slot] = Some(resource);
        outcome
    }
}
