//! Opportunities: list, read, edit, tasks, approvals, team, grade override,
//! the gate's verdict, transitions and history. Every mutation: load with
//! the configuration, ask `shared::access`, call the shared rule, write
//! state and events in one version-guarded batch.

use super::{ApiResult, Ctx};
use crate::error::ApiError;
use crate::http::Response;
use crate::listing::parse_list_query;
use crate::store::config::Settings;
use crate::store::events::{self, Entity};
use crate::store::opportunities as store;
use shared::access::DealAction;
use shared::api::{
    ApprovalDecision, ApprovalItem, Board, BoardColumn, GradeOverrideRequest, NoteRequest,
    OwnerChange, Page, TaskUpdate, TeamUpdate, TransitionRequest, VersionOnly,
};
use shared::event::{Event, EventKind};
use shared::gate::{self, Target, Transition};
use shared::opportunity::{Opportunity, OpportunityPatch};
use shared::{Actor, Pipeline};

/// `GET /api/opportunities?pipeline=&stage=&grade=&status=&owner=&q=&cursor=&limit=`:
/// reps see their own deals and those they are staffed on; managers all.
/// `&blocked_kind=&blocked_key=&stalled=&close_month=&forecast=` narrow it
/// to what a report's bar or cell counted (`store::reports::link_filters`).
pub async fn list_opportunities(ctx: Ctx<'_>) -> ApiResult {
    // `view=rows`: the deal list's rows, read from columns (#14); else
    // whole records.
    let (view, rest): (Vec<_>, Vec<_>) =
        ctx.query().iter().cloned().partition(|(k, _)| k == "view");
    let rows = match view.last().map(|(_, v)| v.trim()) {
        None | Some("") => false,
        Some("rows") => true,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "view must be rows (or left out)".into(),
            ));
        }
    };
    let query = parse_list_query(&rest, store::LIST_FILTERS)?;
    let filter = list_filter(&ctx, &ctx.actor()?, &query, None).await?;
    if rows {
        Response::json(200, &store::list_rows(ctx.db(), filter, &query).await?)
    } else {
        Response::json(200, &store::list(ctx.db(), filter, &query).await?)
    }
}

/// The deals `actor` may read under the query's link filters (the gate
/// rows they read computed first); the column filters and search are the
/// list's to add. Loads the configuration only when a link filter needs it.
pub async fn list_filter(
    ctx: &Ctx<'_>,
    actor: &Actor,
    query: &crate::listing::ListQuery,
    settings: Option<&Settings>,
) -> Result<crate::store::page::Where, ApiError> {
    let mut filter = store::visible(actor);
    let linked = query
        .filters
        .iter()
        .any(|(k, _)| store::LINK_FILTERS.contains(&k.as_str()));
    if !linked {
        return Ok(filter);
    }
    let loaded;
    let settings = match settings {
        Some(s) => s,
        None => {
            loaded = crate::store::config::load(ctx.db()).await?;
            &loaded
        }
    };
    if crate::store::reports::link_filters(&mut filter, query, settings, ctx.now)? {
        crate::store::reports::refresh_gate(ctx.db(), settings).await?;
    }
    Ok(filter)
}

/// `GET /api/board?pipeline=&owner=&grade=&q=&limit=`: a column per deal
/// stage of the pipeline (the config's first when none is named) with the
/// count, amount and weighted amount of the open deals the caller may read
/// under the filter, and the first `limit` cards of each (newest first;
/// more through the list with `stage` and `cursor`). Reads in one batch.
pub async fn board(ctx: Ctx<'_>) -> ApiResult {
    let mut query = parse_list_query(ctx.query(), store::BOARD_FILTERS)?;
    if query.cursor.is_some() {
        return Err(ApiError::BadRequest(
            "the board takes no cursor: page a column through /api/opportunities".into(),
        ));
    }
    let settings = crate::store::config::load(ctx.db()).await?;
    let pipeline = super::reports::pick_pipeline(&settings, &query)?;
    if !query.filters.iter().any(|(k, _)| k == "pipeline") {
        query
            .filters
            .push(("pipeline".into(), pipeline.id.to_string()));
    }
    query.filters.push(("status".into(), "open".into()));
    // Stage 1 lives on leads: the deal stages are the columns.
    let stages: Vec<&shared::Stage> = pipeline.stages.iter().skip(1).collect();
    let keys: Vec<&str> = stages.iter().map(|s| s.key.as_str()).collect();
    let (sums, pages) = store::board(ctx.db(), &ctx.actor()?, &query, &keys).await?;
    let columns = stages
        .iter()
        .zip(pages)
        .map(|(stage, page)| {
            let (count, amount) = sums
                .iter()
                .find(|s| s.stage == stage.key.as_str())
                .map_or((0, 0), |s| (s.n.max(0) as u64, s.amount));
            BoardColumn {
                stage: stage.key.clone(),
                count,
                amount,
                weighted: stage.weighted(amount),
                items: page.items,
                next_cursor: page.next_cursor,
            }
        })
        .collect();
    Response::json(
        200,
        &Board {
            pipeline: pipeline.id.clone(),
            columns,
        },
    )
}

/// A deal `actor` may read; 404 for anyone else (no leak).
fn readable(opp: Option<Opportunity>, actor: &Actor) -> Result<Opportunity, ApiError> {
    opp.filter(|o| o.allows(actor, DealAction::Read))
        .ok_or(ApiError::RecordNotFound)
}

/// `GET /api/opportunities/{id}`.
pub async fn get_opportunity(ctx: Ctx<'_>) -> ApiResult {
    let opp = readable(
        store::load(ctx.db(), ctx.param("id")?).await?,
        &ctx.actor()?,
    )?;
    Response::json(200, &opp)
}

/// What a rule needs besides the deal.
struct Rules<'a> {
    pipeline: &'a Pipeline,
    settings: &'a Settings,
    actor: Actor,
    now: chrono::DateTime<chrono::Utc>,
}

/// Loads the deal, checks the version, applies `change`, saves, answers it.
/// `version: None` applies to whatever version is current (approval decisions).
async fn mutate(
    ctx: &Ctx<'_>,
    version: Option<u64>,
    change: impl FnOnce(&mut Opportunity, &Rules<'_>) -> Result<Vec<EventKind>, ApiError>,
) -> ApiResult {
    let actor = ctx.actor()?;
    let (opp, settings) = store::load_with_settings(ctx.db(), ctx.param("id")?).await?;
    let mut opp = readable(opp, &actor)?;
    if let Some(version) = version
        && version != opp.version
    {
        return Err(ApiError::stale(&opp));
    }
    let rules = Rules {
        pipeline: settings.pipeline(&opp.pipeline)?,
        settings: &settings,
        actor,
        now: ctx.now,
    };
    let previous = opp.version;
    let unchanged = opp.clone();
    let kinds = change(&mut opp, &rules)?;
    if kinds.is_empty() && opp == unchanged {
        // Nothing changed (e.g. a patch of the values already there): no write.
        return Response::json(200, &opp);
    }
    let events = Event::stamp(kinds, &rules.actor.user_id, ctx.now);
    let token = ctx.new_id("w_")?;
    if store::save(ctx.db(), &opp, previous, &events, &ctx.at(), &token).await? {
        Response::json(200, &opp)
    } else {
        let current = store::load(ctx.db(), &opp.id).await?;
        Err(ApiError::stale(&readable(current, &rules.actor)?))
    }
}

/// `PATCH /api/opportunities/{id}`: name, customer, amount, expected close,
/// lead-by (regrades), fields. Nothing else is settable (unknown keys: 400).
pub async fn update_opportunity(ctx: Ctx<'_>) -> ApiResult {
    let patch: OpportunityPatch = ctx.body()?;
    mutate(&ctx, Some(patch.version), |opp, r| {
        Ok(opp.patch(&patch, r.pipeline, &r.settings.policy, &r.actor)?)
    })
    .await
}

/// `POST /api/opportunities/{id}/tasks/{key}`.
pub async fn set_opportunity_task(ctx: Ctx<'_>) -> ApiResult {
    let body: TaskUpdate = ctx.body()?;
    let key = ctx.param("key")?;
    mutate(&ctx, Some(body.version), |opp, r| {
        Ok(opp.set_task(
            r.pipeline,
            key,
            body.done,
            body.note.as_deref(),
            &r.actor,
            r.now,
        )?)
    })
    .await
}

/// `POST /api/opportunities/{id}/approvals/{key}/request`: the owner asks.
pub async fn request_approval(ctx: Ctx<'_>) -> ApiResult {
    let body: VersionOnly = ctx.body()?;
    let key = ctx.param("key")?;
    mutate(&ctx, Some(body.version), |opp, r| {
        Ok(opp.request_approval(r.pipeline, key, &r.actor, r.now)?)
    })
    .await
}

/// `POST /api/opportunities/{id}/approvals/{key}/decide`: the approver role's
/// holder, never the owner. Decisions carry no version: a decision applies to
/// the pending request whatever else changed on the deal.
pub async fn decide_approval(ctx: Ctx<'_>) -> ApiResult {
    let body: ApprovalDecision = ctx.body()?;
    let key = ctx.param("key")?;
    mutate(&ctx, None, |opp, r| {
        Ok(opp.decide_approval(
            r.pipeline,
            key,
            body.approve,
            body.comment.as_deref(),
            &r.actor,
            r.now,
        )?)
    })
    .await
}

/// `PUT /api/opportunities/{id}/team`: roles from the configuration.
pub async fn set_team(ctx: Ctx<'_>) -> ApiResult {
    let body: TeamUpdate = ctx.body()?;
    mutate(&ctx, Some(body.version), |opp, r| {
        Ok(opp.set_team(&body.members, &r.settings.team_roles, &r.actor)?)
    })
    .await
}

/// `POST /api/opportunities/{id}/grade-override`: managers and admins, upgrade only.
pub async fn override_grade(ctx: Ctx<'_>) -> ApiResult {
    let body: GradeOverrideRequest = ctx.body()?;
    mutate(&ctx, Some(body.version), |opp, r| {
        Ok(opp.override_grade(
            body.grade,
            &body.reason,
            &r.settings.policy,
            &r.actor,
            r.now,
        )?)
    })
    .await
}

/// `GET /api/approvals`: every approval waiting for the caller's decision,
/// across the deals, the oldest request first.
pub async fn list_approvals(ctx: Ctx<'_>) -> ApiResult {
    let actor = ctx.actor()?;
    let (deals, settings) = store::with_pending_approvals(ctx.db()).await?;
    let mut items: Vec<ApprovalItem> = Vec::new();
    for deal in deals {
        if let Ok(pipeline) = settings.pipeline(&deal.pipeline) {
            items.extend(ApprovalItem::of(&deal, pipeline, &actor));
        }
    }
    items.sort_by_key(|a| a.requested_at);
    Response::json(200, &Page::whole(items))
}

/// `PUT /api/opportunities/{id}/owner` (managers): the deal goes to another
/// active salesperson, audited; 422 `unknown_user` for anyone else.
pub async fn change_owner(ctx: Ctx<'_>) -> ApiResult {
    let body: OwnerChange = ctx.body()?;
    let to = body.owner_id.trim();
    let sells = match crate::store::users::by_id(ctx.db(), to).await? {
        Some(u) if u.active == 1 => shared::Role::sells(&u.into_me()?.roles),
        _ => false,
    };
    if !sells {
        return Err(ApiError::Invalid(vec![shared::validate::FieldIssue::new(
            "owner_id",
            "unknown_user",
            "没有这个在职的销售人员",
            "No active salesperson with this id",
        )]));
    }
    mutate(&ctx, Some(body.version), |opp, r| {
        Ok(opp.change_owner(to, &r.actor)?)
    })
    .await
}

/// `GET /api/opportunities/{id}/check?to=KEY`: the server's verdict, the
/// same function the app runs.
pub async fn check_opportunity(ctx: Ctx<'_>) -> ApiResult {
    let to = ctx
        .query()
        .iter()
        .find_map(|(k, v)| (k == "to").then_some(v))
        .ok_or_else(|| ApiError::BadRequest("`to` is required".into()))?;
    let target = Target::parse(to).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (opp, settings) = store::load_with_settings(ctx.db(), ctx.param("id")?).await?;
    let opp = readable(opp, &ctx.actor()?)?;
    let verdict = gate::check(
        &opp,
        settings.pipeline(&opp.pipeline)?,
        &settings.policy,
        &Transition::to(target),
    );
    Response::json(200, &verdict)
}

/// `POST /api/opportunities/{id}/transition`: 200, 422 with the blockers, 409 stale.
pub async fn transition_opportunity(ctx: Ctx<'_>) -> ApiResult {
    let body: TransitionRequest = ctx.body()?;
    mutate(&ctx, Some(body.version), |opp, r| {
        opp.may_move(&r.actor, &body.transition.to)?;
        body.transition.texts_fit()?;
        let (next, events) =
            gate::apply(opp, r.pipeline, &r.settings.policy, &body.transition, r.now)
                .map_err(|v| ApiError::Blocked(v.blockers))?;
        *opp = next;
        Ok(events)
    })
    .await
}

/// `POST /api/opportunities/{id}/forecast {category, version}`: whoever may
/// edit the deal puts it in a forecast category; commit only while its
/// gate allows (`shared::forecast`), else 422 with the blockers.
pub async fn set_forecast(ctx: Ctx<'_>) -> ApiResult {
    let body: shared::report::ForecastRequest = ctx.body()?;
    mutate(&ctx, Some(body.version), |opp, r| {
        opp.set_forecast(body.category, r.pipeline, &r.settings.policy, &r.actor)
            .map_err(|e| match e {
                shared::forecast::ForecastError::Op(e) => ApiError::Op(e),
                shared::forecast::ForecastError::Blocked(b) => ApiError::Blocked(b),
            })
    })
    .await
}

/// `POST /api/opportunities/{id}/notes`: whoever may edit the deal (owner,
/// team, managers) adds a note to its trail, open or closed. 201 with the event.
pub async fn add_opportunity_note(ctx: Ctx<'_>) -> ApiResult {
    let body: NoteRequest = ctx.body()?;
    let actor = ctx.actor()?;
    let opp = readable(store::load(ctx.db(), ctx.param("id")?).await?, &actor)?;
    if !opp.can_edit(&actor) {
        return Err(ApiError::Op(shared::opportunity::OpError::Forbidden));
    }
    let event = events::add_note(
        ctx.db(),
        Entity::Opportunity,
        &opp.id,
        &body.text,
        &actor.user_id,
        ctx.now,
    )
    .await?;
    Response::json(201, &event)
}

/// `GET /api/opportunities/{id}/history`: the audit trail, oldest first.
pub async fn opportunity_history(ctx: Ctx<'_>) -> ApiResult {
    let opp = readable(
        store::load(ctx.db(), ctx.param("id")?).await?,
        &ctx.actor()?,
    )?;
    let items = events::history(ctx.db(), Entity::Opportunity, &opp.id).await?;
    Response::json(200, &Page::whole(items))
}
