use crate::components::server_status::ServerStatus;
use crate::i18n::{Msg, use_i18n};
use leptos::prelude::*;

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page home">
            <h1>{i18n.t(Msg::HomeWelcome)}</h1>
            <p class="lead">{i18n.t(Msg::HomeIntro)}</p>
            <ServerStatus />
        </section>
    }
}
