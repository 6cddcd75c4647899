//! The admin's stage framework on the host: list, read, save (versioned,
//! validated with paths, refused while open records are in the way),
//! create as a copy, and the audit of every change.

mod support;

use serde_json::{Value, json};
use support::deals::*;
use support::*;

fn pipeline(admin: &Client<'_>, id: &str) -> Value {
    ok(admin.get(&format!("/api/admin/pipelines/{id}")), 200)
}

fn put(admin: &Client<'_>, doc: &Value) -> Resp {
    let id = doc["id"].as_str().unwrap().to_string();
    admin.put(&format!("/api/admin/pipelines/{id}"), doc.clone())
}

fn stage_index(doc: &Value, key: &str) -> usize {
    doc["stages"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no stage {key}"))
}

#[test]
fn an_admin_lists_the_pipelines_and_reads_each_whole_with_its_version() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let list = ok(admin.get("/api/admin/pipelines"), 200);
    let tender = pipeline(&admin, "tender");

    assert_eq!(column(&list, "id"), ["tender", "direct"]);
    assert_eq!(list["items"][0]["stages"], 7);
    assert_eq!(
        (
            &tender["version"],
            tender["stages"].as_array().map(Vec::len)
        ),
        (&json!(1), Some(7))
    );
    problem(&admin.get("/api/admin/pipelines/nope"), 404, "not_found");
}

#[test]
fn a_new_required_field_on_stage_three_becomes_a_blocker_of_a_deal_there() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);
    let deal = work_stage(&rep, deal);
    let deal = ok(transition(&rep, &deal, json!({"to": "analyze"})), 200);
    let mut doc = pipeline(&admin, "tender");
    let i = stage_index(&doc, "analyze");
    doc["stages"][i]["required_fields"].as_array_mut().unwrap().push(json!({
        "key": "security_review", "label": {"zh-CN": "安全评审结论", "en": "Security review outcome"},
        "kind": "text", "options": null, "grades": ["A", "B", "C", "D", "E"]
    }));

    let saved = ok(put(&admin, &doc), 200);
    let check = ok(
        rep.get(&format!("{}/check?to=present", deal_path(&deal))),
        200,
    );

    assert_eq!(saved["version"], 2);
    assert!(
        blockers(&check).contains(&("field".to_string(), "security_review".to_string())),
        "{check}"
    );
    // The config every app computes its verdict with carries it too.
    let config = ok(rep.get("/api/config"), 200);
    let tender = &config["pipelines"][0];
    assert_eq!(tender["version"], 2);
    assert!(tender.to_string().contains("security_review"));
}

#[test]
fn a_stale_pipeline_version_is_409_with_the_current_document() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let doc = pipeline(&admin, "direct");
    ok(put(&admin, &doc), 200);

    let p = problem(&put(&admin, &doc), 409, "version_conflict");

    assert_eq!(p["current"]["version"], 2);
}

#[test]
fn an_invalid_draft_is_422_with_the_path_of_each_problem() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let mut doc = pipeline(&admin, "tender");
    doc["stages"][3]["probability"] = json!(120);
    let dup = doc["stages"][2]["required_fields"][0].clone();
    let fields = doc["stages"][2]["required_fields"].as_array_mut().unwrap();
    fields.push(dup);
    let dup_path = format!("stages[2].required_fields[{}].key", fields.len() - 1);
    doc["stages"][0]["processes"] = doc["stages"][1]["processes"].clone();

    let p = problem(&put(&admin, &doc), 422, "invalid");

    let found = errors(&p);
    for (path, code) in [
        ("stages[0]", "first_stage_only_fields_and_tasks"),
        (dup_path.as_str(), "duplicate_requirement"),
        ("stages[3].probability", "probability_range"),
    ] {
        assert!(
            found.contains(&(path.to_string(), code.to_string())),
            "{path} {code} not in {found:?}"
        );
    }
    assert_eq!(pipeline(&admin, "tender")["version"], 1);
}

#[test]
fn removing_a_stage_that_holds_open_deals_is_refused_listing_those_deals() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let mut doc = pipeline(&admin, "tender");
    let i = stage_index(&doc, "initiate");
    doc["stages"].as_array_mut().unwrap().remove(i);

    let p = problem(&put(&admin, &doc), 409, "stage_has_open_deals");

    assert_eq!(
        p["in_use"],
        json!([{"id": id(&deal), "name": "MES", "key": "initiate"}])
    );
    assert_eq!(pipeline(&admin, "tender")["version"], 1);
}

#[test]
fn renaming_a_field_open_deals_filled_is_refused_and_keeping_its_key_keeps_their_values() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let filled = work_stage(&rep, deal);
    let mut doc = pipeline(&admin, "tender");
    let i = stage_index(&doc, "initiate");
    let field = doc["stages"][i]["required_fields"][0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(filled["fields"].get(&field).is_some());

    let mut renamed = doc.clone();
    renamed["stages"][i]["required_fields"][0]["key"] = json!(format!("{field}_v2"));
    let refused = put(&admin, &renamed);
    doc["stages"][i]["required_fields"][0]["label"]["en"] = json!("Renamed label only");
    let relabelled = put(&admin, &doc);

    let p = problem(&refused, 409, "field_has_values");
    assert_eq!(p["in_use"][0]["key"], json!(field));
    assert_eq!(ok(relabelled, 200)["version"], 2);
    let now = ok(rep.get(&deal_path(&filled)), 200);
    assert_eq!(now["fields"][&field], filled["fields"][&field]);
}

#[test]
fn a_pipeline_is_created_as_a_copy_or_as_a_frame_and_an_existing_key_is_409() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let name = json!({"zh-CN": "框架协议", "en": "Framework agreement"});

    let copy = admin.post(
        "/api/admin/pipelines",
        json!({"id": "framework", "name": name, "copy_from": "direct"}),
    );
    let frame = admin.post("/api/admin/pipelines", json!({"id": "small", "name": name}));
    let again = admin.post("/api/admin/pipelines", json!({"id": "small", "name": name}));
    let unknown = admin.post(
        "/api/admin/pipelines",
        json!({"id": "x", "name": name, "copy_from": "nope"}),
    );

    let copy = ok(copy, 201);
    assert_eq!(copy["stages"], pipeline(&admin, "direct")["stages"]);
    assert_eq!(ok(frame, 201)["stages"].as_array().map(Vec::len), Some(2));
    problem(&again, 409, "pipeline_exists");
    assert_eq!(errors(&problem(&unknown, 422, "invalid"))[0].0, "copy_from");
    let list = ok(admin.get("/api/admin/pipelines"), 200);
    assert_eq!(column(&list, "id").len(), 4);
    // A rep can open a lead in it at once.
    let rep = session(&app, REP);
    ok(
        rep.post("/api/leads", new_lead("New kind", "framework")),
        201,
    );
}

#[test]
fn the_audit_lists_threshold_pipeline_changes_newest_first_with_who() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let doc = pipeline(&admin, "direct");
    ok(put(&admin, &doc), 200);
    ok(
        admin.put(
            "/api/admin/grading",
            json!({"a_min": 600_000_000, "b_min": 100_000_000, "c_min": 30_000_000, "version": 1}),
        ),
        200,
    );

    let audit = ok(admin.get("/api/admin/audit"), 200);

    assert_eq!(column(&audit, "subject"), ["grading", "pipeline:direct"]);
    assert_eq!(column(&audit, "by"), ["u_admin", "u_admin"]);
    assert!(
        audit["items"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("a_min 5000000 → 6000000")
    );
    assert!(
        audit["items"][1]["summary"]
            .as_str()
            .unwrap()
            .starts_with("version 1 → 2")
    );
    problem(
        &session(&app, MANAGER).get("/api/admin/audit"),
        403,
        "forbidden",
    );
}

#[test]
fn account_changes_are_in_the_audit_with_what_changed() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let made = ok(
        admin.post(
            "/api/admin/users",
            json!({"email": "legal@example.com", "name": "法务 Legal", "password": "a long enough password", "roles": ["rep"]}),
        ),
        201,
    );
    let path = format!("/api/admin/users/{}", id(&made));
    ok(
        admin.patch(&path, json!({"roles": ["rep", "manager"], "active": false})),
        200,
    );

    let audit = ok(admin.get("/api/admin/audit"), 200);

    let subject = format!("user:{}", id(&made));
    assert_eq!(column(&audit, "subject"), [subject.clone(), subject]);
    assert_eq!(
        column(&audit, "summary"),
        [
            "roles rep → rep+manager; deactivated",
            r#"created with roles ["rep"]"#
        ]
    );
}

#[test]
fn a_drafts_preview_lists_the_deals_that_gain_blockers_before_anything_is_saved() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);
    let mut doc = pipeline(&admin, "tender");
    let i = stage_index(&doc, "initiate");
    doc["stages"][i]["required_fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "key": "credit_check", "label": {"zh-CN": "信用核查", "en": "Credit check"},
            "kind": "bool", "options": null, "grades": ["C", "D"]
        }));

    let p = ok(
        admin.post("/api/admin/pipelines/tender/preview", doc.clone()),
        200,
    );

    assert_eq!(p["open_deals"], 1);
    assert_eq!(p["changes"][0]["opportunity_id"], json!(id(&deal)));
    assert_eq!(p["changes"][0]["gained"][0]["key"], "credit_check");
    assert_eq!(p["changes"][0]["position_to"], 2);
    assert_eq!(
        pipeline(&admin, "tender")["version"],
        1,
        "a preview saves nothing"
    );
    doc["stages"][i]["probability"] = json!(101);
    let bad = admin.post("/api/admin/pipelines/tender/preview", doc);
    assert_eq!(
        errors(&problem(&bad, 422, "invalid"))[0].0,
        format!("stages[{i}].probability")
    );
}

#[test]
fn a_key_that_is_not_snake_case_is_422_at_its_path_in_save_and_preview() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let mut doc = pipeline(&admin, "tender");
    doc["stages"][2]["required_fields"][1]["key"] = json!("Main Competitors");

    let saved = problem(&put(&admin, &doc), 422, "invalid");
    let previewed = problem(
        &admin.post("/api/admin/pipelines/tender/preview", doc.clone()),
        422,
        "invalid",
    );

    let expected = pairs(&[("stages[2].required_fields[1].key", "invalid_key")]);
    assert_eq!(
        (errors(&saved), errors(&previewed)),
        (expected.clone(), expected)
    );
    assert_eq!(pipeline(&admin, "tender")["version"], 1);
}

#[test]
fn pipeline_problems_read_in_the_callers_language() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let mut doc = pipeline(&admin, "direct");
    doc["stages"][1]["name"]["zh-CN"] = json!("");

    let r = admin.request_in(
        dealgate_server::http::Method::Put,
        "/api/admin/pipelines/direct",
        Some(doc),
        "zh-CN",
    );

    let p = problem(&r, 422, "invalid");
    assert_eq!(errors(&p), pairs(&[("stages[1].name", "missing_text")]));
    let message = p["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("中文和英文"), "{message}");
}

fn team_roles(admin: &Client<'_>) -> Value {
    ok(admin.get("/api/admin/team-roles"), 200)
}

#[test]
fn an_admin_adds_and_renames_deal_team_roles_and_the_config_follows() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let mut doc = team_roles(&admin);
    assert_eq!(doc["version"], 1);
    let roles = doc["roles"].as_array_mut().unwrap();
    roles[0]["name"]["en"] = json!("Pre-sales engineer");
    roles.push(json!({"key": "security", "name": {"zh-CN": "安全顾问", "en": "Security advisor"}}));

    let saved = ok(admin.put("/api/admin/team-roles", doc.clone()), 200);

    assert_eq!(saved["version"], 2);
    let config = ok(admin.get("/api/config"), 200);
    assert_eq!(config["team_roles"], saved["roles"]);
    assert_eq!(config["team_roles"][0]["name"]["en"], "Pre-sales engineer");
    // The old version is stale now: 409 with the list as it is.
    let stale = problem(
        &admin.put("/api/admin/team-roles", doc),
        409,
        "version_conflict",
    );
    assert_eq!(stale["current"]["version"], 2);
    let audit = ok(admin.get("/api/admin/audit"), 200);
    assert_eq!(audit["items"][0]["subject"], "settings:team_roles");
    assert!(
        audit["items"][0]["summary"]
            .as_str()
            .unwrap()
            .ends_with("delivery, security")
    );
}

#[test]
fn a_team_role_a_pipeline_needs_or_an_open_deal_has_staffed_cannot_be_removed() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    ok(
        set_team(
            &rep,
            &deal,
            json!([{"role": "delivery", "user_id": "u_rep2"}]),
        ),
        200,
    );
    let without = |key: &str| {
        let mut doc = team_roles(&admin);
        doc["roles"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r["key"] != key);
        doc
    };

    let needed = problem(
        &admin.put("/api/admin/team-roles", without("legal")),
        422,
        "invalid",
    );
    let staffed = problem(
        &admin.put("/api/admin/team-roles", without("delivery")),
        409,
        "role_is_staffed",
    );
    let mut bad = team_roles(&admin);
    bad["roles"][1]["key"] = json!("Solution Architect");
    let invalid = problem(&admin.put("/api/admin/team-roles", bad), 422, "invalid");

    assert!(
        errors(&needed)
            .iter()
            .all(|(f, c)| f == "roles" && c == "role_in_use")
    );
    assert_eq!(staffed["in_use"][0]["id"], deal["id"]);
    assert_eq!(staffed["in_use"][0]["key"], "delivery");
    assert_eq!(errors(&invalid), pairs(&[("roles[1].key", "invalid_key")]));
    assert_eq!(team_roles(&admin)["version"], 1);
}

#[test]
fn an_admin_sets_the_registration_protection_days_within_range() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let current = ok(admin.get("/api/admin/registration"), 200);
    assert_eq!(current, json!({"protection_days": 90, "version": 1}));

    let saved = ok(
        admin.put(
            "/api/admin/registration",
            json!({"protection_days": 120, "version": 1}),
        ),
        200,
    );
    let stale = problem(
        &admin.put(
            "/api/admin/registration",
            json!({"protection_days": 60, "version": 1}),
        ),
        409,
        "version_conflict",
    );
    let out_of_range: Vec<Value> = [json!(0), json!(3651), json!(1.5), json!("90")]
        .into_iter()
        .map(|d| {
            problem(
                &admin.put(
                    "/api/admin/registration",
                    json!({"protection_days": d, "version": 2}),
                ),
                422,
                "invalid",
            )
        })
        .collect();

    assert_eq!(saved, json!({"protection_days": 120, "version": 2}));
    assert_eq!(stale["current"], saved);
    assert!(
        out_of_range
            .iter()
            .all(|p| errors(p) == pairs(&[("protection_days", "protection_days_range")]))
    );
    assert_eq!(
        ok(admin.get("/api/config"), 200)["registration"]["protection_days"],
        120
    );
    for who in [REP, MANAGER, CHANNEL] {
        let c = session(&app, who);
        problem(&c.get("/api/admin/registration"), 403, "forbidden");
        problem(
            &c.put("/api/admin/team-roles", team_roles(&admin)),
            403,
            "forbidden",
        );
    }
}

#[test]
fn a_new_pipeline_with_a_key_that_is_not_snake_case_is_422_at_its_field() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let name = json!({"zh-CN": "新流程", "en": "New pipeline"});

    let bad_id = problem(
        &admin.post(
            "/api/admin/pipelines",
            json!({"id": "New Pipeline", "name": name}),
        ),
        422,
        "invalid",
    );
    let bad_copy = problem(
        &admin.post(
            "/api/admin/pipelines",
            json!({"id": "new_pipeline", "name": name, "copy_from": "Direct"}),
        ),
        422,
        "invalid",
    );

    assert_eq!(errors(&bad_id), pairs(&[("id", "invalid_key")]));
    assert_eq!(errors(&bad_copy), pairs(&[("copy_from", "invalid_key")]));
    assert_eq!(
        column(&ok(admin.get("/api/admin/pipelines"), 200), "id"),
        ["tender", "direct"]
    );
}
