//! The partners' public side of deal registration on the host: submit,
//! follow by reference, withdraw; field errors; the honeypot; the rate
//! limit per client address; references that are neither stored nor
//! guessable; conflicts noted against our open deals and other
//! registrations across name variants.

mod support;

use chrono::Duration;
use dealgate_server::http::{Method, Request};
use dealgate_server::store::{Stmt, all};
use serde_json::{Value, json};
use support::deals::*;
use support::*;

fn form(customer: &str, title: &str) -> Value {
    json!({
        "partner_company": "华信伙伴科技", "partner_contact": "王芳",
        "partner_email": "wang@partner.cn", "partner_phone": "+86 138 0013 8000",
        "customer_company": customer, "project_title": title,
        "description": "二期", "amount": 80_000_000, "expected_close": "2027-06-30",
        "website": "",
    })
}

/// A submission from `address`, as the public form sends it (no session).
fn submit(app: &TestApp, address: &str, body: Value) -> Resp {
    let mut req = Request::new(Method::Post, "/api/public/registrations");
    req.headers
        .push(("content-type".into(), "application/json".into()));
    req.headers
        .push(("cf-connecting-ip".into(), address.into()));
    req.headers.push(("accept-language".into(), "en".into()));
    req.body = serde_json::to_vec(&body).unwrap();
    app.send(req)
}

fn stored(app: &TestApp) -> Vec<Value> {
    #[derive(serde::Deserialize)]
    struct Row {
        status: String,
        doc: String,
        reference_hash: String,
    }
    let rows: Vec<Row> = block_on(all(
        app.db(),
        Stmt::new(
            "SELECT status, doc, reference_hash FROM registrations ORDER BY submitted_at, id",
            vec![],
        ),
    ))
    .unwrap();
    rows.into_iter()
        .map(|r| {
            let mut doc: Value = serde_json::from_str(&r.doc).unwrap();
            doc["status"] = json!(r.status);
            doc["reference_hash"] = json!(r.reference_hash);
            doc
        })
        .collect()
}

#[test]
fn a_partner_submits_follows_the_status_by_reference_and_withdraws_it() {
    let app = TestApp::new();
    let anyone = app.anonymous();

    let receipt = ok(
        submit(
            &app,
            "203.0.113.7",
            form("上海明远制造有限公司", "MES 系统升级"),
        ),
        201,
    );
    let reference = receipt["reference"].as_str().unwrap().to_string();
    let path = format!("/api/public/registrations/{reference}");
    let status = ok(anyone.get(&path), 200);
    let withdrawn = ok(anyone.post(&format!("{path}/withdraw"), json!({})), 200);
    let again = anyone.post(&format!("{path}/withdraw"), json!({}));

    // 256 random bits, base64url: not a counter, not stored as such.
    assert_eq!(reference.len(), 43);
    assert_eq!(receipt["status_url"], format!("/register/{reference}"));
    assert_eq!(status["status"], "submitted");
    // The status and nothing else of the registration.
    let keys: Vec<&str> = status
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["status", "submitted_at"]);
    assert_eq!(withdrawn["status"], "withdrawn");
    problem(&again, 409, "not_submitted");
    let rows = stored(&app);
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0]["reference_hash"], json!(reference));
    assert!(!rows[0].to_string().contains(&reference));
}

#[test]
fn unknown_and_malformed_references_get_the_same_404() {
    let app = TestApp::new();
    ok(submit(&app, "203.0.113.7", form("明远制造", "MES")), 201);
    let anyone = app.anonymous();

    let unknown = anyone.get(&format!("/api/public/registrations/{}", "A".repeat(43)));
    let malformed = anyone.get("/api/public/registrations/1");

    assert_eq!(
        (unknown.status(), unknown.text()),
        (malformed.status(), malformed.text())
    );
    problem(&unknown, 404, "not_found");
}

#[test]
fn bad_input_is_422_with_every_field_and_nothing_is_stored() {
    let app = TestApp::new();
    let mut body = form("", "");
    body["partner_email"] = json!("not an e-mail");
    body["amount"] = json!(0);
    body["expected_close"] = json!("2020-01-01");

    let p = problem(&submit(&app, "203.0.113.7", body), 422, "invalid");

    let fields: Vec<String> = errors(&p).into_iter().map(|(f, _)| f).collect();
    for f in [
        "partner_email",
        "customer_company",
        "project_title",
        "amount",
        "expected_close",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} not in {fields:?}");
    }
    assert!(stored(&app).is_empty());
}

#[test]
fn a_filled_honeypot_is_answered_like_a_success_and_stored_nowhere() {
    let app = TestApp::new();
    let mut body = form("明远制造", "MES");
    body["website"] = json!("http://spam.example");

    let receipt = ok(submit(&app, "203.0.113.7", body), 201);

    assert_eq!(receipt["reference"].as_str().map(str::len), Some(43));
    assert!(stored(&app).is_empty());
    let path = format!(
        "/api/public/registrations/{}",
        receipt["reference"].as_str().unwrap()
    );
    problem(&app.anonymous().get(&path), 404, "not_found");
}

#[test]
fn past_the_hourly_limit_an_address_gets_429_with_retry_after_until_the_hour_ends() {
    let app = TestApp::new();
    let limit = shared::registration::SUBMISSIONS_PER_HOUR as usize;
    for i in 0..limit {
        ok(
            submit(&app, "203.0.113.7", form("明远制造", &format!("项目 {i}"))),
            201,
        );
    }

    let refused = submit(&app, "203.0.113.7", form("明远制造", "再来一个"));
    let other_address = submit(&app, "198.51.100.2", form("明远制造", "另一个地址"));
    app.advance(Duration::hours(1));
    let next_hour = submit(&app, "203.0.113.7", form("明远制造", "下一个小时"));

    problem(&refused, 429, "too_many_requests");
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    assert_eq!((other_address.status(), next_hour.status()), (201, 201));
    assert_eq!(stored(&app).len(), limit + 2);
}

#[test]
fn conflicts_with_our_open_deal_and_a_pending_registration_are_noted_across_name_variants() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let mut lead = new_lead("ERP升级项目", "tender");
    lead["customer"] = json!("上海明远制造有限公司");
    let deal = converted_deal(&rep, lead, C_AMOUNT);
    // One second apart, so the stored order is the order of submission.
    let send = |address: &str, customer: &str, title: &str| {
        app.advance(Duration::seconds(1));
        ok(submit(&app, address, form(customer, title)), 201);
    };
    send("203.0.113.7", "ＸＸ 有限公司", "CRM 平台建设");

    send("198.51.100.2", "上海明远制造", "ERP系统升级");
    send("198.51.100.3", "xx co., ltd.", "CRM平台建设项目");
    send("198.51.100.4", "北京远大物流", "仓储系统");

    let rows = stored(&app);
    let kinds = |doc: &Value| -> Vec<(String, String)> {
        doc["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["kind"].as_str().unwrap().into(),
                    c["id"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(kinds(&rows[1]), [("opportunity".to_string(), id(&deal))]);
    assert_eq!(kinds(&rows[2])[0].0, "registration");
    assert!(kinds(&rows[3]).is_empty());
}

fn queue(c: &Client<'_>, query: &str) -> Value {
    ok(c.get(&format!("/api/registrations{query}")), 200)
}

#[test]
fn the_queue_is_oldest_first_with_conflicts_as_of_now_and_overdue_ones_marked() {
    let app = TestApp::new();
    let channel = session(&app, CHANNEL);
    ok(
        submit(&app, "203.0.113.7", form("上海明远制造", "ERP系统升级")),
        201,
    );
    app.advance(Duration::seconds(1));
    ok(
        submit(&app, "198.51.100.2", form("北京远大物流", "仓储系统")),
        201,
    );
    // Our own deal for the first one's customer appears after it was filed.
    let rep = session(&app, REP);
    let mut lead = new_lead("ERP升级项目", "tender");
    lead["customer"] = json!("上海明远制造有限公司");
    let deal = converted_deal(&rep, lead, C_AMOUNT);

    let fresh = queue(&channel, "?status=submitted");
    // Five calendar days hold three working days whatever the weekday (the
    // session would not last that long: sign in again).
    app.advance(Duration::days(5));
    let channel = session(&app, CHANNEL);
    let later = queue(&channel, "");

    let titles: Vec<&str> = fresh["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["project_title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["ERP系统升级", "仓储系统"]);
    assert_eq!(fresh["items"][0]["conflicts"][0]["id"], deal["id"]);
    assert_eq!(fresh["items"][1]["conflicts"], json!([]));
    assert_eq!(fresh["items"][0]["overdue"], false);
    assert_eq!(later["items"][0]["overdue"], true);
    problem(
        &channel.get("/api/registrations?status=bogus"),
        400,
        "bad_request",
    );
    for who in [REP, MANAGER] {
        problem(
            &session(&app, who).get("/api/registrations"),
            403,
            "forbidden",
        );
    }
}

#[test]
fn a_channel_manager_rejects_with_a_reason_the_partner_then_sees_once_and_for_all() {
    let app = TestApp::new();
    let channel = session(&app, CHANNEL);
    let receipt = ok(submit(&app, "203.0.113.7", form("明远制造", "MES")), 201);
    let item = &queue(&channel, "")["items"][0];
    let path = format!("/api/registrations/{}/reject", item["id"].as_str().unwrap());

    let blank = channel.post(&path, json!({"reason": " ", "version": item["version"]}));
    let stale = channel.post(&path, json!({"reason": "重复", "version": 7}));
    let rejected = ok(
        channel.post(
            &path,
            json!({"reason": "客户已由直销跟进", "version": item["version"]}),
        ),
        200,
    );
    let again = channel.post(
        &path,
        json!({"reason": "再次", "version": rejected["version"]}),
    );
    let seen = ok(
        app.anonymous().get(&format!(
            "/api/public/registrations/{}",
            receipt["reference"].as_str().unwrap()
        )),
        200,
    );
    let withdraw = app.anonymous().post(
        &format!(
            "/api/public/registrations/{}/withdraw",
            receipt["reference"].as_str().unwrap()
        ),
        json!({}),
    );

    assert_eq!(errors(&problem(&blank, 422, "invalid"))[0].0, "reason");
    problem(&stale, 409, "version_conflict");
    assert_eq!(
        (rejected["status"].as_str(), rejected["version"].as_u64()),
        (Some("rejected"), Some(2))
    );
    problem(&again, 409, "already_decided");
    assert_eq!(
        seen,
        json!({"status": "rejected", "submitted_at": seen["submitted_at"], "reason": "客户已由直销跟进"})
    );
    problem(&withdraw, 409, "not_submitted");
    let audit = ok(session(&app, ADMIN).get("/api/admin/audit"), 200);
    assert_eq!(
        audit["items"][0]["subject"],
        format!("registration:{}", item["id"].as_str().unwrap())
    );
    assert_eq!(audit["items"][0]["by"], channel.id());
}

#[test]
fn approving_makes_an_e_deal_in_stage_two_owned_by_the_rep_and_the_partner_sees_its_protection() {
    let app = TestApp::new();
    let channel = session(&app, CHANNEL);
    let receipt = ok(
        submit(&app, "203.0.113.7", form("明远制造", "MES 系统升级")),
        201,
    );
    let item = queue(&channel, "")["items"][0].clone();
    let path = format!(
        "/api/registrations/{}/approve",
        item["id"].as_str().unwrap()
    );
    let body = |owner: &str| json!({"owner_id": owner, "version": item["version"]});

    let not_a_rep = channel.post(&path, body("u_channel"));
    let unknown = channel.post(
        &path,
        json!({"owner_id": "u_rep", "pipeline": "nope", "version": 1}),
    );
    let deal = ok(channel.post(&path, body("u_rep")), 201);
    let again = channel.post(&path, body("u_rep"));
    let status = ok(
        app.anonymous().get(&format!(
            "/api/public/registrations/{}",
            receipt["reference"].as_str().unwrap()
        )),
        200,
    );

    assert_eq!(
        errors(&problem(&not_a_rep, 422, "invalid"))[0].0,
        "owner_id"
    );
    assert_eq!(errors(&problem(&unknown, 422, "invalid"))[0].0, "pipeline");
    problem(&again, 409, "already_decided");
    let until = (app.rt.now.get().date_naive() + Duration::days(90)).to_string();
    assert_eq!(
        (
            &deal["stage"],
            &deal["grade"]["effective"],
            &deal["track"],
            &deal["lead_by"]
        ),
        (
            &json!("initiate"),
            &json!("E"),
            &json!("partner"),
            &json!("partner")
        )
    );
    assert_eq!(deal["owner_id"], "u_rep");
    assert_eq!(deal["partner"]["company"], "华信伙伴科技");
    assert_eq!(deal["partner"]["protected_until"], json!(until));
    assert_eq!(
        (&status["status"], &status["protected_until"]),
        (&json!("approved"), &json!(until))
    );
    // The rep finds it among their deals, with its history begun.
    let rep = session(&app, REP);
    assert!(ids(&ok(rep.get("/api/opportunities"), 200)).contains(&id(&deal)));
    assert_eq!(kinds(&history(&rep, &deal)), ["created"]);
}

/// A submitted registration approved for `u_rep` now: its reference and the deal.
fn approved(app: &TestApp, channel: &Client<'_>, title: &str) -> (String, Value) {
    let receipt = ok(submit(app, "203.0.113.9", form("明远制造", title)), 201);
    let items = queue(channel, "?status=submitted")["items"].clone();
    let item = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["project_title"] == title)
        .unwrap()
        .clone();
    let deal = ok(
        channel.post(
            &format!(
                "/api/registrations/{}/approve",
                item["id"].as_str().unwrap()
            ),
            json!({"owner_id": "u_rep", "version": item["version"]}),
        ),
        201,
    );
    (receipt["reference"].as_str().unwrap().to_string(), deal)
}

fn expire_now(app: &TestApp) -> usize {
    block_on(dealgate_server::api::review::expire_protections(
        &app.rt,
        app.rt.now.get(),
    ))
    .unwrap()
}

#[test]
fn the_scheduled_expiry_ends_the_protection_of_open_deals_the_day_after_it_ran_out() {
    let app = TestApp::new();
    let channel = session(&app, CHANNEL);
    let (reference, deal) = approved(&app, &channel, "MES 系统升级");
    let (_, won) = approved(&app, &channel, "仓储管理系统");
    // The second deal closes inside its protection: it keeps it.
    block_on(all::<Value>(
        app.db(),
        Stmt::new(
            "UPDATE opportunities SET status = 'won', \
             doc = json_set(doc, '$.status', 'won') WHERE id = ?1",
            vec![dealgate_server::store::Value::from(
                won["id"].as_str().unwrap(),
            )],
        ),
    ))
    .unwrap();
    let status_of = |app: &TestApp| {
        ok(
            app.anonymous()
                .get(&format!("/api/public/registrations/{reference}")),
            200,
        )["status"]
            .clone()
    };

    app.advance(Duration::days(90));
    let on_the_last_day = expire_now(&app);
    let still = status_of(&app);
    app.advance(Duration::days(1));
    let the_day_after = expire_now(&app);
    let again = expire_now(&app);

    assert_eq!((on_the_last_day, &still), (0, &json!("approved")));
    assert_eq!((the_day_after, again), (1, 0), "expires once");
    assert_eq!(status_of(&app), json!("expired"));
    let (rep, channel) = (session(&app, REP), session(&app, CHANNEL));
    let now = ok(rep.get(&format!("/api/opportunities/{}", id(&deal))), 200);
    assert_eq!(now["partner"]["protected_until"], Value::Null);
    assert_eq!(now["version"], json!(deal["version"].as_u64().unwrap() + 1));
    assert_eq!(
        kinds(&history(&rep, &deal)),
        ["created", "protection_expired"]
    );
    let kept = ok(rep.get(&format!("/api/opportunities/{}", id(&won))), 200);
    assert!(kept["partner"]["protected_until"].is_string());
    let expired = queue(&channel, "?status=expired")["items"].clone();
    assert_eq!(expired.as_array().unwrap().len(), 1);
    assert_eq!(expired[0]["opportunity_id"], deal["id"]);
}

/// A public page as the Worker renders it, asked in `lang`.
fn page(app: &TestApp, method: Method, path_and_query: &str, lang: &str) -> (u16, String, Resp) {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut req = Request::new(method, path);
    req.query = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    req.headers.push(("accept-language".into(), lang.into()));
    let r = block_on(dealgate_server::pages::handle(
        &app.rt,
        &req,
        app.rt.now.get(),
    ));
    (
        r.status,
        String::from_utf8(r.body.clone()).unwrap(),
        Resp(r),
    )
}

#[test]
fn the_form_page_is_plain_html_in_the_callers_language_with_every_field_and_the_honeypot() {
    let app = TestApp::new();

    let (status, en, resp) = page(&app, Method::Get, "/register", "en-GB,en;q=0.8");
    let (_, zh, _) = page(&app, Method::Get, "/register/", "zh-CN");
    let (_, chosen, _) = page(&app, Method::Get, "/register?lang=en", "zh-CN");
    let (head_status, head, _) = page(&app, Method::Head, "/register", "en");
    let (post, _, post_resp) = page(&app, Method::Post, "/register", "en");

    assert_eq!(status, 200);
    assert!(en.starts_with("<!doctype html><html lang=\"en\">"));
    assert!(en.contains("Register a deal as our partner"));
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("合作伙伴商机报备"));
    assert!(
        chosen.contains("<html lang=\"en\">"),
        "?lang= wins over the header"
    );
    for field in [
        "partner_company",
        "partner_contact",
        "partner_email",
        "partner_phone",
        "customer_company",
        "project_title",
        "description",
        "amount",
        "expected_close",
        "website",
    ] {
        assert!(en.contains(&format!("name=\"{field}\"")), "{field}");
    }
    // The date picker starts today; the honeypot is out of the tab order.
    assert!(en.contains("type=\"date\" min=\"2026-12-01\""));
    assert!(en.contains("name=\"website\" type=\"text\" tabindex=\"-1\""));
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    assert!(
        resp.header("content-security-policy")
            .unwrap()
            .contains("script-src 'self' 'wasm-unsafe-eval'")
    );
    assert_eq!((head_status, head.as_str()), (200, ""));
    assert_eq!(post, 405);
    assert_eq!(post_resp.header("allow"), Some("GET, HEAD"));
}

#[test]
fn the_status_page_shows_the_status_only_and_follows_each_decision() {
    let app = TestApp::new();
    let channel = session(&app, CHANNEL);
    let first = ok(
        submit(&app, "203.0.113.7", form("明远制造", "MES 系统升级")),
        201,
    );
    let second = ok(
        submit(&app, "203.0.113.7", form("远东物流", "仓储<b>管理</b>")),
        201,
    );
    let url = |r: &Value| r["status_url"].as_str().unwrap().to_string();

    let (_, submitted, resp) = page(&app, Method::Get, &url(&first), "en");
    let items = queue(&channel, "?status=submitted")["items"].clone();
    let id_of = |title: &str| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["project_title"] == title)
            .unwrap()
            .clone()
    };
    let (mes, other) = (id_of("MES 系统升级"), id_of("仓储<b>管理</b>"));
    ok(
        channel.post(
            &format!("/api/registrations/{}/approve", mes["id"].as_str().unwrap()),
            json!({"owner_id": "u_rep", "version": mes["version"]}),
        ),
        201,
    );
    ok(
        channel.post(
            &format!(
                "/api/registrations/{}/reject",
                other["id"].as_str().unwrap()
            ),
            json!({"reason": "<i>重复</i> 报备", "version": other["version"]}),
        ),
        200,
    );
    let (_, approved, _) = page(&app, Method::Get, &url(&first), "en");
    let (_, rejected, _) = page(&app, Method::Get, &url(&second), "zh-CN");

    assert!(submitted.contains("data-status=\"submitted\""));
    assert!(submitted.contains("id=\"withdraw\""));
    assert_eq!(resp.header("referrer-policy"), Some("no-referrer"));
    assert!(approved.contains("data-status=\"approved\""));
    assert!(approved.contains("data-days=\"90\""), "{approved}");
    assert!(approved.contains("2027-03-01"));
    assert!(!approved.contains("id=\"withdraw\""));
    assert!(rejected.contains("data-status=\"rejected\""));
    assert!(rejected.contains("&lt;i&gt;重复&lt;/i&gt; 报备"));
    // Nothing of the registration but its status: not the project, not the partner.
    for page in [&submitted, &approved, &rejected] {
        assert!(!page.contains("MES") && !page.contains("华信") && !page.contains("wang@"));
    }
}

#[test]
fn unknown_and_malformed_status_links_get_the_same_404_page() {
    let app = TestApp::new();
    let (unknown, a, _) = page(
        &app,
        Method::Get,
        "/register/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "en",
    );
    let (malformed, b, _) = page(&app, Method::Get, "/register/%3Cscript%3E", "en");

    assert_eq!((unknown, malformed), (404, 404));
    assert_eq!(a, b);
    assert!(a.contains("No registration found"));
}

#[test]
fn reviewers_learn_from_api_me_how_many_registrations_wait_and_no_one_else_does() {
    let app = TestApp::new();
    ok(submit(&app, "203.0.113.7", form("明远制造", "MES")), 201);
    ok(submit(&app, "203.0.113.7", form("远东物流", "仓储")), 201);

    let channel = ok(session(&app, CHANNEL).get("/api/me"), 200);
    let admin = ok(session(&app, ADMIN).get("/api/me"), 200);
    let rep = ok(session(&app, REP).get("/api/me"), 200);

    assert_eq!(channel["pending_registrations"], json!(2));
    assert_eq!(admin["pending_registrations"], json!(2));
    assert!(rep.get("pending_registrations").is_none());
}
