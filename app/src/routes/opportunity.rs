//! `/opportunities/:id`: the deal page. The stage path, the current stage's
//! checklist (fields, tasks, approvals, deal team) with the gate's verdict
//! recomputed in the browser on every edit, the moves, the grade panel and
//! the history (`opportunity_moves.rs`).

use crate::api::{self, ApiError};
use crate::auth::use_auth;
use crate::components::checklist::{FieldRow, VerdictView};
use crate::components::error::describe;
use crate::components::fetched::{Fetched, load};
use crate::components::saver::Saver;
use crate::components::ui::{GradeBadge, loc, money, role_label, track_label, user_name};
use crate::i18n::{Msg, use_i18n};
use crate::model::{self, Draft};
use crate::routes::opportunity_moves::{GradePanel, History, Moves};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{ApprovalDecision, Config, TaskUpdate, TeamUpdate, UserSummary};
use shared::checklist::{ApprovalStatus, TeamMember};
use shared::gate::{StageProgress, progress};
use shared::pipeline::{Approver, Process, RequiredTask, RoleRequirement};
use shared::{Actor, Opportunity, Pipeline, Status};
use std::future::Future;
use std::sync::Arc;

#[derive(Clone)]
pub struct DealData {
    pub config: Arc<Config>,
    pub opp: Opportunity,
    pub users: Arc<Vec<UserSummary>>,
}

#[component]
pub fn DealPage() -> impl IntoView {
    let params = use_params_map();
    let (state, reload) = load(move || {
        let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
        async move {
            let config = api::config().await?;
            let opp = api::opportunity(&id).await?;
            let users = api::users().await?;
            Ok(DealData { config, opp, users })
        }
    });
    view! {
        <section class="page deal">
            <Fetched state reload view=|data: DealData| view! { <Deal data /> } />
        </section>
    }
}

/// The page's state and the one way to change the deal: call the server,
/// take the record it answers; on a 409 take the fresh record it carries,
/// say so, and keep what the user typed where it still applies.
#[derive(Clone, Copy)]
pub struct Ctl {
    pub opp: RwSignal<Opportunity>,
    pub draft: RwSignal<Draft>,
    pub busy: RwSignal<bool>,
    pub error: RwSignal<Option<ApiError>>,
    pub conflict: RwSignal<bool>,
    /// Bumped after every change, so the history reloads.
    pub tick: RwSignal<u32>,
    pub pipeline: StoredValue<Pipeline>,
    pub config: StoredValue<Arc<Config>>,
    pub users: StoredValue<Arc<Vec<UserSummary>>>,
    pub actor: StoredValue<Option<Actor>>,
}

impl Ctl {
    pub fn run<F, Fut>(self, call: F)
    where
        F: FnOnce(String, u64) -> Fut + 'static,
        Fut: Future<Output = Result<Opportunity, ApiError>> + 'static,
    {
        let (id, version) = self.opp.with_untracked(|o| (o.id.clone(), o.version));
        self.saver()
            .start(Box::pin(call(id, version)), move |fresh, _| {
                // Keep what was typed where it still applies; reload the history.
                let kept = self.pipeline.with_value(|p| {
                    self.draft
                        .with_untracked(|d| model::keep_draft(fresh, p, d))
                });
                self.draft.set(kept);
                self.tick.update(|t| *t += 1);
            });
    }

    fn saver(self) -> Saver<Opportunity> {
        Saver {
            record: self.opp,
            busy: self.busy,
            error: self.error,
            conflict: self.conflict,
        }
    }

    /// May the signed-in user move the deal and staff its team?
    pub fn can_steer(self) -> bool {
        self.actor.with_value(|a| {
            a.as_ref()
                .is_some_and(|a| self.opp.with(|o| o.is_open() && o.can_steer(a)))
        })
    }

    pub fn can_edit(self) -> bool {
        self.actor.with_value(|a| {
            a.as_ref()
                .is_some_and(|a| self.opp.with(|o| o.is_open() && o.can_edit(a)))
        })
    }

    pub fn user(self, id: &str) -> String {
        self.users.with_value(|u| user_name(u, id))
    }
}

#[component]
fn Deal(data: DealData) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let pipeline = data
        .config
        .pipelines
        .iter()
        .find(|p| p.id == data.opp.pipeline)
        .cloned();
    let Some(pipeline) = pipeline else {
        return view! { <p class="error">{i18n.t(Msg::UnknownPipeline)}</p> }.into_any();
    };
    let actor = auth
        .user
        .with_untracked(|u| u.as_ref().map(|me| Actor::new(me.id.clone(), &me.roles)));
    let saver = Saver::new(data.opp);
    let ctl = Ctl {
        opp: saver.record,
        draft: RwSignal::new(Draft::new()),
        busy: saver.busy,
        error: saver.error,
        conflict: saver.conflict,
        tick: RwSignal::new(0),
        pipeline: StoredValue::new(pipeline),
        config: StoredValue::new(data.config),
        users: StoredValue::new(data.users),
        actor: StoredValue::new(actor),
    };
    provide_context(ctl);
    let opp = ctl.opp;
    let head = move || {
        opp.with(|o| {
            let status = match o.status {
                Status::Open => i18n.t(Msg::StatusOpen),
                Status::Won => i18n.t(Msg::StatusWon),
                Status::Lost => i18n.t(Msg::StatusLost),
            };
            view! {
                <h1 data-test="deal-name">{o.name.clone()}</h1>
                <p class="meta">
                    <span>{o.customer.clone()}</span>
                    <span data-test="deal-amount">{money(o.amount, o.currency)}</span>
                    <GradeBadge grade=o.grade.effective />
                    <span data-test="deal-track">{track_label(i18n, o.track)}</span>
                    <span class=format!("status status-{}", o.status.as_str()) data-test="deal-status">{status}</span>
                    <span>{i18n.t(Msg::Owner)}": "{ctl.user(&o.owner_id)}</span>
                </p>
            }
        })
    };
    view! {
        <header class="deal-head" data-test="deal-head" data-version=move || opp.with(|o| o.version)>{head}</header>
        {move || ctl.conflict.get().then(|| view! {
            <p class="notice" role="alert" data-test="conflict">{i18n.t(Msg::ConflictNotice)}</p>
        })}
        {move || ctl.error.get().map(|e| view! {
            <p class="form-error" role="alert" data-test="action-error">{describe(i18n, &e)}</p>
        })}
        <StagePath />
        <div class="deal-grid">
            <div class="deal-main">
                <Checklist />
                <Moves />
            </div>
            <aside class="deal-side">
                <GradePanel />
                <History />
            </aside>
        </div>
    }
    .into_any()
}

/// Every stage across the top: done, current, skipped or ahead, with its
/// entry and exit criteria on hover, focus or tap.
#[component]
fn StagePath() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    move || {
        let steps = ctl
            .opp
            .with(|o| ctl.pipeline.with_value(|p| progress(o, p)));
        let items = ctl.pipeline.with_value(|p| {
            p.stages
                .iter()
                .zip(steps)
                .enumerate()
                .map(|(i, (stage, step))| {
                    let (class, label) = match step {
                        StageProgress::Done => ("done", Msg::StepDone),
                        StageProgress::Current => ("current", Msg::StepCurrent),
                        StageProgress::Skipped => ("skipped", Msg::StepSkipped),
                        StageProgress::Ahead => ("ahead", Msg::StepAhead),
                    };
                    view! {
                        <li class=format!("step {class}") tabindex="0" data-test="step" data-state=class
                            aria-current=(step == StageProgress::Current).then_some("step")>
                            <span class="step-n">{i + 1}</span>
                            <span class="step-name">{loc(i18n, &stage.name)}</span>
                            <span class="sr-only">{i18n.t(label)}</span>
                            <div class="step-tip" role="tooltip">
                                <p><b>{i18n.t(Msg::Entry)}</b>" "{loc(i18n, &stage.entry)}</p>
                                <p><b>{i18n.t(Msg::Exit)}</b>" "{loc(i18n, &stage.exit)}</p>
                            </div>
                        </li>
                    }
                })
                .collect_view()
        });
        view! { <ol class="stage-path" data-test="stage-path">{items}</ol> }
    }
}

/// The current stage's four rows, and the live verdict on moving on.
#[component]
fn Checklist() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let (opp, draft) = (ctl.opp, ctl.draft);
    // The deal as it would be with what is typed: recomputed on every edit,
    // in the browser, with the same `shared::check` the server runs.
    let preview = Memo::new(move |_| {
        opp.with(|o| {
            ctl.pipeline
                .with_value(|p| match p.stage(o.stage.as_str()) {
                    Some(stage) => draft.with(|d| model::with_draft(o, stage, d)),
                    None => o.clone(),
                })
        })
    });
    let progress = Signal::derive(move || {
        preview.with(|o| {
            ctl.pipeline.with_value(|p| {
                p.stage(o.stage.as_str())
                    .map_or(model::Progress { met: 0, total: 0 }, |s| {
                        model::stage_progress(o, s)
                    })
            })
        })
    });
    let verdict = Signal::derive(move || {
        let policy = ctl
            .config
            .with_value(|c| c.grading.policy())
            .unwrap_or_default();
        preview.with(|o| {
            ctl.pipeline.with_value(|p| match model::next_target(o, p) {
                Some(to) => model::verdict(o, p, &policy, to),
                None => shared::Verdict {
                    allowed: false,
                    blockers: vec![],
                },
            })
        })
    });
    provide_context(NextVerdict(verdict));
    let dirty = Signal::derive(move || {
        opp.with(|o| {
            ctl.pipeline.with_value(|p| {
                p.stage(o.stage.as_str()).is_some_and(|s| {
                    draft.with(|d| !model::draft_changes(s, &o.fields, d, o.currency).is_empty())
                })
            })
        })
    });
    provide_context(Dirty(dirty));
    let save = move |_| {
        let changes = opp.with_untracked(|o| {
            ctl.pipeline.with_value(|p| {
                p.stage(o.stage.as_str()).map(|s| {
                    draft.with_untracked(|d| model::draft_changes(s, &o.fields, d, o.currency))
                })
            })
        });
        let Some(changes) = changes.filter(|c| !c.is_empty()) else {
            return;
        };
        ctl.run(move |id, version| async move {
            let patch = shared::opportunity::OpportunityPatch {
                version,
                name: None,
                customer: None,
                amount: None,
                expected_close: None,
                lead_by: None,
                fields: Some(changes),
            };
            api::update_opportunity(&id, &patch).await
        });
    };
    let rows = move || {
        let o = opp.get();
        if !o.is_open() {
            return None;
        }
        let p = ctl.pipeline.get_value();
        let stage = p.stage(o.stage.as_str())?.clone();
        let grade = o.grade.effective;
        let disabled = Signal::derive(move || ctl.busy.get() || !ctl.can_edit());
        let users = ctl.users.get_value();
        let fields = stage
            .required_fields
            .iter()
            .filter(|f| f.grades.contains(grade))
            .map(|f| {
                view! {
                    <FieldRow field=f.clone() stored=o.fields.get(f.key.as_str()).cloned() draft
                        currency=o.currency users=users.clone() disabled />
                }
            })
            .collect_view();
        let tasks = stage
            .required_tasks
            .iter()
            .filter(|t| t.grades.contains(grade))
            .map(|t| view! { <TaskRow task=t.clone() /> })
            .collect_view();
        let approvals = stage
            .processes
            .iter()
            .filter(|p| p.grades.contains(grade))
            .map(|p| view! { <ApprovalRow process=p.clone() /> })
            .collect_view();
        let roles = stage
            .roles
            .iter()
            .filter(|r| r.grades.contains(grade))
            .map(|r| view! { <RoleRow role=r.clone() /> })
            .collect_view();
        Some(view! {
            <h2>{loc(i18n, &stage.name)}</h2>
            <ul class="reqs" data-test="checklist">{fields}{tasks}{approvals}{roles}</ul>
        })
    };
    view! {
        <section class="card checklist">
            {rows}
            <div class="row">
                <button type="button" class="primary" data-test="save-fields"
                    disabled=move || !dirty.get() || ctl.busy.get() on:click=save>
                    {i18n.t(Msg::SaveFields)}
                </button>
                {move || dirty.get().then(|| view! { <small class="muted">{i18n.t(Msg::UnsavedChanges)}</small> })}
            </div>
            <VerdictView progress verdict />
        </section>
    }
}

/// The verdict on moving to the next stage (or winning from the final one).
#[derive(Clone, Copy)]
pub struct NextVerdict(pub Signal<shared::Verdict>);

/// Typed but unsaved field changes.
#[derive(Clone, Copy)]
pub struct Dirty(pub Signal<bool>);

#[component]
fn TaskRow(task: RequiredTask) -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let key = task.key.to_string();
    let state = ctl
        .opp
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
                    disabled=move || ctl.busy.get() || !ctl.can_edit() />
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
fn ApprovalRow(process: Process) -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let key = process.key.to_string();
    let comment = RwSignal::new(String::new());
    let state = ctl
        .opp
        .with_untracked(|o| o.approvals.get(&key).cloned().unwrap_or_default());
    let status = state.status;
    let approver = match &process.approver {
        Approver::Role(role) => role_label(i18n, *role).to_string(),
        Approver::TeamRole(r) => team_role_name(ctl, r.as_str()),
    };
    let may_decide = ctl.actor.with_value(|a| {
        a.as_ref().is_some_and(|a| {
            ctl.opp.with_untracked(|o| {
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
                <span class=format!("approval-status {status:?}") data-test="approval-status">{status_text}</span>
                {decided.map(|d| view! { <small class="muted">" · "{d}</small> })}
                {state.comment.clone().map(|c| view! { <small class="muted">" · “"{c}"”"</small> })}
                {can_request.then(|| view! {
                    <button type="button" data-test="request-approval" on:click=request.clone()
                        disabled=move || ctl.busy.get()>{i18n.t(Msg::RequestApproval)}</button>
                })}
                {(pending && may_decide).then(|| {
                    let (approve, reject) = (decide.clone(), decide.clone());
                    view! {
                        <input type="text" placeholder=i18n.t(Msg::Comment) aria-label=i18n.t(Msg::Comment)
                            data-test="approval-comment" on:input=move |ev| comment.set(event_target_value(&ev)) />
                        <button type="button" class="primary" data-test="approve" disabled=move || ctl.busy.get()
                            on:click=move |_| approve(true)>{i18n.t(Msg::Approve)}</button>
                        <button type="button" data-test="reject" disabled=move || ctl.busy.get()
                            on:click=move |_| reject(false)>{i18n.t(Msg::Reject)}</button>
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
fn RoleRow(role: RoleRequirement) -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let key = role.role.clone();
    let current = ctl.opp.with_untracked(|o| {
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
                .opp
                .with_untracked(|o| o.team.iter().filter(|m| m.role != key).cloned().collect());
            members.push(TeamMember { role: key, user_id });
            ctl.run(move |id, version| async move {
                api::set_team(&id, &TeamUpdate { members, version }).await
            });
        }
    };
    let options = ctl.users.with_value(|users| {
        users
            .iter()
            .map(|u| view! { <option value=u.id.clone()>{u.name.clone()}</option> })
            .collect_view()
    });
    let staffed = current.is_some();
    view! {
        <li class="req role" class:met=staffed data-test="role" data-key=key.to_string()>
            <span class="mark" aria-hidden="true">{if staffed { "✓" } else { "○" }}</span>
            <label for=format!("role-{key}")>{team_role_name(ctl, key.as_str())}</label>
            <div class="control">
                <select id=format!("role-{key}") data-test="role-user" prop:value=move || pick.get()
                    on:change=move |ev| pick.set(event_target_value(&ev))
                    disabled=move || ctl.busy.get() || !ctl.can_steer()>
                    <option value="">{i18n.t(Msg::Choose)}</option>
                    {options}
                </select>
                <button type="button" data-test="staff" on:click=staff
                    disabled=move || ctl.busy.get() || !ctl.can_steer() || pick.with(String::is_empty)>
                    {i18n.t(Msg::Staff)}
                </button>
            </div>
        </li>
    }
}
