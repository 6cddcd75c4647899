//! Partners and channel managers in the browser, against the real runtime:
//! a partner on a 375 px phone files a registration through the public
//! form (the shared rules mark a bad e-mail as they type; the reps' app is
//! never downloaded) and lands on its status link; a channel manager, whose
//! home is the review queue, sees its conflict with our open deal, approves
//! it for a rep, and the new E deal is on that rep's board.

use dealgate_tests::{
    browser, call_ok, click, converted_deal, find, http, set_value, sign_in_as, sign_in_in_browser,
    type_into, unique, url, wait_attr, wait_path, wait_text,
};
use fantoccini::{Client, Locator};
use reqwest::Method;
use serde_json::{Value, json};

/// What the page downloaded so far (every resource's URL).
async fn resources(client: &Client) -> Vec<String> {
    let v = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name);",
            vec![],
        )
        .await
        .expect("read the resource timings");
    serde_json::from_value(v).unwrap_or_default()
}

#[tokio::test]
async fn a_partner_on_a_phone_files_a_registration_and_follows_its_link() {
    let client = browser("en-US").await;
    client
        .set_window_size(375, 812)
        .await
        .expect("a phone's width");
    client.goto(&url("/register")).await.expect("open the form");
    find(&client, "html[data-ready]").await;
    let title = unique("Warehouse system ");

    // A bad e-mail is marked as soon as the partner leaves the input…
    type_into(&client, "#partner_email", "wang@").await;
    find(&client, "#partner_phone").await.click().await.unwrap();
    let marked = wait_text(&client, "[data-test=error-partner_email]", |t| {
        !t.is_empty()
    })
    .await;
    let invalid = wait_attr(&client, "#partner_email", "aria-invalid").await;
    // …and cleared once fixed.
    type_into(&client, "#partner_email", "wang@partner.example").await;
    wait_text(&client, "[data-test=error-partner_email]", str::is_empty).await;
    for (name, text) in [
        ("partner_company", "Huaxin Partners"),
        ("partner_contact", "Wang Fang"),
        ("partner_phone", "+86 138 0013 8000"),
        ("customer_company", "Yuanfang Logistics Co., Ltd."),
        ("project_title", title.as_str()),
        ("amount", "1,200,000"),
    ] {
        type_into(&client, &format!("#{name}"), text).await;
    }
    set_value(&client, "#expected_close", "2099-06-30").await;
    let wide = client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    let downloaded = resources(&client).await;
    click(&client, "[data-test=submit]").await;
    let path = wait_path(&client, |p| p.starts_with("/register/")).await;
    let status = wait_attr(&client, "[data-test=registration-status]", "data-status").await;
    let withdraw = find(&client, "[data-test=withdraw]")
        .await
        .text()
        .await
        .unwrap();
    client.close().await.ok();

    assert_eq!(
        marked, "Not a valid e-mail address",
        "the shared rule's own words"
    );
    assert_eq!(invalid.as_deref(), Some("true"));
    assert_eq!(wide, json!(false), "no sideways scrolling at 375 px");
    assert!(
        downloaded.iter().all(|r| !r.contains("/pkg-")),
        "the public page never downloads the reps' app: {downloaded:?}"
    );
    assert!(
        downloaded
            .iter()
            .any(|r| r.ends_with("/partner/register_bg.wasm"))
    );
    assert_eq!(status.as_deref(), Some("submitted"));
    assert_eq!(withdraw, "Withdraw the registration");
    // The link is the partner's: the API answers the same status for it.
    let reference = path.trim_start_matches("/register/");
    let api: Value = http()
        .get(url(&format!("/api/public/registrations/{reference}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["status"], "submitted");
}

#[tokio::test]
async fn a_channel_manager_sees_the_conflict_approves_and_the_deal_is_on_the_owners_board() {
    // Our rep already works this customer's project…
    let rep = sign_in_as("rep").await;
    let title = unique("MES 系统升级 ");
    let ours = converted_deal(&rep, &title, 80_000_000).await;
    // …and a partner registers it under another spelling of the customer.
    let receipt: Value = http()
        .post(url("/api/public/registrations"))
        .json(&json!({
            "partner_company": "华信伙伴科技", "partner_contact": "王芳",
            "partner_email": "wang@partner.cn", "partner_phone": "+86 138 0013 8000",
            "customer_company": "明远制造有限公司", "project_title": title.replace(' ', ""),
            "description": "二期", "amount": 50_000_000, "expected_close": "2099-06-30",
            "website": "",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(receipt["reference"].is_string(), "{receipt}");
    let channel = sign_in_as("channel").await;
    let queue = call_ok(
        &channel,
        Method::GET,
        "/api/registrations?status=submitted",
        Value::Null,
    )
    .await;
    let id = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["project_title"] == title.replace(' ', ""))
        .expect("the registration in the queue")["id"]
        .as_str()
        .unwrap()
        .to_string();

    let client = browser("zh-CN").await;
    sign_in_in_browser(&client, "channel").await;
    // The queue is the channel manager's home.
    wait_path(&client, |p| p.starts_with("/registrations")).await;
    let badge = wait_text(&client, "[data-test=pending-registrations]", |t| {
        !t.is_empty()
    })
    .await;
    let card = format!("[data-test=registration][data-id='{id}']");
    let conflict = find(
        &client,
        &format!("{card} [data-test=conflict][data-kind=opportunity] a"),
    )
    .await;
    let conflict_href = conflict.attr("href").await.unwrap();
    find(&client, &format!("{card} [data-test=owner]"))
        .await
        .select_by_value("u_rep")
        .await
        .expect("choose the rep");
    click(&client, &format!("{card} [data-test=approve-button]")).await;
    let notice = find(&client, "[data-test=approved-notice] a").await;
    let deal_href = notice.attr("href").await.unwrap().unwrap_or_default();
    client.close().await.ok();

    let deal_id = deal_href.trim_start_matches("/opportunities/").to_string();
    assert_eq!(conflict_href, Some(format!("/opportunities/{}", ours.id)));
    assert!(badge.parse::<usize>().unwrap() >= 1);
    assert!(!deal_id.is_empty());
    // The rep finds the E deal on the board.
    let board = browser("en-US").await;
    sign_in_in_browser(&board, "rep").await;
    board.goto(&url("/")).await.unwrap();
    let card = find(
        &board,
        &format!("[data-test=deal-card][data-id='{deal_id}']"),
    )
    .await;
    let grade = card
        .find(Locator::Css("[data-test=grade]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Its page names the partner and how long the deal is theirs.
    board.goto(&url(&deal_href)).await.unwrap();
    let partner = wait_text(&board, "[data-test=deal-partner]", |t| !t.is_empty()).await;
    let protection = wait_text(&board, "[data-test=deal-protection]", |t| !t.is_empty()).await;
    board.close().await.ok();
    assert_eq!(grade, "E");
    assert!(partner.contains("华信伙伴科技"), "{partner}");
    assert!(
        protection.starts_with("Protected for the partner until "),
        "{protection}"
    );
}
