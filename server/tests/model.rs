//! A model-based test on the host: random sequences of API calls by random
//! roles — leads created, filled and converted, deals patched, tasks
//! ticked, teams staffed, approvals requested and decided, grades
//! overridden, every kind of transition, stale versions — and after every
//! call, the invariants:
//!
//! - a stage or status changes only by a transition that `shared::check`
//!   allowed on the state before, and a transition `check` allows, by
//!   someone who may steer, at the current version, is never refused;
//! - the stored grade is always what the policy makes of the deal now;
//! - a version bumps exactly once per accepted write and never otherwise;
//! - every accepted write left its audit event(s), a refused one none
//!   (a win its `won` event with its contract);
//! - every refusal is a 4xx problem+json with a stable code; never a 5xx;
//! - a record is visible (GET and lists) exactly to those `shared::access`
//!   lets read it.
//!
//! `SOAK_OPS=200000 cargo test -p dealgate-server --test model -- --nocapture`
//! runs longer (default 3,000 operations); `MODEL_SEED` picks the sequence.

mod support;

use dealgate_server::store::config::Settings;
use dealgate_server::store::events::{self, Entity};
use dealgate_server::store::{self, config};
use serde_json::{Value, json};
use shared::access::DealAction;
use shared::event::EventKind;
use shared::gate::{self, BlockerKind, Target, Transition};
use shared::lead::{Lead, LeadStatus};
use shared::opportunity::{Contract, LostInfo, Opportunity, Status};
use shared::pipeline::{Approver, Pipeline};
use shared::sample::{self, SplitMix as Rng};
use shared::user::Role;
use shared::{Actor, Grade, Money};
use std::collections::BTreeMap;
use support::*;

/// Amounts (fen) across every grade band.
const AMOUNTS: &[i64] = &[
    5_000_000,
    29_999_999,
    30_000_000,
    99_999_999,
    100_000_000,
    250_000_000,
    500_000_000,
    900_000_000,
];

struct World<'a> {
    app: &'a TestApp,
    clients: Vec<Client<'a>>,
    settings: Settings,
    leads: Vec<String>,
    deals: Vec<String>,
    rng: Rng,
    stats: Stats,
}

#[derive(Default)]
struct Stats {
    calls: usize,
    accepted: usize,
    codes: BTreeMap<String, usize>,
    won: usize,
    lost: usize,
    converted: usize,
    moves: usize,
    /// Accepted calls that changed nothing (a patch of the values already there).
    noops: usize,
    threshold_changes: usize,
}

/// What a call was, for the invariants to judge it by.
enum Call {
    Lead(String),
    NewLead,
    Convert(String),
    Deal { id: String, kind: DealCall },
}

#[derive(PartialEq)]
enum DealCall {
    Patch,
    Task,
    Team,
    Request,
    Decide,
    Override,
    Transition(Box<Transition>),
}

fn actor_of(c: &Client<'_>) -> Actor {
    let me = c.me.as_ref().expect("signed in");
    Actor::new(me.id.clone(), &me.roles)
}

impl<'a> World<'a> {
    fn deal(&self, id: &str) -> Opportunity {
        block_on(store::opportunities::load(self.app.db(), id))
            .expect("load")
            .expect("the deal exists")
    }

    fn lead(&self, id: &str) -> Lead {
        block_on(store::leads::load(self.app.db(), id))
            .expect("load")
            .expect("the lead exists")
    }

    fn trail(&self, entity: Entity, id: &str) -> Vec<shared::event::Event> {
        block_on(events::history(self.app.db(), entity, id)).expect("history")
    }

    fn pipeline(&self, id: &shared::Key) -> &Pipeline {
        self.settings.pipeline(id).expect("pipeline")
    }

    fn client_index(&self, user_id: &str) -> Option<usize> {
        self.clients.iter().position(|c| c.id() == user_id)
    }

    /// The right person for a step most of the time, anyone otherwise.
    fn who(&mut self, right: Option<&str>) -> usize {
        match right.and_then(|id| self.client_index(id)) {
            Some(i) if self.rng.chance(85) => i,
            _ => self.rng.index(self.clients.len()),
        }
    }

    /// For a deal: the right person most of the time, else often someone
    /// on its team (who may read and edit but not steer), else anyone.
    fn who_on(&mut self, opp: &Opportunity, right: Option<&str>) -> usize {
        let team: Vec<usize> = opp
            .team
            .iter()
            .filter_map(|m| self.client_index(&m.user_id))
            .collect();
        if !team.is_empty() && self.rng.chance(20) {
            return *self.rng.pick(&team);
        }
        self.who(right)
    }

    /// A version to send: the current one, or (sometimes) a stale one.
    fn version(&mut self, current: u64) -> u64 {
        if self.rng.chance(7) {
            current.saturating_sub(1 + self.rng.below(2))
        } else {
            current
        }
    }

    fn step(&mut self) {
        let roll = self.rng.below(100);
        let lead_open = self.leads.iter().any(|_| true);
        if roll == 0 {
            self.change_thresholds();
        } else if roll < 10 || !lead_open {
            self.new_lead();
        } else if roll < 35 {
            self.work_lead();
        } else if roll < 85 && !self.deals.is_empty() {
            self.progress_deal();
        } else if !self.deals.is_empty() {
            self.chaos_deal();
        } else {
            self.work_lead();
        }
    }

    fn send(
        &mut self,
        who: usize,
        method: dealgate_server::http::Method,
        path: &str,
        body: Option<Value>,
        call: Call,
    ) {
        let before = self.snapshot(&call);
        let r = self.clients[who].request(method, path, body);
        self.stats.calls += 1;
        self.judge(who, &call, before, &r);
    }

    fn new_lead(&mut self) {
        let who = self.rng.index(self.clients.len());
        let pipeline = self.rng.pick(&self.settings.pipelines).id.to_string();
        let mut body = new_lead(&format!("线索 {}", self.stats.calls), &pipeline);
        if self.rng.chance(30) {
            body["owner_id"] = json!(self.rng.pick(&["u_rep", "u_rep2"]).to_string());
        }
        if self.rng.chance(5) {
            body["title"] = json!("  ");
        }
        self.send(
            who,
            dealgate_server::http::Method::Post,
            "/api/leads",
            Some(body),
            Call::NewLead,
        );
    }

    fn work_lead(&mut self) {
        let Some(id) = self.leads.get(self.rng.index(self.leads.len())).cloned() else {
            return self.new_lead();
        };
        let lead = self.lead(&id);
        let pipeline = self.pipeline(&lead.pipeline).clone();
        let stage = pipeline.first().expect("stage 1").clone();
        let who = self.who(Some(&lead.owner_id));
        let version = self.version(lead.version);
        let missing_field = stage
            .required_fields
            .iter()
            .find(|f| !lead.fields.contains_key(f.key.as_str()));
        let missing_task = stage
            .required_tasks
            .iter()
            .find(|t| !lead.tasks.get(t.key.as_str()).is_some_and(|s| s.done));
        let roll = self.rng.below(100);
        let (path, body, call) = if roll < 5 {
            (
                format!("/api/leads/{id}/disqualify"),
                json!({"reason": if self.rng.chance(80) { "无预算 / No budget" } else { "" }, "version": version}),
                Call::Lead(id.clone()),
            )
        } else if let (Some(f), true) = (missing_field, roll < 60) {
            let value = if self.rng.chance(10) {
                json!({"not": "a value"})
            } else {
                sample::field_value(f)
            };
            return self.send(
                who,
                dealgate_server::http::Method::Patch,
                &format!("/api/leads/{id}"),
                Some(json!({"version": version, "fields": {f.key.as_str(): value}})),
                Call::Lead(id),
            );
        } else if let (Some(t), true) = (missing_task, roll < 85) {
            (
                format!("/api/leads/{id}/tasks/{}", t.key),
                json!({"done": true, "note": null, "version": version}),
                Call::Lead(id.clone()),
            )
        } else {
            let amount = *self.rng.pick(AMOUNTS);
            let lead_by = if self.rng.chance(15) { "partner" } else { "us" };
            (
                format!("/api/leads/{id}/convert"),
                json!({"lead_by": lead_by, "amount": amount, "expected_close": "2027-03-31", "version": version}),
                Call::Convert(id.clone()),
            )
        };
        self.send(
            who,
            dealgate_server::http::Method::Post,
            &path,
            Some(body),
            call,
        );
    }

    /// One step toward the deal's next move: the first thing that blocks it.
    fn progress_deal(&mut self) {
        let id = self.deals[self.rng.index(self.deals.len())].clone();
        let opp = self.deal(&id);
        let pipeline = self.pipeline(&opp.pipeline).clone();
        let target = match gate::advance_target(&opp, &pipeline) {
            Some(t) => t,
            None => return self.chaos_deal(),
        };
        let mut transition = Transition::to(target.clone());
        // Fast and partner deals sometimes jump to the final stage.
        if opp.track.may_skip()
            && self.rng.chance(40)
            && let Some(last) = pipeline.last()
            && !pipeline.is_final(opp.stage.as_str())
        {
            transition = Transition::to(Target::Stage(last.key.clone()));
        }
        if target == Target::Won && self.rng.chance(50) {
            transition.contract = Some(Contract {
                number: format!("HT-{}", self.stats.calls),
                amount: opp.amount,
                signed_on: sample::date(),
            });
        }
        let verdict = gate::check(&opp, &pipeline, &self.settings.policy, &transition);
        let version = self.version(opp.version);
        let Some(blocker) = verdict.blockers.first() else {
            let who = self.who_on(&opp, Some(&opp.owner_id));
            return self.transition(who, &opp, transition, version);
        };
        let stage = pipeline
            .stage(blocker.stage.as_str())
            .cloned()
            .unwrap_or_else(|| pipeline.stages[1].clone());
        let key = blocker
            .key
            .as_ref()
            .map(|k| k.to_string())
            .unwrap_or_default();
        let m = dealgate_server::http::Method::Post;
        match blocker.kind {
            BlockerKind::Field => {
                let value = match (stage.field(&key), self.rng.chance(8)) {
                    (Some(_), true) => json!(["wrong", "kind"]),
                    (Some(f), false) => sample::field_value(f),
                    (None, _) => contract_value(&key),
                };
                let who = self.who_on(&opp, Some(&opp.owner_id));
                self.send(
                    who,
                    dealgate_server::http::Method::Patch,
                    &format!("/api/opportunities/{id}"),
                    Some(json!({"version": version, "fields": {key: value}})),
                    deal_call(&id, DealCall::Patch),
                );
            }
            BlockerKind::Task => {
                let who = self.who_on(&opp, Some(&opp.owner_id));
                self.send(
                    who,
                    m,
                    &format!("/api/opportunities/{id}/tasks/{key}"),
                    Some(json!({"done": true, "note": "ok", "version": version})),
                    deal_call(&id, DealCall::Task),
                );
            }
            BlockerKind::Role => {
                let mut team: Vec<Value> = opp
                    .team
                    .iter()
                    .map(|t| json!({"role": t.role, "user_id": t.user_id}))
                    .collect();
                let member = *self
                    .rng
                    .pick(&["u_rep2", "u_rep", "u_channel", "u_manager"]);
                team.push(json!({"role": key, "user_id": member}));
                let who = self.who_on(&opp, Some(&opp.owner_id));
                self.send(
                    who,
                    dealgate_server::http::Method::Put,
                    &format!("/api/opportunities/{id}/team"),
                    Some(json!({"members": team, "version": version})),
                    deal_call(&id, DealCall::Team),
                );
            }
            BlockerKind::Approval => {
                let pending = opp
                    .approvals
                    .get(&key)
                    .is_some_and(|a| a.status == shared::checklist::ApprovalStatus::Pending);
                if pending {
                    let approver = stage.process(&key).map(|p| p.approver.clone());
                    let right = match approver {
                        Some(Approver::Role(Role::Manager)) => Some("u_manager".to_string()),
                        Some(Approver::Role(r)) => self
                            .clients
                            .iter()
                            .find(|c| c.me.as_ref().is_some_and(|m| m.roles.contains(&r)))
                            .map(|c| c.id()),
                        Some(Approver::TeamRole(role)) => opp
                            .team
                            .iter()
                            .find(|t| t.role == role)
                            .map(|t| t.user_id.clone()),
                        None => None,
                    };
                    let who = self.who(right.as_deref());
                    let approve = self.rng.chance(85);
                    let comment = if approve && self.rng.chance(50) {
                        Value::Null
                    } else {
                        json!("看过了 / Reviewed")
                    };
                    self.send(
                        who,
                        m,
                        &format!("/api/opportunities/{id}/approvals/{key}/decide"),
                        Some(json!({"approve": approve, "comment": comment})),
                        deal_call(&id, DealCall::Decide),
                    );
                } else {
                    let who = self.who_on(&opp, Some(&opp.owner_id));
                    self.send(
                        who,
                        m,
                        &format!("/api/opportunities/{id}/approvals/{key}/request"),
                        Some(json!({"version": version})),
                        deal_call(&id, DealCall::Request),
                    );
                }
            }
            _ => {
                let who = self.who_on(&opp, Some(&opp.owner_id));
                self.transition(who, &opp, transition, version);
            }
        }
    }

    /// An admin (or someone else) moves the thresholds; every open deal
    /// must then carry the grade the new policy gives it, exactly the
    /// preview's changes must have moved, each with its event.
    fn change_thresholds(&mut self) {
        let who = self.who(Some("u_admin"));
        let current = self.settings.grading.clone();
        let yuan = |y: i64| y * 100;
        let mut c = yuan(*self.rng.pick(&[100_000, 300_000, 500_000]));
        let b = yuan(*self.rng.pick(&[500_000, 1_000_000, 2_000_000]));
        let a = yuan(*self.rng.pick(&[2_000_000, 5_000_000, 9_000_000]));
        if self.rng.chance(10) {
            c = b + 1; // out of order: refused
        }
        let thresholds = json!({"a_min": a, "b_min": b, "c_min": c});
        let version = self.version(current.version);
        let before: Vec<Opportunity> = self.deals.iter().map(|id| self.deal(id)).collect();
        let trails: Vec<usize> = self
            .deals
            .iter()
            .map(|id| self.trail(Entity::Opportunity, id).len())
            .collect();
        let admin = &self.clients[who];
        let preview = admin.post("/api/admin/grading/preview", thresholds.clone());
        let mut body = thresholds;
        body["version"] = json!(version);
        let r = admin.put("/api/admin/grading", body);
        self.stats.calls += 2;
        assert!(r.status() < 500 && preview.status() < 500, "{}", r.text());
        let is_admin = admin
            .me
            .as_ref()
            .is_some_and(|m| m.roles.contains(&Role::Admin));
        if r.status() != 200 {
            *self.stats.codes.entry(r.code()).or_default() += 1;
            assert!(
                !is_admin || c > b || version != current.version,
                "a valid change refused: {}",
                r.text()
            );
            for (b, id) in before.iter().zip(&self.deals) {
                assert_eq!(*b, self.deal(id), "a refused threshold change wrote a deal");
            }
            return;
        }
        self.stats.accepted += 1;
        self.stats.threshold_changes += 1;
        assert!(is_admin && preview.status() == 200, "{}", r.text());
        self.settings = block_on(config::load(self.app.db())).expect("config");
        let policy = self.settings.policy;
        let previewed: Vec<String> = preview.json()["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| c["opportunity_id"].as_str().unwrap_or_default().to_string())
            .collect();
        for ((b, id), events_before) in before.iter().zip(&self.deals).zip(trails) {
            let a = self.deal(id);
            if b.status == Status::Open {
                assert_eq!(a.grade, a.grade_now(&policy), "{id} was not regraded");
            } else {
                assert_eq!(a, *b, "{id} is closed: its grade is the one it closed with");
            }
            let moved = b.status == Status::Open && a.grade.effective != b.grade.effective;
            assert_eq!(
                previewed.contains(id),
                moved,
                "{id}: the preview and the save disagree"
            );
            let events_after = self.trail(Entity::Opportunity, id).len();
            assert_eq!(
                events_after,
                events_before + usize::from(moved),
                "{id}'s regrade event"
            );
            if a != *b {
                assert_eq!(a.version, b.version + 1, "{id}: one version up");
            }
        }
    }

    fn transition(&mut self, who: usize, opp: &Opportunity, t: Transition, version: u64) {
        let mut body = serde_json::to_value(&t).expect("transition");
        body["version"] = json!(version);
        self.send(
            who,
            dealgate_server::http::Method::Post,
            &format!("/api/opportunities/{}/transition", opp.id),
            Some(body),
            deal_call(&opp.id, DealCall::Transition(Box::new(t))),
        );
    }

    /// Anything else: amounts and lead-by changed (regrades), overrides,
    /// moves back, losses, jumps, wins out of turn, reads.
    fn chaos_deal(&mut self) {
        let id = self.deals[self.rng.index(self.deals.len())].clone();
        let opp = self.deal(&id);
        let pipeline = self.pipeline(&opp.pipeline).clone();
        let who = self.who_on(&opp, None);
        let version = self.version(opp.version);
        match self.rng.below(6) {
            0 => {
                let mut body = json!({"version": version});
                if self.rng.chance(70) {
                    body["amount"] = json!(*self.rng.pick(AMOUNTS));
                }
                if self.rng.chance(30) {
                    body["lead_by"] = json!(if self.rng.chance(50) { "partner" } else { "us" });
                }
                if self.rng.chance(10) {
                    body["name"] = json!("");
                }
                self.send(
                    who,
                    dealgate_server::http::Method::Patch,
                    &format!("/api/opportunities/{id}"),
                    Some(body),
                    deal_call(&id, DealCall::Patch),
                );
            }
            1 => {
                let grade = *self.rng.pick(&Grade::ALL);
                let reason = if self.rng.chance(85) {
                    "战略客户 / Strategic"
                } else {
                    ""
                };
                self.send(
                    who,
                    dealgate_server::http::Method::Post,
                    &format!("/api/opportunities/{id}/grade-override"),
                    Some(json!({"grade": grade, "reason": reason, "version": version})),
                    deal_call(&id, DealCall::Override),
                );
            }
            2 => {
                let lost = Transition {
                    lost: Some(LostInfo {
                        reason: if self.rng.chance(80) {
                            "价格 / Price".into()
                        } else {
                            " ".into()
                        },
                        competitor: Some("ACME".into()),
                    }),
                    ..Transition::to(Target::Lost)
                };
                self.transition(who, &opp, lost, version);
            }
            3 => {
                let stage = self.rng.pick(&pipeline.stages).key.clone();
                let mut t = Transition::to(Target::Stage(stage));
                if self.rng.chance(70) {
                    t.reason = Some("客户推迟 / Customer postponed".into());
                }
                self.transition(who, &opp, t, version);
            }
            4 => {
                let t = Transition::to(Target::Won);
                self.transition(who, &opp, t, version);
            }
            _ => {
                let key = self
                    .rng
                    .pick(&["initiation_report", "no_such_task", "value_proposition"])
                    .to_string();
                let done = self.rng.chance(70);
                self.send(
                    who,
                    dealgate_server::http::Method::Post,
                    &format!("/api/opportunities/{id}/tasks/{key}"),
                    Some(json!({"done": done, "version": version})),
                    deal_call(&id, DealCall::Task),
                );
            }
        }
    }

    fn snapshot(&self, call: &Call) -> Snapshot {
        match call {
            Call::Lead(id) | Call::Convert(id) => {
                Snapshot::Lead(Box::new(self.lead(id)), self.trail(Entity::Lead, id).len())
            }
            Call::Deal { id, .. } => Snapshot::Deal(
                Box::new(self.deal(id)),
                self.trail(Entity::Opportunity, id).len(),
            ),
            Call::NewLead => Snapshot::None,
        }
    }

    fn judge(&mut self, who: usize, call: &Call, before: Snapshot, r: &Resp) {
        let status = r.status();
        let context = || format!("{} → {status} {}", describe(call), r.text());
        assert!(status < 500, "a server error: {}", context());
        let ok = (200..300).contains(&status);
        if ok {
            self.stats.accepted += 1;
        } else {
            assert!((400..500).contains(&status), "{}", context());
            let code = r.code();
            assert!(
                !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "an unstable code: {}",
                context()
            );
            *self.stats.codes.entry(code).or_default() += 1;
        }
        let actor = actor_of(&self.clients[who]);
        match (call, before) {
            (Call::NewLead, _) => {
                if ok {
                    let lead: Lead = r.parse();
                    assert_eq!(lead.version, 1);
                    assert_eq!(self.trail(Entity::Lead, &lead.id).len(), 1, "{}", context());
                    self.leads.push(lead.id);
                }
            }
            (Call::Lead(id), Snapshot::Lead(b, events_before)) => {
                let a = self.lead(id);
                let events_after = self.trail(Entity::Lead, id).len();
                self.written(
                    ok,
                    (&*b, b.version, events_before),
                    (&a, a.version, events_after),
                    context,
                );
                if !ok && status != 404 {
                    assert!(b.can_edit(&actor) || status == 403, "{}", context());
                }
                if ok {
                    assert!(
                        b.can_edit(&actor),
                        "a lead changed by someone who may not: {}",
                        context()
                    );
                }
                self.visible_lead(&a);
            }
            (Call::Convert(id), Snapshot::Lead(b, events_before)) => {
                let a = self.lead(id);
                let events_after = self.trail(Entity::Lead, id).len();
                self.written(
                    ok,
                    (&*b, b.version, events_before),
                    (&a, a.version, events_after),
                    context,
                );
                if ok {
                    assert!(b.can_edit(&actor), "{}", context());
                    assert_eq!(a.status, LeadStatus::Converted, "{}", context());
                    let opp: Opportunity = r.parse();
                    assert_eq!(opp.lead_id.as_deref(), Some(id.as_str()));
                    assert_eq!(a.opportunity_id.as_deref(), Some(opp.id.as_str()));
                    let stored = self.deal(&opp.id);
                    assert_eq!(stored, opp, "the answer is what was stored");
                    assert_eq!(stored.grade, stored.grade_now(&self.settings.policy));
                    assert!(!self.trail(Entity::Opportunity, &opp.id).is_empty());
                    self.stats.converted += 1;
                    self.deals.push(opp.id);
                    self.leads.retain(|l| l != id);
                } else if a.status != LeadStatus::Converted && !a.status.is_open() {
                    self.leads.retain(|l| l != id);
                }
            }
            (Call::Deal { id, kind }, Snapshot::Deal(b, events_before)) => {
                let a = self.deal(id);
                let trail = self.trail(Entity::Opportunity, id);
                self.written(
                    ok,
                    (&*b, b.version, events_before),
                    (&a, a.version, trail.len()),
                    context,
                );
                if a.status == Status::Open {
                    assert_eq!(
                        a.grade,
                        a.grade_now(&self.settings.policy),
                        "the stored grade is not the policy's: {}",
                        context()
                    );
                }
                if !ok && status == 404 {
                    assert!(!b.can_read(&actor), "a 404 for a reader: {}", context());
                }
                if ok {
                    assert!(
                        b.can_read(&actor),
                        "a change by a non-reader: {}",
                        context()
                    );
                }
                let moved = a.stage != b.stage || a.status != b.status;
                let pipeline = self.pipeline(&b.pipeline).clone();
                match kind {
                    DealCall::Transition(t) => {
                        let verdict = gate::check(&b, &pipeline, &self.settings.policy, t);
                        if ok {
                            assert!(
                                verdict.allowed,
                                "a move the gate refused went through: {}",
                                context()
                            );
                            assert!(b.allows(&actor, DealAction::Steer), "{}", context());
                            self.stats.moves += 1;
                            if a.status == Status::Won {
                                self.stats.won += 1;
                                let contract =
                                    a.contract.clone().expect("a won deal has its contract");
                                assert!(
                                    trail.iter().any(|e| e.kind
                                        == EventKind::Won {
                                            contract: contract.clone()
                                        }),
                                    "a win without its won event: {}",
                                    context()
                                );
                            }
                            if a.status == Status::Lost {
                                self.stats.lost += 1;
                            }
                        } else if verdict.allowed
                            && b.allows(&actor, DealAction::Steer)
                            && status != 409
                        {
                            panic!(
                                "a move the gate allows, by one who may steer, was refused: {}",
                                context()
                            );
                        } else if !verdict.allowed && status == 422 {
                            let blockers: Vec<shared::Blocker> =
                                serde_json::from_value(r.json()["blockers"].clone())
                                    .expect("blockers");
                            assert_eq!(
                                blockers, verdict.blockers,
                                "the server's blockers are the app's"
                            );
                        }
                    }
                    _ => assert!(
                        !moved,
                        "a stage or status changed outside a transition: {}",
                        context()
                    ),
                }
                if a.grade.effective != b.grade.effective {
                    assert!(
                        matches!(kind, DealCall::Patch | DealCall::Override),
                        "the grade changed by {}",
                        context()
                    );
                }
                if *kind == DealCall::Decide && ok {
                    assert_ne!(
                        b.owner_id, actor.user_id,
                        "an owner approved their own deal"
                    );
                }
                self.visible_deal(&a);
            }
            _ => unreachable!("snapshot matches the call"),
        }
    }

    /// Accepted: exactly one version up and at least one event more, or
    /// (a patch of the values already there) nothing changed at all.
    /// Refused: nothing changed at all, no event.
    fn written<T: PartialEq + std::fmt::Debug>(
        &mut self,
        ok: bool,
        (b, version_before, events_before): (&T, u64, usize),
        (a, version_after, events_after): (&T, u64, usize),
        context: impl Fn() -> String,
    ) {
        if ok && a == b && events_after == events_before {
            self.stats.noops += 1;
        } else if ok {
            assert_eq!(
                version_after,
                version_before + 1,
                "not one version up: {}",
                context()
            );
            assert!(
                events_after > events_before,
                "an accepted write left no event: {}",
                context()
            );
        } else {
            assert_eq!(b, a, "a refused call changed the record: {}", context());
            assert_eq!(
                events_after,
                events_before,
                "a refused write left an event: {}",
                context()
            );
        }
    }

    /// GET answers 200 exactly to those who may read, 404 to everyone else.
    fn visible_deal(&self, opp: &Opportunity) {
        for c in &self.clients {
            let may = opp.can_read(&actor_of(c));
            let r = c.get(&format!("/api/opportunities/{}", opp.id));
            let sales =
                c.me.as_ref()
                    .is_some_and(|m| !m.roles.iter().all(|r| *r == Role::Channel));
            let expected = if may { 200 } else { 404 };
            assert_eq!(
                r.status(),
                expected,
                "{} reading {} ({sales})",
                c.id(),
                opp.id
            );
        }
    }

    fn visible_lead(&self, lead: &Lead) {
        for c in &self.clients {
            let actor = actor_of(c);
            let r = c.get(&format!("/api/leads/{}", lead.id));
            let expected = if !actor.roles.iter().any(|r| *r != Role::Channel) {
                403
            } else if lead.can_edit(&actor) {
                200
            } else {
                404
            };
            assert_eq!(r.status(), expected, "{} reading lead {}", c.id(), lead.id);
        }
    }

    /// Every list page of every sales user holds exactly the deals and
    /// leads they may read.
    fn lists_match_access(&self) {
        for c in &self.clients {
            let actor = actor_of(c);
            if actor.roles == [Role::Channel] {
                continue;
            }
            let listed: Vec<Opportunity> = all_pages(c, "/api/opportunities?limit=200");
            let mut expected: Vec<String> = self
                .deals
                .iter()
                .filter(|id| self.deal(id).can_read(&actor))
                .cloned()
                .collect();
            let mut got: Vec<String> = listed.into_iter().map(|o| o.id).collect();
            expected.sort();
            got.sort();
            assert_eq!(got, expected, "{}'s deal list", c.id());
            let leads: Vec<Lead> = all_pages(c, "/api/leads?limit=200");
            assert!(
                leads.iter().all(|l| l.can_edit(&actor)),
                "{}'s lead list",
                c.id()
            );
        }
    }
}

fn all_pages<T: serde::de::DeserializeOwned>(c: &Client<'_>, first: &str) -> Vec<T> {
    let mut out = Vec::new();
    let mut path = first.to_string();
    loop {
        let r = c.get(&path);
        assert_eq!(r.status(), 200, "{path}: {}", r.text());
        let page: shared::api::Page<T> = r.parse();
        out.extend(page.items);
        match page.next_cursor {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return out,
        }
    }
}

enum Snapshot {
    None,
    Lead(Box<Lead>, usize),
    Deal(Box<Opportunity>, usize),
}

fn deal_call(id: &str, kind: DealCall) -> Call {
    Call::Deal {
        id: id.to_string(),
        kind,
    }
}

fn describe(call: &Call) -> String {
    match call {
        Call::NewLead => "new lead".into(),
        Call::Lead(id) => format!("lead {id}"),
        Call::Convert(id) => format!("convert {id}"),
        Call::Deal { id, kind } => format!(
            "deal {id} {}",
            match kind {
                DealCall::Patch => "patch".to_string(),
                DealCall::Task => "task".into(),
                DealCall::Team => "team".into(),
                DealCall::Request => "request approval".into(),
                DealCall::Decide => "decide approval".into(),
                DealCall::Override => "grade override".into(),
                DealCall::Transition(t) => format!("transition to {}", t.to.as_str()),
            }
        ),
    }
}

/// A value for one of the contract fields a win needs.
fn contract_value(key: &str) -> Value {
    match key {
        shared::builtin::CONTRACT_AMOUNT => json!(Money::from_minor(100_000_000).expect("money")),
        shared::builtin::SIGNED_ON => json!("2027-03-01"),
        _ => json!("HT-2027-001"),
    }
}

#[test]
fn random_api_sequences_keep_every_invariant() {
    let ops: usize = std::env::var("SOAK_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let seed: u64 = std::env::var("MODEL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xDEA1_6A7E);
    let app = TestApp::seeded(seed);
    let clients = [REP, REP2, MANAGER, CHANNEL, ADMIN]
        .iter()
        .map(|e| app.demo(e))
        .collect();
    let settings = block_on(config::load(app.db())).expect("config");
    let mut world = World {
        app: &app,
        clients,
        settings,
        leads: Vec::new(),
        deals: Vec::new(),
        rng: Rng(seed),
        stats: Stats::default(),
    };
    let started = std::time::Instant::now();
    for i in 0..ops {
        world.step();
        if i % 500 == 499 {
            world.lists_match_access();
            app.advance(chrono::Duration::hours(1));
        }
    }
    world.lists_match_access();
    let elapsed = started.elapsed();
    let s = &world.stats;
    eprintln!(
        "model: {} steps, {} API calls ({} accepted) in {:.2?}: {:.0} calls/s; {} converted, {} moves, {} won, {} lost, {} no-op patches, {} threshold changes; refusals by code: {:?}",
        ops,
        s.calls,
        s.accepted,
        elapsed,
        s.calls as f64 / elapsed.as_secs_f64(),
        s.converted,
        s.moves,
        s.won,
        s.lost,
        s.noops,
        s.threshold_changes,
        s.codes
    );
    assert!(
        app.rt.errors.borrow().is_empty(),
        "logged: {:?}",
        app.rt.errors.borrow()
    );
    // The run reached every kind of outcome, or it proved little.
    assert!(
        s.converted > 0 && s.moves > 0 && s.won > 0 && s.lost > 0,
        "too little happened"
    );
    for code in ["version_conflict", "blocked", "not_found", "forbidden"] {
        assert!(s.codes.contains_key(code), "no refusal with code {code}");
    }
}
