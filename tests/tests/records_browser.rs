//! Issue #12 in Chromium against the real runtime: a manager reopens a lost
//! deal from its page; notes join a deal's history (a long one collapsed);
//! a disqualified lead is reopened from its page; a new lead is warned of a
//! duplicate, with a link, and its errors clear as they are fixed; an admin
//! renames a user and sets their password, which ends their sessions.

use dealgate_tests::{
    browser, call, call_ok, click, converted_deal, deal_page_as, exists, find, fresh_user,
    get_deal, set_value, sign_in, sign_in_as, sign_in_in_browser, type_into, unique, url, value_of,
    wait_text,
};
use reqwest::Method;
use serde_json::json;
use shared::Status;
use std::time::{Duration, Instant};

/// Polls `check` until it holds (20 s at most).
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_manager_reopens_a_lost_deal_from_its_page_and_the_history_says_why() {
    let rep = sign_in_as("rep").await;
    let manager = sign_in_as("manager").await;
    let deal = converted_deal(&rep, &unique("Reopen "), 200_000_000).await;
    call_ok(
        &rep,
        Method::POST,
        &format!("/api/opportunities/{}/transition", deal.id),
        json!({"to": "lost", "lost": {"reason": "price"}, "version": deal.version}),
    )
    .await;
    // The owner sees the outcome but no way to reopen it.
    let owner_page = deal_page_as("rep", &deal.id).await;
    find(&owner_page, "[data-test=outcome]").await;
    assert!(!exists(&owner_page, "[data-test=reopen-form]").await);
    owner_page.close().await.unwrap();

    let client = deal_page_as("manager", &deal.id).await;
    find(&client, "[data-test=outcome]").await;
    click(&client, "details.reopen summary").await;
    type_into(
        &client,
        "[data-test=reopen-form] textarea[name=reason]",
        "The customer came back with budget",
    )
    .await;
    click(&client, "[data-test=reopen]").await;
    client.accept_alert().await.unwrap();
    eventually("the deal did not reopen", || async {
        get_deal(&manager, &deal.id).await.status == Status::Open
    })
    .await;
    // The page shows the open deal's checklist again, and the history why.
    find(&client, "[data-test=checklist]").await;
    wait_text(&client, "[data-test=history]", |t| {
        t.contains("Reopened") && t.contains("The customer came back with budget")
    })
    .await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_rep_adds_notes_to_a_deal_and_a_long_one_is_collapsed_in_the_history() {
    let rep = sign_in_as("rep").await;
    let deal = converted_deal(&rep, &unique("Notes "), 200_000_000).await;
    let client = deal_page_as("rep", &deal.id).await;
    let note = "[data-test=note-form] textarea[name=note]";
    type_into(&client, note, "Called the CIO; budget confirmed").await;
    wait_text(&client, "[data-test=note-count]", |t| {
        t.starts_with("32 / 2000")
    })
    .await;
    click(&client, "[data-test=add-note]").await;
    wait_text(&client, "[data-test=history]", |t| {
        t.contains("Note") && t.contains("Called the CIO; budget confirmed")
    })
    .await;
    // The box is empty again, and the note changed nothing else.
    assert_eq!(value_of(&client, note).await, "");
    assert_eq!(get_deal(&rep, &deal.id).await.version, deal.version);

    let long = "Long minutes of the meeting. ".repeat(12);
    type_into(&client, note, &long).await;
    click(&client, "[data-test=add-note]").await;
    find(&client, "[data-test=history] [data-test=collapsed]").await;
    let shown = find(&client, "[data-test=collapsed]")
        .await
        .text()
        .await
        .unwrap();
    assert!(shown.ends_with('…'), "collapsed text: {shown}");
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_disqualified_lead_is_reopened_from_its_page_and_its_history_shows_both() {
    let rep = sign_in_as("rep").await;
    let title = unique("Lead back ");
    let lead = call_ok(
        &rep,
        Method::POST,
        "/api/leads",
        json!({"title": title, "customer": unique("Cust "),
               "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": "tender"}),
    )
    .await;
    let id = lead["id"].as_str().unwrap().to_string();
    call_ok(
        &rep,
        Method::POST,
        &format!("/api/leads/{id}/disqualify"),
        json!({"reason": "no budget", "version": lead["version"]}),
    )
    .await;
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url(&format!("/leads/{id}"))).await.unwrap();
    type_into(
        &client,
        "[data-test=reopen-lead-form] textarea[name=reason]",
        "Budget found",
    )
    .await;
    click(&client, "[data-test=reopen-lead]").await;
    client.accept_alert().await.unwrap();
    wait_text(&client, "[data-test=lead-status]", |t| t == "Working").await;
    // Workable again: its convert form is back.
    find(&client, "[data-test=convert-form]").await;
    wait_text(&client, "[data-test=history]", |t| {
        t.contains("Disqualified · no budget") && t.contains("Reopened · Budget found")
    })
    .await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_new_lead_is_warned_of_a_duplicate_with_a_link_and_its_errors_clear_as_fixed() {
    let rep = sign_in_as("rep").await;
    let customer = unique("Globex ");
    let existing = call_ok(
        &rep,
        Method::POST,
        "/api/leads",
        json!({"title": "ERP upgrade", "customer": format!("{customer} Co., Ltd."),
               "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": "tender"}),
    )
    .await;
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url("/leads")).await.unwrap();
    click(&client, "details.new-lead summary").await;
    let form = "[data-test=new-lead]";

    // An empty try names what is missing; each message goes once fixed.
    click(&client, &format!("{form} button[type=submit]")).await;
    wait_text(
        &client,
        &format!("{form} label:has(input[name=title]) [data-test=field-error]"),
        |t| !t.is_empty(),
    )
    .await;
    type_into(&client, &format!("{form} input[name=title]"), "ERP Upgrade").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while exists(
        &client,
        &format!("{form} label:has(input[name=title]) [data-test=field-error]"),
    )
    .await
    {
        assert!(
            Instant::now() < deadline,
            "the title's error stayed after it was fixed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        exists(
            &client,
            &format!("{form} label:has(input[name=customer]) [data-test=field-error]")
        )
        .await,
        "the customer is still missing"
    );

    // The same customer (another spelling) and project: warned, with a link.
    type_into(
        &client,
        &format!("{form} input[name=customer]"),
        &customer.to_uppercase(),
    )
    .await;
    click(&client, &format!("{form} input[name=source]")).await;
    wait_text(&client, "[data-test=duplicates]", |t| {
        t.contains("ERP upgrade")
    })
    .await;
    let link = find(
        &client,
        &format!(
            "[data-test=duplicate][data-id='{}'] a",
            existing["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        link.attr("href").await.unwrap().unwrap(),
        format!("/leads/{}", existing["id"].as_str().unwrap())
    );
    client.close().await.unwrap();
}

/// The CSS selector of the users table's row for `email`.
async fn row_of(client: &fantoccini::Client, email: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = client
            .find_all(fantoccini::Locator::Css("tbody tr[data-test=user-row]"))
            .await
            .unwrap();
        for (i, r) in rows.iter().enumerate() {
            if r.text().await.unwrap_or_default().contains(email) {
                return format!("tbody tr[data-test=user-row]:nth-child({})", i + 1);
            }
        }
        assert!(Instant::now() < deadline, "no row for {email}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_admin_renames_a_user_and_sets_a_password_that_ends_their_sessions() {
    let (user, password) = fresh_user(&["rep"]).await;
    let old_session = sign_in(&user.email, &password).await;
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "admin").await;
    client.goto(&url("/admin/users")).await.unwrap();
    let row = row_of(&client, &user.email).await;
    click(&client, &format!("{row} [data-test=user-edit] summary")).await;
    type_into(
        &client,
        &format!("{row} [data-test=rename-user] input[name=name]"),
        "Renamed Rep",
    )
    .await;
    click(&client, &format!("{row} [data-test=rename-user] button")).await;
    // The table reloads (and may sort the row elsewhere): find it again.
    let deadline = Instant::now() + Duration::from_secs(20);
    let row = loop {
        let row = row_of(&client, &user.email).await;
        if find(&client, &format!("{row} [data-test=user-name]"))
            .await
            .text()
            .await
            .unwrap()
            == "Renamed Rep"
        {
            break row;
        }
        assert!(Instant::now() < deadline, "the new name is not shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    click(&client, &format!("{row} [data-test=user-edit] summary")).await;
    type_into(
        &client,
        &format!("{row} [data-test=set-password] input[name=new_password]"),
        "a brand new password",
    )
    .await;
    click(&client, &format!("{row} [data-test=set-password] button")).await;
    client.accept_alert().await.unwrap();
    eventually("the old session still works", || async {
        call(
            &old_session,
            Method::GET,
            "/api/me",
            serde_json::Value::Null,
        )
        .await
        .0 == 401
    })
    .await;
    let fresh = sign_in(&user.email, "a brand new password").await;
    assert_eq!(fresh.me.name, "Renamed Rep");
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_rep_edits_the_lead_itself_checked_live_and_the_history_says_so() {
    let rep = sign_in_as("rep").await;
    let lead = call_ok(
        &rep,
        Method::POST,
        "/api/leads",
        json!({"title": unique("Old title "), "customer": unique("Cust "),
               "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": "tender"}),
    )
    .await;
    let id = lead["id"].as_str().unwrap().to_string();
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url(&format!("/leads/{id}"))).await.unwrap();
    click(&client, "details.lead-edit summary").await;
    let form = "[data-test=lead-edit-form]";
    // An empty title is named at once and nothing can be saved.
    set_value(&client, &format!("{form} input[name=title]"), "").await;
    wait_text(&client, &format!("{form} [data-test=field-error]"), |t| {
        t == "Required"
    })
    .await;
    assert!(
        !find(&client, "[data-test=save-lead]")
            .await
            .is_enabled()
            .await
            .unwrap()
    );
    let title = unique("New title ");
    type_into(&client, &format!("{form} input[name=title]"), &title).await;
    click(&client, "[data-test=save-lead]").await;
    wait_text(&client, "[data-test=lead-title]", |t| t == title).await;
    let (_, stored) = call(
        &rep,
        Method::GET,
        &format!("/api/leads/{id}"),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(stored["title"], json!(title));
    wait_text(&client, "[data-test=history]", |t| {
        t.contains("Updated · title")
    })
    .await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_refused_reason_is_named_beside_its_input_never_by_its_field_name() {
    let rep = sign_in_as("rep").await;
    let deal = converted_deal(&rep, &unique("Too long "), 200_000_000).await;
    let client = deal_page_as("rep", &deal.id).await;
    click(&client, "details.lose summary").await;
    // Past the input's own limit (as a crafted request would be).
    set_value(
        &client,
        "[data-test=lose-form] input[name=reason]",
        &"r".repeat(2_001),
    )
    .await;
    click(&client, "[data-test=lose]").await;
    client.accept_alert().await.unwrap();
    wait_text(
        &client,
        "[data-test=lose-form] [data-test=field-error]",
        |t| t.contains("2000"),
    )
    .await;
    let top = wait_text(&client, "[data-test=action-error]", |t| !t.is_empty()).await;
    assert!(!top.contains("lost.reason"), "{top}");
    assert_eq!(get_deal(&rep, &deal.id).await.status, Status::Open);
    client.close().await.unwrap();
}
