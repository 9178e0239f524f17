//! Status and assignment: changes by people and by trustdesk (snooze
//! ended, auto-close, routing), and the official agent's introduction.

use super::*;

impl Conversations {
    /// Changes the status (agents).
    pub async fn set_status(
        &self,
        who: &Authenticated,
        id: ConversationId,
        status: ConversationStatus,
        snoozed_until: Option<Timestamp>,
    ) -> ApiResult<Appended> {
        if who.agent().is_none() {
            return Err(ApiError::NotFound);
        }
        let conversation = self.visible(who, id).await?;
        match (status, snoozed_until) {
            (ConversationStatus::Snoozed, None) => {
                return Err(ApiError::BadRequest("snoozing needs snoozed_until".into()));
            }
            (ConversationStatus::Snoozed, Some(t)) if t <= self.clock.now() => {
                return Err(ApiError::BadRequest(
                    "snoozed_until must be in the future".into(),
                ));
            }
            (s, Some(_)) if s != ConversationStatus::Snoozed => {
                return Err(ApiError::BadRequest(
                    "snoozed_until is only for snoozed".into(),
                ));
            }
            _ => {}
        }
        if conversation.status == status && status != ConversationStatus::Snoozed {
            return Err(ApiError::Conflict(format!(
                "the conversation is already {status}"
            )));
        }
        self.change_status(&conversation, who.actor(), status, snoozed_until)
            .await
    }

    /// Assigns to an agent, or unassigns with `None` (agents).
    pub async fn assign(
        &self,
        who: &Authenticated,
        id: ConversationId,
        to: Option<AgentId>,
    ) -> ApiResult<Appended> {
        let Some(agent) = who.agent() else {
            return Err(ApiError::NotFound);
        };
        let conversation = self.visible(who, id).await?;
        if let Some(target) = to {
            // The target must exist; its id is not secret to a team member.
            self.store
                .get_agent(target)
                .await
                .map_err(|_| ApiError::BadRequest("no such agent".into()))?;
        }
        let reason = if to == Some(agent.id) {
            AssignReason::SelfAssigned
        } else {
            AssignReason::Transfer
        };
        self.assign_to(&conversation, who.actor(), to, reason).await
    }

    pub(super) async fn change_status(
        &self,
        conversation: &Conversation,
        actor: Actor,
        to: ConversationStatus,
        snoozed_until: Option<Timestamp>,
    ) -> ApiResult<Appended> {
        // The deadline is stored before the change, so it exists whenever
        // the status does, across restarts. A stale one (the conversation
        // moved on) is checked and dropped when it fires.
        let deadline = match (to, snoozed_until) {
            (ConversationStatus::Snoozed, Some(until)) => Some((TimerKind::Snooze, until)),
            (ConversationStatus::Resolved, _) if self.auto_close_after_ms > 0 => Some((
                TimerKind::AutoClose,
                self.clock.now().plus_millis(self.auto_close_after_ms),
            )),
            _ => None,
        };
        if let Some((kind, due_at)) = deadline {
            self.store
                .put_timer(&trustdesk_store::Timer {
                    conversation_id: conversation.id,
                    kind,
                    due_at,
                })
                .await?;
        }
        self.append(NewEvent {
            conversation_id: conversation.id,
            actor,
            kind: EventKind::StatusChanged {
                from: conversation.status,
                to,
                snoozed_until,
            },
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await
    }

    pub(super) async fn assign_to(
        &self,
        conversation: &Conversation,
        actor: Actor,
        to: Option<AgentId>,
        reason: AssignReason,
    ) -> ApiResult<Appended> {
        let assigned = self
            .append(NewEvent {
                conversation_id: conversation.id,
                actor,
                kind: EventKind::Assigned {
                    from: conversation.assignee_id,
                    to,
                    team_id: None,
                    reason,
                    note: None,
                },
                client_msg_id: None,
                at: self.clock.now(),
            })
            .await?;
        if let Some(agent) = to {
            self.introduce_agent(&assigned.conversation, agent).await?;
        }
        Ok(assigned)
    }

    /// Tells the customer who joined, with the agent's public badge and a
    /// fresh verification code for this chat. The code exists only in this
    /// conversation (the customer's widget and the agent's console), so a
    /// scammer who contacts the customer elsewhere claiming to be "the
    /// agent from your chat" cannot name it; the badge can be checked on
    /// the public verification page.
    pub(super) async fn introduce_agent(
        &self,
        conversation: &Conversation,
        agent: AgentId,
    ) -> ApiResult<()> {
        let agent = self.store.get_agent(agent).await?;
        let code = crate::auth::token::short_code(6);
        let language = conversation.language.unwrap_or(Language::En);
        let text = if language == Language::Zh {
            format!(
                "官方客服 {} 已接入（工号 {}，可在官方验证页面查询）。本次会话验证码：{}。只有本会话中的官方客服知道这个验证码；任何在其他渠道自称是您的客服的人都说不出来。",
                agent.display_name, agent.badge, code
            )
        } else {
            format!(
                "{} from official support joined (badge {}, checkable on the verification page). Verification code for this chat: {}. Only the official agent in this chat knows it; anyone contacting you elsewhere as \"your agent\" cannot name it.",
                agent.display_name, agent.badge, code
            )
        };
        self.append(NewEvent {
            conversation_id: conversation.id,
            actor: Actor::System,
            kind: NoticeCode::AgentJoined.with_text(text),
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await?;
        Ok(())
    }

    /// A status change made by trustdesk (snooze ended, auto-close), only
    /// if the conversation is still in `from`.
    pub async fn system_status(
        &self,
        id: ConversationId,
        from: ConversationStatus,
        to: ConversationStatus,
    ) -> ApiResult<Option<Appended>> {
        let conversation = self.store.get_conversation(id).await?;
        if conversation.status != from {
            return Ok(None);
        }
        self.change_status(&conversation, Actor::System, to, None)
            .await
            .map(Some)
    }

    /// Takes the conversation from `from` (gone, or an SLA escalation) and
    /// puts it back in the queue; nothing if someone else has it now.
    pub async fn requeue(
        &self,
        id: ConversationId,
        from: AgentId,
        reason: AssignReason,
    ) -> ApiResult<Option<Appended>> {
        let conversation = self.store.get_conversation(id).await?;
        if conversation.assignee_id != Some(from) || !conversation.status.is_active() {
            return Ok(None);
        }
        match self
            .assign_to(&conversation, Actor::System, None, reason)
            .await
        {
            Err(err) if taken_meanwhile(&err) => Ok(None),
            other => other.map(Some),
        }
    }

    /// Puts a conversation in a team's queue (routing by category, or an
    /// integration that sorts its own tickets), without an agent.
    pub async fn route_to_team(&self, id: ConversationId, team: TeamId) -> ApiResult<Appended> {
        // Into the team's queue, from whoever has it now: named, so the
        // store's compare-and-set refuses it if that changes meanwhile.
        let current = self.store.get_conversation(id).await?;
        self.append(NewEvent {
            conversation_id: id,
            actor: Actor::System,
            kind: EventKind::Assigned {
                from: current.assignee_id,
                to: None,
                team_id: Some(team),
                reason: AssignReason::Routed,
                note: None,
            },
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await
    }

    /// The router's assignment: only if the conversation is still open
    /// and unassigned (someone may have taken it meanwhile). `None` when
    /// nothing was done.
    pub async fn route_to(
        &self,
        id: ConversationId,
        agent: AgentId,
    ) -> ApiResult<Option<Appended>> {
        let conversation = self.store.get_conversation(id).await?;
        if conversation.status != ConversationStatus::Open || conversation.assignee_id.is_some() {
            return Ok(None);
        }
        match self
            .assign_to(
                &conversation,
                Actor::System,
                Some(agent),
                AssignReason::Routed,
            )
            .await
        {
            // Taken between the read and the write (an agent, or another
            // node's router): the store's compare-and-set refused ours.
            Err(ApiError::Conflict(reason)) if reason == trustdesk_store::ASSIGNED_MEANWHILE => {
                Ok(None)
            }
            other => other.map(Some),
        }
    }
}

/// The store refused an assignment because the assignee changed between
/// the read it was planned on and the write (another agent or node).
fn taken_meanwhile(err: &ApiError) -> bool {
    matches!(err, ApiError::Conflict(reason) if reason == trustdesk_store::ASSIGNED_MEANWHILE)
}
