//! An opportunity (商机): a verified lead we pursue, stage by stage, until
//! it is won (signed contract) or lost. Every mutation here is pure: it
//! takes the acting user and the time, changes the state, bumps the
//! version and returns the audit events to store with it.

use crate::access::DealAction;
use crate::checklist::{
    ApprovalState, ApprovalStatus, Checklist, FieldValueError, Fields, MAX_NOTE, TaskState,
    TeamMember, validate_field_value,
};
use crate::event::EventKind;
use crate::grade::{Grade, GradeError, GradeView, GradingPolicy, LeadBy, Track, check_upgrade};
use crate::i18n::Localized;
use crate::money::{Currency, Money};
use crate::pipeline::{Key, Pipeline, StageKey, TeamRole};
use crate::user::Actor;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest name or customer.
pub const MAX_NAME: usize = 200;

/// Whole days from `since` to `now` (none before `since`).
fn days_since(since: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - since).num_days().max(0)
}

/// A deal as the deal list shows it (`GET /api/opportunities?view=rows`,
/// #14): what a row of the list needs, read from the table's own columns
/// instead of the whole record (a rep's page of 50 is 14.8 KB instead of
/// 70.4, 2.3 KB gzip instead of 4.2; the server parses no document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OpportunityRow {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub customer: String,
    pub pipeline: Key,
    pub stage: StageKey,
    pub status: Status,
    pub amount: Money,
    pub currency: Currency,
    #[serde(deserialize_with = "crate::wire::date")]
    pub expected_close: NaiveDate,
    pub owner_id: String,
    /// The effective grade (the record's `grade.effective`).
    pub grade: Grade,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub stage_entered_at: DateTime<Utc>,
}

impl From<&Opportunity> for OpportunityRow {
    fn from(o: &Opportunity) -> Self {
        OpportunityRow {
            id: o.id.clone(),
            version: o.version,
            name: o.name.clone(),
            customer: o.customer.clone(),
            pipeline: o.pipeline.clone(),
            stage: o.stage.clone(),
            status: o.status,
            amount: o.amount,
            currency: o.currency,
            expected_close: o.expected_close,
            owner_id: o.owner_id.clone(),
            grade: o.grade.effective,
            stage_entered_at: o.stage_entered_at,
        }
    }
}

impl OpportunityRow {
    /// The same rule as [`Opportunity::days_in_stage`].
    pub fn days_in_stage(&self, now: DateTime<Utc>) -> i64 {
        days_since(self.stage_entered_at, now)
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    Won,
    Lost,
}

impl Status {
    /// Still being worked (not won or lost).
    pub fn is_open(self) -> bool {
        self == Status::Open
    }

    /// The name in JSON and in the database's `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Won => "won",
            Status::Lost => "lost",
        }
    }
}

/// What closes a won deal. Fills the final stage's contract fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Contract {
    pub number: String,
    pub amount: Money,
    #[serde(deserialize_with = "crate::wire::date")]
    pub signed_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LostInfo {
    pub reason: String,
    #[serde(default)]
    pub competitor: Option<String>,
}

/// A manual upgrade, with who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradeOverride {
    pub grade: Grade,
    pub reason: String,
    pub by: String,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub at: DateTime<Utc>,
}

/// The partner behind an E deal, from its approved registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PartnerInfo {
    pub company: String,
    pub contact: String,
    pub email: String,
    pub phone: String,
    pub registration_id: String,
    /// The last day the deal is the partner's; `None` once that protection
    /// has expired while the deal was still open (the scheduled expiry).
    #[serde(default, deserialize_with = "crate::wire::date_opt")]
    pub protected_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Opportunity {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub customer: String,
    pub pipeline: Key,
    pub stage: StageKey,
    pub status: Status,
    pub lead_by: LeadBy,
    pub amount: Money,
    pub currency: Currency,
    #[serde(deserialize_with = "crate::wire::date")]
    pub expected_close: NaiveDate,
    pub owner_id: String,
    /// Stored as last computed; [`Opportunity::regrade`] refreshes it.
    pub grade: GradeView,
    pub track: Track,
    #[serde(default)]
    pub grade_override: Option<GradeOverride>,
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskState>,
    #[serde(default)]
    pub approvals: BTreeMap<String, ApprovalState>,
    #[serde(default)]
    pub team: Vec<TeamMember>,
    /// Stages jumped over on a fast or partner track, in pipeline order.
    #[serde(default)]
    pub skipped: Vec<StageKey>,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub stage_entered_at: DateTime<Utc>,
    #[serde(default)]
    pub lead_id: Option<String>,
    #[serde(default)]
    pub partner: Option<PartnerInfo>,
    #[serde(default)]
    pub contract: Option<Contract>,
    #[serde(default)]
    pub lost: Option<LostInfo>,
    #[serde(default, deserialize_with = "crate::wire::instant_opt")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The rep's forecast category (commit only while the gate allows it:
    /// `forecast::commit_blockers`).
    #[serde(default)]
    pub forecast: crate::forecast::ForecastCategory,
}

/// Why a mutation was refused. Codes are stable and used by the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("the deal is closed")]
    Closed,
    #[error("you may not do this on this deal")]
    Forbidden,
    #[error("only the deal's owner may do this")]
    NotOwner,
    #[error("no field `{0}` in this pipeline")]
    UnknownField(String),
    #[error("field `{key}`: {error}")]
    InvalidField { key: String, error: FieldValueError },
    #[error("no task `{0}` in this pipeline")]
    UnknownTask(String),
    #[error("no approval `{0}` in this pipeline")]
    UnknownApproval(String),
    #[error("this approval is already pending or approved")]
    ApprovalNotRequestable,
    #[error("this approval is not pending")]
    ApprovalNotPending,
    #[error("the deal's owner never approves the deal's own processes")]
    SelfApproval,
    #[error("you do not hold the approver role for this approval")]
    NotApprover,
    #[error("a comment is required to reject")]
    CommentRequired,
    #[error("no deal-team role `{0}`")]
    UnknownTeamRole(String),
    #[error("a deal-team member needs a user")]
    MissingUser,
    #[error("the same person is staffed twice in one role")]
    DuplicateMember,
    #[error("{0}")]
    Grade(GradeError),
    #[error("`{0}` is required")]
    Required(&'static str),
    #[error("`{field}` is too long: at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("`{0}` must be more than zero")]
    NotPositive(&'static str),
    #[error("only a disqualified lead can be reopened")]
    NotDisqualified,
}

impl OpError {
    /// The input an error is about and the message for it beside that
    /// input, when it is about one (required, too long, not positive).
    pub fn field_issue(&self) -> Option<crate::validate::FieldIssue> {
        let (field, zh, en) = match self {
            OpError::Required(f) => (*f, "必填".to_string(), "Required".to_string()),
            OpError::TooLong { field, max } => (
                *field,
                format!("最多 {max} 个字符"),
                format!("At most {max} characters"),
            ),
            OpError::NotPositive(f) => (
                *f,
                "必须大于零".to_string(),
                "Must be more than zero".to_string(),
            ),
            _ => return None,
        };
        Some(crate::validate::FieldIssue::new(
            field,
            self.code(),
            &zh,
            &en,
        ))
    }

    pub fn code(&self) -> &'static str {
        match self {
            OpError::Closed => "closed",
            OpError::Forbidden => "forbidden",
            OpError::NotOwner => "not_owner",
            OpError::UnknownField(_) => "unknown_field",
            OpError::InvalidField { .. } => "invalid_field_value",
            OpError::UnknownTask(_) => "unknown_task",
            OpError::UnknownApproval(_) => "unknown_approval",
            OpError::ApprovalNotRequestable => "approval_not_requestable",
            OpError::ApprovalNotPending => "approval_not_pending",
            OpError::SelfApproval => "self_approval",
            OpError::NotApprover => "not_approver",
            OpError::CommentRequired => "comment_required",
            OpError::UnknownTeamRole(_) => "unknown_team_role",
            OpError::MissingUser => "missing_user",
            OpError::DuplicateMember => "duplicate_member",
            OpError::Grade(e) => e.code(),
            OpError::Required(_) => "required",
            OpError::TooLong { .. } => "too_long",
            OpError::NotPositive(_) => "not_positive",
            OpError::NotDisqualified => "not_disqualified",
        }
    }

    /// Human text in both languages.
    pub fn message(&self) -> Localized {
        let en = self.to_string();
        let zh = match self {
            OpError::Closed => "商机已关闭".to_string(),
            OpError::Forbidden => "您无权对该商机执行此操作".to_string(),
            OpError::NotOwner => "只有商机负责人可以执行此操作".to_string(),
            OpError::UnknownField(k) => format!("该流程中没有字段 `{k}`"),
            OpError::InvalidField { key, error } => format!("字段 `{key}`：{}", error.message().zh),
            OpError::UnknownTask(k) => format!("该流程中没有任务 `{k}`"),
            OpError::UnknownApproval(k) => format!("该流程中没有审批 `{k}`"),
            OpError::ApprovalNotRequestable => "该审批已在审批中或已通过".to_string(),
            OpError::ApprovalNotPending => "该审批不在待审批状态".to_string(),
            OpError::SelfApproval => "商机负责人不能审批自己的商机".to_string(),
            OpError::NotApprover => "您不是该审批的审批人".to_string(),
            OpError::CommentRequired => "驳回时必须填写意见".to_string(),
            OpError::UnknownTeamRole(k) => format!("没有项目角色 `{k}`"),
            OpError::MissingUser => "项目成员需要指定用户".to_string(),
            OpError::DuplicateMember => "同一人在同一角色中出现了两次".to_string(),
            OpError::Grade(GradeError::NotAnUpgrade) => "手动调级只能升级".to_string(),
            OpError::Grade(GradeError::ReasonRequired) => "必须填写调级理由".to_string(),
            OpError::Grade(GradeError::ThresholdOrder) => {
                "金额阈值必须满足 A ≥ B ≥ C > 0".to_string()
            }
            OpError::Grade(GradeError::UnknownGrade) => "未知的等级".to_string(),
            OpError::Required(what) => format!("必须填写 `{what}`"),
            OpError::TooLong { field, max } => format!("`{field}` 过长：最多 {max} 个字符"),
            OpError::NotPositive(what) => format!("`{what}` 必须大于零"),
            OpError::NotDisqualified => "只有已取消资格的线索可以重新打开".to_string(),
        };
        Localized::new(zh, en)
    }
}

/// A PATCH of the editable parts. Stage, grade, status, owner and version
/// are not here: nothing a client sends can set them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OpportunityPatch {
    pub version: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub amount: Option<Money>,
    #[serde(default, deserialize_with = "crate::wire::date_opt")]
    pub expected_close: Option<NaiveDate>,
    #[serde(default)]
    pub lead_by: Option<LeadBy>,
    /// `{key: value}` sets, `{key: null}` clears.
    #[serde(default)]
    pub fields: Option<BTreeMap<String, Option<serde_json::Value>>>,
}

/// A deal's amount must be more than zero.
pub fn positive_amount(amount: Money) -> Result<Money, OpError> {
    if amount > Money::ZERO {
        Ok(amount)
    } else {
        Err(OpError::NotPositive("amount"))
    }
}

/// Trims and checks a required short text.
pub fn clean_text(value: &str, what: &'static str, max: usize) -> Result<String, OpError> {
    let v = value.trim();
    if v.is_empty() {
        Err(OpError::Required(what))
    } else if v.chars().count() > max {
        Err(OpError::TooLong { field: what, max })
    } else {
        Ok(v.to_string())
    }
}

/// A note on a deal or lead as it is kept: trimmed, required, at most
/// `MAX_NOTE` characters.
pub fn note_text(text: &str) -> Result<String, OpError> {
    clean_text(text, "text", MAX_NOTE)
}

pub(crate) fn clean_note(
    note: Option<&str>,
    what: &'static str,
) -> Result<Option<String>, OpError> {
    match note.map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) if n.chars().count() > MAX_NOTE => Err(OpError::TooLong {
            field: what,
            max: MAX_NOTE,
        }),
        Some(n) => Ok(Some(n.to_string())),
    }
}

impl Opportunity {
    /// Whole days since the deal entered its stage.
    pub fn days_in_stage(&self, now: DateTime<Utc>) -> i64 {
        days_since(self.stage_entered_at, now)
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    /// Does the approval `key` wait for a decision (requested, not decided)?
    pub fn awaits_decision(&self, key: &str) -> bool {
        self.approvals
            .get(key)
            .is_some_and(|a| a.status == ApprovalStatus::Pending)
    }

    /// How many of its approvals wait for a decision.
    pub fn decisions_awaited(&self) -> usize {
        self.approvals
            .keys()
            .filter(|k| self.awaits_decision(k))
            .count()
    }

    pub fn checklist(&self) -> Checklist<'_> {
        Checklist {
            fields: &self.fields,
            tasks: &self.tasks,
            approvals: &self.approvals,
            team: &self.team,
        }
    }

    /// The grade as the policy makes it now (computed), with the override.
    pub fn grade_now(&self, policy: &GradingPolicy) -> GradeView {
        GradeView::new(
            policy.grade(self.lead_by, self.amount),
            self.grade_override.as_ref().map(|o| o.grade),
        )
    }

    /// Refreshes the stored grade and track; an event when the effective grade changed.
    pub fn regrade(&mut self, policy: &GradingPolicy) -> Option<EventKind> {
        let now = self.grade_now(policy);
        let before = self.grade.effective;
        self.grade = now;
        self.track = now.effective.track();
        (before != now.effective).then_some(EventKind::Regraded {
            from: before,
            to: now.effective,
            policy_version: None,
        })
    }

    fn open_for(&mut self, allowed: bool) -> Result<(), OpError> {
        if !self.is_open() {
            return Err(OpError::Closed);
        }
        if !allowed {
            return Err(OpError::Forbidden);
        }
        Ok(())
    }

    fn bump(&mut self) {
        self.version += 1;
    }

    /// The scheduled expiry of a partner's registration protection: an
    /// open deal whose protection ended before `today` is no longer
    /// reserved for the partner. Answers the event, or `None` when there is
    /// nothing to expire (closed, not a partner's, still protected, or
    /// already expired).
    pub fn expire_protection(&mut self, today: NaiveDate) -> Option<EventKind> {
        let partner = self
            .partner
            .as_mut()
            .filter(|_| self.status == Status::Open)?;
        let ended_on = partner.protected_until.filter(|until| *until < today)?;
        partner.protected_until = None;
        let registration_id = partner.registration_id.clone();
        self.bump();
        Some(EventKind::ProtectionExpired {
            registration_id,
            ended_on,
        })
    }

    /// Applies a PATCH (the version is the caller's to check). Regrades when
    /// amount or lead-by changed.
    pub fn patch(
        &mut self,
        patch: &OpportunityPatch,
        pipeline: &Pipeline,
        policy: &GradingPolicy,
        actor: &Actor,
    ) -> Result<Vec<EventKind>, OpError> {
        let allowed = self.can_edit(actor);
        self.open_for(allowed)?;
        let mut next = self.clone();
        let mut changed = Vec::new();
        // Only what differs counts as changed: repeating a value is no edit.
        if let Some(name) = &patch.name {
            next.name = clean_text(name, "name", MAX_NAME)?;
            if next.name != self.name {
                changed.push("name");
            }
        }
        if let Some(customer) = &patch.customer {
            next.customer = clean_text(customer, "customer", MAX_NAME)?;
            if next.customer != self.customer {
                changed.push("customer");
            }
        }
        if let Some(amount) = patch.amount {
            positive_amount(amount)?;
        }
        if let Some(amount) = patch.amount.filter(|a| *a != self.amount) {
            next.amount = amount;
            changed.push("amount");
        }
        if let Some(date) = patch.expected_close.filter(|d| *d != self.expected_close) {
            next.expected_close = date;
            changed.push("expected_close");
        }
        if let Some(lead_by) = patch.lead_by.filter(|l| *l != self.lead_by) {
            next.lead_by = lead_by;
            changed.push("lead_by");
        }
        let mut events = Vec::new();
        if !changed.is_empty() {
            events.push(EventKind::Updated {
                changes: changed.iter().map(|s| s.to_string()).collect(),
            });
        }
        if let Some(fields) = &patch.fields {
            events.extend(set_fields(&mut next.fields, pipeline, fields)?);
        }
        events.extend(next.regrade(policy));
        // A patch that changes nothing is no write: no version, no event.
        if events.is_empty() && next == *self {
            return Ok(events);
        }
        next.bump();
        *self = next;
        Ok(events)
    }

    /// A manager hands the deal to another salesperson (that they exist,
    /// are active and sell is the server's check). The same owner is no
    /// change; a closed deal keeps its owner.
    pub fn change_owner(&mut self, to: &str, actor: &Actor) -> Result<Vec<EventKind>, OpError> {
        self.open_for(actor.is_manager())?;
        let to = to.trim();
        if to.is_empty() {
            return Err(OpError::Required("owner_id"));
        }
        if to == self.owner_id {
            return Ok(Vec::new());
        }
        let from = std::mem::replace(&mut self.owner_id, to.to_string());
        self.bump();
        Ok(vec![EventKind::OwnerChanged {
            from,
            to: to.to_string(),
        }])
    }

    pub fn set_task(
        &mut self,
        pipeline: &Pipeline,
        key: &str,
        done: bool,
        note: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<EventKind>, OpError> {
        let allowed = self.can_edit(actor);
        self.open_for(allowed)?;
        if pipeline.find_task(key).is_none() {
            return Err(OpError::UnknownTask(key.to_string()));
        }
        let event = record_task(&mut self.tasks, key, done, note, actor, now)?;
        self.bump();
        Ok(vec![event])
    }

    /// The owner asks for an approval: not requested or rejected → pending.
    pub fn request_approval(
        &mut self,
        pipeline: &Pipeline,
        key: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<EventKind>, OpError> {
        let allowed = self.can_read(actor);
        self.open_for(allowed)?;
        if pipeline.find_process(key).is_none() {
            return Err(OpError::UnknownApproval(key.to_string()));
        }
        if !self.allows(actor, DealAction::RequestApproval) {
            return Err(OpError::NotOwner);
        }
        let state = self.approvals.entry(key.to_string()).or_default();
        if matches!(
            state.status,
            ApprovalStatus::Pending | ApprovalStatus::Approved
        ) {
            return Err(OpError::ApprovalNotRequestable);
        }
        *state = ApprovalState {
            status: ApprovalStatus::Pending,
            requested_by: Some(actor.user_id.clone()),
            requested_at: Some(now),
            ..ApprovalState::default()
        };
        self.bump();
        Ok(vec![EventKind::ApprovalRequested {
            key: key.to_string(),
        }])
    }

    pub fn decide_approval(
        &mut self,
        pipeline: &Pipeline,
        key: &str,
        approve: bool,
        comment: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<EventKind>, OpError> {
        if !self.is_open() {
            return Err(OpError::Closed);
        }
        self.may_decide(pipeline, key, actor)?;
        let comment = clean_note(comment, "comment")?;
        if !approve && comment.is_none() {
            return Err(OpError::CommentRequired);
        }
        let state = self.approvals.entry(key.to_string()).or_default();
        if state.status != ApprovalStatus::Pending {
            return Err(OpError::ApprovalNotPending);
        }
        state.status = if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        };
        state.decided_by = Some(actor.user_id.clone());
        state.decided_at = Some(now);
        state.comment = comment.clone();
        self.bump();
        Ok(vec![EventKind::ApprovalDecided {
            key: key.to_string(),
            approved: approve,
            comment,
        }])
    }

    /// Replaces the deal team. Roles must exist; a person once per role.
    pub fn set_team(
        &mut self,
        members: &[TeamMember],
        team_roles: &[TeamRole],
        actor: &Actor,
    ) -> Result<Vec<EventKind>, OpError> {
        let allowed = self.can_steer(actor);
        self.open_for(allowed)?;
        let mut team: Vec<TeamMember> = Vec::with_capacity(members.len());
        for m in members {
            if !team_roles.iter().any(|r| r.key == m.role) {
                return Err(OpError::UnknownTeamRole(m.role.to_string()));
            }
            let user_id = m.user_id.trim();
            if user_id.is_empty() {
                return Err(OpError::MissingUser);
            }
            let member = TeamMember {
                role: m.role.clone(),
                user_id: user_id.to_string(),
            };
            if team.contains(&member) {
                return Err(OpError::DuplicateMember);
            }
            team.push(member);
        }
        team.sort();
        self.team = team.clone();
        self.bump();
        Ok(vec![EventKind::TeamChanged { members: team }])
    }

    /// A manager's or admin's manual upgrade, with a reason.
    pub fn override_grade(
        &mut self,
        grade: Grade,
        reason: &str,
        policy: &GradingPolicy,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<EventKind>, OpError> {
        let allowed = self.allows(actor, DealAction::OverrideGrade);
        self.open_for(allowed)?;
        let current = self.grade_now(policy);
        check_upgrade(current, grade, reason).map_err(OpError::Grade)?;
        let reason = clean_note(Some(reason), "reason")?
            .ok_or(OpError::Grade(GradeError::ReasonRequired))?;
        self.grade_override = Some(GradeOverride {
            grade,
            reason: reason.clone(),
            by: actor.user_id.clone(),
            at: now,
        });
        self.grade = self.grade_now(policy);
        self.track = self.grade.effective.track();
        self.bump();
        Ok(vec![EventKind::GradeOverridden {
            from: current.effective,
            to: self.grade.effective,
            reason,
        }])
    }
}

/// Records a task ticked or unticked (by whom, when, with a note) and its event.
pub(crate) fn record_task(
    tasks: &mut BTreeMap<String, TaskState>,
    key: &str,
    done: bool,
    note: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<EventKind, OpError> {
    let note = clean_note(note, "note")?;
    tasks.insert(
        key.to_string(),
        TaskState {
            done,
            by: Some(actor.user_id.clone()),
            at: Some(now),
            note: note.clone(),
        },
    );
    Ok(EventKind::TaskChanged {
        key: key.to_string(),
        done,
        note,
    })
}

/// Sets or clears field values, each checked against its definition.
pub fn set_fields(
    fields: &mut Fields,
    pipeline: &Pipeline,
    changes: &BTreeMap<String, Option<serde_json::Value>>,
) -> Result<Vec<EventKind>, OpError> {
    let mut events = Vec::new();
    for (key, value) in changes {
        let (_, def) = pipeline
            .find_field(key)
            .ok_or_else(|| OpError::UnknownField(key.clone()))?;
        match value {
            None | Some(serde_json::Value::Null) => {
                if fields.remove(key).is_some() {
                    events.push(EventKind::FieldCleared { key: key.clone() });
                }
            }
            Some(v) => {
                validate_field_value(def, v).map_err(|error| OpError::InvalidField {
                    key: key.clone(),
                    error,
                })?;
                let v = match v {
                    serde_json::Value::String(s) => serde_json::Value::String(s.trim().to_string()),
                    other => other.clone(),
                };
                if fields.get(key) != Some(&v) {
                    fields.insert(key.clone(), v.clone());
                    events.push(EventKind::FieldSet {
                        key: key.clone(),
                        value: v,
                    });
                }
            }
        }
    }
    Ok(events)
}
