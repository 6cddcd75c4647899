//! The approvals inbox in Chromium against the real runtime (issue #12): a
//! manager sees the badge in the navigation, opens the inbox, finds the
//! rep's request among every deal's, and approves it in place; a reject
//! waits for a comment.

use dealgate_tests::{
    browser, call_ok, click, converted_deal, find, get_deal, sign_in_as, sign_in_in_browser,
    type_into, unique, url, wait_path, wait_text,
};
use reqwest::Method;
use serde_json::json;
use shared::checklist::ApprovalStatus;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_manager_approves_a_reps_request_from_the_inbox_without_opening_the_deal() {
    let rep = sign_in_as("rep").await;
    let deal = converted_deal(&rep, &unique("Inbox "), 200_000_000).await;
    call_ok(
        &rep,
        Method::POST,
        &format!(
            "/api/opportunities/{}/approvals/initiation_review/request",
            deal.id
        ),
        json!({"version": deal.version}),
    )
    .await;

    let client = browser("en-US").await;
    sign_in_in_browser(&client, "manager").await;
    client.goto(&url("/")).await.unwrap();
    // The navigation counts what waits for this manager.
    let badge = wait_text(&client, "[data-test=waiting-approvals]", |t| !t.is_empty()).await;
    assert!(badge.parse::<u64>().unwrap() >= 1, "{badge}");
    click(&client, "nav a[href='/approvals']").await;
    wait_path(&client, |p| p == "/approvals").await;

    let item = format!(
        "[data-test=approval-item][data-id='{}'][data-key=initiation_review]",
        deal.id
    );
    wait_text(&client, &format!("{item} h2"), |t| {
        t.contains("Inbox") && t.contains("Initiation review")
    })
    .await;
    // A reject needs a comment first.
    let reject = find(&client, &format!("{item} [data-test=reject]")).await;
    assert!(!reject.is_enabled().await.unwrap());
    type_into(
        &client,
        &format!("{item} [data-test=approval-comment]"),
        "OK to pursue",
    )
    .await;
    assert!(reject.is_enabled().await.unwrap());

    click(&client, &format!("{item} [data-test=approve]")).await;
    wait_text(
        &client,
        &format!("{item} [data-test=approval-decided]"),
        |t| t.contains("Approved"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let state = loop {
        let d = get_deal(&rep, &deal.id).await;
        let state = d
            .approvals
            .get("initiation_review")
            .cloned()
            .unwrap_or_default();
        if state.status != ApprovalStatus::Pending || Instant::now() > deadline {
            break state;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(state.status, ApprovalStatus::Approved);
    assert_eq!(state.comment.as_deref(), Some("OK to pursue"));
    let manager = sign_in_as("manager").await;
    assert_eq!(state.decided_by.as_deref(), Some(manager.me.id.as_str()));
    client.close().await.unwrap();
}
