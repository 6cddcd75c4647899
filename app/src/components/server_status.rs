//! A card with the server's health and version, from `GET /api/health`.

use crate::api;
use crate::components::fetched::{Fetched, load};
use crate::i18n::{Msg, use_i18n};
use leptos::prelude::*;
use shared::api::Health;

#[component]
pub fn ServerStatus() -> impl IntoView {
    let i18n = use_i18n();
    let (health, reload) = load(api::health);
    let show = move |h: Health| {
        view! {
            <dl class="facts">
                <dt>{i18n.t(Msg::ServerStatus)}</dt>
                <dd class="ok" data-test="server-status">{i18n.t(Msg::ServerOk)}</dd>
                <dt>{i18n.t(Msg::ServerVersion)}</dt>
                <dd data-test="server-version">{h.version}</dd>
            </dl>
        }
    };
    view! {
        <section class="card server-status" aria-labelledby="server-status-h">
            <h2 id="server-status-h">{i18n.t(Msg::ServerStatus)}</h2>
            <Fetched state=health reload view=show />
        </section>
    }
}
