//! The routing worker: owns the queue and the agents' live state, and
//! assigns with the pure engine (`trustdesk_core::routing::Router`).
//!
//! One task per node. It is rebuilt from the store at start (the queue is
//! every open, unassigned, triaged conversation; loads are counted from the
//! assignments), then kept current by the [`Activity`] every write reports
//! (no store read on the message path) and by the agents' WebSockets
//! (connect, disconnect, `presence`). After each batch of changes, and when
//! the next widening/aging/grace deadline comes, it:
//!
//! 1. requeues the conversations of agents gone longer than the grace
//!    period (disconnected, or explicitly offline) — never stranded;
//! 2. applies the assignments of the pass planned by
//!    `trustdesk_core::routing::pass::plan` (team queues first);
//! 3. pushes each waiting customer's position and wait estimate when they
//!    change, and publishes a snapshot for the supervisors' queue view.
//!
//! Every decision is the pure planner's (`pass::requeues`, `pass::plan`,
//! property-tested in core); this worker keeps the live state and does
//! the IO.
//!
//! **Several nodes.** Every node runs this worker and keeps the whole
//! desk's state: it hears the other nodes' writes over the bus
//! ([`DeskWrites`]) and their agents' presence (each node sends the agents
//! connected to it on the routing topic when that changes and every
//! [`HEARTBEAT`]; a node silent for [`NODE_EXPIRY`] is taken as gone, with
//! its connections). Only the leading node (`leader.rs`) writes: it
//! requeues, assigns and pushes queue positions; the others plan the same
//! pass for their queue view only. What the bus loses is caught up from
//! the store ([`RECONCILE`]), and an assignment is a compare-and-set in the
//! store, so even two nodes that both believe they lead cannot give one
//! conversation to two agents.

use crate::bus::{AgentPresence, BusMessage, DeskWrites, Heard, NodePresence, QueueInfo, Topic};
use crate::config::RoutingSettings;
use crate::conversations::{Activity, Conversations};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, watch};
use trustdesk_core::event::{AssignReason, EventKind};
use trustdesk_core::notice::{AgentNoticeCode, NoticeCode};
use trustdesk_core::routing::{
    AgentState, LanguageSet, Presence, QueueEntry, Router, RoutingConfig, Skills, pass,
};
use trustdesk_core::{
    AgentId, AgentStatus, Conversation, ConversationId, ConversationStatus, Language, TeamId,
    Timestamp,
};
use trustdesk_store::Store;

/// Least time between two routing passes. A pass looks at every waiting
/// conversation, so under a burst of arrivals one pass per arrival would
/// cost O(queue) each; batching arrivals this long keeps the cost per
/// arrival flat, and a few milliseconds do not matter to a person waiting.
const MIN_PASS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);

/// A pass waits at least this many times as long as the previous one took,
/// so routing never takes more than about a sixth of a core however long
/// the queue grows (a surge after an outage: thousands waiting, each
/// arrival asking for a pass); positions then refresh less often.
const PASS_SPACING_FACTOR: u32 = 5;

/// The longest a pass waits for the spacing above.
const MAX_PASS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Handling times kept for the wait estimate.
const HANDLE_TIMES: usize = 100;

/// How often a node tells the others which agents are connected to it.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(2);

/// A node not heard from this long is gone, and so are its connections
/// (the agents' grace period starts then).
pub const NODE_EXPIRY: std::time::Duration = std::time::Duration::from_secs(6);

/// How often a node of several reads the active conversations back from
/// the store, for writes of other nodes the bus lost.
const RECONCILE: std::time::Duration = std::time::Duration::from_secs(5);

/// What the worker is told besides conversation activity.
#[derive(Debug)]
pub enum Command {
    Activity(Activity),
    /// An agent WebSocket opened.
    Connected(AgentId),
    /// An agent WebSocket closed.
    Disconnected(AgentId),
    /// The agent chose online, away or offline.
    SetPresence(AgentId, Presence),
    /// Agents or routing profiles changed in the store: reload them.
    ProfilesChanged,
    /// Writes of other nodes were lost on the way: read the active
    /// conversations back from the store.
    CatchUp,
}

impl From<Heard> for Command {
    fn from(heard: Heard) -> Self {
        match heard {
            Heard::Write(activity) => Command::Activity(activity),
            Heard::Missed => Command::CatchUp,
        }
    }
}

/// How many commands may wait for the worker before senders wait.
const COMMAND_QUEUE: usize = 4096;

/// The sending side, cheap to clone. A send waits while the worker's queue
/// is full (back-pressure on the caller) and never fails visibly (a
/// stopped worker simply stops routing).
#[derive(Clone)]
pub struct RoutingHandle {
    tx: mpsc::Sender<Command>,
    snapshot: Arc<RwLock<Snapshot>>,
}

/// The queue and the agents as the worker last saw them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    pub at: Option<Timestamp>,
    /// Waiting conversations in service order.
    pub queue: Vec<QueuedView>,
    pub agents: Vec<AgentView>,
}

pub use trustdesk_core::routing::pass::QueuedView;

#[derive(Clone, Debug, Serialize)]
pub struct AgentView {
    pub agent_id: AgentId,
    pub presence: Presence,
    pub load: u32,
    pub capacity: u32,
    pub connections: u32,
}

impl RoutingHandle {
    pub fn new() -> (Self, mpsc::Receiver<Command>) {
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        (
            Self {
                tx,
                snapshot: Arc::new(RwLock::new(Snapshot::default())),
            },
            rx,
        )
    }

    pub async fn send(&self, command: Command) {
        let _ = self.tx.send(command).await;
    }

    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Where a conversation stands in the queue, if it is waiting.
    pub fn queue_info(&self, id: ConversationId) -> Option<QueueInfo> {
        let snapshot = self.snapshot.read().ok()?;
        snapshot
            .queue
            .iter()
            .find(|q| q.conversation_id == id)
            .map(|q| QueueInfo {
                conversation_id: id,
                position: q.position,
                estimated_wait_ms: q.estimated_wait_ms,
            })
    }

    /// Registers an agent connection; the returned guard reports the
    /// disconnect when dropped, whatever way the connection ends.
    pub async fn connect(&self, agent: AgentId) -> ConnectionGuard {
        self.send(Command::Connected(agent)).await;
        ConnectionGuard {
            agent,
            tx: self.tx.clone(),
        }
    }
}

pub struct ConnectionGuard {
    agent: AgentId,
    tx: mpsc::Sender<Command>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        // Drop cannot wait. When the queue is full a task waits instead:
        // a lost disconnect would keep the agent online for routing.
        let command = Command::Disconnected(self.agent);
        if let Err(mpsc::error::TrySendError::Full(command)) = self.tx.try_send(command) {
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(command).await;
            });
        }
    }
}

/// What feeds the worker: commands from the handle, and the write reports
/// of the conversations service.
pub struct Inputs {
    pub commands: mpsc::Receiver<Command>,
    pub writes: DeskWrites,
    /// Whether this node leads (and so writes).
    pub leading: watch::Receiver<bool>,
}

/// An agent as the worker tracks them.
struct Slot {
    profile: Option<(Skills, u32)>,
    teams: Vec<TeamId>,
    languages: LanguageSet,
    active: bool,
    /// The agent's open consoles on this node.
    connections: u32,
    /// What the agent chose (online by default when they connect), and
    /// when: across nodes the latest choice wins.
    chosen: Presence,
    chosen_at: Timestamp,
    /// Since when the agent is gone (no connection on any node, or chose
    /// offline).
    gone_since: Option<Timestamp>,
    last_assigned_at: Option<Timestamp>,
}

impl Slot {
    /// An agent nobody has heard from since `since`.
    fn gone(since: Timestamp) -> Self {
        Self {
            profile: None,
            teams: Vec::new(),
            languages: LanguageSet::EMPTY,
            active: true,
            connections: 0,
            chosen: Presence::Online,
            chosen_at: since,
            gone_since: Some(since),
            last_assigned_at: None,
        }
    }
}

/// Another node's agents, as it last said.
struct RemoteNode {
    heard: tokio::time::Instant,
    agents: HashMap<AgentId, AgentPresence>,
}

/// An agent's consoles on every node and their latest choice.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Effective {
    connections: u32,
    chosen: Presence,
    chosen_at: Timestamp,
}

impl Effective {
    fn presence(&self) -> Presence {
        if self.connections == 0 {
            Presence::Offline
        } else {
            self.chosen
        }
    }
}

fn effective(agent: AgentId, slot: &Slot, remote: &HashMap<uuid::Uuid, RemoteNode>) -> Effective {
    let mut out = Effective {
        connections: slot.connections,
        chosen: slot.chosen,
        chosen_at: slot.chosen_at,
    };
    let mut any = slot.connections > 0;
    for p in remote.values().filter_map(|n| n.agents.get(&agent)) {
        if p.connections == 0 {
            continue;
        }
        out.connections += p.connections;
        if !any || p.chosen_at > out.chosen_at {
            out.chosen = p.chosen;
            out.chosen_at = p.chosen_at;
        }
        any = true;
    }
    out
}

/// A conversation as the worker tracks it.
struct Tracked {
    conversation: Conversation,
    /// When the current assignee got it (for handling times).
    assigned_at: Option<Timestamp>,
    /// The last assignee and when they let go (stickiness).
    previous: Option<(AgentId, Timestamp)>,
}

pub struct Worker {
    conversations: Conversations,
    store: Arc<dyn Store>,
    router: Router,
    grace_ms: i64,
    handle: RoutingHandle,
    agents: HashMap<AgentId, Slot>,
    tracked: HashMap<ConversationId, Tracked>,
    handle_times: VecDeque<i64>,
    pushed: HashMap<ConversationId, QueueInfo>,
    started_at: Timestamp,
    /// The configured security and overflow team names, resolved to ids
    /// on every reload (a team may be created after start).
    team_names: (Option<String>, Option<String>),
    /// How long a bot answer holds a conversation back from routing.
    bot_hold_ms: i64,
    /// Conversations the bot answered, routable from this instant (unless
    /// the customer asks for a person first). Memory only: after a restart
    /// they route at once, erring towards a human.
    holds: HashMap<ConversationId, Timestamp>,
    inputs: Option<Inputs>,
    /// This node, as its presence messages name it.
    node: uuid::Uuid,
    /// The other nodes' agents; empty on a one-node desk.
    remote: HashMap<uuid::Uuid, RemoteNode>,
    /// Whether this node writes (assigns, requeues, pushes positions).
    leading: bool,
    /// Whether this node's agent connections changed since it last told
    /// the others.
    presence_changed: bool,
}

impl crate::workers::Worker for Worker {
    const NAME: &'static str = "routing";

    async fn run(mut self, shutdown: watch::Receiver<bool>) {
        let Some(inputs) = self.inputs.take() else {
            return;
        };
        self.serve(inputs, shutdown).await;
    }
}

impl Worker {
    /// Builds the worker and loads agents, profiles and active
    /// conversations from the store.
    pub async fn load(
        conversations: Conversations,
        settings: &RoutingSettings,
        handle: RoutingHandle,
        inputs: Inputs,
    ) -> anyhow::Result<Self> {
        let store = conversations.store().clone();
        let config = RoutingConfig {
            min_proficiency: settings.min_proficiency,
            widen_after_ms: settings.widen_after_ms,
            aging_step_ms: settings.aging_step_ms,
            ..RoutingConfig::default()
        };
        let now = conversations.clock().now();
        let mut worker = Self {
            store,
            router: Router::new(config),
            grace_ms: settings.grace_ms.max(0),
            handle,
            agents: HashMap::new(),
            tracked: HashMap::new(),
            handle_times: VecDeque::new(),
            pushed: HashMap::new(),
            started_at: now,
            team_names: (
                settings.security_team.clone(),
                settings.overflow_team.clone(),
            ),
            bot_hold_ms: settings.bot_hold_ms.max(0),
            holds: HashMap::new(),
            inputs: Some(inputs),
            conversations,
            node: uuid::Uuid::new_v4(),
            remote: HashMap::new(),
            leading: false,
            presence_changed: false,
        };
        worker.reload_agents().await?;
        for conversation in worker
            .store
            .active_conversations()
            .await
            .map_err(|e| anyhow::anyhow!("cannot read conversations: {e}"))?
        {
            let assigned_at = conversation.assignee_id.map(|_| conversation.updated_at);
            worker.tracked.insert(
                conversation.id,
                Tracked {
                    conversation,
                    assigned_at,
                    previous: None,
                },
            );
        }
        Ok(worker)
    }

    fn now(&self) -> Timestamp {
        self.conversations.clock().now()
    }

    async fn reload_agents(&mut self) -> anyhow::Result<()> {
        let teams = self
            .store
            .list_teams()
            .await
            .map_err(|e| anyhow::anyhow!("cannot read teams: {e}"))?;
        let team_named = |name: &Option<String>| {
            name.as_ref().and_then(|n| {
                let found = teams.iter().find(|t| t.name.eq_ignore_ascii_case(n));
                if found.is_none() {
                    tracing::info!(team = %n, "routing: no team with this name (yet)");
                }
                found.map(|t| t.id)
            })
        };
        self.router.config.security_team = team_named(&self.team_names.0);
        self.router.config.overflow_team = team_named(&self.team_names.1);
        let agents = self
            .store
            .list_agents()
            .await
            .map_err(|e| anyhow::anyhow!("cannot read agents: {e}"))?;
        let profiles: HashMap<AgentId, (Skills, u32)> = self
            .store
            .routing_profiles()
            .await
            .map_err(|e| anyhow::anyhow!("cannot read routing profiles: {e}"))?
            .into_iter()
            .map(|p| (p.agent_id, (p.skills, p.capacity)))
            .collect();
        let started_at = self.started_at;
        for agent in agents {
            // Nobody is connected when the node starts: the grace period
            // runs from the start, then chats move on.
            let slot = self
                .agents
                .entry(agent.id)
                .or_insert_with(|| Slot::gone(started_at));
            slot.profile = profiles.get(&agent.id).copied();
            slot.teams = agent.team_id.into_iter().collect();
            slot.languages = LanguageSet::of(agent.languages.iter().copied());
            slot.active = agent.status == AgentStatus::Active;
        }
        Ok(())
    }

    /// Runs until shutdown.
    async fn serve(mut self, inputs: Inputs, mut shutdown: watch::Receiver<bool>) {
        let Inputs {
            mut commands,
            mut writes,
            mut leading,
        } = inputs;
        let spans_nodes = writes.spans_nodes();
        self.leading = *leading.borrow();
        let mut presence = if spans_nodes {
            Some(
                self.conversations
                    .bus()
                    .subscribe(Topic::Routing)
                    .await
                    .into_stream(),
            )
        } else {
            None
        };
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reconcile = tokio::time::interval(RECONCILE);
        reconcile.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut leader_alive = true;
        let mut clock_changed = self.conversations.clock().changed();
        let (mut wake, _) = self.step().await;
        let mut last_pass = tokio::time::Instant::now();
        let mut pass_interval = MIN_PASS_INTERVAL;
        // A pass asked for sooner than MIN_PASS_INTERVAL after the last one
        // waits until then, together with whatever else arrives meanwhile.
        let mut pass_due: Option<tokio::time::Instant> = None;
        loop {
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep(self.conversations.clock().until(at)).await,
                    None => std::future::pending().await,
                }
            };
            let debounce = async {
                match pass_due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let heard_presence = async {
                match presence.as_mut() {
                    Some(stream) => futures_util::StreamExt::next(stream).await,
                    None => std::future::pending().await,
                }
            };
            // What happened: `Some(true)` changed what routing looks at (a
            // pass, no sooner than the spacing allows), `Some(false)`
            // changed nothing, `None` asks for a pass now.
            let outcome: Option<bool> = tokio::select! {
                command = next_input(&mut commands, &mut writes) => {
                    let Some(command) = command else { return };
                    let mut dirty = self.apply(command).await;
                    // Take everything that queued up: one routing pass for
                    // a burst of arrivals.
                    while let Some(more) = commands
                        .try_recv()
                        .ok()
                        .or_else(|| writes.try_recv().map(Command::from))
                    {
                        dirty |= self.apply(more).await;
                    }
                    if spans_nodes && self.presence_changed {
                        self.tell_presence().await;
                    }
                    Some(dirty)
                }
                heard = heard_presence => match heard {
                    Some(Ok(message)) => Some(self.hear_presence(&message).await),
                    Some(Err(_)) => Some(false),
                    None => {
                        presence = None;
                        Some(false)
                    }
                },
                _ = heartbeat.tick(), if spans_nodes => {
                    self.tell_presence().await;
                    Some(self.expire_nodes())
                }
                _ = reconcile.tick(), if spans_nodes => Some(self.reconcile().await),
                led = leading.changed(), if leader_alive => {
                    leader_alive = led.is_ok();
                    let now_leading = leader_alive && *leading.borrow();
                    if now_leading && !self.leading {
                        tracing::info!("routing: this node leads; it assigns from now on");
                        self.reconcile().await;
                    }
                    if !now_leading {
                        // The leader pushes positions; start afresh when
                        // this node leads again.
                        self.pushed.clear();
                    }
                    self.leading = now_leading;
                    None
                }
                _ = debounce => None,
                _ = sleep => None,
                _ = clock_changed.changed() => None,
                _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => return,
            };
            match outcome {
                Some(false) => continue,
                Some(true) => {
                    let earliest = last_pass + pass_interval;
                    if tokio::time::Instant::now() < earliest {
                        pass_due.get_or_insert(earliest);
                        continue;
                    }
                }
                None => {}
            }
            pass_due = None;
            let started = tokio::time::Instant::now();
            let waited;
            (wake, waited) = self.step().await;
            last_pass = tokio::time::Instant::now();
            pass_interval = (last_pass - started)
                .saturating_sub(waited)
                .saturating_mul(PASS_SPACING_FACTOR)
                .clamp(MIN_PASS_INTERVAL, MAX_PASS_INTERVAL);
        }
    }

    /// Tells the other nodes which agents are connected here.
    async fn tell_presence(&mut self) {
        self.presence_changed = false;
        let mut agents: Vec<AgentPresence> = self
            .agents
            .iter()
            .filter(|(_, s)| s.connections > 0)
            .map(|(id, s)| AgentPresence {
                agent_id: *id,
                connections: s.connections,
                chosen: s.chosen,
                chosen_at: s.chosen_at,
            })
            .collect();
        agents.sort_by_key(|a| a.agent_id);
        let message = NodePresence {
            node: self.node,
            agents,
        };
        self.conversations
            .bus()
            .publish(Topic::Routing, BusMessage::Presence(Arc::new(message)))
            .await;
    }

    /// Folds another node's presence in; true when an agent's presence
    /// changed.
    async fn hear_presence(&mut self, message: &BusMessage) -> bool {
        let presence = match message {
            BusMessage::Presence(presence) => presence,
            BusMessage::ProfilesChanged { node } if *node != self.node => {
                if let Err(e) = self.reload_agents().await {
                    tracing::warn!(error = %e, "routing: reload failed");
                }
                return true;
            }
            _ => return false,
        };
        if presence.node == self.node {
            return false;
        }
        let agents: HashMap<AgentId, AgentPresence> = presence
            .agents
            .iter()
            .map(|a| (a.agent_id, a.clone()))
            .collect();
        let heard = tokio::time::Instant::now();
        let changed = self
            .remote
            .get(&presence.node)
            .is_none_or(|known| known.agents != agents);
        if agents.keys().any(|a| !self.agents.contains_key(a))
            && let Err(e) = self.reload_agents().await
        {
            tracing::warn!(error = %e, "routing: reload failed");
        }
        self.remote
            .insert(presence.node, RemoteNode { heard, agents });
        if changed {
            self.refresh_gone(self.now());
        }
        changed
    }

    /// Forgets nodes not heard from for [`NODE_EXPIRY`] (dead, or cut off):
    /// their agents' connections end there. True when one was forgotten.
    fn expire_nodes(&mut self) -> bool {
        let before = self.remote.len();
        self.remote
            .retain(|_, node| node.heard.elapsed() < NODE_EXPIRY);
        let expired = self.remote.len() != before;
        if expired {
            tracing::info!(
                nodes = before - self.remote.len(),
                "routing: a node went silent; its agents' connections count as closed"
            );
            self.refresh_gone(self.now());
        }
        expired
    }

    /// Reads the active conversations back from the store: what the bus
    /// lost from other nodes. True when anything routing looks at changed.
    async fn reconcile(&mut self) -> bool {
        let active = match self.store.active_conversations().await {
            Ok(active) => active,
            Err(e) => {
                tracing::warn!(error = %e, "routing: cannot read the active conversations");
                return false;
            }
        };
        // Profiles changed on another node, should that message be lost.
        if let Err(e) = self.reload_agents().await {
            tracing::warn!(error = %e, "routing: reload failed");
        }
        let now = self.now();
        let mut changed = false;
        let mut ids = std::collections::HashSet::with_capacity(active.len());
        for conversation in &active {
            ids.insert(conversation.id);
            changed |= self.observe(conversation, now);
        }
        // Resolved or closed meanwhile on a node whose write was lost.
        let before = self.tracked.len();
        self.tracked.retain(|id, _| ids.contains(id));
        changed || self.tracked.len() != before
    }

    /// Recomputes since when each agent is gone (no console on any node,
    /// or chose offline).
    fn refresh_gone(&mut self, now: Timestamp) {
        let remote = &self.remote;
        for (id, slot) in self.agents.iter_mut() {
            let e = effective(*id, slot, remote);
            let gone = e.connections == 0 || e.chosen == Presence::Offline;
            slot.gone_since = if gone {
                slot.gone_since.or(Some(now))
            } else {
                None
            };
        }
    }

    /// Folds a command in; false when nothing routing depends on changed.
    async fn apply(&mut self, command: Command) -> bool {
        let now = self.now();
        match command {
            Command::Activity(activity) => {
                let id = activity.conversation.id;
                let mut held = false;
                for event in activity.events.iter() {
                    let hold_from = |at: Timestamp| at.plus_millis(self.bot_hold_ms);
                    match &event.kind {
                        // Triage comes just before the bot's decision: hold
                        // until that decision is seen (or the hold ends, if
                        // the bot never answers).
                        EventKind::Triaged { urgent: false, .. } | EventKind::BotReply { .. }
                            if self.bot_hold_ms > 0 =>
                        {
                            self.holds.insert(id, hold_from(event.at));
                            held = true;
                        }
                        // "talk to a person", "that did not help", urgent,
                        // nothing to answer with.
                        EventKind::SystemNotice { code, .. }
                            if NoticeCode::parse(code).is_some_and(NoticeCode::is_handoff) =>
                        {
                            held |= self.holds.remove(&id).is_some();
                        }
                        _ => {}
                    }
                }
                return self.observe(&activity.conversation, now) || held;
            }
            Command::Connected(agent) => {
                let known = self.agents.get(&agent).is_some_and(|s| s.profile.is_some());
                if !known && let Err(e) = self.reload_agents().await {
                    tracing::warn!(error = %e, "routing: reload failed");
                }
                let remote = &self.remote;
                if let Some(slot) = self.agents.get_mut(&agent) {
                    if slot.connections == 0 {
                        // A first console here takes what the agent chose
                        // on another node; a first console anywhere starts
                        // online.
                        let elsewhere = effective(agent, slot, remote);
                        (slot.chosen, slot.chosen_at) = if elsewhere.connections > 0 {
                            (elsewhere.chosen, elsewhere.chosen_at)
                        } else {
                            (Presence::Online, now)
                        };
                    }
                    slot.connections += 1;
                }
                self.presence_changed = true;
                self.refresh_gone(now);
            }
            Command::Disconnected(agent) => {
                if let Some(slot) = self.agents.get_mut(&agent) {
                    slot.connections = slot.connections.saturating_sub(1);
                }
                self.presence_changed = true;
                self.refresh_gone(now);
            }
            Command::SetPresence(agent, presence) => {
                if let Some(slot) = self.agents.get_mut(&agent) {
                    slot.chosen = presence;
                    slot.chosen_at = now;
                }
                self.presence_changed = true;
                self.refresh_gone(now);
            }
            Command::CatchUp => {
                return self.reconcile().await;
            }
            Command::ProfilesChanged => {
                if let Err(e) = self.reload_agents().await {
                    tracing::warn!(error = %e, "routing: reload failed");
                }
                // The other nodes reload too (and every few seconds
                // anyway, should this be lost).
                self.conversations
                    .bus()
                    .publish(
                        Topic::Routing,
                        BusMessage::ProfilesChanged { node: self.node },
                    )
                    .await;
            }
        }
        true
    }

    /// Folds a conversation's new state in (stale states are ignored).
    /// Returns whether anything routing depends on changed.
    fn observe(&mut self, conversation: &Conversation, now: Timestamp) -> bool {
        let id = conversation.id;
        let mut relevant = true;
        if let Some(tracked) = self.tracked.get_mut(&id) {
            if conversation.last_seq < tracked.conversation.last_seq {
                return false;
            }
            let before = &tracked.conversation;
            relevant = before.status != conversation.status
                || before.assignee_id != conversation.assignee_id
                || before.category != conversation.category
                || before.language != conversation.language
                || before.priority != conversation.priority
                || before.urgent != conversation.urgent
                || before.team_id != conversation.team_id;
            if before.assignee_id != conversation.assignee_id {
                if let Some(old) = before.assignee_id {
                    tracked.previous = Some((old, now));
                }
                tracked.assigned_at = conversation.assignee_id.map(|_| now);
            }
            if before.status != ConversationStatus::Resolved
                && conversation.status == ConversationStatus::Resolved
                && let Some(since) = tracked.assigned_at
            {
                self.handle_times.push_back(now.0 - since.0);
                if self.handle_times.len() > HANDLE_TIMES {
                    self.handle_times.pop_front();
                }
            }
            tracked.conversation = conversation.clone();
        } else {
            self.tracked.insert(
                id,
                Tracked {
                    conversation: conversation.clone(),
                    assigned_at: conversation.assignee_id.map(|_| now),
                    previous: None,
                },
            );
        }
        // Resolved and closed conversations need nothing from routing; a
        // reopened one comes back with its next state.
        let status = conversation.status;
        if status == ConversationStatus::Resolved || status == ConversationStatus::Closed {
            self.tracked.remove(&id);
        } else if let Some(agent) = conversation.assignee_id
            && !self.agents.contains_key(&agent)
        {
            // An agent this node has not loaded yet (created after start,
            // never connected here): gone until they connect, so their
            // chats cannot be stranded either.
            self.agents.insert(agent, Slot::gone(now));
        }
        relevant
    }

    /// Load per agent: assigned conversations that are open or pending.
    fn loads(&self) -> HashMap<AgentId, u32> {
        let mut loads = HashMap::new();
        for t in self.tracked.values() {
            if let Some(a) = t.conversation.assignee_id
                && matches!(
                    t.conversation.status,
                    ConversationStatus::Open | ConversationStatus::Pending
                )
            {
                *loads.entry(a).or_insert(0) += 1;
            }
        }
        loads
    }

    /// One pass: requeue, route, push positions. Returns when to look
    /// again, and how long the pass waited for its writes (assignments,
    /// requeues): not routing's own work, so not counted in its spacing.
    async fn step(&mut self) -> (Option<Timestamp>, std::time::Duration) {
        let mut waited = std::time::Duration::ZERO;
        let now = self.now();
        let mut wake: Option<Timestamp> = None;
        let mut earliest = |t: Timestamp| {
            wake = Some(wake.map_or(t, |w: Timestamp| w.min(t)));
        };

        // 1. Agents gone past the grace period lose their conversations.
        let gone: Vec<(AgentId, Timestamp)> = self
            .agents
            .iter()
            .filter_map(|(agent, slot)| slot.gone_since.map(|since| (*agent, since)))
            .collect();
        let assigned: Vec<(ConversationId, AgentId)> = self
            .tracked
            .values()
            .filter(|t| t.conversation.status.is_active())
            .filter_map(|t| t.conversation.assignee_id.map(|a| (t.conversation.id, a)))
            .collect();
        let (requeue, grace_ends) = pass::requeues(now, self.grace_ms, &gone, &assigned);
        if let Some(t) = grace_ends {
            earliest(t);
        }
        // Only the leader writes; the others plan for their queue view.
        let leading = self.leading;
        if leading && !requeue.is_empty() {
            let writing = std::time::Instant::now();
            let results = futures_util::future::join_all(
                requeue
                    .iter()
                    .map(|(c, a)| self.conversations.requeue(*c, *a, AssignReason::Requeued)),
            )
            .await;
            waited += writing.elapsed();
            for ((id, agent), result) in requeue.iter().zip(results) {
                match result {
                    Ok(Some(appended)) => {
                        self.observe(&appended.conversation, now);
                        self.conversations
                            .notify_agent(
                                *agent,
                                *id,
                                AgentNoticeCode::Requeued,
                                "You were away longer than the grace period; this conversation went back to the queue.".into(),
                            )
                            .await;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, conversation = %id, "requeue failed"),
                }
            }
        }

        // 2. Route.
        let loads = self.loads();
        let remote = &self.remote;
        let agents: Vec<AgentState> = self
            .agents
            .iter()
            .filter(|(_, s)| s.active)
            .filter_map(|(id, s)| {
                let (skills, capacity) = s.profile?;
                Some(AgentState {
                    id: *id,
                    teams: s.teams.clone(),
                    skills,
                    languages: s.languages,
                    capacity,
                    load: loads.get(id).copied().unwrap_or(0),
                    presence: effective(*id, s, remote).presence(),
                    last_assigned_at: s.last_assigned_at,
                })
            })
            .collect();
        let sticky_window = self.router.config.sticky_window_ms;
        let waiting: Vec<pass::Waiting> = self
            .tracked
            .values()
            .filter(|t| {
                t.conversation.status == ConversationStatus::Open
                    && t.conversation.assignee_id.is_none()
            })
            .filter_map(|t| {
                let c = &t.conversation;
                let mut entry = QueueEntry::new(
                    c.id,
                    c.category?,
                    c.language.unwrap_or(Language::En),
                    c.priority,
                    c.created_at,
                );
                entry.urgent = c.urgent;
                if sticky_window > 0
                    && let Some((agent, at)) = t.previous
                {
                    entry.previous_agent = Some(agent);
                    entry.previous_contact_at = Some(at);
                }
                Some(pass::Waiting {
                    entry,
                    team: c.team_id,
                    held_until: self.holds.get(&c.id).copied(),
                })
            })
            .collect();
        let times: Vec<i64> = self.handle_times.iter().copied().collect();
        let plan = pass::plan(&self.router, now, &agents, &waiting, &times);
        if let Some(t) = plan.wake {
            earliest(t);
        }
        let assignments = plan.assignments;
        if leading && !assignments.is_empty() {
            let writing = std::time::Instant::now();
            let results = futures_util::future::join_all(
                assignments
                    .iter()
                    .map(|a| self.conversations.route_to(a.conversation_id, a.agent_id)),
            )
            .await;
            waited += writing.elapsed();
            for (assignment, result) in assignments.iter().zip(results) {
                match result {
                    Ok(Some(appended)) => {
                        if let Some(slot) = self.agents.get_mut(&assignment.agent_id) {
                            slot.last_assigned_at = Some(now);
                        }
                        self.observe(&appended.conversation, now);
                        tracing::debug!(conversation = %assignment.conversation_id, agent = %assignment.agent_id, kind = ?assignment.kind, "routed");
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, conversation = %assignment.conversation_id, "routing assignment failed")
                    }
                }
            }
        }

        // 3. Who is still waiting: push positions that changed.
        let queued_views = plan.queue;
        let mut still_waiting = std::collections::HashSet::new();
        for view in &queued_views {
            still_waiting.insert(view.conversation_id);
            let info = QueueInfo {
                conversation_id: view.conversation_id,
                position: view.position,
                estimated_wait_ms: view.estimated_wait_ms,
            };
            if leading && self.pushed.get(&view.conversation_id) != Some(&info) {
                self.pushed.insert(view.conversation_id, info.clone());
                self.conversations
                    .bus()
                    .publish(
                        Topic::Conversation(view.conversation_id),
                        BusMessage::Queue(info),
                    )
                    .await;
            }
        }
        self.pushed.retain(|id, _| still_waiting.contains(id));
        let tracked = &self.tracked;
        self.holds
            .retain(|id, until| *until > now && tracked.contains_key(id));
        let agent_views = {
            let loads = self.loads();
            let remote = &self.remote;
            let mut v: Vec<AgentView> = self
                .agents
                .iter()
                .filter(|(_, s)| s.active)
                .map(|(id, s)| {
                    let e = effective(*id, s, remote);
                    AgentView {
                        agent_id: *id,
                        presence: e.presence(),
                        load: loads.get(id).copied().unwrap_or(0),
                        capacity: s.profile.map_or(0, |p| p.1),
                        connections: e.connections,
                    }
                })
                .collect();
            v.sort_by_key(|a| a.agent_id);
            v
        };
        if let Ok(mut snapshot) = self.handle.snapshot.write() {
            *snapshot = Snapshot {
                at: Some(now),
                queue: queued_views,
                agents: agent_views,
            };
        }
        (wake, waited)
    }
}

/// The next command or write report, whichever comes first; `None` once
/// both senders are gone.
async fn next_input(
    commands: &mut mpsc::Receiver<Command>,
    writes: &mut DeskWrites,
) -> Option<Command> {
    tokio::select! {
        Some(command) = commands.recv() => Some(command),
        Some(heard) = writes.recv() => Some(heard.into()),
        else => None,
    }
}
