//! Editing a deal's own terms in Chromium against the real runtime (issue
//! #12): the regrade is shown as the amount is typed, before saving; a zero
//! amount is refused beside its input; a manager hands the deal to another
//! rep.

use dealgate_tests::{
    click, converted_deal, deal_page_as, find, get_deal, sign_in_as, type_into, unique, wait_text,
};
use fantoccini::{Client, Locator};
use shared::{Grade, Track};
use std::time::{Duration, Instant};

async fn open_terms(client: &Client) {
    click(client, "[data-test=deal-terms] summary").await;
    find(client, "[data-test=terms-form]").await;
}

#[tokio::test]
async fn a_rep_sees_the_regrade_while_typing_the_amount_and_saves_it() {
    let rep = sign_in_as("rep").await;
    let deal = converted_deal(&rep, &unique("Terms "), 200_000_000).await;
    assert_eq!(deal.grade.effective, Grade::B);
    let client = deal_page_as("rep", &deal.id).await;
    open_terms(&client).await;
    let amount = "[data-test=terms-form] input[name=amount]";

    // Zero is named beside the input, and nothing can be saved.
    type_into(&client, amount, "0").await;
    wait_text(&client, "[data-test=amount-error]", |t| {
        t.contains("more than zero")
    })
    .await;
    assert!(
        !find(&client, "[data-test=save-terms]")
            .await
            .is_enabled()
            .await
            .unwrap()
    );

    // 500,000: B → C on the fast track, shown before saving.
    type_into(&client, amount, "500,000").await;
    wait_text(&client, "[data-test=terms-preview]", |t| {
        t.contains("B") && t.contains("C") && t.contains("Fast track")
    })
    .await;
    assert_eq!(
        get_deal(&rep, &deal.id).await.version,
        deal.version,
        "typing saved something"
    );
    click(&client, "[data-test=save-terms]").await;
    wait_text(&client, "[data-test=deal-track]", |t| t == "Fast track").await;
    let saved = get_deal(&rep, &deal.id).await;
    assert_eq!(saved.amount.minor(), 50_000_000);
    assert_eq!(
        (saved.grade.effective, saved.track),
        (Grade::C, Track::Fast)
    );
    // The box shows what is stored, and there is nothing left to save.
    let shown = find(&client, amount)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(shown, "500,000");
    assert!(
        !find(&client, "[data-test=save-terms]")
            .await
            .is_enabled()
            .await
            .unwrap()
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_manager_hands_a_deal_to_another_rep_from_its_page() {
    let rep = sign_in_as("rep").await;
    let rep2 = sign_in_as("rep2").await;
    let deal = converted_deal(&rep, &unique("Handover "), 200_000_000).await;
    let client = deal_page_as("manager", &deal.id).await;
    open_terms(&client).await;
    find(&client, "[data-test=owner-form] select")
        .await
        .select_by_value(&rep2.me.id)
        .await
        .unwrap();
    click(&client, "[data-test=change-owner]").await;
    // rep2 cannot see the deal until it is theirs (404 until then), so
    // poll as its first owner's manager, who sees it throughout.
    let manager = sign_in_as("manager").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if get_deal(&manager, &deal.id).await.owner_id == rep2.me.id {
            break;
        }
        assert!(Instant::now() < deadline, "the owner did not change");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_text(&client, "[data-test=deal-head]", |t| {
        t.contains(&rep2.me.name)
    })
    .await;
    // The history names the handover.
    wait_text(&client, "[data-test=history]", |t| {
        t.contains("Owner changed")
    })
    .await;
    assert!(
        client
            .find(Locator::Css("[data-test=action-error]"))
            .await
            .is_err()
    );
    client.close().await.unwrap();
}
