//! Dealgate's browser app: the shell, the router and the pages.

pub mod api;
pub mod auth;
pub mod framework;
pub mod i18n;
pub mod model;
pub mod router;
pub mod thresholds;

mod components;
mod routes;

use components::shell::Shell;
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let i18n = i18n::provide_i18n();
    auth::provide_auth();
    view! {
        <router::Router>
            // Rebuilt whole when the language changes: texts are plain strings.
            {move || {
                i18n.lang();
                view! {
                    <Shell>
                        <routes::Outlet fallback=|| view! { <routes::not_found::NotFound /> }.into_any() />
                    </Shell>
                }
            }}
        </router::Router>
    }
}
