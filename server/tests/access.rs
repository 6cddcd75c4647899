//! Who may call what, on the host: every route of the table as every
//! role (and as nobody), through the real request path; and the runtime
//! seams the Worker's adapters must match.

mod support;

use dealgate_server::auth::Access;
use dealgate_server::http::Method;
use dealgate_server::routes::{ROUTES, fill};
use serde_json::json;
use shared::user::Role;
use support::*;

fn role_email(role: Role) -> &'static str {
    match role {
        Role::Rep => REP,
        Role::Manager => MANAGER,
        Role::Channel => CHANNEL,
        Role::Admin => ADMIN,
    }
}

fn sample_path(pattern: &str) -> String {
    fill(pattern, &["x_missing", "some_key"])
}

/// 401 without a session wherever one is needed, 403 without the role,
/// and otherwise never an authorisation refusal: the table's rule, route
/// for route, role for role, through `api::handle`.
#[test]
fn the_authorisation_matrix_holds_for_every_route_and_role() {
    let app = TestApp::new();
    let started = std::time::Instant::now();
    let nobody = app.anonymous();
    let clients: Vec<(Role, Client<'_>)> = Role::ALL
        .iter()
        .map(|r| (*r, app.demo(role_email(*r))))
        .collect();
    let mut checked = 0;
    for route in ROUTES {
        // Setup and sign-in have their own guards; sign-out is always allowed.
        let path = sample_path(route.pattern);
        let body = route.method.is_mutating().then(|| json!({}));
        let r = nobody.request(route.method, &path, body.clone());
        if route.access == Access::Public {
            assert_ne!(r.status(), 401, "{route:?} is public");
        } else {
            assert_eq!(r.status(), 401, "{route:?} without a session");
            assert_eq!(r.code(), "unauthenticated");
        }
        for (role, client) in &clients {
            if route.method == Method::Post && route.pattern == "/api/auth/logout" {
                continue; // would end the client's session for the routes after it
            }
            let r = client.request(route.method, &path, body.clone());
            let allowed = match route.access {
                Access::Public | Access::SignedIn => true,
                Access::Roles(roles) => roles.contains(role),
            };
            if allowed {
                assert!(
                    r.status() != 401 && !(r.status() == 403 && r.code() == "forbidden"),
                    "{route:?} as {role:?}: {} {}",
                    r.status(),
                    r.text()
                );
            } else {
                assert_eq!(
                    (r.status(), r.code()),
                    (403, "forbidden".to_string()),
                    "{route:?} as {role:?}"
                );
            }
            assert!(r.status() < 500, "{route:?} as {role:?}: {}", r.text());
            checked += 1;
        }
    }
    assert_eq!(checked, (ROUTES.len() - 1) * Role::ALL.len());
    eprintln!(
        "authorisation matrix: {checked} route × role calls in {:?} (with 4 sign-ins)",
        started.elapsed()
    );
}

#[test]
fn the_host_pbkdf2_verifies_the_hashes_the_workers_runtime_made() {
    // The demo hashes of seed/dev.sql are the ones every end-to-end
    // sign-in verifies with the runtime's WebCrypto.
    let seed = include_str!("../seed/dev.sql");
    let hashes: Vec<_> = seed
        .split('\'')
        .filter(|s| s.starts_with("pbkdf2-sha256$"))
        .collect();
    assert_eq!(hashes.len(), 5);
    // …and one the runtime derived itself: `POST /api/admin/users` with the
    // password `made-by-webcrypto` on `wrangler dev` (workerd 2026-12-01),
    // read back from its local D1.
    let from_runtime = "pbkdf2-sha256$100000$XpY9t8nIxgEk/KT5D3xuJg==$4HhjpADModagJ86scve+WZFYUTcUfIaZQn1xC3YxAI0=";
    let parsed = dealgate_server::auth::PasswordHash::parse(from_runtime).unwrap();
    assert!(parsed.matches(&pbkdf2_sha256(
        "made-by-webcrypto",
        &parsed.salt,
        parsed.iterations
    )));
    for h in hashes {
        let parsed = dealgate_server::auth::PasswordHash::parse(h).unwrap();
        let derived = pbkdf2_sha256(DEMO_PASSWORD, &parsed.salt, parsed.iterations);
        assert!(parsed.matches(&derived), "{h}");
        assert!(!parsed.matches(&pbkdf2_sha256("wrong", &parsed.salt, parsed.iterations)));
    }
}
