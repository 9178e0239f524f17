//! The bus across nodes: every message is delivered to this node's hub at
//! once and published on NATS (async-nats, core NATS) for the other nodes,
//! whose subscription feeds their own hubs.
//!
//! Core NATS delivers at most once. That is enough here because nothing on
//! the bus is the record: events are stored before they are published, and
//! a connection that sees a gap in a conversation's seqs (a lost or late
//! message) fills it from the store, in order, so every subscriber still
//! gets every event once. Inbox lines are whole conversation states (the
//! next one supersedes a lost one); typing and read marks are ephemeral.
//! A session revocation another node misses leaves that node's open socket
//! running until it reconnects (its next `hello` is refused by the store);
//! a stream with acknowledgements (JetStream) would close that gap.
//!
//! Subjects: `<prefix>.conv.<id>`, `<prefix>.inbox`, `<prefix>.control`.
//! Each message carries the publishing node's id, so a node ignores its own
//! (it delivered them locally already).

use super::{AgentNotice, Bus, BusMessage, Hub, QueueInfo, Subscription, Topic};
use async_trait::async_trait;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trustdesk_core::event::Actor;
use trustdesk_core::notice::AgentNoticeCode;
use trustdesk_core::{AgentId, Conversation, ConversationId, Event, Role, SessionId};

pub struct NatsBus {
    hub: Hub,
    client: async_nats::Client,
    node: uuid::Uuid,
    prefix: String,
}

/// What crosses NATS: the bus message with owned data and the notice's
/// routing fields (which the console never sees, so `AgentNotice` does not
/// serialise them).
#[derive(Serialize, Deserialize)]
struct Wire {
    node: uuid::Uuid,
    topic: WireTopic,
    message: WireMessage,
}

#[derive(Serialize, Deserialize)]
enum WireTopic {
    Conversation(ConversationId),
    Inbox,
    Control,
}

#[derive(Serialize, Deserialize)]
enum WireMessage {
    Event(Event),
    Conversation(Conversation),
    Typing {
        conversation_id: ConversationId,
        actor: Actor,
    },
    Read {
        conversation_id: ConversationId,
        actor: Actor,
        seq: i64,
    },
    SessionsRevoked(Vec<SessionId>),
    Queue {
        conversation_id: ConversationId,
        position: usize,
        estimated_wait_ms: Option<i64>,
    },
    Notice {
        agent_id: Option<AgentId>,
        min_role: Role,
        conversation_id: ConversationId,
        code: AgentNoticeCode,
        text: String,
    },
}

impl From<&BusMessage> for WireMessage {
    fn from(message: &BusMessage) -> Self {
        match message {
            BusMessage::Event(e) => WireMessage::Event(e.as_ref().clone()),
            BusMessage::Conversation(c) => WireMessage::Conversation(c.as_ref().clone()),
            BusMessage::Typing {
                conversation_id,
                actor,
            } => WireMessage::Typing {
                conversation_id: *conversation_id,
                actor: actor.clone(),
            },
            BusMessage::Read {
                conversation_id,
                actor,
                seq,
            } => WireMessage::Read {
                conversation_id: *conversation_id,
                actor: actor.clone(),
                seq: *seq,
            },
            BusMessage::SessionsRevoked(ids) => WireMessage::SessionsRevoked(ids.to_vec()),
            BusMessage::Queue(q) => WireMessage::Queue {
                conversation_id: q.conversation_id,
                position: q.position,
                estimated_wait_ms: q.estimated_wait_ms,
            },
            BusMessage::Notice(n) => WireMessage::Notice {
                agent_id: n.agent_id,
                min_role: n.min_role,
                conversation_id: n.conversation_id,
                code: n.code,
                text: n.text.clone(),
            },
        }
    }
}

impl From<WireMessage> for BusMessage {
    fn from(message: WireMessage) -> Self {
        match message {
            WireMessage::Event(e) => BusMessage::Event(Arc::new(e)),
            WireMessage::Conversation(c) => BusMessage::Conversation(Arc::new(c)),
            WireMessage::Typing {
                conversation_id,
                actor,
            } => BusMessage::Typing {
                conversation_id,
                actor,
            },
            WireMessage::Read {
                conversation_id,
                actor,
                seq,
            } => BusMessage::Read {
                conversation_id,
                actor,
                seq,
            },
            WireMessage::SessionsRevoked(ids) => BusMessage::SessionsRevoked(ids.into()),
            WireMessage::Queue {
                conversation_id,
                position,
                estimated_wait_ms,
            } => BusMessage::Queue(QueueInfo {
                conversation_id,
                position,
                estimated_wait_ms,
            }),
            WireMessage::Notice {
                agent_id,
                min_role,
                conversation_id,
                code,
                text,
            } => BusMessage::Notice(Arc::new(AgentNotice {
                agent_id,
                min_role,
                conversation_id,
                code,
                text,
            })),
        }
    }
}

impl From<Topic> for WireTopic {
    fn from(topic: Topic) -> Self {
        match topic {
            Topic::Conversation(id) => WireTopic::Conversation(id),
            Topic::Inbox => WireTopic::Inbox,
            Topic::Control => WireTopic::Control,
        }
    }
}

impl From<WireTopic> for Topic {
    fn from(topic: WireTopic) -> Self {
        match topic {
            WireTopic::Conversation(id) => Topic::Conversation(id),
            WireTopic::Inbox => Topic::Inbox,
            WireTopic::Control => Topic::Control,
        }
    }
}

impl NatsBus {
    /// Connects and starts feeding this node's hub from the other nodes.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = async_nats::connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to NATS at {url}: {e}"))?;
        let prefix = prefix.trim_matches('.').to_owned();
        let mut incoming = client
            .subscribe(format!("{prefix}.>"))
            .await
            .map_err(|e| anyhow::anyhow!("cannot subscribe on NATS: {e}"))?;
        let node = uuid::Uuid::new_v4();
        let hub = Hub::new();
        let feed = hub.clone();
        tokio::spawn(async move {
            while let Some(message) = incoming.next().await {
                match serde_json::from_slice::<Wire>(&message.payload) {
                    Ok(wire) if wire.node != node => {
                        feed.deliver(wire.topic.into(), Arc::new(wire.message.into()));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::warn!(error = %err, "a bus message from NATS was not understood")
                    }
                }
            }
        });
        tracing::info!(%node, "bus: NATS");
        Ok(Self {
            hub,
            client,
            node,
            prefix,
        })
    }

    fn subject(&self, topic: Topic) -> String {
        match topic {
            Topic::Conversation(id) => format!("{}.conv.{}", self.prefix, id.0.simple()),
            Topic::Inbox => format!("{}.inbox", self.prefix),
            Topic::Control => format!("{}.control", self.prefix),
        }
    }

    /// Whether the connection to NATS is up, for /healthz.
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}

#[async_trait]
impl Bus for NatsBus {
    async fn publish(&self, topic: Topic, message: BusMessage) {
        let wire = Wire {
            node: self.node,
            topic: topic.into(),
            message: WireMessage::from(&message),
        };
        self.hub.deliver(topic, Arc::new(message));
        match serde_json::to_vec(&wire) {
            Ok(bytes) => {
                if let Err(err) = self.client.publish(self.subject(topic), bytes.into()).await {
                    // The store has the event; other nodes fill the gap.
                    tracing::warn!(error = %err, "bus: publish to NATS failed");
                }
            }
            Err(err) => tracing::error!(error = %err, "bus: cannot encode a message"),
        }
    }

    async fn subscribe(&self, topic: Topic) -> Subscription {
        self.hub.subscribe(topic)
    }

    fn kind(&self) -> &'static str {
        "nats"
    }
}
