//! Small pieces every deal and lead page uses: grade badge, amounts,
//! localized config text, the pipeline choices, user names, the confirm
//! question.

use crate::i18n::{I18n, Msg};
use leptos::prelude::*;
use shared::api::{PipelineNames, UserSummary};
use shared::{Currency, Grade, Localized, Money, Role, Status, Track};

/// Config text (stage names, requirement labels) in the current language.
pub fn loc(i18n: I18n, text: &Localized) -> String {
    text.get(i18n.current()).to_string()
}

/// An `<option>` per pipeline of the config (an admin may add some): the
/// pipeline's id, its name in the current language.
pub fn pipeline_options(i18n: I18n, pipelines: &[PipelineNames]) -> impl IntoView + use<> {
    pipelines
        .iter()
        .map(|p| view! { <option value=p.id.to_string()>{loc(i18n, &p.name)}</option> })
        .collect_view()
}

/// `¥1,234,567.89`.
pub fn money(amount: Money, currency: Currency) -> String {
    format!("{}{}", currency.symbol(), amount.format_major(currency))
}

/// A user's name from the directory, else their id.
pub fn user_name(users: &[UserSummary], id: &str) -> String {
    users
        .iter()
        .find(|u| u.id == id)
        .map_or_else(|| id.to_string(), |u| u.name.clone())
}

pub fn role_label(i18n: I18n, role: Role) -> &'static str {
    i18n.t(match role {
        Role::Rep => Msg::RoleRep,
        Role::Manager => Msg::RoleManager,
        Role::Channel => Msg::RoleChannel,
        Role::Admin => Msg::RoleAdmin,
    })
}

pub fn status_label(i18n: I18n, status: Status) -> &'static str {
    i18n.t(match status {
        Status::Open => Msg::StatusOpen,
        Status::Won => Msg::StatusWon,
        Status::Lost => Msg::StatusLost,
    })
}

pub fn track_label(i18n: I18n, track: Track) -> &'static str {
    i18n.t(match track {
        Track::Full => Msg::TrackFull,
        Track::Fast => Msg::TrackFast,
        Track::Partner => Msg::TrackPartner,
    })
}

#[component]
pub fn GradeBadge(grade: Grade) -> impl IntoView {
    view! {
        <span class=format!("grade grade-{}", grade.as_str().to_ascii_lowercase()) data-test="grade">
            {grade.as_str()}
        </span>
    }
}

/// A salesperson (rep or manager): who may own a deal or be staffed on one.
pub fn sells(u: &shared::api::UserSummary) -> bool {
    shared::Role::sells(&u.roles)
}

/// A person in a picker: the name, and the e-mail that tells namesakes apart.
pub fn person(u: &shared::api::UserSummary) -> String {
    if u.email.is_empty() {
        u.name.clone()
    } else {
        format!("{} · {}", u.name, u.email)
    }
}

/// Asks before a destructive step (the browser's own dialog: keyboard- and
/// screen-reader-friendly, and nothing to load).
pub fn confirm(text: &str) -> bool {
    web_sys::window().is_some_and(|w| w.confirm_with_message(text).unwrap_or(false))
}

/// Today's date, as `YYYY-MM-DD` in the browser's clock (UTC).
pub fn today() -> chrono::NaiveDate {
    now().date_naive()
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    let ms = web_sys::js_sys::Date::now();
    chrono::DateTime::from_timestamp_millis(ms as i64).unwrap_or_default()
}

/// Resolves in a task of its own, after the current one: the work after it
/// is not part of this task (a page's build after the reads it parsed, so
/// neither makes one long task that blocks input).
pub async fn next_task() {
    resolved_by(|done| set_timeout(done, std::time::Duration::ZERO)).await
}

/// Resolves once the browser has painted the frame being built: a timeout
/// set from the next animation frame runs after that frame's paint. For
/// what a page shows after its first paint (the deal page's side panel),
/// so it neither delays that paint nor shares its task.
pub async fn after_paint() {
    resolved_by(|done| {
        request_animation_frame(move || set_timeout(done, std::time::Duration::ZERO))
    })
    .await
}

/// Resolves once the callback `start` is given has been called (a oneshot
/// channel from `futures`, which Leptos already builds).
async fn resolved_by(start: impl FnOnce(Box<dyn FnOnce()>)) {
    let (done, called) = futures::channel::oneshot::channel::<()>();
    start(Box::new(move || {
        let _ = done.send(());
    }));
    let _ = called.await;
}
