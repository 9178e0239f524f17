//! Opening a conversation: the customer's first message, triage, the
//! bot's first reply and the opening events, stored in one append.

use super::*;
use trustdesk_core::guard::GuardedText;

impl Conversations {
    /// Opens a conversation for a customer, with its first message if any.
    pub async fn open(&self, customer: CustomerId, opening: Opening) -> ApiResult<Created> {
        // The subject is customer text like the body: screened before it is
        // stored, shown to agents or echoed back.
        let raw_subject = opening
            .subject
            .as_deref()
            .map(validate::subject)
            .transpose()?;
        let subject = raw_subject.as_deref().map(GuardedText::screen);
        let subject_had_secret = subject.as_ref().is_some_and(|s| !s.removed.is_empty());
        let body = opening.body.as_deref().map(validate::body).transpose()?;
        if let Some(id) = &opening.client_msg_id {
            validate::client_msg_id(id)?;
        }
        let now = self.clock.now();
        let mut new = NewConversation {
            id: ConversationId::new(),
            customer_id: customer,
            channel: opening.channel.unwrap_or(Channel::Web),
            subject: subject.map(|s| s.text),
            language: opening.language,
            priority: Priority::Normal,
            origin_client_id: opening.client_msg_id.clone(),
            at: now,
        };
        let mut events = Vec::new();
        if let Some(body) = body {
            // The guard runs first: everything after it (triage, the bot,
            // the store, the bus) only ever sees the redacted text.
            let hint = opening
                .language
                .unwrap_or_else(|| triage::detect_language(&body));
            let screened = guard::screen_customer_text(&body, hint);
            let triage = triage::classify(&screened.text);
            let language = opening.language.unwrap_or(triage.language);
            new.language = Some(language);
            let system = |kind| NewEvent {
                conversation_id: new.id,
                actor: Actor::System,
                kind,
                client_msg_id: None,
                at: now,
            };
            events.push(NewEvent {
                conversation_id: new.id,
                actor: Actor::Customer { id: customer },
                kind: EventKind::Message {
                    body: screened.text.clone(),
                },
                client_msg_id: opening.client_msg_id,
                at: now,
            });
            events.extend(screened.notices.into_iter().map(system));
            let mentions = trustdesk_core::crypto::context(&screened.text);
            if !mentions.is_empty() {
                events.push(system(EventKind::CryptoContext { mentions }));
            }
            events.push(system(EventKind::Triaged {
                category: triage.category,
                language: triage.language,
                priority: triage.priority,
                urgent: triage.urgent,
                confidence: triage.confidence,
            }));
            // The bot answers in the same transaction as the question, so
            // the customer has the suggestions in the create response.
            // Urgent requests skip the bot. A generative answer is awaited
            // here, before the store call.
            match self
                .bot_reply(&screened.text, language, triage.urgent)
                .await
            {
                bot::Decision::Answer(kind) => events.push(NewEvent {
                    actor: Actor::Bot,
                    ..system(kind)
                }),
                bot::Decision::Handoff(kind) => events.push(system(kind)),
            }
        }
        if subject_had_secret
            && let Some(raw) = &raw_subject
            && !events.iter().any(|e| is_secret_notice(&e.kind))
        {
            // Tell the customer, as for a message, when only the subject
            // held the secret.
            let language = new.language.unwrap_or(Language::En);
            let notices = guard::screen_customer_text(raw, language).notices;
            events.extend(notices.into_iter().map(|kind| NewEvent {
                conversation_id: new.id,
                actor: Actor::System,
                kind,
                client_msg_id: None,
                at: now,
            }));
        }
        let created = self.store.create_conversation(&new, events).await?;
        if !created.duplicate {
            self.announce_write(&created.events, &created.conversation)
                .await;
        }
        Ok(created)
    }
}

fn is_secret_notice(kind: &EventKind) -> bool {
    matches!(kind, EventKind::SystemNotice { code, .. }
        if code == NoticeCode::SecretRedacted.as_str())
}
