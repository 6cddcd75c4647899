//! Who is signed in, shared through context; the route guard; where to go
//! after signing in.

use crate::api;
use crate::components::loading::Loading;
use crate::router::{use_location, use_navigate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::Me;
use shared::user::Role;

#[derive(Debug, Clone, Copy)]
pub struct Auth {
    /// The signed-in user, once known.
    pub user: RwSignal<Option<Me>>,
    /// Has the first `/api/me` answered (so `user: None` means signed out)?
    pub ready: RwSignal<bool>,
}

impl Auth {
    pub fn has(&self, role: Role) -> bool {
        self.user
            .with(|u| u.as_ref().is_some_and(|u| u.roles.contains(&role)))
    }

    /// A channel manager off the sales side (no role of `Role::SALES`, the
    /// server's rule for the board and the lists): their home is the
    /// registrations queue, not the board. Read once, untracked.
    pub fn channel_only(&self) -> bool {
        self.user.with_untracked(|u| {
            u.as_ref().is_some_and(|u| {
                u.roles.contains(&Role::Channel) && !u.roles.iter().any(|r| Role::SALES.contains(r))
            })
        })
    }
}

/// Restores the session (if the cookie still holds one) and provides it.
/// The user this browser last saw signed in is shown at once (with the
/// config and users kept for them) while `/api/me` asks the server, whose
/// 401 signs them out; a network failure keeps what was shown.
pub fn provide_auth() -> Auth {
    // The sign-in page trusts no kept user (its cookie may be gone: the
    // form must not give way to a user the server no longer knows) and
    // asks no one: a visitor signs in (no 401 in the console).
    let on_login = on_login_page();
    let kept = if on_login { None } else { api::restore_kept() };
    let auth = Auth {
        ready: RwSignal::new(kept.is_some()),
        user: RwSignal::new(kept),
    };
    provide_context(auth);
    if on_login {
        auth.ready.set(true);
        return auth;
    }
    spawn_local(async move {
        match api::me().await {
            // Only a change re-renders what depends on the user.
            Ok(me) => {
                if auth.user.with_untracked(|u| u.as_ref() != Some(&me)) {
                    auth.user.set(Some(me));
                }
            }
            Err(e) if e.status() == Some(401) => auth.user.set(None),
            Err(_) => {}
        }
        auth.ready.set(true);
    });
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Only same-site paths are followed after sign-in (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\\\")
                && n != "/login" =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Whether the browser's address is the sign-in page, for the start before
/// the router exists (`provide_auth`). Under the router, its `pathname` is
/// the same: it changes with the address, in one step (`router::go`).
pub fn on_login_page() -> bool {
    leptos::prelude::window()
        .location()
        .pathname()
        .is_ok_and(|p| p.starts_with("/login"))
}

/// A path with the router's search (which comes without its `?`).
pub fn with_query(path: &str, search: &str) -> String {
    match search.trim_start_matches('?') {
        "" => path.to_string(),
        query => format!("{path}?{query}"),
    }
}

/// The sign-in page, remembering where to come back to.
pub fn login_url(back_to: &str) -> String {
    if back_to == "/" || back_to.starts_with("/login") {
        "/login".to_string()
    } else {
        format!(
            "/login?next={}",
            web_sys::js_sys::encode_uri_component(back_to)
        )
    }
}

/// Renders its children for a signed-in user; sends anyone else to sign in
/// and back here afterwards.
#[component]
pub fn RequireAuth(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let location = use_location();
    Effect::new(move |_| {
        // Already on the way to the sign-in page (a sign-out, a 401): no
        // second navigation racing the first.
        let path = location.pathname.get_untracked();
        if auth.ready.get() && auth.user.with(Option::is_none) && !path.starts_with("/login") {
            let here = with_query(&path, &location.search.get_untracked());
            navigate(&login_url(&here), Default::default());
        }
    });
    // Signed in or not, not who: a refreshed user keeps the page as it is.
    let signed_in = Memo::new(move |_| auth.user.with(Option::is_some));
    move || {
        if signed_in.get() {
            children().into_any()
        } else {
            view! { <Loading /> }.into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{safe_next, with_query};

    #[test]
    fn the_way_back_keeps_the_query_with_its_question_mark() {
        assert_eq!(with_query("/opportunities", ""), "/opportunities");
        assert_eq!(
            with_query("/opportunities", "status=open"),
            "/opportunities?status=open"
        );
        assert_eq!(with_query("/login", "?next=%2Fx"), "/login?next=%2Fx");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/opportunities/42")), "/opportunities/42");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/login")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
