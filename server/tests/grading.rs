//! The admin's grading thresholds on the host: read, preview, save with
//! the regrade of every open deal, history; and who may not.

mod support;

use serde_json::{Value, json};
use support::deals::*;
use support::*;

const YUAN: i64 = 100;

fn thresholds(a: i64, b: i64, c: i64) -> Value {
    json!({"a_min": a * YUAN, "b_min": b * YUAN, "c_min": c * YUAN})
}

fn with_version(mut body: Value, version: u64) -> Value {
    body["version"] = json!(version);
    body
}

fn deal(c: &Client<'_>, id: &str) -> Value {
    ok(c.get(&format!("/api/opportunities/{id}")), 200)
}

#[test]
fn an_admin_reads_the_thresholds_in_force_with_version_and_currency() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let g = ok(admin.get("/api/admin/grading"), 200);

    assert_eq!(
        (&g["a_min"], &g["b_min"], &g["c_min"]),
        (&json!(500_000_000), &json!(100_000_000), &json!(30_000_000))
    );
    assert_eq!((&g["currency"], &g["version"]), (&json!("CNY"), &json!(1)));
}

#[test]
fn reps_managers_and_channel_managers_may_not_see_preview_or_change_thresholds() {
    let app = TestApp::new();
    for email in [REP, MANAGER, CHANNEL] {
        let c = session(&app, email);
        problem(&c.get("/api/admin/grading"), 403, "forbidden");
        problem(&c.get("/api/admin/grading/history"), 403, "forbidden");
        let body = thresholds(5_000_000, 1_000_000, 300_000);
        problem(
            &c.post("/api/admin/grading/preview", body.clone()),
            403,
            "forbidden",
        );
        problem(
            &c.put("/api/admin/grading", with_version(body, 1)),
            403,
            "forbidden",
        );
    }
    assert_eq!(
        ok(session(&app, ADMIN).get("/api/admin/grading"), 200)["version"],
        1
    );
}

#[test]
fn thresholds_out_of_order_or_not_positive_are_422_named_on_their_fields_and_change_nothing() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let put = admin.put(
        "/api/admin/grading",
        with_version(thresholds(1_000_000, 2_000_000, 0), 1),
    );
    let preview = admin.post(
        "/api/admin/grading/preview",
        thresholds(1_000_000, 2_000_000, 300_000),
    );

    let p = problem(&put, 422, "invalid");
    assert_eq!(
        errors(&p),
        [
            ("c_min".to_string(), "must_be_positive".to_string()),
            ("b_min".to_string(), "threshold_order".to_string())
        ]
    );
    assert_eq!(
        errors(&problem(&preview, 422, "invalid")),
        [("b_min".to_string(), "threshold_order".to_string())]
    );
    assert_eq!(ok(admin.get("/api/admin/grading"), 200)["version"], 1);
}

#[test]
fn a_stale_version_gets_409_with_the_thresholds_in_force() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let first = admin.put(
        "/api/admin/grading",
        with_version(thresholds(6_000_000, 1_000_000, 300_000), 1),
    );
    assert_eq!(ok(first, 200)["version"], 2);

    let stale = admin.put(
        "/api/admin/grading",
        with_version(thresholds(7_000_000, 1_000_000, 300_000), 1),
    );

    let p = problem(&stale, 409, "version_conflict");
    assert_eq!(p["current"]["version"], 2);
    assert_eq!(p["current"]["a_min"], 600_000_000);
}

#[test]
fn the_preview_lists_exactly_the_deals_a_save_then_regrades() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let admin = session(&app, ADMIN);
    let b = converted_deal(&rep, new_lead("B 2M", "tender"), 200_000_000);
    let c = converted_deal(&rep, new_lead("C 0.5M", "direct"), 50_000_000);
    let held = converted_deal(&rep, new_lead("Held 2M", "tender"), 200_000_000);
    let held = ok(
        manager.post(
            &format!("{}/grade-override", deal_path(&held)),
            json!({"grade": "A", "reason": "战略客户", "version": held["version"]}),
        ),
        200,
    );
    // b_min up to 3M yuan: the 2M deal drops to C (full → fast); the
    // overridden one keeps A; the 0.5M one stays C.
    let to = thresholds(5_000_000, 3_000_000, 300_000);

    let preview = ok(admin.post("/api/admin/grading/preview", to.clone()), 200);
    let saved = ok(admin.put("/api/admin/grading", with_version(to, 1)), 200);

    assert_eq!(
        preview["changes"],
        json!([{"opportunity_id": id(&b), "name": "B 2M", "from": "B", "to": "C",
                "track_from": "full", "track_to": "fast"}])
    );
    assert_eq!(
        preview["counts"],
        json!({"A": 1, "B": 0, "C": 2, "D": 0, "E": 0})
    );
    assert_eq!(preview["blocked_after"], 0);
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["updated_by"], "u_admin");
    let b_now = deal(&rep, &id(&b));
    assert_eq!(
        b_now["grade"],
        json!({"computed": "C", "override": null, "effective": "C"})
    );
    assert_eq!(
        (&b_now["track"], b_now["version"].as_u64()),
        (&json!("fast"), Some(version(&b) + 1))
    );
    let trail = history(&rep, &b_now);
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            &last["kind"],
            &last["from"],
            &last["to"],
            &last["policy_version"],
            &last["by"]
        ),
        (
            &json!("regraded"),
            &json!("B"),
            &json!("C"),
            &json!(2),
            &json!("u_admin")
        )
    );
    // The unchanged deal is not written; the overridden one records its
    // new computed grade but no regrade event (its effective grade held).
    assert_eq!(deal(&rep, &id(&c))["version"], c["version"]);
    let held_now = deal(&rep, &id(&held));
    assert_eq!(
        held_now["grade"],
        json!({"computed": "C", "override": "A", "effective": "A"})
    );
    assert_eq!(
        kinds(&history(&rep, &held_now)).last().unwrap(),
        "grade_overridden"
    );
    // The config every app computes with follows at once.
    assert_eq!(
        ok(rep.get("/api/config"), 200)["grading"]["b_min"],
        300_000_000
    );
}

#[test]
fn an_upgrade_onto_the_full_track_of_a_deal_that_skipped_is_previewed_as_blocked_and_blocks_its_win()
 {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    // A D deal (0.1M yuan) fast-tracked to the final stage, skipping stages.
    let skipped = deal_in_final_stage(&rep, "Fast", "tender");
    assert!(!skipped["skipped"].as_array().unwrap().is_empty());
    let to = thresholds(5_000_000, 50_000, 10_000);

    let preview = ok(admin.post("/api/admin/grading/preview", to.clone()), 200);
    ok(admin.put("/api/admin/grading", with_version(to, 1)), 200);

    assert_eq!(preview["blocked_after"], 1);
    assert_eq!(preview["changes"][0]["track_to"], "full");
    let check = ok(
        rep.get(&format!("{}/check?to=won", deal_path(&skipped))),
        200,
    );
    assert_eq!(check["allowed"], false);
    let stages: Vec<&str> = check["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["stage"].as_str())
        .collect();
    for s in skipped["skipped"].as_array().unwrap() {
        assert!(
            stages.contains(&s.as_str().unwrap()),
            "{s} is not a blocker: {check}"
        );
    }
}

#[test]
fn every_version_is_kept_newest_first_with_who_and_from_to() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    ok(
        admin.put(
            "/api/admin/grading",
            with_version(thresholds(6_000_000, 1_000_000, 300_000), 1),
        ),
        200,
    );
    ok(
        admin.put(
            "/api/admin/grading",
            with_version(thresholds(6_000_000, 2_000_000, 300_000), 2),
        ),
        200,
    );

    let h = ok(admin.get("/api/admin/grading/history"), 200);

    let items = h["items"].as_array().unwrap();
    let versions: Vec<u64> = items
        .iter()
        .map(|i| i["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(items[0]["from"]["b_min"], 100_000_000);
    assert_eq!(items[0]["to"]["b_min"], 200_000_000);
    assert_eq!(items[0]["updated_by"], "u_admin");
    assert_eq!(items[2]["from"], Value::Null);
    assert_eq!(items[2]["to"]["a_min"], 500_000_000);
}

#[test]
fn a_threshold_change_with_no_open_deal_to_regrade_writes_only_the_policy() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let saved = admin.put(
        "/api/admin/grading",
        with_version(thresholds(5_000_000, 5_000_000, 5_000_000), 1),
    );

    let g = ok(saved, 200);
    assert_eq!(
        (g["a_min"].as_i64(), g["c_min"].as_i64()),
        (Some(500_000_000), Some(500_000_000))
    );
}

#[test]
fn every_answer_to_a_signed_in_caller_carries_the_config_version_and_a_change_raises_it() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    let version = |r: &Resp| -> u64 {
        r.header("x-config-version")
            .unwrap_or_else(|| panic!("no config version on {}", r.text()))
            .parse()
            .unwrap()
    };
    let before = version(&rep.get("/api/opportunities"));
    assert_eq!(version(&rep.get("/api/config")), before);
    assert!(
        app.anonymous()
            .get("/api/health")
            .header("x-config-version")
            .is_none()
    );

    ok(
        admin.put(
            "/api/admin/grading",
            with_version(thresholds(6_000_000, 1_000_000, 300_000), 1),
        ),
        200,
    );

    let after = version(&rep.get("/api/leads"));
    assert_eq!(after, before + 1);
    let config = rep.get("/api/config");
    assert_eq!(version(&config), after);
    assert_eq!(config.json()["versions"]["config"], after);
    assert_eq!(config.json()["grading"]["a_min"], 600_000_000);
}

#[test]
fn a_signed_in_read_learns_the_config_version_with_its_session_in_one_round_trip_and_no_kv_read() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    let header = |r: &Resp| -> u64 { r.header("x-config-version").unwrap().parse().unwrap() };
    let config_version = |c: &Client<'_>| -> u64 {
        ok(c.get("/api/config"), 200)["versions"]["config"]
            .as_u64()
            .unwrap()
    };
    ok(rep.get("/api/opportunities"), 200);

    let (batches, kv_reads) = (app.rt.db.batches(), app.rt.kv_reads.get());
    let list = rep.get("/api/opportunities");
    let (batches, kv_reads) = (
        app.rt.db.batches() - batches,
        app.rt.kv_reads.get() - kv_reads,
    );

    assert_eq!(list.status(), 200);
    assert_eq!(
        (batches, kv_reads),
        (1, 0),
        "the session with the config version, read with the page (api::ahead)"
    );
    assert_eq!(header(&list), config_version(&rep));
    // Every kind of configuration write raises the version a read reports
    // (the team roles, a pipeline, the thresholds), and a write's own
    // answer already names its new version.
    let before = header(&rep.get("/api/leads"));
    let mut roles = ok(admin.get("/api/admin/team-roles"), 200);
    roles["roles"][0]["name"]["en"] = json!("Pre-sales engineer");
    let saved = admin.put("/api/admin/team-roles", roles);
    assert_eq!(saved.status(), 200, "{}", saved.text());
    assert_eq!(header(&saved), before + 1);
    let after_roles = header(&rep.get("/api/leads"));
    assert_eq!(after_roles, before + 1);
    let mut pipeline = ok(admin.get("/api/admin/pipelines/direct"), 200);
    pipeline["name"]["en"] = json!("Direct sale");
    let saved = admin.put("/api/admin/pipelines/direct", pipeline);
    assert_eq!(saved.status(), 200, "{}", saved.text());
    let after_pipeline = header(&rep.get("/api/opportunities"));
    assert_eq!(after_pipeline, after_roles + 1);
    ok(
        admin.put(
            "/api/admin/grading",
            with_version(thresholds(6_000_000, 1_000_000, 300_000), 1),
        ),
        200,
    );
    let after_grading = header(&rep.get("/api/me"));
    assert_eq!(after_grading, after_pipeline + 1);
    assert_eq!(config_version(&rep), after_grading);
}

#[test]
fn a_snapshot_older_than_the_version_asked_for_is_answered_from_d1_and_rebuilt() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let fresh = ok(rep.get("/api/config"), 200);
    let v = fresh["versions"]["config"].as_u64().unwrap();
    // KV is eventually consistent: a location may still hold an older copy.
    let mut old = fresh.clone();
    old["grading"]["b_min"] = json!(1);
    app.rt
        .kv_set_raw("config:snapshot", &format!("{} {old}", v - 1));

    let served = ok(rep.get("/api/config"), 200);
    let asked = ok(rep.get(&format!("/api/config?min_version={v}")), 200);

    assert_eq!(
        served["grading"]["b_min"], 1,
        "without a version, the copy is served"
    );
    assert_eq!(
        asked["grading"]["b_min"], 100_000_000,
        "a newer version asked for comes from D1"
    );
    let rebuilt = app.rt.kv_raw("config:snapshot").unwrap();
    assert!(
        rebuilt.starts_with(&format!("{v} ")),
        "the snapshot is rebuilt"
    );
}
