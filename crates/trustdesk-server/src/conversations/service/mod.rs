//! Conversations: who may see what, and every write with its fan-out.
//!
//! All writes to a conversation go through here: validation, the access
//! check, the store append (durable before it returns) and the publish to
//! the bus. Later capabilities plug in at the marked points: the secret
//! guard before anything of a customer message is stored; triage on the
//! first customer message; routing after a conversation opens.

use crate::auth::{Authenticated, Who};
use crate::bus::{Bus, BusMessage, Topic};
use crate::clock::ServerClock;
use crate::conversations::bot;
use crate::conversations::llm::LlmClient;
use crate::error::{ApiError, ApiResult};
use crate::kb::KbIndex;
use crate::trust::guard;
use std::sync::Arc;
use tokio::sync::mpsc;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::event::{Actor, AssignReason, EventKind};
use trustdesk_core::notice::NoticeCode;
use trustdesk_core::timer::{Reminder, TimerKind};
use trustdesk_core::triage;
use trustdesk_core::{
    AgentId, Channel, Conversation, ConversationId, ConversationStatus, CustomerId, Event,
    Language, NewEvent, Priority, TeamId, Timestamp, validate,
};
use trustdesk_store::{Appended, Audience, Created, NewConversation, Store};

/// Most events one history read returns.
pub const MAX_PAGE: u32 = 500;

#[derive(Clone)]
pub struct Conversations {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    kb: Arc<KbIndex>,
    /// The optional generative answer mode; `None` when off.
    llm: Option<Arc<LlmClient>>,
    /// Every event time and deadline comes from here.
    clock: Arc<ServerClock>,
    /// A resolved conversation closes after this long (0 = never).
    auto_close_after_ms: i64,
    /// The routing and timer workers hear of every write (no store read).
    hooks: Vec<mpsc::Sender<Activity>>,
}

/// What the background workers are told after each stored write: the
/// events it stored, in order (all the opening events of a new
/// conversation at once; none for a bare creation), and the conversation
/// after them.
#[derive(Clone, Debug)]
pub struct Activity {
    pub events: Arc<[Event]>,
    pub conversation: Arc<Conversation>,
}

/// A customer's request to open a conversation.
#[derive(Clone, Debug, Default)]
pub struct Opening {
    pub subject: Option<String>,
    pub body: Option<String>,
    pub client_msg_id: Option<String>,
    pub language: Option<Language>,
    pub channel: Option<Channel>,
}

/// A message or note to post.
#[derive(Clone, Debug)]
pub struct Post {
    pub client_msg_id: Option<String>,
    pub body: String,
    /// An internal note (agents only): never shown to the customer.
    pub internal: bool,
    /// A supervisor's reason to send a message the outbound guard refuses;
    /// the override is written to the audit log.
    pub guard_override: Option<String>,
}

impl Conversations {
    pub fn new(store: Arc<dyn Store>, bus: Arc<dyn Bus>, kb: Arc<KbIndex>) -> Self {
        Self {
            store,
            bus,
            kb,
            llm: None,
            clock: Arc::new(ServerClock::new()),
            auto_close_after_ms: 0,
            hooks: Vec::new(),
        }
    }

    /// Resolved conversations close by themselves after `ms` (0 = never).
    pub fn with_auto_close(mut self, ms: i64) -> Self {
        self.auto_close_after_ms = ms.max(0);
        self
    }

    /// Uses this clock for event times and deadlines.
    pub fn with_clock(mut self, clock: Arc<ServerClock>) -> Self {
        self.clock = clock;
        self
    }

    /// Tells `hook` about every stored write from now on.
    pub fn with_hook(mut self, hook: mpsc::Sender<Activity>) -> Self {
        self.hooks.push(hook);
        self
    }

    pub fn clock(&self) -> &ServerClock {
        &self.clock
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn bus(&self) -> &Arc<dyn Bus> {
        &self.bus
    }

    async fn notify_hooks(&self, events: &[Event], conversation: &Conversation) {
        if self.hooks.is_empty() {
            return;
        }
        let activity = Activity {
            events: Arc::from(events),
            conversation: Arc::new(conversation.clone()),
        };
        for hook in &self.hooks {
            // Waits while the worker is behind: back-pressure, not an
            // unbounded queue.
            let _ = hook.send(activity.clone()).await;
        }
    }

    /// Turns on the generative answer mode with this client.
    pub fn with_llm(mut self, llm: Option<Arc<LlmClient>>) -> Self {
        self.llm = llm;
        self
    }

    /// The bot's first reply: the extractive decision, then (when the
    /// generative mode is on and the bot answers) the generated text. The
    /// endpoint is called here, before and outside any store transaction,
    /// bounded by its timeout.
    async fn bot_reply(&self, question: &str, language: Language, urgent: bool) -> bot::Decision {
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

    /// The conversation if `who` may see it. A customer asking for another
    /// customer's conversation, or an agent for one outside their scope,
    /// gets the same `NotFound` as for an id that does not exist, so ids
    /// cannot be probed.
    pub async fn visible(
        &self,
        who: &Authenticated,
        id: ConversationId,
    ) -> ApiResult<Conversation> {
        let conversation = self.store.get_conversation(id).await?;
        match &who.who {
            Who::Customer(customer) if conversation.customer_id != *customer => {
                Err(ApiError::NotFound)
            }
            Who::Agent(agent) if !Self::agent_may_see(agent, &conversation) => {
                Err(ApiError::NotFound)
            }
            _ => Ok(conversation),
        }
    }

    /// The one visibility rule for agents (see `trustdesk_core::access`):
    /// every route and WebSocket operation on a conversation goes through
    /// `visible`, which calls this; new routes (transfers, …) must too.
    pub fn agent_may_see(agent: &trustdesk_core::Agent, conversation: &Conversation) -> bool {
        trustdesk_core::access::AgentScope::of(agent).may_see(conversation)
    }

    pub fn audience(who: &Authenticated) -> Audience {
        match who.who {
            Who::Customer(_) => Audience::Customer,
            Who::Agent(_) => Audience::Team,
        }
    }

    /// Events after `since` that `who` may see.
    pub async fn history(
        &self,
        who: &Authenticated,
        conversation: &Conversation,
        since: i64,
        limit: u32,
    ) -> ApiResult<Vec<Event>> {
        if since < 0 {
            return Err(ApiError::BadRequest("since must not be negative".into()));
        }
        if since > conversation.last_seq {
            return Err(ApiError::BadRequest(format!(
                "since={since} is ahead of the conversation (last seq {})",
                conversation.last_seq
            )));
        }
        let limit = limit.clamp(1, MAX_PAGE);
        Ok(self
            .store
            .events(conversation.id, since, Self::audience(who), limit)
            .await?)
    }

    /// Opens a conversation for a customer, with its first message if any.
    pub async fn open(&self, customer: CustomerId, opening: Opening) -> ApiResult<Created> {
        let subject = opening
            .subject
            .as_deref()
            .map(validate::subject)
            .transpose()?;
        let body = opening.body.as_deref().map(validate::body).transpose()?;
        if let Some(id) = &opening.client_msg_id {
            validate::client_msg_id(id)?;
        }
        let now = self.clock.now();
        let mut new = NewConversation {
            id: ConversationId::new(),
            customer_id: customer,
            channel: opening.channel.unwrap_or(Channel::Web),
            subject,
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
        let created = self.store.create_conversation(&new, events).await?;
        if !created.duplicate {
            for event in &created.events {
                self.publish_event(event).await;
            }
            self.publish_conversation(&created.conversation).await;
            self.notify_hooks(&created.events, &created.conversation)
                .await;
        }
        Ok(created)
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
                EventKind::Message { body }
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
    async fn after_customer_message(&self, appended: &Appended) -> ApiResult<()> {
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
    async fn awaiting_bot_feedback(&self, conversation: &Conversation) -> ApiResult<bool> {
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

    async fn change_status(
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

    async fn assign_to(
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
    async fn introduce_agent(&self, conversation: &Conversation, agent: AgentId) -> ApiResult<()> {
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

    /// Appends durably, then fans out. A duplicate is not fanned out again.
    /// Appends and announces. Private: every other module writes through a
    /// method that names what it does, so the rules here hold for all.
    async fn append(&self, event: NewEvent) -> ApiResult<Appended> {
        let appended = self.store.append_event(event).await?;
        self.announce(&appended).await;
        Ok(appended)
    }

    /// Fans out an event another store operation appended (e.g. with an
    /// attachment). A duplicate is not fanned out again.
    pub async fn announce(&self, appended: &Appended) {
        if !appended.duplicate {
            self.publish_event(&appended.event).await;
            self.publish_conversation(&appended.conversation).await;
            self.notify_hooks(
                std::slice::from_ref(&appended.event),
                &appended.conversation,
            )
            .await;
        }
    }

    async fn publish_event(&self, event: &Event) {
        self.bus
            .publish(
                Topic::Conversation(event.conversation_id),
                BusMessage::Event(Arc::new(event.clone())),
            )
            .await;
    }

    async fn publish_conversation(&self, conversation: &Conversation) {
        self.bus
            .publish(
                Topic::Inbox,
                BusMessage::Conversation(Arc::new(conversation.clone())),
            )
            .await;
    }
}

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
                "transferred_to_you",
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

    /// Puts a conversation in a team's queue (routing by category, or an
    /// integration that sorts its own tickets), without an agent.
    pub async fn route_to_team(&self, id: ConversationId, team: TeamId) -> ApiResult<Appended> {
        self.append(NewEvent {
            conversation_id: id,
            actor: Actor::System,
            kind: EventKind::Assigned {
                from: None,
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
        self.assign_to(
            &conversation,
            Actor::System,
            Some(agent),
            AssignReason::Routed,
        )
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
        self.assign_to(&conversation, Actor::System, None, reason)
            .await
            .map(Some)
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

    /// Appends an event written by trustdesk itself.
    /// The customer's CSAT score (the checks are the caller's:
    /// `feedback::rate`).
    pub async fn record_rating(
        &self,
        who: &Authenticated,
        id: ConversationId,
        score: u8,
        comment: Option<String>,
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

    pub async fn system_event(&self, id: ConversationId, kind: EventKind) -> ApiResult<Appended> {
        self.append(NewEvent {
            conversation_id: id,
            actor: Actor::System,
            kind,
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await
    }

    /// Pushes a notice to one agent's consoles.
    pub async fn notify_agent(&self, agent: AgentId, id: ConversationId, code: &str, text: String) {
        self.notify(Some(agent), trustdesk_core::Role::Agent, id, code, text)
            .await;
    }

    /// Pushes a notice to one agent, or to everyone with `min_role`.
    pub async fn notify(
        &self,
        agent: Option<AgentId>,
        min_role: trustdesk_core::Role,
        id: ConversationId,
        code: &str,
        text: String,
    ) {
        let notice = crate::bus::AgentNotice {
            agent_id: agent,
            min_role,
            conversation_id: id,
            code: code.into(),
            text,
        };
        self.bus
            .publish(Topic::Control, BusMessage::Notice(Arc::new(notice)))
            .await;
    }
}
