//! The approvals inbox on the host (issue #12): `GET /api/approvals` lists
//! exactly the pending approvals the caller may decide, across deals,
//! oldest request first; a decision or a closed deal takes it off.

mod support;

use serde_json::{Value, json};
use support::deals::*;
use support::*;

fn inbox(c: &Client<'_>) -> Vec<Value> {
    ok(c.get("/api/approvals"), 200)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn keyed(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["opportunity_id"].as_str().unwrap_or_default().to_string(),
                i["key"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_manager_sees_the_requested_approvals_of_every_deal_oldest_first_and_the_owner_never_their_own()
{
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    assert!(inbox(&manager).is_empty());

    let first = converted_deal(&rep, new_lead("First asked", "tender"), B_AMOUNT);
    let first = ok(request_approval(&rep, &first, "initiation_review"), 200);
    app.advance(chrono::Duration::seconds(60));
    let second = converted_deal(&rep2, new_lead("Asked later", "tender"), B_AMOUNT);
    let second = ok(request_approval(&rep2, &second, "initiation_review"), 200);

    let items = inbox(&manager);
    assert_eq!(
        keyed(&items),
        vec![
            (id(&first), "initiation_review".to_string()),
            (id(&second), "initiation_review".to_string()),
        ]
    );
    assert_eq!(items[0]["name"], "First asked");
    assert_eq!(items[0]["stage"], "initiate");
    assert_eq!(items[0]["label"]["en"], "Initiation review");
    assert_eq!(items[0]["requested_by"], "u_rep");
    assert_eq!(items[0]["owner_id"], "u_rep");
    // The owner never approves their own deal; a rep holds no approver role.
    assert!(inbox(&rep).is_empty());
    assert!(inbox(&rep2).is_empty());

    // Decided: off the inbox.
    ok(
        decide(
            &manager,
            &first,
            "initiation_review",
            json!({"approve": true, "comment": "同意"}),
        ),
        200,
    );
    assert_eq!(
        keyed(&inbox(&manager)),
        vec![(id(&second), "initiation_review".to_string())]
    );
}

#[test]
fn a_lost_deal_leaves_the_inbox_and_a_channel_manager_may_not_call_it() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let channel = session(&app, CHANNEL);
    let deal = converted_deal(&rep, new_lead("Will be lost", "tender"), B_AMOUNT);
    let deal = ok(request_approval(&rep, &deal, "initiation_review"), 200);
    assert_eq!(inbox(&manager).len(), 1);
    ok(
        transition(
            &rep,
            &deal,
            json!({"to": "lost", "lost": {"reason": "预算取消"}}),
        ),
        200,
    );
    assert!(inbox(&manager).is_empty());
    assert_eq!(channel.get("/api/approvals").status(), 403);
}

/// Each deal's `pending_approvals` column, and the count its document gives.
fn pending_columns(app: &TestApp) -> Vec<(String, i64, i64)> {
    use dealgate_server::store::Stmt;
    let out = block_on(app.db().batch(vec![Stmt::new(
        "SELECT id, pending_approvals, (SELECT COUNT(*) FROM json_each(doc, '$.approvals') \
         WHERE json_extract(value, '$.status') = 'pending') AS in_doc FROM opportunities ORDER BY id",
        vec![],
    )]))
    .expect("the rows");
    out.into_iter()
        .flat_map(|o| o.rows)
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["pending_approvals"].as_i64().unwrap_or(-1),
                r["in_doc"].as_i64().unwrap_or(-2),
            )
        })
        .collect()
}

#[test]
fn a_deals_row_counts_its_waiting_approvals_as_its_document_does_through_request_decision_and_loss()
{
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let agrees = |app: &TestApp| {
        let rows = pending_columns(app);
        for (id, column, in_doc) in &rows {
            assert_eq!(column, in_doc, "deal {id}");
        }
        rows.iter().map(|(_, c, _)| *c).sum::<i64>()
    };
    let kept = converted_deal(&rep, new_lead("Kept", "tender"), B_AMOUNT);
    let lost = converted_deal(&rep, new_lead("Lost", "tender"), B_AMOUNT);
    assert_eq!(agrees(&app), 0);

    let kept = ok(request_approval(&rep, &kept, "initiation_review"), 200);
    let lost = ok(request_approval(&rep, &lost, "initiation_review"), 200);
    assert_eq!(agrees(&app), 2);
    let kept = ok(
        decide(
            &manager,
            &kept,
            "initiation_review",
            json!({"approve": false, "comment": "补充材料"}),
        ),
        200,
    );
    assert_eq!(agrees(&app), 1);
    ok(request_approval(&rep, &kept, "initiation_review"), 200);
    assert_eq!(agrees(&app), 2);
    ok(
        transition(
            &rep,
            &lost,
            json!({"to": "lost", "lost": {"reason": "预算取消"}}),
        ),
        200,
    );
    // A lost deal keeps its count but leaves the inbox (open deals only).
    assert_eq!(agrees(&app), 2);
    assert_eq!(
        keyed(&inbox(&manager)),
        vec![(id(&kept), "initiation_review".to_string())]
    );
}

#[test]
fn the_inbox_reads_its_deals_with_the_config_in_one_round_trip_after_the_session() {
    let app = TestApp::new();
    let manager = session(&app, MANAGER);
    let before = app.rt.db.batches();

    let items = inbox(&manager);

    assert!(items.is_empty());
    assert_eq!(
        app.rt.db.batches() - before,
        2,
        "the session, then one batch"
    );
}
