//! Accessibility (issue #12): axe-core (npm, pinned in package.json) runs
//! in Chromium on every page of the app — signed out, as a rep, a manager,
//! a channel manager and an admin, in both languages — and on the partner's
//! public pages, against the real runtime. Any serious or critical
//! violation fails the test, with the rule, the element and axe's help.
//! `A11Y_ALL=1` also prints every page's violations of any impact. Every
//! page is also checked for Content-Security-Policy violations (#15): the
//! browser records them from before the app's first script.

use dealgate_tests::{
    browser, call_ok, converted_deal, csp_violations, find, sign_in_as, sign_in_in_browser, unique,
    url,
};
use fantoccini::Client;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

/// axe-core's browser build, as npm installed it.
fn axe_source() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (make tools installs axe-core)"))
}

/// Waits until the page has settled: its main content is in and nothing
/// says "Loading…".
async fn settled(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = client
            .execute(
                "return !!document.querySelector('main, form, h1') && !document.querySelector('.loading');",
                vec![],
            )
            .await
            .unwrap_or(json!(false));
        if ready == json!(true) {
            // One more frame for the last paint.
            tokio::time::sleep(Duration::from_millis(150)).await;
            return;
        }
        assert!(Instant::now() < deadline, "the page never settled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The serious and critical violations axe finds on the page now.
async fn violations(client: &Client, axe: &str) -> Vec<String> {
    client.execute(axe, vec![]).await.expect("inject axe-core");
    let result = client
        .execute_async(
            "const done = arguments[0];
             axe.run(document, { resultTypes: ['violations'] })
               .then((r) => done(r.violations
                 .filter((v) => v.impact === 'serious' || v.impact === 'critical' || window.__all)
                 .map((v) => `${v.impact} ${v.id}: ${v.help} — ` +
                   v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join(' | '))))
               .catch((e) => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    serde_json::from_value(result).unwrap_or_default()
}

async fn check_pages(client: &Client, axe: &str, who: &str, paths: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for path in paths {
        client.goto(&url(path)).await.unwrap();
        settled(client).await;
        let vs = violations(client, axe).await;
        if std::env::var("A11Y_ALL").is_ok() {
            eprintln!("A11Y {who} {path}: {} {:?}", vs.len(), vs);
        }
        for v in vs {
            found.push(format!("{who} {path}: {v}"));
        }
        for v in csp_violations(client).await {
            found.push(format!("{who} {path}: Content-Security-Policy: {v}"));
        }
    }
    found
}

#[tokio::test]
async fn every_page_has_no_serious_or_critical_accessibility_violation() {
    let axe = axe_source();
    let rep = sign_in_as("rep").await;
    let deal = converted_deal(&rep, &unique("Accessible "), 200_000_000).await;
    let lead = call_ok(
        &rep,
        Method::POST,
        "/api/leads",
        json!({"title": unique("Accessible lead "), "customer": "明远制造",
               "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": "tender"}),
    )
    .await;
    let lead_id = lead["id"].as_str().unwrap().to_string();
    let mut found = Vec::new();

    for lang in ["en-US", "zh-CN"] {
        let client = browser(lang).await;
        // Signed out: the sign-in page and the partner's public form.
        found.extend(
            check_pages(
                &client,
                &axe,
                "signed out",
                &["/login".into(), "/register".into(), "/about".into()],
            )
            .await,
        );
        let pages: &[(&str, Vec<String>)] = &[
            (
                "rep",
                vec![
                    "/".into(),
                    "/opportunities".into(),
                    format!("/opportunities/{}", deal.id),
                    "/leads".into(),
                    format!("/leads/{lead_id}"),
                    "/approvals".into(),
                    "/reports".into(),
                ],
            ),
            (
                "manager",
                vec![
                    "/approvals".into(),
                    format!("/opportunities/{}", deal.id),
                    "/reports?pipeline=tender".into(),
                    "/opportunities?pipeline=tender&stage=initiate&blocked_kind=field".into(),
                ],
            ),
            ("channel", vec!["/registrations".into()]),
            (
                "admin",
                vec![
                    "/admin/users".into(),
                    "/admin/grading".into(),
                    "/admin/pipelines".into(),
                    "/admin/pipelines/tender".into(),
                    "/admin/audit".into(),
                ],
            ),
        ];
        for (who, paths) in pages {
            sign_in_in_browser(&client, who).await;
            found.extend(check_pages(&client, &axe, &format!("{lang} {who}"), paths).await);
            client.goto(&url("/")).await.unwrap();
            find(&client, "[data-test=user-name]").await;
            client.delete_all_cookies().await.unwrap();
        }
        client.close().await.unwrap();
    }
    assert!(
        found.is_empty(),
        "serious or critical accessibility violations, or CSP violations:\n{}",
        found.join("\n")
    );
    // The rules run on our pages: a low-contrast text and an unnamed
    // button put into the board are caught.
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    settled(&client).await;
    client
        .execute(
            "const main = document.querySelector('main');
             const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#bbbbbb'; p.style.background = '#ffffff';
             main.appendChild(p); main.appendChild(document.createElement('button'));",
            vec![],
        )
        .await
        .unwrap();
    let probe: Vec<String> = violations(&client, &axe).await;
    // And the policy is on: an inline script and a style attribute put
    // into the page are refused and recorded.
    client
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
             document.body.appendChild(s);
             document.querySelector('main').insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>');",
            vec![],
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let refused = loop {
        let found = csp_violations(&client).await;
        if found.len() >= 2 || Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ran = client
        .execute("return window.__ran === 1;", vec![])
        .await
        .unwrap();
    client.close().await.unwrap();
    for rule in ["color-contrast", "button-name"] {
        assert!(
            probe.iter().any(|v| v.contains(rule)),
            "axe did not flag {rule}: {probe:?}"
        );
    }
    assert_eq!(ran, serde_json::json!(false), "an inline script ran");
    for directive in ["script-src", "style-src"] {
        assert!(
            refused.iter().any(|v| v.starts_with(directive)),
            "no {directive} violation recorded: {refused:?}"
        );
    }
}
