use crate::i18n::{Msg, use_i18n};
use leptos::prelude::*;

/// What an async view shows until its data arrives.
#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="loading" role="status" aria-live="polite" data-test="loading">
            <span class="spinner" aria-hidden="true"></span>
            <span>{i18n.t(Msg::Loading)}</span>
        </div>
    }
}
