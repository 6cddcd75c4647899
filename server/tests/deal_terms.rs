//! A deal's own terms on the host (issue #12): a positive amount only, and a
//! manager handing the deal to another salesperson, audited, versioned and
//! refused to anyone else.

mod support;

use serde_json::{Value, json};
use support::deals::*;
use support::*;

fn history_kinds(c: &Client<'_>, deal: &Value) -> Vec<Value> {
    let h = ok(c.get(&format!("{}/history", deal_path(deal))), 200);
    h.as_array()
        .or_else(|| h["items"].as_array())
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_deal_amount_of_zero_is_422_not_positive_and_changes_nothing() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let deal = converted_deal(&rep, new_lead("Zero", "tender"), B_AMOUNT);
    let r = rep.patch(
        &deal_path(&deal),
        json!({"amount": 0, "version": deal["version"]}),
    );
    assert_eq!(r.status(), 422, "{}", r.text());
    assert_eq!(r.code(), "not_positive");
    let now = ok(rep.get(&deal_path(&deal)), 200);
    assert_eq!(now["version"], deal["version"]);
    assert_eq!(now["amount"], deal["amount"]);
}

#[test]
fn a_manager_hands_a_deal_to_another_rep_who_then_sees_it_and_the_history_says_so() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("Handover", "tender"), B_AMOUNT);
    assert_eq!(rep2.get(&deal_path(&deal)).status(), 404);

    let moved = ok(
        manager.put(
            &format!("{}/owner", deal_path(&deal)),
            json!({"owner_id": "u_rep2", "version": deal["version"]}),
        ),
        200,
    );
    assert_eq!(moved["owner_id"], "u_rep2");
    assert_eq!(moved["version"], deal["version"].as_u64().unwrap() + 1);
    // The new owner sees it; the old one no longer does.
    ok(rep2.get(&deal_path(&deal)), 200);
    assert_eq!(rep.get(&deal_path(&deal)).status(), 404);
    let changed: Vec<Value> = history_kinds(&manager, &deal)
        .into_iter()
        .filter(|e| e["kind"] == "owner_changed")
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["from"], "u_rep");
    assert_eq!(changed[0]["to"], "u_rep2");
    assert_eq!(changed[0]["by"], "u_manager");

    // A stale version is 409; the same owner again is no write.
    let stale = manager.put(
        &format!("{}/owner", deal_path(&deal)),
        json!({"owner_id": "u_rep", "version": deal["version"]}),
    );
    assert_eq!(stale.status(), 409);
    let same = ok(
        manager.put(
            &format!("{}/owner", deal_path(&deal)),
            json!({"owner_id": "u_rep2", "version": moved["version"]}),
        ),
        200,
    );
    assert_eq!(same["version"], moved["version"]);
}

#[test]
fn only_managers_change_owners_and_only_to_an_active_salesperson() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let manager = session(&app, MANAGER);
    let deal = converted_deal(&rep, new_lead("Kept", "tender"), B_AMOUNT);
    let path = format!("{}/owner", deal_path(&deal));
    // The owner may not give it away; the route is for managers.
    let r = rep.put(
        &path,
        json!({"owner_id": "u_rep2", "version": deal["version"]}),
    );
    assert_eq!(r.status(), 403, "{}", r.text());
    // Nobody, a channel manager and an admin-only account do not sell.
    for to in ["u_nobody", "u_channel", "u_admin"] {
        let r = manager.put(&path, json!({"owner_id": to, "version": deal["version"]}));
        assert_eq!(r.status(), 422, "{to}: {}", r.text());
        assert_eq!(r.code(), "invalid", "{to}");
        let issue = &r.json()["errors"][0];
        assert_eq!(
            (issue["field"].as_str(), issue["code"].as_str()),
            (Some("owner_id"), Some("unknown_user")),
            "{to}: {issue}"
        );
    }
    let now = ok(rep.get(&deal_path(&deal)), 200);
    assert_eq!(now["owner_id"], "u_rep");
    assert_eq!(now["version"], deal["version"]);
}
