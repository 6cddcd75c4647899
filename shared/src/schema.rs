//! JSON Schemas of the wire types whose serde form is written by hand, for
//! the API description (`server/openapi.json`). Only host builds compile
//! this (feature `schema`, enabled by the server's tests), so neither wasm
//! grows. Each schema says what the type's `Deserialize` accepts and its
//! `Serialize` writes; the server's description test holds them to it.

use crate::api::RawRecord;
use crate::gate::Target;
use crate::grade::{Grade, GradingPolicy};
use crate::money::{Currency, MAX_AMOUNT, Money};
use crate::pipeline::{Grades, Key, MAX_KEY_LEN};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// `Key::parse`: a–z first, then a–z, 0–9 and `_`, 1–48 characters.
const KEY_PATTERN: &str = "^[a-z][a-z0-9_]*$";

impl JsonSchema for Key {
    fn schema_name() -> Cow<'static, str> {
        "Key".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": KEY_PATTERN,
            "minLength": 1,
            "maxLength": MAX_KEY_LEN,
            "description": "A stable snake_case key: stage, field, task, process or team role."
        })
    }
}

impl JsonSchema for Target {
    fn schema_name() -> Cow<'static, str> {
        "Target".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let key = generator.subschema_for::<Key>();
        json_schema!({
            "description": "Where a deal moves: a stage's key, or `won`, `lost`, `reopen`.",
            "anyOf": [key, {"type": "string", "enum": ["won", "lost", "reopen"]}]
        })
    }
}

impl JsonSchema for Grades {
    fn schema_name() -> Cow<'static, str> {
        "Grades".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let grade = generator.subschema_for::<Grade>();
        json_schema!({
            "description": "The grades a requirement applies to.",
            "type": "array",
            "items": grade,
            "maxItems": 5
        })
    }
}

impl JsonSchema for Currency {
    fn schema_name() -> Cow<'static, str> {
        "Currency".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An ISO 4217 code such as `CNY`.",
            "type": "string",
            "pattern": "^[A-Z]{3}$"
        })
    }
}

impl JsonSchema for Money {
    fn schema_name() -> Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An amount in minor units (fen for CNY): 1,000,000 CNY is 100000000.",
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_AMOUNT
        })
    }
}

impl JsonSchema for GradingPolicy {
    fn schema_name() -> Cow<'static, str> {
        "GradingPolicy".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let money = generator.subschema_for::<Money>();
        json_schema!({
            "description": "The grading thresholds: a_min > b_min > c_min.",
            "type": "object",
            "properties": {"a_min": money, "b_min": money, "c_min": money},
            "required": ["a_min", "b_min", "c_min"]
        })
    }
}

impl JsonSchema for RawRecord {
    fn schema_name() -> Cow<'static, str> {
        "Record".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The current record (the same shape as the resource's own answer).",
            "type": "object"
        })
    }
}
