//! Who may do what to a lead or a deal: the one set of record-level rules.
//! The server asks them before every read and write (anyone else gets a
//! 404 or a 403); the app asks the same ones to show only the actions the
//! user may take. Permission roles (rep, manager, channel, admin) open the
//! routes; these rules decide per record.

use crate::lead::Lead;
use crate::opportunity::{OpError, Opportunity};
use crate::pipeline::{Approver, Pipeline};
use crate::user::Actor;

/// What someone may want to do to a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DealAction {
    /// See it, its checklist, its verdicts and its history.
    Read,
    /// Fill its fields, tick its tasks, edit name, customer, amount, lead-by.
    Edit,
    /// Move it (stages, won, lost) and staff its team.
    Steer,
    /// Ask for one of its approvals.
    RequestApproval,
    /// Upgrade its grade by hand.
    OverrideGrade,
    /// Open it again after it was won or lost.
    Reopen,
}

impl DealAction {
    pub const ALL: [DealAction; 6] = [
        DealAction::Read,
        DealAction::Edit,
        DealAction::Steer,
        DealAction::RequestApproval,
        DealAction::OverrideGrade,
        DealAction::Reopen,
    ];
}

/// What someone may want to do to a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeadAction {
    Read,
    /// Edit, tick stage-1 tasks, convert, disqualify.
    Edit,
}

/// Does this actor see every lead and deal (managers and admins)? Lists
/// show everyone else only their own (and, for deals, those they are
/// staffed on): the store's list filters say the same in SQL.
pub fn sees_everything(actor: &Actor) -> bool {
    actor.is_manager()
}

impl Opportunity {
    /// May `actor` do `action` to this deal (whatever its status: a closed
    /// deal refuses changes through its own rules)?
    pub fn allows(&self, actor: &Actor, action: DealAction) -> bool {
        let owner = self.owner_id == actor.user_id;
        match action {
            // Owner, team, managers and admins read; approvers holding a
            // team role are on the team, approvers holding the manager role
            // are managers.
            DealAction::Read | DealAction::Edit => {
                sees_everything(actor) || owner || self.is_on_team(&actor.user_id)
            }
            DealAction::Steer => sees_everything(actor) || owner,
            // Only the owner asks; a manager who is not the owner decides instead.
            DealAction::RequestApproval => owner,
            DealAction::OverrideGrade | DealAction::Reopen => actor.is_manager(),
        }
    }

    pub fn can_read(&self, actor: &Actor) -> bool {
        self.allows(actor, DealAction::Read)
    }

    pub fn can_edit(&self, actor: &Actor) -> bool {
        self.allows(actor, DealAction::Edit)
    }

    pub fn can_steer(&self, actor: &Actor) -> bool {
        self.allows(actor, DealAction::Steer)
    }

    pub fn is_on_team(&self, user_id: &str) -> bool {
        self.team.iter().any(|m| m.user_id == user_id)
    }

    /// May this actor decide this approval? The approver role's holder
    /// (or whoever is staffed in the approver's deal-team role), never the owner.
    pub fn may_decide(&self, pipeline: &Pipeline, key: &str, actor: &Actor) -> Result<(), OpError> {
        let (_, process) = pipeline
            .find_process(key)
            .ok_or_else(|| OpError::UnknownApproval(key.to_string()))?;
        if self.owner_id == actor.user_id {
            return Err(OpError::SelfApproval);
        }
        let holds = match &process.approver {
            Approver::Role(role) => actor.has(*role),
            Approver::TeamRole(role) => self
                .team
                .iter()
                .any(|m| &m.role == role && m.user_id == actor.user_id),
        };
        if holds {
            Ok(())
        } else {
            Err(OpError::NotApprover)
        }
    }

    /// The approvals of this open deal waiting for a decision that `actor`
    /// may take (the approvals inbox), in the pipeline's order.
    pub fn decidable<'p>(
        &self,
        pipeline: &'p Pipeline,
        actor: &Actor,
    ) -> Vec<&'p crate::pipeline::Process> {
        if !self.is_open() {
            return Vec::new();
        }
        pipeline
            .stages
            .iter()
            .flat_map(|s| s.processes.iter())
            .filter(|p| {
                self.awaits_decision(p.key.as_str())
                    && self.may_decide(pipeline, p.key.as_str(), actor).is_ok()
            })
            .collect()
    }

    /// Refuses a move by anyone who may not make it: steering for every
    /// move, and reopening (managers) for a reopen.
    pub fn may_move(&self, actor: &Actor, to: &crate::gate::Target) -> Result<(), OpError> {
        if *to == crate::gate::Target::Reopen && !self.allows(actor, DealAction::Reopen) {
            return Err(OpError::Forbidden);
        }
        self.steer_by(actor)
    }

    /// Refuses a move by anyone who may not steer the deal.
    pub fn steer_by(&self, actor: &Actor) -> Result<(), OpError> {
        if self.can_steer(actor) {
            Ok(())
        } else {
            Err(OpError::Forbidden)
        }
    }
}

impl Lead {
    /// Owner, managers and admins: for reading as for every change.
    pub fn allows(&self, actor: &Actor, _action: LeadAction) -> bool {
        sees_everything(actor) || self.owner_id == actor.user_id
    }

    pub fn can_edit(&self, actor: &Actor) -> bool {
        self.allows(actor, LeadAction::Edit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use crate::checklist::TeamMember;
    use crate::grade::{GradingPolicy, LeadBy};
    use crate::pipeline::Key;
    use crate::sample;
    use crate::user::Role;

    fn deal() -> Opportunity {
        let p = &builtin::pipelines()[0];
        let mut o = sample::opportunity(
            p,
            "initiate",
            LeadBy::Us,
            50_000_000,
            &GradingPolicy::default(),
        );
        o.owner_id = "u_owner".into();
        o.team = vec![TeamMember {
            role: Key::parse("presales").unwrap(),
            user_id: "u_team".into(),
        }];
        o
    }

    #[test]
    fn the_owner_does_everything_but_override_and_self_approve() {
        let o = deal();
        let owner = Actor::new("u_owner", &[Role::Rep]);
        for a in [
            DealAction::Read,
            DealAction::Edit,
            DealAction::Steer,
            DealAction::RequestApproval,
        ] {
            assert!(o.allows(&owner, a), "{a:?}");
        }
        assert!(!o.allows(&owner, DealAction::OverrideGrade));
        assert!(!o.allows(&owner, DealAction::Reopen));
        let reopen = crate::gate::Target::Reopen;
        assert_eq!(o.may_move(&owner, &reopen), Err(OpError::Forbidden));
        let manager = Actor::new("u_m", &[Role::Manager]);
        assert_eq!(o.may_move(&manager, &reopen), Ok(()));
    }

    #[test]
    fn the_team_reads_and_edits_but_does_not_steer() {
        let o = deal();
        let member = Actor::new("u_team", &[Role::Rep]);
        assert!(o.allows(&member, DealAction::Read) && o.allows(&member, DealAction::Edit));
        assert!(!o.allows(&member, DealAction::Steer));
        assert!(!o.allows(&member, DealAction::RequestApproval));
    }

    #[test]
    fn a_stranger_rep_or_channel_manager_may_do_nothing_and_a_manager_all_but_request() {
        let o = deal();
        for stranger in [
            Actor::new("u_x", &[Role::Rep]),
            Actor::new("u_c", &[Role::Channel]),
        ] {
            assert!(DealAction::ALL.iter().all(|a| !o.allows(&stranger, *a)));
        }
        let manager = Actor::new("u_m", &[Role::Manager]);
        assert!(
            DealAction::ALL
                .iter()
                .all(|a| o.allows(&manager, *a) == (*a != DealAction::RequestApproval))
        );
    }

    #[test]
    fn leads_are_their_owners_and_the_managers() {
        let lead = Lead {
            id: "l_1".into(),
            version: 1,
            title: "MES".into(),
            customer: "Acme".into(),
            description: String::new(),
            contact: Default::default(),
            source: String::new(),
            owner_id: "u_owner".into(),
            status: crate::lead::LeadStatus::New,
            pipeline: Key::parse("tender").unwrap(),
            fields: Default::default(),
            tasks: Default::default(),
            disqualify_reason: None,
            opportunity_id: None,
            partner: None,
        };
        assert!(lead.can_edit(&Actor::new("u_owner", &[Role::Rep])));
        assert!(lead.can_edit(&Actor::new("u_a", &[Role::Admin])));
        assert!(!lead.allows(&Actor::new("u_x", &[Role::Rep]), LeadAction::Read));
    }
}
