//! The host harness: the real route table, access layer, handlers and SQL
//! on SQLite with the same `migrations/*.sql` (and the demo users of
//! `seed/dev.sql`), an in-memory KV and a pure-Rust PBKDF2. A fresh
//! in-memory database per `TestApp`; clients per role.
#![allow(dead_code)] // each test binary uses part of the harness

pub mod deals;

use chrono::{DateTime, Duration, Utc};
use dealgate_server::error::ApiError;
use dealgate_server::http::{Method, Request, Response};
use dealgate_server::runtime::Runtime;
use dealgate_server::store::{Database, LocalFuture, Outcome, Row, Stmt, Value};
use rusqlite::types::ValueRef;
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::task::{Context, Poll, Waker};

/// Runs a host future. Every future of the host runtime is ready at its
/// first poll (SQLite and the map answer synchronously).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a host future waited: nothing on the host runtime should"),
    }
}

/// `store::Database` on SQLite: a batch is one transaction, as on D1.
/// The second field counts round trips (batches), as a D1 binding would
/// make them.
pub struct Sqlite(RefCell<rusqlite::Connection>, Cell<usize>);

fn storage(e: impl std::fmt::Display) -> ApiError {
    ApiError::Storage(e.to_string())
}

fn run_one(tx: &rusqlite::Transaction<'_>, s: &Stmt) -> Result<Outcome, ApiError> {
    let mut stmt = tx.prepare(&s.sql).map_err(storage)?;
    let params = s.params.iter().map(|v| match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(n) => rusqlite::types::Value::Integer(*n),
        Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
    });
    let names: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
    let readonly = stmt.readonly();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(storage)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(storage)? {
        let mut r = Row::new();
        for (i, name) in names.iter().enumerate() {
            let v = match row.get_ref(i).map_err(storage)? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(n) => json!(n),
                ValueRef::Real(f) => json!(f),
                ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                ValueRef::Blob(_) => return Err(storage("blobs are not stored here")),
            };
            r.insert(name.clone(), v);
        }
        out.push(r);
    }
    drop(rows);
    let changes = if readonly { 0 } else { tx.changes() };
    Ok(Outcome { rows: out, changes })
}

impl Sqlite {
    /// A fresh in-memory database with every migration applied, foreign
    /// keys enforced as D1 enforces them.
    pub fn migrated() -> Sqlite {
        let conn = rusqlite::Connection::open_in_memory().expect("sqlite");
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .expect("pragma");
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("migrations")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        for f in files {
            let sql = std::fs::read_to_string(&f).expect("migration");
            conn.execute_batch(&sql)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        }
        Sqlite(RefCell::new(conn), Cell::new(0))
    }

    /// Swaps in a database file (a copy of a seeded one, for profiling).
    /// Round trips (batches) so far.
    pub fn batches(&self) -> usize {
        self.1.get()
    }

    pub fn open_file(&self, path: &std::path::Path) {
        let conn = rusqlite::Connection::open(path).expect("sqlite file");
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .expect("pragma");
        *self.0.borrow_mut() = conn;
    }

    pub fn execute_file(&self, sql: &str) {
        self.0.borrow().execute_batch(sql).expect("sql file");
    }
}

impl Database for Sqlite {
    fn batch(&self, statements: Vec<Stmt>) -> LocalFuture<'_, Result<Vec<Outcome>, ApiError>> {
        Box::pin(async move {
            self.1.set(self.1.get() + 1);
            let mut conn = self.0.borrow_mut();
            let tx = conn.transaction().map_err(storage)?;
            let mut out = Vec::with_capacity(statements.len());
            // `DEALGATE_SQL_TIMES=1`: each statement's time on stderr (to
            // find the slow one of a batch; the benchmarks measure).
            let timed = std::env::var_os("DEALGATE_SQL_TIMES").is_some();
            for s in &statements {
                let start = std::time::Instant::now();
                // On error the transaction rolls back when dropped.
                out.push(run_one(&tx, s)?);
                if timed {
                    let sql: String = s.sql.chars().take(140).collect();
                    eprintln!("{:>8.2} ms  {sql}", start.elapsed().as_secs_f64() * 1000.0);
                }
            }
            tx.commit().map_err(storage)?;
            Ok(out)
        })
    }
}

/// The host runtime: SQLite, a KV map, a seeded generator,
/// PBKDF2 in Rust, a settable clock and secrets, and a log of errors.
pub struct HostRuntime {
    pub db: Sqlite,
    kv: RefCell<HashMap<String, String>>,
    /// KV reads so far (each a round trip on Cloudflare).
    pub kv_reads: Cell<usize>,
    rng: Cell<shared::sample::SplitMix>,
    pub now: Cell<DateTime<Utc>>,
    pub secrets: RefCell<HashMap<String, String>>,
    pub errors: RefCell<Vec<String>>,
}

impl HostRuntime {
    /// Sets a KV value behind the API's back (an out-of-date copy, say).
    pub fn kv_set_raw(&self, key: &str, value: &str) {
        self.kv
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
    }

    pub fn kv_raw(&self, key: &str) -> Option<String> {
        self.kv.borrow().get(key).cloned()
    }

    fn next(&self) -> u64 {
        // Deterministic per run, distinct ids.
        let mut rng = self.rng.get();
        let n = rng.next_u64();
        self.rng.set(rng);
        n
    }
}

impl Runtime for HostRuntime {
    fn db(&self) -> &dyn Database {
        &self.db
    }

    fn kv_get<'a>(&'a self, key: &'a str) -> LocalFuture<'a, Result<Option<String>, ApiError>> {
        self.kv_reads.set(self.kv_reads.get() + 1);
        let v = self.kv.borrow().get(key).cloned();
        Box::pin(async move { Ok(v) })
    }

    fn kv_put<'a>(&'a self, key: &'a str, value: String) -> LocalFuture<'a, Result<(), ApiError>> {
        self.kv.borrow_mut().insert(key.to_string(), value);
        Box::pin(async { Ok(()) })
    }

    fn random_bytes(&self, buf: &mut [u8]) -> Result<(), ApiError> {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }

    fn pbkdf2<'a>(
        &'a self,
        password: &'a str,
        salt: &'a [u8],
        iterations: u32,
    ) -> LocalFuture<'a, Result<Vec<u8>, ApiError>> {
        Box::pin(async move { Ok(pbkdf2_sha256(password, salt, iterations)) })
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.secrets.borrow().get(name).cloned()
    }

    fn log_error(&self, message: &str) {
        self.errors.borrow_mut().push(message.to_string());
    }
}

/// PBKDF2-HMAC-SHA256, 32 bytes: what WebCrypto derives in the Worker.
pub fn pbkdf2_sha256(password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt, iterations, &mut out);
    out.to_vec()
}

/// Every demo user's password (`seed/dev.sql`).
pub const DEMO_PASSWORD: &str = "dealgate-demo";

/// The demo users by permission role.
pub const REP: &str = "rep@example.com";
pub const REP2: &str = "rep2@example.com";
pub const MANAGER: &str = "manager@example.com";
pub const CHANNEL: &str = "channel@example.com";
pub const ADMIN: &str = "admin@example.com";

/// A Dealgate on the host: fresh database, the demo users.
pub struct TestApp {
    pub rt: HostRuntime,
    /// How many parts streamed bodies came in (the CSV export's paging).
    pub streamed_parts: std::cell::Cell<usize>,
}

impl Default for TestApp {
    fn default() -> Self {
        Self::new()
    }
}

impl TestApp {
    pub fn new() -> TestApp {
        Self::seeded(0x5EED)
    }

    /// A fresh app whose ids and tokens come from `seed`.
    pub fn seeded(seed: u64) -> TestApp {
        let db = Sqlite::migrated();
        db.execute_file(include_str!("../../seed/dev.sql"));
        TestApp {
            streamed_parts: std::cell::Cell::new(0),
            rt: HostRuntime {
                db,
                kv: RefCell::new(HashMap::new()),
                kv_reads: Cell::new(0),
                rng: Cell::new(shared::sample::SplitMix(seed)),
                now: Cell::new(
                    DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
                        .unwrap()
                        .to_utc(),
                ),
                secrets: RefCell::new(HashMap::new()),
                errors: RefCell::new(Vec::new()),
            },
        }
    }

    pub fn advance(&self, by: Duration) {
        self.rt.now.set(self.rt.now.get() + by);
    }

    /// The runtime's clock.
    pub fn now(&self) -> DateTime<chrono::Utc> {
        self.rt.now.get()
    }

    pub fn db(&self) -> &dyn Database {
        &self.rt.db
    }

    /// Sends a request through the whole API path, as the Worker does.
    pub fn send(&self, req: Request) -> Resp {
        let mut r = block_on(dealgate_server::api::handle(
            &self.rt,
            req,
            self.rt.now.get(),
        ));
        // A streamed body is read part by part, as the Worker sends it.
        if let Some(mut source) = r.stream.take().and_then(|s| s.take()) {
            while let Some(part) =
                block_on(source.next_chunk(&self.rt.db)).expect("a streamed part")
            {
                self.streamed_parts.set(self.streamed_parts.get() + 1);
                r.body.extend(part);
            }
        }
        Resp(r)
    }

    pub fn anonymous(&self) -> Client<'_> {
        Client {
            app: self,
            cookie: None,
            me: None,
        }
    }

    /// Signs in through `POST /api/auth/login`.
    pub fn sign_in(&self, email: &str, password: &str) -> Client<'_> {
        let mut c = self.anonymous();
        let r = c.post(
            "/api/auth/login",
            json!({"email": email, "password": password}),
        );
        assert_eq!(r.status(), 200, "sign-in as {email}: {}", r.text());
        let cookie =
            r.0.headers
                .iter()
                .find(|(k, _)| k == "set-cookie")
                .and_then(|(_, v)| v.split(';').next())
                .expect("a session cookie")
                .to_string();
        c.cookie = Some(cookie);
        c.me = Some(r.parse());
        c
    }

    pub fn demo(&self, email: &str) -> Client<'_> {
        self.sign_in(email, DEMO_PASSWORD)
    }
}

/// A caller with (or without) a session.
pub struct Client<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
    pub me: Option<shared::api::Me>,
}

impl Client<'_> {
    pub fn id(&self) -> String {
        self.me.as_ref().map(|m| m.id.clone()).unwrap_or_default()
    }

    /// `path` may carry a query string.
    pub fn request(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> Resp {
        self.request_in(method, path, body, "en")
    }

    /// As [`Client::request`], asking for answers in `lang`.
    pub fn request_in(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        lang: &str,
    ) -> Resp {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path, ""),
        };
        let mut req = Request::new(method, path);
        req.query = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect();
        req.headers.push(("accept-language".into(), lang.into()));
        if let Some(c) = &self.cookie {
            req.headers.push(("cookie".into(), c.clone()));
        }
        if let Some(b) = body {
            req.headers
                .push(("content-type".into(), "application/json".into()));
            req.body = serde_json::to_vec(&b).unwrap();
        }
        self.app.send(req)
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request(Method::Get, path, None)
    }

    pub fn post(&self, path: &str, body: serde_json::Value) -> Resp {
        self.request(Method::Post, path, Some(body))
    }

    pub fn patch(&self, path: &str, body: serde_json::Value) -> Resp {
        self.request(Method::Patch, path, Some(body))
    }

    pub fn put(&self, path: &str, body: serde_json::Value) -> Resp {
        self.request(Method::Put, path, Some(body))
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response, with readers for tests.
pub struct Resp(pub Response);

impl Resp {
    pub fn status(&self) -> u16 {
        self.0.status
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.0.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.0.body)
            .unwrap_or_else(|e| panic!("not the expected shape ({e}): {}", self.text()))
    }

    /// The problem's stable `code` (panics on a non-problem answer).
    pub fn code(&self) -> String {
        assert_eq!(
            self.0.header("content-type"),
            Some(shared::api::PROBLEM_CONTENT_TYPE),
            "{} is not a problem: {}",
            self.status(),
            self.text()
        );
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.0.header(name)
    }
}

/// A new lead body for `pipeline`.
pub fn new_lead(title: &str, pipeline: &str) -> serde_json::Value {
    json!({
        "title": title,
        "customer": "上海明远制造有限公司",
        "description": "MES 升级 / MES upgrade",
        "contact": {"name": "陈经理", "phone": "+86 138 0013 8000", "email": "chen@example.com"},
        "source": "展会 / Trade fair",
        "pipeline": pipeline,
    })
}
