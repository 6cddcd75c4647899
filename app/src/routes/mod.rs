//! The pages. Each is its own lazily loaded wasm chunk (`#[lazy]`): the
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

use crate::router::{self, ParamsMap, RouteParams, match_path, use_location};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A page only for signed-in users.
fn guarded<V: IntoView + 'static>(page: fn() -> V) -> AnyView {
    view! { <crate::auth::RequireAuth>{move || page()}</crate::auth::RequireAuth> }.into_any()
}

/// The pages. Each one's view is its own lazily loaded wasm chunk (a
/// `#[lazy]` function below, named `__<page>_page_view` for
/// app/build-wasm.sh's chunk groups and `make size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Login,
    About,
    Board,
    Opportunities,
    Opportunity,
    Leads,
    Lead,
    /// `/admin/users`, `/reports` (#13), and the two review queues in the
    /// same chunk: `/registrations` (channel managers) and `/approvals` (the
    /// approvals inbox; in the deal list's chunk it cost that list 37 KB
    /// gzip): a split point of its own re-cut the chunks every page shares
    /// (the deal page went from 92 to 123 modules, +9 KB gzip; in the stage
    /// editor's chunk a channel manager downloaded that editor, 483 KB;
    /// `make size`).
    AdminUsers,
    AdminGrading,
    /// `/admin/*`: pipelines, the stage framework editor, the tracks, the audit.
    AdminConfig,
}

/// The routes, in the order they are tried: the first that matches wins.
/// Each entry is its own route: moving between two entries of one page
/// (`/approvals` to `/reports`) builds the page anew, moving within one
/// (`/opportunities/a` to `/opportunities/b`) changes its params only.
pub const ROUTES: &[(&str, Page)] = &[
    ("/login", Page::Login),
    ("/about", Page::About),
    ("/", Page::Board),
    ("/opportunities", Page::Opportunities),
    ("/approvals", Page::AdminUsers),
    ("/reports", Page::AdminUsers),
    ("/opportunities/:id", Page::Opportunity),
    ("/leads", Page::Leads),
    ("/leads/:id", Page::Lead),
    ("/registrations", Page::AdminUsers),
    ("/admin/users", Page::AdminUsers),
    ("/admin/grading", Page::AdminGrading),
    ("/admin/*rest", Page::AdminConfig),
];

/// The route a path takes: its index in `ROUTES`, its page and its params.
pub fn route(path: &str) -> Option<(usize, Page, ParamsMap)> {
    ROUTES
        .iter()
        .enumerate()
        .find_map(|(i, (pattern, page))| Some((i, *page, match_path(pattern, path)?)))
}

impl Page {
    /// Starts the page's first read when its route is matched, so it
    /// travels while the page's code downloads (its own load then takes
    /// that answer: `api::prefetch`), and with it the config's on a visit
    /// that has none yet (`api::config_ahead`: every such page needs it).
    fn read_ahead(self) {
        let ahead: fn() = match self {
            Page::Board => board::read_ahead,
            Page::Opportunities => opportunities::read_ahead,
            Page::Opportunity => opportunity::read_ahead,
            _ => return,
        };
        crate::api::config_ahead();
        ahead();
    }

    /// The page's view, once its code is here.
    async fn view(self) -> ViewFn {
        match self {
            Page::Login => login_page_view().await,
            Page::About => about_page_view().await,
            Page::Board => board_page_view().await,
            Page::Opportunities => opportunities_page_view().await,
            Page::Opportunity => opportunity_page_view().await,
            Page::Leads => leads_page_view().await,
            Page::Lead => lead_page_view().await,
            Page::AdminUsers => admin_users_page_view().await,
            Page::AdminGrading => admin_grading_page_view().await,
            Page::AdminConfig => admin_config_page_view().await,
        }
    }
}

#[lazy(__login_page_view)]
fn login_page_view() -> ViewFn {
    ViewFn::from(|| login::Login().into_any())
}
#[lazy(__about_page_view)]
fn about_page_view() -> ViewFn {
    ViewFn::from(|| about::About().into_any())
}
#[lazy(__board_page_view)]
fn board_page_view() -> ViewFn {
    ViewFn::from(|| guarded(board::Board))
}
#[lazy(__opportunities_page_view)]
fn opportunities_page_view() -> ViewFn {
    ViewFn::from(|| guarded(opportunities::Opportunities))
}
#[lazy(__opportunity_page_view)]
fn opportunity_page_view() -> ViewFn {
    ViewFn::from(|| guarded(opportunity::DealPage))
}
#[lazy(__leads_page_view)]
fn leads_page_view() -> ViewFn {
    ViewFn::from(|| guarded(leads::Leads))
}
#[lazy(__lead_page_view)]
fn lead_page_view() -> ViewFn {
    ViewFn::from(|| guarded(lead::LeadPage))
}
#[lazy(__admin_users_page_view)]
fn admin_users_page_view() -> ViewFn {
    ViewFn::from(|| guarded(admin_users::AdminUsers))
}
#[lazy(__admin_grading_page_view)]
fn admin_grading_page_view() -> ViewFn {
    ViewFn::from(|| guarded(admin_grading::AdminGrading))
}
#[lazy(__admin_config_page_view)]
fn admin_config_page_view() -> ViewFn {
    ViewFn::from(|| guarded(admin_config::AdminConfig))
}

/// A deal's id and name, read from the deal's read ahead on a first load
/// (`api::name_ahead`): the outlet's opening view and then the deal page's
/// own loading state show the name, so it stays where it is while the
/// page's code and its build arrive.
#[derive(Clone, Copy)]
pub struct DealNameAhead(RwSignal<Option<(String, String)>>);

impl DealNameAhead {
    /// The name of the deal `params` names, if it is the one read (tracked).
    pub fn of(self, params: Memo<ParamsMap>) -> Option<String> {
        let id = params.with(|p| p.get("id"))?;
        self.0.with(|d| {
            d.as_ref()
                .filter(|(of, _)| *of == id)
                .map(|(_, name)| name.clone())
        })
    }
}

/// The page the address names: its reads start at once, its code loads,
/// and the page before stays until the new one can be shown. A path no
/// route takes shows `fallback`.
#[component]
pub fn Outlet(fallback: fn() -> AnyView) -> impl IntoView {
    let location = use_location();
    let matched = Memo::new(move |_| location.pathname.with(|p| route(p)));
    // The route's key (its index in ROUTES) and page: only their change
    // brings a new page; a change of params alone does not.
    let key = Memo::new(move |_| matched.with(|m| m.as_ref().map(|(i, page, _)| (*i, *page))));
    let params = Memo::new(move |_| {
        matched.with(|m| m.as_ref().map(|(_, _, p)| p.clone()).unwrap_or_default())
    });
    provide_context(RouteParams(params));
    let shown = RwSignal::new(None::<ViewFn>);
    let latest = StoredValue::new(0u32);
    // A deal's name from its read ahead, for the opening view and the deal
    // page's own loading state.
    let deal_name = DealNameAhead(RwSignal::new(None));
    provide_context(deal_name);
    // At once (not after this render): the page's reads start now.
    leptos::reactive::effect::ImmediateEffect::new_scoped(move || {
        let key = key.get();
        untrack(move || {
            let this = latest.get_value().wrapping_add(1);
            latest.set_value(this);
            let Some((_, page)) = key else {
                shown.set(Some(ViewFn::from(fallback)));
                router::page_shown();
                return;
            };
            page.read_ahead();
            // Before the first page is shown (a first load), whose code
            // takes longest: a deal's name from its read ahead.
            let first = shown.with_untracked(Option::is_none);
            if first
                && page == Page::Opportunity
                && let Some(id) = params.with_untracked(|p| p.get("id"))
            {
                spawn_local(async move {
                    if let Some(name) = opportunity::name_ahead(&id).await {
                        deal_name.0.try_set(Some((id, name)));
                    }
                });
            }
            // The first page's code is asked for in a task after the one
            // that starts the app (its ~13 fetches were a third of that
            // task); a later page's at once.
            spawn_local(async move {
                if first {
                    crate::components::ui::next_task().await;
                }
                let view = page.view().await;
                // Not if another navigation came meanwhile, or the outlet is gone.
                if latest.try_get_value() == Some(this) {
                    shown.try_set(Some(view));
                    router::page_shown();
                }
            });
        });
    });
    // Until the first page's code is here: its heading and the loading
    // state, not an empty page, once the app knows the user (a guarded page
    // sends anyone else to sign in). The heading is where the page puts its
    // own: a list's or the board's (the same on every visit), or a deal's
    // name once its read ahead is in. The route, the user and the name are
    // read in this branch only: once a page is shown, none rebuilds it.
    let i18n = crate::i18n::use_i18n();
    let auth = crate::auth::use_auth();
    let opening = move || {
        let page = key.get()?.1;
        if !auth.user.with(Option::is_some) {
            return None;
        }
        // (section's class, heading's wrapper's class, heading): the
        // page's own shape, in one view for all of them.
        let (class, head, heading) = match page {
            Page::Opportunities => (
                "page opportunities",
                "",
                i18n.t(opportunities::HEADING).to_string(),
            ),
            Page::Leads => ("page leads", "", i18n.t(leads::HEADING).to_string()),
            Page::Board => (
                "page board",
                "page-head",
                i18n.t(board::HEADING).to_string(),
            ),
            Page::Opportunity => ("page deal", "deal-head", deal_name.of(params)?),
            _ => return None,
        };
        Some(
            view! {
                <section class=class data-test="opening">
                    <div class=head><h1>{heading}</h1></div>
                    <crate::components::loading::Loading />
                </section>
            }
            .into_any(),
        )
    };
    move || match shown.get() {
        Some(view) => Some(untrack(|| view.run())),
        None => opening(),
    }
}

/// Fetches the code of the deal page (with its side panel), which the
/// board and the deal list open, in the background so it opens without
/// waiting for its chunks.
pub fn prefetch_deal_page() {
    when_idle(|| async {
        __preload_opportunity_page_view().await;
        opportunity::__preload_deal_side().await;
    });
}

/// The same for the lead page, which the leads list opens.
pub fn prefetch_lead_page() {
    when_idle(|| async { __preload_lead_page_view().await });
}

/// Runs `fetch` when the browser is next idle, after the frame that paints
/// the current page (the prefetches' callers ask from that frame). Started
/// in that frame, ~200 KB of chunks (both record pages') shared the network
/// and the main thread with the page's own first paint; and a page fetches
/// only the record page it links to.
/// (A browser without `requestIdleCallback`, Safari: in the next task.)
fn when_idle<F: std::future::Future<Output = ()> + 'static>(fetch: fn() -> F) {
    if request_idle_callback_with_handle(move || spawn_local(fetch())).is_err() {
        set_timeout(move || spawn_local(fetch()), std::time::Duration::ZERO);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str) -> Option<(usize, Page, Option<String>)> {
        route(path).map(|(i, page, params)| (i, page, params.get("id").or(params.get("rest"))))
    }

    #[test]
    fn each_path_takes_its_page() {
        let cases = [
            ("/", Some(Page::Board)),
            ("/login", Some(Page::Login)),
            ("/about", Some(Page::About)),
            ("/opportunities", Some(Page::Opportunities)),
            ("/opportunities/o_1", Some(Page::Opportunity)),
            ("/leads", Some(Page::Leads)),
            ("/leads/l_1", Some(Page::Lead)),
            ("/approvals", Some(Page::AdminUsers)),
            ("/reports", Some(Page::AdminUsers)),
            ("/registrations", Some(Page::AdminUsers)),
            ("/admin/users", Some(Page::AdminUsers)),
            ("/admin/grading", Some(Page::AdminGrading)),
            ("/admin/pipelines/p_1", Some(Page::AdminConfig)),
            ("/admin/audit", Some(Page::AdminConfig)),
            ("/nowhere", None),
            ("/opportunities/o_1/extra", None),
        ];
        for (path, want) in cases {
            assert_eq!(page(path).map(|(_, p, _)| p), want, "{path}");
        }
    }

    #[test]
    fn the_named_admin_pages_win_over_the_admin_wildcard() {
        let users = page("/admin/users").unwrap();
        let config = page("/admin/pipelines").unwrap();
        assert_eq!((users.1, users.2), (Page::AdminUsers, None));
        assert_eq!(
            (config.1, config.2.as_deref()),
            (Page::AdminConfig, Some("pipelines"))
        );
    }

    #[test]
    fn two_deals_are_one_route_and_the_queues_are_routes_of_their_own() {
        let (a, b) = (
            page("/opportunities/o_1").unwrap(),
            page("/opportunities/o_2").unwrap(),
        );
        assert_eq!(a.0, b.0, "one route: the page stays, its params change");
        assert_eq!((a.2.as_deref(), b.2.as_deref()), (Some("o_1"), Some("o_2")));
        assert_ne!(page("/approvals").unwrap().0, page("/reports").unwrap().0);
    }
}
