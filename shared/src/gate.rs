//! The gate: may this deal move to that target now, and if not, what
//! blocks it. `check` is the one rule; the app calls it on every edit and
//! the server calls it again before it writes. `apply` makes the move and
//! refuses exactly what `check` refuses.

use crate::builtin::{CONTRACT_AMOUNT, CONTRACT_NUMBER, SIGNED_ON};
use crate::checklist::{Checklist, Fields, Unmet};
use crate::event::EventKind;
use crate::grade::{Grade, GradingPolicy};
use crate::i18n::Localized;
use crate::money::Money;
use crate::opportunity::{Contract, LostInfo, Opportunity, Status};
use crate::pipeline::{Key, KeyError, Pipeline, Stage};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// Where a transition goes: a stage, or one of the two ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Stage(Key),
    Won,
    Lost,
    /// A closed deal opens again in the stage it closed in (managers).
    Reopen,
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, KeyError> {
        match s {
            "won" => Ok(Target::Won),
            "lost" => Ok(Target::Lost),
            "reopen" => Ok(Target::Reopen),
            other => Key::parse(other).map(Target::Stage),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Target::Stage(k) => k.as_str(),
            Target::Won => "won",
            Target::Lost => "lost",
            Target::Reopen => "reopen",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Target::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BlockerKind {
    Field,
    Task,
    Approval,
    Role,
    SkipNotAllowed,
    NotFinalStage,
    ReasonRequired,
    Closed,
    /// Reopening a deal that is not closed.
    NotClosed,
    /// Committing a deal whose stage's probability is under the commit floor.
    BelowCommitFloor,
}

/// One reason a move is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Blocker {
    /// The stage the blocker belongs to (the current stage for structural ones).
    pub stage: Key,
    pub kind: BlockerKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Key>,
    pub message: Localized,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Verdict {
    pub allowed: bool,
    pub blockers: Vec<Blocker>,
}

impl Verdict {
    fn from(blockers: Vec<Blocker>) -> Verdict {
        Verdict {
            allowed: blockers.is_empty(),
            blockers,
        }
    }
}

/// A requested move, as `POST …/transition` carries it (minus the version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Transition {
    pub to: Target,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub lost: Option<LostInfo>,
    #[serde(default)]
    pub contract: Option<Contract>,
}

impl Transition {
    /// Refuses a text the move carries that is longer than its limit
    /// (reasons 2,000 characters; a competitor and a contract number 200),
    /// naming the field.
    pub fn texts_fit(&self) -> Result<(), crate::opportunity::OpError> {
        use crate::checklist::MAX_NOTE;
        use crate::opportunity::{MAX_NAME, OpError};
        let texts = [
            ("reason", self.reason.as_deref(), MAX_NOTE),
            (
                "lost.reason",
                self.lost.as_ref().map(|l| l.reason.as_str()),
                MAX_NOTE,
            ),
            (
                "lost.competitor",
                self.lost.as_ref().and_then(|l| l.competitor.as_deref()),
                MAX_NAME,
            ),
            (
                "contract.number",
                self.contract.as_ref().map(|c| c.number.as_str()),
                MAX_NAME,
            ),
        ];
        for (field, text, max) in texts {
            if text.is_some_and(|t| t.trim().chars().count() > max) {
                return Err(OpError::TooLong { field, max });
            }
        }
        Ok(())
    }

    pub fn to(target: Target) -> Transition {
        Transition {
            to: target,
            reason: None,
            lost: None,
            contract: None,
        }
    }
}

/// The blockers for a stage's unmet requirements, in framework order. Each
/// one's message is the requirement's own label (its `kind` says whether it
/// is a field to fill, a task to do, an approval or a role to staff).
pub fn requirement_blockers(
    stage: &Stage,
    checklist: &Checklist<'_>,
    grade: Grade,
) -> Vec<Blocker> {
    let mut out = Vec::new();
    push_requirement_blockers(&mut out, stage, checklist, grade);
    out
}

fn push_requirement_blockers(
    out: &mut Vec<Blocker>,
    stage: &Stage,
    checklist: &Checklist<'_>,
    grade: Grade,
) {
    checklist.each_unmet(stage, grade, |u| {
        let (kind, key, message) = match u {
            Unmet::Field(f) => (BlockerKind::Field, &f.key, f.label.clone()),
            Unmet::Task(t) => (BlockerKind::Task, &t.key, t.label.clone()),
            Unmet::Approval(p) => (BlockerKind::Approval, &p.key, p.label.clone()),
            Unmet::Role(r) => (
                BlockerKind::Role,
                &r.role,
                Localized::new(r.role.as_str(), r.role.as_str()),
            ),
        };
        out.push(Blocker {
            stage: stage.key.clone(),
            kind,
            key: Some(key.clone()),
            message,
        });
    });
}

/// Blockers for the contract fields a win still lacks and that the stage's
/// own requirements did not already list (a pipeline may not require them,
/// or only for some grades; a win records a contract all the same).
fn push_contract_blockers(out: &mut Vec<Blocker>, stage: &Stage, fields: &Fields) {
    let labels = [
        (CONTRACT_NUMBER, "合同编号", "Contract number"),
        (CONTRACT_AMOUNT, "合同金额", "Contract amount"),
        (SIGNED_ON, "签约日期", "Signing date"),
    ];
    for (key, zh, en) in labels {
        let listed = out
            .iter()
            .any(|b| b.kind == BlockerKind::Field && b.key.as_ref().is_some_and(|k| k == key));
        let filled = contract_field_valid(key, fields);
        if listed || filled {
            continue;
        }
        let Ok(key) = Key::parse(key) else { continue };
        let message = stage
            .required_fields
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.label.clone())
            .unwrap_or_else(|| Localized::new(zh, en));
        out.push(Blocker {
            stage: stage.key.clone(),
            kind: BlockerKind::Field,
            key: Some(key),
            message,
        });
    }
}

/// The contract's three parts as the deal's fields hold them, each read
/// once here for both the win's blockers and the contract it records.
fn contract_number(fields: &Fields) -> Option<String> {
    let n = fields.get(CONTRACT_NUMBER)?.as_str()?.trim();
    (!n.is_empty()).then(|| n.to_string())
}

fn contract_amount(fields: &Fields) -> Option<Money> {
    Money::from_minor(fields.get(CONTRACT_AMOUNT)?.as_i64()?).ok()
}

fn contract_signed_on(fields: &Fields) -> Option<NaiveDate> {
    crate::checklist::parse_date(fields.get(SIGNED_ON)?.as_str()?)
}

fn contract_field_valid(key: &str, fields: &Fields) -> bool {
    match key {
        CONTRACT_NUMBER => contract_number(fields).is_some(),
        CONTRACT_AMOUNT => contract_amount(fields).is_some(),
        SIGNED_ON => contract_signed_on(fields).is_some(),
        _ => false,
    }
}

fn structural(stage: &Key, kind: BlockerKind, key: Option<&Key>, zh: &str, en: &str) -> Blocker {
    Blocker {
        stage: stage.clone(),
        kind,
        key: key.cloned(),
        message: Localized::new(zh, en),
    }
}

/// The deal's fields as they would be with the contract of a `won` move.
fn fields_with_contract<'a>(fields: &'a Fields, contract: Option<&Contract>) -> Cow<'a, Fields> {
    match contract {
        None => Cow::Borrowed(fields),
        Some(c) => {
            let mut f = fields.clone();
            f.insert(
                CONTRACT_NUMBER.into(),
                serde_json::Value::String(c.number.trim().to_string()),
            );
            f.insert(
                CONTRACT_AMOUNT.into(),
                serde_json::Value::from(c.amount.minor()),
            );
            f.insert(
                SIGNED_ON.into(),
                serde_json::Value::String(c.signed_on.to_string()),
            );
            Cow::Owned(f)
        }
    }
}

/// The contract a `won` move records: the one the request carries, else
/// the one the deal's contract fields already hold. `None` when neither
/// forms a whole contract (number, amount, signing date): a win must always
/// record its contract.
pub fn contract_of(fields: &Fields, sent: Option<&Contract>) -> Option<Contract> {
    if let Some(c) = sent {
        return Some(Contract {
            number: c.number.trim().to_string(),
            ..c.clone()
        });
    }
    Some(Contract {
        number: contract_number(fields)?,
        amount: contract_amount(fields)?,
        signed_on: contract_signed_on(fields)?,
    })
}

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

/// May `opp` make `transition` now? Pure and deterministic; blockers come
/// structural first, then requirements in stage order and framework order.
pub fn check(
    opp: &Opportunity,
    pipeline: &Pipeline,
    policy: &GradingPolicy,
    transition: &Transition,
) -> Verdict {
    let here = &opp.stage;
    if transition.to == Target::Reopen {
        return Verdict::from(reopen_blockers(opp, pipeline, transition));
    }
    if opp.status != Status::Open {
        return Verdict::from(vec![structural(
            here,
            BlockerKind::Closed,
            None,
            "商机已关闭，不能再变更阶段",
            "The deal is closed; it cannot move",
        )]);
    }
    let Some(current) = pipeline.index_of(here.as_str()) else {
        return Verdict::from(vec![structural(
            here,
            BlockerKind::SkipNotAllowed,
            None,
            "商机所在阶段已不在流程中，请先移回有效阶段",
            "The deal's stage is no longer in its pipeline; move it back to a valid stage",
        )]);
    };
    let grade = opp.grade_now(policy).effective;
    let track = grade.track();
    let fields = fields_with_contract(&opp.fields, transition.contract.as_ref());
    let checklist = Checklist {
        fields: &fields,
        ..opp.checklist()
    };
    let stage_at = |i: usize| &pipeline.stages[i];
    let last = pipeline.stages.len() - 1;

    let blockers = match &transition.to {
        Target::Reopen => reopen_blockers(opp, pipeline, transition),
        Target::Lost => {
            if blank(transition.lost.as_ref().map(|l| l.reason.as_str())) {
                vec![structural(
                    here,
                    BlockerKind::ReasonRequired,
                    None,
                    "输单需要填写原因",
                    "A lost deal needs a reason",
                )]
            } else {
                vec![]
            }
        }
        Target::Won => {
            if current != last {
                vec![structural(
                    here,
                    BlockerKind::NotFinalStage,
                    None,
                    "只能在最后阶段赢单",
                    "A deal is won only from the final stage",
                )]
            } else {
                // On the full track every stage after verification must be
                // met, including any skipped before an upgrade; else only the final one.
                let from = if track.may_skip() { last } else { 1.min(last) };
                let mut out = Vec::new();
                for i in from..=last {
                    push_requirement_blockers(&mut out, stage_at(i), &checklist, grade);
                }
                if contract_of(&fields, None).is_none() {
                    push_contract_blockers(&mut out, stage_at(last), &fields);
                }
                out
            }
        }
        Target::Stage(key) => match pipeline.index_of(key.as_str()) {
            None => vec![structural(
                here,
                BlockerKind::SkipNotAllowed,
                Some(key),
                "流程中没有该阶段",
                "No such stage in this pipeline",
            )],
            Some(0) => vec![structural(
                here,
                BlockerKind::SkipNotAllowed,
                Some(key),
                "第一阶段（验证商机）在线索上完成，商机不能移回",
                "Stage 1 (verification) lives on the lead; a deal cannot move back to it",
            )],
            Some(t) if t == current => vec![structural(
                here,
                BlockerKind::SkipNotAllowed,
                Some(key),
                "商机已在该阶段",
                "The deal is already in this stage",
            )],
            Some(t) if t < current => {
                if blank(transition.reason.as_deref()) {
                    vec![structural(
                        here,
                        BlockerKind::ReasonRequired,
                        None,
                        "移回之前的阶段需要填写原因",
                        "Moving back needs a reason",
                    )]
                } else {
                    vec![]
                }
            }
            Some(t) => {
                let jump_ok = t == current + 1
                    || (track.may_skip()
                        && (t == last
                            || pipeline.stages[current + 1..t].iter().all(|s| s.skippable)));
                let mut out = Vec::new();
                if !jump_ok {
                    out.push(if track.may_skip() {
                        structural(
                            here,
                            BlockerKind::SkipNotAllowed,
                            Some(key),
                            "快速通道只能直接跳到最后阶段，或跳过可跳过的阶段",
                            "A fast-track deal may jump only to the final stage, or over skippable stages",
                        )
                    } else {
                        structural(
                            here,
                            BlockerKind::SkipNotAllowed,
                            Some(key),
                            "A/B 类商机须逐阶段推进，不能跳过阶段",
                            "A/B deals follow every stage; they cannot skip",
                        )
                    });
                }
                push_requirement_blockers(&mut out, stage_at(current), &checklist, grade);
                out
            }
        },
    };
    Verdict::from(blockers)
}

/// The verdict at `now`: [`check`], and a win's contract not signed after
/// today ([`future_signing`]). What `apply` refuses, and what the app shows
/// wherever the clock matters (a win).
pub fn check_at(
    opp: &Opportunity,
    pipeline: &Pipeline,
    policy: &GradingPolicy,
    transition: &Transition,
    now: DateTime<Utc>,
) -> Verdict {
    let verdict = check(opp, pipeline, policy, transition);
    if !verdict.allowed {
        return verdict;
    }
    match future_signing(opp, transition, now) {
        Some(future) => Verdict::from(vec![future]),
        None => verdict,
    }
}

/// A win records a signing that happened: a contract signed after today is
/// refused. "Today" is the latest date anywhere on Earth at `now` (UTC + 1
/// day), so a rep in Beijing signing this morning is never refused.
pub fn future_signing(
    opp: &Opportunity,
    transition: &Transition,
    now: DateTime<Utc>,
) -> Option<Blocker> {
    if transition.to != Target::Won {
        return None;
    }
    let fields = fields_with_contract(&opp.fields, transition.contract.as_ref());
    let contract = contract_of(&fields, None)?;
    let latest_today = now.date_naive().succ_opt()?;
    (contract.signed_on > latest_today).then(|| Blocker {
        stage: opp.stage.clone(),
        kind: BlockerKind::Field,
        key: Key::parse(SIGNED_ON).ok(),
        message: Localized::new(
            "签约日期不能晚于今天",
            "The signing date cannot be in the future",
        ),
    })
}

/// What refuses a reopen: a deal that is open, a stage gone from the
/// pipeline since the deal closed in it, a missing reason.
fn reopen_blockers(
    opp: &Opportunity,
    pipeline: &Pipeline,
    transition: &Transition,
) -> Vec<Blocker> {
    let here = &opp.stage;
    let mut out = Vec::new();
    if opp.status == Status::Open {
        out.push(structural(
            here,
            BlockerKind::NotClosed,
            None,
            "商机未关闭，无需重新打开",
            "The deal is open; there is nothing to reopen",
        ));
    } else if pipeline.index_of(here.as_str()).is_none() {
        out.push(structural(
            here,
            BlockerKind::SkipNotAllowed,
            None,
            "商机关闭时所在的阶段已不在流程中",
            "The stage the deal closed in is no longer in its pipeline",
        ));
    }
    if blank(transition.reason.as_deref()) {
        out.push(structural(
            here,
            BlockerKind::ReasonRequired,
            None,
            "重新打开商机需要填写原因",
            "Reopening a deal needs a reason",
        ));
    }
    out
}

/// Makes the move `check` allows: the new state (version bumped) and its
/// events. Refuses with the same verdict when `check` does not allow it.
pub fn apply(
    opp: &Opportunity,
    pipeline: &Pipeline,
    policy: &GradingPolicy,
    transition: &Transition,
    now: DateTime<Utc>,
) -> Result<(Opportunity, Vec<EventKind>), Verdict> {
    let verdict = check_at(opp, pipeline, policy, transition, now);
    if !verdict.allowed {
        return Err(verdict);
    }
    let mut next = opp.clone();
    let mut events = Vec::new();
    next.regrade(policy);
    let current = pipeline.index_of(opp.stage.as_str()).unwrap_or_default();
    match &transition.to {
        Target::Lost => {
            let lost = transition.lost.clone().map(|l| LostInfo {
                reason: l.reason.trim().to_string(),
                competitor: l
                    .competitor
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            });
            if let Some(l) = &lost {
                events.push(EventKind::Lost {
                    reason: l.reason.clone(),
                    competitor: l.competitor.clone(),
                });
            }
            next.status = Status::Lost;
            next.lost = lost;
            next.closed_at = Some(now);
        }
        Target::Won => {
            next.fields =
                fields_with_contract(&opp.fields, transition.contract.as_ref()).into_owned();
            // `check` refused a win that forms no contract; the fallback is
            // unreachable, and never skips the event.
            let contract = contract_of(&next.fields, transition.contract.as_ref())
                .ok_or_else(|| check(opp, pipeline, policy, transition))?;
            events.push(EventKind::Won {
                contract: contract.clone(),
            });
            next.contract = Some(contract);
            next.status = Status::Won;
            next.closed_at = Some(now);
        }
        Target::Reopen => {
            events.push(EventKind::Reopened {
                from: opp.status,
                reason: transition
                    .reason
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            });
            next.status = Status::Open;
            next.closed_at = None;
            next.lost = None;
            next.contract = None;
            next.stage_entered_at = now;
        }
        Target::Stage(key) => {
            let target = pipeline.index_of(key.as_str()).unwrap_or(current);
            if target < current {
                events.push(EventKind::MovedBack {
                    from: opp.stage.clone(),
                    to: key.clone(),
                    reason: transition
                        .reason
                        .as_deref()
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                });
                // Stages from the target on are ahead again: no longer "skipped".
                next.skipped
                    .retain(|s| pipeline.index_of(s.as_str()).is_some_and(|i| i < target));
            } else {
                for s in &pipeline.stages[current + 1..target] {
                    if !next.skipped.contains(&s.key) {
                        next.skipped.push(s.key.clone());
                    }
                    events.push(EventKind::StageSkipped {
                        stage: s.key.clone(),
                    });
                }
                next.skipped.retain(|s| s != key);
                next.skipped
                    .sort_by_key(|s| pipeline.index_of(s.as_str()).unwrap_or(usize::MAX));
                events.push(EventKind::StageAdvanced {
                    from: opp.stage.clone(),
                    to: key.clone(),
                });
            }
            next.stage = key.clone();
            next.stage_entered_at = now;
        }
    }
    next.version += 1;
    Ok((next, events))
}

/// Where "advance" takes the deal from its current stage: the next stage,
/// or won from the final one. `None` when its stage is not in the pipeline.
pub fn advance_target(opp: &Opportunity, pipeline: &Pipeline) -> Option<Target> {
    let here = pipeline.index_of(opp.stage.as_str())?;
    Some(match pipeline.stages.get(here + 1) {
        Some(next) => Target::Stage(next.key.clone()),
        None => Target::Won,
    })
}

/// Where each stage stands for a deal, for the stage path in the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StageProgress {
    Done,
    Current,
    Skipped,
    Ahead,
}

pub fn progress(opp: &Opportunity, pipeline: &Pipeline) -> Vec<StageProgress> {
    let current = pipeline.index_of(opp.stage.as_str()).unwrap_or(0);
    pipeline
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if opp.skipped.contains(&s.key) {
                StageProgress::Skipped
            } else if i < current || (i == current && opp.status == Status::Won) {
                StageProgress::Done
            } else if i == current {
                StageProgress::Current
            } else {
                StageProgress::Ahead
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::{self, CONTRACT_NUMBER, SIGNED_ON};
    use crate::grade::{Grade, LeadBy};
    use crate::opportunity::GradeOverride;
    use crate::sample::{self, fill_stage, instant};

    const B_DEAL: i64 = 200_000_000; // 2,000,000 CNY: B by default
    const C_DEAL: i64 = 50_000_000; // 500,000 CNY: C
    const A_DEAL: i64 = 800_000_000; // 8,000,000 CNY: A

    fn policy() -> GradingPolicy {
        GradingPolicy::default()
    }

    fn deal(stage: &str, amount: i64) -> (Opportunity, Pipeline) {
        let p = builtin::tender();
        (
            sample::opportunity(&p, stage, LeadBy::Us, amount, &policy()),
            p,
        )
    }

    fn to(stage: &str) -> Transition {
        Transition::to(Target::Stage(Key::parse(stage).unwrap()))
    }

    #[test]
    fn advancing_goes_to_the_next_stage_and_from_the_final_one_to_won() {
        let (mut opp, p) = deal("initiate", B_DEAL);
        assert_eq!(advance_target(&opp, &p), Some(to("analyze").to));
        opp.stage = p.last().unwrap().key.clone();
        assert_eq!(advance_target(&opp, &p), Some(Target::Won));
        opp.stage = Key::parse("gone").unwrap();
        assert_eq!(advance_target(&opp, &p), None);
    }

    #[test]
    fn days_in_stage_are_whole_days_since_entry_never_negative() {
        let (opp, _) = deal("initiate", B_DEAL);
        let entered = opp.stage_entered_at;
        assert_eq!(opp.days_in_stage(entered + chrono::Duration::hours(71)), 2);
        assert_eq!(opp.days_in_stage(entered - chrono::Duration::days(1)), 0);
    }

    #[test]
    fn progress_counts_the_met_requirements_of_the_grade() {
        let (mut opp, p) = deal("initiate", B_DEAL);
        let stage = p.stage("initiate").unwrap().clone();
        let (met, total) = opp.checklist().progress(&stage, Grade::B);
        assert_eq!((met, total), (0, stage.requirement_count(Some(Grade::B))));
        fill_stage(&mut opp, &stage);
        assert_eq!(opp.checklist().progress(&stage, Grade::B), (total, total));
    }

    fn fill(opp: &mut Opportunity, p: &Pipeline, stage: &str) {
        fill_stage(opp, p.stage(stage).unwrap());
    }

    fn kinds(v: &Verdict) -> Vec<(String, BlockerKind, Option<String>)> {
        v.blockers
            .iter()
            .map(|b| {
                (
                    b.stage.to_string(),
                    b.kind,
                    b.key.as_ref().map(|k| k.to_string()),
                )
            })
            .collect()
    }

    fn contract() -> Contract {
        Contract {
            number: "HT-2027-001".into(),
            amount: Money::from_minor(B_DEAL).unwrap(),
            signed_on: sample::date(),
        }
    }

    use crate::money::Money;

    #[test]
    fn next_stage_lists_the_current_stages_unmet_requirements_in_framework_order() {
        let (opp, p) = deal("initiate", B_DEAL);
        let v = check(&opp, &p, &policy(), &to("analyze"));
        assert!(!v.allowed);
        let s = |k: &str| Some(k.to_string());
        assert_eq!(
            kinds(&v),
            vec![
                ("initiate".into(), BlockerKind::Field, s("decision_chain")),
                ("initiate".into(), BlockerKind::Field, s("project_budget")),
                ("initiate".into(), BlockerKind::Task, s("initiation_report")),
                (
                    "initiate".into(),
                    BlockerKind::Approval,
                    s("initiation_review")
                ),
                ("initiate".into(), BlockerKind::Role, s("presales")),
            ]
        );
        assert!(v.blockers.iter().all(|b| b.message.is_complete()));
    }

    #[test]
    fn next_stage_is_allowed_once_the_exit_is_met() {
        let (mut opp, p) = deal("initiate", B_DEAL);
        fill(&mut opp, &p, "initiate");
        let v = check(&opp, &p, &policy(), &to("analyze"));
        assert_eq!(
            v,
            Verdict {
                allowed: true,
                blockers: vec![]
            }
        );
    }

    #[test]
    fn requirements_for_big_deals_do_not_block_small_ones() {
        let (mut opp, p) = deal("initiate", C_DEAL);
        // C needs decision chain and budget, not the report, review or presales.
        opp.fields
            .insert("decision_chain".into(), "CIO → CFO".into());
        opp.fields
            .insert("project_budget".into(), 50_000_000.into());
        assert!(check(&opp, &p, &policy(), &to("analyze")).allowed);
    }

    #[test]
    fn skip_is_refused_on_the_full_track() {
        let (mut opp, p) = deal("initiate", B_DEAL);
        fill(&mut opp, &p, "initiate");
        let v = check(&opp, &p, &policy(), &to("negotiate"));
        assert_eq!(
            kinds(&v),
            vec![(
                "initiate".into(),
                BlockerKind::SkipNotAllowed,
                Some("negotiate".into())
            )]
        );
    }

    #[test]
    fn fast_track_skips_to_the_final_stage_only_once_the_current_exit_is_met() {
        let (mut opp, p) = deal("initiate", C_DEAL);
        let before = check(&opp, &p, &policy(), &to("negotiate"));
        assert!(!before.allowed);
        assert!(before.blockers.iter().all(|b| b.kind == BlockerKind::Field));
        fill(&mut opp, &p, "initiate");
        assert!(check(&opp, &p, &policy(), &to("negotiate")).allowed);
    }

    #[test]
    fn fast_track_may_not_jump_to_a_middle_stage_over_an_unskippable_one() {
        let mut p = builtin::tender();
        p.stages[3].skippable = false; // present
        let mut opp = sample::opportunity(&p, "initiate", LeadBy::Us, C_DEAL, &policy());
        fill(&mut opp, &p, "initiate");
        let v = check(&opp, &p, &policy(), &to("tender_prep"));
        assert_eq!(
            kinds(&v),
            vec![(
                "initiate".into(),
                BlockerKind::SkipNotAllowed,
                Some("tender_prep".into())
            )]
        );
        // Over skippable stages only, it may.
        assert!(check(&opp, &p, &policy(), &to("present")).allowed);
        p.stages[3].skippable = true;
        assert!(check(&opp, &p, &policy(), &to("tender_prep")).allowed);
    }

    #[test]
    fn partner_deals_may_jump_to_the_final_stage_like_fast_ones() {
        let p = builtin::tender();
        let mut opp = sample::opportunity(&p, "initiate", LeadBy::Partner, A_DEAL, &policy());
        assert_eq!(opp.grade.effective, Grade::E);
        fill(&mut opp, &p, "initiate");
        assert!(check(&opp, &p, &policy(), &to("negotiate")).allowed);
    }

    #[test]
    fn skipping_records_the_skipped_stages_and_their_events() {
        let (mut opp, p) = deal("initiate", C_DEAL);
        fill(&mut opp, &p, "initiate");
        let (next, events) = apply(&opp, &p, &policy(), &to("negotiate"), instant()).unwrap();
        assert_eq!(next.stage, "negotiate");
        let skipped: Vec<_> = next.skipped.iter().map(|k| k.to_string()).collect();
        assert_eq!(skipped, ["analyze", "present", "tender_prep", "bidding"]);
        assert_eq!(next.version, opp.version + 1);
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, EventKind::StageSkipped { .. }))
                .count(),
            4
        );
        assert!(matches!(
            events.last(),
            Some(EventKind::StageAdvanced { .. })
        ));
    }

    #[test]
    fn an_upgrade_after_a_skip_turns_the_skipped_stages_into_blockers_for_won() {
        let (mut opp, p) = deal("initiate", C_DEAL);
        fill(&mut opp, &p, "initiate");
        let (mut opp, _) = apply(&opp, &p, &policy(), &to("negotiate"), instant()).unwrap();
        fill(&mut opp, &p, "negotiate");
        let mut won = Transition::to(Target::Won);
        won.contract = Some(contract());
        assert!(
            check(&opp, &p, &policy(), &won).allowed,
            "C deal wins from the final stage"
        );

        opp.grade_override = Some(GradeOverride {
            grade: Grade::A,
            reason: "showcase customer".into(),
            by: "u_manager".into(),
            at: instant(),
        });
        let v = check(&opp, &p, &policy(), &won);
        assert!(!v.allowed);
        let stages: std::collections::BTreeSet<_> =
            v.blockers.iter().map(|b| b.stage.as_str()).collect();
        for skipped in ["analyze", "present", "tender_prep", "bidding"] {
            assert!(
                stages.contains(skipped),
                "{skipped} does not block: {:?}",
                kinds(&v)
            );
        }
        assert!(!stages.contains("negotiate"));
    }

    #[test]
    fn won_only_from_the_final_stage() {
        let (mut opp, p) = deal("bidding", C_DEAL);
        fill(&mut opp, &p, "bidding");
        let v = check(&opp, &p, &policy(), &Transition::to(Target::Won));
        assert_eq!(
            kinds(&v),
            vec![("bidding".into(), BlockerKind::NotFinalStage, None)]
        );
    }

    #[test]
    fn won_needs_the_contract_number_amount_and_signing_date() {
        let (mut opp, p) = deal("negotiate", C_DEAL);
        opp.tasks.insert(
            "contract_draft".into(),
            crate::checklist::TaskState {
                done: true,
                ..Default::default()
            },
        );
        let bare = check(&opp, &p, &policy(), &Transition::to(Target::Won));
        let keys: Vec<_> = bare.blockers.iter().filter_map(|b| b.key.clone()).collect();
        assert_eq!(keys, ["contract_number", "contract_amount", "signed_on"]);

        let mut won = Transition::to(Target::Won);
        won.contract = Some(contract());
        let (next, events) = apply(&opp, &p, &policy(), &won, instant()).unwrap();
        assert_eq!(next.status, Status::Won);
        assert_eq!(next.fields[CONTRACT_NUMBER], "HT-2027-001");
        assert_eq!(next.contract, Some(contract()));
        assert!(matches!(events[..], [EventKind::Won { .. }]));
    }

    #[test]
    fn a_win_from_filled_contract_fields_records_that_contract_and_its_event() {
        let (mut opp, p) = deal("negotiate", C_DEAL);
        fill(&mut opp, &p, "negotiate");
        let (next, events) =
            apply(&opp, &p, &policy(), &Transition::to(Target::Won), instant()).unwrap();
        let recorded = next.contract.clone().expect("a won deal has its contract");
        assert_eq!(Some(recorded.clone()), contract_of(&opp.fields, None));
        assert!(matches!(&events[..], [EventKind::Won { contract }] if *contract == recorded));
    }

    #[test]
    fn a_win_that_forms_no_contract_is_blocked_even_where_the_stage_does_not_require_one() {
        let (mut opp, mut p) = deal("negotiate", C_DEAL);
        fill(&mut opp, &p, "negotiate");
        let last = p.stages.len() - 1;
        p.stages[last]
            .required_fields
            .retain(|f| f.key != CONTRACT_NUMBER);
        opp.fields.remove(CONTRACT_NUMBER);
        let v = check(&opp, &p, &policy(), &Transition::to(Target::Won));
        assert_eq!(
            kinds(&v),
            vec![(
                "negotiate".into(),
                BlockerKind::Field,
                Some(CONTRACT_NUMBER.to_string())
            )]
        );
        assert!(apply(&opp, &p, &policy(), &Transition::to(Target::Won), instant()).is_err());
    }

    #[test]
    fn won_on_the_full_track_needs_every_earlier_stage_met() {
        let (mut opp, p) = deal("negotiate", B_DEAL);
        fill(&mut opp, &p, "negotiate");
        let v = check(&opp, &p, &policy(), &Transition::to(Target::Won));
        assert!(!v.allowed);
        assert!(
            v.blockers
                .iter()
                .all(|b| b.stage != "negotiate" && b.stage != "verify")
        );
        for s in ["initiate", "analyze", "present", "tender_prep", "bidding"] {
            fill(&mut opp, &p, s);
        }
        assert!(check(&opp, &p, &policy(), &Transition::to(Target::Won)).allowed);
    }

    #[test]
    fn moving_back_needs_a_reason() {
        let (opp, p) = deal("analyze", B_DEAL);
        let v = check(&opp, &p, &policy(), &to("initiate"));
        assert_eq!(
            kinds(&v),
            vec![("analyze".into(), BlockerKind::ReasonRequired, None)]
        );
        let mut back = to("initiate");
        back.reason = Some("   ".into());
        assert!(!check(&opp, &p, &policy(), &back).allowed);
        back.reason = Some("customer reopened scope".into());
        let (next, events) = apply(&opp, &p, &policy(), &back, instant()).unwrap();
        assert_eq!(next.stage, "initiate");
        assert!(
            matches!(&events[..], [EventKind::MovedBack { reason, .. }] if reason == "customer reopened scope")
        );
    }

    #[test]
    fn a_deal_cannot_move_to_stage_one_its_own_stage_or_an_unknown_stage() {
        let (opp, p) = deal("analyze", B_DEAL);
        for target in ["verify", "analyze", "nowhere"] {
            let mut t = to(target);
            t.reason = Some("because".into());
            let v = check(&opp, &p, &policy(), &t);
            assert_eq!(
                kinds(&v),
                vec![(
                    "analyze".into(),
                    BlockerKind::SkipNotAllowed,
                    Some(target.into())
                )]
            );
        }
    }

    #[test]
    fn lost_needs_a_reason_and_is_allowed_from_any_open_stage() {
        let (opp, p) = deal("present", B_DEAL);
        let v = check(&opp, &p, &policy(), &Transition::to(Target::Lost));
        assert_eq!(
            kinds(&v),
            vec![("present".into(), BlockerKind::ReasonRequired, None)]
        );
        let mut lost = Transition::to(Target::Lost);
        lost.lost = Some(LostInfo {
            reason: "price".into(),
            competitor: Some("  ".into()),
        });
        let (next, _) = apply(&opp, &p, &policy(), &lost, instant()).unwrap();
        assert_eq!(next.status, Status::Lost);
        assert_eq!(next.lost.as_ref().unwrap().competitor, None);
    }

    #[test]
    fn a_lost_deal_reopens_in_its_stage_with_a_reason_and_an_open_one_does_not() {
        let (opp, p) = deal("present", B_DEAL);
        let mut reopen = Transition::to(Target::Reopen);
        reopen.reason = Some(" customer came back ".into());
        let v = check(&opp, &p, &policy(), &reopen);
        assert_eq!(
            kinds(&v),
            vec![("present".into(), BlockerKind::NotClosed, None)]
        );
        let mut lost = Transition::to(Target::Lost);
        lost.lost = Some(LostInfo {
            reason: "price".into(),
            competitor: None,
        });
        let (closed, _) = apply(&opp, &p, &policy(), &lost, instant()).unwrap();
        let v = check(&closed, &p, &policy(), &Transition::to(Target::Reopen));
        assert_eq!(
            kinds(&v),
            vec![("present".into(), BlockerKind::ReasonRequired, None)]
        );
        let later = instant() + chrono::Duration::days(3);
        let (open, events) = apply(&closed, &p, &policy(), &reopen, later).unwrap();
        assert_eq!(
            (
                open.status,
                open.stage.as_str(),
                open.lost.clone(),
                open.closed_at
            ),
            (Status::Open, "present", None, None)
        );
        assert_eq!(open.stage_entered_at, later);
        assert_eq!(open.version, closed.version + 1);
        assert_eq!(
            events,
            vec![EventKind::Reopened {
                from: Status::Lost,
                reason: "customer came back".into()
            }]
        );
        // Once open, it moves like any other deal again.
        assert!(check(&open, &p, &policy(), &lost).allowed);
    }

    #[test]
    fn a_reopen_into_a_stage_gone_from_the_pipeline_is_refused() {
        let (mut opp, p) = deal("present", B_DEAL);
        opp.status = Status::Won;
        opp.stage = Key::parse("gone").unwrap();
        let mut reopen = Transition::to(Target::Reopen);
        reopen.reason = Some("x".into());
        let v = check(&opp, &p, &policy(), &reopen);
        assert_eq!(
            kinds(&v),
            vec![("gone".into(), BlockerKind::SkipNotAllowed, None)]
        );
    }

    #[test]
    fn a_moves_texts_over_their_limits_are_named() {
        let mut lost = Transition::to(Target::Lost);
        lost.lost = Some(LostInfo {
            reason: "r".repeat(2_000),
            competitor: Some("c".repeat(201)),
        });
        assert_eq!(
            lost.texts_fit(),
            Err(crate::opportunity::OpError::TooLong {
                field: "lost.competitor",
                max: 200
            })
        );
        lost.lost.as_mut().unwrap().competitor = None;
        assert_eq!(lost.texts_fit(), Ok(()));
        let mut back = to("initiate");
        back.reason = Some("长".repeat(2_001));
        assert_eq!(
            back.texts_fit(),
            Err(crate::opportunity::OpError::TooLong {
                field: "reason",
                max: 2_000
            })
        );
    }

    #[test]
    fn a_contract_signed_after_today_is_refused_and_today_anywhere_is_not() {
        let (mut opp, p) = deal("negotiate", C_DEAL);
        fill(&mut opp, &p, "negotiate");
        let now = instant();
        let mut won = Transition::to(Target::Won);
        let mut signed = |days: i64| {
            won.contract = Some(Contract {
                signed_on: now.date_naive() + chrono::Duration::days(days),
                ..contract()
            });
            won.clone()
        };
        for ok in [-30, 0, 1] {
            assert!(
                apply(&opp, &p, &policy(), &signed(ok), now).is_ok(),
                "{ok} days"
            );
        }
        let refused = apply(&opp, &p, &policy(), &signed(2), now).unwrap_err();
        assert_eq!(
            kinds(&refused),
            vec![(
                "negotiate".into(),
                BlockerKind::Field,
                Some(SIGNED_ON.into())
            )]
        );
        assert!(future_signing(&opp, &signed(2), now).is_some());
        // The verdict the app shows at the clock is the one apply gives.
        assert_eq!(check_at(&opp, &p, &policy(), &signed(2), now), refused);
        assert!(check_at(&opp, &p, &policy(), &signed(0), now).allowed);
        assert!(future_signing(&opp, &to("negotiate"), now).is_none());
    }

    #[test]
    fn nothing_moves_a_closed_deal() {
        let (mut opp, p) = deal("negotiate", C_DEAL);
        opp.status = Status::Won;
        let mut back = to("initiate");
        back.reason = Some("oops".into());
        for t in [
            to("bidding"),
            back,
            Transition::to(Target::Won),
            Transition::to(Target::Lost),
        ] {
            let v = check(&opp, &p, &policy(), &t);
            assert_eq!(
                kinds(&v),
                vec![("negotiate".into(), BlockerKind::Closed, None)]
            );
            assert_eq!(apply(&opp, &p, &policy(), &t, instant()), Err(v));
        }
    }

    #[test]
    fn the_gate_uses_the_grade_the_policy_gives_now_not_the_stored_one() {
        let (mut opp, p) = deal("initiate", C_DEAL);
        fill(&mut opp, &p, "initiate");
        // Stored says C; a stricter policy makes the same amount D: still fast.
        let strict = GradingPolicy::new(
            Money::from_minor(900_000_000).unwrap(),
            Money::from_minor(800_000_000).unwrap(),
            Money::from_minor(700_000_000).unwrap(),
        )
        .unwrap();
        assert!(check(&opp, &p, &strict, &to("negotiate")).allowed);
        // A looser policy makes it A: full track, no skipping.
        let loose = GradingPolicy::new(
            Money::from_minor(1_000).unwrap(),
            Money::from_minor(500).unwrap(),
            Money::from_minor(100).unwrap(),
        )
        .unwrap();
        assert!(!check(&opp, &p, &loose, &to("negotiate")).allowed);
    }

    #[test]
    fn moving_back_before_skipped_stages_clears_them() {
        let (mut opp, p) = deal("initiate", C_DEAL);
        fill(&mut opp, &p, "initiate");
        let (opp, _) = apply(&opp, &p, &policy(), &to("negotiate"), instant()).unwrap();
        let mut back = to("analyze");
        back.reason = Some("upgrade coming".into());
        let (next, _) = apply(&opp, &p, &policy(), &back, instant()).unwrap();
        assert!(next.skipped.is_empty());
    }

    #[test]
    fn progress_marks_done_current_skipped_and_ahead() {
        let (mut opp, p) = deal("initiate", C_DEAL);
        fill(&mut opp, &p, "initiate");
        let (opp, _) = apply(&opp, &p, &policy(), &to("negotiate"), instant()).unwrap();
        use StageProgress::*;
        assert_eq!(
            progress(&opp, &p),
            vec![Done, Done, Skipped, Skipped, Skipped, Skipped, Current]
        );
    }

    #[test]
    fn target_parses_ends_and_stage_keys() {
        assert_eq!(Target::parse("won").unwrap(), Target::Won);
        assert_eq!(Target::parse("lost").unwrap(), Target::Lost);
        assert!(matches!(
            Target::parse("analyze").unwrap(),
            Target::Stage(_)
        ));
        assert!(Target::parse("Analyze!").is_err());
    }
}
