//! Property tests of the gate and grading invariants over generated
//! pipelines and deals.

use proptest::prelude::*;
use shared::checklist::{ApprovalState, ApprovalStatus, TaskState, TeamMember};
use shared::gate::{Target, Transition, Verdict, apply, check, requirement_blockers};
use shared::grade::{Grade, GradeView, GradingPolicy, LeadBy};
use shared::i18n::Localized;
use shared::money::Money;
use shared::opportunity::{Contract, GradeOverride, LostInfo, Opportunity, Status};
use shared::pipeline::{
    Approver, FieldKind, Grades, Key, Pipeline, Process, RequiredField, RequiredTask,
    RoleRequirement, Stage,
};
use shared::sample::{self, field_value, instant};
use shared::{Role, builtin};

fn key(s: &str) -> Key {
    Key::parse(s).unwrap()
}

fn text(s: &str) -> Localized {
    Localized::new(s, s)
}

fn grades() -> impl Strategy<Value = Grades> {
    proptest::sample::subsequence(Grade::ALL.to_vec(), 1..=5).prop_map(|g| Grades::of(&g))
}

fn kind() -> impl Strategy<Value = FieldKind> {
    prop_oneof![
        Just(FieldKind::Text),
        Just(FieldKind::Money),
        Just(FieldKind::Date),
        Just(FieldKind::Bool),
        Just(FieldKind::Select),
        Just(FieldKind::Url),
    ]
}

/// A stage's requirements by row — (fields, tasks, processes, roles) with
/// the grades each applies to — and whether it is skippable.
type StageShape = (
    Vec<(FieldKind, Grades)>,
    Vec<Grades>,
    Vec<Grades>,
    Vec<Grades>,
    bool,
);

fn stage_shape() -> impl Strategy<Value = StageShape> {
    (
        proptest::collection::vec((kind(), grades()), 0..3),
        proptest::collection::vec(grades(), 0..3),
        proptest::collection::vec(grades(), 0..2),
        proptest::collection::vec(grades(), 0..2),
        any::<bool>(),
    )
}

const TEAM_ROLES: [&str; 3] = ["presales", "legal", "finance"];

fn pipeline() -> impl Strategy<Value = Pipeline> {
    proptest::collection::vec(stage_shape(), 2..7).prop_map(|shapes| {
        let last = shapes.len() - 1;
        let stages = shapes
            .into_iter()
            .enumerate()
            .map(|(i, (fields, tasks, processes, roles, skippable))| Stage {
                key: key(&format!("s{i}")),
                name: text("stage"),
                entry: text("entry"),
                exit: text("exit"),
                probability: (i * 10) as u8,
                max_days: 30,
                skippable: skippable && i != last,
                required_fields: fields
                    .into_iter()
                    .enumerate()
                    .map(|(j, (kind, grades))| RequiredField {
                        key: key(&format!("f{i}_{j}")),
                        label: text("field"),
                        kind,
                        options: (kind == FieldKind::Select)
                            .then(|| vec!["one".into(), "two".into()]),
                        grades,
                    })
                    .collect(),
                required_tasks: tasks
                    .into_iter()
                    .enumerate()
                    .map(|(j, grades)| RequiredTask {
                        key: key(&format!("t{i}_{j}")),
                        label: text("task"),
                        description: text("task"),
                        grades,
                    })
                    .collect(),
                processes: if i == 0 {
                    vec![]
                } else {
                    processes
                        .into_iter()
                        .enumerate()
                        .map(|(j, grades)| Process {
                            key: key(&format!("p{i}_{j}")),
                            label: text("approval"),
                            approver: Approver::Role(Role::Manager),
                            grades,
                        })
                        .collect()
                },
                roles: if i == 0 {
                    vec![]
                } else {
                    roles
                        .into_iter()
                        .enumerate()
                        .map(|(j, grades)| RoleRequirement {
                            role: key(TEAM_ROLES[j % TEAM_ROLES.len()]),
                            grades,
                        })
                        .collect()
                },
            })
            .collect();
        Pipeline {
            id: key("generated"),
            name: text("generated"),
            stages,
            version: 1,
        }
    })
}

/// Every requirement of the pipeline, as (stage index, which row, index in row).
fn requirements(p: &Pipeline) -> Vec<(usize, u8, usize)> {
    let mut out = Vec::new();
    for (i, s) in p.stages.iter().enumerate() {
        out.extend((0..s.required_fields.len()).map(|j| (i, 0, j)));
        out.extend((0..s.required_tasks.len()).map(|j| (i, 1, j)));
        out.extend((0..s.processes.len()).map(|j| (i, 2, j)));
        out.extend((0..s.roles.len()).map(|j| (i, 3, j)));
    }
    out
}

fn fill(opp: &mut Opportunity, p: &Pipeline, (i, row, j): (usize, u8, usize)) {
    let s = &p.stages[i];
    match row {
        0 => {
            let f = &s.required_fields[j];
            opp.fields.insert(f.key.to_string(), field_value(f));
        }
        1 => {
            opp.tasks.insert(
                s.required_tasks[j].key.to_string(),
                TaskState {
                    done: true,
                    ..TaskState::default()
                },
            );
        }
        2 => {
            opp.approvals.insert(
                s.processes[j].key.to_string(),
                ApprovalState {
                    status: ApprovalStatus::Approved,
                    ..ApprovalState::default()
                },
            );
        }
        _ => opp.team.push(TeamMember {
            role: s.roles[j].role.clone(),
            user_id: "u_team".into(),
        }),
    }
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        0i64..100_000_000,
        0i64..2_000_000_000,
        Just(30_000_000),
        Just(100_000_000),
        Just(500_000_000)
    ]
}

fn grade() -> impl Strategy<Value = Grade> {
    proptest::sample::select(Grade::ALL.to_vec())
}

/// A deal somewhere in a generated pipeline, with some requirements met.
fn deal() -> impl Strategy<Value = (Pipeline, Opportunity)> {
    pipeline().prop_flat_map(|p| {
        let n = p.stages.len();
        let reqs = requirements(&p).len();
        (
            Just(p),
            1..n,
            any::<bool>(),
            amount(),
            proptest::option::of(grade()),
            proptest::collection::vec(any::<bool>(), reqs),
            prop_oneof![4 => Just(Status::Open), 1 => Just(Status::Won), 1 => Just(Status::Lost)],
        )
            .prop_map(|(p, stage, partner, amount, override_grade, met, status)| {
                let lead_by = if partner { LeadBy::Partner } else { LeadBy::Us };
                let policy = GradingPolicy::default();
                let mut opp =
                    sample::opportunity(&p, p.stages[stage].key.as_str(), lead_by, amount, &policy);
                opp.status = status;
                opp.grade_override = override_grade.map(|grade| GradeOverride {
                    grade,
                    reason: "strategic".into(),
                    by: "u_manager".into(),
                    at: instant(),
                });
                opp.grade = GradeView::new(opp.grade.computed, override_grade);
                for (r, m) in requirements(&p).into_iter().zip(met) {
                    if m {
                        fill(&mut opp, &p, r);
                    }
                }
                (p, opp)
            })
    })
}

fn transition(p: &Pipeline) -> impl Strategy<Value = Transition> + use<> {
    let mut targets: Vec<Target> = p
        .stages
        .iter()
        .map(|s| Target::Stage(s.key.clone()))
        .collect();
    targets.extend([Target::Won, Target::Lost, Target::Stage(key("nowhere"))]);
    (
        proptest::sample::select(targets),
        proptest::option::of(prop_oneof![
            Just(String::new()),
            Just("scope changed".to_string())
        ]),
        proptest::option::of(prop_oneof![Just(String::new()), Just("price".to_string())]),
        any::<bool>(),
    )
        .prop_map(|(to, reason, lost, contract)| Transition {
            to,
            reason,
            lost: lost.map(|reason| LostInfo {
                reason,
                competitor: None,
            }),
            contract: contract.then(|| Contract {
                number: "HT-1".into(),
                amount: Money::from_minor(1).unwrap(),
                signed_on: sample::date(),
            }),
        })
}

fn deal_and_move() -> impl Strategy<Value = (Pipeline, Opportunity, Transition)> {
    deal().prop_flat_map(|(p, o)| {
        let t = transition(&p);
        (Just(p), Just(o), t)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn check_allows_exactly_when_apply_succeeds((p, opp, t) in deal_and_move()) {
        let policy = GradingPolicy::default();
        let verdict = check(&opp, &p, &policy, &t);
        match apply(&opp, &p, &policy, &t, instant()) {
            Ok((next, _)) => {
                prop_assert!(verdict.allowed);
                prop_assert_eq!(next.version, opp.version + 1);
            }
            Err(refused) => {
                prop_assert!(!verdict.allowed);
                prop_assert_eq!(refused, verdict);
            }
        }
    }

    #[test]
    fn verdicts_are_deterministic_and_consistent((p, opp, t) in deal_and_move()) {
        let policy = GradingPolicy::default();
        let a = check(&opp, &p, &policy, &t);
        let b = check(&opp.clone(), &p.clone(), &policy, &t.clone());
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.allowed, a.blockers.is_empty());
        for blocker in &a.blockers {
            prop_assert!(blocker.message.is_complete());
        }
    }

    #[test]
    fn a_closed_deal_never_moves((p, mut opp, t) in deal_and_move(), won in any::<bool>()) {
        opp.status = if won { Status::Won } else { Status::Lost };
        let v = check(&opp, &p, &GradingPolicy::default(), &t);
        prop_assert!(!v.allowed);
        prop_assert_eq!(v.blockers.len(), 1);
    }

    #[test]
    fn no_sequence_of_allowed_moves_wins_a_full_track_deal_with_a_requirement_unmet(
        (p, steps) in pipeline().prop_flat_map(|p| {
            let reqs = requirements(&p).len().max(1);
            let n = p.stages.len();
            let step = prop_oneof![
                2 => (0..reqs).prop_map(Step::Fill),
                3 => (0..n + 2).prop_map(Step::Move),
                1 => grade().prop_map(Step::Override),
            ];
            (Just(p), proptest::collection::vec(step, 1..40))
        }),
        amount in amount(),
    ) {
        let policy = GradingPolicy::default();
        let start = p.stages[1].key.clone();
        let mut opp = sample::opportunity(&p, start.as_str(), LeadBy::Us, amount, &policy);
        let reqs = requirements(&p);
        for step in steps {
            let before = p.index_of(opp.stage.as_str()).unwrap_or(0);
            match step {
                Step::Fill(i) => if let Some(r) = reqs.get(i) { fill(&mut opp, &p, *r) },
                Step::Override(g) => {
                    if g.rank() > opp.grade_now(&policy).effective.rank() {
                        opp.override_grade(g, "strategic", &policy, &shared::Actor::new("m", &[Role::Manager]), instant()).unwrap();
                    }
                }
                Step::Move(i) => {
                    let to = match i {
                        i if i < p.stages.len() => Target::Stage(p.stages[i].key.clone()),
                        i if i == p.stages.len() => Target::Won,
                        _ => Target::Lost,
                    };
                    let mut t = Transition::to(to);
                    t.contract = Some(Contract {
                        number: "HT-1".into(),
                        amount: Money::from_minor(amount).unwrap(),
                        signed_on: sample::date(),
                    });
                    t.reason = Some("because".into());
                    t.lost = Some(LostInfo { reason: "price".into(), competitor: None });
                    if let Ok((next, _)) = apply(&opp, &p, &policy, &t, instant()) {
                        let full = !opp.grade_now(&policy).effective.track().may_skip();
                        let after = p.index_of(next.stage.as_str()).unwrap_or(0);
                        if full && after > before {
                            prop_assert_eq!(after, before + 1, "a full-track deal skipped a stage");
                        }
                        if next.status == Status::Won && full {
                            let grade = next.grade_now(&policy).effective;
                            for s in &p.stages[1..] {
                                prop_assert!(requirement_blockers(s, &next.checklist(), grade).is_empty(),
                                    "won with {} unmet", s.key);
                            }
                        }
                        opp = next;
                    }
                }
            }
            if opp.status != Status::Open { break; }
        }
    }

    #[test]
    fn a_full_track_deal_with_everything_met_walks_stage_by_stage_to_won(p in pipeline(), big in any::<bool>()) {
        let policy = GradingPolicy::default();
        let amount = if big { 600_000_000 } else { 150_000_000 };
        let mut opp = sample::opportunity(&p, p.stages[1].key.as_str(), LeadBy::Us, amount, &policy);
        for r in requirements(&p) {
            fill(&mut opp, &p, r);
        }
        for s in &p.stages[2..] {
            let (next, _) = apply(&opp, &p, &policy, &Transition::to(Target::Stage(s.key.clone())), instant())
                .map_err(|v| TestCaseError::fail(format!("blocked before {}: {:?}", s.key, v.blockers)))?;
            opp = next;
        }
        // A generated pipeline may not ask for the contract fields: the win
        // brings its contract, as every win must record one.
        let mut win = Transition::to(Target::Won);
        win.contract = Some(Contract {
            number: "HT-1".into(),
            amount: Money::from_minor(amount).unwrap(),
            signed_on: sample::date(),
        });
        let (won, events) = apply(&opp, &p, &policy, &win, instant())
            .map_err(|v| TestCaseError::fail(format!("won refused: {:?}", v.blockers)))?;
        prop_assert_eq!(won.status, Status::Won);
        prop_assert!(won.skipped.is_empty());
        prop_assert_eq!(won.contract.clone(), win.contract.clone());
        let recorded = events.iter().any(|e| matches!(e, shared::event::EventKind::Won { .. }));
        prop_assert!(recorded, "no won event");
    }

    #[test]
    fn every_generated_pipeline_is_valid_and_round_trips_through_json(p in pipeline()) {
        let roles: Vec<_> = TEAM_ROLES.iter().map(|r| shared::pipeline::TeamRole { key: key(r), name: text(r) }).collect();
        prop_assert_eq!(p.validate(&roles), Ok(()));
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(serde_json::from_str::<Pipeline>(&json).unwrap(), p);
    }

    #[test]
    fn deals_and_verdicts_round_trip_through_json((p, opp, t) in deal_and_move()) {
        let json = serde_json::to_string(&opp).unwrap();
        prop_assert_eq!(serde_json::from_str::<Opportunity>(&json).unwrap(), opp.clone());
        let v = check(&opp, &p, &GradingPolicy::default(), &t);
        let json = serde_json::to_string(&v).unwrap();
        prop_assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), v);
        let json = serde_json::to_string(&t).unwrap();
        prop_assert_eq!(serde_json::from_str::<Transition>(&json).unwrap(), t);
    }

    #[test]
    fn grading_is_monotonic_in_amount(a in 0i64..10_000_000_000, b in 0i64..10_000_000_000) {
        let policy = GradingPolicy::default();
        let (lo, hi) = (a.min(b), a.max(b));
        let g = |x| policy.grade(LeadBy::Us, Money::from_minor(x).unwrap());
        prop_assert!(g(lo).rank() <= g(hi).rank());
        prop_assert_ne!(g(hi), Grade::E);
        prop_assert_eq!(policy.grade(LeadBy::Partner, Money::from_minor(a).unwrap()), Grade::E);
    }

    #[test]
    fn effective_grade_is_never_below_computed(computed in grade(), o in proptest::option::of(grade())) {
        let v = GradeView::new(computed, o);
        prop_assert!(v.effective.rank() >= computed.rank());
        if let Some(o) = o { prop_assert!(v.effective.rank() >= o.rank()); }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Fill(usize),
    Move(usize),
    Override(Grade),
}

#[test]
fn wire_types_of_the_contract_round_trip_through_json() {
    use shared::api::*;
    let p = builtin::tender();
    let config = Config {
        grading: GradingConfig {
            a_min: Money::from_minor(500_000_000).unwrap(),
            b_min: Money::from_minor(100_000_000).unwrap(),
            c_min: Money::from_minor(30_000_000).unwrap(),
            currency: shared::Currency::CNY,
            version: 3,
        },
        pipelines: builtin::pipelines(),
        team_roles: builtin::team_roles(),
        currency: shared::Currency::CNY,
        registration: RegistrationConfig {
            protection_days: 90,
        },
        versions: [("grading".to_string(), 3)].into_iter().collect(),
    };
    let back: Config = serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
    assert_eq!(back, config);

    let req = TransitionRequest {
        version: 7,
        transition: Transition {
            reason: Some("r".into()),
            ..Transition::to(Target::Stage(p.stages[2].key.clone()))
        },
    };
    let back: TransitionRequest =
        serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
    assert_eq!(back, req);
    let json = serde_json::json!({"to": "won", "version": 3,
        "contract": {"number": "HT-9", "amount": 100, "signed_on": "2027-01-02"}});
    let won: TransitionRequest = serde_json::from_value(json).unwrap();
    assert_eq!(won.transition.to, Target::Won);
    assert_eq!(
        won.transition.contract.map(|c| c.number),
        Some("HT-9".to_string())
    );

    let opp = sample::opportunity(
        &p,
        "analyze",
        LeadBy::Us,
        150_000_000,
        &GradingPolicy::default(),
    );
    let value = serde_json::to_value(&opp).unwrap();
    for key in [
        "id",
        "version",
        "grade",
        "track",
        "fields",
        "tasks",
        "approvals",
        "team",
        "skipped",
        "stage_entered_at",
    ] {
        assert!(value.get(key).is_some(), "opportunity JSON lacks {key}");
    }
    assert_eq!(
        value["grade"],
        serde_json::json!({"computed": "B", "override": null, "effective": "B"})
    );
    assert_eq!(value["amount"], 150_000_000);
}

#[test]
fn a_patch_cannot_name_stage_grade_status_owner_or_unknown_keys() {
    for forbidden in ["stage", "grade", "status", "owner_id", "track", "skipped"] {
        let body = format!(r#"{{"version": 1, "{forbidden}": "x"}}"#);
        assert!(
            serde_json::from_str::<shared::opportunity::OpportunityPatch>(&body).is_err(),
            "PATCH accepted {forbidden}"
        );
    }
}

/// Every wire type of the contract survives JSON unchanged.
#[test]
fn every_wire_type_round_trips_through_json() {
    use serde::{Serialize, de::DeserializeOwned};
    use shared::api::*;
    use shared::event::{Event, EventKind};
    use shared::lead::{Contact, ConvertRequest, LeadPatch, NewLead};
    use shared::opportunity::OpportunityPatch;
    use shared::registration::{Conflict, ConflictKind, RegistrationForm, RegistrationStatus};
    use shared::regrade::{GradeChange, PolicyPreview};
    use std::fmt::Debug;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
        let json = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert_eq!(back, value, "{json}");
    }
    let money = |m: i64| Money::from_minor(m).unwrap();
    let when = sample::instant();
    let date = sample::date();
    let form = RegistrationForm {
        partner_company: "华信伙伴".into(),
        partner_contact: "王芳".into(),
        partner_email: "wang@partner.cn".into(),
        partner_phone: "+86 138 0013 8000".into(),
        customer_company: "明远制造".into(),
        project_title: "MES".into(),
        description: "二期".into(),
        amount: Some(80_000_000),
        expected_close: "2027-03-31".into(),
        website: String::new(),
    };
    let me = Me {
        id: "u".into(),
        email: "u@example.com".into(),
        name: "U".into(),
        roles: vec![shared::Role::Rep],
        active: true,
        pending_registrations: None,
    };
    let new_lead = NewLead {
        title: "t".into(),
        customer: "c".into(),
        description: "d".into(),
        contact: Contact {
            name: "n".into(),
            phone: "123456".into(),
            email: String::new(),
        },
        source: "s".into(),
        owner_id: None,
        pipeline: key("tender"),
    };
    round_trip(Health::ok());
    round_trip(LoginRequest {
        email: "a@b.cn".into(),
        password: "p".into(),
    });
    round_trip(me.clone());
    round_trip(UserSummary {
        id: "u".into(),
        name: "U".into(),
        email: "u@example.com".into(),
        roles: vec![shared::Role::Manager],
    });
    round_trip(NewUser {
        email: "a@b.cn".into(),
        name: "A".into(),
        password: "long password".into(),
        roles: vec![shared::Role::Admin],
    });
    round_trip(UserPatch {
        name: Some("B".into()),
        roles: None,
        active: Some(false),
        password: None,
    });
    round_trip(Page {
        items: vec![me],
        next_cursor: Some("abc".into()),
    });
    round_trip(new_lead.clone());
    round_trip(ConvertRequest {
        lead_by: LeadBy::Partner,
        amount: money(5),
        expected_close: date,
        version: 3,
    });
    round_trip(LeadPatch {
        version: 2,
        title: Some("x".into()),
        ..LeadPatch::default()
    });
    round_trip(OpportunityPatch {
        version: 2,
        amount: Some(money(7)),
        ..OpportunityPatch::default()
    });
    round_trip(TaskUpdate {
        done: true,
        note: Some("n".into()),
        version: 4,
    });
    round_trip(VersionOnly { version: 4 });
    round_trip(ApprovalDecision {
        approve: false,
        comment: Some("no".into()),
    });
    round_trip(TeamUpdate {
        members: vec![shared::checklist::TeamMember {
            role: key("legal"),
            user_id: "u".into(),
        }],
        version: 1,
    });
    round_trip(GradeOverrideRequest {
        grade: Grade::A,
        reason: "showcase".into(),
        version: 1,
    });
    round_trip(DisqualifyRequest {
        reason: "no budget".into(),
        version: 1,
    });
    round_trip(GradingAdmin {
        a_min: money(3),
        b_min: money(2),
        c_min: money(1),
        currency: shared::Currency::CNY,
        version: 2,
        updated_by: None,
        updated_at: when,
    });
    round_trip(GradingUpdate {
        a_min: money(3),
        b_min: money(2),
        c_min: money(1),
        version: 2,
    });
    round_trip(GradingPreviewRequest {
        a_min: money(3),
        b_min: money(2),
        c_min: money(1),
    });
    round_trip(PolicyPreview {
        changes: vec![GradeChange {
            opportunity_id: "o".into(),
            name: "n".into(),
            from: Grade::B,
            to: Grade::C,
            track_from: shared::Track::Full,
            track_to: shared::Track::Fast,
        }],
        counts: [("A".to_string(), 1)].into_iter().collect(),
        blocked_after: 0,
    });
    round_trip(shared::api::GradingChange {
        version: 2,
        updated_by: Some("u_admin".into()),
        updated_at: when,
        from: Some(GradingPreviewRequest {
            a_min: money(3),
            b_min: money(2),
            c_min: money(1),
        }),
        to: GradingPreviewRequest {
            a_min: money(4),
            b_min: money(2),
            c_min: money(1),
        },
    });
    round_trip(form.clone());
    round_trip(RegistrationCreated {
        reference: "r".into(),
        status_url: "/register/r".into(),
    });
    round_trip(RegistrationStatusView {
        reference: "r".into(),
        status: RegistrationStatus::Approved,
        project_title: "MES".into(),
        submitted_at: when,
        protected_until: Some(date),
        reason: None,
    });
    round_trip(RegistrationReview {
        id: "g".into(),
        status: RegistrationStatus::Submitted,
        form,
        submitted_at: when,
        conflicts: vec![Conflict {
            kind: ConflictKind::Opportunity,
            id: "o".into(),
            customer: "c".into(),
            title: "t".into(),
        }],
    });
    round_trip(ApproveRegistration {
        owner_id: "u".into(),
    });
    round_trip(RejectRegistration {
        reason: "duplicate".into(),
    });
    round_trip(Event {
        at: when,
        by: "u".into(),
        kind: EventKind::StageSkipped {
            stage: key("analyze"),
        },
    });
    let mut problem = Problem::new(422, "blocked", "Unprocessable Content", "gate");
    problem.blockers = Some(vec![]);
    round_trip(problem);
    let lead = shared::lead::Lead::create(
        "l",
        new_lead,
        &shared::Actor::new("u", &[shared::Role::Rep]),
    )
    .0;
    round_trip(lead);
}
