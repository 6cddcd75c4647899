//! `/admin/users`: every account; create one; rename; set a password (their
//! sessions end); change roles; deactivate.
//! (Its chunk also carries `/registrations`: routes/mod.rs.)

use super::admin_config::use_tx;
use crate::api::{self, ApiError};
use crate::components::error::describe;
use crate::components::fetched::{Fetched, load};
use crate::components::ui::{confirm, role_label};
use crate::i18n::{AdminMsg, Msg, use_i18n};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Me, NewUser, Page, UserPatch};
use shared::user::Role;

#[component]
pub fn AdminUsers() -> impl IntoView {
    // The two review queues share this chunk (routes/mod.rs says why).
    match crate::router::use_location()
        .pathname
        .get_untracked()
        .as_str()
    {
        "/registrations" => return view! { <super::registrations::Registrations /> }.into_any(),
        "/approvals" => return view! { <super::approvals::Approvals /> }.into_any(),
        "/reports" => return view! { <super::reports::Reports /> }.into_any(),
        _ => {}
    }
    super::admin_config::admin_page(|| view! { <UsersPage /> }.into_any()).into_any()
}

#[component]
fn UsersPage() -> impl IntoView {
    let tx = use_tx();
    let (users, refresh) = load(api::admin_users);
    let table = move |page: Page<Me>| view! { <UserTable users=page.items refresh /> };
    view! {
        <section class="page admin-users">
            <h1>{tx.t(AdminMsg::UsersTitle)}</h1>
            <CreateUser refresh />
            <Fetched state=users reload=refresh view=table />
        </section>
    }
}

#[component]
fn CreateUser(refresh: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let email = NodeRef::<leptos::html::Input>::new();
    let name = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    let roles = RwSignal::new(vec![Role::Rep]);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let field_error = move |field: &'static str| {
        move || {
            error.with(|e| {
                e.as_ref()
                    .and_then(|e| e.field_errors().into_iter().find(|f| f.field == field))
                    .map(|f| view! { <small class="field-error">{f.message}</small> })
            })
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value =
            |r: NodeRef<leptos::html::Input>| r.get().map(|i| i.value()).unwrap_or_default();
        let user = NewUser {
            email: value(email),
            name: value(name),
            password: value(password),
            roles: roles.get_untracked(),
        };
        busy.set(true);
        spawn_local(async move {
            match api::create_user(&user).await {
                Ok(_) => {
                    error.set(None);
                    for r in [email, name, password] {
                        if let Some(i) = r.get_untracked() {
                            i.set_value("");
                        }
                    }
                    refresh.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card form" on:submit=submit data-test="create-user">
            <h2>{tx.t(AdminMsg::NewUser)}</h2>
            <div class="grid">
                <label>
                    <span>{i18n.t(Msg::Email)}</span>
                    <input node_ref=email type="email" name="email" autocomplete="off" required />
                    {field_error("email")}
                </label>
                <label>
                    <span>{tx.t(AdminMsg::Name)}</span>
                    <input node_ref=name name="name" autocomplete="off" required />
                    {field_error("name")}
                </label>
                <label>
                    <span>{i18n.t(Msg::Password)}</span>
                    <input node_ref=password type="password" name="password" autocomplete="new-password" required minlength="10" />
                    {field_error("password")}
                </label>
            </div>
            <RolePicker roles />
            {field_error("roles")}
            {move || {
                error
                    .get()
                    .filter(|e| e.field_errors().is_empty())
                    .map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })
            }}
            <button type="submit" class="primary" disabled=move || busy.get()>
                {i18n.t(Msg::Create)}
            </button>
        </form>
    }
}

/// Rename a user or give them a new password; the server ends their
/// sessions when the password changes, so the admin confirms first.
#[component]
fn UserEdit(id: String, name: String, refresh: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let name = RwSignal::new(name);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let id = StoredValue::new(id);
    let send = move |p: UserPatch, after: fn(RwSignal<String>, RwSignal<bool>)| {
        busy.set(true);
        done.set(false);
        spawn_local(async move {
            match api::update_user(&id.get_value(), &p).await {
                Ok(_) => {
                    error.set(None);
                    after(password, done);
                    refresh.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(
            UserPatch {
                name: Some(name.get_untracked()),
                ..UserPatch::default()
            },
            |_, _| {},
        );
    };
    let set_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !confirm(&tx.t(AdminMsg::ConfirmSetPassword)) {
            return;
        }
        send(
            UserPatch {
                password: Some(password.get_untracked()),
                ..UserPatch::default()
            },
            |password, done| {
                password.set(String::new());
                done.set(true);
            },
        );
    };
    let field_error = move |field: &'static str| {
        move || {
            error.with(|e| {
                e.as_ref()
                    .and_then(|e| e.field_errors().into_iter().find(|f| f.field == field))
                    .map(|f| view! { <small class="field-error" role="alert">{f.message}</small> })
            })
        }
    };
    view! {
        <details class="user-edit" data-test="user-edit">
            <summary>{move || tx.t(AdminMsg::EditUser)}</summary>
            <form class="form" on:submit=rename data-test="rename-user">
                <label><span>{move || tx.t(AdminMsg::Name)}</span>
                    <input name="name" required maxlength=shared::opportunity::MAX_NAME autocomplete="off"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    {field_error("name")}</label>
                <button type="submit" disabled=move || busy.get() || name.with(|n| n.trim().is_empty())>
                    {move || tx.t(AdminMsg::SaveName)}
                </button>
            </form>
            <form class="form" on:submit=set_password data-test="set-password">
                <label><span>{move || tx.t(AdminMsg::NewPassword)}</span>
                    <input name="new_password" type="password" autocomplete="new-password" required minlength="10"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                    {field_error("password")}</label>
                <button type="submit" disabled=move || busy.get() || password.with(|p| p.chars().count() < 10)>
                    {move || tx.t(AdminMsg::SetPassword)}
                </button>
            </form>
            {move || done.get().then(|| view! { <p class="notice" role="status" data-test="password-set">{tx.t(AdminMsg::PasswordSet)}</p> })}
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
        </details>
    }
}

/// One checkbox per permission role.
#[component]
fn RolePicker(roles: RwSignal<Vec<Role>>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let boxes = Role::ALL
        .into_iter()
        .map(|role| {
            let toggle = move |_| {
                roles.update(|rs| {
                    if let Some(i) = rs.iter().position(|r| *r == role) {
                        rs.remove(i);
                    } else {
                        rs.push(role);
                    }
                })
            };
            view! {
                <label class="check">
                    <input type="checkbox" value=role.as_str() prop:checked=move || roles.with(|rs| rs.contains(&role)) on:change=toggle />
                    <span>{move || role_label(i18n, role)}</span>
                </label>
            }
        })
        .collect_view();
    view! { <fieldset class="roles"><legend>{tx.t(AdminMsg::Roles)}</legend>{boxes}</fieldset> }
}

#[component]
fn UserTable(users: Vec<Me>, refresh: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let error = RwSignal::new(None::<ApiError>);
    let rows = users
        .into_iter()
        .map(|user| {
            let roles = RwSignal::new(user.roles.clone());
            let id = user.id.clone();
            let patch = move |p: UserPatch| {
                let id = id.clone();
                spawn_local(async move {
                    match api::update_user(&id, &p).await {
                        Ok(_) => {
                            error.set(None);
                            refresh.run(());
                        }
                        Err(e) => error.set(Some(e)),
                    }
                });
            };
            let save_roles = {
                let patch = patch.clone();
                move |_| {
                    patch(UserPatch {
                        roles: Some(roles.get_untracked()),
                        ..UserPatch::default()
                    })
                }
            };
            let active = user.active;
            let toggle_active = move |_| {
                let question = if active { tx.t(AdminMsg::ConfirmDeactivate) } else { tx.t(AdminMsg::ConfirmActivate) };
                if confirm(&question) {
                    patch(UserPatch {
                        active: Some(!active),
                        ..UserPatch::default()
                    });
                }
            };
            view! {
                <tr data-test="user-row" class:inactive=!active>
                    <td>
                        <span data-test="user-name">{user.name.clone()}</span>
                        <UserEdit id=user.id.clone() name=user.name.clone() refresh />
                    </td>
                    <td>{user.email.clone()}</td>
                    <td><RolePicker roles /><button type="button" on:click=save_roles>{tx.t(AdminMsg::SaveRoles)}</button></td>
                    <td>
                        <span data-test="user-status">{move || if active { tx.t(AdminMsg::Active) } else { tx.t(AdminMsg::Deactivated) }}</span>
                        <button type="button" on:click=toggle_active data-test="toggle-active">
                            {move || if active { tx.t(AdminMsg::Deactivate) } else { tx.t(AdminMsg::Activate) }}
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
        <div class="table-wrap">
            <table class="users">
                <thead>
                    <tr>
                        <th>{tx.t(AdminMsg::Name)}</th>
                        <th>{i18n.t(Msg::Email)}</th>
                        <th>{tx.t(AdminMsg::Roles)}</th>
                        <th>{i18n.t(Msg::Status)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
