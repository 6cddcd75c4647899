//! The partners' registration form in the browser (`/register`, rendered
//! by the Worker's `pages` module): the same `shared` rules the server
//! applies, run as the partner types, so each input shows its own problem
//! in the page's language before anything is sent; then the submission,
//! and the status page's withdraw button. A few dozen KB of wasm: no
//! Leptos, no app code (measured in `make size`).

use chrono::NaiveDate;
use shared::money::Currency;
use shared::registration::{FormRejection, RegistrationForm, amount_from_text};
use shared::validate::FieldIssue;

#[cfg(target_arch = "wasm32")]
mod browser;

/// The form's inputs in page order (the honeypot `website` last).
pub const FIELDS: [&str; 10] = [
    "partner_company",
    "partner_contact",
    "partner_email",
    "partner_phone",
    "customer_company",
    "project_title",
    "description",
    "amount",
    "expected_close",
    "website",
];

/// What the partner typed (`value` reads an input by name), checked by the
/// rules the server applies: the form to send, or every problem. The amount
/// is typed in major units (`1,200,000`) and sent in minor units. A filled
/// honeypot passes: the server answers it quietly, as it would a person.
pub fn check(
    value: impl Fn(&str) -> String,
    today: NaiveDate,
    currency: Currency,
) -> Result<RegistrationForm, Vec<FieldIssue>> {
    let (amount, amount_issue) = match amount_from_text(&value("amount"), currency) {
        Ok(amount) => (amount, None),
        Err(issue) => (None, Some(issue)),
    };
    let form = RegistrationForm {
        partner_company: value("partner_company"),
        partner_contact: value("partner_contact"),
        partner_email: value("partner_email"),
        partner_phone: value("partner_phone"),
        customer_company: value("customer_company"),
        project_title: value("project_title"),
        description: value("description"),
        amount,
        expected_close: value("expected_close"),
        website: value("website"),
    };
    let mut issues = match form.validate(today) {
        Ok(_) | Err(FormRejection::Spam) => Vec::new(),
        Err(FormRejection::Invalid(issues)) => issues,
    };
    if let Some(typed) = amount_issue {
        // What is wrong with the text beats "required".
        issues.retain(|i| i.field != "amount");
        issues.push(typed);
    }
    if issues.is_empty() {
        Ok(form)
    } else {
        // In page order, so the first one is the first to fix.
        issues.sort_by_key(|i| FIELDS.iter().position(|f| *f == i.field));
        Err(issues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn typed(pairs: &[(&str, &str)]) -> impl Fn(&str) -> String {
        let mut values: HashMap<String, String> = [
            ("partner_company", "华信伙伴科技"),
            ("partner_contact", "王芳"),
            ("partner_email", "wang@partner.cn"),
            ("partner_phone", "+86 138 0013 8000"),
            ("customer_company", "上海明远制造有限公司"),
            ("project_title", "MES 系统升级"),
            ("amount", "800,000"),
            ("expected_close", "2027-03-31"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            values.insert(k.to_string(), v.to_string());
        }
        move |name| values.get(name).cloned().unwrap_or_default()
    }

    #[test]
    fn a_complete_form_is_sent_with_the_amount_in_minor_units() {
        let form = check(typed(&[]), today(), Currency::CNY).unwrap();
        assert_eq!(form.amount, Some(80_000_000));
        assert_eq!(form.customer_company, "上海明远制造有限公司");
    }

    #[test]
    fn each_problem_is_named_at_its_input_in_page_order() {
        let issues = check(
            typed(&[
                ("partner_email", "not-an-address"),
                ("partner_company", ""),
                ("expected_close", "2020-01-01"),
            ]),
            today(),
            Currency::CNY,
        )
        .unwrap_err();
        let fields: Vec<_> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            ["partner_company", "partner_email", "expected_close"]
        );
    }

    #[test]
    fn a_mistyped_amount_says_what_is_wrong_with_it_not_that_it_is_missing() {
        for (amount, code) in [
            ("1.234", "amount_too_many_decimals"),
            ("lots", "amount_invalid"),
            ("-3", "amount_negative"),
        ] {
            let issues = check(typed(&[("amount", amount)]), today(), Currency::CNY).unwrap_err();
            assert_eq!(issues.len(), 1);
            assert_eq!(
                (issues[0].field.as_str(), issues[0].code.as_str()),
                ("amount", code)
            );
        }
        // 120万 is what a Chinese partner types: accepted.
        assert!(check(typed(&[("amount", "120万")]), today(), Currency::CNY).is_ok());
        let empty = check(typed(&[("amount", "")]), today(), Currency::CNY).unwrap_err();
        assert_eq!(empty[0].code, "required");
    }

    #[test]
    fn a_filled_honeypot_is_sent_like_any_form() {
        assert!(check(typed(&[("website", "http://x")]), today(), Currency::CNY).is_ok());
    }
}
