//! Partner deal registration (E-class 报备): validation of the public form,
//! customer-name normalisation and project similarity for conflict checks.

use crate::checklist::parse_date;
use crate::lead::MAX_DESCRIPTION;
use crate::money::Money;
use crate::opportunity::MAX_NAME;
use crate::validate::{FieldIssue, check_email, check_phone, optional_text, required_text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Default protection period of an approved registration, in days.
pub const DEFAULT_PROTECTION_DAYS: u16 = 90;

/// Two titles whose character-bigram Dice similarity reaches this are the
/// "same project". 0.5 catches reworded titles ("ERP升级项目" / "ERP系统升级")
/// without matching unrelated ones that share a word.
pub const SIMILARITY_THRESHOLD: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    #[default]
    Submitted,
    Approved,
    Rejected,
    Expired,
    Withdrawn,
}

impl RegistrationStatus {
    /// The wire name (as serde writes it): pages' `data-status` and classes.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Submitted => "submitted",
            RegistrationStatus::Approved => "approved",
            RegistrationStatus::Rejected => "rejected",
            RegistrationStatus::Expired => "expired",
            RegistrationStatus::Withdrawn => "withdrawn",
        }
    }
}

/// The public form, flat so a plain form maps onto it. `amount` is in minor
/// units; `expected_close` is `YYYY-MM-DD`; `website` is a honeypot.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct RegistrationForm {
    pub partner_company: String,
    pub partner_contact: String,
    pub partner_email: String,
    pub partner_phone: String,
    pub customer_company: String,
    pub project_title: String,
    pub description: String,
    pub amount: Option<i64>,
    pub expected_close: String,
    pub website: String,
}

/// A form that passed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Registration {
    pub partner_company: String,
    pub partner_contact: String,
    pub partner_email: String,
    pub partner_phone: String,
    pub customer_company: String,
    pub project_title: String,
    pub description: String,
    pub amount: Money,
    #[serde(deserialize_with = "crate::wire::date")]
    pub expected_close: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormRejection {
    /// The honeypot was filled: a bot. Answer as if accepted, store nothing.
    Spam,
    Invalid(Vec<FieldIssue>),
}

impl RegistrationForm {
    pub fn validate(&self, today: NaiveDate) -> Result<Registration, FormRejection> {
        if !self.website.trim().is_empty() {
            return Err(FormRejection::Spam);
        }
        let mut issues = Vec::new();
        let partner_company = required_text(
            &mut issues,
            "partner_company",
            &self.partner_company,
            MAX_NAME,
        );
        let partner_contact = required_text(
            &mut issues,
            "partner_contact",
            &self.partner_contact,
            MAX_NAME,
        );
        let partner_email = required_text(&mut issues, "partner_email", &self.partner_email, 254);
        check_email(&mut issues, "partner_email", &partner_email);
        let partner_phone = required_text(&mut issues, "partner_phone", &self.partner_phone, 32);
        check_phone(&mut issues, "partner_phone", &partner_phone);
        let customer_company = required_text(
            &mut issues,
            "customer_company",
            &self.customer_company,
            MAX_NAME,
        );
        if !customer_company.is_empty() && normalize_company(&customer_company).is_empty() {
            issues.push(FieldIssue::new(
                "customer_company",
                "invalid_company",
                "请填写客户公司的名称",
                "Give the customer company's name",
            ));
        }
        let project_title =
            required_text(&mut issues, "project_title", &self.project_title, MAX_NAME);
        let description = optional_text(
            &mut issues,
            "description",
            &self.description,
            MAX_DESCRIPTION,
        );
        let amount = match self.amount.map(Money::from_minor) {
            Some(Ok(m)) if m > Money::ZERO => Some(m),
            Some(Ok(_)) | Some(Err(_)) => {
                issues.push(FieldIssue::new(
                    "amount",
                    "invalid_amount",
                    "请填写大于零的金额",
                    "Give an amount above zero",
                ));
                None
            }
            None => {
                issues.push(FieldIssue::new("amount", "required", "必填", "Required"));
                None
            }
        };
        let expected_close = match parse_date(self.expected_close.trim()) {
            Some(d) if d >= today => Some(d),
            Some(_) => {
                issues.push(FieldIssue::new(
                    "expected_close",
                    "date_in_past",
                    "预计签约日期不能早于今天",
                    "The expected close date cannot be in the past",
                ));
                None
            }
            None => {
                issues.push(FieldIssue::new(
                    "expected_close",
                    "invalid_date",
                    "请填写有效日期（YYYY-MM-DD）",
                    "Give a valid date (YYYY-MM-DD)",
                ));
                None
            }
        };
        match (amount, expected_close) {
            (Some(amount), Some(expected_close)) if issues.is_empty() => Ok(Registration {
                partner_company,
                partner_contact,
                partner_email,
                partner_phone,
                customer_company,
                project_title,
                description,
                amount,
                expected_close,
            }),
            _ => Err(FormRejection::Invalid(issues)),
        }
    }
}

/// The estimated amount as a partner types it on the public form (major
/// units: `1200000`, `1,200,000`, `¥300000`, `0.5`) in the form's minor
/// units; an empty box is `None`, which the form's own check calls required.
pub fn amount_from_text(
    text: &str,
    currency: crate::money::Currency,
) -> Result<Option<i64>, FieldIssue> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match Money::parse_major(text, currency) {
        Ok(m) => Ok(Some(m.minor())),
        Err(e) => {
            let message = e.message();
            Err(FieldIssue::new(
                "amount",
                e.code(),
                &message.zh,
                &message.en,
            ))
        }
    }
}

/// Folds full-width forms to half width and the ideographic space to a space.
fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Lower-case, half-width, punctuation as spaces.
fn fold(s: &str) -> String {
    s.chars()
        .map(fold_width)
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

/// Company-form words dropped from the end of an English name.
const EN_SUFFIXES: &[&str] = &[
    "co",
    "company",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "bv",
    "pte",
];

/// Company-form endings dropped from a Chinese name, longest first.
const ZH_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "公司",
];

/// A customer name reduced to what identifies it: case, width, spaces,
/// punctuation and company suffixes (有限公司, Co., Ltd., Inc., …) folded.
pub fn normalize_company(name: &str) -> String {
    let folded = fold(name);
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| EN_SUFFIXES.contains(w)) {
        words.pop();
    }
    let mut joined: String = words.concat();
    loop {
        let before = joined.len();
        for suffix in ZH_SUFFIXES {
            if joined.len() > suffix.len()
                && let Some(stripped) = joined.strip_suffix(suffix)
            {
                joined = stripped.to_string();
            }
        }
        if joined.len() == before {
            break;
        }
    }
    joined
}

/// A project title reduced for comparison: case, width, spaces and punctuation folded.
pub fn normalize_title(title: &str) -> Vec<char> {
    fold(title).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Dice coefficient of character bigrams (0.0–1.0). Works for Chinese,
/// where words are not separated by spaces.
pub fn title_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (normalize_title(a), normalize_title(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let bigrams = |s: &[char]| -> Vec<(char, char)> {
        if s.len() == 1 {
            vec![(s[0], '\0')]
        } else {
            s.windows(2).map(|w| (w[0], w[1])).collect()
        }
    };
    let ba = bigrams(&a);
    let mut bb = bigrams(&b);
    let total = ba.len() + bb.len();
    let mut shared = 0usize;
    for g in &ba {
        if let Some(pos) = bb.iter().position(|h| h == g) {
            bb.swap_remove(pos);
            shared += 1;
        }
    }
    (2 * shared) as f64 / total as f64
}

/// Same normalized customer and a similar project.
pub fn is_conflict(customer_a: &str, title_a: &str, customer_b: &str, title_b: &str) -> bool {
    let ca = normalize_company(customer_a);
    !ca.is_empty()
        && ca == normalize_company(customer_b)
        && title_similarity(title_a, title_b) >= SIMILARITY_THRESHOLD
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    Registration,
    Opportunity,
}

impl ConflictKind {
    /// The wire name (as serde writes it): the queue's `data-kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Registration => "registration",
            ConflictKind::Opportunity => "opportunity",
        }
    }
}

/// Something an incoming registration may collide with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Conflict {
    pub kind: ConflictKind,
    pub id: String,
    pub customer: String,
    pub title: String,
}

/// The candidates that conflict with `registration`. Callers pass only open
/// opportunities and registrations still inside their protection period.
pub fn find_conflicts(registration: &Registration, candidates: &[Conflict]) -> Vec<Conflict> {
    candidates
        .iter()
        .filter(|c| {
            is_conflict(
                &registration.customer_company,
                &registration.project_title,
                &c.customer,
                &c.title,
            )
        })
        .cloned()
        .collect()
}

/// The longest protection an admin may set: ten years.
pub const MAX_PROTECTION_DAYS: u16 = 3650;

/// The protection period an admin typed (`protection_days`, any JSON): the
/// days, or the problem to show at that field.
pub fn protection_days(value: Option<&serde_json::Value>) -> Result<u16, FieldIssue> {
    value
        .and_then(serde_json::Value::as_u64)
        .and_then(|d| u16::try_from(d).ok())
        .filter(|d| (1..=MAX_PROTECTION_DAYS).contains(d))
        .ok_or_else(|| {
            FieldIssue::new(
                "protection_days",
                "protection_days_range",
                "保护期须为 1–3650 天的整数",
                "Protection must be a whole number of days from 1 to 3650",
            )
        })
}

/// Submissions of the public form allowed per client address per hour;
/// past it, 429 with `Retry-After` until the hour ends.
pub const SUBMISSIONS_PER_HOUR: u64 = 10;

/// `POST /api/public/registrations` → 201: the partner's private reference
/// (256 random bits, shown once; only its hash is stored) and the page
/// that follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationReceipt {
    pub reference: String,
    pub status_url: String,
}

/// `GET /api/public/registrations/{reference}`: the status, and nothing
/// else of the registration or of anyone else's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationStatusView {
    pub status: RegistrationStatus,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    /// While approved: the last day the deal is the partner's.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::date_opt"
    )]
    pub protected_until: Option<NaiveDate>,
    /// When rejected: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A registration as stored: the validated form, what it conflicted with
/// when submitted, and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StoredRegistration {
    #[serde(flatten)]
    pub registration: Registration,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    /// Once approved: the E deal it made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::date_opt"
    )]
    pub protected_until: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Working days (Monday to Friday) a submission may wait for review before
/// the queue lists it as overdue.
pub const REVIEW_WORKING_DAYS: u32 = 2;

/// Whether a registration submitted on `submitted` and still undecided on
/// `today` has waited more than [`REVIEW_WORKING_DAYS`] working days.
pub fn is_overdue(submitted: NaiveDate, today: NaiveDate) -> bool {
    use chrono::Datelike;
    let waited = submitted
        .iter_days()
        .skip(1)
        .take_while(|d| *d <= today)
        .filter(|d| d.weekday().num_days_from_monday() < 5)
        .count();
    waited > REVIEW_WORKING_DAYS as usize
}

/// One row of the channel managers' queue (`GET /api/registrations`):
/// the registration, its conflicts as of now, and whether it is overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationItem {
    pub id: String,
    pub version: u64,
    pub status: RegistrationStatus,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    #[serde(flatten)]
    pub registration: Registration,
    pub conflicts: Vec<Conflict>,
    pub overdue: bool,
    /// Once approved: the E deal it made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::date_opt"
    )]
    pub protected_until: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /api/registrations/{id}/approve`: the rep who will own the deal,
/// the pipeline it runs in (the config's first when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApproveRequest {
    pub owner_id: String,
    #[serde(default)]
    pub pipeline: Option<crate::pipeline::Key>,
    pub version: u64,
}

/// What approving makes of a registration: an E-class deal led by the
/// partner, owned by `owner_id`, in `pipeline`'s stage 2 (the approval is
/// its verification), the partner named on it and protected until
/// `protection_days` from `now`; and the registration's document with the
/// same end date. `None` when the pipeline has no stage 2.
pub fn approve(
    stored: &StoredRegistration,
    (registration_id, opportunity_id, owner_id): (&str, &str, &str),
    pipeline: &crate::pipeline::Pipeline,
    (policy, currency, protection_days): (
        &crate::grade::GradingPolicy,
        crate::money::Currency,
        u16,
    ),
    now: chrono::DateTime<chrono::Utc>,
) -> Option<(
    crate::opportunity::Opportunity,
    Vec<crate::event::EventKind>,
    StoredRegistration,
)> {
    use crate::grade::{GradeView, LeadBy};
    use crate::opportunity::{Opportunity, PartnerInfo, Status};
    let start = pipeline.opportunity_start()?;
    let until = now.date_naive() + chrono::Duration::days(i64::from(protection_days));
    let r = &stored.registration;
    let grade = GradeView::new(policy.grade(LeadBy::Partner, r.amount), None);
    let opportunity = Opportunity {
        id: opportunity_id.to_string(),
        version: 1,
        name: r.project_title.clone(),
        customer: r.customer_company.clone(),
        pipeline: pipeline.id.clone(),
        stage: start.key.clone(),
        status: Status::Open,
        lead_by: LeadBy::Partner,
        amount: r.amount,
        currency,
        expected_close: r.expected_close,
        owner_id: owner_id.to_string(),
        grade,
        track: grade.effective.track(),
        grade_override: None,
        fields: Default::default(),
        tasks: Default::default(),
        approvals: Default::default(),
        team: vec![],
        skipped: vec![],
        stage_entered_at: now,
        lead_id: None,
        partner: Some(PartnerInfo {
            company: r.partner_company.clone(),
            contact: r.partner_contact.clone(),
            email: r.partner_email.clone(),
            phone: r.partner_phone.clone(),
            registration_id: registration_id.to_string(),
            protected_until: Some(until),
        }),
        contract: None,
        lost: None,
        closed_at: None,
        forecast: Default::default(),
    };
    let mut decided = stored.clone();
    decided.protected_until = Some(until);
    decided.opportunity_id = Some(opportunity_id.to_string());
    let events = vec![crate::event::EventKind::Created {
        stage: start.key.clone(),
    }];
    Some((opportunity, events, decided))
}

/// `POST /api/registrations/{id}/reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RejectRequest {
    pub reason: String,
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_and_a_conflict_kind_are_named_as_on_the_wire() {
        use RegistrationStatus::*;
        for status in [Submitted, Approved, Rejected, Expired, Withdrawn] {
            let wire = serde_json::to_value(status).unwrap();
            assert_eq!(wire.as_str(), Some(status.as_str()));
        }
        for kind in [ConflictKind::Registration, ConflictKind::Opportunity] {
            let wire = serde_json::to_value(kind).unwrap();
            assert_eq!(wire.as_str(), Some(kind.as_str()));
        }
    }

    #[test]
    fn approving_makes_an_e_deal_in_stage_two_led_and_protected_for_the_partner() {
        let (opp, events, decided) = approved();
        assert_eq!(
            (opp.stage.as_str(), opp.grade.effective, opp.track),
            (
                "initiate",
                crate::grade::Grade::E,
                crate::grade::Track::Partner
            )
        );
        let until = NaiveDate::from_ymd_opt(2027, 2, 25).unwrap();
        let partner = opp.partner.unwrap();
        assert_eq!(
            (partner.registration_id.as_str(), partner.protected_until),
            ("r_1", Some(until))
        );
        assert_eq!(decided.protected_until, Some(until));
        assert_eq!(decided.opportunity_id.as_deref(), Some("o_1"));
        assert_eq!(events.len(), 1);
    }

    /// A sample registration approved for `u_rep` with 90 days' protection.
    fn approved() -> (
        crate::opportunity::Opportunity,
        Vec<crate::event::EventKind>,
        StoredRegistration,
    ) {
        let stored = StoredRegistration {
            registration: form().validate(today()).unwrap(),
            conflicts: vec![],
            opportunity_id: None,
            protected_until: None,
            reason: None,
        };
        let policy = crate::grade::GradingPolicy::new(
            Money::from_minor(500_000_000).unwrap(),
            Money::from_minor(100_000_000).unwrap(),
            Money::from_minor(30_000_000).unwrap(),
        )
        .unwrap();
        let now = today().and_hms_opt(9, 0, 0).unwrap().and_utc();
        approve(
            &stored,
            ("r_1", "o_1", "u_rep"),
            &crate::builtin::tender(),
            (&policy, crate::money::Currency::default(), 90),
            now,
        )
        .unwrap()
    }

    fn approved_deal() -> crate::opportunity::Opportunity {
        approved().0
    }

    #[test]
    fn protection_expires_the_day_after_its_last_day_on_an_open_deal() {
        let until = NaiveDate::from_ymd_opt(2027, 2, 25).unwrap();
        let mut deal = approved_deal();
        assert_eq!(
            deal.expire_protection(until),
            None,
            "its last day is still protected"
        );
        assert_eq!(deal.version, 1);
        let next_day = until.succ_opt().unwrap();
        assert_eq!(
            deal.expire_protection(next_day),
            Some(crate::event::EventKind::ProtectionExpired {
                registration_id: "r_1".into(),
                ended_on: until,
            })
        );
        assert_eq!(deal.partner.as_ref().unwrap().protected_until, None);
        assert_eq!(deal.version, 2);
        assert_eq!(deal.expire_protection(next_day), None, "expires once");
    }

    #[test]
    fn a_closed_deal_keeps_its_protection_date() {
        let mut deal = approved_deal();
        deal.status = crate::opportunity::Status::Won;
        let later = NaiveDate::from_ymd_opt(2028, 1, 1).unwrap();
        assert_eq!(deal.expire_protection(later), None);
        assert_eq!(deal.version, 1);
    }

    #[test]
    fn protection_is_a_whole_number_of_days_from_one_to_ten_years() {
        use serde_json::json;
        assert_eq!(protection_days(Some(&json!(90))), Ok(90));
        assert_eq!(protection_days(Some(&json!(3650))), Ok(3650));
        for bad in [json!(0), json!(3651), json!(1.5), json!("90"), json!(70000)] {
            assert_eq!(
                protection_days(Some(&bad)).unwrap_err().code,
                "protection_days_range"
            );
        }
        assert!(protection_days(None).is_err());
    }

    #[test]
    fn a_submission_is_overdue_after_two_working_days_not_counting_weekends() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // Thursday 26 Nov: Friday and Monday are two working days.
        assert!(!is_overdue(d(11, 26), d(11, 30)));
        assert!(is_overdue(d(11, 26), d(12, 1)));
        // Friday 27 Nov: the weekend does not count.
        assert!(!is_overdue(d(11, 27), d(12, 1)));
        assert!(is_overdue(d(11, 27), d(12, 2)));
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn form() -> RegistrationForm {
        RegistrationForm {
            partner_company: "华信伙伴科技".into(),
            partner_contact: "王芳".into(),
            partner_email: "wang@partner.cn".into(),
            partner_phone: "+86 138 0013 8000".into(),
            customer_company: "上海明远制造有限公司".into(),
            project_title: "MES 系统升级".into(),
            description: "二期".into(),
            amount: Some(80_000_000),
            expected_close: "2027-03-31".into(),
            website: String::new(),
        }
    }

    #[test]
    fn a_typed_amount_becomes_minor_units_or_says_what_is_wrong() {
        let cny = crate::money::Currency::CNY;
        assert_eq!(amount_from_text("1,200,000", cny), Ok(Some(120_000_000)));
        assert_eq!(amount_from_text("¥300000.5", cny), Ok(Some(30_000_050)));
        assert_eq!(amount_from_text("  ", cny), Ok(None));
        let code = |t: &str| amount_from_text(t, cny).unwrap_err().code;
        assert_eq!(code("-5"), "amount_negative");
        assert_eq!(code("1.234"), "amount_too_many_decimals");
        assert_eq!(amount_from_text("120万", cny), Ok(Some(120_000_000)));
        assert_eq!(code("lots"), "amount_invalid");
        assert_eq!(code("99999999999999999999"), "amount_too_large");
    }

    #[test]
    fn a_complete_form_is_accepted_and_trimmed() {
        let mut f = form();
        f.partner_contact = "  王芳 ".into();
        let r = f.validate(today()).unwrap();
        assert_eq!(r.partner_contact, "王芳");
        assert_eq!(r.amount.minor(), 80_000_000);
    }

    #[test]
    fn a_filled_honeypot_is_spam() {
        let mut f = form();
        f.website = "http://spam.example".into();
        assert_eq!(f.validate(today()), Err(FormRejection::Spam));
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let f = RegistrationForm {
            partner_email: "nope".into(),
            amount: Some(0),
            expected_close: "2020-01-01".into(),
            ..RegistrationForm::default()
        };
        let Err(FormRejection::Invalid(issues)) = f.validate(today()) else {
            panic!("accepted")
        };
        let fields: Vec<_> = issues
            .iter()
            .map(|i| (i.field.as_str(), i.code.as_str()))
            .collect();
        assert!(fields.contains(&("partner_company", "required")));
        assert!(fields.contains(&("partner_email", "invalid_email")));
        assert!(fields.contains(&("amount", "invalid_amount")));
        assert!(fields.contains(&("expected_close", "date_in_past")));
        assert!(fields.contains(&("project_title", "required")));
    }

    #[test]
    fn company_names_fold_case_width_spaces_punctuation_and_suffixes() {
        let same = [
            "上海明远制造有限公司",
            "上海明远制造股份有限公司",
            " 上海明远制造 ",
            "上海明远制造（有限公司）",
        ];
        for name in same {
            assert_eq!(normalize_company(name), "上海明远制造", "{name}");
        }
        assert_eq!(normalize_company("ACME Co., Ltd."), "acme");
        assert_eq!(normalize_company("Acme Inc"), "acme");
        assert_eq!(normalize_company("ＡＣＭＥ　ＬＴＤ"), "acme");
        assert_eq!(normalize_company("acme-limited"), "acme");
        assert_ne!(
            normalize_company("Acme Robotics"),
            normalize_company("Acme")
        );
    }

    #[test]
    fn a_suffix_alone_is_not_folded_away() {
        assert_eq!(normalize_company("公司"), "公司");
        assert_eq!(normalize_company("Co"), "co");
    }

    #[test]
    fn similar_titles_match_and_different_ones_do_not() {
        assert!(title_similarity("MES 系统升级", "MES系统升级项目") >= SIMILARITY_THRESHOLD);
        assert!(title_similarity("ERP upgrade", "erp  UPGRADE") == 1.0);
        assert!(title_similarity("MES 系统升级", "办公楼装修") < SIMILARITY_THRESHOLD);
        assert_eq!(title_similarity("", "x"), 0.0);
    }

    #[test]
    fn conflicts_need_the_same_customer_and_a_similar_project() {
        let r = form().validate(today()).unwrap();
        let c = |kind, id: &str, customer: &str, title: &str| Conflict {
            kind,
            id: id.into(),
            customer: customer.into(),
            title: title.into(),
        };
        let candidates = vec![
            c(
                ConflictKind::Opportunity,
                "o1",
                "上海明远制造股份有限公司",
                "MES系统升级项目",
            ),
            c(ConflictKind::Registration, "r1", "上海明远制造", "食堂改造"),
            c(
                ConflictKind::Registration,
                "r2",
                "北京明远制造",
                "MES 系统升级",
            ),
        ];
        let found = find_conflicts(&r, &candidates);
        assert_eq!(
            found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["o1"]
        );
    }
}
