//! The one error component: every failed load or action renders through it.

use crate::api::ApiError;
use crate::i18n::{I18n, Msg, use_i18n};
use leptos::prelude::*;

/// A readable sentence for an error, in the user's language.
pub fn describe(i18n: I18n, error: &ApiError) -> String {
    match error {
        ApiError::Network(_) => i18n.t(Msg::ErrorNetwork).to_string(),
        // A problem about inputs: their messages (in the user's language),
        // never the raw field names the detail may carry.
        ApiError::Problem(p) => match p.errors.as_deref() {
            Some(errors) if !errors.is_empty() => errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            _ => p.detail.clone(),
        },
        ApiError::Unexpected { status } => {
            format!("{} (HTTP {status})", i18n.t(Msg::ErrorUnexpected))
        }
        ApiError::NoGradingPolicy => i18n.t(Msg::ErrorGradingPolicy).to_string(),
    }
}

/// The server's message about `field`, for beside its input.
pub fn field_error(
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
) -> impl Fn() -> Option<AnyView> + Send + Sync + Copy + 'static {
    move || {
        error.with(|e| {
            e.as_ref()?
                .field_errors()
                .into_iter()
                .find(|f| f.field == field)
                .map(|f| {
                    view! { <small class="field-error" role="alert" data-test="field-error">{f.message}</small> }
                        .into_any()
                })
        })
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
