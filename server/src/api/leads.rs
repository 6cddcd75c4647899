//! Leads: list, create, read, edit, stage-1 tasks, convert, disqualify,
//! reopen, notes.

use super::{ApiResult, Ctx};
use crate::error::ApiError;
use crate::http::Response;
use crate::listing::parse_list_query;
use crate::store::config::{self, Settings};
use crate::store::leads as store;
use crate::store::users;
use shared::Actor;
use shared::access::LeadAction;
use shared::api::{DisqualifyRequest, NoteRequest, TaskUpdate};
use shared::event::{Event, EventKind};
use shared::lead::{ConvertRequest, Lead, LeadChangeError, LeadPatch, NewLead};
use shared::validate::FieldIssue;

impl From<LeadChangeError> for ApiError {
    fn from(e: LeadChangeError) -> ApiError {
        match e {
            LeadChangeError::Invalid(issues) => ApiError::Invalid(issues),
            LeadChangeError::Op(op) => ApiError::Op(op),
        }
    }
}

/// `GET /api/leads?status=&owner=&pipeline=&q=&cursor=&limit=`: reps see their own.
pub async fn list_leads(ctx: Ctx<'_>) -> ApiResult {
    let query = parse_list_query(ctx.query(), store::FILTERS)?;
    Response::json(200, &store::list(ctx.db(), &ctx.actor()?, &query).await?)
}

/// A lead `actor` may work on; 404 for anyone else (no leak).
fn workable(lead: Option<Lead>, actor: &Actor) -> Result<Lead, ApiError> {
    lead.filter(|l| l.allows(actor, LeadAction::Read))
        .ok_or(ApiError::RecordNotFound)
}

/// `POST /api/leads`.
pub async fn create_lead(ctx: Ctx<'_>) -> ApiResult {
    let body: NewLead = ctx.body()?;
    let settings = config::load(ctx.db()).await?;
    let new = body
        .validate(&settings.pipelines)
        .map_err(ApiError::Invalid)?;
    let actor = ctx.actor()?;
    // A manager may hand the lead to someone else: an active user (a
    // non-manager's `owner_id` is ignored by the rule).
    if let Some(owner) = new.owner_id.as_deref().filter(|_| actor.is_manager()) {
        let known = users::by_id(ctx.db(), owner).await?;
        if known.is_none_or(|u| u.active != 1) {
            return Err(ApiError::Invalid(vec![FieldIssue::new(
                "owner_id",
                "unknown_user",
                "没有这个在职用户",
                "No active user with this id",
            )]));
        }
    }
    let (lead, kinds) = Lead::create(&ctx.new_id("l_")?, new, &actor);
    let events = Event::stamp(kinds, &actor.user_id, ctx.now);
    store::create(ctx.db(), &lead, &events, &ctx.at(), &ctx.new_id("w_")?).await?;
    Response::json(201, &lead)
}

/// `GET /api/leads/{id}`.
pub async fn get_lead(ctx: Ctx<'_>) -> ApiResult {
    let lead = workable(
        store::load(ctx.db(), ctx.param("id")?).await?,
        &ctx.actor()?,
    )?;
    Response::json(200, &lead)
}

/// Loads the lead with the configuration, checks the version, applies
/// `change`, saves it and its events, answers it.
async fn mutate(
    ctx: &Ctx<'_>,
    version: u64,
    change: impl FnOnce(&mut Lead, &Settings, &Actor) -> Result<Vec<EventKind>, ApiError>,
) -> ApiResult {
    let actor = ctx.actor()?;
    let (lead, settings) = store::load_with_settings(ctx.db(), ctx.param("id")?).await?;
    let mut lead = workable(lead, &actor)?;
    if version != lead.version {
        return Err(ApiError::stale(&lead));
    }
    let previous = lead.version;
    let unchanged = lead.clone();
    let kinds = change(&mut lead, &settings, &actor)?;
    if kinds.is_empty() && lead == unchanged {
        // Nothing changed (e.g. a patch of the values already there): no write.
        return Response::json(200, &lead);
    }
    let events = Event::stamp(kinds, &actor.user_id, ctx.now);
    let token = ctx.new_id("w_")?;
    if store::save(ctx.db(), &lead, previous, &events, &ctx.at(), &token).await? {
        Response::json(200, &lead)
    } else {
        stale(ctx, &lead.id, &actor).await
    }
}

/// The 409 for a lost race, with the lead as it is now.
async fn stale(ctx: &Ctx<'_>, id: &str, actor: &Actor) -> ApiResult {
    let current = workable(store::load(ctx.db(), id).await?, actor)?;
    Err(ApiError::stale(&current))
}

/// `PATCH /api/leads/{id}`.
pub async fn update_lead(ctx: Ctx<'_>) -> ApiResult {
    let patch: LeadPatch = ctx.body()?;
    mutate(&ctx, patch.version, |lead, settings, actor| {
        Ok(lead.patch(&patch, &settings.pipelines, actor)?)
    })
    .await
}

/// `POST /api/leads/{id}/tasks/{key}`.
pub async fn set_lead_task(ctx: Ctx<'_>) -> ApiResult {
    let body: TaskUpdate = ctx.body()?;
    let key = ctx.param("key")?;
    mutate(&ctx, body.version, |lead, settings, actor| {
        let pipeline = settings.pipeline(&lead.pipeline)?.clone();
        Ok(lead.set_task(
            &pipeline,
            key,
            body.done,
            body.note.as_deref(),
            actor,
            ctx.now,
        )?)
    })
    .await
}

/// `POST /api/leads/{id}/disqualify`.
pub async fn disqualify_lead(ctx: Ctx<'_>) -> ApiResult {
    let body: DisqualifyRequest = ctx.body()?;
    mutate(&ctx, body.version, |lead, _, actor| {
        Ok(lead.disqualify(&body.reason, actor)?)
    })
    .await
}

/// `GET /api/duplicates?customer=&title=`: the open leads and deals a new
/// lead with this customer and title would duplicate (a warning; creating
/// it anyway is allowed). Both are required; at most 20 matches.
pub async fn find_duplicates(ctx: Ctx<'_>) -> ApiResult {
    let get = |name: &str| {
        ctx.query()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let (customer, title) = (get("customer"), get("title"));
    let mut issues = Vec::new();
    for (field, value) in [("customer", &customer), ("title", &title)] {
        shared::validate::required_text(&mut issues, field, value, shared::opportunity::MAX_NAME);
    }
    if !issues.is_empty() {
        return Err(ApiError::Invalid(issues));
    }
    let candidates = store::duplicate_candidates(ctx.db(), &ctx.actor()?).await?;
    let mut found = shared::lead::find_duplicates(&customer, &title, candidates);
    found.truncate(20);
    Response::json(200, &shared::api::Page::whole(found))
}

/// `POST /api/leads/{id}/reopen`: a disqualified lead is worked again.
pub async fn reopen_lead(ctx: Ctx<'_>) -> ApiResult {
    let body: DisqualifyRequest = ctx.body()?;
    mutate(&ctx, body.version, |lead, _, actor| {
        Ok(lead.reopen(&body.reason, actor)?)
    })
    .await
}

/// `POST /api/leads/{id}/notes`: the owner or a manager adds a note to the
/// lead's trail, whatever its status. 201 with the event.
pub async fn add_lead_note(ctx: Ctx<'_>) -> ApiResult {
    let body: NoteRequest = ctx.body()?;
    let actor = ctx.actor()?;
    let lead = workable(store::load(ctx.db(), ctx.param("id")?).await?, &actor)?;
    let event = crate::store::events::add_note(
        ctx.db(),
        crate::store::events::Entity::Lead,
        &lead.id,
        &body.text,
        &actor.user_id,
        ctx.now,
    )
    .await?;
    Response::json(201, &event)
}

/// `GET /api/leads/{id}/history`: the lead's trail, oldest first.
pub async fn lead_history(ctx: Ctx<'_>) -> ApiResult {
    let lead = workable(
        store::load(ctx.db(), ctx.param("id")?).await?,
        &ctx.actor()?,
    )?;
    let items =
        crate::store::events::history(ctx.db(), crate::store::events::Entity::Lead, &lead.id)
            .await?;
    Response::json(200, &shared::api::Page::whole(items))
}

/// `POST /api/leads/{id}/convert`: 201 with the new deal, or 422 with blockers.
pub async fn convert_lead(ctx: Ctx<'_>) -> ApiResult {
    let body: ConvertRequest = ctx.body()?;
    let actor = ctx.actor()?;
    let (lead, settings) = store::load_with_settings(ctx.db(), ctx.param("id")?).await?;
    let lead = workable(lead, &actor)?;
    if !lead.allows(&actor, LeadAction::Edit) {
        return Err(ApiError::RecordNotFound);
    }
    if body.version != lead.version {
        return Err(ApiError::stale(&lead));
    }
    let (converted, opp, kinds) = lead
        .convert(
            settings.pipeline(&lead.pipeline)?,
            &settings.policy,
            &body,
            &ctx.new_id("o_")?,
            settings.grading.currency,
            ctx.now,
        )
        .map_err(|v| ApiError::Blocked(v.blockers))?;
    let events = Event::stamp(kinds, &actor.user_id, ctx.now);
    let token = ctx.new_id("w_")?;
    let saved = store::save_conversion(
        ctx.db(),
        &converted,
        lead.version,
        &opp,
        &events,
        &ctx.at(),
        &token,
    )
    .await?;
    if saved {
        Response::json(201, &opp)
    } else {
        stale(&ctx, &lead.id, &actor).await
    }
}
