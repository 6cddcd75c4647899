//! `/opportunities/:id`: the deal page. The stage path, the current stage's
//! checklist (fields, tasks, approvals, deal team) with the gate's verdict
//! recomputed in the browser on every edit, the moves, the grade panel and
//! the history (`opportunity_moves.rs`).

use crate::api::{self, ApiError};
use crate::auth::use_auth;
use crate::components::checklist::{DraftBar, FieldRow, VerdictView};
use crate::components::error::{ErrorView, describe};
use crate::components::fetched::{Fetched, Load, load, on_config_change};
use crate::components::saver::Saver;
use crate::components::ui::{GradeBadge, loc, money, status_label, track_label, user_name};
use crate::i18n::{Msg, use_i18n};
use crate::model::{self, Draft};
use crate::router::use_params_map;
use crate::routes::opportunity_history::History;
use crate::routes::opportunity_moves::{GradePanel, Moves};
use crate::routes::opportunity_rows::{ApprovalRow, RoleRow, TaskRow};
use crate::routes::opportunity_terms::{DealTerms, ForecastPick};
use leptos::lazy;
use leptos::prelude::*;
use shared::api::{Config, UserSummary};
use shared::gate::{StageProgress, advance_target, progress};
use shared::{Actor, GradingPolicy, Opportunity, Pipeline};
use std::future::Future;
use std::sync::Arc;

#[derive(Clone)]
pub struct DealData {
    pub config: Arc<Config>,
    pub opp: Opportunity,
    pub users: Arc<Vec<UserSummary>>,
}

/// Starts the deal's read from the address (the route's `data()`).
pub fn read_ahead() {
    if let Some(id) = use_params_map().get_untracked().get("id") {
        api::prefetch(api::opportunity_path(&id));
        // The page names the owner and the team before it paints.
        api::users_ahead();
    }
}

/// The deal's name, from its read ahead once that is in: the outlet shows
/// it where the page will, while a first load brings the page's code.
pub async fn name_ahead(id: &str) -> Option<String> {
    api::name_ahead(&api::opportunity_path(id)).await
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
            // The page is built in a task after the one that read (and
            // parsed) what it shows.
            crate::components::ui::next_task().await;
            Ok(DealData { config, opp, users })
        }
    });
    // While the page reads and builds: the deal's name where the outlet
    // showed it on a first load (not a gap of a frame without it).
    let name_ahead = use_context::<crate::routes::DealNameAhead>();
    let loading_head = move || {
        state
            .with(|s| matches!(s, Load::Loading))
            .then(|| name_ahead?.of(params))
            .flatten()
            .map(|name| view! { <header class="deal-head"><h1>{name}</h1></header> })
    };
    view! {
        <section class="page deal">
            {loading_head}
            <Fetched state reload view=|data: DealData| view! { <Deal data /> } />
        </section>
    }
}

/// The page's state and the one way to change the deal: call the server,
/// take the record it answers; on a 409 take the fresh record it carries,
/// say so, and keep what the user typed where it still applies.
#[derive(Clone, Copy)]
pub struct Ctl {
    pub saver: Saver<Opportunity>,
    pub draft: RwSignal<Draft>,
    pub pipeline: StoredValue<Pipeline>,
    /// The config's grading policy: every verdict on the page uses it.
    /// Replaced, with `pipeline` and `config`, when the config changes.
    pub policy: StoredValue<GradingPolicy>,
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
        let (id, version) = self.opp().with_untracked(|o| (o.id.clone(), o.version));
        self.saver
            .start(Box::pin(call(id, version)), move |fresh, _| {
                // Keep what was typed where it still applies.
                let kept = self.pipeline.with_value(|p| {
                    self.draft
                        .with_untracked(|d| model::keep_draft(fresh, p, d))
                });
                self.draft.set(kept);
            });
    }

    /// The deal as the server last answered it.
    pub fn opp(self) -> RwSignal<Opportunity> {
        self.saver.record
    }

    /// May the signed-in user move the deal and staff its team?
    pub fn can_steer(self) -> bool {
        self.actor.with_value(|a| {
            a.as_ref()
                .is_some_and(|a| self.opp().with(|o| o.is_open() && o.can_steer(a)))
        })
    }

    pub fn can_edit(self) -> bool {
        self.actor.with_value(|a| {
            a.as_ref()
                .is_some_and(|a| self.opp().with(|o| o.is_open() && o.can_edit(a)))
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
    let policy = match model::policy(&data.config) {
        Ok(policy) => policy,
        // No verdict on rules other than the server's.
        Err(error) => return view! { <ErrorView error /> }.into_any(),
    };
    let actor = auth
        .user
        .with_untracked(|u| u.as_ref().map(|me| Actor::new(me.id.clone(), &me.roles)));
    let ctl = Ctl {
        saver: Saver::new(data.opp),
        draft: RwSignal::new(Draft::new()),
        pipeline: StoredValue::new(pipeline),
        policy: StoredValue::new(policy),
        config: StoredValue::new(data.config),
        users: StoredValue::new(data.users),
        actor: StoredValue::new(actor),
    };
    provide_context(ctl);
    // New rules: take them, then the deal as the server now grades it (the
    // views follow the record); what is typed stays.
    on_config_change(move || {
        let pipeline_id = ctl.opp().with_untracked(|o| o.pipeline.clone());
        ctl.run(move |id, _| async move {
            let config = api::config().await?;
            let pipeline = config.pipelines.iter().find(|p| p.id == pipeline_id);
            if let (Some(p), Ok(policy)) = (pipeline, model::policy(&config)) {
                ctl.pipeline.set_value(p.clone());
                ctl.policy.set_value(policy);
                ctl.config.set_value(config.clone());
            }
            api::opportunity(&id).await
        });
    });
    let opp = ctl.opp();
    // The side panel's code comes after the page's (`deal_side`), asked
    // for once the page has painted: not beside the page's own first paint.
    let (side, reload_side) = load(|| async {
        crate::components::ui::after_paint().await;
        Ok(deal_side().await)
    });
    let head = move || {
        opp.with(|o| {
            let status = status_label(i18n, o.status);
            view! {
                <h1 data-test="deal-name">{o.name.clone()}</h1>
                <p class="meta">
                    <span>{o.customer.clone()}</span>
                    <span data-test="deal-amount">{money(o.amount, o.currency)}</span>
                    <span data-test="deal-close">{i18n.t(Msg::ExpectedClose)}": "{o.expected_close.to_string()}</span>
                    <GradeBadge grade=o.grade.effective />
                    <span data-test="deal-track">{track_label(i18n, o.track)}</span>
                    <span class=format!("status status-{}", o.status.as_str()) data-test="deal-status">{status}</span>
                    <span>{i18n.t(Msg::Owner)}": "{ctl.user(&o.owner_id)}</span>
                </p>
                {o.partner.clone().map(|p| view! { <PartnerLine partner=p /> })}
            }
        })
    };
    view! {
        <header class="deal-head" data-test="deal-head" data-version=move || opp.with(|o| o.version)>{head}</header>
        {move || ctl.saver.conflict.get().then(|| view! {
            <p class="notice" role="alert" data-test="conflict">{i18n.t(Msg::ConflictNotice)}</p>
        })}
        {move || ctl.saver.error.get().map(|e| view! {
            <p class="form-error" role="alert" data-test="action-error">{describe(i18n, &e)}</p>
        })}
        <StagePath />
        <div class="deal-grid">
            <div class="deal-main">
                <Checklist />
                <Moves />
            </div>
            <aside class="deal-side" data-test="deal-side">
                <Fetched state=side reload=reload_side view=|side: ViewFn| side.run() />
            </aside>
        </div>
    }
    .into_any()
}

/// The side of the deal page: the terms and the forecast (for whoever may
/// edit), the grade and the history. A wasm chunk of its own, fetched once
/// the page has painted (or ahead, from the deal list and the board:
/// `prefetch_deal_page`): the history's events alone are ~55 KB of the
/// deal page's code, and none of this is what the page is opened for, the
/// stage's checklist (README, "Performance").
/// Its view is built where it is shown (`Fetched`), under the page's
/// context.
#[lazy]
pub fn deal_side() -> ViewFn {
    ViewFn::from(|| {
        let ctl = expect_context::<Ctl>();
        // Only a change of who may edit re-renders the terms form (it keeps
        // what is typed across every other change).
        let editable = Memo::new(move |_| ctl.can_edit());
        view! {
            {move || editable.get().then(|| view! { <DealTerms /> <ForecastPick /> })}
            <GradePanel />
            <History />
        }
    })
}

/// An E deal's partner (from its approved registration) and how long the
/// deal stays theirs.
#[component]
fn PartnerLine(partner: shared::opportunity::PartnerInfo) -> impl IntoView {
    let i18n = use_i18n();
    let protection = match partner.protected_until {
        Some(until) => i18n
            .t(Msg::ProtectedUntil)
            .replace("{date}", &until.to_string()),
        None => i18n.t(Msg::ProtectionEnded).to_string(),
    };
    view! {
        <p class="meta partner" data-test="deal-partner">
            <span>{i18n.t(Msg::Partner)}": "<b>{partner.company}</b></span>
            <span>{partner.contact}" · "<a href=format!("mailto:{}", partner.email)>{partner.email.clone()}</a>" · "{partner.phone}</span>
            <span data-test="deal-protection">{protection}</span>
        </p>
    }
}

/// Every stage across the top: done, current, skipped or ahead, with its
/// entry and exit criteria on hover, focus or tap.
#[component]
fn StagePath() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    move || {
        let steps = ctl
            .opp()
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
    let (opp, draft) = (ctl.opp(), ctl.draft);
    // The deal as it would be with what is typed: recomputed on every edit,
    // in the browser, with the same `shared::check` the server runs.
    let preview = Memo::new(move |_| {
        opp.with(|o| {
            ctl.pipeline.with_value(|p| match model::work_stage(o, p) {
                Some(stage) => draft.with(|d| model::with_draft(o, &stage, d)),
                None => o.clone(),
            })
        })
    });
    let progress = Signal::derive(move || {
        opp.track();
        preview.with(|o| ctl.pipeline.with_value(|p| model::current_progress(o, p)))
    });
    let verdict = Signal::derive(move || {
        // Every record taken, even one equal to the last: the rules may be new.
        opp.track();
        preview.with(|o| {
            ctl.pipeline.with_value(|p| match advance_target(o, p) {
                // At the clock: a win from the contract fields is not signed
                // after today, as the server decides it.
                Some(to) => shared::gate::check_at(
                    o,
                    p,
                    &ctl.policy.get_value(),
                    &shared::Transition::to(to),
                    crate::components::ui::now(),
                ),
                None => shared::Verdict {
                    allowed: false,
                    blockers: vec![],
                },
            })
        })
    });
    provide_context(NextVerdict(verdict));
    // What is typed, against the stored deal's current stage.
    let typed = move |f: fn(&shared::pipeline::Stage, &Opportunity, &Draft) -> usize| {
        opp.with(|o| {
            ctl.pipeline
                .with_value(|p| model::work_stage(o, p).map_or(0, |s| draft.with(|d| f(&s, o, d))))
        })
    };
    let savable = Signal::derive(move || {
        typed(|s, o, d| model::draft_changes(s, &o.fields, d, o.currency).len()) > 0
    });
    let invalid =
        Signal::derive(move || typed(|s, o, d| model::draft_invalid(s, d, o.currency).len()));
    let dirty = Signal::derive(move || savable.get() || invalid.get() > 0);
    provide_context(Dirty(dirty));
    let save = move |()| {
        let changes = opp.with_untracked(|o| {
            ctl.pipeline.with_value(|p| {
                model::work_stage(o, p).map(|s| {
                    draft.with_untracked(|d| model::draft_changes(&s, &o.fields, d, o.currency))
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
        let stages: Vec<shared::Stage> = model::work_stages(&o, &p).into_iter().cloned().collect();
        let grade = o.grade.effective;
        let disabled = Signal::derive(move || ctl.saver.busy.get() || !ctl.can_edit());
        let users = ctl.users.get_value();
        // The current stage, then each skipped one a win now needs, under
        // its own name; a requirement two of them share is shown once.
        let mut shown = std::collections::HashSet::new();
        let groups = stages
            .iter()
            .enumerate()
            .map(|(i, stage)| {
                let mut first = |key: &str| shown.insert(key.to_string());
                let fields = stage
                    .required_fields
                    .iter()
                    .filter(|f| f.grades.contains(grade) && first(f.key.as_str()))
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
                    .filter(|t| t.grades.contains(grade) && first(t.key.as_str()))
                    .map(|t| view! { <TaskRow task=t.clone() /> })
                    .collect_view();
                let approvals = stage
                    .processes
                    .iter()
                    .filter(|p| p.grades.contains(grade) && first(p.key.as_str()))
                    .map(|p| view! { <ApprovalRow process=p.clone() /> })
                    .collect_view();
                let roles = stage
                    .roles
                    .iter()
                    .filter(|r| r.grades.contains(grade) && first(&format!("role:{}", r.role)))
                    .map(|r| view! { <RoleRow role=r.clone() /> })
                    .collect_view();
                let name = loc(i18n, &stage.name);
                if i == 0 {
                    crate::components::mark_painted("deal-painted");
                    view! {
                        <h2>{name}</h2>
                        <ul class="reqs" data-test="checklist">{fields}{tasks}{approvals}{roles}</ul>
                    }
                    .into_any()
                } else {
                    view! {
                        <h3 class="skipped-stage">{i18n.t(Msg::SkippedStageNeeded).replace("{stage}", &name)}</h3>
                        <ul class="reqs" data-test="skipped-checklist" data-stage=stage.key.to_string()>
                            {fields}{tasks}{approvals}{roles}
                        </ul>
                    }
                    .into_any()
                }
            })
            .collect_view();
        Some(groups)
    };
    // A closed deal has no checklist to work: its outcome says what happened.
    let open = Memo::new(move |_| opp.with(|o| o.is_open()));
    move || {
        open.get().then(|| view! {
        <section class="card checklist">
            {rows}
            {move || ctl.can_edit().then(|| view! {
                <DraftBar savable invalid busy=ctl.saver.busy draft on_save=Callback::new(save) />
            })}
            <VerdictView progress verdict />
        </section>
        })
    }
}

/// The verdict on moving to the next stage (or winning from the final one).
#[derive(Clone, Copy)]
pub struct NextVerdict(pub Signal<shared::Verdict>);

/// Typed but unsaved field changes.
#[derive(Clone, Copy)]
pub struct Dirty(pub Signal<bool>);
