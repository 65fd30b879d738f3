//! Time of writes: a [`Timestamp`] type for records and models, and the [`Clock`] that stamps writes.
//!
//! Every store keeps times at microsecond precision (PostgreSQL's `timestamptz` does, SQLite keeps
//! an integer of microseconds), so the clock truncates to microseconds before a write: the same
//! write then reads back identically from every store.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use parking_lot::Mutex;
use schemars::{JsonSchema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC, written as RFC 3339 (`2026-01-01T00:00:00Z`).
///
/// A thin wrapper over [`jiff::Timestamp`] that also describes itself as a JSON Schema
/// `date-time` string, so models can hold times (`due_date: Option<Timestamp>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(jiff::Timestamp);

impl Timestamp {
    /// The latest instant there is: later than every time a store holds.
    pub const MAX: Self = Self(jiff::Timestamp::MAX);

    /// The earliest instant there is.
    pub const MIN: Self = Self(jiff::Timestamp::MIN);

    /// The instant `age` before this one, whole microseconds; [`Timestamp::MIN`] when that
    /// lies before the start of time.
    #[must_use]
    pub fn minus(self, age: std::time::Duration) -> Self {
        self.0
            .checked_sub(age)
            .map_or(Self::MIN, |earlier| Self(earlier).truncated())
    }

    /// The current time, truncated to microseconds.
    pub fn now() -> Self {
        Self(jiff::Timestamp::now()).truncated()
    }

    /// The instant `micros` microseconds after the Unix epoch.
    ///
    /// # Errors
    /// When the value lies outside the range jiff supports (years -9999 to 9999).
    pub fn from_micros(micros: i64) -> Result<Self, jiff::Error> {
        jiff::Timestamp::from_microsecond(micros).map(Self)
    }

    /// Microseconds since the Unix epoch: the form stores keep.
    pub fn as_micros(&self) -> i64 {
        self.0.as_microsecond()
    }

    /// The same instant without its sub-microsecond part.
    #[must_use]
    pub fn truncated(self) -> Self {
        Self::from_micros(self.as_micros()).expect("truncating keeps an instant in range")
    }

    /// The wrapped [`jiff::Timestamp`].
    pub fn as_jiff(&self) -> jiff::Timestamp {
        self.0
    }
}

impl From<jiff::Timestamp> for Timestamp {
    fn from(value: jiff::Timestamp) -> Self {
        Self(value)
    }
}

impl From<Timestamp> for jiff::Timestamp {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Timestamp {
    type Err = jiff::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        jiff::Timestamp::deserialize(deserializer).map(Self)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        json_schema!({ "type": "string", "format": "date-time" })
    }
}

/// Where writes get their time from. The default is [`SystemClock`]; tests inject a
/// [`FixedClock`] so that recorded times are known in advance.
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// The time to record for a write happening now.
    fn now(&self) -> Timestamp;
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told to move: for tests and reproducible examples.
#[derive(Clone, Debug)]
pub struct FixedClock(Arc<Mutex<Timestamp>>);

impl FixedClock {
    /// A clock showing `at` (truncated to microseconds).
    pub fn new(at: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(at.truncated())))
    }

    /// Sets the time every clone of this clock shows from now on.
    pub fn set(&self, at: Timestamp) {
        *self.0.lock() = at.truncated();
    }

    /// Moves the clock forward by `micros` microseconds.
    pub fn advance_micros(&self, micros: i64) {
        let mut now = self.0.lock();
        *now = Timestamp::from_micros(now.as_micros() + micros).expect("clock stays in range");
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_and_micros() {
        let t: Timestamp = "2026-01-01T00:01:00.123456789Z".parse().unwrap();
        let t = t.truncated();
        assert_eq!(t.to_string(), "2026-01-01T00:01:00.123456Z");
        assert_eq!(Timestamp::from_micros(t.as_micros()).unwrap(), t);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::new("2026-01-01T00:00:00Z".parse().unwrap());
        let a = clock.now();
        assert_eq!(clock.now(), a);
        clock.advance_micros(1_000_000);
        assert_eq!(clock.now().to_string(), "2026-01-01T00:00:01Z");
    }
}
