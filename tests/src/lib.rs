//! The end-to-end harness. `tests/with-runtime.sh` (run by `make e2e`)
//! starts the real local runtime — workerd with local D1 and KV — and
//! chromedriver, then runs these tests with `DEALGATE_URL` and
//! `WEBDRIVER_URL` set. Point `DEALGATE_URL` at any running Dealgate
//! (e.g. `make dev`) to run the API tests against it instead.

use fantoccini::{Client, ClientBuilder, Locator};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a browser test waits for the wasm app to render something.
/// Generous: the first load compiles the wasm on a busy 2-core machine.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// The base URL of the Dealgate under test, without a trailing slash.
pub fn base_url() -> String {
    match std::env::var("DEALGATE_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim_end_matches('/').to_string(),
        _ => panic!(
            "DEALGATE_URL is not set. Run the end-to-end tests with `make e2e` \
             (it starts the local runtime), or set DEALGATE_URL to a running Dealgate."
        ),
    }
}

/// A full URL for a path on the app under test.
pub fn url(path: &str) -> String {
    format!("{}{path}", base_url())
}

/// An HTTP client for API tests: keeps cookies, follows no redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build the HTTP client")
}

/// A fresh headless Chromium whose browser language is `lang` (e.g. `en-US`).
pub async fn browser(lang: &str) -> Client {
    let webdriver = std::env::var("WEBDRIVER_URL").unwrap_or_else(|_| {
        panic!("WEBDRIVER_URL is not set. Run the browser tests with `make e2e`, which starts chromedriver.")
    });
    // A fresh profile per session, under the runner's temporary folder
    // (removed when the runner ends) when there is one.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let root = std::env::var_os("DEALGATE_TMP").map_or_else(std::env::temp_dir, Into::into);
    let profile = root.join(format!(
        "chromium-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--lang={lang}"),
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": { "intl.accept_languages": lang }
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!("capabilities are an object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&webdriver)
        .await
        .expect("start a headless Chromium session through chromedriver")
}

/// Waits until the element matching `css` exists and its text satisfies
/// `ready`; returns that text. Fails the test with the last text seen.
pub async fn wait_text(client: &Client, css: &str, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + UI_TIMEOUT;
    let mut last = None;
    loop {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && let Ok(text) = el.text().await
        {
            if ready(&text) {
                return text;
            }
            last = Some(text);
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for `{css}`; last text seen: {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for an element to exist and returns the value of one attribute.
pub async fn wait_attr(client: &Client, css: &str, attr: &str) -> Option<String> {
    let el = client
        .wait()
        .at_most(UI_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("timed out waiting for `{css}`: {e}"));
    el.attr(attr).await.expect("read attribute")
}
