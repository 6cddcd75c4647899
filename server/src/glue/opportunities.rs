//! Opportunities: list, read, edit, tasks, approvals, team, grade override,
//! the gate's verdict, transitions and history. Every mutation: load, call
//! the shared rule, write state and events in one version-guarded batch.

use super::db::{self, Where, text};
use super::store::{self, actor};
use super::{Ctx, json, storage};
use crate::error::ApiError;
use crate::listing::parse_list_query;
use serde::Deserialize;
use shared::api::{
    ApprovalDecision, GradeOverrideRequest, Page, TaskUpdate, TeamUpdate, TransitionRequest,
    VersionOnly,
};
use shared::builtin;
use shared::event::{Event, EventKind};
use shared::gate::{self, Target, Transition};
use shared::opportunity::{OpError, Opportunity, OpportunityPatch};
use worker::Response;

/// `GET /api/opportunities?pipeline=&stage=&grade=&status=&owner=&q=&cursor=&limit=`:
/// reps see their own deals and those they are staffed on; managers all.
pub async fn list_opportunities(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let pairs = ctx.query()?;
    let query = parse_list_query(&pairs, &["pipeline", "stage", "grade", "status", "owner"])?;
    let me = actor(ctx.me()?);
    let mut filter = Where::default();
    if !me.is_manager() {
        filter.and(
            "(owner_id = ? OR id IN (SELECT opportunity_id FROM deal_members WHERE user_id = ?))",
            text(&me.user_id),
        );
    }
    for (key, value) in &query.filters {
        let fragment = match key.as_str() {
            "pipeline" => "pipeline = ?",
            "stage" => "stage = ?",
            "grade" => "grade = ?",
            "status" => "status = ?",
            _ => "owner_id = ?",
        };
        filter.and(fragment, text(value));
    }
    let page = db::page(
        ctx.env,
        "opportunities",
        filter,
        &query,
        ("name", "customer"),
    )
    .await?;
    json(200, &page)
}

/// `GET /api/opportunities/{id}`.
pub async fn get_opportunity(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let opp = store::opportunity(&ctx, ctx.param("id")?).await?;
    json(200, &opp)
}

/// Loads the deal, checks the version, applies `change`, saves, answers it.
/// `version: None` applies to whatever version is current (approval decisions).
async fn mutate(
    ctx: &Ctx<'_>,
    version: Option<u64>,
    change: impl FnOnce(&mut Opportunity, &Context) -> Result<Vec<EventKind>, ApiError>,
) -> Result<Response, ApiError> {
    let (mut opp, pipeline, policy) = store::deal_in_context(ctx, ctx.param("id")?).await?;
    if let Some(version) = version {
        store::check_version(&opp, opp.version, version)?;
    }
    let context = Context {
        pipeline,
        policy,
        actor: actor(ctx.me()?),
        now: ctx.now,
    };
    let previous = opp.version;
    let events = change(&mut opp, &context)?;
    store::save_opportunity(ctx, &opp, previous, events).await?;
    json(200, &opp)
}

/// What a rule needs besides the deal.
struct Context {
    pipeline: shared::Pipeline,
    policy: shared::GradingPolicy,
    actor: shared::Actor,
    now: chrono::DateTime<chrono::Utc>,
}

/// `PATCH /api/opportunities/{id}`: name, customer, amount, expected close,
/// lead-by (regrades), fields. Nothing else is settable (unknown keys: 400).
pub async fn update_opportunity(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let patch: OpportunityPatch = ctx.body().await?;
    mutate(&ctx, Some(patch.version), |opp, c| {
        opp.patch(&patch, &c.pipeline, &c.policy, &c.actor)
            .map_err(ApiError::Op)
    })
    .await
}

/// `POST /api/opportunities/{id}/tasks/{key}`.
pub async fn set_task(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: TaskUpdate = ctx.body().await?;
    let key = ctx.param("key")?.to_string();
    mutate(&ctx, Some(body.version), |opp, c| {
        opp.set_task(
            &c.pipeline,
            &key,
            body.done,
            body.note.as_deref(),
            &c.actor,
            c.now,
        )
        .map_err(ApiError::Op)
    })
    .await
}

/// `POST /api/opportunities/{id}/approvals/{key}/request`: the owner asks.
pub async fn request_approval(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: VersionOnly = ctx.body().await?;
    let key = ctx.param("key")?.to_string();
    mutate(&ctx, Some(body.version), |opp, c| {
        opp.request_approval(&c.pipeline, &key, &c.actor, c.now)
            .map_err(ApiError::Op)
    })
    .await
}

/// `POST /api/opportunities/{id}/approvals/{key}/decide`: the approver role's
/// holder, never the owner. Decisions carry no version: a decision applies to
/// the pending request whatever else changed on the deal.
pub async fn decide_approval(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: ApprovalDecision = ctx.body().await?;
    let key = ctx.param("key")?.to_string();
    mutate(&ctx, None, |opp, c| {
        opp.decide_approval(
            &c.pipeline,
            &key,
            body.approve,
            body.comment.as_deref(),
            &c.actor,
            c.now,
        )
        .map_err(ApiError::Op)
    })
    .await
}

/// `PUT /api/opportunities/{id}/team`.
pub async fn set_team(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: TeamUpdate = ctx.body().await?;
    mutate(&ctx, Some(body.version), |opp, c| {
        opp.set_team(&body.members, &builtin::team_roles(), &c.actor)
            .map_err(ApiError::Op)
    })
    .await
}

/// `POST /api/opportunities/{id}/grade-override`: managers and admins, upgrade only.
pub async fn override_grade(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: GradeOverrideRequest = ctx.body().await?;
    mutate(&ctx, Some(body.version), |opp, c| {
        opp.override_grade(body.grade, &body.reason, &c.policy, &c.actor, c.now)
            .map_err(ApiError::Op)
    })
    .await
}

/// `GET /api/opportunities/{id}/check?to=KEY`: the server's verdict, the
/// same function the app runs.
pub async fn check_opportunity(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let to = ctx
        .query()?
        .into_iter()
        .find_map(|(k, v)| (k == "to").then_some(v))
        .ok_or_else(|| ApiError::BadRequest("`to` is required".into()))?;
    let target = Target::parse(&to).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (opp, pipeline, policy) = store::deal_in_context(&ctx, ctx.param("id")?).await?;
    json(
        200,
        &gate::check(&opp, &pipeline, &policy, &Transition::to(target)),
    )
}

/// `POST /api/opportunities/{id}/transition`: 200, 422 with the blockers, 409 stale.
pub async fn transition_opportunity(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: TransitionRequest = ctx.body().await?;
    mutate(&ctx, Some(body.version), |opp, c| {
        if !opp.can_steer(&c.actor) {
            return Err(ApiError::Op(OpError::Forbidden));
        }
        let (next, events) = gate::apply(opp, &c.pipeline, &c.policy, &body.transition, c.now)
            .map_err(|v| ApiError::Blocked(v.blockers))?;
        *opp = next;
        Ok(events)
    })
    .await
}

#[derive(Deserialize)]
struct EventRow {
    at: String,
    by_user: String,
    event: String,
}

/// `GET /api/opportunities/{id}/history`: the audit trail, oldest first.
pub async fn opportunity_history(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let opp = store::opportunity(&ctx, ctx.param("id")?).await?;
    let rows: Vec<EventRow> = db::all(db::stmt(
        ctx.env,
        "SELECT at, by_user, event FROM events WHERE entity_type = 'opportunity' AND entity_id = ?1 ORDER BY seq",
        &[text(&opp.id)],
    )?)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(Event {
                at: chrono::DateTime::parse_from_rfc3339(&r.at)
                    .map_err(storage)?
                    .to_utc(),
                by: r.by_user,
                kind: serde_json::from_str(&r.event).map_err(storage)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    json(200, &Page::whole(items))
}
