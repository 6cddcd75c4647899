//! Reports and forecast on the host (issue #13): `GET /api/reports/pipeline`
//! against a fixture computed by hand on the `direct` pipeline (funnel,
//! forecast months and categories, aging, conversion, win rates, gate
//! debt, lost reasons; a rep's own deals, a manager's everyone's), the
//! forecast category with commit only while the gate allows, reopened and
//! regraded deals, the list's link filters agreeing with the report's
//! cells, and the streamed CSV export.

mod support;

use dealgate_server::http::Method;
use serde_json::{Value, json};
use shared::report::{ForecastMonth, PipelineReport, Tally, WinRate, kind_name};
use support::deals::*;
use support::*;

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

fn report(c: &Client<'_>, query: &str) -> PipelineReport {
    let r = c.get(&format!("/api/reports/pipeline?{query}"));
    assert_eq!(r.status(), 200, "{}", r.text());
    r.parse()
}

/// `(stage, probability, count, amount, weighted)` per funnel stage.
fn funnel(r: &PipelineReport) -> Vec<(&str, u8, u64, i64, i64)> {
    r.funnel
        .iter()
        .map(|s| {
            (
                s.stage.as_str(),
                s.probability,
                s.count,
                s.amount,
                s.weighted,
            )
        })
        .collect()
}

/// `(count, amount, weighted, [pipeline, best_case, commit, closed])`.
fn month(r: &PipelineReport, m: &str) -> (u64, i64, i64, [i64; 4]) {
    let f: &ForecastMonth = r
        .forecast
        .iter()
        .find(|f| f.month == m)
        .unwrap_or_else(|| panic!("no month {m} in {:?}", r.forecast));
    let cats = [f.pipeline, f.best_case, f.commit, f.closed];
    (f.count, f.amount, f.weighted, cats)
}

/// `(key, won, lost, rate, avg cycle days)`.
/// A win-rate row as `(key, won, lost, rate, average cycle)`.
type RateRow<'a> = (&'a str, u64, u64, Option<u8>, Option<i64>);

fn rates(v: &[WinRate]) -> Vec<RateRow<'_>> {
    v.iter()
        .map(|w| (w.key.as_str(), w.won, w.lost, w.rate, w.avg_cycle_days))
        .collect()
}

/// The aging section as JSON.
fn aging(r: &PipelineReport) -> Value {
    serde_json::to_value(&r.aging).unwrap()
}

/// Every id of a list (`path` has a query), following the cursor.
fn list_ids(c: &Client<'_>, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(k) => format!("{path}&limit=200&cursor={k}"),
            None => format!("{path}&limit=200"),
        };
        let page = ok(c.get(&url), 200);
        out.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return out,
        }
    }
}

fn set_forecast(c: &Client<'_>, deal: &Value, category: &str) -> Resp {
    c.post(
        &format!("{}/forecast", deal_path(deal)),
        json!({"category": category, "version": version(deal)}),
    )
}

/// `PATCH` the deal with `body` at its version.
fn edit(c: &Client<'_>, deal: &Value, body: Value) -> Value {
    ok(c.patch(&deal_path(deal), at_version(body, deal)), 200)
}

fn lose(c: &Client<'_>, deal: &Value) -> Value {
    let body = json!({"to": "lost", "lost": {"reason": "price", "competitor": "Rival"}});
    ok(transition(c, deal, body), 200)
}

/// A fast-track deal jumped from initiate to negotiate and won there,
/// its contract signed on `signed_on`.
fn win_fast(c: &Client<'_>, deal: Value, signed_on: &str) -> Value {
    let deal = work_stage(c, deal);
    let deal = ok(transition(c, &deal, json!({"to": "negotiate"})), 200);
    let deal = tick(c, &deal_path(&deal), "contract_draft", &deal);
    let contract = json!({"number": "HT-1", "amount": deal["amount"], "signed_on": signed_on});
    ok(
        transition(c, &deal, json!({"to": "won", "contract": contract})),
        200,
    )
}

/// A C deal (500,000 CNY, close 2027-03-31) moved stage by stage to
/// `propose` (60 %), nothing of that stage done yet.
fn deal_in_propose(c: &Client<'_>, title: &str) -> Value {
    let deal = converted_deal(c, lead_for(title, "Foxtrot", "direct"), C_AMOUNT);
    let deal = work_stage(c, deal);
    let deal = ok(transition(c, &deal, json!({"to": "analyze"})), 200);
    ok(transition(c, &deal, json!({"to": "propose"})), 200)
}

/// The hand-computed fixture, all on `direct`. At 2026-12-01 09:00 the
/// rep converts `staying` (C, 500,000 CNY, stays in initiate), `won` (D,
/// 100,000, jumped to negotiate), `lost` (C, lost: price / Rival) and
/// leaves one lead unconverted; REP2 converts `other` (A, 6,000,000). On
/// 12-03 the rep converts `overdue` (B, 2,000,000, close moved to
/// 2026-11-15); on 12-04 `won` is won. Then the clock runs to 12-26 09:00,
/// past initiate's 21 days for both open deals of the rep.
struct Fixture {
    overdue: Value,
    won: Value,
}

fn fixture(app: &TestApp) -> Fixture {
    let rep = session(app, REP);
    converted_deal(&rep, lead_for("Staying", "Alpha", "direct"), C_AMOUNT);
    let won = converted_deal(&rep, lead_for("Won", "Bravo", "direct"), D_AMOUNT);
    let won = work_stage(&rep, won);
    let won = ok(transition(&rep, &won, json!({"to": "negotiate"})), 200);
    let won = tick(&rep, &deal_path(&won), "contract_draft", &won);
    lose(
        &rep,
        &converted_deal(&rep, lead_for("Lost", "Charlie", "direct"), C_AMOUNT),
    );
    create_lead(&rep, new_lead("Never converted", "direct"));
    let rep2 = session(app, REP2);
    converted_deal(&rep2, lead_for("Other", "Delta", "direct"), A_AMOUNT);

    app.advance(days(2));
    let rep = session(app, REP);
    let overdue = converted_deal(&rep, lead_for("Overdue", "Echo", "direct"), B_AMOUNT);
    let overdue = edit(&rep, &overdue, json!({"expected_close": "2026-11-15"}));

    app.advance(days(1));
    let rep = session(app, REP);
    let contract = json!({"number": "HT-7", "amount": D_AMOUNT, "signed_on": "2026-12-04"});
    let won = ok(
        transition(&rep, &won, json!({"to": "won", "contract": contract})),
        200,
    );
    assert_eq!(won["status"], "won");

    app.advance(days(22));
    Fixture { overdue, won }
}

#[test]
fn the_pipeline_report_of_a_rep_and_of_a_manager_matches_the_fixture_computed_by_hand() {
    let app = TestApp::new();
    fixture(&app);
    let rep = session(&app, REP);
    let r = report(&rep, "pipeline=direct");
    assert_eq!(r.pipeline.as_str(), "direct");
    let period = format!("{} {} {}", r.today, r.from, r.to);
    assert_eq!(period, "2026-12-26 2026-09-28 2026-12-26");
    // Open: staying (C, 50,000,000 fen) and overdue (B, 200,000,000) in
    // initiate at 20 %.
    assert_eq!(
        funnel(&r),
        [
            ("initiate", 20, 2, 250_000_000, 50_000_000),
            ("analyze", 30, 0, 0, 0),
            ("propose", 60, 0, 0, 0),
            ("negotiate", 90, 0, 0, 0),
        ]
    );
    assert_eq!((r.won.count, r.won.amount), (1, 10_000_000));
    assert_eq!((r.lost.count, r.lost.amount), (1, 50_000_000));

    let months: Vec<&str> = r.forecast.iter().map(|m| m.month.as_str()).collect();
    assert_eq!(
        months.join(" "),
        "overdue 2026-12 2027-01 2027-02 2027-03 2027-04 2027-05"
    );
    assert_eq!(
        month(&r, "overdue"),
        (1, 200_000_000, 40_000_000, [200_000_000, 0, 0, 0])
    );
    assert_eq!(month(&r, "2026-12"), (0, 0, 0, [0, 0, 0, 10_000_000]));
    assert_eq!(
        month(&r, "2027-03"),
        (1, 50_000_000, 10_000_000, [50_000_000, 0, 0, 0])
    );
    for m in ["2027-01", "2027-02", "2027-04", "2027-05"] {
        assert_eq!(month(&r, m), (0, 0, 0, [0; 4]), "{m}");
    }

    // In initiate since 12-01 (25 days) and 12-03 (23): the lower middle.
    assert_eq!(
        aging(&r),
        json!([
            {"stage": "initiate", "count": 2, "median_days": 23, "max_days": 21, "stalled": 2},
            {"stage": "analyze", "count": 0, "median_days": null, "max_days": 30, "stalled": 0},
            {"stage": "propose", "count": 0, "median_days": null, "max_days": 30, "stalled": 0},
            {"stage": "negotiate", "count": 0, "median_days": null, "max_days": 30, "stalled": 0},
        ])
    );

    // Four deals entered initiate; only `won` went on, to negotiate, and won.
    let c = &r.conversion;
    assert_eq!(
        serde_json::to_value(&c.stages).unwrap(),
        json!([
            {"stage": "initiate", "entered": 4, "advanced": 1, "rate": 25},
            {"stage": "analyze", "entered": 0, "advanced": 0, "rate": null},
            {"stage": "propose", "entered": 0, "advanced": 0, "rate": null},
            {"stage": "negotiate", "entered": 1, "advanced": 1, "rate": 100},
        ])
    );
    assert_eq!(
        (c.leads_created, c.leads_converted, c.lead_rate),
        (5, 4, Some(80))
    );
    assert_eq!(
        rates(&c.by_grade),
        [
            ("A", 0, 0, None, None),
            ("B", 0, 0, None, None),
            ("C", 0, 1, Some(0), None),
            ("D", 1, 0, Some(100), Some(3)),
            ("E", 0, 0, None, None),
        ]
    );
    assert_eq!(
        rates(&c.by_track),
        [
            ("full", 0, 0, None, None),
            ("fast", 1, 1, Some(50), Some(3)),
            ("partner", 0, 0, None, None),
        ]
    );

    // staying (C) owes two fields; overdue (B) those, a task, the review
    // and a presales consultant.
    let g = &r.gate_debt;
    assert_eq!((g.open, g.blocked), (2, 2));
    assert_eq!(
        serde_json::to_value(&g.cells).unwrap(),
        json!([
            {"stage": "initiate", "kind": "field", "count": 2},
            {"stage": "initiate", "kind": "task", "count": 1},
            {"stage": "initiate", "kind": "approval", "count": 1},
            {"stage": "initiate", "kind": "role", "count": 1},
        ])
    );
    assert_eq!(
        serde_json::to_value(&g.top).unwrap(),
        json!([
            {"stage": "initiate", "kind": "field", "key": "field:decision_chain", "count": 2},
            {"stage": "initiate", "kind": "field", "key": "field:project_budget", "count": 2},
            {"stage": "initiate", "kind": "approval", "key": "approval:initiation_review", "count": 1},
            {"stage": "initiate", "kind": "role", "key": "role:presales", "count": 1},
            {"stage": "initiate", "kind": "task", "key": "task:initiation_report", "count": 1},
        ])
    );
    let lost = json!([{"label": "price", "count": 1, "amount": 50_000_000}]);
    assert_eq!(serde_json::to_value(&r.lost_reasons).unwrap(), lost);
    let rival = json!([{"label": "Rival", "count": 1, "amount": 50_000_000}]);
    assert_eq!(serde_json::to_value(&r.competitors).unwrap(), rival);
    assert!(r.owners.is_empty(), "{:?}", r.owners);

    // The manager sees REP2's A deal too (600,000,000 fen, close 2027-03).
    let manager = session(&app, MANAGER);
    let m = report(&manager, "pipeline=direct");
    assert_eq!(funnel(&m)[0], ("initiate", 20, 3, 850_000_000, 170_000_000));
    assert_eq!(
        month(&m, "2027-03"),
        (2, 650_000_000, 130_000_000, [650_000_000, 0, 0, 0])
    );
    assert_eq!((m.won.count, m.lost.count), (1, 1));
    // Days in initiate 25, 25, 23.
    assert_eq!(aging(&m)[0]["median_days"], 25);
    assert_eq!(aging(&m)[0]["stalled"], 3);
    let (s0, mc) = (&m.conversion.stages[0], &m.conversion);
    assert_eq!((s0.entered, s0.advanced, s0.rate), (5, 1, Some(20)));
    assert_eq!(
        (mc.leads_created, mc.leads_converted, mc.lead_rate),
        (6, 5, Some(83))
    );
    assert_eq!((m.gate_debt.open, m.gate_debt.blocked), (3, 3));
    assert_eq!(
        serde_json::to_value(&m.owners).unwrap(),
        json!([
            {"owner_id": "u_rep2", "open": 1, "amount": 600_000_000, "weighted": 120_000_000,
             "commit": 0, "best_case": 0, "won": 0},
            {"owner_id": "u_rep", "open": 2, "amount": 250_000_000, "weighted": 50_000_000,
             "commit": 0, "best_case": 0, "won": 10_000_000},
        ])
    );
    // A manager narrows to one owner; a rep's `owner` cannot widen past their own.
    let only2 = report(&manager, "pipeline=direct&owner=u_rep2");
    assert_eq!(
        funnel(&only2)[0],
        ("initiate", 20, 1, 600_000_000, 120_000_000)
    );
    let widened = report(&rep, "pipeline=direct&owner=u_rep2");
    assert_eq!(funnel(&widened)[0].2, 0);
}

#[test]
fn a_period_with_nothing_closed_has_zero_tallies_and_no_rates_and_a_bad_period_is_400() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    converted_deal(&rep, lead_for("Open", "Alpha", "direct"), C_AMOUNT);
    let lost = converted_deal(&rep, lead_for("Gone", "Bravo", "direct"), C_AMOUNT);
    lose(&rep, &lost);
    let r = report(&rep, "pipeline=direct&from=2026-10-01&to=2026-10-31");
    assert_eq!(format!("{} {}", r.from, r.to), "2026-10-01 2026-10-31");
    assert_eq!((r.won, r.lost), (Tally::default(), Tally::default()));
    let c = &r.conversion;
    for w in c.by_grade.iter().chain(&c.by_track) {
        let rate = (w.won, w.lost, w.rate, w.avg_cycle_days);
        assert_eq!(rate, (0, 0, None, None), "{w:?}");
    }
    assert!(c.stages.iter().all(|s| (s.entered, s.rate) == (0, None)));
    assert_eq!((c.leads_created, c.lead_rate), (0, None));
    assert!(r.lost_reasons.is_empty() && r.competitors.is_empty());
    // The funnel is today's open deals, whatever the period.
    assert_eq!(funnel(&r)[0], ("initiate", 20, 1, 50_000_000, 10_000_000));
    // The same deals over a period that holds today: the loss counts.
    let now = report(&rep, "pipeline=direct&from=2026-12-01&to=2026-12-01");
    let c_rate = now.conversion.by_grade[2].rate;
    assert_eq!((now.lost.count, c_rate), (1, Some(0)));

    for bad in [
        "from=2026-12-02&to=2026-12-01",
        "from=2026-13-01",
        "to=01/12/2026",
        "from=yesterday",
        "from=2016-01-01&to=2026-12-01",
        "grade=Z",
    ] {
        let r = rep.get(&format!("/api/reports/pipeline?pipeline=direct&{bad}"));
        assert_eq!(r.status(), 400, "{bad}: {}", r.text());
    }
    let r = rep.get("/api/reports/pipeline?pipeline=nope");
    assert_eq!(r.status(), 404, "{}", r.text());
}

#[test]
fn commit_needs_the_floor_and_a_met_stage_and_counts_as_best_case_once_unmet_again() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let early = converted_deal(&rep, lead_for("Early", "Alpha", "direct"), C_AMOUNT);
    let p = problem(&set_forecast(&rep, &early, "commit"), 422, "blocked");
    assert_eq!(
        blockers(&p),
        pairs(&[
            ("field", "decision_chain"),
            ("field", "project_budget"),
            ("below_commit_floor", ""),
        ])
    );
    // Met but still under 60 %: only the floor.
    let early = work_stage(&rep, early);
    let p = problem(&set_forecast(&rep, &early, "commit"), 422, "blocked");
    assert_eq!(blockers(&p), pairs(&[("below_commit_floor", "")]));
    // Best case needs nothing.
    let early = ok(set_forecast(&rep, &early, "best_case"), 200);
    assert_eq!(early["forecast"], "best_case");

    let deal = deal_in_propose(&rep, "Late");
    let p = problem(&set_forecast(&rep, &deal, "commit"), 422, "blocked");
    assert_eq!(
        blockers(&p),
        pairs(&[
            ("field", "quote_amount"),
            ("field", "quote_valid_until"),
            ("task", "proposal_document"),
        ])
    );
    let deal = work_stage(&rep, deal);
    let deal = ok(set_forecast(&rep, &deal, "commit"), 200);
    assert_eq!(deal["forecast"], "commit");
    let p = problem(&set_forecast(&rep, &deal, "closed"), 422, "blocked");
    assert_eq!(blockers(&p), pairs(&[("not_final_stage", "")]));

    // 2027-03: early (initiate 20 %, best case), deal (propose 60 %, commit).
    let r = report(&rep, "pipeline=direct");
    let weighted = 10_000_000 + 30_000_000;
    assert_eq!(
        month(&r, "2027-03"),
        (2, 100_000_000, weighted, [0, 50_000_000, 50_000_000, 0])
    );
    let listed = |f: &str| list_ids(&rep, &format!("/api/opportunities?forecast={f}"));
    assert_eq!(listed("commit"), [id(&deal)]);

    // A required field of propose cleared: the gate no longer allows the
    // commit, so the report counts best case; the deal keeps its choice.
    let deal = patch_fields(
        &rep,
        &deal_path(&deal),
        &deal,
        json!({"quote_amount": null}),
    );
    let r = report(&rep, "pipeline=direct");
    assert_eq!(
        month(&r, "2027-03"),
        (2, 100_000_000, weighted, [0, 100_000_000, 0, 0])
    );
    assert_eq!(ok(rep.get(&deal_path(&deal)), 200)["forecast"], "commit");
    assert_eq!(listed("commit"), Vec::<String>::new());
    assert_eq!(
        sorted(listed("best_case")),
        sorted(vec![id(&early), id(&deal)])
    );
}

#[test]
fn a_reopened_deal_leaves_the_lost_tally_and_counts_as_open_again() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    converted_deal(&rep, lead_for("Open", "Alpha", "direct"), C_AMOUNT);
    let lost = converted_deal(&rep, lead_for("Back", "Bravo", "direct"), B_AMOUNT);
    let lost = lose(&rep, &lost);
    let before = report(&rep, "pipeline=direct");
    assert_eq!((before.lost.count, before.lost.amount), (1, 200_000_000));
    assert_eq!(
        funnel(&before)[0],
        ("initiate", 20, 1, 50_000_000, 10_000_000)
    );

    app.advance(chrono::Duration::minutes(30));
    let manager = session(&app, MANAGER);
    let body = json!({"to": "reopen", "reason": "The customer came back"});
    ok(transition(&manager, &lost, body), 200);
    let after = report(&rep, "pipeline=direct");
    assert_eq!((after.lost.count, after.lost.amount), (0, 0));
    assert!(after.lost_reasons.is_empty() && after.competitors.is_empty());
    assert_eq!(after.conversion.by_grade[1].lost, 0);
    assert_eq!(
        funnel(&after)[0],
        ("initiate", 20, 2, 250_000_000, 50_000_000)
    );
    assert_eq!(
        month(&after, "2027-03"),
        (2, 250_000_000, 50_000_000, [250_000_000, 0, 0, 0])
    );
    assert_eq!((after.gate_debt.open, after.aging[0].count), (2, 2));
}

#[test]
fn the_win_rate_by_grade_counts_a_deal_under_its_grade_at_close() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    // C → B, then lost; B → C, then won on the fast track.
    let up = converted_deal(&rep, lead_for("Up", "Alpha", "direct"), C_AMOUNT);
    let up = edit(&rep, &up, json!({"amount": B_AMOUNT}));
    assert_eq!(up["grade"]["effective"], "B");
    lose(&rep, &up);
    let down = converted_deal(&rep, lead_for("Down", "Bravo", "direct"), B_AMOUNT);
    let down = edit(&rep, &down, json!({"amount": C_AMOUNT}));
    assert_eq!(down["grade"]["effective"], "C");
    win_fast(&rep, down, "2026-12-01");

    let r = report(&rep, "pipeline=direct");
    assert_eq!((r.won.amount, r.lost.amount), (C_AMOUNT, B_AMOUNT));
    assert_eq!(
        rates(&r.conversion.by_grade)[1..3],
        [("B", 0, 1, Some(0), None), ("C", 1, 0, Some(100), Some(0))]
    );
    assert_eq!(
        rates(&r.conversion.by_track)[..2],
        [
            ("full", 0, 1, Some(0), None),
            ("fast", 1, 0, Some(100), Some(0))
        ]
    );
    let only_b = report(&rep, "pipeline=direct&grade=B");
    assert_eq!((only_b.won.count, only_b.lost.count), (0, 1));
}

#[test]
fn the_lists_link_filters_find_exactly_what_the_reports_cells_counted() {
    let app = TestApp::new();
    let fx = fixture(&app);
    let rep = session(&app, REP);
    let committed = work_stage(&rep, deal_in_propose(&rep, "Committed"));
    ok(set_forecast(&rep, &committed, "commit"), 200);
    let manager = session(&app, MANAGER);
    let r = report(&manager, "pipeline=direct");
    let find = |q: &str| list_ids(&manager, &format!("/api/opportunities?pipeline=direct&{q}"));
    let n = |q: &str| find(q).len() as u64;

    assert!(!r.gate_debt.cells.is_empty());
    for cell in &r.gate_debt.cells {
        let (stage, kind) = (cell.stage.as_str(), kind_name(cell.kind));
        assert_eq!(
            n(&format!("stage={stage}&blocked_kind={kind}")),
            cell.count,
            "{cell:?}"
        );
    }
    for key in &r.gate_debt.top {
        let q = format!("stage={}&blocked_key={}", key.stage.as_str(), key.key);
        assert_eq!(n(&q), key.count, "{key:?}");
    }
    assert_eq!((r.aging[0].stalled, n("stalled=1&stage=initiate")), (3, 3));
    assert_eq!(month(&r, "overdue").0, 1);
    assert_eq!(find("close_month=overdue"), [id(&fx.overdue)]);
    let commit: i64 = r.forecast.iter().map(|m| m.commit).sum();
    assert_eq!(
        (commit, find("forecast=commit")),
        (C_AMOUNT, vec![id(&committed)])
    );
    assert_eq!(month(&r, "2026-12").3[3], D_AMOUNT);
    assert_eq!(find("forecast=closed&close_month=2026-12"), [id(&fx.won)]);
    assert_eq!(n("forecast=pipeline"), 3);

    for bad in [
        "blocked_kind=other",
        "stalled=yes",
        "close_month=2027-13",
        "close_month=soon",
        "forecast=maybe",
    ] {
        let r = manager.get(&format!("/api/opportunities?{bad}"));
        assert_eq!(r.status(), 400, "{bad}");
    }
    // 2027-03 holds staying, other and committed: the month counts open
    // deals only, as `close_month=overdue` finds only open ones.
    assert_eq!((month(&r, "2027-03").0, n("close_month=2027-03")), (3, 3));
}

#[test]
fn a_deal_is_stalled_only_once_its_whole_days_in_the_stage_pass_the_limit() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let late = converted_deal(&rep, lead_for("Since nine", "Alpha", "direct"), C_AMOUNT);
    app.advance(chrono::Duration::hours(1));
    let rep = session(&app, REP);
    converted_deal(&rep, lead_for("Since ten", "Bravo", "direct"), C_AMOUNT);
    // 2026-12-23 09:30: 22 days and 21 days 23½ hours in initiate (limit
    // 21): only the first is past it, as the board's `is_overdue` says.
    app.advance(days(21) + chrono::Duration::minutes(23 * 60 + 30));
    let rep = session(&app, REP);
    let r = report(&rep, "pipeline=direct");
    let a = &r.aging[0];
    assert_eq!((a.count, a.median_days, a.stalled), (2, Some(21), 1));
    let stalled = list_ids(&rep, "/api/opportunities?pipeline=direct&stalled=1");
    assert_eq!(stalled, [id(&late)]);
}

/// Asserts `got` holds the ids of `want` in the same order, naming what differs.
fn same_ids(got: &[String], want: &[String], what: &str) {
    let extra: Vec<_> = got.iter().filter(|i| !want.contains(i)).take(5).collect();
    let missing: Vec<_> = want.iter().filter(|i| !got.contains(i)).take(5).collect();
    let (g, w) = (got.len(), want.len());
    assert!(
        got == want,
        "{what}: {g} vs {w}; extra {extra:?}, missing {missing:?}"
    );
}

/// The CSV body's records after the BOM (header first).
fn csv_records(r: &Resp) -> Vec<Vec<String>> {
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(&r.0.body[..3], [0xEF, 0xBB, 0xBF], "a UTF-8 BOM first");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&r.0.body[3..])
        .records()
        .map(|rec| {
            rec.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn the_csv_export_streams_every_deal_the_list_finds_with_inert_formulas_and_a_localized_header() {
    let app = TestApp::new();
    let rep = session(&app, REP);
    let name = r#"=HYPERLINK("http://x","y")"#;
    let hyper = converted_deal(&rep, lead_for(name, "+Evil Co", "direct"), B_AMOUNT);
    converted_deal(&rep, new_lead("Elsewhere", "tender"), C_AMOUNT);
    let rep2 = session(&app, REP2);
    let theirs = converted_deal(&rep2, lead_for("Theirs", "Delta", "direct"), D_AMOUNT);
    for i in 0..520 {
        converted_deal(&rep, new_lead(&format!("Bulk {i}"), "direct"), D_AMOUNT);
    }
    let manager = session(&app, MANAGER);
    app.streamed_parts.set(0);
    let r = manager.get("/api/reports/opportunities.csv?pipeline=direct");
    assert_eq!(app.streamed_parts.get(), 2, "500 rows, then the rest");
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = r.header("content-disposition").unwrap_or_default();
    for part in [
        "attachment; filename=\"dealgate-opportunities-2026-12-01.csv\"",
        "filename*=UTF-8''opportunities-2026-12-01.csv",
    ] {
        assert!(disposition.contains(part), "{disposition}");
    }
    let records = csv_records(&r);
    assert_eq!(
        records[0].join(","),
        "id,name,customer,pipeline,stage,status,grade,track,forecast,amount,currency,\
         weighted,expected_close,days_in_stage,owner,blocked_by"
    );
    let row = records
        .iter()
        .find(|r| r[0] == id(&hyper))
        .expect("the formula deal");
    assert_eq!(row[1], format!("'{name}"));
    assert_eq!(
        row[2..].join("|"),
        "'+Evil Co|Direct (no tendering)|Initiation|open|B|full|pipeline|2000000.00|CNY|\
         400000.00|2027-03-31|0|销售 Li Lei|5"
    );

    // A rep's export holds their own deals only (both pipelines).
    let mine = csv_records(&rep.get("/api/reports/opportunities.csv?"));
    let mine: Vec<String> = mine[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(mine.len(), 522);
    assert!(!mine.contains(&id(&theirs)));
    same_ids(&mine, &list_ids(&rep, "/api/opportunities?"), "a rep's CSV");

    let zh_path = "/api/reports/opportunities.csv?pipeline=tender";
    let zh = manager.request_in(Method::Get, zh_path, None, "zh-CN");
    let disposition = zh.header("content-disposition").unwrap_or_default();
    let encoded = "filename*=UTF-8''%E5%95%86%E6%9C%BA-2026-12-01.csv";
    assert!(disposition.contains(encoded), "{disposition}");
    let zh = csv_records(&zh);
    assert_eq!(
        zh[0].join(","),
        "编号,商机名称,客户,流程,阶段,状态,等级,通道,预测类别,金额,币种,加权金额,预计成交,\
         本阶段天数,负责人,阻塞项数"
    );

    // The list's own filters hold in the export: the same deals, in order.
    let listed = list_ids(&manager, "/api/opportunities?pipeline=direct");
    assert_eq!(listed.len(), 522);
    let pipelines: std::collections::BTreeSet<&str> =
        records[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(pipelines, ["Direct (no tendering)"].into());
    let rows: Vec<String> = records[1..].iter().map(|r| r[0].clone()).collect();
    same_ids(&rows, &listed, "?pipeline=direct: the CSV against the list");
    let tender: Vec<&str> = zh[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(tender, ["招投标类项目"], "the one tender deal");
}

/// Rows of a read straight from the host database.
fn rows(app: &TestApp, sql: &str) -> Vec<Value> {
    let out = block_on(
        app.db()
            .batch(vec![dealgate_server::store::Stmt::new(sql, Vec::new())]),
    )
    .expect("a read");
    out.into_iter()
        .next()
        .map(|o| {
            o.rows
                .into_iter()
                .map(|r| Value::Object(r.into_iter().collect()))
                .collect()
        })
        .unwrap_or_default()
}

/// What the triggers of migration 0011 keep summed, against the same sums
/// recomputed from the rows and the trail.
fn assert_sums_match_the_rows(app: &TestApp, after: &str) {
    let cells = rows(
        app,
        "SELECT pipeline, owner_id, grade, stage, month, category, kinds, n, amount \
         FROM open_cells WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7",
    );
    let recount = rows(
        app,
        "SELECT pipeline, owner_id, grade, stage, substr(expected_close, 1, 7) AS month, \
         report_category AS category, gate_kinds AS kinds, COUNT(*) AS n, SUM(amount) AS amount \
         FROM opportunities WHERE status = 'open' GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7",
    );
    assert!(!recount.is_empty(), "{after}: no open deal to sum");
    assert_eq!(cells, recount, "{after}: open_cells");
    let keys = rows(
        app,
        "SELECT pipeline, owner_id, grade, stage, key, n FROM open_keys WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5",
    );
    let recount = rows(
        app,
        "SELECT o.pipeline, o.owner_id, o.grade, o.stage, j.value AS key, COUNT(*) AS n \
         FROM opportunities o, json_each(o.gate_keys) j WHERE o.status = 'open' \
         GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
    );
    assert_eq!(keys, recount, "{after}: open_keys");
    // Each move's trail columns, by their definition: went on = a later
    // move out of the stage (or a win from it), previous entry = the
    // latest earlier move into the same stage.
    let wrong = rows(
        app,
        "SELECT m.seq, m.to_stage, m.went_on, m.prev_same, m.pipeline FROM stage_moves m \
         WHERE m.went_on <> EXISTS (SELECT 1 FROM stage_moves x WHERE x.opportunity_id = m.opportunity_id \
           AND x.seq > m.seq AND (x.from_stage = m.to_stage OR (x.to_stage = 'won' AND m.to_stage = \
           (SELECT stage FROM opportunities WHERE id = m.opportunity_id)))) \
         OR m.prev_same IS NOT (SELECT MAX(x.at) FROM stage_moves x WHERE x.opportunity_id = m.opportunity_id \
           AND x.seq < m.seq AND x.to_stage = m.to_stage) \
         OR m.pipeline <> (SELECT pipeline FROM opportunities WHERE id = m.opportunity_id)",
    );
    assert_eq!(wrong, Vec::<Value>::new(), "{after}: stage_moves");
}

#[test]
fn the_sums_the_database_keeps_on_write_equal_the_rows_after_every_kind_of_write() {
    let app = TestApp::new();
    let f = fixture(&app);
    let rep = session(&app, REP);
    // The report brings the gate columns up to date, which moves deals
    // between cells too.
    report(&rep, "pipeline=direct");
    assert_sums_match_the_rows(&app, "the fixture and a report");

    let manager = session(&app, MANAGER);
    let body = json!({"to": "reopen", "reason": "The customer came back"});
    ok(transition(&manager, &f.won, body), 200);
    let overdue = edit(&rep, &f.overdue, json!({"amount": 3 * B_AMOUNT}));
    let overdue = ok(set_forecast(&rep, &overdue, "best_case"), 200);
    set_team(
        &rep,
        &overdue,
        json!([{"role": "presales", "user_id": "u_rep2"}]),
    );
    let propose = deal_in_propose(&rep, "Moves on");
    lose(&rep, &propose);
    report(&rep, "pipeline=direct");
    assert_sums_match_the_rows(
        &app,
        "a reopen, an edit, a forecast, a team, moves and a loss",
    );

    // A regrade writes the deals in SQL, not through the row writer.
    let admin = session(&app, ADMIN);
    let thresholds = json!({"a_min": 1_000_000, "b_min": 500_000, "c_min": 100_000, "version": 1});
    ok(admin.put("/api/admin/grading", thresholds), 200);
    report(&manager, "pipeline=direct");
    assert_sums_match_the_rows(&app, "a regrade");
}
