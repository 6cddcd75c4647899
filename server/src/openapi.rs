//! The API description: an OpenAPI 3.1 document of every route in
//! [`crate::routes::ROUTES`], its bodies' schemas generated from the
//! `shared` wire types (schemars, host builds only: the feature `schema`
//! that the server's tests enable). The generated document is committed as
//! `server/openapi.json`, which the Worker serves at `GET /api/openapi.json`
//! without generating anything; a test fails when the two differ, and when
//! a route of the table has no description here (or the other way round).
//!
//! Regenerate after changing a route or a wire type:
//! `DEALGATE_WRITE_OPENAPI=1 cargo test -p dealgate-server --lib openapi`.

use crate::auth::{Access, SESSION_COOKIE};
use crate::routes::{ROUTES, Route};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};
use shared::api::{self as wire, Page, Problem};
use shared::user::Role;
use shared::{Opportunity, Pipeline};
use std::collections::{BTreeMap, BTreeSet};

/// Where the document is committed (relative to the server crate).
pub const COMMITTED: &str = "openapi.json";

/// A schema from a generator: requests are described as their types
/// deserialize, answers as they serialize.
type Of = fn(&mut SchemaGenerator) -> Schema;

fn of<T: JsonSchema>() -> Of {
    |g| g.subschema_for::<T>()
}

/// What a successful call answers.
enum Answer {
    Json(u16, Of),
    /// `204`, no body.
    Empty,
    /// A CSV download.
    Csv,
}

/// A query parameter: its name, schema and meaning.
struct Query {
    name: &'static str,
    schema: Value,
    description: String,
    required: bool,
}

/// One operation beyond what its route row already says.
struct Op {
    summary: &'static str,
    body: Option<Of>,
    answer: Answer,
    query: Vec<Query>,
    /// Error statuses besides those the access rule, the path parameters
    /// and a body imply.
    errors: &'static [u16],
    /// Where the answer leads: every route under this path takes the
    /// answer's record as its parameter (`{param}` = the expression).
    link: Option<Link>,
}

/// An OpenAPI link from an answer to the routes of the record it names.
#[derive(Clone, Copy)]
struct Link {
    /// The record's routes: this pattern and every one under it.
    under: &'static str,
    param: &'static str,
    /// A runtime expression, e.g. `$response.body#/id`.
    value: &'static str,
}

fn op(summary: &'static str, answer: Answer) -> Op {
    Op {
        summary,
        body: None,
        answer,
        query: Vec::new(),
        errors: &[],
        link: None,
    }
}

impl Op {
    fn body(mut self, body: Of) -> Op {
        self.body = Some(body);
        self
    }

    fn errors(mut self, errors: &'static [u16]) -> Op {
        self.errors = errors;
        self
    }

    /// The answer's record (at `value`) is the `{param}` of the routes
    /// under `under`.
    fn leads_to(mut self, under: &'static str, param: &'static str, value: &'static str) -> Op {
        self.link = Some(Link {
            under,
            param,
            value,
        });
        self
    }

    fn query(mut self, query: Vec<Query>) -> Op {
        self.query.extend(query);
        self
    }
}

fn ok(of: Of) -> Answer {
    Answer::Json(200, of)
}

fn created(of: Of) -> Answer {
    Answer::Json(201, of)
}

fn text(name: &'static str, description: &str) -> Query {
    Query {
        name,
        schema: json!({"type": "string"}),
        description: description.into(),
        required: false,
    }
}

/// A query parameter the route refuses to answer without.
fn required(mut query: Query) -> Query {
    query.required = true;
    query
}

/// `query` without the parameters named (a list that takes no paging).
fn except(query: Vec<Query>, names: &[&str]) -> Vec<Query> {
    query
        .into_iter()
        .filter(|q| !names.contains(&q.name))
        .collect()
}

/// `q`, `cursor`, `limit`, `sort` and the exact-match filters a list takes.
fn list_query(filters: &[(&'static str, &str)], sorts: crate::listing::Sorts) -> Vec<Query> {
    let mut query = vec![
        text("q", "Free-text search (name or title, and customer)."),
        text("cursor", "The `next_cursor` of the previous page (opaque)."),
        Query {
            name: "limit",
            schema: json!({"type": "integer", "minimum": 1, "maximum": crate::listing::MAX_LIMIT}),
            description: format!(
                "Rows per page, {} unless asked (larger values are capped).",
                crate::listing::DEFAULT_LIMIT
            ),
            required: false,
        },
    ];
    if !sorts.is_empty() {
        let values: Vec<String> = sorts
            .iter()
            .flat_map(|(k, ..)| [k.to_string(), format!("-{k}")])
            .collect();
        query.push(Query {
            name: "sort",
            schema: json!({"type": "string", "enum": values}),
            description: "The order (`-` first: descending); newest first unless asked.".into(),
            required: false,
        });
    }
    query.extend(
        filters
            .iter()
            .map(|(name, _)| text(name, "Exact-match filter.")),
    );
    query
}

/// The description of each route, by its handler's name.
fn describe(route: &Route) -> Option<Op> {
    use crate::store::{leads, opportunities as deals};
    use shared::event::Event;
    use shared::lead::{ConvertRequest, Duplicate, Lead, LeadPatch, NewLead};
    use shared::registration as reg;
    const WRITE: &[u16] = &[409, 422];
    let d = match route.name {
        "health" => op("The runtime and the database answer", ok(of::<wire::Health>())),
        "login" => op("Sign in: sets the session cookie", ok(of::<wire::Me>()))
            .body(of::<wire::LoginRequest>())
            .errors(&[401, 429]),
        "logout" => op("Sign out: ends the session and clears its cookie", Answer::Empty),
        "setup" => op(
            "The first admin of a new deployment (needs the SETUP_TOKEN secret; 404 once any user exists)",
            created(of::<wire::Me>()),
        )
        .body(of::<crate::api::session::SetupRequest>())
        .errors(&[403, 404, 409, 422]),
        "me" => op("The signed-in user", ok(of::<wire::Me>())),
        "submit_registration" => op(
            "A partner registers an E-class deal (no account)",
            created(of::<reg::RegistrationReceipt>()),
        )
        .body(of::<reg::RegistrationForm>())
        .errors(&[422, 429])
            .leads_to("/api/public/registrations/{reference}", "reference", "$response.body#/reference"),
        "get_registration_status" => op(
            "A registration's status, for the holder of its reference",
            ok(of::<reg::RegistrationStatusView>()),
        ),
        "withdraw_registration" => op(
            "Withdraw a registration while it is submitted",
            ok(of::<reg::RegistrationStatusView>()),
        )
        .errors(&[409]),
        "list_users" => op("Every user's name and roles, for pickers", ok(of::<Page<wire::UserSummary>>())),
        "list_admin_users" => op("Every user, for the admin", ok(of::<Page<wire::Me>>()))
            .leads_to("/api/admin/users/{id}", "id", "$response.body#/items/0/id"),
        "create_user" => op("Add a user", created(of::<wire::Me>()))
            .body(of::<wire::NewUser>())
            .errors(WRITE)
            .leads_to("/api/admin/users/{id}", "id", "$response.body#/id"),
        "update_user" => op("Change a user's name, roles, password or activity", ok(of::<wire::Me>()))
            .body(of::<wire::UserPatch>())
            .errors(WRITE),
        "get_config" => op(
            "Grading policy, pipelines, team roles, currency and versions",
            ok(of::<wire::Config>()),
        )
        .query(vec![Query {
            name: "min_version",
            schema: json!({"type": "integer", "minimum": 0}),
            description: "Answer a configuration at least this new.".into(),
            required: false,
        }]),
        "get_grading" => op("The grading thresholds", ok(of::<wire::GradingAdmin>())),
        "update_grading" => op(
            "Change the thresholds (regrades the open deals)",
            ok(of::<wire::GradingAdmin>()),
        )
        .body(of::<wire::GradingUpdate>())
        .errors(WRITE),
        "preview_grading" => op(
            "Which open deals new thresholds would regrade",
            ok(of::<shared::regrade::PolicyPreview>()),
        )
        .body(of::<wire::GradingPreviewRequest>())
        .errors(&[422]),
        "grading_history" => op(
            "Every version of the thresholds",
            ok(of::<Page<wire::GradingChange>>()),
        ),
        "list_pipelines" => op("The pipelines", ok(of::<Page<wire::PipelineSummary>>()))
            .leads_to("/api/admin/pipelines/{id}", "id", "$response.body#/items/0/id"),
        "create_pipeline" => op(
            "Create a pipeline, optionally copied from another",
            created(of::<Pipeline>()),
        )
        .body(of::<wire::NewPipeline>())
        .errors(WRITE)
            .leads_to("/api/admin/pipelines/{id}", "id", "$response.body#/id"),
        "get_pipeline" => op("A pipeline's stage framework", ok(of::<Pipeline>())),
        "update_pipeline" => op(
            "Save a pipeline's stage framework (the whole document, with its version)",
            ok(of::<Pipeline>()),
        )
        .body(|g| {
            let pipeline = g.subschema_for::<Pipeline>();
            schemars::json_schema!({"allOf": [pipeline, {"required": ["version"]}]})
        })
        .errors(WRITE),
        "preview_pipeline" => op(
            "A draft's impact on open deals, before saving",
            ok(of::<shared::impact::PipelinePreview>()),
        )
        .body(of::<Pipeline>())
        .errors(&[422]),
        "list_audit" => op(
            "Configuration and user changes, newest first",
            ok(of::<Page<wire::AuditEntry>>()),
        ),
        "get_team_roles" => op("The deal-team roles", ok(of::<wire::TeamRolesAdmin>())),
        "update_team_roles" => op("Change the deal-team roles", ok(of::<wire::TeamRolesAdmin>()))
            .body(of::<wire::TeamRolesAdmin>())
            .errors(WRITE),
        "get_registration" => op(
            "The registrations' protection period",
            ok(of::<wire::RegistrationAdmin>()),
        ),
        "update_registration" => op(
            "Change the registrations' protection period",
            ok(of::<wire::RegistrationAdmin>()),
        )
        .body(of::<wire::RegistrationAdmin>())
        .errors(WRITE),
        "list_registrations" => op(
            "The registrations' review queue, with conflicts",
            ok(of::<Page<reg::RegistrationItem>>()),
        )
        .query(vec![Query {
            name: "status",
            schema: json!({"type": "string", "enum": ["submitted", "approved", "rejected", "withdrawn", "expired"]}),
            description: "Only registrations in this status.".into(),
            required: false,
        }])
            .leads_to("/api/registrations/{id}", "id", "$response.body#/items/0/id"),
        "approve_registration" => op(
            "Approve a registration: an E-class deal for the owner named",
            created(of::<Opportunity>()),
        )
        .body(of::<reg::ApproveRequest>())
        .errors(WRITE)
            .leads_to("/api/opportunities/{id}", "id", "$response.body#/id"),
        "reject_registration" => op("Reject a registration", ok(of::<reg::RegistrationItem>()))
            .body(of::<reg::RejectRequest>())
            .errors(WRITE),
        "list_leads" => op("The leads the caller may read", ok(of::<Page<Lead>>()))
            .query(list_query(leads::FILTERS, &[]))
            .leads_to("/api/leads/{id}", "id", "$response.body#/items/0/id"),
        "find_duplicates" => op(
            "Open leads and deals that look like this customer and title",
            ok(of::<Page<Duplicate>>()),
        )
        .query(vec![
            required(text("customer", "The customer's name.")),
            required(text("title", "The lead's title.")),
        ])
        .errors(&[422]),
        "create_lead" => op("Create a lead", created(of::<Lead>()))
            .body(of::<NewLead>())
            .errors(&[422])
            .leads_to("/api/leads/{id}", "id", "$response.body#/id"),
        "get_lead" => op("A lead", ok(of::<Lead>())),
        "update_lead" => op("Edit a lead", ok(of::<Lead>()))
            .body(of::<LeadPatch>())
            .errors(WRITE),
        "set_lead_task" => op("Tick or untick a lead's task", ok(of::<Lead>()))
            .body(of::<wire::TaskUpdate>())
            .errors(WRITE),
        "convert_lead" => op(
            "Convert a verified lead into a deal (422 with blockers)",
            created(of::<Opportunity>()),
        )
        .body(of::<ConvertRequest>())
        .errors(WRITE)
            .leads_to("/api/opportunities/{id}", "id", "$response.body#/id"),
        "disqualify_lead" => op("Disqualify a lead, with a reason", ok(of::<Lead>()))
            .body(of::<wire::DisqualifyRequest>())
            .errors(WRITE),
        "reopen_lead" => op("Reopen a disqualified lead", ok(of::<Lead>()))
            .body(of::<wire::DisqualifyRequest>())
            .errors(WRITE),
        "add_lead_note" => op("Add a note to a lead's history", created(of::<Event>()))
            .body(of::<wire::NoteRequest>())
            .errors(&[422]),
        "lead_history" => op("A lead's audit events", ok(of::<Page<Event>>())),
        "list_opportunities" => op(
            "The deals the caller may read: whole records, or the list's rows (`view=rows`)",
            // anyOf: an empty page is both.
            ok(|g| {
                let (whole, rows) = (
                    g.subschema_for::<Page<Opportunity>>(),
                    g.subschema_for::<Page<shared::OpportunityRow>>(),
                );
                schemars::json_schema!({"anyOf": [whole, rows]})
            }),
        )
        .query(list_query(deals::LIST_FILTERS, deals::SORTS))
        .query(vec![Query {
            name: "view",
            schema: json!({"type": "string", "enum": ["rows"]}),
            description: "`rows`: each item is the deal list's row (`OpportunityRow`), \
                          not the whole record."
                .into(),
            required: false,
        }])
            .leads_to("/api/opportunities/{id}", "id", "$response.body#/items/0/id"),
        "list_approvals" => op(
            "The approvals waiting for the caller's decision",
            ok(of::<Page<wire::ApprovalItem>>()),
        ),
        "board" => op(
            "A pipeline's open deals by stage: counts, sums and the first cards",
            ok(of::<wire::Board<Opportunity>>()),
        )
        .query(except(list_query(deals::BOARD_FILTERS, &[]), &["cursor"]))
        .errors(&[404]),
        "pipeline_report" => op(
            "Funnel, weighted forecast, aging, conversion and win rate",
            ok(of::<shared::report::PipelineReport>()),
        )
        .query({
            let date = |name, description: &str| Query {
                name,
                schema: json!({"type": "string", "format": "date"}),
                description: description.into(),
                required: false,
            };
            vec![
                date("from", "First day of the period (default: 89 days before `to`)."),
                date("to", "Last day of the period (default: today)."),
                text("pipeline", "The pipeline (default: the first)."),
                text("owner", "Only this owner's deals."),
                text("grade", "Only deals of this grade."),
            ]
        })
        .errors(&[404]),
        "opportunities_csv" => op("Every deal the list would show, as CSV", Answer::Csv).query(
            except(
                list_query(deals::LIST_FILTERS, &[]),
                &["cursor", "limit"],
            ),
        ),
        "get_opportunity" => op(
            "A deal with its fields, tasks, approvals, team, grade and track",
            ok(of::<Opportunity>()),
        ),
        "update_opportunity" => op("Edit a deal", ok(of::<Opportunity>()))
            .body(of::<shared::opportunity::OpportunityPatch>())
            .errors(WRITE),
        "set_opportunity_task" => op("Tick or untick a deal's task", ok(of::<Opportunity>()))
            .body(of::<wire::TaskUpdate>())
            .errors(WRITE),
        "request_approval" => op("Ask for an approval", ok(of::<Opportunity>()))
            .body(of::<wire::VersionOnly>())
            .errors(WRITE),
        "decide_approval" => op(
            "Approve or reject (the approver; never the deal's owner)",
            ok(of::<Opportunity>()),
        )
        .body(of::<wire::ApprovalDecision>())
        .errors(WRITE),
        "set_team" => op("Staff the deal team", ok(of::<Opportunity>()))
            .body(of::<wire::TeamUpdate>())
            .errors(WRITE),
        "override_grade" => op("Raise a deal's grade, with a reason", ok(of::<Opportunity>()))
            .body(of::<wire::GradeOverrideRequest>())
            .errors(WRITE),
        "change_owner" => op("Hand a deal to another owner", ok(of::<Opportunity>()))
            .body(of::<wire::OwnerChange>())
            .errors(WRITE),
        "check_opportunity" => op(
            "The gate's verdict on a move, as the app computes it",
            ok(of::<shared::Verdict>()),
        )
        .query(vec![Query {
            name: "to",
            schema: json!({"type": "string"}),
            description: "A stage's key, or `won`, `lost`, `reopen`.".into(),
            required: true,
        }]),
        "transition_opportunity" => op(
            "Move a deal: 422 with the blockers when its gate is not met",
            ok(of::<Opportunity>()),
        )
        .body(of::<wire::TransitionRequest>())
        .errors(WRITE),
        "add_opportunity_note" => op("Add a note to a deal's history", created(of::<Event>()))
            .body(of::<wire::NoteRequest>())
            .errors(&[422]),
        "set_forecast" => op(
            "Set the forecast category (commit only when the gate allows)",
            ok(of::<Opportunity>()),
        )
        .body(of::<shared::report::ForecastRequest>())
        .errors(WRITE),
        "opportunity_history" => op("A deal's audit events", ok(of::<Page<Event>>())),
        "openapi" => op(
            "This description of the API (OpenAPI 3.1)",
            ok(|_| schemars::json_schema!({"type": "object"})),
        ),
        _ => return None,
    };
    Some(d)
}

/// The links of an answer: one to each route of the record it names.
fn links(link: Link) -> Value {
    let placeholder = format!("{{{}}}", link.param);
    ROUTES
        .iter()
        .filter(|r| {
            (r.pattern == link.under || r.pattern.starts_with(&format!("{}/", link.under)))
                && r.pattern.contains(&placeholder)
        })
        .map(|r| {
            (
                r.name.to_string(),
                json!({"operationId": r.name, "parameters": {link.param: link.value}}),
            )
        })
        .collect::<Map<String, Value>>()
        .into()
}

/// The roles an access rule lets in, for readers of the description.
fn who(access: Access) -> (Vec<&'static str>, &'static str) {
    match access {
        Access::Public => (vec![], "Anyone, signed in or not."),
        Access::SignedIn => (
            vec!["rep", "manager", "channel", "admin"],
            "Any signed-in user; which records each may read or change is decided per record \
             (owner, deal team, managers, approvers).",
        ),
        Access::Roles(roles) => (
            roles
                .iter()
                .map(|r| match r {
                    Role::Rep => "rep",
                    Role::Manager => "manager",
                    Role::Channel => "channel",
                    Role::Admin => "admin",
                })
                .collect(),
            "Signed in with one of these roles.",
        ),
    }
}

const REASONS: &[(u16, &str)] = &[
    (
        400,
        "The body or a query parameter is not what the endpoint takes (`bad_request`).",
    ),
    (
        401,
        "No valid session (`unauthenticated`), or wrong e-mail or password (`invalid_credentials`).",
    ),
    (
        403,
        "The caller's role or relation to the record does not allow it (`forbidden`, or a rule's code).",
    ),
    (
        404,
        "No such record, or one the caller may not see (`not_found`).",
    ),
    (
        409,
        "The `version` sent is stale (`version_conflict`, with `current`), or the record's state or open records are in the way (`in_use`).",
    ),
    (
        415,
        "A write without `Content-Type: application/json` (`unsupported_media_type`).",
    ),
    (
        422,
        "Fields failed validation (`invalid`, with `errors`), the gate refused (`blocked`, with `blockers`), or a domain rule did.",
    ),
    (
        429,
        "Too many attempts (`too_many_requests`); `Retry-After` says when to try again.",
    ),
    (
        503,
        "The database or the key-value store did not answer (`storage_unavailable`); the cause is logged, not shown.",
    ),
];

/// The shared answer of one error status (`#/components/responses/ProblemNNN`).
fn problem_response(status: u16) -> Value {
    let reason = REASONS
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("An error.", |(_, r)| r);
    json!({
        "description": reason,
        "content": {shared::api::PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// The codes of the conflicts handlers answer (`ApiError::Conflict` and
/// `InUse`); a test holds this list to the server's sources.
const CONFLICT_CODES: &[&str] = &[
    "already_decided",
    "email_taken",
    "field_has_values",
    "last_admin",
    "not_submitted",
    "pipeline_exists",
    "role_is_staffed",
    "stage_has_open_deals",
];

/// The `code` of every problem the API answers.
fn error_codes() -> Vec<&'static str> {
    use crate::error::ApiError;
    use shared::grade::GradeError;
    use shared::opportunity::OpError;
    let text = || String::new();
    let rules = [
        OpError::Closed,
        OpError::Forbidden,
        OpError::NotOwner,
        OpError::UnknownField(text()),
        OpError::InvalidField {
            key: text(),
            error: shared::checklist::FieldValueError::NotText,
        },
        OpError::UnknownTask(text()),
        OpError::UnknownApproval(text()),
        OpError::ApprovalNotRequestable,
        OpError::ApprovalNotPending,
        OpError::SelfApproval,
        OpError::NotApprover,
        OpError::CommentRequired,
        OpError::UnknownTeamRole(text()),
        OpError::MissingUser,
        OpError::DuplicateMember,
        OpError::Grade(GradeError::ThresholdOrder),
        OpError::Grade(GradeError::UnknownGrade),
        OpError::Grade(GradeError::NotAnUpgrade),
        OpError::Grade(GradeError::ReasonRequired),
        OpError::Required(""),
        OpError::TooLong { field: "", max: 0 },
        OpError::NotPositive(""),
        OpError::NotDisqualified,
    ];
    let errors = [
        ApiError::BadRequest(String::new()),
        ApiError::Unauthenticated,
        ApiError::InvalidCredentials,
        ApiError::Forbidden,
        ApiError::RecordNotFound,
        ApiError::UnsupportedMethod,
        ApiError::UnsupportedMediaType,
        ApiError::stale(&()),
        ApiError::Invalid(Vec::new()),
        ApiError::Blocked(Vec::new()),
        ApiError::TooManyRequests { retry_after: 1 },
        ApiError::Storage(String::new()),
    ];
    // Every rule is listed above: this match has no wildcard, so a new
    // variant of OpError or GradeError fails to compile until it is.
    for rule in &rules {
        match rule {
            OpError::Closed
            | OpError::Forbidden
            | OpError::NotOwner
            | OpError::UnknownField(_)
            | OpError::InvalidField { .. }
            | OpError::UnknownTask(_)
            | OpError::UnknownApproval(_)
            | OpError::ApprovalNotRequestable
            | OpError::ApprovalNotPending
            | OpError::SelfApproval
            | OpError::NotApprover
            | OpError::CommentRequired
            | OpError::UnknownTeamRole(_)
            | OpError::MissingUser
            | OpError::DuplicateMember
            | OpError::Required(_)
            | OpError::TooLong { .. }
            | OpError::NotPositive(_)
            | OpError::NotDisqualified => {}
            OpError::Grade(
                GradeError::ThresholdOrder
                | GradeError::UnknownGrade
                | GradeError::NotAnUpgrade
                | GradeError::ReasonRequired,
            ) => {}
        }
    }
    let mut codes: Vec<&str> = errors
        .into_iter()
        .chain(rules.into_iter().map(ApiError::Op))
        .map(|e| e.code())
        .chain(CONFLICT_CODES.iter().copied())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// Builds the document from the route table.
pub fn document() -> Value {
    let settings =
        |s: SchemaSettings| s.with(|s| s.definitions_path = "/components/schemas/".into());
    let mut answers = settings(SchemaSettings::draft2020_12().for_serialize()).into_generator();
    let mut requests = settings(SchemaSettings::draft2020_12().for_deserialize()).into_generator();
    let problem = answers.subschema_for::<Problem>();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut request_schemas: Vec<(String, String, Value)> = Vec::new();
    for route in ROUTES {
        let Some(d) = describe(route) else { continue };
        let method = route.method.as_str().to_ascii_lowercase();
        let (roles, rule) = who(route.access);
        let mut parameters: Vec<Value> = route
            .pattern
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}})
            })
            .collect();
        let has_path_params = !parameters.is_empty();
        parameters.extend(d.query.iter().map(|q| {
            json!({"name": q.name, "in": "query", "required": q.required, "schema": q.schema, "description": q.description})
        }));
        let mut errors: BTreeSet<u16> = d.errors.iter().copied().collect();
        match route.access {
            Access::Public => {}
            Access::SignedIn => {
                errors.insert(401);
            }
            Access::Roles(_) => {
                errors.extend([401, 403]);
            }
        }
        if route.access != Access::Public && has_path_params {
            errors.insert(403);
        }
        if has_path_params {
            errors.insert(404);
        }
        if route.method.is_mutating() {
            errors.extend([400, 415]);
        }
        if !d.query.is_empty() {
            errors.insert(400);
        }
        // Every route but the description itself reads storage.
        if route.name != "openapi" {
            errors.insert(503);
        }
        let mut responses = Map::new();
        match d.answer {
            Answer::Json(status, of) => {
                let schema = of(&mut answers);
                let mut answer = json!({"description": d.summary, "content": {"application/json": {"schema": schema}}});
                if let Some(link) = d.link {
                    answer["links"] = links(link);
                }
                responses.insert(status.to_string(), answer);
            }
            Answer::Empty => {
                responses.insert("204".into(), json!({"description": d.summary}));
            }
            Answer::Csv => {
                responses.insert(
                    "200".into(),
                    json!({"description": d.summary, "content": {"text/csv": {"schema": {"type": "string"}}}}),
                );
            }
        }
        if route.method == crate::http::Method::Get {
            responses.insert(
                "304".into(),
                json!({"description": "Not modified: `If-None-Match` named the answer's `ETag`."}),
            );
        }
        for status in errors {
            responses.insert(
                status.to_string(),
                json!({"$ref": format!("#/components/responses/Problem{status}")}),
            );
        }
        let mut operation = json!({
            "operationId": route.name,
            "summary": d.summary,
            "description": format!("Who: {rule}"),
            "x-roles": roles,
            "security": if route.access == Access::Public { json!([]) } else { json!([{"session": []}]) },
            "responses": responses,
        });
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if let Some(body) = d.body {
            let schema = body(&mut requests);
            request_schemas.push((route.pattern.into(), method.clone(), schema.to_value()));
            operation["requestBody"] =
                json!({"required": true, "content": {"application/json": {}}});
        } else if route.method.is_mutating() {
            operation["requestBody"] = json!({
                "required": false,
                "description": "None needed; the request must still be sent as `application/json`.",
                "content": {"application/json": {"schema": {}}}
            });
        }
        paths
            .entry(route.pattern.into())
            .or_default()
            .insert(method, operation);
    }
    let mut schemas = answers.take_definitions(true);
    let inputs = requests.take_definitions(true);
    let renamed = input_names(&schemas, &inputs);
    for (name, schema) in inputs {
        let input = renamed.get(&name).cloned();
        assert!(
            input.as_ref().is_none_or(|n| !schemas.contains_key(n)),
            "{name}'s request schema would be named like another schema"
        );
        schemas
            .entry(input.unwrap_or(name))
            .or_insert_with(|| rewrite(schema, &renamed));
    }
    for (path, method, schema) in request_schemas {
        if let Some(op) = paths.get_mut(&path).and_then(|p| p.get_mut(&method)) {
            op["requestBody"]["content"]["application/json"]["schema"] = rewrite(schema, &renamed);
        }
    }
    let problem = problem.to_value();
    let code_values = error_codes();
    if let Some(Value::Object(p)) = schemas.get_mut("Problem") {
        p.insert(
            "description".into(),
            json!(format!(
                "RFC 9457 problem details, answered as `{1}`. `code` is stable, one of: {0}. \
                 `errors` lists the fields that failed validation (`invalid`), `blockers` what \
                 the gate requires (`blocked`), `current` the record as it is now \
                 (`version_conflict`), `in_use` the open records in the way (`in_use` codes).",
                code_values.join(", "),
                shared::api::PROBLEM_CONTENT_TYPE
            )),
        );
    }
    debug_assert_eq!(problem["$ref"], "#/components/schemas/Problem");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Dealgate API",
            "version": shared::VERSION,
            "description": "Dealgate's HTTP API: leads, deals and their stage gates, grades, approvals, \
                partners' registrations, admin settings and reports. JSON everywhere; ids are opaque \
                strings; dates `YYYY-MM-DD`; timestamps RFC 3339 UTC; amounts integer minor units. \
                Writes to versioned records send `version` (409 with the current record when stale). \
                Writes must be `application/json`. Errors are `application/problem+json`.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": REASONS
                .iter()
                .map(|(status, _)| (format!("Problem{status}"), problem_response(*status)))
                .collect::<Map<String, Value>>(),
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "The HttpOnly session cookie `POST /api/auth/login` sets.",
                }
            }
        }
    })
}

/// Request schemas that differ from the answer's of the same name (e.g. a
/// field with a default is optional in a request) get `Input` appended;
/// so does any that refers to one renamed, until nothing changes.
fn input_names(
    answers: &Map<String, Value>,
    inputs: &Map<String, Value>,
) -> BTreeMap<String, String> {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let before = renamed.len();
        for (name, schema) in inputs {
            if renamed.contains_key(name) {
                continue;
            }
            let differs = answers
                .get(name)
                .is_some_and(|a| *a != rewrite(schema.clone(), &renamed));
            if differs {
                renamed.insert(name.clone(), format!("{name}Input"));
            }
        }
        if renamed.len() == before {
            return renamed;
        }
    }
}

/// `schema` with its references to renamed definitions following them.
fn rewrite(schema: Value, renamed: &BTreeMap<String, String>) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => {
                            let name = r.trim_start_matches("#/components/schemas/");
                            match renamed.get(name) {
                                Some(new) => Value::String(format!("#/components/schemas/{new}")),
                                None => Value::String(r),
                            }
                        }
                        (_, v) => rewrite(v, renamed),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| rewrite(v, renamed)).collect())
        }
        other => other,
    }
}

/// The document as committed: pretty, with a final newline.
pub fn pretty() -> String {
    let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED)
    }

    #[test]
    fn the_committed_api_description_is_what_the_code_generates() {
        let generated = pretty();
        if std::env::var_os("DEALGATE_WRITE_OPENAPI").is_some() {
            std::fs::write(committed_path(), &generated).expect("write server/openapi.json");
        }
        let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
        assert!(
            committed == generated,
            "server/openapi.json differs from what the routes and wire types generate: \
             run `DEALGATE_WRITE_OPENAPI=1 cargo test -p dealgate-server --lib openapi` and commit it"
        );
    }

    #[test]
    fn every_route_of_the_table_is_described_and_nothing_else_is() {
        let doc = document();
        let mut described = BTreeSet::new();
        for (path, methods) in doc["paths"].as_object().expect("paths") {
            for method in methods.as_object().expect("methods").keys() {
                described.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
        let table: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.as_str().to_string(), r.pattern.to_string()))
            .collect();
        let missing: Vec<_> = table.difference(&described).collect();
        let extra: Vec<_> = described.difference(&table).collect();
        assert!(
            missing.is_empty(),
            "routes without a description: {missing:?}"
        );
        assert!(extra.is_empty(), "described but not routed: {extra:?}");
    }

    #[test]
    fn every_reference_in_the_description_resolves_to_a_schema() {
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let mut refs = Vec::new();
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| walk(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        walk(&doc, &mut refs);
        assert!(refs.len() > 50, "only {} references", refs.len());
        let responses = doc["components"]["responses"]
            .as_object()
            .expect("responses");
        let dangling: Vec<_> = refs
            .iter()
            .filter(|r| {
                let schema = r
                    .strip_prefix("#/components/schemas/")
                    .is_some_and(|name| schemas.contains_key(name));
                let response = r
                    .strip_prefix("#/components/responses/")
                    .is_some_and(|name| responses.contains_key(name));
                !schema && !response
            })
            .collect();
        assert!(dangling.is_empty(), "dangling references: {dangling:?}");
        let bad_names: Vec<_> = schemas
            .keys()
            .filter(|k| {
                !k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            })
            .collect();
        assert!(
            bad_names.is_empty(),
            "component names OpenAPI refuses: {bad_names:?}"
        );
    }

    #[test]
    fn a_request_schema_that_accepts_less_than_its_answer_is_its_own_component() {
        // A deal's patch is only ever a request; the deal an answer. And the
        // session cookie is the one security scheme of every non-public route.
        let doc = document();
        let login = &doc["paths"]["/api/auth/login"]["post"];
        assert_eq!(login["security"], json!([]));
        assert_eq!(
            login["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/LoginRequest"
        );
        let deal = &doc["paths"]["/api/opportunities/{id}"]["patch"];
        assert_eq!(deal["security"], json!([{"session": []}]));
        assert_eq!(
            deal["x-roles"],
            json!(["rep", "manager", "channel", "admin"])
        );
        for status in ["200", "400", "401", "403", "404", "409", "415", "422"] {
            assert!(
                deal["responses"].get(status).is_some(),
                "PATCH deal lacks {status}"
            );
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["session"]["name"],
            SESSION_COOKIE
        );
    }

    #[test]
    fn a_created_lead_links_to_every_route_that_takes_its_id() {
        let doc = document();
        let links = doc["paths"]["/api/leads"]["post"]["responses"]["201"]["links"]
            .as_object()
            .expect("links");
        let lead_routes: BTreeSet<&str> = ROUTES
            .iter()
            .filter(|r| r.pattern.starts_with("/api/leads/{id}"))
            .map(|r| r.name)
            .collect();
        assert_eq!(
            links.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            lead_routes
        );
        assert_eq!(
            links["convert_lead"]["parameters"]["id"],
            "$response.body#/id"
        );
    }

    #[test]
    fn every_problem_code_in_the_servers_sources_is_listed_in_the_description() {
        let doc = pretty();
        let listed = error_codes();
        let mut found = BTreeSet::new();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![src];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("a source");
                    for piece in text.split("code: \"").skip(1) {
                        let code: String = piece
                            .chars()
                            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                            .collect();
                        if piece[code.len()..].starts_with('"') && !code.is_empty() {
                            found.insert(code);
                        }
                    }
                }
            }
        }
        assert!(found.len() >= CONFLICT_CODES.len(), "found {found:?}");
        let missing: Vec<_> = found
            .iter()
            .filter(|c| !listed.contains(&c.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "codes answered but not described: {missing:?}"
        );
        for code in &listed {
            assert!(doc.contains(code), "{code} is not in the document");
        }
    }

    #[test]
    fn what_schemathesis_found_is_described_a_404_for_an_unknown_pipeline_and_a_415_on_sign_out() {
        let doc = document();
        for (path, method) in [("/api/board", "get"), ("/api/reports/pipeline", "get")] {
            assert!(
                doc["paths"][path][method]["responses"].get("404").is_some(),
                "{method} {path} answers 404 for an unknown pipeline"
            );
        }
        assert!(
            doc["paths"]["/api/auth/logout"]["post"]["responses"]
                .get("415")
                .is_some()
        );
    }
}
