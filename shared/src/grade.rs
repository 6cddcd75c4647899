//! Deal grades A–E and the tracks they pick (商机分级, seed §三).

use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A deal's grade. Ordered so that `A > B > … > E` in importance:
/// `Grade::A.rank() > Grade::D.rank()`, and an upgrade raises the rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Grade {
    A,
    B,
    C,
    D,
    E,
}

impl Grade {
    pub const ALL: [Grade; 5] = [Grade::A, Grade::B, Grade::C, Grade::D, Grade::E];

    /// Importance for upgrades: A is highest. E (partner-led) ranks lowest:
    /// upgrading an E deal means we take the lead on it.
    pub fn rank(self) -> u8 {
        match self {
            Grade::A => 5,
            Grade::B => 4,
            Grade::C => 3,
            Grade::D => 2,
            Grade::E => 1,
        }
    }

    pub fn track(self) -> Track {
        match self {
            Grade::A | Grade::B => Track::Full,
            Grade::C | Grade::D => Track::Fast,
            Grade::E => Track::Partner,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::E => "E",
        }
    }

    pub fn parse(s: &str) -> Result<Grade, GradeError> {
        match s.trim() {
            "A" | "a" => Ok(Grade::A),
            "B" | "b" => Ok(Grade::B),
            "C" | "c" => Ok(Grade::C),
            "D" | "d" => Ok(Grade::D),
            "E" | "e" => Ok(Grade::E),
            _ => Err(GradeError::UnknownGrade),
        }
    }

    /// The higher of two grades by rank.
    pub fn max_rank(self, other: Grade) -> Grade {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who leads the deal: us, or a partner (which makes it E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadBy {
    #[default]
    Us,
    Partner,
}

/// How much process a deal follows, picked by its grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Track {
    /// A/B: stage by stage, no skipping.
    Full,
    /// C/D: may jump to the final stage once the current stage's exit is met.
    Fast,
    /// E: registration approval replaces verification; may jump like fast.
    Partner,
}

impl Track {
    /// Fast and partner tracks may jump to the final stage.
    pub fn may_skip(self) -> bool {
        !matches!(self, Track::Full)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GradeError {
    #[error("thresholds must satisfy a_min >= b_min >= c_min > 0")]
    ThresholdOrder,
    #[error("unknown grade")]
    UnknownGrade,
    #[error("a manual grade change may only raise the grade")]
    NotAnUpgrade,
    #[error("a reason is required")]
    ReasonRequired,
}

impl GradeError {
    pub fn code(self) -> &'static str {
        match self {
            GradeError::ThresholdOrder => "threshold_order",
            GradeError::UnknownGrade => "unknown_grade",
            GradeError::NotAnUpgrade => "not_an_upgrade",
            GradeError::ReasonRequired => "reason_required",
        }
    }
}

/// Admin-set amount thresholds. Invariant: `a_min >= b_min >= c_min > 0`.
/// Fields are private so that a held policy always satisfies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GradingPolicy {
    a_min: Money,
    b_min: Money,
    c_min: Money,
}

/// Defaults in yuan: 5,000,000 / 1,000,000 (the seed's big-deal line, 100万) / 300,000.
pub const DEFAULT_A_MIN_MAJOR: i64 = 5_000_000;
pub const DEFAULT_B_MIN_MAJOR: i64 = 1_000_000;
pub const DEFAULT_C_MIN_MAJOR: i64 = 300_000;

impl GradingPolicy {
    pub fn new(a_min: Money, b_min: Money, c_min: Money) -> Result<Self, GradeError> {
        if a_min >= b_min && b_min >= c_min && c_min > Money::ZERO {
            Ok(GradingPolicy {
                a_min,
                b_min,
                c_min,
            })
        } else {
            Err(GradeError::ThresholdOrder)
        }
    }

    pub fn a_min(&self) -> Money {
        self.a_min
    }
    pub fn b_min(&self) -> Money {
        self.b_min
    }
    pub fn c_min(&self) -> Money {
        self.c_min
    }

    /// The grading rule of DESIGN.md §2.
    pub fn grade(&self, lead_by: LeadBy, amount: Money) -> Grade {
        match lead_by {
            LeadBy::Partner => Grade::E,
            LeadBy::Us if amount >= self.a_min => Grade::A,
            LeadBy::Us if amount >= self.b_min => Grade::B,
            LeadBy::Us if amount >= self.c_min => Grade::C,
            LeadBy::Us => Grade::D,
        }
    }
}

impl Default for GradingPolicy {
    fn default() -> Self {
        let c = Currency::CNY;
        let m = |major| Money::from_major(major, c).unwrap_or(Money::ZERO);
        GradingPolicy {
            a_min: m(DEFAULT_A_MIN_MAJOR),
            b_min: m(DEFAULT_B_MIN_MAJOR),
            c_min: m(DEFAULT_C_MIN_MAJOR),
        }
    }
}

impl<'de> Deserialize<'de> for GradingPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            a_min: Money,
            b_min: Money,
            c_min: Money,
        }
        let raw = Raw::deserialize(d)?;
        GradingPolicy::new(raw.a_min, raw.b_min, raw.c_min).map_err(serde::de::Error::custom)
    }
}

/// The three views of a deal's grade that the API shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradeView {
    pub computed: Grade,
    #[serde(rename = "override")]
    pub override_: Option<Grade>,
    pub effective: Grade,
}

impl GradeView {
    /// Effective is the higher of computed and override.
    pub fn new(computed: Grade, override_: Option<Grade>) -> Self {
        let effective = override_.map_or(computed, |o| computed.max_rank(o));
        GradeView {
            computed,
            override_,
            effective,
        }
    }

    /// The grades a manager may upgrade this deal to: those ranked above
    /// the effective grade (what [`check_upgrade`] accepts).
    pub fn upgrades(self) -> impl Iterator<Item = Grade> {
        Grade::ALL
            .into_iter()
            .filter(move |g| g.rank() > self.effective.rank())
    }
}

/// Checks a manual grade change: upgrade only (above the current effective
/// grade), with a non-blank reason.
pub fn check_upgrade(current: GradeView, requested: Grade, reason: &str) -> Result<(), GradeError> {
    if reason.trim().is_empty() {
        return Err(GradeError::ReasonRequired);
    }
    if !current.upgrades().any(|g| g == requested) {
        return Err(GradeError::NotAnUpgrade);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> GradingPolicy {
        GradingPolicy::default()
    }
    fn yuan(y: i64) -> Money {
        Money::from_major(y, Currency::CNY).unwrap()
    }

    #[test]
    fn upgrades_are_the_grades_above_the_effective_one() {
        let c = GradeView::new(Grade::C, None);
        assert_eq!(c.upgrades().collect::<Vec<_>>(), vec![Grade::A, Grade::B]);
        assert_eq!(GradeView::new(Grade::A, None).upgrades().count(), 0);
        // E (partner-led) may become any grade we lead.
        assert_eq!(GradeView::new(Grade::E, None).upgrades().count(), 4);
        assert_eq!(
            check_upgrade(c, Grade::D, "why"),
            Err(GradeError::NotAnUpgrade)
        );
        assert_eq!(check_upgrade(c, Grade::B, "why"), Ok(()));
    }

    #[test]
    fn amount_exactly_at_b_min_is_grade_b() {
        assert_eq!(policy().grade(LeadBy::Us, yuan(1_000_000)), Grade::B);
    }

    #[test]
    fn one_fen_below_b_min_is_grade_c() {
        let amount = Money::from_minor(yuan(1_000_000).minor() - 1).unwrap();
        assert_eq!(policy().grade(LeadBy::Us, amount), Grade::C);
    }

    #[test]
    fn amount_exactly_at_a_min_is_grade_a() {
        assert_eq!(policy().grade(LeadBy::Us, yuan(5_000_000)), Grade::A);
        let below = Money::from_minor(yuan(5_000_000).minor() - 1).unwrap();
        assert_eq!(policy().grade(LeadBy::Us, below), Grade::B);
    }

    #[test]
    fn amount_at_c_min_is_c_and_below_is_d() {
        assert_eq!(policy().grade(LeadBy::Us, yuan(300_000)), Grade::C);
        assert_eq!(policy().grade(LeadBy::Us, yuan(299_999)), Grade::D);
        assert_eq!(policy().grade(LeadBy::Us, Money::ZERO), Grade::D);
    }

    #[test]
    fn partner_led_is_grade_e_at_any_amount() {
        for amount in [Money::ZERO, yuan(1), yuan(1_000_000), yuan(999_999_999)] {
            assert_eq!(policy().grade(LeadBy::Partner, amount), Grade::E);
        }
    }

    #[test]
    fn grades_pick_their_tracks() {
        assert_eq!(Grade::A.track(), Track::Full);
        assert_eq!(Grade::B.track(), Track::Full);
        assert_eq!(Grade::C.track(), Track::Fast);
        assert_eq!(Grade::D.track(), Track::Fast);
        assert_eq!(Grade::E.track(), Track::Partner);
        assert!(!Track::Full.may_skip());
        assert!(Track::Fast.may_skip() && Track::Partner.may_skip());
    }

    #[test]
    fn policy_refuses_thresholds_out_of_order_or_zero() {
        assert_eq!(
            GradingPolicy::new(yuan(1), yuan(2), yuan(1)),
            Err(GradeError::ThresholdOrder)
        );
        assert_eq!(
            GradingPolicy::new(yuan(3), yuan(2), yuan(5)),
            Err(GradeError::ThresholdOrder)
        );
        assert_eq!(
            GradingPolicy::new(yuan(3), yuan(2), Money::ZERO),
            Err(GradeError::ThresholdOrder)
        );
        assert!(GradingPolicy::new(yuan(2), yuan(2), yuan(2)).is_ok());
        let bad = r#"{"a_min": 100, "b_min": 200, "c_min": 50}"#;
        assert!(serde_json::from_str::<GradingPolicy>(bad).is_err());
    }

    #[test]
    fn default_policy_matches_the_design() {
        let p = policy();
        assert_eq!(p.a_min().minor(), 500_000_000);
        assert_eq!(p.b_min().minor(), 100_000_000);
        assert_eq!(p.c_min().minor(), 30_000_000);
    }

    #[test]
    fn effective_grade_is_the_higher_of_computed_and_override() {
        assert_eq!(GradeView::new(Grade::C, Some(Grade::A)).effective, Grade::A);
        assert_eq!(GradeView::new(Grade::B, None).effective, Grade::B);
        // An override that the amount has since overtaken no longer lowers it.
        assert_eq!(GradeView::new(Grade::A, Some(Grade::B)).effective, Grade::A);
    }

    #[test]
    fn downgrade_is_refused() {
        let view = GradeView::new(Grade::B, None);
        assert_eq!(
            check_upgrade(view, Grade::C, "smaller"),
            Err(GradeError::NotAnUpgrade)
        );
        assert_eq!(
            check_upgrade(view, Grade::B, "same"),
            Err(GradeError::NotAnUpgrade)
        );
        assert_eq!(check_upgrade(view, Grade::A, "showcase customer"), Ok(()));
    }

    #[test]
    fn upgrade_with_empty_reason_is_refused() {
        let view = GradeView::new(Grade::D, None);
        assert_eq!(
            check_upgrade(view, Grade::A, "   "),
            Err(GradeError::ReasonRequired)
        );
    }

    #[test]
    fn grade_view_serialises_override_under_its_contract_name() {
        let json = serde_json::to_value(GradeView::new(Grade::C, Some(Grade::B))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"computed": "C", "override": "B", "effective": "B"})
        );
    }
}
