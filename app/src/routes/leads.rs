//! `/leads`: the user's leads (status filter, search) and a form for a new
//! one — the two essentials: a possible deal and someone to reach.

use crate::api::{self, ApiError};
use crate::components::error::describe;
use crate::components::fetched::{Fetched, load};
use crate::components::ui::{pipeline_options, user_name};
use crate::i18n::{I18n, Msg, use_i18n};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::api::{Config, Page, UserSummary};
use shared::lead::{Contact, Lead, LeadStatus, NewLead};
use std::sync::Arc;

pub fn lead_status(i18n: I18n, status: LeadStatus) -> &'static str {
    i18n.t(match status {
        LeadStatus::New => Msg::LeadNew,
        LeadStatus::Working => Msg::LeadWorking,
        LeadStatus::Converted => Msg::LeadConverted,
        LeadStatus::Disqualified => Msg::LeadDisqualified,
    })
}

#[component]
pub fn Leads() -> impl IntoView {
    let i18n = use_i18n();
    let status = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let (state, reload) = load(move || {
        let query = api::query(&[
            ("status", &status.get_untracked()),
            ("q", &q.get_untracked()),
        ]);
        async move { Ok((api::leads(&query).await?, api::users().await?)) }
    });
    // The new-lead form offers the config's pipelines (loaded alongside).
    let (config, config_reload) = load(api::config);
    let form = |config: Arc<Config>| view! { <NewLeadForm config /> };
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        reload.run(());
    };
    let list = move |(page, users): (Page<Lead>, Arc<Vec<UserSummary>>)| {
        request_animation_frame(crate::routes::prefetch_record_pages);
        if page.items.is_empty() {
            return view! { <p class="empty" data-test="empty">{i18n.t(Msg::NoLeads)}</p> }
                .into_any();
        }
        let rows = page
            .items
            .into_iter()
            .map(|l| {
                view! {
                    <tr data-test="lead-row">
                        <td><a href=format!("/leads/{}", l.id)>{l.title.clone()}</a></td>
                        <td>{l.customer.clone()}</td>
                        <td>{l.contact.name.clone()}</td>
                        <td>{user_name(&users, &l.owner_id)}</td>
                        <td>{lead_status(i18n, l.status)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap"><table class="list">
                <thead><tr>
                    <th>{i18n.t(Msg::LeadTitle)}</th><th>{i18n.t(Msg::Customer)}</th><th>{i18n.t(Msg::Contact)}</th>
                    <th>{i18n.t(Msg::Owner)}</th><th>{i18n.t(Msg::Status)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
        }
        .into_any()
    };
    view! {
        <section class="page leads">
            <h1>{i18n.t(Msg::NavLeads)}</h1>
            <Fetched state=config reload=config_reload view=form />
            <form class="filters" on:submit=search role="search">
                <input type="search" placeholder=i18n.t(Msg::SearchLeads) aria-label=i18n.t(Msg::SearchLeads)
                    on:input=move |ev| q.set(event_target_value(&ev)) />
                <select aria-label=i18n.t(Msg::Status) on:change=move |ev| { status.set(event_target_value(&ev)); reload.run(()); }>
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

#[component]
fn NewLeadForm(config: Arc<Config>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let text = |name: &'static str| (RwSignal::new(String::new()), name);
    let [title, customer, contact, phone, email, source] = [
        "title",
        "customer",
        "contact.name",
        "contact.phone",
        "contact.email",
        "source",
    ]
    .map(text);
    // The config's first pipeline, as the select shows it until changed.
    let first = config.pipelines.first().map(|p| p.id.to_string());
    let pipeline = RwSignal::new(first.unwrap_or_default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(pipeline) = shared::Key::parse(&pipeline.get_untracked()) else {
            return;
        };
        let new = NewLead {
            title: title.0.get_untracked(),
            customer: customer.0.get_untracked(),
            description: String::new(),
            contact: Contact {
                name: contact.0.get_untracked(),
                phone: phone.0.get_untracked(),
                email: email.0.get_untracked(),
            },
            source: source.0.get_untracked(),
            owner_id: None,
            pipeline,
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
    let input = move |(signal, name): (RwSignal<String>, &'static str),
                      label: Msg,
                      ty: &'static str| {
        let field_error = move || {
            error.with(|e| {
                e.as_ref()
                    .and_then(|e| {
                        e.field_errors().into_iter().find(|f| {
                            f.field == name
                                || (name.starts_with("contact.") && f.field == "contact")
                        })
                    })
                    .map(|f| view! { <small class="field-error">{f.message}</small> })
            })
        };
        view! {
            <label><span>{i18n.t(label)}</span>
                <input name=name type=ty on:input=move |ev| signal.set(event_target_value(&ev)) />
                {field_error}
            </label>
        }
    };
    view! {
        <details class="card new-lead">
            <summary>{i18n.t(Msg::NewLead)}</summary>
            <form class="form" on:submit=submit data-test="new-lead">
                <div class="grid">
                    {input(title, Msg::LeadTitle, "text")}
                    {input(customer, Msg::Customer, "text")}
                    {input(contact, Msg::Contact, "text")}
                    {input(phone, Msg::Phone, "tel")}
                    {input(email, Msg::Email, "email")}
                    {input(source, Msg::Source, "text")}
                    <label><span>{i18n.t(Msg::Pipeline)}</span>
                        <select name="pipeline" on:change=move |ev| pipeline.set(event_target_value(&ev))>
                            {pipeline_options(i18n, &config)}
                        </select>
                    </label>
                </div>
                {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <p class="form-error" role="alert">{describe(i18n, &e)}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>{i18n.t(Msg::Create)}</button>
            </form>
        </details>
    }
}
