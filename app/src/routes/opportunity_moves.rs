//! The deal page's moves (advance, skip to the final stage, win, lose, move
//! back) and its grade panel.

use crate::api;
use crate::components::close_deal::{Closing, LoseForm, WinForm};
use crate::components::ui::{GradeBadge, loc, money, track_label};
use crate::i18n::{Msg, use_i18n};
use crate::model;
use crate::routes::opportunity::{Ctl, Dirty, NextVerdict};
use leptos::prelude::*;
use shared::api::{GradeOverrideRequest, TransitionRequest};
use shared::gate::{Target, Transition};
use shared::{Grade, Status, Verdict};

fn go(ctl: Ctl, transition: Transition) {
    ctl.run(move |id, version| async move {
        api::transition(
            &id,
            &TransitionRequest {
                version,
                transition,
            },
        )
        .await
    });
}

#[component]
pub fn Moves() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    // Moved forward while on the page: say where, and how to undo it (a move
    // back needs a reason, so it is not one click).
    let stage_index = Memo::new(move |_| {
        ctl.opp().with(|o| {
            ctl.pipeline
                .with_value(|p| p.index_of(o.stage.as_str()).unwrap_or(0))
        })
    });
    let moved_to = RwSignal::new(None::<String>);
    Effect::new(move |before: Option<usize>| {
        let now = stage_index.get();
        if before.is_some_and(|b| now > b) {
            let name = ctl.pipeline.with_value(|p| {
                p.stages
                    .get(now)
                    .map(|s| loc(i18n, &s.name))
                    .unwrap_or_default()
            });
            moved_to.set(Some(name));
        }
        now
    });
    let notice = move || {
        moved_to.get().map(|stage| {
            view! {
                <p class="notice" role="status" data-test="moved-notice">
                    {i18n.t(Msg::MovedOn).replace("{stage}", &stage)}
                    <button type="button" class="icon" aria-label=i18n.t(Msg::CloseDialog)
                        on:click=move |_| moved_to.set(None)>"×"</button>
                </p>
            }
        })
    };
    let moves = move || {
        let open = ctl.opp().with(|o| o.status == Status::Open);
        if !open {
            return view! { <Outcome /><ReopenDeal /> }.into_any();
        }
        if !ctl.can_steer() {
            return ().into_any();
        }
        let (at_final, may_skip, here) = ctl.opp().with(|o| {
            ctl.pipeline.with_value(|p| {
                (
                    p.is_final(o.stage.as_str()),
                    o.track.may_skip(),
                    p.index_of(o.stage.as_str()).unwrap_or(0),
                )
            })
        });
        view! {
            <section class="card moves" data-test="moves">
                <h2>{i18n.t(Msg::Moves)}</h2>
                {if at_final {
                    view! { <WinForm closing=closing(ctl) /> }.into_any()
                } else {
                    view! { <Advance /> }.into_any()
                }}
                {(may_skip && !at_final).then(|| view! { <SkipToFinal /> })}
                {(here > 1).then(|| view! { <MoveBack /> })}
                <LoseForm closing=closing(ctl) />
            </section>
        }
        .into_any()
    };
    view! { {notice} {moves} }
}

#[component]
fn Advance() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let NextVerdict(verdict) = expect_context::<NextVerdict>();
    let Dirty(dirty) = expect_context::<Dirty>();
    let advance = move |_| {
        let Some(to) = ctl.opp().with_untracked(|o| {
            ctl.pipeline
                .with_value(|p| shared::gate::advance_target(o, p))
        }) else {
            return;
        };
        go(ctl, Transition::to(to));
    };
    view! {
        <div class="row">
            <button type="button" class="primary" data-test="advance" on:click=advance
                disabled=move || ctl.saver.busy.get() || dirty.get() || !verdict.with(|v| v.allowed)>
                {i18n.t(Msg::Advance)}
            </button>
            {move || dirty.get().then(|| view! { <small class="muted">{i18n.t(Msg::SaveFirst)}</small> })}
        </div>
    }
}

/// C/D (and E) deals may jump to the final stage once the current stage's
/// requirements are met: the same verdict the server gives.
#[component]
fn SkipToFinal() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let Dirty(dirty) = expect_context::<Dirty>();
    let target = move || {
        ctl.pipeline
            .with_value(|p| p.last().map(|s| Target::Stage(s.key.clone())))
    };
    let verdict = Signal::derive(move || match target() {
        Some(to) => ctl.opp().with(|o| {
            ctl.pipeline
                .with_value(|p| model::verdict(o, p, &ctl.policy.get_value(), to))
        }),
        None => Verdict {
            allowed: false,
            blockers: vec![],
        },
    });
    let skip = move |_| {
        let Some(to) = target() else { return };
        // Several stages at once: say which and ask first.
        let (skipped, name) = ctl.opp().with_untracked(|o| {
            ctl.pipeline.with_value(|p| {
                let here = p.index_of(o.stage.as_str()).unwrap_or(0);
                let last = p.stages.len().saturating_sub(1);
                let name = p.last().map(|s| loc(i18n, &s.name)).unwrap_or_default();
                (last.saturating_sub(here + 1), name)
            })
        });
        let question = i18n
            .t(Msg::ConfirmSkip)
            .replace("{n}", &skipped.to_string())
            .replace("{stage}", &name);
        if skipped > 0 && !crate::components::ui::confirm(&question) {
            return;
        }
        go(ctl, Transition::to(to));
    };
    view! {
        <div class="row">
            <button type="button" data-test="skip-to-final" on:click=skip
                disabled=move || ctl.saver.busy.get() || dirty.get() || !verdict.with(|v| v.allowed)>
                {i18n.t(Msg::SkipToFinal)}
            </button>
            <small class="muted">{i18n.t(Msg::SkipHint)}</small>
        </div>
    }
}

/// The page's way into the shared win and lose forms.
fn closing(ctl: Ctl) -> Closing {
    let Dirty(dirty) = expect_context::<Dirty>();
    Closing {
        deal: ctl.opp(),
        pipeline: ctl.pipeline,
        policy: ctl.policy,
        busy: ctl.saver.busy,
        unsaved: dirty,
        go: Callback::new(move |t| go(ctl, t)),
        error: ctl.saver.error,
    }
}

#[component]
fn MoveBack() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let reason = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let options = ctl.opp().with_untracked(|o| {
        ctl.pipeline.with_value(|p| {
            let here = p.index_of(o.stage.as_str()).unwrap_or(0);
            p.stages[1..here]
                .iter()
                .map(|s| view! { <option value=s.key.to_string()>{loc(i18n, &s.name)}</option> })
                .collect_view()
        })
    });
    let back = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(key) = shared::Key::parse(&to.get_untracked()) else {
            return;
        };
        go(
            ctl,
            Transition {
                reason: Some(reason.get_untracked()),
                ..Transition::to(Target::Stage(key))
            },
        );
    };
    view! {
        <details class="move-back">
            <summary>{i18n.t(Msg::MoveBack)}</summary>
            <form class="form" on:submit=back data-test="move-back-form">
                <label><span>{i18n.t(Msg::BackTo)}</span>
                    <select required on:change=move |ev| to.set(event_target_value(&ev))>
                        <option value="">{i18n.t(Msg::Choose)}</option>{options}
                    </select></label>
                <label><span>{i18n.t(Msg::Reason)}</span>
                    <input name="reason" required maxlength=shared::checklist::MAX_NOTE on:input=move |ev| reason.set(event_target_value(&ev)) />
                    {crate::components::error::field_error(ctl.saver.error, "reason")}</label>
                <button type="submit" disabled=move || ctl.saver.busy.get() || to.with(String::is_empty) || reason.with(|r| r.trim().is_empty())>
                    {i18n.t(Msg::MoveBack)}
                </button>
            </form>
        </details>
    }
}

/// A closed deal, read only: the contract, or why it was lost, to whom and
/// in which stage.
#[component]
fn Outcome() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    move || {
        ctl.opp().with(|o| match (&o.contract, &o.lost) {
            (Some(c), _) => view! {
                <section class="card outcome won" data-test="outcome">
                    <h2>{i18n.t(Msg::StatusWon)}</h2>
                    <dl class="facts">
                        <dt>{i18n.t(Msg::ContractNumber)}</dt><dd data-test="outcome-contract">{c.number.clone()}</dd>
                        <dt>{i18n.t(Msg::ContractAmount)}</dt><dd>{money(c.amount, o.currency)}</dd>
                        <dt>{i18n.t(Msg::SignedOn)}</dt><dd>{c.signed_on.to_string()}</dd>
                    </dl>
                </section>
            }
            .into_any(),
            (None, Some(l)) => {
                let stage = ctl.pipeline.with_value(|p| {
                    p.stage(o.stage.as_str())
                        .map_or_else(|| o.stage.to_string(), |s| loc(i18n, &s.name))
                });
                view! {
                    <section class="card outcome lost" data-test="outcome">
                        <h2>{i18n.t(Msg::StatusLost)}</h2>
                        <dl class="facts">
                            <dt>{i18n.t(Msg::LostReason)}</dt><dd data-test="outcome-reason">{l.reason.clone()}</dd>
                            {l.competitor.clone().map(|c| view! { <dt>{i18n.t(Msg::Competitor)}</dt><dd>{c}</dd> })}
                            <dt>{i18n.t(Msg::LostInStage)}</dt><dd data-test="outcome-stage">{stage}</dd>
                        </dl>
                    </section>
                }
                .into_any()
            }
            _ => ().into_any(),
        })
    }
}

/// A manager opens a closed deal again, with a reason: the gate's own
/// transition (`reopen`), back into the stage it closed in.
#[component]
fn ReopenDeal() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let allowed = ctl.actor.with_value(|a| {
        a.as_ref().is_some_and(|a| {
            ctl.opp()
                .with_untracked(|o| o.allows(a, shared::access::DealAction::Reopen))
        })
    });
    if !allowed {
        return ().into_any();
    }
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !crate::components::ui::confirm(i18n.t(Msg::ConfirmReopen)) {
            return;
        }
        go(
            ctl,
            Transition {
                reason: Some(reason.get_untracked()),
                ..Transition::to(Target::Reopen)
            },
        );
    };
    view! {
        <details class="card reopen">
            <summary>{i18n.t(Msg::ReopenDeal)}</summary>
            <form class="form" on:submit=submit data-test="reopen-form">
                <p class="hint">{i18n.t(Msg::ReopenHint)}</p>
                <label><span>{i18n.t(Msg::Reason)}</span>
                    <textarea name="reason" rows="2" required maxlength=shared::checklist::MAX_NOTE
                        on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    {crate::components::error::field_error(ctl.saver.error, "reason")}</label>
                <button type="submit" data-test="reopen" disabled=move || ctl.saver.busy.get() || reason.with(|r| r.trim().is_empty())>
                    {i18n.t(Msg::Reopen)}
                </button>
            </form>
        </details>
    }
    .into_any()
}

/// Computed grade, override (who, why), effective grade and track; managers
/// may upgrade (never downgrade) with a reason.
#[component]
pub fn GradePanel() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let is_manager = ctl
        .actor
        .with_value(|a| a.as_ref().is_some_and(|a| a.is_manager()));
    let pick = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let upgrade = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(grade) = Grade::parse(&pick.get_untracked()) else {
            return;
        };
        let reason = reason.get_untracked();
        ctl.run(move |id, version| async move {
            api::override_grade(
                &id,
                &GradeOverrideRequest {
                    grade,
                    reason,
                    version,
                },
            )
            .await
        });
    };
    move || {
        let o = ctl.opp().get();
        let higher: Vec<Grade> = o.grade.upgrades().collect();
        view! {
            <section class="card grade-panel" data-test="grade-panel">
                <h2>{i18n.t(Msg::Grade)}</h2>
                <dl class="facts">
                    <dt>{i18n.t(Msg::GradeComputed)}</dt><dd><GradeBadge grade=o.grade.computed /></dd>
                    {o.grade_override.clone().map(|g| view! {
                        <dt>{i18n.t(Msg::GradeOverride)}</dt>
                        <dd data-test="grade-override"><GradeBadge grade=g.grade />" "{g.reason.clone()}
                            <small class="muted">" · "{ctl.user(&g.by)}</small></dd>
                    })}
                    <dt>{i18n.t(Msg::GradeEffective)}</dt><dd data-test="grade-effective"><GradeBadge grade=o.grade.effective /></dd>
                    <dt>{i18n.t(Msg::Track)}</dt><dd>{track_label(i18n, o.track)}</dd>
                </dl>
                {(is_manager && o.is_open() && !higher.is_empty()).then(|| view! {
                    <form class="form" on:submit=upgrade data-test="upgrade-form">
                        <label><span>{i18n.t(Msg::UpgradeTo)}</span>
                            <select required on:change=move |ev| pick.set(event_target_value(&ev))>
                                <option value="">{i18n.t(Msg::Choose)}</option>
                                {higher.iter().map(|g| view! { <option value=g.as_str()>{g.as_str()}</option> }).collect_view()}
                            </select></label>
                        <label><span>{i18n.t(Msg::Reason)}</span>
                            <input name="reason" required maxlength=shared::checklist::MAX_NOTE on:input=move |ev| reason.set(event_target_value(&ev)) /></label>
                        <button type="submit" disabled=move || ctl.saver.busy.get() || pick.with(String::is_empty)>{i18n.t(Msg::Upgrade)}</button>
                    </form>
                })}
            </section>
        }
    }
}
