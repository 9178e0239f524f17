//! The agent desk's actions on a conversation: transfers, reminders,
//! the customer's rating and shared files.

use super::*;

/// A manual transfer or a supervisor's reassignment.
#[derive(Clone, Debug)]
pub struct Transfer {
    pub to_agent: Option<AgentId>,
    pub to_team: Option<TeamId>,
    pub reason: String,
}

/// Longest transfer reason or reminder note.
const MAX_REASON_CHARS: usize = 500;

fn reason_text(text: &str, what: &str) -> ApiResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::BadRequest(format!("{what} must not be empty")));
    }
    if text.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::BadRequest(format!(
            "{what} is longer than {MAX_REASON_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

impl Conversations {
    /// Transfers a conversation to an agent and/or a team, with a reason.
    /// Any agent may hand over a conversation that is theirs or nobody's;
    /// taking one from another agent is a supervisor's reassignment.
    pub async fn transfer(
        &self,
        who: &Authenticated,
        id: ConversationId,
        transfer: Transfer,
    ) -> ApiResult<Appended> {
        let Some(me) = who.agent() else {
            return Err(ApiError::NotFound);
        };
        let reason = reason_text(&transfer.reason, "reason")?;
        if transfer.to_agent.is_none() && transfer.to_team.is_none() {
            return Err(ApiError::BadRequest(
                "give agent_id, team_id or both".into(),
            ));
        }
        let conversation = self.visible(who, id).await?;
        if !conversation.status.is_active() {
            return Err(ApiError::Conflict(format!(
                "the conversation is {}; reopen it first",
                conversation.status
            )));
        }
        let supervisor = matches!(conversation.assignee_id, Some(a) if a != me.id);
        if supervisor && !me.role.at_least(trustdesk_core::Role::Supervisor) {
            return Err(ApiError::Forbidden);
        }
        if let Some(target) = transfer.to_agent {
            let agent = self
                .store
                .get_agent(target)
                .await
                .map_err(|_| ApiError::BadRequest("no such agent".into()))?;
            if agent.status != trustdesk_core::AgentStatus::Active {
                return Err(ApiError::BadRequest("that agent is deactivated".into()));
            }
            if conversation.assignee_id == Some(target) && transfer.to_team.is_none() {
                return Err(ApiError::Conflict(
                    "the conversation is already with that agent".into(),
                ));
            }
        }
        if let Some(team) = transfer.to_team
            && !self.store.list_teams().await?.iter().any(|t| t.id == team)
        {
            return Err(ApiError::BadRequest("no such team".into()));
        }
        let appended = self
            .append(NewEvent {
                conversation_id: id,
                actor: who.actor(),
                kind: EventKind::Transferred {
                    from: conversation.assignee_id,
                    to_agent: transfer.to_agent,
                    to_team: transfer.to_team,
                    reason: reason.clone(),
                    by: me.id,
                    supervisor,
                },
                client_msg_id: None,
                at: self.clock.now(),
            })
            .await?;
        if let Some(target) = transfer.to_agent {
            self.introduce_agent(&appended.conversation, target).await?;
            self.notify_agent(
                target,
                id,
                AgentNoticeCode::TransferredToYou,
                format!(
                    "{} transferred a conversation to you: {reason}",
                    me.display_name
                ),
            )
            .await;
        }
        Ok(appended)
    }

    /// Sets a follow-up reminder for the calling agent: at `at`, a
    /// `reminder_due` event is written and the agent is notified.
    pub async fn set_reminder(
        &self,
        who: &Authenticated,
        id: ConversationId,
        at: Timestamp,
        note: &str,
    ) -> ApiResult<Appended> {
        let Some(me) = who.agent() else {
            return Err(ApiError::NotFound);
        };
        let note = reason_text(note, "note")?;
        if at <= self.clock.now() {
            return Err(ApiError::BadRequest(
                "the reminder must be in the future".into(),
            ));
        }
        self.visible(who, id).await?;
        let reminder = uuid::Uuid::new_v4().simple().to_string();
        let kind = EventKind::ReminderSet {
            id: reminder.clone(),
            agent_id: me.id,
            at,
            note: note.clone(),
        };
        self.store
            .put_timer(&trustdesk_store::Timer {
                conversation_id: id,
                kind: TimerKind::Reminder(Reminder {
                    id: reminder,
                    agent_id: me.id,
                    note: note.clone(),
                }),
                due_at: at,
            })
            .await?;
        self.append(NewEvent {
            conversation_id: id,
            actor: who.actor(),
            kind,
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await
    }

    /// The customer's CSAT score (the checks are the caller's:
    /// `feedback::rate`).
    pub async fn record_rating(
        &self,
        who: &Authenticated,
        id: ConversationId,
        score: u8,
        comment: Option<GuardedText>,
    ) -> ApiResult<Appended> {
        self.append(NewEvent {
            conversation_id: id,
            actor: who.actor(),
            kind: EventKind::Rated { score, comment },
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await
    }

    /// Stores a checked file with the event that shares it, in one
    /// transaction, then the guard's notice when its name or content held a
    /// secret (`attachments::service::attach` does the checks).
    pub async fn share_file(
        &self,
        who: &Authenticated,
        file: trustdesk_store::NewAttachment,
        notice: Option<EventKind>,
    ) -> ApiResult<Appended> {
        let id = file.conversation_id;
        let event = NewEvent {
            conversation_id: id,
            actor: who.actor(),
            kind: EventKind::Attachment {
                file: trustdesk_core::event::AttachmentRef {
                    id: file.id,
                    name: file.name.clone(),
                    mime: file.mime.clone(),
                    size: file.data.len() as u64,
                },
            },
            client_msg_id: None,
            at: file.at,
        };
        let appended = self.store.add_attachment(&file, event).await?;
        self.announce(&appended).await;
        if let Some(notice) = notice {
            self.system_event(id, notice).await?;
        }
        Ok(appended)
    }
}
