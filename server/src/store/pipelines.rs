//! The stage framework an admin edits: pipelines stored whole (their
//! document is the shared `Pipeline`), versioned, each change audited in
//! the same batch; and the open deals and leads a change would strand.

use super::{Database, Stmt, Value, all, audit, run, storage};
use crate::error::ApiError;
use serde::Deserialize;
use shared::api::InUse;
use shared::pipeline::{Key, Pipeline};

/// The audit entry of a pipeline write, stored only if the write that
/// stamped `token` took.
fn audited(pipeline: &Pipeline, (at, by, summary): (&str, &str, &str), token: &str) -> Stmt {
    audit::record(
        at,
        by,
        &format!("pipeline:{}", pipeline.id),
        summary,
        Some((
            "(SELECT last_write FROM pipelines WHERE id = ?5) = ?6",
            vec![Value::from(pipeline.id.as_str()), Value::from(token)],
        )),
    )
}

/// Writes `pipeline` (its version already bumped) over `previous_version`,
/// with its audit entry, in one batch. `Ok(false)`: another write won.
pub async fn save(
    db: &dyn Database,
    pipeline: &Pipeline,
    previous_version: u32,
    (at, by, summary): (&str, &str, &str),
    token: &str,
) -> Result<bool, ApiError> {
    let doc = serde_json::to_string(pipeline).map_err(storage)?;
    super::guarded(
        db,
        vec![
            Stmt::new(
                "UPDATE pipelines SET version = ?1, doc = ?2, last_write = ?3 WHERE id = ?4 AND version = ?5",
                vec![
                    Value::Int(i64::from(pipeline.version)),
                    Value::from(doc),
                    Value::from(token),
                    Value::from(pipeline.id.as_str()),
                    Value::Int(i64::from(previous_version)),
                ],
            ),
            audited(pipeline, (at, by, summary), token),
        ],
    )
    .await
}

/// Stores a new pipeline with its audit entry. `Ok(false)`: the id is taken.
pub async fn create(
    db: &dyn Database,
    pipeline: &Pipeline,
    (at, by, summary): (&str, &str, &str),
    token: &str,
) -> Result<bool, ApiError> {
    let doc = serde_json::to_string(pipeline).map_err(storage)?;
    super::guarded(
        db,
        vec![
            Stmt::new(
                "INSERT OR IGNORE INTO pipelines (id, version, doc, last_write) VALUES (?1, ?2, ?3, ?4)",
                vec![
                    Value::from(pipeline.id.as_str()),
                    Value::Int(i64::from(pipeline.version)),
                    Value::from(doc),
                    Value::from(token),
                ],
            ),
            audited(pipeline, (at, by, summary), token),
        ],
    )
    .await
}

#[derive(Deserialize)]
struct Row {
    id: String,
    name: String,
    key: String,
}

impl From<Row> for InUse {
    fn from(r: Row) -> InUse {
        InUse {
            id: r.id,
            name: r.name,
            key: r.key,
        }
    }
}

/// The open deals of `pipeline` in any of `stages`.
pub async fn open_deals_in(
    db: &dyn Database,
    pipeline: &Key,
    stages: &[Key],
) -> Result<Vec<InUse>, ApiError> {
    if stages.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<&str> = stages.iter().map(Key::as_str).collect();
    let rows: Vec<Row> = all(
        db,
        Stmt::new(
            "SELECT id, name, stage AS key FROM opportunities WHERE pipeline = ?1 AND status = 'open' \
             AND stage IN (SELECT value FROM json_each(?2)) ORDER BY stage, name",
            vec![
                Value::from(pipeline.as_str()),
                Value::from(serde_json::to_string(&keys).map_err(storage)?),
            ],
        ),
    )
    .await?;
    Ok(rows.into_iter().map(InUse::from).collect())
}

/// The open deals and leads of `pipeline` holding a value for any of
/// `fields`, one batch.
pub async fn open_records_with_fields(
    db: &dyn Database,
    pipeline: &Key,
    fields: &[Key],
) -> Result<Vec<InUse>, ApiError> {
    let mut statements = Vec::new();
    for f in fields {
        // `json_extract(doc, '$.fields."key"')`: keys are snake_case, so
        // the quoted path is exact.
        let path = Value::from(format!("$.fields.\"{}\"", f.as_str()));
        statements.push(Stmt::new(
            "SELECT id, name, ?3 AS key FROM opportunities WHERE pipeline = ?1 AND status = 'open' \
             AND json_extract(doc, ?2) IS NOT NULL",
            vec![
                Value::from(pipeline.as_str()),
                path.clone(),
                Value::from(f.as_str()),
            ],
        ));
        statements.push(Stmt::new(
            "SELECT id, title AS name, ?3 AS key FROM leads WHERE pipeline = ?1 \
             AND status IN ('new', 'working') AND json_extract(doc, ?2) IS NOT NULL",
            vec![
                Value::from(pipeline.as_str()),
                path,
                Value::from(f.as_str()),
            ],
        ));
    }
    if statements.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for o in run(db, statements).await? {
        out.extend(o.parse::<Row>()?.into_iter().map(InUse::from));
    }
    Ok(out)
}
