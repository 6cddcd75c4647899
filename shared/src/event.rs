//! Audit events: what changed on a lead or deal, by whom and when. Every
//! mutation returns its events; the server stores them in the same batch.

use crate::checklist::TeamMember;
use crate::grade::Grade;
use crate::opportunity::Contract;
use crate::pipeline::StageKey;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Created {
        stage: StageKey,
    },
    Converted {
        lead_id: String,
        opportunity_id: String,
    },
    Disqualified {
        reason: String,
    },
    StageAdvanced {
        from: StageKey,
        to: StageKey,
    },
    StageSkipped {
        stage: StageKey,
    },
    MovedBack {
        from: StageKey,
        to: StageKey,
        reason: String,
    },
    Won {
        contract: Contract,
    },
    Lost {
        reason: String,
        competitor: Option<String>,
    },
    Updated {
        changes: Vec<String>,
    },
    FieldSet {
        key: String,
        value: serde_json::Value,
    },
    FieldCleared {
        key: String,
    },
    TaskChanged {
        key: String,
        done: bool,
        note: Option<String>,
    },
    ApprovalRequested {
        key: String,
    },
    ApprovalDecided {
        key: String,
        approved: bool,
        comment: Option<String>,
    },
    TeamChanged {
        members: Vec<TeamMember>,
    },
    GradeOverridden {
        from: Grade,
        to: Grade,
        reason: String,
    },
    Regraded {
        from: Grade,
        to: Grade,
        /// The grading policy version that regraded it (absent when an
        /// edit of the deal itself did).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy_version: Option<u64>,
    },
    /// A manager opened a closed deal again, in the stage it closed in.
    Reopened {
        from: crate::opportunity::Status,
        reason: String,
    },
    /// A disqualified lead was opened again.
    LeadReopened {
        reason: String,
    },
    /// A note on a lead or deal (changes nothing else).
    NoteAdded {
        text: String,
    },
    /// A manager handed the deal to another salesperson.
    OwnerChanged {
        from: String,
        to: String,
    },
    /// The partner's registration protection ended while the deal was
    /// still open: the deal is no longer reserved for them.
    ProtectionExpired {
        registration_id: String,
        #[serde(deserialize_with = "crate::wire::date")]
        ended_on: NaiveDate,
    },
    /// The deal was put in another forecast category.
    ForecastChanged {
        from: crate::forecast::ForecastCategory,
        to: crate::forecast::ForecastCategory,
    },
}

/// The author of what no user did (the scheduled expiry of a protection).
pub const SYSTEM: &str = "system";

/// An event with its author and time, as the history endpoint lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Event {
    #[serde(deserialize_with = "crate::wire::instant")]
    pub at: DateTime<Utc>,
    /// A user id, or [`SYSTEM`] for what ran on a schedule.
    pub by: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    pub fn stamp(kinds: Vec<EventKind>, by: &str, at: DateTime<Utc>) -> Vec<Event> {
        kinds
            .into_iter()
            .map(|kind| Event {
                at,
                by: by.to_string(),
                kind,
            })
            .collect()
    }
}
