//! `/leads`: the user's leads (status filter, search) and a form for a new
//! one — the two essentials: a possible deal and someone to reach.

use crate::api::{self, ApiError};
use crate::components::error::describe;
use crate::components::fetched::{Fetched, load};
use crate::components::ui::{loc, pipeline_options, user_name};
use crate::i18n::{I18n, Msg, use_i18n};
use crate::router::use_navigate;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Config, ConfigNames, Page, UserSummary};
use shared::lead::{Contact, Duplicate, DuplicateKind, Lead, LeadStatus, NewLead};
use std::sync::Arc;

pub fn lead_status(i18n: I18n, status: LeadStatus) -> &'static str {
    i18n.t(match status {
        LeadStatus::New => Msg::LeadNew,
        LeadStatus::Working => Msg::LeadWorking,
        LeadStatus::Converted => Msg::LeadConverted,
        LeadStatus::Disqualified => Msg::LeadDisqualified,
    })
}

/// The page's heading: the outlet shows it too while the page's code
/// arrives (`routes::Outlet`).
pub const HEADING: Msg = Msg::NavLeads;

#[component]
pub fn Leads() -> impl IntoView {
    let i18n = use_i18n();
    // The status and the search live in the address: a link and Back restore them.
    let url = crate::router::use_query_map();
    let from_url = move || {
        url.with(|q| {
            (
                q.get("status").unwrap_or_default(),
                q.get("q").unwrap_or_default(),
            )
        })
    };
    let (status0, q0) = from_url();
    let status = RwSignal::new(status0);
    let q = RwSignal::new(q0);
    let query = move |cursor: &str| {
        api::query(&[
            ("status", &status.get_untracked()),
            ("q", &q.get_untracked()),
            ("cursor", cursor),
        ])
    };
    let (state, reload) = load(move || {
        // As many rows as were shown when the address was left (`n`).
        let query =
            crate::routes::opportunities::with_shown(query(""), url.with_untracked(|q| q.get("n")));
        async move { Ok((api::leads(&query).await?, api::users().await?)) }
    });
    Effect::new(move |before: Option<(String, String)>| {
        let now = from_url();
        // A new `n` alone (rows loaded) is no new list.
        if before.is_some_and(|b| b != now) {
            status.set(now.0.clone());
            q.set(now.1.clone());
            reload.run(());
        }
        now
    });
    let navigate = use_navigate();
    let keep_shown = navigate.clone();
    let show = move || {
        let query = api::query(&[
            ("status", &status.get_untracked()),
            ("q", &q.get_untracked()),
        ]);
        navigate(&format!("/leads{query}"), Default::default());
    };
    // The new-lead form offers the config's pipelines (loaded alongside).
    let (config, config_reload) = load(api::config);
    let form = |config: Arc<Config>| view! { <NewLeadForm config /> };
    let search = {
        let show = show.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            show();
        }
    };
    let status_select = NodeRef::<leptos::html::Select>::new();
    Effect::new(move |_| {
        let s = status.get();
        if let Some(select) = status_select.get() {
            select.set_value(&s);
        }
    });
    let list = move |(page, users): (Page<Lead>, Arc<Vec<UserSummary>>)| {
        request_animation_frame(crate::routes::prefetch_lead_page);
        if page.items.is_empty() {
            return view! { <p class="empty" data-test="empty">{i18n.t(Msg::NoLeads)}</p> }
                .into_any();
        }
        let rows = RwSignal::new(page.items);
        let next = RwSignal::new(page.next_cursor);
        let more_error = RwSignal::new(None::<ApiError>);
        let keep_shown = keep_shown.clone();
        let more = move |_| {
            let Some(cursor) = next.get_untracked() else {
                return;
            };
            let query = query(&cursor);
            let navigate = keep_shown.clone();
            spawn_local(async move {
                match api::leads(&query).await {
                    Ok(page) => {
                        rows.update(|r| r.extend(page.items));
                        next.set(page.next_cursor);
                        // The address says how many rows are shown.
                        let n = rows.try_with_untracked(Vec::len).unwrap_or(0);
                        let here = format!(
                            "/leads{}",
                            api::query(&[
                                ("status", &status.try_get_untracked().unwrap_or_default()),
                                ("q", &q.try_get_untracked().unwrap_or_default()),
                            ])
                        );
                        use crate::routes::opportunities::{quiet, shown_url};
                        navigate(&shown_url(&here, n), quiet());
                    }
                    Err(e) => more_error.set(Some(e)),
                }
            });
        };
        let body = move || {
            rows.with(|rows| {
                rows.iter()
                    .map(|l| {
                        view! {
                            <tr data-test="lead-row">
                                <td><a href=format!("/leads/{}", l.id)>{l.title.clone()}</a></td>
                                <td data-label=i18n.t(Msg::Customer)>{l.customer.clone()}</td>
                                <td data-label=i18n.t(Msg::Contact)>{l.contact.name.clone()}</td>
                                <td data-label=i18n.t(Msg::Owner)>{user_name(&users, &l.owner_id)}</td>
                                <td data-label=i18n.t(Msg::Status)>{lead_status(i18n, l.status)}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            })
        };
        view! {
            <div class="table-wrap"><table class="list">
                <thead><tr>
                    <th>{i18n.t(Msg::LeadTitle)}</th><th>{i18n.t(Msg::Customer)}</th><th>{i18n.t(Msg::Contact)}</th>
                    <th>{i18n.t(Msg::Owner)}</th><th>{i18n.t(Msg::Status)}</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table></div>
            {move || next.with(Option::is_some).then(|| view! {
                <button type="button" class="more" data-test="more-leads" on:click=more.clone()>{i18n.t(Msg::LoadMore)}</button>
            })}
            {move || more_error.get().map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
        }
        .into_any()
    };
    view! {
        <section class="page leads">
            <h1>{i18n.t(HEADING)}</h1>
            <Fetched state=config reload=config_reload view=form />
            <form class="filters" on:submit=search role="search" data-test="lead-filters">
                <input type="search" name="q" placeholder=i18n.t(Msg::SearchLeads) aria-label=i18n.t(Msg::SearchLeads)
                    prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev)) />
                <select aria-label=i18n.t(Msg::Status) name="status" node_ref=status_select
                    on:change=move |ev| { status.set(event_target_value(&ev)); show(); }>
                    <option value="">{i18n.t(Msg::AllStatuses)}</option>
                    <option value="new">{i18n.t(Msg::LeadNew)}</option>
                    <option value="working">{i18n.t(Msg::LeadWorking)}</option>
                    <option value="converted">{i18n.t(Msg::LeadConverted)}</option>
                    <option value="disqualified">{i18n.t(Msg::LeadDisqualified)}</option>
                </select>
                <button type="submit">{i18n.t(Msg::Search)}</button>
            </form>
            <Fetched state reload view=list />
        </section>
    }
}

/// Does a problem about `field` belong beside the input `name`? (The
/// contact's "phone or e-mail" rule is named `contact`: beside both.)
pub fn belongs(field: &str, name: &str) -> bool {
    field == name || (name.starts_with("contact.") && field == "contact")
}

#[component]
fn NewLeadForm(config: Arc<Config>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    // After a first try, the shared rules run on every keystroke: a
    // problem goes away as soon as it is fixed.
    let attempted = RwSignal::new(false);
    let text = |name: &'static str| (RwSignal::new(String::new()), name);
    let [title, customer, contact, phone, email, source, description] = [
        "title",
        "customer",
        "contact.name",
        "contact.phone",
        "contact.email",
        "source",
        "description",
    ]
    .map(text);
    // The config's first pipeline, as the select shows it until changed.
    let first = config.pipelines.first().map(|p| p.id.to_string());
    let pipeline = RwSignal::new(first.unwrap_or_default());
    let typed = move || {
        let pipeline = shared::Key::parse(&pipeline.get()).ok()?;
        Some(NewLead {
            title: title.0.get(),
            customer: customer.0.get(),
            description: description.0.get(),
            contact: Contact {
                name: contact.0.get(),
                phone: phone.0.get(),
                email: email.0.get(),
            },
            source: source.0.get(),
            owner_id: None,
            pipeline,
        })
    };
    let issues = {
        let config = config.clone();
        Signal::derive(move || {
            if !attempted.get() {
                return Vec::new();
            }
            typed()
                .map(|n| n.validate(&config.pipelines).err().unwrap_or_default())
                .unwrap_or_default()
        })
    };
    let duplicates = RwSignal::new(Vec::<(Duplicate, String)>::new());
    let check_duplicates = move || {
        let (c, t) = (customer.0.get_untracked(), title.0.get_untracked());
        if c.trim().is_empty() || t.trim().is_empty() {
            duplicates.set(Vec::new());
            return;
        }
        spawn_local(async move {
            // A warning only: when it cannot be had, the form works without it.
            if let (Ok(found), Ok(users)) = (api::duplicates(&c, &t).await, api::users().await) {
                duplicates.set(
                    found
                        .into_iter()
                        .map(|d| {
                            let owner = user_name(&users, &d.owner_id);
                            (d, owner)
                        })
                        .collect(),
                );
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempted.set(true);
        if !issues.with_untracked(Vec::is_empty) {
            return;
        }
        let Some(new) = typed() else {
            return;
        };
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::create_lead(&new).await {
                Ok(lead) => navigate(&format!("/leads/{}", lead.id), Default::default()),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let field_error = move |name: &'static str| {
        move || {
            let local = issues.with(|is| {
                is.iter()
                    .find(|i| belongs(&i.field, name))
                    .map(|i| loc(i18n, &i.message))
            });
            local
                .or_else(|| {
                    error.with(|e| {
                        e.as_ref().and_then(|e| {
                            e.field_errors()
                                .into_iter()
                                .find(|f| belongs(&f.field, name))
                                .map(|f| f.message)
                        })
                    })
                })
                .map(|m| view! { <small class="field-error" data-test="field-error">{m}</small> })
        }
    };
    let input =
        move |(signal, name): (RwSignal<String>, &'static str), label: Msg, ty: &'static str| {
            let duplicate_key = name == "title" || name == "customer";
            view! {
                <label><span>{i18n.t(label)}</span>
                    <input name=name type=ty maxlength=shared::opportunity::MAX_NAME
                        aria-invalid=move || field_error(name)().is_some().then_some("true")
                        on:input=move |ev| { signal.set(event_target_value(&ev)); error.set(None); }
                        on:change=move |_| if duplicate_key { check_duplicates() } />
                    {field_error(name)}
                </label>
            }
        };
    let duplicate_list = move || {
        duplicates.with(|found| {
            if found.is_empty() {
                return None;
            }
            let items = found
                .iter()
                .map(|(d, owner)| {
                    let (kind, path) = match d.kind {
                        DuplicateKind::Lead => (Msg::KindLead, "leads"),
                        DuplicateKind::Opportunity => (Msg::KindDeal, "opportunities"),
                    };
                    let what = format!("{} · {}", d.title, d.customer);
                    let owned = i18n.t(Msg::OwnedBy).replace("{name}", owner);
                    view! {
                        <li data-test="duplicate" data-id=d.id.clone()>
                            {i18n.t(kind)}": "
                            {if d.visible {
                                view! { <a href=format!("/{path}/{}", d.id)>{what}</a> }.into_any()
                            } else {
                                view! { <span>{what}</span> }.into_any()
                            }}
                            " ("{owned}")"
                        </li>
                    }
                })
                .collect_view();
            Some(view! {
                <div class="notice warn" role="status" data-test="duplicates">
                    <p>{i18n.t(Msg::PossibleDuplicates)}</p>
                    <ul>{items}</ul>
                </div>
            })
        })
    };
    view! {
        <details class="card new-lead">
            <summary>{i18n.t(Msg::NewLead)}</summary>
            <form class="form" on:submit=submit data-test="new-lead" novalidate>
                <div class="grid">
                    {input(title, Msg::LeadTitle, "text")}
                    {input(customer, Msg::Customer, "text")}
                    {input(contact, Msg::Contact, "text")}
                    {input(phone, Msg::Phone, "tel")}
                    {input(email, Msg::Email, "email")}
                    {input(source, Msg::Source, "text")}
                    <label><span>{i18n.t(Msg::Pipeline)}</span>
                        <select name="pipeline" on:change=move |ev| pipeline.set(event_target_value(&ev))>
                            {pipeline_options(i18n, &ConfigNames::from(&*config).pipelines)}
                        </select>
                    </label>
                </div>
                <label class="wide"><span>{i18n.t(Msg::LeadDescription)}</span>
                    <textarea name="description" rows="3" maxlength=shared::lead::MAX_DESCRIPTION
                        on:input=move |ev| { description.0.set(event_target_value(&ev)); error.set(None); }></textarea>
                    {field_error("description")}
                </label>
                {duplicate_list}
                {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>{i18n.t(Msg::Create)}</button>
            </form>
        </details>
    }
}
