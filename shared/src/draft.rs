//! A configuration document as an admin typed it (a pipeline, the deal-team
//! role list), checked before it becomes the typed value. Every problem is
//! a [`FieldIssue`] whose `field` is a path into the document, e.g.
//! `stages[3].required_fields[1].key`, so the admin's editor marks the very
//! input, and the server answers the same paths in its 422.
//!
//! A key that is not snake_case is one of these issues, not a parse error:
//! the document is walked as JSON first, then read as the typed value, then
//! held to the pipeline's rules ([`Pipeline::validate_paths`]).

use crate::i18n::Localized;
use crate::pipeline::{Key, Pipeline, PipelineError, TeamRole};
use crate::validate::FieldIssue;
use serde_json::Value;
use std::collections::HashSet;

/// The requirement lists of a stage and the member naming each item's key.
const LISTS: [(&str, &str); 4] = [
    ("required_fields", "key"),
    ("required_tasks", "key"),
    ("processes", "key"),
    ("roles", "role"),
];

fn bad_key(path: String) -> FieldIssue {
    let m = PipelineError::InvalidKey.message();
    FieldIssue {
        field: path,
        code: PipelineError::InvalidKey.code().to_string(),
        message: m,
    }
}

/// `value` at `path` must be a valid key.
fn check_key(issues: &mut Vec<FieldIssue>, value: Option<&Value>, path: String) {
    if value
        .and_then(Value::as_str)
        .is_none_or(|s| Key::parse(s).is_err())
    {
        issues.push(bad_key(path));
    }
}

/// `value` at `path` must be a whole number in `0..=max`.
fn check_number(
    issues: &mut Vec<FieldIssue>,
    value: Option<&Value>,
    path: String,
    max: u64,
    e: PipelineError,
) {
    if value.and_then(Value::as_u64).is_none_or(|n| n > max) {
        issues.push(FieldIssue {
            field: path,
            code: e.code().to_string(),
            message: e.message(),
        });
    }
}

/// The keys and numbers of a pipeline document, with the path of each one
/// that cannot be read.
fn shape_issues(doc: &Value) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    let Some(stages) = doc.get("stages").and_then(Value::as_array) else {
        issues.push(FieldIssue {
            field: "stages".into(),
            code: PipelineError::TooFewStages.code().into(),
            message: PipelineError::TooFewStages.message(),
        });
        return issues;
    };
    for (i, stage) in stages.iter().enumerate() {
        check_key(&mut issues, stage.get("key"), format!("stages[{i}].key"));
        check_number(
            &mut issues,
            stage.get("probability"),
            format!("stages[{i}].probability"),
            // Above 100 is the pipeline rule's to report (with the others).
            u64::from(u8::MAX),
            PipelineError::ProbabilityRange(String::new()),
        );
        check_number(
            &mut issues,
            stage.get("max_days"),
            format!("stages[{i}].max_days"),
            u64::from(u16::MAX),
            PipelineError::MaxDaysRange,
        );
        for (list, member) in LISTS {
            let items = stage.get(list).and_then(Value::as_array);
            for (j, item) in items.into_iter().flatten().enumerate() {
                let at = format!("stages[{i}].{list}[{j}]");
                check_key(&mut issues, item.get(member), format!("{at}.{member}"));
                if let Some(team_role) = item.get("approver").and_then(|a| a.get("team_role")) {
                    check_key(
                        &mut issues,
                        Some(team_role),
                        format!("{at}.approver.team_role"),
                    );
                }
            }
        }
    }
    issues
}

/// Reads the typed value through its JSON text, not from the `Value`
/// itself: the app already carries the text readers of these types (for
/// the config), and reading a `Value` directly compiles a second set into
/// the wasm (measured: ~20 KB of code). A pipeline is a few KB of text.
fn read<T: serde::de::DeserializeOwned>(doc: &Value) -> Result<T, serde_json::Error> {
    serde_json::from_str(&doc.to_string())
}

/// The issue of a document that has the right keys but not the right
/// shape (a missing member, a string where a number belongs): rare from
/// the editor, which always sends whole items.
fn unreadable(e: &serde_json::Error) -> FieldIssue {
    FieldIssue {
        field: String::new(),
        code: "unreadable".into(),
        message: Localized::new(
            format!("无法读取该流程文档：{e}"),
            format!("The pipeline document cannot be read: {e}"),
        ),
    }
}

/// Reads a pipeline document as typed and checks it against every rule,
/// given the deal-team roles that exist: the pipeline, or every problem
/// with its path.
pub fn parse_pipeline(doc: &Value, team_roles: &[TeamRole]) -> Result<Pipeline, Vec<FieldIssue>> {
    let issues = shape_issues(doc);
    if !issues.is_empty() {
        return Err(issues);
    }
    let pipeline: Pipeline = read(doc).map_err(|e| vec![unreadable(&e)])?;
    pipeline.validate_paths(team_roles)?;
    Ok(pipeline)
}

/// Reads the deal-team role list as typed: keys snake_case and unique,
/// names in both languages; and no role a pipeline still names may go
/// (`role_in_use`, at the pipeline's own path).
pub fn parse_team_roles(
    roles: &Value,
    pipelines: &[Pipeline],
) -> Result<Vec<TeamRole>, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let Some(items) = roles.as_array() else {
        return Err(vec![FieldIssue::new(
            "roles",
            "unreadable",
            "角色列表须为数组",
            "The role list must be an array",
        )]);
    };
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let key = item.get("key");
        check_key(&mut issues, key, format!("roles[{i}].key"));
        if let Some(k) = key.and_then(Value::as_str)
            && !seen.insert(k.to_string())
        {
            issues.push(FieldIssue::new(
                &format!("roles[{i}].key"),
                "duplicate_role",
                "该角色键已被使用",
                "This role key is used twice",
            ));
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let list: Vec<TeamRole> = read(roles).map_err(|e| vec![unreadable(&e)])?;
    for (i, r) in list.iter().enumerate() {
        if !r.name.is_complete() {
            issues.push(FieldIssue::new(
                &format!("roles[{i}].name"),
                "missing_text",
                "名称需要中文和英文",
                "The name needs zh-CN and en text",
            ));
        }
    }
    for p in pipelines {
        for s in &p.stages {
            let named = s
                .roles
                .iter()
                .map(|r| &r.role)
                .chain(s.processes.iter().filter_map(|pr| match &pr.approver {
                    crate::pipeline::Approver::TeamRole(k) => Some(k),
                    crate::pipeline::Approver::Role(_) => None,
                }));
            for key in named {
                if !list.iter().any(|r| &r.key == key) {
                    issues.push(FieldIssue {
                        field: "roles".into(),
                        code: "role_in_use".into(),
                        message: Localized::new(
                            format!("流程「{}」的阶段「{}」仍需要角色 {key}，不能删除", p.name.zh, s.name.zh),
                            format!(
                                "Stage “{}” of pipeline “{}” still needs role {key}: it cannot be removed",
                                s.name.en, p.name.en
                            ),
                        ),
                    });
                }
            }
        }
    }
    if issues.is_empty() {
        Ok(list)
    } else {
        Err(issues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use serde_json::json;

    fn tender() -> Value {
        serde_json::to_value(builtin::tender()).unwrap()
    }

    fn fields(issues: &[FieldIssue]) -> Vec<&str> {
        issues.iter().map(|i| i.field.as_str()).collect()
    }

    #[test]
    fn the_builtin_pipelines_read_back_as_themselves() {
        for p in builtin::pipelines() {
            let doc = serde_json::to_value(&p).unwrap();
            assert_eq!(parse_pipeline(&doc, &builtin::team_roles()), Ok(p));
        }
    }

    #[test]
    fn a_key_that_is_not_snake_case_is_an_issue_at_its_path_not_a_parse_error() {
        let mut doc = tender();
        doc["stages"][3]["required_fields"][0]["key"] = json!("Customer Feedback");
        doc["stages"][1]["key"] = json!("1st");
        let issues = parse_pipeline(&doc, &builtin::team_roles()).unwrap_err();
        assert_eq!(
            fields(&issues),
            ["stages[1].key", "stages[3].required_fields[0].key"]
        );
        assert!(issues.iter().all(|i| i.code == "invalid_key"));
        assert!(issues[0].message.is_complete());
    }

    #[test]
    fn role_keys_and_team_role_approvers_are_checked_where_they_stand() {
        let mut doc = tender();
        doc["stages"][6]["roles"][1]["role"] = json!("Finance");
        doc["stages"][6]["processes"][0]["approver"]["team_role"] = json!("legal team");
        let issues = parse_pipeline(&doc, &builtin::team_roles()).unwrap_err();
        assert_eq!(
            fields(&issues),
            [
                "stages[6].processes[0].approver.team_role",
                "stages[6].roles[1].role"
            ]
        );
    }

    #[test]
    fn probability_and_max_days_out_of_range_name_their_stage() {
        let mut doc = tender();
        doc["stages"][2]["probability"] = json!(300);
        doc["stages"][4]["max_days"] = json!(-1);
        let issues = parse_pipeline(&doc, &builtin::team_roles()).unwrap_err();
        assert_eq!(
            fields(&issues),
            ["stages[2].probability", "stages[4].max_days"]
        );
    }

    #[test]
    fn a_readable_document_is_then_held_to_the_pipeline_rules_with_paths() {
        let mut doc = tender();
        doc["stages"][2]["name"]["en"] = json!(" ");
        let issues = parse_pipeline(&doc, &builtin::team_roles()).unwrap_err();
        assert_eq!(fields(&issues), ["stages[2].name"]);
        assert_ne!(issues[0].message.zh, issues[0].message.en);
    }

    #[test]
    fn a_missing_member_is_one_unreadable_issue() {
        let mut doc = tender();
        doc["stages"][2].as_object_mut().unwrap().remove("entry");
        let issues = parse_pipeline(&doc, &builtin::team_roles()).unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].code, "unreadable");
    }

    #[test]
    fn team_roles_need_unique_snake_case_keys_and_both_names() {
        let roles = json!([
            {"key": "presales", "name": {"zh-CN": "售前", "en": "Presales"}},
            {"key": "presales", "name": {"zh-CN": "售前", "en": "Presales"}},
            {"key": "Bid Manager", "name": {"zh-CN": "投标", "en": "Bids"}},
        ]);
        let issues = parse_team_roles(&roles, &[]).unwrap_err();
        assert_eq!(fields(&issues), ["roles[1].key", "roles[2].key"]);
        let roles = json!([{"key": "presales", "name": {"zh-CN": "售前", "en": ""}}]);
        let issues = parse_team_roles(&roles, &[]).unwrap_err();
        assert_eq!(fields(&issues), ["roles[0].name"]);
    }

    #[test]
    fn a_team_role_a_pipeline_still_needs_cannot_be_removed() {
        let mut roles = serde_json::to_value(builtin::team_roles()).unwrap();
        roles
            .as_array_mut()
            .unwrap()
            .retain(|r| r["key"] != "legal");
        let issues = parse_team_roles(&roles, &[builtin::tender()]).unwrap_err();
        assert!(issues.iter().all(|i| i.code == "role_in_use"));
        assert!(issues.iter().any(|i| i.message.en.contains("legal")));
        let all = serde_json::to_value(builtin::team_roles()).unwrap();
        assert_eq!(
            parse_team_roles(&all, &builtin::pipelines()),
            Ok(builtin::team_roles())
        );
    }
}
