//! What the app keeps across visits (issue #14): the signed-in user, the
//! config and the user list, so a page paints without asking for them; the
//! users are asked again with their entity tag; sign-out and a lost session
//! forget it all.

use dealgate_tests::{
    browser, converted_deal, devtools, find, sign_in_as, sign_in_in_browser, unique, url,
    wait_path, wait_text,
};
use serde_json::Value;

const KEPT: [&str; 3] = ["dealgate.me", "dealgate.config", "dealgate.users"];

/// Which of the kept entries this browser holds.
async fn kept(client: &fantoccini::Client) -> Vec<String> {
    let held = client
        .execute(
            "return arguments[0].filter((k) => localStorage.getItem(k) !== null);",
            vec![serde_json::json!(KEPT)],
        )
        .await
        .expect("read local storage");
    held.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The API reads this page load made: path and status.
async fn api_reads(client: &fantoccini::Client) -> Vec<(String, u64)> {
    let reads = client
        .execute(
            "return performance.getEntriesByType('resource')
               .filter((r) => new URL(r.name).pathname.startsWith('/api/'))
               .map((r) => [new URL(r.name).pathname, r.responseStatus]);",
            vec![],
        )
        .await
        .expect("read the resource timings");
    reads
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r[0].as_str().unwrap_or_default().to_string(),
                        r[1].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A browser signed in as the rep that has visited their deal list once
/// (so it keeps the user, the config and the users).
async fn rep_after_one_visit() -> fantoccini::Client {
    let rep = sign_in_as("rep").await;
    converted_deal(&rep, &unique("Kept "), 200_000_000).await;
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url("/opportunities")).await.unwrap();
    find(&client, "[data-test=deal-row]").await;
    assert_eq!(kept(&client).await, KEPT);
    client
}

#[tokio::test]
async fn a_second_visit_paints_from_the_kept_user_config_and_users_and_sign_out_forgets_them() {
    let client = rep_after_one_visit().await;

    client.goto(&url("/opportunities")).await.unwrap();
    find(&client, "[data-test=deal-row]").await;
    // The users' background check has answered too.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let reads = loop {
        let reads = api_reads(&client).await;
        if reads.iter().any(|(p, _)| p == "/api/users") || std::time::Instant::now() > deadline {
            break reads;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };

    assert!(
        !reads.iter().any(|(p, _)| p == "/api/config"),
        "the config came from storage: {reads:?}"
    );
    assert!(
        reads.contains(&("/api/users".to_string(), 304)),
        "the kept users were asked again with their tag and are current: {reads:?}"
    );
    assert!(
        reads.contains(&("/api/opportunities".to_string(), 200)),
        "{reads:?}"
    );
    client
        .find(fantoccini::Locator::Css("[data-test=sign-out]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&client, |p| p == "/login").await;
    assert!(
        kept(&client).await.is_empty(),
        "sign-out forgets what was kept"
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_kept_user_whose_session_is_gone_is_sent_to_sign_in_and_forgotten() {
    let client = rep_after_one_visit().await;

    client.delete_all_cookies().await.unwrap();
    client.goto(&url("/opportunities")).await.unwrap();

    wait_path(&client, |p| p == "/login?next=%2Fopportunities").await;
    find(&client, "input[name=email]").await;
    assert!(
        kept(&client).await.is_empty(),
        "a 401 forgets what was kept"
    );
    client.close().await.unwrap();
}

/// A first visit (nothing kept) of the rep to `path` until `painted`
/// shows: the API reads it made (path, started, answered), then whether
/// the users are kept after it.
async fn first_visit(path: &str, painted: &str) -> (Vec<(String, f64, f64)>, bool) {
    let client = dealgate_tests::first_visit_browser("rep").await;
    client.goto(&url(path)).await.unwrap();
    find(&client, painted).await;
    let reads = dealgate_tests::api_reads(&client).await;
    let users_kept = kept(&client).await.contains(&"dealgate.users".to_string());
    client.close().await.unwrap();
    (reads, users_kept)
}

/// The page's record(s), the config and the users were each asked for
/// once, the users with the page's code: not after the config (which the
/// page asks for first) had answered.
fn read_together(reads: &[(String, f64, f64)], record: &str) {
    let of =
        |path: &str| -> Vec<&(String, f64, f64)> { reads.iter().filter(|r| r.0 == path).collect() };
    let (record, config, users) = (of(record), of("/api/config"), of("/api/users"));
    assert_eq!(record.len(), 1, "{reads:?}");
    assert_eq!(config.len(), 1, "{reads:?}");
    assert_eq!(
        users.len(),
        1,
        "the page took the read ahead's answer: {reads:?}"
    );
    assert!(users[0].1 < config[0].2, "{reads:?}");
}

#[tokio::test]
async fn a_first_visit_to_a_deal_asks_for_the_deal_the_config_and_the_users_together_each_once() {
    let rep = sign_in_as("rep").await;
    let deal = converted_deal(&rep, &unique("First visit "), 200_000_000).await;
    let path = format!("/opportunities/{}", deal.id);
    let (reads, users_kept) = first_visit(&path, "[data-test=checklist]").await;
    read_together(&reads, &format!("/api{path}"));
    // Their answer, entity tag and all, is kept for the next visit.
    assert!(users_kept);
}

#[tokio::test]
async fn a_first_visit_to_the_deal_list_asks_for_the_rows_the_config_and_the_users_together() {
    let rep = sign_in_as("rep").await;
    converted_deal(&rep, &unique("First visit "), 200_000_000).await;
    let (reads, users_kept) = first_visit("/opportunities", "[data-test=deal-row]").await;
    read_together(&reads, "/api/opportunities");
    assert!(users_kept);
}

#[tokio::test]
async fn a_deal_opened_from_the_list_reads_the_whole_config_from_the_answer_the_list_asked_for() {
    // The list reads only the config's names (`api::config_names`); the
    // answer's text stays, so the deal page the rep opens next judges its
    // gate by the same config without asking for it again.
    let rep = sign_in_as("rep").await;
    let deal = converted_deal(&rep, &unique("Names first "), 200_000_000).await;
    let client = dealgate_tests::first_visit_browser("rep").await;
    client
        .goto(&url(&format!(
            "/opportunities?q={}",
            deal.name.replace(' ', "%20")
        )))
        .await
        .unwrap();
    let row = find(&client, "[data-test=deal-row]").await;
    // The stage column names the stage as the config does, not its key.
    let stage = deal.stage.to_string();
    let shown = row
        .find(fantoccini::Locator::Css("td:nth-child(3)"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!shown.is_empty() && shown != stage, "{shown:?} for {stage}");
    row.find(fantoccini::Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    find(&client, "[data-test=checklist]").await;
    let reads = dealgate_tests::api_reads(&client).await;
    let configs = reads.iter().filter(|r| r.0 == "/api/config").count();
    assert_eq!(
        configs, 1,
        "the config asked once for both pages: {reads:?}"
    );
    assert!(
        reads
            .iter()
            .any(|r| r.0 == format!("/api/opportunities/{}", deal.id)),
        "the deal page was reached in the app: {reads:?}"
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn signing_in_keeps_the_user_so_the_next_visit_paints_without_waiting_for_the_server() {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    // Kept by the sign-in itself, before any page asked `/api/me`.
    assert!(
        kept(&client).await.contains(&"dealgate.me".to_string()),
        "{:?}",
        kept(&client).await
    );
    // The next visit shows them from what was kept: with `/api/me`
    // unreachable, the header still names them (nothing kept, it would
    // offer the sign-in link).
    devtools(&client, "Network.enable", serde_json::json!({})).await;
    devtools(
        &client,
        "Network.setBlockedURLs",
        serde_json::json!({"urls": ["*/api/me"]}),
    )
    .await;
    client.goto(&url("/about")).await.unwrap();
    let name = wait_text(&client, "[data-test=user-name]", |t| !t.is_empty()).await;
    assert!(!name.is_empty());
    client.close().await.unwrap();
}
