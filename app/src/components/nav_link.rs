//! A navigation link marked `aria-current="page"` when it is the current
//! page. The router (`crate::router`) already turns every same-origin `<a>`
//! into client-side navigation; this adds only the marker.

use crate::router::use_location;
use leptos::prelude::*;

/// Is `path` the page at `href`? Exact for `/`, else the section and below.
pub fn is_current(href: &str, path: &str) -> bool {
    if href == "/" {
        path == "/"
    } else {
        path == href
            || path
                .strip_prefix(href)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

#[component]
pub fn NavLink(href: &'static str, children: Children) -> impl IntoView {
    let pathname = use_location().pathname;
    let current = move || is_current(href, &pathname.get()).then_some("page");
    view! {
        <a href=href aria-current=current>
            {children()}
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::is_current;

    #[test]
    fn home_is_current_only_on_the_root() {
        assert!(is_current("/", "/"));
        assert!(!is_current("/", "/about"));
    }

    #[test]
    fn a_section_is_current_on_its_pages_but_not_on_look_alikes() {
        assert!(is_current("/leads", "/leads"));
        assert!(is_current("/leads", "/leads/42"));
        assert!(!is_current("/leads", "/leadership"));
    }
}
