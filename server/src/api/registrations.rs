//! The partners' side of deal registration (E class, 商机报备), no account:
//! submit the public form (rate-limited per client address, conflicts with
//! our open deals and other registrations noted), follow its status by a
//! private reference, withdraw it while it waits. Only the reference's
//! SHA-256 is stored; an unknown reference and a malformed one answer the
//! same 404 after the same work.

use super::{ApiResult, Ctx};
use crate::auth::{TOKEN_BYTES, encode_token};
use crate::error::ApiError;
use crate::http::Response;
use crate::store::registrations as store;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use shared::i18n::Localized;
use shared::registration::{
    FormRejection, RegistrationForm, RegistrationReceipt, RegistrationStatus,
    RegistrationStatusView, SUBMISSIONS_PER_HOUR, StoredRegistration, find_conflicts,
};

/// The rate limit's window.
const WINDOW_SECS: i64 = 3600;

/// What the database keys a registration by: the SHA-256 of whatever the
/// caller sent, well-formed or not (so both take the same path).
fn reference_hash(reference: &str) -> String {
    Sha256::digest(reference.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn receipt(reference: String) -> RegistrationReceipt {
    RegistrationReceipt {
        status_url: format!("/register/{reference}"),
        reference,
    }
}

fn fresh_reference(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    ctx.rt.random_bytes(&mut bytes)?;
    Ok(encode_token(&bytes))
}

/// `POST /api/public/registrations`: 201 `{reference, status_url}`; 422
/// with the field errors; 429 past the limit per client address. A filled
/// honeypot (`website`) gets a 201 like any other, and nothing is stored.
pub async fn submit_registration(ctx: Ctx<'_>) -> ApiResult {
    let client = ctx.req.header("cf-connecting-ip").unwrap_or("unknown");
    let now = ctx.now.timestamp();
    let slot = now.div_euclid(WINDOW_SECS);
    let form: RegistrationForm = ctx.body()?;
    let today = ctx.now.date_naive();
    let (count, candidates) = store::count_and_candidates(
        ctx.db(),
        (&format!("registration:{client}"), slot),
        &today.to_string(),
    )
    .await?;
    if count > SUBMISSIONS_PER_HOUR {
        return Err(ApiError::TooManyRequests {
            retry_after: u64::try_from(WINDOW_SECS - now.rem_euclid(WINDOW_SECS)).unwrap_or(1),
        });
    }
    let registration = match form.validate(today) {
        Ok(r) => r,
        Err(FormRejection::Spam) => return Response::json(201, &receipt(fresh_reference(&ctx)?)),
        Err(FormRejection::Invalid(issues)) => return Err(ApiError::Invalid(issues)),
    };
    let doc = StoredRegistration {
        conflicts: find_conflicts(&registration, &candidates),
        registration,
        opportunity_id: None,
        protected_until: None,
        reason: None,
    };
    let reference = fresh_reference(&ctx)?;
    let id = ctx.new_id("r_")?;
    store::insert(
        ctx.db(),
        (&id, &reference_hash(&reference), &ctx.at()),
        &doc,
    )
    .await?;
    Response::json(201, &receipt(reference))
}

/// A stored row's status, submission time and document.
pub fn parse_row(
    row: &store::RegistrationRow,
) -> Result<(RegistrationStatus, DateTime<Utc>, StoredRegistration), ApiError> {
    let bad = |e: String| ApiError::Storage(format!("registration {}: {e}", row.id));
    let status: RegistrationStatus =
        serde_json::from_str(&format!("\"{}\"", row.status)).map_err(|e| bad(e.to_string()))?;
    let at = DateTime::parse_from_rfc3339(&row.submitted_at)
        .map_err(|e| bad(e.to_string()))?
        .to_utc();
    let doc = serde_json::from_str(&row.doc).map_err(|e| bad(e.to_string()))?;
    Ok((status, at, doc))
}

fn view_of(row: &store::RegistrationRow) -> Result<RegistrationStatusView, ApiError> {
    let (status, submitted_at, doc) = parse_row(row)?;
    Ok(RegistrationStatusView {
        status,
        submitted_at,
        // While approved, the last protected day; once expired, the day it ended.
        protected_until: doc.protected_until.filter(|_| {
            matches!(
                status,
                RegistrationStatus::Approved | RegistrationStatus::Expired
            )
        }),
        reason: doc
            .reason
            .filter(|_| status == RegistrationStatus::Rejected),
    })
}

async fn find(ctx: &Ctx<'_>) -> Result<store::RegistrationRow, ApiError> {
    let hash = reference_hash(ctx.param("reference")?);
    store::by_reference(ctx.db(), &hash)
        .await?
        .ok_or(ApiError::RecordNotFound)
}

/// The status of the registration `reference` names (`None` for an unknown
/// or malformed one, after the same work): the API's answer and the
/// partner's status page.
pub async fn status_by_reference(
    db: &dyn crate::store::Database,
    reference: &str,
) -> Result<Option<RegistrationStatusView>, ApiError> {
    store::by_reference(db, &reference_hash(reference))
        .await?
        .map(|row| view_of(&row))
        .transpose()
}

/// `GET /api/public/registrations/{reference}`: its status only.
pub async fn get_registration_status(ctx: Ctx<'_>) -> ApiResult {
    let view = status_by_reference(ctx.db(), ctx.param("reference")?)
        .await?
        .ok_or(ApiError::RecordNotFound)?;
    Response::json(200, &view)
}

/// `POST /api/public/registrations/{reference}/withdraw`: while submitted
/// (409 once decided or withdrawn); answers the status.
pub async fn withdraw_registration(ctx: Ctx<'_>) -> ApiResult {
    let row = find(&ctx).await?;
    let not_pending = || ApiError::Conflict {
        code: "not_submitted",
        message: Localized::new(
            "该报备已处理或已撤回，不能再撤回",
            "This registration was already decided or withdrawn",
        ),
    };
    if row.status != "submitted" || !store::withdraw(ctx.db(), &row.id, row.version).await? {
        return Err(not_pending());
    }
    let row = find(&ctx).await?;
    Response::json(200, &view_of(&row)?)
}
