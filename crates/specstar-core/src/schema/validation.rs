//! A JSON Schema validator's errors as field errors: each at the JSON path of the value that
//! fails (`$.owner.team`, `$.tags[2]`), shared by every codec.

use serde_json::Value;

use crate::error::FieldError;

/// The reason given for a field the model does not have.
pub(super) const UNKNOWN_FIELD: &str = "unknown field: the model has no such field";

/// Adds `error` to `out`, or, for an `anyOf`/`oneOf` (an `Option`, an enum) where exactly one
/// alternative fits the value's shape and fails only deeper inside it, that alternative's own
/// errors: `$.owner.team` rather than "`$.owner` fits none of the alternatives". Properties
/// refused by `additionalProperties: false` (or `unevaluatedProperties: false`) are one error
/// each, at the unknown field's own path.
pub(super) fn push_schema_error(
    data: &Value,
    error: &jsonschema::ValidationError<'_>,
    out: &mut Vec<FieldError>,
) {
    use jsonschema::error::ValidationErrorKind;
    let at = error.instance_path().as_str();
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } =
        error.kind()
    {
        let deeper = |alternative: &&Vec<jsonschema::ValidationError<'static>>| {
            alternative
                .iter()
                .all(|e| e.instance_path().as_str().len() > at.len())
        };
        let mut fitting = context.iter().filter(deeper);
        if let (Some(only), None) = (fitting.next(), fitting.next()) {
            for inner in only {
                push_schema_error(data, inner, out);
            }
            return;
        }
    }
    if let ValidationErrorKind::AdditionalProperties { unexpected }
    | ValidationErrorKind::UnevaluatedProperties { unexpected } = error.kind()
    {
        let object = pointer_path(data, at);
        for name in unexpected {
            out.push(FieldError {
                path: format!("{object}.{name}"),
                reason: UNKNOWN_FIELD.into(),
            });
        }
        return;
    }
    out.push(FieldError {
        path: pointer_path(data, at),
        reason: error.to_string(),
    });
}

/// Turns a JSON Pointer into `data` (`/tags/2`) into a JSON path (`$.tags[2]`): a segment is an
/// index where `data` has an array, else a key.
pub(super) fn pointer_path(data: &Value, pointer: &str) -> String {
    let mut path = String::from("$");
    let mut node = Some(data);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        node = match node {
            Some(Value::Array(items)) => {
                path.push_str(&format!("[{segment}]"));
                segment.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            other => {
                path.push('.');
                path.push_str(&segment);
                other.and_then(|n| n.get(&segment))
            }
        };
    }
    path
}
