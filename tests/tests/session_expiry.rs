//! Expired and idle sessions, made so by writing the session row directly
//! (`d1_exec`: a second process on the runtime's SQLite file). These tests
//! run one at a time, and cargo runs no other test binary meanwhile, so no
//! request to the runtime writes while they do (see `d1_exec`).

use dealgate_tests::{d1_exec, fresh_user, sign_in};
use tokio::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Signs a new user in, sets `column` of their session to the epoch, and
/// checks the session is then refused.
async fn refused_once_session_column_is_ancient(column: &str) {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (user, password) = fresh_user(&["rep"]).await;
    let session = sign_in(&user.email, &password).await;
    assert_eq!(session.get("/api/me").send().await.unwrap().status(), 200);

    d1_exec(&format!(
        "UPDATE sessions SET {column} = 1 WHERE user_id = '{}'",
        user.id
    ))
    .await;

    assert_eq!(session.get("/api/me").send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    refused_once_session_column_is_ancient("expires_at").await;
}

#[tokio::test]
async fn an_idle_session_is_refused() {
    refused_once_session_column_is_ancient("last_seen_at").await;
}
