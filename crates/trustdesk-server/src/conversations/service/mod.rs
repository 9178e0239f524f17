//! Conversations: who may see what, and every write with its fan-out.
//!
//! All writes to a conversation go through here: validation, the access
//! check, the store append (durable before it returns) and the publish to
//! the bus. `append` is private to this module and its children, so no
//! other part of the server writes an event around these rules:
//!
//! - `open.rs`: opening a conversation (triage, the bot, opening events)
//! - `post.rs`: messages and notes, the guards, the bot's follow-up
//! - `status.rs`: status and assignment, by people and by trustdesk
//! - `desk.rs`: transfers, reminders, ratings, shared files
//!
//! This file holds the service itself, reads, the append and fan-out.

use crate::auth::{Authenticated, Who};
use crate::bus::{Bus, BusMessage, Topic};
use crate::clock::ServerClock;
use crate::conversations::admission::{Admission, Admitted, nearly_full};
use crate::conversations::bot;
use crate::conversations::llm::LlmClient;
use crate::error::{ApiError, ApiResult};
use crate::kb::KbIndex;
use crate::metrics::Metrics;
use crate::trust::guard;
use std::sync::Arc;
use tokio::sync::mpsc;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::event::{Actor, AssignReason, EventKind};
use trustdesk_core::guard::GuardedText;
use trustdesk_core::notice::{AgentNoticeCode, NoticeCode};
use trustdesk_core::timer::{Reminder, TimerKind};
use trustdesk_core::triage;
use trustdesk_core::{
    AgentId, Channel, Conversation, ConversationId, ConversationStatus, CustomerId, Event,
    Language, NewEvent, Priority, TeamId, Timestamp, validate,
};
use trustdesk_store::{Appended, Audience, Created, NewConversation, Store};

mod automated;
mod desk;
mod labels;
mod open;
mod post;
mod status;

pub use automated::{AUTOMATED_REPLY, ActedBy};
pub use desk::Transfer;

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
    /// Customer writes in flight; past saturation they are refused.
    admission: Admission,
    /// Counts what is stored and what is refused (`/metrics`).
    metrics: Arc<Metrics>,
}

/// Customer writes served at once unless configured
/// (`[limits] customer_writes_in_flight`).
pub const DEFAULT_IN_FLIGHT: usize = 512;

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
            admission: Admission::new(DEFAULT_IN_FLIGHT),
            metrics: Arc::default(),
        }
    }

    /// Counts into these metrics (the server's, scraped at `/metrics`).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
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

    /// Customer writes share this gate (with the widget sessions).
    pub fn with_admission(mut self, admission: Admission) -> Self {
        self.admission = admission;
        self
    }

    /// Admits a customer write (the REST middleware and the WebSocket take
    /// it; the service's own callers are agents and workers, never shed),
    /// or refuses it with `overloaded` when the
    /// writes in flight are at their limit or a worker's queue is nearly
    /// full (see `conversations::admission`).
    pub fn admit(&self) -> ApiResult<Admitted> {
        let backlogged = self.hooks.iter().any(nearly_full);
        let admitted = self.admission.admit(backlogged);
        if admitted.is_err() {
            self.metrics.overloaded();
        }
        admitted
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

    /// Fans a stored write out (every node's connections) and tells the
    /// workers.
    async fn announce_write(&self, events: &[Event], conversation: &Conversation) {
        let activity = Activity {
            events: Arc::from(events),
            conversation: Arc::new(conversation.clone()),
        };
        self.metrics.observe_events(events);
        self.bus.publish_write(&activity).await;
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
            self.announce_write(
                std::slice::from_ref(&appended.event),
                &appended.conversation,
            )
            .await;
        }
    }

    /// Appends an event written by trustdesk itself.
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
    pub async fn notify_agent(
        &self,
        agent: AgentId,
        id: ConversationId,
        code: AgentNoticeCode,
        text: String,
    ) {
        self.notify(Some(agent), trustdesk_core::Role::Agent, id, code, text)
            .await;
    }

    /// Pushes a notice to one agent, or to everyone with `min_role`.
    pub async fn notify(
        &self,
        agent: Option<AgentId>,
        min_role: trustdesk_core::Role,
        id: ConversationId,
        code: AgentNoticeCode,
        text: String,
    ) {
        let notice = crate::bus::AgentNotice {
            agent_id: agent,
            min_role,
            conversation_id: id,
            code,
            text,
        };
        self.bus
            .publish(Topic::Control, BusMessage::Notice(Arc::new(notice)))
            .await;
    }
}
