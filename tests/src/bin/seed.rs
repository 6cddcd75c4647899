//! Writes SQL that fills a local Dealgate database with realistic demo
//! leads and deals: every pipeline, stage, grade and outcome, each deal
//! walked there through the shared rules (so every state is one the gate
//! allows), with its audit trail. Deterministic for a given size.
//!
//! `seed --deals N --leads M > seed.sql`, then
//! `wrangler d1 execute DB --local --file seed.sql` (what `make seed` and
//! `make dev` do). Local only: the demo users must exist (server/seed/dev.sql).
//! `--pipeline KEY` keeps to one pipeline and `--open` leaves every deal
//! open (`make bench` seeds a board of 10,000 open deals that way).
//! `--into FILE` runs the SQL in that SQLite file instead of printing it,
//! in one transaction: the local D1's file, with the runtime stopped
//! (`make bench` seeds 100,000 deals that way, through
//! `DEALGATE_PRESEED` of tests/with-runtime.sh).

use chrono::{DateTime, Duration, Utc};
use dealgate_server::error::ApiError;
use dealgate_server::store::{self, Stmt};
use shared::builtin;
use shared::checklist::{ApprovalStatus, TaskState};
use shared::event::{Event, EventKind};
use shared::gate::{Target, Transition, apply};
use shared::grade::{GradingPolicy, LeadBy};
use shared::lead::{Contact, Lead, LeadStatus};
use shared::opportunity::{Contract, LostInfo, Opportunity};
use shared::sample::{self, SplitMix as Rng, fill_stage};
use shared::{Key, Money, Pipeline};

const CUSTOMERS: &[&str] = &[
    "上海明远制造有限公司",
    "华东物流集团",
    "深圳前海科技股份有限公司",
    "北京恒信银行",
    "杭州云帆电商",
    "广州南方电网",
    "成都天府医院",
    "武汉长江汽车",
    "苏州工业园区管委会",
    "Acme Robotics Co., Ltd.",
    "Globex China Inc.",
    "青岛海岸啤酒",
    "南京紫金证券",
    "西安航空部件厂",
    "天津港集团",
];
const PROJECTS: &[&str] = &[
    "MES 系统升级",
    "仓储管理系统",
    "数据中台建设",
    "客服中心云化",
    "供应链协同平台",
    "ERP 二期",
    "智能制造试点",
    "网络安全加固",
    "财务共享中心",
    "移动办公平台",
    "BI 报表平台",
    "IoT 设备接入",
];
const OWNERS: &[&str] = &["u_rep", "u_rep2"];

/// Statements as SQL text for `wrangler d1 execute --file` (which takes
/// no parameters): the store's own statements, so the seed never writes a
/// row differently from the server.
fn sql(out: &mut String, statements: Result<Vec<Stmt>, ApiError>) {
    match statements {
        Ok(statements) => {
            for s in statements {
                out.push_str(&s.to_literal_sql());
                out.push('\n');
            }
        }
        Err(e) => {
            eprintln!("seed: {e:?}");
            std::process::exit(1);
        }
    }
}

/// Deal-team and approver ids of the samples are role names; use real users.
fn real_people(opp: &mut Opportunity) {
    for m in &mut opp.team {
        m.user_id = "u_rep2".into();
    }
    for a in opp.approvals.values_mut() {
        if a.status == ApprovalStatus::Approved && a.decided_by.as_deref() != Some("u_manager") {
            a.decided_by = Some("u_rep2".into());
        }
    }
}

/// One deal, walked from initiation to a random stage and outcome.
fn deal(
    rng: &mut Rng,
    id: &str,
    n: usize,
    pipelines: &[Pipeline],
    policy: &GradingPolicy,
    now: DateTime<Utc>,
    open_only: bool,
) -> String {
    let p = if pipelines.len() == 1 || rng.below(10) < 6 {
        &pipelines[0]
    } else {
        &pipelines[1]
    };
    let partner = rng.below(100) < 12;
    // Amounts across every grade band (fen): 50k – 12M yuan.
    let amount = [
        5_000_000,
        20_000_000,
        60_000_000,
        150_000_000,
        400_000_000,
        800_000_000,
        1_200_000_000,
    ][rng.below(7) as usize]
        + rng.below(1_000_000) as i64 * 10;
    let lead_by = if partner { LeadBy::Partner } else { LeadBy::Us };
    let start = now - Duration::days(5 + rng.below(150) as i64);
    let mut opp = sample::opportunity(p, "initiate", lead_by, amount, policy);
    opp.id = id.to_string();
    opp.name = format!("{} {}", rng.pick(PROJECTS), n);
    opp.customer = rng.pick(CUSTOMERS).to_string();
    opp.owner_id = rng.pick(OWNERS).to_string();
    opp.stage_entered_at = start;
    opp.expected_close = (now + Duration::days(30 + rng.below(240) as i64)).date_naive();
    let mut events = Event::stamp(
        vec![EventKind::Created {
            stage: opp.stage.clone(),
        }],
        &opp.owner_id,
        start,
    );

    let last = p.stages.len() - 1;
    let target = 1 + rng.below(last as u64) as usize;
    let mut at = start;
    let fast = opp.grade.effective.track().may_skip();
    let jump = fast && rng.below(2) == 0;
    let mut i = 1;
    while i < target {
        fill_stage(&mut opp, &p.stages[i]);
        let next = if jump { target } else { i + 1 };
        at += Duration::hours(12 + rng.below(24 * 20) as i64);
        let t = Transition::to(Target::Stage(p.stages[next].key.clone()));
        match apply(&opp, p, policy, &t, at) {
            Ok((o, kinds)) => {
                opp = o;
                events.extend(Event::stamp(kinds, &opp.owner_id, at));
                i = next;
            }
            Err(_) => break,
        }
    }
    // Part of the current stage's checklist done.
    let stage = p.stage(opp.stage.as_str()).cloned();
    if let Some(stage) = stage {
        if rng.below(2) == 0 {
            fill_stage(&mut opp, &stage);
        } else if let Some(t) = stage.required_tasks.first() {
            opp.tasks.insert(
                t.key.to_string(),
                TaskState {
                    done: true,
                    by: Some(opp.owner_id.clone()),
                    at: Some(at),
                    note: None,
                },
            );
        }
    }
    let outcome = if open_only { 100 } else { rng.below(100) };
    if outcome < 8 {
        let lost = Transition {
            lost: Some(LostInfo {
                reason: "价格 / Price".into(),
                competitor: Some("ACME".into()),
            }),
            ..Transition::to(Target::Lost)
        };
        if let Ok((o, kinds)) = apply(&opp, p, policy, &lost, at + Duration::days(3)) {
            opp = o;
            events.extend(Event::stamp(kinds, &opp.owner_id, at + Duration::days(3)));
        }
    } else if outcome < 60 && p.is_final(opp.stage.as_str()) {
        for s in &p.stages[1..] {
            fill_stage(&mut opp, s);
        }
        let won = Transition {
            contract: Some(Contract {
                number: format!("HT-{n:06}"),
                amount: Money::from_minor(amount).unwrap_or(Money::ZERO),
                // Never after today: a win records a signing that happened.
                signed_on: (at + Duration::days(5)).min(now).date_naive(),
            }),
            ..Transition::to(Target::Won)
        };
        if let Ok((o, kinds)) = apply(&opp, p, policy, &won, at + Duration::days(5)) {
            opp = o;
            events.extend(Event::stamp(kinds, &opp.owner_id, at + Duration::days(5)));
        }
    }
    real_people(&mut opp);
    let mut out = String::new();
    sql(
        &mut out,
        store::opportunities::seeded(&opp, &start.to_rfc3339(), &at.to_rfc3339(), &events),
    );
    out
}

fn lead(rng: &mut Rng, id: &str, n: usize, pipelines: &[Pipeline], now: DateTime<Utc>) -> String {
    let p = rng.pick(pipelines);
    let created = now - Duration::days(rng.below(30) as i64);
    let mut lead = Lead {
        id: id.to_string(),
        version: 1,
        title: format!("{} 线索 {n}", rng.pick(PROJECTS)),
        customer: rng.pick(CUSTOMERS).to_string(),
        description: "展会上收集的意向 / Met at a trade fair".into(),
        contact: Contact {
            name: "陈经理".into(),
            phone: "+86 138 0013 8000".into(),
            email: "chen@example.com".into(),
        },
        source: "展会 / Trade fair".into(),
        owner_id: rng.pick(OWNERS).to_string(),
        status: LeadStatus::New,
        pipeline: p.id.clone(),
        fields: Default::default(),
        tasks: Default::default(),
        disqualify_reason: None,
        opportunity_id: None,
        partner: None,
    };
    if rng.below(2) == 0 {
        lead.status = LeadStatus::Working;
        if let Some(first) = p.first() {
            for f in &first.required_fields {
                lead.fields
                    .insert(f.key.to_string(), sample::field_value(f));
            }
        }
    }
    let stage = Key::parse("verify").unwrap_or_else(|_| lead.pipeline.clone());
    let events = Event::stamp(vec![EventKind::Created { stage }], &lead.owner_id, created);
    let mut out = String::new();
    sql(
        &mut out,
        store::leads::seeded(&lead, &created.to_rfc3339(), &events),
    );
    out
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let deals = arg(&args, "--deals", 60);
    let leads = arg(&args, "--leads", 20);
    // Ids are `o_<prefix>NNNNNN` / `l_<prefix>NNNNNN`, so a batch can be replaced.
    let prefix = args
        .iter()
        .position(|a| a == "--prefix")
        .and_then(|i| args.get(i + 1))
        .filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric()))
        .cloned()
        .unwrap_or_else(|| "demo".into());
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00Z")
        .map(|d| d.to_utc())
        .unwrap_or_default();
    // `--pipeline tender` keeps to one pipeline; `--open` leaves every deal
    // open (the board benchmark: N open deals on one board).
    let pipelines: Vec<Pipeline> = match args
        .iter()
        .position(|a| a == "--pipeline")
        .and_then(|i| args.get(i + 1))
    {
        Some(only) => builtin::pipelines()
            .into_iter()
            .filter(|p| p.id.as_str() == only)
            .collect(),
        None => builtin::pipelines(),
    };
    if pipelines.is_empty() {
        eprintln!("seed: no such pipeline");
        std::process::exit(2);
    }
    let open_only = args.iter().any(|a| a == "--open");
    let policy = GradingPolicy::default();
    let mut rng = Rng(0x5EED_DEA1 ^ deals as u64);
    // Replace an earlier batch with the same prefix. A piece per deal and
    // per lead: SQLite copies the rest of a batch's text at each statement,
    // so `--into` runs them piece by piece.
    let mut first = String::new();
    sql(&mut first, Ok(store::events::delete_seeded(&prefix)));
    let mut pieces = vec![first];
    for n in 0..deals {
        pieces.push(deal(
            &mut rng,
            &format!("o_{prefix}{n:06}"),
            n,
            &pipelines,
            &policy,
            now,
            open_only,
        ));
    }
    for n in 0..leads {
        pieces.push(lead(
            &mut rng,
            &format!("l_{prefix}{n:06}"),
            n,
            &pipelines,
            now,
        ));
    }
    match args
        .iter()
        .position(|a| a == "--into")
        .and_then(|i| args.get(i + 1))
    {
        Some(file) => {
            let written = rusqlite::Connection::open(file).and_then(|db| {
                db.execute_batch("PRAGMA foreign_keys = ON; BEGIN;")?;
                for piece in &pieces {
                    db.execute_batch(piece)?;
                }
                db.execute_batch("COMMIT;")
            });
            if let Err(e) = written {
                eprintln!("seed: {file}: {e}");
                std::process::exit(1);
            }
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for piece in &pieces {
                if let Err(e) = std::io::Write::write_all(&mut out, piece.as_bytes()) {
                    eprintln!("seed: {e}");
                    std::process::exit(1);
                }
            }
            if let Err(e) = std::io::Write::flush(&mut out) {
                eprintln!("seed: {e}");
                std::process::exit(1);
            }
        }
    }
}
