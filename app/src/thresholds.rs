//! What the admin's grading page (`/admin/grading`) computes: the typed
//! thresholds parsed as money and checked with the server's own rule, the
//! preview request they make, the count the confirmation asks about, the
//! counts per grade and each history entry's from → to. Plain functions, so
//! host tests reach them; the page only lays the results out.

use shared::api::{GradingAdmin, GradingChange, GradingUpdate, Thresholds};
use shared::checklist::FieldValueError;
use shared::regrade::{PolicyPreview, validate_thresholds};
use shared::validate::FieldIssue;
use shared::{Currency, Grade, Money};
use std::time::Duration;

/// How long the admin may pause typing before the impact is asked for:
/// long enough that typing `5000000` asks once, not seven times; short
/// enough to feel live.
pub const PREVIEW_DEBOUNCE: Duration = Duration::from_millis(300);

/// One of the three thresholds, named as the API and its field errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    A,
    B,
    C,
}

impl Line {
    pub const ALL: [Line; 3] = [Line::A, Line::B, Line::C];

    /// The field's name in the API (`a_min`, …), also its input's `name`.
    pub fn field(self) -> &'static str {
        match self {
            Line::A => "a_min",
            Line::B => "b_min",
            Line::C => "c_min",
        }
    }

    /// The grade an amount at or above this line gets.
    pub fn grade(self) -> Grade {
        match self {
            Line::A => Grade::A,
            Line::B => Grade::B,
            Line::C => Grade::C,
        }
    }

    pub fn of(self, t: &Thresholds) -> Money {
        match self {
            Line::A => t.a_min,
            Line::B => t.b_min,
            Line::C => t.c_min,
        }
    }
}

/// The three inputs as typed, in major units (yuan).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThresholdText {
    pub a_min: String,
    pub b_min: String,
    pub c_min: String,
}

impl ThresholdText {
    /// What the inputs show for thresholds in force: `5,000,000`.
    pub fn of(t: &Thresholds, currency: Currency) -> Self {
        let text = |line: Line| line.of(t).format_major(currency);
        ThresholdText {
            a_min: text(Line::A),
            b_min: text(Line::B),
            c_min: text(Line::C),
        }
    }

    pub fn get(&self, line: Line) -> &str {
        match line {
            Line::A => &self.a_min,
            Line::B => &self.b_min,
            Line::C => &self.c_min,
        }
    }

    pub fn set(&mut self, line: Line, text: String) {
        match line {
            Line::A => self.a_min = text,
            Line::B => self.b_min = text,
            Line::C => self.c_min = text,
        }
    }

    /// The thresholds typed, when each is an amount and together they pass
    /// the rule the server applies ([`validate_thresholds`]); else every
    /// problem, named on its field.
    pub fn parse(&self, currency: Currency) -> Result<Thresholds, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let mut amount = |line: Line| match Money::parse_major(self.get(line), currency) {
            Ok(m) => Some(m),
            Err(_) => {
                let e = FieldValueError::NotMoney;
                issues.push(FieldIssue {
                    field: line.field().to_string(),
                    code: e.code().to_string(),
                    message: e.message(),
                });
                None
            }
        };
        let (a, b, c) = (amount(Line::A), amount(Line::B), amount(Line::C));
        let (Some(a_min), Some(b_min), Some(c_min)) = (a, b, c) else {
            return Err(issues);
        };
        validate_thresholds(a_min, b_min, c_min)?;
        Ok(Thresholds {
            a_min,
            b_min,
            c_min,
        })
    }
}

/// The first problem on `line`'s input, if any.
pub fn issue_on(issues: &[FieldIssue], line: Line) -> Option<&FieldIssue> {
    issues.iter().find(|i| i.field == line.field())
}

/// The thresholds in force.
pub fn in_force(admin: &GradingAdmin) -> Thresholds {
    Thresholds {
        a_min: admin.a_min,
        b_min: admin.b_min,
        c_min: admin.c_min,
    }
}

/// What the impact preview asks the server: the typed thresholds, only
/// when they are valid (an invalid set is never sent).
pub fn preview_request(text: &ThresholdText, currency: Currency) -> Option<Thresholds> {
    text.parse(currency).ok()
}

/// The save the typed thresholds make on top of `admin`: none while they
/// are invalid or the same as those in force.
pub fn update_request(
    text: &ThresholdText,
    admin: &GradingAdmin,
    currency: Currency,
) -> Option<GradingUpdate> {
    let t = text.parse(currency).ok()?;
    (t != in_force(admin)).then_some(GradingUpdate {
        a_min: t.a_min,
        b_min: t.b_min,
        c_min: t.c_min,
        version: admin.version,
    })
}

/// How many open deals saving `wanted` would regrade, from the preview on
/// show; unknown while that preview is for other thresholds.
pub fn regrade_count(
    wanted: &Thresholds,
    shown: Option<&(Thresholds, PolicyPreview)>,
) -> Option<usize> {
    shown
        .filter(|(asked, _)| asked == wanted)
        .map(|(_, p)| p.changes.len())
}

/// Deals per grade, A to E, every grade present (zero when the server
/// left one out).
pub fn grade_counts(preview: &PolicyPreview) -> [(Grade, usize); 5] {
    Grade::ALL.map(|g| (g, preview.counts.get(g.as_str()).copied().unwrap_or(0)))
}

/// One threshold in a history entry: before (none for the first version)
/// and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub line: Line,
    pub from: Option<Money>,
    pub to: Money,
}

impl Step {
    pub fn changed(&self) -> bool {
        self.from.is_some_and(|f| f != self.to)
    }
}

/// A history entry's three thresholds, from → to.
pub fn steps(change: &GradingChange) -> [Step; 3] {
    Line::ALL.map(|line| Step {
        line,
        from: change.from.as_ref().map(|f| line.of(f)),
        to: line.of(&change.to),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Track;
    use shared::regrade::GradeChange;

    const CNY: Currency = Currency::CNY;

    fn yuan(y: i64) -> Money {
        Money::from_major(y, CNY).unwrap()
    }

    fn text(a: &str, b: &str, c: &str) -> ThresholdText {
        ThresholdText {
            a_min: a.into(),
            b_min: b.into(),
            c_min: c.into(),
        }
    }

    fn admin(version: u64) -> GradingAdmin {
        GradingAdmin {
            a_min: yuan(5_000_000),
            b_min: yuan(1_000_000),
            c_min: yuan(300_000),
            currency: CNY,
            version,
            updated_by: None,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn fields(issues: &[FieldIssue]) -> Vec<(&str, &str)> {
        issues
            .iter()
            .map(|i| (i.field.as_str(), i.code.as_str()))
            .collect()
    }

    #[test]
    fn typed_yuan_become_fen_with_separators_and_decimals() {
        let t = text("5,000,000", "1 500 000.50", "¥300000")
            .parse(CNY)
            .unwrap();
        assert_eq!(t.a_min.minor(), 500_000_000);
        assert_eq!(t.b_min.minor(), 150_000_050);
        assert_eq!(t.c_min.minor(), 30_000_000);
    }

    #[test]
    fn the_inputs_show_the_thresholds_in_force_in_yuan_and_read_back_the_same() {
        let shown = ThresholdText::of(&in_force(&admin(1)), CNY);
        assert_eq!(shown, text("5,000,000", "1,000,000", "300,000"));
        assert_eq!(shown.parse(CNY), Ok(in_force(&admin(1))));
    }

    #[test]
    fn an_input_that_is_not_an_amount_is_named_on_its_field() {
        let issues = text("5,000,000", "lots", "").parse(CNY).unwrap_err();
        assert_eq!(
            fields(&issues),
            [("b_min", "not_money"), ("c_min", "not_money")]
        );
        assert_eq!(
            issue_on(&issues, Line::C).map(|i| i.message.get(shared::Lang::En)),
            Some("Enter a valid amount")
        );
        assert!(issue_on(&issues, Line::A).is_none());
        // A negative amount or one with three decimals is no amount either.
        let issues = text("-1", "1.005", "1").parse(CNY).unwrap_err();
        assert_eq!(
            fields(&issues),
            [("a_min", "not_money"), ("b_min", "not_money")]
        );
    }

    #[test]
    fn thresholds_out_of_order_break_the_servers_rule_on_the_lower_line() {
        let issues = text("1,000,000", "2,000,000", "300,000")
            .parse(CNY)
            .unwrap_err();
        assert_eq!(fields(&issues), [("b_min", "threshold_order")]);
        let issues = text("5,000,000", "1,000,000", "0").parse(CNY).unwrap_err();
        assert_eq!(fields(&issues), [("c_min", "must_be_positive")]);
        assert!(!issue_on(&issues, Line::C).unwrap().message.zh.is_empty());
    }

    #[test]
    fn equal_thresholds_are_valid() {
        assert!(
            text("1,000,000", "1,000,000", "1,000,000")
                .parse(CNY)
                .is_ok()
        );
    }

    #[test]
    fn the_preview_is_asked_only_for_valid_thresholds() {
        assert_eq!(
            preview_request(&text("5,000,000", "3,000,000", "300,000"), CNY),
            Some(Thresholds {
                a_min: yuan(5_000_000),
                b_min: yuan(3_000_000),
                c_min: yuan(300_000),
            })
        );
        assert_eq!(
            preview_request(&text("5,000,000", "9,000,000", "300,000"), CNY),
            None
        );
        assert_eq!(preview_request(&text("", "1", "1"), CNY), None);
    }

    #[test]
    fn a_save_carries_the_version_it_was_typed_on_and_only_when_something_changed() {
        let current = admin(7);
        let save =
            update_request(&text("5,000,000", "2,000,000", "300,000"), &current, CNY).unwrap();
        assert_eq!((save.b_min, save.version), (yuan(2_000_000), 7));
        // The thresholds in force, however typed: nothing to save.
        assert_eq!(
            update_request(&text("5000000", "1,000,000.00", "300000"), &current, CNY),
            None
        );
        assert_eq!(
            update_request(&text("5,000,000", "x", "300,000"), &current, CNY),
            None
        );
    }

    fn preview_of(n: usize) -> PolicyPreview {
        PolicyPreview {
            changes: (0..n)
                .map(|i| GradeChange {
                    opportunity_id: format!("o_{i}"),
                    name: format!("deal {i}"),
                    from: Grade::B,
                    to: Grade::C,
                    track_from: Track::Full,
                    track_to: Track::Fast,
                })
                .collect(),
            counts: [("A".to_string(), 2), ("C".to_string(), n)].into(),
            blocked_after: 0,
        }
    }

    #[test]
    fn the_confirmation_counts_the_deals_of_the_preview_for_exactly_the_thresholds_to_save() {
        let wanted = text("5,000,000", "2,000,000", "300,000")
            .parse(CNY)
            .unwrap();
        let other = in_force(&admin(1));
        assert_eq!(
            regrade_count(&wanted, Some(&(wanted.clone(), preview_of(3)))),
            Some(3)
        );
        // A preview of what was typed before is no answer for what is typed now.
        assert_eq!(regrade_count(&wanted, Some(&(other, preview_of(3)))), None);
        assert_eq!(regrade_count(&wanted, None), None);
    }

    #[test]
    fn counts_list_every_grade_a_to_e_with_zero_for_the_missing() {
        assert_eq!(
            grade_counts(&preview_of(4)),
            [
                (Grade::A, 2),
                (Grade::B, 0),
                (Grade::C, 4),
                (Grade::D, 0),
                (Grade::E, 0)
            ]
        );
    }

    #[test]
    fn a_history_entry_says_each_threshold_from_and_to_and_the_first_has_no_from() {
        let raised = GradingChange {
            version: 2,
            updated_by: Some("u_admin".into()),
            updated_at: chrono::DateTime::UNIX_EPOCH,
            from: Some(in_force(&admin(1))),
            to: Thresholds {
                b_min: yuan(3_000_000),
                ..in_force(&admin(1))
            },
        };
        let s = steps(&raised);
        assert_eq!(s.map(|s| s.line), Line::ALL);
        assert_eq!(s.map(|s| s.changed()), [false, true, false]);
        assert_eq!(
            (s[1].from, s[1].to),
            (Some(yuan(1_000_000)), yuan(3_000_000))
        );

        let first = GradingChange {
            from: None,
            ..raised
        };
        assert!(
            steps(&first)
                .iter()
                .all(|s| s.from.is_none() && !s.changed())
        );
    }
}
