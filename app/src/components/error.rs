//! The one error component: every `ErrorBoundary` renders through it.

use crate::api::ApiError;
use crate::i18n::{I18n, Msg, use_i18n};
use leptos::prelude::*;

/// A readable sentence for an error, in the user's language.
pub fn describe(i18n: I18n, error: &(dyn std::error::Error + 'static)) -> String {
    match error.downcast_ref::<ApiError>() {
        Some(ApiError::Network(_)) => i18n.t(Msg::ErrorNetwork).to_string(),
        Some(ApiError::Problem(p)) => p.detail.clone(),
        Some(ApiError::Unexpected { status }) => {
            format!("{} (HTTP {status})", i18n.t(Msg::ErrorUnexpected))
        }
        None => error.to_string(),
    }
}

/// The fallback of an `ErrorBoundary`: what went wrong and a way to retry.
#[component]
pub fn ErrorView(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let i18n = use_i18n();
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| view! { <li>{describe(i18n, &*e.into_inner())}</li> })
            .collect_view()
    };
    view! {
        <section class="error" role="alert" data-test="error">
            <h2>{move || i18n.t(Msg::ErrorTitle)}</h2>
            <ul>{messages}</ul>
            <button type="button" on:click=move |_| reload()>
                {move || i18n.t(Msg::Retry)}
            </button>
        </section>
    }
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}
