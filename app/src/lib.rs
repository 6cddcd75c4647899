//! Dealgate's browser app: the shell, the router and the pages.

pub mod api;
pub mod auth;
pub mod framework;
pub mod i18n;
pub mod model;
pub mod thresholds;

mod components;
mod routes;

use components::shell::Shell;
use leptos::prelude::*;
use leptos_router::Lazy;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    let i18n = i18n::provide_i18n();
    auth::provide_auth();
    view! {
        <Router>
            // Rebuilt whole when the language changes: texts are plain strings.
            {move || {
                i18n.lang();
                view! {
            <Shell>
                <Routes fallback=routes::not_found::NotFound>
                    <Route path=path!("/login") view={Lazy::<routes::LoginPage>::new()} />
                    <Route path=path!("/about") view={Lazy::<routes::AboutPage>::new()} />
                    <Route path=path!("/") view={Lazy::<routes::BoardPage>::new()} />
                    <Route path=path!("/opportunities") view={Lazy::<routes::OpportunitiesPage>::new()} />
                    <Route path=path!("/approvals") view={Lazy::<routes::AdminUsersPage>::new()} />
                    <Route path=path!("/reports") view={Lazy::<routes::AdminUsersPage>::new()} />
                    <Route path=path!("/opportunities/:id") view={Lazy::<routes::OpportunityPage>::new()} />
                    <Route path=path!("/leads") view={Lazy::<routes::LeadsPage>::new()} />
                    <Route path=path!("/leads/:id") view={Lazy::<routes::LeadPage>::new()} />
                    <Route path=path!("/registrations") view={Lazy::<routes::AdminUsersPage>::new()} />
                    <Route path=path!("/admin/users") view={Lazy::<routes::AdminUsersPage>::new()} />
                    <Route path=path!("/admin/grading") view={Lazy::<routes::AdminGradingPage>::new()} />
                    // After the two above: the first route that matches wins.
                    <Route path=path!("/admin/*rest") view={Lazy::<routes::AdminConfigPage>::new()} />
                </Routes>
            </Shell>
                }
            }}
        </Router>
    }
}
