//! The app's client-side router: the address as signals, same-origin links
//! and the back button handled without a page load, and one level of
//! routes (`routes::Outlet` picks the page).
//!
//! It takes the place of leptos_router, whose nested-route machinery (route
//! views built from nested generic matchers, transitions, forms, actions) the
//! app never used and which was the largest crate of the first load:
//! 52 KB of its 318 KB of code (`make size`, README "Performance").
//! The hooks keep leptos_router's names and shapes (`use_location`,
//! `use_navigate`, `use_query_map`, `use_params_map`, `NavigateOptions`).

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Named values of a query (`?status=open`) or of a route's path
/// (`/opportunities/:id`), in their order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParamsMap(Vec<(String, String)>);

impl ParamsMap {
    /// The first value named `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.get_str(key).map(str::to_string)
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A query string (without its `?`), decoded as a browser's
    /// `URLSearchParams` does (`+` is a space, `%XX` a byte of UTF-8).
    pub fn from_query(query: &str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        ParamsMap(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
}

/// The values a route's pattern takes from `path`, or `None` when it does
/// not match. A pattern's segments are literal, `:name` (one segment) or a
/// last `*name` (the rest, possibly empty). Empty segments (a trailing or
/// doubled `/`) are ignored on both sides.
pub fn match_path(pattern: &str, path: &str) -> Option<ParamsMap> {
    let mut params = Vec::new();
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    for part in pattern.split('/').filter(|s| !s.is_empty()) {
        if let Some(name) = part.strip_prefix('*') {
            let rest: Vec<&str> = segments.collect();
            params.push((name.to_string(), rest.join("/")));
            return Some(ParamsMap(params));
        }
        let segment = segments.next()?;
        match part.strip_prefix(':') {
            Some(name) => params.push((name.to_string(), segment.to_string())),
            None if part == segment => {}
            None => return None,
        }
    }
    segments.next().is_none().then_some(ParamsMap(params))
}

/// Where the app is: the path and the query (without its `?`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Url {
    path: String,
    search: String,
}

impl Url {
    fn of(location: &web_sys::Location) -> Self {
        Url {
            path: location.pathname().unwrap_or_else(|_| "/".into()),
            search: search_of(&location.search().unwrap_or_default()),
        }
    }
}

fn search_of(search: &str) -> String {
    search.strip_prefix('?').unwrap_or(search).to_string()
}

/// The address as the pages read it (leptos_router's `Location`'s fields
/// that the app uses).
#[derive(Clone, Copy)]
pub struct Location {
    pub pathname: Memo<String>,
    /// Without its `?`.
    pub search: Memo<String>,
    pub query: Memo<ParamsMap>,
}

/// How a navigation behaves. By default it adds a history entry and
/// scrolls to the top once the page is shown.
#[derive(Clone, Copy, Debug)]
pub struct NavigateOptions {
    pub replace: bool,
    pub scroll: bool,
}

impl Default for NavigateOptions {
    fn default() -> Self {
        NavigateOptions {
            replace: false,
            scroll: true,
        }
    }
}

#[derive(Clone, Copy)]
struct RouterContext {
    url: RwSignal<Url>,
    location: Location,
    /// A navigation to another path scrolls once its page is shown.
    scroll_pending: StoredValue<bool>,
}

fn context() -> RouterContext {
    expect_context::<RouterContext>()
}

/// Provides the address to its children and handles links and the back
/// button, for as long as it lives.
#[component]
pub fn Router(children: Children) -> impl IntoView {
    let url = RwSignal::new(Url::of(&window().location()));
    let pathname = Memo::new(move |_| url.with(|u| u.path.clone()));
    let search = Memo::new(move |_| url.with(|u| u.search.clone()));
    let query = Memo::new(move |_| search.with(|s| ParamsMap::from_query(s)));
    let ctx = RouterContext {
        url,
        location: Location {
            pathname,
            search,
            query,
        },
        scroll_pending: StoredValue::new(false),
    };
    provide_context(ctx);

    let clicks = window_event_listener(ev::click, move |ev| {
        if let Some(href) = link_to_follow(&ev) {
            ev.prevent_default();
            go(ctx, &href, NavigateOptions::default());
        }
    });
    // Back, forward, or a fragment link the browser followed itself.
    let history = window_event_listener(ev::popstate, move |_| {
        ctx.scroll_pending.set_value(false);
        url.set(Url::of(&window().location()));
    });
    on_cleanup(move || {
        clicks.remove();
        history.remove();
    });
    children()
}

/// The `href` of a same-origin link this click follows, when the app should
/// follow it itself: a plain left click on an `<a href>` with no `target`,
/// `download` or `rel="external"`, that is not a jump within this page.
fn link_to_follow(ev: &web_sys::MouseEvent) -> Option<String> {
    if ev.default_prevented()
        || ev.button() != 0
        || ev.meta_key()
        || ev.alt_key()
        || ev.ctrl_key()
        || ev.shift_key()
    {
        return None;
    }
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    let a = target
        .closest("a[href]")
        .ok()??
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .ok()?;
    let external = a
        .get_attribute("rel")
        .is_some_and(|rel| rel.split_ascii_whitespace().any(|r| r == "external"));
    if !a.target().is_empty() || a.has_attribute("download") || external {
        return None;
    }
    let location = window().location();
    if a.origin() != location.origin().ok()? {
        return None;
    }
    // `#main` and the like: the browser scrolls and focuses by itself.
    let same_page = a.pathname() == location.pathname().ok()?
        && a.search() == location.search().ok()?
        && !a.hash().is_empty();
    (!same_page).then(|| a.href())
}

/// Goes to `href` (a path, or an address of this origin; another origin
/// is a page load).
fn go(ctx: RouterContext, href: &str, options: NavigateOptions) {
    let location = window().location();
    let Ok(base) = location.href() else { return };
    let Ok(to) = web_sys::Url::new_with_base(href, &base) else {
        web_sys::console::error_1(&format!("not an address: {href}").into());
        return;
    };
    if Ok(to.origin()) != location.origin() {
        let _ = location.set_href(&to.href());
        return;
    }
    let new = Url {
        path: to.pathname(),
        search: search_of(&to.search()),
    };
    let full = format!("{}{}{}", new.path, to.search(), to.hash());
    let current = Url::of(&location);
    if let Ok(history) = window().history() {
        let here = format!(
            "{}{}{}",
            current.path,
            location.search().unwrap_or_default(),
            location.hash().unwrap_or_default()
        );
        let _ = if options.replace {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&full))
        } else if here != full {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&full))
        } else {
            Ok(())
        };
    }
    if new.path == current.path {
        // The same page: it stays, and reads the new query.
        if options.scroll {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
    } else {
        ctx.scroll_pending.set_value(options.scroll);
    }
    ctx.url.set(new);
}

/// Called by the outlet once a navigation's page is shown.
pub(crate) fn page_shown() {
    if let Some(ctx) = use_context::<RouterContext>()
        && ctx.scroll_pending.try_update_value(std::mem::take) == Some(true)
    {
        window().scroll_to_with_x_and_y(0.0, 0.0);
    }
}

pub fn use_location() -> Location {
    context().location
}

pub fn use_query_map() -> Memo<ParamsMap> {
    context().location.query
}

/// A function that goes to a path, as a link would.
pub fn use_navigate() -> impl Fn(&str, NavigateOptions) + Clone + Send + Sync + 'static {
    let ctx = context();
    move |href, options| go(ctx, href, options)
}

/// The current route's path values (`:id`, `*rest`), from the route table
/// the outlet matches against.
pub fn use_params_map() -> Memo<ParamsMap> {
    expect_context::<RouteParams>().0
}

/// The matched route's path values: provided by the outlet.
#[derive(Clone, Copy)]
pub struct RouteParams(pub Memo<ParamsMap>);

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        match_path(pattern, path).map(|p| p.0)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_literal_route_matches_its_path_only() {
        assert_eq!(params("/", "/"), Some(vec![]));
        assert_eq!(params("/leads", "/leads"), Some(vec![]));
        assert_eq!(
            params("/leads", "/leads/"),
            Some(vec![]),
            "a trailing slash"
        );
        assert_eq!(params("/leads", "/leads/l_1"), None);
        assert_eq!(params("/leads", "/leadership"), None);
        assert_eq!(params("/", "/leads"), None);
    }

    #[test]
    fn a_named_segment_takes_one_segment() {
        assert_eq!(
            params("/opportunities/:id", "/opportunities/o_42"),
            Some(pairs(&[("id", "o_42")]))
        );
        assert_eq!(params("/opportunities/:id", "/opportunities"), None);
        assert_eq!(params("/opportunities/:id", "/opportunities/o_1/x"), None);
    }

    #[test]
    fn a_wildcard_takes_the_rest_even_none() {
        assert_eq!(
            params("/admin/*rest", "/admin/pipelines/p_1"),
            Some(pairs(&[("rest", "pipelines/p_1")]))
        );
        assert_eq!(
            params("/admin/*rest", "/admin"),
            Some(pairs(&[("rest", "")]))
        );
        assert_eq!(params("/admin/*rest", "/administrators"), None);
    }

    #[test]
    fn a_query_is_decoded_as_a_browser_decodes_it() {
        let q = ParamsMap::from_query("?q=%E5%8D%8E%E4%B8%BA+ERP&status=open&status=won&n=");
        assert_eq!(q.get("q").as_deref(), Some("华为 ERP"));
        assert_eq!(q.get("status").as_deref(), Some("open"), "the first of two");
        assert_eq!(q.get("n").as_deref(), Some(""));
        assert_eq!(q.get("missing"), None);
        assert_eq!(ParamsMap::from_query(""), ParamsMap::default());
    }
}
