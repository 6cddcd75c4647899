use crate::components::server_status::ServerStatus;
use crate::i18n::{Msg, use_i18n};
use leptos::prelude::*;

#[component]
pub fn About() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page about">
            <h1>{i18n.t(Msg::AboutTitle)}</h1>
            <p>{i18n.t(Msg::AboutBody)}</p>
            <dl class="facts">
                <dt>{i18n.t(Msg::AppVersion)}</dt>
                <dd data-test="app-version">{shared::VERSION}</dd>
            </dl>
            <ServerStatus />
        </section>
    }
}
