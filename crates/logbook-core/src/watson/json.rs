//! The one lenient reader of Watson payloads. Everything that reads a stored or arriving body (the
//! deriver at ingest, the conversation and call views) reads it through these functions, so a field
//! is read the same way wherever it is read.
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
//! | [`object`] / [`object_at`] | an object's map | anything else |
//! | [`present`] | any value but `null`, cloned | `null` |
//! | [`timestamp_ms`] | RFC 3339 text (`2026-03-10T15:30:12.930Z`, any offset), surrounding spaces ignored | anything else |
//! | [`event_time_ms`] | as [`timestamp_ms`], after the Unix epoch | the same, and `1970-01-01T00:00:00Z` (IBM's "not recorded") or earlier |
//!
//! Where the three readers this replaces disagreed: the deriver's path lookup stepped into arrays by
//! index (`results.0.alternatives.0.confidence`), the conversation's and the call's did not (an
//! array there gave `None`). The array step is kept: a path whose key is not a decimal index still
//! gives `None` on an array, so no path that found something before finds something else now. They
//! agreed on everything else (strings not coerced to numbers or booleans, fractional integers rounded).

use serde_json::{Map, Value};

/// The value at `path`: each step an object key, or a decimal index into an array.
pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| match v {
        Value::Object(map) => map.get(*key),
        Value::Array(items) => items.get(key.parse::<usize>().ok()?),
        _ => None,
    })
}

/// A JSON string, as it is.
pub fn string(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

/// Any JSON number.
pub fn number(value: Option<&Value>) -> Option<f64> {
    value.and_then(Value::as_f64)
}

/// An integer, or a fractional number rounded (`12.5` → `13`; out of range saturates).
pub fn integer(value: Option<&Value>) -> Option<i64> {
    let v = value?;
    v.as_i64().or_else(|| v.as_f64().map(|f| f.round() as i64))
}

/// `true` or `false`; nothing else counts.
pub fn boolean(value: Option<&Value>) -> Option<bool> {
    value.and_then(Value::as_bool)
}

/// The items of an array; none for anything else.
pub fn array(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flat_map(|a| a.iter())
}

/// An object's map; `None` for anything else.
pub fn object(value: Option<&Value>) -> Option<&Map<String, Value>> {
    value.and_then(Value::as_object)
}

/// A value worth keeping as JSON: present and not `null`.
pub fn present(value: Option<&Value>) -> Option<Value> {
    value.filter(|v| !v.is_null()).cloned()
}

/// Strings as they are; numbers, booleans, objects and arrays as JSON text; `null` as nothing.
pub fn scalar_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
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
pub fn str_at(value: &Value, path: &[&str]) -> Option<String> {
    string(at(value, path))
}

/// [`integer`] at `path`.
pub fn int_at(value: &Value, path: &[&str]) -> Option<i64> {
    integer(at(value, path))
}

/// [`number`] at `path`.
pub fn num_at(value: &Value, path: &[&str]) -> Option<f64> {
    number(at(value, path))
}

/// [`boolean`] at `path`.
pub fn bool_at(value: &Value, path: &[&str]) -> Option<bool> {
    boolean(at(value, path))
}

/// [`array`] at `path`.
pub fn array_at<'a>(value: &'a Value, path: &[&str]) -> impl Iterator<Item = &'a Value> {
    array(at(value, path))
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
