//! The one lenient reader of Watson payloads. Everything that reads a stored or arriving body (the
//! deriver at ingest, the conversation and call views) reads it through these functions, so a field
//! is read the same way wherever it is read.
//!
//! They read either of two parsed trees ([`Json`]): serde_json's own, or the borrowing one the
//! deriver parses a body into.
//!
//! Rules (nothing here fails: a value that is missing or of another type is `None`):
//!
//! | reader | accepts | `None` for |
//! |---|---|---|
//! | [`at`] path lookup | an object by key; an array by a decimal index (`"0"`) | any other step |
//! | [`string`] / [`str_at`] | a JSON string, as it is (not trimmed) | numbers, booleans, objects |
//! | [`scalar_text`] | strings as they are; numbers, booleans, objects, arrays as JSON text | `null` |
//! | [`number`] / [`num_at`] | any JSON number, as `f64` | strings, even `"1.5"` |
//! | [`integer`] / [`int_at`] | an integer; a fractional number rounded half away from zero | strings |
//! | [`boolean`] / [`bool_at`] | `true` / `false` | `"true"`, `1` |
//! | [`array`] / [`array_at`] | an array's items | anything else (no items) |
//! | [`object`] / [`object_at`] | an object's map (serde_json's tree only) | anything else |
//! | [`members_at`] | an object's members, each key once (its last value, in its first place) | anything else (no members) |
//! | [`present`] | any value but `null`, cloned | `null` |
//! | [`timestamp_ms`] | RFC 3339 text (`2026-03-10T15:30:12.930Z`, any offset), surrounding spaces ignored | anything else |
//! | [`event_time_ms`] | as [`timestamp_ms`], after the Unix epoch | the same, and `1970-01-01T00:00:00Z` (IBM's "not recorded") or earlier |
//!
//! Where the three readers this replaces disagreed: the deriver's path lookup stepped into arrays by
//! index (`results.0.alternatives.0.confidence`), the conversation's and the call's did not (an
//! array there gave `None`). The array step is kept: a path whose key is not a decimal index still
//! gives `None` on an array, so no path that found something before finds something else now. They
//! agreed on everything else (strings not coerced to numbers or booleans, fractional integers rounded).

use std::collections::HashMap;

use serde_json::{Map, Value};

/// A parsed JSON tree, as the readers below read it. Two trees implement it:
/// - serde_json's own [`Value`]: the conversation and call views, which keep parts of a body;
/// - [`Borrowed`]: the deriver, which only reads. It borrows its strings from the body and keeps an
///   object's members in a list, so parsing a 3 KB body takes about 15 µs instead of 36.
///
/// Both read a body the same way, down to an object whose key repeats: the value is the last one
/// given, in the place of the first, as serde_json's map keeps it (a test derives arbitrary bodies
/// through both trees and compares the rows).
pub trait Json: Sized {
    /// `null`, for a part of the tree that is missing.
    fn null() -> Self;
    /// An object's member; `None` for anything else.
    fn get(&self, key: &str) -> Option<&Self>;
    /// An array's items; none for anything else.
    fn items(&self) -> &[Self];
    /// An object's members, each key once; none for anything else.
    fn members(&self) -> impl Iterator<Item = (&str, &Self)>;
    fn as_str(&self) -> Option<&str>;
    fn as_i64(&self) -> Option<i64>;
    fn as_f64(&self) -> Option<f64>;
    fn as_bool(&self) -> Option<bool>;
    fn is_null(&self) -> bool;
    fn is_object(&self) -> bool;
    fn is_array(&self) -> bool;
    /// As serde_json's tree (a copy).
    fn to_value(&self) -> Value;
    /// As JSON text.
    fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

impl Json for Value {
    fn null() -> Self {
        Value::Null
    }
    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }
    fn items(&self) -> &[Self] {
        self.as_array().map_or(&[], Vec::as_slice)
    }
    fn members(&self) -> impl Iterator<Item = (&str, &Self)> {
        self.as_object()
            .into_iter()
            .flat_map(|map| map.iter().map(|(k, v)| (k.as_str(), v)))
    }
    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }
    fn as_i64(&self) -> Option<i64> {
        Value::as_i64(self)
    }
    fn as_f64(&self) -> Option<f64> {
        Value::as_f64(self)
    }
    fn as_bool(&self) -> Option<bool> {
        Value::as_bool(self)
    }
    fn is_null(&self) -> bool {
        Value::is_null(self)
    }
    fn is_object(&self) -> bool {
        Value::is_object(self)
    }
    fn is_array(&self) -> bool {
        Value::is_array(self)
    }
    fn to_value(&self) -> Value {
        self.clone()
    }
    fn to_json(&self) -> String {
        self.to_string()
    }
}

/// The deriver's tree of a body: see [`Json`].
pub type Borrowed<'a> = serde_json_borrow::Value<'a>;

/// Objects with at most this many members find a repeated key by looking through the members
/// already seen; larger ones through a map.
const FEW_MEMBERS: usize = 16;

impl Json for Borrowed<'_> {
    fn null() -> Self {
        Borrowed::Null
    }
    fn get(&self, key: &str) -> Option<&Self> {
        // The last of a repeated key, as serde_json keeps it.
        let members = self.as_object()?.as_vec();
        members
            .iter()
            .rev()
            .find(|(k, _)| **k == *key)
            .map(|(_, v)| v)
    }
    fn items(&self) -> &[Self] {
        self.as_array().unwrap_or(&[])
    }
    fn members(&self) -> impl Iterator<Item = (&str, &Self)> {
        let members = self.as_object().map_or(&[][..], |o| o.as_vec().as_slice());
        // Each key once, in the place of its first, with its last value.
        let few = members.len() <= FEW_MEMBERS;
        let mut out: Vec<(&str, &Self)> = Vec::with_capacity(members.len());
        let mut places: HashMap<&str, usize> = HashMap::new();
        for (key, value) in members {
            let key: &str = key;
            let place = if few {
                out.iter().position(|(k, _)| *k == key)
            } else {
                places.get(key).copied()
            };
            match place {
                Some(place) => out[place].1 = value,
                None => {
                    if !few {
                        places.insert(key, out.len());
                    }
                    out.push((key, value));
                }
            }
        }
        out.into_iter()
    }
    fn as_str(&self) -> Option<&str> {
        Borrowed::as_str(self)
    }
    fn as_i64(&self) -> Option<i64> {
        Borrowed::as_i64(self)
    }
    fn as_f64(&self) -> Option<f64> {
        Borrowed::as_f64(self)
    }
    fn as_bool(&self) -> Option<bool> {
        Borrowed::as_bool(self)
    }
    fn is_null(&self) -> bool {
        Borrowed::is_null(self)
    }
    fn is_object(&self) -> bool {
        Borrowed::is_object(self)
    }
    fn is_array(&self) -> bool {
        Borrowed::is_array(self)
    }
    fn to_value(&self) -> Value {
        // serde_json's map keeps the last of a repeated key, in the place of the first.
        Value::from(self)
    }
}

/// The value at `path`: each step an object key, or a decimal index into an array.
pub fn at<'a, J: Json>(value: &'a J, path: &[&str]) -> Option<&'a J> {
    path.iter().try_fold(value, |v, key| {
        v.get(key)
            .or_else(|| v.items().get(key.parse::<usize>().ok()?))
    })
}

/// A JSON string, as it is.
pub fn string<J: Json>(value: Option<&J>) -> Option<String> {
    value.and_then(J::as_str).map(str::to_owned)
}

/// Any JSON number.
pub fn number<J: Json>(value: Option<&J>) -> Option<f64> {
    value.and_then(J::as_f64)
}

/// An integer, or a fractional number rounded (`12.5` → `13`; out of range saturates).
pub fn integer<J: Json>(value: Option<&J>) -> Option<i64> {
    let v = value?;
    v.as_i64().or_else(|| v.as_f64().map(|f| f.round() as i64))
}

/// `true` or `false`; nothing else counts.
pub fn boolean<J: Json>(value: Option<&J>) -> Option<bool> {
    value.and_then(J::as_bool)
}

/// The items of an array; none for anything else.
pub fn array<J: Json>(value: Option<&J>) -> impl Iterator<Item = &J> {
    value.map_or(&[][..], J::items).iter()
}

/// An object's map; `None` for anything else.
pub fn object(value: Option<&Value>) -> Option<&Map<String, Value>> {
    value.and_then(Value::as_object)
}

/// A value worth keeping as JSON: present and not `null`, as serde_json's tree.
pub fn present<J: Json>(value: Option<&J>) -> Option<Value> {
    value.filter(|v| !v.is_null()).map(J::to_value)
}

/// Strings as they are; numbers, booleans, objects and arrays as JSON text; `null` as nothing.
pub fn scalar_text<J: Json>(value: Option<&J>) -> Option<String> {
    let v = value.filter(|v| !v.is_null())?;
    Some(v.as_str().map_or_else(|| v.to_json(), str::to_owned))
}

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp (Watson's `2026-03-10T15:30:12.930Z`).
pub fn timestamp_ms(ts: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ts.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

/// [`timestamp_ms`] of a time that places an event: the epoch itself (IBM's 2021 CDR example has
/// `"1970-01-01T00:00:00Z"` where a time was not recorded) or earlier is no time at all, so an
/// event is never filed in 1970; the store falls back to the arrival time.
pub fn event_time_ms(ts: &str) -> Option<i64> {
    timestamp_ms(ts).filter(|&ms| ms > 0)
}

/// [`string`] at `path`.
pub fn str_at<J: Json>(value: &J, path: &[&str]) -> Option<String> {
    string(at(value, path))
}

/// [`integer`] at `path`.
pub fn int_at<J: Json>(value: &J, path: &[&str]) -> Option<i64> {
    integer(at(value, path))
}

/// [`number`] at `path`.
pub fn num_at<J: Json>(value: &J, path: &[&str]) -> Option<f64> {
    number(at(value, path))
}

/// [`boolean`] at `path`.
pub fn bool_at<J: Json>(value: &J, path: &[&str]) -> Option<bool> {
    boolean(at(value, path))
}

/// [`array`] at `path`.
pub fn array_at<'a, J: Json>(value: &'a J, path: &[&str]) -> impl Iterator<Item = &'a J> {
    array(at(value, path))
}

/// An object's members at `path`, each key once ([`Json::members`]); none for anything else.
pub fn members_at<'a, J: Json>(
    value: &'a J,
    path: &[&str],
) -> impl Iterator<Item = (&'a str, &'a J)> {
    at(value, path).into_iter().flat_map(J::members)
}

/// [`object`] at `path`.
pub fn object_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    object(at(value, path))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_step_through_objects_and_array_indexes() {
        let v = json!({"a": {"b": [{"c": "x"}, 2]}, "n": {"0": "key"}});
        assert_eq!(str_at(&v, &["a", "b", "0", "c"]), Some("x".into()));
        assert_eq!(int_at(&v, &["a", "b", "1"]), Some(2));
        assert_eq!(at(&v, &["a", "b", "2"]), None);
        assert_eq!(at(&v, &["a", "b", "c"]), None, "a name is not an index");
        assert_eq!(
            str_at(&v, &["n", "0"]),
            Some("key".into()),
            "an object's key"
        );
        assert_eq!(at(&v, &["a", "b", "0", "c", "d"]), None);
        assert_eq!(at(&v, &[]), Some(&v));
    }

    #[test]
    fn coercions_follow_the_documented_rules() {
        let v = json!({"s": " x ", "i": 12, "f": 12.5, "neg": -2.5, "b": true, "sn": "12",
            "sb": "true", "null": null, "o": {"k": 1}, "a": [1, "two"]});
        assert_eq!(str_at(&v, &["s"]), Some(" x ".into()));
        assert_eq!(str_at(&v, &["i"]), None);
        assert_eq!(int_at(&v, &["i"]), Some(12));
        assert_eq!(int_at(&v, &["f"]), Some(13));
        assert_eq!(int_at(&v, &["neg"]), Some(-3));
        assert_eq!(int_at(&v, &["sn"]), None);
        assert_eq!(num_at(&v, &["i"]), Some(12.0));
        assert_eq!(num_at(&v, &["sn"]), None);
        assert_eq!(bool_at(&v, &["b"]), Some(true));
        assert_eq!(bool_at(&v, &["sb"]), None);
        assert_eq!(bool_at(&v, &["i"]), None);
        assert_eq!(array_at(&v, &["a"]).count(), 2);
        assert_eq!(array_at(&v, &["o"]).count(), 0);
        assert!(object_at(&v, &["o"]).is_some());
        assert_eq!(present(v.get("null")), None);
        assert_eq!(present(v.get("i")), Some(json!(12)));
        assert_eq!(scalar_text(v.get("null")), None);
        assert_eq!(scalar_text(v.get("s")), Some(" x ".into()));
        assert_eq!(scalar_text(v.get("b")), Some("true".into()));
        assert_eq!(scalar_text(v.get("o")), Some(r#"{"k":1}"#.into()));
    }

    #[test]
    fn both_trees_read_an_objects_members_alike_small_or_large() {
        for n in [3, FEW_MEMBERS, FEW_MEMBERS + 1, 100] {
            // Keys k0, k1, … each given twice or more, the later with another value.
            let members: Vec<String> = (0..n)
                .map(|i| format!(r#""k{}":{i}"#, i % (n / 2 + 1)))
                .collect();
            let text = format!("{{{}}}", members.join(","));
            let owned: Value = serde_json::from_str(&text).unwrap();
            let borrowed: Borrowed = serde_json::from_str(&text).unwrap();
            let read = |members: Vec<(&str, Value)>| -> Vec<(String, Value)> {
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            };
            let of_owned = read(owned.members().map(|(k, v)| (k, v.clone())).collect());
            let of_borrowed = read(borrowed.members().map(|(k, v)| (k, v.to_value())).collect());
            assert_eq!(of_owned, of_borrowed, "{n} members");
            assert_eq!(of_owned.len(), n / 2 + 1);
            assert_eq!(Json::to_json(&owned), borrowed.to_json());
            for (key, _) in &of_owned {
                assert_eq!(int_at(&owned, &[key]), int_at(&borrowed, &[key]), "{key}");
            }
        }
    }

    #[test]
    fn timestamps_are_rfc_3339() {
        assert_eq!(timestamp_ms("1970-01-01T00:00:01.5Z"), Some(1_500));
        assert_eq!(timestamp_ms(" 1970-01-01T01:00:00+01:00 "), Some(0));
        assert_eq!(timestamp_ms("1970-01-01 00:00:00"), None);
        assert_eq!(timestamp_ms("1500"), None);
        assert_eq!(event_time_ms("1970-01-01T00:00:00Z"), None);
        assert_eq!(event_time_ms("1969-12-31T23:59:59Z"), None);
        assert_eq!(event_time_ms("1970-01-01T00:00:00.001Z"), Some(1));
    }
}
