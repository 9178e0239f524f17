//! The backend-independent decision of what appending an event means:
//! idempotency on the client message id, sequence assignment, projection.

use crate::{Result, StoreError};
use trustdesk_core::{Actor, Conversation, ConversationStatus, Event, EventKind, NewEvent};

pub(crate) enum AppendPlan {
    /// The same request was stored before: answer with the stored event.
    Duplicate(Event),
    /// Write this event and this conversation row.
    Write {
        event: Event,
        conversation: Conversation,
    },
}

/// What a customer may never do, checked on the locked row so no caller can
/// forget it and so the message path needs no read of its own before the
/// append: write into another customer's conversation (answered exactly
/// like a missing one), or send a message into a closed one.
pub(crate) const CLOSED: &str = "this conversation is closed; please start a new one";

/// An assignment planned against an assignee who is no longer the
/// assignee: the compare-and-set that keeps two routers (or two agents
/// taking at once) from both assigning.
pub const ASSIGNED_MEANWHILE: &str = "the conversation was assigned meanwhile";

/// Decides an append against the locked conversation row and the event
/// already stored under the same client message id, if any.
pub(crate) fn plan_append(
    mut conversation: Conversation,
    existing: Option<Event>,
    new: NewEvent,
) -> Result<AppendPlan> {
    let by_customer = match new.actor {
        Actor::Customer { id } if id != conversation.customer_id => {
            return Err(StoreError::NotFound);
        }
        Actor::Customer { .. } => true,
        _ => false,
    };
    if let Some(existing) = existing {
        return if existing.is_same_request(&new) {
            Ok(AppendPlan::Duplicate(existing))
        } else {
            Err(StoreError::Conflict(
                "client_msg_id was already used for a different message",
            ))
        };
    }
    if by_customer
        && conversation.status == ConversationStatus::Closed
        && matches!(
            new.kind,
            EventKind::Message { .. } | EventKind::Attachment { .. }
        )
    {
        return Err(StoreError::Conflict(CLOSED));
    }
    // An assignment says whom it takes the conversation from; if that is
    // no longer the assignee, someone else (another agent, another node's
    // router) assigned it meanwhile, and this one must not overwrite them.
    if let EventKind::Assigned { from, .. } = &new.kind
        && *from != conversation.assignee_id
    {
        return Err(StoreError::Conflict(ASSIGNED_MEANWHILE));
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

/// Plans a new conversation's opening events, in order, on its initial
/// row: the events to store and the row after them.
pub(crate) fn plan_opening(
    mut conversation: Conversation,
    opening: Vec<NewEvent>,
) -> Result<(Conversation, Vec<Event>)> {
    let mut events = Vec::with_capacity(opening.len());
    for mut new in opening {
        new.conversation_id = conversation.id;
        if let AppendPlan::Write {
            event,
            conversation: next,
        } = plan_append(conversation.clone(), None, new)?
        {
            conversation = next;
            events.push(event);
        }
    }
    Ok((conversation, events))
}

/// Whether `after` differs from `before` in its head (last seq, update
/// time) only, as after a message: the row update can then name just those
/// columns, and SQLite leaves the other columns' index entries alone.
pub(crate) fn head_only(before: &Conversation, after: &Conversation) -> bool {
    Conversation {
        last_seq: before.last_seq,
        updated_at: before.updated_at,
        ..after.clone()
    } == *before
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewConversation;
    use trustdesk_core::{Channel, ConversationId, CustomerId, Priority, Timestamp};

    fn conversation(owner: CustomerId, status: ConversationStatus) -> Conversation {
        let mut c = NewConversation {
            id: ConversationId::new(),
            customer_id: owner,
            channel: Channel::Web,
            subject: None,
            language: None,
            priority: Priority::Normal,
            origin_client_id: None,
            at: Timestamp(1),
        }
        .initial_state();
        c.status = status;
        c
    }

    fn message(c: &Conversation, author: CustomerId, cmid: &str) -> NewEvent {
        NewEvent {
            conversation_id: c.id,
            actor: Actor::Customer { id: author },
            kind: EventKind::Message {
                body: trustdesk_core::guard::GuardedText::new("hi"),
            },
            client_msg_id: Some(cmid.into()),
            at: Timestamp(2),
        }
    }

    #[test]
    fn a_customer_cannot_write_into_another_customers_conversation() {
        let (owner, stranger) = (CustomerId::new(), CustomerId::new());
        let c = conversation(owner, ConversationStatus::Open);
        let err = plan_append(c.clone(), None, message(&c, stranger, "m1")).err();
        assert!(matches!(err, Some(StoreError::NotFound)), "{err:?}");
        // Not even a duplicate probe answers: the stored event stays hidden.
        let AppendPlan::Write { event, .. } =
            plan_append(c.clone(), None, message(&c, owner, "m1")).unwrap()
        else {
            panic!("the owner writes")
        };
        let err = plan_append(c.clone(), Some(event), message(&c, stranger, "m1")).err();
        assert!(matches!(err, Some(StoreError::NotFound)), "{err:?}");
    }

    #[test]
    fn a_message_moves_only_the_head_a_status_change_more() {
        let owner = CustomerId::new();
        let open = conversation(owner, ConversationStatus::Open);
        let AppendPlan::Write { conversation, .. } =
            plan_append(open.clone(), None, message(&open, owner, "m1")).unwrap()
        else {
            panic!("written")
        };
        assert!(conversation.last_seq > open.last_seq);
        assert!(head_only(&open, &conversation));
        let mut resolved = conversation.clone();
        resolved.status = ConversationStatus::Resolved;
        assert!(!head_only(&open, &resolved));
    }

    #[test]
    fn a_closed_conversation_takes_no_new_customer_message_but_answers_a_resend() {
        let owner = CustomerId::new();
        let open = conversation(owner, ConversationStatus::Open);
        let AppendPlan::Write { event, .. } =
            plan_append(open.clone(), None, message(&open, owner, "m1")).unwrap()
        else {
            panic!("written")
        };
        let closed = Conversation {
            status: ConversationStatus::Closed,
            ..open
        };
        let err = plan_append(closed.clone(), None, message(&closed, owner, "m2")).err();
        assert!(matches!(err, Some(StoreError::Conflict(CLOSED))), "{err:?}");
        // The resend of a message stored before the close is still the
        // stored message, not an error.
        assert!(matches!(
            plan_append(closed.clone(), Some(event), message(&closed, owner, "m1")),
            Ok(AppendPlan::Duplicate(_))
        ));
        // Resolved conversations still take messages (they reopen).
        let resolved = Conversation {
            status: ConversationStatus::Resolved,
            ..closed
        };
        assert!(plan_append(resolved.clone(), None, message(&resolved, owner, "m3")).is_ok());
    }

    #[test]
    fn an_assignment_is_a_compare_and_set_on_the_assignee() {
        use trustdesk_core::AgentId;
        use trustdesk_core::event::AssignReason;
        let owner = CustomerId::new();
        let c = conversation(owner, ConversationStatus::Open);
        let (a, b) = (AgentId::new(), AgentId::new());
        let assign = |c: &Conversation, from: Option<AgentId>, to: AgentId| NewEvent {
            conversation_id: c.id,
            actor: Actor::System,
            kind: EventKind::Assigned {
                from,
                to: Some(to),
                team_id: None,
                reason: AssignReason::Routed,
                note: None,
            },
            client_msg_id: None,
            at: Timestamp(2),
        };
        let AppendPlan::Write {
            conversation: to_a, ..
        } = plan_append(c.clone(), None, assign(&c, None, a)).unwrap()
        else {
            panic!("the first assignment is written");
        };
        assert_eq!(to_a.assignee_id, Some(a));
        // A second router planned against the old row (nobody assigned).
        let err = plan_append(to_a.clone(), None, assign(&to_a, None, b)).err();
        assert!(
            matches!(err, Some(StoreError::Conflict(ASSIGNED_MEANWHILE))),
            "{err:?}"
        );
        // Planned against the current row, a transfer goes through.
        assert!(plan_append(to_a.clone(), None, assign(&to_a, Some(a), b)).is_ok());
    }
}
