//! What a rule sees of a conversation (`automation::Subject`): the row,
//! and the facts the row does not hold (the customer verified by the
//! exchange, the desk's office hours now, the triggering message).

use crate::error::ApiResult;
use crate::sla::worker::SlaConfig;
use trustdesk_core::automation::{Sender, Subject, TriggeringMessage};
use trustdesk_core::event::EventKind;
use trustdesk_core::{Actor, Conversation, Event, Timestamp};
use trustdesk_store::Store;

pub async fn subject_of(
    store: &dyn Store,
    sla: &SlaConfig,
    conversation: &Conversation,
    message: Option<TriggeringMessage>,
    now: Timestamp,
) -> ApiResult<Subject> {
    let verified = store
        .get_customer(conversation.customer_id)
        .await?
        .is_verified();
    Ok(Subject::new(
        conversation,
        conversation.labels.iter().cloned().collect(),
        verified,
        sla.office_calendar().is_open(now),
        message,
    ))
}

/// The message a stored event is, as a condition reads it (the guard's
/// redacted text): public messages of the customer or an agent only.
pub fn message_of(event: &Event) -> Option<TriggeringMessage> {
    let EventKind::Message { body } = &event.kind else {
        return None;
    };
    let from = match event.actor {
        Actor::Customer { .. } => Sender::Customer,
        Actor::Agent { .. } => Sender::Agent,
        Actor::Bot | Actor::System => return None,
    };
    Some(TriggeringMessage {
        from,
        text: body.as_str().to_owned(),
    })
}
