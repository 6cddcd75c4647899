//! The frame around every page: product name, navigation, language switch.

use crate::api;
use crate::auth::{login_url, use_auth};
use crate::components::nav_link::NavLink;
use crate::i18n::{Lang, Msg, use_i18n};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_location, use_navigate};
use shared::user::Role;

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    // A 401 from any call: the session is gone; sign in and come back.
    let navigate = use_navigate();
    let location = use_location();
    api::on_unauthorized(move || {
        auth.user.set(None);
        let here = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        navigate(&login_url(&here), Default::default());
    });
    let signed_in = move || auth.user.with(Option::is_some);
    let reviewer = move || auth.has(Role::Channel) || auth.has(Role::Admin);
    // Registrations waiting for review: the badge beside the queue's link,
    // asked when a reviewer signs in; the queue page keeps it current.
    let pending = provide_pending();
    Effect::new(move |_| {
        if reviewer() {
            spawn_local(async move { pending.0.set(api::pending_registrations().await.ok()) });
        }
    });
    view! {
        <a class="skip" href="#main">{i18n.t(Msg::SkipToContent)}</a>
        <header class="topbar">
            <a href="/" class="brand">
                <span class="logo" aria-hidden="true">"◆"</span>
                <span data-test="app-name">{i18n.t(Msg::AppName)}</span>
            </a>
            <nav aria-label="main">
                <Show when=signed_in>
                    <Show when=move || auth.has(Role::Rep) || auth.has(Role::Manager) || auth.has(Role::Admin)>
                        <NavLink href="/">{i18n.t(Msg::NavBoard)}</NavLink>
                        <NavLink href="/opportunities">{i18n.t(Msg::NavOpportunities)}</NavLink>
                        <NavLink href="/leads">{i18n.t(Msg::NavLeads)}</NavLink>
                    </Show>
                    <Show when=reviewer>
                        <NavLink href="/registrations">
                            {i18n.t(Msg::NavRegistrations)}
                            {move || pending.0.get().filter(|n| *n > 0).map(|n| view! {
                                <span class="badge" data-test="pending-registrations">{n}</span>
                            })}
                        </NavLink>
                    </Show>
                    <Show when=move || auth.has(Role::Admin)>
                        <NavLink href="/admin/users">{i18n.t(Msg::NavUsers)}</NavLink>
                        <NavLink href="/admin/grading">{i18n.t(Msg::NavGrading)}</NavLink>
                        <NavLink href="/admin/pipelines">{i18n.t(Msg::NavFramework)}</NavLink>
                        <NavLink href="/admin/audit">{i18n.t(Msg::NavAudit)}</NavLink>
                    </Show>
                </Show>
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
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            // Whatever the server says, this browser forgets the session.
            let _ = api::logout().await;
            auth.user.set(None);
            navigate("/login", Default::default());
        });
    };
    move || {
        auth.user.get().map(|me| {
            view! {
                <div class="user-menu">
                    <span class="user-name" title=i18n.t(Msg::SignedInAs) data-test="user-name">{me.name}</span>
                    <button type="button" on:click=sign_out.clone() data-test="sign-out">{i18n.t(Msg::SignOut)}</button>
                </div>
            }
        })
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

/// How many partner registrations wait for review (`None` until asked).
#[derive(Debug, Clone, Copy)]
pub struct Pending(pub RwSignal<Option<usize>>);

fn provide_pending() -> Pending {
    let pending = Pending(RwSignal::new(None));
    provide_context(pending);
    pending
}
