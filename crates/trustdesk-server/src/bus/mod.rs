//! Fan-out. Every stored event and conversation change is published on a
//! topic; WebSocket connections subscribe to the topics they may see.
//!
//! The [`Bus`] trait is the seam for scale-out: the in-process bus hands a
//! message straight to the local [`Hub`]; the NATS bus ([`NatsBus`]) also
//! publishes to NATS and feeds the local hub from its subscription, so
//! connections on every node see every event. Messages carry sequence numbers and the
//! connection fills gaps from the store, so a bus may reorder or drop and
//! clients still get every event once, in order.

mod hub;
mod memory;
mod nats;
mod writes;

pub use hub::{Hub, Subscription, SubscriptionStream};
pub use memory::MemoryBus;
pub use nats::NatsBus;
pub use writes::{DeskWrites, Heard};

use crate::conversations::Activity;
use async_trait::async_trait;
use std::sync::Arc;
use trustdesk_core::event::Actor;
use trustdesk_core::{Conversation, ConversationId, Event, SessionId};

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everything that happens in one conversation.
    Conversation(ConversationId),
    /// Conversation summaries for agents' live inboxes.
    Inbox,
    /// Session revocations and other control messages for every
    /// connection.
    Control,
    /// What the routing workers of a desk tell each other (agents'
    /// presence); no connection listens here.
    Routing,
}

#[derive(Clone, Debug)]
pub enum BusMessage {
    /// A stored event (the connection filters by audience).
    Event(Arc<Event>),
    /// A conversation's new state, for inboxes.
    Conversation(Arc<Conversation>),
    /// Someone is typing (ephemeral, never stored).
    Typing {
        conversation_id: ConversationId,
        actor: Actor,
    },
    /// Someone has read up to `seq` (ephemeral).
    Read {
        conversation_id: ConversationId,
        actor: Actor,
        seq: i64,
    },
    /// These sessions were revoked: their connections must close.
    SessionsRevoked(Arc<[SessionId]>),
    /// A queued conversation's place in the queue (ephemeral, on the
    /// conversation's topic).
    Queue(QueueInfo),
    /// A notice for agents (on the control topic): one agent, or everyone
    /// with at least `min_role`.
    Notice(Arc<AgentNotice>),
    /// The agents connected to one node, and what each chose (on the
    /// routing topic).
    Presence(Arc<NodePresence>),
    /// A node changed agents' routing profiles (on the routing topic): the
    /// others reload them.
    ProfilesChanged { node: uuid::Uuid },
}

/// One node's view of its own agent connections, sent when it changes and
/// every few seconds; a node not heard from for a while is taken as gone,
/// with its connections.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodePresence {
    pub node: uuid::Uuid,
    pub agents: Vec<AgentPresence>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AgentPresence {
    pub agent_id: trustdesk_core::AgentId,
    /// Open consoles of this agent on the node.
    pub connections: u32,
    /// What the agent last chose there, and when (the latest choice on any
    /// node wins).
    pub chosen: trustdesk_core::routing::Presence,
    pub chosen_at: trustdesk_core::Timestamp,
}

/// Where a waiting conversation stands.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QueueInfo {
    pub conversation_id: ConversationId,
    /// 1-based position among the conversations competing for the same
    /// agents.
    pub position: usize,
    /// Estimated wait in ms; `None` when unknown (no handling-time data or
    /// no agent available), which clients must say as such.
    pub estimated_wait_ms: Option<i64>,
}

/// A notification for agents' consoles.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AgentNotice {
    /// Only this agent; `None` = everyone with `min_role`.
    #[serde(skip)]
    pub agent_id: Option<trustdesk_core::AgentId>,
    #[serde(skip)]
    pub min_role: trustdesk_core::Role,
    pub conversation_id: ConversationId,
    pub code: trustdesk_core::notice::AgentNoticeCode,
    pub text: String,
}

#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Publishes to every subscriber of `topic`, on every node.
    async fn publish(&self, topic: Topic, message: BusMessage);
    /// Publishes a stored write: each event on its conversation's topic and
    /// the conversation's new state on the inbox, on every node. A bus
    /// across nodes also hands it to the other nodes' desk-wide workers
    /// ([`Bus::desk_writes`]), in one message.
    async fn publish_write(&self, write: &Activity) {
        for event in write.events.iter() {
            self.publish(
                Topic::Conversation(event.conversation_id),
                BusMessage::Event(Arc::new(event.clone())),
            )
            .await;
        }
        self.publish(
            Topic::Inbox,
            BusMessage::Conversation(write.conversation.clone()),
        )
        .await;
    }
    /// The writes other nodes stored, for the workers that act for the
    /// whole desk (routing, timers, channel delivery); `None` on a bus
    /// with no other node. At most once: the workers reconcile with the
    /// store for what a lagging receiver or NATS lost.
    fn desk_writes(&self) -> Option<tokio::sync::broadcast::Receiver<Activity>> {
        None
    }
    /// Hands `message` to this node's subscribers of `topic` only (what a
    /// node found out for itself, e.g. which of its sockets' sessions
    /// ended: every node checks its own).
    fn deliver_local(&self, topic: Topic, message: BusMessage);
    /// Subscribes this node to `topic`.
    async fn subscribe(&self, topic: Topic) -> Subscription;
    /// "memory" or "nats", for logs and /healthz.
    fn kind(&self) -> &'static str;
}
