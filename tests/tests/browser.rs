//! The app in headless Chromium (WebDriver), against the real local runtime.

use dealgate_tests::{browser, url, wait_attr, wait_text};
use fantoccini::Locator;

#[tokio::test]
async fn shell_renders_in_english_for_an_english_browser_and_shows_the_server_version() {
    let client = browser("en-US").await;

    client.goto(&url("/")).await.unwrap();

    let version = wait_text(&client, "[data-test=server-version]", |t| !t.is_empty()).await;
    assert_eq!(version, shared::VERSION);
    let nav = client
        .find(Locator::Css("nav[aria-label=main]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nav.contains("Home") && nav.contains("About"), "nav: {nav}");
    assert_eq!(
        wait_attr(&client, "html", "lang").await.as_deref(),
        Some("en")
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn shell_renders_in_chinese_for_a_chinese_browser() {
    let client = browser("zh-CN").await;

    client.goto(&url("/")).await.unwrap();

    wait_text(&client, "[data-test=server-version]", |t| {
        t == shared::VERSION
    })
    .await;
    let heading = wait_text(&client, "main h1", |t| !t.is_empty()).await;
    assert_eq!(heading, "欢迎使用 Dealgate");
    let nav = client
        .find(Locator::Css("nav[aria-label=main]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nav.contains("首页") && nav.contains("关于"), "nav: {nav}");
    assert_eq!(
        wait_attr(&client, "html", "lang").await.as_deref(),
        Some("zh-CN")
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn language_switch_changes_the_text_and_persists_across_reload() {
    let client = browser("zh-CN").await;
    client.goto(&url("/about")).await.unwrap();
    wait_text(&client, "main h1", |t| t == "关于 Dealgate").await;

    client
        .find(Locator::Css("[data-test=lang-en]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&client, "main h1", |t| t == "About Dealgate").await;
    client.refresh().await.unwrap();

    wait_text(&client, "main h1", |t| t == "About Dealgate").await;
    let pressed = wait_attr(&client, "[data-test=lang-en]", "aria-pressed").await;
    assert_eq!(pressed.as_deref(), Some("true"));
    client.close().await.unwrap();
}

#[tokio::test]
async fn an_unknown_page_shows_the_not_found_view_inside_the_shell() {
    let client = browser("en-US").await;

    client.goto(&url("/no/such/page")).await.unwrap();

    let text = wait_text(&client, "[data-test=not-found] h1", |t| !t.is_empty()).await;
    assert_eq!(text, "Page not found");
    let name = wait_text(&client, "[data-test=app-name]", |t| !t.is_empty()).await;
    assert_eq!(name, "Dealgate");
    client.close().await.unwrap();
}
