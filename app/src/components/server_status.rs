//! A card with the server's health and version, from `GET /api/health`.

use crate::api;
use crate::components::error::ErrorView;
use crate::components::loading::Loading;
use crate::i18n::{Msg, use_i18n};
use leptos::prelude::*;

#[component]
pub fn ServerStatus() -> impl IntoView {
    let i18n = use_i18n();
    let health = LocalResource::new(api::health);
    view! {
        <section class="card server-status" aria-labelledby="server-status-h">
            <h2 id="server-status-h">{move || i18n.t(Msg::ServerStatus)}</h2>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                    {move || {
                        health
                            .get()
                            .map(|answer| {
                                answer
                                    .map(|h| {
                                        view! {
                                            <dl class="facts">
                                                <dt>{move || i18n.t(Msg::ServerStatus)}</dt>
                                                <dd class="ok" data-test="server-status">
                                                    {move || i18n.t(Msg::ServerOk)}
                                                </dd>
                                                <dt>{move || i18n.t(Msg::ServerVersion)}</dt>
                                                <dd data-test="server-version">{h.version}</dd>
                                            </dl>
                                        }
                                    })
                            })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
