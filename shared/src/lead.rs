//! Leads (销售线索): a possible opportunity plus a way to reach someone.
//! Stage 1 (verification) lives on the lead; converting it is leaving
//! stage 1 and creates the opportunity in stage 2 with its grade.

use crate::checklist::{ApprovalState, Checklist, Fields, TaskState};
use crate::event::EventKind;
use crate::gate::{Blocker, BlockerKind, Verdict, requirement_blockers};
use crate::grade::{GradeView, GradingPolicy, LeadBy};
use crate::i18n::Localized;
use crate::money::{Currency, Money};
use crate::opportunity::{
    MAX_NAME, OpError, Opportunity, PartnerInfo, Status, record_task, set_fields,
};
use crate::pipeline::{Key, Pipeline};
use crate::user::Actor;
use crate::validate::{FieldIssue, check_email, check_phone, optional_text, required_text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An open lead or deal that a new lead may duplicate (`GET /api/duplicates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Duplicate {
    /// `lead` or `opportunity`.
    pub kind: DuplicateKind,
    pub id: String,
    pub customer: String,
    pub title: String,
    pub owner_id: String,
    /// May the asker open it? Otherwise it is named, not linked.
    pub visible: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DuplicateKind {
    Lead,
    Opportunity,
}

/// The candidates a lead for `customer` about `title` would duplicate: the
/// same customer once case, width, spaces, punctuation and company suffixes
/// are set aside, and a similar title (the partner registrations' rule).
pub fn find_duplicates(customer: &str, title: &str, candidates: Vec<Duplicate>) -> Vec<Duplicate> {
    candidates
        .into_iter()
        .filter(|c| crate::registration::is_conflict(customer, title, &c.customer, &c.title))
        .collect()
}

/// Longest lead description.
pub const MAX_DESCRIPTION: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    #[default]
    New,
    Working,
    Converted,
    Disqualified,
}

impl LeadStatus {
    /// The name in JSON and in the database's `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Working => "working",
            LeadStatus::Converted => "converted",
            LeadStatus::Disqualified => "disqualified",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, LeadStatus::New | LeadStatus::Working)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Lead {
    pub id: String,
    pub version: u64,
    pub title: String,
    pub customer: String,
    #[serde(default)]
    pub description: String,
    pub contact: Contact,
    #[serde(default)]
    pub source: String,
    pub owner_id: String,
    pub status: LeadStatus,
    pub pipeline: Key,
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskState>,
    #[serde(default)]
    pub disqualify_reason: Option<String>,
    #[serde(default)]
    pub opportunity_id: Option<String>,
    #[serde(default)]
    pub partner: Option<PartnerInfo>,
}

/// `POST /api/leads`: a lead minus id, version, status, fields and tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewLead {
    pub title: String,
    pub customer: String,
    #[serde(default)]
    pub description: String,
    pub contact: Contact,
    #[serde(default)]
    pub source: String,
    /// Defaults to the creator.
    #[serde(default)]
    pub owner_id: Option<String>,
    pub pipeline: Key,
}

impl NewLead {
    /// The two essentials (seed): a possible opportunity (title, customer)
    /// and a way to reach someone (contact name plus phone or e-mail).
    pub fn validate(&self, pipelines: &[Pipeline]) -> Result<NewLead, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let title = required_text(&mut issues, "title", &self.title, MAX_NAME);
        let customer = required_text(&mut issues, "customer", &self.customer, MAX_NAME);
        let description = optional_text(
            &mut issues,
            "description",
            &self.description,
            MAX_DESCRIPTION,
        );
        let source = optional_text(&mut issues, "source", &self.source, MAX_NAME);
        let name = required_text(&mut issues, "contact.name", &self.contact.name, MAX_NAME);
        let phone = self.contact.phone.trim().to_string();
        let email = self.contact.email.trim().to_string();
        if phone.is_empty() && email.is_empty() {
            issues.push(FieldIssue::new(
                "contact",
                "contact_required",
                "请填写联系电话或电子邮箱",
                "Give a phone number or an e-mail address",
            ));
        }
        check_phone(&mut issues, "contact.phone", &phone);
        check_email(&mut issues, "contact.email", &email);
        if !pipelines.iter().any(|p| p.id == self.pipeline) {
            issues.push(FieldIssue::new(
                "pipeline",
                "unknown_pipeline",
                "没有该销售流程",
                "No such pipeline",
            ));
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(NewLead {
            title,
            customer,
            description,
            contact: Contact { name, phone, email },
            source,
            owner_id: self
                .owner_id
                .as_ref()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty()),
            pipeline: self.pipeline.clone(),
        })
    }
}

/// `POST /api/leads/{id}/convert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConvertRequest {
    pub lead_by: LeadBy,
    pub amount: Money,
    #[serde(deserialize_with = "crate::wire::date")]
    pub expected_close: NaiveDate,
    pub version: u64,
}

const NO_APPROVALS: &BTreeMap<String, ApprovalState> = &BTreeMap::new();

/// A lead holds only stage 1's fields: anything else is an unknown field.
fn set_stage_one_fields(
    fields: &mut Fields,
    pipeline: &Pipeline,
    changes: &BTreeMap<String, Option<serde_json::Value>>,
) -> Result<Vec<EventKind>, OpError> {
    let first = pipeline.first().ok_or(OpError::Forbidden)?;
    if let Some(key) = changes.keys().find(|k| first.field(k).is_none()) {
        return Err(OpError::UnknownField(key.clone()));
    }
    set_fields(fields, pipeline, changes)
}

impl Lead {
    pub fn checklist(&self) -> Checklist<'_> {
        Checklist {
            fields: &self.fields,
            tasks: &self.tasks,
            approvals: NO_APPROVALS,
            team: &[],
        }
    }

    fn open_for(&self, actor: &Actor) -> Result<(), OpError> {
        if !self.status.is_open() {
            return Err(OpError::Closed);
        }
        if !self.can_edit(actor) {
            return Err(OpError::Forbidden);
        }
        Ok(())
    }

    /// Sets stage-1 fields (only those: the rest belong to the deal).
    pub fn set_fields(
        &mut self,
        pipeline: &Pipeline,
        changes: &BTreeMap<String, Option<serde_json::Value>>,
        actor: &Actor,
    ) -> Result<Vec<EventKind>, OpError> {
        self.open_for(actor)?;
        let events = set_stage_one_fields(&mut self.fields, pipeline, changes)?;
        self.touch();
        Ok(events)
    }

    /// Ticks or unticks a stage-1 task.
    pub fn set_task(
        &mut self,
        pipeline: &Pipeline,
        key: &str,
        done: bool,
        note: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<EventKind>, OpError> {
        self.open_for(actor)?;
        if pipeline.first().and_then(|s| s.task(key)).is_none() {
            return Err(OpError::UnknownTask(key.to_string()));
        }
        let event = record_task(&mut self.tasks, key, done, note, actor, now)?;
        self.touch();
        Ok(vec![event])
    }

    /// Once someone works on a new lead, it is `working`.
    fn touch(&mut self) {
        if self.status == LeadStatus::New {
            self.status = LeadStatus::Working;
        }
        self.version += 1;
    }

    pub fn disqualify(&mut self, reason: &str, actor: &Actor) -> Result<Vec<EventKind>, OpError> {
        self.open_for(actor)?;
        let reason = crate::opportunity::clean_text(reason, "reason", crate::checklist::MAX_NOTE)?;
        self.status = LeadStatus::Disqualified;
        self.disqualify_reason = Some(reason.clone());
        self.version += 1;
        Ok(vec![EventKind::Disqualified { reason }])
    }

    /// Opens a disqualified lead again (owner, managers), with a reason.
    pub fn reopen(&mut self, reason: &str, actor: &Actor) -> Result<Vec<EventKind>, OpError> {
        if !self.can_edit(actor) {
            return Err(OpError::Forbidden);
        }
        if self.status != LeadStatus::Disqualified {
            return Err(OpError::NotDisqualified);
        }
        let reason = crate::opportunity::clean_text(reason, "reason", crate::checklist::MAX_NOTE)?;
        self.status = LeadStatus::Working;
        self.disqualify_reason = None;
        self.version += 1;
        Ok(vec![EventKind::LeadReopened { reason }])
    }

    /// May the lead be converted with these terms? Stage 1's requirements
    /// for the grade the deal would have.
    pub fn check_conversion(
        &self,
        pipeline: &Pipeline,
        policy: &GradingPolicy,
        req: &ConvertRequest,
    ) -> Verdict {
        let stage = pipeline
            .first()
            .map_or_else(|| pipeline.id.clone(), |s| s.key.clone());
        if !self.status.is_open() {
            return Verdict {
                allowed: false,
                blockers: vec![Blocker {
                    stage,
                    kind: BlockerKind::Closed,
                    key: None,
                    message: Localized::new(
                        "线索已转化或已作废",
                        "The lead is already converted or disqualified",
                    ),
                }],
            };
        }
        let grade = policy.grade(req.lead_by, req.amount);
        let blockers = pipeline
            .first()
            .map(|s| requirement_blockers(s, &self.checklist(), grade))
            .unwrap_or_default();
        Verdict {
            allowed: blockers.is_empty(),
            blockers,
        }
    }

    /// Converts: the lead becomes `converted`, and the opportunity starts in
    /// stage 2 with its grade computed. Refuses what `check_conversion` refuses.
    /// Who may convert (owner, manager) is checked with [`Lead::can_edit`].
    pub fn convert(
        &self,
        pipeline: &Pipeline,
        policy: &GradingPolicy,
        req: &ConvertRequest,
        opportunity_id: &str,
        currency: Currency,
        now: DateTime<Utc>,
    ) -> Result<(Lead, Opportunity, Vec<EventKind>), Verdict> {
        let verdict = self.check_conversion(pipeline, policy, req);
        if !verdict.allowed {
            return Err(verdict);
        }
        let Some(start) = pipeline.opportunity_start() else {
            return Err(Verdict {
                allowed: false,
                blockers: vec![],
            });
        };
        let grade = GradeView::new(policy.grade(req.lead_by, req.amount), None);
        let opportunity = Opportunity {
            id: opportunity_id.to_string(),
            version: 1,
            name: self.title.clone(),
            customer: self.customer.clone(),
            pipeline: pipeline.id.clone(),
            stage: start.key.clone(),
            status: Status::Open,
            lead_by: req.lead_by,
            amount: req.amount,
            currency,
            expected_close: req.expected_close,
            owner_id: self.owner_id.clone(),
            grade,
            track: grade.effective.track(),
            grade_override: None,
            fields: self.fields.clone(),
            tasks: self.tasks.clone(),
            approvals: BTreeMap::new(),
            team: vec![],
            skipped: vec![],
            stage_entered_at: now,
            lead_id: Some(self.id.clone()),
            partner: self.partner.clone(),
            contract: None,
            lost: None,
            closed_at: None,
            forecast: Default::default(),
        };
        let mut lead = self.clone();
        lead.status = LeadStatus::Converted;
        lead.opportunity_id = Some(opportunity_id.to_string());
        lead.version += 1;
        Ok((
            lead,
            opportunity,
            vec![
                EventKind::Converted {
                    lead_id: self.id.clone(),
                    opportunity_id: opportunity_id.to_string(),
                },
                EventKind::Created {
                    stage: start.key.clone(),
                },
            ],
        ))
    }
}

/// `PATCH /api/leads/{id}`: the editable parts; status, owner and stage-1
/// completion are not settable here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LeadPatch {
    pub version: u64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub contact: Option<Contact>,
    #[serde(default)]
    pub source: Option<String>,
    /// Stage-1 fields: `{key: value}` sets, `{key: null}` clears.
    #[serde(default)]
    pub fields: Option<BTreeMap<String, Option<serde_json::Value>>>,
}

/// Why a lead change was refused: invalid inputs, or a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadChangeError {
    Invalid(Vec<FieldIssue>),
    Op(OpError),
}

impl From<OpError> for LeadChangeError {
    fn from(e: OpError) -> Self {
        LeadChangeError::Op(e)
    }
}

impl Lead {
    /// Applies a PATCH (the version is the caller's to check).
    pub fn patch(
        &mut self,
        patch: &LeadPatch,
        pipelines: &[Pipeline],
        actor: &Actor,
    ) -> Result<Vec<EventKind>, LeadChangeError> {
        self.open_for(actor)?;
        let merged = NewLead {
            title: patch.title.clone().unwrap_or_else(|| self.title.clone()),
            customer: patch
                .customer
                .clone()
                .unwrap_or_else(|| self.customer.clone()),
            description: patch
                .description
                .clone()
                .unwrap_or_else(|| self.description.clone()),
            contact: patch
                .contact
                .clone()
                .unwrap_or_else(|| self.contact.clone()),
            source: patch.source.clone().unwrap_or_else(|| self.source.clone()),
            owner_id: Some(self.owner_id.clone()),
            pipeline: self.pipeline.clone(),
        }
        .validate(pipelines)
        .map_err(LeadChangeError::Invalid)?;
        let pipeline = pipelines
            .iter()
            .find(|p| p.id == self.pipeline)
            .ok_or(LeadChangeError::Op(OpError::Forbidden))?;
        let mut next = self.clone();
        let mut changes = Vec::new();
        let mut set = |name: &str, changed: bool| {
            if changed {
                changes.push(name.to_string());
            }
        };
        set("title", merged.title != self.title);
        set("customer", merged.customer != self.customer);
        set("description", merged.description != self.description);
        set("contact", merged.contact != self.contact);
        set("source", merged.source != self.source);
        next.title = merged.title;
        next.customer = merged.customer;
        next.description = merged.description;
        next.contact = merged.contact;
        next.source = merged.source;
        let mut events = Vec::new();
        if !changes.is_empty() {
            events.push(EventKind::Updated { changes });
        }
        if let Some(fields) = &patch.fields {
            events.extend(set_stage_one_fields(&mut next.fields, pipeline, fields)?);
        }
        // A patch that changes nothing is no write: no version, no event.
        if events.is_empty() && next == *self {
            return Ok(events);
        }
        next.touch();
        *self = next;
        Ok(events)
    }

    /// A new lead from validated input. It belongs to its creator; only a
    /// manager may hand it to someone else on creation.
    pub fn create(id: &str, new: NewLead, creator: &Actor) -> (Lead, Vec<EventKind>) {
        let owner_id = new
            .owner_id
            .filter(|_| creator.is_manager())
            .unwrap_or_else(|| creator.user_id.clone());
        let pipeline = new.pipeline.clone();
        let stage = Key::parse("verify").unwrap_or_else(|_| pipeline.clone());
        let lead = Lead {
            id: id.to_string(),
            version: 1,
            title: new.title,
            customer: new.customer,
            description: new.description,
            contact: new.contact,
            source: new.source,
            owner_id,
            status: LeadStatus::New,
            pipeline,
            fields: Fields::new(),
            tasks: BTreeMap::new(),
            disqualify_reason: None,
            opportunity_id: None,
            partner: None,
        };
        (lead, vec![EventKind::Created { stage }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use crate::sample::instant;
    use crate::user::Role;

    fn rep() -> Actor {
        Actor::new("u_rep", &[Role::Rep])
    }

    fn new_lead() -> NewLead {
        NewLead {
            title: "MES 系统升级".into(),
            customer: "上海明远制造".into(),
            description: String::new(),
            contact: Contact {
                name: "张伟".into(),
                phone: "138 0013 8000".into(),
                email: String::new(),
            },
            source: "展会".into(),
            owner_id: None,
            pipeline: Key::parse("tender").unwrap(),
        }
    }

    fn lead() -> Lead {
        let valid = new_lead().validate(&builtin::pipelines()).unwrap();
        Lead::create("l_1", valid, &rep()).0
    }

    fn convert_req(amount: i64) -> ConvertRequest {
        ConvertRequest {
            lead_by: LeadBy::Us,
            amount: Money::from_minor(amount).unwrap(),
            expected_close: crate::sample::date(),
            version: 1,
        }
    }

    #[test]
    fn status_names_match_their_json() {
        for s in [
            LeadStatus::New,
            LeadStatus::Working,
            LeadStatus::Converted,
            LeadStatus::Disqualified,
        ] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        for s in [Status::Open, Status::Won, Status::Lost] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
    }

    #[test]
    fn a_lead_needs_a_possible_deal_and_a_way_to_reach_someone() {
        let mut n = new_lead();
        n.contact.phone.clear();
        let issues = n.validate(&builtin::pipelines()).unwrap_err();
        assert_eq!(issues[0].code, "contact_required");
        let mut n = new_lead();
        n.title = " ".into();
        n.contact.email = "not-an-email".into();
        let codes: Vec<_> = n
            .validate(&builtin::pipelines())
            .unwrap_err()
            .into_iter()
            .map(|i| i.code)
            .collect();
        assert_eq!(codes, ["required", "invalid_email"]);
    }

    #[test]
    fn conversion_is_blocked_until_stage_one_is_met_for_the_grade() {
        let p = builtin::tender();
        let mut l = lead();
        let v = l.check_conversion(&p, &GradingPolicy::default(), &convert_req(200_000_000));
        let keys: Vec<_> = v
            .blockers
            .iter()
            .filter_map(|b| b.key.as_ref().map(|k| k.to_string()))
            .collect();
        assert_eq!(
            keys,
            [
                "need_summary",
                "budget_status",
                "contact_confirmed",
                "participation_decision"
            ]
        );

        let fields = BTreeMap::from([
            (
                "need_summary".to_string(),
                Some(serde_json::json!("二期扩产")),
            ),
            (
                "budget_status".to_string(),
                Some(serde_json::json!("已落实 / Approved")),
            ),
        ]);
        l.set_fields(&p, &fields, &rep()).unwrap();
        for t in ["contact_confirmed", "participation_decision"] {
            l.set_task(&p, t, true, None, &rep(), instant()).unwrap();
        }
        assert_eq!(l.status, LeadStatus::Working);
        let (lead, opp, events) = l
            .convert(
                &p,
                &GradingPolicy::default(),
                &convert_req(200_000_000),
                "o_1",
                Currency::CNY,
                instant(),
            )
            .unwrap();
        assert_eq!(lead.status, LeadStatus::Converted);
        assert_eq!(opp.stage, "initiate");
        assert_eq!(opp.grade.effective, crate::grade::Grade::B);
        assert_eq!(opp.lead_id.as_deref(), Some("l_1"));
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn a_small_deal_converts_with_fewer_stage_one_requirements() {
        let p = builtin::tender();
        let mut l = lead();
        let fields = BTreeMap::from([
            (
                "need_summary".to_string(),
                Some(serde_json::json!("小项目")),
            ),
            (
                "budget_status".to_string(),
                Some(serde_json::json!("未知 / Unknown")),
            ),
        ]);
        l.set_fields(&p, &fields, &rep()).unwrap();
        l.set_task(&p, "contact_confirmed", true, None, &rep(), instant())
            .unwrap();
        assert!(
            l.check_conversion(&p, &GradingPolicy::default(), &convert_req(10_000_000))
                .allowed
        );
        assert!(
            !l.check_conversion(&p, &GradingPolicy::default(), &convert_req(200_000_000))
                .allowed
        );
    }

    #[test]
    fn a_lead_duplicates_an_open_record_of_the_same_customer_and_a_similar_title() {
        let candidate = |id: &str, customer: &str, title: &str| Duplicate {
            kind: DuplicateKind::Lead,
            id: id.into(),
            customer: customer.into(),
            title: title.into(),
            owner_id: "u_rep2".into(),
            visible: false,
        };
        let found = find_duplicates(
            "ACME Co., Ltd.",
            "MES rollout phase 2",
            vec![
                candidate("l_1", "acme", "MES Rollout, Phase 2"),
                candidate("l_2", "ＡＣＭＥ 有限公司", "mes rollout phase 2"),
                candidate("l_3", "Acme", "Payroll outsourcing"),
                candidate("l_4", "Globex", "MES rollout phase 2"),
            ],
        );
        let ids: Vec<&str> = found.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["l_1", "l_2"]);
        assert!(find_duplicates("", "MES", vec![candidate("l_5", "", "MES")]).is_empty());
    }

    #[test]
    fn a_converted_or_disqualified_lead_is_closed_to_changes() {
        let p = builtin::tender();
        let mut l = lead();
        l.disqualify("no budget", &rep()).unwrap();
        assert_eq!(l.disqualify("again", &rep()), Err(OpError::Closed));
        let v = l.check_conversion(&p, &GradingPolicy::default(), &convert_req(1));
        assert_eq!(v.blockers[0].kind, BlockerKind::Closed);
    }

    #[test]
    fn a_disqualified_lead_reopens_with_a_reason_by_who_may_work_it() {
        let mut l = lead();
        l.disqualify("no budget", &rep()).unwrap();
        let other = Actor::new("u_rep2", &[Role::Rep]);
        assert_eq!(l.reopen("mine now", &other), Err(OpError::Forbidden));
        // Reopened with a reason, by its owner: workable again.
        assert_eq!(l.reopen("  ", &rep()), Err(OpError::Required("reason")));
        let v = l.version;
        assert_eq!(
            l.reopen(" budget found ", &rep()),
            Ok(vec![EventKind::LeadReopened {
                reason: "budget found".into()
            }])
        );
        assert_eq!(
            (l.status, l.version, l.disqualify_reason.clone()),
            (LeadStatus::Working, v + 1, None)
        );
        assert_eq!(l.reopen("again", &rep()), Err(OpError::NotDisqualified));
    }

    #[test]
    fn another_rep_may_not_touch_someone_elses_lead() {
        let p = builtin::tender();
        let mut l = lead();
        let other = Actor::new("u_rep2", &[Role::Rep]);
        assert_eq!(
            l.set_task(&p, "contact_confirmed", true, None, &other, instant()),
            Err(OpError::Forbidden)
        );
        let manager = Actor::new("u_manager", &[Role::Manager]);
        assert!(
            l.set_task(&p, "contact_confirmed", true, None, &manager, instant())
                .is_ok()
        );
    }

    #[test]
    fn only_a_manager_may_create_a_lead_for_someone_else() {
        let valid = || {
            let mut n = new_lead();
            n.owner_id = Some("u_rep2".into());
            n.validate(&builtin::pipelines()).unwrap()
        };
        assert_eq!(Lead::create("l", valid(), &rep()).0.owner_id, "u_rep");
        let manager = Actor::new("u_manager", &[Role::Manager]);
        assert_eq!(Lead::create("l", valid(), &manager).0.owner_id, "u_rep2");
    }

    #[test]
    fn a_lead_patch_sets_only_stage_one_fields() {
        let pipelines = builtin::pipelines();
        let mut l = lead();
        let patch = LeadPatch {
            version: 1,
            fields: Some(BTreeMap::from([(
                "bid_price".to_string(),
                Some(serde_json::json!(5)),
            )])),
            ..LeadPatch::default()
        };
        assert_eq!(
            l.patch(&patch, &pipelines, &rep()),
            Err(LeadChangeError::Op(OpError::UnknownField(
                "bid_price".into()
            )))
        );
        let patch = LeadPatch {
            version: 1,
            title: Some("MES 三期".into()),
            ..LeadPatch::default()
        };
        let events = l.patch(&patch, &pipelines, &rep()).unwrap();
        assert_eq!(l.title, "MES 三期");
        assert_eq!(
            events,
            vec![EventKind::Updated {
                changes: vec!["title".into()]
            }]
        );
        assert!(
            serde_json::from_str::<LeadPatch>(r#"{"version":1,"status":"converted"}"#).is_err()
        );
    }

    #[test]
    fn a_lead_patch_that_changes_nothing_is_no_write() {
        let pipelines = builtin::pipelines();
        let mut l = lead();
        let before = l.clone();
        let same = LeadPatch {
            version: 1,
            title: Some(l.title.clone()),
            ..LeadPatch::default()
        };
        assert_eq!(l.patch(&same, &pipelines, &rep()), Ok(vec![]));
        assert_eq!(l, before, "no version bump, no status change");
    }
}
