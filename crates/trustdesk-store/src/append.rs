//! The backend-independent decision of what appending an event means:
//! idempotency on the client message id, sequence assignment, projection.

use crate::{Result, StoreError};
use trustdesk_core::{Conversation, Event, NewEvent};

pub(crate) enum AppendPlan {
    /// The same request was stored before: answer with the stored event.
    Duplicate(Event),
    /// Write this event and this conversation row.
    Write {
        event: Event,
        conversation: Conversation,
    },
}

/// Decides an append against the locked conversation row and the event
/// already stored under the same client message id, if any.
pub(crate) fn plan_append(
    mut conversation: Conversation,
    existing: Option<Event>,
    new: NewEvent,
) -> Result<AppendPlan> {
    if let Some(existing) = existing {
        return if existing.is_same_request(&new) {
            Ok(AppendPlan::Duplicate(existing))
        } else {
            Err(StoreError::Conflict(
                "client_msg_id was already used for a different message",
            ))
        };
    }
    let event = Event {
        conversation_id: new.conversation_id,
        seq: conversation.last_seq + 1,
        // Keep event times monotonic within a conversation even if the
        // wall clock steps back, so replay order and time order agree.
        at: new.at.max(conversation.updated_at),
        actor: new.actor,
        visibility: new.kind.visibility(),
        client_msg_id: new.client_msg_id,
        kind: new.kind,
    };
    conversation.apply(&event);
    Ok(AppendPlan::Write {
        event,
        conversation,
    })
}
