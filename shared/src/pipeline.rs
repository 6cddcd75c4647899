//! Pipelines and the stage framework (商机管理框架, seed 图3): each stage's
//! entry and exit markers and its four rows — required fields, required
//! tasks, processes (approvals) and involved deal-team roles.

use crate::grade::Grade;
use crate::i18n::Localized;
use crate::user::Role;
use crate::validate::FieldIssue;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

/// Longest key accepted: keys end up in URLs, JSON keys and SQL rows.
pub const MAX_KEY_LEN: usize = 48;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a key is 1–48 characters of a–z, 0–9 and _, starting with a letter")]
    Invalid,
}

/// A stable snake_case identifier: stage, field, task, process, team-role keys.
/// Shared, not copied: a clone is a reference count (the gate clones keys
/// into every blocker it reports).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(Arc<str>);

/// Stage keys are keys; the alias names the intent.
pub type StageKey = Key;

impl Key {
    pub fn parse(s: &str) -> Result<Key, KeyError> {
        let ok = !s.is_empty()
            && s.len() <= MAX_KEY_LEN
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Key(Arc::from(s)))
        } else {
            Err(KeyError::Invalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Key::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// The grades a requirement applies to. Serialised as `["A","B"]`; absent
/// means every grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grades(u8);

impl Grades {
    pub const ALL: Grades = Grades(0b1_1111);
    pub const NONE: Grades = Grades(0);

    fn bit(g: Grade) -> u8 {
        match g {
            Grade::A => 1,
            Grade::B => 2,
            Grade::C => 4,
            Grade::D => 8,
            Grade::E => 16,
        }
    }

    pub fn of(grades: &[Grade]) -> Grades {
        Grades(grades.iter().fold(0, |acc, g| acc | Grades::bit(*g)))
    }

    pub fn contains(self, g: Grade) -> bool {
        self.0 & Grades::bit(g) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn to_vec(self) -> Vec<Grade> {
        Grade::ALL
            .into_iter()
            .filter(|g| self.contains(*g))
            .collect()
    }
}

impl Default for Grades {
    fn default() -> Self {
        Grades::ALL
    }
}

impl Serialize for Grades {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_vec().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Grades {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Grades::of(&Vec::<Grade>::deserialize(d)?))
    }
}

/// How a required field is filled in, and so what value counts as filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    LongText,
    Money,
    Date,
    Select,
    Bool,
    User,
    Url,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RequiredField {
    pub key: Key,
    pub label: Localized,
    pub kind: FieldKind,
    /// The choices of a `select`; `null` for other kinds.
    #[serde(default)]
    pub options: Option<Vec<String>>,
    #[serde(default)]
    pub grades: Grades,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RequiredTask {
    pub key: Key,
    pub label: Localized,
    #[serde(default)]
    pub description: Localized,
    #[serde(default)]
    pub grades: Grades,
}

/// Who may decide an approval.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Approver {
    /// Any user with this permission role (e.g. the sales director: `manager`).
    Role(Role),
    /// Whoever is staffed in this deal-team role on this deal (e.g. `legal`).
    TeamRole(Key),
}

/// A process (相关流程): an approval that must be approved before exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Process {
    pub key: Key,
    pub label: Localized,
    pub approver: Approver,
    #[serde(default)]
    pub grades: Grades,
}

/// An involved role (涉及人员): a deal-team role staffed before exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RoleRequirement {
    pub role: Key,
    #[serde(default)]
    pub grades: Grades,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stage {
    pub key: StageKey,
    pub name: Localized,
    /// The explicit start sign of the stage.
    pub entry: Localized,
    /// The explicit end sign of the stage.
    pub exit: Localized,
    /// Win probability in percent, for the weighted forecast.
    pub probability: u8,
    /// Days after which a deal in this stage counts as aging.
    pub max_days: u16,
    /// May a fast-track deal jump over it?
    #[serde(default)]
    pub skippable: bool,
    #[serde(default)]
    pub required_fields: Vec<RequiredField>,
    #[serde(default)]
    pub required_tasks: Vec<RequiredTask>,
    #[serde(default)]
    pub processes: Vec<Process>,
    #[serde(default)]
    pub roles: Vec<RoleRequirement>,
}

impl Stage {
    /// `amount` (minor units) weighted by this stage's win probability,
    /// rounded down: the weighted pipeline's one rule.
    pub fn weighted(&self, amount: i64) -> i64 {
        (i128::from(amount) * i128::from(self.probability) / 100) as i64
    }

    /// A deal `days` into this stage is past its limit (0: no limit).
    pub fn is_overdue(&self, days: i64) -> bool {
        self.max_days > 0 && days > i64::from(self.max_days)
    }

    /// Number of requirements in all four rows (for a grade, or all).
    pub fn requirement_count(&self, grade: Option<Grade>) -> usize {
        let applies = |g: Grades| grade.is_none_or(|grade| g.contains(grade));
        self.required_fields
            .iter()
            .filter(|r| applies(r.grades))
            .count()
            + self
                .required_tasks
                .iter()
                .filter(|r| applies(r.grades))
                .count()
            + self.processes.iter().filter(|r| applies(r.grades)).count()
            + self.roles.iter().filter(|r| applies(r.grades)).count()
    }

    pub fn field(&self, key: &str) -> Option<&RequiredField> {
        self.required_fields.iter().find(|f| f.key == key)
    }
    pub fn task(&self, key: &str) -> Option<&RequiredTask> {
        self.required_tasks.iter().find(|t| t.key == key)
    }
    pub fn process(&self, key: &str) -> Option<&Process> {
        self.processes.iter().find(|p| p.key == key)
    }
}

/// A deal-team role that can be staffed (presales, legal, …): data, not a permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TeamRole {
    pub key: Key,
    pub name: Localized,
}

/// An ordered list of stages. Stage 1 lives on the lead (verification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Pipeline {
    /// Stable id: `tender`, `direct`, or an admin-made key.
    pub id: Key,
    pub name: Localized,
    pub stages: Vec<Stage>,
    #[serde(default = "one")]
    pub version: u32,
}

fn one() -> u32 {
    1
}

/// Why a pipeline was refused. Each names the place it is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("a pipeline needs at least two stages")]
    TooFewStages,
    #[error("stage key `{0}` is used twice")]
    DuplicateStage(String),
    #[error("key `{key}` is used twice in stage `{stage}`")]
    DuplicateRequirement { stage: String, key: String },
    #[error("field `{0}` is required in more than one stage")]
    FieldInTwoStages(String),
    #[error("stage 1 (`{0}`) lives on the lead and may hold only fields and tasks")]
    FirstStageHasProcessesOrRoles(String),
    #[error("the final stage (`{0}`) cannot be skippable")]
    FinalStageSkippable(String),
    #[error("stage `{0}`: probability must be 0–100")]
    ProbabilityRange(String),
    #[error("stage `{0}`: probability must not be lower than the stage before")]
    ProbabilityDecreasing(String),
    #[error("stage `{stage}`: select field `{field}` needs at least one option")]
    SelectWithoutOptions { stage: String, field: String },
    #[error("stage `{stage}`: `{key}` applies to no grade")]
    NoGrades { stage: String, key: String },
    #[error("stage `{stage}`: role `{role}` is not a known deal-team role")]
    UnknownTeamRole { stage: String, role: String },
    #[error("stage `{0}`: name, entry and exit need text in zh-CN and en")]
    MissingText(String),
    #[error("stage `{stage}`: `{key}` needs a label in zh-CN and en")]
    MissingLabel { stage: String, key: String },
    #[error("a key is 1–48 characters of a–z, 0–9 and _, starting with a letter")]
    InvalidKey,
    #[error("max days must be a whole number from 0 (no limit) to 65535")]
    MaxDaysRange,
}

impl PipelineError {
    pub fn code(&self) -> &'static str {
        match self {
            PipelineError::TooFewStages => "too_few_stages",
            PipelineError::DuplicateStage(_) => "duplicate_stage",
            PipelineError::DuplicateRequirement { .. } => "duplicate_requirement",
            PipelineError::FieldInTwoStages(_) => "field_in_two_stages",
            PipelineError::FirstStageHasProcessesOrRoles(_) => "first_stage_only_fields_and_tasks",
            PipelineError::FinalStageSkippable(_) => "final_stage_skippable",
            PipelineError::ProbabilityRange(_) => "probability_range",
            PipelineError::ProbabilityDecreasing(_) => "probability_decreasing",
            PipelineError::SelectWithoutOptions { .. } => "select_without_options",
            PipelineError::NoGrades { .. } => "requirement_without_grades",
            PipelineError::UnknownTeamRole { .. } => "unknown_team_role",
            PipelineError::MissingText(_) | PipelineError::MissingLabel { .. } => "missing_text",
            PipelineError::InvalidKey => "invalid_key",
            PipelineError::MaxDaysRange => "max_days_range",
        }
    }

    /// What the admin reads, in both languages (the path says where).
    pub fn message(&self) -> Localized {
        use PipelineError as E;
        let (zh, en) = match self {
            E::TooFewStages => ("流程至少需要两个阶段".to_string(), self.to_string()),
            E::DuplicateStage(k) => (format!("阶段键 {k} 重复"), self.to_string()),
            E::DuplicateRequirement { stage, key } => {
                (format!("阶段 {stage} 中的键 {key} 重复"), self.to_string())
            }
            E::FieldInTwoStages(k) => (format!("字段 {k} 在多个阶段中必填"), self.to_string()),
            E::FirstStageHasProcessesOrRoles(_) => (
                "第一阶段在线索上完成，只能包含必填内容和必做之事".to_string(),
                self.to_string(),
            ),
            E::FinalStageSkippable(_) => ("最后一个阶段不能跳过".to_string(), self.to_string()),
            E::ProbabilityRange(_) => (
                "赢单概率须为 0–100 的整数".to_string(),
                "Probability must be a whole number from 0 to 100".to_string(),
            ),
            E::ProbabilityDecreasing(_) => (
                "赢单概率不能低于前一阶段".to_string(),
                "Probability must not be lower than the stage before".to_string(),
            ),
            E::SelectWithoutOptions { field, .. } => (
                format!("选择字段 {field} 至少需要一个选项"),
                self.to_string(),
            ),
            E::NoGrades { key, .. } => (format!("{key} 未适用于任何等级"), self.to_string()),
            E::UnknownTeamRole { role, .. } => {
                (format!("{role} 不是已定义的项目团队角色"), self.to_string())
            }
            E::MissingText(_) => (
                "阶段名称、开始标志和结束标志都需要中文和英文".to_string(),
                "Name, entry and exit need text in zh-CN and en".to_string(),
            ),
            E::MissingLabel { key, .. } => {
                (format!("{key} 的名称需要中文和英文"), self.to_string())
            }
            E::InvalidKey => (
                "键须为 1–48 个小写字母、数字或下划线，以字母开头".to_string(),
                self.to_string(),
            ),
            E::MaxDaysRange => (
                "最长天数须为 0（不限）到 65535 的整数".to_string(),
                self.to_string(),
            ),
        };
        Localized::new(zh, en)
    }
}

impl Pipeline {
    pub fn first(&self) -> Option<&Stage> {
        self.stages.first()
    }

    pub fn last(&self) -> Option<&Stage> {
        self.stages.last()
    }

    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.key == key)
    }

    pub fn stage(&self, key: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.key == key)
    }

    /// The stage after stage 1: where a converted lead's opportunity starts.
    pub fn opportunity_start(&self) -> Option<&Stage> {
        self.stages.get(1)
    }

    pub fn is_final(&self, key: &str) -> bool {
        self.last().is_some_and(|s| s.key == key)
    }

    /// The required field with this key in any stage, and that stage.
    pub fn find_field(&self, key: &str) -> Option<(&Stage, &RequiredField)> {
        self.stages
            .iter()
            .find_map(|s| s.field(key).map(|f| (s, f)))
    }

    pub fn find_task(&self, key: &str) -> Option<(&Stage, &RequiredTask)> {
        self.stages.iter().find_map(|s| s.task(key).map(|t| (s, t)))
    }

    pub fn find_process(&self, key: &str) -> Option<(&Stage, &Process)> {
        self.stages
            .iter()
            .find_map(|s| s.process(key).map(|p| (s, p)))
    }

    /// The stages of `self` that `draft` no longer has (by key): a stage
    /// that holds open deals cannot go.
    pub fn stages_removed_by(&self, draft: &Pipeline) -> Vec<StageKey> {
        self.stages
            .iter()
            .filter(|s| draft.stage(s.key.as_str()).is_none())
            .map(|s| s.key.clone())
            .collect()
    }

    /// The required fields of `self` that `draft` no longer has anywhere
    /// (by key): values open deals filled in them would be orphaned, so
    /// renaming or removing such a field is refused while any open deal or
    /// lead holds a value for it.
    pub fn fields_removed_by(&self, draft: &Pipeline) -> Vec<Key> {
        self.stages
            .iter()
            .flat_map(|s| &s.required_fields)
            .filter(|f| draft.find_field(f.key.as_str()).is_none())
            .map(|f| f.key.clone())
            .collect()
    }

    /// [`Pipeline::validate`] as the admin's 422 shows it: each problem at
    /// the path of the item it is about (`stages[3].required_fields[1].key`),
    /// with its code and text in both languages.
    pub fn validate_paths(&self, team_roles: &[TeamRole]) -> Result<(), Vec<FieldIssue>> {
        let errors = match self.validate(team_roles) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let stage_at = |key: &str| {
            self.stages
                .iter()
                .rposition(|s| s.key.as_str() == key)
                .unwrap_or(0)
        };
        let item_at = |i: usize, key: &str| -> String {
            let Some(s) = self.stages.get(i) else {
                return format!("stages[{i}]");
            };
            let lists: [(&str, Vec<&Key>); 4] = [
                (
                    "required_fields",
                    s.required_fields.iter().map(|f| &f.key).collect(),
                ),
                (
                    "required_tasks",
                    s.required_tasks.iter().map(|t| &t.key).collect(),
                ),
                ("processes", s.processes.iter().map(|p| &p.key).collect()),
                ("roles", s.roles.iter().map(|r| &r.role).collect()),
            ];
            for (name, keys) in lists {
                if let Some(j) = keys.iter().rposition(|k| k.as_str() == key) {
                    return format!("stages[{i}].{name}[{j}]");
                }
            }
            format!("stages[{i}]")
        };
        Err(errors
            .into_iter()
            .map(|e| {
                let path = match &e {
                    PipelineError::TooFewStages => "stages".to_string(),
                    PipelineError::DuplicateStage(k) => format!("stages[{}].key", stage_at(k)),
                    PipelineError::MissingText(k) => format!("stages[{}].name", stage_at(k)),
                    PipelineError::FirstStageHasProcessesOrRoles(_) => "stages[0]".to_string(),
                    PipelineError::FinalStageSkippable(k) => {
                        format!("stages[{}].skippable", stage_at(k))
                    }
                    PipelineError::ProbabilityRange(k)
                    | PipelineError::ProbabilityDecreasing(k) => {
                        format!("stages[{}].probability", stage_at(k))
                    }
                    PipelineError::DuplicateRequirement { stage, key } => {
                        format!("{}.key", item_at(stage_at(stage), key))
                    }
                    PipelineError::FieldInTwoStages(key) => {
                        let i = self
                            .stages
                            .iter()
                            .rposition(|s| s.field(key).is_some())
                            .unwrap_or(0);
                        format!("{}.key", item_at(i, key))
                    }
                    PipelineError::SelectWithoutOptions { stage, field } => {
                        format!("{}.options", item_at(stage_at(stage), field))
                    }
                    PipelineError::NoGrades { stage, key } => {
                        format!("{}.grades", item_at(stage_at(stage), key))
                    }
                    PipelineError::UnknownTeamRole { stage, role } => {
                        item_at(stage_at(stage), role)
                    }
                    PipelineError::MissingLabel { stage, key } => {
                        format!("{}.label", item_at(stage_at(stage), key))
                    }
                    PipelineError::InvalidKey | PipelineError::MaxDaysRange => String::new(),
                };
                FieldIssue {
                    field: path,
                    code: e.code().to_string(),
                    message: e.message(),
                }
            })
            .collect())
    }

    /// Checks every rule a pipeline must hold (DESIGN.md §2), given the
    /// deal-team roles that exist. Returns every problem, in stage order.
    pub fn validate(&self, team_roles: &[TeamRole]) -> Result<(), Vec<PipelineError>> {
        let mut errors = Vec::new();
        if self.stages.len() < 2 {
            errors.push(PipelineError::TooFewStages);
        }
        let mut stage_keys = HashSet::new();
        let mut field_keys = HashSet::new();
        let mut previous_probability = 0u8;
        for (i, stage) in self.stages.iter().enumerate() {
            let sk = stage.key.as_str().to_string();
            if !stage_keys.insert(stage.key.clone()) {
                errors.push(PipelineError::DuplicateStage(sk.clone()));
            }
            if !(stage.name.is_complete() && stage.entry.is_complete() && stage.exit.is_complete())
            {
                errors.push(PipelineError::MissingText(sk.clone()));
            }
            if i == 0 && (!stage.processes.is_empty() || !stage.roles.is_empty()) {
                errors.push(PipelineError::FirstStageHasProcessesOrRoles(sk.clone()));
            }
            if i + 1 == self.stages.len() && i > 0 && stage.skippable {
                errors.push(PipelineError::FinalStageSkippable(sk.clone()));
            }
            if stage.probability > 100 {
                errors.push(PipelineError::ProbabilityRange(sk.clone()));
            } else if stage.probability < previous_probability {
                errors.push(PipelineError::ProbabilityDecreasing(sk.clone()));
            }
            previous_probability = previous_probability.max(stage.probability.min(100));

            let mut keys = HashSet::new();
            let mut dup = |key: &Key, errors: &mut Vec<PipelineError>| {
                if !keys.insert(key.clone()) {
                    errors.push(PipelineError::DuplicateRequirement {
                        stage: sk.clone(),
                        key: key.to_string(),
                    });
                }
            };
            for f in &stage.required_fields {
                dup(&f.key, &mut errors);
                if !field_keys.insert(f.key.clone()) {
                    errors.push(PipelineError::FieldInTwoStages(f.key.to_string()));
                }
                if f.kind == FieldKind::Select && f.options.as_ref().is_none_or(|o| o.is_empty()) {
                    errors.push(PipelineError::SelectWithoutOptions {
                        stage: sk.clone(),
                        field: f.key.to_string(),
                    });
                }
            }
            for t in &stage.required_tasks {
                dup(&t.key, &mut errors);
            }
            for p in &stage.processes {
                dup(&p.key, &mut errors);
                if let Approver::TeamRole(role) = &p.approver
                    && !team_roles.iter().any(|r| &r.key == role)
                {
                    errors.push(PipelineError::UnknownTeamRole {
                        stage: sk.clone(),
                        role: role.to_string(),
                    });
                }
            }
            for r in &stage.roles {
                if !team_roles.iter().any(|t| t.key == r.role) {
                    errors.push(PipelineError::UnknownTeamRole {
                        stage: sk.clone(),
                        role: r.role.to_string(),
                    });
                }
            }
            let labels = stage
                .required_fields
                .iter()
                .map(|f| (&f.key, &f.label))
                .chain(stage.required_tasks.iter().map(|t| (&t.key, &t.label)))
                .chain(stage.processes.iter().map(|p| (&p.key, &p.label)));
            for (key, label) in labels {
                if !label.is_complete() {
                    errors.push(PipelineError::MissingLabel {
                        stage: sk.clone(),
                        key: key.to_string(),
                    });
                }
            }
            let grade_sets = stage
                .required_fields
                .iter()
                .map(|f| (&f.key, f.grades))
                .chain(stage.required_tasks.iter().map(|t| (&t.key, t.grades)))
                .chain(stage.processes.iter().map(|p| (&p.key, p.grades)))
                .chain(stage.roles.iter().map(|r| (&r.role, r.grades)));
            for (key, grades) in grade_sets {
                if grades.is_empty() {
                    errors.push(PipelineError::NoGrades {
                        stage: sk.clone(),
                        key: key.to_string(),
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;

    fn stage(key: &str, p: u8) -> Stage {
        Stage {
            key: Key::parse(key).unwrap(),
            name: Localized::new("阶段", "Stage"),
            entry: Localized::new("开始", "Starts"),
            exit: Localized::new("结束", "Ends"),
            probability: p,
            max_days: 30,
            skippable: false,
            required_fields: vec![],
            required_tasks: vec![],
            processes: vec![],
            roles: vec![],
        }
    }

    #[test]
    fn a_weighted_amount_is_the_amount_times_the_stage_probability_rounded_down() {
        assert_eq!(stage("a", 20).weighted(1_000_001), 200_000);
        assert_eq!(stage("a", 0).weighted(5_000), 0);
        assert_eq!(stage("a", 100).weighted(5_000), 5_000);
        // No overflow near the largest amounts (sums of many deals).
        assert_eq!(stage("a", 50).weighted(i64::MAX), i64::MAX / 2);
    }

    fn pipeline(stages: Vec<Stage>) -> Pipeline {
        Pipeline {
            id: Key::parse("p").unwrap(),
            name: Localized::new("流程", "Pipeline"),
            stages,
            version: 1,
        }
    }

    fn field(key: &str, kind: FieldKind) -> RequiredField {
        RequiredField {
            key: Key::parse(key).unwrap(),
            label: Localized::new("字段", "Field"),
            kind,
            options: None,
            grades: Grades::ALL,
        }
    }

    #[test]
    fn a_stage_is_overdue_only_past_its_max_days_and_zero_means_no_limit() {
        let mut stage = crate::builtin::tender().stages[1].clone();
        stage.max_days = 10;
        assert!(!stage.is_overdue(10));
        assert!(stage.is_overdue(11));
        stage.max_days = 0;
        assert!(!stage.is_overdue(10_000));
    }

    #[test]
    fn keys_are_snake_case_starting_with_a_letter() {
        assert!(Key::parse("tender_prep").is_ok());
        assert!(Key::parse("a1").is_ok());
        for bad in [
            "",
            "Tender",
            "1st",
            "has-dash",
            "has space",
            &"x".repeat(MAX_KEY_LEN + 1),
        ] {
            assert!(Key::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(serde_json::from_str::<Key>("\"Bad Key\"").is_err());
    }

    #[test]
    fn grades_serialise_as_a_list_and_default_to_all() {
        let g = Grades::of(&[Grade::A, Grade::B]);
        assert_eq!(serde_json::to_string(&g).unwrap(), r#"["A","B"]"#);
        assert!(g.contains(Grade::A) && !g.contains(Grade::C));
        let t: RequiredTask =
            serde_json::from_str(r#"{"key":"k","label":{"zh-CN":"任务","en":"Task"}}"#).unwrap();
        assert_eq!(t.grades, Grades::ALL);
    }

    #[test]
    fn built_in_pipelines_are_valid() {
        let roles = builtin::team_roles();
        for p in builtin::pipelines() {
            assert_eq!(p.validate(&roles), Ok(()), "{}", p.id);
        }
    }

    #[test]
    fn one_stage_is_too_few() {
        let errs = pipeline(vec![stage("verify", 10)])
            .validate(&[])
            .unwrap_err();
        assert!(errs.contains(&PipelineError::TooFewStages));
    }

    #[test]
    fn duplicate_stage_keys_are_refused() {
        let errs = pipeline(vec![stage("a", 10), stage("a", 20)])
            .validate(&[])
            .unwrap_err();
        assert_eq!(errs, vec![PipelineError::DuplicateStage("a".into())]);
    }

    #[test]
    fn stage_one_holds_only_fields_and_tasks() {
        let mut first = stage("verify", 10);
        first.roles.push(RoleRequirement {
            role: Key::parse("presales").unwrap(),
            grades: Grades::ALL,
        });
        let roles = builtin::team_roles();
        let errs = pipeline(vec![first, stage("b", 20)])
            .validate(&roles)
            .unwrap_err();
        assert_eq!(
            errs,
            vec![PipelineError::FirstStageHasProcessesOrRoles(
                "verify".into()
            )]
        );
    }

    #[test]
    fn final_stage_cannot_be_skippable() {
        let mut last = stage("b", 20);
        last.skippable = true;
        let errs = pipeline(vec![stage("a", 10), last])
            .validate(&[])
            .unwrap_err();
        assert_eq!(errs, vec![PipelineError::FinalStageSkippable("b".into())]);
    }

    #[test]
    fn probabilities_stay_within_0_to_100_and_never_decrease() {
        let errs = pipeline(vec![stage("a", 50), stage("b", 40), stage("c", 101)])
            .validate(&[])
            .unwrap_err();
        assert_eq!(
            errs,
            vec![
                PipelineError::ProbabilityDecreasing("b".into()),
                PipelineError::ProbabilityRange("c".into())
            ]
        );
    }

    #[test]
    fn every_select_needs_options() {
        let mut s = stage("b", 20);
        s.required_fields
            .push(field("competition", FieldKind::Select));
        let errs = pipeline(vec![stage("a", 10), s]).validate(&[]).unwrap_err();
        assert_eq!(
            errs,
            vec![PipelineError::SelectWithoutOptions {
                stage: "b".into(),
                field: "competition".into()
            }]
        );
    }

    #[test]
    fn duplicate_requirement_keys_in_a_stage_and_fields_across_stages_are_refused() {
        let mut a = stage("a", 10);
        a.required_fields.push(field("budget", FieldKind::Money));
        let mut b = stage("b", 20);
        b.required_fields.push(field("budget", FieldKind::Money));
        b.required_fields.push(field("owner", FieldKind::User));
        b.required_fields.push(field("owner", FieldKind::User));
        let errs = pipeline(vec![a, b]).validate(&[]).unwrap_err();
        assert!(errs.contains(&PipelineError::FieldInTwoStages("budget".into())));
        assert!(errs.contains(&PipelineError::DuplicateRequirement {
            stage: "b".into(),
            key: "owner".into()
        }));
    }

    #[test]
    fn roles_must_be_known_team_roles() {
        let mut b = stage("b", 20);
        b.roles.push(RoleRequirement {
            role: Key::parse("astrologer").unwrap(),
            grades: Grades::ALL,
        });
        let errs = pipeline(vec![stage("a", 10), b])
            .validate(&builtin::team_roles())
            .unwrap_err();
        assert_eq!(
            errs,
            vec![PipelineError::UnknownTeamRole {
                stage: "b".into(),
                role: "astrologer".into()
            }]
        );
    }

    #[test]
    fn approver_serialises_as_role_or_team_role() {
        let a: Approver = serde_json::from_str(r#"{"role":"manager"}"#).unwrap();
        assert_eq!(a, Approver::Role(Role::Manager));
        let b: Approver = serde_json::from_str(r#"{"team_role":"legal"}"#).unwrap();
        assert_eq!(b, Approver::TeamRole(Key::parse("legal").unwrap()));
    }
}
