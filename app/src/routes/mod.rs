//! The pages. Each is its own lazily loaded wasm chunk (`lazy_page!`): the
//! first load carries the shell, the router and the shared client code, and a
//! page's code arrives when it is first visited.

pub mod about;
pub mod admin_audit;
pub mod admin_config;
pub mod admin_form;
pub mod admin_grading;
pub mod admin_pipeline;
pub mod admin_tracks;
pub mod admin_users;
pub mod approvals;
pub mod board;
pub mod lead;
pub mod leads;
pub mod login;
pub mod not_found;
pub mod opportunities;
pub mod opportunity;
pub mod opportunity_history;
pub mod opportunity_moves;
pub mod opportunity_rows;
pub mod opportunity_terms;
pub mod registrations;
pub mod reports;

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// A page only for signed-in users.
fn guarded<V: IntoView + 'static>(page: fn() -> V) -> AnyView {
    view! { <crate::auth::RequireAuth>{move || page()}</crate::auth::RequireAuth> }.into_any()
}

/// A page's route; `ahead` starts the page's first read when the route is
/// matched, so it travels while the page's code downloads (its own load
/// then takes that answer: `api::prefetch`), and with it the config's on a
/// visit that has none yet (`api::config_ahead`: every such page needs it).
macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident => $view:expr $(, ahead: $ahead:expr)?) => {
        $(#[$doc])*
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $(crate::api::config_ahead(); $ahead;)?
                Self
            }

            fn view(_this: Self) -> AnyView {
                $view
            }
        }
    };
}

lazy_page!(
    /// `/login`.
    LoginPage => login::Login().into_any()
);
lazy_page!(
    /// `/about`.
    AboutPage => about::About().into_any()
);
lazy_page!(
    /// `/`: the pipeline board.
    BoardPage => guarded(board::Board),
    ahead: board::read_ahead()
);
lazy_page!(
    /// `/opportunities`.
    OpportunitiesPage => guarded(opportunities::Opportunities),
    ahead: opportunities::read_ahead()
);
lazy_page!(
    /// `/leads`.
    LeadsPage => guarded(leads::Leads)
);
lazy_page!(
    /// `/leads/:id`.
    LeadPage => guarded(lead::LeadPage)
);
lazy_page!(
    /// `/admin/users`, `/reports` (#13), and the two review queues in the same chunk:
    /// `/registrations` (channel managers) and `/approvals` (the approvals
    /// inbox; in the deal list's chunk it cost that list 37 KB gzip): a split point of its own re-cut the chunks
    /// every page shares (the deal page went from 92 to 123 modules, +9 KB
    /// gzip; in the stage editor's chunk a channel manager downloaded that
    /// editor, 483 KB; `make size`).
    AdminUsersPage => guarded(admin_users::AdminUsers)
);
lazy_page!(
    /// `/admin/grading`.
    AdminGradingPage => guarded(admin_grading::AdminGrading)
);
lazy_page!(
    /// `/admin/*`: pipelines, the stage framework editor, the tracks, the audit.
    AdminConfigPage => guarded(admin_config::AdminConfig)
);
lazy_page!(
    /// `/opportunities/:id`.
    OpportunityPage => guarded(opportunity::DealPage),
    ahead: opportunity::read_ahead()
);

/// Fetches the code of the pages a user opens from the board and the lists
/// (deal, lead) in the background, once the current page has painted, so
/// those pages open without waiting for their chunks.
pub fn prefetch_record_pages() {
    leptos::task::spawn_local(async {
        OpportunityPage::preload().await;
        opportunity::__preload_deal_side().await;
        LeadPage::preload().await;
    });
}
