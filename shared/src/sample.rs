//! Ready-made values of the domain: a deal in a given stage, a stage's
//! requirements filled in. Used by tests, benchmarks and the demo seed.

use crate::checklist::{ApprovalState, ApprovalStatus, TaskState, TeamMember};
use crate::grade::{GradeView, GradingPolicy, LeadBy};
use crate::money::{Currency, Money};
use crate::opportunity::{Opportunity, Status};
use crate::pipeline::{Approver, FieldKind, Pipeline, RequiredField, Stage};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;

/// A small deterministic generator (SplitMix64): the same seed gives the
/// same sequence, so demo data and randomised tests are reproducible.
/// Never for anything secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An index into a slice of `len` items.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

/// A fixed instant, so samples are reproducible.
pub fn instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default()
}

/// An open deal in `stage` of `pipeline`, graded by `policy`, nothing filled in.
pub fn opportunity(
    pipeline: &Pipeline,
    stage: &str,
    lead_by: LeadBy,
    amount_minor: i64,
    policy: &GradingPolicy,
) -> Opportunity {
    let amount = Money::from_minor(amount_minor).unwrap_or(Money::ZERO);
    let grade = GradeView::new(policy.grade(lead_by, amount), None);
    let stage = pipeline
        .stage(stage)
        .or_else(|| pipeline.opportunity_start())
        .map(|s| s.key.clone())
        .unwrap_or_else(|| pipeline.id.clone());
    Opportunity {
        id: "opp_sample".into(),
        version: 1,
        name: "MES 系统升级".into(),
        customer: "上海明远制造有限公司".into(),
        pipeline: pipeline.id.clone(),
        stage,
        status: Status::Open,
        lead_by,
        amount,
        currency: Currency::CNY,
        expected_close: date(),
        owner_id: "u_owner".into(),
        grade,
        track: grade.effective.track(),
        grade_override: None,
        fields: BTreeMap::new(),
        tasks: BTreeMap::new(),
        approvals: BTreeMap::new(),
        team: vec![],
        skipped: vec![],
        stage_entered_at: instant(),
        lead_id: None,
        partner: None,
        contract: None,
        lost: None,
        closed_at: None,
        forecast: Default::default(),
    }
}

/// A value that fills a field of its kind.
pub fn field_value(field: &RequiredField) -> serde_json::Value {
    match field.kind {
        FieldKind::Text | FieldKind::LongText => {
            serde_json::Value::String(format!("{} ✓", field.label.en))
        }
        FieldKind::Money => serde_json::Value::from(100_000_000_i64),
        FieldKind::Date => serde_json::Value::String("2026-11-20".into()),
        FieldKind::Select => serde_json::Value::String(
            field
                .options
                .as_ref()
                .and_then(|o| o.first())
                .cloned()
                .unwrap_or_default(),
        ),
        FieldKind::Bool => serde_json::Value::Bool(true),
        FieldKind::User => serde_json::Value::String("u_owner".into()),
        FieldKind::Url => serde_json::Value::String("https://example.com/doc".into()),
    }
}

/// Fills every requirement of `stage`, for every grade: fields, tasks
/// done, approvals approved (by `u_manager`), roles staffed (by `u_<role>`).
pub fn fill_stage(opp: &mut Opportunity, stage: &Stage) {
    for f in &stage.required_fields {
        opp.fields.insert(f.key.to_string(), field_value(f));
    }
    for t in &stage.required_tasks {
        opp.tasks.insert(
            t.key.to_string(),
            TaskState {
                done: true,
                by: Some(opp.owner_id.clone()),
                at: Some(instant()),
                note: None,
            },
        );
    }
    for p in &stage.processes {
        let decided_by = match &p.approver {
            Approver::Role(r) => format!("u_{}", r.as_str()),
            Approver::TeamRole(r) => format!("u_{r}"),
        };
        opp.approvals.insert(
            p.key.to_string(),
            ApprovalState {
                status: ApprovalStatus::Approved,
                requested_by: Some(opp.owner_id.clone()),
                requested_at: Some(instant()),
                decided_by: Some(decided_by),
                decided_at: Some(instant()),
                comment: None,
            },
        );
    }
    for r in &stage.roles {
        let member = TeamMember {
            role: r.role.clone(),
            user_id: format!("u_{}", r.role),
        };
        if !opp.team.contains(&member) {
            opp.team.push(member);
        }
    }
}
