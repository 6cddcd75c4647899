//! Leads → opportunities → stage gates → won or lost, through the API
//! (issue #5), against the real runtime. Every refusal is checked against
//! what `shared::check` says for the same state.

use dealgate_tests::{Session, call, complete_stage, get_deal, sign_in_as, unique};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::api::{Config, Page, Problem};
use shared::gate::{Target, Transition, check};
use shared::lead::Lead;
use shared::{Key, Opportunity, Pipeline};

async fn config(s: &Session) -> Config {
    let (status, body) = call(s, Method::GET, "/api/config", Value::Null).await;
    assert_eq!(status, 200);
    serde_json::from_value(body).unwrap()
}

fn pipeline<'a>(config: &'a Config, id: &str) -> &'a Pipeline {
    config.pipelines.iter().find(|p| p.id == id).unwrap()
}

fn problem(body: Value) -> Problem {
    serde_json::from_value(body).expect("problem+json")
}

/// A new lead owned by `s`, with stage 1 fully done.
async fn ready_lead(s: &Session, pipeline: &str) -> Lead {
    let (status, body) = call(
        s,
        Method::POST,
        "/api/leads",
        json!({
            "title": format!("MES 升级 {}", unique("")), "customer": format!("明远制造 {}", unique("")),
            "contact": {"name": "张伟", "phone": "138 0013 8000"}, "source": "展会", "pipeline": pipeline
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let lead: Lead = serde_json::from_value(body).unwrap();
    let (status, body) = call(
        s,
        Method::PATCH,
        &format!("/api/leads/{}", lead.id),
        json!({"version": lead.version, "fields": {"need_summary": "二期扩产", "budget_status": "已落实 / Approved"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut lead: Lead = serde_json::from_value(body).unwrap();
    for task in ["contact_confirmed", "participation_decision"] {
        let (status, body) = call(
            s,
            Method::POST,
            &format!("/api/leads/{}/tasks/{task}", lead.id),
            json!({"done": true, "version": lead.version}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        lead = serde_json::from_value(body).unwrap();
    }
    lead
}

/// A deal converted from a fresh lead: `amount` in fen.
async fn deal(s: &Session, pipeline: &str, amount: i64) -> Opportunity {
    let lead = ready_lead(s, pipeline).await;
    let (status, body) = call(
        s,
        Method::POST,
        &format!("/api/leads/{}/convert", lead.id),
        json!({"lead_by": "us", "amount": amount, "expected_close": "2027-06-30", "version": lead.version}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn transition(s: &Session, id: &str, body: Value) -> (StatusCode, Value) {
    call(
        s,
        Method::POST,
        &format!("/api/opportunities/{id}/transition"),
        body,
    )
    .await
}

/// Asserts a refused move answers 422 with exactly the blockers `shared::check` gives.
async fn assert_refused_like_shared(
    s: &Session,
    config: &Config,
    id: &str,
    t: Transition,
    body: Value,
) {
    let opp = get_deal(s, id).await;
    let expected = check(
        &opp,
        pipeline(config, opp.pipeline.as_str()),
        &config.grading.policy().unwrap(),
        &t,
    );
    assert!(!expected.allowed, "shared allows {t:?}");
    let (status, answer) = transition(s, id, body).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(problem(answer).blockers.unwrap(), expected.blockers);
    // And the check endpoint says the same.
    let (status, verdict) = call(
        s,
        Method::GET,
        &format!("/api/opportunities/{id}/check?to={}", t.to.as_str()),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    if t.reason.is_none() && t.lost.is_none() && t.contract.is_none() {
        assert_eq!(
            serde_json::from_value::<shared::Verdict>(verdict).unwrap(),
            expected
        );
    }
}

fn key(s: &str) -> Key {
    Key::parse(s).unwrap()
}

#[tokio::test]
async fn a_b_deal_goes_from_a_new_lead_through_every_stage_to_won() {
    let (rep, manager, rep2) = (
        sign_in_as("rep").await,
        sign_in_as("manager").await,
        sign_in_as("rep2").await,
    );
    let config = config(&rep).await;
    let opp = deal(&rep, "tender", 200_000_000).await;
    assert_eq!(
        (opp.stage.as_str(), opp.grade.effective.as_str()),
        ("initiate", "B")
    );
    assert_eq!(opp.track, shared::Track::Full);

    let stages = [
        "initiate",
        "analyze",
        "present",
        "tender_prep",
        "bidding",
        "negotiate",
    ];
    for pair in stages.windows(2) {
        complete_stage(&rep, &manager, &rep2, &config, &opp.id, pair[0]).await;
        let v = get_deal(&rep, &opp.id).await.version;
        let (status, body) = transition(&rep, &opp.id, json!({"to": pair[1], "version": v})).await;
        assert_eq!(status, 200, "{} → {}: {body}", pair[0], pair[1]);
    }
    complete_stage(&rep, &manager, &rep2, &config, &opp.id, "negotiate").await;
    let v = get_deal(&rep, &opp.id).await.version;
    let (status, body) = transition(
        &rep,
        &opp.id,
        json!({"to": "won", "version": v, "contract": {"number": "HT-2027-001", "amount": 200000000, "signed_on": "2026-11-20"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let won: Opportunity = serde_json::from_value(body).unwrap();
    assert_eq!(won.status, shared::Status::Won);
    assert!(won.skipped.is_empty());

    let (_, history) = call(
        &rep,
        Method::GET,
        &format!("/api/opportunities/{}/history", opp.id),
        Value::Null,
    )
    .await;
    let kinds: Vec<String> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("converted"));
    assert_eq!(kinds.last().map(String::as_str), Some("won"));
    assert_eq!(kinds.iter().filter(|k| *k == "stage_advanced").count(), 5);
}

#[tokio::test]
async fn a_c_deal_is_fast_tracked_to_the_final_stage_and_won() {
    let (rep, manager, rep2) = (
        sign_in_as("rep").await,
        sign_in_as("manager").await,
        sign_in_as("rep2").await,
    );
    let config = config(&rep).await;
    let opp = deal(&rep, "tender", 50_000_000).await;
    assert_eq!(opp.track, shared::Track::Fast);

    complete_stage(&rep, &manager, &rep2, &config, &opp.id, "initiate").await;
    let v = get_deal(&rep, &opp.id).await.version;
    let (status, body) = transition(&rep, &opp.id, json!({"to": "negotiate", "version": v})).await;
    assert_eq!(status, 200, "{body}");
    let jumped: Opportunity = serde_json::from_value(body).unwrap();
    assert_eq!(jumped.skipped.len(), 4);

    complete_stage(&rep, &manager, &rep2, &config, &opp.id, "negotiate").await;
    let v = get_deal(&rep, &opp.id).await.version;
    let (status, body) = transition(
        &rep,
        &opp.id,
        json!({"to": "won", "version": v, "contract": {"number": "HT-C-1", "amount": 50000000, "signed_on": "2026-11-10"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn leads_are_validated_listed_searched_and_paged_per_owner() {
    let (rep, rep2, manager) = (
        sign_in_as("rep").await,
        sign_in_as("rep2").await,
        sign_in_as("manager").await,
    );
    let (status, body) = call(
        &rep,
        Method::POST,
        "/api/leads",
        json!({"title": "x", "customer": "y", "contact": {"name": "z"}, "pipeline": "tender"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem(body).errors.unwrap()[0].code, "contact_required");

    let marker = unique("客户");
    for i in 0..3 {
        let (status, _) = call(
            &rep,
            Method::POST,
            "/api/leads",
            json!({"title": format!("项目 {i}"), "customer": marker, "contact": {"name": "李", "email": "li@example.com"}, "pipeline": "direct"}),
        )
        .await;
        assert_eq!(status, 201);
    }
    let path = format!("/api/leads?q={}&limit=2", urlencode(&marker));
    let (_, first) = call(&rep, Method::GET, &path, Value::Null).await;
    let first: Page<Lead> = serde_json::from_value(first).unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.expect("a second page");
    let (_, second) = call(
        &rep,
        Method::GET,
        &format!("{path}&cursor={cursor}"),
        Value::Null,
    )
    .await;
    let second: Page<Lead> = serde_json::from_value(second).unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.next_cursor, None);

    let (_, others) = call(&rep2, Method::GET, &path, Value::Null).await;
    assert_eq!(
        others["items"].as_array().unwrap().len(),
        0,
        "rep2 sees rep's leads"
    );
    let (_, all) = call(
        &manager,
        Method::GET,
        &format!("/api/leads?q={}", urlencode(&marker)),
        Value::Null,
    )
    .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    let (status, _) = call(
        &rep2,
        Method::GET,
        &format!("/api/leads/{}", first.items[0].id),
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(&rep, Method::GET, "/api/leads?stauts=new", Value::Null).await;
    assert_eq!(status, 400);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn conversion_is_refused_with_the_stage_one_blockers_until_met() {
    let rep = sign_in_as("rep").await;
    let config = config(&rep).await;
    let (status, body) = call(
        &rep,
        Method::POST,
        "/api/leads",
        json!({"title": "仓储系统", "customer": "华东物流", "contact": {"name": "王", "phone": "021 5555 0000"}, "pipeline": "tender"}),
    )
    .await;
    assert_eq!(status, 201);
    let lead: Lead = serde_json::from_value(body).unwrap();
    let req = json!({"lead_by": "us", "amount": 200000000, "expected_close": "2027-06-30", "version": lead.version});

    let (status, body) = call(
        &rep,
        Method::POST,
        &format!("/api/leads/{}/convert", lead.id),
        req,
    )
    .await;

    assert_eq!(status, 422);
    let expected = lead.check_conversion(
        pipeline(&config, "tender"),
        &config.grading.policy().unwrap(),
        &serde_json::from_value(json!({"lead_by": "us", "amount": 200000000, "expected_close": "2027-06-30", "version": 1})).unwrap(),
    );
    assert_eq!(problem(body).blockers.unwrap(), expected.blockers);
}

#[tokio::test]
async fn two_clients_racing_on_one_version_exactly_one_wins() {
    let rep = sign_in_as("rep").await;
    let manager = sign_in_as("manager").await;
    let opp = deal(&rep, "direct", 50_000_000).await;
    let path = format!("/api/opportunities/{}", opp.id);
    let a = call(
        &rep,
        Method::PATCH,
        &path,
        json!({"version": opp.version, "name": "A 方案"}),
    );
    let b = call(
        &manager,
        Method::PATCH,
        &path,
        json!({"version": opp.version, "name": "B 方案"}),
    );

    let ((sa, _), (sb, body_b)) = tokio::join!(a, b);

    let mut statuses = [sa.as_u16(), sb.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    if sb == 409 {
        let current: Opportunity = problem(body_b).current.unwrap().parse().unwrap();
        assert_eq!(current.version, opp.version + 1);
    }
    assert_eq!(get_deal(&rep, &opp.id).await.version, opp.version + 1);
}

/// At least thirty crafted attempts to get round a gate, a grade or an
/// approval: each refused, gate refusals with `shared::check`'s blockers.
#[tokio::test]
async fn crafted_attempts_around_gates_grades_and_approvals_are_all_refused() {
    let (rep, rep2, manager, channel) = (
        sign_in_as("rep").await,
        sign_in_as("rep2").await,
        sign_in_as("manager").await,
        sign_in_as("channel").await,
    );
    let config = config(&rep).await;
    let b = deal(&rep, "tender", 200_000_000).await;
    let id = b.id.clone();
    let p = |s: &str| format!("/api/opportunities/{id}{s}");
    let v = |o: &Opportunity| o.version;
    let refused = std::cell::Cell::new(0);
    let expect = |status: StatusCode, want: u16, what: &str, body: &Value| {
        assert_eq!(status.as_u16(), want, "{what}: {body}");
        refused.set(refused.get() + 1);
    };

    // Gate: skipping, middle-stage wins, stage 1, unknown stages, no reasons.
    let cur = get_deal(&rep, &id).await;
    for (t, body) in [
        (
            Transition::to(Target::Stage(key("negotiate"))),
            json!({"to": "negotiate", "version": v(&cur)}),
        ),
        (
            Transition::to(Target::Stage(key("analyze"))),
            json!({"to": "analyze", "version": v(&cur)}),
        ),
        (
            Transition::to(Target::Won),
            json!({"to": "won", "version": v(&cur)}),
        ),
        (
            Transition::to(Target::Stage(key("verify"))),
            json!({"to": "verify", "version": v(&cur), "reason": "x"}),
        ),
        (
            Transition::to(Target::Stage(key("nowhere"))),
            json!({"to": "nowhere", "version": v(&cur)}),
        ),
        (
            Transition::to(Target::Lost),
            json!({"to": "lost", "version": v(&cur)}),
        ),
        (
            Transition::to(Target::Stage(key("initiate"))),
            json!({"to": "initiate", "version": v(&cur)}),
        ),
    ] {
        let mut t = t;
        t.reason = body
            .get("reason")
            .and_then(|r| r.as_str())
            .map(str::to_string);
        assert_refused_like_shared(&rep, &config, &id, t, body).await;
        refused.set(refused.get() + 1);
    }
    let (s, body) = transition(&rep, &id, json!({"to": "Not A Key!", "version": v(&cur)})).await;
    expect(s, 400, "malformed target", &body);

    // Fields a client must not set.
    for field in [
        "stage",
        "grade",
        "status",
        "owner_id",
        "skipped",
        "track",
        "version_override",
    ] {
        let (s, body) = call(
            &rep,
            Method::PATCH,
            &p(""),
            json!({"version": v(&cur), field: "negotiate"}),
        )
        .await;
        expect(s, 400, &format!("PATCH {field}"), &body);
    }
    let (s, body) = call(
        &rep,
        Method::PATCH,
        &p(""),
        json!({"version": v(&cur), "amount": -5}),
    )
    .await;
    expect(s, 400, "negative amount", &body);
    let (s, body) = call(
        &rep,
        Method::PATCH,
        &p(""),
        json!({"version": v(&cur), "fields": {"project_budget": "lots"}}),
    )
    .await;
    expect(s, 422, "money field as text", &body);
    let (s, body) = call(
        &rep,
        Method::PATCH,
        &p(""),
        json!({"version": v(&cur), "fields": {"made_up": "x"}}),
    )
    .await;
    expect(s, 422, "unknown field", &body);
    let (s, body) = call(
        &rep,
        Method::PATCH,
        &p(""),
        json!({"version": v(&cur) - 1, "name": "stale"}),
    )
    .await;
    expect(s, 409, "stale version", &body);
    let (s, body) = call(
        &rep,
        Method::POST,
        &p("/tasks/no_such_task"),
        json!({"done": true, "version": v(&cur)}),
    )
    .await;
    expect(s, 422, "unknown task", &body);

    // Approvals: only the owner asks; never the owner decides; only the role decides.
    let (s, body) = call(
        &manager,
        Method::POST,
        &p("/approvals/initiation_review/request"),
        json!({"version": v(&cur)}),
    )
    .await;
    expect(s, 403, "manager requests for the owner", &body);
    let (s, body) = call(
        &manager,
        Method::POST,
        &p("/approvals/initiation_review/decide"),
        json!({"approve": true}),
    )
    .await;
    expect(s, 409, "decide with nothing pending", &body);
    let (s, body) = call(
        &rep,
        Method::POST,
        &p("/approvals/initiation_review/request"),
        json!({"version": v(&cur)}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = call(
        &rep,
        Method::POST,
        &p("/approvals/initiation_review/decide"),
        json!({"approve": true}),
    )
    .await;
    expect(s, 403, "owner approves own deal", &body);
    let (s, body) = call(
        &rep2,
        Method::POST,
        &p("/approvals/initiation_review/decide"),
        json!({"approve": true}),
    )
    .await;
    expect(s, 404, "another rep approves a deal they cannot see", &body);
    let (s, body) = call(
        &channel,
        Method::POST,
        &p("/approvals/initiation_review/decide"),
        json!({"approve": true}),
    )
    .await;
    expect(s, 404, "channel manager approves", &body);
    let cur = get_deal(&rep, &id).await;
    let (s, body) = call(
        &rep,
        Method::PUT,
        &p("/team"),
        json!({"members": [{"role": "presales", "user_id": rep2.me.id}], "version": v(&cur)}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = call(
        &rep2,
        Method::POST,
        &p("/approvals/initiation_review/decide"),
        json!({"approve": true}),
    )
    .await;
    expect(s, 403, "team member without the approver role", &body);
    let (s, body) = call(
        &manager,
        Method::POST,
        &p("/approvals/initiation_review/decide"),
        json!({"approve": false}),
    )
    .await;
    expect(s, 422, "reject without a comment", &body);
    let cur = get_deal(&rep, &id).await;
    let (s, body) = transition(&rep2, &id, json!({"to": "analyze", "version": v(&cur)})).await;
    expect(s, 403, "team member moves the deal", &body);
    let (s, body) = call(
        &rep,
        Method::PUT,
        &p("/team"),
        json!({"members": [{"role": "astrologer", "user_id": "u_rep2"}], "version": v(&cur)}),
    )
    .await;
    expect(s, 422, "unknown deal-team role", &body);

    // Grades: reps cannot override; no downgrades; a reason is required.
    let (s, body) = call(
        &rep,
        Method::POST,
        &p("/grade-override"),
        json!({"grade": "A", "reason": "x", "version": v(&cur)}),
    )
    .await;
    expect(s, 403, "rep overrides", &body);
    let (s, body) = call(
        &manager,
        Method::POST,
        &p("/grade-override"),
        json!({"grade": "C", "reason": "smaller", "version": v(&cur)}),
    )
    .await;
    expect(s, 422, "downgrade", &body);
    let (s, body) = call(
        &manager,
        Method::POST,
        &p("/grade-override"),
        json!({"grade": "A", "reason": " ", "version": v(&cur)}),
    )
    .await;
    expect(s, 422, "upgrade without a reason", &body);

    // Other people's deals and leads.
    let (s, body) = call(&rep2, Method::GET, &p(""), Value::Null).await;
    assert_eq!(s, 200, "rep2 is on the team now: {body}");
    let other = deal(&rep2, "direct", 10_000_000).await;
    let (s, body) = call(
        &rep,
        Method::GET,
        &format!("/api/opportunities/{}", other.id),
        Value::Null,
    )
    .await;
    expect(s, 404, "another rep's deal", &body);
    let (s, body) = transition(
        &rep,
        &other.id,
        json!({"to": "lost", "version": other.version, "lost": {"reason": "sabotage"}}),
    )
    .await;
    expect(s, 404, "lose another rep's deal", &body);
    let lead = ready_lead(&rep2, "tender").await;
    let (s, body) = call(
        &rep,
        Method::POST,
        &format!("/api/leads/{}/convert", lead.id),
        json!({"lead_by": "us", "amount": 1, "expected_close": "2027-01-01", "version": lead.version}),
    )
    .await;
    expect(s, 404, "convert another rep's lead", &body);
    let (s, body) = call(
        &rep2,
        Method::POST,
        &format!("/api/leads/{}/convert", lead.id),
        json!({"lead_by": "us", "amount": 1, "expected_close": "2027-01-01", "version": lead.version + 7}),
    )
    .await;
    expect(s, 409, "convert with a stale version", &body);

    // A closed deal takes nothing.
    let cur = get_deal(&rep, &id).await;
    let (s, body) = transition(&rep, &id, json!({"to": "lost", "version": v(&cur), "lost": {"reason": "budget cut", "competitor": "ACME"}})).await;
    assert_eq!(s, 200, "{body}");
    let closed = get_deal(&rep, &id).await;
    assert_refused_like_shared(
        &rep,
        &config,
        &id,
        Transition::to(Target::Stage(key("analyze"))),
        json!({"to": "analyze", "version": v(&closed)}),
    )
    .await;
    refused.set(refused.get() + 1);
    let (s, body) = call(
        &rep,
        Method::POST,
        &p("/tasks/initiation_report"),
        json!({"done": true, "version": v(&closed)}),
    )
    .await;
    expect(s, 409, "task on a closed deal", &body);
    let (s, body) = call(
        &rep,
        Method::PATCH,
        &p(""),
        json!({"version": v(&closed), "amount": 900000000}),
    )
    .await;
    expect(s, 409, "patch a closed deal", &body);

    assert!(refused.get() >= 30, "only {} attempts", refused.get());
    assert_eq!(get_deal(&rep, &id).await.status, shared::Status::Lost);
}

#[tokio::test]
async fn an_xss_payload_in_a_deal_name_is_stored_and_returned_as_plain_text() {
    let rep = sign_in_as("rep").await;
    let opp = deal(&rep, "direct", 10_000_000).await;
    let payload = "<img src=x onerror=alert(1)><script>alert(2)</script>";

    let (status, body) = call(
        &rep,
        Method::PATCH,
        &format!("/api/opportunities/{}", opp.id),
        json!({"version": opp.version, "name": payload}),
    )
    .await;

    assert_eq!(status, 200);
    assert_eq!(body["name"], payload);
}

#[tokio::test]
async fn reps_list_their_own_deals_and_those_they_are_staffed_on() {
    let (rep, rep2, manager) = (
        sign_in_as("rep").await,
        sign_in_as("rep2").await,
        sign_in_as("manager").await,
    );
    let mine = deal(&rep2, "direct", 10_000_000).await;
    let (_, page) = call(
        &rep,
        Method::GET,
        "/api/opportunities?limit=200&status=open",
        Value::Null,
    )
    .await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&mine.id.as_str()));

    let (s, _) = call(
        &rep2,
        Method::PUT,
        &format!("/api/opportunities/{}/team", mine.id),
        json!({"members": [{"role": "presales", "user_id": rep.me.id}], "version": mine.version}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, page) = call(
        &rep,
        Method::GET,
        &format!("/api/opportunities?q={}", urlencode(&mine.customer)),
        Value::Null,
    )
    .await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [mine.id.as_str()]);
    let (_, page) = call(
        &manager,
        Method::GET,
        "/api/opportunities?grade=D&pipeline=direct&limit=1",
        Value::Null,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_date_not_written_as_the_contract_says_is_refused_with_its_layout_and_the_lead_kept() {
    let rep = sign_in_as("rep").await;
    let lead = ready_lead(&rep, "tender").await;
    let convert = |close: &str| json!({"lead_by": "us", "amount": 100000, "expected_close": close, "version": lead.version});
    // Dates are `YYYY-MM-DD` (DESIGN.md); chrono's own reader took these too.
    for close in ["2027-6-30", " 2027-06-30", "2027/06/30", "2027-02-30"] {
        let (status, body) = call(
            &rep,
            Method::POST,
            &format!("/api/leads/{}/convert", lead.id),
            convert(close),
        )
        .await;
        assert_eq!(status, 400, "{close:?}: {body}");
        let p = problem(body);
        assert!(p.detail.contains("YYYY-MM-DD"), "{close:?}: {}", p.detail);
    }
    // Nothing was lost: the lead converts as it stood, with the same version.
    let (status, body) = call(
        &rep,
        Method::POST,
        &format!("/api/leads/{}/convert", lead.id),
        convert("2027-06-30"),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let deal: Opportunity = serde_json::from_value(body).unwrap();
    assert_eq!(deal.expected_close.to_string(), "2027-06-30");
}
