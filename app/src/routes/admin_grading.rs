//! `/admin/grading`: the three grading thresholds in yuan, checked as typed
//! with the server's rule; the impact on every open deal, asked as the admin
//! types; save after a confirmation; every version kept, newest first.

use super::admin_config::{Tx, use_tx};
use crate::api;
use crate::components::asker::Asker;
use crate::components::error::{ErrorView, describe};
use crate::components::fetched::{Fetched, Load, load};
use crate::components::loading::Loading;
use crate::components::saver::Saver;
use crate::components::ui::{GradeBadge, money, track_label, user_name};
use crate::i18n::{AdminMsg, Msg, use_i18n};
use crate::thresholds::{
    Line, PREVIEW_DEBOUNCE, ThresholdText, grade_counts, in_force, issue_on, regrade_count, steps,
    update_request,
};
use leptos::prelude::*;
use shared::Currency;
use shared::api::{GradingAdmin, GradingChange, Thresholds, UserSummary};
use shared::regrade::PolicyPreview;
use std::sync::Arc;
use std::time::Duration;

/// The most changed deals the preview lists: a change can regrade
/// thousands, and a list that long helps no one decide (the count says it).
const MAX_LISTED: usize = 200;

type Users = ReadSignal<Load<Arc<Vec<UserSummary>>>>;

#[component]
pub fn AdminGrading() -> impl IntoView {
    super::admin_config::admin_page(|| view! { <GradingPage /> }.into_any())
}

#[component]
fn GradingPage() -> impl IntoView {
    let tx = use_tx();
    // Independent: all three start at once.
    let (current, reload) = load(api::grading);
    let (history, reload_history) = load(api::grading_history);
    let (users, _) = load(api::users);
    let page = move |admin: GradingAdmin| {
        let currency = admin.currency;
        view! {
            <Editor admin users reload_history />
            <History state=history reload=reload_history users currency />
        }
    };
    view! {
        <section class="page admin-grading">
            <h1>{tx.t(AdminMsg::GradingTitle)}</h1>
            <Fetched state=current reload view=page />
        </section>
    }
}

/// Who set a version: a user's name, else their id; the seed's first
/// version has no one.
fn who(tx: Tx, users: &Load<Arc<Vec<UserSummary>>>, by: Option<&str>) -> String {
    match (by, users) {
        (None, _) => tx.t(AdminMsg::InitialSetting).to_string(),
        (Some(id), Load::Done(Ok(list))) => user_name(list, id),
        (Some(id), _) => id.to_string(),
    }
}

fn when(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

#[component]
fn Editor(admin: GradingAdmin, users: Users, reload_history: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let currency = admin.currency;
    let text = RwSignal::new(ThresholdText::of(&in_force(&admin), currency));
    let saver = Saver::new(admin);
    let parsed = Memo::new(move |_| text.with(|t| t.parse(currency)));
    let can_save = move || {
        !saver.busy.get()
            && saver
                .record
                .with(|a| text.with(|t| update_request(t, a, currency)).is_some())
    };

    // The impact preview: the last answer and the thresholds it is for.
    let preview =
        Asker::new(|wanted: Thresholds| async move { api::grading_preview(&wanted).await });
    let (shown, preview_error, pending) = (preview.shown, preview.error, preview.pending);
    // Asks for the impact of what is typed, after `pause` (none: now);
    // nothing while it is invalid.
    let schedule = move |pause: Option<Duration>| match parsed.get_untracked() {
        Ok(wanted) => preview.ask(wanted, pause),
        Err(_) => preview.forget(),
    };
    schedule(None);

    // Save: Enter or the button asks; the confirmation saves.
    let confirming = RwSignal::new(false);
    let saved = RwSignal::new(None::<u64>);
    let count = Memo::new(move |_| {
        parsed.with(|p| {
            p.as_ref()
                .ok()
                .and_then(|w| shown.with(|s| regrade_count(w, s.as_ref())))
        })
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !can_save() {
            return;
        }
        if count.get_untracked().is_none() {
            schedule(None);
        }
        confirming.set(true);
    };
    let cancel = move || confirming.set(false);
    let confirm = move |_| {
        let update = saver
            .record
            .with_untracked(|a| text.with_untracked(|t| update_request(t, a, currency)));
        confirming.set(false);
        let Some(update) = update else { return };
        let change = Box::pin(async move { api::update_grading(&update).await });
        saver.start(change, move |fresh: &GradingAdmin, stale| {
            // A 409 loads the thresholds in force and keeps what was typed.
            if !stale {
                text.set(ThresholdText::of(&in_force(fresh), currency));
                saved.set(Some(fresh.version));
            }
            reload_history.run(());
            schedule(None);
        });
    };
    let confirm_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if confirming.get()
            && count.get().is_some()
            && let Some(b) = confirm_button.get()
        {
            let _ = b.focus();
        }
    });

    let problem = move |line: Line| {
        let typed = parsed.with(|p| {
            p.as_ref()
                .err()
                .and_then(|issues| issue_on(issues, line))
                .map(|i| i.message.get(i18n.current()).to_string())
        });
        typed.or_else(|| {
            saver.error.with(|e| {
                e.as_ref()
                    .and_then(|e| {
                        e.field_errors()
                            .into_iter()
                            .find(|f| f.field == line.field())
                    })
                    .map(|f| f.message)
            })
        })
    };
    let unit = if currency.symbol().is_empty() {
        currency.as_str().to_string()
    } else {
        currency.symbol().to_string()
    };
    let input = move |line: Line, label: AdminMsg| {
        let error_id = format!("{}-error", line.field());
        let on_input = move |ev| {
            text.update(|t| t.set(line, event_target_value(&ev)));
            confirming.set(false);
            saved.set(None);
            schedule(Some(PREVIEW_DEBOUNCE));
        };
        view! {
            <label>
                <span>{tx.t(label)}" ("{unit.clone()}")"</span>
                <input name=line.field() inputmode="decimal" autocomplete="off" required
                    data-test=format!("input-{}", line.field())
                    prop:value=move || text.with(|t| t.get(line).to_string())
                    aria-invalid=move || problem(line).is_some().to_string()
                    aria-describedby=error_id.clone()
                    on:input=on_input />
                <small class="field-error" id=error_id>{move || problem(line)}</small>
            </label>
        }
    };
    let head = move || {
        saver.record.with(|a| {
            let by = users.with(|u| who(tx, u, a.updated_by.as_deref()));
            view! {
                <p class="muted" data-test="grading-version" data-version=a.version>
                    {tx.t(AdminMsg::Version)}" "{a.version}" · "{by}" · "
                    <time datetime=a.updated_at.to_rfc3339()>{when(&a.updated_at)}</time>
                </p>
            }
        })
    };
    let impact = move || {
        if parsed.with(Result::is_err) {
            return view! { <p class="muted" data-test="preview-invalid">{tx.t(AdminMsg::FixToPreview)}</p> }.into_any();
        }
        if let Some(error) = preview_error.get() {
            let retry = Callback::new(move |()| schedule(None));
            return view! { <ErrorView error retry /> }.into_any();
        }
        match shown.get() {
            Some((_, preview)) => view! { <Impact preview /> }.into_any(),
            None => view! { <Loading /> }.into_any(),
        }
    };
    let question = move || {
        match count.get() {
        Some(n) => view! { <p id="confirm-q">{tx.t(AdminMsg::ConfirmRegrade).replace("{n}", &n.to_string())}</p> }.into_any(),
        None => view! { <Loading /> }.into_any(),
    }
    };
    let escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            cancel();
        }
    };
    view! {
        {head}
        {move || saver.conflict.get().then(|| view! { <p class="notice" role="alert" data-test="conflict">{tx.t(AdminMsg::GradingConflict)}</p> })}
        {move || saved.get().map(|v| view! { <p class="notice" role="status" data-test="saved">{tx.t(AdminMsg::SavedVersion).replace("{v}", &v.to_string())}</p> })}
        <form class="card form" on:submit=submit data-test="grading-form" novalidate>
            <div class="grid">
                {input(Line::A, AdminMsg::AMinLabel)}
                {input(Line::B, AdminMsg::BMinLabel)}
                {input(Line::C, AdminMsg::CMinLabel)}
            </div>
            <p class="muted">{tx.t(AdminMsg::PartnerIsE)}</p>
            {move || {
                saver.error.get().filter(|e| e.field_errors().is_empty()).map(|e| {
                    view! { <p class="form-error" role="alert" data-test="save-error">{describe(i18n, &e)}</p> }
                })
            }}
            <div class="row">
                <button type="submit" class="primary" data-test="save" disabled=move || !can_save()>
                    {tx.t(AdminMsg::SaveThresholds)}
                </button>
            </div>
            <Show when=move || confirming.get()>
                <div class="notice" role="group" aria-labelledby="confirm-q" data-test="confirm" on:keydown=escape>
                    {question}
                    <div class="row">
                        <button type="button" class="primary" data-test="confirm-save" node_ref=confirm_button
                            disabled=move || count.get().is_none() || saver.busy.get() on:click=confirm>
                            {tx.t(AdminMsg::ConfirmSave)}
                        </button>
                        <button type="button" data-test="cancel-save" on:click=move |_| cancel()>{tx.t(AdminMsg::Cancel)}</button>
                    </div>
                </div>
            </Show>
        </form>
        <section class="card impact" data-test="preview" aria-live="polite" aria-busy=move || pending.get().to_string()>
            <h2>{tx.t(AdminMsg::Impact)}</h2>
            {impact}
        </section>
    }
}

/// What the thresholds typed would do: deals per grade, how many would be
/// blocked, and the deals that change grade, each linking to its page.
#[component]
fn Impact(preview: PolicyPreview) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let counts = grade_counts(&preview)
        .into_iter()
        .map(|(g, n)| view! { <span data-test="count" data-grade=g.as_str()><GradeBadge grade=g />" "{n}</span> })
        .collect_view();
    let changed = preview.changes.len();
    if changed == 0 {
        return view! {
            <p class="facts-row" data-test="counts">{counts}</p>
            <p class="empty" data-test="no-changes">{tx.t(AdminMsg::NoChanges)}</p>
        }
        .into_any();
    }
    let track = move |from, to| {
        if from == to {
            track_label(i18n, to).to_string()
        } else {
            format!("{} → {}", track_label(i18n, from), track_label(i18n, to))
        }
    };
    let rows = preview
        .changes
        .iter()
        .take(MAX_LISTED)
        .map(|c| {
            view! {
                <tr data-test="change" data-id=c.opportunity_id.clone()>
                    <td><a href=format!("/opportunities/{}", c.opportunity_id)>{c.name.clone()}</a></td>
                    <td><GradeBadge grade=c.from />" → "<GradeBadge grade=c.to /></td>
                    <td>{track(c.track_from, c.track_to)}</td>
                </tr>
            }
        })
        .collect_view();
    let more = changed.saturating_sub(MAX_LISTED);
    view! {
        <p class="facts-row" data-test="counts">{counts}</p>
        <p>
            <strong>{tx.t(AdminMsg::Changes).replace("{n}", &changed.to_string())}</strong>" · "
            <span class:blocked-mark={preview.blocked_after > 0} data-test="blocked-after">
                {tx.t(AdminMsg::BlockedAfter).replace("{n}", &preview.blocked_after.to_string())}
            </span>
        </p>
        <div class="table-wrap">
            <table class="list">
                <thead><tr>
                    <th>{i18n.t(Msg::DealName)}</th><th>{i18n.t(Msg::Grade)}</th><th>{i18n.t(Msg::Track)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {(more > 0).then(|| view! { <p class="muted">"… +"{more}</p> })}
    }
    .into_any()
}

/// Every version, newest first: who, when, each threshold from → to.
#[component]
fn History(
    state: ReadSignal<Load<Vec<GradingChange>>>,
    reload: Callback<()>,
    users: Users,
    currency: Currency,
) -> impl IntoView {
    let tx = use_tx();
    let list = move |items: Vec<GradingChange>| {
        let items = items
            .into_iter()
            .map(|c| {
                let what = steps(&c)
                    .map(|s| {
                        let grade = s.line.grade().as_str();
                        let to = money(s.to, currency);
                        match s.from {
                            Some(from) if s.changed() => {
                                let from = money(from, currency);
                                view! { <strong>{grade}" ≥ "{from}" → "{to}</strong> }.into_any()
                            }
                            _ => view! { <span>{grade}" ≥ "{to}</span> }.into_any(),
                        }
                    })
                    .into_iter()
                    .collect_view();
                let by = c.updated_by.clone();
                view! {
                    <li data-test="history-item" data-version=c.version>
                        <time datetime=c.updated_at.to_rfc3339()>{when(&c.updated_at)}</time>
                        <span class="who">
                            {tx.t(AdminMsg::Version)}" "{c.version}" · "
                            {move || users.with(|u| who(tx, u, by.as_deref()))}
                        </span>
                        <span class="what facts-row">{what}</span>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="timeline">{items}</ol> }
    };
    view! {
        <section class="card history" data-test="grading-history">
            <h2>{tx.t(AdminMsg::VersionHistory)}</h2>
            <Fetched state reload view=list />
        </section>
    }
}
