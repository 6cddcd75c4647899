//! Leads: list, create, read, edit, stage-1 tasks, convert, disqualify.

use super::crypto::new_id;
use super::db::{self, Where, text};
use super::store::{self, actor};
use super::{Ctx, json};
use crate::error::ApiError;
use crate::listing::parse_list_query;
use shared::api::{DisqualifyRequest, TaskUpdate};
use shared::lead::{ConvertRequest, Lead, LeadChangeError, LeadPatch, NewLead};
use worker::Response;

fn lead_error(e: LeadChangeError) -> ApiError {
    match e {
        LeadChangeError::Invalid(issues) => ApiError::Invalid(issues),
        LeadChangeError::Op(op) => ApiError::Op(op),
    }
}

/// `GET /api/leads?status=&owner=&pipeline=&q=&cursor=&limit=`: reps see their own.
pub async fn list_leads(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let pairs = ctx.query()?;
    let query = parse_list_query(&pairs, &["status", "owner", "pipeline"])?;
    let me = actor(ctx.me()?);
    let mut filter = Where::default();
    if !me.is_manager() {
        filter.and("owner_id = ?", text(&me.user_id));
    }
    for (key, value) in &query.filters {
        let fragment = match key.as_str() {
            "status" => "status = ?",
            "owner" => "owner_id = ?",
            _ => "pipeline = ?",
        };
        filter.and(fragment, text(value));
    }
    let page = db::page(ctx.env, "leads", filter, &query, ("title", "customer")).await?;
    json(200, &page)
}

/// `POST /api/leads`.
pub async fn create_lead(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: NewLead = ctx.body().await?;
    let pipelines = store::pipelines(ctx.env).await?;
    let new = body.validate(&pipelines).map_err(ApiError::Invalid)?;
    let (lead, events) = Lead::create(&new_id("l_")?, new, &actor(ctx.me()?));
    store::insert_lead(&ctx, &lead, events).await?;
    json(201, &lead)
}

/// `GET /api/leads/{id}`.
pub async fn get_lead(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let lead = store::lead(&ctx, ctx.param("id")?).await?;
    json(200, &lead)
}

/// `PATCH /api/leads/{id}`.
pub async fn update_lead(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let patch: LeadPatch = ctx.body().await?;
    let c = store::lead_in_context(&ctx, ctx.param("id")?).await?;
    let mut lead = c.record;
    store::check_version(&lead, lead.version, patch.version)?;
    let previous = lead.version;
    let events = lead
        .patch(&patch, &c.pipelines, &actor(ctx.me()?))
        .map_err(lead_error)?;
    store::save_lead(&ctx, &lead, previous, events).await?;
    json(200, &lead)
}

/// `POST /api/leads/{id}/tasks/{key}`.
pub async fn set_lead_task(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: TaskUpdate = ctx.body().await?;
    let c = store::lead_in_context(&ctx, ctx.param("id")?).await?;
    let pipeline = c.pipeline(&c.record.pipeline)?;
    let mut lead = c.record.clone();
    store::check_version(&lead, lead.version, body.version)?;
    let previous = lead.version;
    let key = ctx.param("key")?.to_string();
    let events = lead
        .set_task(
            pipeline,
            &key,
            body.done,
            body.note.as_deref(),
            &actor(ctx.me()?),
            ctx.now,
        )
        .map_err(ApiError::Op)?;
    store::save_lead(&ctx, &lead, previous, events).await?;
    json(200, &lead)
}

/// `POST /api/leads/{id}/convert`: 201 with the new deal, or 422 with blockers.
pub async fn convert_lead(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: ConvertRequest = ctx.body().await?;
    let c = store::lead_in_context(&ctx, ctx.param("id")?).await?;
    let lead = &c.record;
    store::check_version(lead, lead.version, body.version)?;
    let (converted, opp, events) = lead
        .convert(
            c.pipeline(&lead.pipeline)?,
            &c.policy,
            &body,
            &new_id("o_")?,
            c.grading.currency,
            ctx.now,
        )
        .map_err(|v| ApiError::Blocked(v.blockers))?;
    store::save_conversion(&ctx, &converted, lead.version, &opp, events).await?;
    json(201, &opp)
}

/// `POST /api/leads/{id}/disqualify`.
pub async fn disqualify_lead(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: DisqualifyRequest = ctx.body().await?;
    let mut lead = store::lead(&ctx, ctx.param("id")?).await?;
    store::check_version(&lead, lead.version, body.version)?;
    let previous = lead.version;
    let events = lead
        .disqualify(&body.reason, &actor(ctx.me()?))
        .map_err(ApiError::Op)?;
    store::save_lead(&ctx, &lead, previous, events).await?;
    json(200, &lead)
}
