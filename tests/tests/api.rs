//! The HTTP API against the real local runtime (workerd, local D1 and KV).

use dealgate_tests::{http, url};
use shared::api::{Health, Problem};

#[tokio::test]
async fn health_answers_ok_with_the_server_version() {
    let response = http().get(url("/api/health")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let health: Health = response.json().await.unwrap();
    assert_eq!(health, Health::ok());
}

#[tokio::test]
async fn the_api_description_is_served_as_committed_and_describes_every_route_of_the_table() {
    let response = http().get(url("/api/openapi.json")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served = response.text().await.unwrap();
    let committed = include_str!("../../server/openapi.json");
    assert!(served == committed, "the Worker serves another description");
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for route in dealgate_server::routes::ROUTES {
        let method = route.method.as_str().to_ascii_lowercase();
        let operation = &doc["paths"][route.pattern][&method];
        assert_eq!(
            operation["operationId"], route.name,
            "{} {} is not described",
            route.method, route.pattern
        );
    }
}

#[tokio::test]
async fn unknown_api_route_is_a_json_404_problem() {
    let response = http().get(url("/api/no-such-thing")).send().await.unwrap();

    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Problem = response.json().await.unwrap();
    assert_eq!(problem.status, 404);
    assert_eq!(problem.code, "not_found");
    assert!(
        problem.detail.contains("/api/no-such-thing"),
        "detail: {}",
        problem.detail
    );
}

#[tokio::test]
async fn unknown_api_route_is_json_even_for_a_browser_navigation() {
    // The SPA fallback must never swallow /api/*: the Worker answers first.
    let response = http()
        .get(url("/api/leads/nope/deeper"))
        .header("accept", "text/html")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn wrong_method_on_a_known_route_is_a_405_problem_with_allow() {
    let response = http()
        .post(url("/api/health"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    let problem: Problem = response.json().await.unwrap();
    assert_eq!(problem.code, "method_not_allowed");
}

#[tokio::test]
async fn deep_link_serves_the_spa_shell() {
    let response = http()
        .get(url("/opportunities/some-id"))
        .header("accept", "text/html")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/html"),
        "content-type: {content_type}"
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<title>Dealgate</title>"),
        "not the SPA: {body}"
    );
    assert!(
        body.contains(".wasm"),
        "the SPA shell does not load its wasm: {body}"
    );
}

#[tokio::test]
async fn root_serves_the_same_spa_shell_as_a_deep_link() {
    let root = http()
        .get(url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let deep = http()
        .get(url("/leads/x"))
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert_eq!(root, deep);
}
