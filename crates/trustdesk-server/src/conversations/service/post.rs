//! Posting a message or note: the guards, the bot's follow-up when a
//! customer writes, and the answers to its "did it help?".

use super::*;

impl Conversations {
    /// The bot's first reply: the extractive decision, then (when the
    /// generative mode is on and the bot answers) the generated text. The
    /// endpoint is called here, before and outside any store transaction,
    /// bounded by its timeout.
    pub(super) async fn bot_reply(
        &self,
        question: &str,
        language: Language,
        urgent: bool,
    ) -> bot::Decision {
        let decision = bot::first_reply(&self.kb, question, language, urgent);
        bot::generate(
            self.llm.as_deref(),
            self.store.as_ref(),
            question,
            language,
            decision,
        )
        .await
    }

    /// Posts a message (or, for agents, an internal note).
    pub async fn post(
        &self,
        who: &Authenticated,
        id: ConversationId,
        post: Post,
    ) -> ApiResult<Appended> {
        let body = validate::body(&post.body)?;
        if let Some(cid) = &post.client_msg_id {
            validate::client_msg_id(cid)?;
        }
        // A customer's message costs no read before the append: the store
        // checks, on the row it locks anyway, that the conversation is
        // theirs (else the same `NotFound` as a missing one) and not closed.
        // Agents are checked here, against their scope.
        // Raw customer text that held a secret, for the notice after the
        // append.
        let mut notices: Vec<String> = Vec::new();
        let kind = match (&who.who, post.internal) {
            (Who::Customer(_), true) => {
                return Err(ApiError::BadRequest(
                    "customers cannot write internal notes".into(),
                ));
            }
            (Who::Customer(_), false) => {
                // The notice's language is settled after the append, from
                // the conversation; the redaction does not depend on it.
                let screened = guard::screen_customer_text(&body, triage::detect_language(&body));
                if !screened.notices.is_empty() {
                    notices.push(body.clone());
                }
                EventKind::Message {
                    body: screened.text,
                }
            }
            (Who::Agent(_), true) => {
                self.visible(who, id).await?;
                EventKind::Note { body }
            }
            (Who::Agent(agent), false) => {
                self.visible(who, id).await?;
                if let Err(blocked) = guard::check_outbound_text(&body) {
                    let reason = post
                        .guard_override
                        .as_deref()
                        .map(str::trim)
                        .filter(|r| !r.is_empty());
                    let may_override = agent.role.at_least(trustdesk_core::Role::Supervisor);
                    match reason {
                        Some(reason) if may_override => {
                            let detail = serde_json::json!({ "reason": reason, "refusal": blocked.to_string() });
                            crate::accounts::audit::record(
                                self.store.as_ref(),
                                self.clock().now(),
                                crate::accounts::audit::actor_of(who),
                                AuditAction::GuardOverride,
                                id.to_string(),
                                detail,
                            )
                            .await?;
                        }
                        Some(_) => {
                            return Err(ApiError::Blocked(
                                "only a supervisor or admin can override the outbound guard".into(),
                            ));
                        }
                        None => return Err(blocked),
                    }
                }
                // An agent's text is screened like anyone's: a card number
                // or key pasted by mistake is not stored either.
                EventKind::Message {
                    body: GuardedText::new(&body),
                }
            }
        };
        let appended = self
            .append(NewEvent {
                conversation_id: id,
                actor: who.actor(),
                kind,
                client_msg_id: post.client_msg_id,
                at: self.clock.now(),
            })
            .await?;
        if appended.duplicate {
            return Ok(appended);
        }
        // The guard's notices, in the conversation's language (the raw
        // text is kept only in memory until here, and only when it held a
        // secret).
        let mut notices: Vec<EventKind> = notices
            .iter()
            .flat_map(|raw| {
                let language = appended
                    .conversation
                    .language
                    .unwrap_or_else(|| triage::detect_language(raw));
                guard::screen_customer_text(raw, language).notices
            })
            .collect();
        if let (Who::Customer(_), EventKind::Message { body }) = (&who.who, &appended.event.kind) {
            let mentions = trustdesk_core::crypto::context(body);
            if !mentions.is_empty() {
                notices.push(EventKind::CryptoContext { mentions });
            }
        }
        for notice in notices {
            let at = self.clock.now();
            self.append(NewEvent {
                conversation_id: id,
                actor: Actor::System,
                kind: notice,
                client_msg_id: None,
                at,
            })
            .await?;
        }
        match &who.who {
            // A customer writing again reopens a resolved, pending or
            // snoozed conversation.
            Who::Customer(_) => self.after_customer_message(&appended).await?,
            // An agent answering an unassigned conversation takes it.
            Who::Agent(agent) if !post.internal && appended.conversation.assignee_id.is_none() => {
                self.assign_to(
                    &appended.conversation,
                    who.actor(),
                    Some(agent.id),
                    AssignReason::SelfAssigned,
                )
                .await?;
            }
            Who::Agent(_) => {}
        }
        Ok(appended)
    }

    /// What follows a customer's message: a resolved, pending or snoozed
    /// conversation reopens; the first message of a conversation opened
    /// without one is triaged and answered by the bot; asking for a person
    /// gets a handoff notice.
    pub(super) async fn after_customer_message(&self, appended: &Appended) -> ApiResult<()> {
        let conversation = &appended.conversation;
        let EventKind::Message { body } = &appended.event.kind else {
            return Ok(());
        };
        let next = conversation.status.after_customer_message();
        if next != conversation.status {
            self.change_status(conversation, Actor::System, next, None)
                .await?;
        }
        let language = conversation
            .language
            .unwrap_or_else(|| triage::detect_language(body));
        let system = |kind| NewEvent {
            conversation_id: conversation.id,
            actor: Actor::System,
            kind,
            client_msg_id: None,
            at: self.clock.now(),
        };
        if conversation.category.is_none() {
            let triage = triage::classify(body);
            self.append(system(EventKind::Triaged {
                category: triage.category,
                language: triage.language,
                priority: triage.priority,
                urgent: triage.urgent,
                confidence: triage.confidence,
            }))
            .await?;
            match self.bot_reply(body, language, triage.urgent).await {
                bot::Decision::Answer(kind) => {
                    self.append(NewEvent {
                        actor: Actor::Bot,
                        ..system(kind)
                    })
                    .await?
                }
                bot::Decision::Handoff(kind) => self.append(system(kind)).await?,
            };
        } else if conversation.assignee_id.is_none() {
            if bot::wants_human(body) {
                self.append(system(NoticeCode::HandoffRequested.event(language)))
                    .await?;
            } else if let Some(helped) = bot::feedback(body)
                && self.awaiting_bot_feedback(conversation).await?
            {
                if helped {
                    // Deflection: the bot answered and the customer says so.
                    let notice = NewEvent {
                        actor: Actor::Bot,
                        ..system(NoticeCode::BotResolved.event(language))
                    };
                    let resolved = self.append(notice).await?;
                    self.change_status(
                        &resolved.conversation,
                        Actor::Bot,
                        ConversationStatus::Resolved,
                        None,
                    )
                    .await?;
                } else {
                    self.append(system(NoticeCode::HandoffNotHelped.event(language)))
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Whether the bot's last answer in this conversation still waits for
    /// the customer's "did it help?": a bot reply with no agent message and
    /// no handoff or resolution after it.
    pub(super) async fn awaiting_bot_feedback(
        &self,
        conversation: &Conversation,
    ) -> ApiResult<bool> {
        let from = (conversation.last_seq - 12).max(0);
        let recent = self
            .store
            .events(conversation.id, from, Audience::Team, 12)
            .await?;
        for event in recent.iter().rev() {
            match (&event.actor, &event.kind) {
                (_, EventKind::BotReply { .. }) => return Ok(true),
                (Actor::Agent { .. }, EventKind::Message { .. }) => return Ok(false),
                (_, EventKind::SystemNotice { code, .. })
                    if NoticeCode::parse(code)
                        .is_some_and(|c| c.is_handoff() || c == NoticeCode::BotResolved) =>
                {
                    return Ok(false);
                }
                _ => {}
            }
        }
        Ok(false)
    }
}
