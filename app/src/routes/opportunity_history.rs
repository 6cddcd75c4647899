//! The deal page's history: the audit trail, newest first, each event said
//! in the user's language with the pipeline's names for stages and
//! requirements.

use crate::api;
use crate::components::fetched::{Fetched, load};
use crate::components::ui::loc;
use crate::i18n::{I18n, Msg, use_i18n};
use crate::routes::opportunity::Ctl;
use crate::routes::opportunity_rows::team_role_name;
use leptos::prelude::*;
use shared::event::{Event, EventKind};

/// The audit trail, newest first; reloaded after every change.
#[component]
pub fn History() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let id = ctl.opp().with_untracked(|o| o.id.clone());
    let (state, reload) = load(move || {
        let id = id.clone();
        async move { api::history(&id).await }
    });
    Effect::new(move |first: Option<()>| {
        ctl.opp().with(|o| o.version);
        if first.is_some() {
            reload.run(());
        }
    });
    let list = move |events: Vec<Event>| {
        let items = events
            .into_iter()
            .rev()
            .map(|e| {
                view! {
                    <li data-test="event" data-kind=kind_name(&e.kind)>
                        <time datetime=e.at.to_rfc3339()>{e.at.format("%Y-%m-%d %H:%M").to_string()}</time>
                        <span class="who">{if e.by == shared::event::SYSTEM { i18n.t(Msg::AppName).to_string() } else { ctl.user(&e.by) }}</span>
                        <span class="what">{describe_event(i18n, ctl, &e.kind)}</span>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="timeline">{items}</ol> }
    };
    view! {
        <section class="card history" data-test="history">
            <h2>{i18n.t(Msg::History)}</h2>
            <Fetched state reload view=list />
        </section>
    }
}

fn kind_name(kind: &EventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_default()
}

fn describe_event(i18n: I18n, ctl: Ctl, kind: &EventKind) -> String {
    let stage = |k: &str| {
        ctl.pipeline.with_value(|p| {
            p.stage(k)
                .map_or_else(|| k.to_string(), |s| loc(i18n, &s.name))
        })
    };
    let requirement = |k: &str| {
        ctl.pipeline.with_value(|p| {
            p.find_field(k)
                .map(|(_, f)| loc(i18n, &f.label))
                .or_else(|| p.find_task(k).map(|(_, t)| loc(i18n, &t.label)))
                .or_else(|| p.find_process(k).map(|(_, a)| loc(i18n, &a.label)))
                .unwrap_or_else(|| k.to_string())
        })
    };
    let t = |m| i18n.t(m).to_string();
    match kind {
        EventKind::Created { stage: s } => format!("{} · {}", t(Msg::EvCreated), stage(s.as_str())),
        EventKind::Converted { .. } => t(Msg::EvConverted),
        EventKind::Disqualified { reason } => format!("{} · {reason}", t(Msg::EvDisqualified)),
        EventKind::StageAdvanced { from, to } => {
            format!(
                "{} · {} → {}",
                t(Msg::EvAdvanced),
                stage(from.as_str()),
                stage(to.as_str())
            )
        }
        EventKind::StageSkipped { stage: s } => {
            format!("{} · {}", t(Msg::EvSkipped), stage(s.as_str()))
        }
        EventKind::MovedBack { from, to, reason } => format!(
            "{} · {} → {} · {reason}",
            t(Msg::EvMovedBack),
            stage(from.as_str()),
            stage(to.as_str())
        ),
        EventKind::Won { contract } => format!("{} · {}", t(Msg::EvWon), contract.number),
        EventKind::Lost { reason, competitor } => format!(
            "{} · {reason}{}",
            t(Msg::EvLost),
            competitor
                .as_deref()
                .map(|c| format!(" · {c}"))
                .unwrap_or_default()
        ),
        EventKind::Updated { changes } => format!("{} · {}", t(Msg::EvUpdated), changes.join(", ")),
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
        EventKind::ApprovalRequested { key } => {
            format!("{} · {}", t(Msg::EvApprovalRequested), requirement(key))
        }
        EventKind::ApprovalDecided {
            key,
            approved,
            comment,
        } => format!(
            "{} · {}{}",
            t(if *approved {
                Msg::EvApproved
            } else {
                Msg::EvRejected
            }),
            requirement(key),
            comment
                .as_deref()
                .map(|c| format!(" · {c}"))
                .unwrap_or_default()
        ),
        EventKind::TeamChanged { members } => format!(
            "{} · {}",
            t(Msg::EvTeamChanged),
            members
                .iter()
                .map(|m| format!(
                    "{}: {}",
                    team_role_name(ctl, m.role.as_str()),
                    ctl.user(&m.user_id)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        EventKind::GradeOverridden { from, to, reason } => {
            format!(
                "{} · {} → {} · {reason}",
                t(Msg::EvGradeOverridden),
                from.as_str(),
                to.as_str()
            )
        }
        EventKind::Regraded { from, to, .. } => format!(
            "{} · {} → {}",
            t(Msg::EvRegraded),
            from.as_str(),
            to.as_str()
        ),
        EventKind::ProtectionExpired { ended_on, .. } => {
            format!("{} · {ended_on}", t(Msg::EvProtectionExpired))
        }
        EventKind::OwnerChanged { from, to } => format!(
            "{} · {} → {}",
            t(Msg::EvOwnerChanged),
            ctl.user(from),
            ctl.user(to)
        ),
    }
}
