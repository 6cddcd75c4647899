//! A stage's checklist pieces shared by the lead and deal pages: one input
//! per required field, fit for its kind, and the live gate verdict.

use crate::components::ui::loc;
use crate::i18n::{Msg, use_i18n};
use crate::model::{Draft, input_text, parse_input};
use leptos::prelude::*;
use serde_json::Value;
use shared::api::UserSummary;
use shared::checklist::field_is_met;
use shared::pipeline::{FieldKind, RequiredField};
use shared::{Currency, Verdict};
use std::sync::Arc;

/// One required field: its label, an input for its kind, met or not (from
/// what is typed, before saving) and why a typed value does not parse.
#[component]
pub fn FieldRow(
    field: RequiredField,
    stored: Option<Value>,
    draft: RwSignal<Draft>,
    currency: Currency,
    users: Arc<Vec<UserSummary>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let key = field.key.to_string();
    let stored_text = input_text(&field, stored.as_ref(), currency);
    let text = {
        let (key, stored_text) = (key.clone(), stored_text.clone());
        move || draft.with(|d| d.get(&key).cloned().unwrap_or_else(|| stored_text.clone()))
    };
    let set = {
        let key = key.clone();
        move |value: String| {
            draft.update(|d| {
                d.insert(key.clone(), value);
            })
        }
    };
    let parsed = {
        let (field, text) = (field.clone(), text.clone());
        move || parse_input(&field, &text(), currency)
    };
    let met = {
        let (field, parsed) = (field.clone(), parsed.clone());
        move || matches!(parsed(), Ok(v) if field_is_met(&field, v.as_ref()))
    };
    let problem = move || {
        parsed()
            .err()
            .map(|e| e.message().get(i18n.current()).to_string())
    };
    let id = format!("field-{key}");
    let input = match field.kind {
        FieldKind::LongText => view! {
            <textarea id=id.clone() name=key.clone() rows="3" prop:value=text.clone() disabled=disabled
                on:input=move |ev| set(event_target_value(&ev))></textarea>
        }
        .into_any(),
        FieldKind::Bool => view! {
            <input id=id.clone() name=key.clone() type="checkbox" disabled=disabled
                prop:checked=move || text() == "true"
                on:change=move |ev| set(if event_target_checked(&ev) { "true".into() } else { String::new() }) />
        }
        .into_any(),
        FieldKind::Select | FieldKind::User => {
            let options: Vec<(String, String)> = if field.kind == FieldKind::User {
                users.iter().map(|u| (u.id.clone(), crate::components::ui::person(u))).collect()
            } else {
                field.options.clone().unwrap_or_default().into_iter().map(|o| (o.clone(), o)).collect()
            };
            // Each option says whether it is chosen: a select's value set
            // before its options exist would show "Choose" after a re-render.
            let options = options
                .into_iter()
                .map(|(value, label)| {
                    let text = text.clone();
                    let chosen = value.clone();
                    view! { <option value=value prop:selected=move || text() == chosen>{label}</option> }
                })
                .collect_view();
            view! {
                <select id=id.clone() name=key.clone() disabled=disabled
                    on:change=move |ev| set(event_target_value(&ev))>
                    <option value="">{i18n.t(Msg::Choose)}</option>
                    {options}
                </select>
            }
            .into_any()
        }
        kind => {
            let (ty, mode) = match kind {
                FieldKind::Money => ("text", "decimal"),
                FieldKind::Date => ("date", "numeric"),
                FieldKind::Url => ("url", "url"),
                _ => ("text", "text"),
            };
            view! {
                <input id=id.clone() name=key.clone() type=ty inputmode=mode disabled=disabled
                    prop:value=text.clone() on:input=move |ev| set(event_target_value(&ev)) />
            }
            .into_any()
        }
    };
    let mark = met.clone();
    view! {
        <li class="req field" class:met=met data-test="field" data-key=key.clone()>
            <span class="mark" aria-hidden="true">{move || if mark() { "✓" } else { "○" }}</span>
            <label for=id>{loc(i18n, &field.label)}</label>
            <div class="control">
                {input}
                {move || problem().map(|p| view! { <small class="field-error">{p}</small> })}
            </div>
        </li>
    }
}

/// Save and discard for a stage's typed fields. "Unsaved changes" stays
/// while anything typed differs from what is stored, an invalid text
/// included: that one is counted and never saved until fixed or discarded.
#[component]
pub fn DraftBar(
    /// Valid changes a save would store.
    #[prop(into)]
    savable: Signal<bool>,
    /// Inputs whose text does not parse.
    #[prop(into)]
    invalid: Signal<usize>,
    #[prop(into)] busy: Signal<bool>,
    draft: RwSignal<Draft>,
    on_save: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let pending = move || savable.get() || invalid.get() > 0;
    let discard = move |_| {
        if crate::components::ui::confirm(i18n.t(Msg::ConfirmDiscard)) {
            draft.set(Draft::new());
        }
    };
    view! {
        <div class="row">
            <button type="button" class="primary" data-test="save-fields"
                disabled=move || !savable.get() || busy.get() on:click=move |_| on_save.run(())>
                {i18n.t(Msg::SaveFields)}
            </button>
            {move || pending().then(|| view! {
                <button type="button" data-test="discard" disabled=move || busy.get() on:click=discard>
                    {i18n.t(Msg::DiscardChanges)}
                </button>
                <small class="muted" data-test="unsaved">{i18n.t(Msg::UnsavedChanges)}</small>
            })}
            {move || (invalid.get() > 0).then(|| view! {
                <small class="field-error" data-test="to-fix">
                    {i18n.t(Msg::FixToSave).replace("{n}", &invalid.get().to_string())}
                </small>
            })}
        </div>
    }
}

/// "3 of 5 met" and what blocks the move, recomputed on every edit.
#[component]
pub fn VerdictView(
    /// Requirements met, of how many.
    #[prop(into)]
    progress: Signal<(usize, usize)>,
    #[prop(into)] verdict: Signal<Verdict>,
) -> impl IntoView {
    let i18n = use_i18n();
    let summary = move || {
        let (met, total) = progress.get();
        i18n.t(Msg::MetOf)
            .replace("{met}", &met.to_string())
            .replace("{total}", &total.to_string())
    };
    view! {
        <div class="verdict" class:allowed=move || verdict.with(|v| v.allowed) data-test="verdict" aria-live="polite">
            <strong data-test="verdict-summary">{summary}</strong>
            {move || {
                verdict.with(|v| {
                    if v.allowed {
                        view! { <span class="ok">{i18n.t(Msg::ReadyToMove)}</span> }.into_any()
                    } else if v.blockers.is_empty() {
                        // Nothing to list (e.g. no next stage): no empty "Blocked by:".
                        ().into_any()
                    } else {
                        let items = v
                            .blockers
                            .iter()
                            .map(|b| view! { <li data-test="blocker">{b.message.get(i18n.current()).to_string()}</li> })
                            .collect_view();
                        view! { <span>{i18n.t(Msg::BlockedBy)}</span><ul class="blockers">{items}</ul> }.into_any()
                    }
                })
            }}
        </div>
    }
}
