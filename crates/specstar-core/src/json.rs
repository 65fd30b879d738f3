//! Turning a model's value into JSON without losing anything on the way.
//!
//! `serde_json::to_value` writes a non-finite float (`NaN`, `±inf`) as `null`, so a write would
//! succeed and every later typed read of that revision fail. [`to_json`] first walks the value
//! with `Check`, a serializer that writes nothing, keeps the JSON path of where it is, and
//! refuses what JSON cannot hold (non-finite floats, integers beyond 64 bits, map keys that
//! are not strings, numbers or booleans), naming the field (`$.scores[2]`); then writes it
//! with serde_json.

use std::fmt;

use serde::Serialize;
use serde::ser;
use serde_json::Value;

use crate::error::{FieldError, FieldErrors};

/// `data` as JSON, or the field error of the first value JSON cannot hold.
///
/// # Errors
/// The field path and reason of a non-finite float, an integer beyond 64 bits, or a map key
/// JSON cannot have (a key that is not a string, a number or a boolean).
pub fn to_json<T: Serialize + ?Sized>(data: &T) -> Result<Value, FieldErrors> {
    let refused = |e: Refused| {
        FieldErrors(vec![FieldError {
            path: e.path,
            reason: e.reason,
        }])
    };
    // A first pass keeps no path, so that the common case allocates nothing; only a refusal
    // walks the value again to say where.
    if let Err(quick) = data.serialize(Check::<Untracked>::root()) {
        let located = data
            .serialize(Check::<Tracked>::root())
            .err()
            .unwrap_or(quick);
        return Err(refused(located));
    }
    serde_json::to_value(data).map_err(|e| refused(Refused::at("$", e.to_string())))
}

/// Turns serde's `a.b[2]` (or `.` for the root) into a JSON path `$.a.b[2]`.
pub(crate) fn json_path(path: &str) -> String {
    match path {
        "" | "." | "?" => "$".into(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// Why [`Check`] refused a value, and where.
#[derive(Debug)]
struct Refused {
    path: String,
    reason: String,
}

impl Refused {
    fn at(path: &str, reason: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.path, self.reason)
    }
}

impl std::error::Error for Refused {}

impl ser::Error for Refused {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::at("$", msg.to_string())
    }
}

/// Where [`Check`] is in the value it walks.
trait Position: Clone {
    fn root() -> Self;
    fn field(&self, name: &str) -> Self;
    fn index(&self, index: usize) -> Self;
    /// The JSON path, as a refusal names it.
    fn text(&self) -> &str;
}

/// No position: the first pass, which only tells whether the value can be written.
#[derive(Clone)]
struct Untracked;

impl Position for Untracked {
    fn root() -> Self {
        Self
    }
    fn field(&self, _: &str) -> Self {
        Self
    }
    fn index(&self, _: usize) -> Self {
        Self
    }
    fn text(&self) -> &str {
        "$"
    }
}

/// The JSON path (`$.scores[2]`): the second pass, which says where a refusal is.
#[derive(Clone)]
struct Tracked(String);

impl Position for Tracked {
    fn root() -> Self {
        Self("$".into())
    }
    fn field(&self, name: &str) -> Self {
        Self(format!("{}.{name}", self.0))
    }
    fn index(&self, index: usize) -> Self {
        Self(format!("{}[{index}]", self.0))
    }
    fn text(&self) -> &str {
        &self.0
    }
}

/// A serializer that writes nothing and fails on values JSON cannot hold, knowing where it is
/// in the value as far as its [`Position`] keeps (serde_path_to_error loses it inside
/// `Option`s).
struct Check<P> {
    path: P,
}

impl<P: Position> Check<P> {
    fn root() -> Self {
        Self { path: P::root() }
    }

    fn field(&self, name: &str) -> Self {
        Self {
            path: self.path.field(name),
        }
    }

    fn index(&self, index: usize) -> Self {
        Self {
            path: self.path.index(index),
        }
    }

    fn float(&self, value: f64) -> Result<(), Refused> {
        if value.is_finite() {
            return Ok(());
        }
        Err(Refused::at(
            self.path.text(),
            format!(
                "expected a finite number, found {value}: JSON has no NaN or infinity, so it \
                 cannot be stored"
            ),
        ))
    }

    fn wide(&self, value: impl fmt::Display, fits: bool) -> Result<(), Refused> {
        if fits {
            return Ok(());
        }
        Err(Refused::at(
            self.path.text(),
            format!(
                "expected an integer within 64 bits, found {value}: larger integers cannot be \
                 stored as JSON numbers"
            ),
        ))
    }
}

/// A sequence, tuple, map or struct being checked: its path and the next element's index.
struct Compound<P> {
    check: Check<P>,
    next: usize,
    key: Option<String>,
}

impl<P: Position> Compound<P> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        let at = self.check.index(self.next);
        self.next += 1;
        value.serialize(at)
    }
}

/// A map key as JSON writes it, through serde_json's own rules for keys.
fn key_text<T: Serialize + ?Sized>(key: &T, path: &str) -> Result<String, Refused> {
    struct OneKey<'a, T: ?Sized>(&'a T);
    impl<T: Serialize + ?Sized> Serialize for OneKey<'_, T> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    match serde_json::to_value(OneKey(key)) {
        Ok(Value::Object(map)) => Ok(map.keys().next().cloned().unwrap_or_default()),
        Ok(_) => Ok(String::new()),
        Err(e) => Err(Refused::at(
            path,
            format!("expected a map key JSON can hold (a string, a number or a boolean): {e}"),
        )),
    }
}

impl<P: Position> ser::Serializer for Check<P> {
    type Ok = ();
    type Error = Refused;
    type SerializeSeq = Compound<P>;
    type SerializeTuple = Compound<P>;
    type SerializeTupleStruct = Compound<P>;
    type SerializeTupleVariant = Compound<P>;
    type SerializeMap = Compound<P>;
    type SerializeStruct = Compound<P>;
    type SerializeStructVariant = Compound<P>;

    fn serialize_bool(self, _: bool) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Refused> {
        self.wide(v, i64::try_from(v).is_ok() || u64::try_from(v).is_ok())
    }
    fn serialize_u8(self, _: u8) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Refused> {
        self.wide(v, u64::try_from(v).is_ok())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Refused> {
        self.float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Refused> {
        self.float(v)
    }
    fn serialize_char(self, _: char) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Refused> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Refused> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        value.serialize(self.field(variant))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<P>, Refused> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<P>, Refused> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<P>, Refused> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<P>, Refused> {
        Ok(Compound::new(self.field(variant)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<P>, Refused> {
        Ok(Compound::new(self))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<P>, Refused> {
        Ok(Compound::new(self))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<P>, Refused> {
        Ok(Compound::new(self.field(variant)))
    }
}

impl<P: Position> Compound<P> {
    fn new(check: Check<P>) -> Self {
        Self {
            check,
            next: 0,
            key: None,
        }
    }
}

impl<P: Position> ser::SerializeSeq for Compound<P> {
    type Ok = ();
    type Error = Refused;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.element(value)
    }
    fn end(self) -> Result<(), Refused> {
        Ok(())
    }
}

impl<P: Position> ser::SerializeTuple for Compound<P> {
    type Ok = ();
    type Error = Refused;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.element(value)
    }
    fn end(self) -> Result<(), Refused> {
        Ok(())
    }
}

impl<P: Position> ser::SerializeTupleStruct for Compound<P> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.element(value)
    }
    fn end(self) -> Result<(), Refused> {
        Ok(())
    }
}

impl<P: Position> ser::SerializeTupleVariant for Compound<P> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.element(value)
    }
    fn end(self) -> Result<(), Refused> {
        Ok(())
    }
}

impl<P: Position> ser::SerializeMap for Compound<P> {
    type Ok = ();
    type Error = Refused;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Refused> {
        key.serialize(Check {
            path: self.check.path.clone(),
        })?;
        self.key = Some(key_text(key, self.check.path.text())?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        let key = self.key.take().unwrap_or_default();
        value.serialize(self.check.field(&key))
    }
    fn end(self) -> Result<(), Refused> {
        Ok(())
    }
}

impl<P: Position> ser::SerializeStruct for Compound<P> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        value.serialize(self.check.field(name))
    }
    fn end(self) -> Result<(), Refused> {
        Ok(())
    }
}

impl<P: Position> ser::SerializeStructVariant for Compound<P> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        value.serialize(self.check.field(name))
    }
    fn end(self) -> Result<(), Refused> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Scores {
        name: String,
        scores: Vec<f64>,
        nested: Option<Inner>,
    }

    #[derive(Serialize)]
    struct Inner {
        ratio: f32,
        big: u128,
    }

    fn refused<T: Serialize>(data: &T) -> FieldError {
        let errors = to_json(data).unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        errors.0[0].clone()
    }

    #[test]
    fn finite_values_are_written_as_serde_json_writes_them() {
        let data = Scores {
            name: "a".into(),
            scores: vec![1.5, -0.0],
            nested: Some(Inner {
                ratio: 0.25,
                big: u128::from(u64::MAX),
            }),
        };
        assert_eq!(
            to_json(&data).unwrap(),
            serde_json::to_value(&data).unwrap()
        );
    }

    #[test]
    fn non_finite_floats_are_refused_at_their_path() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = refused(&Scores {
                name: "a".into(),
                scores: vec![1.0, 2.0, bad],
                nested: None,
            });
            assert_eq!(error.path, "$.scores[2]");
            assert!(
                error.reason.contains("expected a finite number"),
                "{error:?}"
            );
        }
        let error = refused(&Scores {
            name: "a".into(),
            scores: vec![],
            nested: Some(Inner {
                ratio: f32::NAN,
                big: 0,
            }),
        });
        assert_eq!(error.path, "$.nested.ratio");
        assert_eq!(refused(&f64::NAN).path, "$");
    }

    #[test]
    fn integers_beyond_64_bits_and_bad_map_keys_are_refused() {
        let error = refused(&Inner {
            ratio: 1.0,
            big: u128::from(u64::MAX) + 1,
        });
        assert_eq!(error.path, "$.big");
        assert!(error.reason.contains("within 64 bits"), "{error:?}");
        assert!(to_json(&(i128::from(i64::MIN))).is_ok());
        assert_eq!(refused(&(i128::from(i64::MIN) - 1)).path, "$");

        let mut keyed = BTreeMap::new();
        keyed.insert((1, 2), "v");
        let error = refused(&keyed);
        assert_eq!(error.path, "$");
        assert!(error.reason.contains("key"), "{error:?}");
    }
}
