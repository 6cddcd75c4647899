//! A record's trail, newest first: its audit events with the notes people
//! added among them, and the form to add one. The deal page and the lead
//! page each say their own events (`describe`); long texts are collapsed.

use crate::api;
use crate::components::fetched::{Fetched, load};
use crate::components::ui::loc;
use crate::i18n::{I18n, Msg, use_i18n};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::checklist::MAX_NOTE;
use shared::event::{Event, EventKind, SYSTEM};

/// Past this many characters an entry shows its start and opens on demand.
const COLLAPSE_AFTER: usize = 160;

#[component]
pub fn Timeline(
    /// `opportunities` or `leads`: the API path of the record's kind.
    kind: &'static str,
    id: String,
    /// The record's version: a new one reloads the trail.
    version: Signal<u64>,
    /// May this user add notes (whoever may edit the record)?
    may_note: bool,
    /// The event in the user's language.
    describe: Callback<EventKind, String>,
    /// A user's display name from their id.
    who: Callback<String, String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (state, reload) = load({
        let id = id.clone();
        move || {
            let id = id.clone();
            async move { api::history(kind, &id).await }
        }
    });
    Effect::new(move |first: Option<()>| {
        version.track();
        if first.is_some() {
            reload.run(());
        }
    });
    let list = move |events: Vec<Event>| {
        if events.is_empty() {
            return view! { <p class="muted">{i18n.t(Msg::NoHistory)}</p> }.into_any();
        }
        let items = events
            .into_iter()
            .rev()
            .map(|e| {
                let note = matches!(e.kind, EventKind::NoteAdded { .. });
                let name = kind_name(&e.kind);
                let by = if e.by == SYSTEM {
                    i18n.t(Msg::AppName).to_string()
                } else {
                    who.run(e.by.clone())
                };
                view! {
                    <li data-test="event" data-kind=name class:note=note>
                        <time datetime=e.at.to_rfc3339()>{e.at.format("%Y-%m-%d %H:%M").to_string()}</time>
                        <span class="who">{by}</span>
                        <Collapsed text=describe.run(e.kind) />
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="timeline">{items}</ol> }.into_any()
    };
    view! {
        <section class="card history" data-test="history">
            <h2>{i18n.t(Msg::History)}</h2>
            {may_note.then(|| view! { <NoteForm kind id=id.clone() added=reload /> })}
            <Fetched state reload view=list />
        </section>
    }
}

/// A text shown whole when short, else its start with the rest a click away.
#[component]
fn Collapsed(text: String) -> impl IntoView {
    if text.chars().count() <= COLLAPSE_AFTER {
        return view! { <span class="what">{text}</span> }.into_any();
    }
    let start: String = text.chars().take(COLLAPSE_AFTER).collect();
    view! {
        <details class="what long" data-test="collapsed">
            <summary>{start}"…"</summary>
            <p>{text}</p>
        </details>
    }
    .into_any()
}

/// A note: the limit shown as it is typed, the server's refusal beside the box.
#[component]
fn NoteForm(kind: &'static str, id: String, added: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let count = move || text.with(|t| t.chars().count());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        if body.trim().is_empty() || busy.get_untracked() {
            return;
        }
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            let answer = api::add_note(kind, &id, body).await;
            // The form is gone (the user moved on): nothing to show.
            if text.is_disposed() {
                return;
            }
            match answer {
                Ok(_) => {
                    text.set(String::new());
                    error.set(None);
                    added.run(());
                }
                // Kept as typed; the message sits beside the box.
                Err(e) => error.set(Some(
                    e.field_errors()
                        .into_iter()
                        .next()
                        .map(|f| f.message)
                        .unwrap_or_else(|| crate::components::error::describe(i18n, &e)),
                )),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="form note-form" on:submit=submit data-test="note-form">
            <label>
                <span>{i18n.t(Msg::AddNote)}</span>
                <textarea name="note" rows="2" maxlength=MAX_NOTE
                    aria-invalid=move || error.with(|e| e.is_some()).then_some("true")
                    prop:value=move || text.get()
                    on:input=move |ev| { text.set(event_target_value(&ev)); error.set(None); }></textarea>
            </label>
            <p class="hint" data-test="note-count">{move || format!("{} / {MAX_NOTE}", count())}</p>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" data-test="note-error">{e}</p> })}
            <button type="submit" data-test="add-note"
                disabled=move || busy.get() || text.with(|t| t.trim().is_empty())>
                {i18n.t(Msg::AddNoteButton)}
            </button>
        </form>
    }
}

pub fn kind_name(kind: &EventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// Said the same on the lead page and the deal page: every event but those
/// that name stages, with `user`'s and `requirement`'s names for ids and keys.
pub fn describe_common(
    i18n: I18n,
    kind: &EventKind,
    user: impl Fn(&str) -> String,
    requirement: impl Fn(&str) -> String,
) -> Option<String> {
    let t = |m| i18n.t(m).to_string();
    Some(match kind {
        EventKind::FieldSet { key, .. } => format!("{} · {}", t(Msg::EvFieldSet), requirement(key)),
        EventKind::FieldCleared { key } => {
            format!("{} · {}", t(Msg::EvFieldCleared), requirement(key))
        }
        EventKind::TaskChanged { key, done, .. } => format!(
            "{} · {}",
            t(if *done {
                Msg::EvTaskDone
            } else {
                Msg::EvTaskUndone
            }),
            requirement(key)
        ),
        EventKind::Converted { .. } => t(Msg::EvConverted),
        EventKind::Disqualified { reason } => format!("{} · {reason}", t(Msg::EvDisqualified)),
        EventKind::Updated { changes } => format!("{} · {}", t(Msg::EvUpdated), changes.join(", ")),
        EventKind::Reopened { reason, .. } | EventKind::LeadReopened { reason } => {
            format!("{} · {reason}", t(Msg::EvReopened))
        }
        EventKind::NoteAdded { text } => format!("{} · {text}", t(Msg::EvNote)),
        EventKind::OwnerChanged { from, to } => {
            format!("{} · {} → {}", t(Msg::EvOwnerChanged), user(from), user(to))
        }
        _ => return None,
    })
}

/// A requirement's label from its key (a field, task or approval).
pub fn requirement_name(i18n: I18n, p: &shared::Pipeline, k: &str) -> String {
    p.find_field(k)
        .map(|(_, f)| loc(i18n, &f.label))
        .or_else(|| p.find_task(k).map(|(_, t)| loc(i18n, &t.label)))
        .or_else(|| p.find_process(k).map(|(_, a)| loc(i18n, &a.label)))
        .unwrap_or_else(|| k.to_string())
}
