//! The sign-in throttle counts atomically (issue #15): a burst of parallel
//! wrong passwords from one address gets no more tries than the limit.

use dealgate_tests::{http, unique, url};
use serde_json::json;

#[tokio::test]
async fn fifty_parallel_wrong_passwords_for_one_email_get_exactly_five_tries_and_the_rest_429() {
    let email = format!("{}@example.com", unique("burst"));
    // An address of its own, so the burst counts against no other test.
    let client = "198.51.100.250".to_string();
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (email, client) = (email.clone(), client.clone());
        attempts.spawn(async move {
            http()
                .post(url("/api/auth/login"))
                .header("cf-connecting-ip", client)
                .json(&json!({"email": email, "password": "guess-guess"}))
                .send()
                .await
                .expect("reach the API")
                .status()
                .as_u16()
        });
    }

    let statuses = attempts.join_all().await;

    let tried = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (tried, refused),
        (5, 45),
        "every attempt is 401 (checked) or 429 (over the limit): {statuses:?}"
    );
}
