//! `/admin/audit`: configuration and account changes, newest first: when,
//! who, what (linking to where it is edited) and a summary.

use super::admin_config::use_tx;
use crate::api;
use crate::components::fetched::{Fetched, load};
use crate::components::ui::user_name;
use crate::framework::Subject;
use crate::i18n::{AdminMsg, Msg, use_i18n};
use leptos::prelude::*;
use shared::api::{AuditEntry, UserSummary};
use std::sync::Arc;

#[component]
pub fn Audit() -> impl IntoView {
    let i18n = use_i18n();
    let tx = use_tx();
    let (state, reload) = load(|| async {
        // The directory is cached after the first page that asked for it.
        Ok((api::audit().await?, api::users().await?))
    });
    let list = move |(entries, users): (Vec<AuditEntry>, Arc<Vec<UserSummary>>)| {
        if entries.is_empty() {
            return view! { <p class="empty" data-test="no-audit">{tx.t(AdminMsg::NoAudit)}</p> }
                .into_any();
        }
        let rows = entries
            .iter()
            .map(|e| {
                let subject = Subject::parse(&e.subject);
                let what = match &subject {
                    Subject::Grading => tx.t(AdminMsg::SubjectGrading).to_string(),
                    Subject::Pipeline(id) => format!("{} {id}", i18n.t(Msg::Pipeline)),
                    Subject::TeamRoles => tx.t(AdminMsg::SubjectTeamRoles).to_string(),
                    Subject::Registration => tx.t(AdminMsg::SubjectRegistration).to_string(),
                    Subject::User(id) => format!("{} {}", tx.t(AdminMsg::SubjectUser), user_name(&users, id)),
                    Subject::Other(s) => s.to_string(),
                };
                let what = match subject.link() {
                    Some(href) => view! { <a href=href>{what}</a> }.into_any(),
                    None => view! { <span>{what}</span> }.into_any(),
                };
                view! {
                    <tr data-test="audit-row" data-subject=e.subject.clone()>
                        <td><time datetime=e.at.to_rfc3339()>{e.at.format("%Y-%m-%d %H:%M").to_string()}</time></td>
                        <td>{user_name(&users, &e.by)}</td>
                        <td>{what}</td>
                        <td>{e.summary.clone()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="list">
                    <thead><tr>
                        <th>{tx.t(AdminMsg::When)}</th><th>{tx.t(AdminMsg::Who)}</th>
                        <th>{tx.t(AdminMsg::What)}</th><th>{tx.t(AdminMsg::Summary)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="page admin-audit">
            <h1>{tx.t(AdminMsg::AuditTitle)}</h1>
            <section class="card"><Fetched state reload view=list /></section>
        </section>
    }
}
