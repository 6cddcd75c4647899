//! The deal list's sorts on the host (issue #12): by amount, expected
//! close, days in stage and grade, either way, paged by cursor without
//! losing or repeating a deal; an unknown sort is refused.

mod support;

use serde_json::{Value, json};
use support::deals::*;
use support::*;

/// Every page of `path` (which has `limit`), following the cursor.
fn all_pages(c: &Client<'_>, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(k) => format!("{path}&cursor={k}"),
            None => path.to_string(),
        };
        let page = ok(c.get(&url), 200);
        out.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return out,
        }
    }
}

#[test]
fn the_deal_list_sorts_by_amount_close_days_and_grade_and_pages_in_that_order() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    // Three deals: amounts 5, 2, 9 (millions), closes in 2027-03, -01, -02,
    // entered their stage ten minutes apart.
    let mut deals = Vec::new();
    for (title, millions, close) in [
        ("Five", 5, "2027-03-01"),
        ("Two", 2, "2027-01-01"),
        ("Nine", 9, "2027-02-01"),
    ] {
        app.advance(chrono::Duration::minutes(10));
        let d = converted_deal(&rep, new_lead(title, "tender"), millions * 100_000_000);
        let d = ok(
            rep.patch(
                &deal_path(&d),
                at_version(json!({"expected_close": close}), &d),
            ),
            200,
        );
        deals.push(d);
    }
    app.advance(chrono::Duration::minutes(10));
    let [five, two, nine] = [&deals[0], &deals[1], &deals[2]].map(id);
    let list = |sort: &str| {
        all_pages(
            &rep,
            &format!("/api/opportunities?status=open&limit=1&sort={sort}"),
        )
    };

    assert_eq!(
        list("amount"),
        vec![two.clone(), five.clone(), nine.clone()]
    );
    assert_eq!(
        list("-amount"),
        vec![nine.clone(), five.clone(), two.clone()]
    );
    assert_eq!(list("close"), vec![two.clone(), nine.clone(), five.clone()]);
    assert_eq!(
        list("-close"),
        vec![five.clone(), nine.clone(), two.clone()]
    );
    // Days in stage: "Five" entered first, so it has been there longest.
    assert_eq!(list("days"), vec![nine.clone(), two.clone(), five.clone()]);
    assert_eq!(list("-days"), vec![five.clone(), two.clone(), nine.clone()]);
    // Grade: A first (9 M is A, 5 M B, 2 M C by the default thresholds).
    let grades = |ids: Vec<String>| -> Vec<String> {
        ids.iter()
            .map(|i| {
                ok(rep.get(&format!("/api/opportunities/{i}")), 200)["grade"]["effective"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let by_grade = grades(list("grade"));
    let mut sorted = by_grade.clone();
    sorted.sort();
    assert_eq!(by_grade, sorted);
    // The newest-first default still holds without a sort.
    let newest = all_pages(&rep, "/api/opportunities?status=open&limit=2");
    assert_eq!(newest, vec![nine, two, five]);
}

#[test]
fn an_unknown_sort_or_view_is_a_400_and_leads_take_neither() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let r = rep.get("/api/opportunities?sort=name");
    assert_eq!(r.status(), 400, "{}", r.text());
    let r = rep.get("/api/leads?sort=amount");
    assert_eq!(r.status(), 400, "{}", r.text());
    let v: Value = ok(rep.get("/api/opportunities?sort=-amount"), 200);
    assert!(v["items"].is_array());
    // The deal list's only view is its rows (an empty one is none).
    let r = rep.get("/api/opportunities?view=summary");
    assert_eq!(r.status(), 400, "{}", r.text());
    assert!(r.text().contains("view"), "{}", r.text());
    ok(rep.get("/api/opportunities?view="), 200);
    let r = rep.get("/api/leads?view=rows");
    assert_eq!(r.status(), 400, "{}", r.text());
}

/// The lines of SQLite's plan for a rep's list page under `query`: whole
/// records, or the list's rows (`view=rows`).
fn rep_list_plan(app: &TestApp, query: &[(&str, &str)], rows: bool) -> Vec<String> {
    use dealgate_server::store::opportunities;
    let pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let query = dealgate_server::listing::parse_list_query(&pairs, opportunities::LIST_FILTERS)
        .expect("a list query");
    let rep = shared::user::Actor::new("u_rep", &[shared::user::Role::Rep]);
    let statement = match rows {
        true => opportunities::rows_statement,
        false => opportunities::list_statement,
    };
    plan(
        app,
        statement(opportunities::visible(&rep), &query).expect("a statement"),
    )
}

/// The lines of SQLite's plan for `stmt`.
fn plan(app: &TestApp, stmt: dealgate_server::store::Stmt) -> Vec<String> {
    use dealgate_server::store::Stmt;
    let plan = block_on(app.db().batch(vec![Stmt::new(
        format!("EXPLAIN QUERY PLAN {}", stmt.sql),
        stmt.params,
    )]))
    .expect("a plan");
    plan.into_iter()
        .flat_map(|o| o.rows)
        .map(|r| {
            r.get("detail")
                .and_then(|d| d.as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn a_reps_list_reads_their_own_deals_and_their_staffed_ones_each_from_an_index_in_order() {
    let app = TestApp::new();
    for query in [
        vec![("limit", "50")],
        vec![("limit", "50"), ("status", "open"), ("pipeline", "tender")],
        vec![("limit", "50"), ("sort", "-amount")],
        vec![("limit", "50"), ("sort", "close")],
        vec![("limit", "50"), ("sort", "days")],
        vec![("limit", "50"), ("sort", "grade"), ("status", "open")],
    ] {
        for rows in [false, true] {
            let plan = rep_list_plan(&app, &query, rows);
            let shown = format!("{query:?} (rows: {rows}): {plan:#?}");
            assert!(
                !plan.iter().any(|l| l.starts_with("SCAN opportunities")),
                "a full scan: {shown}"
            );
            let left = plan.iter().position(|l| l == "LEFT").expect(&shown);
            let right = plan.iter().position(|l| l == "RIGHT").expect(&shown);
            // The own half: one search of an index led by the owner, read in
            // the page's order (no sort of its own before its rows go out).
            let own: Vec<&String> = plan[left..right].iter().collect();
            let search = own
                .iter()
                .position(|l| l.starts_with("SEARCH opportunities USING INDEX opportunities_owner"))
                .unwrap_or_else(|| panic!("the own half reads no owner index: {shown}"));
            assert!(
                own[search + 1].starts_with("SCAN (subquery"),
                "the own half sorts: {shown}"
            );
            // The staffed half starts from the rep's team rows.
            let staffed: Vec<&String> = plan[right..].iter().collect();
            let first_search = staffed
                .iter()
                .find(|l| l.starts_with("SEARCH"))
                .expect(&shown);
            assert!(
                first_search.starts_with("SEARCH deal_members"),
                "the staffed half starts elsewhere: {shown}"
            );
        }
    }
}

#[test]
fn the_lists_rows_are_its_records_cut_to_a_row_in_the_same_order_and_pages() {
    use shared::api::Page;
    use shared::{Opportunity, OpportunityRow};
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    own_and_staffed(&rep, &rep2);
    // Three days on (signed in again: the sessions were idle that long).
    app.advance(chrono::Duration::days(3));
    for (who, n) in [(&session(&app, REP), 4), (&session(&app, MANAGER), 5)] {
        let whole: Page<Opportunity> =
            serde_json::from_value(ok(who.get("/api/opportunities?limit=50"), 200))
                .expect("records");
        let rows: Page<OpportunityRow> =
            serde_json::from_value(ok(who.get("/api/opportunities?limit=50&view=rows"), 200))
                .expect("rows");
        assert_eq!(rows.items.len(), n);
        let want: Vec<OpportunityRow> = whole.items.iter().map(OpportunityRow::from).collect();
        assert_eq!(rows.items, want, "each row is its record's");
        let today = app.now();
        for (row, deal) in rows.items.iter().zip(&whole.items) {
            assert_eq!(row.days_in_stage(today), deal.days_in_stage(today));
            assert_eq!(row.days_in_stage(today), 3);
        }
        for sort in ["", "&sort=-amount", "&sort=grade", "&sort=days"] {
            assert_eq!(
                all_pages(who, &format!("/api/opportunities?limit=2&view=rows{sort}")),
                all_pages(who, &format!("/api/opportunities?limit=2{sort}")),
                "sort {sort:?}: the same deals, the same pages"
            );
        }
    }
}

/// Three deals of `rep`'s own, one of `rep2`'s with `rep` on its team, and
/// one of `rep2`'s that `rep` may not see: the ids `rep` sees.
fn own_and_staffed(rep: &Client<'_>, rep2: &Client<'_>) -> Vec<String> {
    let mut visible = Vec::new();
    for (i, amount) in [C_AMOUNT, A_AMOUNT, D_AMOUNT].into_iter().enumerate() {
        let deal = converted_deal(
            rep,
            lead_for(&format!("Own {i}"), "Alpha", "direct"),
            amount,
        );
        visible.push(id(&deal));
    }
    let staffed = converted_deal(rep2, lead_for("Staffed", "Bravo", "direct"), B_AMOUNT);
    ok(
        set_team(
            rep2,
            &staffed,
            json!([{"role": "presales", "user_id": "u_rep"}]),
        ),
        200,
    );
    visible.push(id(&staffed));
    converted_deal(rep2, lead_for("Not theirs", "Delta", "direct"), D_AMOUNT);
    visible
}

/// A deal of rep2's on which the rep is staffed twice over (two roles).
fn staffed_twice(rep2: &Client<'_>) -> String {
    let twice = converted_deal(rep2, lead_for("Twice", "Charlie", "direct"), C_AMOUNT);
    ok(
        set_team(
            rep2,
            &twice,
            json!([{"role": "presales", "user_id": "u_rep"}, {"role": "delivery", "user_id": "u_rep"}]),
        ),
        200,
    );
    id(&twice)
}

#[test]
fn the_boards_sums_count_own_and_staffed_deals_once_each_from_covering_indexes() {
    use dealgate_server::store::opportunities;
    use shared::user::{Actor, Role};
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let mut visible = own_and_staffed(&rep, &rep2);
    // Staffed twice over (two roles): counted once.
    visible.push(staffed_twice(&rep2));
    // The rep's board counts and sums exactly the open deals they may read.
    let board = ok(rep.get("/api/board?pipeline=direct"), 200);
    let columns = board["columns"].as_array().unwrap();
    let count: u64 = columns.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    let amount: i64 = columns.iter().map(|c| c["amount"].as_i64().unwrap()).sum();
    let mut expected = 0;
    for deal in &visible {
        expected += ok(rep.get(&format!("/api/opportunities/{deal}")), 200)["amount"]
            .as_i64()
            .unwrap();
    }
    assert_eq!((count, amount), (visible.len() as u64, expected), "{board}");

    // Read from indexes that hold the stage and the amount: the rep's own
    // deals from the owner's, the staffed ones through the rep's team rows;
    // a manager's from the pipeline's.
    let pairs: Vec<(String, String)> = [("pipeline", "direct"), ("status", "open")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let query = dealgate_server::listing::parse_list_query(&pairs, opportunities::LIST_FILTERS)
        .expect("a list query");
    let sums = |actor: Actor| {
        let filter = opportunities::narrowed(opportunities::visible(&actor), &query);
        plan(&app, opportunities::board_sums_statement(filter))
    };
    let rep_plan = sums(Actor::new("u_rep", &[Role::Rep]));
    assert!(
        !rep_plan.iter().any(|l| l.starts_with("SCAN opportunities")),
        "{rep_plan:#?}"
    );
    assert!(
        rep_plan.iter().any(|l| l
            == "SEARCH opportunities USING COVERING INDEX opportunities_owner_board (owner_id=? AND pipeline=? AND status=?)"),
        "{rep_plan:#?}"
    );
    assert!(
        rep_plan
            .iter()
            .any(|l| l.starts_with("SEARCH deal_members")),
        "{rep_plan:#?}"
    );
    let manager_plan = sums(Actor::new("u_manager", &[Role::Manager]));
    assert!(
        manager_plan.iter().any(|l| l
            == "SEARCH opportunities USING COVERING INDEX opportunities_board (pipeline=? AND status=?)"),
        "{manager_plan:#?}"
    );
}

#[test]
fn a_reps_pages_hold_their_own_and_staffed_deals_once_each_in_every_order() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let rep2 = session(&app, REP2);
    let mut visible = own_and_staffed(&rep, &rep2);
    // Staffed twice over (two roles), and a deal the rep may not see.
    visible.push(staffed_twice(&rep2));

    let manager = session(&app, MANAGER);
    for sort in [
        "",
        "&sort=-amount",
        "&sort=amount",
        "&sort=close",
        "&sort=days",
        "&sort=grade",
    ] {
        let everyone = all_pages(&manager, &format!("/api/opportunities?limit=50{sort}"));
        let want: Vec<String> = everyone
            .into_iter()
            .filter(|d| visible.contains(d))
            .collect();
        let got = all_pages(&rep, &format!("/api/opportunities?limit=1{sort}"));
        assert_eq!(
            got, want,
            "sort {sort:?}: the manager's order, the rep's deals"
        );
        let got = all_pages(&rep, &format!("/api/opportunities?limit=1&view=rows{sort}"));
        assert_eq!(got, want, "sort {sort:?}: the list's rows, one a page");
        let got = all_pages(
            &rep,
            &format!("/api/opportunities?limit=2&status=open{sort}"),
        );
        assert_eq!(got, want, "sort {sort:?}, open, by twos");
    }
}
