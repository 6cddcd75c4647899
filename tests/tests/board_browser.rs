//! The board in Chromium against the real runtime (issue #12): a column's
//! count is every open deal under the filter (from the address), not the
//! cards shown; a card dragged to the next column shows the gate's verdict
//! while dragging, springs back with its blockers when refused and lands
//! there once the server moved it when allowed; the Move-to select does
//! the same from the keyboard.

use dealgate_tests::{
    api_reads, browser, click, complete_stage, converted_deal, exists, find, first_visit_browser,
    get_deal, sign_in_as, sign_in_in_browser, unique, url, value_of, wait_path, wait_text,
};
use fantoccini::{Client, Locator, elements::Element};
use serde_json::json;
use shared::api::Config;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// Starts dragging `card` over `column` (synthetic DragEvents, as the
/// browser sends them).
async fn drag_over(client: &Client, card: &str, column: &str) {
    client
        .execute(
            "const [card, col] = [document.querySelector(arguments[0]), document.querySelector(arguments[1])];
             window.__dt = new DataTransfer();
             card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, cancelable: true, dataTransfer: window.__dt}));
             col.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: window.__dt}));",
            vec![json!(card), json!(column)],
        )
        .await
        .expect("drag over the column");
}

async fn drop_on(client: &Client, card: &str, column: &str) {
    client
        .execute(
            "const [card, col] = [document.querySelector(arguments[0]), document.querySelector(arguments[1])];
             col.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: window.__dt}));
             card.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: window.__dt}));",
            vec![json!(card), json!(column)],
        )
        .await
        .expect("drop on the column");
}

/// The key of the stage after `deal`'s.
fn next_stage(config: &Config, deal: &shared::Opportunity) -> String {
    let pipeline = config
        .pipelines
        .iter()
        .find(|p| p.id == deal.pipeline)
        .unwrap();
    let here = pipeline.index_of(deal.stage.as_str()).unwrap();
    pipeline.stages[here + 1].key.to_string()
}

/// The rep's tender board, searched for `tag` (from the address).
async fn rep_board(tag: &str) -> Client {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client
        .goto(&url(&format!("/?pipeline=tender&q={tag}")))
        .await
        .unwrap();
    client
}

async fn has_class(client: &Client, css: &str, class: &str) -> bool {
    find(client, css)
        .await
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default()
        .split_whitespace()
        .any(|c| c == class)
}

#[tokio::test]
async fn a_column_counts_every_open_deal_under_the_filter_from_the_address() {
    let rep = sign_in_as("rep").await;
    let tag = unique("Counted");
    let mut first = None;
    for i in 0..4 {
        first = Some(
            converted_deal(&rep, &format!("{tag} {i}"), 200_000_000)
                .await
                .stage,
        );
    }
    let first = first.unwrap();
    let client = rep_board(&tag).await;
    let column = format!("[data-test=column][data-stage={first}]");
    wait_text(
        &client,
        &format!("{column} [data-test=column-count]"),
        |t| t == "4",
    )
    .await;
    let cards = client
        .find_all(Locator::Css(&format!("{column} [data-test=deal-card]")))
        .await
        .unwrap();
    assert_eq!(cards.len(), 4);
    // The amount is the column's sum: 4 × ¥2,000,000.
    let amount = wait_text(
        &client,
        &format!("{column} [data-test=column-amount]"),
        |t| !t.is_empty(),
    )
    .await;
    assert!(amount.contains("8,000,000"), "{amount}");
    // The search box shows the filter the address holds.
    assert_eq!(value_of(&client, "[data-test=board-search]").await, tag);
    client.close().await.unwrap();
}

/// The cards a column shows first (`FIRST_PER_COLUMN` in the app's board).
const FIRST_PER_COLUMN: usize = 20;

/// The `data-id`s of the cards in `column`, once there are `want` of them.
async fn card_ids(client: &Client, column: &str, want: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let cards = client
            .find_all(Locator::Css(&format!("{column} [data-test=deal-card]")))
            .await
            .unwrap();
        if cards.len() == want {
            let mut ids = Vec::new();
            for card in cards {
                ids.push(card.attr("data-id").await.unwrap().unwrap_or_default());
            }
            return ids;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "{column}: {} cards, {want} expected",
            cards.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_column_shows_its_first_cards_and_load_more_adds_the_rest_once_each() {
    let rep = sign_in_as("rep").await;
    let tag = unique("Paged");
    let total = FIRST_PER_COLUMN + 3;
    let mut stage = None;
    for i in 0..total {
        stage = Some(
            converted_deal(&rep, &format!("{tag} {i}"), 100_000_000)
                .await
                .stage,
        );
    }
    let column = format!("[data-test=column][data-stage={}]", stage.unwrap());
    let client = rep_board(&tag).await;
    // The count is every deal; the column shows its first page and says
    // how many more there are.
    wait_text(
        &client,
        &format!("{column} [data-test=column-count]"),
        |t| t == total.to_string(),
    )
    .await;
    let first = card_ids(&client, &column, FIRST_PER_COLUMN).await;
    let more = format!("{column} [data-test=column-more]");
    assert!(
        find(&client, &more)
            .await
            .text()
            .await
            .unwrap()
            .contains("(3)")
    );
    click(&client, &more).await;
    // The rest, after the first page, each deal once; then nothing more.
    let all = card_ids(&client, &column, total).await;
    assert_eq!(
        all[..FIRST_PER_COLUMN],
        first[..],
        "the first page stays first"
    );
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), total, "no deal shown twice: {all:?}");
    let start = Instant::now();
    while exists(&client, &more).await {
        assert!(
            start.elapsed() < TIMEOUT,
            "Load more stays after the last page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_first_visit_reads_the_board_and_the_config_once_without_waiting_for_the_user() {
    let rep = sign_in_as("rep").await;
    let tag = unique("Ahead");
    converted_deal(&rep, &format!("{tag} 1"), 100_000_000).await;
    // Nothing kept in this browser, so the user and the config are asked
    // for; the address names no pipeline (the config's first, tender).
    let client = first_visit_browser("rep").await;
    let version = |c: Config| c.versions.get("config").copied();
    let before = version(rep.get_json("/api/config").await);
    client.goto(&url(&format!("/?q={tag}"))).await.unwrap();
    find(
        &client,
        "[data-test=column][data-stage] [data-test=deal-card]",
    )
    .await;
    // Another test may change the config meanwhile: the page then asks
    // again for the newer one (`api::config`).
    let unchanged = before == version(rep.get_json("/api/config").await);
    let reads = api_reads(&client).await;
    let of =
        |path: &str| -> Vec<&(String, f64, f64)> { reads.iter().filter(|r| r.0 == path).collect() };
    let (board, me, config) = (of("/api/board"), of("/api/me"), of("/api/config"));
    assert_eq!(
        board.len(),
        1,
        "the page took the read ahead's answer: {reads:?}"
    );
    assert_eq!(me.len(), 1, "{reads:?}");
    // Both started with the page's code, not after who is signed in is
    // known; the config's answer taken by the page.
    assert!(board[0].1 < me[0].2, "{reads:?}");
    assert!(config[0].1 < me[0].2, "{reads:?}");
    if unchanged {
        assert_eq!(config.len(), 1, "{reads:?}");
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_dragged_card_shows_the_verdict_springs_back_when_refused_and_moves_when_allowed() {
    let rep = sign_in_as("rep").await;
    let (manager, rep2) = (sign_in_as("manager").await, sign_in_as("rep2").await);
    let config: Config = rep.get_json("/api/config").await;
    let tag = unique("Dragged");
    let blocked = converted_deal(&rep, &format!("{tag} blocked"), 200_000_000).await;
    let ready = converted_deal(&rep, &format!("{tag} ready"), 200_000_000).await;
    complete_stage(
        &rep,
        &manager,
        &rep2,
        &config,
        &ready.id,
        ready.stage.as_str(),
    )
    .await;
    let next = next_stage(&config, &ready);

    let client = rep_board(&tag).await;
    let target = format!("[data-test=column][data-stage={next}]");
    let card = |id: &str| format!("[data-test=deal-card][data-id='{id}']");
    find(&client, &card(&blocked.id)).await;

    // Refused: the column says why while dragging; the drop changes nothing.
    drag_over(&client, &card(&blocked.id), &target).await;
    wait_text(&client, &format!("{target} [data-test=drop-hint]"), |t| {
        t.starts_with("Cannot move here")
    })
    .await;
    assert!(has_class(&client, &target, "drop-no").await);
    drop_on(&client, &card(&blocked.id), &target).await;
    wait_text(
        &client,
        &format!("{} [data-test=card-blockers]", card(&blocked.id)),
        |t| t.contains("Still needed"),
    )
    .await;
    assert!(
        !exists(&client, &format!("{target} {}", card(&blocked.id))).await,
        "a refused card stays in its column"
    );
    assert_eq!(get_deal(&rep, &blocked.id).await.version, blocked.version);

    // Allowed: lands in the next column once the server has moved it.
    let before = get_deal(&rep, &ready.id).await.version;
    drag_over(&client, &card(&ready.id), &target).await;
    wait_text(&client, &format!("{target} [data-test=drop-hint]"), |t| {
        t.starts_with("Drop to move")
    })
    .await;
    drop_on(&client, &card(&ready.id), &target).await;
    find(&client, &format!("{target} {}", card(&ready.id))).await;
    let moved = get_deal(&rep, &ready.id).await;
    assert_eq!(moved.stage.as_str(), next);
    assert!(moved.version > before);
    wait_text(
        &client,
        &format!("{target} [data-test=column-count]"),
        |t| t == "1",
    )
    .await;
    // Nothing reloaded the board: the page never left it.
    wait_path(&client, |p| p.starts_with("/?")).await;
    client.close().await.unwrap();
}

/// Runs `script` in the page with the element `css` as its first
/// argument: the element and what the script returned.
async fn run_on(client: &Client, css: &str, script: &str) -> (Element, serde_json::Value) {
    let element = find(client, css).await;
    let value = client
        .execute(script, vec![serde_json::to_value(&element).unwrap()])
        .await
        .unwrap();
    (element, value)
}

/// Presses `card`'s "Move to" from the keyboard (focused, as Tab does,
/// then Enter), checks that the select that takes its place has the focus,
/// and picks `value` in it.
async fn choose_from_keyboard(client: &Client, card: &str, value: &str) {
    let (button, _) = run_on(
        client,
        &format!("{card} button[data-test=move-to]"),
        "arguments[0].focus();",
    )
    .await;
    button
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .unwrap();
    let select = format!("{card} select[data-test=move-to]");
    find(client, &format!("{select} option[value='{value}']")).await;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let (_, focused) = run_on(
            client,
            &select,
            "return document.activeElement === arguments[0];",
        )
        .await;
        if focused == serde_json::Value::Bool(true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the select did not take the focus"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    find(client, &select)
        .await
        .select_by_value(value)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_move_to_button_opens_a_select_that_moves_a_card_from_the_keyboard_with_the_same_verdict()
 {
    let rep = sign_in_as("rep").await;
    let (manager, rep2) = (sign_in_as("manager").await, sign_in_as("rep2").await);
    let config: Config = rep.get_json("/api/config").await;
    let tag = unique("Keyed");
    let deal = converted_deal(&rep, &format!("{tag} deal"), 200_000_000).await;
    let next = next_stage(&config, &deal);
    let client = rep_board(&tag).await;
    let card = format!("[data-test=deal-card][data-id='{}']", deal.id);
    // A card's "Move to" is a button until it is pressed: no form control
    // (and no choices) on a card before.
    find(&client, &format!("{card} button[data-test=move-to]")).await;
    assert!(
        !exists(&client, &format!("{card} select")).await,
        "a select on the card before it was pressed"
    );
    // Refused first: the blockers, and the deal where it was.
    choose_from_keyboard(&client, &card, &next).await;
    wait_text(&client, &format!("{card} [data-test=card-blockers]"), |t| {
        t.contains("Still needed")
    })
    .await;
    assert_eq!(get_deal(&rep, &deal.id).await.stage, deal.stage);
    // Met: the same choice moves it.
    complete_stage(
        &rep,
        &manager,
        &rep2,
        &config,
        &deal.id,
        deal.stage.as_str(),
    )
    .await;
    client.refresh().await.unwrap();
    choose_from_keyboard(&client, &card, &next).await;
    let deadline = Instant::now() + TIMEOUT;
    while get_deal(&rep, &deal.id).await.stage.as_str() != next {
        assert!(Instant::now() < deadline, "the card did not move");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    find(
        &client,
        &format!("[data-test=column][data-stage={next}] {card}"),
    )
    .await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_channel_manager_opening_the_board_goes_to_the_registrations_without_reading_the_board() {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "channel").await;
    wait_path(&client, |p| p.starts_with("/registrations")).await;
    // A visit since: this browser keeps who they are.
    client.goto(&url("/registrations")).await.unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while client
        .execute("return localStorage.getItem('dealgate.me');", vec![])
        .await
        .unwrap()
        .is_null()
    {
        assert!(Instant::now() < deadline, "the user was never kept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.goto(&url("/")).await.unwrap();
    wait_path(&client, |p| p.starts_with("/registrations")).await;
    find(&client, "section.registrations [data-test=queue]").await;
    let reads = client
        .execute(
            "return performance.getEntriesByType('resource')
               .map((r) => new URL(r.name).pathname)
               .filter((p) => p.startsWith('/api/'));",
            vec![],
        )
        .await
        .unwrap();
    let reads: Vec<String> = serde_json::from_value(reads).unwrap();
    assert!(
        reads.iter().any(|p| p == "/api/me"),
        "the visit's reads are recorded: {reads:?}"
    );
    assert!(
        !reads.iter().any(|p| p == "/api/board"),
        "the board is not read for someone it sends on: {reads:?}"
    );
    client.close().await.unwrap();
}
