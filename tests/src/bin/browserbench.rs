//! `make bench`: the app in headless Chromium, against a runtime seeded with
//! `--boards` open deals on the tender board (tests/with-runtime.sh gives
//! `DEALGATE_URL` and `WEBDRIVER_URL`).
//!
//! - Board: a full navigation to `/`, until the board's cards are painted —
//!   the app's `board-painted` performance mark, set in the first animation
//!   frame after the cards are in the page, read as milliseconds since the
//!   navigation started (Performance API). Repeated, median reported.
//! - Verdict: on a deal page, a field edit (an `input` event) until the live
//!   verdict's text in the page has changed (a MutationObserver), measured in
//!   the page with `performance.now()`. This is the whole edit: signal,
//!   `shared::check` on the deal with the draft, and the DOM update.

use dealgate_tests::{browser, sign_in_as, sign_in_in_browser, url, wait_text};
use fantoccini::Locator;
use serde_json::{Value, json};
use shared::Opportunity;
use shared::api::{Config, Page};
use shared::pipeline::FieldKind;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn summary(name: &str, v: &[f64], unit: &str) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    println!(
        "{name}: median {:.3} {unit}, min {:.3}, max {:.3} ({} runs)",
        median(s.clone()),
        s[0],
        s[s.len() - 1],
        s.len()
    );
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "manager").await;

    let mut board = Vec::new();
    let mut cards = 0;
    for _ in 0..runs {
        client.goto(&url("/")).await.expect("open the board");
        let painted = client
            .execute_async(
                "const done = arguments[0];
                 const poll = () => {
                   const m = performance.getEntriesByName('board-painted');
                   if (m.length) { done([m[0].startTime, document.querySelectorAll('[data-test=deal-card]').length]); }
                   else { setTimeout(poll, 10); }
                 };
                 poll();",
                vec![],
            )
            .await
            .expect("the board paints");
        board.push(painted[0].as_f64().unwrap_or(f64::NAN));
        cards = painted[1].as_u64().unwrap_or(0);
    }
    println!("board: {cards} cards");
    summary("board navigation to painted", &board, "ms");

    // A deal whose current stage has a text field, for the verdict edit.
    let api = sign_in_as("manager").await;
    let config: Config = api.get_json("/api/config").await;
    let page: Page<Opportunity> = api
        .get_json("/api/opportunities?pipeline=tender&status=open&limit=200")
        .await;
    let tender = config
        .pipelines
        .iter()
        .find(|p| p.id.as_str() == "tender")
        .unwrap();
    let (deal, key) = page
        .items
        .iter()
        .find_map(|d| {
            let stage = tender.stage(d.stage.as_str())?;
            let f = stage.required_fields.iter().find(|f| {
                matches!(f.kind, FieldKind::Text | FieldKind::LongText)
                    && f.grades.contains(d.grade.effective)
                    && !d.fields.contains_key(f.key.as_str())
            })?;
            Some((d.id.clone(), f.key.to_string()))
        })
        .expect("a seeded deal with an empty text field in its stage");
    client
        .goto(&url(&format!("/opportunities/{deal}")))
        .await
        .unwrap();
    wait_text(&client, "[data-test=verdict-summary]", |t| !t.is_empty()).await;
    let input = client
        .find(Locator::Css(&format!(
            "[data-test=field][data-key={key}] input, [data-test=field][data-key={key}] textarea"
        )))
        .await
        .expect("the field's input");
    let times: Value = client
        .execute_async(
            "const [input, n, done] = arguments;
             const target = document.querySelector('[data-test=verdict-summary]');
             const times = [];
             const once = (value) => new Promise((resolve) => {
               const obs = new MutationObserver(() => { obs.disconnect(); resolve(performance.now()); });
               obs.observe(target, { childList: true, characterData: true, subtree: true });
               const t0 = performance.now();
               input.value = value;
               input.dispatchEvent(new Event('input', { bubbles: true }));
               return t0;
             }).then((t1) => t1);
             (async () => {
               for (let i = 0; i < n; i++) {
                 const t0 = performance.now();
                 // Empty field: typing meets it, clearing unmeets it, so each edit changes the verdict.
                 const t1 = await once(i % 2 === 0 ? 'typed ' + i : '');
                 times.push(t1 - t0);
               }
               done(times);
             })();",
            vec![serde_json::to_value(&input).unwrap(), json!(41)],
        )
        .await
        .expect("edit the field");
    let times: Vec<f64> = times
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    summary(
        "verdict recompute per edit (input event to verdict in the page)",
        &times,
        "ms",
    );
    client.close().await.unwrap();
}
