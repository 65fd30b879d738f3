//! What a model declares besides its data: how long its history is kept, who may do what to
//! it, and the hooks around its writes. Both declarations ([`Schema`](super::Schema),
//! [`JsonSchemaModel`](super::JsonSchemaModel)) carry one, and hand it to the
//! [`ModelDef`](super::ModelDef) they build.

use std::sync::Arc;

use crate::hooks::Hooks;
use crate::permission::Permissions;
use crate::retention::Retention;

/// A model's retention, permissions and hooks; the default keeps everything, allows
/// everything and runs nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct ModelPolicy {
    pub(crate) retention: Retention,
    pub(crate) permissions: Option<Arc<Permissions>>,
    pub(crate) hooks: Arc<Hooks>,
}
