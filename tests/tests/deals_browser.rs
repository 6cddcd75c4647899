//! Deals in the browser, against the real runtime: a B deal from a new lead
//! through every stage to won, ticking the real checklist as the rep, the
//! manager and the staffed colleague would; a C deal fast-tracked; an XSS
//! payload shown as text.

use dealgate_tests::{
    Session, browser, click, deal_page_as, find, sign_in_as, sign_in_in_browser, unique, url,
    value_of, wait_path, wait_text,
};
use fantoccini::{Client, Locator};
use serde_json::json;
use shared::api::Config;
use shared::pipeline::{Approver, FieldKind, Pipeline, RequiredField, Stage};
use shared::{Grade, Opportunity};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A pipeline of the server's config, by key.
async fn pipeline(s: &Session, key: &str) -> Pipeline {
    let config: Config = s.get_json("/api/config").await;
    config
        .pipelines
        .into_iter()
        .find(|p| p.id.as_str() == key)
        .expect("the pipeline")
}

async fn version(client: &Client, head: &str) -> u64 {
    let v = find(client, head).await.attr("data-version").await.unwrap();
    v.and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Runs `act` and waits until the record's version moves on (the server
/// accepted the change and the page shows it).
async fn changed<F: std::future::Future<Output = ()>>(client: &Client, head: &str, act: F) {
    let before = version(client, head).await;
    act.await;
    let deadline = Instant::now() + TIMEOUT;
    while version(client, head).await == before {
        if let Ok(e) = client.find(Locator::Css("[data-test=action-error]")).await {
            panic!("the server refused: {}", e.text().await.unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "the change was not saved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types a value fit for the field's kind into its input.
async fn fill_field(client: &Client, field: &RequiredField, colleague: &str) {
    let row = format!("[data-test=field][data-key={}]", field.key);
    match field.kind {
        FieldKind::Bool => click(client, &format!("{row} input[type=checkbox]")).await,
        FieldKind::Select => find(client, &format!("{row} select"))
            .await
            .select_by_index(1)
            .await
            .unwrap(),
        FieldKind::User => find(client, &format!("{row} select"))
            .await
            .select_by_value(colleague)
            .await
            .unwrap(),
        FieldKind::Date => {
            // Date inputs take keys in the browser's locale format; set the value as a picker would.
            let input = find(client, &format!("{row} input")).await;
            client
                .execute(
                    "arguments[0].value = '2026-11-20'; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                    vec![serde_json::to_value(&input).unwrap()],
                )
                .await
                .unwrap();
        }
        kind => {
            let text = match kind {
                FieldKind::Money => "120,000",
                FieldKind::Url => "https://example.com/deal/plan",
                FieldKind::LongText => "Decision chain: CIO signs, CFO approves budget.",
                _ => "Checked with the customer",
            };
            find(client, &format!("{row} input, {row} textarea"))
                .await
                .send_keys(text)
                .await
                .unwrap();
        }
    }
}

struct People {
    rep: Client,
    manager: Client,
    colleague: Client,
    colleague_id: String,
}

/// Everything the stage asks of this grade, done through the page: fields
/// typed and saved, tasks ticked, roles staffed, approvals requested by the
/// owner and decided by the approver in their own browser.
async fn complete_stage(people: &People, deal_url: &str, stage: &Stage, grade: Grade) {
    let (rep, head) = (&people.rep, "[data-test=deal-head]");
    let fields: Vec<_> = stage
        .required_fields
        .iter()
        .filter(|f| f.grades.contains(grade))
        .collect();
    if !fields.is_empty() {
        for f in &fields {
            fill_field(rep, f, &people.colleague_id).await;
        }
        changed(rep, head, click(rep, "[data-test=save-fields]")).await;
    }
    for t in stage
        .required_tasks
        .iter()
        .filter(|t| t.grades.contains(grade))
    {
        let css = format!("[data-test=task][data-key={}] input[type=checkbox]", t.key);
        changed(rep, head, click(rep, &css)).await;
    }
    for r in stage.roles.iter().filter(|r| r.grades.contains(grade)) {
        let row = format!("[data-test=role][data-key={}]", r.role);
        find(rep, &format!("{row} select"))
            .await
            .select_by_value(&people.colleague_id)
            .await
            .unwrap();
        changed(rep, head, click(rep, &format!("{row} [data-test=staff]"))).await;
    }
    for p in stage.processes.iter().filter(|p| p.grades.contains(grade)) {
        let row = format!("[data-test=approval][data-key={}]", p.key);
        changed(
            rep,
            head,
            click(rep, &format!("{row} [data-test=request-approval]")),
        )
        .await;
        let approver = match p.approver {
            Approver::Role(_) => &people.manager,
            Approver::TeamRole(_) => &people.colleague,
        };
        approver.goto(deal_url).await.unwrap();
        find(approver, &format!("{row} [data-test=approval-comment]"))
            .await
            .send_keys("OK")
            .await
            .unwrap();
        changed(
            approver,
            head,
            click(approver, &format!("{row} [data-test=approve]")),
        )
        .await;
        // The owner sees the decision on reload.
        rep.refresh().await.unwrap();
        wait_text(rep, &format!("{row} [data-test=approval-status]"), |t| {
            t == "Approved"
        })
        .await;
    }
}

/// A lead created in the form, its stage-1 checklist done, converted with
/// `amount`: returns the deal page's URL once the browser is on it.
async fn lead_to_deal(
    people: &People,
    pipeline: &Pipeline,
    amount: &str,
    grade: &str,
    track: &str,
) -> String {
    let rep = &people.rep;
    rep.goto(&url("/leads")).await.unwrap();
    click(rep, "details.new-lead > summary").await;
    let form = "[data-test=new-lead]";
    for (name, value) in [
        ("title", format!("MES upgrade {}", unique(""))),
        ("customer", "Mingyuan Manufacturing".to_string()),
        ("contact.name", "Zhang Wei".to_string()),
        ("contact.phone", "138 0013 8000".to_string()),
    ] {
        find(rep, &format!("{form} input[name='{name}']"))
            .await
            .send_keys(&value)
            .await
            .unwrap();
    }
    click(rep, &format!("{form} button[type=submit]")).await;
    wait_path(rep, |p| {
        p.starts_with("/leads/") && p.len() > "/leads/".len()
    })
    .await;

    let stage1 = pipeline.first().unwrap();
    let head = "[data-test=lead-head]";
    for f in &stage1.required_fields {
        fill_field(rep, f, &people.colleague_id).await;
    }
    changed(rep, head, click(rep, "[data-test=save-fields]")).await;
    for t in &stage1.required_tasks {
        let css = format!("[data-test=task][data-key={}] input[type=checkbox]", t.key);
        changed(rep, head, click(rep, &css)).await;
    }
    // The grade and track follow the amount as it is typed.
    find(rep, "[data-test=convert-form] input[name=amount]")
        .await
        .send_keys(amount)
        .await
        .unwrap();
    wait_text(rep, "[data-test=grade-preview] [data-test=grade]", |t| {
        t == grade
    })
    .await;
    wait_text(rep, "[data-test=track-preview]", |t| t == track).await;
    click(rep, "[data-test=convert]").await;
    wait_path(rep, |p| p.starts_with("/opportunities/")).await
}

async fn advance(rep: &Client) {
    changed(
        rep,
        "[data-test=deal-head]",
        click(rep, "[data-test=advance]"),
    )
    .await;
    // Where it went, and how to undo it (a move back needs a reason).
    wait_text(rep, "[data-test=moved-notice]", |t| {
        t.contains("Moved on to") && t.contains("asks for a reason")
    })
    .await;
}

async fn win(rep: &Client, number: &str) {
    find(rep, "[data-test=win-form] input[name=contract_number]")
        .await
        .send_keys(number)
        .await
        .unwrap();
    click(rep, "[data-test=win]").await;
    wait_text(rep, "[data-test=deal-status]", |t| t == "Won").await;
}

async fn people() -> People {
    let (rep, manager, colleague) = (
        browser("en-US").await,
        browser("en-US").await,
        browser("en-US").await,
    );
    sign_in_in_browser(&rep, "rep").await;
    sign_in_in_browser(&manager, "manager").await;
    sign_in_in_browser(&colleague, "rep2").await;
    // rep2's id in the demo seed (server/seed/dev.sql).
    People {
        rep,
        manager,
        colleague,
        colleague_id: "u_rep2".into(),
    }
}

async fn close(people: People) {
    for c in [people.rep, people.manager, people.colleague] {
        c.close().await.unwrap();
    }
}

fn deal_id(path: &str) -> String {
    path.trim_start_matches("/opportunities/").to_string()
}

#[tokio::test]
async fn a_b_deal_goes_from_a_new_lead_through_every_stage_to_won_in_the_browser() {
    let api = sign_in_as("rep").await;
    let tender = pipeline(&api, "tender").await;
    let people = people().await;
    let path = lead_to_deal(&people, &tender, "2,000,000", "B", "Full process").await;
    let deal_url = url(&path);
    let rep = &people.rep;

    // The live verdict: typing into a field changes "n of m met" before any save.
    let stage2 = &tender.stages[1];
    let before = wait_text(rep, "[data-test=verdict-summary]", |t| t.contains(" of ")).await;
    let first = stage2
        .required_fields
        .iter()
        .find(|f| f.grades.contains(Grade::B))
        .unwrap();
    fill_field(rep, first, &people.colleague_id).await;
    let after = wait_text(rep, "[data-test=verdict-summary]", |t| t != before).await;
    assert!(after.starts_with("1 of"), "{before} → {after}");
    // Nothing was saved yet: the advance button waits for the save.
    assert!(
        !find(rep, "[data-test=advance]")
            .await
            .is_enabled()
            .await
            .unwrap()
    );

    for (i, stage) in tender.stages.iter().enumerate().skip(1) {
        complete_stage(&people, &deal_url, stage, Grade::B).await;
        if i + 1 < tender.stages.len() {
            advance(rep).await;
        }
    }
    win(rep, "HT-UI-B-1").await;

    let won: Opportunity = api
        .get_json(&format!("/api/opportunities/{}", deal_id(&path)))
        .await;
    assert_eq!(won.status, shared::Status::Won);
    assert!(won.skipped.is_empty(), "a B deal skips nothing");
    assert_eq!(
        won.contract.as_ref().map(|c| c.number.as_str()),
        Some("HT-UI-B-1")
    );
    let steps = rep
        .find_all(Locator::Css("[data-test=step][data-state=done]"))
        .await
        .unwrap();
    assert_eq!(
        steps.len(),
        tender.stages.len(),
        "every stage done on the path"
    );
    close(people).await;
}

#[tokio::test]
async fn a_c_deal_is_fast_tracked_to_the_final_stage_and_won_in_the_browser() {
    let api = sign_in_as("rep").await;
    let tender = pipeline(&api, "tender").await;
    let people = people().await;
    let path = lead_to_deal(&people, &tender, "500,000", "C", "Fast track").await;
    let deal_url = url(&path);
    let rep = &people.rep;

    complete_stage(&people, &deal_url, &tender.stages[1], Grade::C).await;
    // Skipping several stages asks first: "no" moves nothing.
    let before = version(rep, "[data-test=deal-head]").await;
    click(rep, "[data-test=skip-to-final]").await;
    let question = rep.get_alert_text().await.unwrap();
    let n = tender.stages.len() - 3;
    assert!(question.contains(&format!("Skip {n} stages")), "{question}");
    rep.dismiss_alert().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(version(rep, "[data-test=deal-head]").await, before);
    changed(rep, "[data-test=deal-head]", async {
        click(rep, "[data-test=skip-to-final]").await;
        rep.accept_alert().await.unwrap();
    })
    .await;
    let skipped = rep
        .find_all(Locator::Css("[data-test=step][data-state=skipped]"))
        .await
        .unwrap();
    assert_eq!(
        skipped.len(),
        tender.stages.len() - 3,
        "every stage between was jumped over"
    );

    complete_stage(&people, &deal_url, tender.last().unwrap(), Grade::C).await;
    win(rep, "HT-UI-C-1").await;
    let won: Opportunity = api
        .get_json(&format!("/api/opportunities/{}", deal_id(&path)))
        .await;
    assert_eq!(won.status, shared::Status::Won);
    close(people).await;
}

/// A deal made through the API: a lead in `pipeline` named `title`, its
/// stage 1 done, converted with `amount` (fen).
async fn api_deal(api: &Session, pipeline: &Pipeline, title: &str, amount: i64) -> Opportunity {
    let call = |method, path: String, body: serde_json::Value| {
        let req = api.send_json(method, &path, &body);
        async move {
            let answer = req.send().await.unwrap();
            assert!(answer.status().is_success(), "{path}: {}", answer.status());
            answer.json::<serde_json::Value>().await.unwrap()
        }
    };
    let lead = call(
        reqwest::Method::POST,
        "/api/leads".into(),
        json!({
            "title": title, "customer": "<script>window.__xss=2</script>",
            "contact": {"name": "Zhang Wei", "phone": "138 0013 8000"}, "pipeline": pipeline.id
        }),
    )
    .await;
    let id = lead["id"].as_str().unwrap().to_string();
    let stage1 = pipeline.first().unwrap();
    let fields: serde_json::Map<_, _> = stage1
        .required_fields
        .iter()
        .map(|f| (f.key.to_string(), shared::sample::field_value(f)))
        .collect();
    let mut lead = call(
        reqwest::Method::PATCH,
        format!("/api/leads/{id}"),
        json!({"version": lead["version"], "fields": fields}),
    )
    .await;
    for t in &stage1.required_tasks {
        lead = call(
            reqwest::Method::POST,
            format!("/api/leads/{id}/tasks/{}", t.key),
            json!({"done": true, "version": lead["version"]}),
        )
        .await;
    }
    let deal = call(
        reqwest::Method::POST,
        format!("/api/leads/{id}/convert"),
        json!({"lead_by": "us", "amount": amount, "expected_close": "2027-06-30", "version": lead["version"]}),
    )
    .await;
    serde_json::from_value(deal).unwrap()
}

#[tokio::test]
async fn an_xss_payload_in_a_deal_name_shows_as_text_on_the_deal_page_the_list_and_the_board() {
    let api = sign_in_as("rep").await;
    let direct = pipeline(&api, "direct").await;
    let payload = format!("<img src=x onerror=\"window.__xss=1\">{}", unique("x"));
    let deal = api_deal(&api, &direct, &payload, 50_000_000).await;

    let client = deal_page_as("rep", &deal.id).await;
    let name = wait_text(&client, "[data-test=deal-name]", |t| !t.is_empty()).await;
    assert_eq!(name, payload, "the deal page shows the payload as text");
    client.goto(&url("/opportunities")).await.unwrap();
    wait_text(&client, "[data-test=deal-row]", |t| !t.is_empty()).await;
    client.goto(&url("/")).await.unwrap();
    find(&client, "[data-test=board-pipeline]")
        .await
        .select_by_value("direct")
        .await
        .unwrap();
    wait_text(&client, "[data-test=board]", |t| t.contains(&payload)).await;
    let injected = client
        .find_all(Locator::Css("main img, main script"))
        .await
        .unwrap();
    assert!(injected.is_empty(), "no element was injected");
    let flag = client
        .execute("return window.__xss === undefined", vec![])
        .await
        .unwrap();
    assert_eq!(flag, json!(true), "no payload ran");
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_save_on_a_stale_deal_shows_the_fresh_state_and_keeps_what_was_typed() {
    let api = sign_in_as("rep").await;
    let tender = pipeline(&api, "tender").await;
    let deal = api_deal(&api, &tender, &format!("Race {}", unique("")), 200_000_000).await;
    let stage = tender.stage(deal.stage.as_str()).unwrap();
    let field = stage
        .required_fields
        .iter()
        .find(|f| {
            matches!(f.kind, FieldKind::Text | FieldKind::LongText)
                && f.grades.contains(deal.grade.effective)
        })
        .expect("a text field in the first deal stage");

    let client = deal_page_as("rep", &deal.id).await;
    let input = format!(
        "[data-test=field][data-key={}] input, [data-test=field][data-key={}] textarea",
        field.key, field.key
    );
    find(&client, &input)
        .await
        .send_keys("typed before the conflict")
        .await
        .unwrap();

    // Someone else changes the deal meanwhile.
    let answer = api
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/opportunities/{}", deal.id),
            &json!({"version": deal.version, "customer": "Changed elsewhere Ltd"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    click(&client, "[data-test=save-fields]").await;
    wait_text(&client, "[data-test=conflict]", |t| {
        t.contains("Someone else")
    })
    .await;
    wait_text(&client, "[data-test=deal-head]", |t| {
        t.contains("Changed elsewhere Ltd")
    })
    .await;
    let kept = find(&client, &input).await.prop("value").await.unwrap();
    assert_eq!(
        kept.as_deref(),
        Some("typed before the conflict"),
        "the typed text is kept"
    );

    // Saving again now works, on the fresh version.
    changed(
        &client,
        "[data-test=deal-head]",
        click(&client, "[data-test=save-fields]"),
    )
    .await;
    let saved: Opportunity = api
        .get_json(&format!("/api/opportunities/{}", deal.id))
        .await;
    assert_eq!(
        saved.fields.get(field.key.as_str()),
        Some(&json!("typed before the conflict"))
    );
    assert_eq!(saved.customer, "Changed elsewhere Ltd");
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_opportunity_list_searches_and_filters_by_pipeline_stage_and_grade_kept_in_the_address()
{
    let api = sign_in_as("rep").await;
    let direct = pipeline(&api, "direct").await;
    let token = unique("find");
    let c_deal = api_deal(&api, &direct, &format!("Search me {token} C"), 50_000_000).await;
    api_deal(&api, &direct, &format!("Search me {token} B"), 200_000_000).await;

    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url("/opportunities")).await.unwrap();
    find(&client, "[data-test=filters] input[name=q]")
        .await
        .send_keys(&token)
        .await
        .unwrap();
    click(&client, "[data-test=filters] button[type=submit]").await;
    rows(&client, &token, 2).await;
    find(&client, "[data-test=filters] select[name=grade]")
        .await
        .select_by_value("C")
        .await
        .unwrap();
    let texts = rows(&client, &token, 1).await;
    assert!(texts[0].contains(&c_deal.name), "{texts:?}");
    // The filters are in the address: a deal opened and Back restore them.
    let path = wait_path(&client, |p| p.contains("grade=C")).await;
    assert!(path.contains(&format!("q={token}")), "{path}");
    click(&client, "[data-test=deal-row] a").await;
    wait_path(&client, |p| p.starts_with("/opportunities/")).await;
    client.back().await.unwrap();
    let texts = rows(&client, &token, 1).await;
    assert!(texts[0].contains(&c_deal.name), "{texts:?}");
    assert_eq!(
        value_of(&client, "[data-test=filters] select[name=grade]").await,
        "C"
    );
    assert_eq!(
        value_of(&client, "[data-test=filters] input[name=q]").await,
        token
    );
    // A stage filter follows the chosen pipeline; the new deals are in its second stage.
    find(&client, "[data-test=filters] select[name=pipeline]")
        .await
        .select_by_value("direct")
        .await
        .unwrap();
    find(&client, "[data-test=stage-filter]")
        .await
        .select_by_value(c_deal.stage.as_str())
        .await
        .unwrap();
    rows(&client, &token, 1).await;
    let last = direct.last().unwrap().key.to_string();
    find(&client, "[data-test=stage-filter]")
        .await
        .select_by_value(&last)
        .await
        .unwrap();
    wait_text(&client, "[data-test=empty]", |t| !t.is_empty()).await;
    client.close().await.unwrap();
}

/// Waits until the list shows exactly `n` rows, all naming `token`.
async fn rows(client: &Client, token: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let found = client
            .find_all(Locator::Css("[data-test=deal-row]"))
            .await
            .unwrap();
        let mut texts = Vec::new();
        for r in &found {
            texts.push(r.text().await.unwrap_or_default());
        }
        if texts.len() == n && texts.iter().all(|t| t.contains(token)) {
            return texts;
        }
        assert!(
            Instant::now() < deadline,
            "expected {n} rows with {token}, saw {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_board_fetches_the_deal_pages_code_in_the_background_once_painted() {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url("/")).await.unwrap();
    find(&client, "[data-test=board]").await;
    let fetched = || async {
        let names = client
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name)
                   .filter(n => n.includes('_page_view') || n.includes('deal_side'));",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value::<Vec<String>>(names).unwrap()
    };
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let names = fetched().await;
        if names.iter().any(|n| n.contains("opportunity_page_view"))
            && names.iter().any(|n| n.contains("deal_side"))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the deal page's code was not prefetched: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Only the page the board opens: its cards link to deals, not leads
    // (before, the lead page's code followed the deal page's: a second on,
    // it would be in).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let names = fetched().await;
    assert!(
        !names.iter().any(|n| n.contains("lead_page_view")),
        "the board fetched the lead page's code: {names:?}"
    );
    client.close().await.unwrap();
}
