//! The deal page's history: the audit trail with its notes, newest first,
//! each event said in the user's language with the pipeline's names for
//! stages and requirements.

use crate::components::timeline::{Timeline, describe_common, requirement_name};
use crate::components::ui::loc;
use crate::i18n::{I18n, Msg, use_i18n};
use crate::routes::opportunity::Ctl;
use crate::routes::opportunity_rows::team_role_name;
use leptos::prelude::*;
use shared::event::EventKind;

/// The deal's trail; reloaded after every change. Whoever may edit the deal
/// (open or closed) adds notes.
#[component]
pub fn History() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let id = ctl.opp().with_untracked(|o| o.id.clone());
    let may_note = ctl.actor.with_value(|a| {
        a.as_ref()
            .is_some_and(|a| ctl.opp().with_untracked(|o| o.can_edit(a)))
    });
    view! {
        <Timeline kind="opportunities" id may_note
            version=Signal::derive(move || ctl.opp().with(|o| o.version))
            describe=Callback::new(move |k: EventKind| describe_event(i18n, ctl, &k))
            who=Callback::new(move |id: String| ctl.user(&id)) />
    }
}

fn describe_event(i18n: I18n, ctl: Ctl, kind: &EventKind) -> String {
    let requirement = |k: &str| ctl.pipeline.with_value(|p| requirement_name(i18n, p, k));
    if let Some(said) = describe_common(i18n, kind, |id| ctl.user(id), requirement) {
        return said;
    }
    let stage = |k: &str| {
        ctl.pipeline.with_value(|p| {
            p.stage(k)
                .map_or_else(|| k.to_string(), |s| loc(i18n, &s.name))
        })
    };
    let t = |m| i18n.t(m).to_string();
    match kind {
        EventKind::Created { stage: s } => format!("{} · {}", t(Msg::EvCreated), stage(s.as_str())),
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
        // Said by `describe_common`.
        _ => String::new(),
    }
}
