//! The forecast a rep puts a deal in, and what the gate says of each open
//! deal for the reports (gate debt). A deal counts as **commit** only while
//! its gate allows it: the current stage's requirements are met and the
//! stage's probability is at least [`COMMIT_FLOOR`]. The app checks this
//! as the rep chooses; the server checks it again before it writes, and the
//! reports count a stored commit whose gate no longer allows it as best
//! case, so a forecast never runs ahead of the process.

use crate::event::EventKind;
use crate::gate::{self, Blocker, BlockerKind, Target, Transition, requirement_blockers};
use crate::grade::GradingPolicy;
use crate::i18n::Localized;
use crate::opportunity::{OpError, Opportunity, Status};
use crate::pipeline::{Key, Pipeline};
use crate::user::Actor;
use serde::{Deserialize, Serialize};

/// The lowest stage probability (percent) at which a deal may be committed.
pub const COMMIT_FLOOR: u8 = 60;

/// A deal's forecast category. `closed` is never chosen: a won deal is
/// closed, whatever it was before.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ForecastCategory {
    #[default]
    Pipeline,
    BestCase,
    Commit,
    Closed,
}

impl ForecastCategory {
    pub const ALL: [ForecastCategory; 4] = [
        ForecastCategory::Pipeline,
        ForecastCategory::BestCase,
        ForecastCategory::Commit,
        ForecastCategory::Closed,
    ];

    /// The name in JSON, in the database's `forecast` column and in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ForecastCategory::Pipeline => "pipeline",
            ForecastCategory::BestCase => "best_case",
            ForecastCategory::Commit => "commit",
            ForecastCategory::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<ForecastCategory> {
        ForecastCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> Localized {
        let (zh, en) = match self {
            ForecastCategory::Pipeline => ("管道", "Pipeline"),
            ForecastCategory::BestCase => ("最佳情况", "Best case"),
            ForecastCategory::Commit => ("承诺", "Commit"),
            ForecastCategory::Closed => ("已成交", "Closed"),
        };
        Localized::new(zh, en)
    }
}

/// What keeps an open deal from being committed: its current stage's unmet
/// requirements (as the gate lists them) and, when the stage's probability
/// is under [`COMMIT_FLOOR`], a blocker saying so. Empty: commit allowed.
pub fn commit_blockers(
    opp: &Opportunity,
    pipeline: &Pipeline,
    policy: &GradingPolicy,
) -> Vec<Blocker> {
    let Some(stage) = pipeline.stage(opp.stage.as_str()) else {
        return vec![floor_blocker(&opp.stage, 0)];
    };
    let grade = opp.grade_now(policy).effective;
    let mut out = requirement_blockers(stage, &opp.checklist(), grade);
    if stage.probability < COMMIT_FLOOR {
        out.push(floor_blocker(&stage.key, stage.probability));
    }
    out
}

fn floor_blocker(stage: &Key, probability: u8) -> Blocker {
    Blocker {
        stage: stage.clone(),
        kind: BlockerKind::BelowCommitFloor,
        key: None,
        message: Localized::new(
            format!("阶段赢率 {probability}% 低于承诺下限 {COMMIT_FLOOR}%"),
            format!(
                "The stage's probability {probability}% is below the commit floor of {COMMIT_FLOOR}%"
            ),
        ),
    }
}

/// The category the reports count a deal in: closed when won, none when
/// lost, and a chosen commit only while [`commit_blockers`] is empty
/// (`commit_ok`); else best case.
pub fn effective(opp: &Opportunity, commit_ok: bool) -> Option<ForecastCategory> {
    effective_of(opp.status, opp.forecast, commit_ok)
}

/// [`effective`] from a deal's columns (the CSV reads no document).
pub fn effective_of(
    status: Status,
    chosen: ForecastCategory,
    commit_ok: bool,
) -> Option<ForecastCategory> {
    match status {
        Status::Won => Some(ForecastCategory::Closed),
        Status::Lost => None,
        Status::Open => Some(match chosen {
            ForecastCategory::Commit if !commit_ok => ForecastCategory::BestCase,
            ForecastCategory::Closed => ForecastCategory::Pipeline,
            c => c,
        }),
    }
}

/// Why a forecast category is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForecastError {
    Op(OpError),
    /// Commit while the gate does not allow it: its blockers.
    Blocked(Vec<Blocker>),
}

impl From<OpError> for ForecastError {
    fn from(e: OpError) -> ForecastError {
        ForecastError::Op(e)
    }
}

impl Opportunity {
    /// The deal's owner, its team or a manager puts the open deal in a
    /// forecast category: `closed` is refused (winning closes a deal), and
    /// `commit` only while [`commit_blockers`] is empty. The same category
    /// again is no change.
    pub fn set_forecast(
        &mut self,
        category: ForecastCategory,
        pipeline: &Pipeline,
        policy: &GradingPolicy,
        actor: &Actor,
    ) -> Result<Vec<EventKind>, ForecastError> {
        if !self.is_open() {
            return Err(OpError::Closed.into());
        }
        if !self.can_edit(actor) {
            return Err(OpError::Forbidden.into());
        }
        if category == ForecastCategory::Closed {
            return Err(ForecastError::Blocked(vec![Blocker {
                stage: self.stage.clone(),
                kind: BlockerKind::NotFinalStage,
                key: None,
                message: Localized::new("只有赢单的商机才算已成交", "Only a won deal is closed"),
            }]));
        }
        if category == ForecastCategory::Commit {
            let blockers = commit_blockers(self, pipeline, policy);
            if !blockers.is_empty() {
                return Err(ForecastError::Blocked(blockers));
            }
        }
        if category == self.forecast {
            return Ok(Vec::new());
        }
        let from = std::mem::replace(&mut self.forecast, category);
        self.version += 1;
        Ok(vec![EventKind::ForecastChanged { from, to: category }])
    }
}

/// What the gate says of an open deal, for the reports: the requirement
/// blockers (field, task, approval, role) of its next move, and whether it
/// may be committed. Structural blockers (a stage gone from the pipeline)
/// are not debt and are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GateDebt {
    pub commit_ok: bool,
    /// `(kind, key)` of each unmet requirement of the next move.
    pub blockers: Vec<(BlockerKind, Key)>,
}

impl GateDebt {
    /// The kinds present, each once, in [`DEBT_KINDS`] order.
    pub fn kinds(&self) -> Vec<BlockerKind> {
        DEBT_KINDS
            .into_iter()
            .filter(|k| self.blockers.iter().any(|(b, _)| b == k))
            .collect()
    }
}

/// The blocker kinds that count as gate debt.
pub const DEBT_KINDS: [BlockerKind; 4] = [
    BlockerKind::Field,
    BlockerKind::Task,
    BlockerKind::Approval,
    BlockerKind::Role,
];

/// The gate debt of `opp` (open or not: a closed deal owes nothing).
pub fn gate_debt(opp: &Opportunity, pipeline: &Pipeline, policy: &GradingPolicy) -> GateDebt {
    if !opp.is_open() {
        return GateDebt::default();
    }
    let commit_ok = commit_blockers(opp, pipeline, policy).is_empty();
    let blockers = gate::advance_target(opp, pipeline)
        .map(|to: Target| gate::check(opp, pipeline, policy, &Transition::to(to)).blockers)
        .unwrap_or_default()
        .into_iter()
        .filter(|b| DEBT_KINDS.contains(&b.kind))
        .filter_map(|b| Some((b.kind, b.key?)))
        .collect();
    GateDebt {
        commit_ok,
        blockers,
    }
}

/// The median of `values` (the lower middle one for an even count: whole
/// days stay whole); `None` when there are none.
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

/// `part` of `whole` in whole percent, rounded half up; `None` when
/// `whole` is zero (no rate, rather than 0 %).
pub fn rate(part: u64, whole: u64) -> Option<u8> {
    (whole > 0).then(|| ((part * 200 + whole) / (whole * 2)).min(100) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use crate::grade::{Grade, LeadBy};
    use crate::sample;
    use crate::user::Role;

    fn rep() -> Actor {
        Actor::new("u_rep", &[Role::Rep])
    }

    /// A deal of `grade` (A: 8,000,000; C: 500,000 CNY, led by us) in
    /// `stage` of the tender pipeline, owned by `u_rep`, nothing filled in.
    fn deal_in(stage: &str, grade: Grade) -> (Opportunity, Pipeline, GradingPolicy) {
        let pipeline = builtin::tender();
        let policy = GradingPolicy::default();
        let amount = match grade {
            Grade::A => 800_000_000,
            _ => 50_000_000,
        };
        let mut opp = sample::opportunity(&pipeline, stage, LeadBy::Us, amount, &policy);
        opp.owner_id = "u_rep".into();
        assert_eq!(opp.grade.effective, grade);
        (opp, pipeline, policy)
    }

    #[test]
    fn commit_is_refused_below_the_floor_even_with_every_requirement_met() {
        let (mut opp, pipeline, policy) = deal_in("analyze", Grade::C);
        sample::fill_stage(&mut opp, pipeline.stage("analyze").unwrap());
        let err = opp
            .set_forecast(ForecastCategory::Commit, &pipeline, &policy, &rep())
            .unwrap_err();
        let ForecastError::Blocked(b) = err else {
            panic!("expected blockers")
        };
        assert_eq!(
            b.iter().map(|b| b.kind).collect::<Vec<_>>(),
            [BlockerKind::BelowCommitFloor]
        );
        assert_eq!(opp.forecast, ForecastCategory::Pipeline);
    }

    #[test]
    fn commit_is_refused_while_the_stage_has_unmet_requirements_and_allowed_once_met() {
        let (mut opp, pipeline, policy) = deal_in("tender_prep", Grade::A);
        let ForecastError::Blocked(b) = opp
            .set_forecast(ForecastCategory::Commit, &pipeline, &policy, &rep())
            .unwrap_err()
        else {
            panic!("expected blockers")
        };
        assert!(!b.is_empty());
        assert!(b.iter().all(|b| DEBT_KINDS.contains(&b.kind)));
        sample::fill_stage(&mut opp, pipeline.stage("tender_prep").unwrap());
        let v = opp.version;
        let events = opp
            .set_forecast(ForecastCategory::Commit, &pipeline, &policy, &rep())
            .unwrap();
        assert_eq!(
            events,
            vec![EventKind::ForecastChanged {
                from: ForecastCategory::Pipeline,
                to: ForecastCategory::Commit
            }]
        );
        assert_eq!(
            (opp.forecast, opp.version),
            (ForecastCategory::Commit, v + 1)
        );
        // The same again is no change.
        assert!(
            opp.set_forecast(ForecastCategory::Commit, &pipeline, &policy, &rep())
                .unwrap()
                .is_empty()
        );
        assert_eq!(opp.version, v + 1);
    }

    #[test]
    fn closed_is_never_chosen_and_a_closed_deal_keeps_its_category() {
        let (mut opp, pipeline, policy) = deal_in("analyze", Grade::C);
        assert!(matches!(
            opp.set_forecast(ForecastCategory::Closed, &pipeline, &policy, &rep()),
            Err(ForecastError::Blocked(_))
        ));
        opp.status = Status::Lost;
        assert_eq!(
            opp.set_forecast(ForecastCategory::BestCase, &pipeline, &policy, &rep()),
            Err(ForecastError::Op(OpError::Closed))
        );
    }

    #[test]
    fn someone_outside_the_deal_may_not_set_its_forecast() {
        let (mut opp, pipeline, policy) = deal_in("analyze", Grade::C);
        let stranger = Actor::new("u_other", &[Role::Rep]);
        assert_eq!(
            opp.set_forecast(ForecastCategory::BestCase, &pipeline, &policy, &stranger),
            Err(ForecastError::Op(OpError::Forbidden))
        );
    }

    #[test]
    fn a_stored_commit_counts_as_best_case_once_the_gate_no_longer_allows_it() {
        let (mut opp, ..) = deal_in("tender_prep", Grade::A);
        opp.forecast = ForecastCategory::Commit;
        assert_eq!(effective(&opp, true), Some(ForecastCategory::Commit));
        assert_eq!(effective(&opp, false), Some(ForecastCategory::BestCase));
        opp.status = Status::Won;
        assert_eq!(effective(&opp, false), Some(ForecastCategory::Closed));
        opp.status = Status::Lost;
        assert_eq!(effective(&opp, true), None);
    }

    #[test]
    fn gate_debt_lists_the_next_moves_unmet_requirements_by_kind_and_key() {
        let (opp, pipeline, policy) = deal_in("analyze", Grade::A);
        let debt = gate_debt(&opp, &pipeline, &policy);
        let stage = pipeline.stage("analyze").unwrap();
        let expected: Vec<(BlockerKind, Key)> =
            requirement_blockers(stage, &opp.checklist(), Grade::A)
                .into_iter()
                .map(|b| (b.kind, b.key.unwrap()))
                .collect();
        assert!(!expected.is_empty());
        assert_eq!(debt.blockers, expected);
        assert!(!debt.commit_ok);
        let mut met = opp.clone();
        sample::fill_stage(&mut met, stage);
        assert_eq!(gate_debt(&met, &pipeline, &policy).blockers, vec![]);
        let mut closed = opp;
        closed.status = Status::Won;
        assert_eq!(gate_debt(&closed, &pipeline, &policy), GateDebt::default());
    }

    #[test]
    fn medians_and_rates_of_nothing_are_none_not_zero() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 10]), Some(3));
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(1, 3), Some(33));
        assert_eq!(rate(2, 3), Some(67));
        assert_eq!(rate(1, 8), Some(13));
        assert_eq!(rate(5, 5), Some(100));
    }
}
