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
fn an_unknown_sort_is_a_400_and_leads_take_none() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let r = rep.get("/api/opportunities?sort=name");
    assert_eq!(r.status(), 400, "{}", r.text());
    let r = rep.get("/api/leads?sort=amount");
    assert_eq!(r.status(), 400, "{}", r.text());
    let v: Value = ok(rep.get("/api/opportunities?sort=-amount"), 200);
    assert!(v["items"].is_array());
}
