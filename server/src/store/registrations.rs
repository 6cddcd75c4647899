//! Partner registrations: submitted through the public form, known to the
//! partner by the SHA-256 of their reference; and the fixed-window counter
//! that rate-limits the form per client address.

use super::{Database, Outcome, Stmt, Value, first, run, storage};
use crate::error::ApiError;
use serde::Deserialize;
use shared::registration::{Conflict, ConflictKind, StoredRegistration};

/// The two reads of the conflict candidates: open deals, and registrations
/// still pending or protected on `today`.
fn candidate_statements(today: &str) -> [Stmt; 2] {
    [
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
    ]
}

fn parse_candidates(deals: Outcome, registrations: Outcome) -> Result<Vec<Conflict>, ApiError> {
    #[derive(Deserialize)]
    struct Candidate {
        id: String,
        customer: String,
        title: String,
    }
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
    Ok(candidates)
}

/// One submission counted in `key`'s window `slot`, and the conflict
/// candidates as of `today`, in one round trip: the count as it now
/// stands, the candidates.
pub async fn count_and_candidates(
    db: &dyn Database,
    (key, slot): (&str, i64),
    today: &str,
) -> Result<(u64, Vec<Conflict>), ApiError> {
    let mut batch = vec![super::rate::count(key, slot)];
    batch.extend(candidate_statements(today));
    let [count, deals, registrations]: [Outcome; 3] = run(db, batch)
        .await?
        .try_into()
        .map_err(|_| storage("registration reads answered the wrong number of results"))?;
    Ok((
        super::rate::parse(count)?,
        parse_candidates(deals, registrations)?,
    ))
}

/// A stored registration.
#[derive(Debug, Deserialize)]
pub struct RegistrationRow {
    pub id: String,
    pub version: i64,
    pub status: String,
    pub submitted_at: String,
    pub doc: String,
}

/// The queue: registrations in `status` (all when `None`), oldest first,
/// at most `limit`; with the conflict candidates as of `today`, in one
/// round trip.
pub async fn queue(
    db: &dyn Database,
    status: Option<&str>,
    today: &str,
    limit: u64,
) -> Result<(Vec<RegistrationRow>, Vec<Conflict>), ApiError> {
    let mut batch = vec![Stmt::new(
        "SELECT id, version, status, submitted_at, doc FROM registrations \
         WHERE ?1 IS NULL OR status = ?1 ORDER BY submitted_at, id LIMIT ?2",
        vec![status.map_or(Value::Null, Value::from), Value::from(limit)],
    )];
    batch.extend(candidate_statements(today));
    let [rows, deals, registrations]: [Outcome; 3] = run(db, batch)
        .await?
        .try_into()
        .map_err(|_| storage("queue reads answered the wrong number of results"))?;
    Ok((rows.parse()?, parse_candidates(deals, registrations)?))
}

pub async fn by_id(db: &dyn Database, id: &str) -> Result<Option<RegistrationRow>, ApiError> {
    first(
        db,
        Stmt::new(
            "SELECT id, version, status, submitted_at, doc FROM registrations WHERE id = ?1",
            vec![Value::from(id)],
        ),
    )
    .await
}

/// The statements of a decision: `status` and `doc` over a submitted
/// registration at `version`, stamped `token`, and its audit entry (stored
/// only if that write took).
fn decision(
    (id, version, status): (&str, i64, &str),
    doc: &StoredRegistration,
    (at, by, summary): (&str, &str, &str),
    token: &str,
) -> Result<Vec<Stmt>, ApiError> {
    let doc = serde_json::to_string(doc).map_err(storage)?;
    Ok(vec![
        Stmt::new(
            "UPDATE registrations SET status = ?1, doc = ?2, version = version + 1, last_write = ?3 \
             WHERE id = ?4 AND version = ?5 AND status = 'submitted'",
            vec![
                Value::from(status),
                Value::from(doc),
                Value::from(token),
                Value::from(id),
                Value::Int(version),
            ],
        ),
        super::audit::record(
            at,
            by,
            &format!("registration:{id}"),
            summary,
            Some((
                "(SELECT last_write FROM registrations WHERE id = ?5) = ?6",
                vec![Value::from(id), Value::from(token)],
            )),
        ),
    ])
}

/// Rejects (or otherwise decides without a deal), in one batch.
/// `Ok(false)`: it was no longer submitted at that version.
pub async fn decide(
    db: &dyn Database,
    target: (&str, i64, &str),
    doc: &StoredRegistration,
    audit: (&str, &str, &str),
    token: &str,
) -> Result<bool, ApiError> {
    super::guarded(db, decision(target, doc, audit, token)?).await
}

/// Approves: the decision, the new deal and its first events (both stored
/// only if the decision took), in one batch. `Ok(false)`: it was no longer
/// submitted at that version.
pub async fn approve(
    db: &dyn Database,
    (id, version): (&str, i64),
    doc: &StoredRegistration,
    (opp, events): (&shared::Opportunity, &[shared::event::Event]),
    audit: (&str, &str, &str),
    token: &str,
) -> Result<bool, ApiError> {
    let at = audit.0;
    let guard = super::Guard {
        table: "registrations",
        id,
        token,
    };
    let mut statements = decision((id, version, "approved"), doc, audit, token)?;
    statements.push(super::opportunities::insert(
        opp,
        at,
        at,
        token,
        Some(guard),
    )?);
    statements.extend(super::events::append(
        super::events::Entity::Opportunity,
        &opp.id,
        guard,
        events,
    )?);
    super::guarded(db, statements).await
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

pub async fn by_reference(
    db: &dyn Database,
    reference_hash: &str,
) -> Result<Option<RegistrationRow>, ApiError> {
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

/// An approved registration whose protection ended before `today` while
/// its deal is still open: the registration's id and version, and the deal.
pub struct Expiring {
    pub registration_id: String,
    pub registration_version: i64,
    pub deal: shared::Opportunity,
}

/// Every approved registration whose protection ended before `today` and
/// whose deal is still open (the deal found by its primary key).
pub async fn expiring(db: &dyn Database, today: &str) -> Result<Vec<Expiring>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        version: i64,
        deal: String,
    }
    let rows: Vec<Row> = run(
        db,
        vec![Stmt::new(
            "SELECT r.id, r.version, o.doc AS deal FROM registrations r \
             JOIN opportunities o ON o.id = json_extract(r.doc, '$.opportunity_id') \
             WHERE r.status = 'approved' AND json_extract(r.doc, '$.protected_until') < ?1 \
               AND o.status = 'open'",
            vec![Value::from(today)],
        )],
    )
    .await?
    .into_iter()
    .next()
    .map(Outcome::parse)
    .transpose()?
    .unwrap_or_default();
    rows.into_iter()
        .map(|r| {
            Ok(Expiring {
                registration_id: r.id,
                registration_version: r.version,
                deal: serde_json::from_str(&r.deal).map_err(storage)?,
            })
        })
        .collect()
}

/// Expires one registration: the deal without its protection (over
/// `previous_version`) and its event, and the registration marked
/// `expired`, in one batch guarded by the deal's write. `Ok(false)`:
/// another write won; the next run tries again.
pub async fn expire(
    db: &dyn Database,
    (deal, previous_version, events): (&shared::Opportunity, u64, &[shared::event::Event]),
    (registration_id, registration_version): (&str, i64),
    at: &str,
    token: &str,
) -> Result<bool, ApiError> {
    let mut statements =
        super::opportunities::save_statements(deal, previous_version, events, at, token)?;
    statements.push(Stmt::new(
        "UPDATE registrations SET status = 'expired', version = version + 1, last_write = ?1 \
         WHERE id = ?2 AND version = ?3 AND status = 'approved' \
           AND (SELECT last_write FROM opportunities WHERE id = ?4) = ?1",
        vec![
            Value::from(token),
            Value::from(registration_id),
            Value::Int(registration_version),
            Value::from(&deal.id),
        ],
    ));
    super::guarded(db, statements).await
}

/// How many registrations wait for review (the `registrations_queue` index).
pub async fn count_submitted(db: &dyn Database) -> Result<u64, ApiError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let count: Option<Count> = first(
        db,
        Stmt::new(
            "SELECT COUNT(*) AS n FROM registrations WHERE status = 'submitted'",
            vec![],
        ),
    )
    .await?;
    Ok(count.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
}
