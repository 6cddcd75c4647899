//! `make soak` (and a short run in `make test`), issue #15: `--clients`
//! concurrent clients do realistic mixed work against the real local
//! runtime (`DEALGATE_URL`, started by `tests/with-runtime.sh`) for
//! `--seconds`: create and fill leads, tick their tasks, convert them, edit
//! the deals, tick tasks, staff the team, request and decide approvals,
//! move, win, lose, reopen — and race each other on shared deals (several
//! writes with the same version: at most one wins, the others get 409).
//!
//! Every write the server accepted goes into the client's ledger (record,
//! resulting version, operation, answer, the audit events it must leave).
//! `--restarts` times in the middle the runtime is restarted on the same
//! local state (`$DEALGATE_RESTART`); a write whose answer was lost is
//! resolved by reading the record and its history.
//!
//! At the end every record is read back: its versions in the ledger are
//! contiguous from 1 to the stored version, the stored record equals the
//! answer of its last accepted write, its history holds exactly the events
//! of its accepted writes in order (none of a refused or race-losing write),
//! and no answer was a 5xx.
//!
//! Then the partial-write check (`--partial-writes N` rounds, 0 skips it):
//! conversions and transitions in flight, workerd SIGKILLed
//! (`$DEALGATE_RESTART --kill`), restarted, and the local D1's SQLite file
//! read: no record without its events, no event without its record, each
//! record's state and version what its events say.
//!
//! Exits non-zero on any ledger mismatch, any 5xx or a failed check.

use dealgate_tests::{Session, arg, base_url, percentile, sign_in_as};
use reqwest::Method;
use serde_json::{Value, json};
use shared::checklist::ApprovalStatus;
use shared::gate::{BlockerKind, Target, Transition};
use shared::pipeline::{Approver, FieldKind, Pipeline};
use shared::sample::SplitMix;
use shared::{GradingPolicy, Opportunity, Status};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn num(args: &[String], name: &str, default: u64) -> u64 {
    arg(args, name, &default.to_string())
        .parse()
        .unwrap_or_else(|_| panic!("{name} takes a whole number"))
}

/// How long a client keeps retrying a request the runtime did not take
/// (connection refused while it restarts).
const RETRY_FOR: Duration = Duration::from_secs(120);

/// Which kind of record a write changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Rec {
    Lead,
    Deal,
}

impl Rec {
    fn path(self, id: &str) -> String {
        match self {
            Rec::Lead => format!("/api/leads/{id}"),
            Rec::Deal => format!("/api/opportunities/{id}"),
        }
    }
}

/// A write the server accepted (or that was found to have happened).
#[derive(Debug, Clone)]
struct Write {
    rec: Rec,
    id: String,
    version: u64,
    op: &'static str,
    /// The record as the server answered it (`None`: the answer was the
    /// other record, e.g. a conversion's lead).
    body: Option<Value>,
    /// Patterns of the audit events the write must have left, in order.
    events: Vec<Value>,
    /// Its answer was lost; it was found in the database.
    resolved: bool,
    client: usize,
}

/// A write that did not happen (refused, lost a race, or not found after a
/// lost answer): its unique marker must be nowhere in the record.
#[derive(Debug, Clone)]
struct NotWritten {
    rec: Rec,
    id: String,
    op: &'static str,
    marker: String,
    why: String,
}

/// Latencies and answers per operation.
#[derive(Default)]
struct Stats {
    latency: BTreeMap<&'static str, Vec<Duration>>,
    answers: BTreeMap<(&'static str, String), u64>,
}

impl Stats {
    fn answered(&mut self, op: &'static str, what: String, took: Option<Duration>) {
        *self.answers.entry((op, what)).or_default() += 1;
        if let Some(t) = took {
            self.latency.entry(op).or_default().push(t);
        }
    }

    fn merge(&mut self, other: Stats) {
        for (op, mut v) in other.latency {
            self.latency.entry(op).or_default().append(&mut v);
        }
        for (k, n) in other.answers {
            *self.answers.entry(k).or_default() += n;
        }
    }
}

/// Race rounds: several writes of one record at one version.
#[derive(Default, Debug, Clone, Copy)]
struct Races {
    rounds: u64,
    one_winner: u64,
    no_winner: u64,
    losers_409: u64,
}

/// What one request came back with.
enum Answer {
    /// A status and the body (`null` when empty or not JSON).
    Got(u16, Value),
    /// The request may or may not have reached the server.
    Unknown(String),
}

/// The configuration the clients work by.
#[derive(Clone)]
struct Cfg {
    pipelines: Vec<Pipeline>,
    policy: GradingPolicy,
}

impl Cfg {
    fn pipeline(&self, id: &str) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.id.as_str() == id)
    }
}

/// Everything a client shares with the others.
struct Shared {
    cfg: Cfg,
    race_deals: Vec<String>,
    /// Requests sent and not answered yet, across the clients.
    in_flight: AtomicU64,
}

/// The sessions a client works with.
#[derive(Clone)]
struct Who {
    owner: Session,
    /// The other rep: staffed on the owner's deal teams (decides `legal`).
    other: Session,
    manager: Session,
}

struct Client {
    idx: usize,
    rng: SplitMix,
    who: Who,
    shared: Arc<Shared>,
    deadline: Instant,
    ledger: Vec<Write>,
    not_written: Vec<NotWritten>,
    stats: Stats,
    failures: Vec<String>,
    races: Races,
    next_marker: u64,
    /// Records only this client writes (a 409 on them is a defect).
    mine: BTreeSet<String>,
    run_tag: String,
}

fn summarize(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 600 {
        format!("{}…", &s[..s.floor_char_boundary(600)])
    } else {
        s
    }
}

/// Does `event` carry every key of `pattern` with the same value?
fn matches(event: &Value, pattern: &Value) -> bool {
    match (event, pattern) {
        (Value::Object(e), Value::Object(p)) => p.iter().all(|(k, v)| e.get(k) == Some(v)),
        _ => false,
    }
}

/// Events no write names on its own: they follow from another event.
const FOLLOWING: [&str; 2] = ["regraded", "stage_skipped"];

async fn send(
    s: &Session,
    method: Method,
    path: &str,
    body: &Value,
) -> Result<(u16, Value), reqwest::Error> {
    let r = if method == Method::GET {
        s.get(path).send().await?
    } else {
        s.send_json(method, path, body).send().await?
    };
    let status = r.status().as_u16();
    let text = r.text().await?;
    // Not JSON (e.g. the runtime's own error page): the text, for the report.
    let body = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) if text.is_empty() => Value::Null,
        Err(_) => Value::String(text),
    };
    Ok((status, body))
}

impl Shared {
    fn new(cfg: Cfg, race_deals: Vec<String>) -> Arc<Shared> {
        Arc::new(Shared {
            cfg,
            race_deals,
            in_flight: AtomicU64::new(0),
        })
    }
}

impl Client {
    /// Client `idx` (its own reproducible choices), working until `deadline`.
    fn new(idx: usize, who: Who, shared: Arc<Shared>, deadline: Instant, run_tag: &str) -> Client {
        Client {
            idx,
            rng: SplitMix(idx as u64 * 1_000_003 + 17),
            who,
            shared,
            deadline,
            ledger: vec![],
            not_written: vec![],
            stats: Stats::default(),
            failures: vec![],
            races: Races::default(),
            next_marker: 0,
            mine: BTreeSet::new(),
            run_tag: run_tag.to_string(),
        }
    }

    fn marker(&mut self, what: &str) -> String {
        self.next_marker += 1;
        // Bracketed: no marker is a prefix of another.
        format!(
            "{what} [{}-c{}-{}]",
            self.run_tag, self.idx, self.next_marker
        )
    }

    fn fail(&mut self, what: String) {
        eprintln!("FAILURE (client {}): {what}", self.idx);
        self.failures.push(what);
    }

    /// One request: retried while the runtime refuses connections (it
    /// never got it); `Unknown` when it may have reached the server.
    async fn request(
        &mut self,
        s: &Session,
        op: &'static str,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Answer {
        let started = Instant::now();
        loop {
            let t = Instant::now();
            self.shared.in_flight.fetch_add(1, Ordering::SeqCst);
            let r = send(s, method.clone(), path, body).await;
            self.shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            match r {
                Ok((status, value)) => {
                    let what = match value["code"].as_str() {
                        Some(code) if status >= 400 => format!("{status} {code}"),
                        _ => status.to_string(),
                    };
                    self.stats.answered(op, what, Some(t.elapsed()));
                    if status >= 500 {
                        self.fail(format!(
                            "{status} on {method} {path} {}: {}",
                            summarize(body),
                            summarize(&value)
                        ));
                    }
                    return Answer::Got(status, value);
                }
                Err(e) if e.is_connect() && started.elapsed() < RETRY_FOR => {
                    self.stats.answered(op, "refused-connection".into(), None);
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => {
                    self.stats.answered(op, "no-answer".into(), None);
                    return Answer::Unknown(format!("{method} {path}: {e}"));
                }
            }
        }
    }

    /// A read that must answer 200 (retried through a restart).
    async fn read(&mut self, s: &Session, op: &'static str, path: &str) -> Option<Value> {
        let started = Instant::now();
        loop {
            match self.request(s, op, Method::GET, path, &Value::Null).await {
                Answer::Got(200, v) => return Some(v),
                Answer::Got(status, v) => {
                    self.fail(format!("GET {path}: {status} {}", summarize(&v)));
                    return None;
                }
                Answer::Unknown(_) if started.elapsed() < RETRY_FOR => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Answer::Unknown(e) => {
                    self.fail(format!("no answer for {RETRY_FOR:?}: {e}"));
                    return None;
                }
            }
        }
    }

    async fn history(&mut self, rec: Rec, id: &str) -> Option<Vec<Value>> {
        let manager = self.who.manager.clone();
        let page = self
            .read(
                &manager,
                "read history",
                &format!("{}/history", rec.path(id)),
            )
            .await?;
        page["items"].as_array().cloned()
    }

    /// A write of record `id` at `base` (its version before), by `s`.
    /// Ledgers what was accepted; resolves a lost answer by reading the
    /// record. Answers the record as it now is, when known.
    #[allow(clippy::too_many_arguments)]
    async fn write(
        &mut self,
        s: &Session,
        op: &'static str,
        rec: Rec,
        id: &str,
        base: u64,
        method: Method,
        path: &str,
        body: Value,
        events: Vec<Value>,
        marker: Option<String>,
    ) -> Option<Value> {
        match self.request(s, op, method.clone(), path, &body).await {
            Answer::Got(status, answer) if (200..300).contains(&status) => {
                let version = answer["version"].as_u64().unwrap_or(0);
                if version == base + 1 {
                    self.ledger.push(Write {
                        rec,
                        id: id.to_string(),
                        version,
                        op,
                        body: Some(answer.clone()),
                        events,
                        resolved: false,
                        client: self.idx,
                    });
                } else if version != base || !events.is_empty() {
                    self.fail(format!(
                        "{op}: {method} {path} {} at version {base} answered version {version}: {}",
                        summarize(&body),
                        summarize(&answer)
                    ));
                }
                Some(answer)
            }
            Answer::Got(status, answer) => {
                if status == 409 && self.mine.contains(id) {
                    self.fail(format!(
                        "409 on a record only this client writes: {method} {path} {}: {}",
                        summarize(&body),
                        summarize(&answer)
                    ));
                }
                if let Some(marker) = marker {
                    self.not_written.push(NotWritten {
                        rec,
                        id: id.to_string(),
                        op,
                        marker,
                        why: status.to_string(),
                    });
                }
                // A 409 carries the record as it is now.
                (status == 409 && answer["version"].is_u64()).then_some(answer)
            }
            Answer::Unknown(e) => self.resolve(rec, id, base, op, events, marker, &e).await,
        }
    }

    /// A write whose answer was lost: did it happen? Reads the record (the
    /// runtime may still be restarting) and its history.
    #[allow(clippy::too_many_arguments)]
    async fn resolve(
        &mut self,
        rec: Rec,
        id: &str,
        base: u64,
        op: &'static str,
        events: Vec<Value>,
        marker: Option<String>,
        error: &str,
    ) -> Option<Value> {
        let manager = self.who.manager.clone();
        let now = self.read(&manager, "read", &rec.path(id)).await?;
        let version = now["version"].as_u64().unwrap_or(0);
        let history = self.history(rec, id).await?;
        let found = |pattern: &Value| history.iter().any(|e| matches(e, pattern));
        let ours_there = !events.is_empty() && events.iter().all(found);
        let race = self.shared.race_deals.iter().any(|r| r == id);
        let happened_at = if race {
            // A race deal's writes after its conversion are one event
            // each: the n-th event of its history is version n's.
            events
                .first()
                .and_then(|p| history.iter().position(|e| matches(e, p)).map(|i| i as u64))
        } else if version == base + 1 && ours_there {
            Some(version)
        } else if version == base {
            None
        } else {
            self.fail(format!(
                "{op} on {id} at version {base} lost its answer ({error}); the record is at version \
                 {version}, our events there: {ours_there}"
            ));
            return Some(now);
        };
        match happened_at {
            Some(v) => {
                self.stats.answered(op, "resolved: happened".into(), None);
                self.ledger.push(Write {
                    rec,
                    id: id.to_string(),
                    version: v,
                    op,
                    body: (v == version).then(|| now.clone()),
                    events,
                    resolved: true,
                    client: self.idx,
                });
            }
            None => {
                self.stats
                    .answered(op, "resolved: did not happen".into(), None);
                if let Some(marker) = marker {
                    self.not_written.push(NotWritten {
                        rec,
                        id: id.to_string(),
                        op,
                        marker,
                        why: format!("lost answer ({error}), not found"),
                    });
                }
            }
        }
        Some(now)
    }

    // ---- leads -------------------------------------------------------

    /// A new lead, filled and its tasks ticked (or not, now and then):
    /// answers the lead when it is ready to convert.
    async fn new_lead(&mut self, pipeline: &str) -> Option<Value> {
        let title = self.marker("soak lead");
        let body = json!({"title": title, "customer": format!("客户 {}", self.rng.below(40)),
            "contact": {"name": "张伟", "phone": "138 0013 8000"}, "pipeline": pipeline});
        let owner = self.who.owner.clone();
        let lead = match self
            .request(&owner, "create lead", Method::POST, "/api/leads", &body)
            .await
        {
            Answer::Got(201, lead) => lead,
            Answer::Got(status, answer) => {
                self.fail(format!("create lead: {status} {}", summarize(&answer)));
                return None;
            }
            Answer::Unknown(e) => {
                // Find it by its unique title.
                let token = title
                    .split('[')
                    .nth(1)
                    .unwrap_or_default()
                    .trim_end_matches(']');
                let q = format!("/api/leads?q={token}");
                let page = self.read(&owner, "read", &q).await?;
                let found = page["items"]
                    .as_array()
                    .and_then(|a| a.iter().find(|l| l["title"] == title.as_str()).cloned());
                let Some(lead) = found else {
                    self.stats
                        .answered("create lead", "resolved: did not happen".into(), None);
                    return None;
                };
                self.stats
                    .answered("create lead", "resolved: happened".into(), None);
                let _ = e;
                lead
            }
        };
        let id = lead["id"].as_str().unwrap_or_default().to_string();
        self.mine.insert(id.clone());
        self.ledger.push(Write {
            rec: Rec::Lead,
            id: id.clone(),
            version: 1,
            op: "create lead",
            body: Some(lead.clone()),
            events: vec![json!({"kind": "created"})],
            resolved: false,
            client: self.idx,
        });
        let stage1 = self.shared.cfg.pipeline(pipeline)?.first()?.clone();
        let mut lead = lead;
        // Fields: a unique summary, the other required values.
        let mut fields = serde_json::Map::new();
        let mut events = Vec::new();
        let mut marker = None;
        for f in &stage1.required_fields {
            let value = if matches!(f.kind, FieldKind::Text | FieldKind::LongText) {
                let m = self.marker("需求");
                marker = Some(m.clone());
                Value::String(m)
            } else {
                shared::sample::field_value(f)
            };
            if lead["fields"][f.key.as_str()] != value {
                events.push(json!({"kind": "field_set", "key": f.key.as_str(), "value": value}));
            }
            fields.insert(f.key.to_string(), value);
        }
        let v = lead["version"].as_u64().unwrap_or(0);
        lead = self
            .write(
                &owner,
                "fill lead",
                Rec::Lead,
                &id,
                v,
                Method::PATCH,
                &format!("/api/leads/{id}"),
                json!({"version": v, "fields": fields}),
                events,
                marker,
            )
            .await?;
        if self.rng.chance(10) {
            return None; // left for later, as real leads are
        }
        for t in &stage1.required_tasks {
            let v = lead["version"].as_u64().unwrap_or(0);
            let note = self.marker("已确认");
            lead = self
                .write(
                    &owner,
                    "tick lead task",
                    Rec::Lead,
                    &id,
                    v,
                    Method::POST,
                    &format!("/api/leads/{id}/tasks/{}", t.key),
                    json!({"done": true, "note": note, "version": v}),
                    vec![json!({"kind": "task_changed", "key": t.key.as_str(), "done": true, "note": note})],
                    Some(note),
                )
                .await?;
        }
        Some(lead)
    }

    /// Converts a ready lead; answers the new deal.
    async fn convert(&mut self, lead: &Value) -> Option<Value> {
        let id = lead["id"].as_str().unwrap_or_default().to_string();
        let v = lead["version"].as_u64().unwrap_or(0);
        // Grades: mostly C and D (fast track), some B and A (every stage).
        let amount: i64 = match self.rng.below(10) {
            0 => 600_000_000,
            1 | 2 => 200_000_000,
            3..=6 => 50_000_000,
            _ => 10_000_000,
        };
        let body = json!({"lead_by": "us", "amount": amount, "expected_close": "2027-06-30", "version": v});
        let owner = self.who.owner.clone();
        let path = format!("/api/leads/{id}/convert");
        let deal = match self
            .request(&owner, "convert", Method::POST, &path, &body)
            .await
        {
            Answer::Got(201, deal) => deal,
            Answer::Got(status, answer) => {
                if status == 409 || status >= 500 {
                    self.fail(format!(
                        "convert {id} at {v}: {status} {}",
                        summarize(&answer)
                    ));
                }
                return None;
            }
            Answer::Unknown(e) => {
                let manager = self.who.manager.clone();
                let now = self.read(&manager, "read", &Rec::Lead.path(&id)).await?;
                let converted =
                    now["status"] == "converted" && now["version"].as_u64() == Some(v + 1);
                if !converted {
                    if now["version"].as_u64() != Some(v) {
                        self.fail(format!(
                            "convert {id} lost its answer ({e}); the lead is now {}",
                            summarize(&now)
                        ));
                    }
                    self.stats
                        .answered("convert", "resolved: did not happen".into(), None);
                    return None;
                }
                self.stats
                    .answered("convert", "resolved: happened".into(), None);
                let deal_id = now["opportunity_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                self.read(&manager, "read", &Rec::Deal.path(&deal_id))
                    .await?
            }
        };
        let deal_id = deal["id"].as_str().unwrap_or_default().to_string();
        self.mine.insert(deal_id.clone());
        let converted = json!({"kind": "converted", "lead_id": id, "opportunity_id": deal_id});
        self.ledger.push(Write {
            rec: Rec::Lead,
            id,
            version: v + 1,
            op: "convert",
            body: None,
            events: vec![converted.clone()],
            resolved: false,
            client: self.idx,
        });
        self.ledger.push(Write {
            rec: Rec::Deal,
            id: deal_id,
            version: 1,
            op: "convert",
            body: Some(deal.clone()),
            events: vec![converted, json!({"kind": "created"})],
            resolved: false,
            client: self.idx,
        });
        Some(deal)
    }

    // ---- deals -------------------------------------------------------

    /// One step of work on a deal; answers the deal as it now is, `None`
    /// when the client is done with it.
    async fn deal_step(&mut self, deal: Value) -> Option<Value> {
        let opp: Opportunity = match serde_json::from_value(deal.clone()) {
            Ok(o) => o,
            Err(e) => {
                self.fail(format!(
                    "a deal that is no Opportunity ({e}): {}",
                    summarize(&deal)
                ));
                return None;
            }
        };
        let id = opp.id.clone();
        let v = opp.version;
        let path = format!("/api/opportunities/{id}");
        let owner = self.who.owner.clone();
        let manager = self.who.manager.clone();
        match opp.status {
            Status::Won => return None,
            Status::Lost => {
                if !self.rng.chance(40) {
                    return None;
                }
                let reason = self.marker("重新跟进");
                return self
                    .write(
                        &manager,
                        "reopen",
                        Rec::Deal,
                        &id,
                        v,
                        Method::POST,
                        &format!("{path}/transition"),
                        json!({"to": "reopen", "reason": reason, "version": v}),
                        vec![json!({"kind": "reopened", "reason": reason})],
                        Some(reason),
                    )
                    .await;
            }
            Status::Open => {}
        }
        let cfg = &self.shared.cfg;
        let pipeline = cfg.pipeline(opp.pipeline.as_str())?.clone();
        let policy = cfg.policy;
        let here = pipeline.index_of(opp.stage.as_str())?;
        let roll = self.rng.below(100);
        if roll < 4 {
            let reason = self.marker("预算取消");
            return self
                .write(
                    &owner,
                    "lose",
                    Rec::Deal,
                    &id,
                    v,
                    Method::POST,
                    &format!("{path}/transition"),
                    json!({"to": "lost", "lost": {"reason": reason, "competitor": "ACME"}, "version": v}),
                    vec![json!({"kind": "lost", "reason": reason})],
                    Some(reason),
                )
                .await;
        }
        if roll < 8 && here > 1 {
            let to = pipeline.stages[here - 1].key.clone();
            let reason = self.marker("客户需求变化");
            return self
                .write(
                    &owner,
                    "move back",
                    Rec::Deal,
                    &id,
                    v,
                    Method::POST,
                    &format!("{path}/transition"),
                    json!({"to": to.as_str(), "reason": reason, "version": v}),
                    vec![json!({"kind": "moved_back", "to": to.as_str(), "reason": reason})],
                    Some(reason),
                )
                .await;
        }
        if roll < 20 {
            // An edit besides the gate's needs: a fresh decision chain, a
            // new name now and then.
            let chain = self.marker("决策链");
            let mut body = json!({"version": v, "fields": {"decision_chain": chain}});
            let mut events =
                vec![json!({"kind": "field_set", "key": "decision_chain", "value": chain})];
            if self.rng.chance(30) {
                body["name"] = Value::String(self.marker("soak deal"));
                events.insert(0, json!({"kind": "updated"}));
            }
            return self
                .write(
                    &owner,
                    "edit deal",
                    Rec::Deal,
                    &id,
                    v,
                    Method::PATCH,
                    &path,
                    body,
                    events,
                    Some(chain),
                )
                .await;
        }
        if roll < 24 && !opp.team.iter().any(|m| m.role.as_str() == "delivery") {
            return self.staff(&opp, "delivery").await;
        }
        // Work toward the next stage: the first unmet requirement, else the move.
        let track_skips = opp.grade.effective.track().may_skip();
        let target = if track_skips && here + 1 < pipeline.stages.len() && self.rng.chance(30) {
            Target::Stage(pipeline.stages[pipeline.stages.len() - 1].key.clone())
        } else {
            shared::gate::advance_target(&opp, &pipeline)?
        };
        let verdict =
            shared::gate::check(&opp, &pipeline, &policy, &Transition::to(target.clone()));
        let stage = pipeline.stages.get(here)?.clone();
        for b in &verdict.blockers {
            let Some(key) = b.key.as_ref().map(|k| k.as_str().to_string()) else {
                continue;
            };
            match b.kind {
                BlockerKind::Field => {
                    let f = pipeline
                        .stages
                        .iter()
                        .flat_map(|s| &s.required_fields)
                        .find(|f| f.key.as_str() == key)?
                        .clone();
                    let (value, marker) = if matches!(f.kind, FieldKind::Text | FieldKind::LongText)
                    {
                        let m = self.marker(&f.label.en);
                        (Value::String(m.clone()), Some(m))
                    } else {
                        (shared::sample::field_value(&f), None)
                    };
                    return self
                        .write(
                            &owner,
                            "fill deal field",
                            Rec::Deal,
                            &id,
                            v,
                            Method::PATCH,
                            &path,
                            json!({"version": v, "fields": {key.clone(): value}}),
                            vec![json!({"kind": "field_set", "key": key, "value": value})],
                            marker,
                        )
                        .await;
                }
                BlockerKind::Task => {
                    let note = self.marker("完成");
                    return self
                        .write(
                            &owner,
                            "tick deal task",
                            Rec::Deal,
                            &id,
                            v,
                            Method::POST,
                            &format!("{path}/tasks/{key}"),
                            json!({"done": true, "note": note, "version": v}),
                            vec![json!({"kind": "task_changed", "key": key, "done": true, "note": note})],
                            Some(note),
                        )
                        .await;
                }
                BlockerKind::Role => return self.staff(&opp, &key).await,
                BlockerKind::Approval => {
                    let pending = opp
                        .approvals
                        .get(&key)
                        .is_some_and(|a| a.status == ApprovalStatus::Pending);
                    if !pending {
                        return self
                            .write(
                                &owner,
                                "request approval",
                                Rec::Deal,
                                &id,
                                v,
                                Method::POST,
                                &format!("{path}/approvals/{key}/request"),
                                json!({"version": v}),
                                vec![json!({"kind": "approval_requested", "key": key})],
                                None,
                            )
                            .await;
                    }
                    let approver = match stage
                        .processes
                        .iter()
                        .chain(pipeline.stages.iter().flat_map(|s| &s.processes))
                        .find(|p| p.key.as_str() == key)
                        .map(|p| &p.approver)
                    {
                        Some(Approver::TeamRole(role)) => {
                            // Whoever holds the role decides: staff it first.
                            if !opp.team.iter().any(|m| m.role == *role) {
                                let role = role.as_str().to_string();
                                return self.staff(&opp, &role).await;
                            }
                            self.who.other.clone()
                        }
                        _ => manager.clone(),
                    };
                    let approve = self.rng.chance(85);
                    let comment = self.marker(if approve { "同意" } else { "请补充" });
                    return self
                        .write(
                            &approver,
                            "decide approval",
                            Rec::Deal,
                            &id,
                            v,
                            Method::POST,
                            &format!("{path}/approvals/{key}/decide"),
                            json!({"approve": approve, "comment": comment}),
                            vec![json!({"kind": "approval_decided", "key": key, "approved": approve, "comment": comment})],
                            Some(comment),
                        )
                        .await;
                }
                _ => {}
            }
        }
        if !verdict.allowed {
            // Only structural blockers left (e.g. a jump not allowed): stop here.
            return None;
        }
        match target {
            Target::Won => {
                let contract = json!({"number": opp.fields.get("contract_number"),
                    "amount": opp.fields.get("contract_amount"), "signed_on": opp.fields.get("signed_on")});
                self.write(
                    &owner,
                    "win",
                    Rec::Deal,
                    &id,
                    v,
                    Method::POST,
                    &format!("{path}/transition"),
                    json!({"to": "won", "contract": contract, "version": v}),
                    vec![json!({"kind": "won"})],
                    None,
                )
                .await
            }
            Target::Stage(to) => {
                self.write(
                    &owner,
                    "advance",
                    Rec::Deal,
                    &id,
                    v,
                    Method::POST,
                    &format!("{path}/transition"),
                    json!({"to": to.as_str(), "version": v}),
                    vec![json!({"kind": "stage_advanced", "to": to.as_str()})],
                    None,
                )
                .await
            }
            _ => None,
        }
    }

    /// Staffs `role` with the other rep (keeping the team as it is).
    async fn staff(&mut self, opp: &Opportunity, role: &str) -> Option<Value> {
        let mut members: Vec<Value> = opp
            .team
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "user_id": m.user_id}))
            .collect();
        members.push(json!({"role": role, "user_id": self.who.other.me.id}));
        let owner = self.who.owner.clone();
        self.write(
            &owner,
            "staff team",
            Rec::Deal,
            &opp.id,
            opp.version,
            Method::PUT,
            &format!("/api/opportunities/{}/team", opp.id),
            json!({"members": members, "version": opp.version}),
            vec![json!({"kind": "team_changed"})],
            None,
        )
        .await
    }

    /// A race: three writers (owner, manager, the other rep) patch one
    /// shared deal at the version just read, at once.
    async fn race(&mut self) {
        let deals = &self.shared.race_deals;
        if deals.is_empty() {
            return;
        }
        let id = deals[self.rng.index(deals.len())].clone();
        let path = format!("/api/opportunities/{id}");
        let manager = self.who.manager.clone();
        let Some(now) = self.read(&manager, "read", &path).await else {
            return;
        };
        let v = now["version"].as_u64().unwrap_or(0);
        let writers = [
            self.who.owner.clone(),
            self.who.manager.clone(),
            self.who.other.clone(),
        ];
        let mut sent = Vec::new();
        for s in writers {
            let value = self.marker("竞品");
            let body = json!({"version": v, "fields": {"competitors": value}});
            sent.push((s, value, body));
        }
        let answers = futures_join(sent.iter().map(|(s, _, body)| {
            let s = s.clone();
            let path = path.clone();
            let body = body.clone();
            async move {
                let t = Instant::now();
                let r = send(&s, Method::PATCH, &path, &body).await;
                (r, t.elapsed())
            }
        }))
        .await;
        self.races.rounds += 1;
        let mut winners = 0;
        for ((_, value, body), (r, took)) in sent.into_iter().zip(answers) {
            let event = json!({"kind": "field_set", "key": "competitors", "value": value});
            match r {
                Ok((status, answer)) => {
                    self.stats
                        .answered("race edit", status.to_string(), Some(took));
                    if (200..300).contains(&status) && answer["version"].as_u64() == Some(v + 1) {
                        winners += 1;
                        self.ledger.push(Write {
                            rec: Rec::Deal,
                            id: id.clone(),
                            version: v + 1,
                            op: "race edit",
                            body: Some(answer),
                            events: vec![event],
                            resolved: false,
                            client: self.idx,
                        });
                    } else if status == 409 {
                        self.races.losers_409 += 1;
                        self.not_written.push(NotWritten {
                            rec: Rec::Deal,
                            id: id.clone(),
                            op: "race edit",
                            marker: value,
                            why: "409".into(),
                        });
                    } else {
                        self.fail(format!(
                            "race edit of {id} at {v}: {status} {} for {}",
                            summarize(&answer),
                            summarize(&body)
                        ));
                    }
                }
                Err(e) => {
                    self.stats.answered("race edit", "no-answer".into(), None);
                    self.resolve(
                        Rec::Deal,
                        &id,
                        v,
                        "race edit",
                        vec![event],
                        Some(value),
                        &e.to_string(),
                    )
                    .await;
                }
            }
        }
        match winners {
            0 => self.races.no_winner += 1,
            1 => self.races.one_winner += 1,
            n => self.fail(format!("{n} writes of {id} at version {v} all won")),
        }
    }

    /// The client's work until the deadline.
    async fn run(mut self) -> Self {
        let pipelines = ["tender", "direct"];
        let mut lead: Option<Value> = None;
        let mut deal: Option<Value> = None;
        let mut steps = 0;
        while Instant::now() < self.deadline {
            if self.rng.chance(8) {
                self.race().await;
                continue;
            }
            if let Some(d) = deal.take() {
                steps += 1;
                let id = d["id"].as_str().unwrap_or_default().to_string();
                deal = if steps > 80 {
                    None
                } else {
                    self.deal_step(d).await
                };
                // After a refusal, work on from the record as stored.
                if deal.is_none() && steps <= 80 && self.rng.chance(50) {
                    let manager = self.who.manager.clone();
                    deal = self
                        .read(&manager, "read", &Rec::Deal.path(&id))
                        .await
                        .filter(|d| d["status"] == "open");
                }
                continue;
            }
            if let Some(l) = lead.take() {
                deal = self.convert(&l).await;
                steps = 0;
                continue;
            }
            let p = pipelines[self.rng.index(pipelines.len())];
            lead = self.new_lead(p).await;
            if self.rng.chance(20) {
                // A list view now and then, as people browse.
                let owner = self.who.owner.clone();
                let _ = self
                    .read(&owner, "list deals", "/api/opportunities?limit=50")
                    .await;
            }
        }
        self
    }
}

/// Joins futures without another dependency.
async fn futures_join<F: std::future::Future + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("a request task"));
    }
    out
}

/// The HTTP status an answer's label starts with (`"409 stale"` -> 409).
fn status_of(what: &str) -> Option<u16> {
    what.split(' ').next()?.parse().ok()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `$DEALGATE_RESTART [--kill]`; answers how long it took.
async fn restart(kill: bool) -> Result<Duration, String> {
    let script = std::env::var("DEALGATE_RESTART")
        .map_err(|_| "DEALGATE_RESTART is not set: run under tests/with-runtime.sh".to_string())?;
    let t = Instant::now();
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg(&script);
    if kill {
        cmd.arg("--kill");
    }
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| format!("run {script}: {e}"))?;
    let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if !out.status.success() {
        return Err(format!("{script} failed: {said}"));
    }
    for line in said.lines() {
        println!("  {line}");
    }
    Ok(t.elapsed())
}

/// Every record the ledger names is read back and compared.
async fn verify(
    manager: &Session,
    ledger: &[Write],
    not_written: &[NotWritten],
    failures: &mut Vec<String>,
) -> (u64, u64) {
    let mut by_record: BTreeMap<(Rec, String), Vec<&Write>> = BTreeMap::new();
    for w in ledger {
        by_record.entry((w.rec, w.id.clone())).or_default().push(w);
    }
    let mut absent: BTreeMap<(Rec, String), Vec<&NotWritten>> = BTreeMap::new();
    for n in not_written {
        absent.entry((n.rec, n.id.clone())).or_default().push(n);
    }
    let mut mismatches = 0;
    let mut events_checked = 0;
    let mut mismatch = |failures: &mut Vec<String>, what: String| {
        eprintln!("LEDGER MISMATCH: {what}");
        failures.push(what);
        mismatches += 1;
    };
    for ((rec, id), mut writes) in by_record {
        writes.sort_by_key(|w| w.version);
        let path = rec.path(&id);
        let (status, stored) = match send(manager, Method::GET, &path, &Value::Null).await {
            Ok(r) => r,
            Err(e) => {
                mismatch(failures, format!("GET {path}: {e}"));
                continue;
            }
        };
        if status != 200 {
            mismatch(
                failures,
                format!("GET {path}: {status} {}", summarize(&stored)),
            );
            continue;
        }
        // Contiguous: 1, 2, … n, each once.
        let versions: Vec<u64> = writes.iter().map(|w| w.version).collect();
        let expected: Vec<u64> = (1..=versions.len() as u64).collect();
        if versions != expected {
            mismatch(
                failures,
                format!(
                    "{path}: accepted versions {versions:?} are not 1..={}",
                    versions.len()
                ),
            );
        }
        let last = writes.last().map_or(0, |w| w.version);
        if stored["version"].as_u64() != Some(last) {
            mismatch(
                failures,
                format!(
                    "{path}: stored version {} but the last accepted write made {last}",
                    stored["version"]
                ),
            );
        } else if let Some(body) = writes.last().and_then(|w| w.body.as_ref())
            && *body != stored
        {
            mismatch(
                failures,
                format!(
                    "{path}: stored {} differs from the last accepted answer {}",
                    summarize(&stored),
                    summarize(body)
                ),
            );
        }
        let history = match send(
            manager,
            Method::GET,
            &format!("{path}/history"),
            &Value::Null,
        )
        .await
        {
            Ok((200, page)) => page["items"].as_array().cloned().unwrap_or_default(),
            other => {
                mismatch(
                    failures,
                    format!("GET {path}/history: {:?}", other.map(|(s, _)| s)),
                );
                continue;
            }
        };
        // The events of the accepted writes, in version order, each once.
        // A write's own events may come in any order (e.g. its fields by
        // key), after the previous write's.
        let mut used = vec![false; history.len()];
        let mut from = 0;
        for w in &writes {
            let mut last = from;
            for pattern in &w.events {
                match (from..history.len()).find(|&i| !used[i] && matches(&history[i], pattern)) {
                    Some(i) => {
                        used[i] = true;
                        last = last.max(i + 1);
                        events_checked += 1;
                    }
                    None => mismatch(
                        failures,
                        format!(
                            "{path}: version {} ({}, client {}{}) has no event {pattern} in its history",
                            w.version,
                            w.op,
                            w.client,
                            if w.resolved {
                                ", resolved after a lost answer"
                            } else {
                                ""
                            }
                        ),
                    ),
                }
            }
            from = last;
        }
        for (i, e) in history.iter().enumerate() {
            let kind = e["kind"].as_str().unwrap_or_default();
            if !used[i] && !FOLLOWING.contains(&kind) {
                mismatch(
                    failures,
                    format!("{path}: event {} is no accepted write's", summarize(e)),
                );
            }
        }
        let text = format!("{stored}{}", Value::Array(history.clone()));
        for n in absent.get(&(rec, id.clone())).into_iter().flatten() {
            if text.contains(&n.marker) {
                mismatch(
                    failures,
                    format!(
                        "{path}: a {} that was not written ({}) is there: {}",
                        n.op, n.why, n.marker
                    ),
                );
            }
        }
    }
    (mismatches, events_checked)
}

// ---- partial writes ------------------------------------------------

/// The local D1's SQLite file (the one with the events table).
fn d1_file() -> Result<std::path::PathBuf, String> {
    let state =
        std::env::var("DEALGATE_STATE").map_err(|_| "DEALGATE_STATE is not set".to_string())?;
    let dir = std::path::Path::new(&state).join("v3/d1/miniflare-D1DatabaseObject");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "sqlite")
            && let Ok(db) = open(&p)
            && db
                .query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE name = 'events'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .is_ok_and(|n| n == 1)
        {
            return Ok(p);
        }
    }
    Err(format!(
        "no D1 database with an events table under {}",
        dir.display()
    ))
}

fn open(p: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    rusqlite::Connection::open_with_flags(
        p,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// A record's row and its events, from the database.
#[derive(Debug, Clone, Default)]
struct Stored {
    version: u64,
    status: String,
    stage: String,
    lead_id: Option<String>,
    opportunity_id: Option<String>,
    events: Vec<Value>,
}

/// Every lead and deal with its events, and the events whose record is missing.
type Snapshot = (BTreeMap<(Rec, String), Stored>, Vec<(String, String)>);

fn snapshot(path: &std::path::Path) -> rusqlite::Result<Snapshot> {
    let db = open(path)?;
    // One read transaction: a consistent view even if a write lands.
    db.execute_batch("BEGIN")?;
    let mut out: BTreeMap<(Rec, String), Stored> = BTreeMap::new();
    // Read-only, from outside the server on purpose: the check must not
    // trust the code it checks. Fixed statements, nothing built from input.
    for (rec, sql) in [
        (Rec::Lead, "SELECT id, version, doc FROM leads"),
        (Rec::Deal, "SELECT id, version, doc FROM opportunities"),
    ] {
        let mut q = db.prepare(sql)?;
        let rows = q.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (id, version, doc) = row?;
            let doc: Value = serde_json::from_str(&doc).unwrap_or(Value::Null);
            out.insert(
                (rec, id),
                Stored {
                    version: version as u64,
                    status: doc["status"].as_str().unwrap_or_default().to_string(),
                    stage: doc["stage"].as_str().unwrap_or_default().to_string(),
                    lead_id: doc["lead_id"].as_str().map(String::from),
                    opportunity_id: doc["opportunity_id"].as_str().map(String::from),
                    events: vec![],
                },
            );
        }
    }
    let mut orphans = Vec::new();
    let mut q = db.prepare("SELECT entity_type, entity_id, event FROM events ORDER BY seq")?;
    let rows = q.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (kind, id, event) = row?;
        let rec = if kind == "lead" { Rec::Lead } else { Rec::Deal };
        let event: Value = serde_json::from_str(&event).unwrap_or(Value::Null);
        match out.get_mut(&(rec, id.clone())) {
            Some(s) => s.events.push(event),
            None => orphans.push((kind, id)),
        }
    }
    db.execute_batch("COMMIT")?;
    Ok((out, orphans))
}

/// The whole database's invariants: no record without events, no event
/// without its record, each record's state what its events say. Answers
/// (records checked, events checked, problems).
fn check_database(snap: &Snapshot) -> (usize, usize, Vec<String>) {
    let (records, orphans) = snap;
    let mut problems = Vec::new();
    let mut events = orphans.len();
    for (kind, id) in orphans {
        problems.push(format!("an event of {kind} {id}, which does not exist"));
    }
    for ((rec, id), s) in records {
        events += s.events.len();
        let kinds: Vec<&str> = s
            .events
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default())
            .collect();
        if s.events.is_empty() {
            problems.push(format!(
                "{rec:?} {id} (version {}) has no events",
                s.version
            ));
            continue;
        }
        // Every write leaves at least one event.
        if (s.events.len() as u64) < s.version {
            problems.push(format!(
                "{rec:?} {id} is at version {} with only {} events: {kinds:?}",
                s.version,
                s.events.len()
            ));
        }
        match rec {
            Rec::Lead => {
                let converted: Vec<&Value> = s
                    .events
                    .iter()
                    .filter(|e| e["kind"] == "converted")
                    .collect();
                let says_converted = !converted.is_empty();
                if (s.status == "converted") != says_converted || converted.len() > 1 {
                    problems.push(format!(
                        "lead {id} is {} but its events are {kinds:?}",
                        s.status
                    ));
                }
                if let Some(c) = converted.first() {
                    let deal = c["opportunity_id"].as_str().unwrap_or_default();
                    match records.get(&(Rec::Deal, deal.to_string())) {
                        Some(d) if d.lead_id.as_deref() == Some(id.as_str()) => {}
                        _ => problems.push(format!(
                            "lead {id} was converted to {deal}, which is not stored as its deal"
                        )),
                    }
                    if s.opportunity_id.as_deref() != Some(deal) {
                        problems.push(format!(
                            "lead {id} names deal {:?}, its event {deal}",
                            s.opportunity_id
                        ));
                    }
                }
            }
            Rec::Deal => {
                // Status: the last close or reopen; stage: the last move.
                let mut status = "open";
                let mut stage = None;
                for e in &s.events {
                    match e["kind"].as_str().unwrap_or_default() {
                        "won" => status = "won",
                        "lost" => status = "lost",
                        "reopened" => status = "open",
                        "created" => stage = e["stage"].as_str(),
                        "stage_advanced" | "moved_back" => stage = e["to"].as_str(),
                        _ => {}
                    }
                }
                if s.status != status || stage.is_some_and(|st| st != s.stage) || stage.is_none() {
                    problems.push(format!(
                        "deal {id} is {} in {} but its events say {status} in {stage:?}: {kinds:?}",
                        s.status, s.stage
                    ));
                }
                if let Some(lead) = &s.lead_id
                    && kinds.first() == Some(&"converted")
                {
                    match records.get(&(Rec::Lead, lead.clone())) {
                        Some(l) if l.opportunity_id.as_deref() == Some(id.as_str()) => {}
                        _ => problems.push(format!(
                            "deal {id} came from lead {lead}, which does not name it"
                        )),
                    }
                }
            }
        }
    }
    (records.len(), events, problems)
}

/// One partial-write round: conversions and transitions in flight,
/// workerd SIGKILLed, restarted; then the database is read. Answers the
/// problems found.
/// A write sent while the runtime is being killed: its answer when it got
/// the status `wanted`; otherwise `None`, an unexpected answer noted in
/// `odd` and a lost one counted in `unanswered` (a refused connection was
/// never taken: the runtime was already down).
fn settle_kill_answer(
    sent: Result<(u16, Value), reqwest::Error>,
    wanted: u16,
    id: &str,
    body: &Value,
    odd: &std::sync::Mutex<Vec<String>>,
    unanswered: &AtomicU64,
) -> Option<Value> {
    match sent {
        Ok((status, answer)) if status == wanted => Some(answer),
        Ok((status, answer)) => {
            odd.lock().expect("odd").push(format!(
                "{id}: {status} {} for {}",
                summarize(&answer),
                summarize(body)
            ));
            None
        }
        Err(e) if e.is_connect() => None,
        Err(_) => {
            unanswered.fetch_add(1, Ordering::SeqCst);
            None
        }
    }
}

async fn partial_writes(round: u64, who: &Who, cfg: &Arc<Shared>, tag: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let Ok(file) = d1_file() else {
        return vec![format!(
            "partial writes: {}",
            d1_file().err().unwrap_or_default()
        )];
    };
    println!("partial writes, round {round}: preparing leads and deals");
    // Ready leads (to convert) and open deals (to lose and reopen).
    let mut prep = Client::new(
        1000 + round as usize,
        who.clone(),
        cfg.clone(),
        Instant::now(),
        tag,
    );
    let mut leads = Vec::new();
    let mut deals = Vec::new();
    while leads.len() < 40 {
        if let Some(l) = prep.new_lead("tender").await {
            leads.push(l);
        }
    }
    while deals.len() < 16 {
        if let Some(l) = prep.new_lead("direct").await
            && let Some(d) = prep.convert(&l).await
        {
            deals.push(d);
        }
    }
    problems.extend(prep.failures);
    let ids: BTreeSet<(Rec, String)> = leads
        .iter()
        .map(|l| (Rec::Lead, l["id"].as_str().unwrap_or_default().to_string()))
        .chain(
            deals
                .iter()
                .map(|d| (Rec::Deal, d["id"].as_str().unwrap_or_default().to_string())),
        )
        .collect();
    let before = match snapshot(&file) {
        Ok(s) => s.0,
        Err(e) => return vec![format!("read {}: {e}", file.display())],
    };
    // Fire: a worker per deal (lose, reopen, lose, …) and four converting leads.
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<std::sync::Mutex<Vec<(Rec, String, u64)>>> = Arc::default();
    let unanswered = Arc::new(AtomicU64::new(0));
    // Answers no worker expected (a 5xx above all).
    let odd: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for (i, d) in deals.iter().enumerate() {
        let (owner, manager) = (who.owner.clone(), who.manager.clone());
        let (stop, acked, unanswered, odd) =
            (stop.clone(), acked.clone(), unanswered.clone(), odd.clone());
        let id = d["id"].as_str().unwrap_or_default().to_string();
        let mut v = d["version"].as_u64().unwrap_or(0);
        let mut open = true;
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let (s, body) = if open {
                    (&owner, json!({"to": "lost", "lost": {"reason": format!("kill {i}-{n}")}, "version": v}))
                } else {
                    (&manager, json!({"to": "reopen", "reason": format!("kill {i}-{n}"), "version": v}))
                };
                let sent = send(s, Method::POST, &format!("/api/opportunities/{id}/transition"), &body).await;
                let Some(answer) = settle_kill_answer(sent, 200, &id, &body, &odd, &unanswered) else {
                    return;
                };
                v = answer["version"].as_u64().unwrap_or(v);
                open = !open;
                acked.lock().expect("acked").push((Rec::Deal, id.clone(), v));
            }
        }));
    }
    let queue = Arc::new(std::sync::Mutex::new(leads.clone()));
    for _ in 0..4 {
        let owner = who.owner.clone();
        let (stop, acked, unanswered, queue, odd) = (
            stop.clone(),
            acked.clone(),
            unanswered.clone(),
            queue.clone(),
            odd.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let Some(l) = queue.lock().expect("queue").pop() else { return };
                let id = l["id"].as_str().unwrap_or_default().to_string();
                let v = l["version"].as_u64().unwrap_or(0);
                let body = json!({"lead_by": "us", "amount": 50_000_000, "expected_close": "2027-06-30", "version": v});
                let sent = send(&owner, Method::POST, &format!("/api/leads/{id}/convert"), &body).await;
                if settle_kill_answer(sent, 201, &id, &body, &odd, &unanswered).is_none() {
                    return;
                }
                acked.lock().expect("acked").push((Rec::Lead, id, v + 1));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let took = restart(true).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        let _ = t.await;
    }
    match took {
        Ok(t) => println!("  killed and restarted in {:.1} s", t.as_secs_f64()),
        Err(e) => return vec![e],
    }
    let acked = acked.lock().expect("acked").clone();
    problems.extend(
        odd.lock()
            .expect("odd")
            .iter()
            .map(|o| format!("an answer no worker expected: {o}")),
    );
    let after = match snapshot(&file) {
        Ok(s) => s,
        Err(e) => return vec![format!("read {}: {e}", file.display())],
    };
    // This round's records: each write one event, the version one per write.
    let mut phase_records = 0;
    for key in &ids {
        let (Some(b), Some(a)) = (before.get(key), after.0.get(key)) else {
            problems.push(format!("{key:?} is missing after the kill"));
            continue;
        };
        phase_records += 1;
        let writes = a.version.saturating_sub(b.version);
        let new_events = a.events.len().saturating_sub(b.events.len()) as u64;
        if a.version < b.version
            || a.events.len() < b.events.len()
            || writes != new_events
            || a.events[..b.events.len()] != b.events[..]
        {
            problems.push(format!(
                "{key:?}: version {} -> {} but events {} -> {}",
                b.version,
                a.version,
                b.events.len(),
                a.events.len()
            ));
        }
        if key.0 == Rec::Lead && a.status == "converted" {
            let deal = a.opportunity_id.clone().unwrap_or_default();
            match after.0.get(&(Rec::Deal, deal.clone())) {
                Some(d) if d.version == 1 && d.events.len() == 2 => {}
                other => problems.push(format!("lead {} converted to {deal}: {other:?}", key.1)),
            }
        }
    }
    for (rec, id, v) in &acked {
        if after
            .0
            .get(&(*rec, id.clone()))
            .is_none_or(|s| s.version < *v)
        {
            problems.push(format!(
                "an acknowledged write of {rec:?} {id} (version {v}) is not in the database"
            ));
        }
    }
    let (records, events, found) = check_database(&after);
    problems.extend(found);
    println!(
        "  {} writes acknowledged, {} without an answer at the kill (in flight); this round's {phase_records} \
         records: version = writes = events; whole database: {records} records, {events} events checked",
        acked.len(),
        unanswered.load(Ordering::SeqCst)
    );
    problems
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let clients = num(&args, "--clients", 10) as usize;
    let seconds = num(&args, "--seconds", 300);
    let restarts = num(&args, "--restarts", 1);
    let kills = num(&args, "--partial-writes", 1);
    let base = base_url();
    assert!(
        base.starts_with("http://127.")
            || base.starts_with("http://localhost")
            || base.starts_with("http://[::1]"),
        "the soak only targets this machine, not {base}"
    );
    let tag = format!(
        "s{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() % 1_000_000)
            .unwrap_or_default()
    );
    let manager = sign_in_as("manager").await;
    let config: shared::api::Config = manager.get_json("/api/config").await;
    let policy = config.grading.policy().expect("the grading policy");
    let rep = sign_in_as("rep").await;
    let rep2 = sign_in_as("rep2").await;
    let who = |i: usize| {
        let (owner, other) = if i.is_multiple_of(2) {
            (&rep, &rep2)
        } else {
            (&rep2, &rep)
        };
        Who {
            owner: owner.clone(),
            other: other.clone(),
            manager: manager.clone(),
        }
    };
    let cfg = Cfg {
        pipelines: config.pipelines,
        policy,
    };
    // The race deals: rep's, rep2 staffed, so three people may write them.
    let mut setup = Client::new(
        clients,
        who(0),
        Shared::new(cfg.clone(), vec![]),
        Instant::now(),
        &tag,
    );
    let mut race_deals = Vec::new();
    while race_deals.len() < 3 {
        if let Some(l) = setup.new_lead("tender").await
            && let Some(d) = setup.convert(&l).await
            && let Ok(opp) = serde_json::from_value::<Opportunity>(d)
            && setup.staff(&opp, "presales").await.is_some()
        {
            race_deals.push(opp.id.clone());
        }
    }
    // The race deals' later writes are the races only (one event each).
    setup.mine.clear();
    let shared = Shared::new(cfg, race_deals);
    println!(
        "soak: {clients} clients for {seconds} s, {restarts} restart(s), against {base}; race deals {:?}",
        shared.race_deals
    );

    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for i in 0..clients {
        let c = Client::new(i, who(i), shared.clone(), deadline, &tag);
        tasks.push(tokio::spawn(c.run()));
    }
    // The restarts, evenly through the run.
    let restarter = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut survived = 0;
            let mut problems = Vec::new();
            for k in 1..=restarts {
                let at = started + Duration::from_secs(seconds) * k as u32 / (restarts as u32 + 1);
                tokio::time::sleep_until(at.into()).await;
                println!(
                    "restart {k}/{restarts} at {:.0} s, {} requests in flight",
                    started.elapsed().as_secs_f64(),
                    shared.in_flight.load(Ordering::SeqCst)
                );
                // Abruptly (workerd and wrangler SIGKILLed): a graceful stop
                // lets wrangler's proxy answer an empty 500 of its own to the
                // requests that arrive while it stops (seen once in 16).
                match restart(true).await {
                    Ok(t) => {
                        println!("  back in {:.1} s", t.as_secs_f64());
                        survived += 1;
                    }
                    Err(e) => problems.push(e),
                }
            }
            (survived, problems)
        })
    };
    let mut ledger = setup.ledger;
    let mut not_written = setup.not_written;
    let mut failures = setup.failures;
    let mut stats = Stats::default();
    let mut races = Races::default();
    for t in tasks {
        match t.await {
            Ok(c) => {
                ledger.extend(c.ledger);
                not_written.extend(c.not_written);
                failures.extend(c.failures);
                stats.merge(c.stats);
                races.rounds += c.races.rounds;
                races.one_winner += c.races.one_winner;
                races.no_winner += c.races.no_winner;
                races.losers_409 += c.races.losers_409;
            }
            Err(e) => failures.push(format!("a client panicked: {e}")),
        }
    }
    let elapsed = started.elapsed();
    let (survived, restart_problems) = restarter
        .await
        .unwrap_or((0, vec!["the restarter panicked".into()]));
    failures.extend(restart_problems);

    // Figures.
    let ops: u64 = stats
        .answers
        .iter()
        .filter(|((_, what), _)| status_of(what).is_some())
        .map(|(_, n)| n)
        .sum();
    let five_xx: u64 = stats
        .answers
        .iter()
        .filter(|((_, what), _)| status_of(what).is_some_and(|s| s >= 500))
        .map(|(_, n)| n)
        .sum();
    println!(
        "\n{ops} requests answered in {:.1} s: {:.1} ops/s; {} writes accepted ({} found after a lost answer)",
        elapsed.as_secs_f64(),
        ops as f64 / elapsed.as_secs_f64(),
        ledger.len(),
        ledger.iter().filter(|w| w.resolved).count()
    );
    println!(
        "{:<18} {:>7} {:>9} {:>9}  answers",
        "operation", "n", "p50 ms", "p99 ms"
    );
    for (op, mut times) in std::mem::take(&mut stats.latency) {
        times.sort();
        let answers: Vec<String> = stats
            .answers
            .iter()
            .filter(|((o, _), _)| *o == op)
            .map(|((_, what), n)| format!("{what}: {n}"))
            .collect();
        println!(
            "{op:<18} {:>7} {:>9.1} {:>9.1}  {}",
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            answers.join(", ")
        );
    }
    println!(
        "races: {} rounds, {} with exactly one winner, {} won by another client's write first, {} losers answered 409",
        races.rounds, races.one_winner, races.no_winner, races.losers_409
    );
    println!("restarts survived: {survived}/{restarts}");
    println!("responses with status >= 500: {five_xx}");

    // Give the runtime a moment, then read everything back.
    let (mismatches, events_checked) = verify(&manager, &ledger, &not_written, &mut failures).await;
    let records: BTreeSet<(Rec, &str)> = ledger.iter().map(|w| (w.rec, w.id.as_str())).collect();
    println!(
        "verified {} records, {} accepted writes, {} of their events, {} refused or lost writes absent",
        records.len(),
        ledger.len(),
        events_checked,
        not_written.len()
    );
    println!("ledger mismatches: {mismatches}");

    // Partial writes.
    let mut partial_ok = true;
    for round in 1..=kills {
        let problems = partial_writes(round, &who(0), &shared, &tag).await;
        for p in &problems {
            eprintln!("PARTIAL WRITE: {p}");
        }
        partial_ok &= problems.is_empty();
        failures.extend(problems);
    }
    if kills > 0 {
        println!(
            "partial-write check: {}",
            if partial_ok {
                "no record without its events, no event without its record, versions match (ok)"
            } else {
                "FAILED"
            }
        );
    }
    if !failures.is_empty() || five_xx > 0 || mismatches > 0 {
        eprintln!(
            "\nsoak FAILED: {} problem(s), the first: {}",
            failures.len(),
            failures.first().cloned().unwrap_or_default()
        );
        std::process::exit(1);
    }
    println!("soak passed");
}
