//! What a rep types is never lost and a deal is never closed by accident
//! (issue #12, first part), in Chromium against the real runtime: a
//! final-stage card on the board opens the win / lose dialog instead of
//! winning in one click; the lead page keeps typed text through a ticked
//! task and a save, and its conversion preview always matches its boxes;
//! "Save fields" with one invalid value keeps it typed, marked and unsaved;
//! a closed deal's page is its outcome, read only.

use dealgate_tests::{
    Session, browser, call, call_ok, click, complete_stage, converted_deal, deal_page_as, exists,
    find, get_deal, set_value, sign_in_as, sign_in_in_browser, type_into, unique, url, value_of,
    wait_text,
};
use fantoccini::{Client, Locator};
use reqwest::Method;
use serde_json::{Value, json};
use shared::api::Config;
use shared::{Opportunity, Status};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// Waits until the record in the page's header (`data-version`) moves past
/// `before`: the server took the change and the page shows it.
async fn version_after(client: &Client, head: &str, before: u64) -> u64 {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let v = find(client, head)
            .await
            .attr("data-version")
            .await
            .unwrap()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if v > before {
            return v;
        }
        if let Ok(e) = client.find(Locator::Css("[data-test=action-error]")).await {
            panic!("the server refused: {}", e.text().await.unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "the change was not saved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A fast-tracked (C) deal of `rep`'s in its pipeline's final stage, that
/// stage's requirements met: the one "Move on" used to win in one click.
async fn final_stage_deal(rep: &Session) -> Opportunity {
    let (manager, rep2) = (sign_in_as("manager").await, sign_in_as("rep2").await);
    let config: Config = rep.get_json("/api/config").await;
    let deal = converted_deal(rep, &unique("Board close "), 50_000_000).await;
    assert_eq!(deal.track, shared::Track::Fast);
    complete_stage(rep, &manager, &rep2, &config, &deal.id, "initiate").await;
    let v = get_deal(rep, &deal.id).await.version;
    call_ok(
        rep,
        Method::POST,
        &format!("/api/opportunities/{}/transition", deal.id),
        json!({"to": "negotiate", "version": v}),
    )
    .await;
    complete_stage(rep, &manager, &rep2, &config, &deal.id, "negotiate").await;
    get_deal(rep, &deal.id).await
}

#[tokio::test]
async fn a_final_stage_card_on_the_board_opens_the_win_dialog_and_wins_only_with_a_contract() {
    let rep = sign_in_as("rep").await;
    let deal = final_stage_deal(&rep).await;
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url("/")).await.unwrap();
    let card = format!("[data-test=deal-card][data-id={}]", deal.id);
    wait_text(&client, &format!("{card} [data-test=move-on]"), |t| {
        t.contains("Win or lose")
    })
    .await;
    click(&client, &format!("{card} [data-test=move-on]")).await;

    // A modal dialog with the contract form: nothing was sent.
    let dialog = format!("{card} dialog[data-test=close-dialog]");
    find(&client, &format!("{dialog}[open] [data-test=win-form]")).await;
    let still = get_deal(&rep, &deal.id).await;
    assert_eq!(
        (still.status, still.version),
        (Status::Open, deal.version),
        "opening the dialog changed the deal"
    );

    // Escape closes it, and it opens again.
    find(&client, &format!("{dialog} input[name=contract_number]"))
        .await
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while exists(&client, &format!("{dialog}[open]")).await {
        assert!(Instant::now() < deadline, "Escape did not close the dialog");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    click(&client, &format!("{card} [data-test=move-on]")).await;

    // Win with the contract typed in the dialog, checked by the shared gate.
    type_into(
        &client,
        &format!("{dialog} input[name=contract_number]"),
        "HT-BOARD-1",
    )
    .await;
    click(&client, &format!("{dialog} [data-test=win]")).await;
    let deadline = Instant::now() + TIMEOUT;
    let won = loop {
        let d = get_deal(&rep, &deal.id).await;
        if d.status != Status::Open {
            break d;
        }
        assert!(Instant::now() < deadline, "the win was not saved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(won.status, Status::Won);
    assert_eq!(
        won.contract.as_ref().map(|c| c.number.as_str()),
        Some("HT-BOARD-1")
    );
    // Off the board of open deals.
    let deadline = Instant::now() + TIMEOUT;
    while exists(&client, &card).await {
        assert!(
            Instant::now() < deadline,
            "the won card stayed on the board"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The won deal's page is its outcome, read only: no checklist, no
    // verdict, no save button.
    client
        .goto(&url(&format!("/opportunities/{}", deal.id)))
        .await
        .unwrap();
    wait_text(&client, "[data-test=outcome-contract]", |t| {
        t == "HT-BOARD-1"
    })
    .await;
    for gone in [
        "[data-test=checklist]",
        "[data-test=verdict]",
        "[data-test=save-fields]",
    ] {
        assert!(!exists(&client, gone).await, "{gone} on a closed deal");
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_lead_page_keeps_typed_text_through_a_ticked_task_and_a_save_and_its_preview_matches_its_boxes()
 {
    let rep = sign_in_as("rep").await;
    let lead = call_ok(
        &rep,
        Method::POST,
        "/api/leads",
        json!({"title": unique("Typed lead "), "customer": "明远制造",
               "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": "tender"}),
    )
    .await;
    let id = lead["id"].as_str().unwrap().to_string();
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url(&format!("/leads/{id}"))).await.unwrap();

    let summary = "[data-test=field][data-key=need_summary] textarea";
    let budget = "[data-test=field][data-key=budget_status] select";
    type_into(&client, summary, "Wants a new MES by Q3").await;
    find(&client, budget)
        .await
        .select_by_index(1)
        .await
        .unwrap();
    let chosen = value_of(&client, budget).await;
    assert!(!chosen.is_empty());
    // The conversion terms, typed before anything is saved.
    type_into(
        &client,
        "[data-test=convert-form] input[name=amount]",
        "1,200,000",
    )
    .await;

    // Ticking a task saves the lead: what is typed elsewhere stays.
    let head = "[data-test=lead-head]";
    let v1 = version_after(&client, head, 0).await;
    click(
        &client,
        "[data-test=task][data-key=contact_confirmed] input",
    )
    .await;
    let v2 = version_after(&client, head, v1).await;
    assert_eq!(value_of(&client, summary).await, "Wants a new MES by Q3");
    assert_eq!(value_of(&client, budget).await, chosen);
    find(&client, "[data-test=unsaved]").await;

    // Saved: the fields are stored, the amount box and the preview agree.
    click(&client, "[data-test=save-fields]").await;
    version_after(&client, head, v2).await;
    let stored = call_ok(&rep, Method::GET, &format!("/api/leads/{id}"), Value::Null).await;
    assert_eq!(stored["fields"]["need_summary"], "Wants a new MES by Q3");
    assert_eq!(stored["fields"]["budget_status"], json!(chosen));
    assert_eq!(
        value_of(&client, "[data-test=convert-form] input[name=amount]").await,
        "1,200,000"
    );
    let preview = wait_text(&client, "[data-test=grade-preview]", |t| !t.is_empty()).await;
    assert!(
        !preview.contains("Enter the amount"),
        "the preview ignores the amount on screen: {preview}"
    );
    assert!(!exists(&client, "[data-test=unsaved]").await);

    // "Blocked by:" always lists something: here the task still open.
    let verdict = find(&client, "[data-test=convert-form] [data-test=verdict]").await;
    let text = verdict.text().await.unwrap();
    if text.contains("Blocked by") {
        let items = client
            .find_all(Locator::Css("[data-test=convert-form] [data-test=blocker]"))
            .await
            .unwrap();
        assert!(!items.is_empty(), "an empty blocked-by list: {text}");
    }

    // Emptying the amount: the preview and the verdict name it.
    set_value(&client, "[data-test=convert-form] input[name=amount]", "").await;
    wait_text(&client, "[data-test=grade-preview]", |t| {
        t.contains("Enter the amount")
    })
    .await;
    wait_text(
        &client,
        "[data-test=convert-form] [data-test=verdict]",
        |t| t.contains("Blocked by") && t.contains("Enter the amount"),
    )
    .await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn save_fields_with_one_invalid_value_saves_the_rest_and_keeps_the_invalid_one_typed_and_marked()
 {
    let rep = sign_in_as("rep").await;
    // A B deal in "initiate": a decision chain (text) and a project budget (money).
    let deal = converted_deal(&rep, &unique("Invalid kept "), 200_000_000).await;
    let client = deal_page_as("rep", &deal.id).await;
    let chain = "[data-test=field][data-key=decision_chain] textarea";
    let budget_row = "[data-test=field][data-key=project_budget]";
    let budget = format!("{budget_row} input");
    type_into(&client, chain, "CIO decides, CFO signs").await;
    type_into(&client, &budget, "12.345").await;
    wait_text(&client, &format!("{budget_row} .field-error"), |t| {
        !t.is_empty()
    })
    .await;
    wait_text(&client, "[data-test=to-fix]", |t| t.contains("1 to fix")).await;

    click(&client, "[data-test=save-fields]").await;
    version_after(&client, "[data-test=deal-head]", deal.version).await;
    let saved = get_deal(&rep, &deal.id).await;
    assert_eq!(saved.fields["decision_chain"], "CIO decides, CFO signs");
    assert!(!saved.fields.contains_key("project_budget"));

    // The invalid text is still there, marked, and the page still unsaved.
    assert_eq!(value_of(&client, &budget).await, "12.345");
    find(&client, &format!("{budget_row} .field-error")).await;
    find(&client, "[data-test=unsaved]").await;
    find(&client, "[data-test=to-fix]").await;
    let save_enabled = find(&client, "[data-test=save-fields]")
        .await
        .is_enabled()
        .await
        .unwrap();
    assert!(!save_enabled, "nothing valid is left to save");

    // Discard asks first; then the box shows what is stored.
    click(&client, "[data-test=discard]").await;
    client.dismiss_alert().await.unwrap();
    assert_eq!(value_of(&client, &budget).await, "12.345");
    click(&client, "[data-test=discard]").await;
    client.accept_alert().await.unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while exists(&client, "[data-test=unsaved]").await {
        assert!(Instant::now() < deadline, "discard left the page unsaved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(value_of(&client, &budget).await, "");
    // Nothing of that was written.
    let (status, after) = call(
        &rep,
        Method::GET,
        &format!("/api/opportunities/{}", deal.id),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(after["version"], json!(saved.version));
    client.close().await.unwrap();
}
