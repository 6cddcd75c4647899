//! The state a stage's requirements are checked against, shared by leads
//! (stage 1: fields and tasks) and opportunities (all four rows), and the
//! rule for when each requirement counts as met.

use crate::grade::Grade;
use crate::i18n::Localized;
use crate::pipeline::{FieldKind, Key, RequiredField, Stage};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Field values by field key, as JSON values of the field's kind.
pub type Fields = BTreeMap<String, serde_json::Value>;

/// Longest text a field takes: long enough for a decision-chain write-up.
pub const MAX_FIELD_TEXT: usize = 10_000;
/// Longest note or comment.
pub const MAX_NOTE: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskState {
    pub done: bool,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::instant_opt")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    #[default]
    NotRequested,
    Pending,
    Approved,
    Rejected,
}

impl ApprovalStatus {
    /// The wire name (as serde writes it): a class of the deal page's row.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::NotRequested => "not_requested",
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApprovalState {
    pub status: ApprovalStatus,
    #[serde(default)]
    pub requested_by: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::instant_opt")]
    pub requested_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::instant_opt")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TeamMember {
    pub role: Key,
    pub user_id: String,
}

/// Why a field value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldValueError {
    #[error("expected text")]
    NotText,
    #[error("text is too long")]
    TooLong,
    #[error("expected an amount in minor units (a non-negative integer)")]
    NotMoney,
    #[error("expected a date as YYYY-MM-DD")]
    NotDate,
    #[error("not one of the options")]
    NotAnOption,
    #[error("expected true or false")]
    NotBool,
    #[error("expected a user id")]
    NotUser,
    #[error("expected an http(s) URL")]
    NotUrl,
}

impl FieldValueError {
    pub fn code(self) -> &'static str {
        match self {
            FieldValueError::NotText => "not_text",
            FieldValueError::TooLong => "too_long",
            FieldValueError::NotMoney => "not_money",
            FieldValueError::NotDate => "not_date",
            FieldValueError::NotAnOption => "not_an_option",
            FieldValueError::NotBool => "not_bool",
            FieldValueError::NotUser => "not_user",
            FieldValueError::NotUrl => "not_url",
        }
    }

    pub fn message(self) -> Localized {
        match self {
            FieldValueError::NotText => Localized::new("请输入文字", "Enter text"),
            FieldValueError::TooLong => Localized::new("内容过长", "Too long"),
            FieldValueError::NotMoney => Localized::new("请输入有效金额", "Enter a valid amount"),
            FieldValueError::NotDate => Localized::new("请输入有效日期", "Enter a valid date"),
            FieldValueError::NotAnOption => {
                Localized::new("请选择一个选项", "Choose one of the options")
            }
            FieldValueError::NotBool => Localized::new("请选择是或否", "Choose yes or no"),
            FieldValueError::NotUser => Localized::new("请选择一位用户", "Choose a user"),
            FieldValueError::NotUrl => Localized::new(
                "请输入以 http(s):// 开头的网址",
                "Enter a URL starting with http(s)://",
            ),
        }
    }
}

/// Checks a value for a field of its kind. `null` is handled by the caller
/// (it clears the field).
pub fn validate_field_value(
    field: &RequiredField,
    value: &serde_json::Value,
) -> Result<(), FieldValueError> {
    use serde_json::Value;
    let text = |v: &Value, err| match v {
        Value::String(s) if s.chars().count() > MAX_FIELD_TEXT => Err(FieldValueError::TooLong),
        Value::String(s) => Ok(s.clone()),
        _ => Err(err),
    };
    match field.kind {
        FieldKind::Text | FieldKind::LongText => text(value, FieldValueError::NotText).map(drop),
        FieldKind::Money => match value.as_i64() {
            Some(n) if crate::money::Money::from_minor(n).is_ok() => Ok(()),
            _ => Err(FieldValueError::NotMoney),
        },
        FieldKind::Date => match value.as_str() {
            Some(s) if parse_date(s).is_some() => Ok(()),
            _ => Err(FieldValueError::NotDate),
        },
        FieldKind::Select => {
            let s = text(value, FieldValueError::NotAnOption)?;
            let options = field.options.as_deref().unwrap_or_default();
            if options.contains(&s) {
                Ok(())
            } else {
                Err(FieldValueError::NotAnOption)
            }
        }
        FieldKind::Bool => value.as_bool().map(drop).ok_or(FieldValueError::NotBool),
        FieldKind::User => match value.as_str() {
            Some(s) if !s.trim().is_empty() && s.len() <= 64 => Ok(()),
            _ => Err(FieldValueError::NotUser),
        },
        FieldKind::Url => {
            let s = text(value, FieldValueError::NotUrl)?;
            let lower = s.trim().to_ascii_lowercase();
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(()),
                _ => Err(FieldValueError::NotUrl),
            }
        }
    }
}

/// `YYYY-MM-DD`, strictly.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    // By hand rather than `parse_from_str`: chrono's format parser is ~15 KB
    // of every wasm that checks a date (measured on the partners' page).
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// Does the value fill the field? Valid for the kind, and: text not blank,
/// bool `true`.
pub fn field_is_met(field: &RequiredField, value: Option<&serde_json::Value>) -> bool {
    let Some(value) = value else { return false };
    if validate_field_value(field, value).is_err() {
        return false;
    }
    match field.kind {
        FieldKind::Bool => value.as_bool() == Some(true),
        FieldKind::Text
        | FieldKind::LongText
        | FieldKind::Url
        | FieldKind::User
        | FieldKind::Select => value.as_str().is_some_and(|s| !s.trim().is_empty()),
        FieldKind::Money | FieldKind::Date => true,
    }
}

/// What a stage's requirements are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Checklist<'a> {
    pub fields: &'a Fields,
    pub tasks: &'a BTreeMap<String, TaskState>,
    pub approvals: &'a BTreeMap<String, ApprovalState>,
    pub team: &'a [TeamMember],
}

/// One unmet requirement of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmet<'a> {
    Field(&'a RequiredField),
    Task(&'a crate::pipeline::RequiredTask),
    Approval(&'a crate::pipeline::Process),
    Role(&'a crate::pipeline::RoleRequirement),
}

impl Checklist<'_> {
    /// Calls `found` for each of the stage's requirements that applies to
    /// `grade` and is not met, in the framework's row order: fields, tasks,
    /// approvals, roles. (A callback rather than a list: the gate runs this
    /// on every edit and allocates nothing here.)
    pub fn each_unmet<'s>(&self, stage: &'s Stage, grade: Grade, mut found: impl FnMut(Unmet<'s>)) {
        for f in stage
            .required_fields
            .iter()
            .filter(|f| f.grades.contains(grade))
        {
            if !field_is_met(f, self.fields.get(f.key.as_str())) {
                found(Unmet::Field(f));
            }
        }
        for t in stage
            .required_tasks
            .iter()
            .filter(|t| t.grades.contains(grade))
        {
            if !self.tasks.get(t.key.as_str()).is_some_and(|s| s.done) {
                found(Unmet::Task(t));
            }
        }
        for p in stage.processes.iter().filter(|p| p.grades.contains(grade)) {
            if self.approvals.get(p.key.as_str()).map(|a| a.status)
                != Some(ApprovalStatus::Approved)
            {
                found(Unmet::Approval(p));
            }
        }
        for r in stage.roles.iter().filter(|r| r.grades.contains(grade)) {
            if !self.team.iter().any(|m| m.role == r.role) {
                found(Unmet::Role(r));
            }
        }
    }

    /// How many of the stage's requirements for `grade` are met, of how many.
    pub fn progress(&self, stage: &Stage, grade: Grade) -> (usize, usize) {
        let total = stage.requirement_count(Some(grade));
        let mut unmet = 0;
        self.each_unmet(stage, grade, |_| unmet += 1);
        (total - unmet, total)
    }

    /// The unmet requirements as a list (see [`Checklist::each_unmet`]).
    pub fn unmet<'s>(&self, stage: &'s Stage, grade: Grade) -> Vec<Unmet<'s>> {
        let mut out = Vec::new();
        self.each_unmet(stage, grade, |u| out.push(u));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_approval_status_is_named_as_on_the_wire() {
        use ApprovalStatus::*;
        for status in [NotRequested, Pending, Approved, Rejected] {
            let wire = serde_json::to_value(status).unwrap();
            assert_eq!(wire.as_str(), Some(status.as_str()));
        }
    }
    use crate::pipeline::Grades;
    use serde_json::json;

    fn f(kind: FieldKind) -> RequiredField {
        RequiredField {
            key: Key::parse("f").unwrap(),
            label: Localized::new("字段", "Field"),
            kind,
            options: (kind == FieldKind::Select).then(|| vec!["yes".into(), "no".into()]),
            grades: Grades::ALL,
        }
    }

    #[test]
    fn dates_are_real_calendar_days_written_yyyy_mm_dd() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("2027-03-31"), d(2027, 3, 31));
        assert_eq!(parse_date("2028-02-29"), d(2028, 2, 29));
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "2027-1-01",
            "2027/01/01",
            "27-01-01",
            "",
            "２０２７-01-01",
            "2027-01-01 ",
            "+027-01-01",
            "2027-0a-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn values_are_checked_against_their_kind() {
        assert!(validate_field_value(&f(FieldKind::Money), &json!(100)).is_ok());
        assert_eq!(
            validate_field_value(&f(FieldKind::Money), &json!(-1)),
            Err(FieldValueError::NotMoney)
        );
        assert_eq!(
            validate_field_value(&f(FieldKind::Money), &json!(1.5)),
            Err(FieldValueError::NotMoney)
        );
        assert!(validate_field_value(&f(FieldKind::Date), &json!("2027-03-31")).is_ok());
        assert_eq!(
            validate_field_value(&f(FieldKind::Date), &json!("2027-02-30")),
            Err(FieldValueError::NotDate)
        );
        assert_eq!(
            validate_field_value(&f(FieldKind::Date), &json!("2027-3-1")),
            Err(FieldValueError::NotDate)
        );
        assert!(validate_field_value(&f(FieldKind::Select), &json!("yes")).is_ok());
        assert_eq!(
            validate_field_value(&f(FieldKind::Select), &json!("maybe")),
            Err(FieldValueError::NotAnOption)
        );
        assert!(validate_field_value(&f(FieldKind::Url), &json!("https://example.com/x")).is_ok());
        assert_eq!(
            validate_field_value(&f(FieldKind::Url), &json!("javascript:alert(1)")),
            Err(FieldValueError::NotUrl)
        );
        assert_eq!(
            validate_field_value(&f(FieldKind::Bool), &json!("true")),
            Err(FieldValueError::NotBool)
        );
        assert_eq!(
            validate_field_value(&f(FieldKind::Text), &json!(5)),
            Err(FieldValueError::NotText)
        );
        let long = "x".repeat(MAX_FIELD_TEXT + 1);
        assert_eq!(
            validate_field_value(&f(FieldKind::LongText), &json!(long)),
            Err(FieldValueError::TooLong)
        );
    }

    #[test]
    fn a_bool_field_counts_only_when_true_and_text_only_when_not_blank() {
        assert!(field_is_met(&f(FieldKind::Bool), Some(&json!(true))));
        assert!(!field_is_met(&f(FieldKind::Bool), Some(&json!(false))));
        assert!(!field_is_met(&f(FieldKind::Text), Some(&json!("   "))));
        assert!(field_is_met(
            &f(FieldKind::Text),
            Some(&json!("Li Lei, CIO"))
        ));
        assert!(!field_is_met(&f(FieldKind::Text), None));
        assert!(field_is_met(&f(FieldKind::Money), Some(&json!(0))));
    }
}
