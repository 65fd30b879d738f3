//! Values drawn at random from the JSON Schemas of an OpenAPI 3.1 document: what a generic API
//! fuzzer sends, so that what the property test finds is what any generator would.
//!
//! It knows the keywords the document uses (`$ref`, `const`, `enum`, `anyOf`, `oneOf`,
//! `allOf`, `type` and type lists, string lengths, `pattern`, `format: date-time`, number
//! bounds, items and lengths of arrays, properties, `required` and `additionalProperties`);
//! the caller checks each value against its schema and draws again when it strays.

pub(crate) mod qb;

use proptest::prelude::RngCore;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};

/// How deep objects and arrays nest before only what is required is drawn.
const DEEP: u32 = 5;

/// A source of values for the schemas of one document.
pub(crate) struct Generator {
    document: Value,
    runner: TestRunner,
}

impl Generator {
    /// A generator for `document`'s schemas, its draws fixed by `seed`.
    pub(crate) fn new(document: Value, seed: u64) -> Self {
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
        Self {
            document,
            runner: TestRunner::new_with_rng(Config::default(), rng),
        }
    }

    /// The document the schemas come from.
    pub(crate) fn document(&self) -> &Value {
        &self.document
    }

    /// A number below `n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.runner.rng().next_u64() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// `schema` with its `$ref` followed (within the document).
    pub(crate) fn resolve(&self, schema: &Value) -> Value {
        let mut schema = schema.clone();
        for _ in 0..16 {
            let Some(target) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let pointer = target.strip_prefix('#').expect("a local reference");
            schema = self
                .document
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling {target}"))
                .clone();
        }
        schema
    }

    /// A value drawn from `schema`.
    pub(crate) fn value(&mut self, schema: &Value) -> Value {
        self.draw(schema, 0)
    }

    fn draw(&mut self, schema: &Value, depth: u32) -> Value {
        let schema = self.resolve(schema);
        let Some(object) = schema.as_object() else {
            return self.any_scalar();
        };
        if let Some(constant) = object.get("const") {
            return constant.clone();
        }
        if let Some(Value::Array(choices)) = object.get("enum") {
            return choices[self.below(choices.len())].clone();
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = object.get(key) {
                let branch = branches[self.below(branches.len())].clone();
                return self.draw(&merged(object, key, &branch), depth);
            }
        }
        if let Some(Value::Array(parts)) = object.get("allOf") {
            let mut whole = object.clone();
            whole.remove("allOf");
            for part in parts {
                if let Value::Object(part) = self.resolve(part) {
                    whole.extend(part);
                }
            }
            return self.draw(&Value::Object(whole), depth);
        }
        match object.get("type") {
            Some(Value::Array(types)) => {
                let chosen = types[self.below(types.len())].clone();
                let mut one = object.clone();
                one.insert("type".into(), chosen);
                self.draw(&Value::Object(one), depth)
            }
            Some(Value::String(kind)) => self.typed(kind, object, depth),
            _ if object.contains_key("properties") => self.typed("object", object, depth),
            _ if object.contains_key("items") => self.typed("array", object, depth),
            _ => self.any_scalar(),
        }
    }

    fn typed(&mut self, kind: &str, schema: &Map<String, Value>, depth: u32) -> Value {
        match kind {
            "string" => Value::String(self.string(schema)),
            "integer" => json!(self.integer(schema)),
            "number" => self.number(schema),
            "boolean" => Value::Bool(self.one_in(2)),
            "null" => Value::Null,
            "array" => self.array(schema, depth),
            "object" => self.object(schema, depth),
            other => panic!("a schema of type {other:?}"),
        }
    }

    fn string(&mut self, schema: &Map<String, Value>) -> String {
        let min = bound(schema, "minLength").unwrap_or(0);
        let max = bound(schema, "maxLength").unwrap_or(min + 12).min(min + 40);
        if schema.get("format").and_then(Value::as_str) == Some("date-time") {
            return self.date_time();
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            return self.matching(pattern, max);
        }
        let length = min + self.below(max - min + 1);
        (0..length).map(|_| self.character()).collect()
    }

    /// A text `pattern` matches (its anchors taken as the whole text), of about `max` or less.
    fn matching(&mut self, pattern: &str, max: usize) -> String {
        let body = pattern.strip_prefix('^').unwrap_or(pattern);
        let body = body.strip_suffix('$').unwrap_or(body);
        let strategy = proptest::string::string_regex(body)
            .unwrap_or_else(|e| panic!("the document's pattern {pattern:?}: {e}"));
        for _ in 0..8 {
            let text = strategy
                .new_tree(&mut self.runner)
                .expect("a value")
                .current();
            if text.chars().count() <= max.max(1) {
                return text;
            }
        }
        strategy
            .new_tree(&mut self.runner)
            .expect("a value")
            .current()
    }

    /// A character, mostly plain, sometimes one that tests the server's decoding.
    fn character(&mut self) -> char {
        const ODD: &[char] = &[
            ' ',
            '%',
            '&',
            '+',
            '/',
            '?',
            '#',
            ':',
            '\'',
            '"',
            '\\',
            '\u{e9}',
            '\u{1F600}',
            '\u{0}',
            '\u{7f}',
            '\u{200b}',
            '[',
            ']',
            '=',
            ';',
        ];
        if self.one_in(4) {
            ODD[self.below(ODD.len())]
        } else {
            let plain = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
            char::from(plain[self.below(plain.len())])
        }
    }

    /// An RFC 3339 date-time in one of the forms the RFC allows (`T` or `t`, `Z`, `z` or an
    /// offset, fractions of any length, leap seconds).
    fn date_time(&mut self) -> String {
        let year = [1970, 2000, 2026, 2026, 2026, 1, 9999][self.below(7)];
        let (month, day) = (1 + self.below(12), 1 + self.below(28));
        let (mut hour, mut minute) = (self.below(24), self.below(60));
        // A leap second: RFC 3339 has it only as the last second of a UTC day.
        let leap = self.one_in(20);
        let second = if leap {
            (hour, minute) = (23, 59);
            60
        } else {
            self.below(60)
        };
        let t = if self.one_in(5) { 't' } else { 'T' };
        let fraction = match self.below(4) {
            0 => String::new(),
            1 => format!(".{}", self.below(10)),
            2 => format!(".{:06}", self.below(1_000_000)),
            _ => format!(".{:09}", self.below(1_000_000_000)),
        };
        let offset = match if leap { 0 } else { self.below(4) } {
            0 => "Z".to_owned(),
            1 => "z".to_owned(),
            2 => "+00:00".to_owned(),
            _ => {
                let sign = if self.one_in(2) { '+' } else { '-' };
                format!("{sign}{:02}:{:02}", self.below(24), self.below(60))
            }
        };
        format!(
            "{year:04}-{month:02}-{day:02}{t}{hour:02}:{minute:02}:{second:02}{fraction}{offset}"
        )
    }

    fn integer(&mut self, schema: &Map<String, Value>) -> i64 {
        let low = schema.get("minimum").and_then(Value::as_i64);
        let high = schema.get("maximum").and_then(Value::as_i64);
        let (low, high) = match (low, high) {
            (Some(l), Some(h)) => (l, h),
            (Some(l), None) => (
                l,
                l.saturating_add(if self.one_in(10) { i64::MAX / 2 } else { 50 }),
            ),
            (None, Some(h)) => (h.saturating_sub(50), h),
            (None, None) => (-50, 50),
        };
        // The bounds themselves are drawn often: that is where servers err.
        match self.below(4) {
            0 => low,
            1 => high,
            _ => low + (self.runner.rng().next_u64() % (high.abs_diff(low) + 1)) as i64,
        }
    }

    fn number(&mut self, schema: &Map<String, Value>) -> Value {
        let low = schema
            .get("minimum")
            .and_then(Value::as_f64)
            .unwrap_or(-1e6);
        let high = schema
            .get("maximum")
            .and_then(Value::as_f64)
            .unwrap_or(low + 2e6);
        let unit = (self.runner.rng().next_u64() % 10_001) as f64 / 10_000.0;
        json!(low + (high - low) * unit)
    }

    fn array(&mut self, schema: &Map<String, Value>, depth: u32) -> Value {
        let min = bound(schema, "minItems").unwrap_or(0);
        let max = bound(schema, "maxItems").unwrap_or(min + 3).min(min + 3);
        let length = if depth >= DEEP {
            min
        } else {
            min + self.below(max - min + 1)
        };
        let items = schema.get("items").cloned().unwrap_or(Value::Bool(true));
        let mut values: Vec<Value> = Vec::new();
        for _ in 0..length * 3 {
            if values.len() == length {
                break;
            }
            let value = self.draw(&items, depth + 1);
            let unique = schema.get("uniqueItems") == Some(&Value::Bool(true));
            if !(unique && values.contains(&value)) {
                values.push(value);
            }
        }
        Value::Array(values)
    }

    fn object(&mut self, schema: &Map<String, Value>, depth: u32) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut object = Map::new();
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (name, property) in properties {
                let wanted = required.contains(&name.as_str()) || (depth < DEEP && self.one_in(2));
                if wanted {
                    object.insert(name.clone(), self.draw(property, depth + 1));
                }
            }
        }
        // More keys where the schema allows them: what a generic generator would add.
        let extra = schema.get("additionalProperties");
        if extra != Some(&Value::Bool(false)) && depth < DEEP && self.one_in(4) {
            let key: String = (0..1 + self.below(6)).map(|_| self.character()).collect();
            if !object.contains_key(&key) {
                let value = match extra {
                    Some(extra @ Value::Object(_)) => self.draw(extra, depth + 1),
                    _ => self.any_scalar(),
                };
                object.insert(key, value);
            }
        }
        Value::Object(object)
    }

    fn any_scalar(&mut self) -> Value {
        match self.below(5) {
            0 => Value::Null,
            1 => Value::Bool(self.one_in(2)),
            2 => json!(self.below(1000) as i64 - 500),
            3 => json!(self.below(1000) as f64 / 7.0),
            _ => Value::String((0..self.below(8)).map(|_| self.character()).collect()),
        }
    }
}

/// `branch` with the keywords of its parent beside it (a parent's `type` or bounds apply to
/// every branch), the choice itself removed.
fn merged(parent: &Map<String, Value>, choice: &str, branch: &Value) -> Value {
    let mut whole = parent.clone();
    whole.remove(choice);
    match branch {
        Value::Object(branch) => {
            if branch.contains_key("$ref") && whole.keys().all(|k| is_annotation(k)) {
                return Value::Object(branch.clone());
            }
            whole.extend(branch.clone());
            Value::Object(whole)
        }
        other => other.clone(),
    }
}

fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "description" | "default" | "title" | "examples" | "deprecated"
    )
}

fn bound(schema: &Map<String, Value>, key: &str) -> Option<usize> {
    schema.get(key).and_then(Value::as_u64).map(|n| n as usize)
}
