//! Deals: their list columns and document, their deal team, and their
//! events, written together in one version-guarded batch.

use super::config::Settings;
use super::events::{self, Entity};
use super::page::{self, Where};
use super::{Database, Guard, Stmt, Value, storage};
use crate::error::ApiError;
use crate::listing::ListQuery;
use serde_json::value::RawValue;
use shared::access::sees_everything;
use shared::api::Page;
use shared::event::Event;
use shared::opportunity::{Opportunity, OpportunityRow};
use shared::user::Actor;

const TABLE: &str = "opportunities";

/// The filters `GET /api/opportunities` takes, and their columns.
pub const FILTERS: page::Filters = &[
    ("pipeline", "pipeline"),
    ("stage", "stage"),
    ("grade", "grade"),
    ("status", "status"),
    ("owner", "owner_id"),
];

/// The list filters the reports link to (`store::reports::link_filters`
/// reads them; they match no single column).
pub const LINK_FILTERS: [&str; 5] = [
    "blocked_kind",
    "blocked_key",
    "stalled",
    "close_month",
    "forecast",
];

/// Every filter `GET /api/opportunities` (and the CSV) takes.
pub const LIST_FILTERS: page::Filters = &[
    ("pipeline", "pipeline"),
    ("stage", "stage"),
    ("grade", "grade"),
    ("status", "status"),
    ("owner", "owner_id"),
    ("blocked_kind", ""),
    ("blocked_key", ""),
    ("stalled", ""),
    ("close_month", ""),
    ("forecast", ""),
];

/// The deals `actor` may read (`shared::access`: managers all; everyone
/// else their own and those they are staffed on).
pub fn visible(actor: &Actor) -> Where {
    let mut filter = Where::default();
    if !sees_everything(actor) {
        filter.viewer(Value::from(&actor.user_id));
    }
    filter
}

/// `filter` (visibility and link filters) narrowed by the query's column
/// filters and search.
pub fn narrowed(filter: Where, query: &ListQuery) -> Where {
    page::narrowed(filter, FILTERS, query, ("name", "customer"))
}

/// One page of the deals `filter` finds (visibility and link filters),
/// under the query's column filters, search, sort and cursor.
pub async fn list(
    db: &dyn Database,
    filter: Where,
    query: &ListQuery,
) -> Result<Page<Box<RawValue>>, ApiError> {
    page::list(
        db,
        TABLE,
        filter,
        FILTERS,
        SORTS,
        query,
        ("name", "customer"),
    )
    .await
}

/// The statement `list` runs for a page (its query plan is pinned by a
/// host test: each half of a rep's visibility reads an index in order).
pub fn list_statement(filter: Where, query: &ListQuery) -> Result<Stmt, ApiError> {
    page::list_statement(
        TABLE,
        page::DOC,
        filter,
        FILTERS,
        SORTS,
        query,
        ("name", "customer"),
    )
}

/// The columns of a deal list's row ([`OpportunityRow`]; the row's `id`
/// is the page's own column).
const ROW_COLUMNS: &str = "version, name, customer, pipeline, stage, status, amount, currency, \
    expected_close, owner_id, grade, stage_entered_at";

/// A page of the deals under `filter` as the deal list shows them
/// (`view=rows`): the same statement as [`list`]'s, reading the row's
/// columns instead of the document.
pub async fn list_rows(
    db: &dyn Database,
    filter: Where,
    query: &ListQuery,
) -> Result<Page<OpportunityRow>, ApiError> {
    let rows = super::all(db, rows_statement(filter, query)?).await?;
    page::to_page_of(rows, query.limit, |r: &OpportunityRow| &r.id)
}

/// The statement [`list_rows`] runs (its plan is [`list_statement`]'s).
pub fn rows_statement(filter: Where, query: &ListQuery) -> Result<Stmt, ApiError> {
    page::list_statement(
        TABLE,
        ROW_COLUMNS,
        filter,
        FILTERS,
        SORTS,
        query,
        ("name", "customer"),
    )
}

/// The orders `GET /api/opportunities?sort=` takes (`-` first: descending):
/// amount, expected close, days in stage (ascending: fewest days first),
/// grade (A first).
pub const SORTS: crate::listing::Sorts = &[
    ("amount", "amount", true, false),
    ("close", "expected_close", false, false),
    ("days", "stage_entered_at", false, true),
    ("grade", "grade", false, false),
];

/// The filters `GET /api/board` takes (its status is always open, its
/// stages are its columns).
pub const BOARD_FILTERS: page::Filters = &[
    ("pipeline", "pipeline"),
    ("grade", "grade"),
    ("owner", "owner_id"),
];

/// One stage's open deals under a board's filter: how many, how much.
#[derive(Debug, serde::Deserialize)]
pub struct StageSum {
    pub stage: String,
    pub n: i64,
    pub amount: i64,
}

/// The board's sums: per stage, the count (`n`) and amount of the deals
/// `filter` finds, each read from a covering index (migration 0015).
pub fn board_sums_statement(filter: Where) -> Stmt {
    page::select_sums(TABLE, "stage", "amount", filter)
}

/// A board's reads, in one batch: per stage, the count and amount of the
/// deals `actor` may read under the query (pipeline, open, owner, grade,
/// search), and the first `query.limit` of each of `stages`, newest first.
pub async fn board(
    db: &dyn Database,
    actor: &Actor,
    query: &ListQuery,
    stages: &[&str],
) -> Result<(Vec<StageSum>, Vec<Page<Box<RawValue>>>), ApiError> {
    let base = narrowed(visible(actor), query);
    let mut statements = vec![board_sums_statement(base.clone())];
    for stage in stages {
        let mut column = base.clone();
        column.and("stage = ?", Value::from(*stage));
        statements.push(page::statement(
            TABLE,
            page::DOC,
            column,
            crate::listing::Sort::default(),
            None,
            query.limit,
        )?);
    }
    let mut outcomes = super::run(db, statements).await?.into_iter();
    let sums = outcomes
        .next()
        .ok_or_else(|| storage("the board's sums are missing"))?
        .parse::<StageSum>()?;
    let pages = outcomes
        .map(|o| page::to_page(o.parse()?, query.limit))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((sums, pages))
}

/// The deal as stored, if it exists.
pub async fn load(db: &dyn Database, id: &str) -> Result<Option<Opportunity>, ApiError> {
    super::load_doc(db, TABLE, id).await
}

/// The deal and the configuration, in one round trip.
pub async fn load_with_settings(
    db: &dyn Database,
    id: &str,
) -> Result<(Option<Opportunity>, Settings), ApiError> {
    super::load_doc_with_settings(db, TABLE, id).await
}

/// Every open deal of `pipeline`, whole (a draft's impact is checked on each).
pub async fn open_in_pipeline(
    db: &dyn Database,
    pipeline: &shared::pipeline::Key,
) -> Result<Vec<Opportunity>, ApiError> {
    docs(
        db,
        Stmt::new(
            "SELECT doc FROM opportunities WHERE pipeline = ?1 AND status = 'open' ORDER BY created_at DESC, id DESC",
            vec![Value::from(pipeline.as_str())],
        ),
    )
    .await
}

/// The deals a `SELECT doc …` found, whole.
fn parse_docs(rows: super::Outcome) -> Result<Vec<Opportunity>, ApiError> {
    #[derive(serde::Deserialize)]
    struct Doc {
        doc: String,
    }
    rows.parse::<Doc>()?
        .iter()
        .map(|d| serde_json::from_str(&d.doc).map_err(storage))
        .collect()
}

/// The deals a `SELECT doc …` finds, whole.
async fn docs(db: &dyn Database, select: Stmt) -> Result<Vec<Opportunity>, ApiError> {
    let [rows]: [super::Outcome; 1] = super::run(db, vec![select])
        .await?
        .try_into()
        .map_err(|_| storage("a read answered the wrong number of results"))?;
    parse_docs(rows)
}

/// Every open deal with an approval waiting for a decision (the approvals
/// inbox picks those the caller may decide), oldest first, with the
/// configuration that says who may decide them: one round trip.
pub async fn with_pending_approvals(
    db: &dyn Database,
) -> Result<(Vec<Opportunity>, Settings), ApiError> {
    let (rows, settings) = super::config::with_settings(
        db,
        Stmt::new(
            // The index's own condition, as written there (a bound value
            // would not let SQLite match the partial index).
            "SELECT doc FROM opportunities INDEXED BY opportunities_pending_approvals \
             WHERE status = 'open' AND pending_approvals > 0 ORDER BY created_at, id",
            vec![],
        ),
    )
    .await?;
    Ok((parse_docs(rows)?, settings))
}

/// The list columns and the document, in the order both the insert and
/// the update name them (`?1` … `?15`): one place to add a column.
const COLUMNS: &str = "version, owner_id, status, stage, grade, name, customer, amount, stage_entered_at, expected_close, forecast, closed_at, doc, pending_approvals, currency";

fn columns(opp: &Opportunity) -> Result<Vec<Value>, ApiError> {
    Ok(vec![
        Value::from(opp.version),
        Value::from(&opp.owner_id),
        Value::from(opp.status.as_str()),
        Value::from(opp.stage.as_str()),
        Value::from(opp.grade.effective.as_str()),
        Value::from(&opp.name),
        Value::from(&opp.customer),
        Value::Int(opp.amount.minor()),
        Value::from(opp.stage_entered_at.to_rfc3339()),
        Value::from(opp.expected_close.to_string()),
        Value::from(opp.forecast.as_str()),
        Value::from(opp.closed_at.map(|t| t.to_rfc3339()).unwrap_or_default()),
        Value::from(serde_json::to_string(opp).map_err(storage)?),
        Value::Int(opp.decisions_awaited() as i64),
        Value::from(opp.currency.as_str()),
    ])
}

/// Writes `opp` over `previous_version` and stamps `token`; changes
/// nothing when another write got there first.
fn update(
    opp: &Opportunity,
    previous_version: u64,
    at: &str,
    token: &str,
) -> Result<Stmt, ApiError> {
    let mut params = columns(opp)?;
    params.extend([
        Value::from(at),
        Value::from(token),
        Value::from(&opp.id),
        Value::from(previous_version),
    ]);
    let set: Vec<String> = COLUMNS
        .split(", ")
        .chain(["updated_at", "last_write"])
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    let n = set.len();
    Ok(Stmt::new(
        format!(
            "UPDATE opportunities SET {} WHERE id = ?{} AND version = ?{}",
            set.join(", "),
            n + 1,
            n + 2
        ),
        params,
    ))
}

/// Inserts a new deal stamped `token`; with `guard`, only if the write it
/// names took (a conversion inserts the deal only if the lead's write won).
pub fn insert(
    opp: &Opportunity,
    created_at: &str,
    updated_at: &str,
    token: &str,
    guard: Option<Guard<'_>>,
) -> Result<Stmt, ApiError> {
    let mut params = columns(opp)?;
    params.extend([
        Value::from(&opp.id),
        Value::from(opp.pipeline.as_str()),
        Value::from(created_at),
        Value::from(updated_at),
        Value::from(token),
    ]);
    let cols = format!("{COLUMNS}, id, pipeline, created_at, updated_at, last_write");
    Ok(match guard {
        Some(g) => g.insert(TABLE, &cols, params),
        None => {
            let placeholders: Vec<String> = (1..=params.len()).map(|i| format!("?{i}")).collect();
            Stmt::new(
                format!(
                    "INSERT INTO opportunities ({cols}) VALUES ({})",
                    placeholders.join(", ")
                ),
                params,
            )
        }
    })
}

/// Replaces the deal team's rows (what reps' lists find their deals by).
fn members(opp: &Opportunity, guard: Guard<'_>) -> Vec<Stmt> {
    let mut out = vec![Stmt::new(
        "DELETE FROM deal_members WHERE opportunity_id = ?1 \
         AND (SELECT last_write FROM opportunities WHERE id = ?1) = ?2",
        vec![Value::from(&opp.id), Value::from(guard.token)],
    )];
    for m in &opp.team {
        // One person holds a role once (the primary key).
        let s = guard.insert_or_ignore(
            "deal_members",
            "opportunity_id, user_id, role",
            vec![
                Value::from(&opp.id),
                Value::from(&m.user_id),
                Value::from(m.role.as_str()),
            ],
        );
        out.push(s);
    }
    out
}

/// Writes a changed deal, its team and its events in one batch, guarded
/// by the version it was loaded at. `Ok(false)`: another write won.
pub async fn save(
    db: &dyn Database,
    opp: &Opportunity,
    previous_version: u64,
    events: &[Event],
    at: &str,
    token: &str,
) -> Result<bool, ApiError> {
    super::guarded(
        db,
        save_statements(opp, previous_version, events, at, token)?,
    )
    .await
}

/// The statements of [`save`], for a batch that writes more besides (each
/// later statement guarded by `token`, as in `save`).
pub fn save_statements(
    opp: &Opportunity,
    previous_version: u64,
    events: &[Event],
    at: &str,
    token: &str,
) -> Result<Vec<Stmt>, ApiError> {
    let guard = Guard {
        table: TABLE,
        id: &opp.id,
        token,
    };
    let mut statements = vec![update(opp, previous_version, at, token)?];
    statements.extend(members(opp, guard));
    statements.extend(events::append(Entity::Opportunity, &opp.id, guard, events)?);
    Ok(statements)
}

/// The statements that store a deal created elsewhere (the demo seed)
/// with its team and trail: the same columns and guards as every write.
pub fn seeded(
    opp: &Opportunity,
    created_at: &str,
    updated_at: &str,
    events: &[Event],
) -> Result<Vec<Stmt>, ApiError> {
    const SEED: &str = "seed";
    let guard = Guard {
        table: TABLE,
        id: &opp.id,
        token: SEED,
    };
    let mut out = vec![insert(opp, created_at, updated_at, SEED, None)?];
    out.extend(members(opp, guard).into_iter().skip(1));
    out.extend(events::append(Entity::Opportunity, &opp.id, guard, events)?);
    Ok(out)
}
