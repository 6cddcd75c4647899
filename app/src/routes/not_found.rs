use crate::i18n::{Msg, use_i18n};
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page not-found" data-test="not-found">
            <h1>{i18n.t(Msg::NotFoundTitle)}</h1>
            <p>{i18n.t(Msg::NotFoundBody)}</p>
            <a href="/">{i18n.t(Msg::BackHome)}</a>
        </section>
    }
}
