//! Issue #12 on the host: a manager reopens a closed deal (the gate's
//! `reopen` transition), a disqualified lead is reopened, notes join a
//! record's trail, and every free text over its limit is a 422 naming the
//! field and the limit.

mod support;

use serde_json::{Value, json};
use support::deals::*;
use support::*;

fn lost_deal(c: &Client<'_>, title: &str) -> Value {
    let deal = converted_deal(c, new_lead(title, "tender"), B_AMOUNT);
    ok(
        transition(
            c,
            &deal,
            json!({"to": "lost", "lost": {"reason": "price", "competitor": "Rival"}}),
        ),
        200,
    )
}

#[test]
fn a_manager_reopens_a_lost_deal_into_its_stage_and_the_history_keeps_why() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let lost = lost_deal(&rep, "Reopen me");
    assert_eq!(lost["status"], "lost");

    // The owner may not reopen: only managers.
    let r = transition(&rep, &lost, json!({"to": "reopen", "reason": "came back"}));
    problem(&r, 403, "forbidden");
    // Without a reason the gate refuses it.
    let r = transition(&manager, &lost, json!({"to": "reopen"}));
    let p = problem(&r, 422, "blocked");
    assert_eq!(blockers(&p), pairs(&[("reason_required", "")]));

    let open = ok(
        transition(
            &manager,
            &lost,
            json!({"to": "reopen", "reason": "The customer came back"}),
        ),
        200,
    );
    assert_eq!(
        (&open["status"], &open["stage"], &open["lost"]),
        (&json!("open"), &lost["stage"], &Value::Null)
    );
    assert_eq!(version(&open), version(&lost) + 1);
    let h = history(&manager, &open);
    let reopened: Vec<&Value> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reopened")
        .collect();
    assert_eq!(reopened.len(), 1, "{h}");
    assert_eq!(reopened[0]["from"], "lost");
    assert_eq!(reopened[0]["reason"], "The customer came back");
    assert_eq!(reopened[0]["by"], "u_manager");
    // The list finds it open again.
    let page = ok(rep.get("/api/opportunities?status=open"), 200);
    assert!(ids(&page).contains(&id(&open)));
    // An open deal is not reopened; a stale version is 409.
    let r = transition(&manager, &open, json!({"to": "reopen", "reason": "again"}));
    let p = problem(&r, 422, "blocked");
    assert_eq!(blockers(&p), pairs(&[("not_closed", "")]));
    let r = transition(&manager, &lost, json!({"to": "reopen", "reason": "again"}));
    assert_eq!(r.status(), 409, "{}", r.text());
}

#[test]
fn a_disqualified_lead_is_reopened_with_a_reason_and_only_then() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let lead = create_lead(&rep, new_lead("Back again", "tender"));
    let path = format!("{}/reopen", lead_path(&lead));
    let r = rep.post(&path, at_version(json!({"reason": "x"}), &lead));
    problem(&r, 409, "not_disqualified");
    let out = ok(
        rep.post(
            &format!("{}/disqualify", lead_path(&lead)),
            at_version(json!({"reason": "no budget"}), &lead),
        ),
        200,
    );
    // Someone else's lead is not there for them.
    let r = rep2.post(&path, at_version(json!({"reason": "x"}), &out));
    assert_eq!(r.status(), 404, "{}", r.text());
    let r = rep.post(&path, at_version(json!({"reason": "  "}), &out));
    let p = problem(&r, 422, "required");
    assert_eq!(errors(&p), pairs(&[("reason", "required")]));
    let back = ok(
        rep.post(&path, at_version(json!({"reason": "budget found"}), &out)),
        200,
    );
    assert_eq!(back["status"], "working");
    assert_eq!(version(&back), version(&out) + 1);
    let h = ok(rep.get(&format!("{}/history", lead_path(&lead))), 200);
    assert_eq!(
        kinds(&h),
        strings(&["created", "disqualified", "lead_reopened"])
    );
    // Workable again: it can be disqualified again.
    ok(
        rep.post(
            &format!("{}/disqualify", lead_path(&lead)),
            at_version(json!({"reason": "still no"}), &back),
        ),
        200,
    );
}

#[test]
fn notes_join_the_trail_of_deals_and_leads_without_touching_the_version() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("Noted", "tender"), B_AMOUNT);
    let note = ok(
        rep.post(
            &format!("{}/notes", deal_path(&deal)),
            json!({"text": "  Called the CIO; budget in Q3  "}),
        ),
        201,
    );
    assert_eq!(note["kind"], "note_added");
    assert_eq!(note["text"], "Called the CIO; budget in Q3");
    assert_eq!(note["by"], "u_rep");
    // A manager adds one too; a stranger cannot see the deal at all.
    ok(
        manager.post(
            &format!("{}/notes", deal_path(&deal)),
            json!({"text": "Push for a pilot"}),
        ),
        201,
    );
    let r = rep2.post(
        &format!("{}/notes", deal_path(&deal)),
        json!({"text": "hi"}),
    );
    assert_eq!(r.status(), 404, "{}", r.text());
    let now = ok(rep.get(&deal_path(&deal)), 200);
    assert_eq!(now["version"], deal["version"], "a note is not an edit");
    let h = history(&rep, &deal);
    let texts: Vec<&str> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note_added")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Called the CIO; budget in Q3", "Push for a pilot"]);

    // Empty and overlong notes are refused, naming the field and the limit.
    let r = rep.post(&format!("{}/notes", deal_path(&deal)), json!({"text": " "}));
    let p = problem(&r, 422, "required");
    assert_eq!(errors(&p), pairs(&[("text", "required")]));
    let r = rep.post(
        &format!("{}/notes", deal_path(&deal)),
        json!({"text": "长".repeat(2_001)}),
    );
    let p = problem(&r, 422, "too_long");
    assert_eq!(errors(&p), pairs(&[("text", "too_long")]));
    assert!(
        p["errors"][0]["message"].as_str().unwrap().contains("2000"),
        "{p}"
    );
    // Exactly at the limit is fine.
    ok(
        rep.post(
            &format!("{}/notes", deal_path(&deal)),
            json!({"text": "长".repeat(2_000)}),
        ),
        201,
    );

    // Leads: the same, on their own trail.
    let lead = create_lead(&rep, new_lead("Lead noted", "tender"));
    ok(
        rep.post(
            &format!("{}/notes", lead_path(&lead)),
            json!({"text": "Met at the fair"}),
        ),
        201,
    );
    let r = rep2.post(&format!("{}/notes", lead_path(&lead)), json!({"text": "x"}));
    assert_eq!(r.status(), 404, "{}", r.text());
    let h = ok(rep.get(&format!("{}/history", lead_path(&lead))), 200);
    assert_eq!(kinds(&h), strings(&["created", "note_added"]));
}

#[test]
fn free_texts_of_moves_and_decisions_over_their_limits_are_422_naming_field_and_limit() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("Long texts", "tender"), B_AMOUNT);
    let r = transition(
        &rep,
        &deal,
        json!({"to": "lost", "lost": {"reason": "r".repeat(2_001)}}),
    );
    let p = problem(&r, 422, "too_long");
    assert_eq!(errors(&p), pairs(&[("lost.reason", "too_long")]));
    let r = transition(
        &rep,
        &deal,
        json!({"to": "lost", "lost": {"reason": "price", "competitor": "c".repeat(201)}}),
    );
    let p = problem(&r, 422, "too_long");
    assert_eq!(errors(&p), pairs(&[("lost.competitor", "too_long")]));
    assert!(p["detail"].as_str().unwrap().contains("200"), "{p}");
    let r = rep.patch(
        &deal_path(&deal),
        at_version(json!({"name": "n".repeat(201)}), &deal),
    );
    let p = problem(&r, 422, "too_long");
    assert_eq!(errors(&p), pairs(&[("name", "too_long")]));
    // Nothing of it was written.
    let now = ok(rep.get(&deal_path(&deal)), 200);
    assert_eq!(
        (&now["version"], &now["status"]),
        (&deal["version"], &json!("open"))
    );
}

#[test]
fn a_new_lead_is_warned_of_open_leads_and_deals_for_the_same_customer_and_project() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let mine = create_lead(&rep, lead_for("MES rollout", "Acme Co., Ltd.", "tender"));
    let theirs = converted_deal(&rep2, lead_for("MES Rollout", "ACME", "tender"), B_AMOUNT);
    create_lead(&rep, lead_for("Payroll", "Acme", "tender"));
    let url = "/api/duplicates?customer=%EF%BC%A1cme%20Ltd&title=mes%20rollout";
    let page = ok(rep.get(url), 200);
    let found: Vec<(String, String, bool)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["id"].as_str().unwrap().to_string(),
                d["visible"].as_bool().unwrap(),
            )
        })
        .collect();
    // Theirs is named but not linked for the rep; everything is for a manager.
    assert_eq!(
        found,
        vec![
            ("lead".to_string(), id(&mine), true),
            ("opportunity".to_string(), id(&theirs), false),
        ]
    );
    let page = ok(manager.get(url), 200);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["visible"] == true)
    );
    // A disqualified lead is no longer a duplicate.
    ok(
        rep.post(
            &format!("{}/disqualify", lead_path(&mine)),
            at_version(json!({"reason": "dup"}), &mine),
        ),
        200,
    );
    assert_eq!(ids(&ok(rep.get(url), 200)), vec![id(&theirs)]);
    // Both parts are required.
    let r = rep.get("/api/duplicates?customer=Acme");
    let p = problem(&r, 422, "invalid");
    assert_eq!(errors(&p), pairs(&[("title", "required")]));
}

#[test]
fn the_board_counts_and_sums_every_open_deal_of_each_column_and_pages_its_cards() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    // Three of the rep's deals and one of rep2's in the first deal stage.
    let mut mine = Vec::new();
    for i in 0..3 {
        // A second apart: newest first is a defined order.
        app.advance(chrono::Duration::seconds(1));
        mine.push(converted_deal(
            &rep,
            new_lead(&format!("Board {i}"), "tender"),
            B_AMOUNT,
        ));
    }
    converted_deal(&rep2, new_lead("Board theirs", "tender"), B_AMOUNT);
    let first = mine[0]["stage"].as_str().unwrap().to_string();
    let column = |board: &Value, stage: &str| -> Value {
        board["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["stage"] == stage)
            .cloned()
            .unwrap_or_else(|| panic!("no column {stage} in {board}"))
    };
    // A page of 2: the count is all 3 of the rep's, the cards 2 with a cursor.
    let board = ok(rep.get("/api/board?pipeline=tender&limit=2"), 200);
    assert_eq!(board["pipeline"], "tender");
    let c = column(&board, &first);
    assert_eq!(c["count"], 3);
    assert_eq!(c["amount"], 3 * B_AMOUNT);
    let probability = stage("tender", &first).probability as i64;
    assert_eq!(c["weighted"], 3 * B_AMOUNT * probability / 100);
    assert_eq!(c["items"].as_array().unwrap().len(), 2);
    assert_eq!(c["items"][0]["id"], mine[2]["id"], "newest first");
    // The column's next page is the list's, with the same filters.
    let cursor = c["next_cursor"].as_str().unwrap();
    let more = ok(
        rep.get(&format!(
            "/api/opportunities?pipeline=tender&stage={first}&status=open&limit=2&cursor={cursor}"
        )),
        200,
    );
    assert_eq!(ids(&more), vec![id(&mine[0])]);
    // Stage 1 is not a column; every deal stage is, empty or not.
    let stages: Vec<&str> = board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["stage"].as_str().unwrap())
        .collect();
    assert!(!stages.contains(&"verify"), "{stages:?}");
    assert!(column(&board, "negotiate")["count"] == 0);
    // A manager counts everyone's; filtered by owner, one rep's.
    let all = ok(manager.get("/api/board?pipeline=tender"), 200);
    assert!(column(&all, &first)["count"].as_u64().unwrap() >= 4);
    let theirs = ok(manager.get("/api/board?pipeline=tender&owner=u_rep2"), 200);
    assert_eq!(column(&theirs, &first)["count"], 1);
    // Search narrows the count too.
    let found = ok(rep.get("/api/board?pipeline=tender&q=Board%201"), 200);
    assert_eq!(column(&found, &first)["count"], 1);
    // A won or lost deal leaves the board's sums.
    ok(
        transition(
            &rep,
            &mine[1],
            json!({"to": "lost", "lost": {"reason": "price"}}),
        ),
        200,
    );
    let after = ok(rep.get("/api/board?pipeline=tender"), 200);
    assert_eq!(column(&after, &first)["count"], 2);
    // Unknown filters and pipelines are refused, not ignored.
    assert_eq!(rep.get("/api/board?stage=x").status(), 400);
    assert_eq!(rep.get("/api/board?pipeline=nope").status(), 404);
}

#[test]
fn a_win_signed_after_today_is_refused_naming_the_signing_date() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = deal_in_final_stage(&rep, "Future", "tender");
    let deal = tick(&rep, &deal_path(&deal), "contract_draft", &deal);
    // The test clock reads 2026-12-01: the 3rd is after today anywhere.
    let r = transition(
        &rep,
        &deal,
        json!({"to": "won", "contract": {"number": "HT-F", "amount": 100, "signed_on": "2026-12-03"}}),
    );
    let p = problem(&r, 422, "blocked");
    assert_eq!(blockers(&p), pairs(&[("field", "signed_on")]));
    let now = ok(rep.get(&deal_path(&deal)), 200);
    assert_eq!(
        (&now["status"], &now["version"]),
        (&json!("open"), &deal["version"])
    );
    // Tomorrow is still today somewhere east: allowed.
    ok(
        transition(
            &rep,
            &deal,
            json!({"to": "won", "contract": {"number": "HT-F", "amount": 100, "signed_on": "2026-12-02"}}),
        ),
        200,
    );
}
