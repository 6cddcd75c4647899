//! The API's route table: which handler answers which method and path,
//! and who may call it. Every request is resolved here, so an unknown path
//! gets the same JSON 404 and a known path with the wrong method a JSON
//! 405. Adding an endpoint is one row here and one handler in `api/`.

use crate::api::{
    self, ApiResult, Ctx, audit, config, grading, leads, opportunities, pipelines, registrations,
    reports, review, session, settings, users,
};
use crate::auth::Access;
use crate::http::Method;
use crate::store::LocalFuture;
use shared::user::Role;

/// A handler: takes the request's context, answers a response or an error.
pub type Handler = for<'a> fn(Ctx<'a>) -> LocalFuture<'a, ApiResult>;

/// Wraps an `async fn(Ctx<'_>) -> ApiResult` as a [`Handler`].
macro_rules! handler {
    ($f:path) => {{
        fn h(ctx: Ctx<'_>) -> LocalFuture<'_, ApiResult> {
            Box::pin($f(ctx))
        }
        h as Handler
    }};
}

/// One row of the table. `access` is not optional: a route cannot exist
/// without saying who may call it.
#[derive(Clone, Copy)]
pub struct Route {
    pub method: Method,
    /// Segments separated by `/`; `{name}` captures one segment.
    pub pattern: &'static str,
    /// The handler's name, `<verb>_<resource>` (stable: the API description uses it).
    pub name: &'static str,
    pub access: Access,
    pub handler: Handler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.pattern, self.name)
    }
}

impl Eq for Route {}

impl PartialEq for Route {
    fn eq(&self, other: &Route) -> bool {
        (self.method, self.pattern) == (other.method, other.pattern)
    }
}

macro_rules! route {
    ($method:ident, $pattern:literal, $module:ident :: $name:ident, $access:expr) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            name: stringify!($name),
            access: $access,
            handler: handler!($module::$name),
        }
    };
}

const ADMIN: Access = Access::Roles(&[Role::Admin]);
/// "rep+": the sales side. Which leads and deals each sees is decided per
/// record (`shared::access`).
const SALES: Access = Access::Roles(&Role::SALES);
const MANAGERS: Access = Access::Roles(&[Role::Manager, Role::Admin]);
/// Who reviews partner registrations.
pub const CHANNEL: Access = Access::Roles(&[Role::Channel, Role::Admin]);

/// Every route the API serves.
pub const ROUTES: &[Route] = &[
    route!(Get, "/api/health", api::health, Access::Public),
    route!(Get, "/api/openapi.json", api::openapi, Access::Public),
    route!(Post, "/api/auth/login", session::login, Access::Public),
    // Public so that signing out with an expired session still clears the cookie.
    route!(Post, "/api/auth/logout", session::logout, Access::Public),
    // Guarded by the SETUP_TOKEN secret and by "no users yet" instead.
    route!(Post, "/api/setup", session::setup, Access::Public),
    route!(Get, "/api/me", session::me, Access::SignedIn),
    // The partners' form and status link: no account; the reference is the key.
    route!(
        Post,
        "/api/public/registrations",
        registrations::submit_registration,
        Access::Public
    ),
    route!(
        Get,
        "/api/public/registrations/{reference}",
        registrations::get_registration_status,
        Access::Public
    ),
    route!(
        Post,
        "/api/public/registrations/{reference}/withdraw",
        registrations::withdraw_registration,
        Access::Public
    ),
    route!(Get, "/api/users", users::list_users, Access::SignedIn),
    route!(Get, "/api/admin/users", users::list_admin_users, ADMIN),
    route!(Post, "/api/admin/users", users::create_user, ADMIN),
    route!(Patch, "/api/admin/users/{id}", users::update_user, ADMIN),
    route!(Get, "/api/config", config::get_config, Access::SignedIn),
    route!(Get, "/api/admin/grading", grading::get_grading, ADMIN),
    route!(Put, "/api/admin/grading", grading::update_grading, ADMIN),
    route!(
        Post,
        "/api/admin/grading/preview",
        grading::preview_grading,
        ADMIN
    ),
    route!(
        Get,
        "/api/admin/grading/history",
        grading::grading_history,
        ADMIN
    ),
    route!(
        Get,
        "/api/admin/pipelines",
        pipelines::list_pipelines,
        ADMIN
    ),
    route!(
        Post,
        "/api/admin/pipelines",
        pipelines::create_pipeline,
        ADMIN
    ),
    route!(
        Get,
        "/api/admin/pipelines/{id}",
        pipelines::get_pipeline,
        ADMIN
    ),
    route!(
        Put,
        "/api/admin/pipelines/{id}",
        pipelines::update_pipeline,
        ADMIN
    ),
    route!(
        Post,
        "/api/admin/pipelines/{id}/preview",
        pipelines::preview_pipeline,
        ADMIN
    ),
    route!(Get, "/api/admin/audit", audit::list_audit, ADMIN),
    route!(
        Get,
        "/api/admin/team-roles",
        settings::get_team_roles,
        ADMIN
    ),
    route!(
        Put,
        "/api/admin/team-roles",
        settings::update_team_roles,
        ADMIN
    ),
    route!(
        Get,
        "/api/admin/registration",
        settings::get_registration,
        ADMIN
    ),
    route!(
        Put,
        "/api/admin/registration",
        settings::update_registration,
        ADMIN
    ),
    route!(
        Get,
        "/api/registrations",
        review::list_registrations,
        CHANNEL
    ),
    route!(
        Post,
        "/api/registrations/{id}/approve",
        review::approve_registration,
        CHANNEL
    ),
    route!(
        Post,
        "/api/registrations/{id}/reject",
        review::reject_registration,
        CHANNEL
    ),
    route!(Get, "/api/leads", leads::list_leads, SALES),
    route!(Get, "/api/duplicates", leads::find_duplicates, SALES),
    route!(Post, "/api/leads", leads::create_lead, SALES),
    route!(Get, "/api/leads/{id}", leads::get_lead, SALES),
    route!(Patch, "/api/leads/{id}", leads::update_lead, SALES),
    route!(
        Post,
        "/api/leads/{id}/tasks/{key}",
        leads::set_lead_task,
        SALES
    ),
    route!(Post, "/api/leads/{id}/convert", leads::convert_lead, SALES),
    route!(
        Post,
        "/api/leads/{id}/disqualify",
        leads::disqualify_lead,
        SALES
    ),
    route!(Post, "/api/leads/{id}/reopen", leads::reopen_lead, SALES),
    route!(Post, "/api/leads/{id}/notes", leads::add_lead_note, SALES),
    route!(Get, "/api/leads/{id}/history", leads::lead_history, SALES),
    route!(
        Get,
        "/api/opportunities",
        opportunities::list_opportunities,
        SALES
    ),
    route!(Get, "/api/approvals", opportunities::list_approvals, SALES),
    route!(Get, "/api/board", opportunities::board, SALES),
    route!(
        Get,
        "/api/reports/pipeline",
        reports::pipeline_report,
        SALES
    ),
    route!(
        Get,
        "/api/reports/opportunities.csv",
        reports::opportunities_csv,
        SALES
    ),
    // Reading and approving: whoever the deal lets in (owner, team, managers,
    // an approver staffed on it), whatever their permission role.
    route!(
        Get,
        "/api/opportunities/{id}",
        opportunities::get_opportunity,
        Access::SignedIn
    ),
    route!(
        Patch,
        "/api/opportunities/{id}",
        opportunities::update_opportunity,
        Access::SignedIn
    ),
    route!(
        Post,
        "/api/opportunities/{id}/tasks/{key}",
        opportunities::set_opportunity_task,
        Access::SignedIn
    ),
    route!(
        Post,
        "/api/opportunities/{id}/approvals/{key}/request",
        opportunities::request_approval,
        Access::SignedIn
    ),
    route!(
        Post,
        "/api/opportunities/{id}/approvals/{key}/decide",
        opportunities::decide_approval,
        Access::SignedIn
    ),
    route!(
        Put,
        "/api/opportunities/{id}/team",
        opportunities::set_team,
        Access::SignedIn
    ),
    route!(
        Post,
        "/api/opportunities/{id}/grade-override",
        opportunities::override_grade,
        MANAGERS
    ),
    route!(
        Put,
        "/api/opportunities/{id}/owner",
        opportunities::change_owner,
        MANAGERS
    ),
    route!(
        Get,
        "/api/opportunities/{id}/check",
        opportunities::check_opportunity,
        Access::SignedIn
    ),
    route!(
        Post,
        "/api/opportunities/{id}/transition",
        opportunities::transition_opportunity,
        Access::SignedIn
    ),
    route!(
        Post,
        "/api/opportunities/{id}/notes",
        opportunities::add_opportunity_note,
        Access::SignedIn
    ),
    route!(
        Post,
        "/api/opportunities/{id}/forecast",
        opportunities::set_forecast,
        Access::SignedIn
    ),
    route!(
        Get,
        "/api/opportunities/{id}/history",
        opportunities::opportunity_history,
        Access::SignedIn
    ),
];

/// The path of a route with its `{name}` segments filled in order, for
/// clients and tests that build URLs from the table:
/// `fill("/api/leads/{id}", &["l_1"])` is `/api/leads/l_1`.
pub fn fill(pattern: &str, values: &[&str]) -> String {
    let mut values = values.iter();
    pattern
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                values.next().copied().unwrap_or(seg).to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The route handled by `name` (the table's handler names are unique).
pub fn by_name(name: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.name == name)
}

/// Path parameters captured by `{name}` segments, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Found(Route, Params),
    /// The path exists, but not for this method; lists the methods it has.
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

fn match_pattern(pattern: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return Some(Params(params)),
            (Some(p), Some(g)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    params.push((name, g.to_string()));
                } else if p != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Finds the endpoint for a method and path (no query string). A trailing
/// slash is not ignored: `/api/health/` is not `/api/health`.
pub fn resolve(method: Method, path: &str) -> Resolution {
    let mut allowed = Vec::new();
    for route in ROUTES {
        if let Some(params) = match_pattern(route.pattern, path) {
            if route.method == method || (method == Method::Head && route.method == Method::Get) {
                return Resolution::Found(*route, params);
            }
            allowed.push(route.method);
        }
    }
    if allowed.is_empty() {
        Resolution::NotFound
    } else {
        Resolution::MethodNotAllowed(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_resolves_for_get_and_head() {
        let found =
            |m| matches!(resolve(m, "/api/health"), Resolution::Found(r, _) if r.name == "health");
        assert!(found(Method::Get));
        assert!(found(Method::Head));
    }

    #[test]
    fn unknown_paths_are_not_found() {
        assert_eq!(resolve(Method::Get, "/api/nope"), Resolution::NotFound);
        assert_eq!(
            resolve(Method::Get, "/api/health/extra"),
            Resolution::NotFound
        );
        assert_eq!(resolve(Method::Get, "/api/health/"), Resolution::NotFound);
        assert_eq!(resolve(Method::Get, "/api"), Resolution::NotFound);
    }

    #[test]
    fn wrong_method_on_a_known_path_lists_the_allowed_methods() {
        assert_eq!(
            resolve(Method::Post, "/api/health"),
            Resolution::MethodNotAllowed(vec![Method::Get])
        );
    }

    #[test]
    fn patterns_fill_in_order_and_handler_names_are_unique() {
        assert_eq!(
            fill("/api/opportunities/{id}/tasks/{key}", &["o_1", "brief"]),
            "/api/opportunities/o_1/tasks/brief"
        );
        let mut names = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(names.insert(r.name), "two routes are handled by {}", r.name);
            assert_eq!(by_name(r.name), Some(r));
        }
    }

    #[test]
    fn braces_capture_one_non_empty_segment() {
        let p = match_pattern("/api/leads/{id}/convert", "/api/leads/l_42/convert").unwrap();
        assert_eq!(p.get("id"), Some("l_42"));
        assert!(match_pattern("/api/leads/{id}/convert", "/api/leads//convert").is_none());
        assert!(match_pattern("/api/leads/{id}", "/api/leads/a/b").is_none());
    }

    /// Who may call what: the table the router must match, route for route.
    /// A new route fails this test until it is added here with its rule.
    const EXPECTED: &[(&str, &str, &str)] = &[
        ("GET", "/api/health", "public"),
        ("GET", "/api/openapi.json", "public"),
        ("POST", "/api/auth/login", "public"),
        ("POST", "/api/auth/logout", "public"),
        ("POST", "/api/setup", "public"),
        ("GET", "/api/me", "signed_in"),
        ("POST", "/api/public/registrations", "public"),
        ("GET", "/api/public/registrations/{reference}", "public"),
        (
            "POST",
            "/api/public/registrations/{reference}/withdraw",
            "public",
        ),
        ("GET", "/api/users", "signed_in"),
        ("GET", "/api/admin/users", "admin"),
        ("POST", "/api/admin/users", "admin"),
        ("PATCH", "/api/admin/users/{id}", "admin"),
        ("GET", "/api/config", "signed_in"),
        ("GET", "/api/admin/grading", "admin"),
        ("PUT", "/api/admin/grading", "admin"),
        ("POST", "/api/admin/grading/preview", "admin"),
        ("GET", "/api/admin/grading/history", "admin"),
        ("GET", "/api/admin/pipelines", "admin"),
        ("POST", "/api/admin/pipelines", "admin"),
        ("GET", "/api/admin/pipelines/{id}", "admin"),
        ("PUT", "/api/admin/pipelines/{id}", "admin"),
        ("POST", "/api/admin/pipelines/{id}/preview", "admin"),
        ("GET", "/api/admin/audit", "admin"),
        ("GET", "/api/admin/team-roles", "admin"),
        ("PUT", "/api/admin/team-roles", "admin"),
        ("GET", "/api/admin/registration", "admin"),
        ("PUT", "/api/admin/registration", "admin"),
        ("GET", "/api/registrations", "channel|admin"),
        ("POST", "/api/registrations/{id}/approve", "channel|admin"),
        ("POST", "/api/registrations/{id}/reject", "channel|admin"),
        ("GET", "/api/leads", "rep|manager|admin"),
        ("GET", "/api/duplicates", "rep|manager|admin"),
        ("POST", "/api/leads", "rep|manager|admin"),
        ("GET", "/api/leads/{id}", "rep|manager|admin"),
        ("PATCH", "/api/leads/{id}", "rep|manager|admin"),
        ("POST", "/api/leads/{id}/tasks/{key}", "rep|manager|admin"),
        ("POST", "/api/leads/{id}/convert", "rep|manager|admin"),
        ("POST", "/api/leads/{id}/disqualify", "rep|manager|admin"),
        ("POST", "/api/leads/{id}/reopen", "rep|manager|admin"),
        ("POST", "/api/leads/{id}/notes", "rep|manager|admin"),
        ("GET", "/api/leads/{id}/history", "rep|manager|admin"),
        ("GET", "/api/opportunities", "rep|manager|admin"),
        ("GET", "/api/approvals", "rep|manager|admin"),
        ("GET", "/api/board", "rep|manager|admin"),
        ("GET", "/api/reports/pipeline", "rep|manager|admin"),
        ("GET", "/api/reports/opportunities.csv", "rep|manager|admin"),
        ("GET", "/api/opportunities/{id}", "signed_in"),
        ("PATCH", "/api/opportunities/{id}", "signed_in"),
        ("POST", "/api/opportunities/{id}/tasks/{key}", "signed_in"),
        (
            "POST",
            "/api/opportunities/{id}/approvals/{key}/request",
            "signed_in",
        ),
        (
            "POST",
            "/api/opportunities/{id}/approvals/{key}/decide",
            "signed_in",
        ),
        ("PUT", "/api/opportunities/{id}/team", "signed_in"),
        (
            "POST",
            "/api/opportunities/{id}/grade-override",
            "manager|admin",
        ),
        ("PUT", "/api/opportunities/{id}/owner", "manager|admin"),
        ("GET", "/api/opportunities/{id}/check", "signed_in"),
        ("POST", "/api/opportunities/{id}/transition", "signed_in"),
        ("POST", "/api/opportunities/{id}/notes", "signed_in"),
        ("POST", "/api/opportunities/{id}/forecast", "signed_in"),
        ("GET", "/api/opportunities/{id}/history", "signed_in"),
    ];

    fn rule(access: Access) -> String {
        match access {
            Access::Public => "public".into(),
            Access::SignedIn => "signed_in".into(),
            Access::Roles(roles) => roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join("|"),
        }
    }

    #[test]
    fn every_route_has_exactly_the_expected_access_rule() {
        let actual: Vec<(String, String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.pattern.to_string(), rule(r.access)))
            .collect();
        let expected: Vec<(String, String, String)> = EXPECTED
            .iter()
            .map(|(m, p, a)| (m.to_string(), p.to_string(), a.to_string()))
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn the_authorisation_matrix_holds_for_every_route_and_role() {
        use crate::auth::authorize;
        use crate::error::ApiError;
        for r in ROUTES {
            assert_eq!(
                authorize(r.access, None).is_ok(),
                r.access == Access::Public,
                "{} {} without a session",
                r.method,
                r.pattern
            );
            for role in Role::ALL {
                let me = shared::api::Me {
                    id: "u".into(),
                    email: "u@example.com".into(),
                    name: "U".into(),
                    roles: vec![role],
                    active: true,
                    pending_registrations: None,
                };
                let expected = match rule(r.access).as_str() {
                    "public" | "signed_in" => Ok(()),
                    roles => {
                        if roles.split('|').any(|x| x == role.as_str()) {
                            Ok(())
                        } else {
                            Err(ApiError::Forbidden)
                        }
                    }
                };
                assert_eq!(
                    authorize(r.access, Some(&me)),
                    expected,
                    "{} {} as {role:?}",
                    r.method,
                    r.pattern
                );
            }
        }
    }

    #[test]
    fn every_route_is_under_api_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                r.pattern.starts_with("/api/"),
                "{} is outside /api/",
                r.pattern
            );
            assert!(
                seen.insert((r.method, r.pattern)),
                "duplicate route {:?} {}",
                r.method,
                r.pattern
            );
        }
    }
}
