//! The lists and the deal page's skipped stages in Chromium against the
//! real runtime (issue #12): the deal list's sort lives in the address
//! (Back restores it); the leads list's search does too; on a 375 px phone
//! both lists are cards without sideways scrolling (screenshots written to
//! target/screenshots/); after an upgrade, a skipped stage's requirement is
//! filled where the deal page shows it.

use dealgate_tests::{
    browser, call_ok, click, complete_stage, converted_deal, find, get_deal, sign_in_as,
    sign_in_in_browser, type_into, unique, url, value_of, wait_path, wait_text,
};
use fantoccini::{Client, Locator};
use reqwest::Method;
use serde_json::json;
use shared::api::Config;
use shared::pipeline::FieldKind;
use std::time::{Duration, Instant};

async fn first_row_name(client: &Client) -> String {
    find(client, "[data-test=deal-row] td a")
        .await
        .text()
        .await
        .unwrap()
}

async fn wait_first_row(client: &Client, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if first_row_name(client).await == want {
            return;
        }
        assert!(Instant::now() < deadline, "the first row is not {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_deal_lists_sort_is_kept_in_the_address_and_back_restores_it() {
    let rep = sign_in_as("rep").await;
    let tag = unique("Sorted");
    let small = format!("{tag} small");
    let large = format!("{tag} large");
    converted_deal(&rep, &small, 100_000_000).await;
    converted_deal(&rep, &large, 900_000_000).await;
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client
        .goto(&url(&format!("/opportunities?q={tag}")))
        .await
        .unwrap();
    // Newest first: the large one.
    wait_first_row(&client, &large).await;
    click(&client, "[data-test=sort-amount]").await;
    wait_path(&client, |p| p.contains("sort=amount")).await;
    wait_first_row(&client, &small).await;
    let th = find(&client, "th:has([data-test=sort-amount])").await;
    assert_eq!(
        th.attr("aria-sort").await.unwrap().as_deref(),
        Some("ascending")
    );
    click(&client, "[data-test=sort-amount]").await;
    wait_path(&client, |p| p.contains("sort=-amount")).await;
    wait_first_row(&client, &large).await;
    // Back: ascending again, from the address.
    client.back().await.unwrap();
    wait_path(&client, |p| {
        p.contains("sort=amount") && !p.contains("sort=-")
    })
    .await;
    wait_first_row(&client, &small).await;
    // The new columns are there.
    let days = find(&client, "[data-test=deal-row] [data-test=days]")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(days, "0");
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_leads_search_lives_in_the_address_and_a_reload_keeps_it() {
    let rep = sign_in_as("rep").await;
    let title = unique("Findable lead ");
    call_ok(
        &rep,
        Method::POST,
        "/api/leads",
        json!({"title": title, "customer": "明远制造",
               "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": "tender"}),
    )
    .await;
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url("/leads")).await.unwrap();
    type_into(&client, "[data-test=lead-filters] input[name=q]", &title).await;
    click(&client, "[data-test=lead-filters] button[type=submit]").await;
    wait_path(&client, |p| p.starts_with("/leads?q=")).await;
    client.refresh().await.unwrap();
    wait_text(&client, "[data-test=lead-row]", |t| t.contains(&title)).await;
    let rows = client
        .find_all(Locator::Css("[data-test=lead-row]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        value_of(&client, "[data-test=lead-filters] input[name=q]").await,
        title
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn on_a_phone_the_lists_are_cards_without_sideways_scrolling() {
    let rep = sign_in_as("rep").await;
    converted_deal(&rep, &unique("Phone card "), 200_000_000).await;
    let client = browser("zh-CN").await;
    client.set_window_size(375, 812).await.unwrap();
    sign_in_in_browser(&client, "rep").await;
    std::fs::create_dir_all("../target/screenshots").unwrap();
    for (path, row) in [
        ("/opportunities", "[data-test=deal-row]"),
        ("/leads", "[data-test=lead-row]"),
    ] {
        client.goto(&url(path)).await.unwrap();
        find(&client, row).await;
        let (wide, header_shown, row_is_card, widest): (bool, bool, bool, String) = serde_json::from_value(
            client
                .execute(
                    "const row = document.querySelector(arguments[0]);
                     const head = document.querySelector('table.list thead');
                     const width = document.documentElement.clientWidth;
                     const over = [...document.querySelectorAll('body *')]
                       .filter((e) => e.getBoundingClientRect().right > width + 0.5 && e.closest('thead') === null)
                       .map((e) => e.outerHTML.slice(0, 120));
                     return [
                       document.documentElement.scrollWidth > width,
                       head.getBoundingClientRect().left >= 0,
                       getComputedStyle(row).display === 'block',
                       over.slice(-3).join(' | '),
                     ];",
                    vec![json!(row)],
                )
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(!wide, "{path} scrolls sideways at 375 px: {widest}");
        assert!(!header_shown, "{path} still shows its table header");
        assert!(row_is_card, "{path} rows are not cards");
        // Every link and button on the page is a 44 px touch target.
        let small: Vec<String> = serde_json::from_value(
            client
                .execute(
                    "return [...document.querySelectorAll('main button, main select, main input, table.list td:first-child a')]
                       .filter((e) => e.offsetParent !== null)
                       .filter((e) => e.getBoundingClientRect().height < 43.5)
                       .map((e) => e.outerHTML.slice(0, 80));",
                    vec![],
                )
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(
            small.is_empty(),
            "{path}: touch targets under 44 px: {small:?}"
        );
        let png = client.screenshot().await.unwrap();
        let name = path.trim_start_matches('/');
        std::fs::write(format!("../target/screenshots/{name}-375.png"), png).unwrap();
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn after_an_upgrade_a_skipped_stages_field_is_filled_where_the_deal_page_shows_it() {
    let rep = sign_in_as("rep").await;
    let (manager, rep2) = (sign_in_as("manager").await, sign_in_as("rep2").await);
    let config: Config = rep.get_json("/api/config").await;
    // A C deal jumps to the final stage, then a manager upgrades it to A.
    let deal = converted_deal(&rep, &unique("Upgraded "), 50_000_000).await;
    complete_stage(
        &rep,
        &manager,
        &rep2,
        &config,
        &deal.id,
        deal.stage.as_str(),
    )
    .await;
    let v = get_deal(&rep, &deal.id).await.version;
    let jumped = call_ok(
        &rep,
        Method::POST,
        &format!("/api/opportunities/{}/transition", deal.id),
        json!({"to": "negotiate", "version": v}),
    )
    .await;
    call_ok(
        &manager,
        Method::POST,
        &format!("/api/opportunities/{}/grade-override", deal.id),
        json!({"grade": "A", "reason": "strategic account", "version": jumped["version"]}),
    )
    .await;
    let tender = config
        .pipelines
        .iter()
        .find(|p| p.id == deal.pipeline)
        .unwrap();
    let analyze = tender.stage("analyze").unwrap();
    let field = analyze
        .required_fields
        .iter()
        .find(|f| {
            matches!(f.kind, FieldKind::Text | FieldKind::LongText)
                && f.grades.contains(shared::Grade::A)
        })
        .expect("a text field in the analysis stage");

    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client
        .goto(&url(&format!("/opportunities/{}", deal.id)))
        .await
        .unwrap();
    let group = "[data-test=skipped-checklist][data-stage=analyze]";
    find(&client, group).await;
    let input = format!(
        "{group} [data-test=field][data-key={}] input, {group} [data-test=field][data-key={}] textarea",
        field.key, field.key
    );
    type_into(&client, &input, "Decision chain mapped").await;
    click(&client, "[data-test=save-fields]").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = get_deal(&rep, &deal.id).await;
        if d.fields.get(field.key.as_str()) == Some(&json!("Decision chain mapped")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the skipped stage's field was not saved"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn rows_loaded_with_load_more_come_back_with_back() {
    let rep = sign_in_as("rep").await;
    let tag = unique("Paged lead ");
    for i in 0..52 {
        call_ok(
            &rep,
            Method::POST,
            "/api/leads",
            json!({"title": format!("{tag} {i:02}"), "customer": "明远制造",
                   "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": "tender"}),
        )
        .await;
    }
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client
        .goto(&url(&format!("/leads?q={}", tag.replace(' ', "%20"))))
        .await
        .unwrap();
    let count = || async {
        client
            .find_all(Locator::Css("[data-test=lead-row]"))
            .await
            .unwrap()
            .len()
    };
    find(&client, "[data-test=more-leads]").await;
    assert_eq!(count().await, 50);
    click(&client, "[data-test=more-leads]").await;
    wait_path(&client, |p| p.contains("n=52")).await;
    assert_eq!(count().await, 52);
    // Open one, come back: the 52 rows are there again.
    click(&client, "[data-test=lead-row] td a").await;
    wait_path(&client, |p| p.starts_with("/leads/l_")).await;
    client.back().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while count().await != 52 {
        assert!(
            Instant::now() < deadline,
            "Back did not restore the 52 rows"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.close().await.unwrap();
}
