//! Request facts the handlers need, independent of the runtime's types.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }

    /// Methods that change state. They must carry `application/json`.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Method::Post | Method::Put | Method::Patch | Method::Delete
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Is the path one the Worker answers itself (the rest are static assets)?
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Headers every API response carries: JSON is never cached by proxies and
/// never sniffed as something else.
pub const API_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_paths_go_to_the_worker() {
        assert!(is_api_path("/api/health"));
        assert!(is_api_path("/api"));
        assert!(!is_api_path("/apis"));
        assert!(!is_api_path("/opportunities/42"));
        assert!(!is_api_path("/"));
    }

    #[test]
    fn methods_parse_case_insensitively_and_know_if_they_mutate() {
        assert_eq!(Method::parse("patch"), Some(Method::Patch));
        assert_eq!(Method::parse("BREW"), None);
        assert!(Method::Post.is_mutating());
        assert!(!Method::Get.is_mutating());
    }
}
