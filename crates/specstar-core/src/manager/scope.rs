//! A resource manager within a row scope ([`DynResourceManager::within`]): what a caller whose
//! access comes only from scoped rules ([`Permissions::grant`](crate::Permissions::grant))
//! works with. Its searches and counts are the query and the scope, in the store's own query
//! (answered by its indexes); its writes must find the resource in the scope and leave it there.

use std::sync::Arc;

use super::DynResourceManager;
use crate::error::{Error, Result};
use crate::meta::ResourceMeta;
use crate::query::{Filter, Query};
use crate::schema::EncodedData;
use crate::store::{Change, WriteRequest};

/// The code of a write refused for its scope (HTTP 403).
pub const OUT_OF_SCOPE: &str = "forbidden";

impl DynResourceManager {
    /// The same manager within `scope` (and the scope it already works within, if any):
    /// searches and counts keep only the resources it matches (deleted or not), and a write is
    /// refused ([`Error::Refused`], status 403, code `forbidden`) when it finds the resource out
    /// of the scope or would leave it out. Reads of one resource by id through `get` (any
    /// revision), `get_as_of`, `diff` and `get_meta` answer [`Error::ResourceNotFound`] for a
    /// resource out of the scope, as the head they read says; for its history, verification and
    /// pins, check [`visible_head`](Self::visible_head) first, as the HTTP layer does.
    ///
    /// # Errors
    /// [`Error::UnindexedField`] or [`Error::InvalidQuery`] when the scope does not fit the
    /// model, as a query's filter would not.
    pub fn within(&self, scope: Filter) -> Result<Self> {
        let scope = match &self.scope {
            Some(outer) => Filter::And(vec![Filter::clone(outer), scope]),
            None => scope,
        };
        let checked = Query {
            filter: Some(scope),
            include_deleted: true,
            ..Query::default()
        }
        .normalized(self.model())?;
        let mut scoped = self.clone();
        scoped.scope = checked.filter.map(Arc::new);
        Ok(scoped)
    }

    /// The row scope the manager works within, if any (checked: timestamps canonical).
    pub fn scope(&self) -> Option<&Filter> {
        self.scope.as_deref()
    }

    /// The head of resource `id` when it is in the scope (or there is none), deleted or not;
    /// `None` when there is no such resource. A resource out of the scope is
    /// [`Error::ResourceNotFound`], as if it did not exist: what a caller's reads of one
    /// resource (its data, old revisions, history, diffs, verification) check first.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`] out of the scope, id and store errors.
    pub async fn visible_head(&self, id: &str) -> Result<Option<ResourceMeta>> {
        let resource_id = self.resource_id(id)?;
        let Some(head) = self.store().meta(&resource_id).await? else {
            return Ok(None);
        };
        self.in_scope(&head)?;
        Ok(Some(head))
    }

    /// Whether a resource with this head is in the scope (always, without one).
    pub fn admits(&self, head: &ResourceMeta) -> bool {
        self.scope
            .as_ref()
            .is_none_or(|scope| scope.matches_on(self.model().indexed_fields(), head))
    }

    /// [`Error::ResourceNotFound`] when `head` is out of the scope: a read of one resource
    /// never shows what the scope hides, even when the resource moved out since it was checked.
    pub(super) fn in_scope(&self, head: &ResourceMeta) -> Result<()> {
        if self.admits(head) {
            Ok(())
        } else {
            Err(Error::ResourceNotFound {
                resource_id: head.resource_id.clone(),
            })
        }
    }

    /// `query` checked against the model, and the scope.
    pub(super) fn scoped(&self, query: &Query) -> Result<Query> {
        let query = query.checked(self.model())?;
        Ok(match &self.scope {
            Some(scope) => query.filter(Filter::clone(scope)),
            None => query,
        })
    }

    /// Refuses a write that finds the resource out of the scope (`head`, read just before)
    /// or whose new data would leave it out.
    pub(super) fn check_scope(
        &self,
        request: &WriteRequest,
        head: Option<&ResourceMeta>,
    ) -> Result<()> {
        if self.scope.is_none() {
            return Ok(());
        }
        if let Some(head) = head
            && !self.admits(head)
        {
            return Err(out_of_scope(request, "is outside the caller's scope"));
        }
        let (Change::Create(data) | Change::Put { data, .. }) = &request.change else {
            return Ok(());
        };
        if self.admits(&planned(request, head, data)) {
            Ok(())
        } else {
            Err(out_of_scope(
                request,
                "would leave the caller's scope with this data",
            ))
        }
    }
}

fn out_of_scope(request: &WriteRequest, why: &str) -> Error {
    Error::Refused {
        resource_id: request.resource_id.clone(),
        status: 403,
        code: OUT_OF_SCOPE,
        message: format!("{} {why}", request.resource_id),
    }
}

/// The head as it would be after writing `data`: what the scope must still match.
fn planned(
    request: &WriteRequest,
    head: Option<&ResourceMeta>,
    data: &EncodedData,
) -> ResourceMeta {
    let user = request.user.clone();
    match head {
        Some(head) => ResourceMeta {
            total_revision_count: head.total_revision_count + 1,
            current_revision_id: request.resource_id.revision(head.total_revision_count + 1),
            schema_version: request.schema_version.clone(),
            updated_time: request.time,
            updated_by: user,
            is_deleted: false,
            indexed_data: data.indexed.clone(),
            ..head.clone()
        },
        None => ResourceMeta {
            resource_id: request.resource_id.clone(),
            current_revision_id: request.resource_id.revision(1),
            total_revision_count: 1,
            schema_version: request.schema_version.clone(),
            created_time: request.time,
            created_by: user.clone(),
            updated_time: request.time,
            updated_by: user,
            is_deleted: false,
            indexed_data: data.indexed.clone(),
        },
    }
}
