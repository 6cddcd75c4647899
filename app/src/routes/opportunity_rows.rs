//! The deal page's checklist rows beyond fields (those are shared with the
//! lead page): a task with its note, an approval with request and decision,
//! a deal-team role to staff.

use crate::api;
use crate::components::ui::{loc, role_label};
use crate::i18n::{Msg, use_i18n};
use crate::routes::opportunity::Ctl;
use leptos::prelude::*;
use shared::api::{ApprovalDecision, TaskUpdate, TeamUpdate};
use shared::checklist::{ApprovalStatus, TeamMember};
use shared::pipeline::{Approver, Process, RequiredTask, RoleRequirement};

#[component]
pub fn TaskRow(task: RequiredTask) -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let key = task.key.to_string();
    let state = ctl
        .opp()
        .with_untracked(|o| o.tasks.get(&key).cloned().unwrap_or_default());
    let note = RwSignal::new(state.note.clone().unwrap_or_default());
    let done = state.done;
    let toggle = {
        let key = key.clone();
        move |ev: leptos::ev::Event| {
            let done = event_target_checked(&ev);
            let key = key.clone();
            let note = note.get_untracked();
            ctl.run(move |id, version| async move {
                let update = TaskUpdate {
                    done,
                    note: Some(note).filter(|n| !n.trim().is_empty()),
                    version,
                };
                api::set_task(&id, &key, &update).await
            });
        }
    };
    let by = state.by.as_deref().map(|b| ctl.user(b));
    view! {
        <li class="req task" class:met=done data-test="task" data-key=key.clone()>
            <span class="mark" aria-hidden="true">{if done { "✓" } else { "○" }}</span>
            <label class="check">
                <input type="checkbox" prop:checked=done on:change=toggle
                    disabled=move || ctl.saver.busy.get() || !ctl.can_edit() />
                <span>{loc(i18n, &task.label)}</span>
            </label>
            <div class="control">
                <input type="text" placeholder=i18n.t(Msg::TaskNote) aria-label=i18n.t(Msg::TaskNote)
                    prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                {by.map(|b| view! { <small class="muted">{i18n.t(Msg::DoneBy)}" "{b}</small> })}
            </div>
        </li>
    }
}

#[component]
pub fn ApprovalRow(process: Process) -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let key = process.key.to_string();
    let comment = RwSignal::new(String::new());
    let state = ctl
        .opp()
        .with_untracked(|o| o.approvals.get(&key).cloned().unwrap_or_default());
    let status = state.status;
    let approver = match &process.approver {
        Approver::Role(role) => role_label(i18n, *role).to_string(),
        Approver::TeamRole(r) => team_role_name(ctl, r.as_str()),
    };
    let may_decide = ctl.actor.with_value(|a| {
        a.as_ref().is_some_and(|a| {
            ctl.opp().with_untracked(|o| {
                ctl.pipeline
                    .with_value(|p| o.may_decide(p, &key, a).is_ok())
            })
        })
    });
    let status_text = i18n.t(match status {
        ApprovalStatus::NotRequested => Msg::ApprovalNotRequested,
        ApprovalStatus::Pending => Msg::ApprovalPending,
        ApprovalStatus::Approved => Msg::ApprovalApproved,
        ApprovalStatus::Rejected => Msg::ApprovalRejected,
    });
    let request = {
        let key = key.clone();
        move |_| {
            let key = key.clone();
            ctl.run(
                move |id, version| async move { api::request_approval(&id, &key, version).await },
            );
        }
    };
    let decide = {
        let key = key.clone();
        move |approve: bool| {
            let key = key.clone();
            let comment = comment.get_untracked();
            ctl.run(move |id, _| async move {
                let decision = ApprovalDecision {
                    approve,
                    comment: Some(comment).filter(|c| !c.trim().is_empty()),
                };
                api::decide_approval(&id, &key, &decision).await
            });
        }
    };
    let can_request = matches!(
        status,
        ApprovalStatus::NotRequested | ApprovalStatus::Rejected
    ) && ctl.can_steer();
    let pending = status == ApprovalStatus::Pending;
    let decided = state.decided_by.as_deref().map(|b| ctl.user(b));
    view! {
        <li class="req approval" class:met=status == ApprovalStatus::Approved data-test="approval" data-key=key.clone()>
            <span class="mark" aria-hidden="true">{if status == ApprovalStatus::Approved { "✓" } else { "○" }}</span>
            <span class="label">{loc(i18n, &process.label)}<small class="muted">" · "{i18n.t(Msg::Approver)}": "{approver}</small></span>
            <div class="control">
                <span class=format!("approval-status {}", status.as_str()) data-test="approval-status">{status_text}</span>
                {decided.map(|d| view! { <small class="muted">" · "{d}</small> })}
                {state.comment.clone().map(|c| view! { <small class="muted">" · “"{c}"”"</small> })}
                {can_request.then(|| view! {
                    <button type="button" data-test="request-approval" on:click=request.clone()
                        disabled=move || ctl.saver.busy.get()>{i18n.t(Msg::RequestApproval)}</button>
                })}
                {(pending && may_decide).then(|| {
                    let (approve, reject) = (decide.clone(), decide.clone());
                    view! {
                        <input type="text" placeholder=i18n.t(Msg::Comment) aria-label=i18n.t(Msg::Comment)
                            maxlength=shared::checklist::MAX_NOTE
                            data-test="approval-comment" on:input=move |ev| comment.set(event_target_value(&ev)) />
                        <button type="button" class="primary" data-test="approve" disabled=move || ctl.saver.busy.get()
                            on:click=move |_| approve(true)>{i18n.t(Msg::Approve)}</button>
                        <button type="button" data-test="reject"
                            disabled=move || ctl.saver.busy.get() || comment.with(|c| c.trim().is_empty())
                            title=i18n.t(Msg::RejectNeedsComment)
                            on:click=move |_| reject(false)>{i18n.t(Msg::Reject)}</button>
                        {move || comment.with(|c| c.trim().is_empty()).then(|| view! {
                            <small class="muted" data-test="reject-hint">{i18n.t(Msg::RejectNeedsComment)}</small>
                        })}
                    }
                })}
            </div>
        </li>
    }
}

pub fn team_role_name(ctl: Ctl, key: &str) -> String {
    let i18n = use_i18n();
    ctl.config.with_value(|c| {
        c.team_roles
            .iter()
            .find(|r| r.key.as_str() == key)
            .map_or_else(|| key.to_string(), |r| loc(i18n, &r.name))
    })
}

#[component]
pub fn RoleRow(role: RoleRequirement) -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let key = role.role.clone();
    let current = ctl.opp().with_untracked(|o| {
        o.team
            .iter()
            .find(|m| m.role == key)
            .map(|m| m.user_id.clone())
    });
    let pick = RwSignal::new(current.clone().unwrap_or_default());
    let staff = {
        let key = key.clone();
        move |_| {
            let user_id = pick.get_untracked();
            if user_id.is_empty() {
                return;
            }
            let key = key.clone();
            let mut members: Vec<TeamMember> = ctl
                .opp()
                .with_untracked(|o| o.team.iter().filter(|m| m.role != key).cloned().collect());
            members.push(TeamMember { role: key, user_id });
            ctl.run(move |id, version| async move {
                api::set_team(&id, &TeamUpdate { members, version }).await
            });
        }
    };
    // Active salespeople only (the list holds active users; a channel
    // manager or an admin-only account is not staffed on deals).
    let options = ctl.users.with_value(|users| {
        users
            .iter()
            .filter(|u| crate::components::ui::sells(u))
            .map(|u| {
                let id = u.id.clone();
                view! { <option value=u.id.clone() prop:selected=move || pick.with(|p| *p == id)>{crate::components::ui::person(u)}</option> }
            })
            .collect_view()
    });
    let staffed = current.is_some();
    view! {
        <li class="req role" class:met=staffed data-test="role" data-key=key.to_string()>
            <span class="mark" aria-hidden="true">{if staffed { "✓" } else { "○" }}</span>
            <label for=format!("role-{key}")>{team_role_name(ctl, key.as_str())}</label>
            <div class="control">
                <select id=format!("role-{key}") data-test="role-user"
                    on:change=move |ev| pick.set(event_target_value(&ev))
                    disabled=move || ctl.saver.busy.get() || !ctl.can_steer()>
                    <option value="">{i18n.t(Msg::Choose)}</option>
                    {options}
                </select>
                <button type="button" data-test="staff" on:click=staff
                    disabled=move || ctl.saver.busy.get() || !ctl.can_steer() || pick.with(String::is_empty)>
                    {i18n.t(Msg::Staff)}
                </button>
            </div>
        </li>
    }
}
