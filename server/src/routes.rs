//! The API's route table: one place that says which endpoint answers which
//! method and path. Every request is resolved here, so an unknown path gets
//! the same JSON 404 and a known path with the wrong method a JSON 405.

use crate::http::Method;

/// An endpoint of the API contract. The glue maps each to its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Health,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: Method,
    /// Segments separated by `/`; `{name}` captures one segment.
    pub pattern: &'static str,
    pub endpoint: Endpoint,
}

/// Every route the API serves.
pub const ROUTES: &[Route] = &[Route {
    method: Method::Get,
    pattern: "/api/health",
    endpoint: Endpoint::Health,
}];

/// Path parameters captured by `{name}` segments, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Found(Endpoint, Params),
    /// The path exists, but not for this method; lists the methods it has.
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

fn match_pattern(pattern: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return Some(Params(params)),
            (Some(p), Some(g)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    params.push((name, g.to_string()));
                } else if p != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Finds the endpoint for a method and path (no query string). A trailing
/// slash is not ignored: `/api/health/` is not `/api/health`.
pub fn resolve(method: Method, path: &str) -> Resolution {
    let mut allowed = Vec::new();
    for route in ROUTES {
        if let Some(params) = match_pattern(route.pattern, path) {
            if route.method == method || (method == Method::Head && route.method == Method::Get) {
                return Resolution::Found(route.endpoint, params);
            }
            allowed.push(route.method);
        }
    }
    if allowed.is_empty() {
        Resolution::NotFound
    } else {
        Resolution::MethodNotAllowed(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_resolves_for_get_and_head() {
        assert_eq!(
            resolve(Method::Get, "/api/health"),
            Resolution::Found(Endpoint::Health, Params::default())
        );
        assert!(matches!(
            resolve(Method::Head, "/api/health"),
            Resolution::Found(Endpoint::Health, _)
        ));
    }

    #[test]
    fn unknown_paths_are_not_found() {
        assert_eq!(resolve(Method::Get, "/api/nope"), Resolution::NotFound);
        assert_eq!(
            resolve(Method::Get, "/api/health/extra"),
            Resolution::NotFound
        );
        assert_eq!(resolve(Method::Get, "/api/health/"), Resolution::NotFound);
        assert_eq!(resolve(Method::Get, "/api"), Resolution::NotFound);
    }

    #[test]
    fn wrong_method_on_a_known_path_lists_the_allowed_methods() {
        assert_eq!(
            resolve(Method::Post, "/api/health"),
            Resolution::MethodNotAllowed(vec![Method::Get])
        );
    }

    #[test]
    fn braces_capture_one_non_empty_segment() {
        let p = match_pattern("/api/leads/{id}/convert", "/api/leads/l_42/convert").unwrap();
        assert_eq!(p.get("id"), Some("l_42"));
        assert!(match_pattern("/api/leads/{id}/convert", "/api/leads//convert").is_none());
        assert!(match_pattern("/api/leads/{id}", "/api/leads/a/b").is_none());
    }

    #[test]
    fn every_route_is_under_api_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                r.pattern.starts_with("/api/"),
                "{} is outside /api/",
                r.pattern
            );
            assert!(
                seen.insert((r.method, r.pattern)),
                "duplicate route {:?} {}",
                r.method,
                r.pattern
            );
        }
    }
}
