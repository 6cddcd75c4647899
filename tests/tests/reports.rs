//! Reports against the real runtime (issue #13): a rep's report covers
//! only their deals and its funnel equals the sums of the list's pages for
//! the same filter; commit is refused while the gate blocks; the CSV has a
//! BOM, a row per deal the list finds and inert formulas; in Chromium a
//! manager clicks a gate-debt cell and lands on the list of exactly those
//! deals.

use dealgate_tests::{
    browser, converted_deal, fresh_user, http, sign_in, sign_in_as, sign_in_in_browser, unique,
    url, wait_path, wait_text,
};
use fantoccini::Locator;
use serde_json::{Value, json};
use shared::report::PipelineReport;

/// Every deal of a list query, following the cursor.
async fn every_deal(s: &dealgate_tests::Session, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = s
            .get_json(&format!("/api/opportunities?{query}&limit=50{cursor}"))
            .await;
        out.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

/// A new rep with three deals in tender's second stage (two B, one C).
async fn rep_with_deals(tag: &str) -> (dealgate_tests::Session, Vec<shared::Opportunity>) {
    let (me, password) = fresh_user(&["rep"]).await;
    let rep = sign_in(&me.email, &password).await;
    let mut deals = Vec::new();
    for (i, amount) in [200_000_000, 150_000_000, 50_000_000]
        .into_iter()
        .enumerate()
    {
        deals.push(converted_deal(&rep, &format!("{tag} {i}"), amount).await);
    }
    (rep, deals)
}

#[tokio::test]
async fn a_reps_report_covers_only_their_deals_and_its_funnel_equals_the_lists_sums() {
    let (rep, deals) = rep_with_deals(&unique("Report")).await;
    let report: PipelineReport = rep.get_json("/api/reports/pipeline?pipeline=tender").await;
    let stage = deals[0].stage.clone();
    let funnel = report
        .funnel
        .iter()
        .find(|s| s.stage == stage)
        .expect("the stage");
    let listed = every_deal(&rep, &format!("pipeline=tender&status=open&stage={stage}")).await;
    let listed_sum: i64 = listed.iter().map(|d| d["amount"].as_i64().unwrap()).sum();
    assert_eq!(funnel.count, listed.len() as u64);
    assert_eq!(funnel.amount, listed_sum);
    // Only this rep's three deals.
    assert_eq!(funnel.count, 3);
    assert_eq!(funnel.amount, 400_000_000);
    assert!(report.owners.is_empty(), "reps get no per-owner breakdown");
    // The manager's report for this owner says the same, with the owner's line.
    let manager = sign_in_as("manager").await;
    let owner = &rep.me.id;
    let theirs: PipelineReport = manager
        .get_json(&format!(
            "/api/reports/pipeline?pipeline=tender&owner={owner}"
        ))
        .await;
    assert_eq!(theirs.funnel, report.funnel);
    assert_eq!(theirs.owners.len(), 1);
    assert_eq!(theirs.owners[0].owner_id, *owner);
    assert_eq!(theirs.owners[0].open, 3);
    // Gate debt: every one of them owes the stage's requirements.
    assert_eq!(theirs.gate_debt.open, 3);
    assert_eq!(theirs.gate_debt.blocked, 3);
}

#[tokio::test]
async fn commit_is_refused_while_the_gate_blocks_and_other_categories_are_kept() {
    let (rep, deals) = rep_with_deals(&unique("Commit")).await;
    let deal = &deals[0];
    let path = format!("/api/opportunities/{}/forecast", deal.id);
    let refused = rep
        .send_json(
            reqwest::Method::POST,
            &path,
            &json!({"category": "commit", "version": deal.version}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    let kinds: Vec<&str> = problem["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"below_commit_floor"), "{problem}");
    let kept = rep
        .send_json(
            reqwest::Method::POST,
            &path,
            &json!({"category": "best_case", "version": deal.version}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 200);
    let kept: shared::Opportunity = kept.json().await.unwrap();
    assert_eq!(kept.forecast, shared::forecast::ForecastCategory::BestCase);
    // Expected to close next month: inside the forecast's six months.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let next_month = chrono::DateTime::from_timestamp(now as i64, 0)
        .unwrap()
        .date_naive()
        .checked_add_months(chrono::Months::new(1))
        .unwrap();
    let kept: shared::Opportunity = rep
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/opportunities/{}", deal.id),
            &json!({"expected_close": next_month.to_string(), "version": kept.version}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(kept.forecast, shared::forecast::ForecastCategory::BestCase);
    // The report's month holds it as best case, and the list link finds it.
    let report: PipelineReport = rep.get_json("/api/reports/pipeline?pipeline=tender").await;
    let month = &kept.expected_close.format("%Y-%m").to_string();
    let listed = every_deal(
        &rep,
        &format!("pipeline=tender&forecast=best_case&close_month={month}"),
    )
    .await;
    let in_report = report
        .forecast
        .iter()
        .find(|m| m.month == *month)
        .map_or(0, |m| m.best_case);
    let listed_sum: i64 = listed.iter().map(|d| d["amount"].as_i64().unwrap()).sum();
    assert_eq!(in_report, listed_sum);
}

#[tokio::test]
async fn the_csv_has_a_bom_a_row_per_listed_deal_and_inert_formulas() {
    let (rep, _) = rep_with_deals(&unique("Csv")).await;
    converted_deal(
        &rep,
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        50_000_000,
    )
    .await;
    let response = http()
        .get(url(
            "/api/reports/opportunities.csv?pipeline=tender&status=open",
        ))
        .header("cookie", &rep.cookie)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"dealgate-opportunities-"),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''opportunities-"),
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "a UTF-8 BOM first");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let listed = every_deal(&rep, "pipeline=tender&status=open").await;
    assert_eq!(rows.len(), listed.len());
    assert_eq!(rows.len(), 4);
    let names: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert!(
        names.contains(&"'=HYPERLINK(\"http://evil.example\",\"x\")"),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.starts_with('=')));
}

#[tokio::test]
async fn a_manager_clicks_a_gate_debt_cell_and_lands_on_exactly_those_deals() {
    let (rep, deals) = rep_with_deals(&unique("Debt")).await;
    let owner = rep.me.id.clone();
    let client = browser("en-US").await;
    sign_in_in_browser(&client, "manager").await;
    client
        .goto(&url(&format!("/reports?pipeline=tender&owner={owner}")))
        .await
        .unwrap();
    // The first cell with deals in it: its count, then a click.
    let cell = "[data-test=report-debt] td.heat a";
    let count: usize = wait_text(&client, cell, |t| !t.is_empty())
        .await
        .parse()
        .unwrap();
    let link = client.find(Locator::Css(cell)).await.unwrap();
    let test = link.attr("data-test").await.unwrap().unwrap();
    link.click().await.unwrap();
    let path = wait_path(&client, |p| p.starts_with("/opportunities")).await;
    assert!(path.contains("blocked_kind="), "{path}");
    wait_text(&client, "[data-test=report-filter]", |t| !t.is_empty()).await;
    wait_text(&client, "[data-test=deal-row]", |t| !t.is_empty()).await;
    let rows = client
        .find_all(Locator::Css("[data-test=deal-row]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), count, "{test}: the cell's count of rows");
    let mut shown = Vec::new();
    for row in rows {
        shown.push(row.text().await.unwrap());
    }
    for d in &deals {
        assert!(
            shown.iter().any(|t| t.contains(&d.name)),
            "{} listed: {shown:?}",
            d.name
        );
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn on_a_phone_the_reports_fit_the_screen_and_read_in_chinese() {
    let (rep, _) = rep_with_deals(&unique("Phone report")).await;
    let owner = rep.me.id.clone();
    let client = browser("zh-CN").await;
    client.set_window_size(375, 812).await.unwrap();
    sign_in_in_browser(&client, "manager").await;
    client
        .goto(&url(&format!("/reports?pipeline=tender&owner={owner}")))
        .await
        .unwrap();
    let title = wait_text(&client, "section.reports h1", |t| !t.is_empty()).await;
    assert_eq!(title, "销售报表");
    wait_text(&client, "[data-test=report-debt] td.heat a", |t| {
        !t.is_empty()
    })
    .await;
    let (wide, over): (bool, String) = serde_json::from_value(
        client
            .execute(
                "const width = document.documentElement.clientWidth;
                 const over = [...document.querySelectorAll('body *')]
                   .filter((e) => e.closest('.table-wrap') === null)
                   .filter((e) => e.getBoundingClientRect().right > width + 0.5)
                   .map((e) => e.outerHTML.slice(0, 120));
                 return [document.documentElement.scrollWidth > width, over.slice(-3).join(' | ')];",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(!wide, "/reports scrolls sideways at 375 px: {over}");
    std::fs::create_dir_all("../target/screenshots").unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write("../target/screenshots/reports-375.png", png).unwrap();
    client.close().await.unwrap();
}
