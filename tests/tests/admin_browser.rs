//! The admin's grading page in the browser, against the real runtime: the
//! impact of a new b_min shows the deal it regrades before saving, the save
//! goes through the confirmation and lands in the version history; a save
//! on a stale version says so and keeps what was typed. One
//! test, in its own binary: it moves the thresholds every other test grades
//! by, and puts them back whatever happens.

use dealgate_tests::{
    Session, browser, call_ok, click, converted_deal, find, restore_thresholds, sign_in_as,
    sign_in_in_browser, unique, wait_text,
};
use fantoccini::key::Key;
use reqwest::Method;
use serde_json::json;
use shared::api::GradingAdmin;
use shared::{Grade, Opportunity, Track};

/// Text as one line: cells and badges come back on lines of their own.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The browser part: everything the admin does and sees on the page.
async fn raise_b_min_through_the_page(admin: Session, before: GradingAdmin, deal: Opportunity) {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "admin").await;
    // The nav shows an admin the page, beside Users.
    click(&client, "nav a[href='/admin/grading']").await;
    let version = wait_text(&client, "[data-test=grading-version]", |t| {
        t.starts_with("Version")
    })
    .await;
    assert_eq!(
        version.split_whitespace().nth(1),
        Some(before.version.to_string().as_str())
    );
    let b_min = find(&client, "[data-test=input-b_min]").await;
    assert_eq!(
        b_min.prop("value").await.unwrap().as_deref(),
        Some("1,000,000")
    );
    // The impact of the thresholds in force: nothing changes.
    wait_text(&client, "[data-test=no-changes]", |t| !t.is_empty()).await;

    // b_min out of order first: the shared rule says so on its field, no preview.
    b_min.clear().await.unwrap();
    b_min.send_keys("9,000,000").await.unwrap();
    wait_text(&client, "#b_min-error", |t| t.contains("a_min")).await;
    wait_text(&client, "[data-test=preview-invalid]", |t| !t.is_empty()).await;

    // Above the deal's 2,000,000: the deal drops from B to C in the preview.
    b_min.clear().await.unwrap();
    b_min.send_keys("3,000,000").await.unwrap();
    let row = format!(
        "[data-test=preview] [data-test=change][data-id='{}']",
        deal.id
    );
    let change = flat(&wait_text(&client, &row, |t| t.contains(&deal.name)).await);
    assert!(change.contains("B → C"), "{change}");
    assert!(change.contains("Full process → Fast track"), "{change}");
    let link = find(&client, &format!("{row} a")).await;
    assert_eq!(
        link.attr("href").await.unwrap(),
        Some(format!("/opportunities/{}", deal.id))
    );
    wait_text(&client, "[data-test=count][data-grade=C]", |t| {
        t.trim_start_matches('C')
            .trim()
            .parse::<usize>()
            .is_ok_and(|n| n >= 1)
    })
    .await;
    wait_text(&client, "[data-test=blocked-after]", |t| {
        t.contains("blocked")
    })
    .await;

    // Enter asks first; the confirmation saves.
    b_min.send_keys(&Key::Enter).await.unwrap();
    wait_text(&client, "[data-test=confirm]", |t| t.contains("Regrade")).await;
    click(&client, "[data-test=confirm-save]").await;
    let saved = before.version + 1;
    wait_text(&client, "[data-test=saved]", |t| {
        t == format!("Saved as version {saved}")
    })
    .await;
    wait_text(&client, "[data-test=grading-version]", |t| {
        t.starts_with(&format!("Version {saved} "))
    })
    .await;
    let newest =
        format!("[data-test=grading-history] [data-test=history-item][data-version='{saved}']");
    let entry = flat(&wait_text(&client, &newest, |t| t.contains("→")).await);
    assert!(entry.contains("B ≥ ¥1,000,000 → ¥3,000,000"), "{entry}");
    assert!(entry.contains("A ≥ ¥5,000,000"), "{entry}");
    // Regraded now, the deal is no change any more.
    wait_text(&client, "[data-test=no-changes]", |t| !t.is_empty()).await;

    // Someone else saves meanwhile: the page says so, loads the version in
    // force and keeps what the admin typed.
    call_ok(
        &admin,
        Method::PUT,
        "/api/admin/grading",
        json!({"a_min": before.a_min, "b_min": 250_000_000, "c_min": before.c_min, "version": saved}),
    )
    .await;
    b_min.clear().await.unwrap();
    b_min.send_keys("4,000,000").await.unwrap();
    click(&client, "[data-test=save]").await;
    click(&client, "[data-test=confirm-save]").await;
    wait_text(&client, "[data-test=conflict]", |t| {
        t.contains("Someone else")
    })
    .await;
    let theirs = saved + 1;
    wait_text(&client, "[data-test=grading-version]", |t| {
        t.starts_with(&format!("Version {theirs} "))
    })
    .await;
    assert_eq!(
        b_min.prop("value").await.unwrap().as_deref(),
        Some("4,000,000")
    );
    wait_text(
        &client,
        &format!("[data-test=history-item][data-version='{theirs}']"),
        |t| flat(t).contains("¥3,000,000 → ¥2,500,000"),
    )
    .await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn an_admin_previews_a_new_b_min_saves_it_after_confirming_sees_the_new_version_and_keeps_typed_values_on_a_conflict()
 {
    let rep = sign_in_as("rep").await;
    let admin = sign_in_as("admin").await;
    let name = format!("Threshold UI {}", unique(""));
    let deal = converted_deal(&rep, &name, 200_000_000).await;
    assert_eq!(deal.grade.effective, Grade::B);
    let before: GradingAdmin = admin.get_json("/api/admin/grading").await;

    let outcome = tokio::spawn(raise_b_min_through_the_page(
        admin.clone(),
        before.clone(),
        deal.clone(),
    ))
    .await;
    let regraded: Opportunity = rep
        .get_json(&format!("/api/opportunities/{}", deal.id))
        .await;
    // Put the thresholds back for every test after this one, whatever happened.
    let (now, restored) = restore_thresholds(&admin, &before).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }

    assert_eq!(
        (regraded.grade.effective, regraded.track),
        (Grade::C, Track::Fast)
    );
    assert_eq!(now.version, before.version + 2);
    assert_eq!(
        (restored.a_min, restored.b_min, restored.c_min),
        (before.a_min, before.b_min, before.c_min)
    );
}
