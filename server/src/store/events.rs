//! The audit trail of leads and deals: appended in the batch of the write
//! that caused it, read oldest first.

use super::{Database, Guard, Stmt, Value, all, run, storage};
use crate::error::ApiError;
use serde::Deserialize;
use shared::event::{Event, EventKind};

/// Whose trail an event is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Lead,
    Opportunity,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Lead => "lead",
            Entity::Opportunity => "opportunity",
        }
    }
}

/// An event row's columns, in the order [`row`] gives their values.
const COLUMNS: &str = "entity_type, entity_id, at, by_user, event";

fn row(entity: Entity, id: &str, e: &Event) -> Result<Vec<Value>, ApiError> {
    Ok(vec![
        Value::from(entity.as_str()),
        Value::from(id),
        Value::from(e.at.to_rfc3339()),
        Value::from(&e.by),
        Value::from(serde_json::to_string(&e.kind).map_err(storage)?),
    ])
}

/// Statements appending `events` to `id`'s trail, stored only if the
/// write `guard` names took.
pub fn append(
    entity: Entity,
    id: &str,
    guard: Guard<'_>,
    events: &[Event],
) -> Result<Vec<Stmt>, ApiError> {
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        out.push(guard.insert("events", COLUMNS, row(entity, id, e)?));
        // A deal's stage moves also go where the reports sum them.
        if entity == Entity::Opportunity
            && let Some((from, to)) = stage_move(&e.kind)
        {
            out.push(guard.insert(
                "stage_moves",
                "opportunity_id, at, from_stage, to_stage",
                vec![
                    Value::from(id),
                    Value::from(e.at.to_rfc3339()),
                    from.map_or(Value::Null, Value::from),
                    Value::from(to),
                ],
            ));
        }
    }
    Ok(out)
}

/// A stage move an event records: `(from, to)`; a win goes to `won`.
fn stage_move(kind: &EventKind) -> Option<(Option<&str>, &str)> {
    match kind {
        EventKind::Created { stage } => Some((None, stage.as_str())),
        EventKind::StageAdvanced { from, to } => Some((Some(from.as_str()), to.as_str())),
        EventKind::Won { .. } => Some((None, "won")),
        _ => None,
    }
}

/// A note by `by` on `id`'s trail: the shared note rule, then one event on
/// its own. A note changes nothing else, so no version guards it. Answers
/// the event as stored.
pub async fn add_note(
    db: &dyn Database,
    entity: Entity,
    id: &str,
    text: &str,
    by: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Event, ApiError> {
    let text = shared::opportunity::note_text(text)?;
    let event = Event {
        at,
        by: by.to_string(),
        kind: shared::event::EventKind::NoteAdded { text },
    };
    run(
        db,
        vec![Stmt::new(
            format!("INSERT INTO events ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
            row(entity, id, &event)?,
        )],
    )
    .await?;
    Ok(event)
}

#[derive(Deserialize)]
struct EventRow {
    at: String,
    by_user: String,
    event: String,
}

/// `id`'s trail, oldest first.
pub async fn history(db: &dyn Database, entity: Entity, id: &str) -> Result<Vec<Event>, ApiError> {
    let rows: Vec<EventRow> = all(
        db,
        Stmt::new(
            "SELECT at, by_user, event FROM events WHERE entity_type = ?1 AND entity_id = ?2 ORDER BY seq",
            vec![Value::from(entity.as_str()), Value::from(id)],
        ),
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Event {
                at: chrono::DateTime::parse_from_rfc3339(&r.at)
                    .map_err(storage)?
                    .to_utc(),
                by: r.by_user,
                kind: serde_json::from_str(&r.event).map_err(storage)?,
            })
        })
        .collect()
}

/// Statements that remove a seeded batch (ids starting `o_<prefix>` or
/// `l_<prefix>`) with everything hanging off it: `make seed` replaces its
/// earlier batch. `prefix` is alphanumeric (the seed checks it).
pub fn delete_seeded(prefix: &str) -> Vec<Stmt> {
    let o = Value::from(format!("o_{prefix}%"));
    let l = Value::from(format!("l_{prefix}%"));
    vec![
        Stmt::new(
            "DELETE FROM events WHERE entity_id LIKE ?1 OR entity_id LIKE ?2",
            vec![o.clone(), l.clone()],
        ),
        Stmt::new(
            "DELETE FROM deal_members WHERE opportunity_id LIKE ?1",
            vec![o.clone()],
        ),
        Stmt::new("DELETE FROM opportunities WHERE id LIKE ?1", vec![o]),
        Stmt::new("DELETE FROM leads WHERE id LIKE ?1", vec![l]),
    ]
}
