//! The crate's own request and response: what handlers see of HTTP,
//! independent of the runtime's types.

use crate::error::ApiError;
use serde::Serialize;
use shared::api::PROBLEM_CONTENT_TYPE;
use shared::i18n::Lang;
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
/// The Content-Security-Policy of every page we serve: the app's (static,
/// `public/_headers`, which a test holds to this) and the partners'
/// (`pages.rs`). Our own scripts and wasm only, no inline script or style
/// attribute, never framed.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// No camera, microphone, location, payment or USB, for pages and API alike.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

pub const API_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    // An answer is data, never a document: nothing of it runs or frames.
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("permissions-policy", PERMISSIONS_POLICY),
];

/// Over HTTPS only: browsers keep to HTTPS for a year.
pub const HSTS: (&str, &str) = (
    "strict-transport-security",
    "max-age=31536000; includeSubDomains",
);

/// A request as the API sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method as sent (`None`: not one the API knows).
    pub method: Option<Method>,
    pub path: String,
    /// The query string's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Came over HTTPS (then cookies are `Secure`).
    pub secure: bool,
}

impl Request {
    /// A request with no headers, query or body.
    pub fn new(method: Method, path: &str) -> Request {
        Request {
            method: Some(method),
            path: path.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            secure: false,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The caller's language from `Accept-Language` (browsers list it in order).
    pub fn language(&self) -> Lang {
        Lang::negotiate(
            self.header("accept-language")
                .unwrap_or_default()
                .split(',')
                .map(|part| part.split(';').next().unwrap_or_default()),
        )
    }
}

/// A response as the API makes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    pub status: u16,
    /// In order; `set-cookie` may repeat.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A body sent part by part after `body` (a CSV export of every deal),
    /// so the whole of it is never in memory at once.
    pub stream: Option<BodyStream>,
}

/// Where a streamed body's parts come from: each call reads the next part
/// from the database; `None` ends the body.
pub trait ChunkSource {
    fn next_chunk<'a>(
        &'a mut self,
        db: &'a dyn crate::store::Database,
    ) -> crate::store::LocalFuture<'a, Result<Option<Vec<u8>>, ApiError>>;
}

/// A streamed body, taken once by whoever sends the response.
#[derive(Clone)]
pub struct BodyStream(pub std::rc::Rc<std::cell::RefCell<Option<Box<dyn ChunkSource>>>>);

impl BodyStream {
    pub fn new(source: impl ChunkSource + 'static) -> BodyStream {
        BodyStream(std::rc::Rc::new(std::cell::RefCell::new(Some(Box::new(
            source,
        )))))
    }

    /// The source, once.
    pub fn take(&self) -> Option<Box<dyn ChunkSource>> {
        self.0.borrow_mut().take()
    }
}

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyStream")
    }
}

impl PartialEq for BodyStream {
    fn eq(&self, other: &BodyStream) -> bool {
        std::rc::Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for BodyStream {}

impl Response {
    pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
        let body = serde_json::to_vec(body).map_err(|e| ApiError::Storage(e.to_string()))?;
        Ok(Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            stream: None,
        })
    }

    pub fn empty(status: u16) -> Response {
        Response {
            status,
            ..Response::default()
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A read's 200 answer with its entity tag (a digest of its body), or
    /// `304 Not Modified` with no body when `if_none_match` names that tag:
    /// the app keeps what rarely changes (the users, the config) across
    /// visits and asks again with the tag it has. Other answers pass as
    /// they are.
    pub fn tagged(mut self, if_none_match: Option<&str>) -> Response {
        if self.status != 200 || self.stream.is_some() {
            return self;
        }
        // SipHash with fixed keys: fast on every read, the same for one
        // build (a new toolchain may change the tags: one full answer).
        use std::hash::Hasher;
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write(&self.body);
        let tag = format!("\"{:016x}{:08x}\"", hasher.finish(), self.body.len());
        let known = if_none_match.is_some_and(|h| {
            h.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
        });
        if known {
            self.status = 304;
            self.body.clear();
            self.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        }
        self.with_header("etag", &tag)
    }

    /// An error as problem+json in `lang`, with `Allow` / `Retry-After`.
    pub fn problem(error: &ApiError, lang: Lang) -> Response {
        let body = serde_json::to_vec(&error.to_problem(lang)).unwrap_or_default();
        let mut r = Response {
            status: error.status(),
            headers: vec![("content-type".into(), PROBLEM_CONTENT_TYPE.into())],
            body,
            stream: None,
        };
        if let Some(allow) = error.allow_header() {
            r = r.with_header("allow", &allow);
        }
        if let Some(seconds) = error.retry_after() {
            r = r.with_header("retry-after", &seconds.to_string());
        }
        r
    }
}

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

    #[test]
    fn a_read_answer_is_tagged_by_its_body_and_a_caller_holding_that_tag_gets_304_without_it() {
        let body = |text: &str| Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: text.as_bytes().to_vec(),
            stream: None,
        };
        let first = body("[1,2]").tagged(None);
        let tag = first.header("etag").unwrap().to_string();
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() == 26,
            "{tag}"
        );
        assert_eq!(first.body, b"[1,2]");

        let again = body("[1,2]").tagged(Some(&format!("W/\"x\", {tag}")));
        assert_eq!((again.status, again.body.len()), (304, 0));
        assert_eq!(again.header("etag"), Some(tag.as_str()));
        assert_eq!(again.header("content-type"), None);

        let changed = body("[1,2,3]").tagged(Some(&tag));
        assert_eq!(changed.status, 200);
        assert_ne!(changed.header("etag"), Some(tag.as_str()));
        let refused = Response::problem(&ApiError::Forbidden, Lang::En).tagged(Some("*"));
        assert_eq!((refused.status, refused.header("etag")), (403, None));
    }

    #[test]
    fn the_apps_static_headers_hold_the_same_policies_as_the_workers() {
        // `public/_headers`, the `/*` block: `Name: value` lines.
        let file = include_str!("../../public/_headers");
        let block = file.split("\n/*\n").nth(1).expect("a `/*` block");
        let header = |name: &str| {
            block
                .lines()
                .filter_map(|l| l.trim().split_once(": "))
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_string())
        };
        assert_eq!(header("content-security-policy").as_deref(), Some(PAGE_CSP));
        assert_eq!(
            header("permissions-policy").as_deref(),
            Some(PERMISSIONS_POLICY)
        );
        assert_eq!(header("strict-transport-security").as_deref(), Some(HSTS.1));
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    }

    #[test]
    fn a_problem_carries_its_content_type_and_headers() {
        let r = Response::problem(&ApiError::TooManyRequests { retry_after: 60 }, Lang::En);
        assert_eq!(r.status, 429);
        assert_eq!(r.header("content-type"), Some(PROBLEM_CONTENT_TYPE));
        assert_eq!(r.header("retry-after"), Some("60"));
    }
}
