//! The channel managers' side of deal registration: the review queue
//! (oldest first, conflicts refreshed as of now, overdue ones marked) and
//! rejecting with a reason (audited; a decided registration cannot be
//! decided again); approving makes the E deal, owned by a rep.

use super::registrations::parse_row;
use super::{ApiResult, Ctx};
use crate::error::ApiError;
use crate::http::Response;
use crate::store::registrations as store;
use shared::api::Page;
use shared::event::Event;
use shared::i18n::Localized;
use shared::registration::{
    ApproveRequest, RegistrationItem, RegistrationStatus, RejectRequest, approve, find_conflicts,
    is_overdue,
};
use shared::user::Role;
use shared::validate::{FieldIssue, required_text};

/// The most rows the queue answers; older ones stay in D1.
const QUEUE_LIMIT: u64 = 200;
/// The longest rejection reason.
const MAX_REASON: usize = 500;

fn item(
    row: &store::RegistrationRow,
    candidates: &[shared::registration::Conflict],
    today: chrono::NaiveDate,
) -> Result<RegistrationItem, ApiError> {
    let (status, submitted_at, doc) = parse_row(row)?;
    let others: Vec<_> = candidates
        .iter()
        .filter(|c| c.id != row.id)
        .cloned()
        .collect();
    Ok(RegistrationItem {
        id: row.id.clone(),
        version: u64::try_from(row.version).unwrap_or_default(),
        status,
        submitted_at,
        conflicts: if status == RegistrationStatus::Submitted {
            find_conflicts(&doc.registration, &others)
        } else {
            doc.conflicts.clone()
        },
        overdue: status == RegistrationStatus::Submitted
            && is_overdue(submitted_at.date_naive(), today),
        registration: doc.registration,
        opportunity_id: doc.opportunity_id,
        protected_until: doc.protected_until,
        reason: doc.reason,
    })
}

/// `GET /api/registrations?status=submitted`: oldest first.
pub async fn list_registrations(ctx: Ctx<'_>) -> ApiResult {
    let status = match ctx.query().iter().find(|(k, _)| k == "status") {
        Some((_, v)) if v.is_empty() => None,
        Some((_, v)) => {
            serde_json::from_str::<RegistrationStatus>(&format!("\"{v}\""))
                .map_err(|_| ApiError::BadRequest(format!("unknown status `{v}`")))?;
            Some(v.as_str())
        }
        None => None,
    };
    let today = ctx.now.date_naive();
    let (rows, candidates) =
        store::queue(ctx.db(), status, &today.to_string(), QUEUE_LIMIT).await?;
    let items = rows
        .iter()
        .map(|r| item(r, &candidates, today))
        .collect::<Result<Vec<_>, _>>()?;
    Response::json(200, &Page::whole(items))
}

/// `POST /api/registrations/{id}/reject {reason, version}`: the partner
/// sees the reason. 422 without one; 409 when stale or already decided.
pub async fn reject_registration(ctx: Ctx<'_>) -> ApiResult {
    let body: RejectRequest = ctx.body()?;
    let mut issues: Vec<FieldIssue> = Vec::new();
    let reason = required_text(&mut issues, "reason", &body.reason, MAX_REASON);
    if !issues.is_empty() {
        return Err(ApiError::Invalid(issues));
    }
    let row = pending(&ctx, body.version).await?;
    let today = ctx.now.date_naive();
    let (_, _, mut doc) = parse_row(&row)?;
    doc.reason = Some(reason.clone());
    let by = ctx.me()?.id.clone();
    let token = ctx.new_id("w_")?;
    let summary = format!("rejected: {reason}");
    if !store::decide(
        ctx.db(),
        (&row.id, row.version, "rejected"),
        &doc,
        (&ctx.at(), &by, &summary),
        &token,
    )
    .await?
    {
        return Err(decided());
    }
    // What was written, without reading it back.
    let mut answer = item(&row, &[], today)?;
    answer.status = RegistrationStatus::Rejected;
    answer.version += 1;
    answer.reason = Some(reason);
    Response::json(200, &answer)
}

/// `POST /api/registrations/{id}/approve {owner_id, pipeline?, version}`:
/// 201 with the E-class deal (stage 2, led by the partner, protected for
/// the configured days); 422 when the owner is not an active rep or the
/// pipeline is unknown; 409 when stale or already decided.
pub async fn approve_registration(ctx: Ctx<'_>) -> ApiResult {
    let body: ApproveRequest = ctx.body()?;
    let row = pending(&ctx, body.version).await?;
    let owner = crate::store::users::by_id(ctx.db(), &body.owner_id)
        .await?
        .map(crate::store::users::UserRow::into_me)
        .transpose()?
        .filter(|u| u.active && u.roles.contains(&Role::Rep));
    let Some(owner) = owner else {
        return Err(ApiError::Invalid(vec![FieldIssue::new(
            "owner_id",
            "not_a_rep",
            "负责人须为在职的销售",
            "The owner must be an active sales rep",
        )]));
    };
    let settings = crate::store::config::load(ctx.db()).await?;
    let pipeline = match &body.pipeline {
        Some(key) => settings.pipelines.iter().find(|p| &p.id == key),
        None => settings.pipelines.first(),
    }
    .ok_or_else(|| {
        ApiError::Invalid(vec![FieldIssue::new(
            "pipeline",
            "unknown_pipeline",
            "没有这个流程",
            "No such pipeline",
        )])
    })?;
    let (_, _, doc) = parse_row(&row)?;
    let opportunity_id = ctx.new_id("o_")?;
    let (opp, kinds, decided_doc) = approve(
        &doc,
        (&row.id, &opportunity_id, &owner.id),
        pipeline,
        (
            &settings.policy,
            settings.grading.currency,
            settings.registration.protection_days,
        ),
        ctx.now,
    )
    .ok_or_else(|| ApiError::Storage(format!("pipeline {} has no stage 2", pipeline.id)))?;
    let by = ctx.me()?.id.clone();
    let events = Event::stamp(kinds, &by, ctx.now);
    let token = ctx.new_id("w_")?;
    let summary = format!("approved: deal {} for {}", opp.id, owner.id);
    if !store::approve(
        ctx.db(),
        (&row.id, row.version),
        &decided_doc,
        (&opp, &events),
        (&ctx.at(), &by, &summary),
        &token,
    )
    .await?
    {
        return Err(decided());
    }
    Response::json(201, &opp)
}

/// The registration the path names, still submitted and at `version`:
/// 409 once decided (or withdrawn), 409 with it as it is when stale.
async fn pending(ctx: &Ctx<'_>, version: u64) -> Result<store::RegistrationRow, ApiError> {
    let row = store::by_id(ctx.db(), ctx.param("id")?)
        .await?
        .ok_or(ApiError::RecordNotFound)?;
    let current = item(&row, &[], ctx.now.date_naive())?;
    if current.status != RegistrationStatus::Submitted {
        return Err(decided());
    }
    if current.version != version {
        return Err(ApiError::stale(&current));
    }
    Ok(row)
}

fn decided() -> ApiError {
    ApiError::Conflict {
        code: "already_decided",
        message: Localized::new(
            "该报备已处理或已撤回",
            "This registration was already decided or withdrawn",
        ),
    }
}

/// The scheduled expiry (a cron trigger, `wrangler.toml`): every approved
/// registration whose protection ended before `now`'s day while its deal is
/// still open becomes `expired`, and the deal loses the protection with a
/// `protection_expired` event, each pair in one guarded batch. Answers how
/// many expired; one that lost a race to another write waits for the next run.
pub async fn expire_protections(
    rt: &dyn crate::runtime::Runtime,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, ApiError> {
    let today = now.date_naive();
    let at = now.to_rfc3339();
    let mut expired = 0;
    for found in store::expiring(rt.db(), &today.to_string()).await? {
        let mut deal = found.deal;
        let previous = deal.version;
        let Some(kind) = deal.expire_protection(today) else {
            continue;
        };
        let events = Event::stamp(vec![kind], shared::event::SYSTEM, now);
        if store::expire(
            rt.db(),
            (&deal, previous, &events),
            (&found.registration_id, found.registration_version),
            &at,
            &super::new_id(rt, "w_")?,
        )
        .await?
        {
            expired += 1;
        }
    }
    Ok(expired)
}
