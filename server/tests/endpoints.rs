//! Every handler of the route table on the host, through `api::handle`:
//! for each route a success path and its refusals (record-level access,
//! stale versions, invalid bodies, gate refusals, closed records), with
//! the status, the problem's `code` and what the answer carries.
//!
//! Arrangements go through the API itself (leads are created, stage 1 is
//! filled and converted to get a deal), so each test also pins the path a
//! client takes. Each test signs in once per role it needs.

mod support;

use chrono::Duration;
use dealgate_server::http::Method;
use serde_json::{Value, json};
use shared::builtin;
use support::deals::*;
use support::*;

// ---------------------------------------------------------------------------
// The API's own answers: health, unknown routes, methods, media types
// ---------------------------------------------------------------------------

#[test]
fn health_answers_ok_with_the_version_to_anyone() {
    let app = TestApp::new();

    let r = app.anonymous().get("/api/health");

    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        ok(r, 200),
        json!({"status": "ok", "version": shared::VERSION})
    );
}

#[test]
fn unknown_api_paths_are_json_404_and_wrong_methods_405_with_allow() {
    let app = TestApp::new();
    let nobody = app.anonymous();

    let unknown = nobody.get("/api/nope");
    let trailing_slash = nobody.get("/api/health/");
    let post_health = nobody.post("/api/health", json!({}));
    let delete_leads = nobody.request(Method::Delete, "/api/leads", None);
    let put_lead = nobody.put("/api/leads/l_1", json!({}));

    let p = problem(&unknown, 404, "not_found");
    assert!(
        p["detail"].as_str().unwrap().contains("GET /api/nope"),
        "{p}"
    );
    assert_eq!(p["status"], 404);
    assert_eq!(p["type"], "/problems/not_found");
    problem(&trailing_slash, 404, "not_found");
    problem(&post_health, 405, "method_not_allowed");
    assert_eq!(post_health.header("allow"), Some("GET"));
    problem(&delete_leads, 405, "method_not_allowed");
    assert_eq!(delete_leads.header("allow"), Some("GET, POST"));
    problem(&put_lead, 405, "method_not_allowed");
    assert_eq!(put_lead.header("allow"), Some("GET, PATCH"));
}

#[test]
fn a_method_the_api_does_not_know_is_405() {
    let app = TestApp::new();

    let r = send_raw(&app.anonymous(), None, "/api/health", None, b"");

    problem(&r, 405, "method_not_allowed");
    assert_eq!(r.header("allow"), None);
}

#[test]
fn mutations_without_json_get_415() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let body = serde_json::to_vec(&new_lead("MES", "tender")).unwrap();

    let plain = send_raw(
        &rep,
        Some(Method::Post),
        "/api/leads",
        Some("text/plain"),
        &body,
    );
    let form = send_raw(
        &rep,
        Some(Method::Post),
        "/api/leads",
        Some("application/x-www-form-urlencoded"),
        b"title=MES",
    );
    let none = send_raw(&rep, Some(Method::Post), "/api/leads", None, &body);
    let logout = send_raw(&rep, Some(Method::Post), "/api/auth/logout", None, b"");

    for r in [&plain, &form, &none, &logout] {
        let p = problem(r, 415, "unsupported_media_type");
        assert!(p["detail"].as_str().unwrap().contains("JSON"), "{p}");
    }
    // Nothing was created, and the refused sign-out ended nothing.
    assert_eq!(ids(&ok(rep.get("/api/leads"), 200)), Vec::<String>::new());
    assert_eq!(ok(rep.get("/api/me"), 200)["id"], "u_rep");
}

#[test]
fn json_with_a_charset_parameter_is_json() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let body = serde_json::to_vec(&new_lead("MES", "tender")).unwrap();

    let r = send_raw(
        &rep,
        Some(Method::Post),
        "/api/leads",
        Some("Application/JSON; charset=utf-8"),
        &body,
    );

    assert_eq!(ok(r, 201)["title"], "MES");
}

#[test]
fn a_body_that_is_not_json_is_400_bad_request() {
    let app = TestApp::new();
    let rep = session(&app, REP);

    let r = send_raw(
        &rep,
        Some(Method::Post),
        "/api/leads",
        Some("application/json"),
        b"{\"title\": ",
    );

    let p = problem(&r, 400, "bad_request");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .starts_with("Malformed request"),
        "{p}"
    );
}

// ---------------------------------------------------------------------------
// Sessions: POST /api/auth/login, POST /api/auth/logout, GET /api/me
// ---------------------------------------------------------------------------

#[test]
fn signing_in_sets_an_httponly_lax_session_cookie_and_answers_the_user() {
    let app = TestApp::new();
    let nobody = app.anonymous();

    let r = nobody.post(
        "/api/auth/login",
        json!({"email": REP, "password": DEMO_PASSWORD}),
    );

    let cookie = r.header("set-cookie").unwrap().to_string();
    for attr in ["dg_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert_eq!(
        ok(r, 200),
        json!({"id": "u_rep", "email": REP, "name": "销售 Li Lei", "roles": ["rep"], "active": true})
    );
}

#[test]
fn sign_in_matches_the_email_trimmed_and_in_any_case() {
    let app = TestApp::new();

    let c = app.sign_in("  Rep@Example.COM ", DEMO_PASSWORD);

    assert_eq!(c.id(), "u_rep");
    assert_eq!(ok(c.get("/api/me"), 200)["email"], REP);
}

#[test]
fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = TestApp::new();
    let nobody = app.anonymous();

    let wrong = nobody.post(
        "/api/auth/login",
        json!({"email": REP, "password": "not-the-password"}),
    );
    let unknown = nobody.post(
        "/api/auth/login",
        json!({"email": "nobody@example.com", "password": DEMO_PASSWORD}),
    );

    let a = problem(&wrong, 401, "invalid_credentials");
    let b = problem(&unknown, 401, "invalid_credentials");
    assert_eq!(a, b);
    assert_eq!(wrong.header("set-cookie"), None);
    assert_eq!(unknown.header("set-cookie"), None);
}

#[test]
fn a_login_body_without_a_password_is_400() {
    let app = TestApp::new();

    let r = app
        .anonymous()
        .post("/api/auth/login", json!({"email": REP}));

    let p = problem(&r, 400, "bad_request");
    assert!(p["detail"].as_str().unwrap().contains("password"), "{p}");
}

#[test]
fn five_failed_sign_ins_for_one_email_get_429_with_retry_after() {
    let app = TestApp::new();
    let nobody = app.anonymous();
    let wrong = json!({"email": REP, "password": "guess-guess"});
    for _ in 0..5 {
        problem(
            &nobody.post("/api/auth/login", wrong.clone()),
            401,
            "invalid_credentials",
        );
    }

    let right = nobody.post(
        "/api/auth/login",
        json!({"email": REP, "password": DEMO_PASSWORD}),
    );

    let p = problem(&right, 429, "too_many_requests");
    assert_eq!(right.header("retry-after"), Some("900"));
    assert!(p["detail"].as_str().unwrap().contains("15 minutes"), "{p}");
    assert_eq!(right.header("set-cookie"), None);
    // Another e-mail from the same client is not locked out…
    assert_eq!(app.demo(REP2).id(), "u_rep2");
    // …and the lock lifts when the window has passed.
    app.advance(Duration::seconds(900));
    assert_eq!(app.demo(REP).id(), "u_rep");
}

#[test]
fn logout_clears_the_cookie_and_ends_the_session() {
    let app = TestApp::new();
    let rep = app.demo(REP);

    let r = rep.post("/api/auth/logout", json!({}));

    assert_eq!(r.status(), 204, "{}", r.text());
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.starts_with("dg_session=;"), "{cookie}");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    // The token is dead for good, even if the browser kept it.
    problem(&rep.get("/api/me"), 401, "unauthenticated");
    assert_eq!(rep.post("/api/auth/logout", json!({})).status(), 204);
}

#[test]
fn sessions_expire_after_12_hours_idle() {
    let app = TestApp::new();
    let rep = app.demo(REP);
    app.advance(Duration::hours(11));
    assert_eq!(ok(rep.get("/api/me"), 200)["id"], "u_rep");
    // 22 hours after sign-in, but only 11 since the last request.
    app.advance(Duration::hours(11));
    assert_eq!(ok(rep.get("/api/me"), 200)["id"], "u_rep");

    app.advance(Duration::hours(12));
    let r = rep.get("/api/me");

    problem(&r, 401, "unauthenticated");
    // Expired is expired: it does not come back.
    app.advance(Duration::hours(-12));
    problem(&rep.get("/api/me"), 401, "unauthenticated");
}

#[test]
fn sessions_end_7_days_after_sign_in_however_active() {
    let app = TestApp::new();
    let rep = app.demo(REP);
    for _ in 0..15 {
        app.advance(Duration::hours(11));
        assert_eq!(rep.get("/api/me").status(), 200);
    }

    app.advance(Duration::hours(11)); // 176 hours > 7 days

    problem(&rep.get("/api/me"), 401, "unauthenticated");
}

#[test]
fn me_needs_a_valid_session() {
    let app = TestApp::new();
    let mut junk = app.anonymous();
    junk.cookie = Some("dg_session=not-a-token".into());

    let anonymous = app.anonymous().get("/api/me");
    let junk = junk.get("/api/me");

    let p = problem(&anonymous, 401, "unauthenticated");
    assert_eq!(p["detail"], "Sign in first");
    problem(&junk, 401, "unauthenticated");
}

#[test]
fn me_answers_the_signed_in_user_and_their_roles() {
    let app = TestApp::new();
    let manager = session(&app, MANAGER);

    let me = ok(manager.get("/api/me"), 200);

    assert_eq!(
        me,
        json!({"id": "u_manager", "email": MANAGER, "name": "销售总监 Zhou Min",
               "roles": ["manager"], "active": true})
    );
}

// ---------------------------------------------------------------------------
// POST /api/setup
// ---------------------------------------------------------------------------

const SETUP_TOKEN: &str = "first-admin-setup-token";

/// A deployment with the migrations and no users at all.
fn empty_app(secret: Option<&str>) -> TestApp {
    let mut app = TestApp::new();
    app.rt.db = Sqlite::migrated();
    if let Some(s) = secret {
        app.rt
            .secrets
            .borrow_mut()
            .insert("SETUP_TOKEN".into(), s.into());
    }
    app
}

fn setup_body(token: &str, password: &str) -> Value {
    json!({"token": token, "email": " Owner@Example.com ", "name": "Owner", "password": password})
}

#[test]
fn setup_creates_the_first_admin_only_with_the_token_and_no_users() {
    let app = empty_app(Some(SETUP_TOKEN));
    let nobody = app.anonymous();
    let wrong_token = nobody.post("/api/setup", setup_body("guessed", "a long password"));
    let short_password = nobody.post("/api/setup", setup_body(SETUP_TOKEN, "short"));

    let created = nobody.post("/api/setup", setup_body(SETUP_TOKEN, "a long password"));

    problem(&wrong_token, 403, "forbidden");
    let p = problem(&short_password, 422, "invalid");
    assert_eq!(errors(&p), pairs(&[("password", "password_too_short")]));
    let admin = ok(created, 201);
    assert_eq!(admin["email"], "owner@example.com");
    assert_eq!(admin["roles"], json!(["admin"]));
    assert_eq!(admin["active"], true);
    let signed_in = app.sign_in("owner@example.com", "a long password");
    assert_eq!(signed_in.id(), id(&admin));
    assert_eq!(
        ok(signed_in.get("/api/admin/users"), 200)["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Once: with a user in place, setup is gone.
    problem(
        &nobody.post("/api/setup", setup_body(SETUP_TOKEN, "another long one")),
        404,
        "not_found",
    );
}

#[test]
fn setup_is_not_found_without_a_setup_token_secret() {
    let app = empty_app(None);

    let r = app
        .anonymous()
        .post("/api/setup", setup_body("", "a long password"));

    problem(&r, 404, "not_found");
}

#[test]
fn setup_is_not_found_once_users_exist() {
    let app = TestApp::new();
    app.rt
        .secrets
        .borrow_mut()
        .insert("SETUP_TOKEN".into(), SETUP_TOKEN.into());

    let r = app
        .anonymous()
        .post("/api/setup", setup_body(SETUP_TOKEN, "a long password"));

    problem(&r, 404, "not_found");
    let admin = session(&app, ADMIN);
    let everyone = ok(admin.get("/api/admin/users"), 200);
    assert!(!column(&everyone, "email").contains(&"owner@example.com".to_string()));
}

// ---------------------------------------------------------------------------
// GET /api/users, GET/POST /api/admin/users, PATCH /api/admin/users/{id}
// ---------------------------------------------------------------------------

#[test]
fn the_user_picker_lists_active_users_with_the_work_email_that_tells_namesakes_apart() {
    let app = TestApp::new();
    let rep = session(&app, REP);

    let page = ok(rep.get("/api/users"), 200);

    assert_eq!(
        sorted(ids(&page)),
        strings(&["u_admin", "u_channel", "u_manager", "u_rep", "u_rep2"])
    );
    assert_eq!(page["next_cursor"], Value::Null);
    for item in page["items"].as_array().unwrap() {
        let keys: Vec<_> = item.as_object().unwrap().keys().cloned().collect();
        // No password hash, no active flag: what a picker shows (#12 asks
        // for name and e-mail), nothing more.
        assert_eq!(
            sorted(keys),
            strings(&["email", "id", "name", "roles"]),
            "{item}"
        );
    }
}

#[test]
fn the_user_picker_needs_a_session() {
    let app = TestApp::new();

    let r = app.anonymous().get("/api/users");

    problem(&r, 401, "unauthenticated");
}

#[test]
fn an_admin_lists_every_account_with_its_email() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let page = ok(admin.get("/api/admin/users"), 200);

    assert_eq!(
        column(&page, "email"),
        // `rep2@` sorts before `rep@` ('2' < '@').
        strings(&[ADMIN, CHANNEL, MANAGER, REP2, REP])
    );
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["active"] == true && u.get("password_hash").is_none())
    );
}

#[test]
fn a_manager_may_not_list_or_create_accounts() {
    let app = TestApp::new();
    let manager = session(&app, MANAGER);

    let list = manager.get("/api/admin/users");
    let create = manager.post(
        "/api/admin/users",
        json!({"email": "x@example.com", "name": "X", "password": "long enough pw", "roles": ["rep"]}),
    );

    problem(&list, 403, "forbidden");
    problem(&create, 403, "forbidden");
}

#[test]
fn an_admin_creates_a_user_who_can_then_sign_in() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let r = admin.post(
        "/api/admin/users",
        json!({"email": " New.Rep@Example.com ", "name": " 新销售 Wu ",
               "password": "a new long password", "roles": ["rep", "manager", "rep"]}),
    );

    let user = ok(r, 201);
    assert_eq!(user["email"], "new.rep@example.com");
    assert_eq!(user["name"], "新销售 Wu");
    assert_eq!(user["roles"], json!(["rep", "manager"]));
    assert!(id(&user).starts_with("u_"));
    let signed_in = app.sign_in("new.rep@example.com", "a new long password");
    assert_eq!(signed_in.id(), id(&user));
    assert!(ids(&ok(admin.get("/api/users"), 200)).contains(&id(&user)));
}

#[test]
fn creating_a_user_with_a_taken_email_is_409_email_taken() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let r = admin.post(
        "/api/admin/users",
        json!({"email": " REP@example.com ", "name": "Again", "password": "long enough pw", "roles": ["rep"]}),
    );

    problem(&r, 409, "email_taken");
    assert_eq!(
        ok(admin.get("/api/admin/users"), 200)["items"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn creating_a_user_with_invalid_fields_lists_every_error() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let r = admin.post(
        "/api/admin/users",
        json!({"email": "not-an-email", "name": "  ", "password": "short", "roles": []}),
    );

    let p = problem(&r, 422, "invalid");
    assert_eq!(
        errors(&p),
        pairs(&[
            ("email", "invalid_email"),
            ("name", "required"),
            ("password", "password_too_short"),
            ("roles", "roles_required"),
        ])
    );
}

#[test]
fn deactivating_a_user_ends_their_sessions_and_hides_them_from_pickers() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let rep2 = session(&app, REP2);

    let r = admin.patch("/api/admin/users/u_rep2", json!({"active": false}));

    let updated = ok(r, 200);
    assert_eq!(updated["active"], false);
    assert_eq!(updated["roles"], json!(["rep"]));
    problem(&rep2.get("/api/me"), 401, "unauthenticated");
    problem(
        &app.anonymous().post(
            "/api/auth/login",
            json!({"email": REP2, "password": DEMO_PASSWORD}),
        ),
        401,
        "invalid_credentials",
    );
    assert!(!ids(&ok(admin.get("/api/users"), 200)).contains(&"u_rep2".to_string()));
    let everyone = ok(admin.get("/api/admin/users"), 200);
    assert_eq!(everyone["items"][4]["id"], "u_rep2");
    assert_eq!(everyone["items"][4]["active"], false);
}

#[test]
fn changing_a_users_roles_ends_their_sessions() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let rep2 = session(&app, REP2);

    let r = admin.patch(
        "/api/admin/users/u_rep2",
        json!({"roles": ["manager"], "name": "Han Meimei"}),
    );

    let updated = ok(r, 200);
    assert_eq!(
        (updated["roles"].clone(), updated["name"].clone()),
        (json!(["manager"]), json!("Han Meimei"))
    );
    problem(&rep2.get("/api/me"), 401, "unauthenticated");
    let again = app.demo(REP2);
    assert_eq!(
        again.me.as_ref().unwrap().roles,
        vec![shared::Role::Manager]
    );
}

#[test]
fn renaming_a_user_keeps_their_sessions() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let rep2 = session(&app, REP2);

    let r = admin.patch("/api/admin/users/u_rep2", json!({"name": "韩梅梅"}));

    assert_eq!(ok(r, 200)["name"], "韩梅梅");
    assert_eq!(ok(rep2.get("/api/me"), 200)["name"], "韩梅梅");
}

#[test]
fn resetting_a_password_ends_sessions_and_only_the_new_one_signs_in() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let rep2 = session(&app, REP2);

    let r = admin.patch(
        "/api/admin/users/u_rep2",
        json!({"password": "a brand new password"}),
    );

    assert_eq!(ok(r, 200)["id"], "u_rep2");
    problem(&rep2.get("/api/me"), 401, "unauthenticated");
    problem(
        &app.anonymous().post(
            "/api/auth/login",
            json!({"email": REP2, "password": DEMO_PASSWORD}),
        ),
        401,
        "invalid_credentials",
    );
    assert_eq!(app.sign_in(REP2, "a brand new password").id(), "u_rep2");
}

#[test]
fn the_last_active_admin_cannot_be_demoted_or_deactivated() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let demote = admin.patch("/api/admin/users/u_admin", json!({"roles": ["manager"]}));
    let deactivate = admin.patch("/api/admin/users/u_admin", json!({"active": false}));

    problem(&demote, 409, "last_admin");
    problem(&deactivate, 409, "last_admin");
    let me = ok(admin.get("/api/me"), 200);
    assert_eq!(
        (me["roles"].clone(), me["active"].clone()),
        (json!(["admin"]), json!(true))
    );
}

#[test]
fn updating_an_unknown_user_is_404() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let r = admin.patch("/api/admin/users/u_nobody", json!({"name": "Nobody"}));

    problem(&r, 404, "not_found");
}

#[test]
fn updating_a_user_with_no_roles_or_a_short_password_is_422() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);

    let r = admin.patch(
        "/api/admin/users/u_rep",
        json!({"roles": [], "password": "short", "name": " "}),
    );

    let p = problem(&r, 422, "invalid");
    assert_eq!(
        errors(&p),
        pairs(&[
            ("name", "required"),
            ("roles", "roles_required"),
            ("password", "password_too_short"),
        ])
    );
}

#[test]
fn a_rep_may_not_update_accounts() {
    let app = TestApp::new();
    let rep = session(&app, REP);

    let r = rep.patch("/api/admin/users/u_rep", json!({"roles": ["admin"]}));

    problem(&r, 403, "forbidden");
    assert_eq!(ok(rep.get("/api/me"), 200)["roles"], json!(["rep"]));
}

// ---------------------------------------------------------------------------
// GET /api/config
// ---------------------------------------------------------------------------

#[test]
fn the_config_carries_pipelines_grading_and_team_roles() {
    let app = TestApp::new();
    let channel = session(&app, CHANNEL);

    let config = ok(channel.get("/api/config"), 200);

    let pipelines: Vec<_> = config["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(pipelines, strings(&["tender", "direct"]));
    let tender_stages: Vec<_> = config["pipelines"][0]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        tender_stages,
        strings(&[
            "verify",
            "initiate",
            "analyze",
            "present",
            "tender_prep",
            "bidding",
            "negotiate"
        ])
    );
    let grading = &config["grading"];
    assert_eq!(
        [&grading["a_min"], &grading["b_min"], &grading["c_min"]],
        [&json!(500_000_000), &json!(100_000_000), &json!(30_000_000)]
    );
    assert_eq!(grading["currency"], "CNY");
    assert_eq!(grading["version"], config["versions"]["grading"]);
    assert_eq!(config["currency"], "CNY");
    let roles: Vec<_> = config["team_roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect();
    let builtin_roles: Vec<_> = builtin::team_roles()
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(roles, builtin_roles);
    assert!(config["versions"]["grading"].is_u64());
    assert!(config["versions"]["tender"].is_u64());
}

#[test]
fn the_config_needs_a_session() {
    let app = TestApp::new();

    let r = app.anonymous().get("/api/config");

    problem(&r, 401, "unauthenticated");
}

// ---------------------------------------------------------------------------
// Leads: POST /api/leads, GET/PATCH /api/leads/{id}
// ---------------------------------------------------------------------------

#[test]
fn a_rep_creates_a_lead_they_own_in_status_new() {
    let app = TestApp::new();
    let rep = session(&app, REP);

    let lead = create_lead(&rep, new_lead("MES 系统升级", "tender"));

    assert!(id(&lead).starts_with("l_"));
    assert_eq!(version(&lead), 1);
    assert_eq!(lead["title"], "MES 系统升级");
    assert_eq!(lead["customer"], "上海明远制造有限公司");
    assert_eq!(lead["contact"]["email"], "chen@example.com");
    assert_eq!(lead["owner_id"], "u_rep");
    assert_eq!(lead["status"], "new");
    assert_eq!(lead["pipeline"], "tender");
    assert_eq!(
        (lead["fields"].clone(), lead["tasks"].clone()),
        (json!({}), json!({}))
    );
    assert_eq!(ok(rep.get(&lead_path(&lead)), 200), lead);
}

#[test]
fn only_a_manager_may_create_a_lead_for_someone_else() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let mut for_rep2 = new_lead("ERP", "direct");
    for_rep2["owner_id"] = json!("u_rep2");

    let by_rep = create_lead(&rep, for_rep2.clone());
    let by_manager = create_lead(&manager, for_rep2);

    assert_eq!(by_rep["owner_id"], "u_rep");
    assert_eq!(by_manager["owner_id"], "u_rep2");
}

#[test]
fn a_lead_without_a_title_or_a_way_to_reach_anyone_is_422_with_its_errors() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let mut body = new_lead(" ", "tender");
    body["contact"] = json!({"name": "陈经理", "phone": "", "email": ""});

    let r = rep.post("/api/leads", body);

    let p = problem(&r, 422, "invalid");
    assert_eq!(
        errors(&p),
        pairs(&[("title", "required"), ("contact", "contact_required")])
    );
    assert_eq!(p["errors"][0]["message"], "Required");
    assert_eq!(
        p["errors"][1]["message"],
        "Give a phone number or an e-mail address"
    );
    assert_eq!(ids(&ok(rep.get("/api/leads"), 200)), Vec::<String>::new());
}

#[test]
fn a_manager_creating_a_lead_for_an_unknown_owner_is_422_not_a_storage_error() {
    let app = TestApp::new();
    let manager = session(&app, MANAGER);
    let mut body = new_lead("MES", "tender");
    body["owner_id"] = json!("u_ghost");

    let r = manager.post("/api/leads", body);

    // The caller sent a user id that does not exist: their mistake, a 422
    // naming the field, not "the database is not reachable right now".
    let p = problem(&r, 422, "invalid");
    assert!(
        errors(&p).iter().any(|(field, _)| field == "owner_id"),
        "{p}"
    );
    assert!(
        app.rt.errors.borrow().is_empty(),
        "{:?}",
        app.rt.errors.borrow()
    );
}

#[test]
fn a_lead_in_an_unknown_pipeline_is_422_unknown_pipeline() {
    let app = TestApp::new();
    let rep = session(&app, REP);

    let r = rep.post("/api/leads", new_lead("MES", "retail"));

    let p = problem(&r, 422, "invalid");
    assert_eq!(errors(&p), pairs(&[("pipeline", "unknown_pipeline")]));
}

#[test]
fn a_channel_manager_has_no_access_to_leads() {
    let app = TestApp::new();
    let channel = session(&app, CHANNEL);

    let create = channel.post("/api/leads", new_lead("MES", "tender"));
    let list = channel.get("/api/leads");

    problem(&create, 403, "forbidden");
    problem(&list, 403, "forbidden");
}

#[test]
fn a_rep_cannot_read_another_reps_lead() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let other = rep2.get(&lead_path(&lead));

    let p = problem(&other, 404, "not_found");
    // The same answer as for a lead that does not exist: nothing leaks.
    assert_eq!(
        p,
        problem(&rep2.get("/api/leads/l_missing"), 404, "not_found")
    );
    assert_eq!(ok(manager.get(&lead_path(&lead)), 200)["id"], lead["id"]);
}

#[test]
fn patching_a_lead_sets_stage_one_fields_and_makes_it_working() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let r = rep.patch(
        &lead_path(&lead),
        json!({"version": 1, "title": " MES 二期 ", "fields": {"need_summary": " 扩产 "}}),
    );

    let patched = ok(r, 200);
    assert_eq!(version(&patched), 2);
    assert_eq!(patched["status"], "working");
    assert_eq!(patched["title"], "MES 二期");
    assert_eq!(patched["fields"], json!({"need_summary": "扩产"}));
    assert_eq!(ok(rep.get(&lead_path(&lead)), 200), patched);
}

#[test]
fn a_stale_version_gets_409_with_the_current_record() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));
    let current = ok(
        rep.patch(
            &lead_path(&lead),
            json!({"version": 1, "title": "MES 二期"}),
        ),
        200,
    );

    let r = rep.patch(
        &lead_path(&lead),
        json!({"version": 1, "title": "MES 三期"}),
    );

    let p = problem(&r, 409, "version_conflict");
    assert_eq!(p["current"], current);
    assert_eq!(p["current"]["version"], 2);
    assert_eq!(ok(rep.get(&lead_path(&lead)), 200)["title"], "MES 二期");
}

#[test]
fn a_patch_that_changes_nothing_is_no_write() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = verified_lead(&rep, new_lead("MES", "tender"));
    let deal = converted_deal(&rep, new_lead("ERP", "tender"), B_AMOUNT);
    let events_before = kinds(&history(&rep, &deal));

    let same_lead = rep.patch(
        &lead_path(&lead),
        at_version(json!({"title": "MES", "fields": lead["fields"]}), &lead),
    );
    let same_deal = rep.patch(
        &deal_path(&deal),
        at_version(json!({"fields": deal["fields"]}), &deal),
    );

    assert_eq!(ok(same_lead, 200), lead);
    assert_eq!(ok(same_deal, 200), deal);
    assert_eq!(kinds(&history(&rep, &deal)), events_before);
}

#[test]
fn a_deal_patch_that_repeats_its_name_and_amount_is_no_write() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let events_before = kinds(&history(&rep, &deal));

    let r = rep.patch(
        &deal_path(&deal),
        at_version(json!({"name": "MES", "amount": B_AMOUNT}), &deal),
    );

    // As for leads (and for fields): nothing changed, so no version, no event.
    assert_eq!(ok(r, 200), deal);
    assert_eq!(kinds(&history(&rep, &deal)), events_before);
}

#[test]
fn patching_a_lead_with_a_field_of_a_later_stage_is_422_unknown_field() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let r = rep.patch(
        &lead_path(&lead),
        json!({"version": 1, "fields": {"bid_price": 5}}),
    );

    let p = problem(&r, 422, "unknown_field");
    assert!(p["detail"].as_str().unwrap().contains("bid_price"), "{p}");
    assert_eq!(version(&ok(rep.get(&lead_path(&lead)), 200)), 1);
}

#[test]
fn patching_a_lead_field_with_a_value_not_of_its_kind_lists_the_field() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let r = rep.patch(
        &lead_path(&lead),
        json!({"version": 1, "fields": {"budget_status": "maybe"}}),
    );

    let p = problem(&r, 422, "invalid_field_value");
    assert_eq!(
        errors(&p),
        pairs(&[("fields.budget_status", "not_an_option")])
    );
}

#[test]
fn patching_a_leads_status_or_owner_is_400() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let status = rep.patch(
        &lead_path(&lead),
        json!({"version": 1, "status": "converted"}),
    );
    let owner = rep.patch(
        &lead_path(&lead),
        json!({"version": 1, "owner_id": "u_rep2"}),
    );

    problem(&status, 400, "bad_request");
    problem(&owner, 400, "bad_request");
    let unchanged = ok(rep.get(&lead_path(&lead)), 200);
    assert_eq!(
        (unchanged["status"].clone(), unchanged["owner_id"].clone()),
        (json!("new"), json!("u_rep"))
    );
}

#[test]
fn patching_a_leads_contact_checks_it_like_a_new_lead() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let r = rep.patch(
        &lead_path(&lead),
        json!({"version": 1, "contact": {"name": "陈经理", "phone": "call me", "email": "chen@"}}),
    );

    let p = problem(&r, 422, "invalid");
    assert_eq!(
        errors(&p),
        pairs(&[
            ("contact.phone", "invalid_phone"),
            ("contact.email", "invalid_email")
        ])
    );
}

#[test]
fn another_rep_can_neither_edit_tick_convert_nor_disqualify_a_lead() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let lead = verified_lead(&rep, new_lead("MES", "tender"));
    let path = lead_path(&lead);
    let v = version(&lead);

    let answers = [
        rep2.patch(&path, json!({"version": v, "title": "mine now"})),
        rep2.post(
            &format!("{path}/tasks/contact_confirmed"),
            json!({"done": false, "version": v}),
        ),
        rep2.post(&format!("{path}/convert"), convert_body(&lead, B_AMOUNT)),
        rep2.post(
            &format!("{path}/disqualify"),
            json!({"reason": "spam", "version": v}),
        ),
    ];

    for r in &answers {
        problem(r, 404, "not_found");
    }
    assert_eq!(ok(rep.get(&path), 200), lead);
}

// ---------------------------------------------------------------------------
// POST /api/leads/{id}/tasks/{key}
// ---------------------------------------------------------------------------

#[test]
fn ticking_a_stage_one_task_records_who_when_and_the_note() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let r = rep.post(
        &format!("{}/tasks/contact_confirmed", lead_path(&lead)),
        json!({"done": true, "note": " 已电话确认 ", "version": 1}),
    );

    let ticked = ok(r, 200);
    assert_eq!(version(&ticked), 2);
    assert_eq!(ticked["status"], "working");
    let task = &ticked["tasks"]["contact_confirmed"];
    assert_eq!(
        (
            task["done"].clone(),
            task["by"].clone(),
            task["note"].clone()
        ),
        (json!(true), json!("u_rep"), json!("已电话确认"))
    );
    let at = chrono::DateTime::parse_from_rfc3339(task["at"].as_str().unwrap()).unwrap();
    assert_eq!(at, app.rt.now.get());
}

#[test]
fn ticking_a_task_that_is_not_in_stage_one_is_422_unknown_task() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let later_stage = rep.post(
        &format!("{}/tasks/bid_document", lead_path(&lead)),
        json!({"done": true, "version": 1}),
    );
    let nowhere = rep.post(
        &format!("{}/tasks/no_such_task", lead_path(&lead)),
        json!({"done": true, "version": 1}),
    );

    problem(&later_stage, 422, "unknown_task");
    problem(&nowhere, 422, "unknown_task");
    assert_eq!(ok(rep.get(&lead_path(&lead)), 200)["tasks"], json!({}));
}

#[test]
fn ticking_a_lead_task_with_a_stale_version_is_409() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));
    let current = tick(&rep, &lead_path(&lead), "contact_confirmed", &lead);

    let r = rep.post(
        &format!("{}/tasks/participation_decision", lead_path(&lead)),
        json!({"done": true, "version": 1}),
    );

    let p = problem(&r, 409, "version_conflict");
    assert_eq!(p["current"], current);
}

// ---------------------------------------------------------------------------
// POST /api/leads/{id}/convert
// ---------------------------------------------------------------------------

#[test]
fn converting_a_lead_whose_stage_one_is_unmet_lists_its_blockers() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let r = convert(&rep, &lead, B_AMOUNT);

    let p = problem(&r, 422, "blocked");
    assert_eq!(
        blockers(&p),
        pairs(&[
            ("field", "need_summary"),
            ("field", "budget_status"),
            ("task", "contact_confirmed"),
            ("task", "participation_decision"),
        ])
    );
    assert!(
        p["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["stage"] == "verify")
    );
    assert_eq!(p["blockers"][0]["message"]["en"], "Customer need in brief");
    assert_eq!(ok(rep.get(&lead_path(&lead)), 200)["status"], "new");
    assert_eq!(
        ids(&ok(rep.get("/api/opportunities"), 200)),
        Vec::<String>::new()
    );
}

#[test]
fn a_small_deal_converts_with_fewer_stage_one_requirements() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("小项目", "direct"));
    let lead = patch_fields(
        &rep,
        &lead_path(&lead),
        &lead,
        stage_fields("direct", "verify"),
    );
    let lead = tick(&rep, &lead_path(&lead), "contact_confirmed", &lead);
    // Not enough for a big deal: the decision to pursue is missing.
    let big = problem(&convert(&rep, &lead, B_AMOUNT), 422, "blocked");
    assert_eq!(blockers(&big), pairs(&[("task", "participation_decision")]));

    let r = convert(&rep, &lead, D_AMOUNT);

    let deal = ok(r, 201);
    assert_eq!(
        deal["grade"],
        json!({"computed": "D", "override": null, "effective": "D"})
    );
    assert_eq!(deal["track"], "fast");
}

#[test]
fn converting_a_verified_lead_creates_the_deal_in_stage_two_with_its_grade() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = verified_lead(&rep, new_lead("MES 系统升级", "tender"));

    let r = convert(&rep, &lead, B_AMOUNT);

    let deal = ok(r, 201);
    assert!(id(&deal).starts_with("o_"));
    assert_eq!(version(&deal), 1);
    assert_eq!(deal["name"], "MES 系统升级");
    assert_eq!(deal["customer"], "上海明远制造有限公司");
    assert_eq!(
        (deal["pipeline"].clone(), deal["stage"].clone()),
        (json!("tender"), json!("initiate"))
    );
    assert_eq!(deal["status"], "open");
    assert_eq!(deal["lead_by"], "us");
    assert_eq!(deal["amount"], B_AMOUNT);
    assert_eq!(deal["currency"], "CNY");
    assert_eq!(deal["expected_close"], CLOSE);
    assert_eq!(deal["owner_id"], "u_rep");
    assert_eq!(
        deal["grade"],
        json!({"computed": "B", "override": null, "effective": "B"})
    );
    assert_eq!(deal["track"], "full");
    assert_eq!(deal["lead_id"], lead["id"]);
    assert_eq!(deal["fields"], lead["fields"]);
    assert_eq!(deal["tasks"], lead["tasks"]);
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200), deal);
    let converted = ok(rep.get(&lead_path(&lead)), 200);
    assert_eq!(converted["status"], "converted");
    assert_eq!(converted["opportunity_id"], deal["id"]);
    assert_eq!(
        kinds(&history(&rep, &deal)),
        strings(&["converted", "created"])
    );
}

#[test]
fn converting_with_lead_by_partner_makes_an_e_deal_on_the_partner_track() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = verified_lead(&rep, new_lead("渠道项目", "direct"));

    let r = rep.post(
        &format!("{}/convert", lead_path(&lead)),
        at_version(
            json!({"lead_by": "partner", "amount": A_AMOUNT, "expected_close": CLOSE}),
            &lead,
        ),
    );

    let deal = ok(r, 201);
    assert_eq!(deal["grade"]["effective"], "E");
    assert_eq!(deal["track"], "partner");
}

#[test]
fn converting_with_a_malformed_amount_or_date_is_400() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = verified_lead(&rep, new_lead("MES", "tender"));
    let path = format!("{}/convert", lead_path(&lead));

    let negative = rep.post(
        &path,
        at_version(
            json!({"lead_by": "us", "amount": -1, "expected_close": CLOSE}),
            &lead,
        ),
    );
    let bad_date = rep.post(
        &path,
        at_version(
            json!({"lead_by": "us", "amount": B_AMOUNT, "expected_close": "31/03/2027"}),
            &lead,
        ),
    );

    problem(&negative, 400, "bad_request");
    problem(&bad_date, 400, "bad_request");
    assert_eq!(ok(rep.get(&lead_path(&lead)), 200)["status"], "working");
}

#[test]
fn converting_with_a_stale_version_is_409_and_creates_no_deal() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = verified_lead(&rep, new_lead("MES", "tender"));
    let mut stale = lead.clone();
    stale["version"] = json!(version(&lead) - 1);

    let r = convert(&rep, &stale, B_AMOUNT);

    let p = problem(&r, 409, "version_conflict");
    assert_eq!(p["current"], lead);
    assert_eq!(
        ids(&ok(rep.get("/api/opportunities"), 200)),
        Vec::<String>::new()
    );
}

#[test]
fn converting_a_lead_twice_is_blocked_as_closed() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = verified_lead(&rep, new_lead("MES", "tender"));
    ok(convert(&rep, &lead, B_AMOUNT), 201);
    let converted = ok(rep.get(&lead_path(&lead)), 200);

    let r = convert(&rep, &converted, B_AMOUNT);

    let p = problem(&r, 422, "blocked");
    assert_eq!(blockers(&p), pairs(&[("closed", "")]));
    assert_eq!(ids(&ok(rep.get("/api/opportunities"), 200)).len(), 1);
    // A converted lead is closed to edits too.
    problem(
        &rep.patch(
            &lead_path(&converted),
            at_version(json!({"title": "x"}), &converted),
        ),
        409,
        "closed",
    );
}

#[test]
fn a_manager_may_convert_a_reps_lead_and_the_rep_keeps_the_deal() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let lead = verified_lead(&rep, new_lead("MES", "tender"));

    let r = convert(&manager, &lead, B_AMOUNT);

    let deal = ok(r, 201);
    assert_eq!(deal["owner_id"], "u_rep");
    assert_eq!(
        ids(&ok(rep.get("/api/opportunities"), 200)),
        vec![id(&deal)]
    );
    let events = history(&rep, &deal);
    assert_eq!(events["items"][0]["by"], "u_manager");
}

// ---------------------------------------------------------------------------
// POST /api/leads/{id}/disqualify
// ---------------------------------------------------------------------------

#[test]
fn disqualifying_a_lead_records_the_reason_and_closes_it() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let r = rep.post(
        &format!("{}/disqualify", lead_path(&lead)),
        json!({"reason": " 无预算 / no budget ", "version": 1}),
    );

    let closed = ok(r, 200);
    assert_eq!(closed["status"], "disqualified");
    assert_eq!(closed["disqualify_reason"], "无预算 / no budget");
    assert_eq!(version(&closed), 2);
    problem(
        &rep.patch(&lead_path(&lead), json!({"version": 2, "title": "again"})),
        409,
        "closed",
    );
    problem(
        &rep.post(
            &format!("{}/tasks/contact_confirmed", lead_path(&lead)),
            json!({"done": true, "version": 2}),
        ),
        409,
        "closed",
    );
    problem(
        &rep.post(
            &format!("{}/disqualify", lead_path(&lead)),
            json!({"reason": "again", "version": 2}),
        ),
        409,
        "closed",
    );
}

#[test]
fn disqualifying_without_a_reason_is_422_required() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let lead = create_lead(&rep, new_lead("MES", "tender"));

    let r = rep.post(
        &format!("{}/disqualify", lead_path(&lead)),
        json!({"reason": "   ", "version": 1}),
    );

    problem(&r, 422, "required");
    assert_eq!(ok(rep.get(&lead_path(&lead)), 200)["status"], "new");
}

// ---------------------------------------------------------------------------
// GET /api/leads: visibility, filters, search, paging
// ---------------------------------------------------------------------------

#[test]
fn a_reps_lead_list_shows_only_their_own() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let mine = [
        create_lead(&rep, new_lead("A", "tender")),
        create_lead(&rep, new_lead("B", "direct")),
    ];
    let theirs = create_lead(&rep2, new_lead("C", "tender"));

    let rep_list = ok(rep.get("/api/leads"), 200);
    let rep_asks_for_rep2s = ok(rep.get("/api/leads?owner=u_rep2"), 200);

    assert_eq!(
        sorted(ids(&rep_list)),
        sorted(mine.iter().map(id).collect())
    );
    assert_eq!(ids(&rep_asks_for_rep2s), Vec::<String>::new());
    assert_eq!(ids(&ok(rep2.get("/api/leads"), 200)), vec![id(&theirs)]);
    assert_eq!(ids(&ok(manager.get("/api/leads"), 200)).len(), 3);
}

#[test]
fn lead_lists_filter_by_status_pipeline_and_owner() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let fresh = create_lead(&rep, new_lead("Fresh", "tender"));
    let worked = create_lead(&rep, new_lead("Worked", "direct"));
    let worked = tick(&rep, &lead_path(&worked), "contact_confirmed", &worked);
    let dropped = create_lead(&rep2, new_lead("Dropped", "tender"));
    ok(
        rep2.post(
            &format!("{}/disqualify", lead_path(&dropped)),
            json!({"reason": "no budget", "version": 1}),
        ),
        200,
    );

    let get = |q: &str| ids(&ok(manager.get(&format!("/api/leads?{q}")), 200));

    assert_eq!(get("status=new"), vec![id(&fresh)]);
    assert_eq!(get("status=working"), vec![id(&worked)]);
    assert_eq!(get("status=disqualified"), vec![id(&dropped)]);
    assert_eq!(get("pipeline=direct"), vec![id(&worked)]);
    assert_eq!(get("owner=u_rep2"), vec![id(&dropped)]);
    assert_eq!(get("owner=u_rep&pipeline=tender"), vec![id(&fresh)]);
    assert_eq!(get("status=new&pipeline=direct"), Vec::<String>::new());
}

#[test]
fn lead_search_matches_title_or_customer_and_takes_wildcards_literally() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let by_title = create_lead(&rep, lead_for("MES 二期", "Acme Robotics", "tender"));
    let by_customer = create_lead(&rep, lead_for("ERP", "杭州 MES 研究院", "direct"));
    let other = create_lead(&rep, lead_for("CRM 100%", "Beta Foods", "direct"));

    let get = |q: &str| sorted(ids(&ok(rep.get(&format!("/api/leads?q={q}")), 200)));

    assert_eq!(get("MES"), sorted(vec![id(&by_title), id(&by_customer)]));
    assert_eq!(get("acme"), vec![id(&by_title)]);
    assert_eq!(get("%25"), vec![id(&other)]);
    assert_eq!(get("_"), Vec::<String>::new());
    assert_eq!(get("nothing+like+this"), Vec::<String>::new());
}

#[test]
fn lead_lists_page_newest_first_with_a_cursor() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let leads: Vec<Value> = (1..=5)
        .map(|n| {
            app.advance(Duration::minutes(1));
            create_lead(&rep, new_lead(&format!("Lead {n}"), "tender"))
        })
        .collect();

    let first = ok(rep.get("/api/leads?limit=2"), 200);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = ok(rep.get(&format!("/api/leads?limit=2&cursor={cursor}")), 200);
    let cursor = second["next_cursor"].as_str().unwrap().to_string();
    let last = ok(rep.get(&format!("/api/leads?limit=2&cursor={cursor}")), 200);

    assert_eq!(column(&first, "title"), strings(&["Lead 5", "Lead 4"]));
    assert_eq!(column(&second, "title"), strings(&["Lead 3", "Lead 2"]));
    assert_eq!(ids(&last), vec![id(&leads[0])]);
    assert_eq!(last["next_cursor"], Value::Null);
    assert_eq!(ok(rep.get("/api/leads"), 200)["next_cursor"], Value::Null);
}

#[test]
fn paging_is_complete_for_leads_created_in_the_same_instant() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let leads: Vec<String> = (1..=3)
        .map(|n| id(&create_lead(&rep, new_lead(&format!("Lead {n}"), "tender"))))
        .collect();
    let mut seen = Vec::new();
    let mut query = "/api/leads?limit=1".to_string();

    for _ in 0..3 {
        let page = ok(rep.get(&query), 200);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("/api/leads?limit=1&cursor={c}"),
            None => break,
        }
    }

    // Ties on the time are broken by id, newest (highest) first.
    let mut expected = leads;
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, expected);
}

#[test]
fn an_unknown_lead_filter_a_junk_cursor_or_limit_is_400() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    create_lead(&rep, new_lead("MES", "tender"));

    for q in ["stauts=new", "stage=verify", "cursor=zzz", "limit=ten"] {
        let p = problem(&rep.get(&format!("/api/leads?{q}")), 400, "bad_request");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .starts_with("Malformed request"),
            "{q}: {p}"
        );
    }
}

// ---------------------------------------------------------------------------
// GET /api/opportunities and GET /api/opportunities/{id}
// ---------------------------------------------------------------------------

#[test]
fn a_rep_cannot_read_another_reps_deal() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let channel = session(&app, CHANNEL);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let path = deal_path(&deal);

    let read = rep2.get(&path);
    let check = rep2.get(&format!("{path}/check?to=analyze"));
    let trail = rep2.get(&format!("{path}/history"));

    let p = problem(&read, 404, "not_found");
    assert_eq!(
        p,
        problem(&rep2.get("/api/opportunities/o_missing"), 404, "not_found")
    );
    problem(&check, 404, "not_found");
    problem(&trail, 404, "not_found");
    problem(&channel.get(&path), 404, "not_found");
    assert_eq!(ok(manager.get(&path), 200), deal);
}

#[test]
fn a_reps_deal_list_shows_their_own_and_those_they_are_staffed_on() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let own = converted_deal(&rep, new_lead("Own", "tender"), B_AMOUNT);
    let theirs = converted_deal(&rep2, new_lead("Theirs", "tender"), B_AMOUNT);
    let staffed = converted_deal(&rep2, new_lead("Staffed", "direct"), C_AMOUNT);
    let staffed = ok(
        set_team(
            &rep2,
            &staffed,
            // Staffed in two roles: listed once all the same.
            json!([{"role": "presales", "user_id": "u_rep"}, {"role": "legal", "user_id": "u_rep"}]),
        ),
        200,
    );

    let rep_list = ok(rep.get("/api/opportunities"), 200);

    assert_eq!(sorted(ids(&rep_list)), sorted(vec![id(&own), id(&staffed)]));
    assert_eq!(
        sorted(ids(&ok(rep2.get("/api/opportunities"), 200))),
        sorted(vec![id(&theirs), id(&staffed)])
    );
    assert_eq!(ids(&ok(manager.get("/api/opportunities"), 200)).len(), 3);
    // Off the team, off the list.
    ok(set_team(&rep2, &staffed, json!([])), 200);
    assert_eq!(ids(&ok(rep.get("/api/opportunities"), 200)), vec![id(&own)]);
    problem(&rep.get(&deal_path(&staffed)), 404, "not_found");
}

#[test]
fn deal_lists_filter_by_pipeline_stage_grade_status_and_owner() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let big = converted_deal(&rep, new_lead("Big", "tender"), A_AMOUNT);
    let small = deal_in_final_stage(&rep, "Small", "direct");
    let lost = converted_deal(&rep2, new_lead("Lost", "tender"), C_AMOUNT);
    ok(
        transition(
            &rep2,
            &lost,
            json!({"to": "lost", "lost": {"reason": "price"}}),
        ),
        200,
    );

    let get = |q: &str| {
        sorted(ids(&ok(
            manager.get(&format!("/api/opportunities?{q}")),
            200,
        )))
    };

    assert_eq!(get("pipeline=direct"), vec![id(&small)]);
    assert_eq!(get("stage=negotiate"), vec![id(&small)]);
    assert_eq!(get("stage=initiate"), sorted(vec![id(&big), id(&lost)]));
    assert_eq!(get("grade=A"), vec![id(&big)]);
    assert_eq!(get("grade=D"), vec![id(&small)]);
    assert_eq!(get("status=lost"), vec![id(&lost)]);
    assert_eq!(get("status=open"), sorted(vec![id(&big), id(&small)]));
    assert_eq!(get("owner=u_rep2"), vec![id(&lost)]);
    assert_eq!(get("owner=u_rep&pipeline=tender&grade=A"), vec![id(&big)]);
    assert_eq!(get("status=won"), Vec::<String>::new());
}

#[test]
fn deal_search_matches_name_or_customer() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let by_name = converted_deal(&rep, lead_for("MES 二期", "Acme", "tender"), C_AMOUNT);
    let by_customer = converted_deal(&rep, lead_for("ERP", "明远 MES 工厂", "direct"), C_AMOUNT);
    converted_deal(&rep, lead_for("CRM", "Beta", "direct"), C_AMOUNT);

    let get = |q: &str| sorted(ids(&ok(rep.get(&format!("/api/opportunities?q={q}")), 200)));

    assert_eq!(get("mes"), sorted(vec![id(&by_name), id(&by_customer)]));
    assert_eq!(get("明远"), vec![id(&by_customer)]);
    assert_eq!(get("Gamma"), Vec::<String>::new());
}

#[test]
fn deal_lists_page_newest_first_with_a_cursor() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deals: Vec<Value> = (1..=3)
        .map(|n| {
            app.advance(Duration::minutes(1));
            converted_deal(&rep, new_lead(&format!("Deal {n}"), "direct"), C_AMOUNT)
        })
        .collect();

    let first = ok(rep.get("/api/opportunities?limit=2"), 200);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = ok(
        rep.get(&format!("/api/opportunities?limit=2&cursor={cursor}")),
        200,
    );

    assert_eq!(column(&first, "name"), strings(&["Deal 3", "Deal 2"]));
    assert_eq!(ids(&second), vec![id(&deals[0])]);
    assert_eq!(second["next_cursor"], Value::Null);
}

#[test]
fn an_unknown_deal_filter_is_400_and_channel_managers_have_no_deal_list() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let channel = session(&app, CHANNEL);

    let typo = rep.get("/api/opportunities?grad=A");
    let channel_list = channel.get("/api/opportunities");

    let p = problem(&typo, 400, "bad_request");
    assert!(p["detail"].as_str().unwrap().contains("grad"), "{p}");
    problem(&channel_list, 403, "forbidden");
}

// ---------------------------------------------------------------------------
// PATCH /api/opportunities/{id}
// ---------------------------------------------------------------------------

#[test]
fn patching_a_deals_amount_regrades_it_and_records_why() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let r = rep.patch(
        &deal_path(&deal),
        at_version(json!({"amount": A_AMOUNT, "name": " MES 全厂 "}), &deal),
    );

    let patched = ok(r, 200);
    assert_eq!(version(&patched), 2);
    assert_eq!(patched["amount"], A_AMOUNT);
    assert_eq!(patched["name"], "MES 全厂");
    assert_eq!(
        patched["grade"],
        json!({"computed": "A", "override": null, "effective": "A"})
    );
    let trail = history(&rep, &deal);
    let last_two: Vec<_> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .rev()
        .cloned()
        .collect();
    assert_eq!(last_two[0]["kind"], "updated");
    assert_eq!(last_two[0]["changes"], json!(["name", "amount"]));
    assert_eq!(
        (
            last_two[1]["kind"].clone(),
            last_two[1]["from"].clone(),
            last_two[1]["to"].clone()
        ),
        (json!("regraded"), json!("B"), json!("A"))
    );
}

#[test]
fn patching_a_deal_with_a_stale_version_gets_409_with_the_current_deal() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let current = ok(
        manager.patch(
            &deal_path(&deal),
            at_version(json!({"customer": "明远集团"}), &deal),
        ),
        200,
    );

    let r = rep.patch(
        &deal_path(&deal),
        at_version(json!({"customer": "Other"}), &deal),
    );

    let p = problem(&r, 409, "version_conflict");
    assert_eq!(p["current"], current);
    assert_eq!(p["current"]["customer"], "明远集团");
}

#[test]
fn patching_a_deal_field_with_a_value_not_of_its_kind_lists_the_field() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let r = rep.patch(
        &deal_path(&deal),
        at_version(json!({"fields": {"project_budget": "lots"}}), &deal),
    );

    let p = problem(&r, 422, "invalid_field_value");
    assert_eq!(errors(&p), pairs(&[("fields.project_budget", "not_money")]));
    assert_eq!(version(&ok(rep.get(&deal_path(&deal)), 200)), 1);
}

#[test]
fn patching_a_deal_with_an_unknown_field_is_422_unknown_field() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "direct"), B_AMOUNT);

    // `bid_price` belongs to the tender pipeline only.
    let r = rep.patch(
        &deal_path(&deal),
        at_version(json!({"fields": {"bid_price": 5}}), &deal),
    );

    problem(&r, 422, "unknown_field");
}

#[test]
fn patching_a_deals_stage_grade_or_owner_is_400() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);

    let answers = [
        rep.patch(
            &deal_path(&deal),
            at_version(json!({"stage": "negotiate"}), &deal),
        ),
        rep.patch(&deal_path(&deal), at_version(json!({"grade": "A"}), &deal)),
        rep.patch(
            &deal_path(&deal),
            at_version(json!({"owner_id": "u_rep2"}), &deal),
        ),
        rep.patch(
            &deal_path(&deal),
            at_version(json!({"status": "won"}), &deal),
        ),
    ];

    for r in &answers {
        problem(r, 400, "bad_request");
    }
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200), deal);
}

#[test]
fn clearing_a_deal_field_with_null_removes_it() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);

    let r = rep.patch(
        &deal_path(&deal),
        at_version(json!({"fields": {"need_summary": null}}), &deal),
    );

    let patched = ok(r, 200);
    assert_eq!(patched["fields"].get("need_summary"), None);
    let trail = history(&rep, &deal);
    assert_eq!(kinds(&trail).last().unwrap(), "field_cleared");
}

// ---------------------------------------------------------------------------
// POST /api/opportunities/{id}/tasks/{key}
// ---------------------------------------------------------------------------

#[test]
fn ticking_a_deal_task_records_who_when_and_the_note() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    app.advance(Duration::hours(2));

    let r = rep.post(
        &format!("{}/tasks/initiation_report", deal_path(&deal)),
        at_version(json!({"done": true, "note": "v1 draft"}), &deal),
    );

    let ticked = ok(r, 200);
    let task = &ticked["tasks"]["initiation_report"];
    assert_eq!(
        (
            task["done"].clone(),
            task["by"].clone(),
            task["note"].clone()
        ),
        (json!(true), json!("u_rep"), json!("v1 draft"))
    );
    let at = chrono::DateTime::parse_from_rfc3339(task["at"].as_str().unwrap()).unwrap();
    assert_eq!(at, app.rt.now.get());
    let trail = history(&rep, &deal);
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["kind"].clone(),
            last["key"].clone(),
            last["done"].clone()
        ),
        (
            json!("task_changed"),
            json!("initiation_report"),
            json!(true)
        )
    );
}

#[test]
fn ticking_an_unknown_deal_task_is_422_unknown_task() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "direct"), B_AMOUNT);

    // `bid_document` is a tender task; the deal is on the direct pipeline.
    let r = rep.post(
        &format!("{}/tasks/bid_document", deal_path(&deal)),
        at_version(json!({"done": true}), &deal),
    );

    let p = problem(&r, 422, "unknown_task");
    assert!(
        p["detail"].as_str().unwrap().contains("bid_document"),
        "{p}"
    );
}

#[test]
fn ticking_a_deal_task_with_a_stale_version_is_409() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let current = tick(&rep, &deal_path(&deal), "initiation_report", &deal);

    let r = rep.post(
        &format!("{}/tasks/needs_research", deal_path(&deal)),
        at_version(json!({"done": true}), &deal),
    );

    assert_eq!(problem(&r, 409, "version_conflict")["current"], current);
}

#[test]
fn a_team_member_may_edit_the_deal_but_not_steer_it() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let deal = ok(
        set_team(
            &rep,
            &deal,
            json!([{"role": "presales", "user_id": "u_rep2"}]),
        ),
        200,
    );
    let path = deal_path(&deal);

    let edited = patch_fields(&rep2, &path, &deal, json!({"decision_chain": "CIO → CFO"}));
    let ticked = tick(&rep2, &path, "initiation_report", &edited);
    let moved = transition(&rep2, &ticked, json!({"to": "analyze"}));
    let staffed = set_team(&rep2, &ticked, json!([]));
    let asked = request_approval(&rep2, &ticked, "initiation_review");

    assert_eq!(ticked["fields"]["decision_chain"], "CIO → CFO");
    assert_eq!(ticked["tasks"]["initiation_report"]["by"], "u_rep2");
    problem(&moved, 403, "forbidden");
    problem(&staffed, 403, "forbidden");
    problem(&asked, 403, "not_owner");
    assert_eq!(ok(rep.get(&path), 200), ticked);
}

// ---------------------------------------------------------------------------
// Approvals: …/approvals/{key}/request and …/decide
// ---------------------------------------------------------------------------

#[test]
fn the_owner_requests_an_approval_and_it_becomes_pending() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let r = request_approval(&rep, &deal, "initiation_review");

    let pending = ok(r, 200);
    let approval = &pending["approvals"]["initiation_review"];
    assert_eq!(approval["status"], "pending");
    assert_eq!(approval["requested_by"], "u_rep");
    assert_eq!(approval["decided_by"], Value::Null);
    assert_eq!(version(&pending), 2);
    assert_eq!(
        kinds(&history(&rep, &deal)).last().unwrap(),
        "approval_requested"
    );
}

#[test]
fn only_the_owner_may_request_an_approval() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let r = request_approval(&manager, &deal, "initiation_review");

    problem(&r, 403, "not_owner");
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200)["approvals"], json!({}));
}

#[test]
fn requesting_a_pending_approval_again_is_409_approval_not_requestable() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let pending = ok(request_approval(&rep, &deal, "initiation_review"), 200);

    let r = request_approval(&rep, &pending, "initiation_review");

    problem(&r, 409, "approval_not_requestable");
}

#[test]
fn requesting_an_unknown_approval_is_422_unknown_approval() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "direct"), B_AMOUNT);

    // `bid_pricing_review` is a tender process; the deal is direct.
    let r = request_approval(&rep, &deal, "bid_pricing_review");

    problem(&r, 422, "unknown_approval");
}

#[test]
fn requesting_an_approval_with_a_stale_version_is_409() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let current = tick(&rep, &deal_path(&deal), "initiation_report", &deal);

    let r = request_approval(&rep, &deal, "initiation_review");

    assert_eq!(problem(&r, 409, "version_conflict")["current"], current);
}

#[test]
fn a_manager_approves_a_pending_approval_whatever_changed_since() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let pending = ok(request_approval(&rep, &deal, "initiation_review"), 200);
    // The deal moves on after the request: decisions carry no version.
    let later = tick(&rep, &deal_path(&deal), "initiation_report", &pending);

    let r = decide(
        &manager,
        &deal,
        "initiation_review",
        json!({"approve": true, "comment": " 同意 "}),
    );

    let approved = ok(r, 200);
    assert_eq!(version(&approved), version(&later) + 1);
    let a = &approved["approvals"]["initiation_review"];
    assert_eq!(
        (
            a["status"].clone(),
            a["decided_by"].clone(),
            a["comment"].clone()
        ),
        (json!("approved"), json!("u_manager"), json!("同意"))
    );
    assert_eq!(approved["tasks"]["initiation_report"]["done"], true);
    let trail = history(&rep, &deal);
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["kind"].clone(),
            last["approved"].clone(),
            last["by"].clone()
        ),
        (json!("approval_decided"), json!(true), json!("u_manager"))
    );
}

#[test]
fn a_manager_who_owns_the_deal_cannot_approve_it() {
    let app = TestApp::new();
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&manager, new_lead("MES", "tender"), B_AMOUNT);
    let pending = ok(request_approval(&manager, &deal, "initiation_review"), 200);

    let r = decide(
        &manager,
        &pending,
        "initiation_review",
        json!({"approve": true}),
    );

    problem(&r, 403, "self_approval");
    assert_eq!(
        ok(manager.get(&deal_path(&deal)), 200)["approvals"]["initiation_review"]["status"],
        "pending"
    );
}

#[test]
fn a_team_member_without_the_approver_role_is_403_not_approver() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let deal = ok(
        set_team(
            &rep,
            &deal,
            json!([{"role": "presales", "user_id": "u_rep2"}]),
        ),
        200,
    );
    ok(request_approval(&rep, &deal, "initiation_review"), 200);

    let r = decide(&rep2, &deal, "initiation_review", json!({"approve": true}));

    problem(&r, 403, "not_approver");
}

#[test]
fn a_team_role_approval_is_decided_by_whoever_is_staffed_in_that_role() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let deal = ok(
        set_team(&rep, &deal, json!([{"role": "legal", "user_id": "u_rep2"}])),
        200,
    );
    ok(request_approval(&rep, &deal, "contract_review"), 200);
    // The contract review names the `legal` deal-team role, not a permission role.
    problem(
        &decide(&manager, &deal, "contract_review", json!({"approve": true})),
        403,
        "not_approver",
    );

    let r = decide(
        &rep2,
        &deal,
        "contract_review",
        json!({"approve": true, "comment": "条款无误"}),
    );

    let a = &ok(r, 200)["approvals"]["contract_review"];
    assert_eq!(
        (a["status"].clone(), a["decided_by"].clone()),
        (json!("approved"), json!("u_rep2"))
    );
}

#[test]
fn a_stranger_cannot_decide_a_deals_approval() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    ok(request_approval(&rep, &deal, "initiation_review"), 200);

    let r = decide(&rep2, &deal, "initiation_review", json!({"approve": true}));

    problem(&r, 404, "not_found");
}

#[test]
fn rejecting_without_a_comment_is_422_comment_required() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    ok(request_approval(&rep, &deal, "initiation_review"), 200);

    let r = decide(
        &manager,
        &deal,
        "initiation_review",
        json!({"approve": false, "comment": "  "}),
    );

    problem(&r, 422, "comment_required");
}

#[test]
fn a_rejected_approval_may_be_requested_again() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    ok(request_approval(&rep, &deal, "initiation_review"), 200);
    let rejected = ok(
        decide(
            &manager,
            &deal,
            "initiation_review",
            json!({"approve": false, "comment": "预算不清"}),
        ),
        200,
    );
    assert_eq!(
        rejected["approvals"]["initiation_review"]["status"],
        "rejected"
    );

    let r = request_approval(&rep, &rejected, "initiation_review");

    let again = ok(r, 200);
    let a = &again["approvals"]["initiation_review"];
    assert_eq!(a["status"], "pending");
    assert_eq!(a["comment"], Value::Null);
}

#[test]
fn deciding_an_approval_that_is_not_pending_is_409() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let r = decide(
        &manager,
        &deal,
        "initiation_review",
        json!({"approve": true}),
    );

    problem(&r, 409, "approval_not_pending");
    assert_eq!(version(&ok(rep.get(&deal_path(&deal)), 200)), 1);
}

// ---------------------------------------------------------------------------
// PUT /api/opportunities/{id}/team
// ---------------------------------------------------------------------------

#[test]
fn setting_the_team_uses_the_configured_team_roles() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), A_AMOUNT);
    let config = ok(rep.get("/api/config"), 200);
    let members: Vec<Value> = config["team_roles"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|r| json!({"role": r["key"], "user_id": "u_rep2"}))
        .collect();

    let staffed = ok(set_team(&rep, &deal, json!(members)), 200);
    let unknown = set_team(
        &rep,
        &staffed,
        json!([{"role": "sales_engineer", "user_id": "u_rep2"}]),
    );

    let mut expected = members.clone();
    expected.sort_by_key(|m| m["role"].as_str().unwrap().to_string());
    assert_eq!(staffed["team"], json!(expected));
    assert_eq!(
        staffed["team"].as_array().unwrap().len(),
        builtin::team_roles().len()
    );
    let p = problem(&unknown, 422, "unknown_team_role");
    assert!(
        p["detail"].as_str().unwrap().contains("sales_engineer"),
        "{p}"
    );
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200)["team"], json!(expected));
    let trail = history(&rep, &deal);
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].clone(), last["members"].clone()),
        (json!("team_changed"), json!(expected))
    );
}

#[test]
fn staffing_the_same_person_twice_in_one_role_is_422_duplicate_member() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let twice = set_team(
        &rep,
        &deal,
        json!([{"role": "legal", "user_id": "u_rep2"}, {"role": "legal", "user_id": " u_rep2 "}]),
    );
    let nobody = set_team(&rep, &deal, json!([{"role": "legal", "user_id": "  "}]));

    problem(&twice, 422, "duplicate_member");
    problem(&nobody, 422, "missing_user");
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200)["team"], json!([]));
}

#[test]
fn a_manager_staffs_a_reps_deal_but_a_stale_team_update_is_409() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let staffed = ok(
        set_team(
            &manager,
            &deal,
            json!([{"role": "presales", "user_id": "u_rep2"}]),
        ),
        200,
    );

    let r = set_team(&rep, &deal, json!([{"role": "legal", "user_id": "u_rep2"}]));

    assert_eq!(
        staffed["team"],
        json!([{"role": "presales", "user_id": "u_rep2"}])
    );
    assert_eq!(problem(&r, 409, "version_conflict")["current"], staffed);
}

#[test]
fn a_team_body_without_members_is_400() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let r = rep.put(&format!("{}/team", deal_path(&deal)), json!({"version": 1}));

    problem(&r, 400, "bad_request");
}

// ---------------------------------------------------------------------------
// POST /api/opportunities/{id}/grade-override
// ---------------------------------------------------------------------------

fn override_grade(c: &Client<'_>, deal: &Value, grade: &str, reason: &str) -> Resp {
    c.post(
        &format!("{}/grade-override", deal_path(deal)),
        at_version(json!({"grade": grade, "reason": reason}), deal),
    )
}

#[test]
fn a_manager_upgrades_a_deals_grade_with_a_reason() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);
    assert_eq!(deal["track"], "fast");

    let r = override_grade(&manager, &deal, "B", " 标杆客户 / showcase ");

    let upgraded = ok(r, 200);
    assert_eq!(
        upgraded["grade"],
        json!({"computed": "C", "override": "B", "effective": "B"})
    );
    assert_eq!(upgraded["track"], "full");
    let o = &upgraded["grade_override"];
    assert_eq!(
        (o["grade"].clone(), o["reason"].clone(), o["by"].clone()),
        (json!("B"), json!("标杆客户 / showcase"), json!("u_manager"))
    );
    let trail = history(&rep, &deal);
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["kind"].clone(),
            last["from"].clone(),
            last["to"].clone()
        ),
        (json!("grade_overridden"), json!("C"), json!("B"))
    );
    // The grade column follows: the list filter finds it as a B.
    assert_eq!(
        ids(&ok(manager.get("/api/opportunities?grade=B"), 200)),
        vec![id(&deal)]
    );
}

#[test]
fn a_grade_override_may_only_upgrade() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let same = override_grade(&manager, &deal, "B", "why not");
    let down = override_grade(&manager, &deal, "D", "smaller");

    problem(&same, 422, "not_an_upgrade");
    problem(&down, 422, "not_an_upgrade");
    assert_eq!(
        ok(rep.get(&deal_path(&deal)), 200)["grade"]["override"],
        Value::Null
    );
}

#[test]
fn a_grade_override_needs_a_reason() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);

    let r = override_grade(&admin, &deal, "A", "   ");

    problem(&r, 422, "reason_required");
}

#[test]
fn reps_may_not_override_grades_even_on_their_own_deal() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);

    let r = override_grade(&rep, &deal, "A", "trust me");

    problem(&r, 403, "forbidden");
    assert_eq!(
        ok(rep.get(&deal_path(&deal)), 200)["grade"]["effective"],
        "C"
    );
}

#[test]
fn a_grade_override_with_an_unknown_grade_is_400() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);

    let r = override_grade(&manager, &deal, "S", "top");

    problem(&r, 400, "bad_request");
}

// ---------------------------------------------------------------------------
// GET /api/opportunities/{id}/check
// ---------------------------------------------------------------------------

/// The blockers of a fresh B deal leaving `initiate`, in framework order.
const INITIATE_BLOCKERS_B: &[(&str, &str)] = &[
    ("field", "decision_chain"),
    ("field", "project_budget"),
    ("task", "initiation_report"),
    ("approval", "initiation_review"),
    ("role", "presales"),
];

#[test]
fn the_check_lists_what_blocks_the_next_stage() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let verdict = ok(
        rep.get(&format!("{}/check?to=analyze", deal_path(&deal))),
        200,
    );

    assert_eq!(verdict["allowed"], false);
    assert_eq!(blockers(&verdict), pairs(INITIATE_BLOCKERS_B));
    assert!(
        verdict["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["stage"] == "initiate")
    );
    // Checking changes nothing.
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200), deal);
}

#[test]
fn the_check_allows_what_the_gate_allows() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), D_AMOUNT);
    let deal = work_stage(&rep, deal);

    let verdict = ok(
        rep.get(&format!("{}/check?to=negotiate", deal_path(&deal))),
        200,
    );

    assert_eq!(verdict, json!({"allowed": true, "blockers": []}));
}

#[test]
fn the_check_needs_a_valid_target() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let missing = rep.get(&format!("{}/check", deal_path(&deal)));
    let malformed = rep.get(&format!("{}/check?to=Not+A+Stage", deal_path(&deal)));
    let unknown = ok(
        rep.get(&format!("{}/check?to=propose", deal_path(&deal))),
        200,
    );

    let p = problem(&missing, 400, "bad_request");
    assert!(p["detail"].as_str().unwrap().contains("`to`"), "{p}");
    problem(&malformed, 400, "bad_request");
    // A well-formed key the pipeline lacks is the gate's to refuse.
    assert_eq!(unknown["allowed"], false);
    assert_eq!(
        blockers(&unknown),
        pairs(&[("skip_not_allowed", "propose")])
    );
}

// ---------------------------------------------------------------------------
// POST /api/opportunities/{id}/transition
// ---------------------------------------------------------------------------

#[test]
fn advancing_a_deal_whose_stage_is_unmet_is_422_with_the_blockers() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let r = transition(&rep, &deal, json!({"to": "analyze"}));

    let p = problem(&r, 422, "blocked");
    assert_eq!(blockers(&p), pairs(INITIATE_BLOCKERS_B));
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200), deal);
}

#[test]
fn a_full_track_deal_advances_once_its_stage_is_met() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let deal = work_stage(&rep, deal);
    ok(request_approval(&rep, &deal, "initiation_review"), 200);
    let deal = ok(
        decide(
            &manager,
            &deal,
            "initiation_review",
            json!({"approve": true}),
        ),
        200,
    );
    let deal = ok(
        set_team(
            &rep,
            &deal,
            json!([{"role": "presales", "user_id": "u_rep2"}]),
        ),
        200,
    );
    app.advance(Duration::hours(3));

    let r = transition(&rep, &deal, json!({"to": "analyze"}));

    let moved = ok(r, 200);
    assert_eq!(moved["stage"], "analyze");
    assert_eq!(version(&moved), version(&deal) + 1);
    assert_eq!(moved["skipped"], json!([]));
    let entered =
        chrono::DateTime::parse_from_rfc3339(moved["stage_entered_at"].as_str().unwrap()).unwrap();
    assert_eq!(entered, app.rt.now.get());
    let trail = history(&rep, &deal);
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["kind"].clone(),
            last["from"].clone(),
            last["to"].clone()
        ),
        (json!("stage_advanced"), json!("initiate"), json!("analyze"))
    );
}

#[test]
fn a_full_track_deal_cannot_skip_stages() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);

    let r = transition(&rep, &deal, json!({"to": "negotiate"}));

    let p = problem(&r, 422, "blocked");
    assert_eq!(
        blockers(&p)[0],
        ("skip_not_allowed".to_string(), "negotiate".to_string())
    );
}

#[test]
fn a_fast_track_deal_jumps_to_the_final_stage_recording_the_skipped_ones() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), D_AMOUNT);
    let deal = work_stage(&rep, deal);

    let r = transition(&rep, &deal, json!({"to": "negotiate"}));

    let moved = ok(r, 200);
    assert_eq!(moved["stage"], "negotiate");
    assert_eq!(
        moved["skipped"],
        json!(["analyze", "present", "tender_prep", "bidding"])
    );
    let trail = kinds(&history(&rep, &deal));
    assert_eq!(
        trail[trail.len() - 5..].to_vec(),
        strings(&[
            "stage_skipped",
            "stage_skipped",
            "stage_skipped",
            "stage_skipped",
            "stage_advanced"
        ])
    );
}

#[test]
fn winning_without_a_contract_object_records_the_contract_from_the_fields() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = deal_in_final_stage(&rep, "MES", "direct");
    let path = deal_path(&deal);
    let deal = patch_fields(
        &rep,
        &path,
        &deal,
        json!({"contract_number": " HT-2027-001 ", "contract_amount": 9_500_000, "signed_on": "2026-11-15"}),
    );
    let deal = tick(&rep, &path, "contract_draft", &deal);

    let r = transition(&rep, &deal, json!({"to": "won"}));

    let won = ok(r, 200);
    let contract = json!({"number": "HT-2027-001", "amount": 9_500_000, "signed_on": "2026-11-15"});
    assert_eq!(won["status"], "won");
    assert_eq!(won["contract"], contract);
    assert!(won["closed_at"].is_string(), "{won}");
    let trail = history(&rep, &deal);
    let wins: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "won")
        .collect();
    assert_eq!(wins.len(), 1, "{trail}");
    assert_eq!(wins[0]["contract"], contract);
    assert_eq!(wins[0]["by"], "u_rep");
    assert_eq!(
        ids(&ok(rep.get("/api/opportunities?status=won"), 200)),
        vec![id(&deal)]
    );
}

#[test]
fn winning_with_a_contract_fills_the_contract_fields() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = deal_in_final_stage(&rep, "MES", "tender");
    let deal = tick(&rep, &deal_path(&deal), "contract_draft", &deal);
    let contract = json!({"number": "HT-9", "amount": 9_900_000, "signed_on": "2026-11-01"});

    let r = transition(&rep, &deal, json!({"to": "won", "contract": contract}));

    let won = ok(r, 200);
    assert_eq!(won["contract"], contract);
    assert_eq!(
        (
            won["fields"]["contract_number"].clone(),
            won["fields"]["contract_amount"].clone(),
            won["fields"]["signed_on"].clone()
        ),
        (json!("HT-9"), json!(9_900_000), json!("2026-11-01"))
    );
    let trail = history(&rep, &deal);
    assert_eq!(
        trail["items"].as_array().unwrap().last().unwrap()["contract"],
        contract
    );
}

#[test]
fn winning_with_neither_a_contract_nor_its_fields_is_blocked() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = deal_in_final_stage(&rep, "MES", "direct");
    let deal = tick(&rep, &deal_path(&deal), "contract_draft", &deal);

    let r = transition(&rep, &deal, json!({"to": "won"}));

    let p = problem(&r, 422, "blocked");
    assert_eq!(
        blockers(&p),
        pairs(&[
            ("field", "contract_number"),
            ("field", "contract_amount"),
            ("field", "signed_on"),
        ])
    );
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200)["status"], "open");
}

#[test]
fn winning_outside_the_final_stage_is_blocked_not_final_stage() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), D_AMOUNT);

    let r = transition(
        &rep,
        &deal,
        json!({"to": "won", "contract": {"number": "HT-1", "amount": 1, "signed_on": "2026-10-01"}}),
    );

    let p = problem(&r, 422, "blocked");
    assert_eq!(blockers(&p), pairs(&[("not_final_stage", "")]));
}

#[test]
fn a_lost_deal_needs_a_reason_and_records_the_competitor() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let no_reason = transition(&rep, &deal, json!({"to": "lost", "lost": {"reason": " "}}));

    let r = transition(
        &rep,
        &deal,
        json!({"to": "lost", "lost": {"reason": " 价格 / price ", "competitor": " Rival Co "}}),
    );

    assert_eq!(
        blockers(&problem(&no_reason, 422, "blocked")),
        pairs(&[("reason_required", "")])
    );
    let lost = ok(r, 200);
    assert_eq!(lost["status"], "lost");
    assert_eq!(
        lost["lost"],
        json!({"reason": "价格 / price", "competitor": "Rival Co"})
    );
    let trail = history(&rep, &deal);
    assert_eq!(kinds(&trail).last().unwrap(), "lost");
}

#[test]
fn moving_back_needs_a_reason() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = deal_in_final_stage(&rep, "MES", "tender");
    let silent = transition(&rep, &deal, json!({"to": "analyze"}));

    let r = transition(
        &rep,
        &deal,
        json!({"to": "analyze", "reason": "客户需求变更"}),
    );

    assert_eq!(
        blockers(&problem(&silent, 422, "blocked")),
        pairs(&[("reason_required", "")])
    );
    let back = ok(r, 200);
    assert_eq!(back["stage"], "analyze");
    // Stages from the target on are ahead again, not skipped.
    assert_eq!(back["skipped"], json!([]));
    let trail = history(&rep, &deal);
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].clone(), last["reason"].clone()),
        (json!("moved_back"), json!("客户需求变更"))
    );
}

#[test]
fn a_stale_transition_is_409_with_the_current_deal() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), D_AMOUNT);
    let current = work_stage(&rep, deal.clone());

    let r = transition(&rep, &deal, json!({"to": "negotiate"}));

    assert_eq!(problem(&r, 409, "version_conflict")["current"], current);
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200)["stage"], "initiate");
}

#[test]
fn a_transition_to_an_unparseable_target_is_400() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), D_AMOUNT);

    let r = transition(&rep, &deal, json!({"to": "Next Stage!"}));

    problem(&r, 400, "bad_request");
}

#[test]
fn a_closed_deal_refuses_every_change_with_409_closed() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), C_AMOUNT);
    let lost = ok(
        transition(
            &rep,
            &deal,
            json!({"to": "lost", "lost": {"reason": "price"}}),
        ),
        200,
    );
    let path = deal_path(&lost);

    let answers = [
        rep.patch(&path, at_version(json!({"name": "again"}), &lost)),
        rep.post(
            &format!("{path}/tasks/initiation_report"),
            at_version(json!({"done": true}), &lost),
        ),
        request_approval(&rep, &lost, "initiation_review"),
        decide(
            &manager,
            &lost,
            "initiation_review",
            json!({"approve": true}),
        ),
        set_team(&rep, &lost, json!([])),
        override_grade(&manager, &lost, "A", "strategic"),
    ];
    let reopen = transition(&rep, &lost, json!({"to": "analyze"}));

    for r in &answers {
        problem(r, 409, "closed");
    }
    // The gate answers a move on a closed deal with its `closed` blocker.
    assert_eq!(
        blockers(&problem(&reopen, 422, "blocked")),
        pairs(&[("closed", "")])
    );
    assert_eq!(ok(rep.get(&path), 200), lost);
}

// ---------------------------------------------------------------------------
// GET /api/opportunities/{id}/history
// ---------------------------------------------------------------------------

#[test]
fn a_deals_history_lists_its_events_oldest_first_with_who_and_when() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    let converted_at = app.rt.now.get();
    app.advance(Duration::hours(1));
    let deal = patch_fields(
        &rep,
        &deal_path(&deal),
        &deal,
        json!({"decision_chain": "CIO"}),
    );
    app.advance(Duration::hours(1));
    ok(
        set_team(
            &manager,
            &deal,
            json!([{"role": "presales", "user_id": "u_rep2"}]),
        ),
        200,
    );

    let trail = history(&rep, &deal);

    assert_eq!(
        kinds(&trail),
        strings(&["converted", "created", "field_set", "team_changed"])
    );
    assert_eq!(trail["next_cursor"], Value::Null);
    let items = trail["items"].as_array().unwrap();
    assert_eq!(items[0]["lead_id"], deal["lead_id"]);
    assert_eq!(items[0]["opportunity_id"], deal["id"]);
    assert_eq!(items[1]["stage"], "initiate");
    assert_eq!(
        (items[2]["key"].clone(), items[2]["value"].clone()),
        (json!("decision_chain"), json!("CIO"))
    );
    let by: Vec<_> = items.iter().map(|e| e["by"].as_str().unwrap()).collect();
    assert_eq!(by, ["u_rep", "u_rep", "u_rep", "u_manager"]);
    let at =
        |i: usize| chrono::DateTime::parse_from_rfc3339(items[i]["at"].as_str().unwrap()).unwrap();
    assert_eq!(at(0), converted_at);
    assert_eq!(at(3), converted_at + Duration::hours(2));
}

#[test]
fn a_team_member_reads_the_deal_its_check_and_its_history() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let channel = session(&app, CHANNEL);
    let deal = converted_deal(&rep, new_lead("MES", "tender"), B_AMOUNT);
    // Any signed-in user may be staffed, a channel manager included.
    let deal = ok(
        set_team(
            &rep,
            &deal,
            json!([{"role": "finance", "user_id": "u_channel"}]),
        ),
        200,
    );
    let path = deal_path(&deal);

    let read = ok(channel.get(&path), 200);
    let verdict = ok(channel.get(&format!("{path}/check?to=analyze")), 200);
    let trail = ok(channel.get(&format!("{path}/history")), 200);

    assert_eq!(read, deal);
    assert_eq!(verdict["allowed"], false);
    assert_eq!(kinds(&trail).last().unwrap(), "team_changed");
    // Reading the deal is not listing deals: that route is for the sales side.
    problem(&channel.get("/api/opportunities"), 403, "forbidden");
}

/// `GET path` sending `if-none-match: tag`.
fn get_if_none_match(c: &Client<'_>, path: &str, tag: &str) -> Resp {
    let mut req = dealgate_server::http::Request::new(Method::Get, path);
    req.headers
        .push(("cookie".into(), c.cookie.clone().unwrap()));
    req.headers.push(("if-none-match".into(), tag.into()));
    c.app.send(req)
}

#[test]
fn the_user_list_asked_again_with_its_tag_answers_304_until_a_user_changes() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let admin = session(&app, ADMIN);
    let first = rep.get("/api/users");
    let tag = first
        .header("etag")
        .expect("a read answer is tagged")
        .to_string();

    let again = get_if_none_match(&rep, "/api/users", &tag);

    assert_eq!(again.status(), 304);
    assert!(again.text().is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    assert!(again.header("x-config-version").is_some());
    ok(
        admin.patch("/api/admin/users/u_rep2", json!({"name": "Renamed Rep"})),
        200,
    );
    let changed = get_if_none_match(&rep, "/api/users", &tag);
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.header("etag"), Some(tag.as_str()));
    assert!(changed.text().contains("Renamed Rep"));
    // Without a session the tag buys nothing: 401, no body kept back.
    let stranger = Client {
        app: &app,
        cookie: Some("dealgate_session=nothing".into()),
        me: None,
    };
    let signed_out = get_if_none_match(&stranger, "/api/users", &tag);
    assert_eq!(signed_out.status(), 401);
}

#[test]
fn api_answers_carry_the_security_headers_and_hsts_only_over_https() {
    let app = TestApp::new();
    for secure in [false, true] {
        let mut req = dealgate_server::http::Request::new(Method::Get, "/api/health");
        req.secure = secure;

        let r = app.send(req);

        assert_eq!(
            r.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("same-origin"));
        assert!(r.header("permissions-policy").is_some());
        assert_eq!(
            r.header("strict-transport-security").is_some(),
            secure,
            "HSTS only over HTTPS"
        );
    }
}

#[test]
fn signing_in_with_a_planted_session_cookie_starts_a_new_session_and_the_planted_one_signs_in_no_one()
 {
    let app = TestApp::new();
    let planted = "dg_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let attacker = Client {
        app: &app,
        cookie: Some(planted.into()),
        me: None,
    };

    let signed_in = attacker.post(
        "/api/auth/login",
        json!({"email": REP, "password": DEMO_PASSWORD}),
    );

    assert_eq!(signed_in.status(), 200);
    let set = signed_in.header("set-cookie").expect("a session cookie");
    let issued = set.split(';').next().unwrap();
    assert!(issued.starts_with("dg_session="), "{set}");
    assert_ne!(issued, planted, "the session id changes at sign-in");
    problem(&attacker.get("/api/me"), 401, "unauthenticated");
    let victim = Client {
        app: &app,
        cookie: Some(issued.into()),
        me: None,
    };
    assert_eq!(ok(victim.get("/api/me"), 200)["email"], REP);
}

/// `POST /api/auth/login` from client address `ip`.
fn sign_in_from(app: &TestApp, ip: &str, email: &str, password: &str) -> Resp {
    let mut req = dealgate_server::http::Request::new(Method::Post, "/api/auth/login");
    req.headers.push(("cf-connecting-ip".into(), ip.into()));
    req.headers
        .push(("content-type".into(), "application/json".into()));
    req.body = serde_json::to_vec(&json!({"email": email, "password": password})).unwrap();
    app.send(req)
}

#[test]
fn a_sign_in_forgets_the_emails_failures_and_counts_as_no_failure_of_its_address() {
    let app = TestApp::new();
    let ip = "192.0.2.7";
    for _ in 0..4 {
        problem(
            &sign_in_from(&app, ip, REP, "guess-guess"),
            401,
            "invalid_credentials",
        );
    }
    assert_eq!(sign_in_from(&app, ip, REP, DEMO_PASSWORD).status(), 200);
    // Five more tries for the e-mail, then 429.
    for _ in 0..5 {
        problem(
            &sign_in_from(&app, ip, REP, "guess-guess"),
            401,
            "invalid_credentials",
        );
    }
    problem(
        &sign_in_from(&app, ip, REP, DEMO_PASSWORD),
        429,
        "too_many_requests",
    );
    // Twenty people signing in from one office address are no failures.
    for _ in 0..25 {
        assert_eq!(sign_in_from(&app, ip, MANAGER, DEMO_PASSWORD).status(), 200);
    }
}

#[test]
fn a_throttled_caller_is_told_when_the_window_ends_and_may_try_again_then() {
    let app = TestApp::new();
    let ip = "192.0.2.8";
    for _ in 0..5 {
        problem(
            &sign_in_from(&app, ip, REP, "guess-guess"),
            401,
            "invalid_credentials",
        );
    }
    app.advance(chrono::Duration::seconds(100));

    let refused = sign_in_from(&app, ip, REP, DEMO_PASSWORD);

    problem(&refused, 429, "too_many_requests");
    assert_eq!(refused.header("retry-after"), Some("800"));
    app.advance(chrono::Duration::seconds(800));
    assert_eq!(sign_in_from(&app, ip, REP, DEMO_PASSWORD).status(), 200);
    // Twenty failures from one address (any e-mails) close it to everyone.
    for i in 0..20 {
        let who = format!("nobody{i}@example.com");
        problem(
            &sign_in_from(&app, ip, &who, "guess-guess"),
            401,
            "invalid_credentials",
        );
    }
    problem(
        &sign_in_from(&app, ip, MANAGER, DEMO_PASSWORD),
        429,
        "too_many_requests",
    );
    assert_eq!(
        sign_in_from(&app, "192.0.2.9", MANAGER, DEMO_PASSWORD).status(),
        200
    );
}
