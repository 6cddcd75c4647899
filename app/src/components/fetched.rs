//! Every async view goes through [`Fetched`]: a loading state until the
//! data arrives, the one error component if it fails, the view if it loads.
//! A signal and a spawned future, not Leptos's resource + Suspense +
//! ErrorBoundary machinery: measured with `make size`, that machinery costs
//! far more of the first load than this.

use crate::api::ApiError;
use crate::components::error::ErrorView;
use crate::components::loading::Loading;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;

/// Where a load stands.
#[derive(Debug, Clone)]
pub enum Load<T> {
    Loading,
    Done(Result<T, ApiError>),
}

/// Starts `fetch` now and again on every `reload`; the signal follows it.
pub fn load<T, F, Fut>(fetch: F) -> (ReadSignal<Load<T>>, Callback<()>)
where
    T: Clone + Send + Sync + 'static,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let (state, set_state) = signal(Load::Loading);
    let run = Callback::new(move |()| {
        set_state.set(Load::Loading);
        let fut = fetch();
        spawn_local(async move { set_state.set(Load::Done(fut.await)) });
    });
    run.run(());
    (state, run)
}

#[component]
pub fn Fetched<T, V>(
    state: ReadSignal<Load<T>>,
    reload: Callback<()>,
    view: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || match state.get() {
        Load::Loading => view! { <Loading /> }.into_any(),
        Load::Done(Ok(data)) => view(data).into_any(),
        Load::Done(Err(error)) => view! { <ErrorView error retry=reload /> }.into_any(),
    }
}

/// Runs `again` each time an answer names a newer config (new thresholds or
/// stage rules, see [`crate::api::config_epoch`]), for as long as the
/// calling component lives.
pub fn on_config_change(again: impl Fn() + 'static) {
    Effect::watch(
        move || crate::api::config_epoch().get(),
        move |_, _, _| again(),
        false,
    );
}
