//! The reports' reads: every section of `GET /api/reports/pipeline` as SQL
//! sums in one batch, the gate's word on each open deal kept in
//! `deal_gate` (valid for one deal version and one configuration version,
//! computed by `shared::forecast::gate_debt` where missing), and the list
//! filters the reports link to.

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
/// Rows per `INSERT` (six values each: D1 binds at most 100 per statement).
const ROWS_PER_INSERT: usize = 16;

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
    w.and(
        "opportunities.pipeline = ?",
        Value::from(pipeline.id.as_str()),
    );
    for (key, value) in &query.filters {
        match key.as_str() {
            "owner" => w.and("opportunities.owner_id = ?", Value::from(value)),
            "grade" => w.and("opportunities.grade = ?", Value::from(value)),
            _ => {}
        }
    }
    w
}

fn with(base: &Where, fragment: &str, value: impl Into<Value>) -> Where {
    let mut w = base.clone();
    w.and(fragment, value.into());
    w
}

/// Computes the missing `deal_gate` rows of open deals (all of them, so a
/// report or a list under any filter finds them). Answers how many.
pub async fn refresh_gate(db: &dyn Database, settings: &Settings) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Doc {
        doc: String,
    }
    let mut total = 0;
    loop {
        let docs: Vec<Doc> = all(
            db,
            Stmt::new(
                "SELECT o.doc FROM opportunities o LEFT JOIN deal_gate g \
                 ON g.opportunity_id = o.id AND g.deal_version = o.version AND g.config_version = ?1 \
                 WHERE o.status = 'open' AND g.opportunity_id IS NULL LIMIT ?2",
                vec![Value::from(settings.version), Value::from(CHUNK as u64)],
            ),
        )
        .await?;
        let n = docs.len();
        let mut rows = Vec::with_capacity(n);
        for d in docs {
            let opp: Opportunity = serde_json::from_str(&d.doc).map_err(storage)?;
            // A deal of a pipeline gone from the configuration owes nothing
            // the gate can name; its row still stops it being read again.
            let debt = settings
                .pipelines
                .iter()
                .find(|p| p.id == opp.pipeline)
                .map(|p| forecast::gate_debt(&opp, p, &settings.policy))
                .unwrap_or_default();
            rows.push(gate_row(&opp, settings.version, &debt)?);
        }
        let statements = rows
            .chunks(ROWS_PER_INSERT)
            .map(|chunk| {
                let mut params = Vec::with_capacity(chunk.len() * 6);
                let tuples: Vec<String> = chunk
                    .iter()
                    .map(|row| {
                        let first = params.len();
                        params.extend(row.iter().cloned());
                        let marks: Vec<String> =
                            (1..=6).map(|i| format!("?{}", first + i)).collect();
                        format!("({})", marks.join(", "))
                    })
                    .collect();
                Stmt::new(
                    format!(
                        "INSERT OR REPLACE INTO deal_gate \
                         (opportunity_id, deal_version, config_version, commit_ok, kinds, keys) VALUES {}",
                        tuples.join(", ")
                    ),
                    params,
                )
            })
            .collect::<Vec<_>>();
        if !statements.is_empty() {
            run(db, statements).await?;
        }
        total += n;
        if n < CHUNK {
            return Ok(total);
        }
    }
}

fn gate_row(
    opp: &Opportunity,
    config_version: u64,
    debt: &GateDebt,
) -> Result<Vec<Value>, ApiError> {
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
    Ok(vec![
        Value::from(&opp.id),
        Value::from(opp.version),
        Value::from(config_version),
        Value::Int(i64::from(debt.commit_ok)),
        Value::from(format!(",{kinds}")),
        Value::from(serde_json::to_string(&keys).map_err(storage)?),
    ])
}

/// `EXISTS` a fresh gate row of the deal matching `condition` (on `g`;
/// `?b` is its value, `?a` the configuration version).
fn fresh_gate(condition: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM deal_gate g WHERE g.opportunity_id = opportunities.id \
         AND g.deal_version = opportunities.version AND g.config_version = ?a AND {condition})"
    )
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
    let cv = Value::from(settings.version);
    let mut gate = false;
    if let Some(kind) = get("blocked_kind") {
        if !forecast::DEBT_KINDS.iter().any(|k| kind_name(*k) == kind) {
            return Err(bad("blocked_kind"));
        }
        filter.and2(
            &fresh_gate("instr(g.kinds, ?b) > 0"),
            cv.clone(),
            Value::from(format!(",{kind},")),
        );
        gate = true;
    }
    if let Some(key) = get("blocked_key") {
        filter.and2(
            &fresh_gate("EXISTS (SELECT 1 FROM json_each(g.keys) j WHERE j.value = ?b)"),
            cv.clone(),
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
            let committed = fresh_gate("g.commit_ok = ?b");
            match c {
                ForecastCategory::Commit => {
                    filter.and("opportunities.forecast = ?", Value::from("commit"));
                    filter.and2(&committed, cv.clone(), Value::Int(1));
                }
                ForecastCategory::BestCase => filter.and2(
                    &format!(
                        "(opportunities.forecast = 'best_case' OR (opportunities.forecast = 'commit' AND NOT {committed}))"
                    ),
                    cv.clone(),
                    Value::Int(1),
                ),
                _ => filter.and("opportunities.forecast = ?", Value::from(c.as_str())),
            }
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

/// One group of open deals: owner, stage, close month, category.
#[derive(Deserialize)]
struct OpenGroup {
    owner_id: String,
    stage: String,
    month: String,
    category: String,
    n: i64,
    amount: Option<i64>,
    blocked: Option<i64>,
    field: Option<i64>,
    task: Option<i64>,
    approval: Option<i64>,
    role: Option<i64>,
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

    let mut statements = Vec::new();
    // 0: one pass over the open deals, grouped by owner, stage, close month
    // (overdue together) and forecast category, with the kinds of unmet
    // requirement their gate rows name: the funnel, the forecast, the
    // owners and the gate debt's cells are sums of these groups.
    {
        let mut w = open.clone();
        let today_mark = w.bind(Value::from(today.to_string()));
        let cv = w.bind(Value::from(settings.version));
        statements.push(select(
            &format!(
                "opportunities.owner_id AS owner_id, opportunities.stage AS stage, \
                 CASE WHEN opportunities.expected_close < {today_mark} THEN 'overdue' \
                 ELSE substr(opportunities.expected_close, 1, 7) END AS month, \
                 CASE WHEN opportunities.forecast = 'commit' AND COALESCE(g.commit_ok, 0) <> 1 THEN 'best_case' \
                 WHEN opportunities.forecast = 'closed' THEN 'pipeline' ELSE opportunities.forecast END AS category, \
                 COUNT(*) AS n, SUM(opportunities.amount) AS amount, \
                 SUM(COALESCE(g.kinds, ',') <> ',') AS blocked, SUM(instr(g.kinds, ',field,') > 0) AS field, \
                 SUM(instr(g.kinds, ',task,') > 0) AS task, SUM(instr(g.kinds, ',approval,') > 0) AS approval, \
                 SUM(instr(g.kinds, ',role,') > 0) AS role"
            ),
            &format!(
                "opportunities LEFT JOIN deal_gate g ON g.opportunity_id = opportunities.id \
                 AND g.deal_version = opportunities.version AND g.config_version = {cv}"
            ),
            &w,
            "GROUP BY 1, 2, 3, 4",
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
    // 4, 5: lost reasons and competitors in the period.
    let lost = closed_in("lost");
    for path in ["$.lost.reason", "$.lost.competitor"] {
        let mut w = lost.clone();
        let p = w.bind(Value::from(path));
        statements.push(select(
            &format!(
                "TRIM(json_extract(opportunities.doc, {p})) AS label, COUNT(*) AS n, \
                 SUM(opportunities.amount) AS amount"
            ),
            "opportunities",
            &w,
            "GROUP BY 1 HAVING label IS NOT NULL AND label <> '' ORDER BY n DESC, label LIMIT 10",
        ));
    }
    // 6: stage entries in the period (stage_moves, from the trail), and
    // which of them went on: a later move out of the stage, or a win from
    // the final one.
    {
        let mut w = base.clone();
        w.and("m.at >= ?", Value::from(&from));
        w.and("m.at < ?", Value::from(&until));
        let last = w.bind(Value::from(
            pipeline.stages.last().map(|s| s.key.as_str()).unwrap_or(""),
        ));
        statements.push(Stmt::new(
            format!(
                "SELECT stage, COUNT(DISTINCT id) AS entered, \
                 COUNT(DISTINCT CASE WHEN went_on THEN id END) AS advanced FROM (\
                 SELECT m.opportunity_id AS id, m.to_stage AS stage, EXISTS (SELECT 1 FROM stage_moves x \
                 WHERE x.opportunity_id = m.opportunity_id AND x.seq > m.seq \
                 AND (x.from_stage = m.to_stage OR (x.to_stage = 'won' AND m.to_stage = {last}))) AS went_on \
                 FROM stage_moves m JOIN opportunities ON opportunities.id = m.opportunity_id \
                 {} AND m.to_stage <> 'won') GROUP BY stage",
                w.sql()
            ),
            w.params().to_vec(),
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
    // 8: the most frequent unmet requirements.
    {
        let mut w = open.clone();
        w.and("g.config_version = ?", Value::from(settings.version));
        statements.push(select(
            "opportunities.stage AS stage, j.value AS key, COUNT(*) AS n",
            "opportunities JOIN deal_gate g ON g.opportunity_id = opportunities.id \
             AND g.deal_version = opportunities.version, json_each(g.keys) j",
            &w,
            "GROUP BY 1, 2 ORDER BY n DESC, stage, key LIMIT 10",
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
    let stages: Vec<&shared::Stage> = pipeline.stages.iter().skip(1).collect();
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
    let groups: Vec<OpenGroup> = next()?.parse()?;
    let won_by_month: Vec<MonthRow> = next()?.parse()?;
    let closed: Vec<ClosedRow> = next()?.parse()?;
    let reasons: Vec<CountRow> = next()?.parse()?;
    let competitors: Vec<CountRow> = next()?.parse()?;
    let entries: Vec<ConversionRow> = next()?.parse()?;
    let leads: Vec<LeadRow> = next()?.parse()?;
    let keys: Vec<KeyRow> = next()?.parse()?;
    let owners_won: Vec<OwnerWonRow> = if managers_view {
        next()?.parse()?
    } else {
        Vec::new()
    };
    // The open deals of a stage: how many, how much.
    let in_stage = |stage: &str| {
        groups
            .iter()
            .filter(|g| g.stage == stage)
            .fold((0, 0), |(n, a), g| {
                (n + count(g.n), a + g.amount.unwrap_or(0))
            })
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
        let amount = g.amount.unwrap_or(0);
        let weighted = weight(&g.stage, amount);
        let category = ForecastCategory::parse(&g.category).unwrap_or_default();
        if let Some(m) = forecast.iter_mut().find(|m| m.month == g.month) {
            m.count += count(g.n);
            m.amount += amount;
            m.weighted += weighted;
            m.add(category, amount);
        }
        if !managers_view {
            continue;
        }
        let i = match owners_out.iter().position(|o| o.owner_id == g.owner_id) {
            Some(i) => i,
            None => {
                owners_out.push(OwnerForecast {
                    owner_id: g.owner_id.clone(),
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
        for g in groups.iter().filter(|g| g.stage == s.key.as_str()) {
            open_n += count(g.n);
            blocked += count(g.blocked.unwrap_or(0));
            for (n, k) in by_kind
                .iter_mut()
                .zip([g.field, g.task, g.approval, g.role])
            {
                *n += count(k.unwrap_or(0));
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
    config_version: u64,
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
    let cv = w.bind(Value::from(config_version));
    let limit = w.bind(Value::from(limit as u64));
    all(
        db,
        Stmt::new(
            format!(
                "SELECT opportunities.id AS id, name, customer, pipeline, stage, status, grade, forecast, amount, \
                 json_extract(doc, '$.currency') AS currency, expected_close, stage_entered_at, owner_id, \
                 created_at, g.commit_ok AS commit_ok, json_array_length(g.keys) AS blocked \
                 FROM opportunities LEFT JOIN deal_gate g ON g.opportunity_id = opportunities.id \
                 AND g.deal_version = opportunities.version AND g.config_version = {cv} \
                 {} ORDER BY opportunities.created_at DESC, opportunities.id DESC LIMIT {limit}",
                w.sql()
            ),
            w.params().to_vec(),
        ),
    )
    .await
}
