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
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&webdriver)
        .await
        .expect("start a headless Chromium session through chromedriver");
    // Every document of the session records the Content-Security-Policy
    // violations it raises (`csp_violations`), from before its own scripts run.
    devtools(
        &client,
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({"source": CSP_WATCH}),
    )
    .await;
    client
}

const CSP_WATCH: &str = "window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:${e.lineNumber})`));";

/// A DevTools protocol command, through chromedriver.
pub async fn devtools(client: &Client, cmd: &str, params: serde_json::Value) {
    let webdriver = std::env::var("WEBDRIVER_URL").expect("WEBDRIVER_URL");
    let session = client
        .session_id()
        .await
        .expect("the session id")
        .expect("a session");
    let answer = http()
        .post(format!(
            "{}/session/{session}/goog/cdp/execute",
            webdriver.trim_end_matches('/')
        ))
        .json(&serde_json::json!({"cmd": cmd, "params": params}))
        .send()
        .await
        .expect("reach chromedriver");
    assert!(answer.status().is_success(), "{cmd}: {}", answer.status());
}

/// The Content-Security-Policy violations the current page has raised.
pub async fn csp_violations(client: &Client) -> Vec<String> {
    let found = client
        .execute("return window.__cspViolations || [];", vec![])
        .await
        .expect("read the CSP violations");
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The API reads the current page load made, in order: path (no query),
/// when each started and when its answer ended (ms since the navigation).
pub async fn api_reads(client: &Client) -> Vec<(String, f64, f64)> {
    let reads = client
        .execute(
            "return performance.getEntriesByType('resource')
               .filter((r) => new URL(r.name).pathname.startsWith('/api/'))
               .map((r) => [new URL(r.name).pathname, r.startTime, r.responseEnd]);",
            vec![],
        )
        .await
        .expect("read the resource timings");
    serde_json::from_value(reads).expect("path, start and end per read")
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

/// Waits for the element matching `css` to exist.
pub async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(UI_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
}

/// The current value of the input matching `css` (what the user sees typed).
pub async fn value_of(client: &Client, css: &str) -> String {
    find(client, css)
        .await
        .prop("value")
        .await
        .expect("read the input's value")
        .unwrap_or_default()
}

/// Replaces the text of the input matching `css` by typing, as a person would.
pub async fn type_into(client: &Client, css: &str, text: &str) {
    let input = find(client, css).await;
    input.clear().await.expect("clear the input");
    input.send_keys(text).await.expect("type into the input");
}

/// Sets an input's value as a date picker (or a paste) would, and tells the
/// page with an `input` event.
pub async fn set_value(client: &Client, css: &str, value: &str) {
    let input = find(client, css).await;
    client
        .execute(
            "arguments[0].value = arguments[1]; \
             arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            vec![
                serde_json::to_value(&input).expect("an element reference"),
                serde_json::Value::from(value),
            ],
        )
        .await
        .expect("set the input's value");
}

/// Is something matching `css` on the page right now (no waiting)?
pub async fn exists(client: &Client, css: &str) -> bool {
    client.find(Locator::Css(css)).await.is_ok()
}

/// Clicks the element matching `css` once it is enabled (a page may still
/// be recomputing a verdict or waiting for an answer).
pub async fn click(client: &Client, css: &str) {
    let deadline = Instant::now() + UI_TIMEOUT;
    loop {
        let el = find(client, css).await;
        if el.is_enabled().await.unwrap_or(false) && el.click().await.is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "`{css}` never became clickable");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page's path (with its query) satisfies `ready`; returns it.
pub async fn wait_path(client: &Client, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + UI_TIMEOUT;
    loop {
        let current = client.current_url().await.expect("read the page's URL");
        let path = match current.query() {
            Some(q) => format!("{}?{q}", current.path()),
            None => current.path().to_string(),
        };
        if ready(&path) {
            return path;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for the path; last seen: {path}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types into the sign-in form and submits it (the page must be `/login`).
pub async fn fill_login(client: &Client, email: &str, password: &str) {
    for (css, value) in [
        ("input[name=email]", email),
        ("input[name=password]", password),
    ] {
        let input = client
            .wait()
            .at_most(UI_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on the sign-in page: {e}"));
        input.clear().await.expect("clear the input");
        input.send_keys(value).await.expect("type into the input");
    }
    client
        .find(Locator::Css("[data-test=login-form] button[type=submit]"))
        .await
        .expect("the sign-in button")
        .click()
        .await
        .expect("click sign in");
}

/// Signs a demo user (`rep`, `admin`, …) in through the sign-in page and
/// waits for the shell to show them.
pub async fn sign_in_in_browser(client: &Client, who: &str) {
    client
        .goto(&url("/login"))
        .await
        .expect("open the sign-in page");
    fill_login(client, &format!("{who}@example.com"), DEMO_PASSWORD).await;
    wait_text(client, "[data-test=user-name]", |t| !t.is_empty()).await;
}

/// A new English browser with demo user `who` signed in and nothing kept
/// (`localStorage` empty): the next page it opens is their first visit.
pub async fn first_visit_browser(who: &str) -> Client {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, who).await;
    client
        .execute("localStorage.clear();", vec![])
        .await
        .expect("clear what the browser keeps");
    client
}

/// A new English browser signed in as demo user `who`, on deal `id`'s page.
pub async fn deal_page_as(who: &str, id: &str) -> Client {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, who).await;
    client
        .goto(&url(&format!("/opportunities/{id}")))
        .await
        .expect("open the deal's page");
    client
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

/// The demo users' password (server/seed/dev.sql).
pub const DEMO_PASSWORD: &str = "dealgate-demo";

/// A signed-in API client: the session cookie is kept by hand, so tests can
/// replay an old one after logout.
#[derive(Debug, Clone)]
pub struct Session {
    pub client: reqwest::Client,
    pub cookie: String,
    pub me: shared::api::Me,
}

impl Session {
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, url(path))
            .header("cookie", &self.cookie)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, path)
    }

    /// `GET path`, which must answer 2xx with a `T`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let answer = self.get(path).send().await.expect("reach the API");
        assert!(
            answer.status().is_success(),
            "GET {path}: {}",
            answer.status()
        );
        answer
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// A JSON request, as the app sends them.
    pub fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::RequestBuilder {
        self.request(method, path).json(body)
    }
}

/// `Set-Cookie` headers of a response.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// Signs in with e-mail and password; panics with the answer if refused.
pub async fn sign_in(email: &str, password: &str) -> Session {
    let client = http();
    let response = client
        .post(url("/api/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("reach the login endpoint");
    let status = response.status();
    let cookies = set_cookies(&response);
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "sign-in as {email} refused: {body}");
    let cookie = cookies
        .iter()
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|kv| kv.starts_with("dg_session="))
        })
        .expect("a session cookie")
        .to_string();
    let me = serde_json::from_str(&body).expect("sign-in answers the user");
    Session { client, cookie, me }
}

/// Signs in as a demo user: `admin`, `manager`, `rep`, `rep2`, `channel`.
pub async fn sign_in_as(who: &str) -> Session {
    sign_in(&format!("{who}@example.com"), DEMO_PASSWORD).await
}

/// A new active user with `roles`, made by the admin; and their password.
pub async fn fresh_user(roles: &[&str]) -> (shared::api::Me, String) {
    let admin = sign_in_as("admin").await;
    let email = format!("{}@example.com", unique("user"));
    let password = "a long enough password".to_string();
    let response = admin
        .send_json(
            reqwest::Method::POST,
            "/api/admin/users",
            &serde_json::json!({
                "email": email, "name": "测试 Test User", "password": password, "roles": roles
            }),
        )
        .send()
        .await
        .expect("reach the API");
    assert_eq!(response.status(), 201);
    (response.json().await.expect("the new user"), password)
}

/// Runs SQL against the runtime's local D1 (only under `make e2e`), from a
/// second process on the same SQLite file as the running workerd. A write
/// there while workerd writes fails with SQLITE_BUSY on one side or the
/// other, so the tests that call this live in one test binary that runs
/// them one at a time (tests/tests/session_expiry.rs), when no other test
/// binary runs; a busy answer is still retried a few times.
pub async fn d1_exec(sql: &str) {
    d1_exec_attempt(sql, 1).await;
}

async fn d1_exec_attempt(sql: &str, attempt: u64) {
    let state =
        std::env::var("DEALGATE_STATE").expect("DEALGATE_STATE is set by tests/with-runtime.sh");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = tokio::process::Command::new("wrangler")
        .current_dir(&root)
        .args([
            "d1",
            "execute",
            "DB",
            "--local",
            "--persist-to",
            &state,
            "--command",
            sql,
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("run wrangler d1 execute");
    if out.status.success() {
        return;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("SQLITE_BUSY") && attempt < 5 {
        tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
        return Box::pin(d1_exec_attempt(sql, attempt + 1)).await;
    }
    panic!("d1 execute failed: {stderr}");
}

/// A unique suffix for test data, so tests running together never collide.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}{}x{}x{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A JSON request that must answer 2xx; its body (`null` when empty).
pub async fn call_ok(
    s: &Session,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let answer = s
        .send_json(method.clone(), path, &body)
        .send()
        .await
        .expect("reach the API");
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// A deal of `amount` fen in the tender pipeline owned by `rep`, converted
/// from a lead whose stage 1 was filled from the config's own requirements.
pub async fn converted_deal(rep: &Session, title: &str, amount: i64) -> shared::Opportunity {
    converted_deal_in(rep, title, amount, "tender").await
}

/// As [`converted_deal`], in pipeline `pipeline`.
pub async fn converted_deal_in(
    rep: &Session,
    title: &str,
    amount: i64,
    pipeline: &str,
) -> shared::Opportunity {
    use reqwest::Method;
    use serde_json::json;
    let config: shared::api::Config = rep.get_json("/api/config").await;
    let tender = config
        .pipelines
        .into_iter()
        .find(|p| p.id.as_str() == pipeline)
        .expect("the pipeline");
    let lead = call_ok(
        rep,
        Method::POST,
        "/api/leads",
        json!({"title": title, "customer": "明远制造",
               "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": pipeline}),
    )
    .await;
    let id = lead["id"].as_str().expect("a lead id").to_string();
    let stage1 = tender.first().expect("stage 1");
    let fields: serde_json::Map<_, _> = stage1
        .required_fields
        .iter()
        .map(|f| (f.key.to_string(), shared::sample::field_value(f)))
        .collect();
    let mut lead = call_ok(
        rep,
        Method::PATCH,
        &format!("/api/leads/{id}"),
        json!({"version": lead["version"], "fields": fields}),
    )
    .await;
    for t in &stage1.required_tasks {
        lead = call_ok(
            rep,
            Method::POST,
            &format!("/api/leads/{id}/tasks/{}", t.key),
            json!({"done": true, "version": lead["version"]}),
        )
        .await;
    }
    let deal = call_ok(
        rep,
        Method::POST,
        &format!("/api/leads/{id}/convert"),
        json!({"lead_by": "us", "amount": amount, "expected_close": "2027-06-30", "version": lead["version"]}),
    )
    .await;
    serde_json::from_value(deal).expect("the new deal")
}

/// A deal as `s` sees it (must answer 200).
pub async fn get_deal(s: &Session, id: &str) -> shared::Opportunity {
    let (status, body) = call(
        s,
        reqwest::Method::GET,
        &format!("/api/opportunities/{id}"),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Fills every requirement of `stage` that applies to the deal's grade,
/// through the API, as the real users would.
pub async fn complete_stage(
    owner: &Session,
    manager: &Session,
    rep2: &Session,
    config: &shared::api::Config,
    id: &str,
    stage: &str,
) {
    let opp = get_deal(owner, id).await;
    let p = config
        .pipelines
        .iter()
        .find(|p| p.id == opp.pipeline)
        .expect("the deal's pipeline");
    let s = p.stage(stage).expect("the stage").clone();
    let grade = opp.grade.effective;
    let mut fields = serde_json::Map::new();
    for f in s
        .required_fields
        .iter()
        .filter(|f| f.grades.contains(grade))
    {
        fields.insert(f.key.to_string(), shared::sample::field_value(f));
    }
    let (status, body) = call(
        owner,
        reqwest::Method::PATCH,
        &format!("/api/opportunities/{id}"),
        serde_json::json!({"version": opp.version, "fields": fields}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for t in s.required_tasks.iter().filter(|t| t.grades.contains(grade)) {
        let v = get_deal(owner, id).await.version;
        let (status, body) = call(
            owner,
            reqwest::Method::POST,
            &format!("/api/opportunities/{id}/tasks/{}", t.key),
            serde_json::json!({"done": true, "note": "完成", "version": v}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let current = get_deal(owner, id).await;
    let roles: Vec<_> = s
        .roles
        .iter()
        .filter(|r| r.grades.contains(grade) && !current.team.iter().any(|m| m.role == r.role))
        .map(|r| r.role.to_string())
        .collect();
    if !roles.is_empty() {
        let mut members: Vec<serde_json::Value> = current
            .team
            .iter()
            .map(|m| serde_json::json!({"role": m.role, "user_id": m.user_id}))
            .collect();
        for r in roles {
            members.push(serde_json::json!({"role": r, "user_id": rep2.me.id}));
        }
        let (status, body) = call(
            owner,
            reqwest::Method::PUT,
            &format!("/api/opportunities/{id}/team"),
            serde_json::json!({"members": members, "version": current.version}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    for process in s.processes.iter().filter(|p| p.grades.contains(grade)) {
        let v = get_deal(owner, id).await.version;
        let (status, body) = call(
            owner,
            reqwest::Method::POST,
            &format!("/api/opportunities/{id}/approvals/{}/request", process.key),
            serde_json::json!({"version": v}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let approver = match &process.approver {
            shared::pipeline::Approver::Role(_) => manager,
            shared::pipeline::Approver::TeamRole(_) => rep2,
        };
        let (status, body) = call(
            approver,
            reqwest::Method::POST,
            &format!("/api/opportunities/{id}/approvals/{}/decide", process.key),
            serde_json::json!({"approve": true, "comment": "同意"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// A JSON request (GET without a body); its status and body (`null` when
/// empty or not JSON).
pub async fn call(
    s: &Session,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> (reqwest::StatusCode, serde_json::Value) {
    let r = if method == reqwest::Method::GET {
        s.get(path).send().await.expect("reach the API")
    } else {
        s.send_json(method, path, &body)
            .send()
            .await
            .expect("reach the API")
    };
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// Puts the grading thresholds back to `before` (tests that move them run
/// alone in their binary; every later test grades by the defaults). Answers
/// the thresholds as they were just before, and as restored.
pub async fn restore_thresholds(
    admin: &Session,
    before: &shared::api::GradingAdmin,
) -> (shared::api::GradingAdmin, shared::api::GradingAdmin) {
    let now: shared::api::GradingAdmin = admin.get_json("/api/admin/grading").await;
    let restored = call_ok(
        admin,
        reqwest::Method::PUT,
        "/api/admin/grading",
        serde_json::json!({"a_min": before.a_min, "b_min": before.b_min,
                           "c_min": before.c_min, "version": now.version}),
    )
    .await;
    (
        now,
        serde_json::from_value(restored).expect("the restored thresholds"),
    )
}

/// `--name value` from a tool's arguments, or `default`.
pub fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

/// The `p` quantile (0.0–1.0) of sorted durations; zero when there are none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
