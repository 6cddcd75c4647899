//! The admin's grading thresholds: read, preview the impact on every open
//! deal, save (regrading every open deal in the same batch), history.

use super::{ApiResult, Ctx};
use crate::error::ApiError;
use crate::http::Response;
use crate::store::grading as store;
use shared::api::{GradingAdmin, GradingPreviewRequest, GradingUpdate, Page};
use shared::regrade::{self, validate_thresholds};

/// `GET /api/admin/grading`.
pub async fn get_grading(ctx: Ctx<'_>) -> ApiResult {
    Response::json(200, &store::current(ctx.db()).await?)
}

/// `POST /api/admin/grading/preview {a_min, b_min, c_min}`: which open deals
/// the thresholds would regrade, re-track or block, and the counts per
/// grade, computed with the shared rule (an override still wins).
pub async fn preview_grading(ctx: Ctx<'_>) -> ApiResult {
    let body: GradingPreviewRequest = ctx.body()?;
    let policy =
        validate_thresholds(body.a_min, body.b_min, body.c_min).map_err(ApiError::Invalid)?;
    let deals = store::open_deals(ctx.db()).await?;
    Response::json(200, &regrade::preview(&deals, &policy))
}

/// `PUT /api/admin/grading {a_min, b_min, c_min, version}`: saves the
/// thresholds and regrades every open deal in one batch, each with a
/// `regraded` event naming the new policy version; 409 when stale.
pub async fn update_grading(ctx: Ctx<'_>) -> ApiResult {
    let body: GradingUpdate = ctx.body()?;
    let policy =
        validate_thresholds(body.a_min, body.b_min, body.c_min).map_err(ApiError::Invalid)?;
    let (current, deals) = store::current_and_open_deals(ctx.db()).await?;
    if body.version != current.version {
        return Err(ApiError::stale(&current));
    }
    let regrades = regrade::regrades(&deals, &policy, current.version + 1);
    let to = GradingPreviewRequest {
        a_min: body.a_min,
        b_min: body.b_min,
        c_min: body.c_min,
    };
    let token = ctx.new_id("w_")?;
    let by = ctx.me()?.id.clone();
    let yuan = |m: shared::Money| m.minor() / 100;
    let summary = format!(
        "a_min {} → {}, b_min {} → {}, c_min {} → {} ({}); {} open deals regraded",
        yuan(current.a_min),
        yuan(to.a_min),
        yuan(current.b_min),
        yuan(to.b_min),
        yuan(current.c_min),
        yuan(to.c_min),
        current.currency.as_str(),
        regrades.iter().filter(|r| r.event.is_some()).count()
    );
    let at = ctx.at();
    let saved = store::save(
        ctx.db(),
        &to,
        current.version,
        (&at, &by, &summary),
        &token,
        &regrades,
    )
    .await?;
    if saved {
        super::config::republish(&ctx).await?;
        // What the save wrote: no need to read it back.
        let saved = GradingAdmin {
            a_min: to.a_min,
            b_min: to.b_min,
            c_min: to.c_min,
            currency: current.currency,
            version: current.version + 1,
            updated_by: Some(by),
            updated_at: ctx.now,
        };
        Response::json(200, &saved)
    } else {
        Err(ApiError::stale(&store::current(ctx.db()).await?))
    }
}

/// `GET /api/admin/grading/history`: every version, newest first.
pub async fn grading_history(ctx: Ctx<'_>) -> ApiResult {
    Response::json(200, &Page::whole(store::history(ctx.db()).await?))
}
