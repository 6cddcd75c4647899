//! `/login`: e-mail and password; back to where the user was going.

use crate::api::{self, ApiError};
use crate::auth::{safe_next, use_auth};
use crate::components::error::describe;
use crate::i18n::{Msg, use_i18n};
use crate::router::{use_navigate, use_query_map};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let navigate = use_navigate();
    let query = use_query_map();
    let email = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    // Signed in (just now, or a restored session): on to where the user was going.
    Effect::new(move |_| {
        if auth.user.with(Option::is_some) {
            let next = safe_next(query.with_untracked(|q| q.get("next")).as_deref());
            navigate(&next, Default::default());
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(e), Some(p)) = (email.get(), password.get()) else {
            return;
        };
        let (e, p) = (e.value(), p.value());
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::login(&e, &p).await {
                Ok(me) => auth.user.set(Some(me)),
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="page login">
            <form class="card form narrow" on:submit=submit data-test="login-form">
                <h1>{i18n.t(Msg::SignInTitle)}</h1>
                <label>
                    <span>{i18n.t(Msg::Email)}</span>
                    <input node_ref=email type="email" name="email" autocomplete="username" required autofocus />
                </label>
                <label>
                    <span>{i18n.t(Msg::Password)}</span>
                    <input node_ref=password type="password" name="password" autocomplete="current-password" required />
                </label>
                {move || {
                    error
                        .get()
                        .map(|e| view! { <p class="form-error" role="alert" data-test="login-error">{describe(i18n, &e)}</p> })
                }}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { i18n.t(Msg::SigningIn) } else { i18n.t(Msg::SignIn) }}
                </button>
            </form>
        </section>
    }
}
