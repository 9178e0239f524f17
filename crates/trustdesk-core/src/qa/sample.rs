//! Which conversations to review: a stratified sample per agent.
//!
//! A QA lead reviews a few conversations per agent per period. Picking
//! them purely at random misses the ones that matter most; picking only
//! the flagged ones tells nothing about ordinary work. So the plan does
//! both, in this order (published in `docs/qa.md`):
//!
//! 1. **Forced** conversations, the ones something already flagged, by
//!    priority: an outbound-guard override (the agent sent past a warning
//!    that their message asked for a secret) > a guard hit (the secret
//!    guard redacted or suspected a secret in the customer's message) >
//!    an SLA breach > a low CSAT (a rating of at most `low_csat_at_most`,
//!    2 by default). A conversation flagged several ways counts under its
//!    highest reason. Every forced conversation is taken, up to
//!    `max_forced` (default twice `per_agent`): a bad week must not hide
//!    behind a quota, but one agent's review load stays bounded. Past the
//!    cap the higher reasons win; within one reason the draw decides.
//! 2. **Random** conversations fill the rest of `per_agent`, drawn from the
//!    agent's remaining candidates, when fewer than `per_agent` were forced.
//!    An agent with fewer candidates than the quota gets all of them. (With
//!    a `max_forced` below `per_agent`, flagged conversations past the cap
//!    stay in the draw and, if drawn, are marked random: they were.)
//!
//! Conversations in the exclusion set (already reviewed) are never
//! chosen. The draw is deterministic: the same candidates, plan and seed
//! give the same sample whatever order the candidates come in (they are
//! sorted by conversation id first), and one agent's sample depends only
//! on the seed, the agent and that agent's own candidates, so adding an
//! agent to the period changes nobody else's sample.

use super::prechecks::guard_hits;
use super::rng::SplitMix64;
use crate::event::Event;
use crate::ids::{AgentId, ConversationId};
use crate::reports::ConversationFacts;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The CSAT at or below which a conversation is forced into the sample.
pub const DEFAULT_LOW_CSAT_AT_MOST: u8 = 2;

/// One conversation that may be reviewed: resolved in the period and
/// attributed to an agent.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Candidate {
    pub conversation_id: ConversationId,
    pub agent: AgentId,
    /// The customer's rating, 1 to 5.
    pub csat: Option<u8>,
    pub sla_breached: bool,
    /// Secret-guard notices in the conversation (`secret_redacted`,
    /// `possible_secret`).
    pub guard_hits: u32,
    /// Times an agent sent past an outbound-guard warning in it (from the
    /// audit log: `guard.override`).
    pub outbound_overrides: u32,
}

impl Candidate {
    /// The candidate for a conversation, from what the reports already
    /// folded out of its log, attributed to its last replying agent (as
    /// CSAT by agent is); `None` when no agent ever replied in it.
    pub fn from_facts(
        facts: &ConversationFacts,
        events: &[Event],
        outbound_overrides: u32,
    ) -> Option<Self> {
        Some(Self {
            conversation_id: facts.conversation_id,
            agent: facts.last_replying_agent?,
            csat: facts.csat.as_ref().map(|c| c.score),
            sla_breached: !facts.sla_breaches.is_empty(),
            guard_hits: guard_hits(facts.conversation_id, events),
            outbound_overrides,
        })
    }

    /// The highest reason this conversation must be reviewed, if any.
    pub fn forced_reason(&self, plan: &SamplePlan) -> Option<Reason> {
        if self.outbound_overrides > 0 {
            Some(Reason::GuardOverride)
        } else if self.guard_hits > 0 {
            Some(Reason::GuardHit)
        } else if self.sla_breached {
            Some(Reason::SlaBreach)
        } else if self
            .csat
            .is_some_and(|s| (1..=plan.low_csat_at_most).contains(&s))
        {
            Some(Reason::LowCsat)
        } else {
            None
        }
    }
}

/// How many conversations to pick per agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplePlan {
    /// The quota: random picks fill up to it.
    pub per_agent: u32,
    /// A CSAT from 1 to this is low and forces the conversation in.
    #[serde(default = "default_low_csat")]
    pub low_csat_at_most: u8,
    /// At most this many forced picks per agent; `None`: `2 × per_agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_forced: Option<u32>,
}

fn default_low_csat() -> u8 {
    DEFAULT_LOW_CSAT_AT_MOST
}

impl SamplePlan {
    /// `per_agent` per agent, with the default low-CSAT mark and forced cap.
    pub fn new(per_agent: u32) -> Self {
        Self {
            per_agent,
            low_csat_at_most: DEFAULT_LOW_CSAT_AT_MOST,
            max_forced: None,
        }
    }

    /// The most forced picks one agent gets.
    pub fn forced_cap(&self) -> u32 {
        self.max_forced
            .unwrap_or_else(|| self.per_agent.saturating_mul(2))
    }
}

/// Why a conversation is forced into the sample, highest priority first
/// (the order of the variants is the priority).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    GuardOverride,
    GuardHit,
    SlaBreach,
    LowCsat,
}

/// Why a conversation was picked. Sent as one word: `"guard_override"`,
/// `"guard_hit"`, `"sla_breach"`, `"low_csat"` or `"random"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "WhyWire", into = "WhyWire")]
pub enum Why {
    Forced(Reason),
    Random,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WhyWire {
    GuardOverride,
    GuardHit,
    SlaBreach,
    LowCsat,
    Random,
}

impl From<Why> for WhyWire {
    fn from(why: Why) -> Self {
        match why {
            Why::Forced(Reason::GuardOverride) => WhyWire::GuardOverride,
            Why::Forced(Reason::GuardHit) => WhyWire::GuardHit,
            Why::Forced(Reason::SlaBreach) => WhyWire::SlaBreach,
            Why::Forced(Reason::LowCsat) => WhyWire::LowCsat,
            Why::Random => WhyWire::Random,
        }
    }
}

impl From<WhyWire> for Why {
    fn from(wire: WhyWire) -> Self {
        match wire {
            WhyWire::GuardOverride => Why::Forced(Reason::GuardOverride),
            WhyWire::GuardHit => Why::Forced(Reason::GuardHit),
            WhyWire::SlaBreach => Why::Forced(Reason::SlaBreach),
            WhyWire::LowCsat => Why::Forced(Reason::LowCsat),
            WhyWire::Random => Why::Random,
        }
    }
}

/// One conversation to review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub conversation_id: ConversationId,
    pub why: Why,
}

/// One agent's conversations to review: forced picks first, by priority,
/// then the random ones in the order drawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSample {
    pub agent: AgentId,
    pub picks: Vec<Pick>,
}

/// Plans the reviews of a period (rules in the module doc). Every agent
/// named by a candidate gets an entry, in agent-id order, with no picks
/// when everything of theirs was excluded. A conversation listed twice is
/// sampled once, for the first of its entries in sorted order.
pub fn sample(
    candidates: &[Candidate],
    plan: &SamplePlan,
    exclude: &HashSet<ConversationId>,
    seed: u64,
) -> Vec<AgentSample> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort();
    sorted.dedup_by_key(|c| c.conversation_id);

    let mut by_agent: BTreeMap<AgentId, Vec<&Candidate>> =
        candidates.iter().map(|c| (c.agent, Vec::new())).collect();
    for c in sorted {
        if !exclude.contains(&c.conversation_id) {
            by_agent.entry(c.agent).or_default().push(c);
        }
    }
    by_agent
        .into_iter()
        .map(|(agent, pool)| AgentSample {
            agent,
            picks: pick_for_agent(pool, plan, agent_seed(seed, agent)),
        })
        .collect()
}

/// The agent's own stream: the period's seed mixed with the agent id.
fn agent_seed(seed: u64, agent: AgentId) -> u64 {
    let (hi, lo) = agent.0.as_u64_pair();
    let mut mix = SplitMix64::new(seed ^ hi);
    mix.next_u64() ^ SplitMix64::new(lo).next_u64()
}

fn pick_for_agent(mut pool: Vec<&Candidate>, plan: &SamplePlan, seed: u64) -> Vec<Pick> {
    // One shuffle gives both the order within a forced reason and the
    // random draw; the pool arrives sorted by conversation id.
    SplitMix64::new(seed).shuffle(&mut pool);

    let mut forced: Vec<(Reason, &Candidate)> = pool
        .iter()
        .filter_map(|c| c.forced_reason(plan).map(|r| (r, *c)))
        .collect();
    // Stable: within one reason the shuffled order stays.
    forced.sort_by_key(|(reason, _)| *reason);
    forced.truncate(plan.forced_cap() as usize);

    let chosen: HashSet<ConversationId> = forced.iter().map(|(_, c)| c.conversation_id).collect();
    let mut picks: Vec<Pick> = forced
        .iter()
        .map(|(reason, c)| Pick {
            conversation_id: c.conversation_id,
            why: Why::Forced(*reason),
        })
        .collect();
    let room = (plan.per_agent as usize).saturating_sub(picks.len());
    picks.extend(
        pool.iter()
            .filter(|c| !chosen.contains(&c.conversation_id))
            .take(room)
            .map(|c| Pick {
                conversation_id: c.conversation_id,
                why: Why::Random,
            }),
    );
    picks
}
