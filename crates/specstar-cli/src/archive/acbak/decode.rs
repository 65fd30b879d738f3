//! From msgpack values to the reader's typed records: the fields of one record, times,
//! revision data.

use base64::Engine as _;
use jiff::Timestamp;
use rmpv::Value;

/// The msgpack extension type of a timestamp (msgpack's own, which msgspec writes for an aware
/// `datetime`).
const TIMESTAMP_EXT: i8 = -1;

/// Reads one msgpack value that must fill `bytes` exactly.
pub(super) fn whole_value(bytes: &[u8]) -> Result<Value, String> {
    let mut rest = bytes;
    let value = rmpv::decode::read_value(&mut rest).map_err(|e| format!("bad msgpack: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "{} bytes of trailing data after the msgpack value",
            rest.len()
        ));
    }
    Ok(value)
}

/// The fields of a msgpack map (a msgspec `Struct`), taken by name. Unknown fields are left
/// alone, as the reference's decoder does.
pub(super) struct Fields {
    what: &'static str,
    entries: Vec<(Value, Value)>,
}

impl Fields {
    pub(super) fn new(what: &'static str, value: Value) -> Result<Self, String> {
        match value {
            Value::Map(entries) => Ok(Self { what, entries }),
            other => Err(format!("{what} is {}, not a map", kind(&other))),
        }
    }

    /// The field `name`, if present (the reference omits UNSET fields).
    pub(super) fn take(&mut self, name: &str) -> Option<Value> {
        let at = self
            .entries
            .iter()
            .position(|(key, _)| key.as_str() == Some(name))?;
        Some(self.entries.swap_remove(at).1)
    }

    fn required(&mut self, name: &str) -> Result<Value, String> {
        self.take(name)
            .ok_or_else(|| format!("{} has no field `{name}`", self.what))
    }

    fn bad(&self, name: &str, expected: &str, found: &Value) -> String {
        format!(
            "{}'s `{name}` is {}, not {expected}",
            self.what,
            kind(found)
        )
    }

    pub(super) fn string(&mut self, name: &str) -> Result<String, String> {
        match self.required(name)? {
            Value::String(s) if s.is_str() => Ok(s.into_str().unwrap_or_default()),
            other => Err(self.bad(name, "a UTF-8 string", &other)),
        }
    }

    /// A string that may be nil or absent.
    pub(super) fn opt_string(&mut self, name: &str) -> Result<Option<String>, String> {
        match self.take(name) {
            None | Some(Value::Nil) => Ok(None),
            Some(Value::String(s)) if s.is_str() => Ok(s.into_str()),
            Some(other) => Err(self.bad(name, "a UTF-8 string or nil", &other)),
        }
    }

    pub(super) fn u64(&mut self, name: &str) -> Result<u64, String> {
        match self.required(name)? {
            Value::Integer(i) if i.as_u64().is_some() => Ok(i.as_u64().unwrap_or_default()),
            other => Err(self.bad(name, "an unsigned integer", &other)),
        }
    }

    /// A boolean, `default` when absent (msgspec leaves a field at its default out only when
    /// told to; 0.12.3 writes it).
    pub(super) fn bool_or(&mut self, name: &str, default: bool) -> Result<bool, String> {
        match self.take(name) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(b),
            Some(other) => Err(self.bad(name, "a boolean", &other)),
        }
    }

    pub(super) fn bytes(&mut self, name: &str) -> Result<Vec<u8>, String> {
        match self.required(name)? {
            Value::Binary(b) => Ok(b),
            other => Err(self.bad(name, "a byte string", &other)),
        }
    }

    pub(super) fn time(&mut self, name: &str) -> Result<Timestamp, String> {
        let value = self.required(name)?;
        time(&value).map_err(|e| format!("{}'s `{name}`: {e}", self.what))
    }

    /// A map of JSON values that may be absent.
    pub(super) fn opt_json_map(
        &mut self,
        name: &str,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
        match self.take(name) {
            None | Some(Value::Nil) => Ok(None),
            Some(value @ Value::Map(_)) => match to_json(value) {
                Ok(serde_json::Value::Object(map)) => Ok(Some(map)),
                Ok(_) => Err(format!("{}'s `{name}` is not a map", self.what)),
                Err(e) => Err(format!("{}'s `{name}`: {e}", self.what)),
            },
            Some(other) => Err(self.bad(name, "a map", &other)),
        }
    }
}

/// A time as msgspec writes it: the timestamp extension for an aware `datetime`, an ISO 8601
/// string without offset for a naive one (read as UTC), or with one.
pub(super) fn time(value: &Value) -> Result<Timestamp, String> {
    match value {
        Value::Ext(TIMESTAMP_EXT, body) => timestamp(body),
        Value::String(s) => {
            let text = s.as_str().ok_or("a time string that is not UTF-8")?;
            if let Ok(at) = text.parse::<Timestamp>() {
                return Ok(at);
            }
            text.parse::<jiff::civil::DateTime>()
                .and_then(|civil| jiff::tz::TimeZone::UTC.to_timestamp(civil))
                .map_err(|e| format!("the time {text:?} does not parse: {e}"))
        }
        other => Err(format!("{} is not a time", kind(other))),
    }
}

/// msgpack's timestamp extension: 32 bits of seconds; 30 bits of nanoseconds and 34 of
/// seconds; or 32 bits of nanoseconds and 64 of signed seconds. Big-endian.
fn timestamp(body: &[u8]) -> Result<Timestamp, String> {
    let (seconds, nanos) = match *body {
        [a, b, c, d] => (i64::from(u32::from_be_bytes([a, b, c, d])), 0),
        [a, b, c, d, e, f, g, h] => {
            let both = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
            let seconds = both & ((1 << 34) - 1);
            (seconds.cast_signed(), (both >> 34) as u32)
        }
        [a, b, c, d, e, f, g, h, i, j, k, l] => (
            i64::from_be_bytes([e, f, g, h, i, j, k, l]),
            u32::from_be_bytes([a, b, c, d]),
        ),
        _ => return Err(format!("a timestamp of {} bytes", body.len())),
    };
    let nanos = i32::try_from(nanos)
        .ok()
        .filter(|n| *n < 1_000_000_000)
        .ok_or_else(|| format!("a timestamp with {nanos} nanoseconds"))?;
    Timestamp::new(seconds, nanos).map_err(|e| format!("a timestamp out of range: {e}"))
}

/// A msgpack value as JSON, as msgspec's JSON encoder would write it: byte strings in base64,
/// times in RFC 3339, integer map keys as strings. NaN and infinities, other extensions and
/// other keys are refused.
pub(super) fn to_json(value: Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as Json;
    Ok(match value {
        Value::Nil => Json::Null,
        Value::Boolean(b) => Json::Bool(b),
        Value::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(n), _) => Json::from(n),
            (None, Some(n)) => Json::from(n),
            (None, None) => return Err(format!("the integer {i} is out of range")),
        },
        Value::F32(f) => float(f64::from(f))?,
        Value::F64(f) => float(f)?,
        Value::String(s) => Json::String(s.into_str().ok_or("a string that is not UTF-8")?),
        Value::Binary(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Array(items) => {
            Json::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Value::Map(entries) => {
            let mut map = serde_json::Map::with_capacity(entries.len());
            for (key, value) in entries {
                let key = match key {
                    Value::String(s) => s.into_str().ok_or("a map key that is not UTF-8")?,
                    Value::Integer(i) => i.to_string(),
                    other => return Err(format!("a map key that is {}", kind(&other))),
                };
                map.insert(key, to_json(value)?);
            }
            Json::Object(map)
        }
        ref ext @ Value::Ext(TIMESTAMP_EXT, _) => Json::String(time(ext)?.to_string()),
        Value::Ext(code, _) => return Err(format!("a msgpack extension of type {code}")),
    })
}

fn float(f: f64) -> Result<serde_json::Value, String> {
    serde_json::Number::from_f64(f)
        .map(serde_json::Value::Number)
        .ok_or_else(|| format!("the number {f}, which JSON cannot hold"))
}

/// What a value is, for error messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Boolean(_) => "a boolean",
        Value::Integer(_) => "an integer",
        Value::F32(_) | Value::F64(_) => "a float",
        Value::String(_) => "a string",
        Value::Binary(_) => "a byte string",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        Value::Ext(..) => "a msgpack extension",
    }
}
