//! Leads: their list columns and document and their events, in one
//! version-guarded batch; a conversion writes the lead and the new deal
//! in the same batch.

use super::config::Settings;
use super::events::{self, Entity};
use super::page::{self, Where};
use super::{Database, Guard, Stmt, Value, opportunities, storage};
use crate::error::ApiError;
use crate::listing::ListQuery;
use serde_json::value::RawValue;
use shared::access::sees_everything;
use shared::api::Page;
use shared::event::Event;
use shared::lead::Lead;
use shared::opportunity::Opportunity;
use shared::user::Actor;

const TABLE: &str = "leads";

/// The filters `GET /api/leads` takes, and their columns.
pub const FILTERS: page::Filters = &[
    ("status", "status"),
    ("owner", "owner_id"),
    ("pipeline", "pipeline"),
];

/// One page of the leads `actor` may read (managers all, reps their own).
pub async fn list(
    db: &dyn Database,
    actor: &Actor,
    query: &ListQuery,
) -> Result<Page<Box<RawValue>>, ApiError> {
    let mut filter = Where::default();
    if !sees_everything(actor) {
        filter.and("owner_id = ?", Value::from(&actor.user_id));
    }
    page::list(
        db,
        TABLE,
        filter,
        FILTERS,
        &[],
        query,
        ("title", "customer"),
    )
    .await
}

/// The lead as stored, if it exists.
pub async fn load(db: &dyn Database, id: &str) -> Result<Option<Lead>, ApiError> {
    super::load_doc(db, TABLE, id).await
}

/// The lead and the configuration, in one round trip.
pub async fn load_with_settings(
    db: &dyn Database,
    id: &str,
) -> Result<(Option<Lead>, Settings), ApiError> {
    super::load_doc_with_settings(db, TABLE, id).await
}

fn columns(lead: &Lead) -> Result<Vec<Value>, ApiError> {
    Ok(vec![
        Value::from(lead.version),
        Value::from(&lead.owner_id),
        Value::from(lead.status.as_str()),
        Value::from(&lead.title),
        Value::from(&lead.customer),
        Value::from(serde_json::to_string(lead).map_err(storage)?),
    ])
}

fn update(lead: &Lead, previous_version: u64, at: &str, token: &str) -> Result<Stmt, ApiError> {
    let mut params = columns(lead)?;
    params.extend([
        Value::from(at),
        Value::from(token),
        Value::from(&lead.id),
        Value::from(previous_version),
    ]);
    Ok(Stmt::new(
        "UPDATE leads SET version = ?1, owner_id = ?2, status = ?3, title = ?4, customer = ?5, doc = ?6, \
         updated_at = ?7, last_write = ?8 WHERE id = ?9 AND version = ?10",
        params,
    ))
}

fn insert(lead: &Lead, created_at: &str, token: &str) -> Result<Stmt, ApiError> {
    let mut params = columns(lead)?;
    params.extend([
        Value::from(&lead.id),
        Value::from(lead.pipeline.as_str()),
        Value::from(created_at),
        Value::from(token),
    ]);
    Ok(Stmt::new(
        "INSERT INTO leads (version, owner_id, status, title, customer, doc, id, pipeline, created_at, updated_at, last_write) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
        params,
    ))
}

fn guard<'a>(lead: &'a Lead, token: &'a str) -> Guard<'a> {
    Guard {
        table: TABLE,
        id: &lead.id,
        token,
    }
}

/// Inserts a new lead and its creation event, in one batch.
pub async fn create(
    db: &dyn Database,
    lead: &Lead,
    events: &[Event],
    at: &str,
    token: &str,
) -> Result<(), ApiError> {
    super::run(db, created(lead, at, events, token)?).await?;
    Ok(())
}

fn created(lead: &Lead, at: &str, events: &[Event], token: &str) -> Result<Vec<Stmt>, ApiError> {
    let mut statements = vec![insert(lead, at, token)?];
    statements.extend(events::append(
        Entity::Lead,
        &lead.id,
        guard(lead, token),
        events,
    )?);
    Ok(statements)
}

/// Writes a changed lead and its events, guarded by the version it was
/// loaded at. `Ok(false)`: another write won.
pub async fn save(
    db: &dyn Database,
    lead: &Lead,
    previous_version: u64,
    events: &[Event],
    at: &str,
    token: &str,
) -> Result<bool, ApiError> {
    let mut statements = vec![update(lead, previous_version, at, token)?];
    statements.extend(events::append(
        Entity::Lead,
        &lead.id,
        guard(lead, token),
        events,
    )?);
    super::guarded(db, statements).await
}

/// Converts: the lead's guarded write, the new deal (inserted only if that
/// write took) and both trails, one batch. The lead records its
/// conversion (the first event); the deal its whole story so far.
pub async fn save_conversion(
    db: &dyn Database,
    lead: &Lead,
    previous_version: u64,
    opp: &Opportunity,
    events: &[Event],
    at: &str,
    token: &str,
) -> Result<bool, ApiError> {
    let g = guard(lead, token);
    let mut statements = vec![update(lead, previous_version, at, token)?];
    statements.push(opportunities::insert(opp, at, at, token, Some(g))?);
    statements.extend(events::append(
        Entity::Lead,
        &lead.id,
        g,
        &events[..1.min(events.len())],
    )?);
    statements.extend(events::append(Entity::Opportunity, &opp.id, g, events)?);
    super::guarded(db, statements).await
}

/// The statements that store a lead created elsewhere (the demo seed).
pub fn seeded(lead: &Lead, created_at: &str, events: &[Event]) -> Result<Vec<Stmt>, ApiError> {
    created(lead, created_at, events, "seed")
}

/// The open leads and deals a new lead could duplicate, in one batch of
/// two reads (`shared::lead::find_duplicates` picks the matches: its
/// customer folding is not SQL). `visible` follows the read rule: managers
/// and admins see all, others their own.
pub async fn duplicate_candidates(
    db: &dyn Database,
    actor: &Actor,
) -> Result<Vec<shared::lead::Duplicate>, ApiError> {
    use shared::lead::{Duplicate, DuplicateKind};
    #[derive(serde::Deserialize)]
    struct Row {
        id: String,
        customer: String,
        title: String,
        owner_id: String,
    }
    let mut outcomes = super::run(
        db,
        vec![
            Stmt::new(
                "SELECT id, customer, title, owner_id FROM leads WHERE status IN ('new', 'working')",
                vec![],
            ),
            Stmt::new(
                "SELECT id, customer, name AS title, owner_id FROM opportunities WHERE status = 'open'",
                vec![],
            ),
        ],
    )
    .await?
    .into_iter();
    let mut out = Vec::new();
    for kind in [DuplicateKind::Lead, DuplicateKind::Opportunity] {
        let rows = outcomes
            .next()
            .ok_or_else(|| storage("a read of the batch is missing"))?
            .parse::<Row>()?;
        out.extend(rows.into_iter().map(|r| Duplicate {
            kind,
            visible: sees_everything(actor) || r.owner_id == actor.user_id,
            id: r.id,
            customer: r.customer,
            title: r.title,
            owner_id: r.owner_id,
        }));
    }
    Ok(out)
}
