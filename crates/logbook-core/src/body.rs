//! Stored bodies as JSON documents: edited in place before a replay (`--set PATH=VALUE`) and
//! compared structurally (`logbook diff`, the UI's Compare), with one path syntax for both.
//!
//! A path is the keys from the top, joined by `.`; in an array a segment is the element's index
//! (`output.generic.0.text`). Each change of a diff also carries its JSON Pointer (RFC 6901), which
//! is unambiguous when a key itself holds a `.`. The diff itself is `json-patch`'s (RFC 6902).

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("--set {0:?}: expected PATH=VALUE, e.g. payload.call.end_reason=failed")]
    NoEquals(String),
    #[error("--set {0:?}: the path is empty")]
    EmptyPath(String),
    #[error("the body has no {path}: {reason} (--set changes what exists; use --edit to add)")]
    NoSuchPath { path: String, reason: String },
    #[error("the body is not JSON, so it cannot be edited by path")]
    NotJson,
    #[error(
        "the edited body is not JSON: {message} (line {line}, column {column}); nothing was sent"
    )]
    BadJson {
        message: String,
        line: usize,
        column: usize,
    },
}

/// A body ready to replay: the bytes to send and, when they differ from the stored body, how.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub body: Vec<u8>,
    /// How it was edited; `None` when it is the stored body.
    pub edits: Option<String>,
}

/// The body to replay from the `stored` one: edited by `sets` (each path must exist), or replaced
/// by `replacement` (text from an editor, which must be JSON; `how` says which editor), or as
/// stored. A replacement equal to the stored body as JSON counts as no edit.
pub fn prepare(
    stored: &[u8],
    sets: &[SetEdit],
    replacement: Option<(&str, &str)>,
) -> Result<Prepared, EditError> {
    if let Some((text, how)) = replacement {
        let edited: Value = serde_json::from_str(text).map_err(|e| EditError::BadJson {
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
            line: e.line(),
            column: e.column(),
        })?;
        let mut prepared = prepare(text.as_bytes(), sets, None)?;
        let unchanged = serde_json::from_slice::<Value>(stored).is_ok_and(|v| v == edited);
        if prepared.edits.is_none() && unchanged {
            return Ok(Prepared {
                body: stored.to_vec(),
                edits: None,
            });
        }
        prepared.edits = Some(match prepared.edits {
            Some(sets) => format!("{how}; {sets}"),
            None => how.to_owned(),
        });
        return Ok(prepared);
    }
    if sets.is_empty() {
        return Ok(Prepared {
            body: stored.to_vec(),
            edits: None,
        });
    }
    let mut doc: Value = serde_json::from_slice(stored).map_err(|_| EditError::NotJson)?;
    for set in sets {
        set.apply(&mut doc)?;
    }
    Ok(Prepared {
        body: serde_json::to_vec(&doc).expect("a JSON value serialises"),
        edits: Some(describe(sets)),
    })
}

/// One `--set PATH=VALUE`: VALUE is JSON when it parses as JSON (`3`, `true`, `null`, `{"a":1}`,
/// `"quoted"`), otherwise the text as a string.
#[derive(Debug, Clone, PartialEq)]
pub struct SetEdit {
    pub path: String,
    pub value: Value,
}

impl SetEdit {
    pub fn parse(spec: &str) -> Result<Self, EditError> {
        let (path, value) = spec
            .split_once('=')
            .ok_or_else(|| EditError::NoEquals(spec.to_owned()))?;
        if path.trim().is_empty() {
            return Err(EditError::EmptyPath(spec.to_owned()));
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        Ok(Self {
            path: path.trim().to_owned(),
            value,
        })
    }

    /// Replaces the value at this path; the path must exist (a typo is an error, not a new key).
    pub fn apply(&self, doc: &mut Value) -> Result<(), EditError> {
        let mut at = doc;
        let mut walked = Vec::new();
        for segment in self.path.split('.') {
            let missing = |reason: String| EditError::NoSuchPath {
                path: self.path.clone(),
                reason,
            };
            let here = if walked.is_empty() {
                "the top".to_owned()
            } else {
                walked.join(".")
            };
            at = match at {
                Value::Object(map) => map
                    .get_mut(segment)
                    .ok_or_else(|| missing(format!("{here} has no key {segment:?}")))?,
                Value::Array(items) => {
                    let len = items.len();
                    segment
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| items.get_mut(i))
                        .ok_or_else(|| {
                            missing(format!(
                                "{here} is an array of {len}; {segment:?} is not one of its indexes"
                            ))
                        })?
                }
                other => {
                    return Err(missing(format!(
                        "{here} is {}, not an object or array",
                        kind(other)
                    )));
                }
            };
            walked.push(segment);
        }
        *at = self.value.clone();
        Ok(())
    }
}

/// The edits as one line, for the replay's record: `--set a.b=1; --set c="x"`.
pub fn describe(edits: &[SetEdit]) -> String {
    edits
        .iter()
        .map(|e| format!("--set {}={}", e.path, e.value))
        .collect::<Vec<_>>()
        .join("; ")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What happened at a path, from the left document to the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
#[ts(rename = "BodyChangeKind")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One difference between two bodies.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
#[ts(rename = "BodyChange")]
pub struct Change {
    /// Keys and indexes joined by `.` (`payload.call.end_reason`); empty for the whole document.
    pub path: String,
    /// The same place as a JSON Pointer (`/payload/call/end_reason`).
    pub pointer: String,
    pub kind: ChangeKind,
    /// The left value (removed or changed).
    #[ts(type = "unknown")]
    pub old: Option<Value>,
    /// The right value (added or changed).
    #[ts(type = "unknown")]
    pub new: Option<Value>,
}

/// The structural differences from `left` to `right`, in document order: what an RFC 6902 patch
/// from one to the other does, with the values each change replaces.
pub fn diff(left: &Value, right: &Value) -> Vec<Change> {
    json_patch::diff(left, right)
        .0
        .into_iter()
        .map(|op| {
            use json_patch::PatchOperation as Op;
            let (pointer, kind, new) = match op {
                Op::Add(a) => (a.path, ChangeKind::Added, Some(a.value)),
                Op::Remove(r) => (r.path, ChangeKind::Removed, None),
                Op::Replace(r) => (r.path, ChangeKind::Changed, Some(r.value)),
                // `diff` makes only the three above; a move or copy is shown as what it adds.
                Op::Move(json_patch::MoveOperation { path, .. })
                | Op::Copy(json_patch::CopyOperation { path, .. }) => {
                    let new = right.pointer(path.as_str()).cloned();
                    (path, ChangeKind::Added, new)
                }
                Op::Test(t) => (t.path, ChangeKind::Changed, Some(t.value)),
            };
            let old = match kind {
                ChangeKind::Added => None,
                _ => left.pointer(pointer.as_str()).cloned(),
            };
            let path = pointer
                .tokens()
                .map(|t| t.decoded().into_owned())
                .collect::<Vec<_>>()
                .join(".");
            Change {
                path,
                pointer: pointer.as_str().to_owned(),
                kind,
                old,
                new,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_values_are_json_else_text() {
        let e = SetEdit::parse("payload.call.end_reason=failed").unwrap();
        assert_eq!(e.path, "payload.call.end_reason");
        assert_eq!(e.value, json!("failed"));
        assert_eq!(SetEdit::parse("a=3").unwrap().value, json!(3));
        assert_eq!(SetEdit::parse("a=true").unwrap().value, json!(true));
        assert_eq!(SetEdit::parse("a=\"3\"").unwrap().value, json!("3"));
        assert_eq!(
            SetEdit::parse("a={\"b\":[1]}").unwrap().value,
            json!({"b": [1]})
        );
        assert_eq!(SetEdit::parse("a=x=y").unwrap().value, json!("x=y"));
        assert_eq!(SetEdit::parse("a=").unwrap().value, json!(""));
        assert!(matches!(SetEdit::parse("a"), Err(EditError::NoEquals(_))));
        assert!(matches!(SetEdit::parse("=1"), Err(EditError::EmptyPath(_))));
    }

    #[test]
    fn set_replaces_what_exists_and_refuses_what_does_not() {
        let mut doc = json!({"payload": {"call": {"end_reason": "completed"}, "out": [{"t": "a"}, {"t": "b"}]}});
        SetEdit::parse("payload.call.end_reason=failed")
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        SetEdit::parse("payload.out.1.t=c")
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        assert_eq!(
            doc,
            json!({"payload": {"call": {"end_reason": "failed"}, "out": [{"t": "a"}, {"t": "c"}]}})
        );
        let before = doc.clone();
        for bad in [
            "payload.call.end_reson=x",
            "payload.out.2.t=x",
            "payload.out.x=1",
            "payload.call.end_reason.deeper=1",
            "nope=1",
        ] {
            let err = SetEdit::parse(bad).unwrap().apply(&mut doc).unwrap_err();
            assert!(matches!(err, EditError::NoSuchPath { .. }), "{bad}: {err}");
        }
        assert_eq!(doc, before, "a refused edit changes nothing");
        let err = SetEdit::parse("payload.call.end_reson=x")
            .unwrap()
            .apply(&mut doc)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("payload.call has no key \"end_reson\""),
            "{err}"
        );
    }

    #[test]
    fn the_diff_names_each_change_with_its_path_and_values() {
        let left = json!({"a": {"b": 1, "gone": true}, "list": [1, 2, 3], "same": "x"});
        let right = json!({"a": {"b": 2, "new": null}, "list": [1, 5], "same": "x"});
        let changes = diff(&left, &right);
        let summary: Vec<(String, ChangeKind, Option<Value>, Option<Value>)> = changes
            .iter()
            .map(|c| (c.path.clone(), c.kind, c.old.clone(), c.new.clone()))
            .collect();
        assert!(summary.contains(&(
            "a.b".into(),
            ChangeKind::Changed,
            Some(json!(1)),
            Some(json!(2))
        )));
        assert!(summary.contains(&(
            "a.gone".into(),
            ChangeKind::Removed,
            Some(json!(true)),
            None
        )));
        assert!(summary.contains(&("a.new".into(), ChangeKind::Added, None, Some(json!(null)))));
        assert!(summary.contains(&(
            "list.1".into(),
            ChangeKind::Changed,
            Some(json!(2)),
            Some(json!(5))
        )));
        assert!(summary.contains(&("list.2".into(), ChangeKind::Removed, Some(json!(3)), None)));
        assert_eq!(changes.len(), 5, "{summary:?}");
        assert!(changes.iter().any(|c| c.pointer == "/a/b"));
        assert!(diff(&left, &left).is_empty());
    }

    #[test]
    fn a_replacement_must_be_json_and_says_where_it_is_not() {
        let stored = br#"{"a": 1}"#;
        let same = prepare(stored, &[], Some(("{\"a\":1}", "edited in $EDITOR"))).unwrap();
        assert_eq!(
            same,
            Prepared {
                body: stored.to_vec(),
                edits: None
            }
        );
        let changed = prepare(stored, &[], Some(("{\"a\":2}", "edited in $EDITOR"))).unwrap();
        assert_eq!(changed.body, b"{\"a\":2}");
        assert_eq!(changed.edits.as_deref(), Some("edited in $EDITOR"));
        let err = prepare(stored, &[], Some(("{\"a\":\n 2,}", "x"))).unwrap_err();
        assert!(matches!(err, EditError::BadJson { line: 2, .. }), "{err:?}");
        let sets = [SetEdit::parse("a=3").unwrap()];
        let set = prepare(stored, &sets, None).unwrap();
        assert_eq!(set.body, b"{\"a\":3}");
        assert_eq!(set.edits.as_deref(), Some("--set a=3"));
        assert_eq!(prepare(b"not json", &sets, None), Err(EditError::NotJson));
        assert_eq!(prepare(b"not json", &[], None).unwrap().body, b"not json");
    }

    #[test]
    fn keys_with_slashes_and_tildes_keep_their_names() {
        let changes = diff(&json!({"a/b~c": 1}), &json!({"a/b~c": 2}));
        assert_eq!(changes[0].path, "a/b~c");
        assert_eq!(changes[0].pointer, "/a~1b~0c");
        assert_eq!(changes[0].old, Some(json!(1)));
    }
}
