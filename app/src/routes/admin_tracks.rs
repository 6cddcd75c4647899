//! `/admin/pipelines/:id/tracks`: how a deal of each grade walks the
//! pipeline (the seed's framework table, figure 3): a column per stage, its
//! start and end signs, and the four rows as that grade meets them; which
//! stages its track goes through, may skip, or passes by registration.

use super::admin_config::{Tx, use_tx};
use crate::api;
use crate::components::fetched::{Fetched, load};
use crate::components::ui::{GradeBadge, track_label};
use crate::framework::{self, Passage, StageWalk};
use crate::i18n::{AdminMsg, I18n, Msg, use_i18n};
use leptos::prelude::*;
use shared::Grade;
use shared::pipeline::{Approver, Pipeline, TeamRole};
use std::sync::Arc;

#[component]
pub fn Walkthrough(id: String) -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let back = format!("/admin/pipelines/{id}");
    let (state, reload) = load(move || {
        let id = id.clone();
        async move {
            let pipeline = api::admin_pipeline(&id).await?;
            let roles = api::team_roles().await?.roles;
            Ok((Arc::new(pipeline), Arc::new(roles)))
        }
    });
    let grade = RwSignal::new(Grade::B);
    let picker = move || {
        Grade::ALL
            .into_iter()
            .map(|g| {
                view! {
                    <button type="button" data-test="pick-grade" data-grade=g.as_str()
                        aria-pressed=move || (grade.get() == g).to_string() on:click=move |_| grade.set(g)>
                        <GradeBadge grade=g />" "{track_label(i18n, framework::track_of(g))}
                    </button>
                }
            })
            .collect_view()
    };
    let table = move |(p, roles): (Arc<Pipeline>, Arc<Vec<TeamRole>>)| {
        move || {
            let g = grade.get();
            let walks = framework::walk(&p, g, framework::track_of(g));
            framework_table((i18n, tx), &walks, &roles)
        }
    };
    view! {
        <section class="page walkthrough">
            <p><a href=back>"← "{tx.t(AdminMsg::EditPipeline)}</a></p>
            <h1>{tx.t(AdminMsg::Walkthrough)}</h1>
            <div class="toggles" role="group" aria-label=i18n.t(Msg::Grade)>{picker}</div>
            <Fetched state reload view=table />
        </section>
    }
}

fn loc(i18n: I18n, t: &shared::Localized) -> String {
    t.get(i18n.current()).to_string()
}

fn cell(items: Vec<String>) -> AnyView {
    if items.is_empty() {
        view! { <td class="muted">"—"</td> }.into_any()
    } else {
        let lis = items
            .into_iter()
            .map(|t| view! { <li>{t}</li> })
            .collect_view();
        view! { <td><ul>{lis}</ul></td> }.into_any()
    }
}

fn framework_table(
    (i18n, tx): (I18n, Tx),
    walks: &[StageWalk<'_>],
    roles: &[TeamRole],
) -> impl IntoView + use<> {
    let role = |key: &str| {
        roles
            .iter()
            .find(|r| r.key == key)
            .map_or_else(|| key.to_string(), |r| loc(i18n, &r.name))
    };
    let heads = walks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let (mark, class) = match w.passage {
                Passage::Required => (AdminMsg::PassRequired, "pass-required"),
                Passage::MaySkip => (AdminMsg::PassMaySkip, "pass-skip"),
                Passage::ByRegistration => (AdminMsg::PassRegistration, "pass-registration"),
            };
            view! {
                <th scope="col" class=class data-test="walk-stage" data-passage=class>
                    {i + 1}". "{loc(i18n, &w.stage.name)}
                    <br /><small>{tx.t(mark)}" · "{w.stage.probability}"%"</small>
                </th>
            }
        })
        .collect_view();
    let line = |label: String, cells: Vec<Vec<String>>| {
        let tds = cells.into_iter().map(cell).collect_view();
        view! { <tr><th scope="row">{label}</th>{tds}</tr> }
    };
    let entries = walks
        .iter()
        .map(|w| vec![loc(i18n, &w.stage.entry)])
        .collect();
    let exits = walks
        .iter()
        .map(|w| vec![loc(i18n, &w.stage.exit)])
        .collect();
    let fields = walks
        .iter()
        .map(|w| w.fields.iter().map(|f| loc(i18n, &f.label)).collect())
        .collect();
    let tasks = walks
        .iter()
        .map(|w| w.tasks.iter().map(|t| loc(i18n, &t.label)).collect())
        .collect();
    let processes = walks
        .iter()
        .map(|w| {
            w.processes
                .iter()
                .map(|p| {
                    let by = match &p.approver {
                        Approver::Role(r) => {
                            crate::components::ui::role_label(i18n, *r).to_string()
                        }
                        Approver::TeamRole(k) => role(k.as_str()),
                    };
                    format!("{} ({by})", loc(i18n, &p.label))
                })
                .collect()
        })
        .collect();
    let people = walks
        .iter()
        .map(|w| w.roles.iter().map(|r| role(r.role.as_str())).collect())
        .collect();
    view! {
        <div class="table-wrap">
            <table class="list framework-table" data-test="framework-table">
                <thead><tr><th></th>{heads}</tr></thead>
                <tbody>
                    {line(super::admin_form::bare(i18n, Msg::Entry), entries)}
                    {line(super::admin_form::bare(i18n, Msg::Exit), exits)}
                    {line(tx.t(AdminMsg::RowFields), fields)}
                    {line(tx.t(AdminMsg::RowTasks), tasks)}
                    {line(tx.t(AdminMsg::RowProcesses), processes)}
                    {line(tx.t(AdminMsg::RowRoles), people)}
                </tbody>
            </table>
        </div>
    }
}
