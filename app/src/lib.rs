//! Dealgate's browser app: the shell, the router and the pages.

pub mod api;
pub mod i18n;

mod components;
mod routes;

use components::shell::Shell;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    i18n::provide_i18n();
    view! {
        <Router>
            <Shell>
                <Routes fallback=routes::not_found::NotFound>
                    <Route path=path!("/") view=routes::home::Home />
                    <Route path=path!("/about") view=routes::about::About />
                </Routes>
            </Shell>
        </Router>
    }
}
