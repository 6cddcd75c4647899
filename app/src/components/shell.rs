//! The frame around every page: product name, navigation, language switch.

use crate::api;
use crate::auth::{login_url, use_auth};
use crate::components::nav_link::NavLink;
use crate::i18n::{Lang, Msg, use_i18n};
use crate::router::{use_location, use_navigate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::user::Role;

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    // A 401 from any call: the session is gone; sign in and come back.
    let navigate = use_navigate();
    let location = use_location();
    api::on_unauthorized(move || {
        let path = location.pathname.get_untracked();
        // A second 401 (the page's reads and the badge fail together, or a
        // read in flight at sign-out) finds the way to sign in taken: a
        // second navigation would race the first (and drop `next`).
        if !path.starts_with("/login") {
            let here = crate::auth::with_query(&path, &location.search.get_untracked());
            // To the sign-in page first, then forget the user: one navigation
            // (RequireAuth would otherwise start a second one to the same page).
            navigate(&login_url(&here), Default::default());
        }
        auth.user.set(None);
    });
    // Registrations waiting for review: the badge beside the queue's link,
    // as `/api/me` counted them; the queue page keeps it current.
    let pending = provide_pending();
    let count = move || {
        pending
            .0
            .get()
            .or_else(|| auth.user.with(|u| u.as_ref()?.pending_registrations))
            .filter(|n| *n > 0)
    };
    // Approvals waiting for this user's decision: counted in the background
    // once a salesperson is signed in; the inbox page keeps it current.
    let waiting = provide_waiting_approvals();
    Effect::new(move |_| {
        let sells = auth.user.with(|u| {
            u.as_ref()
                .is_some_and(|me| me.roles.iter().any(|r| Role::SALES.contains(r)))
        });
        if sells {
            spawn_local(async move {
                if let Ok(n) = api::approvals_waiting().await {
                    waiting.0.set(Some(n as u64));
                }
            });
        }
    });
    let waiting_count = move || waiting.0.get().filter(|n| *n > 0);
    view! {
        <a class="skip" href="#main">{i18n.t(Msg::SkipToContent)}</a>
        <header class="topbar">
            <a href="/" class="brand">
                <span class="logo" aria-hidden="true">"◆"</span>
                <span data-test="app-name">{i18n.t(Msg::AppName)}</span>
            </a>
            <nav aria-label="main">
                {move || {
                    let roles = auth.user.with(|u| u.as_ref().map(|me| me.roles.clone()).unwrap_or_default());
                    nav_items(&roles)
                        .into_iter()
                        .map(|(href, msg)| view! {
                            <NavLink href>
                                {i18n.t(msg)}
                                {move || (href == "/registrations").then(count).flatten().map(|n| view! {
                                    <span class="badge" data-test="pending-registrations">{n}</span>
                                })}
                                {move || (href == "/approvals").then(waiting_count).flatten().map(|n| view! {
                                    <span class="badge" data-test="waiting-approvals">{n}</span>
                                })}
                            </NavLink>
                        })
                        .collect_view()
                }}
                <NavLink href="/about">{i18n.t(Msg::NavAbout)}</NavLink>
            </nav>
            <LanguageSwitch />
            <UserMenu />
        </header>
        <main id="main" tabindex="-1">{children()}</main>
    }
}

/// The signed-in user's name and the sign-out button.
#[component]
fn UserMenu() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let navigate = use_navigate();
    let here = crate::router::use_location();
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            // Whatever the server says, this browser forgets the session.
            let _ = api::logout().await;
            // To the sign-in page first, then forget the user: one
            // navigation (RequireAuth would otherwise start a second).
            navigate("/login", Default::default());
            auth.user.set(None);
        });
    };
    move || {
        match auth.user.get() {
        Some(me) => view! {
            <div class="user-menu">
                <span class="user-name" title=i18n.t(Msg::SignedInAs) data-test="user-name">{me.name}</span>
                <button type="button" on:click=sign_out.clone() data-test="sign-out">{i18n.t(Msg::SignOut)}</button>
            </div>
        }
        .into_any(),
        // Signed out (the about page, a 404): the way in, back to here after.
        None => (move || {
            let path = here.pathname.get();
            (!path.starts_with("/login")).then(|| {
                view! {
                    <div class="user-menu">
                        <a href=login_url(&path) data-test="sign-in-link">{i18n.t(Msg::SignIn)}</a>
                    </div>
                }
            })
        })
        .into_any(),
    }
    }
}

/// Two buttons, the current one pressed; the choice persists.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let button = move |lang: Lang, label: &'static str| {
        view! {
            <button
                type="button"
                lang=lang.tag()
                data-test=format!("lang-{}", lang.tag())
                aria-pressed=move || (i18n.lang() == lang).to_string()
                on:click=move |_| i18n.set(lang)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="lang-switch" role="group" aria-label=i18n.t(Msg::Language)>
            {button(Lang::ZhCn, "中文")}
            {button(Lang::En, "EN")}
        </div>
    }
}

/// The navigation's links for a user holding `roles` (none: signed out),
/// in order: the sales side's pages, the review queue, the admin's pages.
pub fn nav_items(roles: &[Role]) -> Vec<(&'static str, Msg)> {
    let has = |r: &[Role]| r.iter().any(|r| roles.contains(r));
    let mut items = Vec::new();
    if has(&Role::SALES) {
        items.extend([
            ("/", Msg::NavBoard),
            ("/opportunities", Msg::NavOpportunities),
            ("/leads", Msg::NavLeads),
            ("/approvals", Msg::NavApprovals),
            ("/reports", Msg::NavReports),
        ]);
    }
    if has(&[Role::Channel, Role::Admin]) {
        items.push(("/registrations", Msg::NavRegistrations));
    }
    if has(&[Role::Admin]) {
        items.extend([
            ("/admin/users", Msg::NavUsers),
            ("/admin/grading", Msg::NavGrading),
            ("/admin/pipelines", Msg::NavFramework),
            ("/admin/audit", Msg::NavAudit),
        ]);
    }
    items
}

/// How many approvals wait for the signed-in user's decision (`None`: not
/// counted yet).
#[derive(Debug, Clone, Copy)]
pub struct WaitingApprovals(pub RwSignal<Option<u64>>);

fn provide_waiting_approvals() -> WaitingApprovals {
    let waiting = WaitingApprovals(RwSignal::new(None));
    provide_context(waiting);
    waiting
}

/// How many partner registrations wait for review, as the queue page last
/// saw them (`None`: as `/api/me` said).
#[derive(Debug, Clone, Copy)]
pub struct Pending(pub RwSignal<Option<u64>>);

fn provide_pending() -> Pending {
    let pending = Pending(RwSignal::new(None));
    provide_context(pending);
    pending
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hrefs(roles: &[Role]) -> Vec<&'static str> {
        nav_items(roles).into_iter().map(|(h, _)| h).collect()
    }

    #[test]
    fn each_role_sees_the_links_to_its_own_pages() {
        assert!(hrefs(&[]).is_empty());
        assert_eq!(
            hrefs(&[Role::Rep]),
            ["/", "/opportunities", "/leads", "/approvals", "/reports"]
        );
        assert_eq!(hrefs(&[Role::Channel]), ["/registrations"]);
        let admin = hrefs(&[Role::Admin]);
        assert_eq!(admin.len(), 10);
        assert!(admin.contains(&"/registrations") && admin.contains(&"/admin/audit"));
    }
}
