//! What the SQL stores record of a model: its indexed field paths and, among them, its array
//! fields (`models.indexed_fields`, `models.element_fields`, both JSON lists of paths).

use specstar_core::{Error, FieldShape, ModelDescriptor, Result};

/// The array fields of a model, sorted: what `models.element_fields` records.
pub fn array_paths(model: &ModelDescriptor) -> Vec<String> {
    let mut paths: Vec<String> = model
        .indexed_fields
        .iter()
        .filter(|f| f.is_array())
        .map(|f| f.path().to_owned())
        .collect();
    paths.sort();
    paths
}

/// The shape of a data field given the model's array fields (what a store knows of it).
pub fn shape(arrays: &[String], path: &str) -> FieldShape {
    if arrays.iter().any(|a| a == path) {
        FieldShape::Array
    } else {
        FieldShape::Scalar
    }
}

/// A list of paths read from column `column` of model `model`'s row, as the store parsed it.
///
/// # Errors
/// [`Error::Corrupt`] naming the model and the column when it is not a list of strings.
pub fn field_list(
    model: &str,
    column: &str,
    parsed: serde_json::Result<Vec<String>>,
) -> Result<Vec<String>> {
    parsed.map_err(|e| Error::Corrupt {
        what: format!("model {model:?}"),
        reason: format!("column {column}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use specstar_core::IndexedField;

    use super::*;

    #[test]
    fn array_fields_are_sorted_and_lists_checked() {
        let field = |path: &str, shape: FieldShape| {
            IndexedField::at(path, false)
                .expect("a path")
                .with_shape(shape)
        };
        let model = ModelDescriptor {
            name: Arc::from("post"),
            schema_version: Arc::from("v1"),
            indexed_fields: vec![
                field("tags", FieldShape::Array),
                field("status", FieldShape::Scalar),
                field("labels", FieldShape::Array),
            ],
            upcast: None,
            fingerprint: None,
        };
        let arrays = array_paths(&model);
        assert_eq!(arrays, ["labels", "tags"]);
        assert_eq!(shape(&arrays, "tags"), FieldShape::Array);
        assert_eq!(shape(&arrays, "status"), FieldShape::Scalar);
        let error = field_list("post", "element_fields", serde_json::from_str("[1]"))
            .expect_err("not strings");
        assert!(
            error.to_string().contains("column element_fields"),
            "{error}"
        );
    }
}
