//! `make bench`: the app in headless Chromium, against a runtime seeded with
//! `--boards` open deals on the tender board (tests/with-runtime.sh gives
//! `DEALGATE_URL` and `WEBDRIVER_URL`).
//!
//! - Board: a full navigation to `/`, until the board's first cards are
//!   painted — the app's `board-painted` performance mark, set in the first
//!   animation frame after they are in the page (4 a column since stop 32;
//!   the rest follow, a column per task), read as milliseconds since the
//!   navigation started (Performance API). Repeated, median reported.
//! - The floor: `/api/health` and `/api/board` fetched from the page,
//!   interleaved, in the same run.
//! - Drag: a card whose gate allows the next stage dragged onto the next
//!   column (synthetic DragEvents), until the card is in that column — the
//!   server has moved it; a MutationObserver in the page times it.
//! - List and deal page: a full navigation to `/opportunities` and to a
//!   deal, until the rows and the deal's checklist are painted — the app's
//!   `list-painted` and `deal-painted` marks, set in the first animation
//!   frame after they are in the page, in milliseconds since the navigation
//!   started. Warm (the browser's cache holds the code), interleaved.
//! - Verdict: on a deal page, a field edit (an `input` event) until the live
//!   verdict's text in the page has changed (a MutationObserver), measured in
//!   the page with `performance.now()`. This is the whole edit: signal,
//!   `shared::check` on the deal with the draft, and the DOM update.

use dealgate_tests::{browser, devtools, sign_in_as, sign_in_in_browser, url, wait_text};
use fantoccini::Locator;
use serde_json::{Value, json};
use shared::Opportunity;
use shared::api::{Config, Page};
use shared::pipeline::FieldKind;

/// Opens `path` and answers the `mark`'s time since the navigation started,
/// with the bytes the page transferred up to then (the document and every
/// resource that had finished by the mark).
async fn painted(client: &fantoccini::Client, path: &str, mark: &str) -> (f64, f64) {
    client.goto(&url(path)).await.expect("open the page");
    let t = client
        .execute_async(
            "const [name, done] = arguments;
             const poll = () => {
               const m = performance.getEntriesByName(name);
               if (!m.length) { setTimeout(poll, 10); return; }
               const at = m[0].startTime;
               const nav = performance.getEntriesByType('navigation')[0];
               const bytes = performance.getEntriesByType('resource')
                 .filter((r) => r.responseEnd <= at)
                 .reduce((sum, r) => sum + r.transferSize, nav ? nav.transferSize : 0);
               done([at, bytes]);
             };
             poll();",
            vec![json!(mark)],
        )
        .await
        .expect("the page paints");
    (
        t[0].as_f64().unwrap_or(f64::NAN),
        t[1].as_f64().unwrap_or(f64::NAN),
    )
}

/// A rep's list (their own deals and the ones they are staffed on) and one
/// of their deals: warm (the code in the browser's cache, the user, config
/// and users kept from the visit before), then cold (a fresh browser
/// profile per run, signed in by cookie only), interleaved with
/// `/api/health` from the page.
async fn rep_pages(runs: usize) {
    let rep = sign_in_as("rep").await;
    let own: Page<Opportunity> = rep
        .get_json("/api/opportunities?pipeline=tender&status=open&limit=1")
        .await;
    let deal_path = format!("/opportunities/{}", own.items[0].id);
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    let (mut list, mut deal, mut health) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        list.push(painted(&client, "/opportunities", "list-painted").await.0);
        deal.push(painted(&client, &deal_path, "deal-painted").await.0);
        let h = client
            .execute_async(
                "const done = arguments[0];
                 const t0 = performance.now();
                 fetch('/api/health').then((r) => r.text()).then(() => done(performance.now() - t0));",
                vec![],
            )
            .await
            .expect("time /api/health");
        health.push(h.as_f64().unwrap_or(f64::NAN));
    }
    if std::env::var_os("DEALGATE_TIMELINE").is_some() {
        painted(&client, "/opportunities", "list-painted").await;
        let lines = client
            .execute(
                "return performance.getEntries().map((e) => `${e.startTime.toFixed(1)}..${(e.responseEnd || e.startTime + e.duration).toFixed(1)} ${e.entryType} ${e.name}`).join('\\n');",
                vec![],
            )
            .await
            .expect("the timeline");
        println!("{}", lines.as_str().unwrap_or_default());
    }
    client.close().await.unwrap();
    summary(
        "rep: deal list navigation to first row painted (warm)",
        &list,
        "ms",
    );
    summary(
        "rep: deal page navigation to checklist painted (warm)",
        &deal,
        "ms",
    );
    summary("rep: GET /api/health from the page (floor)", &health, "ms");

    // Cold: the same signed-in browser with its HTTP cache (and the
    // compiled code kept with it) and its storage emptied before each run,
    // through the DevTools protocol chromedriver passes on.
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    let (mut cold, mut bytes) = (Vec::new(), Vec::new());
    for _ in 0..runs.min(7) {
        client
            .goto(&url("/api/health"))
            .await
            .expect("leave the app");
        client
            .execute("localStorage.clear();", vec![])
            .await
            .expect("clear storage");
        devtools(&client, "Network.clearBrowserCache", json!({})).await;
        let (t, b) = painted(&client, "/opportunities", "list-painted").await;
        cold.push(t);
        bytes.push(b / 1000.0);
    }
    client.close().await.unwrap();
    summary(
        "rep: deal list navigation to first row painted (cold)",
        &cold,
        "ms",
    );
    summary(
        "rep: bytes transferred before the rows painted (cold)",
        &bytes,
        "KB",
    );
}

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

    // The runtime's floor in the same page and run: `/api/health` and the
    // board's own request, each fetched from the page, interleaved.
    let floors: Value = client
        .execute_async(
            "const [n, done] = arguments;
             const health = [], boardApi = [];
             const time = async (path) => { const t0 = performance.now(); const r = await fetch(path); await r.text(); return performance.now() - t0; };
             (async () => {
               for (let i = 0; i < n; i++) {
                 health.push(await time('/api/health'));
                 boardApi.push(await time('/api/board?pipeline=tender&limit=50'));
               }
               done([health, boardApi]);
             })();",
            vec![json!(runs)],
        )
        .await
        .expect("time the API from the page");
    let nums = |v: &Value| -> Vec<f64> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    summary(
        "GET /api/health from the page (floor)",
        &nums(&floors[0]),
        "ms",
    );
    summary("GET /api/board from the page", &nums(&floors[1]), "ms");

    // A card dragged to the next column, until it is in that column: the
    // drop runs the gate, the server moves the deal, the card lands.
    let dragged: Value = client
        .execute_async(
            "const [n, done] = arguments;
             const times = [];
             (async () => {
               for (let i = 0; i < n; i++) {
                 const cols = [...document.querySelectorAll('[data-test=column]')];
                 let found = null;
                 for (let c = 0; c < cols.length - 1 && !found; c++) {
                   const card = cols[c].querySelector('[data-test=deal-card]:not(.blocked)');
                   if (card) found = [card, cols[c + 1]];
                 }
                 if (!found) break;
                 const [card, target] = found;
                 const id = card.dataset.id;
                 const landed = () => target.querySelector(`[data-test=deal-card][data-id=\"${id}\"]`);
                 const t1 = new Promise((resolve, reject) => {
                   const obs = new MutationObserver(() => { if (landed()) { obs.disconnect(); resolve(performance.now()); } });
                   obs.observe(target, { childList: true, subtree: true });
                   setTimeout(() => { obs.disconnect(); reject('no landing in 10 s'); }, 10000);
                 });
                 const dt = new DataTransfer();
                 const t0 = performance.now();
                 card.dispatchEvent(new DragEvent('dragstart', { bubbles: true, cancelable: true, dataTransfer: dt }));
                 target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
                 target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
                 card.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: dt }));
                 times.push((await t1) - t0);
                 await new Promise((r) => setTimeout(r, 50));
               }
               done(times);
             })().catch((e) => done(String(e)));",
            vec![json!(runs * 3)],
        )
        .await
        .expect("drag cards");
    let drags = nums(&dragged);
    if drags.is_empty() {
        println!("drag to a server-confirmed column: no movable card ({dragged})");
    } else {
        summary("drag to a server-confirmed column", &drags, "ms");
    }

    // The list's rows and a deal's checklist, painted, interleaved.
    let api = sign_in_as("manager").await;
    let some: Page<Opportunity> = api
        .get_json("/api/opportunities?pipeline=tender&status=open&limit=1")
        .await;
    let deal_path = format!("/opportunities/{}", some.items[0].id);
    let (mut list_paint, mut deal_paint) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        for (path, name, out) in [
            ("/opportunities", "list-painted", &mut list_paint),
            (deal_path.as_str(), "deal-painted", &mut deal_paint),
        ] {
            out.push(painted(&client, path, name).await.0);
        }
    }
    summary(
        "deal list navigation to first row painted (warm)",
        &list_paint,
        "ms",
    );
    summary(
        "deal page navigation to checklist painted (warm)",
        &deal_paint,
        "ms",
    );

    rep_pages(runs).await;

    // A deal whose current stage has a text field, for the verdict edit.
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
