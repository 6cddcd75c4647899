//! The reports' reads: every section of `GET /api/reports/pipeline` in
//! one batch, from sums the database keeps as deals are written (the
//! `open_cells` and `open_keys` triggers, `stage_moves`' trail columns;
//! migrations/0011), the gate's word on each open deal kept on its row
//! (valid for one deal version and one configuration version, computed by
//! `shared::forecast::gate_debt` where out of date), and the list filters
//! the reports link to.

use super::config::Settings;
use super::page::Where;
use super::{Database, Stmt, Value, all, run, storage};
use crate::error::ApiError;
use crate::listing::ListQuery;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Deserialize;
use shared::access::sees_everything;
use shared::forecast::{self, ForecastCategory, GateDebt};
use shared::opportunity::Opportunity;
use shared::report::{
    Conversion, Count, DebtCell, DebtKey, ForecastMonth, FunnelStage, GateDebtReport,
    OwnerForecast, PipelineReport, StageAging, StageConversion, Tally, WinRate, forecast_months,
    kind_name,
};
use shared::{Actor, Grade, Pipeline, Track};

/// Open deals whose gate row is computed per round trip.
const CHUNK: usize = 400;

/// The visible deals under the report's filters (pipeline, owner, grade),
/// with every column named by its table (the reads join other tables).
pub fn scope(actor: &Actor, query: &ListQuery, pipeline: &Pipeline) -> Where {
    let mut w = Where::default();
    if !sees_everything(actor) {
        w.and(
            "(opportunities.owner_id = ? OR opportunities.id IN \
             (SELECT opportunity_id FROM deal_members WHERE user_id = ?))",
            Value::from(&actor.user_id),
        );
    }
    narrow(&mut w, query, pipeline, "opportunities.");
    w
}

/// The deals of the pipeline under the report's filters, whoever sees them.
fn narrowed(query: &ListQuery, pipeline: &Pipeline) -> Where {
    let mut w = Where::default();
    narrow(&mut w, query, pipeline, "opportunities.");
    w
}

/// The sums of `open_cells` and `open_keys` the caller may read: every
/// owner's for those who see everything, a rep's own deals' otherwise.
fn cell_filter(actor: &Actor, query: &ListQuery, pipeline: &Pipeline) -> Where {
    let mut w = Where::default();
    if !sees_everything(actor) {
        w.and("owner_id = ?", Value::from(&actor.user_id));
    }
    narrow(&mut w, query, pipeline, "");
    w
}

fn narrow(w: &mut Where, query: &ListQuery, pipeline: &Pipeline, table: &str) {
    w.and(
        &format!("{table}pipeline = ?"),
        Value::from(pipeline.id.as_str()),
    );
    for (key, value) in &query.filters {
        match key.as_str() {
            "owner" => w.and(&format!("{table}owner_id = ?"), Value::from(value)),
            "grade" => w.and(&format!("{table}grade = ?"), Value::from(value)),
            _ => {}
        }
    }
}

/// How the rows of open deals group as `open_cells` does: owner, stage,
/// close month, the category the reports count (`report_category`) and the
/// kinds of unmet requirement.
const GROUP_COLUMNS: &str = "opportunities.owner_id AS owner_id, opportunities.stage AS stage, \
     substr(opportunities.expected_close, 1, 7) AS month, \
     opportunities.report_category AS category, \
     opportunities.gate_kinds AS kinds";

fn with(base: &Where, fragment: &str, value: impl Into<Value>) -> Where {
    let mut w = base.clone();
    w.and(fragment, value.into());
    w
}

/// Brings the gate columns of every open deal whose deal or configuration
/// version moved since they were computed up to date (so a report or a
/// list under any filter finds them current). Writing them changes no
/// version: they are derived from the document and the configuration.
/// Answers how many deals it computed.
pub async fn refresh_gate(db: &dyn Database, settings: &Settings) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Doc {
        doc: String,
    }
    let mut total = 0;
    loop {
        // Two reads, each through its own index: the deals written since
        // (a partial index of exactly those rows), and those computed
        // under another configuration.
        let chunk = Value::from(CHUNK as u64);
        let outcomes = super::run(
            db,
            vec![
                Stmt::new(
                    "SELECT doc FROM opportunities INDEXED BY opportunities_gate_stale \
                     WHERE status = 'open' AND gate_version <> version LIMIT ?1",
                    vec![chunk.clone()],
                ),
                Stmt::new(
                    "SELECT doc FROM opportunities WHERE status = 'open' \
                     AND (gate_config < ?1 OR gate_config > ?1) LIMIT ?2",
                    vec![Value::from(settings.version), chunk],
                ),
            ],
        )
        .await?;
        let mut docs: Vec<Doc> = Vec::new();
        let mut full = false;
        for outcome in outcomes {
            let read: Vec<Doc> = outcome.parse()?;
            full |= read.len() == CHUNK;
            docs.extend(read);
        }
        let mut rows = Vec::with_capacity(docs.len());
        let mut seen = std::collections::HashSet::new();
        for d in docs {
            let opp: Opportunity = serde_json::from_str(&d.doc).map_err(storage)?;
            if !seen.insert(opp.id.clone()) {
                continue;
            }
            // A deal of a pipeline gone from the configuration owes nothing
            // the gate can name; its columns still stop it being read again.
            let debt = settings
                .pipelines
                .iter()
                .find(|p| p.id == opp.pipeline)
                .map(|p| forecast::gate_debt(&opp, p, &settings.policy))
                .unwrap_or_default();
            rows.push(gate_row(&opp, &debt));
        }
        let n = rows.len();
        if n > 0 {
            // One statement for the chunk; a deal written meanwhile keeps
            // its newer version, and is computed on the next pass.
            run(
                db,
                vec![Stmt::new(
                    "UPDATE opportunities SET gate_version = r.version, gate_config = ?2, \
                     commit_ok = r.commit_ok, gate_kinds = r.kinds, gate_keys = r.keys, \
                     report_category = r.category \
                     FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.version') AS version, \
                       json_extract(value, '$.commit_ok') AS commit_ok, json_extract(value, '$.kinds') AS kinds, \
                       json_extract(value, '$.keys') AS keys, json_extract(value, '$.category') AS category \
                       FROM json_each(?1)) AS r \
                     WHERE opportunities.id = r.id AND opportunities.version = r.version",
                    vec![
                        Value::from(serde_json::to_string(&rows).map_err(storage)?),
                        Value::from(settings.version),
                    ],
                )],
            )
            .await?;
        }
        total += n;
        if !full {
            return Ok(total);
        }
    }
}

/// What the gate says of one deal, as `refresh_gate` writes it (with the
/// category the reports count it in):
/// `kinds` `,field,task,` (each kind of unmet requirement of the next
/// move), `keys` `["field:decision_chain", …]` (a JSON text).
fn gate_row(opp: &Opportunity, debt: &GateDebt) -> serde_json::Value {
    let kinds: String = debt
        .kinds()
        .into_iter()
        .map(|k| format!("{},", kind_name(k)))
        .collect();
    let keys: Vec<String> = debt
        .blockers
        .iter()
        .map(|(k, key)| format!("{}:{key}", kind_name(*k)))
        .collect();
    // The category the reports count an open deal in: the shared rule.
    let category = forecast::effective(opp, debt.commit_ok).unwrap_or_default();
    serde_json::json!({
        "id": opp.id,
        "version": opp.version,
        "category": category.as_str(),
        "commit_ok": i64::from(debt.commit_ok),
        "kinds": format!(",{kinds}"),
        "keys": serde_json::Value::String(serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into())),
    })
}

/// The list filters the reports link to, besides the list's own:
/// `blocked_kind` (field, task, approval, role), `blocked_key`
/// (`kind:key`), `stalled=1` (open deals past their stage's max days),
/// `close_month` (`YYYY-MM` or `overdue`; the close month of won deals
/// when `forecast=closed`) and `forecast` (the category the reports count
/// a deal in). Adds their clauses to `filter`; answers whether they read
/// the gate rows (the caller refreshes them first).
pub fn link_filters(
    filter: &mut Where,
    query: &ListQuery,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let today = now.date_naive();
    let get = |k: &str| {
        query
            .filters
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let bad = |what: &str| ApiError::BadRequest(format!("invalid `{what}`"));
    let mut gate = false;
    if let Some(kind) = get("blocked_kind") {
        if !forecast::DEBT_KINDS.iter().any(|k| kind_name(*k) == kind) {
            return Err(bad("blocked_kind"));
        }
        filter.and("opportunities.status = ?", Value::from("open"));
        filter.and(
            "instr(opportunities.gate_kinds, ?) > 0",
            Value::from(format!(",{kind},")),
        );
        gate = true;
    }
    if let Some(key) = get("blocked_key") {
        filter.and("opportunities.status = ?", Value::from("open"));
        filter.and(
            "EXISTS (SELECT 1 FROM json_each(opportunities.gate_keys) j WHERE j.value = ?)",
            Value::from(key),
        );
        gate = true;
    }
    if let Some(s) = get("stalled") {
        if s != "1" {
            return Err(bad("stalled"));
        }
        let mut cases = String::new();
        let mut values = Vec::new();
        for p in &settings.pipelines {
            for stage in p.stages.iter().filter(|s| s.max_days > 0) {
                cases.push_str(
                    " WHEN opportunities.pipeline = ? AND opportunities.stage = ? THEN ?",
                );
                values.push(Value::from(p.id.as_str()));
                values.push(Value::from(stage.key.as_str()));
                values.push(Value::from(cutoff(now, stage.max_days)));
            }
        }
        filter.and("opportunities.status = ?", Value::from("open"));
        filter.and_all(
            &format!("opportunities.stage_entered_at <= (CASE{cases} ELSE '' END)"),
            values,
        );
    }
    let category = match get("forecast") {
        Some(c) => Some(ForecastCategory::parse(c).ok_or_else(|| bad("forecast"))?),
        None => None,
    };
    match category {
        None => {}
        Some(ForecastCategory::Closed) => {
            filter.and("opportunities.status = ?", Value::from("won"))
        }
        Some(c) => {
            filter.and("opportunities.status = ?", Value::from("open"));
            filter.and("opportunities.report_category = ?", Value::from(c.as_str()));
            gate = true;
        }
    }
    if let Some(month) = get("close_month") {
        if month == "overdue" {
            filter.and("opportunities.status = ?", Value::from("open"));
            filter.and(
                "opportunities.expected_close < ?",
                Value::from(today.to_string()),
            );
        } else {
            NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
                .map_err(|_| bad("close_month"))?;
            let column = match category {
                Some(ForecastCategory::Closed) => "closed_at",
                _ => "expected_close",
            };
            filter.and(
                &format!("substr(opportunities.{column}, 1, 7) = ?"),
                Value::from(month),
            );
            if column == "expected_close" {
                // The forecast's months hold open deals not yet overdue.
                filter.and("opportunities.status = ?", Value::from("open"));
                filter.and(
                    "opportunities.expected_close >= ?",
                    Value::from(today.to_string()),
                );
            }
        }
    }
    Ok(gate)
}

/// The `stage_entered_at` at or before which a deal has been in a stage of
/// `max_days` for more whole days than that at `now` (as the board and
/// `days_in_stage` count: days > max).
fn cutoff(now: DateTime<Utc>, max_days: u16) -> String {
    (now - chrono::Duration::days(i64::from(max_days) + 1)).to_rfc3339()
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_day(d: NaiveDate) -> String {
    d.succ_opt().unwrap_or(d).to_string()
}

/// One group of open deals: owner, stage, close month (`overdue` once
/// regrouped), category, kinds of unmet requirement (`,field,task,`).
#[derive(Deserialize, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct GroupKey {
    owner_id: String,
    stage: String,
    month: String,
    category: String,
    kinds: String,
}

#[derive(Deserialize)]
struct OpenGroup {
    #[serde(flatten)]
    key: GroupKey,
    n: i64,
    amount: Option<i64>,
}

/// The open deals' groups with every month before `this_month` counted as
/// overdue, and this month's deals already past their day (`overdue_now`,
/// which the groups also hold under this month) moved there.
fn regroup(groups: Vec<OpenGroup>, overdue_now: Vec<OpenGroup>, this_month: &str) -> Vec<Group> {
    let mut sums: std::collections::BTreeMap<GroupKey, (i64, i64)> = Default::default();
    let mut add = |mut key: GroupKey, n: i64, amount: i64| {
        if key.month.as_str() < this_month {
            key.month = "overdue".into();
        }
        let e = sums.entry(key).or_default();
        e.0 += n;
        e.1 += amount;
    };
    for g in groups {
        add(g.key, g.n, g.amount.unwrap_or(0));
    }
    for g in overdue_now {
        let amount = g.amount.unwrap_or(0);
        let mut overdue = g.key.clone();
        overdue.month = "overdue".into();
        add(g.key, -g.n, -amount);
        add(overdue, g.n, amount);
    }
    sums.into_iter()
        .filter(|(_, (n, _))| *n != 0)
        .map(|(key, (n, amount))| Group { key, n, amount })
        .collect()
}

struct Group {
    key: GroupKey,
    n: i64,
    amount: i64,
}

impl Group {
    fn blocked_on(&self, kind: &str) -> bool {
        self.key.kinds.contains(&format!(",{kind},"))
    }
}

/// The ten most frequent unmet requirement keys, from rows that may name
/// one key more than once (a rep's own deals and their staffed ones).
fn top_keys(rows: Vec<KeyRow>) -> Vec<KeyRow> {
    let mut sums: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for r in rows {
        *sums.entry((r.stage, r.key)).or_default() += r.n;
    }
    let mut out: Vec<KeyRow> = sums
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|((stage, key), n)| KeyRow { stage, key, n })
        .collect();
    out.sort_by(|a, b| {
        b.n.cmp(&a.n)
            .then_with(|| a.stage.cmp(&b.stage))
            .then_with(|| a.key.cmp(&b.key))
    });
    out.truncate(10);
    out
}

#[derive(Deserialize)]
struct MonthRow {
    month: String,
    amount: Option<i64>,
}

#[derive(Deserialize)]
struct ClosedRow {
    status: String,
    grade: String,
    n: i64,
    amount: Option<i64>,
    days: Option<f64>,
}

#[derive(Deserialize)]
struct CountRow {
    label: Option<String>,
    n: i64,
    amount: Option<i64>,
}

#[derive(Deserialize)]
struct ConversionRow {
    stage: Option<String>,
    entered: i64,
    advanced: Option<i64>,
}

#[derive(Deserialize)]
struct LeadRow {
    created: i64,
    converted: Option<i64>,
}

#[derive(Deserialize)]
struct KeyRow {
    stage: String,
    key: String,
    n: i64,
}

#[derive(Deserialize)]
struct OwnerWonRow {
    owner_id: String,
    amount: Option<i64>,
}

#[derive(Deserialize)]
struct AgingRow {
    entered: Option<String>,
    stalled: i64,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The period and the moment a report is computed for.
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub now: DateTime<Utc>,
}

/// Every section of the pipeline report, in one batch of reads (after the
/// missing gate rows are computed).
pub async fn pipeline_report(
    db: &dyn Database,
    actor: &Actor,
    settings: &Settings,
    pipeline: &Pipeline,
    query: &ListQuery,
    period: &Period,
) -> Result<PipelineReport, ApiError> {
    refresh_gate(db, settings).await?;
    let today = period.now.date_naive();
    let base = scope(actor, query, pipeline);
    let open = with(&base, "opportunities.status = ?", "open");
    let (from, until) = (period.from.to_string(), next_day(period.to));
    let closed_in = |status: &str| {
        let mut w = with(&base, "opportunities.status = ?", status.to_string());
        w.and("opportunities.closed_at >= ?", Value::from(&from));
        w.and("opportunities.closed_at < ?", Value::from(&until));
        w
    };
    let closed_any = {
        let mut w = base.clone();
        w.and(
            "opportunities.status IN ('won', 'lost') AND opportunities.closed_at >= ?",
            Value::from(&from),
        );
        w.and("opportunities.closed_at < ?", Value::from(&until));
        w
    };
    let months = forecast_months(today);
    let horizon = NaiveDate::parse_from_str(&format!("{}-01", months[5]), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .unwrap_or(today);

    let stages: Vec<&shared::Stage> = pipeline.stages.iter().skip(1).collect();
    let rep_view = !sees_everything(actor);
    let this_month = months[0].clone();
    let mut statements = Vec::new();
    // 0: the open deals' sums kept by the `open_cells` triggers, by owner,
    // stage, close month, forecast category and kinds of unmet
    // requirement: the funnel, the forecast, the owners and the gate
    // debt's cells are sums of these groups. A rep's own deals are theirs
    // (owner); the deals they are staffed on but do not own are summed
    // from the rows (1), and the two never overlap.
    let cells = cell_filter(actor, query, pipeline);
    statements.push(select(
        "owner_id, stage, month, category, kinds, SUM(n) AS n, SUM(amount) AS amount",
        "open_cells",
        &cells,
        "GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0",
    ));
    // The deals a rep is staffed on, read from the team's rows first.
    let staffed = rep_view.then(|| {
        let mut w = narrowed(query, pipeline);
        let member = w.bind(Value::from(&actor.user_id));
        w.and("opportunities.status = ?", Value::from("open"));
        w.and("opportunities.owner_id <> ?", Value::from(&actor.user_id));
        let from = format!(
            "(SELECT DISTINCT opportunity_id FROM deal_members WHERE user_id = {member}) AS team \
             CROSS JOIN opportunities ON opportunities.id = team.opportunity_id"
        );
        (from, w)
    });
    if let Some((from, w)) = &staffed {
        statements.push(select(
            &format!("{GROUP_COLUMNS}, COUNT(*) AS n, SUM(opportunities.amount) AS amount"),
            from,
            w,
            "GROUP BY 1, 2, 3, 4, 5",
        ));
    }
    // 2: the deals of this month already past their expected close, which
    // the report counts as overdue (a cell holds a calendar month).
    {
        let mut w = open.clone();
        w.and(
            "opportunities.expected_close >= ?",
            Value::from(month_start(today).to_string()),
        );
        w.and(
            "opportunities.expected_close < ?",
            Value::from(today.to_string()),
        );
        statements.push(select(
            &format!("{GROUP_COLUMNS}, COUNT(*) AS n, SUM(opportunities.amount) AS amount"),
            "opportunities",
            &w,
            "GROUP BY 1, 2, 3, 4, 5",
        ));
    }
    // 2: won by close month, over the forecast's months.
    {
        let mut w = with(&base, "opportunities.status = ?", "won");
        w.and(
            "opportunities.closed_at >= ?",
            Value::from(month_start(today).to_string()),
        );
        w.and(
            "opportunities.closed_at < ?",
            Value::from(horizon.to_string()),
        );
        statements.push(select(
            "substr(opportunities.closed_at, 1, 7) AS month, SUM(opportunities.amount) AS amount",
            "opportunities",
            &w,
            "GROUP BY 1",
        ));
    }
    // 3: closed in the period, by status and grade, with the days taken.
    statements.push(select(
        "opportunities.status AS status, opportunities.grade AS grade, COUNT(*) AS n, \
         SUM(opportunities.amount) AS amount, \
         SUM(julianday(opportunities.closed_at) - julianday(opportunities.created_at)) AS days",
        "opportunities",
        &closed_any,
        "GROUP BY 1, 2",
    ));
    // 4, 5: lost reasons and competitors in the period (columns the
    // database computes from the document, kept in an index).
    let lost = closed_in("lost");
    for column in ["lost_reason", "lost_competitor"] {
        statements.push(select(
            &format!(
                "opportunities.{column} AS label, COUNT(*) AS n, SUM(opportunities.amount) AS amount"
            ),
            "opportunities",
            &lost,
            "GROUP BY 1 HAVING label IS NOT NULL AND label <> '' ORDER BY n DESC, label LIMIT 10",
        ));
    }
    // 6: stage entries in the period (stage_moves, from the trail), each
    // deal once per stage (its first entry in the period: the one whose
    // previous entry into the stage is older), and which of them went on
    // (a later move out of the stage, or a win from it), kept on the move
    // by the `stage_moves_trail` trigger.
    {
        let mut w = Where::default();
        w.and("m.pipeline = ?", Value::from(pipeline.id.as_str()));
        if rep_view {
            w.and2(
                "(m.owner_id = ?a OR m.opportunity_id IN \
                 (SELECT opportunity_id FROM deal_members WHERE user_id = ?b))",
                Value::from(&actor.user_id),
                Value::from(&actor.user_id),
            );
        }
        for (key, value) in &query.filters {
            match key.as_str() {
                "owner" => w.and("m.owner_id = ?", Value::from(value)),
                "grade" => w.and("m.grade = ?", Value::from(value)),
                _ => {}
            }
        }
        let marks = vec!["?"; stages.len()].join(", ");
        w.and_all(
            &format!("m.to_stage IN ({marks})"),
            stages.iter().map(|s| Value::from(s.key.as_str())).collect(),
        );
        w.and_all(
            "m.at >= ? AND m.at < ? AND (m.prev_same IS NULL OR m.prev_same < ?)",
            vec![Value::from(&from), Value::from(&until), Value::from(&from)],
        );
        statements.push(select(
            "m.to_stage AS stage, COUNT(*) AS entered, SUM(m.went_on) AS advanced",
            "stage_moves m",
            &w,
            "GROUP BY 1",
        ));
    }
    // 7: leads created in the period, and converted.
    {
        let mut w = Where::default();
        w.and("pipeline = ?", Value::from(pipeline.id.as_str()));
        w.and("created_at >= ?", Value::from(&from));
        w.and("created_at < ?", Value::from(&until));
        if !sees_everything(actor) {
            w.and("owner_id = ?", Value::from(&actor.user_id));
        }
        if let Some((_, owner)) = query.filters.iter().find(|(k, _)| k == "owner") {
            w.and("owner_id = ?", Value::from(owner));
        }
        statements.push(select(
            "COUNT(*) AS created, SUM(status = 'converted') AS converted",
            "leads",
            &w,
            "",
        ));
    }
    // 8: the unmet requirements, counted by the `open_keys` triggers (and
    // from the rows for a rep's staffed deals); the ten most frequent win.
    statements.push(select(
        "stage, key, SUM(n) AS n",
        "open_keys",
        &cells,
        "GROUP BY 1, 2 HAVING SUM(n) > 0",
    ));
    if let Some((from, w)) = &staffed {
        statements.push(select(
            "opportunities.stage AS stage, j.value AS key, COUNT(*) AS n",
            &format!("{from}, json_each(opportunities.gate_keys) j"),
            w,
            "GROUP BY 1, 2",
        ));
    }
    let managers_view = sees_everything(actor);
    if managers_view {
        // 9: per owner, won in the period.
        statements.push(select(
            "opportunities.owner_id AS owner_id, SUM(opportunities.amount) AS amount",
            "opportunities",
            &closed_in("won"),
            "GROUP BY 1",
        ));
    }
    // Then per deal stage: the median day of entry and the deals past the limit.
    for stage in &stages {
        let mut w = with(&open, "opportunities.stage = ?", stage.key.as_str());
        let limit = w.bind(Value::from(if stage.max_days > 0 {
            cutoff(period.now, stage.max_days)
        } else {
            String::new()
        }));
        let (sql, params) = (w.sql(), w.params().to_vec());
        statements.push(Stmt::new(
            format!(
                "SELECT (SELECT opportunities.stage_entered_at FROM opportunities {sql} \
                 ORDER BY opportunities.stage_entered_at DESC LIMIT 1 OFFSET \
                 (SELECT (COUNT(*) - 1) / 2 FROM opportunities {sql})) AS entered, \
                 (SELECT COUNT(*) FROM opportunities {sql} AND opportunities.stage_entered_at <= {limit}) AS stalled"
            ),
            params,
        ));
    }

    let mut out = run(db, statements).await?.into_iter();
    let mut next = || {
        out.next()
            .ok_or_else(|| storage("a report read is missing"))
    };
    let mut groups: Vec<OpenGroup> = next()?.parse()?;
    if staffed.is_some() {
        groups.extend(next()?.parse::<OpenGroup>()?);
    }
    let overdue_now: Vec<OpenGroup> = next()?.parse()?;
    let groups = regroup(groups, overdue_now, &this_month);
    let won_by_month: Vec<MonthRow> = next()?.parse()?;
    let closed: Vec<ClosedRow> = next()?.parse()?;
    let reasons: Vec<CountRow> = next()?.parse()?;
    let competitors: Vec<CountRow> = next()?.parse()?;
    let entries: Vec<ConversionRow> = next()?.parse()?;
    let leads: Vec<LeadRow> = next()?.parse()?;
    let mut key_rows: Vec<KeyRow> = next()?.parse()?;
    if staffed.is_some() {
        key_rows.extend(next()?.parse::<KeyRow>()?);
    }
    let keys = top_keys(key_rows);
    let owners_won: Vec<OwnerWonRow> = if managers_view {
        next()?.parse()?
    } else {
        Vec::new()
    };
    // The open deals of a stage: how many, how much.
    let in_stage = |stage: &str| {
        groups
            .iter()
            .filter(|g| g.key.stage == stage)
            .fold((0, 0), |(n, a), g| (n + count(g.n), a + g.amount))
    };
    let mut aging = Vec::with_capacity(stages.len());
    for stage in &stages {
        let row: AgingRow = next()?
            .parse()?
            .into_iter()
            .next()
            .ok_or_else(|| storage("an aging row is missing"))?;
        let median_days = row
            .entered
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| (period.now - t.with_timezone(&Utc)).num_days().max(0));
        aging.push(StageAging {
            stage: stage.key.clone(),
            count: in_stage(stage.key.as_str()).0,
            median_days,
            max_days: stage.max_days,
            stalled: if stage.max_days > 0 {
                count(row.stalled)
            } else {
                0
            },
        });
    }

    let weight = |stage: &str, amount: i64| pipeline.stage(stage).map_or(0, |s| s.weighted(amount));
    let funnel = stages
        .iter()
        .map(|s| {
            let (n, amount) = in_stage(s.key.as_str());
            FunnelStage {
                stage: s.key.clone(),
                probability: s.probability,
                count: n,
                amount,
                weighted: s.weighted(amount),
            }
        })
        .collect();

    let mut forecast: Vec<ForecastMonth> = std::iter::once("overdue".to_string())
        .chain(months.iter().cloned())
        .map(|month| ForecastMonth {
            month,
            ..ForecastMonth::default()
        })
        .collect();
    let mut owners_out: Vec<OwnerForecast> = Vec::new();
    for g in &groups {
        let amount = g.amount;
        let weighted = weight(&g.key.stage, amount);
        let category = ForecastCategory::parse(&g.key.category).unwrap_or_default();
        if let Some(m) = forecast.iter_mut().find(|m| m.month == g.key.month) {
            m.count += count(g.n);
            m.amount += amount;
            m.weighted += weighted;
            m.add(category, amount);
        }
        if !managers_view {
            continue;
        }
        let i = match owners_out.iter().position(|o| o.owner_id == g.key.owner_id) {
            Some(i) => i,
            None => {
                owners_out.push(OwnerForecast {
                    owner_id: g.key.owner_id.clone(),
                    ..OwnerForecast::default()
                });
                owners_out.len() - 1
            }
        };
        let o = &mut owners_out[i];
        o.open += count(g.n);
        o.amount += amount;
        o.weighted += weighted;
        match category {
            ForecastCategory::Commit => o.commit += amount,
            ForecastCategory::BestCase => o.best_case += amount,
            _ => {}
        }
    }
    for r in &won_by_month {
        if let Some(m) = forecast.iter_mut().find(|m| m.month == r.month) {
            m.add(ForecastCategory::Closed, r.amount.unwrap_or(0));
        }
    }
    for r in &owners_won {
        match owners_out.iter_mut().find(|o| o.owner_id == r.owner_id) {
            Some(o) => o.won += r.amount.unwrap_or(0),
            None => owners_out.push(OwnerForecast {
                owner_id: r.owner_id.clone(),
                won: r.amount.unwrap_or(0),
                ..OwnerForecast::default()
            }),
        }
    }
    owners_out.sort_by(|a, b| {
        b.weighted
            .cmp(&a.weighted)
            .then(a.owner_id.cmp(&b.owner_id))
    });

    let (mut won, mut lost) = (Tally::default(), Tally::default());
    let mut by_grade: Vec<WinRate> = Grade::ALL
        .iter()
        .map(|g| WinRate {
            key: g.as_str().to_string(),
            ..WinRate::default()
        })
        .collect();
    let tracks = [Track::Full, Track::Fast, Track::Partner];
    let mut by_track: Vec<WinRate> = tracks
        .iter()
        .map(|t| WinRate {
            key: track_name(*t).to_string(),
            ..WinRate::default()
        })
        .collect();
    let mut cycle: Vec<f64> = vec![0.0; by_grade.len() + by_track.len()];
    for r in &closed {
        let Ok(grade) = Grade::parse(&r.grade) else {
            continue;
        };
        let gi = Grade::ALL.iter().position(|g| *g == grade).unwrap_or(0);
        let ti = tracks.iter().position(|t| *t == grade.track()).unwrap_or(0);
        let n = count(r.n);
        let amount = r.amount.unwrap_or(0);
        if r.status == "won" {
            won.count += n;
            won.amount += amount;
            by_grade[gi].won += n;
            by_track[ti].won += n;
            cycle[gi] += r.days.unwrap_or(0.0);
            cycle[by_grade.len() + ti] += r.days.unwrap_or(0.0);
        } else {
            lost.count += n;
            lost.amount += amount;
            by_grade[gi].lost += n;
            by_track[ti].lost += n;
        }
    }
    let grades = by_grade.len();
    for (i, w) in by_grade.iter_mut().chain(by_track.iter_mut()).enumerate() {
        w.rate = forecast::rate(w.won, w.won + w.lost);
        w.avg_cycle_days = (w.won > 0).then(|| (cycle[i] / w.won as f64).round() as i64);
    }
    let _ = grades;

    let stage_conversion = stages
        .iter()
        .map(|s| {
            let (entered, advanced) = entries
                .iter()
                .find(|r| r.stage.as_deref() == Some(s.key.as_str()))
                .map_or((0, 0), |r| {
                    (count(r.entered), count(r.advanced.unwrap_or(0)))
                });
            StageConversion {
                stage: s.key.clone(),
                entered,
                advanced,
                rate: forecast::rate(advanced, entered),
            }
        })
        .collect();
    let (leads_created, leads_converted) = leads.first().map_or((0, 0), |r| {
        (count(r.created), count(r.converted.unwrap_or(0)))
    });

    let mut cells = Vec::new();
    let (mut open_n, mut blocked) = (0, 0);
    for s in &stages {
        let mut by_kind = [0u64; 4];
        for g in groups.iter().filter(|g| g.key.stage == s.key.as_str()) {
            open_n += count(g.n);
            if g.key.kinds != "," {
                blocked += count(g.n);
            }
            for (n, kind) in by_kind.iter_mut().zip(forecast::DEBT_KINDS) {
                if g.blocked_on(kind_name(kind)) {
                    *n += count(g.n);
                }
            }
        }
        for (kind, n) in forecast::DEBT_KINDS.into_iter().zip(by_kind) {
            if n > 0 {
                cells.push(DebtCell {
                    stage: s.key.clone(),
                    kind,
                    count: n,
                });
            }
        }
    }
    let top = keys
        .iter()
        .filter_map(|r| {
            let (kind, _) = r.key.split_once(':')?;
            let kind = forecast::DEBT_KINDS
                .into_iter()
                .find(|k| kind_name(*k) == kind)?;
            Some(DebtKey {
                stage: shared::Key::parse(&r.stage).ok()?,
                kind,
                key: r.key.clone(),
                count: count(r.n),
            })
        })
        .collect();

    let counts = |rows: Vec<CountRow>| {
        rows.into_iter()
            .filter_map(|r| {
                Some(Count {
                    label: r.label?,
                    count: count(r.n),
                    amount: r.amount.unwrap_or(0),
                })
            })
            .collect()
    };
    Ok(PipelineReport {
        pipeline: pipeline.id.clone(),
        from: period.from,
        to: period.to,
        today,
        funnel,
        won,
        lost,
        forecast,
        owners: owners_out,
        aging,
        conversion: Conversion {
            stages: stage_conversion,
            leads_created,
            leads_converted,
            lead_rate: forecast::rate(leads_converted, leads_created),
            by_grade,
            by_track,
        },
        gate_debt: GateDebtReport {
            open: open_n,
            blocked,
            cells,
            top,
        },
        lost_reasons: counts(reasons),
        competitors: counts(competitors),
    })
}

/// A track's name in the report (`full`, `fast`, `partner`).
pub fn track_name(t: Track) -> &'static str {
    match t {
        Track::Full => "full",
        Track::Fast => "fast",
        Track::Partner => "partner",
    }
}

fn select(columns: &str, from: &str, w: &Where, tail: &str) -> Stmt {
    Stmt::new(
        format!("SELECT {columns} FROM {from} {} {tail}", w.sql()),
        w.params().to_vec(),
    )
}

/// A deal as the CSV export writes it: its list columns, and its gate row
/// when fresh.
#[derive(Deserialize)]
pub struct CsvRow {
    pub id: String,
    pub name: String,
    pub customer: String,
    pub pipeline: String,
    pub stage: String,
    pub status: String,
    pub grade: String,
    pub forecast: String,
    pub amount: i64,
    pub currency: Option<String>,
    pub expected_close: String,
    pub stage_entered_at: String,
    pub owner_id: String,
    pub created_at: String,
    pub commit_ok: Option<i64>,
    pub blocked: Option<i64>,
}

/// The next `limit` deals of the CSV export under `filter` (visibility and
/// list filters), newest first, after `after` (`(created_at, id)`).
pub async fn csv_page(
    db: &dyn Database,
    filter: &Where,
    after: Option<&(String, String)>,
    limit: usize,
) -> Result<Vec<CsvRow>, ApiError> {
    let mut w = filter.clone();
    if let Some((at, id)) = after {
        w.and2(
            "(opportunities.created_at < ?a OR (opportunities.created_at = ?a AND opportunities.id < ?b))",
            Value::from(at),
            Value::from(id),
        );
    }
    all(
        db,
        super::page::select_page(
            "opportunities",
            "opportunities.id AS id, name, customer, pipeline, stage, status, grade, forecast, amount, \
             json_extract(doc, '$.currency') AS currency, expected_close, stage_entered_at, owner_id, \
             created_at, commit_ok, json_array_length(gate_keys) AS blocked",
            w,
            ("opportunities.created_at", "DESC"),
            limit,
        )?,
    )
    .await
}
