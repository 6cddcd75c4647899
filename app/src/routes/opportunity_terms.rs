//! The deal's own terms on its page: name, customer, amount, expected close
//! and who leads it, with the regrade shown as they are typed (the shared
//! rule the server applies), saved through the PATCH; and, for managers,
//! handing the deal to another salesperson.

use crate::api;
use crate::components::ui::{GradeBadge, track_label};
use crate::i18n::{Msg, use_i18n};
use crate::model::{self, Terms};
use crate::routes::opportunity::Ctl;
use leptos::prelude::*;
use shared::LeadBy;
use shared::api::OwnerChange;

#[component]
pub fn DealTerms() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let opp = ctl.opp();
    let typed = RwSignal::new(opp.with_untracked(Terms::of));
    // A fresh record (a save, someone else's change): the inputs follow it
    // unless the user has typed something of their own.
    Effect::new(move |before: Option<Terms>| {
        let now = opp.with(Terms::of);
        if let Some(before) = before {
            let untouched = typed.with_untracked(|t| {
                *t == before
                    || opp.with_untracked(|o| model::terms_patch(o, t).is_ok_and(|p| no_change(&p)))
            });
            if untouched {
                typed.set(now.clone());
            }
        }
        now
    });
    let patch = Memo::new(move |_| opp.with(|o| typed.with(|t| model::terms_patch(o, t))));
    let problem = move |name: &'static str| {
        patch.with(|p| {
            p.as_ref().err().and_then(|problems| {
                problems
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, m)| m.get(i18n.current()).to_string())
            })
        })
    };
    // The regrade, before saving: the shared grading rule.
    let preview = Memo::new(move |_| {
        let Ok(patch) = patch.get() else { return None };
        Some(opp.with(|o| {
            let next = model::terms_grade(o, &patch, &ctl.policy.get_value());
            (o.grade.effective, next.effective, next.effective.track())
        }))
    });
    let changed = move || patch.with(|p| p.as_ref().is_ok_and(|p| !no_change(p)));
    let savable = move || changed() && preview.with(Option::is_some);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(patch) = patch.get_untracked() else {
            return;
        };
        ctl.run(move |id, version| async move {
            api::update_opportunity(
                &id,
                &shared::opportunity::OpportunityPatch { version, ..patch },
            )
            .await
        });
    };
    let set = move |apply: fn(&mut Terms, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            typed.update(|t| apply(t, value));
        }
    };
    let value = move |get: fn(&Terms) -> String| move || typed.with(get);
    view! {
        <details class="card terms" data-test="deal-terms">
            <summary>{i18n.t(Msg::EditDeal)}</summary>
            <form class="form" on:submit=save data-test="terms-form">
                <div class="grid">
                    <label><span>{i18n.t(Msg::DealName)}</span>
                        <input name="name" maxlength="200" required prop:value=value(|t| t.name.clone())
                            on:input=set(|t, v| t.name = v) />
                        {move || problem("name").map(|p| view! { <small class="field-error">{p}</small> })}
                    </label>
                    <label><span>{i18n.t(Msg::Customer)}</span>
                        <input name="customer" maxlength="200" required prop:value=value(|t| t.customer.clone())
                            on:input=set(|t, v| t.customer = v) />
                        {move || problem("customer").map(|p| view! { <small class="field-error">{p}</small> })}
                    </label>
                    <label><span>{i18n.t(Msg::Amount)}</span>
                        <input name="amount" inputmode="decimal" required prop:value=value(|t| t.amount.clone())
                            aria-invalid=move || problem("amount").is_some().to_string()
                            on:input=set(|t, v| t.amount = v) />
                        {move || problem("amount").map(|p| view! { <small class="field-error" data-test="amount-error">{p}</small> })}
                    </label>
                    <label><span>{i18n.t(Msg::ExpectedClose)}</span>
                        <input name="expected_close" type="date" required prop:value=value(|t| t.close.clone())
                            aria-invalid=move || problem("expected_close").is_some().to_string()
                            on:input=set(|t, v| t.close = v) />
                        {move || problem("expected_close").map(|p| view! { <small class="field-error">{p}</small> })}
                    </label>
                    <label><span>{i18n.t(Msg::LeadBy)}</span>
                        <select name="lead_by" on:change=set(|t, v| t.lead_by = if v == "partner" { LeadBy::Partner } else { LeadBy::Us })>
                            <option value="us" prop:selected=move || typed.with(|t| t.lead_by == LeadBy::Us)>{i18n.t(Msg::LeadByUs)}</option>
                            <option value="partner" prop:selected=move || typed.with(|t| t.lead_by == LeadBy::Partner)>{i18n.t(Msg::LeadByPartner)}</option>
                        </select></label>
                </div>
                <p class="grade-preview" data-test="terms-preview" aria-live="polite">
                    {move || preview.get().map(|(from, to, track)| view! {
                        {i18n.t(Msg::Grade)}": "<GradeBadge grade=from />
                        {(from != to).then(|| view! { " → "<GradeBadge grade=to /> })}
                        " · "{track_label(i18n, track)}
                    })}
                </p>
                <div class="row">
                    <button type="submit" class="primary" data-test="save-terms"
                        disabled=move || !savable() || ctl.saver.busy.get()>{i18n.t(Msg::SaveDeal)}</button>
                    <button type="button" data-test="reset-terms" disabled=move || !changed()
                        on:click=move |_| typed.set(opp.with_untracked(Terms::of))>{i18n.t(Msg::DiscardChanges)}</button>
                </div>
            </form>
            {move || ctl.actor.with_value(|a| a.as_ref().is_some_and(|a| a.is_manager())).then(|| view! { <OwnerForm /> })}
        </details>
    }
}

fn no_change(p: &shared::opportunity::OpportunityPatch) -> bool {
    p.name.is_none()
        && p.customer.is_none()
        && p.amount.is_none()
        && p.expected_close.is_none()
        && p.lead_by.is_none()
}

/// A manager hands the deal to another active salesperson.
#[component]
fn OwnerForm() -> impl IntoView {
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let pick = RwSignal::new(String::new());
    let options = ctl.users.with_value(|users| {
        users
            .iter()
            .filter(|u| crate::components::ui::sells(u))
            .map(|u| view! { <option value=u.id.clone()>{crate::components::ui::person(u)}</option> })
            .collect_view()
    });
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let owner_id = pick.get_untracked();
        if owner_id.is_empty() {
            return;
        }
        ctl.run(move |id, version| async move {
            api::change_owner(&id, &OwnerChange { owner_id, version }).await
        });
    };
    view! {
        <form class="form owner" on:submit=change data-test="owner-form">
            <label><span>{i18n.t(Msg::NewOwner)}</span>
                <select name="owner_id" required on:change=move |ev| pick.set(event_target_value(&ev))>
                    <option value="">{i18n.t(Msg::Choose)}</option>
                    {options}
                </select></label>
            <button type="submit" data-test="change-owner"
                disabled=move || ctl.saver.busy.get() || pick.with(|p| p.is_empty() || ctl.opp().with(|o| o.owner_id == *p))>
                {i18n.t(Msg::ChangeOwner)}
            </button>
        </form>
    }
}

/// The deal's forecast category. Commit is offered only while the shared
/// rule allows it (the current stage's requirements met, the stage's
/// probability at the commit floor), and what it still needs is listed; a
/// commit the gate no longer allows says it counts as best case.
#[component]
pub fn ForecastPick() -> impl IntoView {
    use shared::forecast::{ForecastCategory as C, commit_blockers};
    let i18n = use_i18n();
    let ctl = expect_context::<Ctl>();
    let opp = ctl.opp();
    let blockers = Memo::new(move |_| {
        opp.with(|o| {
            ctl.pipeline
                .with_value(|p| commit_blockers(o, p, &ctl.policy.get_value()))
                .into_iter()
                .map(|b| b.message.get(i18n.current()).to_string())
                .collect::<Vec<_>>()
        })
    });
    let choose = move |ev: leptos::ev::Event| {
        let Some(category) = C::parse(&event_target_value(&ev)) else {
            return;
        };
        ctl.run(move |id, version| async move {
            api::set_forecast(&id, &shared::report::ForecastRequest { category, version }).await
        });
    };
    let options = [C::Pipeline, C::BestCase, C::Commit].map(|c| {
        view! {
            <option value=c.as_str() prop:selected=move || opp.with(|o| o.forecast == c)
                disabled=move || c == C::Commit && !blockers.with(Vec::is_empty)>
                {c.label().get(i18n.current()).to_string()}
            </option>
        }
    });
    view! {
        <div class="card forecast" data-test="forecast">
            <label><span>{i18n.t(Msg::ForecastCategory)}</span>
                <select name="forecast" data-test="forecast-select" on:change=choose
                    disabled=move || ctl.saver.busy.get()>{options}</select></label>
            {move || blockers.with(|b| (!b.is_empty()).then(|| view! {
                <small class="hint" data-test="commit-needs">
                    {i18n.t(if opp.with(|o| o.forecast == C::Commit) { Msg::CommitCountsBestCase } else { Msg::CommitNeeds })}
                    " "{b.join(" · ")}
                </small>
            }))}
        </div>
    }
}
