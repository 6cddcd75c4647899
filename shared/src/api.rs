//! Wire types of the HTTP API contract (DESIGN.md §3) that are not a
//! domain type of their own module.

use serde::{Deserialize, Serialize};

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

impl Health {
    pub fn ok() -> Self {
        Health {
            status: "ok".into(),
            version: crate::VERSION.into(),
        }
    }
}

/// One invalid input field in a 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// Every error the API answers, as RFC 9457 problem+json with a stable `code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blockers: Option<Vec<serde_json::Value>>,
    /// The current record, on a 409 for a stale version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<serde_json::Value>,
}

/// The media type of every error body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

impl Problem {
    /// `type` is a relative URI naming the code, so clients may key on either.
    pub fn new(status: u16, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem {
            type_: format!("/problems/{code}"),
            title: title.into(),
            status,
            code: code.into(),
            detail: detail.into(),
            errors: None,
            blockers: None,
            current: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_serialises_to_rfc9457_with_code_and_omits_empty_extensions() {
        let p = Problem::new(404, "not_found", "Not Found", "no route for GET /api/nope");
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "/problems/not_found", "title": "Not Found",
                "status": 404, "code": "not_found", "detail": "no route for GET /api/nope"})
        );
        let back: Problem = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn health_reports_the_crate_version() {
        let h = Health::ok();
        assert_eq!(h.status, "ok");
        assert_eq!(h.version, env!("CARGO_PKG_VERSION"));
    }
}
