//! `GET /api/config`: everything the app needs to run the rules itself.

use super::store;
use super::{Ctx, json};
use crate::error::ApiError;
use shared::api::{Config, RegistrationConfig};
use shared::builtin;
use shared::registration::DEFAULT_PROTECTION_DAYS;
use worker::Response;

pub async fn get_config(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let pipelines = store::pipelines(ctx.env).await?;
    let (_, grading) = store::grading(ctx.env).await?;
    let mut versions: std::collections::BTreeMap<String, u64> = pipelines
        .iter()
        .map(|p| (p.id.to_string(), u64::from(p.version)))
        .collect();
    versions.insert("grading".into(), grading.version);
    json(
        200,
        &Config {
            currency: grading.currency,
            grading,
            pipelines,
            team_roles: builtin::team_roles(),
            registration: RegistrationConfig {
                protection_days: DEFAULT_PROTECTION_DAYS,
            },
            versions,
        },
    )
}
