//! Users' permission roles and the acting user a rule is checked for.

use serde::{Deserialize, Serialize};

/// Permission roles (DESIGN.md §3). Deal-team roles (presales, legal, …)
/// are data in the config, not these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Rep,
    /// The sales director: approves, sees the team.
    Manager,
    /// Reviews partner deal registrations.
    Channel,
    Admin,
}

impl Role {
    /// Does someone holding `roles` sell (rep or manager): who may own a deal
    /// or be staffed on one. The server's owner change and the app's pickers
    /// both ask this.
    pub fn sells(roles: &[Role]) -> bool {
        roles.iter().any(|r| matches!(r, Role::Rep | Role::Manager))
    }

    pub const ALL: [Role; 4] = [Role::Rep, Role::Manager, Role::Channel, Role::Admin];

    /// The sales side ("rep+"): who works deals, on the board, the lists,
    /// the approvals and the reports (which records each sees is decided per
    /// record, `shared::access`). The server's access rule and the app's
    /// menu and pages all read it here.
    pub const SALES: [Role; 3] = [Role::Rep, Role::Manager, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Rep => "rep",
            Role::Manager => "manager",
            Role::Channel => "channel",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Who is doing something: enough to decide what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Actor {
    pub user_id: String,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn new(user_id: impl Into<String>, roles: &[Role]) -> Self {
        Actor {
            user_id: user_id.into(),
            roles: roles.to_vec(),
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Managers and admins see and act on every deal.
    pub fn is_manager(&self) -> bool {
        self.has(Role::Manager) || self.has(Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(r.as_str())
            );
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn admins_and_managers_count_as_managers_for_visibility() {
        assert!(Actor::new("u", &[Role::Admin]).is_manager());
        assert!(Actor::new("u", &[Role::Manager]).is_manager());
        assert!(!Actor::new("u", &[Role::Rep, Role::Channel]).is_manager());
    }
}
