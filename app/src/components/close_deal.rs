//! Winning and losing a deal: the same two forms on the deal page and in the
//! board's dialog. The contract is checked live by the shared gate (the
//! verdict the server gives); losing needs a reason and asks first.

use crate::components::checklist::VerdictView;
use crate::components::error::field_error;
use crate::components::ui::{confirm, today};
use crate::i18n::{Msg, use_i18n};
use crate::model;
use leptos::prelude::*;
use shared::gate::{Target, Transition};
use shared::opportunity::{Contract, LostInfo};
use shared::{GradingPolicy, Money, Opportunity, Pipeline};

/// What the forms need of the page that shows them.
#[derive(Clone, Copy)]
pub struct Closing {
    /// The deal as the server last answered it.
    pub deal: RwSignal<Opportunity>,
    pub pipeline: StoredValue<Pipeline>,
    pub policy: StoredValue<GradingPolicy>,
    /// A call is under way.
    pub busy: RwSignal<bool>,
    /// Typed field changes that must be saved first.
    pub unsaved: Signal<bool>,
    /// Sends the transition to the server.
    pub go: Callback<Transition>,
    /// The server's last refusal: its input errors show beside the inputs.
    pub error: RwSignal<Option<crate::api::ApiError>>,
}

#[component]
pub fn WinForm(closing: Closing) -> impl IntoView {
    let i18n = use_i18n();
    let Closing {
        deal,
        pipeline,
        policy,
        busy,
        unsaved,
        go,
        error,
    } = closing;
    let (amount0, currency) =
        deal.with_untracked(|o| (o.amount.format_major(o.currency), o.currency));
    let number = RwSignal::new(String::new());
    let amount = RwSignal::new(amount0);
    let signed = RwSignal::new(today().to_string());
    let contract = move || {
        Some(Contract {
            number: number.get().trim().to_string(),
            amount: Money::parse_major(&amount.get(), currency).ok()?,
            signed_on: shared::checklist::parse_date(&signed.get())?,
        })
    };
    let transition = move || Transition {
        contract: contract(),
        ..Transition::to(Target::Won)
    };
    let verdict = Signal::derive(move || {
        let t = transition();
        deal.with(|o| {
            pipeline.with_value(|p| {
                // At the clock, as the server's win decides it.
                let now = crate::components::ui::now();
                shared::gate::check_at(o, p, &policy.get_value(), &t, now)
            })
        })
    });
    let progress = Signal::derive(move || {
        deal.with(|o| pipeline.with_value(|p| model::current_progress(o, p)))
    });
    let win = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go.run(transition());
    };
    view! {
        <form class="form win" on:submit=win data-test="win-form">
            <h3>{i18n.t(Msg::WinTitle)}</h3>
            <div class="grid">
                <label><span>{i18n.t(Msg::ContractNumber)}</span>
                    <input name="contract_number" required maxlength=shared::opportunity::MAX_NAME on:input=move |ev| number.set(event_target_value(&ev)) />
                    {field_error(error, "contract.number")}</label>
                <label><span>{i18n.t(Msg::ContractAmount)}</span>
                    <input name="contract_amount" inputmode="decimal" required prop:value=move || amount.get()
                        on:input=move |ev| amount.set(event_target_value(&ev)) /></label>
                <label><span>{i18n.t(Msg::SignedOn)}</span>
                    <input name="signed_on" type="date" required prop:value=move || signed.get()
                        on:input=move |ev| signed.set(event_target_value(&ev)) /></label>
            </div>
            <VerdictView progress verdict />
            <button type="submit" class="primary" data-test="win"
                disabled=move || busy.get() || unsaved.get() || contract().is_none() || !verdict.with(|v| v.allowed)>
                {i18n.t(Msg::MarkWon)}
            </button>
        </form>
    }
}

#[component]
pub fn LoseForm(closing: Closing, #[prop(optional)] open: bool) -> impl IntoView {
    let i18n = use_i18n();
    let Closing {
        busy, go, error, ..
    } = closing;
    let reason = RwSignal::new(String::new());
    let competitor = RwSignal::new(String::new());
    let lose = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !confirm(i18n.t(Msg::ConfirmLose)) {
            return;
        }
        let lost = LostInfo {
            reason: reason.get_untracked(),
            competitor: Some(competitor.get_untracked()).filter(|c| !c.trim().is_empty()),
        };
        go.run(Transition {
            lost: Some(lost),
            ..Transition::to(Target::Lost)
        });
    };
    view! {
        <details class="lose" open=open>
            <summary>{i18n.t(Msg::MarkLost)}</summary>
            <form class="form" on:submit=lose data-test="lose-form">
                <label><span>{i18n.t(Msg::LostReason)}</span>
                    <input name="reason" required maxlength=shared::checklist::MAX_NOTE on:input=move |ev| reason.set(event_target_value(&ev)) />
                    {field_error(error, "lost.reason")}</label>
                <label><span>{i18n.t(Msg::Competitor)}</span>
                    <input name="competitor" maxlength=shared::opportunity::MAX_NAME on:input=move |ev| competitor.set(event_target_value(&ev)) />
                    {field_error(error, "lost.competitor")}</label>
                <button type="submit" data-test="lose" disabled=move || busy.get() || reason.with(|r| r.trim().is_empty())>
                    {i18n.t(Msg::MarkLost)}
                </button>
            </form>
        </details>
    }
}
