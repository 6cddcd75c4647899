//! A signed-in read of a session the isolate has seen reads the session in
//! the same D1 batch as its page (`api::ahead`), and still answers exactly
//! as the session in D1 says at that moment: signed out, deactivated or
//! with other roles, the guess is thrown away.

mod support;

use serde_json::json;
use support::deals::*;
use support::*;

#[test]
fn a_read_of_a_session_seen_before_reads_it_with_the_page_in_one_round_trip() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let first_batches = app.rt.db.batches();
    let first = rep.get("/api/opportunities");
    let first_batches = app.rt.db.batches() - first_batches;

    let batches = app.rt.db.batches();
    let again = rep.get("/api/opportunities");
    let batches = app.rt.db.batches() - batches;

    assert_eq!(first.status(), 200);
    assert_eq!(first_batches, 2, "unseen: the session, then the page");
    assert_eq!(again.status(), 200);
    assert_eq!(batches, 1, "seen: the session with the page");
    assert_eq!(again.json(), first.json());
    assert_eq!(
        again.header("x-config-version"),
        first.header("x-config-version")
    );
}

#[test]
fn a_read_run_ahead_after_sign_out_is_a_401_not_the_page() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    ok(rep.get("/api/opportunities"), 200);
    let out = rep.post("/api/auth/logout", json!({}));
    assert_eq!(out.status(), 204);

    let after = rep.get("/api/opportunities");

    problem(&after, 401, "unauthenticated");
}

#[test]
fn a_read_run_ahead_for_a_user_deactivated_meanwhile_is_a_401() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let rep2 = session(&app, REP2);
    ok(rep2.get("/api/leads"), 200);
    ok(
        admin.patch("/api/admin/users/u_rep2", json!({"active": false})),
        200,
    );

    let after = rep2.get("/api/leads");

    problem(&after, 401, "unauthenticated");
}

#[test]
fn a_read_run_ahead_for_a_user_renamed_meanwhile_answers_with_the_new_name() {
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let rep2 = session(&app, REP2);
    assert_eq!(
        ok(rep2.get("/api/me"), 200)["name"],
        json!(rep2.me.as_ref().unwrap().name)
    );
    ok(
        admin.patch("/api/admin/users/u_rep2", json!({"name": "韩梅梅"})),
        200,
    );

    let me = ok(rep2.get("/api/me"), 200);
    let batches = app.rt.db.batches();
    let again = ok(rep2.get("/api/me"), 200);
    let batches = app.rt.db.batches() - batches;

    assert_eq!(
        me["name"], "韩梅梅",
        "the guess (the old name) was thrown away"
    );
    assert_eq!(again["name"], "韩梅梅");
    assert_eq!(batches, 1, "seen again under the new name");
}

#[test]
fn a_read_run_ahead_for_a_user_whose_roles_changed_is_a_401() {
    // A change of roles ends the user's sessions (store::users::update).
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let manager = session(&app, MANAGER);
    ok(manager.get("/api/opportunities"), 200);
    ok(
        admin.patch("/api/admin/users/u_manager", json!({"roles": ["rep"]})),
        200,
    );

    let after = manager.get("/api/opportunities");

    problem(&after, 401, "unauthenticated");
}

#[test]
fn a_read_run_ahead_for_a_guess_that_fails_goes_no_further_than_its_first_batch() {
    // The pipeline report reads the config, refreshes the deals' gate
    // columns (a write) and sums: for a deactivated user none of that may
    // run past the batch that read the session with the config.
    let app = TestApp::new();
    let admin = session(&app, ADMIN);
    let rep2 = session(&app, REP2);
    ok(rep2.get("/api/reports/pipeline"), 200);
    ok(
        admin.patch("/api/admin/users/u_rep2", json!({"active": false})),
        200,
    );

    let batches = app.rt.db.batches();
    let after = rep2.get("/api/reports/pipeline");
    let batches = app.rt.db.batches() - batches;

    problem(&after, 401, "unauthenticated");
    assert_eq!(
        batches, 2,
        "the first batch with the session (refused), then the ordinary session read"
    );
}
