//! What the stored events say, counted where the conversation service
//! announces every write (so each event is counted once, by the node that
//! stored it, whatever way it came in).

use super::registry::{Metrics, Sender};
use trustdesk_core::event::{AssignReason, EventKind};
use trustdesk_core::{Actor, Event};

impl Metrics {
    /// Counts the messages, routing decisions and SLA outcomes among the
    /// events of one write.
    pub fn observe_events(&self, events: &[Event]) {
        for event in events {
            match (&event.kind, &event.actor) {
                (EventKind::Message { .. }, Actor::Customer { .. }) => {
                    self.message(Sender::Customer)
                }
                (EventKind::Message { .. }, Actor::Agent { .. }) => self.message(Sender::Agent),
                (EventKind::BotReply { .. }, _) => self.message(Sender::Bot),
                (EventKind::Assigned { reason, .. }, _) => self.routing_decision(*reason),
                (EventKind::Transferred { .. }, _) => self.routing_decision(AssignReason::Transfer),
                (EventKind::SlaWarning { metric, .. }, _) => self.sla_warning(*metric),
                (EventKind::SlaBreached { metric, .. }, _) => self.sla_breach(*metric),
                _ => {}
            }
        }
    }
}
