//! List requests: filters, search and cursor paging, parsed from the query
//! string into bound SQL fragments (never string-built from input).

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Rows per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 50;
/// The most a client may ask for at once.
pub const MAX_LIMIT: usize = 200;

/// Where the previous page ended: lists are ordered by `(sort key, id)`
/// (newest first by `created_at` unless a sort is asked for), so the next
/// page starts strictly after this pair. `created_at` holds the sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: String,
    pub id: String,
}

/// The orders a list may be sorted by: the `sort` value, its column,
/// whether the column holds integers, and whether the column runs against
/// the value (`days` ascending is `stage_entered_at` descending).
pub type Sorts = &'static [(&'static str, &'static str, bool, bool)];

/// A list's order: by `column`, then `id`, descending or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: &'static str,
    pub desc: bool,
    pub integer: bool,
}

impl Default for Sort {
    /// Newest first.
    fn default() -> Sort {
        Sort {
            column: "created_at",
            desc: true,
            integer: false,
        }
    }
}

/// The `sort` a list was asked for, among `sorts` (`-` first for
/// descending); none: newest first. An unknown one is a 400.
pub fn resolve_sort(asked: Option<&str>, sorts: Sorts) -> Result<Sort, ApiError> {
    let Some(asked) = asked else {
        return Ok(Sort::default());
    };
    let (key, desc) = match asked.strip_prefix('-') {
        Some(k) => (k, true),
        None => (asked, false),
    };
    sorts
        .iter()
        .find(|(k, ..)| *k == key)
        .map(|(_, column, integer, inverted)| Sort {
            column,
            desc: desc != *inverted,
            integer: *integer,
        })
        .ok_or_else(|| ApiError::BadRequest(format!("unknown sort `{asked}`")))
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}\n{}", self.created_at, self.id))
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (created_at, id) = text.split_once('\n')?;
        (!created_at.is_empty() && !id.is_empty()).then(|| Cursor {
            created_at: created_at.to_string(),
            id: id.to_string(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListQuery {
    /// Exact-match filters the endpoint allows, in the order given.
    pub filters: Vec<(String, String)>,
    /// Free-text search (name/title and customer).
    pub q: Option<String>,
    pub cursor: Option<Cursor>,
    pub limit: usize,
    /// `sort` as asked (resolved against the list's sorts by its store).
    pub sort: Option<String>,
}

/// Parses `?key=value&…`. Filters outside `allowed` are refused with a 400,
/// so a typo never silently returns everything.
pub fn parse_list_query(
    pairs: &[(String, String)],
    allowed: &[(&str, &str)],
) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        ..ListQuery::default()
    };
    for (key, value) in pairs {
        let value = value.trim();
        match key.as_str() {
            _ if value.is_empty() => {}
            "q" => query.q = Some(value.chars().take(100).collect()),
            "sort" => query.sort = Some(value.chars().take(20).collect()),
            "cursor" => {
                query.cursor = Some(
                    Cursor::decode(value)
                        .ok_or_else(|| ApiError::BadRequest("invalid cursor".into()))?,
                )
            }
            "limit" => {
                let n: usize = value
                    .parse()
                    .map_err(|_| ApiError::BadRequest("limit must be a number".into()))?;
                query.limit = n.clamp(1, MAX_LIMIT);
            }
            k if allowed.iter().any(|(a, _)| *a == k) => {
                query.filters.push((k.to_string(), value.to_string()))
            }
            other => return Err(ApiError::BadRequest(format!("unknown filter `{other}`"))),
        }
    }
    Ok(query)
}

/// A `LIKE` pattern matching `q` anywhere, with `%`, `_` and `\` escaped
/// (used with `ESCAPE '\'`).
pub fn like_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let c = Cursor {
            created_at: "2026-11-27T09:00:00+00:00".into(),
            id: "o_1".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("%%%"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("no-newline")), None);
    }

    #[test]
    fn allowed_filters_search_and_limits_are_parsed() {
        let q = parse_list_query(
            &pairs(&[("status", "open"), ("q", " 明远 "), ("limit", "500")]),
            &[("status", "status")],
        )
        .unwrap();
        assert_eq!(q.filters, vec![("status".to_string(), "open".to_string())]);
        assert_eq!(q.q.as_deref(), Some("明远"));
        assert_eq!(q.limit, MAX_LIMIT);
        assert_eq!(parse_list_query(&[], &[]).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn unknown_filters_and_bad_values_are_a_400() {
        assert!(matches!(
            parse_list_query(&pairs(&[("stauts", "open")]), &[("status", "status")]),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_list_query(&pairs(&[("limit", "ten")]), &[]),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_list_query(&pairs(&[("cursor", "zzz")]), &[]),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn search_text_cannot_inject_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
