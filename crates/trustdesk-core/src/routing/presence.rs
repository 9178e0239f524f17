//! Presence rules as pure functions: when an agent counts as gone, and when
//! their open conversations go back to the queue.
//!
//! The server feeds in what it observed (explicit status changes and the
//! time of the last heartbeat) and `now`; these functions say what the
//! router should see and when to look again, so a single timer per agent is
//! enough and nothing is ever stranded with an agent who left.

use super::types::Presence;
use crate::ids::{AgentId, ConversationId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Timing of the presence rules, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PresenceConfig {
    /// An online or away agent whose last heartbeat is older than this is
    /// treated as offline (disconnected). Default 30 s.
    pub heartbeat_timeout_ms: i64,
    /// How long an offline / disconnected agent keeps their conversations
    /// (time to reconnect after a network blip). Default 60 s.
    pub grace_ms: i64,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            heartbeat_timeout_ms: 30_000,
            grace_ms: 60_000,
        }
    }
}

/// What the server knows about an agent's connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLiveness {
    pub agent_id: AgentId,
    /// The status the agent set (or the server set on a clean disconnect).
    pub presence: Presence,
    /// The last heartbeat (or any frame) received from the agent.
    pub last_heartbeat_at: Timestamp,
    /// When the agent became `Offline` (for an explicit/clean offline).
    pub offline_since: Option<Timestamp>,
}

/// The instant from which the agent counts as gone: the explicit offline
/// time, or the moment heartbeats time out, whichever is first. For a
/// connected agent this lies in the future (last heartbeat + timeout) and
/// moves on with every heartbeat.
pub fn gone_since(cfg: &PresenceConfig, agent: &AgentLiveness) -> Timestamp {
    let timed_out = agent
        .last_heartbeat_at
        .plus_millis(cfg.heartbeat_timeout_ms.max(0));
    match agent.presence {
        Presence::Offline => agent.offline_since.map_or(timed_out, |t| t.min(timed_out)),
        Presence::Online | Presence::Away => timed_out,
    }
}

/// The presence the router should use at `now`: the agent's own status,
/// except that missed heartbeats make them `Offline`.
pub fn effective_presence(cfg: &PresenceConfig, now: Timestamp, agent: &AgentLiveness) -> Presence {
    if now >= gone_since(cfg, agent) {
        Presence::Offline
    } else {
        agent.presence
    }
}

/// The outcome of [`requeue_after_disconnect`].
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Requeue {
    /// Conversations to take from the agent and put back in the queue now
    /// (keeping their original `enqueued_at`, see `QueueEntry`).
    pub conversations: Vec<ConversationId>,
    /// When to call again if nothing else happens (a heartbeat or a status
    /// change resets this): the end of the grace period, or the moment the
    /// heartbeat would time out. `None` once everything was requeued.
    pub check_again_at: Option<Timestamp>,
}

/// Which of `open` (the agent's open conversations) return to the queue at
/// `now`: all of them once the agent has been gone (offline, or heartbeats
/// missed) for the grace period, none before. An `away` agent who keeps
/// sending heartbeats keeps their conversations (they only get no new ones).
pub fn requeue_after_disconnect(
    cfg: &PresenceConfig,
    now: Timestamp,
    agent: &AgentLiveness,
    open: &[ConversationId],
) -> Requeue {
    let deadline = gone_since(cfg, agent).plus_millis(cfg.grace_ms.max(0));
    if now >= deadline {
        Requeue {
            conversations: open.to_vec(),
            check_again_at: None,
        }
    } else {
        Requeue {
            conversations: Vec::new(),
            check_again_at: Some(deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(presence: Presence, hb: i64, off: Option<i64>) -> AgentLiveness {
        AgentLiveness {
            agent_id: AgentId::new(),
            presence,
            last_heartbeat_at: Timestamp(hb),
            offline_since: off.map(Timestamp),
        }
    }

    #[test]
    fn online_agent_with_fresh_heartbeats_keeps_chats() {
        let cfg = PresenceConfig::default();
        let a = agent(Presence::Online, 1_000, None);
        let open = [ConversationId::new()];
        let r = requeue_after_disconnect(&cfg, Timestamp(20_000), &a, &open);
        assert!(r.conversations.is_empty());
        // heartbeat timeout 30 s + grace 60 s after the last heartbeat
        assert_eq!(r.check_again_at, Some(Timestamp(91_000)));
        assert_eq!(
            effective_presence(&cfg, Timestamp(20_000), &a),
            Presence::Online
        );
    }

    #[test]
    fn missed_heartbeats_mean_offline_then_requeue_after_grace() {
        let cfg = PresenceConfig::default();
        let a = agent(Presence::Online, 0, None);
        let open = [ConversationId::new(), ConversationId::new()];
        assert_eq!(
            effective_presence(&cfg, Timestamp(30_000), &a),
            Presence::Offline
        );
        let r = requeue_after_disconnect(&cfg, Timestamp(89_999), &a, &open);
        assert!(r.conversations.is_empty());
        let r = requeue_after_disconnect(&cfg, Timestamp(90_000), &a, &open);
        assert_eq!(r.conversations, open.to_vec());
        assert_eq!(r.check_again_at, None);
    }

    #[test]
    fn explicit_offline_starts_grace_at_offline_time() {
        let cfg = PresenceConfig::default();
        let a = agent(Presence::Offline, 10_000, Some(12_000));
        let open = [ConversationId::new()];
        assert_eq!(
            effective_presence(&cfg, Timestamp(12_000), &a),
            Presence::Offline
        );
        let r = requeue_after_disconnect(&cfg, Timestamp(71_999), &a, &open);
        assert_eq!(r.check_again_at, Some(Timestamp(72_000)));
        assert!(r.conversations.is_empty());
        let r = requeue_after_disconnect(&cfg, Timestamp(72_000), &a, &open);
        assert_eq!(r.conversations.len(), 1);
    }

    #[test]
    fn away_with_heartbeats_keeps_chats() {
        let cfg = PresenceConfig::default();
        let a = agent(Presence::Away, 100_000, None);
        let r = requeue_after_disconnect(&cfg, Timestamp(120_000), &a, &[ConversationId::new()]);
        assert!(r.conversations.is_empty());
        assert_eq!(
            effective_presence(&cfg, Timestamp(120_000), &a),
            Presence::Away
        );
    }
}
