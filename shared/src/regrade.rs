//! Regrading when an admin changes the thresholds: which open deals would
//! change grade, and how many deals each grade would hold.

use crate::grade::{Grade, GradeView, GradingPolicy, LeadBy};
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What regrading needs to know of an open deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradedDeal {
    pub id: String,
    pub name: String,
    pub lead_by: LeadBy,
    pub amount: Money,
    pub override_grade: Option<Grade>,
    /// The effective grade stored now.
    pub effective: Grade,
}

impl GradedDeal {
    pub fn effective_under(&self, policy: &GradingPolicy) -> Grade {
        GradeView::new(policy.grade(self.lead_by, self.amount), self.override_grade).effective
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeChange {
    pub opportunity_id: String,
    pub name: String,
    pub from: Grade,
    pub to: Grade,
}

/// `POST /api/admin/grading/preview` answers this.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PolicyPreview {
    pub changes: Vec<GradeChange>,
    /// Deals per effective grade under the new policy; every grade present.
    pub counts: BTreeMap<String, usize>,
}

/// Which deals `policy` would regrade, in the order given, and the counts.
pub fn preview(deals: &[GradedDeal], policy: &GradingPolicy) -> PolicyPreview {
    let mut counts: BTreeMap<String, usize> = Grade::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), 0))
        .collect();
    let mut changes = Vec::new();
    for d in deals {
        let to = d.effective_under(policy);
        *counts.entry(to.as_str().to_string()).or_default() += 1;
        if to != d.effective {
            changes.push(GradeChange {
                opportunity_id: d.id.clone(),
                name: d.name.clone(),
                from: d.effective,
                to,
            });
        }
    }
    PolicyPreview { changes, counts }
}

/// Grades a batch of deals under a policy (the hot path of regrading).
pub fn grade_all(deals: &[GradedDeal], policy: &GradingPolicy) -> Vec<Grade> {
    deals.iter().map(|d| d.effective_under(policy)).collect()
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
            effective,
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
                to: Grade::C
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
}
