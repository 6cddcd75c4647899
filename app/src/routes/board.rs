//! `/`: the pipeline board. A column per stage of the chosen pipeline; a
//! card per open deal with its grade, amount, days in stage (marked when
//! past the stage's limit) and whether its gate blocks it. "Move on" shows
//! the gate's verdict first and calls the server only when it allows.

use crate::api::{self, ApiError};
use crate::components::close_deal::{Closing, LoseForm, WinForm};
use crate::components::error::{ErrorView, describe};
use crate::components::fetched::{Fetched, load, on_config_change};
use crate::components::saver::Saver;
use crate::components::ui::{GradeBadge, loc, money, now, pipeline_options};
use crate::i18n::{Msg, use_i18n};
use crate::model;
use leptos::prelude::*;
use shared::api::{Config, TransitionRequest};
use shared::gate::{Transition, advance_target};
use shared::{GradingPolicy, Opportunity, Pipeline, Verdict};
use std::sync::Arc;

/// The board shows at most this many open deals per pipeline (5 pages of
/// the API's maximum 200): beyond that a list with filters serves better.
const MAX_CARDS: usize = 2000;

#[derive(Clone)]
struct BoardData {
    config: Arc<Config>,
    deals: Vec<Opportunity>,
}

async fn fetch(config: Arc<Config>, pipeline: String) -> Result<BoardData, ApiError> {
    let mut deals = Vec::new();
    let mut cursor = String::new();
    loop {
        let q = api::query(&[
            ("pipeline", &pipeline),
            ("status", "open"),
            ("limit", "200"),
            ("cursor", &cursor),
        ]);
        let page = api::opportunities(&q).await?;
        deals.extend(page.items);
        match page.next_cursor {
            Some(next) if deals.len() < MAX_CARDS => cursor = next,
            _ => break,
        }
    }
    Ok(BoardData { config, deals })
}

#[component]
pub fn Board() -> impl IntoView {
    // A channel manager's home is the registrations queue, not the board.
    let auth = crate::auth::use_auth();
    if auth.has(shared::Role::Channel)
        && ![
            shared::Role::Rep,
            shared::Role::Manager,
            shared::Role::Admin,
        ]
        .iter()
        .any(|r| auth.has(*r))
    {
        let navigate = leptos_router::hooks::use_navigate();
        navigate(
            "/registrations",
            leptos_router::NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
        return ().into_any();
    }
    // The pipelines to choose from are the config's: the config first (cached).
    let (state, reload) = load(api::config);
    // New rules: the board again, on the pipeline chosen.
    on_config_change(move || reload.run(()));
    let pipeline = RwSignal::new(String::new());
    let board = move |config: Arc<Config>| match model::policy(&config) {
        Ok(policy) => view! { <PipelineBoard config policy pipeline /> }.into_any(),
        // No verdict on rules other than the server's.
        Err(error) => view! { <ErrorView error /> }.into_any(),
    };
    view! {
        <section class="page board">
            <Fetched state reload view=board />
        </section>
    }
    .into_any()
}

/// The board of one pipeline, the config's first until another is chosen.
#[component]
fn PipelineBoard(
    config: Arc<Config>,
    policy: GradingPolicy,
    pipeline: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    if !pipeline.with_untracked(|id| config.pipelines.iter().any(|p| p.id.as_str() == id)) {
        let first = config.pipelines.first().map(|p| p.id.to_string());
        pipeline.set(first.unwrap_or_default());
    }
    let options = pipeline_options(i18n, &config);
    let (state, reload) = load(move || fetch(config.clone(), pipeline.get_untracked()));
    let pick = move |ev: leptos::ev::Event| {
        pipeline.set(event_target_value(&ev));
        reload.run(());
    };
    let columns = move |data: BoardData| {
        view! { <Columns data pipeline=pipeline.get_untracked() policy reload /> }
    };
    view! {
        <div class="page-head">
            <h1>{i18n.t(Msg::NavBoard)}</h1>
            <label class="inline">
                <span>{i18n.t(Msg::Pipeline)}</span>
                <select data-test="board-pipeline" on:change=pick prop:value=move || pipeline.get()>
                    {options}
                </select>
            </label>
        </div>
        <Fetched state reload view=columns />
    }
}

#[component]
fn Columns(
    data: BoardData,
    pipeline: String,
    policy: GradingPolicy,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let Some(p) = data
        .config
        .pipelines
        .iter()
        .find(|p| p.id.as_str() == pipeline)
        .cloned()
    else {
        return view! { <p class="error">{i18n.t(Msg::UnknownPipeline)}</p> }.into_any();
    };
    let count = data.deals.len();
    let today = now();
    let p = Arc::new(p);
    let columns = p
        .stages
        .iter()
        .skip(1)
        .map(|stage| {
            let cards: Vec<Opportunity> = data
                .deals
                .iter()
                .filter(|d| d.stage == stage.key)
                .cloned()
                .collect();
            let n = cards.len();
            let cards = cards
                .into_iter()
                .map(|deal| view! { <Card deal pipeline=p.clone() policy today reload /> })
                .collect_view();
            view! {
                <section class="column" data-test="column" data-stage=stage.key.to_string()>
                    <h2>{loc(i18n, &stage.name)}<span class="count">{n}</span></h2>
                    <div class="cards">{cards}</div>
                </section>
            }
        })
        .collect_view();
    // Marks the first paint after the cards are in the page, for `make bench`;
    // then fetches the deal page's code while the user reads the board.
    request_animation_frame(|| {
        if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
            let _ = perf.mark("board-painted");
        }
        crate::routes::prefetch_record_pages();
    });
    view! {
        <div class="columns" data-test="board" data-count=count>{columns}</div>
        {(count == 0).then(|| view! { <p class="empty">{i18n.t(Msg::BoardEmpty)}</p> })}
    }
    .into_any()
}

#[component]
fn Card(
    deal: Opportunity,
    pipeline: Arc<Pipeline>,
    policy: GradingPolicy,
    today: chrono::DateTime<chrono::Utc>,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let saver = Saver::new(deal);
    let deal = saver.record;
    let verdict = Memo::new({
        let p = pipeline.clone();
        move |_| -> Option<Verdict> {
            deal.with(|d| advance_target(d, &p).map(|to| model::verdict(d, &p, &policy, to)))
        }
    });
    let show_why = RwSignal::new(false);
    let days = deal.with_untracked(|d| d.days_in_stage(today));
    let over = deal.with_untracked(|d| {
        pipeline
            .stage(d.stage.as_str())
            .is_some_and(|s| s.is_overdue(days))
    });
    let blocked = move || verdict.with(|v| v.as_ref().is_some_and(|v| !v.allowed));
    // A final-stage card is won or lost in the deal page's own forms, in a
    // dialog: never in one click.
    let at_final = deal.with_untracked(|d| pipeline.is_final(d.stage.as_str()));
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let closing_open = RwSignal::new(false);
    let close_dialog = move || {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };
    let move_on = {
        let p = pipeline.clone();
        move |_| {
            if at_final {
                closing_open.set(true);
                if let Some(d) = dialog.get_untracked() {
                    let _ = d.show_modal();
                }
                return;
            }
            if blocked() {
                show_why.update(|s| *s = !*s);
                return;
            }
            let Some(to) = deal.with_untracked(|d| advance_target(d, &p)) else {
                return;
            };
            let (id, version) = deal.with_untracked(|d| (d.id.clone(), d.version));
            let req = TransitionRequest {
                version,
                transition: Transition::to(to),
            };
            let change = Box::pin(async move { api::transition(&id, &req).await });
            // Moved: the board reloads to show it in its next column.
            saver.start(change, move |_, stale| {
                if !stale {
                    reload.run(());
                }
            });
        }
    };
    let closing = Closing {
        deal,
        pipeline: StoredValue::new((*pipeline).clone()),
        policy: StoredValue::new(policy),
        busy: saver.busy,
        unsaved: Signal::stored(false),
        go: Callback::new(move |transition: Transition| {
            let (id, version) = deal.with_untracked(|d| (d.id.clone(), d.version));
            let req = TransitionRequest {
                version,
                transition,
            };
            let change = Box::pin(async move { api::transition(&id, &req).await });
            // Closed: off the board of open deals.
            saver.start(change, move |_, stale| {
                if !stale {
                    close_dialog();
                    reload.run(());
                }
            });
        }),
    };
    let (id, name, customer, amount, grade) = deal.with_untracked(|d| {
        (
            d.id.clone(),
            d.name.clone(),
            d.customer.clone(),
            money(d.amount, d.currency),
            d.grade.effective,
        )
    });
    view! {
        <article class="deal-card" class:blocked=blocked data-test="deal-card" data-id=id.clone()>
            <a href=format!("/opportunities/{id}") class="name">{name.clone()}</a>
            <div class="customer">{customer}</div>
            <div class="facts-row">
                <GradeBadge grade />
                <span class="amount">{amount}</span>
                <span class="days" class:overdue=over title=i18n.t(Msg::DaysInStage)>
                    {i18n.t(Msg::DaysShort).replace("{n}", &days.to_string())}
                </span>
                {move || blocked().then(|| view! { <span class="blocked-mark" data-test="blocked">{i18n.t(Msg::Blocked)}</span> })}
            </div>
            <button type="button" class="move" data-test="move-on" disabled=move || saver.busy.get()
                aria-haspopup=at_final.then_some("dialog")
                aria-expanded=move || (if at_final { closing_open.get() } else { show_why.get() }).to_string()
                on:click=move_on>
                {i18n.t(if at_final { Msg::CloseDeal } else { Msg::MoveOn })}
            </button>
            {at_final.then(|| view! {
                <dialog node_ref=dialog class="close-deal" data-test="close-dialog"
                    aria-label=i18n.t(Msg::CloseDeal) on:close=move |_| closing_open.set(false)>
                    <div class="dialog-head">
                        <h2>{name.clone()}</h2>
                        <button type="button" class="icon" data-test="close-dialog-cancel"
                            aria-label=i18n.t(Msg::CloseDialog) on:click=move |_| close_dialog()>"×"</button>
                    </div>
                    {move || closing_open.get().then(|| view! {
                        <WinForm closing />
                        <LoseForm closing />
                    })}
                    {move || saver.error.get().map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
                    {move || saver.conflict.get().then(|| view! { <p class="notice" role="alert">{i18n.t(Msg::CardChanged)}</p> })}
                </dialog>
            })}
            {move || (show_why.get() && blocked()).then(|| {
                let items = verdict.with(|v| {
                    v.iter()
                        .flat_map(|v| v.blockers.iter())
                        .map(|b| view! { <li>{b.message.get(i18n.current()).to_string()}</li> })
                        .collect_view()
                });
                view! { <ul class="blockers" data-test="card-blockers">{items}</ul> }
            })}
            {move || saver.error.get().map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
            {move || saver.conflict.get().then(|| view! { <p class="notice" role="alert">{i18n.t(Msg::CardChanged)}</p> })}
        </article>
    }
}
