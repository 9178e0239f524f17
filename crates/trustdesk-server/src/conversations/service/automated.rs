//! What automation rules and macros do to a conversation: each action of
//! `trustdesk_core::automation::Action` as the write it stands for, then
//! one `rule_fired` event that records which rule or macro acted and
//! what it did (and carries a rule's webhook to the outbox).

use super::*;
use trustdesk_core::automation::Action;
use trustdesk_core::{MacroId, RuleId};

/// Who acted: a rule (as trustdesk) or a macro (as the agent who ran it).
#[derive(Clone, Copy, Debug)]
pub enum ActedBy {
    Rule(RuleId),
    Macro(MacroId),
}

/// The code of an automated reply's notice (a canned reply sent by a
/// rule or a macro: public, never counted as an agent's response).
pub const AUTOMATED_REPLY: &str = "automated_reply";

impl Conversations {
    /// Carries out one action on `conversation` as `actor`; `None` when it
    /// changes nothing (a label already there, the status already
    /// reached) or travels with the `rule_fired` event (a webhook).
    pub async fn perform(
        &self,
        conversation: &Conversation,
        actor: &Actor,
        action: &Action,
    ) -> ApiResult<Option<Appended>> {
        let kind = match action {
            Action::AssignTeam { team_id } => {
                if conversation.team_id == Some(*team_id) && conversation.assignee_id.is_none() {
                    return Ok(None);
                }
                return self
                    .route_to_team(conversation.id, *team_id)
                    .await
                    .map(Some);
            }
            Action::SetPriority { priority } => {
                if conversation.priority == *priority {
                    return Ok(None);
                }
                EventKind::PriorityChanged {
                    from: conversation.priority,
                    to: *priority,
                    reason: "automation".into(),
                }
            }
            Action::AddLabel { label } => {
                return self
                    .change_labels(
                        conversation,
                        actor.clone(),
                        std::slice::from_ref(label),
                        &[],
                    )
                    .await;
            }
            Action::RemoveLabel { label } => {
                return self
                    .change_labels(
                        conversation,
                        actor.clone(),
                        &[],
                        std::slice::from_ref(label),
                    )
                    .await;
            }
            Action::SendCannedReply { canned_id } => {
                let canned = self.store.get_canned(*canned_id).await.map_err(|_| {
                    ApiError::BadRequest(format!("canned response {canned_id} is gone"))
                })?;
                // The console fills these in for a person; an automated
                // reply has no one to name.
                let text = canned
                    .body
                    .replace("{{customer.name}}", "")
                    .replace("{{agent.name}}", "")
                    .trim()
                    .to_owned();
                guard::check_outbound_text(&text)?;
                EventKind::SystemNotice {
                    code: AUTOMATED_REPLY.into(),
                    text,
                    audience: trustdesk_core::Visibility::Public,
                }
            }
            Action::AddNote { body } => EventKind::Note {
                body: validate::body(body)?,
            },
            Action::Resolve {} => {
                if !conversation.status.is_active() {
                    return Ok(None);
                }
                return self
                    .change_status(
                        conversation,
                        actor.clone(),
                        ConversationStatus::Resolved,
                        None,
                    )
                    .await
                    .map(Some);
            }
            Action::Snooze { minutes } => {
                if !conversation.status.is_active() {
                    return Ok(None);
                }
                let until = self.clock.now().plus_millis(i64::from(*minutes) * 60_000);
                return self
                    .change_status(
                        conversation,
                        actor.clone(),
                        ConversationStatus::Snoozed,
                        Some(until),
                    )
                    .await
                    .map(Some);
            }
            Action::SendWebhook { .. } => return Ok(None),
        };
        self.append(NewEvent {
            conversation_id: conversation.id,
            actor: actor.clone(),
            kind,
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await
        .map(Some)
    }

    /// Records that a rule or macro acted, after its actions.
    pub async fn record_firing(
        &self,
        id: ConversationId,
        actor: &Actor,
        by: ActedBy,
        name: &str,
        actions: &[Action],
    ) -> ApiResult<Appended> {
        let (rule_id, macro_id) = match by {
            ActedBy::Rule(r) => (Some(r), None),
            ActedBy::Macro(m) => (None, Some(m)),
        };
        let webhook = actions.iter().find_map(|a| match a {
            Action::SendWebhook { event } => Some(event.clone()),
            _ => None,
        });
        self.append(NewEvent {
            conversation_id: id,
            actor: actor.clone(),
            kind: EventKind::RuleFired {
                rule_id,
                macro_id,
                name: name.to_owned(),
                actions: actions.iter().map(|a| a.name().to_owned()).collect(),
                webhook,
            },
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await
    }
}
