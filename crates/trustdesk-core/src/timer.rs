//! The kinds of persisted deadline a conversation can have, with their
//! typed payloads. Stored as two text columns (`kind`, `payload` JSON) in
//! the `timers` table; a conversation has at most one timer per stored
//! kind, which is why a reminder's id is part of its kind.

use crate::ids::AgentId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimerKind {
    /// The conversation's next SLA status change (a warning or a breach).
    Sla,
    /// A snoozed conversation wakes up.
    Snooze,
    /// A resolved conversation closes.
    AutoClose,
    /// An agent's follow-up reminder.
    Reminder(Reminder),
    /// A stored row this version cannot read (written by a newer version,
    /// or damaged): the worker logs it and drops it.
    Unreadable { kind: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub id: String,
    pub agent_id: AgentId,
    pub note: String,
}

const REMINDER_PREFIX: &str = "reminder:";

impl TimerKind {
    /// The stored `kind` column: unique per conversation.
    pub fn key(&self) -> String {
        match self {
            TimerKind::Sla => "sla".into(),
            TimerKind::Snooze => "snooze".into(),
            TimerKind::AutoClose => "auto_close".into(),
            TimerKind::Reminder(r) => format!("{REMINDER_PREFIX}{}", r.id),
            TimerKind::Unreadable { kind } => kind.clone(),
        }
    }

    /// The stored `payload` column (JSON).
    pub fn payload(&self) -> String {
        match self {
            TimerKind::Reminder(r) => {
                serde_json::to_string(r).expect("a reminder always serialises")
            }
            _ => "{}".into(),
        }
    }

    /// Reads a stored row back; never fails: what it cannot read is
    /// `Unreadable`.
    pub fn decode(kind: &str, payload: &str) -> Self {
        match kind {
            "sla" => TimerKind::Sla,
            "snooze" => TimerKind::Snooze,
            "auto_close" => TimerKind::AutoClose,
            _ => match kind.strip_prefix(REMINDER_PREFIX) {
                Some(id) => match serde_json::from_str::<Reminder>(payload) {
                    Ok(r) if r.id == id => TimerKind::Reminder(r),
                    _ => TimerKind::Unreadable { kind: kind.into() },
                },
                None => TimerKind::Unreadable { kind: kind.into() },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reminder() -> TimerKind {
        TimerKind::Reminder(Reminder {
            id: "4f1c".into(),
            agent_id: AgentId::new(),
            note: "check the deposit landed".into(),
        })
    }

    #[test]
    fn every_kind_reads_back_from_its_stored_columns() {
        for kind in [
            TimerKind::Sla,
            TimerKind::Snooze,
            TimerKind::AutoClose,
            reminder(),
        ] {
            assert_eq!(TimerKind::decode(&kind.key(), &kind.payload()), kind);
        }
    }

    #[test]
    fn rows_written_before_the_enum_still_read() {
        let agent = AgentId::new();
        let payload = format!(r#"{{"id":"ab12","agent_id":"{agent}","note":"n"}}"#);
        assert_eq!(
            TimerKind::decode("reminder:ab12", &payload),
            TimerKind::Reminder(Reminder {
                id: "ab12".into(),
                agent_id: agent,
                note: "n".into()
            })
        );
        assert_eq!(TimerKind::decode("auto_close", "{}"), TimerKind::AutoClose);
    }

    #[test]
    fn what_cannot_be_read_is_unreadable_not_a_panic() {
        for (kind, payload) in [
            ("reminder:ab12", "not json"),
            (
                "reminder:ab12",
                r#"{"id":"other","agent_id":"x","note":""}"#,
            ),
            ("escalate_later", "{}"),
            ("", ""),
        ] {
            let decoded = TimerKind::decode(kind, payload);
            assert_eq!(decoded, TimerKind::Unreadable { kind: kind.into() });
            assert_eq!(decoded.key(), kind, "deleting it must hit the same row");
        }
    }
}
