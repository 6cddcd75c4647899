//! Partner registrations: submitted through the public form, known to the
//! partner by the SHA-256 of their reference; and the fixed-window counter
//! that rate-limits the form per client address.

use super::{Database, Outcome, Stmt, Value, first, run, storage};
use crate::error::ApiError;
use serde::Deserialize;
use shared::registration::{Conflict, ConflictKind, StoredRegistration};

/// One submission counted in `key`'s window `slot`, and the conflict
/// candidates (open deals, registrations still pending or protected on
/// `today`), in one round trip: the count as it now stands, the candidates.
pub async fn count_and_candidates(
    db: &dyn Database,
    (key, slot): (&str, i64),
    today: &str,
) -> Result<(u64, Vec<Conflict>), ApiError> {
    let outcomes = run(
        db,
        vec![
            Stmt::new(
                "INSERT INTO rate_counters (key, slot, count) VALUES (?1, ?2, 1) \
                 ON CONFLICT (key, slot) DO UPDATE SET count = count + 1 RETURNING count",
                vec![Value::from(key), Value::Int(slot)],
            ),
            Stmt::new(
                "SELECT id, customer, name AS title FROM opportunities WHERE status = 'open'",
                vec![],
            ),
            Stmt::new(
                "SELECT id, json_extract(doc, '$.customer_company') AS customer, \
                 json_extract(doc, '$.project_title') AS title FROM registrations \
                 WHERE status = 'submitted' \
                    OR (status = 'approved' AND json_extract(doc, '$.protected_until') >= ?1)",
                vec![Value::from(today)],
            ),
        ],
    )
    .await?;
    let [count, deals, registrations]: [Outcome; 3] = outcomes
        .try_into()
        .map_err(|_| storage("registration reads answered the wrong number of results"))?;
    #[derive(Deserialize)]
    struct Count {
        count: i64,
    }
    #[derive(Deserialize)]
    struct Candidate {
        id: String,
        customer: String,
        title: String,
    }
    let n = count
        .parse::<Count>()?
        .first()
        .map_or(0, |c| u64::try_from(c.count).unwrap_or(0));
    let mut candidates = Vec::new();
    for (kind, rows) in [
        (ConflictKind::Opportunity, deals),
        (ConflictKind::Registration, registrations),
    ] {
        candidates.extend(rows.parse::<Candidate>()?.into_iter().map(|c| Conflict {
            kind,
            id: c.id,
            customer: c.customer,
            title: c.title,
        }));
    }
    Ok((n, candidates))
}

/// Stores a new submission.
pub async fn insert(
    db: &dyn Database,
    (id, reference_hash, at): (&str, &str, &str),
    doc: &StoredRegistration,
) -> Result<(), ApiError> {
    let doc = serde_json::to_string(doc).map_err(storage)?;
    run(
        db,
        vec![Stmt::new(
            "INSERT INTO registrations (id, reference_hash, version, status, submitted_at, doc) \
             VALUES (?1, ?2, 1, 'submitted', ?3, ?4)",
            vec![
                Value::from(id),
                Value::from(reference_hash),
                Value::from(at),
                Value::from(doc),
            ],
        )],
    )
    .await?;
    Ok(())
}

/// A registration as the partner's reference finds it.
#[derive(Debug, Deserialize)]
pub struct ByReference {
    pub id: String,
    pub version: i64,
    pub status: String,
    pub submitted_at: String,
    pub doc: String,
}

pub async fn by_reference(
    db: &dyn Database,
    reference_hash: &str,
) -> Result<Option<ByReference>, ApiError> {
    first(
        db,
        Stmt::new(
            "SELECT id, version, status, submitted_at, doc FROM registrations WHERE reference_hash = ?1",
            vec![Value::from(reference_hash)],
        ),
    )
    .await
}

/// Withdraws a submitted registration at `version`. `Ok(false)`: it is no
/// longer submitted, or another write won.
pub async fn withdraw(db: &dyn Database, id: &str, version: i64) -> Result<bool, ApiError> {
    let outcomes = run(
        db,
        vec![Stmt::new(
            "UPDATE registrations SET status = 'withdrawn', version = version + 1 \
             WHERE id = ?1 AND version = ?2 AND status = 'submitted'",
            vec![Value::from(id), Value::Int(version)],
        )],
    )
    .await?;
    Ok(outcomes.first().is_some_and(|o| o.changes > 0))
}
