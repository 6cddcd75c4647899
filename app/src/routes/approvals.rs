//! `/approvals`: every approval across the deals that waits for the signed-in
//! user's decision, oldest request first, approved or rejected in place (a
//! reject needs a comment, as on the deal page and the server). It lives in
//! the users page's chunk with the other review queue (routes/mod.rs says
//! why).

use crate::api;
use crate::components::error::describe;
use crate::components::fetched::{Fetched, load};
use crate::components::shell::WaitingApprovals;
use crate::components::ui::{GradeBadge, money, user_name};
use crate::i18n::{Msg, use_i18n};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ApprovalDecision, ApprovalItem, UserSummary};
use std::sync::Arc;

#[derive(Clone)]
struct Inbox {
    items: Vec<ApprovalItem>,
    users: Arc<Vec<UserSummary>>,
}

#[component]
pub fn Approvals() -> impl IntoView {
    let i18n = use_i18n();
    let waiting = expect_context::<WaitingApprovals>();
    let (state, reload) = load(|| async {
        let (items, users) = (api::approvals().await?, api::users().await?);
        Ok(Inbox {
            items: items.items,
            users,
        })
    });
    let list = move |inbox: Inbox| {
        waiting.0.set(Some(inbox.items.len() as u64));
        if inbox.items.is_empty() {
            return view! { <p class="card empty" data-test="approvals-empty">{i18n.t(Msg::ApprovalsEmpty)}</p> }
                .into_any();
        }
        let users = inbox.users.clone();
        inbox
            .items
            .into_iter()
            .map(|item| view! { <Row item users=users.clone() /> })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="page approvals">
            <h1>{i18n.t(Msg::ApprovalsTitle)}</h1>
            <p class="lead">{i18n.t(Msg::ApprovalsIntro)}</p>
            <div class="queue" data-test="approvals"><Fetched state reload view=list /></div>
        </section>
    }
}

#[component]
fn Row(item: ApprovalItem, users: Arc<Vec<UserSummary>>) -> impl IntoView {
    let i18n = use_i18n();
    let waiting = expect_context::<WaitingApprovals>();
    let comment = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None);
    let decided = RwSignal::new(None::<bool>);
    let (id, key) = (item.opportunity_id.clone(), item.key.to_string());
    let decide = move |approve: bool| {
        let (id, key) = (id.clone(), key.clone());
        let comment = comment.get_untracked();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let decision = ApprovalDecision {
                approve,
                comment: Some(comment).filter(|c| !c.trim().is_empty()),
            };
            match api::decide_approval(&id, &key, &decision).await {
                Ok(_) => {
                    decided.set(Some(approve));
                    waiting.0.update(|n| *n = n.map(|n| n.saturating_sub(1)));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let (approve, reject) = (decide.clone(), decide);
    let requested = item
        .requested_at
        .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let by = item
        .requested_by
        .as_deref()
        .map(|b| user_name(&users, b))
        .unwrap_or_default();
    view! {
        <article class="card approval-item" data-test="approval-item"
            data-id=item.opportunity_id.clone() data-key=item.key.to_string()>
            <h2>
                <a href=format!("/opportunities/{}", item.opportunity_id)>{item.name.clone()}</a>
                " · "{item.label.get(i18n.current()).to_string()}
            </h2>
            <p class="meta">
                <span>{item.customer.clone()}</span>
                <span>{money(item.amount, item.currency)}</span>
                <GradeBadge grade=item.grade />
                <span>{item.stage_name.get(i18n.current()).to_string()}</span>
                <span>{i18n.t(Msg::Owner)}": "{user_name(&users, &item.owner_id)}</span>
                <span>{i18n.t(Msg::RequestedBy)}": "{by}" · "<time>{requested}</time></span>
            </p>
            {move || match decided.get() {
                Some(approved) => view! {
                    <p class="notice" role="status" data-test="approval-decided">
                        {i18n.t(Msg::Decided)}": "
                        {i18n.t(if approved { Msg::ApprovalApproved } else { Msg::ApprovalRejected })}
                    </p>
                }
                .into_any(),
                None => {
                    let (approve, reject) = (approve.clone(), reject.clone());
                    view! {
                        <div class="row">
                            <input type="text" placeholder=i18n.t(Msg::Comment) aria-label=i18n.t(Msg::Comment)
                                maxlength=shared::checklist::MAX_NOTE data-test="approval-comment"
                                on:input=move |ev| comment.set(event_target_value(&ev)) />
                            <button type="button" class="primary" data-test="approve" disabled=move || busy.get()
                                on:click=move |_| approve(true)>{i18n.t(Msg::Approve)}</button>
                            <button type="button" data-test="reject"
                                disabled=move || busy.get() || comment.with(|c| c.trim().is_empty())
                                title=i18n.t(Msg::RejectNeedsComment)
                                on:click=move |_| reject(false)>{i18n.t(Msg::Reject)}</button>
                        </div>
                    }
                    .into_any()
                }
            }}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
        </article>
    }
}
