//! The inputs of the admin's configuration pages: each edits one path of a
//! JSON draft (`stages[2].name.en`) and shows the problem found there, by
//! the shared check as typed or by the server's last 422 (same paths).

use super::admin_config::use_tx;
use crate::framework;
use crate::i18n::{AdminMsg, I18n, use_i18n};
use leptos::prelude::*;
use serde_json::{Value, json};
use shared::Grade;
use shared::api::FieldError;
use shared::validate::FieldIssue;

/// A draft being edited, its problems as typed, and the server's last ones.
#[derive(Clone, Copy)]
pub struct Doc {
    pub draft: RwSignal<Value>,
    pub issues: Memo<Vec<FieldIssue>>,
    pub server: RwSignal<Vec<FieldError>>,
}

impl Doc {
    /// A draft of `value`, checked by `check` on every change.
    pub fn new(
        value: Value,
        check: impl Fn(&Value) -> Vec<FieldIssue> + Send + Sync + 'static,
    ) -> Doc {
        let draft = RwSignal::new(value);
        Doc {
            draft,
            issues: Memo::new(move |_| draft.with(|d| check(d))),
            server: RwSignal::new(Vec::new()),
        }
    }

    /// The problem at exactly `path`, in the current language.
    pub fn problem(self, i18n: I18n, path: &str) -> Option<String> {
        let typed = self.issues.with(|is| {
            framework::issues_at(is, path)
                .first()
                .map(|i| i.message.get(i18n.current()).to_string())
        });
        typed.or_else(|| {
            self.server.with(|es| {
                es.iter()
                    .find(|e| e.field == path)
                    .map(|e| e.message.clone())
            })
        })
    }

    pub fn text(self, path: &str) -> String {
        self.draft.with(|d| framework::text(d, path))
    }

    /// Any edit: the server's problems were about the document before it.
    pub fn edit(self, change: impl FnOnce(&mut Value)) {
        self.draft.update(change);
        if self.server.with_untracked(|s| !s.is_empty()) {
            self.server.set(Vec::new());
        }
    }

    pub fn set(self, path: &str, value: Value) {
        self.edit(|d| {
            framework::set(d, path, value);
        });
    }
}

/// A label of the main table without its trailing colon ("Entry:" as a
/// field's name).
pub fn bare(i18n: I18n, msg: crate::i18n::Msg) -> String {
    i18n.t(msg).trim_end_matches([':', '：']).to_string()
}

/// An element id for the input at `path`.
pub fn id_of(path: &str) -> String {
    let mut id = String::from("f-");
    id.extend(path.chars().map(|c| match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' => c,
        _ => '-',
    }));
    id
}

/// The problem line under an input (always there, so it is announced).
fn problem_line(doc: Doc, i18n: I18n, path: String, id: String) -> impl IntoView {
    view! { <small class="field-error" id=id>{move || doc.problem(i18n, &path)}</small> }
}

/// How an input's typed text becomes the draft's value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Number,
    LongText,
}

/// One labelled input at `path`.
pub fn input(doc: Doc, path: String, label: String, kind: Input) -> impl IntoView {
    let i18n = use_i18n();
    let id = id_of(&path);
    let error_id = format!("{id}-error");
    let (p1, p2, p3) = (path.clone(), path.clone(), path.clone());
    let value = move || doc.text(&p1);
    let invalid = move || doc.problem(i18n, &p2).is_some().to_string();
    let on_input = move |ev| {
        let typed = event_target_value(&ev);
        let v = match kind {
            Input::Number => framework::number_or_text(&typed),
            _ => json!(typed),
        };
        doc.set(&p3, v);
    };
    let control = match kind {
        Input::LongText => view! {
            <textarea id=id.clone() data-path=path.clone() rows="2" prop:value=value
                aria-invalid=invalid aria-describedby=error_id.clone() on:input=on_input />
        }
        .into_any(),
        _ => view! {
            <input id=id.clone() data-path=path.clone() autocomplete="off"
                inputmode=if kind == Input::Number { "numeric" } else { "text" }
                prop:value=value aria-invalid=invalid aria-describedby=error_id.clone()
                on:input=on_input />
        }
        .into_any(),
    };
    view! {
        <label class="field">
            <span>{label}</span>
            {control}
            {problem_line(doc, i18n, path, error_id)}
        </label>
    }
}

/// A text in both languages at `path` (`path.zh-CN`, `path.en`), with the
/// problem of the pair (`missing_text` names `path`) under both.
pub fn localized(doc: Doc, path: String, label: String, long: bool) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let kind = if long { Input::LongText } else { Input::Text };
    let zh = input(
        doc,
        format!("{path}.zh-CN"),
        format!("{label} · {}", tx.t(AdminMsg::TextZh)),
        kind,
    );
    let en = input(
        doc,
        format!("{path}.en"),
        format!("{label} · {}", tx.t(AdminMsg::TextEn)),
        kind,
    );
    let error_id = format!("{}-error", id_of(&path));
    let data_path = path.clone();
    view! {
        <div class="pair" data-path=data_path>
            {zh}{en}
            {problem_line(doc, i18n, path, error_id)}
        </div>
    }
}

/// A check box at `path`.
pub fn checkbox(doc: Doc, path: String, label: String) -> impl IntoView {
    let p = path.clone();
    let checked = move || {
        doc.draft
            .with(|d| framework::get(d, &p) == Some(&json!(true)))
    };
    view! {
        <label class="check">
            <input type="checkbox" data-path=path.clone() prop:checked=checked
                on:change=move |ev| doc.set(&path, json!(event_target_checked(&ev))) />
            <span>{label}</span>
        </label>
    }
}

/// A choice at `path` among `(value, label)`.
pub fn select(
    doc: Doc,
    path: String,
    label: String,
    choices: Vec<(String, String)>,
    to_value: fn(&str) -> Value,
    of_value: fn(Option<&Value>) -> String,
) -> impl IntoView {
    let i18n = use_i18n();
    let error_id = format!("{}-error", id_of(&path));
    let options = choices
        .into_iter()
        .map(|(v, l)| {
            let (v2, p) = (v.clone(), path.clone());
            let chosen = move || doc.draft.with(|d| of_value(framework::get(d, &p))) == v2;
            view! { <option value=v selected=chosen>{l}</option> }
        })
        .collect_view();
    let p2 = path.clone();
    view! {
        <label class="field">
            <span>{label}</span>
            <select data-path=path.clone() aria-describedby=error_id.clone()
                on:change=move |ev| doc.set(&p2, to_value(&event_target_value(&ev)))>
                {options}
            </select>
            {problem_line(doc, i18n, path, error_id)}
        </label>
    }
}

/// Grade toggles A–E at `path` (a list of grades), each a pressed button.
pub fn grades(doc: Doc, path: String) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let error_id = format!("{}-error", id_of(&path));
    let buttons = Grade::ALL
        .into_iter()
        .map(|g| {
            let (p1, p2) = (path.clone(), path.clone());
            let on = move || doc.draft.with(|d| framework::grades_at(d, &p1).contains(&g));
            view! {
                <button type="button" class=format!("grade-toggle grade-{}", g.as_str().to_ascii_lowercase())
                    data-grade=g.as_str() aria-pressed=move || on().to_string()
                    on:click=move |_| doc.edit(|d| framework::toggle_grade(d, &p2, g))>
                    {g.as_str()}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="field">
            <span>{tx.t(AdminMsg::Grades)}</span>
            <div class="toggles" role="group" aria-label=tx.t(AdminMsg::Grades) data-path=path.clone()
                aria-describedby=error_id.clone()>
                {buttons}
            </div>
            {problem_line(doc, i18n, path, error_id)}
        </div>
    }
}

/// Every problem of the draft, as a list to work through (some have no
/// input of their own, e.g. "stage 1 holds only fields and tasks").
/// With `pick`, each problem is a button that takes the admin to it.
pub fn problem_list(
    doc: Doc,
    describe: impl Fn(&str) -> String + Send + Sync + 'static,
    pick: Option<Callback<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    move || {
        let issues = doc.issues.get();
        let server = doc.server.get();
        if issues.is_empty() && server.is_empty() {
            return None;
        }
        let n = issues.len() + server.len();
        let rows = issues
            .iter()
            .map(|i| (i.field.clone(), i.message.get(i18n.current()).to_string()))
            .chain(server.iter().map(|e| (e.field.clone(), e.message.clone())))
            .map(|(field, message)| {
                let at = describe(&field);
                let text = format!("{at}: {message}");
                match pick {
                    Some(pick) => {
                        let f = field.clone();
                        view! {
                            <li data-test="problem" data-path=field>
                                <button type="button" class="link" on:click=move |_| pick.run(f.clone())>{text}</button>
                            </li>
                        }
                        .into_any()
                    }
                    None => view! { <li data-test="problem" data-path=field>{text}</li> }.into_any(),
                }
            })
            .collect_view();
        Some(view! {
            <div class="form-error" role="alert" data-test="problems">
                <p>{tx.t(AdminMsg::Problems).replace("{n}", &n.to_string())}</p>
                <ul>{rows}</ul>
            </div>
        })
    }
}
