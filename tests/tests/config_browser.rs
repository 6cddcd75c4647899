//! A rep's open deal page follows a config change without a reload: an
//! admin raises `b_min` above the deal's amount through the API; the page,
//! told by the `x-config-version` header of its next answer (here the one
//! it asks for when the tab becomes visible again), loads the new rules and
//! the regraded deal, shows grade C on the fast track and the fast track's
//! verdict, and what the rep had typed (not saved) is still in its box and
//! still counted. One test, in its own binary:
//! it moves the thresholds every other test grades by, and puts them back
//! whatever happens.

use dealgate_tests::{
    Session, call_ok, converted_deal, deal_page_as, restore_thresholds, sign_in_as, unique,
    value_of, wait_text,
};
use fantoccini::{Client, Locator};
use reqwest::Method;
use serde_json::{Value, json};
use shared::api::{Config, GradingAdmin};
use shared::{Grade, Opportunity, Pipeline, Track};
/// Waits until attribute `attr` of the element matching `css` holds `word`.
async fn wait_attr_contains(client: &Client, css: &str, attr: &str, word: &str) {
    for _ in 0..200 {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && let Ok(Some(v)) = el.attr(attr).await
            && v.split_whitespace().any(|w| w == word)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("`{css}` never had {attr} `{word}`");
}

async fn tender(s: &Session) -> Pipeline {
    let config: Config = s.get_json("/api/config").await;
    config
        .pipelines
        .into_iter()
        .find(|p| p.id.as_str() == "tender")
        .expect("the tender pipeline")
}

/// The browser part: the rep's page before and after the admin's change.
async fn the_open_page_follows(
    admin: Session,
    before: GradingAdmin,
    deal: Opportunity,
    tender: Pipeline,
) {
    let stage = tender
        .stage(deal.stage.as_str())
        .expect("the deal's stage")
        .clone();
    let client = deal_page_as("rep", &deal.id).await;
    let grade = "[data-test=deal-head] [data-test=grade]";
    wait_text(&client, grade, |t| t == "B").await;
    wait_text(&client, "[data-test=deal-track]", |t| t == "Full process").await;
    let b_total = stage.requirement_count(Some(Grade::B));
    let c_total = stage.requirement_count(Some(Grade::C));
    wait_text(&client, "[data-test=verdict-summary]", |t| {
        t.ends_with(&format!(" of {b_total} met"))
    })
    .await;

    // The rep types the decision chain (asked of B and of C alike) and does
    // not save it: the verdict counts it at once.
    let typed = "CIO → CFO (typed, not saved)";
    let field = "textarea[name=decision_chain]";
    let chain_row = "[data-test=field][data-key=decision_chain]";
    let input = client.find(Locator::Css(field)).await.unwrap();
    input.send_keys(typed).await.unwrap();
    wait_attr_contains(&client, chain_row, "class", "met").await;

    // The admin raises b_min above the deal's 2,000,000 (the server regrades it).
    call_ok(
        &admin,
        Method::PUT,
        "/api/admin/grading",
        json!({"a_min": before.a_min, "b_min": 300_000_000, "c_min": before.c_min,
               "version": before.version}),
    )
    .await;

    // The rep comes back to the tab: no reload, no click.
    client
        .execute(
            "document.dispatchEvent(new Event('visibilitychange', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    wait_text(&client, grade, |t| t == "C").await;
    wait_text(&client, "[data-test=deal-track]", |t| t == "Fast track").await;
    // The fast track's verdict: its requirements, counted by the new grade.
    wait_text(&client, "[data-test=verdict-summary]", |t| {
        t.ends_with(&format!(" of {c_total} met"))
    })
    .await;
    // What was typed is still in its box, and still counted.
    assert_eq!(value_of(&client, field).await, typed);
    wait_attr_contains(&client, chain_row, "class", "met").await;
    // The page was not reloaded: the same document, now on the new rules.
    let nav: Value = client
        .execute(
            "return performance.getEntriesByType('navigation').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(nav, json!(1));
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_reps_open_deal_page_shows_the_new_grade_and_verdict_after_an_admin_raises_b_min() {
    let rep = sign_in_as("rep").await;
    let admin = sign_in_as("admin").await;
    let name = format!("Live config {}", unique(""));
    let deal = converted_deal(&rep, &name, 200_000_000).await;
    assert_eq!(deal.grade.effective, Grade::B);
    let tender = tender(&rep).await;
    let before: GradingAdmin = admin.get_json("/api/admin/grading").await;

    let outcome = tokio::spawn(the_open_page_follows(
        admin.clone(),
        before.clone(),
        deal.clone(),
        tender,
    ))
    .await;
    // Put the thresholds back for every test after this one, whatever happened.
    let (_, restored) = restore_thresholds(&admin, &before).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
    assert_eq!(
        (restored.a_min, restored.b_min, restored.c_min),
        (before.a_min, before.b_min, before.c_min)
    );
    let regraded: Opportunity = rep
        .get_json(&format!("/api/opportunities/{}", deal.id))
        .await;
    assert_eq!(regraded.track, Track::Full);
}
