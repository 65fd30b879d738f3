//! The registry of models: each model once by name and once by Rust type.

use std::any::TypeId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

use crate::error::{Error, Result};
use crate::schema::ModelDef;

/// The registered models. Shared by the resource managers and the HTTP layer.
#[derive(Debug, Default)]
pub struct Registry {
    models: RwLock<Vec<Arc<ModelDef>>>,
    /// Bumped by every change, so that views built from the models (the HTTP routes, the
    /// OpenAPI document) can tell cheaply that they are stale.
    generation: AtomicU64,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a model.
    ///
    /// # Errors
    /// [`Error::DuplicateModel`] when its name, or its Rust type, is registered already.
    pub fn add(&self, model: ModelDef) -> Result<Arc<ModelDef>> {
        let mut models = self.models.write();
        if let Some(existing) = models.iter().find(|m| {
            m.name() == model.name() || (m.type_id().is_some() && m.type_id() == model.type_id())
        }) {
            return Err(Error::DuplicateModel {
                model: model.name().to_owned(),
                registered_as: (existing.name() != model.name())
                    .then(|| existing.name().to_owned()),
            });
        }
        let model = Arc::new(model);
        models.push(model.clone());
        self.generation.fetch_add(1, Ordering::Release);
        Ok(model)
    }

    /// Takes a model back out (used when a store refuses it at registration).
    pub fn remove(&self, name: &str) -> Option<Arc<ModelDef>> {
        let mut models = self.models.write();
        let at = models.iter().position(|m| m.name() == name)?;
        self.generation.fetch_add(1, Ordering::Release);
        Some(models.remove(at))
    }

    /// A number that changes whenever a model is added or removed: a view built from
    /// [`all`](Self::all) after reading generation `g` is current while this still answers `g`.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The model named `name`.
    ///
    /// # Errors
    /// [`Error::UnknownModel`].
    pub fn get(&self, name: &str) -> Result<Arc<ModelDef>> {
        self.models
            .read()
            .iter()
            .find(|m| m.name() == name)
            .cloned()
            .ok_or_else(|| Error::UnknownModel {
                model: name.to_owned(),
            })
    }

    /// The model declared with the Rust type `T`.
    ///
    /// # Errors
    /// [`Error::UnknownModel`].
    pub fn get_type<T: 'static>(&self) -> Result<Arc<ModelDef>> {
        let id = TypeId::of::<T>();
        self.models
            .read()
            .iter()
            .find(|m| m.type_id() == Some(id))
            .cloned()
            .ok_or_else(|| Error::UnknownModel {
                model: std::any::type_name::<T>().to_owned(),
            })
    }

    /// Every registered model, in registration order.
    pub fn all(&self) -> Vec<Arc<ModelDef>> {
        self.models.read().clone()
    }
}
