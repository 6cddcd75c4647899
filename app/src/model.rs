//! What the deal and lead pages show, computed with the `shared` rules.
//! Plain functions, so host tests reach them; the components only lay the
//! results out.

use crate::api::ApiError;
use serde_json::Value;
use shared::api::Config;
use shared::checklist::{FieldValueError, Fields, validate_field_value};
use shared::gate::{self, Target, Transition, Verdict};
use shared::lead::{ConvertRequest, Lead};
use shared::opportunity::OpportunityPatch;
use shared::pipeline::{FieldKind, RequiredField, Stage};
use shared::{Currency, GradingPolicy, LeadBy, Money, Opportunity, Pipeline};
use std::collections::BTreeMap;

/// What the user has typed into a stage's fields and not saved yet, as the
/// text of each input (`""` clears the field).
pub type Draft = BTreeMap<String, String>;

/// Why a field's input text is not a value of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    Value(FieldValueError),
    /// An amount, with exactly what is wrong with it.
    Money(shared::MoneyError),
}

impl InputError {
    pub fn message(self) -> shared::Localized {
        match self {
            InputError::Value(e) => e.message(),
            InputError::Money(e) => e.message(),
        }
    }
}

/// The JSON value a field's input text stands for: `Ok(None)` clears it.
pub fn parse_input(
    field: &RequiredField,
    text: &str,
    currency: Currency,
) -> Result<Option<Value>, InputError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value = match field.kind {
        FieldKind::Money => Money::parse_major(text, currency)
            .map(|m| Value::from(m.minor()))
            .map_err(InputError::Money)?,
        FieldKind::Bool => Value::Bool(text == "true"),
        _ => Value::String(text.to_string()),
    };
    validate_field_value(field, &value).map_err(InputError::Value)?;
    Ok(Some(value))
}

/// The text an input shows for a stored value.
pub fn input_text(field: &RequiredField, value: Option<&Value>, currency: Currency) -> String {
    match (field.kind, value) {
        (_, None | Some(Value::Null)) => String::new(),
        (FieldKind::Money, Some(v)) => v
            .as_i64()
            .and_then(|n| Money::from_minor(n).ok())
            .map(|m| m.format_major(currency))
            .unwrap_or_default(),
        (FieldKind::Bool, Some(v)) => {
            if v.as_bool() == Some(true) {
                "true".into()
            } else {
                String::new()
            }
        }
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(v)) => v.to_string(),
    }
}

/// The field changes a draft makes against the stored fields, as a PATCH
/// carries them (`None` clears); inputs that do not parse are left out.
pub fn draft_changes(
    stage: &Stage,
    stored: &Fields,
    draft: &Draft,
    currency: Currency,
) -> BTreeMap<String, Option<Value>> {
    let mut changes = BTreeMap::new();
    for field in &stage.required_fields {
        let key = field.key.as_str();
        let Some(text) = draft.get(key) else { continue };
        if let Ok(value) = parse_input(field, text, currency)
            && value.as_ref() != stored.get(key)
        {
            changes.insert(key.to_string(), value);
        }
    }
    changes
}

/// The deal as it would be with the draft saved: what the live verdict is
/// computed on.
pub fn with_draft(opp: &Opportunity, stage: &Stage, draft: &Draft) -> Opportunity {
    let mut preview = opp.clone();
    apply_draft(&mut preview.fields, stage, draft, opp.currency);
    preview
}

/// Applies a draft's parsed changes to stored fields (what a save would store).
pub fn apply_draft(fields: &mut Fields, stage: &Stage, draft: &Draft, currency: Currency) {
    for (key, value) in draft_changes(stage, fields, draft, currency) {
        match value {
            Some(v) => fields.insert(key, v),
            None => fields.remove(&key),
        };
    }
}

/// The grading policy the server grades by, read from the config: every
/// verdict and grade the app shows is computed on it. When the config's
/// thresholds make no policy there is no fallback (the built-in defaults
/// would be other rules than the server's): the page shows this error.
pub fn policy(config: &Config) -> Result<GradingPolicy, ApiError> {
    config.grading.policy().ok_or(ApiError::NoGradingPolicy)
}

/// The gate's verdict on moving to `to`, exactly as the server decides it.
pub fn verdict(
    opp: &Opportunity,
    pipeline: &Pipeline,
    policy: &GradingPolicy,
    to: Target,
) -> Verdict {
    gate::check(opp, pipeline, policy, &Transition::to(to))
}

/// The stages whose requirements the deal page works on: its current
/// stage, and, once the deal is on the full track (upgraded after a
/// fast-track skip), each stage it skipped, in pipeline order: a win now
/// needs theirs too, and each is filled where it is shown.
pub fn work_stages<'p>(opp: &Opportunity, pipeline: &'p Pipeline) -> Vec<&'p Stage> {
    let mut out: Vec<&Stage> = pipeline.stage(opp.stage.as_str()).into_iter().collect();
    if opp.is_open() && !opp.grade.effective.track().may_skip() {
        out.extend(
            pipeline
                .stages
                .iter()
                .filter(|s| opp.skipped.contains(&s.key) && s.key != opp.stage),
        );
    }
    out
}

/// The work stages as one stage: every requirement the page shows, each
/// once (what the draft, the save and the met / total counter work on).
pub fn work_stage(opp: &Opportunity, pipeline: &Pipeline) -> Option<Stage> {
    let stages = work_stages(opp, pipeline);
    let (first, rest) = stages.split_first()?;
    let mut merged = (*first).clone();
    for s in rest {
        for f in &s.required_fields {
            if merged.field(f.key.as_str()).is_none() {
                merged.required_fields.push(f.clone());
            }
        }
        for t in &s.required_tasks {
            if !merged.required_tasks.iter().any(|m| m.key == t.key) {
                merged.required_tasks.push(t.clone());
            }
        }
        for p in &s.processes {
            if !merged.processes.iter().any(|m| m.key == p.key) {
                merged.processes.push(p.clone());
            }
        }
        for r in &s.roles {
            if !merged.roles.iter().any(|m| m.role == r.role) {
                merged.roles.push(r.clone());
            }
        }
    }
    Some(merged)
}

/// How many of the requirements the deal page shows are met, of how many
/// (the current stage's, and the skipped stages' once they count again).
pub fn current_progress(opp: &Opportunity, pipeline: &Pipeline) -> (usize, usize) {
    work_stage(opp, pipeline).map_or((0, 0), |stage| {
        opp.checklist().progress(&stage, opp.grade.effective)
    })
}

/// The fresh record a 409 carries, when the error is one.
pub fn conflict<T: serde::de::DeserializeOwned>(error: &ApiError) -> Option<T> {
    match error {
        ApiError::Problem(p) if p.status == 409 => p.current.as_ref()?.parse().ok(),
        _ => None,
    }
}

/// Keys of the draft whose text does not parse for its field: shown with
/// their message and never saved, so they keep the page unsaved until they
/// are fixed or discarded.
pub fn draft_invalid(stage: &Stage, draft: &Draft, currency: Currency) -> Vec<String> {
    stage
        .required_fields
        .iter()
        .filter(|f| {
            draft
                .get(f.key.as_str())
                .is_some_and(|text| parse_input(f, text, currency).is_err())
        })
        .map(|f| f.key.to_string())
        .collect()
}

/// Typed and not saved: a change a save would store, or a text that does not
/// parse yet (which no save stores).
pub fn draft_pending(stage: &Stage, stored: &Fields, draft: &Draft, currency: Currency) -> bool {
    !draft_changes(stage, stored, draft, currency).is_empty()
        || !draft_invalid(stage, draft, currency).is_empty()
}

/// After any answer (a save, a ticked task, a 409): keep what the user typed
/// where it still applies, i.e. a field of `stage` whose stored value in
/// `fields` does not show the same text.
pub fn keep_typed(stage: &Stage, fields: &Fields, currency: Currency, draft: &Draft) -> Draft {
    draft
        .iter()
        .filter(|(key, text)| {
            stage
                .field(key)
                .is_some_and(|f| input_text(f, fields.get(key.as_str()), currency) != **text)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The same for a deal, on the fresh record's current stage.
pub fn keep_draft(fresh: &Opportunity, pipeline: &Pipeline, draft: &Draft) -> Draft {
    match work_stage(fresh, pipeline) {
        Some(stage) => keep_typed(&stage, &fresh.fields, fresh.currency, draft),
        None => Draft::new(),
    }
}

/// The conversion form as typed: the deal-to-be's grade (once the amount
/// parses), the verdict on converting (the stage-1 requirements, and the
/// amount and close date themselves while they are missing or invalid, so
/// "blocked by" always names something) and the met / total count of the
/// same items.
pub struct ConversionPreview {
    pub request: Option<ConvertRequest>,
    pub grade: Option<shared::Grade>,
    pub verdict: Verdict,
    pub progress: (usize, usize),
}

pub fn conversion_preview(
    lead: &Lead,
    pipeline: &Pipeline,
    policy: &GradingPolicy,
    lead_by: LeadBy,
    amount: &str,
    close: &str,
    currency: Currency,
) -> ConversionPreview {
    let amount = Money::parse_major(amount, currency).ok();
    let close = shared::checklist::parse_date(close);
    let grade = amount.map(|a| policy.grade(lead_by, a));
    // Until an amount is typed, the stage-1 list is the one of a zero amount.
    let graded = grade.unwrap_or_else(|| policy.grade(lead_by, Money::ZERO));
    let req = ConvertRequest {
        lead_by,
        amount: amount.unwrap_or(Money::ZERO),
        expected_close: close.unwrap_or_default(),
        version: lead.version,
    };
    let mut verdict = lead.check_conversion(pipeline, policy, &req);
    let (mut met, mut total) = pipeline
        .first()
        .map_or((0, 0), |s| lead.checklist().progress(s, graded));
    let stage = pipeline
        .first()
        .map_or_else(|| pipeline.id.clone(), |s| s.key.clone());
    let inputs = [
        (amount.is_some(), "amount", ("填写金额", "Enter the amount")),
        (
            close.is_some(),
            "expected_close",
            ("填写预计成交日期", "Enter the expected close date"),
        ),
    ];
    for (i, (ok, key, (zh, en))) in inputs.into_iter().enumerate() {
        total += 1;
        if ok {
            met += 1;
            continue;
        }
        verdict.allowed = false;
        verdict.blockers.insert(
            i.min(verdict.blockers.len()),
            shared::Blocker {
                stage: stage.clone(),
                kind: shared::BlockerKind::Field,
                key: shared::Key::parse(key).ok(),
                message: shared::Localized::new(zh, en),
            },
        );
    }
    ConversionPreview {
        request: (amount.is_some() && close.is_some()).then_some(req),
        grade,
        verdict,
        progress: (met, total),
    }
}

/// A deal's own terms as typed on its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub name: String,
    pub customer: String,
    pub amount: String,
    pub close: String,
    pub lead_by: LeadBy,
}

impl Terms {
    /// The terms as stored, as the inputs show them.
    pub fn of(o: &Opportunity) -> Terms {
        Terms {
            name: o.name.clone(),
            customer: o.customer.clone(),
            amount: o.amount.format_major(o.currency),
            close: o.expected_close.to_string(),
            lead_by: o.lead_by,
        }
    }
}

/// Why a typed term cannot be sent, by input name, in both languages.
pub type TermProblems = Vec<(&'static str, shared::Localized)>;

/// The PATCH the typed terms make (only what differs from `o`), or what is
/// wrong with the inputs: the rules the server's patch applies (a name and
/// a customer, each at most `MAX_NAME` characters; an amount above zero; a
/// real date), each named on its input.
pub fn terms_patch(o: &Opportunity, t: &Terms) -> Result<OpportunityPatch, TermProblems> {
    use shared::opportunity::{MAX_NAME, clean_text, positive_amount};
    let mut problems = TermProblems::new();
    // The shared rules the server's patch applies, with the message the
    // server puts beside the input.
    for (name, text) in [("name", &t.name), ("customer", &t.customer)] {
        if let Some(issue) = clean_text(text, name, MAX_NAME)
            .err()
            .and_then(|e| e.field_issue())
        {
            problems.push((name, issue.message));
        }
    }
    let amount = match Money::parse_major(&t.amount, o.currency) {
        Ok(a) => match positive_amount(a) {
            Ok(a) => Some(a),
            Err(_) => {
                problems.push((
                    "amount",
                    shared::Localized::new("金额必须大于零", "The amount must be more than zero"),
                ));
                None
            }
        },
        Err(e) => {
            problems.push(("amount", e.message()));
            None
        }
    };
    let close = shared::checklist::parse_date(&t.close);
    if close.is_none() {
        problems.push((
            "expected_close",
            shared::Localized::new("请输入有效日期", "Enter a real date (YYYY-MM-DD)"),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let differs = |typed: &str, stored: &str| {
        let typed = typed.trim();
        (typed != stored).then(|| typed.to_string())
    };
    Ok(OpportunityPatch {
        version: o.version,
        name: differs(&t.name, &o.name),
        customer: differs(&t.customer, &o.customer),
        amount: amount.filter(|a| *a != o.amount),
        expected_close: close.filter(|d| *d != o.expected_close),
        lead_by: Some(t.lead_by).filter(|l| *l != o.lead_by),
        fields: None,
    })
}

/// The grade the deal would have with `patch` saved: the shared grading
/// rule on the new amount and lead-by, its override kept (as the server's
/// regrade does).
pub fn terms_grade(
    o: &Opportunity,
    patch: &OpportunityPatch,
    policy: &GradingPolicy,
) -> shared::GradeView {
    let mut next = o.clone();
    next.amount = patch.amount.unwrap_or(o.amount);
    next.lead_by = patch.lead_by.unwrap_or(o.lead_by);
    next.grade_now(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::builtin;
    use shared::sample;

    fn b_deal() -> (Opportunity, Pipeline, GradingPolicy) {
        let pipeline = builtin::tender();
        let policy = GradingPolicy::default();
        let opp = sample::opportunity(
            &pipeline,
            "initiate",
            shared::LeadBy::Us,
            200_000_000,
            &policy,
        );
        (opp, pipeline, policy)
    }

    #[test]
    fn after_an_upgrade_the_skipped_stages_are_worked_and_counted_on_the_page() {
        let pipeline = builtin::tender();
        let policy = GradingPolicy::default();
        let mut opp = sample::opportunity(
            &pipeline,
            "initiate",
            shared::LeadBy::Us,
            50_000_000,
            &policy,
        );
        sample::fill_stage(&mut opp, pipeline.stage("initiate").unwrap());
        let jump = Transition::to(Target::Stage(shared::Key::parse("negotiate").unwrap()));
        let (mut opp, _) = gate::apply(&opp, &pipeline, &policy, &jump, sample::instant()).unwrap();
        // On the fast track the page works on the final stage only.
        assert_eq!(work_stages(&opp, &pipeline).len(), 1);
        let (_, fast_total) = current_progress(&opp, &pipeline);
        // Upgraded to A: the skipped stages come back, each under its name.
        opp.grade.effective = shared::Grade::A;
        let keys: Vec<&str> = work_stages(&opp, &pipeline)
            .iter()
            .map(|s| s.key.as_str())
            .collect();
        assert_eq!(
            keys,
            ["negotiate", "analyze", "present", "tender_prep", "bidding"]
        );
        let (met, total) = current_progress(&opp, &pipeline);
        assert!(
            total > fast_total && met < total,
            "{met}/{total} vs {fast_total}"
        );
        // A skipped stage's field is typed and saved with the rest.
        let merged = work_stage(&opp, &pipeline).unwrap();
        let field = pipeline.stage("analyze").unwrap().required_fields[0].clone();
        assert!(merged.field(field.key.as_str()).is_some());
        let mut draft = Draft::new();
        draft.insert(field.key.to_string(), sample_text(&field));
        let changes = draft_changes(&merged, &opp.fields, &draft, opp.currency);
        assert!(changes.contains_key(field.key.as_str()), "{changes:?}");
        // Every requirement is counted once, however many stages share it.
        let mut keys: Vec<String> = merged
            .required_fields
            .iter()
            .map(|f| f.key.to_string())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    /// Text that parses for `field`.
    fn sample_text(field: &shared::pipeline::RequiredField) -> String {
        input_text(field, Some(&sample::field_value(field)), Currency::CNY)
    }

    fn config(a_min: i64, b_min: i64, c_min: i64) -> Config {
        let m = |major| Money::from_major(major, Currency::CNY).unwrap();
        Config {
            grading: shared::api::GradingConfig {
                a_min: m(a_min),
                b_min: m(b_min),
                c_min: m(c_min),
                currency: Currency::CNY,
                version: 1,
            },
            pipelines: vec![builtin::tender()],
            team_roles: builtin::team_roles(),
            currency: Currency::CNY,
            registration: shared::api::RegistrationConfig {
                protection_days: 90,
            },
            versions: BTreeMap::new(),
        }
    }

    #[test]
    fn a_config_with_valid_thresholds_gives_exactly_its_policy() {
        let policy = policy(&config(8_000_000, 2_000_000, 500_000)).unwrap();
        assert_eq!(
            policy.b_min(),
            Money::from_major(2_000_000, Currency::CNY).unwrap()
        );
        assert_ne!(policy, GradingPolicy::default());
    }

    #[test]
    fn a_config_whose_thresholds_break_the_invariant_gives_no_policy() {
        // b_min above a_min; and a zero c_min: neither falls back to the defaults.
        for broken in [
            config(1_000_000, 5_000_000, 300_000),
            config(5_000_000, 1_000_000, 0),
        ] {
            assert_eq!(policy(&broken), Err(ApiError::NoGradingPolicy));
        }
    }

    #[test]
    fn money_inputs_are_major_units_and_round_trip() {
        let (opp, pipeline, _) = b_deal();
        let (_, field) = pipeline
            .stages
            .iter()
            .flat_map(|s| s.required_fields.iter().map(move |f| (s, f)))
            .find(|(_, f)| f.kind == FieldKind::Money)
            .expect("the tender pipeline has a money field");
        let value = parse_input(field, "1,234,567.89", opp.currency).unwrap();
        assert_eq!(value, Some(Value::from(123_456_789)));
        assert_eq!(
            input_text(field, value.as_ref(), opp.currency),
            "1,234,567.89"
        );
        assert_eq!(
            parse_input(field, "lots", opp.currency),
            Err(InputError::Money(shared::MoneyError::Invalid))
        );
        assert_eq!(parse_input(field, "  ", opp.currency), Ok(None));
    }

    #[test]
    fn the_live_verdict_follows_the_draft_without_saving() {
        let (opp, pipeline, policy) = b_deal();
        let stage = pipeline.stage(opp.stage.as_str()).unwrap().clone();
        let to = shared::gate::advance_target(&opp, &pipeline).unwrap();
        let before = verdict(&opp, &pipeline, &policy, to.clone());
        assert!(!before.allowed);

        let mut draft = Draft::new();
        for f in stage
            .required_fields
            .iter()
            .filter(|f| f.grades.contains(opp.grade.effective))
        {
            let v = sample::field_value(f);
            draft.insert(f.key.to_string(), input_text(f, Some(&v), opp.currency));
        }
        let preview = with_draft(&opp, &stage, &draft);
        let after = verdict(&preview, &pipeline, &policy, to);
        let field_blockers = |v: &Verdict| {
            v.blockers
                .iter()
                .filter(|b| b.kind == shared::BlockerKind::Field)
                .count()
        };
        assert!(field_blockers(&before) > 0);
        assert_eq!(field_blockers(&after), 0, "{:?}", after.blockers);
        assert!(current_progress(&preview, &pipeline).0 > current_progress(&opp, &pipeline).0);
        // The stored deal is untouched.
        assert!(opp.fields.is_empty());
    }

    #[test]
    fn after_a_conflict_only_typed_text_that_still_applies_is_kept() {
        let (opp, pipeline, _) = b_deal();
        let stage = pipeline.stage(opp.stage.as_str()).unwrap();
        let field = &stage.required_fields[0];
        let mut draft = Draft::new();
        draft.insert(field.key.to_string(), "typed".into());
        draft.insert("not_a_field_here".into(), "x".into());
        let kept = keep_draft(&opp, &pipeline, &draft);
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept.get(field.key.as_str()).map(String::as_str),
            Some("typed")
        );

        // Someone else saved the same text: nothing left to keep.
        let mut fresh = opp.clone();
        fresh
            .fields
            .insert(field.key.to_string(), Value::from("typed"));
        assert!(keep_draft(&fresh, &pipeline, &draft).is_empty());
    }

    #[test]
    fn an_invalid_input_keeps_the_page_unsaved_after_the_valid_ones_are_saved() {
        let (opp, pipeline, _) = b_deal();
        let stage = pipeline.stage(opp.stage.as_str()).unwrap();
        let of_kind = |kind: FieldKind| {
            pipeline
                .stages
                .iter()
                .flat_map(|s| s.required_fields.iter())
                .find(|f| f.kind == kind)
                .unwrap()
                .clone()
        };
        // A stage with one text field and one money field.
        let (text, money) = (of_kind(FieldKind::Text), of_kind(FieldKind::Money));
        let mut stage = stage.clone();
        stage.required_fields = vec![text.clone(), money.clone()];

        let mut draft = Draft::new();
        draft.insert(text.key.to_string(), "Acme".into());
        draft.insert(money.key.to_string(), "12.345".into());
        assert_eq!(
            draft_invalid(&stage, &draft, opp.currency),
            vec![money.key.to_string()]
        );
        // A save stores the valid one only.
        let changes = draft_changes(&stage, &opp.fields, &draft, opp.currency);
        assert_eq!(changes.keys().collect::<Vec<_>>(), vec![text.key.as_str()]);
        let mut saved = opp.fields.clone();
        apply_draft(&mut saved, &stage, &draft, opp.currency);

        // After the answer the invalid text is still typed, and still pending.
        let kept = keep_typed(&stage, &saved, opp.currency, &draft);
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept.get(money.key.as_str()).map(String::as_str),
            Some("12.345")
        );
        assert!(draft_pending(&stage, &saved, &kept, opp.currency));
        // Fixed and saved: nothing pending, nothing kept.
        let mut fixed = kept.clone();
        fixed.insert(money.key.to_string(), "12.34".into());
        apply_draft(&mut saved, &stage, &fixed, opp.currency);
        assert!(!draft_pending(&stage, &saved, &fixed, opp.currency));
        assert!(keep_typed(&stage, &saved, opp.currency, &fixed).is_empty());
    }

    fn new_lead() -> Lead {
        let new = shared::lead::NewLead {
            title: "MES 系统升级".into(),
            customer: "上海明远制造".into(),
            description: String::new(),
            contact: shared::lead::Contact {
                name: "张伟".into(),
                phone: "138 0013 8000".into(),
                email: String::new(),
            },
            source: String::new(),
            owner_id: None,
            pipeline: shared::Key::parse("tender").unwrap(),
        };
        let valid = new.validate(&builtin::pipelines()).unwrap();
        let rep = shared::Actor::new("u_rep", &[shared::Role::Rep]);
        Lead::create("l_1", valid, &rep).0
    }

    #[test]
    fn the_conversion_preview_names_a_missing_amount_and_counts_it() {
        let pipeline = builtin::tender();
        let policy = GradingPolicy::default();
        let mut lead = new_lead();
        // Every stage-1 requirement met: only the typed terms are left.
        let stage = pipeline.first().unwrap().clone();
        for f in &stage.required_fields {
            lead.fields
                .insert(f.key.to_string(), sample::field_value(f));
        }
        for t in &stage.required_tasks {
            lead.tasks.insert(
                t.key.to_string(),
                shared::checklist::TaskState {
                    done: true,
                    ..Default::default()
                },
            );
        }
        let cny = Currency::CNY;
        let empty =
            conversion_preview(&lead, &pipeline, &policy, LeadBy::Us, "", "2027-01-31", cny);
        assert!(empty.grade.is_none() && empty.request.is_none());
        assert!(!empty.verdict.allowed);
        // "Blocked by" names the amount, and the count does not say all met.
        let keys: Vec<_> = empty
            .verdict
            .blockers
            .iter()
            .map(|b| b.key.as_ref().map(|k| k.to_string()))
            .collect();
        assert_eq!(keys, vec![Some("amount".to_string())]);
        let (met, total) = empty.progress;
        assert_eq!(met + 1, total);

        let bad_date = conversion_preview(
            &lead,
            &pipeline,
            &policy,
            LeadBy::Us,
            "1,200,000",
            "2027-02-30",
            cny,
        );
        assert!(bad_date.grade.is_some());
        assert_eq!(
            bad_date.verdict.blockers[0]
                .key
                .as_ref()
                .map(|k| k.as_str()),
            Some("expected_close")
        );

        let ready = conversion_preview(
            &lead,
            &pipeline,
            &policy,
            LeadBy::Us,
            "1,200,000",
            "2027-01-31",
            cny,
        );
        assert!(ready.verdict.allowed, "{:?}", ready.verdict.blockers);
        assert_eq!(ready.progress.0, ready.progress.1);
        assert_eq!(
            ready.request.map(|r| r.amount),
            Some(Money::from_major(1_200_000, cny).unwrap())
        );
    }

    #[test]
    fn typed_terms_patch_only_what_differs_and_preview_the_regrade() {
        let (opp, pipeline, policy) = b_deal();
        let owner = shared::Actor::new(opp.owner_id.clone(), &[shared::Role::Rep]);
        let mut t = Terms::of(&opp);
        // As stored: an empty patch, the same deal.
        let same = terms_patch(&opp, &t).unwrap();
        assert_eq!(same.name, None);
        assert_eq!(same.amount, None);
        assert_eq!(same.lead_by, None);

        // A quarter of the amount: B drops to C, the fast track, before any save.
        t.amount = "50万".into();
        t.name = "  New name ".into();
        let patch = terms_patch(&opp, &t).unwrap();
        assert_eq!(patch.name.as_deref(), Some("New name"));
        assert_eq!(
            patch.amount,
            Some(Money::from_major(500_000, Currency::CNY).unwrap())
        );
        let shown = terms_grade(&opp, &patch, &policy);
        assert_eq!(shown.effective, shared::Grade::C);
        assert_eq!(shown.effective.track(), shared::Track::Fast);
        // The server's own rule agrees.
        let mut saved = opp.clone();
        saved.patch(&patch, &pipeline, &policy, &owner).unwrap();
        assert_eq!(saved.grade, shown);

        // Zero, junk, an impossible date and an empty name are named on their inputs.
        for (name, amount, close, names) in [
            ("Deal", "0", "2027-01-31", vec!["amount"]),
            (
                "Deal",
                "lots",
                "2027-02-30",
                vec!["amount", "expected_close"],
            ),
            ("  ", "-5", "2027-01-31", vec!["name", "amount"]),
        ] {
            t.name = name.into();
            t.amount = amount.into();
            t.close = close.into();
            let problems = terms_patch(&opp, &t).unwrap_err();
            assert_eq!(problems.iter().map(|p| p.0).collect::<Vec<_>>(), names);
        }
    }
}
