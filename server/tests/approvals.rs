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
