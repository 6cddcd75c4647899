//! What the admin's stage-framework pages compute (`/admin/pipelines…`):
//! the draft pipeline as JSON, edited at paths (`stages[3].name.en`), the
//! same paths the shared check (`shared::draft`) and the server's 422 name,
//! so each problem is shown at its input; list edits (add, remove, move);
//! what another admin's save changed (for a 409); how a deal of each grade
//! walks the pipeline; and where an audit entry's subject lives. Plain
//! functions, so host tests reach them; the pages only lay them out.

use serde_json::{Value, json};
use shared::Grade;
use shared::grade::Track;
use shared::pipeline::{Pipeline, Stage};
use shared::validate::FieldIssue;
use std::time::Duration;

/// How long the admin may pause editing before the impact is asked for.
pub const PREVIEW_DEBOUNCE: Duration = Duration::from_millis(400);

/// `stages[3].required_fields[1].key` → `/stages/3/required_fields/1/key`.
pub fn pointer(path: &str) -> String {
    let mut out = String::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, indexes) = part.split_once('[').unwrap_or((part, ""));
        out.push('/');
        out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        for i in indexes.split('[') {
            let i = i.trim_end_matches(']');
            if !i.is_empty() {
                out.push('/');
                out.push_str(i);
            }
        }
    }
    out
}

/// The value at `path`.
pub fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    doc.pointer(&pointer(path))
}

/// The text at `path`, as typed: a string, or a number as written; `""`
/// when there is none.
pub fn text(doc: &Value, path: &str) -> String {
    match get(doc, path) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Sets the value at `path`, adding the last member to its object if
/// missing. `false` when the parent is not there.
pub fn set(doc: &mut Value, path: &str, value: Value) -> bool {
    let ptr = pointer(path);
    if let Some(slot) = doc.pointer_mut(&ptr) {
        *slot = value;
        return true;
    }
    let Some((parent, last)) = ptr.rsplit_once('/') else {
        return false;
    };
    match doc.pointer_mut(parent).and_then(Value::as_object_mut) {
        Some(obj) => {
            obj.insert(last.replace("~1", "/").replace("~0", "~"), value);
            true
        }
        None => false,
    }
}

/// A number typed into a box: the number when it is a whole one, else the
/// text itself, which the check then names (nothing typed is lost).
pub fn number_or_text(typed: &str) -> Value {
    match typed.trim().parse::<u64>() {
        Ok(n) => json!(n),
        Err(_) => json!(typed),
    }
}

/// The items of the list at `path` (none when it is not a list).
pub fn len(doc: &Value, path: &str) -> usize {
    get(doc, path).and_then(Value::as_array).map_or(0, Vec::len)
}

fn list_mut<'a>(doc: &'a mut Value, path: &str) -> Option<&'a mut Vec<Value>> {
    if get(doc, path).is_none_or(Value::is_null) {
        set(doc, path, json!([]));
    }
    doc.pointer_mut(&pointer(path))
        .and_then(Value::as_array_mut)
}

/// Inserts `item` at `at` (at most the end) of the list at `path`.
pub fn insert(doc: &mut Value, path: &str, at: usize, item: Value) {
    if let Some(list) = list_mut(doc, path) {
        let at = at.min(list.len());
        list.insert(at, item);
    }
}

pub fn remove(doc: &mut Value, path: &str, at: usize) {
    if let Some(list) = list_mut(doc, path)
        && at < list.len()
    {
        list.remove(at);
    }
}

/// Moves item `from` of the list at `path` to position `to`. `false` when
/// either is out of range.
pub fn move_item(doc: &mut Value, path: &str, from: usize, to: usize) -> bool {
    match list_mut(doc, path) {
        Some(list) if from < list.len() && to < list.len() => {
            let item = list.remove(from);
            list.insert(to, item);
            true
        }
        _ => false,
    }
}

/// Toggles `grade` in the grade list at `path`, kept in A–E order.
pub fn toggle_grade(doc: &mut Value, path: &str, grade: Grade) {
    let mut grades = grades_at(doc, path);
    if let Some(i) = grades.iter().position(|g| *g == grade) {
        grades.remove(i);
    } else {
        grades.push(grade);
        grades.sort_by_key(|g| Grade::ALL.iter().position(|a| a == g));
    }
    let list: Vec<&str> = grades.iter().map(|g| g.as_str()).collect();
    set(doc, path, json!(list));
}

pub fn grades_at(doc: &Value, path: &str) -> Vec<Grade> {
    get(doc, path)
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .filter_map(|s| Grade::ALL.into_iter().find(|g| g.as_str() == s))
                .collect()
        })
        .unwrap_or_default()
}

/// A select field's options, one per line as typed (blank lines dropped).
pub fn options_from_lines(typed: &str) -> Value {
    let lines: Vec<&str> = typed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    json!(lines)
}

pub fn options_as_lines(doc: &Value, path: &str) -> String {
    get(doc, path)
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The four rows of the stage framework (商机管理框架).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Fields,
    Tasks,
    Processes,
    Roles,
}

impl Row {
    pub const ALL: [Row; 4] = [Row::Fields, Row::Tasks, Row::Processes, Row::Roles];

    /// The stage's list of this row, as the document names it.
    pub fn list(self) -> &'static str {
        match self {
            Row::Fields => "required_fields",
            Row::Tasks => "required_tasks",
            Row::Processes => "processes",
            Row::Roles => "roles",
        }
    }

    /// The member holding an item's key.
    pub fn key_member(self) -> &'static str {
        match self {
            Row::Roles => "role",
            _ => "key",
        }
    }
}

/// A key no other item of the pipeline uses: `base`, else `base_2`, ….
pub fn fresh_key(doc: &Value, base: &str) -> String {
    let mut used = Vec::new();
    for (i, stage) in doc["stages"].as_array().into_iter().flatten().enumerate() {
        if let Some(k) = stage["key"].as_str() {
            used.push(k.to_string());
        }
        for row in Row::ALL {
            for j in 0..len(doc, &format!("stages[{i}].{}", row.list())) {
                let at = format!("stages[{i}].{}[{j}].{}", row.list(), row.key_member());
                used.push(text(doc, &at));
            }
        }
    }
    (1..)
        .map(|n| {
            if n == 1 {
                base.to_string()
            } else {
                format!("{base}_{n}")
            }
        })
        .find(|k| !used.contains(k))
        .unwrap_or_else(|| base.to_string())
}

/// A new item of `row`, for every grade, with its texts to be written (the
/// check names the blank ones). A role starts as `first_role`.
pub fn new_item(doc: &Value, row: Row, first_role: &str) -> Value {
    let blank = json!({"zh-CN": "", "en": ""});
    let grades = json!(["A", "B", "C", "D", "E"]);
    match row {
        Row::Fields => json!({
            "key": fresh_key(doc, "new_field"), "label": blank, "kind": "text",
            "options": null, "grades": grades,
        }),
        Row::Tasks => json!({
            "key": fresh_key(doc, "new_task"), "label": blank, "description": blank, "grades": grades,
        }),
        Row::Processes => json!({
            "key": fresh_key(doc, "new_approval"), "label": blank,
            "approver": {"role": "manager"}, "grades": grades,
        }),
        Row::Roles => json!({"role": first_role, "grades": grades}),
    }
}

/// A new stage to insert before the final one (where most new steps
/// belong): skippable, as likely as the stage before it, its texts to be
/// written.
pub fn new_stage(doc: &Value) -> Value {
    let n = len(doc, "stages");
    let before = n.saturating_sub(2);
    let probability = get(doc, &format!("stages[{before}].probability"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let blank = json!({"zh-CN": "", "en": ""});
    json!({
        "key": fresh_key(doc, "new_stage"), "name": blank, "entry": blank, "exit": blank,
        "probability": probability, "max_days": 30, "skippable": true,
        "required_fields": [], "required_tasks": [], "processes": [], "roles": [],
    })
}

/// The problems at exactly `path`.
pub fn issues_at<'a>(issues: &'a [FieldIssue], path: &str) -> Vec<&'a FieldIssue> {
    issues.iter().filter(|i| i.field == path).collect()
}

/// Whether any problem lies at or under `path` (`stages[2]` covers
/// `stages[2].name` but not `stages[20]`).
pub fn any_under(issues: &[FieldIssue], path: &str) -> bool {
    issues.iter().any(|i| {
        i.field == path
            || i.field
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

/// The stage a problem's path points into (`stages[2]…` → 2).
pub fn stage_of(path: &str) -> Option<usize> {
    let rest = path.strip_prefix("stages[")?;
    rest.split(']').next()?.parse().ok()
}

/// After a 409: what the other admin's save changed, stage by stage
/// (by key), from the version the draft was based on to `fresh`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageChange {
    Added(Stage),
    Removed(Stage),
    Edited(Stage),
    Moved(Stage),
}

pub fn changes_between(base: &Pipeline, fresh: &Pipeline) -> Vec<StageChange> {
    // "Moved": its place among the stages both versions hold changed (a
    // stage added or removed before it does not move it).
    let common = |p: &Pipeline, other: &Pipeline| -> Vec<String> {
        p.stages
            .iter()
            .filter(|s| other.index_of(s.key.as_str()).is_some())
            .map(|s| s.key.to_string())
            .collect()
    };
    let (in_base, in_fresh) = (common(base, fresh), common(fresh, base));
    let mut out = Vec::new();
    for s in &fresh.stages {
        match base.index_of(s.key.as_str()) {
            None => out.push(StageChange::Added(s.clone())),
            Some(j) if base.stages[j] != *s => out.push(StageChange::Edited(s.clone())),
            Some(_) => {
                let rank = |keys: &[String]| keys.iter().position(|k| s.key == k.as_str());
                if rank(&in_base) != rank(&in_fresh) {
                    out.push(StageChange::Moved(s.clone()));
                }
            }
        }
    }
    for s in &base.stages {
        if fresh.index_of(s.key.as_str()).is_none() {
            out.push(StageChange::Removed(s.clone()));
        }
    }
    out
}

/// How a deal of one grade meets a stage on its track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passage {
    /// Every deal of this grade goes through it.
    Required,
    /// Fast and partner tracks may jump over it to the final stage.
    MaySkip,
    /// Stage 1 of a partner deal: the approved registration stands for it.
    ByRegistration,
}

/// One stage as a deal of `grade` walks it: how it is passed and what it
/// asks of that grade, per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageWalk<'a> {
    pub stage: &'a Stage,
    pub passage: Passage,
    pub fields: Vec<&'a shared::pipeline::RequiredField>,
    pub tasks: Vec<&'a shared::pipeline::RequiredTask>,
    pub processes: Vec<&'a shared::pipeline::Process>,
    pub roles: Vec<&'a shared::pipeline::RoleRequirement>,
}

/// The pipeline as a deal on `track` with `grade` walks it (the seed's
/// framework table, figure 3, for one grade).
pub fn walk(pipeline: &Pipeline, grade: Grade, track: Track) -> Vec<StageWalk<'_>> {
    let last = pipeline.stages.len().saturating_sub(1);
    pipeline
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StageWalk {
            stage: s,
            passage: match (i, track) {
                (0, Track::Partner) => Passage::ByRegistration,
                (i, t) if i > 0 && i < last && t.may_skip() => Passage::MaySkip,
                _ => Passage::Required,
            },
            fields: s
                .required_fields
                .iter()
                .filter(|f| f.grades.contains(grade))
                .collect(),
            tasks: s
                .required_tasks
                .iter()
                .filter(|t| t.grades.contains(grade))
                .collect(),
            processes: s
                .processes
                .iter()
                .filter(|p| p.grades.contains(grade))
                .collect(),
            roles: s
                .roles
                .iter()
                .filter(|r| r.grades.contains(grade))
                .collect(),
        })
        .collect()
}

/// The track a grade follows (A/B full, C/D fast, E partner).
pub fn track_of(grade: Grade) -> Track {
    match grade {
        Grade::A | Grade::B => Track::Full,
        Grade::C | Grade::D => Track::Fast,
        Grade::E => Track::Partner,
    }
}

/// What an audit entry is about, and where the admin edits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject<'a> {
    Grading,
    Pipeline(&'a str),
    TeamRoles,
    Registration,
    User(&'a str),
    Other(&'a str),
}

impl<'a> Subject<'a> {
    pub fn parse(subject: &'a str) -> Subject<'a> {
        match subject.split_once(':') {
            None if subject == "grading" => Subject::Grading,
            Some(("pipeline", id)) => Subject::Pipeline(id),
            Some(("settings", "team_roles")) => Subject::TeamRoles,
            Some(("settings", "registration")) => Subject::Registration,
            Some(("user", id)) => Subject::User(id),
            _ => Subject::Other(subject),
        }
    }

    pub fn link(&self) -> Option<String> {
        match self {
            Subject::Grading => Some("/admin/grading".into()),
            Subject::Pipeline(id) => Some(format!("/admin/pipelines/{id}")),
            Subject::TeamRoles | Subject::Registration => Some("/admin/pipelines".into()),
            Subject::User(_) => Some("/admin/users".into()),
            Subject::Other(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::builtin;

    fn tender() -> Value {
        serde_json::to_value(builtin::tender()).unwrap()
    }

    #[test]
    fn issue_paths_become_json_pointers() {
        assert_eq!(
            pointer("stages[3].required_fields[1].key"),
            "/stages/3/required_fields/1/key"
        );
        assert_eq!(pointer("stages[0].name.zh-CN"), "/stages/0/name/zh-CN");
        assert_eq!(pointer("roles[2]"), "/roles/2");
        assert_eq!(pointer("stages"), "/stages");
    }

    #[test]
    fn edits_at_paths_change_only_that_value_and_add_missing_members() {
        let mut doc = tender();
        assert!(set(&mut doc, "stages[1].name.en", json!("Kick-off")));
        assert!(set(
            &mut doc,
            "stages[1].required_fields[0].options",
            json!(["x"])
        ));
        assert!(!set(&mut doc, "stages[99].name.en", json!("nowhere")));
        assert_eq!(text(&doc, "stages[1].name.en"), "Kick-off");
        assert_eq!(text(&doc, "stages[1].name.zh-CN"), "商机立项");
        assert_eq!(text(&doc, "stages[1].probability"), "20");
    }

    #[test]
    fn a_number_typed_wrong_is_kept_as_text_for_the_check_to_name() {
        let mut doc = tender();
        set(&mut doc, "stages[2].probability", number_or_text("3o"));
        assert_eq!(text(&doc, "stages[2].probability"), "3o");
        let issues = shared::draft::parse_pipeline(&doc, &builtin::team_roles()).unwrap_err();
        assert_eq!(issues[0].field, "stages[2].probability");
        set(&mut doc, "stages[2].probability", number_or_text(" 35 "));
        assert!(shared::draft::parse_pipeline(&doc, &builtin::team_roles()).is_ok());
    }

    #[test]
    fn stages_move_insert_and_remove_in_the_list() {
        let mut doc = tender();
        let keys = |d: &Value| -> Vec<String> {
            (0..len(d, "stages"))
                .map(|i| text(d, &format!("stages[{i}].key")))
                .collect()
        };
        assert!(move_item(&mut doc, "stages", 4, 2));
        assert!(!move_item(&mut doc, "stages", 4, 7));
        assert_eq!(
            keys(&doc)[1..5],
            ["initiate", "tender_prep", "analyze", "present"]
        );
        let stage = new_stage(&doc);
        let last = len(&doc, "stages") - 1;
        insert(&mut doc, "stages", last, stage);
        assert_eq!(keys(&doc)[6..], ["new_stage", "negotiate"]);
        remove(&mut doc, "stages", 6);
        assert_eq!(keys(&doc).len(), 7);
    }

    #[test]
    fn a_new_stage_has_a_fresh_key_and_must_get_its_texts() {
        let mut doc = tender();
        let n = len(&doc, "stages");
        for _ in 0..2 {
            let stage = new_stage(&doc);
            insert(&mut doc, "stages", n - 1, stage);
        }
        assert_eq!(text(&doc, &format!("stages[{}].key", n - 1)), "new_stage_2");
        let issues = shared::draft::parse_pipeline(&doc, &builtin::team_roles()).unwrap_err();
        assert!(any_under(&issues, &format!("stages[{}]", n - 1)));
        assert!(!any_under(&issues, "stages[1]"));
    }

    #[test]
    fn new_items_of_each_row_are_whole_and_become_valid_once_labelled() {
        let mut doc = tender();
        for row in Row::ALL {
            let at = format!("stages[2].{}", row.list());
            let n = len(&doc, &at);
            let item = new_item(&doc, row, "presales");
            insert(&mut doc, &at, n, item);
            if row != Row::Roles {
                set(
                    &mut doc,
                    &format!("{at}[{n}].label"),
                    json!({"zh-CN": "新", "en": "New"}),
                );
            }
        }
        let parsed = shared::draft::parse_pipeline(&doc, &builtin::team_roles()).unwrap();
        let stage = &parsed.stages[2];
        assert_eq!(
            stage.required_fields.last().unwrap().key.as_str(),
            "new_field"
        );
        assert_eq!(stage.processes.last().unwrap().key.as_str(), "new_approval");
        assert_eq!(stage.roles.last().unwrap().role.as_str(), "presales");
    }

    #[test]
    fn grade_toggles_keep_a_to_e_order() {
        let mut doc = tender();
        let at = "stages[2].required_tasks[0].grades";
        toggle_grade(&mut doc, at, Grade::D);
        toggle_grade(&mut doc, at, Grade::A);
        toggle_grade(&mut doc, at, Grade::C);
        assert_eq!(grades_at(&doc, at), [Grade::B, Grade::C, Grade::D]);
    }

    #[test]
    fn select_options_are_one_per_line() {
        let mut doc = tender();
        set(
            &mut doc,
            "stages[0].required_fields[1].options",
            options_from_lines("a\n\n  b \n"),
        );
        assert_eq!(
            options_as_lines(&doc, "stages[0].required_fields[1].options"),
            "a\nb"
        );
    }

    #[test]
    fn problems_under_a_stage_do_not_leak_into_stage_twenty() {
        let issue = |f: &str| FieldIssue::new(f, "x", "x", "x");
        let issues = [issue("stages[20].name"), issue("stages[2]")];
        assert!(any_under(&issues, "stages[2]"));
        assert!(!any_under(&issues[..1], "stages[2]"));
        assert_eq!(stage_of("stages[20].name"), Some(20));
        assert_eq!(stage_of("roles"), None);
    }

    #[test]
    fn another_admins_save_is_told_stage_by_stage() {
        let base = builtin::tender();
        let mut fresh = base.clone();
        fresh.stages[2].max_days = 10;
        fresh.stages.swap(3, 4);
        let gone = fresh.stages.remove(1);
        let changes = changes_between(&base, &fresh);
        let keys: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| match c {
                StageChange::Added(s) => ("added", s.key.as_str()),
                StageChange::Removed(s) => ("removed", s.key.as_str()),
                StageChange::Edited(s) => ("edited", s.key.as_str()),
                StageChange::Moved(s) => ("moved", s.key.as_str()),
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("edited", "analyze"),
                ("moved", "tender_prep"),
                ("moved", "present"),
                ("removed", gone.key.as_str())
            ]
        );
    }

    #[test]
    fn a_c_deal_may_skip_the_middle_stages_and_an_e_deal_starts_by_registration() {
        let p = builtin::tender();
        let passages = |g: Grade| -> Vec<Passage> {
            walk(&p, g, track_of(g)).iter().map(|w| w.passage).collect()
        };
        assert!(passages(Grade::A).iter().all(|x| *x == Passage::Required));
        let c = passages(Grade::C);
        assert_eq!(
            (c[0], c[3], c[6]),
            (Passage::Required, Passage::MaySkip, Passage::Required)
        );
        assert_eq!(passages(Grade::E)[0], Passage::ByRegistration);
        // What stage 3 asks of each grade: A and B all three fields, C none.
        let fields = |g: Grade| walk(&p, g, track_of(g))[2].fields.len();
        assert_eq!(
            (fields(Grade::A), fields(Grade::B), fields(Grade::C)),
            (3, 3, 0)
        );
    }

    #[test]
    fn audit_subjects_link_to_where_they_are_edited() {
        assert_eq!(
            Subject::parse("pipeline:direct"),
            Subject::Pipeline("direct")
        );
        assert_eq!(
            Subject::parse("settings:team_roles").link().as_deref(),
            Some("/admin/pipelines")
        );
        assert_eq!(
            Subject::parse("grading").link().as_deref(),
            Some("/admin/grading")
        );
        assert_eq!(Subject::parse("user:u_1"), Subject::User("u_1"));
        assert_eq!(Subject::parse("weird").link(), None);
    }
}
