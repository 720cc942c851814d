//! Param types with their own rules: kept verbatim, or any scalar.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A param kept exactly as written (the cache key hashes it verbatim) and
/// read as `T`: a structured value whose own type may add or drop fields
/// when serialised (the `fetch` kind's `source`).
#[derive(Debug, Clone, PartialEq)]
pub struct Verbatim<T> {
    raw: Value,
    value: T,
}

impl<T> Verbatim<T> {
    pub fn get(&self) -> &T {
        &self.value
    }

    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

impl<T: Default + Serialize> Default for Verbatim<T> {
    fn default() -> Self {
        let value = T::default();
        Verbatim {
            raw: serde_json::to_value(&value).unwrap_or(Value::Null),
            value,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Verbatim<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let value = T::deserialize(&raw).map_err(serde::de::Error::custom)?;
        Ok(Verbatim { raw, value })
    }
}

impl<T> Serialize for Verbatim<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

impl<T> JsonSchema for Verbatim<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Verbatim".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::Schema::default()
    }
}

/// A string, number or boolean: an open kind's undeclared param.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Scalar(Value);

impl Scalar {
    /// The value as text: a string as it is, others as JSON prints them.
    pub fn text(&self) -> String {
        match &self.0 {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(Scalar(v)),
            _ => Err(serde::de::Error::custom(
                "must be a string, number or boolean",
            )),
        }
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": ["string", "number", "boolean"] })
    }
}
