//! The admin's configuration pages besides users and thresholds, one lazily
//! loaded chunk (one route, `/admin/*`): `/admin/pipelines` (the pipelines,
//! a new one, the deal-team roles and the registration protection),
//! `/admin/pipelines/:id` (the stage framework editor),
//! `/admin/pipelines/:id/tracks` (how each grade walks it) and
//! `/admin/audit`.

use super::admin_form::{Doc, Input, input, localized, problem_list};
use crate::api;
use crate::auth::use_auth;
use crate::components::error::describe;
use crate::components::fetched::{Fetched, load};
use crate::components::saver::Saver;
use crate::framework;
use crate::i18n::{AdminMsg, I18n, Lang, Msg, use_i18n};
use crate::router::{use_location, use_navigate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};
use shared::api::{NewPipeline, PipelineSummary, RegistrationAdmin, TeamRolesAdmin};
use shared::pipeline::Key;
use shared::user::Role;
use shared::{Localized, validate::FieldIssue};

/// The admin texts of these pages, loaded once (see `i18n::AdminMsg`).
#[derive(Clone, Copy)]
pub struct Tx {
    i18n: I18n,
    table: StoredValue<api::AdminTexts>,
}

impl Tx {
    pub fn t(self, msg: AdminMsg) -> String {
        let zh = self.i18n.current() == Lang::ZhCn;
        self.table.with_value(|t| {
            t.get(msg as usize)
                .map(|(z, e)| if zh { z.clone() } else { e.clone() })
                .unwrap_or_default()
        })
    }
}

pub fn use_tx() -> Tx {
    expect_context()
}

/// An admin page: only for admins, and drawn once the admin texts are
/// loaded (they are not in the wasm every visit downloads).
pub fn admin_page(page: fn() -> AnyView) -> impl IntoView {
    back_office_page(&[Role::Admin], Msg::AdminOnly, page)
}

/// A back-office page (admins', channel managers'): only for the holders of
/// `roles` (others read `forbidden`), drawn once the admin texts and styles
/// are loaded.
pub fn back_office_page(
    roles: &'static [Role],
    forbidden: Msg,
    page: fn() -> AnyView,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    move || {
        if !roles.iter().any(|r| auth.has(*r)) {
            return view! { <p class="card" data-test="forbidden">{i18n.t(forbidden)}</p> }
                .into_any();
        }
        let (texts, reload) = load(api::admin_texts);
        let pages = move |table: api::AdminTexts| {
            provide_context(Tx {
                i18n,
                table: StoredValue::new(table),
            });
            page()
        };
        // Their own stylesheet, beside the texts (not in the entry's css).
        let css = api::pkg_base()
            .map(|b| view! { <link rel="stylesheet" href=format!("{b}admin.css") /> });
        view! { {css} <Fetched state=texts reload view=pages /> }.into_any()
    }
}

#[component]
pub fn AdminConfig() -> impl IntoView {
    admin_page(|| view! { <AdminPages /> }.into_any())
}

/// The page the path names. The four screens share one chunk: measured with
/// `make size`, a split point per screen multiplies the shared chunks every
/// page loads (the deal page went from 90 to 159 modules and 13 KB more).
#[component]
fn AdminPages() -> impl IntoView {
    let location = use_location();
    move || {
        let path = location.pathname.get();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            ["admin", "pipelines"] => view! { <Pipelines /> }.into_any(),
            ["admin", "pipelines", id] => {
                let id = id.to_string();
                view! { <super::admin_pipeline::PipelineEditor id /> }.into_any()
            }
            ["admin", "pipelines", id, "tracks"] => {
                let id = id.to_string();
                view! { <super::admin_tracks::Walkthrough id /> }.into_any()
            }
            ["admin", "audit"] => view! { <super::admin_audit::Audit /> }.into_any(),
            _ => view! { <super::not_found::NotFound /> }.into_any(),
        }
    }
}

/// `/admin/pipelines`.
#[component]
fn Pipelines() -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let (list, reload) = load(api::admin_pipelines);
    let (roles, reload_roles) = load(api::team_roles);
    let (registration, reload_registration) = load(api::registration);
    let table = move |items: Vec<PipelineSummary>| {
        let rows = items
            .iter()
            .map(|p| {
                let href = format!("/admin/pipelines/{}", p.id);
                let tracks = format!("{href}/tracks");
                view! {
                    <tr data-test="pipeline-row" data-id=p.id.to_string()>
                        <td><a href=href>{p.name.get(i18n.current()).to_string()}</a></td>
                        <td><code>{p.id.to_string()}</code></td>
                        <td>{p.stages}</td>
                        <td>{p.version}</td>
                        <td><a href=tracks>{tx.t(AdminMsg::Walkthrough)}</a></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="list">
                    <thead><tr>
                        <th>{tx.t(AdminMsg::Name)}</th><th>{tx.t(AdminMsg::Key)}</th>
                        <th>{tx.t(AdminMsg::Stages)}</th><th>{tx.t(AdminMsg::Version)}</th><th></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <NewPipelineForm items />
        }
    };
    view! {
        <section class="page admin-pipelines">
            <h1>{tx.t(AdminMsg::PipelinesTitle)}</h1>
            <section class="card">
                <Fetched state=list reload view=table />
            </section>
            <section class="card" data-test="team-roles">
                <h2>{tx.t(AdminMsg::TeamRolesTitle)}</h2>
                <Fetched state=roles reload=reload_roles view=|r| view! { <TeamRoles current=r /> } />
            </section>
            <section class="card" data-test="registration">
                <h2>{tx.t(AdminMsg::RegistrationTitle)}</h2>
                <Fetched state=registration reload=reload_registration
                    view=|r| view! { <Protection current=r /> } />
            </section>
        </section>
    }
}

/// A new pipeline: its key, its name, and the pipeline to copy (or none).
#[component]
fn NewPipelineForm(items: Vec<PipelineSummary>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let navigate = use_navigate();
    let key = RwSignal::new(String::new());
    let zh = RwSignal::new(String::new());
    let en = RwSignal::new(String::new());
    let copy = RwSignal::new(items.first().map(|p| p.id.to_string()).unwrap_or_default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<api::ApiError>);
    let touched = RwSignal::new(false);
    let key_problem =
        move || (touched.get() && Key::parse(&key.get()).is_err()).then(|| tx.t(AdminMsg::KeyHint));
    let name_problem = move || {
        let name = Localized::new(zh.get(), en.get());
        (touched.get() && !name.is_complete())
            .then(|| {
                FieldIssue::new(
                    "name",
                    "",
                    "名称需要中文和英文",
                    "The name needs zh-CN and en text",
                )
            })
            .map(|i| i.message.get(i18n.current()).to_string())
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        let Ok(id) = Key::parse(key.get_untracked().trim()) else {
            return;
        };
        let name = Localized::new(zh.get_untracked().trim(), en.get_untracked().trim());
        if !name.is_complete() {
            return;
        }
        let copy_from = Key::parse(&copy.get_untracked()).ok();
        let new = NewPipeline {
            id,
            name,
            copy_from,
        };
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::create_pipeline(&new).await {
                Ok(p) => navigate(&format!("/admin/pipelines/{}", p.id), Default::default()),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let choices = items
        .iter()
        .map(|p| view! { <option value=p.id.to_string()>{p.name.get(i18n.current()).to_string()}</option> })
        .collect_view();
    let text_box = move |label: AdminMsg, signal: RwSignal<String>, test: &'static str| {
        view! {
            <label class="field">
                <span>{tx.t(label)}</span>
                <input data-test=test autocomplete="off" prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        <form class="form" data-test="new-pipeline" on:submit=submit novalidate>
            <h2>{tx.t(AdminMsg::NewPipeline)}</h2>
            <div class="grid">
                <label class="field">
                    <span>{tx.t(AdminMsg::Key)}" ("{tx.t(AdminMsg::KeyHint)}")"</span>
                    <input data-test="new-key" autocomplete="off" prop:value=move || key.get()
                        aria-invalid=move || key_problem().is_some().to_string()
                        on:input=move |ev| key.set(event_target_value(&ev)) />
                    <small class="field-error">{key_problem}</small>
                </label>
                {text_box(AdminMsg::NameZh, zh, "new-name-zh")}
                {text_box(AdminMsg::NameEn, en, "new-name-en")}
                <label class="field">
                    <span>{tx.t(AdminMsg::CopyFrom)}</span>
                    <select data-test="copy-from" on:change=move |ev| copy.set(event_target_value(&ev))>
                        {choices}
                        <option value="">{tx.t(AdminMsg::EmptyFrame)}</option>
                    </select>
                </label>
            </div>
            <small class="field-error">{name_problem}</small>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
            <div class="row">
                <button type="submit" class="primary" data-test="create-pipeline" disabled=move || busy.get()>
                    {i18n.t(Msg::Create)}
                </button>
            </div>
        </form>
    }
}

fn check_roles(doc: &Value) -> Vec<FieldIssue> {
    // Which roles the pipelines still need is the server's to say (it
    // answers `role_in_use` at `roles`).
    shared::draft::parse_team_roles(&doc["roles"], &[])
        .err()
        .unwrap_or_default()
}

/// The deal-team role list: key and name of each, add and remove; a role a
/// pipeline names or an open deal has staffed is refused by the server
/// (its answer is shown, the draft kept).
#[component]
fn TeamRoles(current: TeamRolesAdmin) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let as_doc = |r: &TeamRolesAdmin| json!({"roles": r.roles, "version": r.version});
    let doc = Doc::new(as_doc(&current), check_roles);
    let saver = Saver::new(current);
    let saved = RwSignal::new(false);
    let rows = move || {
        (0..doc.draft.with(|d| framework::len(d, "roles")))
            .map(|i| {
                let at = format!("roles[{i}]");
                view! {
                    <li class="role-row" data-test="role-row">
                        {input(doc, format!("{at}.key"), tx.t(AdminMsg::Key).to_string(), Input::Text)}
                        {localized(doc, format!("{at}.name"), tx.t(AdminMsg::Name).to_string(), false)}
                        <button type="button" class="link" data-test="remove-role"
                            on:click=move |_| doc.edit(|d| framework::remove(d, "roles", i))>
                            {tx.t(AdminMsg::Remove)}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let add = move |_| {
        doc.edit(|d| {
            let n = framework::len(d, "roles");
            let key = (1..)
                .map(|k| format!("role_{k}"))
                .find(|k| {
                    !d["roles"]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|r| r["key"] == *k))
                })
                .unwrap_or_default();
            framework::insert(
                d,
                "roles",
                n,
                json!({"key": key, "name": {"zh-CN": "", "en": ""}}),
            );
        });
    };
    let save = move |_| {
        let body = doc.draft.get_untracked();
        saved.set(false);
        saver.start(
            Box::pin(async move { api::update_team_roles(&body).await }),
            move |fresh: &TeamRolesAdmin, stale| {
                if !stale {
                    doc.draft.set(as_doc(fresh));
                    saved.set(true);
                } else {
                    doc.edit(|d| d["version"] = json!(fresh.version));
                }
            },
        );
    };
    Effect::new(move |_| {
        if let Some(e) = saver.error.get() {
            doc.server.set(e.field_errors());
        }
    });
    view! {
        {problem_list(doc, |f| f.to_string(), None)}
        {move || saver.conflict.get().then(|| view! { <p class="notice" role="alert">{tx.t(AdminMsg::SettingsConflict)}</p> })}
        <ul class="roles">{rows}</ul>
        {move || saver.error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! {
            <div class="form-error" role="alert">
                <p>{describe(i18n, &e)}</p>
                {in_the_way(&e)}
            </div>
        })}
        <div class="row">
            <button type="button" data-test="add-role" on:click=add>{tx.t(AdminMsg::AddRole)}</button>
            <button type="button" class="primary" data-test="save-roles" on:click=save
                disabled=move || saver.busy.get() || doc.issues.with(|i| !i.is_empty())>
                {tx.t(AdminMsg::Save)}
            </button>
            {move || saved.get().then(|| view! { <span role="status">{tx.t(AdminMsg::Saved)}</span> })}
        </div>
    }
}

/// The records a 409 says are in the way, each linking to its page.
pub fn in_the_way(e: &api::ApiError) -> Option<impl IntoView + use<>> {
    let tx = use_tx();
    let api::ApiError::Problem(p) = e else {
        return None;
    };
    let records = p.in_use.clone()?;
    let items = records
        .into_iter()
        .map(|r| {
            let href = if r.id.starts_with("l_") {
                format!("/leads/{}", r.id)
            } else {
                format!("/opportunities/{}", r.id)
            };
            view! { <li data-test="in-use"><a href=href>{r.name}</a>" · "<code>{r.key}</code></li> }
        })
        .collect_view();
    Some(view! { <p>{tx.t(AdminMsg::InTheWay)}</p><ul>{items}</ul> })
}

fn check_protection(doc: &Value) -> Vec<FieldIssue> {
    shared::registration::protection_days(doc.get("protection_days"))
        .err()
        .into_iter()
        .collect()
}

/// How long an approved registration protects its deal.
#[component]
fn Protection(current: RegistrationAdmin) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let as_doc =
        |r: &RegistrationAdmin| json!({"protection_days": r.protection_days, "version": r.version});
    let doc = Doc::new(as_doc(&current), check_protection);
    let saver = Saver::new(current);
    let saved = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if doc.issues.with_untracked(|i| !i.is_empty()) {
            return;
        }
        let body = doc.draft.get_untracked();
        saved.set(false);
        saver.start(
            Box::pin(async move { api::update_registration(&body).await }),
            move |fresh: &RegistrationAdmin, stale| {
                if stale {
                    // Keep what was typed; the next save is over the fresh version.
                    doc.edit(|d| d["version"] = json!(fresh.version));
                } else {
                    saved.set(true);
                    doc.draft.set(as_doc(fresh));
                }
            },
        );
    };
    Effect::new(move |_| {
        if let Some(e) = saver.error.get() {
            doc.server.set(e.field_errors());
        }
    });
    view! {
        <form class="form" on:submit=save novalidate>
            {input(doc, "protection_days".into(), tx.t(AdminMsg::ProtectionDays).to_string(), Input::Number)}
            {move || saver.conflict.get().then(|| view! { <p class="notice" role="alert">{tx.t(AdminMsg::SettingsConflict)}</p> })}
            {move || saver.error.get().filter(|e| e.field_errors().is_empty())
                .map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
            <div class="row">
                <button type="submit" class="primary" data-test="save-protection"
                    disabled=move || saver.busy.get() || doc.issues.with(|i| !i.is_empty())>
                    {tx.t(AdminMsg::Save)}
                </button>
                {move || saved.get().then(|| view! { <span role="status">{tx.t(AdminMsg::Saved)}</span> })}
            </div>
        </form>
    }
}
