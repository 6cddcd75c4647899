//! The one module that talks HTTP to the server (through gloo-net). Every
//! call returns a `shared` type or an [`ApiError`].

use gloo_net::http::{Request, RequestBuilder};
use leptos::prelude::{ArcRwSignal, Update};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{
    ApprovalDecision, AuditEntry, Config, ConfigNames, DisqualifyRequest, GradeOverrideRequest,
    GradingAdmin, GradingChange, GradingUpdate, Health, LoginRequest, Me, NewPipeline, NewUser,
    Page, PipelineSummary, Problem, RegistrationAdmin, TaskUpdate, TeamRolesAdmin, TeamUpdate,
    Thresholds, TransitionRequest, UserPatch, UserSummary, VersionOnly,
};
use shared::event::Event;
use shared::impact::PipelinePreview;
use shared::lead::{ConvertRequest, Lead, LeadPatch, NewLead};
use shared::opportunity::{Opportunity, OpportunityPatch};
use shared::pipeline::Pipeline;
use shared::regrade::PolicyPreview;
use std::fmt;
use std::sync::Arc;

/// Why a call failed, in a form the error component can explain.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: offline, server down, request blocked.
    Network(String),
    /// The server answered with problem+json.
    Problem(Box<Problem>),
    /// The server answered something that is not what the contract says.
    Unexpected { status: u16 },
    /// The config's grading thresholds make no policy: the app cannot know
    /// the rules the server grades by, so it gives no verdict.
    NoGradingPolicy,
}

impl ApiError {
    /// The problem's per-field errors, for a form to show beside its inputs.
    pub fn field_errors(&self) -> Vec<shared::api::FieldError> {
        match self {
            ApiError::Problem(p) => p.errors.clone().unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Network(_) | ApiError::NoGradingPolicy => None,
            ApiError::Problem(p) => Some(p.status),
            ApiError::Unexpected { status } => Some(*status),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Network(cause) => write!(f, "network error: {cause}"),
            ApiError::Problem(p) => write!(f, "{} ({}): {}", p.title, p.code, p.detail),
            ApiError::Unexpected { status } => {
                write!(f, "unexpected answer from the server (HTTP {status})")
            }
            ApiError::NoGradingPolicy => {
                write!(f, "the config's grading thresholds make no policy")
            }
        }
    }
}

impl std::error::Error for ApiError {}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<(u16, String), ApiError> {
    exchange(request)
        .await
        .map(|(status, text, _)| (status, text))
}

/// The status, the body and the entity tag of an answer.
async fn exchange(
    request: Result<Request, gloo_net::Error>,
) -> Result<(u16, String, Option<String>), ApiError> {
    let network = |e: gloo_net::Error| ApiError::Network(e.to_string());
    let response = request.map_err(network)?.send().await.map_err(network)?;
    let status = response.status();
    if let Some(Ok(v)) = response.headers().get(VERSION_HEADER).map(|v| v.parse()) {
        config_version_seen(v);
    }
    let tag = response.headers().get("etag");
    let text = response.text().await.map_err(network)?;
    Ok((status, text, tag))
}

/// The status, the body and the entity tag of an answer.
type Answer = Result<(u16, String, Option<String>), ApiError>;

/// A read started before its page asked for it.
#[derive(Default)]
struct Prefetch {
    answer: std::cell::RefCell<Option<Answer>>,
    /// The answer is in (it may have been taken since).
    done: std::cell::Cell<bool>,
    /// Who waits for it: the page that takes it, and the outlet's opening
    /// view, which reads a deal's name from it ([`name_ahead`]).
    waiting: std::cell::RefCell<Vec<std::task::Waker>>,
}

thread_local! {
    /// The one read started ahead (a page's first data, while its code
    /// loads), with its path.
    static AHEAD: std::cell::RefCell<Option<(String, std::rc::Rc<Prefetch>)>> =
        const { std::cell::RefCell::new(None) };
    /// The config's read, started ahead on a visit that has no config yet
    /// (see [`config_ahead`]).
    static CONFIG_AHEAD: std::cell::RefCell<Option<std::rc::Rc<Prefetch>>> =
        const { std::cell::RefCell::new(None) };
    /// The users' read, started ahead on a visit that has none kept (see
    /// [`users_ahead`]).
    static USERS_AHEAD: std::cell::RefCell<Option<std::rc::Rc<Prefetch>>> =
        const { std::cell::RefCell::new(None) };
}

/// Sends `GET path` now; its answer waits in the returned slot.
fn start(path: String) -> std::rc::Rc<Prefetch> {
    let ahead = std::rc::Rc::new(Prefetch::default());
    let slot = ahead.clone();
    leptos::task::spawn_local(async move {
        let answer = exchange(builder("GET", &path).build()).await;
        *slot.answer.borrow_mut() = Some(answer);
        slot.done.set(true);
        for waker in slot.waiting.take() {
            waker.wake();
        }
    });
    ahead
}

/// The answer of a read started ahead, once it is in.
async fn answer_of(ahead: std::rc::Rc<Prefetch>) -> Answer {
    std::future::poll_fn(|cx| match ahead.answer.borrow_mut().take() {
        Some(answer) => std::task::Poll::Ready(answer),
        None => {
            wait_for(&ahead, cx);
            std::task::Poll::Pending
        }
    })
    .await
}

/// Wakes `cx`'s task when `ahead`'s answer is in (once, however often it polls).
fn wait_for(ahead: &Prefetch, cx: &std::task::Context<'_>) {
    let mut waiting = ahead.waiting.borrow_mut();
    if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
        waiting.push(cx.waker().clone());
    }
}

/// Starts `GET path` now, for the page about to ask for it (its route's
/// `data()`, run while the page's code downloads): the page's own [`get`]
/// of the same path takes this answer instead of asking again.
pub fn prefetch(path: String) {
    let ahead = start(path.clone());
    AHEAD.with(|a| *a.borrow_mut() = Some((path, ahead)));
}

/// The `name` in the answer to `GET path` started ahead, once that answer
/// is in, without taking it (its page does): a deal's name, which the
/// outlet shows while the deal page's code arrives. `None` when `path` is
/// not the read ahead, or its answer failed or was taken first.
pub async fn name_ahead(path: &str) -> Option<String> {
    use web_sys::js_sys::{JSON, Reflect};
    let ahead = AHEAD.with(|a| {
        a.borrow()
            .as_ref()
            .filter(|(p, _)| p == path)
            .map(|(_, ahead)| ahead.clone())
    })?;
    std::future::poll_fn(|cx| {
        if !ahead.done.get() {
            wait_for(&ahead, cx);
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(match &*ahead.answer.borrow() {
            // The browser's own JSON reader: one field, for the entry's
            // code (a serde reader of its own was ~1 KB gzip there).
            Some(Ok((200, text, _))) => JSON::parse(text)
                .and_then(|doc| Reflect::get(&doc, &"name".into()))
                .ok()
                .and_then(|name| name.as_string()),
            _ => None,
        })
    })
    .await
}

/// The answer to `GET path` if it was started ahead (once).
async fn prefetched(path: &str) -> Option<Answer> {
    let ahead = AHEAD.with(|a| {
        let mut a = a.borrow_mut();
        match &*a {
            Some((p, _)) if p == path => a.take().map(|(_, ahead)| ahead),
            _ => None,
        }
    })?;
    Some(answer_of(ahead).await)
}

/// Starts `GET /api/config` with a page's code when this visit has no
/// config, neither asked nor kept (a first visit in this browser): the
/// page's [`config`] takes the answer instead of asking once its code is
/// in and who is signed in is known (README, "Performance").
pub fn config_ahead() {
    let have =
        CONFIG.with(|c| c.borrow().is_some()) || KEPT_CONFIG_TEXT.with(|k| k.borrow().is_some());
    if !have {
        CONFIG_AHEAD.with(|a| *a.borrow_mut() = Some(start("/api/config".into())));
    }
}

/// Starts `GET /api/users` with a page's code when this browser keeps no
/// users and this visit has not asked (a first visit; the deal list and a
/// deal show them before they paint, the board after: not there, where it
/// would hold one of HTTP/1.1's six connections from the board's own
/// reads): [`users`] takes the answer instead
/// of asking once the page's code, the config and the page's records are
/// in.
pub fn users_ahead() {
    // `users()` marks the visit as asked before it holds any users.
    let have = USERS_ASKED.get()
        || USERS_AHEAD.with(|a| a.borrow().is_some())
        || kept(KEPT_USERS).is_some();
    if !have {
        USERS_AHEAD.with(|a| *a.borrow_mut() = Some(start("/api/users".into())));
    }
}

// What this browser keeps across visits for the signed-in user, so a page
// paints without waiting for them: who they are, the config, the users.
// Each is asked again in the background (the config through the version
// every answer names, the users with their entity tag); sign-out and any
// 401 forget them all.
const KEPT_ME: &str = "dealgate.me";
const KEPT_CONFIG: &str = "dealgate.config";
const KEPT_USERS: &str = "dealgate.users";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn kept(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok()?
}

fn keep(key: &str, value: &str) {
    if let Some(s) = local_storage() {
        // Full or refused storage: the app works as before, asking.
        let _ = s.set_item(key, value);
    }
}

/// Forgets everything kept for the signed-in user.
pub fn forget_kept() {
    if let Some(s) = local_storage() {
        for key in [KEPT_ME, KEPT_CONFIG, KEPT_USERS] {
            let _ = s.remove_item(key);
        }
    }
    CONFIG_KEPT.set(false);
    KEPT_CONFIG_TEXT.with(|k| k.borrow_mut().take());
    // The names may have been read from the kept text just forgotten.
    NAMES.with(|n| n.borrow_mut().take());
    CONFIG_AHEAD.with(|a| a.borrow_mut().take());
    USERS_AHEAD.with(|a| a.borrow_mut().take());
}

/// The user this browser last saw signed in; the config kept for them is
/// made current (as text: a page parses it when it first asks, so its
/// parser stays out of the first load).
pub fn restore_kept() -> Option<Me> {
    let me: Me = serde_json::from_str(&kept(KEPT_ME)?).ok()?;
    if let Some((version, text)) = kept(KEPT_CONFIG).as_deref().and_then(split_kept)
        && let Ok(version) = version.parse()
    {
        KEPT_CONFIG_TEXT.with(|k| *k.borrow_mut() = Some((version, text.to_string())));
        CONFIG_KEPT.set(true);
    }
    Some(me)
}

/// A kept entry: `<tag or version>\n<body>`.
fn split_kept(entry: &str) -> Option<(&str, &str)> {
    entry.split_once('\n')
}

/// The header on every answer to a signed-in user: the config's version.
const VERSION_HEADER: &str = "x-config-version";

/// What an answer saying the config is at `seen` means, given the cached
/// config's version (`None`: none cached) and the newest version any answer
/// named before: (drop the cached config, tell the pages).
/// A config kept from an earlier visit is stale at any other version (the
/// database may have been replaced), one asked in this visit only at a newer
/// one (a lagging copy may name an older version).
fn config_news(seen: u64, cached: Option<u64>, kept: bool, newest: u64) -> (bool, bool) {
    let stale = cached.is_some_and(|c| seen > c || (kept && seen != c));
    // Told once per version: a server answering an older config than it
    // says cannot make the pages reload in a loop.
    (stale, stale && seen > newest)
}

fn config_version(versions: &std::collections::BTreeMap<String, u64>) -> u64 {
    versions.get("config").copied().unwrap_or(0)
}

fn config_version_seen(seen: u64) {
    let cached = CONFIG
        .with(|c| c.borrow().as_ref().map(|(v, _)| *v))
        .or_else(|| KEPT_CONFIG_TEXT.with(|k| k.borrow().as_ref().map(|(v, _)| *v)))
        .or_else(|| NAMES.with(|n| n.borrow().as_ref().map(|(v, _)| *v)));
    let newest = MIN_VERSION.get();
    let (stale, news) = config_news(seen, cached, CONFIG_KEPT.get(), newest);
    // Named by the server: the kept copy is this visit's now (or dropped).
    CONFIG_KEPT.set(false);
    MIN_VERSION.set(newest.max(seen));
    if stale {
        forget_config();
    }
    if news {
        // Set by the first page that listens (kept out of the first load).
        if let Some(tell) = ON_NEWS.get() {
            tell();
        }
    }
}

/// Rises each time an answer says the config changed (new thresholds or
/// stage rules): pages that judge by the config read it to reload. The
/// first use also makes a tab the user comes back to ask the server
/// (`GET /api/me`), whose answer says the config's version.
pub fn config_epoch() -> ArcRwSignal<u64> {
    EPOCH.with(|e| {
        e.get_or_init(|| {
            let ask = |_| {
                let hidden = leptos::prelude::document().hidden();
                if !hidden {
                    leptos::task::spawn_local(async {
                        let _ = me().await;
                    });
                }
            };
            std::mem::forget(leptos::prelude::window_event_listener_untyped("focus", ask));
            std::mem::forget(leptos::prelude::window_event_listener_untyped(
                "visibilitychange",
                ask,
            ));
            ON_NEWS.set(Some(|| config_epoch().update(|e| *e += 1)));
            ArcRwSignal::new(0)
        })
        .clone()
    })
}

fn builder(method: &str, path: &str) -> RequestBuilder {
    let b = match method {
        "POST" => Request::post(path),
        "PUT" => Request::put(path),
        "PATCH" => Request::patch(path),
        "DELETE" => Request::delete(path),
        _ => Request::get(path),
    };
    b.header("accept", "application/json")
        .header("accept-language", LANGUAGE.get())
}

thread_local! {
    /// The app's language, so the server's messages (problem details) come
    /// in the language the user chose rather than the browser's.
    static LANGUAGE: std::cell::Cell<&'static str> = const { std::cell::Cell::new("zh-CN") };
}

/// Called by `i18n` whenever the language is chosen.
pub fn set_language(tag: &'static str) {
    LANGUAGE.set(tag);
}

fn read<T: DeserializeOwned>(status: u16, text: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        return serde_json::from_str(text).map_err(|_| ApiError::Unexpected { status });
    }
    match serde_json::from_str::<Problem>(text) {
        Ok(problem) => Err(ApiError::Problem(Box::new(problem))),
        Err(_) => Err(ApiError::Unexpected { status }),
    }
}

thread_local! {
    /// What to do when the server says the session is gone (set by the app:
    /// forget the user and go to the sign-in page).
    static ON_UNAUTHORIZED: std::cell::RefCell<Option<std::rc::Rc<dyn Fn()>>> =
        const { std::cell::RefCell::new(None) };
}

pub fn on_unauthorized(hook: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(std::rc::Rc::new(hook)));
}

/// Calls that answer 401 as a normal outcome, not as a lost session.
const SESSION_PROBES: &[&str] = &["/api/me", "/api/auth/login"];

fn check_session(path: &str, status: u16) {
    if status == 401 {
        forget_kept();
    }
    if status == 401 && !SESSION_PROBES.contains(&path) {
        let hook = ON_UNAUTHORIZED.with(|h| h.borrow().clone());
        if let Some(hook) = hook {
            hook();
        }
    }
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let (status, text) = match prefetched(path).await {
        Some(answer) => answer.map(|(status, text, _)| (status, text))?,
        None => send(builder("GET", path).build()).await?,
    };
    check_session(path, status);
    read(status, &text)
}

/// A JSON body with `content-type: application/json` (the server refuses others).
pub async fn send_json<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    let (status, text) = send(builder(method, path).json(body)).await?;
    check_session(path, status);
    read(status, &text)
}

/// As [`send_json`], for answers without a body (204).
pub async fn send_json_empty<B: Serialize>(
    method: &str,
    path: &str,
    body: &B,
) -> Result<(), ApiError> {
    let (status, text) = send(builder(method, path).json(body)).await?;
    check_session(path, status);
    if (200..300).contains(&status) {
        Ok(())
    } else {
        read::<()>(status, &text)
    }
}

/// `GET /api/health`.
pub async fn health() -> Result<Health, ApiError> {
    get("/api/health").await
}

/// `GET /api/me`: the signed-in user (kept for the next visit), or a 401.
pub async fn me() -> Result<Me, ApiError> {
    kept_me("/api/me", builder("GET", "/api/me").build()).await
}

/// The user an answer to `path` names, kept for the next visit.
async fn kept_me(path: &str, request: Result<Request, gloo_net::Error>) -> Result<Me, ApiError> {
    let (status, text) = send(request).await?;
    check_session(path, status);
    let me = read(status, &text)?;
    keep(KEPT_ME, &text);
    Ok(me)
}

/// `POST /api/auth/login`: the user signed in, kept for the next visit as
/// `/api/me` keeps them (a visit after signing in paints at once).
pub async fn login(email: &str, password: &str) -> Result<Me, ApiError> {
    forget_kept();
    let body = LoginRequest {
        email: email.to_string(),
        password: password.to_string(),
    };
    let path = "/api/auth/login";
    kept_me(path, builder("POST", path).json(&body)).await
}

pub async fn logout() -> Result<(), ApiError> {
    forget_kept();
    send_json_empty("POST", "/api/auth/logout", &serde_json::json!({})).await
}

pub async fn admin_users() -> Result<Page<Me>, ApiError> {
    get("/api/admin/users").await
}

pub async fn create_user(user: &NewUser) -> Result<Me, ApiError> {
    send_json("POST", "/api/admin/users", user).await
}

pub async fn update_user(id: &str, patch: &UserPatch) -> Result<Me, ApiError> {
    send_json("PATCH", &format!("/api/admin/users/{id}"), patch).await
}

/// `GET /api/admin/grading`: the thresholds in force and their version.
pub async fn grading() -> Result<GradingAdmin, ApiError> {
    get("/api/admin/grading").await
}

/// `POST /api/admin/grading/preview`: which open deals `thresholds` would
/// regrade, and the deals per grade.
pub async fn grading_preview(thresholds: &Thresholds) -> Result<PolicyPreview, ApiError> {
    send_json("POST", "/api/admin/grading/preview", thresholds).await
}

/// `PUT /api/admin/grading`: saves (and regrades every open deal); 409 with
/// the thresholds in force when `version` is stale. The cached config
/// holds the old thresholds: it is asked again on its next use.
pub async fn update_grading(update: &GradingUpdate) -> Result<GradingAdmin, ApiError> {
    let saved = send_json("PUT", "/api/admin/grading", update).await;
    forget_config();
    saved
}

/// `GET /api/admin/grading/history`: every version, newest first.
pub async fn grading_history() -> Result<Vec<GradingChange>, ApiError> {
    Ok(get::<Page<GradingChange>>("/api/admin/grading/history")
        .await?
        .items)
}

/// `GET /api/admin/pipelines`.
pub async fn admin_pipelines() -> Result<Vec<PipelineSummary>, ApiError> {
    Ok(get::<Page<PipelineSummary>>("/api/admin/pipelines")
        .await?
        .items)
}

/// `GET /api/admin/pipelines/{id}`: the whole document with its version.
pub async fn admin_pipeline(id: &str) -> Result<Pipeline, ApiError> {
    get(&format!("/api/admin/pipelines/{id}")).await
}

/// `POST /api/admin/pipelines`: a new pipeline (a copy, or the frame).
pub async fn create_pipeline(new: &NewPipeline) -> Result<Pipeline, ApiError> {
    let made = send_json("POST", "/api/admin/pipelines", new).await;
    forget_config();
    made
}

/// `PUT /api/admin/pipelines/{id}` with a draft as the admin typed it (the
/// server checks it with the same `shared::draft` rules).
pub async fn update_pipeline(id: &str, draft: &serde_json::Value) -> Result<Pipeline, ApiError> {
    let saved = send_json("PUT", &format!("/api/admin/pipelines/{id}"), draft).await;
    forget_config();
    saved
}

/// `POST /api/admin/pipelines/{id}/preview`: what the draft would do to the
/// pipeline's open deals.
pub async fn pipeline_preview(
    id: &str,
    draft: &serde_json::Value,
) -> Result<PipelinePreview, ApiError> {
    send_json("POST", &format!("/api/admin/pipelines/{id}/preview"), draft).await
}

/// `GET /api/admin/team-roles`.
pub async fn team_roles() -> Result<TeamRolesAdmin, ApiError> {
    get("/api/admin/team-roles").await
}

/// `PUT /api/admin/team-roles` with the list as typed.
pub async fn update_team_roles(body: &serde_json::Value) -> Result<TeamRolesAdmin, ApiError> {
    let saved = send_json("PUT", "/api/admin/team-roles", body).await;
    forget_config();
    saved
}

/// `GET /api/admin/registration`.
pub async fn registration() -> Result<RegistrationAdmin, ApiError> {
    get("/api/admin/registration").await
}

/// `PUT /api/admin/registration`.
pub async fn update_registration(body: &serde_json::Value) -> Result<RegistrationAdmin, ApiError> {
    let saved = send_json("PUT", "/api/admin/registration", body).await;
    forget_config();
    saved
}

/// `GET /api/registrations?status=`: the review queue, oldest first
/// (every status when `status` is empty).
pub async fn registrations(
    status: &str,
) -> Result<Vec<shared::registration::RegistrationItem>, ApiError> {
    let q = query(&[("status", status)]);
    Ok(
        get::<Page<shared::registration::RegistrationItem>>(&format!("/api/registrations{q}"))
            .await?
            .items,
    )
}

/// `POST /api/registrations/{id}/approve`: 201 with the E deal, of which
/// the queue needs the id only (reading the whole deal here would put its
/// deserialiser in the queue page's wasm).
pub async fn approve_registration(
    id: &str,
    body: &shared::registration::ApproveRequest,
) -> Result<String, ApiError> {
    #[derive(serde::Deserialize)]
    struct Created {
        id: String,
    }
    let created: Created =
        send_json("POST", &format!("/api/registrations/{id}/approve"), body).await?;
    Ok(created.id)
}

/// `POST /api/registrations/{id}/reject`.
pub async fn reject_registration(
    id: &str,
    body: &shared::registration::RejectRequest,
) -> Result<shared::registration::RegistrationItem, ApiError> {
    send_json("POST", &format!("/api/registrations/{id}/reject"), body).await
}

/// `GET /api/admin/audit`: configuration and account changes, newest first.
pub async fn audit() -> Result<Vec<AuditEntry>, ApiError> {
    Ok(get::<Page<AuditEntry>>("/api/admin/audit").await?.items)
}

/// The build's content-hashed folder, `/pkg-<hash>/` (from the `app.js`
/// index.html loads): where the admin pages' texts and styles are.
pub fn pkg_base() -> Option<String> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector("script[type=module][src$='/app.js']")
                .ok()
                .flatten()
        })
        .and_then(|l| l.get_attribute("src"))
        .and_then(|h| h.strip_suffix("app.js").map(str::to_string))
}

/// `(zh-CN, en)` per `i18n::AdminMsg`, in key order.
pub type AdminTexts = Arc<Vec<(String, String)>>;

/// The admin pages' texts (`app/texts/admin.json`, `(zh-CN, en)` per
/// `i18n::AdminMsg`), from the build's content-hashed folder, asked once.
pub async fn admin_texts() -> Result<AdminTexts, ApiError> {
    if let Some(t) = ADMIN_TEXTS.with(|t| t.borrow().clone()) {
        return Ok(t);
    }
    let base = pkg_base().ok_or(ApiError::Unexpected { status: 0 })?;
    let t: AdminTexts = Arc::new(get(&format!("{base}admin.json")).await?);
    ADMIN_TEXTS.with(|slot| *slot.borrow_mut() = Some(t.clone()));
    Ok(t)
}

/// After a configuration change: the cached config is asked again on its
/// next use.
fn forget_config() {
    CONFIG.with(|c| c.borrow_mut().take());
    NAMES.with(|n| n.borrow_mut().take());
    KEPT_CONFIG_TEXT.with(|k| k.borrow_mut().take());
    if let Some(s) = local_storage() {
        let _ = s.remove_item(KEPT_CONFIG);
    }
}

thread_local! {
    /// The cached config, with its version.
    static CONFIG: std::cell::RefCell<Option<(u64, Arc<Config>)>> = const { std::cell::RefCell::new(None) };
    /// The config's names with their version, read from its text when no
    /// page has needed the whole config yet (see [`config_names`]).
    static NAMES: std::cell::RefCell<Option<(u64, Arc<ConfigNames>)>> = const { std::cell::RefCell::new(None) };
    static USERS: std::cell::RefCell<Option<Arc<Vec<UserSummary>>>> = const { std::cell::RefCell::new(None) };
    static ADMIN_TEXTS: std::cell::RefCell<Option<AdminTexts>> = const { std::cell::RefCell::new(None) };
    /// The newest config version any answer named: the next config asked
    /// must be at least this (KV copies lag; the server then reads D1).
    static MIN_VERSION: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Is the cached config the one kept from an earlier visit, not yet
    /// confirmed by a version the server named?
    static CONFIG_KEPT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The config's JSON with its version, not read whole yet: kept from
    /// an earlier visit, or asked by a page that read only its names.
    static KEPT_CONFIG_TEXT: std::cell::RefCell<Option<(u64, String)>> =
        const { std::cell::RefCell::new(None) };
    /// Has this visit asked for the users (revalidating a kept copy)?
    static USERS_ASKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static ON_NEWS: std::cell::Cell<Option<fn()>> = const { std::cell::Cell::new(None) };
    static EPOCH: std::cell::OnceCell<ArcRwSignal<u64>> = const { std::cell::OnceCell::new() };
}

/// `GET /api/config`: pipelines, grading policy, team roles. Asked once and
/// kept until an answer names a newer version (see [`config_epoch`]).
pub async fn config() -> Result<Arc<Config>, ApiError> {
    if let Some((_, c)) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(c);
    }
    if let Some((version, text)) = KEPT_CONFIG_TEXT.with(|k| k.borrow_mut().take())
        && let Ok(c) = serde_json::from_str::<Config>(&text)
    {
        let c = Arc::new(c);
        CONFIG.with(|slot| *slot.borrow_mut() = Some((version, c.clone())));
        return Ok(c);
    }
    let (c, text) = ask_config(|c: &Config| config_version(&c.versions)).await?;
    let c = Arc::new(c);
    let version = config_version(&c.versions);
    keep_config(version, &text);
    CONFIG.with(|slot| *slot.borrow_mut() = Some((version, c.clone())));
    Ok(c)
}

/// The config's names only (the deal list's filters and stage column): from
/// the whole config if this visit has read it, else read from its text
/// (kept, or asked), which stays for the first page that needs the whole
/// config. A page that shows names then carries their reader only, not the
/// whole config's (README, "Performance").
pub async fn config_names() -> Result<Arc<ConfigNames>, ApiError> {
    if let Some((_, c)) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(Arc::new(ConfigNames::from(&*c)));
    }
    if let Some((_, n)) = NAMES.with(|n| n.borrow().clone()) {
        return Ok(n);
    }
    let kept = KEPT_CONFIG_TEXT.with(|k| {
        k.borrow()
            .as_ref()
            .and_then(|(_, text)| serde_json::from_str::<ConfigNames>(text).ok())
    });
    let n = match kept {
        Some(n) => n,
        None => {
            let (n, text) = ask_config(|n: &ConfigNames| config_version(&n.versions)).await?;
            let version = config_version(&n.versions);
            keep_config(version, &text);
            // This visit's text until a page reads the whole config from it.
            KEPT_CONFIG_TEXT.with(|k| *k.borrow_mut() = Some((version, text)));
            n
        }
    };
    let version = config_version(&n.versions);
    let n = Arc::new(n);
    NAMES.with(|slot| *slot.borrow_mut() = Some((version, n.clone())));
    Ok(n)
}

/// Asks for the config, read as `T`, with its text: the answer started ahead
/// if it is at least the newest version any answer named since (a 401 or an
/// older copy: asked again).
async fn ask_config<T: DeserializeOwned>(version: fn(&T) -> u64) -> Result<(T, String), ApiError> {
    if let Some(ahead) = CONFIG_AHEAD.with(|a| a.borrow_mut().take())
        && let Ok((200, text, _)) = answer_of(ahead).await
        && let Ok(c) = serde_json::from_str::<T>(&text)
        && version(&c) >= MIN_VERSION.get()
    {
        return Ok((c, text));
    }
    let path = match MIN_VERSION.get() {
        0 => "/api/config".to_string(),
        n => format!("/api/config?min_version={n}"),
    };
    let (status, text) = send(builder("GET", &path).build()).await?;
    check_session(&path, status);
    Ok((read::<T>(status, &text)?, text))
}

/// The config's answer at `version`, kept for the next visit.
fn keep_config(version: u64, text: &str) {
    keep(KEPT_CONFIG, &format!("{version}\n{text}"));
}

/// `GET /api/users`: names and roles for pickers and the timeline, asked
/// once per visit (or kept from the last and asked again in the
/// background, see [`restore_kept`]).
pub async fn users() -> Result<Arc<Vec<UserSummary>>, ApiError> {
    if let Some(u) = USERS.with(|u| u.borrow().clone()) {
        return Ok(u);
    }
    // The first ask of a visit: the kept copy now, asked again behind it.
    if !USERS_ASKED.replace(true)
        && let Some(u) = kept(KEPT_USERS)
            .as_deref()
            .and_then(split_kept)
            .and_then(|(_, body)| serde_json::from_str::<Page<UserSummary>>(body).ok())
    {
        let u = Arc::new(u.items);
        USERS.with(|slot| *slot.borrow_mut() = Some(u.clone()));
        leptos::task::spawn_local(async {
            let _ = fetch_users().await;
        });
        return Ok(u);
    }
    fetch_users().await
}

/// Asks for the users with the kept copy's tag: a 304 keeps that copy.
async fn fetch_users() -> Result<Arc<Vec<UserSummary>>, ApiError> {
    let path = "/api/users";
    let kept = kept(KEPT_USERS)
        .and_then(|e| split_kept(&e).map(|(tag, body)| (tag.to_string(), body.to_string())));
    // Asked ahead only when nothing was kept: the same request.
    let (status, text, tag) = match USERS_AHEAD.with(|a| a.borrow_mut().take()) {
        Some(ahead) if kept.is_none() => answer_of(ahead).await?,
        _ => {
            let mut request = builder("GET", path);
            if let Some((tag, _)) = &kept {
                request = request.header("if-none-match", tag);
            }
            exchange(request.build()).await?
        }
    };
    check_session(path, status);
    let (status, text) = match (status, kept) {
        (304, Some((_, body))) => (200, body),
        (status, _) => (status, text),
    };
    let u = Arc::new(read::<Page<UserSummary>>(status, &text)?.items);
    if let Some(tag) = tag {
        keep(KEPT_USERS, &format!("{tag}\n{text}"));
    }
    USERS.with(|slot| *slot.borrow_mut() = Some(u.clone()));
    Ok(u)
}

/// A list query: `?k=v&…` with each value encoded; empty values left out.
pub fn query(params: &[(&str, &str)]) -> String {
    let parts: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", web_sys::js_sys::encode_uri_component(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// `GET /api/board`: a column per stage, with the server's counts and sums.
pub async fn board(query: &str) -> Result<shared::api::BoardView, ApiError> {
    get(&board_path(query)).await
}

/// The path of the board with `query` (the board's read ahead asks for it
/// before the page does).
pub fn board_path(query: &str) -> String {
    format!("/api/board{query}")
}

pub async fn leads(query: &str) -> Result<Page<Lead>, ApiError> {
    get(&format!("/api/leads{query}")).await
}

pub async fn lead(id: &str) -> Result<Lead, ApiError> {
    get(&format!("/api/leads/{id}")).await
}

pub async fn create_lead(new: &NewLead) -> Result<Lead, ApiError> {
    send_json("POST", "/api/leads", new).await
}

pub async fn update_lead(id: &str, patch: &LeadPatch) -> Result<Lead, ApiError> {
    send_json("PATCH", &format!("/api/leads/{id}"), patch).await
}

pub async fn set_lead_task(id: &str, key: &str, update: &TaskUpdate) -> Result<Lead, ApiError> {
    send_json("POST", &format!("/api/leads/{id}/tasks/{key}"), update).await
}

pub async fn convert_lead(id: &str, req: &ConvertRequest) -> Result<Opportunity, ApiError> {
    send_json("POST", &format!("/api/leads/{id}/convert"), req).await
}

pub async fn disqualify_lead(id: &str, req: &DisqualifyRequest) -> Result<Lead, ApiError> {
    send_json("POST", &format!("/api/leads/{id}/disqualify"), req).await
}

pub async fn opportunities(query: &str) -> Result<Page<Opportunity>, ApiError> {
    get(&format!("/api/opportunities{query}")).await
}

/// The deal list's rows (`view=rows`: a row's columns, not whole records)
/// under `query` (`""` or `?…`).
pub async fn opportunity_rows(query: &str) -> Result<Page<shared::OpportunityRow>, ApiError> {
    get(&rows_path(query)).await
}

/// The path [`opportunity_rows`] reads (the list's read ahead starts it).
pub fn rows_path(query: &str) -> String {
    let join = if query.is_empty() { '?' } else { '&' };
    format!("/api/opportunities{query}{join}view=rows")
}

/// A deal's path: its page's read ahead and [`opportunity`] read the same.
pub fn opportunity_path(id: &str) -> String {
    format!("/api/opportunities/{id}")
}

pub async fn opportunity(id: &str) -> Result<Opportunity, ApiError> {
    get(&opportunity_path(id)).await
}

pub async fn update_opportunity(
    id: &str,
    patch: &OpportunityPatch,
) -> Result<Opportunity, ApiError> {
    send_json("PATCH", &format!("/api/opportunities/{id}"), patch).await
}

pub async fn set_task(id: &str, key: &str, update: &TaskUpdate) -> Result<Opportunity, ApiError> {
    send_json(
        "POST",
        &format!("/api/opportunities/{id}/tasks/{key}"),
        update,
    )
    .await
}

pub async fn request_approval(id: &str, key: &str, version: u64) -> Result<Opportunity, ApiError> {
    let path = format!("/api/opportunities/{id}/approvals/{key}/request");
    send_json("POST", &path, &VersionOnly { version }).await
}

pub async fn decide_approval(
    id: &str,
    key: &str,
    decision: &ApprovalDecision,
) -> Result<Opportunity, ApiError> {
    let path = format!("/api/opportunities/{id}/approvals/{key}/decide");
    send_json("POST", &path, decision).await
}

pub async fn set_team(id: &str, update: &TeamUpdate) -> Result<Opportunity, ApiError> {
    send_json("PUT", &format!("/api/opportunities/{id}/team"), update).await
}

/// How many approvals wait for the signed-in user's decision: the inbox's
/// length, its items skipped unread (the navigation's badge; parsing them
/// here would put their types in every page's first download: +16 KB).
pub async fn approvals_waiting() -> Result<usize, ApiError> {
    #[derive(serde::Deserialize)]
    struct Count {
        items: Vec<serde::de::IgnoredAny>,
    }
    let page: Count = get("/api/approvals").await?;
    Ok(page.items.len())
}

/// The approvals waiting for the signed-in user's decision, oldest first.
pub async fn approvals() -> Result<shared::api::Page<shared::api::ApprovalItem>, ApiError> {
    get("/api/approvals").await
}

pub async fn set_forecast(
    id: &str,
    req: &shared::report::ForecastRequest,
) -> Result<Opportunity, ApiError> {
    send_json("POST", &format!("/api/opportunities/{id}/forecast"), req).await
}

pub async fn change_owner(
    id: &str,
    req: &shared::api::OwnerChange,
) -> Result<Opportunity, ApiError> {
    send_json("PUT", &format!("/api/opportunities/{id}/owner"), req).await
}

pub async fn override_grade(id: &str, req: &GradeOverrideRequest) -> Result<Opportunity, ApiError> {
    send_json(
        "POST",
        &format!("/api/opportunities/{id}/grade-override"),
        req,
    )
    .await
}

pub async fn transition(id: &str, req: &TransitionRequest) -> Result<Opportunity, ApiError> {
    send_json("POST", &format!("/api/opportunities/{id}/transition"), req).await
}

/// A record's trail: `kind` is `opportunities` or `leads`.
pub async fn history(kind: &str, id: &str) -> Result<Vec<Event>, ApiError> {
    Ok(get::<Page<Event>>(&format!("/api/{kind}/{id}/history"))
        .await?
        .items)
}

/// A note on a record's trail: `kind` is `opportunities` or `leads`.
pub async fn add_note(kind: &str, id: &str, text: String) -> Result<Event, ApiError> {
    send_json(
        "POST",
        &format!("/api/{kind}/{id}/notes"),
        &shared::api::NoteRequest { text },
    )
    .await
}

/// `GET /api/duplicates`: open leads and deals a new lead would duplicate.
pub async fn duplicates(
    customer: &str,
    title: &str,
) -> Result<Vec<shared::lead::Duplicate>, ApiError> {
    let q = query(&[("customer", customer), ("title", title)]);
    Ok(
        get::<Page<shared::lead::Duplicate>>(&format!("/api/duplicates{q}"))
            .await?
            .items,
    )
}

/// `POST /api/leads/{id}/reopen`.
pub async fn reopen_lead(id: &str, req: &DisqualifyRequest) -> Result<Lead, ApiError> {
    send_json("POST", &format!("/api/leads/{id}/reopen"), req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_version_above_the_cached_config_invalidates_it() {
        assert_eq!(config_news(4, Some(3), false, 3), (true, true));
        // Already seen (e.g. the server answered an older copy): drop,
        // but do not make the pages reload again.
        assert_eq!(config_news(4, Some(3), false, 4), (true, false));
    }

    #[test]
    fn an_equal_or_lower_header_version_or_no_cached_config_changes_nothing() {
        assert_eq!(config_news(3, Some(3), false, 3), (false, false));
        assert_eq!(config_news(2, Some(3), false, 3), (false, false));
        assert_eq!(config_news(9, None, false, 0), (false, false));
    }

    #[test]
    fn a_config_kept_from_an_earlier_visit_is_dropped_at_any_other_version_and_the_pages_told() {
        // The first answer of a visit (newest 0) names the server's version.
        assert_eq!(config_news(2, Some(3), true, 0), (true, true));
        assert_eq!(config_news(4, Some(3), true, 0), (true, true));
        assert_eq!(config_news(3, Some(3), true, 0), (false, false));
    }

    #[test]
    fn the_config_version_is_its_config_entry_or_zero() {
        let mut versions = std::collections::BTreeMap::from([("grading".to_string(), 3)]);
        assert_eq!(config_version(&versions), 0);
        versions.insert("config".into(), 7);
        assert_eq!(config_version(&versions), 7);
    }

    #[test]
    fn a_2xx_answer_parses_into_the_shared_type() {
        let h: Health = read(200, r#"{"status":"ok","version":"1.2.3"}"#).unwrap();
        assert_eq!(h.version, "1.2.3");
    }

    #[test]
    fn an_error_answer_becomes_its_problem() {
        let body = r#"{"type":"/problems/not_found","title":"Not Found","status":404,"code":"not_found","detail":"no"}"#;
        let e = read::<Health>(404, body).unwrap_err();
        assert!(matches!(&e, ApiError::Problem(p) if p.code == "not_found"));
        assert_eq!(e.status(), Some(404));
    }

    #[test]
    fn an_answer_outside_the_contract_is_unexpected_not_a_panic() {
        assert_eq!(
            read::<Health>(502, "<html>bad gateway</html>"),
            Err(ApiError::Unexpected { status: 502 })
        );
        assert_eq!(
            read::<Health>(200, "{"),
            Err(ApiError::Unexpected { status: 200 })
        );
    }
}
