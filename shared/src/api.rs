//! Wire types of the HTTP API contract (DESIGN.md §3) that are not a
//! domain type of their own module.

use crate::checklist::TeamMember;
use crate::gate::Blocker;
use crate::grade::{Grade, GradingPolicy};
use crate::money::{Currency, Money};
use crate::pipeline::{Pipeline, TeamRole};
use crate::registration::{Conflict, RegistrationForm, RegistrationStatus};
use crate::user::Role;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One column of `GET /api/board`: a stage's open deals under the filter,
/// counted and summed over all of them (minor units), and the first page
/// of its cards, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "BoardColumn_of_{T}"))]
pub struct BoardColumn<T> {
    pub stage: crate::pipeline::Key,
    pub count: u64,
    pub amount: i64,
    /// `amount` weighted by the stage's probability (`Stage::weighted`).
    pub weighted: i64,
    pub items: Vec<T>,
    /// The next page: `GET /api/opportunities?pipeline=&stage=&status=open&cursor=`.
    pub next_cursor: Option<String>,
}

/// `GET /api/board?pipeline=&owner=&grade=&q=&per=`: a column per deal stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Board_of_{T}"))]
pub struct Board<T> {
    pub pipeline: crate::pipeline::Key,
    pub columns: Vec<BoardColumn<T>>,
}

/// The board as the app reads it.
pub type BoardView = Board<crate::opportunity::Opportunity>;

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
}

impl Health {
    pub fn ok() -> Self {
        Health {
            status: "ok".into(),
            version: crate::VERSION.into(),
        }
    }
}

/// One invalid input field in a 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// Every error the API answers, as RFC 9457 problem+json with a stable `code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blockers: Option<Vec<Blocker>>,
    /// The current record, on a 409 for a stale version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<RawRecord>,
    /// The open records that keep a change from being made (a stage or a
    /// field an admin removes while open deals are in it or filled it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_use: Option<Vec<InUse>>,
}

/// An open record in the way of a configuration change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InUse {
    pub id: String,
    pub name: String,
    /// What of the change it is in the way of: a stage or field key.
    pub key: String,
}

/// `GET/PUT /api/admin/team-roles`: the deal-team role list, versioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TeamRolesAdmin {
    pub roles: Vec<crate::pipeline::TeamRole>,
    pub version: u64,
}

/// `GET/PUT /api/admin/registration`: how long an approved partner
/// registration protects its deal, versioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationAdmin {
    #[cfg_attr(
        feature = "schema",
        schemars(range(min = 1, max = crate::registration::MAX_PROTECTION_DAYS))
    )]
    pub protection_days: u16,
    pub version: u64,
}

/// `GET /api/admin/pipelines`: each pipeline's id, name, version and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PipelineSummary {
    pub id: crate::pipeline::Key,
    pub name: crate::i18n::Localized,
    pub version: u32,
    pub stages: usize,
}

/// `POST /api/admin/pipelines`: a new pipeline, empty-framed or copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewPipeline {
    pub id: crate::pipeline::Key,
    pub name: crate::i18n::Localized,
    /// Copy the stages of this pipeline.
    #[serde(default)]
    pub copy_from: Option<crate::pipeline::Key>,
}

/// One configuration or user change in `GET /api/admin/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    #[serde(deserialize_with = "crate::wire::instant")]
    pub at: DateTime<Utc>,
    pub by: String,
    /// `grading`, `pipeline:<id>`, `user:<id>`.
    pub subject: String,
    /// What changed, in a few words.
    pub summary: String,
}

/// A record carried inside a problem as raw JSON: parse it into the
/// record's own type with [`RawRecord::parse`]. Kept raw so that a client
/// reading problems does not need a generic JSON tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawRecord(Box<serde_json::value::RawValue>);

impl RawRecord {
    pub fn new<T: Serialize>(record: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(record).map(RawRecord)
    }

    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }

    pub fn as_str(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawRecord {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

/// The media type of every error body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

impl Problem {
    /// `type` is a relative URI naming the code, so clients may key on either.
    pub fn new(status: u16, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem {
            type_: format!("/problems/{code}"),
            title: title.into(),
            status,
            code: code.into(),
            detail: detail.into(),
            errors: None,
            blockers: None,
            current: None,
            in_use: None,
        }
    }
}

/// Every list answers `{items, next_cursor}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Page_of_{T}"))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Every item at once: no further page.
    pub fn whole(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `GET /api/me`, and one row of `GET /api/admin/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    #[serde(default = "yes")]
    pub active: bool,
    /// `GET /api/me` for a reviewer (channel manager, admin): how many
    /// partner registrations wait for review (the navigation's badge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_registrations: Option<u64>,
}

fn yes() -> bool {
    true
}

/// `GET /api/users`: what pickers need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserSummary {
    pub id: String,
    pub name: String,
    /// Tells two people of the same name apart in a picker.
    #[serde(default)]
    pub email: String,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: String,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
}

/// The grading part of `GET /api/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradingConfig {
    pub a_min: Money,
    pub b_min: Money,
    pub c_min: Money,
    pub currency: Currency,
    pub version: u64,
}

impl GradingConfig {
    pub fn policy(&self) -> Option<GradingPolicy> {
        GradingPolicy::new(self.a_min, self.b_min, self.c_min).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationConfig {
    pub protection_days: u16,
}

/// `GET /api/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Config {
    pub grading: GradingConfig,
    pub pipelines: Vec<Pipeline>,
    pub team_roles: Vec<TeamRole>,
    pub currency: Currency,
    pub registration: RegistrationConfig,
    /// Config versions, so clients know when to refetch: `{"grading": 3, "tender": 1}`.
    pub versions: BTreeMap<String, u64>,
}

/// The names in `GET /api/config` that a page showing names only needs:
/// each pipeline's and its stages' keys and names, and the versions. Read
/// from the same answer as [`Config`] (serde passes over the rest), so such
/// a page (the deal list) carries a reader for these few fields, not the
/// whole config's (README, "Performance").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConfigNames {
    pub pipelines: Vec<PipelineNames>,
    pub versions: BTreeMap<String, u64>,
}

/// A pipeline's key and name, and its stages' ([`ConfigNames`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PipelineNames {
    pub id: crate::pipeline::Key,
    pub name: crate::i18n::Localized,
    pub stages: Vec<StageName>,
}

/// A stage's key and name ([`ConfigNames`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StageName {
    pub key: crate::pipeline::StageKey,
    pub name: crate::i18n::Localized,
}

impl PipelineNames {
    pub fn stage(&self, key: &str) -> Option<&StageName> {
        self.stages.iter().find(|s| s.key == key)
    }
}

impl From<&Config> for ConfigNames {
    fn from(c: &Config) -> ConfigNames {
        ConfigNames {
            pipelines: c
                .pipelines
                .iter()
                .map(|p| PipelineNames {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    stages: p
                        .stages
                        .iter()
                        .map(|s| StageName {
                            key: s.key.clone(),
                            name: s.name.clone(),
                        })
                        .collect(),
                })
                .collect(),
            versions: c.versions.clone(),
        }
    }
}

/// `POST /api/{leads|opportunities}/{id}/tasks/{key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskUpdate {
    pub done: bool,
    #[serde(default)]
    pub note: Option<String>,
    pub version: u64,
}

/// Bodies that carry only the version (approval request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VersionOnly {
    pub version: u64,
}

/// `POST …/approvals/{key}/decide`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApprovalDecision {
    pub approve: bool,
    #[serde(default)]
    pub comment: Option<String>,
}

/// `PUT …/team`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TeamUpdate {
    pub members: Vec<TeamMember>,
    pub version: u64,
}

/// `POST …/grade-override`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradeOverrideRequest {
    pub grade: Grade,
    pub reason: String,
    pub version: u64,
}

/// `GET /api/approvals`: one approval waiting for the caller's decision,
/// with what the inbox shows of its deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApprovalItem {
    pub opportunity_id: String,
    pub name: String,
    pub customer: String,
    pub owner_id: String,
    pub amount: crate::Money,
    pub currency: crate::Currency,
    pub grade: crate::Grade,
    pub stage: crate::pipeline::Key,
    pub stage_name: crate::Localized,
    pub key: crate::pipeline::Key,
    pub label: crate::Localized,
    #[serde(default)]
    pub requested_by: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::instant_opt")]
    pub requested_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ApprovalItem {
    /// The inbox rows of one deal for `actor`: each approval they may decide.
    pub fn of(
        deal: &crate::Opportunity,
        pipeline: &crate::Pipeline,
        actor: &crate::Actor,
    ) -> Vec<ApprovalItem> {
        deal.decidable(pipeline, actor)
            .into_iter()
            .map(|process| {
                let state = deal.approvals.get(process.key.as_str());
                let stage = pipeline.find_process(process.key.as_str()).map(|(s, _)| s);
                ApprovalItem {
                    opportunity_id: deal.id.clone(),
                    name: deal.name.clone(),
                    customer: deal.customer.clone(),
                    owner_id: deal.owner_id.clone(),
                    amount: deal.amount,
                    currency: deal.currency,
                    grade: deal.grade.effective,
                    stage: stage.map_or_else(|| deal.stage.clone(), |s| s.key.clone()),
                    stage_name: stage.map(|s| s.name.clone()).unwrap_or_default(),
                    key: process.key.clone(),
                    label: process.label.clone(),
                    requested_by: state.and_then(|a| a.requested_by.clone()),
                    requested_at: state.and_then(|a| a.requested_at),
                }
            })
            .collect()
    }
}

/// `PUT /api/opportunities/{id}/owner` (managers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OwnerChange {
    pub owner_id: String,
    pub version: u64,
}

/// `POST …/transition`: the gate's [`Transition`](crate::gate::Transition)
/// plus the version it was decided on, in one flat object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TransitionRequest {
    pub version: u64,
    #[serde(flatten)]
    pub transition: crate::gate::Transition,
}

/// `POST /api/opportunities/{id}/notes` and `POST /api/leads/{id}/notes`:
/// a note changes nothing else on the record, so it carries no version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub text: String,
}

/// `POST /api/leads/{id}/disqualify` and `POST /api/leads/{id}/reopen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DisqualifyRequest {
    pub reason: String,
    pub version: u64,
}

/// `GET /api/admin/grading`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradingAdmin {
    pub a_min: Money,
    pub b_min: Money,
    pub c_min: Money,
    pub currency: Currency,
    pub version: u64,
    pub updated_by: Option<String>,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub updated_at: DateTime<Utc>,
}

/// `PUT /api/admin/grading`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradingUpdate {
    pub a_min: Money,
    pub b_min: Money,
    pub c_min: Money,
    pub version: u64,
}

/// `POST /api/admin/grading/preview` takes the thresholds to try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradingPreviewRequest {
    pub a_min: Money,
    pub b_min: Money,
    pub c_min: Money,
}

/// Three thresholds, as an admin types them.
pub type Thresholds = GradingPreviewRequest;

/// One version of the thresholds in `GET /api/admin/grading/history`:
/// who set it, when, from what (none for the first) to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GradingChange {
    pub version: u64,
    pub updated_by: Option<String>,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub updated_at: DateTime<Utc>,
    pub from: Option<Thresholds>,
    pub to: Thresholds,
}

/// `POST /api/public/registrations` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationCreated {
    pub reference: String,
    pub status_url: String,
}

/// `GET /api/public/registrations/{reference}`: status only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationStatusView {
    pub reference: String,
    pub status: RegistrationStatus,
    pub project_title: String,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub submitted_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "crate::wire::date_opt")]
    pub protected_until: Option<NaiveDate>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// One row of `GET /api/registrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationReview {
    pub id: String,
    pub status: RegistrationStatus,
    #[serde(flatten)]
    pub form: RegistrationForm,
    #[serde(deserialize_with = "crate::wire::instant")]
    pub submitted_at: DateTime<Utc>,
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApproveRegistration {
    pub owner_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RejectRegistration {
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_serialises_to_rfc9457_with_code_and_omits_empty_extensions() {
        let p = Problem::new(404, "not_found", "Not Found", "no route for GET /api/nope");
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "/problems/not_found", "title": "Not Found",
                "status": 404, "code": "not_found", "detail": "no route for GET /api/nope"})
        );
        let back: Problem = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn a_conflict_problem_carries_the_current_record_raw() {
        let mut p = Problem::new(
            409,
            "version_conflict",
            "Conflict",
            "changed by someone else",
        );
        p.current = Some(RawRecord::new(&Health::ok()).unwrap());
        let json = serde_json::to_string(&p).unwrap();
        let back: Problem = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.current.unwrap().parse::<Health>().unwrap(),
            Health::ok()
        );
    }

    #[test]
    fn the_config_s_names_read_from_its_answer_are_the_names_it_holds() {
        let money = |m| Money::from_major(m, Currency::CNY).unwrap();
        let config = Config {
            grading: GradingConfig {
                a_min: money(5_000_000),
                b_min: money(1_000_000),
                c_min: money(200_000),
                currency: Currency::CNY,
                version: 3,
            },
            pipelines: crate::builtin::pipelines(),
            team_roles: crate::builtin::team_roles(),
            currency: Currency::CNY,
            registration: RegistrationConfig {
                protection_days: 90,
            },
            versions: BTreeMap::from([("config".to_string(), 7), ("tender".to_string(), 2)]),
        };
        let text = serde_json::to_string(&config).unwrap();
        let names: ConfigNames = serde_json::from_str(&text).unwrap();
        assert_eq!(names, ConfigNames::from(&config));
        assert_eq!(names.versions["config"], 7);
        let tender = names.pipelines.iter().find(|p| p.id == "tender").unwrap();
        let full = config.pipelines.iter().find(|p| p.id == "tender").unwrap();
        assert_eq!(tender.stages.len(), full.stages.len());
        let key = full.stages[2].key.as_str();
        assert_eq!(
            tender.stage(key).unwrap().name,
            full.stage(key).unwrap().name
        );
        assert!(tender.stage("no_such_stage").is_none());
    }

    #[test]
    fn health_reports_the_crate_version() {
        let h = Health::ok();
        assert_eq!(h.status, "ok");
        assert_eq!(h.version, env!("CARGO_PKG_VERSION"));
    }
}
