//! Requests from text parameters (a query string and the `{field}` segments of a path): the one
//! place the HTTP API turns `key=value` pairs into a command's request type.
//!
//! Contract: each field is read from the first pair with its name. A number or a yes/no is parsed
//! from its text (`1` or `true` is yes, any other text no); an empty text counts as absent for an
//! optional field. A missing or malformed field is a `bad_request` naming it.

use serde::de::{self, DeserializeOwned, IntoDeserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use crate::types::{ApiError, ApiErrorKind};

/// The request `T` from `pairs`.
pub fn from_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, ApiError> {
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for (key, value) in pairs {
        if !fields.iter().any(|(k, _)| k == key) {
            fields.push((key, value));
        }
    }
    T::deserialize(Pairs {
        fields: fields.into_iter(),
        value: None,
    })
    .map_err(|e| ApiError::new(ApiErrorKind::BadRequest, e.0))
}

#[derive(Debug)]
struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Self(format!("the parameter `{field}` is required"))
    }
}

struct Pairs<'a, I> {
    fields: I,
    value: Option<(&'a str, &'a str)>,
}

impl<'de, 'a, I: Iterator<Item = (&'a str, &'a str)>> de::Deserializer<'de> for Pairs<'a, I> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, 'a, I: Iterator<Item = (&'a str, &'a str)>> MapAccess<'de> for Pairs<'a, I> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.fields.next() {
            Some((key, value)) => {
                self.value = Some((key, value));
                seed.deserialize(key.to_owned().into_deserializer())
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, text) = self.value.take().expect("a value follows its key");
        seed.deserialize(Text { key, text })
    }
}

/// One parameter's text, parsed as the field's type asks.
struct Text<'a> {
    key: &'a str,
    text: &'a str,
}

impl Text<'_> {
    fn number<T: std::str::FromStr>(&self) -> Result<T, Error> {
        self.text.trim().parse().map_err(|_| {
            Error(format!(
                "`{}` must be a positive number, not {:?}",
                self.key, self.text
            ))
        })
    }
}

macro_rules! numbers {
    ($($method:ident => $visit:ident),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit(self.number()?)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Text<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.text.to_owned())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(matches!(self.text, "1" | "true"))
    }

    numbers! {
        deserialize_u8 => visit_u8, deserialize_u16 => visit_u16, deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64, deserialize_i8 => visit_i8, deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32, deserialize_i64 => visit_i64, deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.text.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.text.to_owned().into_deserializer())
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{CustomCallsRequest, ExportRequest, ListRequest};
    use logbook_core::export::{Format, Kind};

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn query_parameters_fill_the_request() {
        let req: ListRequest = from_pairs(&pairs(&[
            ("q", "intent:pay_bill"),
            ("limit", "5"),
            ("facets", "1"),
            ("cursor", ""),
            ("q", "second"),
            ("other", "x"),
        ]))
        .unwrap();
        assert_eq!(
            req,
            ListRequest {
                q: "intent:pay_bill".into(),
                cursor: None,
                limit: Some(5),
                facets: Some(true),
            }
        );
        let req: ListRequest = from_pairs(&pairs(&[("facets", "yes")])).unwrap();
        assert_eq!((req.q.as_str(), req.facets), ("", Some(false)));
        let err = from_pairs::<ListRequest>(&pairs(&[("limit", "many")])).unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::BadRequest);
        assert_eq!(
            err.message,
            "`limit` must be a positive number, not \"many\""
        );
        assert!(from_pairs::<ListRequest>(&pairs(&[("limit", "-1")])).is_err());

        let req: CustomCallsRequest =
            from_pairs(&pairs(&[("key", "tier"), ("value", "gold & co")])).unwrap();
        assert_eq!(
            (req.key.as_str(), req.value.as_deref(), req.limit),
            ("tier", Some("gold & co"), None)
        );

        let req: ExportRequest = from_pairs(&pairs(&[("kind", "call_turns")])).unwrap();
        assert_eq!(
            (req.kind, req.format(), req.q.as_str()),
            (Kind::CallTurns, Format::Csv, "")
        );
        let err = from_pairs::<ExportRequest>(&pairs(&[("format", "csv")])).unwrap_err();
        assert_eq!(err.message, "the parameter `kind` is required");
        let err = from_pairs::<ExportRequest>(&pairs(&[("kind", "everything")])).unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::BadRequest);
        assert!(err.message.contains("everything"), "{}", err.message);
    }
}
