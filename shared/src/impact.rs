//! What a draft of a pipeline would do to the open deals in it, before an
//! admin saves it: which deals gain or lose blockers on their next move
//! (the same `gate::check` the app and the server run), and which would
//! find their stage elsewhere in the order, or gone.

use crate::gate::{Blocker, Transition, advance_target, check};
use crate::grade::GradingPolicy;
use crate::opportunity::Opportunity;
use crate::pipeline::Pipeline;
use serde::{Deserialize, Serialize};

/// One open deal the draft changes something for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DealImpact {
    pub opportunity_id: String,
    pub name: String,
    pub stage: String,
    /// Blockers of its next move under the draft that it does not have now.
    pub gained: Vec<Blocker>,
    /// Blockers it has now that the draft lifts.
    pub lifted: Vec<Blocker>,
    /// Its stage's position (1-based) now and under the draft; `to: null`
    /// when the draft removes the stage.
    pub position_from: usize,
    pub position_to: Option<usize>,
}

/// `POST /api/admin/pipelines/{id}/preview` answers this.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PipelinePreview {
    /// Open deals in the pipeline, all of which were checked.
    pub open_deals: usize,
    pub changes: Vec<DealImpact>,
}

/// The blockers of the deal's next move ("advance") under `pipeline`.
fn next_move_blockers(
    opp: &Opportunity,
    pipeline: &Pipeline,
    policy: &GradingPolicy,
) -> Vec<Blocker> {
    match advance_target(opp, pipeline) {
        Some(target) => check(opp, pipeline, policy, &Transition::to(target)).blockers,
        None => Vec::new(),
    }
}

fn same(a: &Blocker, b: &Blocker) -> bool {
    a.stage == b.stage && a.kind == b.kind && a.key == b.key
}

/// Compares every open deal of `current` under `current` and under `draft`.
pub fn preview(
    deals: &[Opportunity],
    current: &Pipeline,
    draft: &Pipeline,
    policy: &GradingPolicy,
) -> PipelinePreview {
    let mut changes = Vec::new();
    for opp in deals
        .iter()
        .filter(|o| o.is_open() && o.pipeline == current.id)
    {
        let now = next_move_blockers(opp, current, policy);
        let then = next_move_blockers(opp, draft, policy);
        let gained: Vec<Blocker> = then
            .iter()
            .filter(|b| !now.iter().any(|n| same(n, b)))
            .cloned()
            .collect();
        let lifted: Vec<Blocker> = now
            .iter()
            .filter(|n| !then.iter().any(|b| same(n, b)))
            .cloned()
            .collect();
        let position_from = current.index_of(opp.stage.as_str()).map_or(0, |i| i + 1);
        let position_to = draft.index_of(opp.stage.as_str()).map(|i| i + 1);
        if !gained.is_empty() || !lifted.is_empty() || position_to != Some(position_from) {
            changes.push(DealImpact {
                opportunity_id: opp.id.clone(),
                name: opp.name.clone(),
                stage: opp.stage.to_string(),
                gained,
                lifted,
                position_from,
                position_to,
            });
        }
    }
    PipelinePreview {
        open_deals: deals.iter().filter(|o| o.is_open()).count(),
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use crate::gate::BlockerKind;
    use crate::grade::LeadBy;
    use crate::pipeline::{FieldKind, Grades, Key, RequiredField};
    use crate::sample;

    fn deal_in(p: &Pipeline, stage: &str) -> Opportunity {
        sample::opportunity(p, stage, LeadBy::Us, 50_000_000, &GradingPolicy::default())
    }

    #[test]
    fn a_new_field_on_a_deals_stage_is_a_gained_blocker_and_other_deals_are_untouched() {
        let current = builtin::tender();
        let mut draft = current.clone();
        let i = draft.index_of("analyze").unwrap();
        draft.stages[i].required_fields.push(RequiredField {
            key: Key::parse("security_review").unwrap(),
            label: crate::Localized::new("安全评审", "Security review"),
            kind: FieldKind::Text,
            options: None,
            grades: Grades::of(&crate::Grade::ALL),
        });
        let deals = [deal_in(&current, "analyze"), deal_in(&current, "bidding")];

        let p = preview(&deals, &current, &draft, &GradingPolicy::default());

        assert_eq!(p.open_deals, 2);
        assert_eq!(p.changes.len(), 1);
        let c = &p.changes[0];
        assert_eq!((c.stage.as_str(), c.lifted.len()), ("analyze", 0));
        assert_eq!(
            c.gained
                .iter()
                .map(|b| (b.kind, b.key.as_ref().map(|k| k.to_string())))
                .collect::<Vec<_>>(),
            [(BlockerKind::Field, Some("security_review".to_string()))]
        );
    }

    #[test]
    fn moving_a_stage_shows_the_new_position_and_removing_one_shows_none() {
        let current = builtin::tender();
        let mut draft = current.clone();
        let i = draft.index_of("present").unwrap();
        let present = draft.stages.remove(i);
        let deals = [
            deal_in(&current, "present"),
            deal_in(&current, "tender_prep"),
        ];

        let removed = preview(&deals, &current, &draft, &GradingPolicy::default());
        draft.stages.insert(i + 1, present);
        let moved = preview(&deals, &current, &draft, &GradingPolicy::default());

        let positions = |p: &PipelinePreview| {
            p.changes
                .iter()
                .map(|c| (c.stage.clone(), c.position_from, c.position_to))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            positions(&removed),
            [
                ("present".into(), 4, None),
                ("tender_prep".into(), 5, Some(4))
            ]
        );
        assert_eq!(
            positions(&moved),
            [
                ("present".into(), 4, Some(5)),
                ("tender_prep".into(), 5, Some(4))
            ]
        );
    }
}
