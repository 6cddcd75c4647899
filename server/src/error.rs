//! The server's one error type, mapped to a status and problem+json.

use crate::http::Method;
use shared::api::Problem;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    NotFound {
        method: Method,
        path: String,
    },
    MethodNotAllowed {
        allowed: Vec<Method>,
    },
    UnsupportedMethod,
    /// D1 or KV failed; the detail is logged, not shown.
    Storage(String),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed { .. } | ApiError::UnsupportedMethod => 405,
            ApiError::Storage(_) => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed { .. } | ApiError::UnsupportedMethod => "method_not_allowed",
            ApiError::Storage(_) => "storage_unavailable",
        }
    }

    /// The `Allow` header value for a 405.
    pub fn allow_header(&self) -> Option<String> {
        match self {
            ApiError::MethodNotAllowed { allowed } => Some(
                allowed
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (title, detail) = match self {
            ApiError::NotFound { method, path } => {
                ("Not Found", format!("no API route for {method} {path}"))
            }
            ApiError::MethodNotAllowed { .. } => (
                "Method Not Allowed",
                format!(
                    "this path allows only {}",
                    self.allow_header().unwrap_or_default()
                ),
            ),
            ApiError::UnsupportedMethod => {
                ("Method Not Allowed", "unsupported HTTP method".to_string())
            }
            ApiError::Storage(_) => (
                "Service Unavailable",
                "the database is not reachable right now; try again shortly".to_string(),
            ),
        };
        Problem::new(self.status(), self.code(), title, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_route_is_a_404_problem_naming_the_request() {
        let e = ApiError::NotFound {
            method: Method::Get,
            path: "/api/nope".into(),
        };
        let p = e.to_problem();
        assert_eq!((p.status, p.code.as_str()), (404, "not_found"));
        assert!(p.detail.contains("GET /api/nope"));
    }

    #[test]
    fn method_not_allowed_carries_an_allow_header() {
        let e = ApiError::MethodNotAllowed {
            allowed: vec![Method::Get, Method::Post],
        };
        assert_eq!(e.status(), 405);
        assert_eq!(e.allow_header().as_deref(), Some("GET, POST"));
    }

    #[test]
    fn storage_failures_do_not_leak_their_cause() {
        let p = ApiError::Storage("D1_ERROR: no such table: secrets".into()).to_problem();
        assert_eq!(p.status, 503);
        assert!(!p.detail.contains("secrets"));
    }
}
