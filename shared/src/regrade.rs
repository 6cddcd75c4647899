//! Regrading when an admin changes the thresholds: which open deals would
//! change grade or track (and which would then be blocked), how many deals
//! each grade would hold, and what a saved change writes to each deal.

use crate::event::EventKind;
use crate::grade::{Grade, GradeView, GradingPolicy, LeadBy, Track};
use crate::i18n::Localized;
use crate::money::Money;
use crate::validate::FieldIssue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What regrading needs to know of an open deal (a light read: no document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradedDeal {
    pub id: String,
    pub name: String,
    pub lead_by: LeadBy,
    pub amount: Money,
    pub override_grade: Option<Grade>,
    /// The computed and effective grades stored now.
    pub computed: Grade,
    pub effective: Grade,
    /// Stages it skipped on a fast or partner track.
    pub skipped: usize,
}

impl GradedDeal {
    pub fn grade_under(&self, policy: &GradingPolicy) -> GradeView {
        GradeView::new(policy.grade(self.lead_by, self.amount), self.override_grade)
    }

    pub fn effective_under(&self, policy: &GradingPolicy) -> Grade {
        self.grade_under(policy).effective
    }

    /// Would the deal be blocked by the change to `to`? An upgrade onto the
    /// full track turns the stages it skipped into blockers of its win
    /// (the gate reflects the grade now).
    pub fn blocked_by(&self, to: Grade) -> bool {
        to.track() == Track::Full && self.effective.track().may_skip() && self.skipped > 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradeChange {
    pub opportunity_id: String,
    pub name: String,
    pub from: Grade,
    pub to: Grade,
    pub track_from: Track,
    pub track_to: Track,
}

/// `POST /api/admin/grading/preview` answers this.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PolicyPreview {
    pub changes: Vec<GradeChange>,
    /// Deals per effective grade under the new policy; every grade present.
    pub counts: BTreeMap<String, usize>,
    /// Of the deals that change, how many the change would block
    /// ([`GradedDeal::blocked_by`]).
    #[serde(default)]
    pub blocked_after: usize,
}

/// Which deals `policy` would regrade, in the order given, and the counts.
pub fn preview(deals: &[GradedDeal], policy: &GradingPolicy) -> PolicyPreview {
    let mut counts: BTreeMap<String, usize> = Grade::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), 0))
        .collect();
    let mut changes = Vec::new();
    let mut blocked_after = 0;
    for d in deals {
        let to = d.effective_under(policy);
        *counts.entry(to.as_str().to_string()).or_default() += 1;
        if to != d.effective {
            blocked_after += usize::from(d.blocked_by(to));
            changes.push(GradeChange {
                opportunity_id: d.id.clone(),
                name: d.name.clone(),
                from: d.effective,
                to,
                track_from: d.effective.track(),
                track_to: to.track(),
            });
        }
    }
    PolicyPreview {
        changes,
        counts,
        blocked_after,
    }
}

/// What a saved policy writes to one deal: its grade view and track now,
/// and the `regraded` event when the effective grade changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regrade {
    pub opportunity_id: String,
    pub grade: GradeView,
    pub track: Track,
    pub event: Option<EventKind>,
}

/// The deals whose stored grade `policy` changes (computed or effective):
/// exactly what `Opportunity::regrade` would do to each, without the documents.
pub fn regrades(deals: &[GradedDeal], policy: &GradingPolicy, version: u64) -> Vec<Regrade> {
    deals
        .iter()
        .filter_map(|d| {
            let now = d.grade_under(policy);
            (now.computed != d.computed || now.effective != d.effective).then(|| Regrade {
                opportunity_id: d.id.clone(),
                grade: now,
                track: now.effective.track(),
                event: (now.effective != d.effective).then_some(EventKind::Regraded {
                    from: d.effective,
                    to: now.effective,
                    policy_version: Some(version),
                }),
            })
        })
        .collect()
}

/// Grades a batch of deals under a policy (the hot path of regrading).
pub fn grade_all(deals: &[GradedDeal], policy: &GradingPolicy) -> Vec<Grade> {
    deals.iter().map(|d| d.effective_under(policy)).collect()
}

/// The highest threshold an admin may set: 100 billion yuan, far above any
/// deal and far below where sums of amounts could overflow.
pub const MAX_THRESHOLD: i64 = 10_000_000_000_000;

/// Checks thresholds an admin typed: each above zero and at most
/// [`MAX_THRESHOLD`], and `a_min >= b_min >= c_min`. Every problem is
/// named on its field.
pub fn validate_thresholds(
    a_min: Money,
    b_min: Money,
    c_min: Money,
) -> Result<GradingPolicy, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    for (field, v) in [("a_min", a_min), ("b_min", b_min), ("c_min", c_min)] {
        if v <= Money::ZERO {
            issues.push(FieldIssue::new(
                field,
                "must_be_positive",
                "门槛必须大于零",
                "A threshold must be above zero",
            ));
        } else if v.minor() > MAX_THRESHOLD {
            issues.push(FieldIssue::new(
                field,
                "too_large",
                "门槛不能超过 1000 亿元",
                "A threshold is at most 100 billion",
            ));
        }
    }
    let order = |field: &str, upper: &str| FieldIssue {
        field: field.to_string(),
        code: "threshold_order".to_string(),
        message: Localized::new(
            format!("不能高于 {upper}"),
            format!("Must not be above {upper}"),
        ),
    };
    if b_min > a_min {
        issues.push(order("b_min", "a_min"));
    }
    if c_min > b_min {
        issues.push(order("c_min", "b_min"));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    GradingPolicy::new(a_min, b_min, c_min).map_err(|_| vec![order("b_min", "a_min")])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(
        id: &str,
        yuan: i64,
        lead_by: LeadBy,
        override_grade: Option<Grade>,
        effective: Grade,
    ) -> GradedDeal {
        GradedDeal {
            id: id.into(),
            name: format!("deal {id}"),
            lead_by,
            amount: Money::from_minor(yuan * 100).unwrap(),
            override_grade,
            computed: effective,
            effective,
            skipped: 0,
        }
    }

    fn policy(a: i64, b: i64, c: i64) -> GradingPolicy {
        let m = |y: i64| Money::from_minor(y * 100).unwrap();
        GradingPolicy::new(m(a), m(b), m(c)).unwrap()
    }

    #[test]
    fn raising_b_min_lists_the_deals_that_drop_to_c() {
        let deals = vec![
            deal("1", 1_200_000, LeadBy::Us, None, Grade::B),
            deal("2", 6_000_000, LeadBy::Us, None, Grade::A),
            deal("3", 900_000, LeadBy::Partner, None, Grade::E),
        ];
        let p = preview(&deals, &policy(5_000_000, 1_500_000, 300_000));
        assert_eq!(
            p.changes,
            vec![GradeChange {
                opportunity_id: "1".into(),
                name: "deal 1".into(),
                from: Grade::B,
                to: Grade::C,
                track_from: Track::Full,
                track_to: Track::Fast,
            }]
        );
        assert_eq!(p.counts["A"], 1);
        assert_eq!(p.counts["C"], 1);
        assert_eq!(p.counts["E"], 1);
        assert_eq!(p.counts["B"], 0);
    }

    #[test]
    fn an_override_keeps_its_grade_when_thresholds_rise() {
        let deals = vec![deal("1", 1_200_000, LeadBy::Us, Some(Grade::A), Grade::A)];
        let p = preview(&deals, &policy(9_000_000, 5_000_000, 1_000_000));
        assert!(p.changes.is_empty());
        assert_eq!(p.counts["A"], 1);
    }

    #[test]
    fn an_upgrade_onto_the_full_track_of_a_deal_that_skipped_is_counted_as_blocked() {
        let mut skipped = deal("1", 1_200_000, LeadBy::Us, None, Grade::C);
        skipped.skipped = 2;
        let clean = deal("2", 1_200_000, LeadBy::Us, None, Grade::C);
        let p = preview(&[skipped, clean], &policy(5_000_000, 1_000_000, 300_000));
        assert_eq!(p.changes.len(), 2);
        assert_eq!(p.blocked_after, 1);
        assert!(p.changes.iter().all(|c| c.track_to == Track::Full));
    }

    #[test]
    fn regrades_write_every_deal_whose_stored_grade_changes_and_event_only_effective_changes() {
        let moved = deal("1", 1_200_000, LeadBy::Us, None, Grade::B);
        // Overridden to A: computed drops to C, effective stays A.
        let mut held = deal("2", 1_200_000, LeadBy::Us, Some(Grade::A), Grade::A);
        held.computed = Grade::B;
        let same = deal("3", 6_000_000, LeadBy::Us, None, Grade::A);
        let r = regrades(
            &[moved, held, same],
            &policy(5_000_000, 1_500_000, 300_000),
            7,
        );
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0].event,
            Some(EventKind::Regraded {
                from: Grade::B,
                to: Grade::C,
                policy_version: Some(7)
            })
        );
        assert_eq!(
            (
                r[1].grade.computed,
                r[1].grade.effective,
                r[1].event.clone()
            ),
            (Grade::C, Grade::A, None)
        );
    }

    #[test]
    fn thresholds_out_of_order_or_range_are_named_on_their_fields() {
        let m = |y: i64| Money::from_minor(y * 100).unwrap();
        let fields = |r: Result<GradingPolicy, Vec<FieldIssue>>| {
            r.unwrap_err()
                .into_iter()
                .map(|i| (i.field, i.code))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(validate_thresholds(m(1_000_000), m(2_000_000), m(300_000))),
            [("b_min".to_string(), "threshold_order".to_string())]
        );
        assert_eq!(
            fields(validate_thresholds(m(5_000_000), m(1_000_000), Money::ZERO)),
            [("c_min".to_string(), "must_be_positive".to_string())]
        );
        assert_eq!(
            fields(validate_thresholds(
                Money::from_minor(MAX_THRESHOLD + 1).unwrap(),
                m(1_000_000),
                m(300_000)
            )),
            [("a_min".to_string(), "too_large".to_string())]
        );
        assert!(validate_thresholds(m(5_000_000), m(5_000_000), m(5_000_000)).is_ok());
    }
}
