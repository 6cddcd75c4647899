//! `/leads/:id`: a lead's stage-1 checklist (verification), converting it
//! into an opportunity (its grade and track shown live as amount and
//! lead-by change), disqualifying and reopening it, its trail and notes.

use crate::api::{self, ApiError};
use crate::components::checklist::{DraftBar, FieldRow, VerdictView};
use crate::components::error::{ErrorView, describe};
use crate::components::fetched::{Fetched, load, on_config_change};
use crate::components::saver::Saver;
use crate::components::timeline::{Timeline, describe_common, requirement_name};
use crate::components::ui::{GradeBadge, confirm, loc, today, track_label, user_name};
use crate::i18n::{Msg, use_i18n};
use crate::model::{self, Draft};
use crate::router::{use_navigate, use_params_map};
use crate::routes::leads::lead_status;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Config, DisqualifyRequest, TaskUpdate, UserSummary};
use shared::event::EventKind;
use shared::lead::{Lead, LeadPatch, LeadStatus};
use shared::{LeadBy, Pipeline, Stage};
use std::future::Future;
use std::sync::Arc;

#[derive(Clone)]
struct LeadData {
    config: Arc<Config>,
    lead: Lead,
    users: Arc<Vec<UserSummary>>,
}

#[component]
pub fn LeadPage() -> impl IntoView {
    let params = use_params_map();
    let (state, reload) = load(move || {
        let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
        async move {
            let config = api::config().await?;
            let lead = api::lead(&id).await?;
            let users = api::users().await?;
            Ok(LeadData {
                config,
                lead,
                users,
            })
        }
    });
    // New rules: the lead and its verdicts again; what is typed stays.
    on_config_change(move || reload.run(()));
    let typed = Typed {
        draft: RwSignal::new(Draft::new()),
        lead_by: RwSignal::new(LeadBy::Us),
        amount: RwSignal::new(String::new()),
        close: RwSignal::new(today().to_string()),
    };
    view! {
        <section class="page lead-page">
            <Fetched state reload view=move |data: LeadData| view! { <LeadView data typed /> } />
        </section>
    }
}

/// What is typed on the page: kept when the page loads again.
#[derive(Clone, Copy)]
struct Typed {
    draft: RwSignal<Draft>,
    lead_by: RwSignal<LeadBy>,
    amount: RwSignal<String>,
    close: RwSignal<String>,
}

#[derive(Clone, Copy)]
struct LeadCtl {
    saver: Saver<Lead>,
    draft: RwSignal<Draft>,
    /// Stage 1, whose fields the draft holds.
    stage: StoredValue<Stage>,
    currency: shared::Currency,
}

impl LeadCtl {
    fn run<F, Fut>(self, call: F)
    where
        F: FnOnce(String, u64) -> Fut + 'static,
        Fut: Future<Output = Result<Lead, ApiError>> + 'static,
    {
        let (id, version) = self
            .saver
            .record
            .with_untracked(|l| (l.id.clone(), l.version));
        // Whatever answers (a save, a ticked task, a 409): what is typed and
        // not stored stays typed, an invalid text included.
        self.saver
            .start(Box::pin(call(id, version)), move |fresh, _| {
                let kept = self.stage.with_value(|s| {
                    self.draft
                        .with_untracked(|d| model::keep_typed(s, &fresh.fields, self.currency, d))
                });
                self.draft.set(kept);
            });
    }
}

#[component]
fn LeadView(data: LeadData, typed: Typed) -> impl IntoView {
    let i18n = use_i18n();
    let Some(pipeline) = data
        .config
        .pipelines
        .iter()
        .find(|p| p.id == data.lead.pipeline)
        .cloned()
    else {
        return view! { <p class="error">{i18n.t(Msg::UnknownPipeline)}</p> }.into_any();
    };
    let currency = data.config.currency;
    let policy = match model::policy(&data.config) {
        Ok(policy) => policy,
        // No verdict on rules other than the server's.
        Err(error) => return view! { <ErrorView error /> }.into_any(),
    };
    let users = data.users.clone();
    let Some(stage) = pipeline.first().cloned() else {
        return ().into_any();
    };
    let ctl = LeadCtl {
        saver: Saver::new(data.lead),
        draft: typed.draft,
        stage: StoredValue::new(stage.clone()),
        currency,
    };
    let (lead, draft) = (ctl.saver.record, ctl.draft);
    let preview = Memo::new({
        let stage = stage.clone();
        move |_| {
            let mut l = lead.get();
            draft.with(|d| model::apply_draft(&mut l.fields, &stage, d, currency));
            l
        }
    });
    let changes = {
        let stage = stage.clone();
        move || lead.with(|l| draft.with(|d| model::draft_changes(&stage, &l.fields, d, currency)))
    };
    let savable = {
        let changes = changes.clone();
        Signal::derive(move || !changes().is_empty())
    };
    let invalid = {
        let stage = stage.clone();
        Signal::derive(move || draft.with(|d| model::draft_invalid(&stage, d, currency).len()))
    };
    let dirty = Signal::derive(move || savable.get() || invalid.get() > 0);
    let save = move |()| {
        let changes = changes();
        ctl.run(move |id, version| async move {
            let patch = LeadPatch {
                version,
                title: None,
                customer: None,
                description: None,
                contact: None,
                source: None,
                fields: Some(changes),
            };
            api::update_lead(&id, &patch).await
        });
    };
    let rows = {
        let (stage, users) = (stage.clone(), users.clone());
        move || {
            let l = lead.get();
            let open = l.status.is_open();
            let disabled = Signal::derive(move || ctl.saver.busy.get() || !open);
            let fields = stage
                .required_fields
                .iter()
                .map(|f| view! {
                    <FieldRow field=f.clone() stored=l.fields.get(f.key.as_str()).cloned() draft currency
                        users=users.clone() disabled />
                })
                .collect_view();
            let tasks = stage
                .required_tasks
                .iter()
                .map(|t| {
                    let key = t.key.to_string();
                    let done = l.tasks.get(&key).is_some_and(|s| s.done);
                    let toggle = move |ev: leptos::ev::Event| {
                        let (done, key) = (event_target_checked(&ev), key.clone());
                        ctl.run(move |id, version| async move {
                            api::set_lead_task(&id, &key, &TaskUpdate { done, note: None, version }).await
                        });
                    };
                    view! {
                        <li class="req task" class:met=done data-test="task" data-key=t.key.to_string()>
                            <span class="mark" aria-hidden="true">{if done { "✓" } else { "○" }}</span>
                            <label class="check">
                                <input type="checkbox" prop:checked=done on:change=toggle disabled=disabled />
                                <span>{loc(i18n, &t.label)}</span>
                            </label>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="reqs" data-test="checklist">{fields}{tasks}</ul> }
        }
    };
    let (users_for_trail, users_for_who) = (data.users.clone(), data.users.clone());
    let head = move || {
        lead.with(|l| view! {
            <h1 data-test="lead-title">{l.title.clone()}</h1>
            <p class="meta">
                <span>{l.customer.clone()}</span>
                <span>{l.contact.name.clone()}" "{l.contact.phone.clone()}" "{l.contact.email.clone()}</span>
                <span class="status" data-test="lead-status">{lead_status(i18n, l.status)}</span>
                <span>{i18n.t(Msg::Owner)}": "{user_name(&data.users, &l.owner_id)}</span>
            </p>
            {l.opportunity_id.clone().map(|id| view! {
                <p><a href=format!("/opportunities/{id}") data-test="to-opportunity">{i18n.t(Msg::OpenOpportunity)}</a></p>
            })}
            {l.disqualify_reason.clone().map(|r| view! { <p class="muted">{i18n.t(Msg::LeadDisqualified)}": "{r}</p> })}
        })
    };
    let pipeline = Arc::new(pipeline);
    let pipelines = Arc::new(data.config.pipelines.clone());
    // Only a change of status re-renders the forms below (their typed
    // terms live in `typed` either way).
    let open = Memo::new(move |_| lead.with(|l| l.status.is_open()));
    let disqualified = Memo::new(move |_| lead.with(|l| l.status == LeadStatus::Disqualified));
    let say_event = {
        let (p, users) = (pipeline.clone(), users_for_trail);
        Callback::new(move |k: EventKind| describe_lead_event(i18n, &p, &users, &k))
    };
    let who = {
        let users = users_for_who;
        Callback::new(move |id: String| user_name(&users, &id))
    };
    let lead_id = lead.with_untracked(|l| l.id.clone());
    view! {
        <header class="deal-head" data-test="lead-head" data-version=move || lead.with(|l| l.version)>{head}</header>
        {move || ctl.saver.conflict.get().then(|| view! { <p class="notice" role="alert" data-test="conflict">{i18n.t(Msg::ConflictNoticeLead)}</p> })}
        {move || ctl.saver.error.get().map(|e| view! { <p class="form-error" role="alert" data-test="action-error">{describe(i18n, &e)}</p> })}
        <section class="card checklist">
            <h2>{loc(i18n, &stage.name)}</h2>
            {rows}
            {move || open.get().then(|| view! {
                <DraftBar savable invalid busy=ctl.saver.busy draft on_save=Callback::new(save.clone()) />
            })}
        </section>
        {move || open.get().then(|| view! {
            <Convert ctl preview pipeline=pipeline.clone() policy currency dirty typed />
            <LeadEdit ctl pipelines=pipelines.clone() />
            <Disqualify ctl />
        })}
        {move || disqualified.get().then(|| view! { <ReopenLead ctl /> })}
        // The server shows a lead only to who may work on it: they add notes.
        <Timeline kind="leads" id=lead_id may_note=true
            version=Signal::derive(move || lead.with(|l| l.version)) describe=say_event who />
    }
    .into_any()
}

/// A lead's events in the user's language, with stage 1's names.
fn describe_lead_event(
    i18n: crate::i18n::I18n,
    p: &Pipeline,
    users: &[UserSummary],
    kind: &EventKind,
) -> String {
    let requirement = |k: &str| requirement_name(i18n, p, k);
    if let Some(said) = describe_common(i18n, kind, |id| user_name(users, id), requirement) {
        return said;
    }
    match kind {
        EventKind::Created { .. } => i18n.t(Msg::EvCreated).to_string(),
        _ => String::new(),
    }
}

/// The lead itself: title, customer, description, contact and source, checked
/// live by the rules the server applies (`NewLead::validate`), saved through
/// the lead's PATCH and audited there.
#[component]
fn LeadEdit(ctl: LeadCtl, pipelines: Arc<Vec<Pipeline>>) -> impl IntoView {
    let i18n = use_i18n();
    let lead = ctl.saver.record.get_untracked();
    let text = |v: &str| RwSignal::new(v.to_string());
    let [title, customer, description, name, phone, email, source] = [
        text(&lead.title),
        text(&lead.customer),
        text(&lead.description),
        text(&lead.contact.name),
        text(&lead.contact.phone),
        text(&lead.contact.email),
        text(&lead.source),
    ];
    let typed = move || shared::lead::NewLead {
        title: title.get(),
        customer: customer.get(),
        description: description.get(),
        contact: shared::lead::Contact {
            name: name.get(),
            phone: phone.get(),
            email: email.get(),
        },
        source: source.get(),
        owner_id: None,
        pipeline: ctl.saver.record.with_untracked(|l| l.pipeline.clone()),
    };
    let issues = Signal::derive(move || typed().validate(&pipelines).err().unwrap_or_default());
    let problem = move |field: &'static str| {
        move || {
            issues.with(|is| {
                is.iter()
                    .find(|i| crate::routes::leads::belongs(&i.field, field))
                    .map(|i| view! { <small class="field-error" data-test="field-error">{loc(i18n, &i.message)}</small> })
            })
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !issues.with_untracked(Vec::is_empty) {
            return;
        }
        let new = typed();
        ctl.run(move |id, version| async move {
            let patch = LeadPatch {
                version,
                title: Some(new.title),
                customer: Some(new.customer),
                description: Some(new.description),
                contact: Some(new.contact),
                source: Some(new.source),
                fields: None,
            };
            api::update_lead(&id, &patch).await
        });
    };
    let input = move |signal: RwSignal<String>,
                      name: &'static str,
                      label: Msg,
                      ty: &'static str| {
        view! {
            <label><span>{i18n.t(label)}</span>
                <input name=name type=ty maxlength=shared::opportunity::MAX_NAME prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev)) />
                {problem(name)}
            </label>
        }
    };
    view! {
        <details class="card lead-edit">
            <summary>{i18n.t(Msg::EditLead)}</summary>
            <form class="form" on:submit=save data-test="lead-edit-form" novalidate>
                <div class="grid">
                    {input(title, "title", Msg::LeadTitle, "text")}
                    {input(customer, "customer", Msg::Customer, "text")}
                    {input(name, "contact.name", Msg::Contact, "text")}
                    {input(phone, "contact.phone", Msg::Phone, "tel")}
                    {input(email, "contact.email", Msg::Email, "email")}
                    {input(source, "source", Msg::Source, "text")}
                </div>
                <label class="wide"><span>{i18n.t(Msg::LeadDescription)}</span>
                    <textarea name="description" rows="3" maxlength=shared::lead::MAX_DESCRIPTION
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                    {problem("description")}
                </label>
                <button type="submit" class="primary" data-test="save-lead"
                    disabled=move || ctl.saver.busy.get() || !issues.with(Vec::is_empty)>
                    {i18n.t(Msg::SaveLead)}
                </button>
            </form>
        </details>
    }
}

/// A disqualified lead worked again, with the reason kept in its trail.
#[component]
fn ReopenLead(ctl: LeadCtl) -> impl IntoView {
    let i18n = use_i18n();
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !confirm(i18n.t(Msg::ConfirmReopen)) {
            return;
        }
        let reason = reason.get_untracked();
        ctl.run(move |id, version| async move {
            api::reopen_lead(&id, &DisqualifyRequest { reason, version }).await
        });
    };
    view! {
        <form class="card form reopen" on:submit=submit data-test="reopen-lead-form">
            <h2>{i18n.t(Msg::ReopenLead)}</h2>
            <label><span>{i18n.t(Msg::Reason)}</span>
                <textarea name="reason" rows="2" required maxlength=shared::checklist::MAX_NOTE
                    on:input=move |ev| reason.set(event_target_value(&ev))></textarea></label>
            <button type="submit" data-test="reopen-lead" disabled=move || ctl.saver.busy.get() || reason.with(|r| r.trim().is_empty())>
                {i18n.t(Msg::Reopen)}
            </button>
        </form>
    }
}

/// The terms of the deal-to-be; the grade, track and stage-1 verdict follow
/// them as they are typed.
#[component]
fn Convert(
    ctl: LeadCtl,
    preview: Memo<Lead>,
    pipeline: Arc<Pipeline>,
    policy: shared::GradingPolicy,
    currency: shared::Currency,
    dirty: Signal<bool>,
    typed: Typed,
) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let Typed {
        lead_by,
        amount,
        close,
        ..
    } = typed;
    let form = {
        let p = pipeline.clone();
        Memo::new(move |_| {
            let (by, typed_amount, typed_close) = (lead_by.get(), amount.get(), close.get());
            preview.with(|l| {
                let shown = model::conversion_preview(
                    l,
                    &p,
                    &policy,
                    by,
                    &typed_amount,
                    &typed_close,
                    currency,
                );
                (shown.request, shown.grade, shown.verdict, shown.progress)
            })
        })
    };
    let grade = move || form.with(|f| f.1);
    let verdict = Signal::derive(move || form.with(|f| f.2.clone()));
    let progress = Signal::derive(move || form.with(|f| f.3));
    let convert = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(req) = form.with_untracked(|f| f.0.clone()) else {
            return;
        };
        let navigate = navigate.clone();
        let id = ctl.saver.record.with_untracked(|l| l.id.clone());
        ctl.saver.busy.set(true);
        spawn_local(async move {
            match api::convert_lead(&id, &req).await {
                Ok(opp) => navigate(&format!("/opportunities/{}", opp.id), Default::default()),
                Err(e) => match model::conflict::<Lead>(&e) {
                    Some(fresh) => {
                        ctl.saver.conflict.set(true);
                        ctl.saver.record.set(fresh);
                    }
                    None => ctl.saver.error.set(Some(e)),
                },
            }
            ctl.saver.busy.set(false);
        });
    };
    view! {
        <form class="card form convert" on:submit=convert data-test="convert-form">
            <h2>{i18n.t(Msg::ConvertTitle)}</h2>
            <div class="grid">
                <label><span>{i18n.t(Msg::LeadBy)}</span>
                    <select name="lead_by" on:change=move |ev| lead_by.set(if event_target_value(&ev) == "partner" { LeadBy::Partner } else { LeadBy::Us })>
                        <option value="us">{i18n.t(Msg::LeadByUs)}</option>
                        <option value="partner" prop:selected=move || lead_by.get() == LeadBy::Partner>{i18n.t(Msg::LeadByPartner)}</option>
                    </select></label>
                <label><span>{i18n.t(Msg::Amount)}</span>
                    <input name="amount" inputmode="decimal" required prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) /></label>
                <label><span>{i18n.t(Msg::ExpectedClose)}</span>
                    <input name="expected_close" type="date" required prop:value=move || close.get()
                        on:input=move |ev| close.set(event_target_value(&ev)) /></label>
            </div>
            <p class="grade-preview" data-test="grade-preview">
                {move || match grade() {
                    Some(g) => view! { {i18n.t(Msg::Grade)}": "<GradeBadge grade=g />" · "<span data-test="track-preview">{track_label(i18n, g.track())}</span> }.into_any(),
                    None => view! { <span class="muted">{i18n.t(Msg::EnterAmount)}</span> }.into_any(),
                }}
            </p>
            <VerdictView progress verdict />
            <button type="submit" class="primary" data-test="convert"
                disabled=move || ctl.saver.busy.get() || dirty.get() || !verdict.with(|v| v.allowed)>
                {i18n.t(Msg::Convert)}
            </button>
        </form>
    }
}

#[component]
fn Disqualify(ctl: LeadCtl) -> impl IntoView {
    let i18n = use_i18n();
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !confirm(i18n.t(Msg::ConfirmDisqualify)) {
            return;
        }
        let reason = reason.get_untracked();
        ctl.run(move |id, version| async move {
            api::disqualify_lead(&id, &DisqualifyRequest { reason, version }).await
        });
    };
    view! {
        <details class="card disqualify">
            <summary>{i18n.t(Msg::Disqualify)}</summary>
            <form class="form" on:submit=submit data-test="disqualify-form">
                <label><span>{i18n.t(Msg::Reason)}</span>
                    <input name="reason" required maxlength=shared::checklist::MAX_NOTE on:input=move |ev| reason.set(event_target_value(&ev)) /></label>
                <button type="submit" disabled=move || ctl.saver.busy.get() || reason.with(|r| r.trim().is_empty())>
                    {i18n.t(Msg::Disqualify)}
                </button>
            </form>
        </details>
    }
}
