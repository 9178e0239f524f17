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
//! A stored write crosses as one message (its events and the conversation
//! after them) on its conversation's subject; the receiving node delivers
//! the parts to its hub and hands the whole write to its desk-wide workers
//! (routing, timers, channel delivery), which catch up from the store when
//! one is lost.
//!
//! Subjects: `<prefix>.conv.<id>`, `<prefix>.inbox`, `<prefix>.control`,
//! `<prefix>.routing` (agents' presence).
//! Each message carries the publishing node's id, so a node ignores its own
//! (it delivered them locally already).

use super::{AgentNotice, Bus, BusMessage, Hub, NodePresence, QueueInfo, Subscription, Topic};
use crate::conversations::Activity;
use async_trait::async_trait;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;
use trustdesk_core::event::Actor;
use trustdesk_core::notice::AgentNoticeCode;
use trustdesk_core::{AgentId, Conversation, ConversationId, Event, Role, SessionId};

pub struct NatsBus {
    hub: Hub,
    /// Other nodes' writes, for this node's desk-wide workers.
    writes: broadcast::Sender<Activity>,
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
    Routing,
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
    Presence(NodePresence),
    ProfilesChanged(uuid::Uuid),
    /// A stored write: delivered to the hub as its events and the
    /// conversation's state, and handed to the desk-wide workers.
    Write {
        events: Vec<Event>,
        conversation: Conversation,
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
            BusMessage::Presence(p) => WireMessage::Presence(p.as_ref().clone()),
            BusMessage::ProfilesChanged { node } => WireMessage::ProfilesChanged(*node),
        }
    }
}

impl WireMessage {
    /// What the hub delivers; a write is taken apart before this.
    fn into_bus(self) -> Option<BusMessage> {
        Some(match self {
            WireMessage::Write { .. } => return None,
            WireMessage::Presence(p) => BusMessage::Presence(Arc::new(p)),
            WireMessage::ProfilesChanged(node) => BusMessage::ProfilesChanged { node },
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
        })
    }
}

impl From<Topic> for WireTopic {
    fn from(topic: Topic) -> Self {
        match topic {
            Topic::Conversation(id) => WireTopic::Conversation(id),
            Topic::Inbox => WireTopic::Inbox,
            Topic::Control => WireTopic::Control,
            Topic::Routing => WireTopic::Routing,
        }
    }
}

impl From<WireTopic> for Topic {
    fn from(topic: WireTopic) -> Self {
        match topic {
            WireTopic::Conversation(id) => Topic::Conversation(id),
            WireTopic::Inbox => Topic::Inbox,
            WireTopic::Control => Topic::Control,
            WireTopic::Routing => Topic::Routing,
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
        let (writes, _) = broadcast::channel(WRITES_BUFFER);
        let heard = writes.clone();
        tokio::spawn(async move {
            while let Some(message) = incoming.next().await {
                match serde_json::from_slice::<Wire>(&message.payload) {
                    Ok(Wire {
                        node: from,
                        message:
                            WireMessage::Write {
                                events,
                                conversation,
                            },
                        ..
                    }) if from != node => {
                        let write = Activity {
                            events: events.into(),
                            conversation: Arc::new(conversation),
                        };
                        deliver_write(&feed, &write);
                        // No worker listening (yet) is fine: they catch up
                        // from the store.
                        let _ = heard.send(write);
                    }
                    Ok(wire) if wire.node != node => {
                        if let Some(message) = wire.message.into_bus() {
                            feed.deliver(wire.topic.into(), Arc::new(message));
                        }
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
            writes,
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
            Topic::Routing => format!("{}.routing", self.prefix),
        }
    }

    async fn send(&self, topic: Topic, message: WireMessage) {
        let wire = Wire {
            node: self.node,
            topic: topic.into(),
            message,
        };
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

    /// Whether the connection to NATS is up, for /healthz.
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}

/// Other nodes' writes buffered per desk-wide worker before it is told it
/// missed some.
const WRITES_BUFFER: usize = 16_384;

/// A write as this node's connections see it: each event on its
/// conversation's topic, then the conversation's state on the inbox.
fn deliver_write(hub: &Hub, write: &Activity) {
    for event in write.events.iter() {
        hub.deliver(
            Topic::Conversation(event.conversation_id),
            Arc::new(BusMessage::Event(Arc::new(event.clone()))),
        );
    }
    hub.deliver(
        Topic::Inbox,
        Arc::new(BusMessage::Conversation(write.conversation.clone())),
    );
}

#[async_trait]
impl Bus for NatsBus {
    async fn publish(&self, topic: Topic, message: BusMessage) {
        let wire = WireMessage::from(&message);
        self.hub.deliver(topic, Arc::new(message));
        self.send(topic, wire).await;
    }

    async fn publish_write(&self, write: &Activity) {
        deliver_write(&self.hub, write);
        let wire = WireMessage::Write {
            events: write.events.to_vec(),
            conversation: write.conversation.as_ref().clone(),
        };
        self.send(Topic::Conversation(write.conversation.id), wire)
            .await;
    }

    fn desk_writes(&self) -> Option<broadcast::Receiver<Activity>> {
        Some(self.writes.subscribe())
    }

    fn deliver_local(&self, topic: Topic, message: BusMessage) {
        self.hub.deliver(topic, Arc::new(message));
    }

    async fn subscribe(&self, topic: Topic) -> Subscription {
        self.hub.subscribe(topic)
    }

    fn kind(&self) -> &'static str {
        "nats"
    }
}
