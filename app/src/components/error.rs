//! The one error component: every failed load or action renders through it.

use crate::api::ApiError;
use crate::i18n::{I18n, Msg, use_i18n};
use leptos::prelude::*;

/// A readable sentence for an error, in the user's language.
pub fn describe(i18n: I18n, error: &ApiError) -> String {
    match error {
        ApiError::Network(_) => i18n.t(Msg::ErrorNetwork).to_string(),
        ApiError::Problem(p) => p.detail.clone(),
        ApiError::Unexpected { status } => {
            format!("{} (HTTP {status})", i18n.t(Msg::ErrorUnexpected))
        }
        ApiError::NoGradingPolicy => i18n.t(Msg::ErrorGradingPolicy).to_string(),
    }
}

/// What went wrong, and a way to try again (`retry`, else a reload).
#[component]
pub fn ErrorView(error: ApiError, #[prop(optional)] retry: Option<Callback<()>>) -> impl IntoView {
    let i18n = use_i18n();
    let on_retry = move |_| match retry {
        Some(cb) => cb.run(()),
        None => reload(),
    };
    view! {
        <section class="error" role="alert" data-test="error">
            <h2>{i18n.t(Msg::ErrorTitle)}</h2>
            <p>{move || describe(i18n, &error)}</p>
            <button type="button" on:click=on_retry>
                {i18n.t(Msg::Retry)}
            </button>
        </section>
    }
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}
