//! The grading thresholds an admin manages: the version in force, every
//! earlier one, the open deals they grade, and a change written with the
//! regrade of every open deal in one guarded batch.

use super::{Database, Stmt, Value, all, audit, first, storage};
use crate::error::ApiError;
use serde::Deserialize;
use shared::api::{GradingAdmin, GradingChange, GradingConfig, Thresholds};
use shared::money::{Currency, Money};
use shared::regrade::{GradedDeal, Regrade};

/// The `grading_policy` row (also read with the rest of the configuration).
#[derive(Deserialize)]
pub(super) struct PolicyRow {
    a_min: i64,
    b_min: i64,
    c_min: i64,
    currency: String,
    version: i64,
    updated_by: Option<String>,
    updated_at: String,
}

fn money(v: i64) -> Result<Money, ApiError> {
    Money::from_minor(v).map_err(storage)
}

impl PolicyRow {
    fn thresholds(&self) -> Result<Thresholds, ApiError> {
        Ok(Thresholds {
            a_min: money(self.a_min)?,
            b_min: money(self.b_min)?,
            c_min: money(self.c_min)?,
        })
    }

    /// The thresholds as `GET /api/config` carries them.
    pub(super) fn config(&self) -> Result<GradingConfig, ApiError> {
        let t = self.thresholds()?;
        Ok(GradingConfig {
            a_min: t.a_min,
            b_min: t.b_min,
            c_min: t.c_min,
            currency: Currency::parse(&self.currency).map_err(storage)?,
            version: u64::try_from(self.version).unwrap_or_default(),
        })
    }

    fn admin(self) -> Result<GradingAdmin, ApiError> {
        let t = self.thresholds()?;
        Ok(GradingAdmin {
            a_min: t.a_min,
            b_min: t.b_min,
            c_min: t.c_min,
            currency: Currency::parse(&self.currency).map_err(storage)?,
            version: u64::try_from(self.version).unwrap_or_default(),
            updated_by: self.updated_by,
            updated_at: chrono::DateTime::parse_from_rfc3339(&self.updated_at)
                .map_err(storage)?
                .to_utc(),
        })
    }
}

const COLUMNS: &str = "a_min, b_min, c_min, currency, version, updated_by, updated_at";
/// The thresholds in force.
pub(super) const POLICY_SQL: &str = "SELECT a_min, b_min, c_min, currency, version, updated_by, updated_at \
     FROM grading_policy WHERE id = 1";

/// The thresholds in force, with who set them and when.
pub async fn current(db: &dyn Database) -> Result<GradingAdmin, ApiError> {
    let row: PolicyRow = first(db, Stmt::new(POLICY_SQL, vec![]))
        .await?
        .ok_or_else(|| storage("grading policy row is missing"))?;
    row.admin()
}

/// Every version, newest first, each with the one before it.
pub async fn history(db: &dyn Database) -> Result<Vec<GradingChange>, ApiError> {
    let rows: Vec<PolicyRow> = all(
        db,
        Stmt::new(
            format!("SELECT {COLUMNS} FROM grading_history ORDER BY version"),
            vec![],
        ),
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut before: Option<Thresholds> = None;
    for row in rows {
        let to = row.thresholds()?;
        let admin = row.admin()?;
        out.push(GradingChange {
            version: admin.version,
            updated_by: admin.updated_by,
            updated_at: admin.updated_at,
            from: before.replace(to.clone()),
            to,
        });
    }
    out.reverse();
    Ok(out)
}

/// What grading needs of every open deal, without their documents (a light
/// read however many there are: the grade inputs are columns or JSON paths).
pub async fn open_deals(db: &dyn Database) -> Result<Vec<GradedDeal>, ApiError> {
    all(db, open_deals_stmt()).await
}

fn open_deals_stmt() -> Stmt {
    Stmt::new(
        "SELECT id, name, amount, json_extract(doc, '$.lead_by') AS lead_by, \
         json_extract(doc, '$.grade_override.grade') AS override_grade, \
         json_extract(doc, '$.grade.computed') AS computed, grade AS effective, \
         json_array_length(doc, '$.skipped') AS skipped \
         FROM opportunities WHERE status = ?1 ORDER BY created_at DESC, id DESC",
        vec![Value::from("open")],
    )
}

/// The thresholds in force and every open deal, in one round trip (what
/// a save needs).
pub async fn current_and_open_deals(
    db: &dyn Database,
) -> Result<(GradingAdmin, Vec<GradedDeal>), ApiError> {
    let [policy, deals]: [super::Outcome; 2] =
        super::run(db, vec![Stmt::new(POLICY_SQL, vec![]), open_deals_stmt()])
            .await?
            .try_into()
            .map_err(|_| storage("grading reads answered the wrong number of results"))?;
    let row = policy
        .parse::<PolicyRow>()?
        .into_iter()
        .next()
        .ok_or_else(|| storage("grading policy row is missing"))?;
    Ok((row.admin()?, deals.parse()?))
}

/// Regrades per statement: each statement's JSON parameter stays far below
/// D1's 2 MB limit on a bound value (a regrade is ~200 bytes).
const REGRADES_PER_STATEMENT: usize = 2_000;

/// Writes new thresholds over `previous_version`, the history row, and the
/// regrade of every deal in `regrades` with its `regraded` event, in one
/// batch guarded by a fresh `token`. `Ok(false)`: another admin's change
/// won. The grade itself is computed in Rust by `shared::regrade`; SQL only
/// writes the three parts of the document it changes.
pub async fn save(
    db: &dyn Database,
    to: &Thresholds,
    previous_version: u64,
    (at, by, summary): (&str, &str, &str),
    token: &str,
    regrades: &[Regrade],
) -> Result<bool, ApiError> {
    let mut statements = vec![
        Stmt::new(
            "UPDATE grading_policy SET a_min = ?1, b_min = ?2, c_min = ?3, version = version + 1, \
             updated_by = ?4, updated_at = ?5, last_write = ?6 WHERE id = 1 AND version = ?7",
            vec![
                Value::Int(to.a_min.minor()),
                Value::Int(to.b_min.minor()),
                Value::Int(to.c_min.minor()),
                Value::from(by),
                Value::from(at),
                Value::from(token),
                Value::from(previous_version),
            ],
        ),
        Stmt::new(
            "INSERT INTO grading_history (version, a_min, b_min, c_min, currency, updated_by, updated_at) \
             SELECT version, a_min, b_min, c_min, currency, updated_by, updated_at FROM grading_policy \
             WHERE id = 1 AND last_write = ?1",
            vec![Value::from(token)],
        ),
        audit::record(
            at,
            by,
            "grading",
            summary,
            Some((
                "(SELECT last_write FROM grading_policy WHERE id = 1) = ?5",
                vec![Value::from(token)],
            )),
        ),
    ];
    for chunk in regrades.chunks(REGRADES_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|r| {
                let event = r
                    .event
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(storage)?;
                Ok(serde_json::json!({
                    "id": r.opportunity_id,
                    "computed": r.grade.computed,
                    "effective": r.grade.effective,
                    "track": r.track,
                    "event": event,
                }))
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let rows = Value::from(serde_json::to_string(&rows).map_err(storage)?);
        // A deal written since it was read keeps the grade its own write
        // gave it; the gate recomputes the grade under the policy in force
        // on every check anyway. `+opportunities.status` keeps SQLite from
        // driving the join by the status index, which would re-read the
        // JSON parameter once per open deal (7.5 s at 10,000 deals instead
        // of a primary-key look-up per regraded one).
        statements.push(Stmt::new(
            "UPDATE opportunities SET version = opportunities.version + 1, grade = r.effective, \
             doc = json_set(opportunities.doc, '$.version', opportunities.version + 1, \
               '$.grade.computed', r.computed, '$.grade.effective', r.effective, '$.track', r.track), \
             updated_at = ?2, last_write = ?3 \
             FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.computed') AS computed, \
               json_extract(value, '$.effective') AS effective, json_extract(value, '$.track') AS track \
               FROM json_each(?1)) AS r \
             WHERE opportunities.id = r.id AND +opportunities.status = 'open' \
             AND (SELECT last_write FROM grading_policy WHERE id = 1) = ?3",
            vec![rows.clone(), Value::from(at), Value::from(token)],
        ));
        statements.push(Stmt::new(
            "INSERT INTO events (entity_type, entity_id, at, by_user, event) \
             SELECT 'opportunity', json_extract(value, '$.id'), ?2, ?3, json_extract(value, '$.event') \
             FROM json_each(?1) WHERE json_extract(value, '$.event') IS NOT NULL \
             AND (SELECT last_write FROM opportunities WHERE id = json_extract(value, '$.id')) = ?4",
            vec![rows, Value::from(at), Value::from(by), Value::from(token)],
        ));
    }
    super::guarded(db, statements).await
}
