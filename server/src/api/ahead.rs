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
//! Nothing is written for a guess that does not hold: only reads (GET) run
//! ahead, the session is checked as soon as the first batch answers, and
//! until it has been a handler's later batches and KV writes (a read's
//! derived data: report columns, the config snapshot) are refused, which
//! sends the request the ordinary way.

use crate::auth::{SessionState, session_state};
use crate::error::ApiError;
use crate::runtime::Runtime;
use crate::store::{Database, LocalFuture, Outcome, Stmt, sessions};
use chrono::{DateTime, Utc};
use shared::api::Me;
use std::cell::{Cell, RefCell};
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
    /// Who the handler runs as, and when.
    guess: Me,
    now: DateTime<Utc>,
    /// The session's statement, until the first batch takes it.
    session: RefCell<Option<Stmt>>,
    /// The session row it read.
    row: RefCell<Option<sessions::SessionRow>>,
    /// Whether that row is live and signs in `guess` (unknown until read).
    holds: Cell<Option<bool>>,
    /// A batch or KV write was refused for want of that: the handler's
    /// answer means nothing.
    refused: Cell<bool>,
}

impl AheadDb<'_> {
    /// Refuses what must wait for the session to hold.
    fn check(&self) -> Result<(), ApiError> {
        if self.holds.get() == Some(true) {
            Ok(())
        } else {
            self.refused.set(true);
            Err(ApiError::Unauthenticated)
        }
    }
}

/// The outcome of a read run ahead.
pub enum Checked {
    /// The session signs in the user the handler ran as: its answer stands.
    Holds(sessions::SessionRow),
    /// The handler read nothing from D1, so the session is still unread.
    Unread,
    /// Run the request the ordinary way.
    Fails,
}

impl<'a> Ahead<'a> {
    pub fn new(rt: &'a dyn Runtime, session_id: &str, guess: Me, now: DateTime<Utc>) -> Ahead<'a> {
        Ahead {
            rt,
            db: AheadDb {
                inner: rt.db(),
                guess,
                now,
                session: RefCell::new(Some(sessions::load_statement(session_id))),
                row: RefCell::new(None),
                holds: Cell::new(None),
                refused: Cell::new(false),
            },
        }
    }

    /// After the handler: whether its answer may stand.
    pub fn checked(&self) -> Checked {
        match (self.db.refused.get(), self.db.holds.get()) {
            (true, _) | (false, Some(false)) => Checked::Fails,
            (false, None) => Checked::Unread,
            (false, Some(true)) => match self.db.row.borrow_mut().take() {
                Some(row) => Checked::Holds(row),
                None => Checked::Fails,
            },
        }
    }
}

impl Database for AheadDb<'_> {
    fn batch(&self, mut statements: Vec<Stmt>) -> LocalFuture<'_, Result<Vec<Outcome>, ApiError>> {
        let Some(session) = self.session.borrow_mut().take() else {
            if let Err(e) = self.check() {
                return Box::pin(async move { Err(e) });
            }
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
            let row = sessions::parse_load(out.remove(0))?;
            let holds = row.as_ref().is_some_and(|row| {
                let live = matches!(
                    session_state(self.now.timestamp(), row.last_seen_at, row.expires_at),
                    SessionState::Valid { .. }
                );
                live && row
                    .user
                    .clone()
                    .into_me()
                    .is_ok_and(|me| me.active && me == self.guess)
            });
            self.holds.set(Some(holds));
            *self.row.borrow_mut() = row;
            self.check()?;
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
        if let Err(e) = self.db.check() {
            return Box::pin(async move { Err(e) });
        }
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
