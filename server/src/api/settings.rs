//! The two settings an admin edits besides thresholds and pipelines: the
//! deal-team role list (`team_roles`) and how long an approved partner
//! registration protects its deal (`protection_days`). Each is versioned
//! (409 when stale), checked with the shared rules (422 with paths) and
//! audited in the same batch as its write.

use super::{ApiResult, Ctx};
use crate::error::ApiError;
use crate::http::Response;
use crate::store::config::{self, REGISTRATION, Settings, TEAM_ROLES};
use serde_json::Value;
use shared::api::{RegistrationAdmin, TeamRolesAdmin};
use shared::i18n::Localized;
use shared::pipeline::Key;

fn team_roles_of(s: &Settings) -> TeamRolesAdmin {
    TeamRolesAdmin {
        roles: s.team_roles.clone(),
        version: s.team_roles_version,
    }
}

fn registration_of(s: &Settings) -> RegistrationAdmin {
    RegistrationAdmin {
        protection_days: s.registration.protection_days,
        version: s.registration_version,
    }
}

/// The `version` the body was read at; 400 without one.
fn version_of(body: &Value) -> Result<u64, ApiError> {
    body.get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::BadRequest("version: a whole number is required".into()))
}

/// `GET /api/admin/team-roles`.
pub async fn get_team_roles(ctx: Ctx<'_>) -> ApiResult {
    Response::json(200, &team_roles_of(&config::load(ctx.db()).await?))
}

/// `PUT /api/admin/team-roles {roles, version}`: 422 with the path of each
/// problem (a role a pipeline still needs cannot go), 409 when stale or
/// when open deals have someone staffed in a role it removes.
pub async fn update_team_roles(ctx: Ctx<'_>) -> ApiResult {
    let body: Value = ctx.body()?;
    let version = version_of(&body)?;
    let settings = config::load(ctx.db()).await?;
    if version != settings.team_roles_version {
        return Err(ApiError::stale(&team_roles_of(&settings)));
    }
    let roles = shared::draft::parse_team_roles(
        body.get("roles").unwrap_or(&Value::Null),
        &settings.pipelines,
    )
    .map_err(ApiError::Invalid)?;
    let removed: Vec<Key> = settings
        .team_roles
        .iter()
        .filter(|r| !roles.iter().any(|n| n.key == r.key))
        .map(|r| r.key.clone())
        .collect();
    let staffed = config::open_deals_staffing(ctx.db(), &removed).await?;
    if !staffed.is_empty() {
        return Err(ApiError::InUse {
            code: "role_is_staffed",
            message: Localized::new(
                "有未关闭的商机仍有人担任要删除的角色，请先调整这些商机的项目团队",
                "Open deals have someone staffed in a role this change removes: change their deal teams first",
            ),
            records: staffed,
        });
    }
    let keys = |rs: &[shared::pipeline::TeamRole]| {
        rs.iter()
            .map(|r| r.key.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let summary = format!(
        "version {version} → {}: roles {} → {}",
        version + 1,
        keys(&settings.team_roles),
        keys(&roles)
    );
    let doc = serde_json::to_string(&roles).map_err(|e| ApiError::Storage(e.to_string()))?;
    save(&ctx, (TEAM_ROLES, doc, version), &summary, team_roles_of).await
}

/// `GET /api/admin/registration`.
pub async fn get_registration(ctx: Ctx<'_>) -> ApiResult {
    Response::json(200, &registration_of(&config::load(ctx.db()).await?))
}

/// `PUT /api/admin/registration {protection_days, version}`: 1 to 3,650
/// days (422 otherwise), 409 when stale. Registrations approved before keep
/// the end date they were given.
pub async fn update_registration(ctx: Ctx<'_>) -> ApiResult {
    let body: Value = ctx.body()?;
    let version = version_of(&body)?;
    let days = shared::registration::protection_days(body.get("protection_days"))
        .map_err(|issue| ApiError::Invalid(vec![issue]))?;
    let settings = config::load(ctx.db()).await?;
    if version != settings.registration_version {
        return Err(ApiError::stale(&registration_of(&settings)));
    }
    let summary = format!(
        "version {version} → {}: protection {} → {days} days",
        version + 1,
        settings.registration.protection_days
    );
    let doc = serde_json::json!({ "protection_days": days }).to_string();
    save(
        &ctx,
        (REGISTRATION, doc, version),
        &summary,
        registration_of,
    )
    .await
}

/// Writes one setting over `previous`, republishes the config snapshot and
/// answers `answer` of the configuration now; 409 with it when another
/// write won.
async fn save<T: serde::Serialize>(
    ctx: &Ctx<'_>,
    (key, doc, previous): (&str, String, u64),
    summary: &str,
    answer: fn(&Settings) -> T,
) -> ApiResult {
    let at = ctx.at();
    let by = ctx.me()?.id.clone();
    let token = ctx.new_id("w_")?;
    let took = config::save_setting(
        ctx.db(),
        (key, doc, previous + 1, previous),
        (&at, &by, summary),
        &token,
    )
    .await?;
    let settings = config::load(ctx.db()).await?;
    if !took {
        return Err(ApiError::stale(&answer(&settings)));
    }
    super::config::publish(ctx.rt, &settings).await?;
    Response::json(200, &answer(&settings))
}
