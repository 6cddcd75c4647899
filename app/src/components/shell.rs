//! The frame around every page: product name, navigation, language switch.

use crate::components::nav_link::NavLink;
use crate::i18n::{Lang, Msg, use_i18n};
use leptos::prelude::*;

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="skip" href="#main">{move || i18n.t(Msg::SkipToContent)}</a>
        <header class="topbar">
            <a href="/" class="brand">
                <span class="logo" aria-hidden="true">"◆"</span>
                <span data-test="app-name">{move || i18n.t(Msg::AppName)}</span>
            </a>
            <nav aria-label="main">
                <NavLink href="/">{move || i18n.t(Msg::NavHome)}</NavLink>
                <NavLink href="/about">{move || i18n.t(Msg::NavAbout)}</NavLink>
            </nav>
            <LanguageSwitch />
        </header>
        <main id="main" tabindex="-1">{children()}</main>
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
        <div class="lang-switch" role="group" aria-label=move || i18n.t(Msg::Language)>
            {button(Lang::ZhCn, "中文")}
            {button(Lang::En, "EN")}
        </div>
    }
}
