//! `/registrations`: the channel managers' review queue of partner deal
//! registrations (E class, 商机报备), oldest first, filtered by status in
//! the URL. Each row shows the registration, whether it waited too long,
//! and its conflicts with our open deals and other registrations (as the
//! server finds them now, each linked); a submitted one is approved for a
//! rep (the E deal is made, with a link to it) or rejected with a reason
//! the partner sees. The navigation's badge follows the decisions.

use super::admin_config::{back_office_page, use_tx};
use crate::api::{self, ApiError};
use crate::components::error::describe;
use crate::components::fetched::{Fetched, load};
use crate::components::shell::Pending;
use crate::components::ui::{loc, money};
use crate::i18n::{AdminMsg, Msg, use_i18n};
use crate::router::{use_navigate, use_query_map};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Config, UserSummary};
use shared::registration::{
    ApproveRequest, ConflictKind, RegistrationItem, RegistrationStatus, RejectRequest,
};
use shared::user::Role;
use std::sync::Arc;

/// The filter's choices, in the order shown; `""` is every status.
const STATUSES: [(&str, AdminMsg); 6] = [
    ("submitted", AdminMsg::StSubmitted),
    ("approved", AdminMsg::StApproved),
    ("rejected", AdminMsg::StRejected),
    ("expired", AdminMsg::StExpired),
    ("withdrawn", AdminMsg::StWithdrawn),
    ("", AdminMsg::StAll),
];

fn status_msg(status: RegistrationStatus) -> AdminMsg {
    match status {
        RegistrationStatus::Submitted => AdminMsg::StSubmitted,
        RegistrationStatus::Approved => AdminMsg::StApproved,
        RegistrationStatus::Rejected => AdminMsg::StRejected,
        RegistrationStatus::Expired => AdminMsg::StExpired,
        RegistrationStatus::Withdrawn => AdminMsg::StWithdrawn,
    }
}

#[component]
pub fn Registrations() -> impl IntoView {
    back_office_page(&[Role::Channel, Role::Admin], Msg::ReviewersOnly, || {
        view! { <Queue /> }.into_any()
    })
}

/// Who can own the deal and in which pipeline it runs: asked beside the queue.
#[derive(Clone)]
struct Choices {
    reps: Vec<UserSummary>,
    config: Arc<Config>,
}

/// The deal the last approval made: announced above the queue, which no
/// longer lists the registration once it is decided.
#[derive(Clone, Copy)]
struct Made(RwSignal<Option<String>>);

#[component]
fn Queue() -> impl IntoView {
    let tx = use_tx();
    let made = RwSignal::new(None::<String>);
    provide_context(Made(made));
    let query = use_query_map();
    let navigate = use_navigate();
    // No `status` in the URL: the ones waiting; `status=` (empty): all.
    let status = move || {
        query.with(|q| {
            q.get("status")
                .map(|s| s.to_string())
                .unwrap_or_else(|| "submitted".into())
        })
    };
    let (choices, reload_choices) = load(|| async {
        let (users, config) = (api::users().await?, api::config().await?);
        let reps = users
            .iter()
            .filter(|u| u.roles.contains(&Role::Rep))
            .cloned()
            .collect();
        Ok(Choices { reps, config })
    });
    let filter = move |ev: leptos::ev::Event| {
        navigate(
            &format!("/registrations?status={}", event_target_value(&ev)),
            Default::default(),
        );
    };
    let options = move || {
        STATUSES
            .iter()
            .map(|(key, msg)| {
                view! { <option value=*key selected=status() == *key>{tx.t(*msg)}</option> }
            })
            .collect_view()
    };
    let list = move |choices: Choices| {
        let shown = status();
        view! { <QueueList status=shown choices /> }
    };
    view! {
        <section class="page registrations">
            <h1>{tx.t(AdminMsg::RegistrationTitle)}</h1>
            <p class="lead">{tx.t(AdminMsg::QueueIntro)}</p>
            {move || made.get().map(|deal| view! {
                <p class="notice" role="status" data-test="approved-notice">
                    {tx.t(AdminMsg::ApprovedNotice)}" "
                    <a href=format!("/opportunities/{deal}")>{tx.t(AdminMsg::OpenDeal)}</a>
                </p>
            })}
            <label class="filter">
                <span>{use_i18n().t(Msg::Status)}</span>
                <select data-test="status-filter" on:change=filter>{options}</select>
            </label>
            <Fetched state=choices reload=reload_choices view=list />
        </section>
    }
}

#[component]
fn QueueList(status: String, choices: Choices) -> impl IntoView {
    let tx = use_tx();
    let pending = expect_context::<Pending>();
    let waiting = status == "submitted";
    let (items, reload) = load(move || {
        let status = status.clone();
        async move { api::registrations(&status).await }
    });
    let choices = StoredValue::new(choices);
    let rows = move |items: Vec<RegistrationItem>| {
        if waiting {
            // The queue of waiting ones is the badge's count.
            pending.0.set(Some(items.len() as u64));
        }
        if items.is_empty() {
            let msg = if waiting {
                AdminMsg::QueueEmpty
            } else {
                AdminMsg::QueueEmptyOther
            };
            return view! { <p class="card empty" data-test="queue-empty">{tx.t(msg)}</p> }
                .into_any();
        }
        // A decision: the list again (and with it, on the queue of waiting
        // ones, the badge); elsewhere one fewer waits.
        let decided = Callback::new(move |()| {
            if !waiting {
                let auth = crate::auth::use_auth();
                let before = pending.0.get_untracked().or_else(|| {
                    auth.user
                        .with_untracked(|u| u.as_ref()?.pending_registrations)
                });
                pending.0.set(before.map(|n| n.saturating_sub(1)));
            }
            reload.run(());
        });
        items
            .into_iter()
            .map(|item| view! { <Row item choices=choices.get_value() decided /> })
            .collect_view()
            .into_any()
    };
    view! { <div class="queue" data-test="queue"><Fetched state=items reload view=rows /></div> }
}

/// One registration: what the partner filed, its conflicts, its decision.
#[component]
fn Row(item: RegistrationItem, choices: Choices, decided: Callback<()>) -> impl IntoView {
    let tx = use_tx();
    let currency = choices.config.grading.currency;
    let r = &item.registration;
    let amount = money(r.amount, currency);
    let overdue = item.overdue.then(|| {
        view! { <span class="badge badge-warn" data-test="overdue">{tx.t(AdminMsg::Overdue)}</span> }
    });
    let outcome = match item.status {
        RegistrationStatus::Submitted => {
            view! { <Decide item=item.clone() choices decided /> }.into_any()
        }
        RegistrationStatus::Approved | RegistrationStatus::Expired => {
            let deal = item.opportunity_id.clone().map(|id| {
                view! { <a href=format!("/opportunities/{id}") data-test="deal-link">{tx.t(AdminMsg::OpenDeal)}</a> }
            });
            let until = item
                .protected_until
                .map(|d| format!("{} {d}", tx.t(AdminMsg::ProtectionTill)));
            view! { <p class="meta">{until}" "{deal}</p> }.into_any()
        }
        RegistrationStatus::Rejected => view! {
            <p class="meta">{tx.t(AdminMsg::RejectedBecause)}" "{item.reason.clone()}</p>
        }
        .into_any(),
        RegistrationStatus::Withdrawn => ().into_any(),
    };
    view! {
        <article class="card registration" data-test="registration" data-id=item.id.clone()
            data-status=item.status.as_str()>
            <header class="reg-head">
                <h2>{r.project_title.clone()}</h2>
                <span class="badge">{tx.t(status_msg(item.status))}</span>
                {overdue}
            </header>
            <dl class="facts">
                <dt>{tx.t(AdminMsg::CustomerCol)}</dt><dd data-test="customer">{r.customer_company.clone()}</dd>
                <dt>{tx.t(AdminMsg::AmountCol)}</dt><dd>{amount}</dd>
                <dt>{tx.t(AdminMsg::CloseCol)}</dt><dd>{r.expected_close.to_string()}</dd>
                <dt>{tx.t(AdminMsg::PartnerCol)}</dt>
                <dd>{format!("{} · {} · {} · {}", r.partner_company, r.partner_contact, r.partner_email, r.partner_phone)}</dd>
                <dt>{tx.t(AdminMsg::SubmittedAt)}</dt><dd>{item.submitted_at.format("%Y-%m-%d %H:%M").to_string()}</dd>
            </dl>
            {(!r.description.is_empty()).then(|| view! { <p class="description">{r.description.clone()}</p> })}
            <Conflicts item=item.clone() />
            {outcome}
        </article>
    }
}

#[component]
fn Conflicts(item: RegistrationItem) -> impl IntoView {
    let tx = use_tx();
    if item.conflicts.is_empty() {
        return view! { <p class="meta ok" data-test="no-conflicts">{tx.t(AdminMsg::NoConflicts)}</p> }
            .into_any();
    }
    let rows = item
        .conflicts
        .into_iter()
        .map(|c| {
            let what = format!("{} — {}", c.customer, c.title);
            let link = match c.kind {
                ConflictKind::Opportunity => view! {
                    <a href=format!("/opportunities/{}", c.id)>{what}</a>
                }
                .into_any(),
                ConflictKind::Registration => view! { <span>{what}</span> }.into_any(),
            };
            let kind = match c.kind {
                ConflictKind::Opportunity => AdminMsg::ConflictDeal,
                ConflictKind::Registration => AdminMsg::ConflictRegistration,
            };
            view! { <li data-test="conflict" data-kind=c.kind.as_str()>{tx.t(kind)}": "{link}</li> }
        })
        .collect_view();
    view! {
        <div class="conflicts" role="note">
            <p><b>{tx.t(AdminMsg::ConflictsFound)}</b></p>
            <ul>{rows}</ul>
        </div>
    }
    .into_any()
}

/// Approve for a rep (in a pipeline), or reject with a reason.
#[component]
fn Decide(item: RegistrationItem, choices: Choices, decided: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let (id, version) = (item.id.clone(), item.version);
    let owner = RwSignal::new(String::new());
    let pipeline = RwSignal::new(
        choices
            .config
            .pipelines
            .first()
            .map(|p| p.id.as_str().to_string())
            .unwrap_or_default(),
    );
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let Made(made) = expect_context::<Made>();
    let reps = choices
        .reps
        .iter()
        .map(|u| view! { <option value=u.id.clone()>{u.name.clone()}</option> })
        .collect_view();
    let pipelines = choices
        .config
        .pipelines
        .iter()
        .map(|p| {
            view! { <option value=p.id.as_str().to_string()>{loc(i18n, &p.name)}</option> }
        })
        .collect_view();
    let field_error = move |field: &'static str| {
        move || {
            error.with(|e| {
                e.as_ref()
                    .and_then(|e| e.field_errors().into_iter().find(|f| f.field == field))
                    .map(|f| view! { <small class="field-error">{f.message}</small> })
            })
        }
    };
    let finish = move |result: Result<Option<String>, ApiError>| match result {
        Ok(deal) => {
            error.set(None);
            made.set(deal);
            decided.run(());
        }
        Err(e) => {
            // Decided elsewhere or stale: the list as it now is.
            if e.status() == Some(409) {
                decided.run(());
            }
            error.set(Some(e));
        }
    };
    let approve = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = ApproveRequest {
                owner_id: owner.get_untracked(),
                pipeline: shared::pipeline::Key::parse(&pipeline.get_untracked()).ok(),
                version,
            };
            let id = id.clone();
            busy.set(true);
            spawn_local(async move {
                let result = api::approve_registration(&id, &body).await;
                busy.set(false);
                finish(result.map(Some));
            });
        }
    };
    let reject = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = RejectRequest {
            reason: reason.get_untracked(),
            version,
        };
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            let result = api::reject_registration(&id, &body).await;
            busy.set(false);
            finish(result.map(|_| None));
        });
    };
    view! {
        {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! {
            <p class="form-error" role="alert" data-test="decide-error">{describe(i18n, &e)}</p>
        })}
        <div class="decide">
            <form class="form" on:submit=approve data-test="approve">
                <label>
                    <span>{tx.t(AdminMsg::OwnerPick)}</span>
                    <select required data-test="owner" prop:value=move || owner.get()
                        on:change=move |ev| owner.set(event_target_value(&ev))>
                        <option value="">{tx.t(AdminMsg::ChooseRep)}</option>
                        {reps}
                    </select>
                    {field_error("owner_id")}
                </label>
                <label>
                    <span>{tx.t(AdminMsg::PipelinePick)}</span>
                    <select data-test="pipeline" prop:value=move || pipeline.get()
                        on:change=move |ev| pipeline.set(event_target_value(&ev))>
                        {pipelines}
                    </select>
                    {field_error("pipeline")}
                </label>
                <button type="submit" class="primary" data-test="approve-button"
                    disabled=move || busy.get() || owner.with(String::is_empty)>
                    {tx.t(AdminMsg::ApproveAction)}
                </button>
            </form>
            <form class="form" on:submit=reject data-test="reject">
                <label>
                    <span>{tx.t(AdminMsg::RejectReason)}</span>
                    <textarea required maxlength="500" data-test="reason" prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    {field_error("reason")}
                </label>
                <button type="submit" data-test="reject-button"
                    disabled=move || busy.get() || reason.with(|r| r.trim().is_empty())>
                    {tx.t(AdminMsg::RejectAction)}
                </button>
            </form>
        </div>
    }
}
