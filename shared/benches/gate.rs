//! `make bench`: the gate and grading hot paths.
//! Goals (issue #3): `check` on the 7-stage pipeline with ~60 requirements
//! ≤ 2 µs; grading 100,000 deals ≤ 5 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use shared::builtin;
use shared::gate::{Target, Transition, check};
use shared::grade::{Grade, GradingPolicy, LeadBy};
use shared::i18n::Localized;
use shared::money::Money;
use shared::pipeline::{FieldKind, Grades, Key, Pipeline, RequiredField, RequiredTask};
use shared::regrade::{GradedDeal, grade_all};
use shared::sample::{self, fill_stage};
use std::hint::black_box;

/// The tender pipeline padded to ~60 requirements, the size the goal names.
fn big_tender() -> Pipeline {
    let mut p = builtin::tender();
    let mut n = 0;
    while p
        .stages
        .iter()
        .map(|s| s.requirement_count(None))
        .sum::<usize>()
        < 60
    {
        let i = 1 + n % (p.stages.len() - 1);
        let stage = &mut p.stages[i];
        stage.required_fields.push(RequiredField {
            key: Key::parse(&format!("extra_field_{n}")).expect("key"),
            label: Localized::new("附加字段", "Extra field"),
            kind: FieldKind::Text,
            options: None,
            grades: Grades::ALL,
        });
        stage.required_tasks.push(RequiredTask {
            key: Key::parse(&format!("extra_task_{n}")).expect("key"),
            label: Localized::new("附加任务", "Extra task"),
            description: Localized::default(),
            grades: Grades::of(&[Grade::A, Grade::B]),
        });
        n += 1;
    }
    p
}

fn gate(c: &mut Criterion) {
    let p = big_tender();
    let total: usize = p.stages.iter().map(|s| s.requirement_count(None)).sum();
    let policy = GradingPolicy::default();

    // Worst realistic case: a B deal in the final stage asking to win, with
    // every earlier stage to check and half of them unmet.
    let mut opp = sample::opportunity(&p, "negotiate", LeadBy::Us, 200_000_000, &policy);
    for s in p.stages.iter().step_by(2) {
        fill_stage(&mut opp, s);
    }
    let won = Transition::to(Target::Won);
    c.bench_function(
        &format!("check won, 7 stages, {total} requirements, blocked"),
        |b| {
            b.iter(|| {
                check(
                    black_box(&opp),
                    black_box(&p),
                    black_box(&policy),
                    black_box(&won),
                )
            })
        },
    );

    let mut ready = sample::opportunity(&p, "initiate", LeadBy::Us, 200_000_000, &policy);
    fill_stage(&mut ready, &p.stages[1]);
    let next = Transition::to(Target::Stage(Key::parse("analyze").expect("key")));
    c.bench_function("check next stage, allowed", |b| {
        b.iter(|| {
            check(
                black_box(&ready),
                black_box(&p),
                black_box(&policy),
                black_box(&next),
            )
        })
    });
}

fn grading(c: &mut Criterion) {
    let policy = GradingPolicy::default();
    let deals: Vec<GradedDeal> = (0..100_000i64)
        .map(|i| GradedDeal {
            id: format!("o{i}"),
            name: String::new(),
            lead_by: if i % 7 == 0 {
                LeadBy::Partner
            } else {
                LeadBy::Us
            },
            amount: Money::from_minor((i * 7_919) % 1_000_000_000).expect("amount"),
            override_grade: (i % 50 == 0).then_some(Grade::A),
            computed: Grade::C,
            effective: Grade::C,
            skipped: 0,
        })
        .collect();
    c.bench_function("grade 100,000 deals", |b| {
        b.iter(|| grade_all(black_box(&deals), black_box(&policy)))
    });
}

criterion_group!(benches, gate, grading);
criterion_main!(benches);
