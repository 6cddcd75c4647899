//! The admin's stage framework in the browser, against the real runtime,
//! on a pipeline of its own (copied from `direct` through the page, so no
//! other test's rules move): a new required field typed with a bad key and
//! no label is marked at its inputs and cannot be saved; once fixed, the
//! preview lists the open deal that gains it as a blocker; a stage moved by
//! keyboard breaks the probability order, the problem list takes the admin
//! to it; the save lands; a stale save says what the other admin changed
//! and keeps the draft; removing the stage a deal is in is refused with
//! that deal; the walkthrough and the audit show the pipeline.

use dealgate_tests::{
    Session, browser, call_ok, click, converted_deal_in, find, sign_in_as, sign_in_in_browser,
    type_into, unique, url, value_of, wait_path, wait_text,
};
use fantoccini::Client;
use fantoccini::key::Key;
use reqwest::Method;
use serde_json::{Value, json};

/// The input editing `path` (the problem list names paths too).
fn at(path: &str) -> String {
    format!(":is(input, textarea, select)[data-path='{path}']")
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    find(client, css).await.attr(name).await.unwrap()
}

/// The stage keys of the pipeline as the server has it.
async fn stage_keys(admin: &Session, key: &str) -> (Value, Vec<String>) {
    let doc: Value = admin.get_json(&format!("/api/admin/pipelines/{key}")).await;
    let keys = doc["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap().to_string())
        .collect();
    (doc, keys)
}

#[tokio::test]
async fn an_admin_edits_a_copied_pipeline_and_sees_each_problem_and_the_impact_before_saving() {
    let admin = sign_in_as("admin").await;
    let rep = sign_in_as("rep").await;
    let key = unique("p");
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "admin").await;

    // A copy of `direct`, made through the page.
    click(&client, "nav a[href='/admin/pipelines']").await;
    type_into(&client, "[data-test=new-key]", &key).await;
    type_into(&client, "[data-test=new-name-zh]", "测试流程").await;
    type_into(&client, "[data-test=new-name-en]", "Test pipeline").await;
    find(&client, "[data-test=copy-from]")
        .await
        .select_by_value("direct")
        .await
        .unwrap();
    click(&client, "[data-test=create-pipeline]").await;
    wait_path(&client, |p| p == format!("/admin/pipelines/{key}")).await;
    wait_text(&client, "[data-test=pipeline-version]", |t| {
        t.contains("Version 1")
    })
    .await;

    // A B deal of the rep's, in stage 2 of that pipeline.
    let deal = converted_deal_in(&rep, &format!("Framework {key}"), 200_000_000, &key).await;
    assert_eq!(deal.stage.as_str(), "initiate");

    // Stage 2 gets a new required field: its key is typed wrong first.
    click(&client, "#stage-pick-1").await;
    click(&client, "[data-test=add-required_fields]").await;
    let new_key = at("stages[1].required_fields[2].key");
    assert_eq!(value_of(&client, &new_key).await, "new_field");
    type_into(&client, &new_key, "Security Review").await;
    wait_text(&client, "#f-stages-1--required_fields-2--key-error", |t| {
        t.contains("a–z")
    })
    .await;
    assert_eq!(
        attr(&client, &new_key, "aria-invalid").await.as_deref(),
        Some("true")
    );
    // The problem list names it with its stage, and nothing can be saved.
    let problems = wait_text(&client, "[data-test=problems]", |t| t.contains("(1)")).await;
    assert!(problems.contains("Stage 2"), "{problems}");
    assert!(
        !find(&client, "[data-test=save-pipeline]")
            .await
            .is_enabled()
            .await
            .unwrap()
    );

    // A good key; the label is still blank: that is the problem now.
    type_into(&client, &new_key, "security_review").await;
    wait_text(
        &client,
        "[data-test=problem][data-path='stages[1].required_fields[2].label']",
        |t| t.contains("zh-CN and en"),
    )
    .await;
    assert_eq!(
        attr(&client, &new_key, "aria-invalid").await.as_deref(),
        Some("false")
    );
    assert!(
        !find(&client, "[data-test=save-pipeline]")
            .await
            .is_enabled()
            .await
            .unwrap()
    );
    type_into(
        &client,
        &at("stages[1].required_fields[2].label.zh-CN"),
        "安全评审",
    )
    .await;
    type_into(
        &client,
        &at("stages[1].required_fields[2].label.en"),
        "Security review",
    )
    .await;
    assert_eq!(
        attr(&client, &new_key, "aria-invalid").await.as_deref(),
        Some("false")
    );

    // The impact, before saving: the deal in stage 2 gains the field as a blocker.
    let row = format!("[data-test=deal-impact][data-id='{}']", deal.id);
    wait_text(&client, &format!("{row} [data-test=gained]"), |t| {
        t.contains("Security review")
    })
    .await;

    // Stage 4 (`propose`, 60 %) moved up by keyboard, before `analyze` (30 %).
    find(&client, "#stage-pick-3")
        .await
        .send_keys(&(Key::Alt + &Key::Up))
        .await
        .unwrap();
    wait_text(&client, "#stage-pick-2", |t| t.contains("Proposal")).await;
    // Now the probabilities fall: the problem list takes the admin there.
    let problem = "[data-test=problem][data-path='stages[3].probability'] button";
    wait_text(&client, problem, |t| {
        t.contains("lower than the stage before")
    })
    .await;
    click(&client, problem).await;
    let probability = at("stages[3].probability");
    wait_text(&client, "[data-test=stage-editor] h2", |t| t == "Stage 4").await;
    let focused: Value = client
        .execute("return document.activeElement.dataset.path;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, json!("stages[3].probability"));
    type_into(&client, &probability, "60").await;

    click(&client, "[data-test=save-pipeline]").await;
    wait_text(&client, "[data-test=saved]", |t| t.contains('2')).await;
    let (doc, keys) = stage_keys(&admin, &key).await;
    assert_eq!(
        keys,
        ["verify", "initiate", "propose", "analyze", "negotiate"]
    );
    assert_eq!(doc["version"], 2);
    assert_eq!(
        doc["stages"][1]["required_fields"][2]["key"],
        "security_review"
    );
    // The gate follows at once: the deal's next move is blocked by it.
    let verdict: Value = rep
        .get_json(&format!("/api/opportunities/{}/check?to=propose", deal.id))
        .await;
    assert!(
        verdict["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["key"] == "security_review"),
        "{verdict}"
    );

    // Another admin saves meanwhile; this one's edit then meets a 409.
    let mut theirs = doc.clone();
    theirs["stages"][4]["max_days"] = json!(12);
    call_ok(
        &admin,
        Method::PUT,
        &format!("/api/admin/pipelines/{key}"),
        theirs,
    )
    .await;
    let name = at("stages[1].name.en");
    click(&client, "#stage-pick-1").await;
    type_into(&client, &name, "Initiation (edited)").await;
    click(&client, "[data-test=save-pipeline]").await;
    let conflict = wait_text(&client, "[data-test=conflict]", |t| t.contains("v3")).await;
    assert!(
        conflict.contains("Negotiation & signing: edited"),
        "{conflict}"
    );
    assert_eq!(value_of(&client, &name).await, "Initiation (edited)");
    click(&client, "[data-test=save-pipeline]").await;
    wait_text(&client, "[data-test=saved]", |t| t.contains('4')).await;
    let (doc, _) = stage_keys(&admin, &key).await;
    assert_eq!(doc["stages"][1]["name"]["en"], "Initiation (edited)");

    // Removing the stage the deal is in: asked first, then refused with it.
    click(&client, "#stage-pick-1").await;
    click(&client, "[data-test=remove-stage]").await;
    client.accept_alert().await.unwrap();
    wait_text(&client, "#stage-pick-1", |t| t.contains("Proposal")).await;
    click(&client, "[data-test=save-pipeline]").await;
    let in_use = find(&client, "[data-test=save-error] [data-test=in-use] a").await;
    assert_eq!(
        in_use.attr("href").await.unwrap(),
        Some(format!("/opportunities/{}", deal.id))
    );
    click(&client, "[data-test=discard]").await;
    client.accept_alert().await.unwrap();
    wait_text(&client, "#stage-pick-1", |t| {
        t.contains("Initiation (edited)")
    })
    .await;
    assert_eq!(stage_keys(&admin, &key).await.0["version"], 4);

    // The walkthrough: a C deal may skip the middle stages; an E deal
    // starts by its registration.
    client
        .goto(&url(&format!("/admin/pipelines/{key}/tracks")))
        .await
        .unwrap();
    click(&client, "[data-test=pick-grade][data-grade=C]").await;
    let third = "[data-test=walk-stage]:nth-of-type(3)";
    wait_text(&client, third, |t| t.contains("May skip")).await;
    click(&client, "[data-test=pick-grade][data-grade=E]").await;
    wait_text(&client, "[data-test=walk-stage]", |t| {
        t.contains("By registration")
    })
    .await;

    // The audit lists the pipeline's changes, newest first, linking to it.
    click(&client, "nav a[href='/admin/audit']").await;
    let first = format!("[data-test=audit-row][data-subject='pipeline:{key}'] a");
    assert_eq!(
        find(&client, &first).await.attr("href").await.unwrap(),
        Some(format!("/admin/pipelines/{key}"))
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_stage_framework_pages_are_for_admins_only() {
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "rep").await;
    client.goto(&url("/admin/pipelines/direct")).await.unwrap();
    wait_text(&client, "[data-test=forbidden]", |t| {
        t.contains("Only admins")
    })
    .await;
    let links: Value = client
        .execute(
            "return document.querySelectorAll(\"nav a[href^='/admin']\").length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(links, json!(0));
    client.close().await.unwrap();
}
