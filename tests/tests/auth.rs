//! Accounts, sessions and roles against the real runtime (issue #4).

use dealgate_tests::{
    DEMO_PASSWORD, fresh_user, http, set_cookies, sign_in, sign_in_as, unique, url,
};
use reqwest::Method;
use serde_json::json;
use shared::api::{Me, Page, Problem, UserSummary};
use shared::user::Role;

async fn problem(response: reqwest::Response) -> Problem {
    response.json().await.expect("a problem+json body")
}

#[tokio::test]
async fn sign_in_sets_an_httponly_lax_root_cookie_and_answers_the_user() {
    let response = http()
        .post(url("/api/auth/login"))
        .json(&json!({"email": "Rep@Example.com ", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("dg_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http on loopback: {cookie}"
    );
    let me: Me = response.json().await.unwrap();
    assert_eq!(
        (me.email.as_str(), me.roles.as_slice()),
        ("rep@example.com", &[Role::Rep][..])
    );
}

#[tokio::test]
async fn me_answers_the_signed_in_user_and_401_without_a_session() {
    let rep = sign_in_as("rep").await;
    let me: Me = rep
        .get("/api/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me.id, rep.me.id);

    let anonymous = http().get(url("/api/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(problem(anonymous).await.code, "unauthenticated");
    let forged = http()
        .get(url("/api/me"))
        .header("cookie", "dg_session=not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401_and_body() {
    let login = |email: &'static str| async move {
        let r = http()
            .post(url("/api/auth/login"))
            .header("accept-language", "en")
            .json(&json!({"email": email, "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    let wrong_password = login("manager@example.com").await;
    let unknown_email = login("nobody-at-all@example.com").await;

    assert_eq!(wrong_password.0, 401);
    assert_eq!(wrong_password, unknown_email);
}

#[tokio::test]
async fn logout_really_ends_the_session() {
    let rep = sign_in_as("rep2").await;

    let out = rep
        .send_json(Method::POST, "/api/auth/logout", &json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(
        set_cookies(&out)
            .iter()
            .any(|c| c.starts_with("dg_session=;") && c.contains("Max-Age=0"))
    );

    let replay = rep.get("/api/me").send().await.unwrap();
    assert_eq!(replay.status(), 401);
}

#[tokio::test]
async fn a_role_change_revokes_the_users_sessions() {
    let (user, password) = fresh_user(&["rep"]).await;
    let session = sign_in(&user.email, &password).await;
    let admin = sign_in_as("admin").await;

    let patched = admin
        .send_json(
            Method::PATCH,
            &format!("/api/admin/users/{}", user.id),
            &json!({"roles": ["rep", "manager"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    assert_eq!(session.get("/api/me").send().await.unwrap().status(), 401);
    let again = sign_in(&user.email, &password).await;
    assert_eq!(again.me.roles, vec![Role::Rep, Role::Manager]);
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_and_cannot_sign_in() {
    let (user, password) = fresh_user(&["channel"]).await;
    let session = sign_in(&user.email, &password).await;
    let admin = sign_in_as("admin").await;

    let patched = admin
        .send_json(
            Method::PATCH,
            &format!("/api/admin/users/{}", user.id),
            &json!({"active": false}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    assert_eq!(session.get("/api/me").send().await.unwrap().status(), 401);
    let retry = http()
        .post(url("/api/auth/login"))
        .json(&json!({"email": user.email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 401);
}

#[tokio::test]
async fn a_form_post_is_refused_with_415() {
    let response = http()
        .post(url("/api/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=rep%40example.com&password=dealgate-demo")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 415);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(problem(response).await.code, "unsupported_media_type");
}

#[tokio::test]
async fn repeated_failures_for_one_email_get_429() {
    let email = format!("{}@example.com", unique("target"));
    let attempt = || async {
        http()
            .post(url("/api/auth/login"))
            // An address of its own: these failures count against no other test's.
            .header("cf-connecting-ip", "198.51.100.251")
            .json(&json!({"email": email, "password": "guess"}))
            .send()
            .await
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(attempt().await.status(), 401);
    }

    let throttled = attempt().await;

    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));
    assert_eq!(problem(throttled).await.code, "too_many_requests");
}

#[tokio::test]
async fn the_user_picker_lists_active_users_for_anyone_signed_in() {
    let rep = sign_in_as("rep").await;

    let page: Page<UserSummary> = rep
        .get("/api/users")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let names: Vec<_> = page.items.iter().map(|u| u.id.as_str()).collect();
    for id in ["u_admin", "u_manager", "u_rep", "u_rep2", "u_channel"] {
        assert!(names.contains(&id), "{id} missing from {names:?}");
    }
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn an_admin_creates_lists_and_updates_users() {
    let admin = sign_in_as("admin").await;
    let email = format!("{}@example.com", unique("new"));

    let created = admin
        .send_json(Method::POST, "/api/admin/users", &json!({
            "email": email, "name": "王五", "password": "correct horse battery", "roles": ["rep"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let user: Me = created.json().await.unwrap();

    let list: Page<Me> = admin
        .get("/api/admin/users")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.items
            .iter()
            .any(|u| u.id == user.id && u.email == email)
    );

    let renamed: Me = admin
        .send_json(
            Method::PATCH,
            &format!("/api/admin/users/{}", user.id),
            &json!({"name": "王五 (Wang Wu)"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(renamed.name, "王五 (Wang Wu)");

    let duplicate = admin
        .send_json(Method::POST, "/api/admin/users", &json!({
            "email": email.to_uppercase(), "name": "Dup", "password": "correct horse battery", "roles": ["rep"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), 409);
}

#[tokio::test]
async fn creating_a_user_with_bad_fields_lists_every_problem() {
    let admin = sign_in_as("admin").await;

    let response = admin
        .send_json(
            Method::POST,
            "/api/admin/users",
            &json!({"email": "nope", "name": " ", "password": "short", "roles": []}),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 422);
    let fields: Vec<String> = problem(response)
        .await
        .errors
        .unwrap()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["email", "name", "password", "roles"]);
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_or_deactivated() {
    let admin = sign_in_as("admin").await;

    for change in [json!({"roles": ["rep"]}), json!({"active": false})] {
        let response = admin
            .send_json(Method::PATCH, "/api/admin/users/u_admin", &change)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 409, "{change}");
        assert_eq!(problem(response).await.code, "last_admin");
    }
    assert_eq!(admin.get("/api/me").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn setup_is_gone_once_users_exist() {
    let response = http()
        .post(url("/api/setup"))
        .json(&json!({"token": "anything", "email": "a@example.com", "name": "A", "password": "long enough pw"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
}

/// Every route of the router × no session and every role, against the rule
/// table in `dealgate_server::routes`: 401 without a session where one is
/// needed, 403 for a role that may not, and neither for one that may.
#[tokio::test]
async fn the_authorisation_matrix_holds_for_every_route_and_role() {
    use dealgate_server::auth::Access;
    use dealgate_server::routes::ROUTES;
    let mut sessions = Vec::new();
    for who in ["admin", "manager", "rep", "channel"] {
        sessions.push(sign_in_as(who).await);
    }
    for route in ROUTES {
        let path = route.pattern.replace("{id}", "u_does_not_exist");
        let method = Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
        let anonymous = http()
            .request(method.clone(), url(&path))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status();
        match route.access {
            Access::Public => {
                assert!(
                    anonymous != 401 && anonymous != 403,
                    "{method} {path} anonymous: {anonymous}"
                );
                continue;
            }
            _ => assert_eq!(anonymous, 401, "{method} {path} anonymous"),
        }
        for session in &sessions {
            let status = session
                .send_json(method.clone(), &path, &json!({}))
                .send()
                .await
                .unwrap()
                .status();
            let allowed = match route.access {
                Access::Roles(roles) => session.me.roles.iter().any(|r| roles.contains(r)),
                _ => true,
            };
            if allowed {
                assert!(
                    status != 401 && status != 403,
                    "{method} {path} as {}: {status}",
                    session.me.email
                );
            } else {
                assert_eq!(status, 403, "{method} {path} as {}", session.me.email);
            }
        }
    }
}
