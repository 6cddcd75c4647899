//! The admin's configuration against the real runtime: the thresholds'
//! preview and the save's regrade in one D1 batch (`UPDATE … FROM
//! json_each`, the statement the host's SQLite also runs), a pipeline save,
//! the team roles and the protection days. In their own binary: they move
//! the settings every other test runs by, and put them back.

use dealgate_tests::{Session, call, converted_deal, sign_in_as, unique};
use reqwest::Method;
use serde_json::{Value, json};

/// A deal of `amount` fen, as JSON.
async fn deal(s: &Session, amount: i64) -> Value {
    let title = format!("门槛 {}", unique(""));
    serde_json::to_value(converted_deal(s, &title, amount).await).expect("a deal")
}

#[tokio::test]
async fn a_threshold_change_regrades_the_deals_its_preview_listed_and_is_kept_in_the_history() {
    let rep = sign_in_as("rep").await;
    let admin = sign_in_as("admin").await;
    let b = deal(&rep, 200_000_000).await;
    assert_eq!(b["grade"]["effective"], "B");
    let id = b["id"].as_str().unwrap().to_string();
    let (_, before) = call(&admin, Method::GET, "/api/admin/grading", Value::Null).await;
    let version = before["version"].as_u64().unwrap();
    let raised = json!({"a_min": 500_000_000, "b_min": 300_000_000, "c_min": 30_000_000});

    let (status, preview) = call(
        &admin,
        Method::POST,
        "/api/admin/grading/preview",
        raised.clone(),
    )
    .await;
    let mut put = raised.clone();
    put["version"] = json!(version);
    let (saved, after) = call(&admin, Method::PUT, "/api/admin/grading", put).await;
    let (_, regraded) = call(
        &rep,
        Method::GET,
        &format!("/api/opportunities/{id}"),
        Value::Null,
    )
    .await;
    let (_, trail) = call(
        &rep,
        Method::GET,
        &format!("/api/opportunities/{id}/history"),
        Value::Null,
    )
    .await;
    // Put the defaults back for every test after this one.
    let mut back = before.clone();
    back["version"] = json!(version + 1);
    let (restored, _) = call(&admin, Method::PUT, "/api/admin/grading", back).await;
    let (_, history) = call(
        &admin,
        Method::GET,
        "/api/admin/grading/history",
        Value::Null,
    )
    .await;

    assert_eq!(status, 200, "{preview}");
    let change = preview["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["opportunity_id"] == id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not in the preview: {preview}"));
    assert_eq!((&change["from"], &change["to"]), (&json!("B"), &json!("C")));
    assert_eq!(saved, 200, "{after}");
    assert_eq!(after["version"], version + 1);
    assert_eq!(regraded["grade"]["effective"], "C");
    assert_eq!(regraded["track"], "fast");
    assert_eq!(regraded["version"], b["version"].as_u64().unwrap() + 1);
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["kind"], &last["to"], &last["policy_version"]),
        (&json!("regraded"), &json!("C"), &json!(version + 1))
    );
    assert_eq!(restored, 200);
    let versions: Vec<u64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions[..2], [version + 2, version + 1]);
    assert_eq!(history["items"][1]["to"]["b_min"], 300_000_000);
}

/// The stage framework's D1 statements (`json_each`, `json_extract` on the
/// documents) against the real runtime: a save, a refused removal of a
/// stage holding an open deal, a draft's preview, and the audit.
#[tokio::test]
async fn a_pipeline_save_is_versioned_audited_and_refused_while_a_stage_it_removes_holds_a_deal() {
    let rep = sign_in_as("rep").await;
    let admin = sign_in_as("admin").await;
    let deal = deal(&rep, 50_000_000).await;
    let (_, doc) = call(
        &admin,
        Method::GET,
        "/api/admin/pipelines/tender",
        Value::Null,
    )
    .await;
    let version = doc["version"].as_u64().unwrap();

    let (saved, after) = call(
        &admin,
        Method::PUT,
        "/api/admin/pipelines/tender",
        doc.clone(),
    )
    .await;
    let mut without_initiate = after.clone();
    without_initiate["stages"].as_array_mut().unwrap().remove(1);
    let (refused, problem) = call(
        &admin,
        Method::PUT,
        "/api/admin/pipelines/tender",
        without_initiate,
    )
    .await;
    let mut with_field = after.clone();
    with_field["stages"][1]["required_fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "key": "e2e_credit_check", "label": {"zh-CN": "信用核查", "en": "Credit check"},
            "kind": "bool", "options": null, "grades": ["C", "D"]
        }));
    let (previewed, preview) = call(
        &admin,
        Method::POST,
        "/api/admin/pipelines/tender/preview",
        with_field,
    )
    .await;
    let (_, audit) = call(&admin, Method::GET, "/api/admin/audit", Value::Null).await;

    assert_eq!(saved, 200, "{after}");
    assert_eq!(after["version"], version + 1);
    assert_eq!(refused, 409, "{problem}");
    assert_eq!(problem["code"], "stage_has_open_deals");
    assert!(
        problem["in_use"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == deal["id"] && r["key"] == "initiate"),
        "{problem}"
    );
    assert_eq!(previewed, 200, "{preview}");
    let ours = preview["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["opportunity_id"] == deal["id"])
        .cloned()
        .unwrap_or_else(|| panic!("the deal is not in the preview: {preview}"));
    assert_eq!(ours["gained"][0]["key"], "e2e_credit_check");
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["subject"] == "pipeline:tender" && e["by"] == "u_admin"),
        "{audit}"
    );
}

#[tokio::test]
async fn team_roles_and_protection_days_are_saved_versioned_and_audited_on_d1() {
    let admin = sign_in_as("admin").await;
    let (_, roles) = call(&admin, Method::GET, "/api/admin/team-roles", Value::Null).await;
    let mut added = roles.clone();
    added["roles"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "security", "name": {"zh-CN": "安全顾问", "en": "Security advisor"}}));

    let (status, saved) = call(&admin, Method::PUT, "/api/admin/team-roles", added.clone()).await;
    let (stale, _) = call(&admin, Method::PUT, "/api/admin/team-roles", added).await;
    let (needed, problem) = call(
        &admin,
        Method::PUT,
        "/api/admin/team-roles",
        json!({"roles": [], "version": saved["version"]}),
    )
    .await;
    // Back as it was (another version), for every later test.
    let mut back = roles.clone();
    back["version"] = saved["version"].clone();
    let (restored, _) = call(&admin, Method::PUT, "/api/admin/team-roles", back).await;

    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], roles["version"].as_u64().unwrap() + 1);
    assert_eq!(
        (stale.as_u16(), needed.as_u16(), restored.as_u16()),
        (409, 422, 200)
    );
    assert_eq!(problem["errors"][0]["code"], "role_in_use");

    let (_, days) = call(&admin, Method::GET, "/api/admin/registration", Value::Null).await;
    let v = days["version"].as_u64().unwrap();
    let (out_of_range, _) = call(
        &admin,
        Method::PUT,
        "/api/admin/registration",
        json!({"protection_days": 0, "version": v}),
    )
    .await;
    let (_, longer) = call(
        &admin,
        Method::PUT,
        "/api/admin/registration",
        json!({"protection_days": 120, "version": v}),
    )
    .await;
    let (_, config) = call(&admin, Method::GET, "/api/config", Value::Null).await;
    call(
        &admin,
        Method::PUT,
        "/api/admin/registration",
        json!({"protection_days": days["protection_days"], "version": v + 1}),
    )
    .await;
    let (_, audit) = call(&admin, Method::GET, "/api/admin/audit", Value::Null).await;

    assert_eq!(out_of_range.as_u16(), 422);
    assert_eq!(longer, json!({"protection_days": 120, "version": v + 1}));
    assert_eq!(config["registration"]["protection_days"], 120);
    let subjects: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["subject"].as_str())
        .collect();
    assert!(
        subjects.contains(&"settings:registration") && subjects.contains(&"settings:team_roles")
    );
}
