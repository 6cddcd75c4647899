//! `GET /api/reports/pipeline`'s answer: what a sales director takes
//! upward, each section computed for the whole filter. Amounts are minor
//! units; a rate is whole percent, `None` when there was nothing to divide.

use crate::forecast::ForecastCategory;
use crate::gate::BlockerKind;
use crate::pipeline::{Key, StageKey};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PipelineReport {
    pub pipeline: Key,
    /// The period, both days included.
    #[serde(deserialize_with = "crate::wire::date")]
    pub from: NaiveDate,
    #[serde(deserialize_with = "crate::wire::date")]
    pub to: NaiveDate,
    #[serde(deserialize_with = "crate::wire::date")]
    pub today: NaiveDate,
    /// The deal stages (stage 1 lives on leads), in pipeline order.
    pub funnel: Vec<FunnelStage>,
    /// Closed in the period.
    pub won: Tally,
    pub lost: Tally,
    /// Open deals by expected close: `overdue` first, then this month and
    /// the five after (`YYYY-MM`); `closed` is what was won in the month.
    pub forecast: Vec<ForecastMonth>,
    /// Per owner (managers and admins; empty for reps).
    pub owners: Vec<OwnerForecast>,
    pub aging: Vec<StageAging>,
    pub conversion: Conversion,
    pub gate_debt: GateDebtReport,
    /// Lost in the period, most frequent first (at most ten each).
    pub lost_reasons: Vec<Count>,
    pub competitors: Vec<Count>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Tally {
    pub count: u64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FunnelStage {
    pub stage: StageKey,
    pub probability: u8,
    pub count: u64,
    pub amount: i64,
    pub weighted: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ForecastMonth {
    /// `overdue` or `YYYY-MM`.
    pub month: String,
    pub count: u64,
    pub amount: i64,
    pub weighted: i64,
    pub pipeline: i64,
    pub best_case: i64,
    pub commit: i64,
    pub closed: i64,
}

impl ForecastMonth {
    /// The amount in `category` this month.
    pub fn of(&self, category: ForecastCategory) -> i64 {
        match category {
            ForecastCategory::Pipeline => self.pipeline,
            ForecastCategory::BestCase => self.best_case,
            ForecastCategory::Commit => self.commit,
            ForecastCategory::Closed => self.closed,
        }
    }

    pub fn add(&mut self, category: ForecastCategory, amount: i64) {
        *match category {
            ForecastCategory::Pipeline => &mut self.pipeline,
            ForecastCategory::BestCase => &mut self.best_case,
            ForecastCategory::Commit => &mut self.commit,
            ForecastCategory::Closed => &mut self.closed,
        } += amount;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OwnerForecast {
    pub owner_id: String,
    pub open: u64,
    pub amount: i64,
    pub weighted: i64,
    pub commit: i64,
    pub best_case: i64,
    /// Won in the period.
    pub won: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageAging {
    pub stage: StageKey,
    pub count: u64,
    pub median_days: Option<i64>,
    /// The stage's limit (0: none) and how many open deals are past it.
    pub max_days: u16,
    pub stalled: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Conversion {
    /// Of the deals that entered each stage in the period, how many went
    /// on (to a later stage, or won from the final one).
    pub stages: Vec<StageConversion>,
    /// Leads created in the period, and how many of them are converted.
    pub leads_created: u64,
    pub leads_converted: u64,
    pub lead_rate: Option<u8>,
    /// Deals closed in the period, by grade (A–E) and by track.
    pub by_grade: Vec<WinRate>,
    pub by_track: Vec<WinRate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageConversion {
    pub stage: StageKey,
    pub entered: u64,
    pub advanced: u64,
    pub rate: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WinRate {
    /// A grade (`A`…`E`) or a track (`full`, `fast`, `partner`).
    pub key: String,
    pub won: u64,
    pub lost: u64,
    pub rate: Option<u8>,
    /// Average whole days from the deal's creation to its win.
    pub avg_cycle_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GateDebtReport {
    /// Open deals, and those blocked on their next move by at least one
    /// unmet requirement.
    pub open: u64,
    pub blocked: u64,
    /// Stage × kind: open deals in the stage with at least one unmet
    /// requirement of the kind (a deal may count under several kinds).
    pub cells: Vec<DebtCell>,
    /// The most frequent unmet requirements (at most ten).
    pub top: Vec<DebtKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DebtCell {
    pub stage: StageKey,
    pub kind: BlockerKind,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DebtKey {
    pub stage: StageKey,
    pub kind: BlockerKind,
    pub key: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Count {
    pub label: String,
    pub count: u64,
    pub amount: i64,
}

/// `POST /api/opportunities/{id}/forecast`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ForecastRequest {
    pub category: ForecastCategory,
    pub version: u64,
}

/// The name of a blocker kind in a list filter (`blocked_kind=`).
pub fn kind_name(kind: BlockerKind) -> &'static str {
    match kind {
        BlockerKind::Field => "field",
        BlockerKind::Task => "task",
        BlockerKind::Approval => "approval",
        BlockerKind::Role => "role",
        _ => "other",
    }
}

/// The six forecast months from `today`'s month: `YYYY-MM`.
pub fn forecast_months(today: NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let (mut y, mut m) = (today.year(), today.month());
    (0..6)
        .map(|_| {
            let s = format!("{y:04}-{m:02}");
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forecast_runs_six_months_from_this_one_across_the_year_end() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            forecast_months(d),
            [
                "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04"
            ]
        );
    }

    #[test]
    fn a_month_adds_and_reads_each_category_apart() {
        let mut m = ForecastMonth::default();
        m.add(ForecastCategory::Commit, 5);
        m.add(ForecastCategory::Commit, 7);
        m.add(ForecastCategory::BestCase, 1);
        assert_eq!(m.of(ForecastCategory::Commit), 12);
        assert_eq!(m.of(ForecastCategory::BestCase), 1);
        assert_eq!(m.of(ForecastCategory::Pipeline), 0);
    }
}
