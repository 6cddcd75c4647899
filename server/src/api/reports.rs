//! Reports: `GET /api/reports/pipeline` (every section for one filter) and
//! `GET /api/reports/opportunities.csv` (every deal a list filter finds,
//! streamed a page at a time).

use super::{ApiResult, Ctx};
use crate::error::ApiError;
use crate::http::{BodyStream, ChunkSource, Response};
use crate::listing::{ListQuery, parse_list_query};
use crate::store::config::Settings;
use crate::store::page::Where;
use crate::store::reports::CsvRow;
use crate::store::reports::{self, Period};
use crate::store::{self, Database, LocalFuture};
use chrono::{DateTime, NaiveDate, Utc};
use shared::forecast::ForecastCategory;
use shared::i18n::Lang;
use shared::{Grade, Pipeline};

/// The report's filters (besides `from` and `to`).
const REPORT_FILTERS: &[(&str, &str)] = &[("pipeline", ""), ("owner", ""), ("grade", "")];
/// The longest period a report covers.
const MAX_PERIOD_DAYS: i64 = 3_660;
/// The period when none is asked for: the last 90 days, today included.
const DEFAULT_PERIOD_DAYS: u64 = 89;

/// The pipeline a report or board is about: the one named, else the
/// configuration's first. 404 for an unknown one.
pub fn pick_pipeline<'s>(
    settings: &'s Settings,
    query: &ListQuery,
) -> Result<&'s Pipeline, ApiError> {
    match query.filters.iter().find(|(k, _)| k == "pipeline") {
        Some((_, id)) => settings.pipelines.iter().find(|p| p.id.as_str() == id),
        None => settings.pipelines.first(),
    }
    .ok_or(ApiError::RecordNotFound)
}

fn date(query: &[(String, String)], key: &str) -> Result<Option<NaiveDate>, ApiError> {
    match query.iter().find(|(k, v)| k == key && !v.trim().is_empty()) {
        None => Ok(None),
        Some((_, v)) => NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::BadRequest(format!("`{key}` must be a date YYYY-MM-DD"))),
    }
}

/// `GET /api/reports/pipeline?pipeline=&owner=&grade=&from=&to=`: reps
/// their own deals (and those they are staffed on), managers and admins
/// everyone's with a per-owner breakdown.
pub async fn pipeline_report(ctx: Ctx<'_>) -> ApiResult {
    let today = ctx.now.date_naive();
    let to = date(ctx.query(), "to")?.unwrap_or(today);
    let from =
        date(ctx.query(), "from")?.unwrap_or_else(|| to - chrono::Days::new(DEFAULT_PERIOD_DAYS));
    if from > to || (to - from).num_days() > MAX_PERIOD_DAYS {
        return Err(ApiError::BadRequest(format!(
            "the period runs from `from` to `to`, at most {MAX_PERIOD_DAYS} days"
        )));
    }
    let rest: Vec<(String, String)> = ctx
        .query()
        .iter()
        .filter(|(k, _)| k != "from" && k != "to")
        .cloned()
        .collect();
    let query = parse_list_query(&rest, REPORT_FILTERS)?;
    if let Some((_, g)) = query.filters.iter().find(|(k, _)| k == "grade")
        && Grade::parse(g).is_err()
    {
        return Err(ApiError::BadRequest("unknown grade".into()));
    }
    let settings = store::config::load(ctx.db()).await?;
    let pipeline = pick_pipeline(&settings, &query)?;
    let report = reports::pipeline_report(
        ctx.db(),
        &ctx.actor()?,
        &settings,
        pipeline,
        &query,
        &Period {
            from,
            to,
            now: ctx.now,
        },
    )
    .await?;
    Response::json(200, &report)
}

/// Rows per streamed part of the CSV.
const CSV_PAGE: usize = 500;

/// `GET /api/reports/opportunities.csv?` + the list's filters: every deal
/// they find (not one page), newest first, as CSV for a spreadsheet.
pub async fn opportunities_csv(ctx: Ctx<'_>) -> ApiResult {
    let actor = ctx.actor()?;
    let query = parse_list_query(ctx.query(), crate::store::opportunities::LIST_FILTERS)?;
    let settings = store::config::load(ctx.db()).await?;
    let filter = store::opportunities::narrowed(
        super::opportunities::list_filter(&ctx, &actor, &query, Some(&settings)).await?,
        &query,
    );
    let lang = ctx.req.language();
    reports::refresh_gate(ctx.db(), &settings).await?;
    let users: Vec<(String, String)> = store::users::names(ctx.db()).await?;
    let mut head = vec![0xEF, 0xBB, 0xBF];
    let mut w = csv::Writer::from_writer(&mut head);
    w.write_record(header(lang)).map_err(store::storage)?;
    w.flush().map_err(store::storage)?;
    drop(w);
    let today = ctx.now.date_naive();
    let name = match lang {
        Lang::ZhCn => "商机",
        Lang::En => "opportunities",
    };
    let disposition = format!(
        "attachment; filename=\"dealgate-opportunities-{today}.csv\"; filename*=UTF-8''{}",
        percent_encode(&format!("{name}-{today}.csv"))
    );
    Ok(Response {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/csv; charset=utf-8".into()),
            ("content-disposition".into(), disposition),
        ],
        body: head,
        stream: Some(BodyStream::new(CsvRows {
            filter,
            settings,
            users,
            lang,
            now: ctx.now,
            after: None,
            done: false,
        })),
    })
}

fn header(lang: Lang) -> [&'static str; 16] {
    match lang {
        Lang::ZhCn => [
            "编号",
            "商机名称",
            "客户",
            "流程",
            "阶段",
            "状态",
            "等级",
            "通道",
            "预测类别",
            "金额",
            "币种",
            "加权金额",
            "预计成交",
            "本阶段天数",
            "负责人",
            "阻塞项数",
        ],
        Lang::En => [
            "id",
            "name",
            "customer",
            "pipeline",
            "stage",
            "status",
            "grade",
            "track",
            "forecast",
            "amount",
            "currency",
            "weighted",
            "expected_close",
            "days_in_stage",
            "owner",
            "blocked_by",
        ],
    }
}

/// `%`-encodes all but unreserved ASCII (RFC 5987's `filename*`).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A text cell a spreadsheet would run as a formula made inert: one that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'`.
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn major(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02}", m / 100, m % 100)
}

/// The CSV's rows, a page at a time after the header.
struct CsvRows {
    filter: Where,
    settings: Settings,
    users: Vec<(String, String)>,
    lang: Lang,
    now: DateTime<Utc>,
    /// The last row sent: `(created_at, id)`.
    after: Option<(String, String)>,
    done: bool,
}

impl CsvRows {
    fn write(&self, rows: &[CsvRow]) -> Result<Vec<u8>, ApiError> {
        let mut out = Vec::with_capacity(rows.len() * 160);
        let mut w = csv::Writer::from_writer(&mut out);
        let lang = self.lang;
        for r in rows {
            let pipeline = self
                .settings
                .pipelines
                .iter()
                .find(|p| p.id.as_str() == r.pipeline);
            let stage = pipeline.and_then(|p| p.stage(&r.stage));
            let grade = Grade::parse(&r.grade).ok();
            let track = grade.map_or("", |g| reports::track_name(g.track()));
            let status = match r.status.as_str() {
                "won" => shared::Status::Won,
                "lost" => shared::Status::Lost,
                _ => shared::Status::Open,
            };
            let category = shared::forecast::effective_of(
                status,
                ForecastCategory::parse(&r.forecast).unwrap_or_default(),
                r.commit_ok == Some(1),
            )
            .map_or("", ForecastCategory::as_str);
            let weighted = match r.status.as_str() {
                "open" => stage.map_or(0, |s| s.weighted(r.amount)),
                _ => 0,
            };
            let days = DateTime::parse_from_rfc3339(&r.stage_entered_at)
                .map(|t| {
                    (self.now - t.with_timezone(&Utc))
                        .num_days()
                        .max(0)
                        .to_string()
                })
                .unwrap_or_default();
            let owner = self
                .users
                .iter()
                .find(|(id, _)| *id == r.owner_id)
                .map_or(r.owner_id.as_str(), |(_, n)| n.as_str());
            let blocked = match r.status.as_str() {
                "open" => r.blocked.unwrap_or(0).to_string(),
                _ => String::new(),
            };
            let record = [
                inert(&r.id),
                inert(&r.name),
                inert(&r.customer),
                inert(pipeline.map_or(r.pipeline.as_str(), |p| p.name.get(lang))),
                inert(stage.map_or(r.stage.as_str(), |s| s.name.get(lang))),
                r.status.as_str().into(),
                r.grade.as_str().into(),
                track.into(),
                category.into(),
                major(r.amount).into(),
                inert(r.currency.as_deref().unwrap_or("")),
                major(weighted).into(),
                inert(&r.expected_close),
                days.into(),
                inert(owner),
                blocked.into(),
            ];
            w.write_record(record.iter().map(|c| c.as_ref()))
                .map_err(store::storage)?;
        }
        w.flush().map_err(store::storage)?;
        drop(w);
        Ok(out)
    }
}

impl ChunkSource for CsvRows {
    fn next_chunk<'a>(
        &'a mut self,
        db: &'a dyn Database,
    ) -> LocalFuture<'a, Result<Option<Vec<u8>>, ApiError>> {
        Box::pin(async move {
            if self.done {
                return Ok(None);
            }
            let rows = reports::csv_page(db, &self.filter, self.after.as_ref(), CSV_PAGE).await?;
            self.done = rows.len() < CSV_PAGE;
            let Some(last) = rows.last() else {
                return Ok(None);
            };
            self.after = Some((last.created_at.clone(), last.id.clone()));
            self.write(&rows).map(Some)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_made_inert_and_others_kept() {
        for risky in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(inert(risky), format!("'{risky}"));
        }
        for plain in ["Acme", "华为 =", "", "1.5"] {
            assert_eq!(inert(plain), plain);
        }
    }

    #[test]
    fn amounts_are_written_in_major_units() {
        assert_eq!(major(150_000_000), "1500000.00");
        assert_eq!(major(5), "0.05");
        assert_eq!(major(-1234), "-12.34");
    }

    #[test]
    fn a_utf8_file_name_is_percent_encoded() {
        assert_eq!(percent_encode("商机-1.csv"), "%E5%95%86%E6%9C%BA-1.csv");
    }
}
