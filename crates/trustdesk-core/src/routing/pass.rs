//! One routing pass, planned without IO: given the agents, the waiting
//! conversations (some held back for the bot) and who is gone, it says
//! which chats go back to the queue, which agent gets which conversation,
//! where everyone still waiting stands, and when to look again. The
//! server's routing worker applies the plan (writes through the
//! conversations service, pushes queue positions) and feeds the result
//! back as events.
//!
//! Team queues are served first, each from its own members only; the
//! general queue then gets what capacity is left.

use super::{AgentState, Assignment, Presence, QueueEntry, Router, estimate_wait};
use crate::ids::{AgentId, ConversationId, TeamId};
use crate::model::{Category, Language, Priority};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// A conversation waiting for an agent.
#[derive(Clone, Debug)]
pub struct Waiting {
    pub entry: QueueEntry,
    /// The team queue it waits in (`None`: the general queue).
    pub team: Option<TeamId>,
    /// Held back for the customer's answer to the bot until then.
    pub held_until: Option<Timestamp>,
}

/// One waiting conversation as customers and supervisors see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueuedView {
    pub conversation_id: ConversationId,
    pub category: Category,
    pub language: Language,
    pub priority: Priority,
    pub urgent: bool,
    pub team_id: Option<TeamId>,
    pub enqueued_at: Timestamp,
    /// 0 while held for the bot (see `held_until`).
    pub position: usize,
    pub estimated_wait_ms: Option<i64>,
    /// Waiting for the customer's answer to the bot until then; routed
    /// after it (or at once if they ask for a person).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<Timestamp>,
}

/// The routing decisions of one pass.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// In service order, team queues first.
    pub assignments: Vec<Assignment>,
    /// Everyone still waiting after the assignments, in service order per
    /// queue, then the conversations held for the bot (oldest first).
    pub queue: Vec<QueuedView>,
    /// The earliest instant at which the plan could change by itself
    /// (widening, aging, a hold running out).
    pub wake: Option<Timestamp>,
}

/// The chats of agents gone longer than `grace_ms` go back to the queue;
/// for agents still inside it, the instant their grace runs out.
///
/// `gone` holds each agent with the instant they left; `assigned` each
/// active conversation with its assignee.
pub fn requeues(
    now: Timestamp,
    grace_ms: i64,
    gone: &[(AgentId, Timestamp)],
    assigned: &[(ConversationId, AgentId)],
) -> (Vec<(ConversationId, AgentId)>, Option<Timestamp>) {
    let mut out = Vec::new();
    let mut wake: Option<Timestamp> = None;
    for (agent, since) in gone {
        let theirs: Vec<ConversationId> = assigned
            .iter()
            .filter(|(_, a)| a == agent)
            .map(|(c, _)| *c)
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let deadline = since.plus_millis(grace_ms);
        if now >= deadline {
            out.extend(theirs.into_iter().map(|c| (c, *agent)));
        } else {
            wake = Some(wake.map_or(deadline, |w| w.min(deadline)));
        }
    }
    (out, wake)
}

/// Plans one pass over `waiting` with `agents` (active agents with a
/// routing profile, loads as they stand). `handle_times` are recent
/// handling times for the wait estimate.
pub fn plan(
    router: &Router,
    now: Timestamp,
    agents: &[AgentState],
    waiting: &[Waiting],
    handle_times: &[i64],
) -> Plan {
    let mut plan = Plan::default();
    let earliest = |wake: &mut Option<Timestamp>, t: Timestamp| {
        *wake = Some(wake.map_or(t, |w| w.min(t)));
    };
    let mut groups: HashMap<Option<TeamId>, Vec<QueueEntry>> = HashMap::new();
    let mut held = Vec::new();
    for w in waiting {
        match w.held_until {
            Some(until) if until > now => {
                earliest(&mut plan.wake, until);
                held.push(view(&w.entry, w.team, 0, None, Some(until)));
            }
            _ => groups.entry(w.team).or_default().push(w.entry.clone()),
        }
    }
    let mut agents = agents.to_vec();
    let mut keys: Vec<Option<TeamId>> = groups.keys().copied().collect();
    keys.sort_by_key(|k| (k.is_none(), *k));
    for key in &keys {
        let pool: Vec<AgentState> = match key {
            Some(team) => agents
                .iter()
                .filter(|a| a.in_team(*team))
                .cloned()
                .collect(),
            None => agents.clone(),
        };
        for assignment in router.decide(now, &pool, &groups[key]) {
            if let Some(a) = agents.iter_mut().find(|a| a.id == assignment.agent_id) {
                a.load += 1;
                a.last_assigned_at = Some(now);
            }
            plan.assignments.push(assignment);
        }
    }
    let assigned: std::collections::HashSet<ConversationId> =
        plan.assignments.iter().map(|a| a.conversation_id).collect();
    for key in &keys {
        let queue: Vec<QueueEntry> = groups[key]
            .iter()
            .filter(|e| !assigned.contains(&e.conversation_id))
            .cloned()
            .collect();
        if queue.is_empty() {
            continue;
        }
        if let Some(t) = router.next_change_at(now, &queue) {
            earliest(&mut plan.wake, t);
        }
        let positions: HashMap<ConversationId, usize> =
            router.queue_positions(now, &queue).into_iter().collect();
        // Slots depend only on the kind of request: count them once per
        // kind, not once per waiting conversation.
        let mut slots_for: HashMap<(Language, Category), usize> = HashMap::new();
        for i in router.ordered(now, &queue) {
            let entry = &queue[i];
            let position = positions.get(&entry.conversation_id).copied().unwrap_or(1);
            let slots = *slots_for
                .entry((entry.language, entry.category))
                .or_insert_with(|| online_slots(&agents, *key, entry));
            let estimate = estimate_wait(position, handle_times, slots);
            plan.queue.push(view(entry, *key, position, estimate, None));
        }
    }
    held.sort_by_key(|v: &QueuedView| (v.enqueued_at, v.conversation_id));
    plan.queue.extend(held);
    plan
}

/// Capacity of the online agents who could take `entry` in queue `team`.
fn online_slots(agents: &[AgentState], team: Option<TeamId>, entry: &QueueEntry) -> usize {
    agents
        .iter()
        .filter(|a| a.presence == Presence::Online)
        .filter(|a| team.is_none_or(|t| a.in_team(t)))
        .filter(|a| a.languages.contains(entry.language) && a.skills.get(entry.category) > 0)
        .map(|a| a.capacity as usize)
        .sum()
}

fn view(
    entry: &QueueEntry,
    team: Option<TeamId>,
    position: usize,
    estimated_wait_ms: Option<i64>,
    held_until: Option<Timestamp>,
) -> QueuedView {
    QueuedView {
        conversation_id: entry.conversation_id,
        category: entry.category,
        language: entry.language,
        priority: entry.priority,
        urgent: entry.urgent,
        team_id: team,
        enqueued_at: entry.enqueued_at,
        position,
        estimated_wait_ms,
        held_until,
    }
}
