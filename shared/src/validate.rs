//! Input checks shared by leads, registrations and users: e-mail, phone,
//! required text. Each problem names its field, with a stable code and a
//! message in both languages.

use crate::i18n::Localized;
use serde::{Deserialize, Serialize};

/// One invalid input, before it becomes an API `FieldError`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldIssue {
    pub field: String,
    pub code: String,
    pub message: Localized,
}

impl FieldIssue {
    pub fn new(field: &str, code: &str, zh: &str, en: &str) -> Self {
        FieldIssue {
            field: field.to_string(),
            code: code.to_string(),
            message: Localized::new(zh, en),
        }
    }
}

/// Longest e-mail address (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest phone number as typed, with spaces and punctuation.
pub const MAX_PHONE: usize = 32;

/// A plausible e-mail address: one `@`, a local part, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() || s.len() > MAX_EMAIL || s.chars().any(char::is_whitespace) {
        return false;
    }
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        }
        None => false,
    }
}

/// A plausible phone number: digits with `+ - ( ) .` and spaces, 5–20 digits.
pub fn is_phone(s: &str) -> bool {
    let s = s.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    s.len() <= MAX_PHONE
        && (5..=20).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.' | ' '))
}

/// Records `invalid_email` for `field` unless `value` is empty or an e-mail.
pub fn check_email(issues: &mut Vec<FieldIssue>, field: &str, value: &str) {
    if !value.trim().is_empty() && !is_email(value) {
        issues.push(FieldIssue::new(
            field,
            "invalid_email",
            "电子邮箱无效",
            "Not a valid e-mail address",
        ));
    }
}

/// Records `invalid_phone` for `field` unless `value` is empty or a phone number.
pub fn check_phone(issues: &mut Vec<FieldIssue>, field: &str, value: &str) {
    if !value.trim().is_empty() && !is_phone(value) {
        issues.push(FieldIssue::new(
            field,
            "invalid_phone",
            "电话号码无效",
            "Not a valid phone number",
        ));
    }
}

/// Trims; records `required` or `too_long` for `field` when it does not fit.
pub fn required_text(issues: &mut Vec<FieldIssue>, field: &str, value: &str, max: usize) -> String {
    if value.trim().is_empty() {
        issues.push(FieldIssue::new(field, "required", "必填", "Required"));
        return String::new();
    }
    optional_text(issues, field, value, max)
}

/// Trims an optional text; records `too_long` when it does not fit.
pub fn optional_text(issues: &mut Vec<FieldIssue>, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.chars().count() > max {
        issues.push(FieldIssue::new(
            field,
            "too_long",
            &format!("最多 {max} 个字符"),
            &format!("At most {max} characters"),
        ));
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_one_at_and_a_dotted_domain() {
        assert!(is_email("li.lei@example.com"));
        assert!(is_email("  a@b.cn "));
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "@b.com",
            "a@.com",
            "a@b.com.",
            "a@b..com",
        ] {
            assert!(!is_email(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn phones_take_common_punctuation_and_5_to_20_digits() {
        assert!(is_phone("+86 138-0013-8000"));
        assert!(is_phone("(010) 6552 8888"));
        assert!(!is_phone("1234"));
        assert!(!is_phone("call me maybe"));
        assert!(!is_phone("123456789012345678901"));
    }

    #[test]
    fn required_text_is_trimmed_and_reported_when_blank_or_long() {
        let mut issues = Vec::new();
        assert_eq!(
            required_text(&mut issues, "title", "  ERP 升级 ", 50),
            "ERP 升级"
        );
        assert!(issues.is_empty());
        required_text(&mut issues, "title", "   ", 50);
        required_text(&mut issues, "customer", &"长".repeat(51), 50);
        let codes: Vec<_> = issues
            .iter()
            .map(|i| (i.field.as_str(), i.code.as_str()))
            .collect();
        assert_eq!(codes, [("title", "required"), ("customer", "too_long")]);
    }
}
