//! The app in headless Chromium (WebDriver), against the real local runtime.

use dealgate_tests::{
    DEMO_PASSWORD, browser, click, converted_deal, devtools, fill_login, find, sign_in, sign_in_as,
    sign_in_in_browser, unique, url, wait_attr, wait_path, wait_text,
};
use fantoccini::Locator;

#[tokio::test]
async fn shell_renders_in_english_for_an_english_browser_shows_the_server_version_and_a_sign_in_link()
 {
    let client = browser("en-US").await;

    client.goto(&url("/about")).await.unwrap();

    let version = wait_text(&client, "[data-test=server-version]", |t| !t.is_empty()).await;
    assert_eq!(version, shared::VERSION);
    let nav = client
        .find(Locator::Css("nav[aria-label=main]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nav.contains("About"), "nav: {nav}");
    assert_eq!(
        wait_attr(&client, "html", "lang").await.as_deref(),
        Some("en")
    );
    // Signed out, the header offers the way in, back to this page after.
    assert_eq!(
        wait_attr(&client, "[data-test=sign-in-link]", "href")
            .await
            .as_deref(),
        Some("/login?next=%2Fabout")
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_first_visit_fetches_the_app_s_script_as_one_module_once() {
    // A first visit (this browser's profile is new: nothing cached), over
    // round trips long enough to tell "beside" from "after": the app's
    // start, wasm-bindgen's glue and the chunk loader are one module
    // (app/build-wasm.sh), so no script waits for another that imports it,
    // and the main wasm is asked for beside it (index.html preloads it),
    // not after it.
    let client = browser("en-US").await;
    devtools(&client, "Network.enable", serde_json::json!({})).await;
    devtools(
        &client,
        "Network.emulateNetworkConditions",
        serde_json::json!({"offline": false, "latency": 150,
                           "downloadThroughput": -1, "uploadThroughput": -1}),
    )
    .await;
    client.goto(&url("/login")).await.unwrap();
    find(&client, "[data-test=login-form]").await;
    let files = client
        .execute(
            "return performance.getEntriesByType('resource')
               .map((r) => [new URL(r.name).pathname, r.startTime, r.responseEnd])
               .filter(([path]) => /^\\/pkg-[^/]+\\/([^/]+\\.js|app_bg\\.wasm)$/.test(path));",
            vec![],
        )
        .await
        .unwrap();
    let files: Vec<(String, f64, f64)> = serde_json::from_value(files).unwrap();
    let mut names: Vec<&str> = files
        .iter()
        .map(|(path, ..)| path.rsplit('/').next().unwrap_or(path))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["app.js", "app_bg.wasm"],
        "one script, fetched once, and the main wasm once: {files:?}"
    );
    let first_answer = files.iter().map(|s| s.2).fold(f64::INFINITY, f64::min);
    for (path, start, _) in &files {
        assert!(
            *start < first_answer,
            "{path} was asked for only after another file arrived: {files:?}"
        );
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_first_visit_to_a_list_shows_its_heading_and_the_loading_state_before_its_code_arrives() {
    // The list's own code never arrives (blocked): what the outlet shows
    // meanwhile is the page's heading, where the page puts it, and the
    // loading state, not an empty page.
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    devtools(&client, "Network.enable", serde_json::json!({})).await;
    devtools(
        &client,
        "Network.setBlockedURLs",
        serde_json::json!({"urls": ["*split___opportunities_page_view*"]}),
    )
    .await;
    client.goto(&url("/opportunities")).await.unwrap();
    let heading = find(&client, "main [data-test=opening] > div > h1").await;
    assert_eq!(heading.text().await.unwrap(), "Opportunities");
    find(
        &client,
        "main [data-test=opening] > [data-test=loading][role=status]",
    )
    .await;
    assert!(
        client
            .find_all(Locator::Css("[data-test=filters], [data-test=deal-row]"))
            .await
            .unwrap()
            .is_empty(),
        "the page itself is not there"
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_first_visit_to_the_board_or_a_deal_shows_its_heading_before_its_code_arrives() {
    // Neither page's own code arrives (blocked). Meanwhile the outlet shows
    // the board's heading, and a deal's name from the deal's read ahead,
    // each where its page puts it, with the loading state.
    let rep = sign_in_as("rep").await;
    let deal = converted_deal(&rep, &unique("Opening deal"), 100_000_000).await;
    let client = browser("en-US").await;
    // Blocked before signing in, which lands on the board: its code never
    // reaches this browser, not even its cache.
    devtools(&client, "Network.enable", serde_json::json!({})).await;
    devtools(
        &client,
        "Network.setBlockedURLs",
        serde_json::json!({"urls": ["*split___board_page_view*", "*split___opportunity_page_view*"]}),
    )
    .await;
    sign_in_in_browser(&client, "rep").await;
    let the_page_is_not_there = |what: &'static str| {
        let client = client.clone();
        async move {
            let found = client.find_all(Locator::Css(what)).await.unwrap();
            assert!(found.is_empty(), "the page itself is not there: {what}");
        }
    };

    client.goto(&url("/")).await.unwrap();
    let heading = find(&client, "main [data-test=opening].board > .page-head > h1").await;
    assert_eq!(heading.text().await.unwrap(), "Pipeline board");
    find(
        &client,
        "main [data-test=opening] > [data-test=loading][role=status]",
    )
    .await;
    the_page_is_not_there("[data-test=board-filters], [data-test=deal-card]").await;

    client
        .goto(&url(&format!("/opportunities/{}", deal.id)))
        .await
        .unwrap();
    let name = find(&client, "main [data-test=opening].deal > .deal-head > h1").await;
    assert_eq!(name.text().await.unwrap(), deal.name);
    find(
        &client,
        "main [data-test=opening] > [data-test=loading][role=status]",
    )
    .await;
    the_page_is_not_there("[data-test=deal-name], [data-test=stage-path]").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn shell_renders_in_chinese_for_a_chinese_browser() {
    let client = browser("zh-CN").await;

    client.goto(&url("/about")).await.unwrap();

    wait_text(&client, "[data-test=server-version]", |t| {
        t == shared::VERSION
    })
    .await;
    let heading = wait_text(&client, "main h1", |t| !t.is_empty()).await;
    assert_eq!(heading, "关于 Dealgate");
    let nav = client
        .find(Locator::Css("nav[aria-label=main]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nav.contains("关于"), "nav: {nav}");
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

#[tokio::test]
async fn a_rep_signs_in_sees_their_name_stays_signed_in_across_reload_and_signs_out_to_the_login_page()
 {
    let client = browser("en-US").await;

    // A guarded page sends a visitor to sign in, remembering where they were going.
    client.goto(&url("/admin/users")).await.unwrap();
    wait_path(&client, |p| p == "/login?next=%2Fadmin%2Fusers").await;
    wait_text(&client, "main h1", |t| t == "Sign in to Dealgate").await;

    // A wrong password: a readable error, still on the sign-in page.
    fill_login(&client, "rep@example.com", "not-the-password").await;
    let error = wait_text(&client, "[data-test=login-error]", |t| !t.is_empty()).await;
    assert!(error.contains("e-mail or password"), "error: {error}");

    fill_login(&client, "rep@example.com", DEMO_PASSWORD).await;
    let name = wait_text(&client, "[data-test=user-name]", |t| !t.is_empty()).await;
    assert_eq!(name, "销售 Li Lei");
    // Back where they were going: a rep may not manage users, so the page says so.
    wait_path(&client, |p| p == "/admin/users").await;

    client.goto(&url("/")).await.unwrap();
    client.refresh().await.unwrap();
    let name = wait_text(&client, "[data-test=user-name]", |t| !t.is_empty()).await;
    assert_eq!(name, "销售 Li Lei", "the session survives a reload");
    wait_path(&client, |p| p == "/").await;

    client
        .find(Locator::Css("[data-test=sign-out]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&client, |p| p == "/login").await;
    wait_text(&client, "main h1", |t| t == "Sign in to Dealgate").await;
    assert!(
        client
            .find(Locator::Css("[data-test=user-name]"))
            .await
            .is_err(),
        "no user in the shell after signing out"
    );
    // And the session is really gone: a guarded page asks to sign in again.
    client.goto(&url("/")).await.unwrap();
    wait_path(&client, |p| p == "/login").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn an_admin_creates_a_user_in_the_users_page_and_deactivates_them_after_confirming() {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "admin").await;
    client.goto(&url("/admin/users")).await.unwrap();

    let email = format!("{}@example.com", unique("ui-user"));
    let form = "[data-test=create-user]";
    for (field, value) in [
        ("email", email.as_str()),
        ("name", "Una Interface"),
        ("password", "long-enough-pw"),
    ] {
        let input = client
            .wait()
            .for_element(Locator::Css(&format!("{form} input[name={field}]")))
            .await
            .unwrap();
        input.send_keys(value).await.unwrap();
    }
    // A new user is a sales rep unless the admin picks otherwise.
    let rep = client
        .find(Locator::Css(&format!("{form} input[value=rep]")))
        .await
        .unwrap();
    assert!(rep.is_selected().await.unwrap(), "rep is pre-selected");
    client
        .find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let row = format!("//tr[@data-test='user-row'][td[text()='{email}']]");
    let status = |row: &str| format!("{row}//span[@data-test='user-status']");
    wait_xpath_text(&client, &status(&row), "Active").await;
    // The new user can sign in.
    sign_in(&email, "long-enough-pw").await;

    // Deactivating asks first; dismissing the question changes nothing.
    let toggle = format!("{row}//button[@data-test='toggle-active']");
    let click_toggle = || async {
        let button = client.find(Locator::XPath(&toggle)).await.unwrap();
        button.click().await.unwrap();
    };
    click_toggle().await;
    client.dismiss_alert().await.unwrap();
    wait_xpath_text(&client, &status(&row), "Active").await;

    click_toggle().await;
    client.accept_alert().await.unwrap();
    wait_xpath_text(&client, &status(&row), "Deactivated").await;
    let refused = dealgate_tests::http()
        .post(url("/api/auth/login"))
        .json(&serde_json::json!({"email": email, "password": "long-enough-pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "a deactivated user cannot sign in");
    client.close().await.unwrap();
}

async fn wait_xpath_text(client: &fantoccini::Client, xpath: &str, want: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Ok(el) = client.find(Locator::XPath(xpath)).await
            && el.text().await.is_ok_and(|t| t == want)
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for `{xpath}` to read {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn links_and_the_back_button_move_within_the_app_without_loading_it_again() {
    // The app's router (app/src/router.rs): a same-origin link and the back
    // button change the page in place, the menu marks where the user is, an
    // address no route takes shows the not-found page, and a jump within
    // the page (the skip link) is the browser's own.
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    wait_path(&client, |p| p == "/").await;
    // A page load would lose this mark.
    client
        .execute("window.__stayed = 'yes'; return null", vec![])
        .await
        .unwrap();
    let stayed = |client: &fantoccini::Client| {
        let client = client.clone();
        async move {
            client
                .execute("return window.__stayed || 'reloaded'", vec![])
                .await
                .unwrap()
        }
    };

    click(&client, "nav[aria-label=main] a[href='/opportunities']").await;
    wait_path(&client, |p| p == "/opportunities").await;
    find(&client, "[data-test=filters]").await;
    assert_eq!(
        wait_attr(
            &client,
            "nav[aria-label=main] a[href='/opportunities']",
            "aria-current"
        )
        .await
        .as_deref(),
        Some("page")
    );
    assert_eq!(
        stayed(&client).await,
        "yes",
        "the link loaded the app again"
    );

    client.back().await.unwrap();
    wait_path(&client, |p| p == "/").await;
    find(&client, "[data-test=board]").await;
    assert_eq!(stayed(&client).await, "yes", "back loaded the app again");

    // A link to a path no route takes.
    client
        .execute(
            "const a = document.createElement('a'); a.href = '/no/such/page';
             document.querySelector('main').append(a); a.click(); return null",
            vec![],
        )
        .await
        .unwrap();
    find(&client, "[data-test=not-found]").await;
    assert_eq!(
        wait_path(&client, |p| p == "/no/such/page").await,
        "/no/such/page"
    );
    assert_eq!(stayed(&client).await, "yes");

    // The skip link: the address gains its fragment, the page stays.
    client
        .execute(
            "document.querySelector('a.skip').click(); return null",
            vec![],
        )
        .await
        .unwrap();
    let hash = client
        .execute("return location.hash", vec![])
        .await
        .unwrap();
    assert_eq!(hash, "#main");
    find(&client, "[data-test=not-found]").await;
    assert_eq!(stayed(&client).await, "yes");
    client.close().await.unwrap();
}
