//! `/admin/pipelines/:id`: the stage framework editor. The stage list
//! (reorder by drag, by Alt+↑/↓ or by its buttons), the chosen stage with
//! its markers and numbers and its four framework rows (必填内容 / 必做之事 /
//! 相关流程 / 涉及人员), each item scoped to grades A–E; every problem shown
//! at its input as typed (the shared check, the server's own); the draft's
//! impact on open deals asked as the admin edits; save, and on a 409 what
//! the other admin changed, the draft kept.

use super::admin_config::in_the_way;
use super::admin_config::{Tx, use_tx};
use super::admin_form::{
    Doc, Input, checkbox, grades, id_of, input, localized, problem_list, select,
};
use crate::api;
use crate::components::asker::Asker;
use crate::components::error::{ErrorView, describe};
use crate::components::fetched::{Fetched, load};
use crate::components::loading::Loading;
use crate::components::saver::Saver;
use crate::framework::{self, PREVIEW_DEBOUNCE, Row, StageChange};
use crate::i18n::{AdminMsg, I18n, Msg, use_i18n};
use leptos::prelude::*;
use serde_json::{Value, json};
use shared::impact::PipelinePreview;
use shared::pipeline::{Pipeline, TeamRole};
use shared::user::Role;
use std::sync::Arc;

#[component]
pub fn PipelineEditor(id: String) -> impl IntoView {
    let tx = use_tx();
    let (state, reload) = load(move || {
        let id = id.clone();
        async move {
            let pipeline = api::admin_pipeline(&id).await?;
            let roles = api::team_roles().await?.roles;
            Ok((pipeline, Arc::new(roles)))
        }
    });
    view! {
        <section class="page pipeline-editor">
            <p><a href="/admin/pipelines">"← "{tx.t(AdminMsg::PipelinesTitle)}</a></p>
            <Fetched state reload view=|(pipeline, roles)| view! { <Editor pipeline roles /> } />
        </section>
    }
}

fn doc_of(p: &Pipeline) -> Value {
    // Through the text, as `shared::draft` reads it back: one set of
    // (de)serialisers in the wasm, not two.
    serde_json::to_string(p)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// Where a problem's path points, in words: the stage's number and name.
fn place(i18n: I18n, doc: &Value, path: &str) -> String {
    match framework::stage_of(path) {
        Some(i) => {
            let name = framework::text(doc, &format!("stages[{i}].name.{}", i18n.current().tag()));
            format!("{} {} {name}", i18n.t(Msg::Stage), i + 1)
        }
        None => path.to_string(),
    }
}

#[component]
fn Editor(pipeline: Pipeline, roles: Arc<Vec<TeamRole>>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let id = pipeline.id.to_string();
    let check = {
        let roles = roles.clone();
        move |d: &Value| {
            shared::draft::parse_pipeline(d, &roles)
                .err()
                .unwrap_or_default()
        }
    };
    let doc = Doc::new(doc_of(&pipeline), check);
    let saver = Saver::new(pipeline);
    let count = Memo::new(move |_| doc.draft.with(|d| framework::len(d, "stages")));
    let selected = RwSignal::new(1_usize);
    let dirty = Memo::new(move |_| saver.record.with(|b| doc.draft.with(|d| *d != doc_of(b))));
    let conflict = RwSignal::new(None::<(u32, Vec<StageChange>)>);
    let saved = RwSignal::new(None::<u32>);

    // Keep the selection on a stage that exists.
    Effect::new(move |_| {
        let n = count.get();
        if n > 0 && selected.get_untracked() >= n {
            selected.set(n - 1);
        }
    });

    let save = {
        let id = id.clone();
        move |_| {
            if doc.issues.with_untracked(|i| !i.is_empty()) {
                return;
            }
            let body = doc.draft.get_untracked();
            let id = id.clone();
            saved.set(None);
            saver.start(
                Box::pin(async move { api::update_pipeline(&id, &body).await }),
                move |fresh: &Pipeline, stale| {
                    if stale {
                        let changes = saver
                            .record
                            .with_untracked(|base| framework::changes_between(base, fresh));
                        conflict.set(Some((fresh.version, changes)));
                        doc.edit(|d| d["version"] = json!(fresh.version));
                    } else {
                        conflict.set(None);
                        saved.set(Some(fresh.version));
                        doc.draft.set(doc_of(fresh));
                    }
                },
            );
        }
    };
    Effect::new(move |_| {
        if let Some(e) = saver.error.get() {
            doc.server.set(e.field_errors());
        }
    });
    let discard = move |_| {
        if crate::components::ui::confirm(&tx.t(AdminMsg::ConfirmDiscard)) {
            conflict.set(None);
            saver.error.set(None);
            doc.draft.set(saver.record.with_untracked(doc_of));
        }
    };

    let pick = Callback::new(move |path: String| {
        if let Some(i) = framework::stage_of(&path) {
            selected.set(i);
        }
        // The editor of that stage is drawn now; then its input takes focus.
        let target = id_of(&path);
        request_animation_frame(move || focus(&target));
    });
    let head = move || {
        saver.record.with(|p| {
            view! {
                <h1>{p.name.get(i18n.current()).to_string()}</h1>
                <p class="muted" data-test="pipeline-version" data-version=p.version>
                    <code>{p.id.to_string()}</code>" · "{tx.t(AdminMsg::Version)}" "{p.version}" · "
                    <a href=format!("/admin/pipelines/{}/tracks", p.id)>{tx.t(AdminMsg::Walkthrough)}</a>
                </p>
            }
        })
    };
    let conflict_view = move || {
        conflict.get().map(|(v, changes)| {
            let items = changes
                .into_iter()
                .map(|c| {
                    let (what, s) = match c {
                        StageChange::Added(s) => (AdminMsg::ChAdded, s),
                        StageChange::Removed(s) => (AdminMsg::ChRemoved, s),
                        StageChange::Edited(s) => (AdminMsg::ChEdited, s),
                        StageChange::Moved(s) => (AdminMsg::ChMoved, s),
                    };
                    view! { <li>{s.name.get(i18n.current()).to_string()}": "{tx.t(what)}</li> }
                })
                .collect_view();
            view! {
                <div class="notice" role="alert" data-test="conflict">
                    <p>{tx.t(AdminMsg::PipelineConflict).replace("{v}", &v.to_string())}</p>
                    <ul>{items}</ul>
                    <p>{tx.t(AdminMsg::SaveOverHint)}</p>
                </div>
            }
        })
    };
    let describe_place = move |path: &str| doc.draft.with_untracked(|d| place(i18n, d, path));
    view! {
        {head}
        {conflict_view}
        {move || saved.get().map(|v| view! { <p class="notice" role="status" data-test="saved">{tx.t(AdminMsg::SavedVersion).replace("{v}", &v.to_string())}</p> })}
        <div class="card pipeline-name">
            {localized(doc, "name".into(), tx.t(AdminMsg::Name).to_string(), false)}
        </div>
        {problem_list(doc, describe_place, Some(pick))}
        {move || saver.error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! {
            <div class="form-error" role="alert" data-test="save-error">
                <p>{describe(i18n, &e)}</p>
                {in_the_way(&e)}
            </div>
        })}
        <div class="row sticky-actions">
            <button type="button" class="primary" data-test="save-pipeline" on:click=save
                disabled=move || saver.busy.get() || !dirty.get() || doc.issues.with(|i| !i.is_empty())>
                {tx.t(AdminMsg::SavePipeline)}
            </button>
            <button type="button" data-test="discard" on:click=discard disabled=move || !dirty.get()>
                {tx.t(AdminMsg::Discard)}
            </button>
            {move || dirty.get().then(|| view! { <span class="muted" data-test="unsaved">{i18n.t(Msg::UnsavedChanges)}</span> })}
        </div>
        <div class="framework">
            <StageList doc count selected />
            {move || {
                let i = selected.get();
                (i < count.get()).then(|| view! { <StageEditor doc i roles=roles.clone() /> })
            }}
        </div>
        <PreviewPanel id doc dirty />
    }
}

fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// The stages in order: pick one to edit; move by drag, by Alt+↑/↓ or by
/// the buttons; add one (before the final stage); remove one.
#[component]
fn StageList(doc: Doc, count: Memo<usize>, selected: RwSignal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let dragging = StoredValue::new(None::<usize>);
    let move_stage = move |from: usize, to: usize| {
        if from == to {
            return;
        }
        let mut moved = false;
        doc.edit(|d| moved = framework::move_item(d, "stages", from, to));
        if moved {
            let s = selected.get_untracked();
            selected.set(if s == from {
                to
            } else if from < s && s <= to {
                s - 1
            } else if to <= s && s < from {
                s + 1
            } else {
                s
            });
        }
    };
    let items = move || {
        (0..count.get())
            .map(|i| {
                let name = move || {
                    let name = doc.text(&format!("stages[{i}].name.{}", i18n.current().tag()));
                    if name.trim().is_empty() {
                        doc.text(&format!("stages[{i}].key"))
                    } else {
                        name
                    }
                };
                let faulty = move || doc.issues.with(|is| framework::any_under(is, &format!("stages[{i}]")));
                let on_key = move |ev: leptos::ev::KeyboardEvent| {
                    if !ev.alt_key() {
                        return;
                    }
                    let n = count.get_untracked();
                    let to = match ev.key().as_str() {
                        "ArrowUp" if i > 0 => i - 1,
                        "ArrowDown" if i + 1 < n => i + 1,
                        _ => return,
                    };
                    ev.prevent_default();
                    move_stage(i, to);
                    focus(&format!("stage-pick-{to}"));
                };
                view! {
                    <li class="stage-item" draggable="true" data-test="stage-item" data-index=i
                        class:selected=move || selected.get() == i class:has-problem=faulty
                        on:dragstart=move |ev: leptos::ev::DragEvent| {
                            dragging.set_value(Some(i));
                            if let Some(dt) = ev.data_transfer() {
                                let _ = dt.set_data("text/plain", &i.to_string());
                            }
                        }
                        on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                        on:drop=move |ev: leptos::ev::DragEvent| {
                            ev.prevent_default();
                            if let Some(from) = dragging.get_value() {
                                dragging.set_value(None);
                                move_stage(from, i);
                            }
                        }>
                        <span class="drag-handle" aria-hidden="true">"⋮⋮"</span>
                        <button type="button" class="stage-pick" id=format!("stage-pick-{i}")
                            aria-current=move || (selected.get() == i).then_some("step")
                            on:click=move |_| selected.set(i) on:keydown=on_key>
                            {i + 1}". "{name}
                            {move || faulty().then(|| view! { <span class="problem-mark" aria-label=i18n.t(Msg::Blocked)>" !"</span> })}
                        </button>
                        <button type="button" class="icon" title=tx.t(AdminMsg::MoveUp) aria-label=tx.t(AdminMsg::MoveUp)
                            disabled=i == 0 on:click=move |_| move_stage(i, i - 1)>"↑"</button>
                        <button type="button" class="icon" title=tx.t(AdminMsg::MoveDown) aria-label=tx.t(AdminMsg::MoveDown)
                            disabled=move || { i + 1 >= count.get() } on:click=move |_| move_stage(i, i + 1)>"↓"</button>
                    </li>
                }
            })
            .collect_view()
    };
    let add = move |_| {
        let mut at = 0;
        doc.edit(|d| {
            let stage = framework::new_stage(d);
            at = framework::len(d, "stages").saturating_sub(1);
            framework::insert(d, "stages", at, stage);
        });
        selected.set(at);
    };
    view! {
        <nav class="card stage-list" aria-label=tx.t(AdminMsg::Stages)>
            <h2>{tx.t(AdminMsg::Stages)}</h2>
            <p class="muted">{tx.t(AdminMsg::ReorderHint)}</p>
            <ol data-test="stage-list">{items}</ol>
            <button type="button" data-test="add-stage" on:click=add>{tx.t(AdminMsg::AddStage)}</button>
        </nav>
    }
}

fn kind_choices(tx: Tx) -> Vec<(String, String)> {
    [
        ("text", AdminMsg::KindText),
        ("long_text", AdminMsg::KindLongText),
        ("money", AdminMsg::KindMoney),
        ("date", AdminMsg::KindDate),
        ("select", AdminMsg::KindSelect),
        ("bool", AdminMsg::KindBool),
        ("user", AdminMsg::KindUser),
        ("url", AdminMsg::KindUrl),
    ]
    .into_iter()
    .map(|(v, m)| (v.to_string(), tx.t(m)))
    .collect()
}

fn string_value(v: &str) -> Value {
    json!(v)
}

fn string_of(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_string()
}

/// `{"role": "manager"}` ↔ `role:manager`, `{"team_role": "legal"}` ↔ `team_role:legal`.
fn approver_value(v: &str) -> Value {
    match v.split_once(':') {
        Some((kind, key)) => json!({ kind: key }),
        None => Value::Null,
    }
}

fn approver_of(v: Option<&Value>) -> String {
    v.and_then(Value::as_object)
        .and_then(|o| o.iter().next())
        .map(|(k, v)| format!("{k}:{}", v.as_str().unwrap_or_default()))
        .unwrap_or_default()
}

fn role_name(i18n: I18n, roles: &[TeamRole], key: &str) -> String {
    roles.iter().find(|r| r.key == key).map_or_else(
        || key.to_string(),
        |r| r.name.get(i18n.current()).to_string(),
    )
}

/// Stage `i`: its key, texts, numbers, and its four rows.
#[component]
fn StageEditor(doc: Doc, i: usize, roles: Arc<Vec<TeamRole>>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let at = format!("stages[{i}]");
    let remove = move |_| {
        if crate::components::ui::confirm(&tx.t(AdminMsg::ConfirmRemoveStage)) {
            doc.edit(|d| framework::remove(d, "stages", i));
        }
    };
    let rows = Row::ALL
        .into_iter()
        .filter(|r| i > 0 || matches!(r, Row::Fields | Row::Tasks))
        .map(|row| view! { <RowEditor doc stage=i row roles=roles.clone() /> })
        .collect_view();
    view! {
        <section class="card stage-editor" data-test="stage-editor" data-index=i>
            <div class="row spread">
                <h2>{i18n.t(Msg::Stage)}" "{i + 1}</h2>
                <button type="button" class="danger" data-test="remove-stage" on:click=remove>
                    {tx.t(AdminMsg::Remove)}
                </button>
            </div>
            <div class="grid">
                {input(doc, format!("{at}.key"), format!("{} ({})", tx.t(AdminMsg::Key), tx.t(AdminMsg::KeyHint)), Input::Text)}
                {input(doc, format!("{at}.probability"), tx.t(AdminMsg::Probability).to_string(), Input::Number)}
                {input(doc, format!("{at}.max_days"), tx.t(AdminMsg::MaxDays).to_string(), Input::Number)}
                {checkbox(doc, format!("{at}.skippable"), tx.t(AdminMsg::Skippable).to_string())}
            </div>
            {localized(doc, format!("{at}.name"), tx.t(AdminMsg::StageName).to_string(), false)}
            {localized(doc, format!("{at}.entry"), super::admin_form::bare(i18n, Msg::Entry), true)}
            {localized(doc, format!("{at}.exit"), super::admin_form::bare(i18n, Msg::Exit), true)}
            {(i == 0).then(|| view! { <p class="muted">{tx.t(AdminMsg::FirstStageNote)}</p> })}
            {rows}
        </section>
    }
}

/// One framework row of stage `stage`: its items, each removable, and a
/// way to add one.
#[component]
fn RowEditor(doc: Doc, stage: usize, row: Row, roles: Arc<Vec<TeamRole>>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let list = format!("stages[{stage}].{}", row.list());
    let title = tx.t(match row {
        Row::Fields => AdminMsg::RowFields,
        Row::Tasks => AdminMsg::RowTasks,
        Row::Processes => AdminMsg::RowProcesses,
        Row::Roles => AdminMsg::RowRoles,
    });
    let count = {
        let list = list.clone();
        Memo::new(move |_| doc.draft.with(|d| framework::len(d, &list)))
    };
    let items = {
        let list = list.clone();
        let roles = roles.clone();
        move || {
            (0..count.get())
                .map(|j| item_editor(doc, (i18n, tx), &list, j, row, &roles))
                .collect_view()
        }
    };
    let add = {
        let list = list.clone();
        let first_role = roles.first().map(|r| r.key.to_string()).unwrap_or_default();
        move |_| {
            doc.edit(|d| {
                let n = framework::len(d, &list);
                let item = framework::new_item(d, row, &first_role);
                framework::insert(d, &list, n, item);
            });
        }
    };
    let error_id = format!("{}-error", id_of(&list));
    let problem = {
        let list = list.clone();
        move || doc.problem(i18n, &list)
    };
    view! {
        <fieldset class="framework-row" data-test=format!("row-{}", row.list())>
            <legend>{title}</legend>
            <ul class="items">{items}</ul>
            <small class="field-error" id=error_id>{problem}</small>
            <button type="button" data-test=format!("add-{}", row.list()) on:click=add>
                "+ "{tx.t(AdminMsg::AddItem)}
            </button>
        </fieldset>
    }
}

fn item_editor(
    doc: Doc,
    (i18n, tx): (I18n, Tx),
    list: &str,
    j: usize,
    row: Row,
    roles: &[TeamRole],
) -> impl IntoView + use<> {
    let at = format!("{list}[{j}]");
    let list = list.to_string();
    let remove = move |_| doc.edit(|d| framework::remove(d, &list, j));
    let key_label = format!("{} ({})", tx.t(AdminMsg::Key), tx.t(AdminMsg::KeyHint));
    let role_choices: Vec<(String, String)> = roles
        .iter()
        .map(|r| (r.key.to_string(), role_name(i18n, roles, r.key.as_str())))
        .collect();
    let body = match row {
        Row::Fields => {
            let kind_path = format!("{at}.kind");
            let is_select = Memo::new(move |_| doc.text(&kind_path) == "select");
            let options_path = format!("{at}.options");
            let options = move || {
                is_select.get().then(|| {
                    let p = options_path.clone();
                    let p2 = options_path.clone();
                    let p3 = options_path.clone();
                    let error_id = format!("{}-error", id_of(&p));
                    view! {
                        <label class="field">
                            <span>{tx.t(AdminMsg::Options)}</span>
                            <textarea id=id_of(&p) rows="3" data-path=p.clone()
                                prop:value=move || doc.draft.with(|d| framework::options_as_lines(d, &p))
                                aria-describedby=error_id.clone()
                                on:change=move |ev| doc.set(&p2, framework::options_from_lines(&event_target_value(&ev))) />
                            <small class="field-error" id=error_id>{move || doc.problem(i18n, &p3)}</small>
                        </label>
                    }
                })
            };
            view! {
                {input(doc, format!("{at}.key"), key_label, Input::Text)}
                {localized(doc, format!("{at}.label"), tx.t(AdminMsg::Label).to_string(), false)}
                {select(doc, format!("{at}.kind"), tx.t(AdminMsg::Kind).to_string(), kind_choices(tx), string_value, string_of)}
                {options}
            }
            .into_any()
        }
        Row::Tasks => view! {
            {input(doc, format!("{at}.key"), key_label, Input::Text)}
            {localized(doc, format!("{at}.label"), tx.t(AdminMsg::Label).to_string(), false)}
            {localized(doc, format!("{at}.description"), tx.t(AdminMsg::Description).to_string(), true)}
        }
        .into_any(),
        Row::Processes => {
            let mut choices = vec![
                ("role:manager".to_string(), crate::components::ui::role_label(i18n, Role::Manager).to_string()),
                ("role:admin".to_string(), crate::components::ui::role_label(i18n, Role::Admin).to_string()),
            ];
            choices.extend(role_choices.into_iter().map(|(k, n)| (format!("team_role:{k}"), n)));
            view! {
                {input(doc, format!("{at}.key"), key_label, Input::Text)}
                {localized(doc, format!("{at}.label"), tx.t(AdminMsg::Label).to_string(), false)}
                {select(doc, format!("{at}.approver"), i18n.t(Msg::Approver).to_string(), choices, approver_value, approver_of)}
            }
            .into_any()
        }
        Row::Roles => view! {
            {select(doc, format!("{at}.role"), tx.t(AdminMsg::Roles).to_string(), role_choices, string_value, string_of)}
        }
        .into_any(),
    };
    let key_path = format!("{at}.{}", row.key_member());
    view! {
        <li class="item" data-test="item" data-key=move || doc.text(&key_path)>
            <div class="grid">{body}</div>
            {grades(doc, format!("{at}.grades"))}
            <button type="button" class="link" data-test="remove-item" on:click=remove>{tx.t(AdminMsg::Remove)}</button>
        </li>
    }
}

/// The draft's impact on the pipeline's open deals, asked a moment after
/// the admin stops editing, while the draft has no problems.
#[component]
fn PreviewPanel(id: String, doc: Doc, dirty: Memo<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let preview = Asker::new(move |draft: Value| {
        let id = id.clone();
        async move { api::pipeline_preview(&id, &draft).await }
    });
    Effect::new(move |_| {
        let draft = doc.draft.get();
        if doc.issues.with(Vec::is_empty) && dirty.get() {
            preview.ask(draft, Some(PREVIEW_DEBOUNCE));
        } else {
            preview.forget();
            preview.shown.set(None);
        }
    });
    let pending = preview.pending;
    let body = move || {
        if !dirty.get() {
            return view! { <p class="muted">{tx.t(AdminMsg::NothingToPreview)}</p> }.into_any();
        }
        if doc.issues.with(|i| !i.is_empty()) {
            return view! { <p class="muted" data-test="preview-invalid">{tx.t(AdminMsg::FixToPreview)}</p> }.into_any();
        }
        if let Some(e) = preview.error.get() {
            let retry = Callback::new(move |()| preview.ask(doc.draft.get_untracked(), None));
            return view! { <ErrorView error=e retry /> }.into_any();
        }
        match preview.shown.get() {
            None => view! { <Loading /> }.into_any(),
            Some((_, p)) => impact((i18n, tx), p).into_any(),
        }
    };
    view! {
        <section class="card impact" data-test="pipeline-preview" aria-live="polite"
            aria-busy=move || pending.get().to_string()>
            <h2>{tx.t(AdminMsg::Impact)}</h2>
            {body}
        </section>
    }
}

fn impact((i18n, tx): (I18n, Tx), p: PipelinePreview) -> impl IntoView {
    let checked = tx
        .t(AdminMsg::DealsChecked)
        .replace("{n}", &p.open_deals.to_string());
    if p.changes.is_empty() {
        let text = if p.open_deals == 0 {
            AdminMsg::NoOpenDeals
        } else {
            AdminMsg::NoImpact
        };
        return view! {
            <p class="muted">{checked}</p>
            <p class="empty" data-test="no-impact">{tx.t(text)}</p>
        }
        .into_any();
    }
    let blockers = |list: &[shared::Blocker]| {
        list.iter()
            .map(|b| b.message.get(i18n.current()).to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let rows = p
        .changes
        .iter()
        .map(|c| {
            let position = match c.position_to {
                None => tx.t(AdminMsg::StageGone).to_string(),
                Some(to) if to != c.position_from => tx.t(AdminMsg::PositionMoves)
                    .replace("{from}", &c.position_from.to_string())
                    .replace("{to}", &to.to_string()),
                Some(_) => String::new(),
            };
            view! {
                <tr data-test="deal-impact" data-id=c.opportunity_id.clone()>
                    <td><a href=format!("/opportunities/{}", c.opportunity_id)>{c.name.clone()}</a></td>
                    <td><code>{c.stage.clone()}</code>" "{position}</td>
                    <td class="blocked-mark" data-test="gained">{blockers(&c.gained)}</td>
                    <td data-test="lifted">{blockers(&c.lifted)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted">{checked}" · "{tx.t(AdminMsg::DealsAffected).replace("{n}", &p.changes.len().to_string())}</p>
        <div class="table-wrap">
            <table class="list">
                <thead><tr>
                    <th>{i18n.t(Msg::DealName)}</th><th>{i18n.t(Msg::Stage)}</th>
                    <th>{tx.t(AdminMsg::Gains)}</th><th>{tx.t(AdminMsg::Lifts)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
