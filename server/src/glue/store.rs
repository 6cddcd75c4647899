//! Loading and saving leads and deals: config (pipelines seeded from the
//! built-ins on first use, the grading policy), version-guarded writes with
//! their audit events in one batch, and who may see what.

use super::crypto::new_id;
use super::db::{self, int, text};
use super::{Ctx, storage};
use crate::error::ApiError;
use serde::Deserialize;
use shared::api::{GradingConfig, Me, RawRecord};
use shared::event::{Event, EventKind};
use shared::lead::Lead;
use shared::money::{Currency, Money};
use shared::opportunity::Opportunity;
use shared::pipeline::{Key, Pipeline};
use shared::user::Actor;
use shared::{GradingPolicy, builtin};
use worker::{D1PreparedStatement, Env};

pub fn actor(me: &Me) -> Actor {
    Actor::new(me.id.clone(), &me.roles)
}

#[derive(Deserialize)]
struct Doc {
    doc: String,
}

/// The pipelines, from D1; the built-ins are written there on first use.
pub async fn pipelines(env: &Env) -> Result<Vec<Pipeline>, ApiError> {
    let rows: Vec<Doc> = db::all(db::stmt(
        env,
        "SELECT doc FROM pipelines ORDER BY id DESC",
        &[],
    )?)
    .await?;
    if !rows.is_empty() {
        return rows
            .iter()
            .map(|r| serde_json::from_str(&r.doc).map_err(storage))
            .collect();
    }
    let builtins = builtin::pipelines();
    let mut statements = Vec::new();
    for p in &builtins {
        statements.push(db::stmt(
            env,
            "INSERT OR IGNORE INTO pipelines (id, version, doc) VALUES (?1, ?2, ?3)",
            &[
                text(p.id.as_str()),
                int(i64::from(p.version)),
                text(&serde_json::to_string(p).map_err(storage)?),
            ],
        )?);
    }
    db::batch(env, statements).await?;
    Ok(builtins)
}

pub fn find_pipeline<'a>(pipelines: &'a [Pipeline], id: &str) -> Result<&'a Pipeline, ApiError> {
    pipelines
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| storage(format!("pipeline {id} is missing")))
}

#[derive(Deserialize)]
struct PolicyRow {
    a_min: i64,
    b_min: i64,
    c_min: i64,
    currency: String,
    version: i64,
}

const POLICY_SQL: &str =
    "SELECT a_min, b_min, c_min, currency, version FROM grading_policy WHERE id = 1";

fn policy_from(row: PolicyRow) -> Result<(GradingPolicy, GradingConfig), ApiError> {
    let m = |v: i64| Money::from_minor(v).map_err(storage);
    let config = GradingConfig {
        a_min: m(row.a_min)?,
        b_min: m(row.b_min)?,
        c_min: m(row.c_min)?,
        currency: Currency::parse(&row.currency).map_err(storage)?,
        version: u64::try_from(row.version).unwrap_or_default(),
    };
    let policy = config
        .policy()
        .ok_or_else(|| storage("grading policy breaks its invariant"))?;
    Ok((policy, config))
}

/// The grading policy in force, and its wire form.
pub async fn grading(env: &Env) -> Result<(GradingPolicy, GradingConfig), ApiError> {
    let row: PolicyRow = db::first(db::stmt(env, POLICY_SQL, &[])?)
        .await?
        .ok_or_else(|| storage("grading policy row is missing"))?;
    policy_from(row)
}

/// A stored record with the configuration its rules need.
pub struct InContext<T> {
    pub record: T,
    pub pipelines: Vec<Pipeline>,
    pub policy: GradingPolicy,
    pub grading: GradingConfig,
}

impl<T> InContext<T> {
    /// The pipeline a lead or deal belongs to.
    pub fn pipeline(&self, id: &Key) -> Result<&Pipeline, ApiError> {
        find_pipeline(&self.pipelines, id.as_str())
    }
}

/// A record with the pipelines and the policy in force, read in one D1
/// round trip (the reads every lead and deal mutation needs).
async fn in_context<T: serde::de::DeserializeOwned>(
    ctx: &Ctx<'_>,
    table: &str,
    id: &str,
) -> Result<InContext<T>, ApiError> {
    let results = db::database(ctx.env)?
        .batch(vec![
            db::stmt(
                ctx.env,
                &format!("SELECT doc FROM {table} WHERE id = ?1"),
                &[text(id)],
            )?,
            db::stmt(ctx.env, "SELECT doc FROM pipelines", &[])?,
            db::stmt(ctx.env, POLICY_SQL, &[])?,
        ])
        .await
        .map_err(storage)?;
    let [record, pipes, policy] = results.as_slice() else {
        return Err(storage("batch answered the wrong number of results"));
    };
    let record: Vec<Doc> = record.results().map_err(storage)?;
    let record: T = serde_json::from_str(&record.first().ok_or(ApiError::RecordNotFound)?.doc)
        .map_err(storage)?;
    let pipes: Vec<Doc> = pipes.results().map_err(storage)?;
    let pipelines: Vec<Pipeline> = if pipes.is_empty() {
        pipelines(ctx.env).await?
    } else {
        pipes
            .iter()
            .map(|r| serde_json::from_str(&r.doc).map_err(storage))
            .collect::<Result<_, _>>()?
    };
    let row: PolicyRow = policy
        .results()
        .map_err(storage)?
        .into_iter()
        .next()
        .ok_or_else(|| storage("grading policy row is missing"))?;
    let (policy, grading) = policy_from(row)?;
    Ok(InContext {
        record,
        pipelines,
        policy,
        grading,
    })
}

/// A deal the caller may read (else 404) with its pipeline and the policy.
pub async fn deal_in_context(
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<(Opportunity, Pipeline, GradingPolicy), ApiError> {
    let c: InContext<Opportunity> = in_context(ctx, "opportunities", id).await?;
    if !c.record.can_read(&actor(ctx.me()?)) {
        return Err(ApiError::RecordNotFound);
    }
    let pipeline = c.pipeline(&c.record.pipeline)?.clone();
    Ok((c.record, pipeline, c.policy))
}

/// A lead the caller may work on (else 404), with the configuration.
pub async fn lead_in_context(ctx: &Ctx<'_>, id: &str) -> Result<InContext<Lead>, ApiError> {
    let c: InContext<Lead> = in_context(ctx, "leads", id).await?;
    if c.record.can_edit(&actor(ctx.me()?)) {
        Ok(c)
    } else {
        Err(ApiError::RecordNotFound)
    }
}

async fn load<T: serde::de::DeserializeOwned>(
    ctx: &Ctx<'_>,
    table: &str,
    id: &str,
) -> Result<T, ApiError> {
    let row: Option<Doc> = db::first(db::stmt(
        ctx.env,
        &format!("SELECT doc FROM {table} WHERE id = ?1"),
        &[text(id)],
    )?)
    .await?;
    serde_json::from_str(&row.ok_or(ApiError::RecordNotFound)?.doc).map_err(storage)
}

/// Loads a lead the caller may work on; 404 for anyone else (no leak).
pub async fn lead(ctx: &Ctx<'_>, id: &str) -> Result<Lead, ApiError> {
    let lead: Lead = load(ctx, "leads", id).await?;
    if lead.can_edit(&actor(ctx.me()?)) {
        Ok(lead)
    } else {
        Err(ApiError::RecordNotFound)
    }
}

/// Loads a deal the caller may read; 404 for anyone else (no leak).
pub async fn opportunity(ctx: &Ctx<'_>, id: &str) -> Result<Opportunity, ApiError> {
    let opp: Opportunity = load(ctx, "opportunities", id).await?;
    if opp.can_read(&actor(ctx.me()?)) {
        Ok(opp)
    } else {
        Err(ApiError::RecordNotFound)
    }
}

/// Refuses a stale version with 409 and the current record.
pub fn check_version<T: serde::Serialize>(
    current: &T,
    current_version: u64,
    sent: u64,
) -> Result<(), ApiError> {
    if current_version == sent {
        Ok(())
    } else {
        stale(current)
    }
}

/// Statements that store `events`, only if the write stamped `token` won.
/// `guard` is the (table, id) whose `last_write` must equal `token`.
fn event_statements(
    env: &Env,
    entity_type: &str,
    id: &str,
    guard: (&str, &str),
    token: &str,
    events: &[Event],
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let (table, guard_id) = guard;
    events
        .iter()
        .map(|e| {
            let json = serde_json::to_string(&e.kind).map_err(storage)?;
            db::stmt(
                env,
                &format!(
                    "INSERT INTO events (entity_type, entity_id, at, by_user, event) \
                     SELECT ?1, ?2, ?3, ?4, ?5 WHERE (SELECT last_write FROM {table} WHERE id = ?7) = ?6"
                ),
                &[
                    text(entity_type),
                    text(id),
                    text(&e.at.to_rfc3339()),
                    text(&e.by),
                    text(&json),
                    text(token),
                    text(guard_id),
                ],
            )
        })
        .collect()
}

fn stamp(ctx: &Ctx<'_>, kinds: Vec<EventKind>) -> Result<Vec<Event>, ApiError> {
    Ok(Event::stamp(kinds, &ctx.me()?.id, ctx.now))
}

/// A deal's list columns and its document, in the order both the insert
/// and the update name them (`?1` … `?10`): one place to add a column.
fn opportunity_columns(opp: &Opportunity) -> Result<Vec<wasm_bindgen::JsValue>, ApiError> {
    Ok(vec![
        int(opp.version as i64),
        text(&opp.owner_id),
        text(opp.status.as_str()),
        text(opp.stage.as_str()),
        text(opp.grade.effective.as_str()),
        text(&opp.name),
        text(&opp.customer),
        int(opp.amount.minor()),
        text(&opp.stage_entered_at.to_rfc3339()),
        text(&serde_json::to_string(opp).map_err(storage)?),
    ])
}

/// The statement that writes a deal over `previous_version`, and its token.
fn opportunity_write(
    ctx: &Ctx<'_>,
    opp: &Opportunity,
    previous_version: u64,
) -> Result<(D1PreparedStatement, String), ApiError> {
    let token = new_id("w_")?;
    let mut params = opportunity_columns(opp)?;
    params.extend([
        text(&ctx.now.to_rfc3339()),
        text(&token),
        text(&opp.id),
        int(previous_version as i64),
    ]);
    let statement = db::stmt(
        ctx.env,
        "UPDATE opportunities SET version = ?1, owner_id = ?2, status = ?3, stage = ?4, grade = ?5, name = ?6, \
         customer = ?7, amount = ?8, stage_entered_at = ?9, doc = ?10, updated_at = ?11, last_write = ?12 \
         WHERE id = ?13 AND version = ?14",
        &params,
    )?;
    Ok((statement, token))
}

fn members_statements(
    ctx: &Ctx<'_>,
    opp: &Opportunity,
    token: &str,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let mut out = vec![db::stmt(
        ctx.env,
        "DELETE FROM deal_members WHERE opportunity_id = ?1 \
         AND (SELECT last_write FROM opportunities WHERE id = ?1) = ?2",
        &[text(&opp.id), text(token)],
    )?];
    for m in &opp.team {
        out.push(db::stmt(
            ctx.env,
            "INSERT OR IGNORE INTO deal_members (opportunity_id, user_id, role) \
             SELECT ?1, ?2, ?3 WHERE (SELECT last_write FROM opportunities WHERE id = ?1) = ?4",
            &[
                text(&opp.id),
                text(&m.user_id),
                text(m.role.as_str()),
                text(token),
            ],
        )?);
    }
    Ok(out)
}

/// Writes a changed deal and its events in one batch, guarded by the
/// version it was loaded at; 409 with the current record when another write won.
pub async fn save_opportunity(
    ctx: &Ctx<'_>,
    opp: &Opportunity,
    previous_version: u64,
    kinds: Vec<EventKind>,
) -> Result<(), ApiError> {
    let (write, token) = opportunity_write(ctx, opp, previous_version)?;
    let mut statements = vec![write];
    statements.extend(members_statements(ctx, opp, &token)?);
    statements.extend(event_statements(
        ctx.env,
        "opportunity",
        &opp.id,
        ("opportunities", &opp.id),
        &token,
        &stamp(ctx, kinds)?,
    )?);
    if won(ctx, statements).await? {
        Ok(())
    } else {
        stale(&opportunity(ctx, &opp.id).await?)
    }
}

/// Runs a version-guarded batch; false when its first statement (the
/// guarded write) changed nothing, i.e. another write got there first.
async fn won(ctx: &Ctx<'_>, statements: Vec<D1PreparedStatement>) -> Result<bool, ApiError> {
    let results = db::database(ctx.env)?
        .batch(statements)
        .await
        .map_err(storage)?;
    if let Some(e) = results.iter().find_map(|r| r.error()) {
        return Err(storage(e));
    }
    let changed = results
        .first()
        .and_then(|r| r.meta().ok().flatten())
        .and_then(|m| m.changes)
        .unwrap_or(0);
    Ok(changed > 0)
}

/// The 409 for a lost race, carrying the record as it is now.
fn stale<T: serde::Serialize>(current: &T) -> Result<(), ApiError> {
    Err(ApiError::Stale(RawRecord::new(current).map_err(storage)?))
}

fn lead_columns(lead: &Lead) -> Result<[wasm_bindgen::JsValue; 6], ApiError> {
    Ok([
        int(lead.version as i64),
        text(&lead.owner_id),
        text(lead.status.as_str()),
        text(&lead.title),
        text(&lead.customer),
        text(&serde_json::to_string(lead).map_err(storage)?),
    ])
}

/// Writes a changed lead and its events in one batch, guarded by version.
pub async fn save_lead(
    ctx: &Ctx<'_>,
    lead: &Lead,
    previous_version: u64,
    kinds: Vec<EventKind>,
) -> Result<(), ApiError> {
    let (statements, token) = lead_write(ctx, lead, previous_version)?;
    let mut statements = statements;
    statements.extend(event_statements(
        ctx.env,
        "lead",
        &lead.id,
        ("leads", &lead.id),
        &token,
        &stamp(ctx, kinds)?,
    )?);
    finish_guarded(ctx, statements, &lead.id).await
}

fn lead_write(
    ctx: &Ctx<'_>,
    lead: &Lead,
    previous_version: u64,
) -> Result<(Vec<D1PreparedStatement>, String), ApiError> {
    let token = new_id("w_")?;
    let [version, owner, status, title, customer, doc] = lead_columns(lead)?;
    let statement = db::stmt(
        ctx.env,
        "UPDATE leads SET version = ?1, owner_id = ?2, status = ?3, title = ?4, customer = ?5, doc = ?6, \
         updated_at = ?7, last_write = ?8 WHERE id = ?9 AND version = ?10",
        &[
            version,
            owner,
            status,
            title,
            customer,
            doc,
            text(&ctx.now.to_rfc3339()),
            text(&token),
            text(&lead.id),
            int(previous_version as i64),
        ],
    )?;
    Ok((vec![statement], token))
}

async fn finish_guarded(
    ctx: &Ctx<'_>,
    statements: Vec<D1PreparedStatement>,
    lead_id: &str,
) -> Result<(), ApiError> {
    if won(ctx, statements).await? {
        Ok(())
    } else {
        stale(&lead(ctx, lead_id).await?)
    }
}

/// Inserts a new lead and its creation event.
pub async fn insert_lead(
    ctx: &Ctx<'_>,
    lead: &Lead,
    kinds: Vec<EventKind>,
) -> Result<(), ApiError> {
    let token = new_id("w_")?;
    let [version, owner, status, title, customer, doc] = lead_columns(lead)?;
    let now = text(&ctx.now.to_rfc3339());
    let mut statements = vec![db::stmt(
        ctx.env,
        "INSERT INTO leads (id, version, owner_id, status, pipeline, title, customer, doc, created_at, updated_at, last_write) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
        &[
            text(&lead.id),
            version,
            owner,
            status,
            text(lead.pipeline.as_str()),
            title,
            customer,
            doc,
            now,
            text(&token),
        ],
    )?];
    statements.extend(event_statements(
        ctx.env,
        "lead",
        &lead.id,
        ("leads", &lead.id),
        &token,
        &stamp(ctx, kinds)?,
    )?);
    db::batch(ctx.env, statements).await
}

/// Converts: the lead's guarded write, the new deal and both sets of events, one batch.
pub async fn save_conversion(
    ctx: &Ctx<'_>,
    lead: &Lead,
    previous_version: u64,
    opp: &Opportunity,
    kinds: Vec<EventKind>,
) -> Result<(), ApiError> {
    let (mut statements, token) = lead_write(ctx, lead, previous_version)?;
    // Inserted only if the lead's guarded write above took (its token).
    let mut params = opportunity_columns(opp)?;
    params.extend([
        text(&ctx.now.to_rfc3339()),
        text(&token),
        text(&opp.id),
        text(opp.pipeline.as_str()),
        text(&lead.id),
    ]);
    statements.push(db::stmt(
        ctx.env,
        "INSERT INTO opportunities (version, owner_id, status, stage, grade, name, customer, amount, \
         stage_entered_at, doc, updated_at, last_write, id, pipeline, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?11 \
         WHERE (SELECT last_write FROM leads WHERE id = ?15) = ?12",
        &params,
    )?);
    let events = stamp(ctx, kinds)?;
    // The lead records its conversion; the new deal its whole story so far.
    let guard = ("leads", lead.id.as_str());
    statements.extend(event_statements(
        ctx.env,
        "lead",
        &lead.id,
        guard,
        &token,
        &events[..1.min(events.len())],
    )?);
    statements.extend(event_statements(
        ctx.env,
        "opportunity",
        &opp.id,
        guard,
        &token,
        &events,
    )?);
    finish_guarded(ctx, statements, &lead.id).await
}
