//! A signed-in read in one D1 round trip instead of two (#14).
//!
//! A read (GET) needs its session before its handler may run, and the
//! handler then reads its own rows: two round trips. When this isolate has
//! already seen the session, the handler runs at once as the user it saw,
//! and the session's statement goes first in the handler's first batch, so
//! both are read together (one atomic snapshot). The answer is kept only if
//! that session row signs in exactly the user the handler ran as (same id,
//! e-mail, name, roles, active); otherwise it is thrown away and the request
//! runs the ordinary way. What the isolate saw is a guess that saves a
//! round trip, never a credential: every answer is still decided by the
//! session as D1 holds it at that moment, so a sign-out, a deactivation or
//! a role change takes effect at once, as before.
//!
//! Only reads are run ahead: a handler that writes must not run for a user
//! who may no longer be signed in.

use crate::error::ApiError;
use crate::runtime::Runtime;
use crate::store::{Database, LocalFuture, Outcome, Stmt, sessions};
use shared::api::Me;
use std::cell::RefCell;
use std::collections::HashMap;

/// Sessions the isolate has seen signed in, by session id. Bounded: when
/// full it starts again (a forgotten session costs one round trip).
const SEEN_MAX: usize = 4096;

thread_local! {
    static SEEN: RefCell<HashMap<String, Me>> = RefCell::new(HashMap::new());
}

/// The user `session_id` signed in the last time this isolate read it.
pub fn seen(session_id: &str) -> Option<Me> {
    SEEN.with(|s| s.borrow().get(session_id).cloned())
}

/// Remembers who `session_id` signed in (read from D1 just now).
pub fn remember(session_id: &str, me: &Me) {
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() >= SEEN_MAX && !s.contains_key(session_id) {
            s.clear();
        }
        s.insert(session_id.to_string(), me.clone());
    });
}

/// Forgets `session_id` (ended, or no longer the user seen).
pub fn forget(session_id: &str) {
    SEEN.with(|s| {
        s.borrow_mut().remove(session_id);
    });
}

/// The runtime a read runs ahead on: everything as `rt`, except that the
/// first batch also reads the session.
pub struct Ahead<'a> {
    rt: &'a dyn Runtime,
    db: AheadDb<'a>,
}

struct AheadDb<'a> {
    inner: &'a dyn Database,
    /// The session's statement, until the first batch takes it.
    session: RefCell<Option<Stmt>>,
    /// What it answered.
    answer: RefCell<Option<Outcome>>,
}

impl<'a> Ahead<'a> {
    pub fn new(rt: &'a dyn Runtime, session_id: &str) -> Ahead<'a> {
        Ahead {
            rt,
            db: AheadDb {
                inner: rt.db(),
                session: RefCell::new(Some(sessions::load_statement(session_id))),
                answer: RefCell::new(None),
            },
        }
    }

    /// The session row read with the handler's first batch; `None` when
    /// the handler read nothing (then it must be read on its own).
    pub fn session_answer(&self) -> Option<Result<Option<sessions::SessionRow>, ApiError>> {
        self.db.answer.borrow_mut().take().map(sessions::parse_load)
    }
}

impl Database for AheadDb<'_> {
    fn batch(&self, mut statements: Vec<Stmt>) -> LocalFuture<'_, Result<Vec<Outcome>, ApiError>> {
        let Some(session) = self.session.borrow_mut().take() else {
            return self.inner.batch(statements);
        };
        statements.insert(0, session);
        Box::pin(async move {
            let n = statements.len();
            let mut out = self.inner.batch(statements).await?;
            if out.len() != n {
                return Err(crate::store::storage(
                    "batch answered the wrong number of results",
                ));
            }
            *self.answer.borrow_mut() = Some(out.remove(0));
            Ok(out)
        })
    }
}

impl Runtime for Ahead<'_> {
    fn db(&self) -> &dyn Database {
        &self.db
    }

    fn kv_get<'a>(&'a self, key: &'a str) -> LocalFuture<'a, Result<Option<String>, ApiError>> {
        self.rt.kv_get(key)
    }

    fn kv_put<'a>(&'a self, key: &'a str, value: String) -> LocalFuture<'a, Result<(), ApiError>> {
        self.rt.kv_put(key, value)
    }

    fn random_bytes(&self, buf: &mut [u8]) -> Result<(), ApiError> {
        self.rt.random_bytes(buf)
    }

    fn pbkdf2<'a>(
        &'a self,
        password: &'a str,
        salt: &'a [u8],
        iterations: u32,
    ) -> LocalFuture<'a, Result<Vec<u8>, ApiError>> {
        self.rt.pbkdf2(password, salt, iterations)
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.rt.secret(name)
    }

    fn log_error(&self, message: &str) {
        self.rt.log_error(message)
    }
}
