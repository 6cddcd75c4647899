//! The admin's stage framework: list, read, create (optionally copied),
//! and save a whole pipeline document, versioned and audited. A save is
//! refused while open deals stand in a stage it removes, or hold values in
//! a field it removes (or renames: a new key is a new field).

use super::{ApiResult, Ctx};
use crate::error::ApiError;
use crate::http::Response;
use crate::store::{config, pipelines as store};
use shared::api::{NewPipeline, Page, PipelineSummary};
use shared::builtin;
use shared::i18n::Localized;
use shared::pipeline::{Key, Pipeline};

/// `GET /api/admin/pipelines`.
pub async fn list_pipelines(ctx: Ctx<'_>) -> ApiResult {
    let settings = config::load(ctx.db()).await?;
    let items: Vec<PipelineSummary> = settings
        .pipelines
        .iter()
        .map(|p| PipelineSummary {
            id: p.id.clone(),
            name: p.name.clone(),
            version: p.version,
            stages: p.stages.len(),
        })
        .collect();
    Response::json(200, &Page::whole(items))
}

fn key_param(ctx: &Ctx<'_>) -> Result<Key, ApiError> {
    Key::parse(ctx.param("id")?).map_err(|_| ApiError::RecordNotFound)
}

/// The pipeline `id` of the configuration; 404 when there is none.
fn find<'a>(settings: &'a config::Settings, id: &Key) -> Result<&'a Pipeline, ApiError> {
    settings
        .pipelines
        .iter()
        .find(|p| p.id == *id)
        .ok_or(ApiError::RecordNotFound)
}

/// `GET /api/admin/pipelines/{id}`: the whole document, with its version.
pub async fn get_pipeline(ctx: Ctx<'_>) -> ApiResult {
    let id = key_param(&ctx)?;
    let settings = config::load(ctx.db()).await?;
    let p = find(&settings, &id)?;
    Response::json(200, p)
}

/// `PUT /api/admin/pipelines/{id}`: the whole document with the `version`
/// it was read at; 422 with the path of each problem, 409 when stale or
/// when open deals or leads are in the way.
pub async fn update_pipeline(ctx: Ctx<'_>) -> ApiResult {
    let id = key_param(&ctx)?;
    let body: serde_json::Value = ctx.body()?;
    let settings = config::load(ctx.db()).await?;
    let current = find(&settings, &id)?;
    let version = body
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ApiError::BadRequest("version: a whole number is required".into()))?;
    if version != u64::from(current.version) {
        return Err(ApiError::stale(current));
    }
    let mut draft = read_draft(&body, &id, &settings)?;
    let removed_stages = current.stages_removed_by(&draft);
    let stranded = store::open_deals_in(ctx.db(), &id, &removed_stages).await?;
    if !stranded.is_empty() {
        return Err(ApiError::InUse {
            code: "stage_has_open_deals",
            message: Localized::new(
                "有未关闭的商机处于要删除的阶段，请先移动这些商机",
                "Open deals are in a stage this change removes: move them first",
            ),
            records: stranded,
        });
    }
    let removed_fields = current.fields_removed_by(&draft);
    let filled = store::open_records_with_fields(ctx.db(), &id, &removed_fields).await?;
    if !filled.is_empty() {
        return Err(ApiError::InUse {
            code: "field_has_values",
            message: Localized::new(
                "有未关闭的商机或线索填写了要删除（或改名）的字段；改名会丢失这些值，请保留原字段键",
                "Open deals or leads hold values in a field this change removes or renames; keep its key so they keep their values",
            ),
            records: filled,
        });
    }
    let previous = current.version;
    draft.version = previous + 1;
    let summary = change_summary(current, &draft, &removed_stages, &removed_fields);
    let at = ctx.at();
    let by = ctx.me()?.id.clone();
    let token = ctx.new_id("w_")?;
    if store::save(ctx.db(), &draft, previous, (&at, &by, &summary), &token).await? {
        super::config::republish(&ctx).await?;
        Response::json(200, &draft)
    } else {
        let settings = config::load(ctx.db()).await?;
        Err(ApiError::stale(settings.pipeline(&id)?))
    }
}

/// `POST /api/admin/pipelines/{id}/preview` with a draft: which open deals
/// would gain or lose blockers on their next move, and which would find
/// their stage elsewhere in the order (or gone), before anything is saved.
pub async fn preview_pipeline(ctx: Ctx<'_>) -> ApiResult {
    let id = key_param(&ctx)?;
    let body: serde_json::Value = ctx.body()?;
    let settings = config::load(ctx.db()).await?;
    let current = find(&settings, &id)?;
    let draft = read_draft(&body, &id, &settings)?;
    let deals = crate::store::opportunities::open_in_pipeline(ctx.db(), &id).await?;
    Response::json(
        200,
        &shared::impact::preview(&deals, current, &draft, &settings.policy),
    )
}

/// The draft pipeline of a request body, as the pipeline `id` (the path
/// names it, whatever the body says): 422 with the path of every problem,
/// a key that is not snake_case included.
fn read_draft(
    body: &serde_json::Value,
    id: &Key,
    settings: &config::Settings,
) -> Result<Pipeline, ApiError> {
    let mut body = body.clone();
    if let Some(doc) = body.as_object_mut() {
        doc.insert("id".into(), serde_json::Value::from(id.as_str()));
    }
    shared::draft::parse_pipeline(&body, &settings.team_roles).map_err(ApiError::Invalid)
}

/// A few words on what a save changed, for the audit.
fn change_summary(before: &Pipeline, after: &Pipeline, stages: &[Key], fields: &[Key]) -> String {
    let keys = |ks: &[Key]| ks.iter().map(Key::as_str).collect::<Vec<_>>().join(", ");
    let added: Vec<Key> = after.stages_removed_by(before);
    let count = |p: &Pipeline| {
        p.stages
            .iter()
            .map(|s| s.requirement_count(None))
            .sum::<usize>()
    };
    let mut parts = vec![format!(
        "version {} → {}: {} → {} stages, {} → {} requirements",
        before.version,
        after.version,
        before.stages.len(),
        after.stages.len(),
        count(before),
        count(after)
    )];
    if !added.is_empty() {
        parts.push(format!("stages added: {}", keys(&added)));
    }
    if !stages.is_empty() {
        parts.push(format!("stages removed: {}", keys(stages)));
    }
    if !fields.is_empty() {
        parts.push(format!("fields removed: {}", keys(fields)));
    }
    parts.join("; ")
}

/// `POST /api/admin/pipelines {id, name, copy_from?}`: 201 with the new
/// pipeline: a copy of `copy_from`'s stages, or the two-stage frame.
pub async fn create_pipeline(ctx: Ctx<'_>) -> ApiResult {
    let raw: serde_json::Value = ctx.body()?;
    // A key that is not snake_case is a 422 at its field, as in a save.
    for field in ["id", "copy_from"] {
        let given = raw.get(field).filter(|v| !v.is_null());
        if (field == "id" || given.is_some())
            && given
                .and_then(serde_json::Value::as_str)
                .is_none_or(|k| Key::parse(k).is_err())
        {
            let e = shared::pipeline::PipelineError::InvalidKey;
            return Err(ApiError::Invalid(vec![shared::validate::FieldIssue {
                field: field.into(),
                code: e.code().into(),
                message: e.message(),
            }]));
        }
    }
    let body: NewPipeline =
        serde_json::from_value(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let settings = config::load(ctx.db()).await?;
    let mut pipeline = builtin::skeleton(body.id.clone(), body.name.clone());
    if let Some(from) = &body.copy_from {
        let source = settings
            .pipelines
            .iter()
            .find(|p| &p.id == from)
            .ok_or_else(|| {
                ApiError::Invalid(vec![shared::validate::FieldIssue::new(
                    "copy_from",
                    "unknown_pipeline",
                    "没有这个流程",
                    "No such pipeline",
                )])
            })?;
        pipeline.stages = source.stages.clone();
    }
    if !pipeline.name.is_complete() {
        return Err(ApiError::Invalid(vec![shared::validate::FieldIssue::new(
            "name",
            "missing_text",
            "名称需要中文和英文",
            "The name needs zh-CN and en text",
        )]));
    }
    pipeline
        .validate_paths(&settings.team_roles)
        .map_err(ApiError::Invalid)?;
    let summary = match &body.copy_from {
        Some(from) => format!("created as a copy of {from}"),
        None => "created".to_string(),
    };
    let at = ctx.at();
    let by = ctx.me()?.id.clone();
    let token = ctx.new_id("w_")?;
    if store::create(ctx.db(), &pipeline, (&at, &by, &summary), &token).await? {
        super::config::republish(&ctx).await?;
        Response::json(201, &pipeline)
    } else {
        Err(ApiError::Conflict {
            code: "pipeline_exists",
            message: Localized::new("已有同名键的流程", "A pipeline with this key exists"),
        })
    }
}
