//! Arrangements through the API itself: sessions per demo user without
//! the sign-in's PBKDF2, leads created, stage 1 filled and converted to a
//! deal, stages worked, and readers of answers and problems.

use super::*;
use dealgate_server::auth::{
    ABSOLUTE_SECS, IDLE_SECS, SESSION_COOKIE, TOKEN_BYTES, encode_token, session_id,
};
use dealgate_server::http::{Method, Request};
use dealgate_server::store::{sessions, users};
use serde_json::{Value, json};
use shared::builtin;
use shared::pipeline::Stage;
use shared::sample;
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinct session tokens across the whole test binary.
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

/// A signed-in client for a demo user, its session started the way
/// `POST /api/auth/login` starts one (`store::sessions::start`) but
/// without the sign-in's PBKDF2 (~100 ms). For arrangements; the tests of
/// signing in itself go through `POST /api/auth/login`.
pub fn session<'a>(app: &'a TestApp, email: &str) -> Client<'a> {
    let user = block_on(users::by_email(app.db(), email))
        .expect("users")
        .unwrap_or_else(|| panic!("no user {email}"));
    let mut bytes = [0x5a_u8; TOKEN_BYTES];
    bytes[..8].copy_from_slice(&NEXT_TOKEN.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let token = encode_token(&bytes);
    let id = session_id(&token).expect("a well-formed token");
    let now = app.rt.now.get().timestamp();
    block_on(sessions::start(
        app.db(),
        &id,
        &user.id,
        now,
        (IDLE_SECS, ABSOLUTE_SECS),
        vec![],
    ))
    .expect("a session");
    let mut client = app.anonymous();
    client.cookie = Some(format!("{SESSION_COOKIE}={token}"));
    client.me = Some(user.into_me().expect("a user"));
    client
}

/// The expected close date every conversion here sends.
pub const CLOSE: &str = "2027-03-31";

/// Amounts in fen by the grade they get under the default policy
/// (A ≥ 5,000,000 CNY > B ≥ 1,000,000 > C ≥ 300,000 > D).
pub const A_AMOUNT: i64 = 600_000_000;
pub const B_AMOUNT: i64 = 200_000_000;
pub const C_AMOUNT: i64 = 50_000_000;
pub const D_AMOUNT: i64 = 10_000_000;

/// A built-in stage (the configuration the migrations seed is the built-in one).
pub fn stage(pipeline: &str, key: &str) -> Stage {
    builtin::pipelines()
        .into_iter()
        .find(|p| p.id == pipeline)
        .and_then(|p| p.stages.into_iter().find(|s| s.key == key))
        .unwrap_or_else(|| panic!("no stage {pipeline}/{key}"))
}

/// Every required field of a stage, with a valid value of its kind.
pub fn stage_fields(pipeline: &str, key: &str) -> Value {
    Value::Object(
        stage(pipeline, key)
            .required_fields
            .iter()
            .map(|f| (f.key.to_string(), sample::field_value(f)))
            .collect(),
    )
}

pub fn stage_tasks(pipeline: &str, key: &str) -> Vec<String> {
    stage(pipeline, key)
        .required_tasks
        .iter()
        .map(|t| t.key.to_string())
        .collect()
}

pub fn id(record: &Value) -> String {
    record["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {record}"))
        .to_string()
}

pub fn version(record: &Value) -> u64 {
    record["version"]
        .as_u64()
        .unwrap_or_else(|| panic!("no version in {record}"))
}

pub fn lead_path(lead: &Value) -> String {
    format!("/api/leads/{}", id(lead))
}

pub fn deal_path(deal: &Value) -> String {
    format!("/api/opportunities/{}", id(deal))
}

/// `body` with the record's current version added.
pub fn at_version(mut body: Value, record: &Value) -> Value {
    body["version"] = json!(version(record));
    body
}

/// Asserts the status of a successful answer; answers its JSON.
pub fn ok(r: Resp, status: u16) -> Value {
    assert_eq!(r.status(), status, "{}", r.text());
    r.json()
}

/// Asserts a problem's status and `code`; answers the problem.
pub fn problem(r: &Resp, status: u16, code: &str) -> Value {
    assert_eq!(
        (r.status(), r.code().as_str()),
        (status, code),
        "{}",
        r.text()
    );
    r.json()
}

/// `(kind, key)` of each blocker, in order.
pub fn blockers(v: &Value) -> Vec<(String, String)> {
    v["blockers"]
        .as_array()
        .unwrap_or_else(|| panic!("no blockers in {v}"))
        .iter()
        .map(|b| {
            (
                b["kind"].as_str().unwrap_or_default().to_string(),
                b["key"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// `(field, code)` of each error of a 422.
pub fn errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {problem}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_string(),
                e["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The ids of a list page's items, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(id)
        .collect()
}

/// The `field` of each item of a page, in order.
pub fn column(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The `kind` of each event of a history page, oldest first.
pub fn kinds(history: &Value) -> Vec<String> {
    column(history, "kind")
}

/// A request built by hand: any method (or none), any content type.
pub fn send_raw(
    c: &Client<'_>,
    method: Option<Method>,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Resp {
    let mut req = Request::new(Method::Get, path);
    req.method = method;
    req.headers.push(("accept-language".into(), "en".into()));
    if let Some(cookie) = &c.cookie {
        req.headers.push(("cookie".into(), cookie.clone()));
    }
    if let Some(ct) = content_type {
        req.headers.push(("content-type".into(), ct.into()));
    }
    req.body = body.to_vec();
    c.app.send(req)
}

pub fn create_lead(c: &Client<'_>, body: Value) -> Value {
    ok(c.post("/api/leads", body), 201)
}

pub fn patch_fields(c: &Client<'_>, path: &str, record: &Value, fields: Value) -> Value {
    ok(
        c.patch(path, at_version(json!({ "fields": fields }), record)),
        200,
    )
}

pub fn tick(c: &Client<'_>, path: &str, key: &str, record: &Value) -> Value {
    ok(
        c.post(
            &format!("{path}/tasks/{key}"),
            at_version(json!({"done": true}), record),
        ),
        200,
    )
}

/// A lead created from `body` with stage 1 (verify) met for every grade:
/// its required fields filled and its tasks done.
pub fn verified_lead(c: &Client<'_>, body: Value) -> Value {
    let pipeline = body["pipeline"].as_str().unwrap_or_default().to_string();
    let lead = create_lead(c, body);
    let path = lead_path(&lead);
    let mut lead = patch_fields(c, &path, &lead, stage_fields(&pipeline, "verify"));
    for task in stage_tasks(&pipeline, "verify") {
        lead = tick(c, &path, &task, &lead);
    }
    lead
}

pub fn convert_body(lead: &Value, amount: i64) -> Value {
    at_version(
        json!({"lead_by": "us", "amount": amount, "expected_close": CLOSE}),
        lead,
    )
}

pub fn convert(c: &Client<'_>, lead: &Value, amount: i64) -> Resp {
    c.post(
        &format!("{}/convert", lead_path(lead)),
        convert_body(lead, amount),
    )
}

/// A deal in stage 2 (initiate) owned by `c`, converted from a lead made
/// of `body`, graded by `amount`.
pub fn converted_deal(c: &Client<'_>, body: Value, amount: i64) -> Value {
    let lead = verified_lead(c, body);
    ok(convert(c, &lead, amount), 201)
}

/// The deal with its current stage's required fields filled and tasks done.
pub fn work_stage(c: &Client<'_>, deal: Value) -> Value {
    let pipeline = deal["pipeline"].as_str().unwrap_or_default().to_string();
    let stage_key = deal["stage"].as_str().unwrap_or_default().to_string();
    let path = deal_path(&deal);
    let mut deal = patch_fields(c, &path, &deal, stage_fields(&pipeline, &stage_key));
    for task in stage_tasks(&pipeline, &stage_key) {
        deal = tick(c, &path, &task, &deal);
    }
    deal
}

pub fn transition(c: &Client<'_>, deal: &Value, body: Value) -> Resp {
    c.post(
        &format!("{}/transition", deal_path(deal)),
        at_version(body, deal),
    )
}

/// A fast-track (grade D) deal of `pipeline` in its final stage, negotiate,
/// nothing of that stage done yet.
pub fn deal_in_final_stage(c: &Client<'_>, title: &str, pipeline: &str) -> Value {
    let deal = converted_deal(c, new_lead(title, pipeline), D_AMOUNT);
    let deal = work_stage(c, deal);
    ok(transition(c, &deal, json!({"to": "negotiate"})), 200)
}

pub fn request_approval(c: &Client<'_>, deal: &Value, key: &str) -> Resp {
    c.post(
        &format!("{}/approvals/{key}/request", deal_path(deal)),
        at_version(json!({}), deal),
    )
}

pub fn decide(c: &Client<'_>, deal: &Value, key: &str, body: Value) -> Resp {
    c.post(&format!("{}/approvals/{key}/decide", deal_path(deal)), body)
}

pub fn set_team(c: &Client<'_>, deal: &Value, members: Value) -> Resp {
    c.put(
        &format!("{}/team", deal_path(deal)),
        at_version(json!({ "members": members }), deal),
    )
}

pub fn history(c: &Client<'_>, deal: &Value) -> Value {
    ok(c.get(&format!("{}/history", deal_path(deal))), 200)
}

/// A lead body like the harness's, with its own customer.
pub fn lead_for(title: &str, customer: &str, pipeline: &str) -> Value {
    let mut body = new_lead(title, pipeline);
    body["customer"] = json!(customer);
    body
}
