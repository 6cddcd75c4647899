//! The API's route table: one place that says which endpoint answers which
//! method and path. Every request is resolved here, so an unknown path gets
//! the same JSON 404 and a known path with the wrong method a JSON 405.

use crate::auth::Access;
use crate::http::Method;
use shared::user::Role;

/// An endpoint of the API contract. The glue maps each to its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Health,
    Login,
    Logout,
    Me,
    ListUsers,
    Setup,
    ListAdminUsers,
    CreateUser,
    UpdateUser,
    Config,
    ListLeads,
    CreateLead,
    GetLead,
    UpdateLead,
    SetLeadTask,
    ConvertLead,
    DisqualifyLead,
    ListOpportunities,
    GetOpportunity,
    UpdateOpportunity,
    SetOpportunityTask,
    RequestApproval,
    DecideApproval,
    SetTeam,
    OverrideGrade,
    CheckOpportunity,
    TransitionOpportunity,
    OpportunityHistory,
}

/// One row of the table. `access` is not optional: a route cannot exist
/// without saying who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    /// Segments separated by `/`; `{name}` captures one segment.
    pub pattern: &'static str,
    pub endpoint: Endpoint,
    pub access: Access,
}

const fn route(method: Method, pattern: &'static str, endpoint: Endpoint, access: Access) -> Route {
    Route {
        method,
        pattern,
        endpoint,
        access,
    }
}

const ADMIN: Access = Access::Roles(&[Role::Admin]);
/// "rep+": the sales side. Which leads and deals each sees is decided per record.
const SALES: Access = Access::Roles(&[Role::Rep, Role::Manager, Role::Admin]);
const MANAGERS: Access = Access::Roles(&[Role::Manager, Role::Admin]);

/// Every route the API serves.
pub const ROUTES: &[Route] = &[
    route(Method::Get, "/api/health", Endpoint::Health, Access::Public),
    route(
        Method::Post,
        "/api/auth/login",
        Endpoint::Login,
        Access::Public,
    ),
    // Public so that signing out with an expired session still clears the cookie.
    route(
        Method::Post,
        "/api/auth/logout",
        Endpoint::Logout,
        Access::Public,
    ),
    // Guarded by the SETUP_TOKEN secret and by "no users yet" instead.
    route(Method::Post, "/api/setup", Endpoint::Setup, Access::Public),
    route(Method::Get, "/api/me", Endpoint::Me, Access::SignedIn),
    route(
        Method::Get,
        "/api/users",
        Endpoint::ListUsers,
        Access::SignedIn,
    ),
    route(
        Method::Get,
        "/api/admin/users",
        Endpoint::ListAdminUsers,
        ADMIN,
    ),
    route(
        Method::Post,
        "/api/admin/users",
        Endpoint::CreateUser,
        ADMIN,
    ),
    route(
        Method::Patch,
        "/api/admin/users/{id}",
        Endpoint::UpdateUser,
        ADMIN,
    ),
    route(
        Method::Get,
        "/api/config",
        Endpoint::Config,
        Access::SignedIn,
    ),
    route(Method::Get, "/api/leads", Endpoint::ListLeads, SALES),
    route(Method::Post, "/api/leads", Endpoint::CreateLead, SALES),
    route(Method::Get, "/api/leads/{id}", Endpoint::GetLead, SALES),
    route(
        Method::Patch,
        "/api/leads/{id}",
        Endpoint::UpdateLead,
        SALES,
    ),
    route(
        Method::Post,
        "/api/leads/{id}/tasks/{key}",
        Endpoint::SetLeadTask,
        SALES,
    ),
    route(
        Method::Post,
        "/api/leads/{id}/convert",
        Endpoint::ConvertLead,
        SALES,
    ),
    route(
        Method::Post,
        "/api/leads/{id}/disqualify",
        Endpoint::DisqualifyLead,
        SALES,
    ),
    route(
        Method::Get,
        "/api/opportunities",
        Endpoint::ListOpportunities,
        SALES,
    ),
    // Reading and approving: whoever the deal lets in (owner, team, managers,
    // an approver staffed on it), whatever their permission role.
    route(
        Method::Get,
        "/api/opportunities/{id}",
        Endpoint::GetOpportunity,
        Access::SignedIn,
    ),
    route(
        Method::Patch,
        "/api/opportunities/{id}",
        Endpoint::UpdateOpportunity,
        Access::SignedIn,
    ),
    route(
        Method::Post,
        "/api/opportunities/{id}/tasks/{key}",
        Endpoint::SetOpportunityTask,
        Access::SignedIn,
    ),
    route(
        Method::Post,
        "/api/opportunities/{id}/approvals/{key}/request",
        Endpoint::RequestApproval,
        Access::SignedIn,
    ),
    route(
        Method::Post,
        "/api/opportunities/{id}/approvals/{key}/decide",
        Endpoint::DecideApproval,
        Access::SignedIn,
    ),
    route(
        Method::Put,
        "/api/opportunities/{id}/team",
        Endpoint::SetTeam,
        Access::SignedIn,
    ),
    route(
        Method::Post,
        "/api/opportunities/{id}/grade-override",
        Endpoint::OverrideGrade,
        MANAGERS,
    ),
    route(
        Method::Get,
        "/api/opportunities/{id}/check",
        Endpoint::CheckOpportunity,
        Access::SignedIn,
    ),
    route(
        Method::Post,
        "/api/opportunities/{id}/transition",
        Endpoint::TransitionOpportunity,
        Access::SignedIn,
    ),
    route(
        Method::Get,
        "/api/opportunities/{id}/history",
        Endpoint::OpportunityHistory,
        Access::SignedIn,
    ),
];

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
        let found = |m| matches!(resolve(m, "/api/health"), Resolution::Found(r, _) if r.endpoint == Endpoint::Health);
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
        ("POST", "/api/auth/login", "public"),
        ("POST", "/api/auth/logout", "public"),
        ("POST", "/api/setup", "public"),
        ("GET", "/api/me", "signed_in"),
        ("GET", "/api/users", "signed_in"),
        ("GET", "/api/admin/users", "admin"),
        ("POST", "/api/admin/users", "admin"),
        ("PATCH", "/api/admin/users/{id}", "admin"),
        ("GET", "/api/config", "signed_in"),
        ("GET", "/api/leads", "rep|manager|admin"),
        ("POST", "/api/leads", "rep|manager|admin"),
        ("GET", "/api/leads/{id}", "rep|manager|admin"),
        ("PATCH", "/api/leads/{id}", "rep|manager|admin"),
        ("POST", "/api/leads/{id}/tasks/{key}", "rep|manager|admin"),
        ("POST", "/api/leads/{id}/convert", "rep|manager|admin"),
        ("POST", "/api/leads/{id}/disqualify", "rep|manager|admin"),
        ("GET", "/api/opportunities", "rep|manager|admin"),
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
        ("GET", "/api/opportunities/{id}/check", "signed_in"),
        ("POST", "/api/opportunities/{id}/transition", "signed_in"),
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
