//! The routing policy: who gets which conversation, in which order.
//!
//! Everything here is a pure function of its arguments (`now` included), so
//! the same input always yields the same decision, and the server can run
//! it under a lock or on any node.

use super::types::{
    AgentState, Assignment, LanguageSet, MatchKind, Presence, QueueEntry, RoutingConfig,
    WideningLevel, category_index,
};
use crate::ids::{AgentId, ConversationId, TeamId};
use crate::model::{Language, Priority};
use crate::time::Timestamp;
use std::cmp::Ordering;

/// The routing engine: a configuration and pure functions over agents and
/// queue entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Router {
    pub config: RoutingConfig,
}

/// The requirements of one entry at one widening level, precomputed so the
/// per-agent test is a few integer comparisons.
#[derive(Clone, Copy, Debug)]
struct Req {
    cat: usize,
    lang: u8,
    /// Bit of the fallback language when it is allowed at this level, else 0.
    fallback: u8,
    /// Minimum proficiency for a skilled match.
    min_prof: u8,
    /// Team whose members qualify without the skill (overflow level).
    skill_free_team: Option<TeamId>,
    /// Only members of this team qualify (security team pass).
    only_team: Option<TeamId>,
}

/// A qualified agent: index into the agent slice, language tier (0 = the
/// customer's language, 1 = fallback), proficiency (0 = overflow, no skill).
#[derive(Clone, Copy, Debug)]
struct Cand {
    idx: usize,
    tier: u8,
    prof: u8,
}

impl Router {
    pub fn new(config: RoutingConfig) -> Self {
        Self { config }
    }

    fn min_proficiency(&self) -> u8 {
        self.config.min_proficiency.clamp(1, 3)
    }

    /// The widening level of `entry` at `now`: the level earned by waiting
    /// (see [`RoutingConfig::widen_after_ms`]) or the entry's stored floor,
    /// whichever is higher.
    pub fn widening_level(&self, now: Timestamp, entry: &QueueEntry) -> WideningLevel {
        let waited = now.0.saturating_sub(entry.enqueued_at.0);
        let mut level = 0;
        let mut threshold = i64::MIN;
        for (i, t) in self.config.widen_after_ms.iter().enumerate() {
            threshold = threshold.max(*t);
            if waited >= threshold {
                level = i + 1;
            }
        }
        WideningLevel::from_index(level).max(entry.widening_level)
    }

    /// When `entry` next reaches a higher widening level by waiting (`None`
    /// once no higher level is left).
    pub fn next_widening_at(&self, now: Timestamp, entry: &QueueEntry) -> Option<Timestamp> {
        let current = self.widening_level(now, entry);
        let mut threshold = i64::MIN;
        for (i, t) in self.config.widen_after_ms.iter().enumerate() {
            threshold = threshold.max(*t);
            if WideningLevel::from_index(i + 1) > current {
                return Some(entry.enqueued_at.plus_millis(threshold));
            }
        }
        None
    }

    /// The priority an entry competes with at `now`. Urgent entries are
    /// `Urgent`; `High` stays `High`; `Low` and `Normal` rise one level per
    /// [`RoutingConfig::aging_step_ms`] waited, up to `High`. Aging never
    /// makes anything `Urgent`, so urgent requests keep their lane, but a
    /// long-waiting low entry eventually competes FIFO with high ones and,
    /// having waited longer, is ahead of every newer one: nothing starves
    /// unless urgent traffic alone saturates the agents.
    pub fn effective_priority(&self, now: Timestamp, entry: &QueueEntry) -> Priority {
        let base = entry.base_priority();
        if base >= Priority::High || self.config.aging_step_ms <= 0 {
            return base;
        }
        let waited = now.0.saturating_sub(entry.enqueued_at.0).max(0);
        let steps = waited / self.config.aging_step_ms;
        let rank = (priority_rank(base) as i64).saturating_add(steps);
        let high = priority_rank(Priority::High) as i64;
        priority_from_rank(rank.min(high) as u8)
    }

    /// When `entry`'s effective priority next rises by aging.
    pub fn next_aging_at(&self, now: Timestamp, entry: &QueueEntry) -> Option<Timestamp> {
        let step = self.config.aging_step_ms;
        if step <= 0 || self.effective_priority(now, entry) >= Priority::High {
            return None;
        }
        let waited = now.0.saturating_sub(entry.enqueued_at.0).max(0);
        let next = (waited / step + 1).saturating_mul(step);
        Some(entry.enqueued_at.plus_millis(next))
    }

    /// The earliest instant after `now` at which the routing of `queue` can
    /// change without any other input (a widening level or an aging step is
    /// reached). The server sets one timer for it and re-runs [`Self::decide`].
    pub fn next_change_at(&self, now: Timestamp, queue: &[QueueEntry]) -> Option<Timestamp> {
        queue
            .iter()
            .flat_map(|e| [self.next_widening_at(now, e), self.next_aging_at(now, e)])
            .flatten()
            .filter(|t| *t > now)
            .min()
    }

    /// Compares two entries in service order at `now` (`Less` = served
    /// first): urgent security requests, then effective priority (highest
    /// first), then `enqueued_at` (oldest first), then conversation id.
    pub fn queue_order(&self, now: Timestamp, a: &QueueEntry, b: &QueueEntry) -> Ordering {
        b.is_urgent_security()
            .cmp(&a.is_urgent_security())
            .then_with(|| {
                self.effective_priority(now, b)
                    .cmp(&self.effective_priority(now, a))
            })
            .then_with(|| a.enqueued_at.cmp(&b.enqueued_at))
            .then_with(|| a.conversation_id.cmp(&b.conversation_id))
    }

    /// Indices of `queue` in service order at `now`.
    pub fn ordered(&self, now: Timestamp, queue: &[QueueEntry]) -> Vec<usize> {
        // Precompute the keys: the sort compares each entry many times.
        let mut keys: Vec<(bool, Priority, Timestamp, ConversationId, usize)> = queue
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (
                    !e.is_urgent_security(),
                    self.effective_priority(now, e),
                    e.enqueued_at,
                    e.conversation_id,
                    i,
                )
            })
            .collect();
        keys.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| b.1.cmp(&a.1))
                .then_with(|| a.2.cmp(&b.2))
                .then_with(|| a.3.cmp(&b.3))
        });
        keys.into_iter().map(|k| k.4).collect()
    }

    /// The customer-facing place in line of `conversation_id` at `now`,
    /// 1-based (1 = next). Only entries that compete for the same agents
    /// count: those ahead in service order with the same category and
    /// language, plus every urgent security request ahead. `None` when the
    /// conversation is not in the queue.
    pub fn queue_position(
        &self,
        now: Timestamp,
        queue: &[QueueEntry],
        conversation_id: ConversationId,
    ) -> Option<usize> {
        let me = queue
            .iter()
            .find(|e| e.conversation_id == conversation_id)?;
        let ahead = queue
            .iter()
            .filter(|e| e.conversation_id != conversation_id)
            .filter(|e| {
                e.is_urgent_security() || (e.category == me.category && e.language == me.language)
            })
            .filter(|e| self.queue_order(now, e, me) == Ordering::Less)
            .count();
        Some(ahead + 1)
    }

    /// [`Self::queue_position`] for every entry at once, in service order,
    /// in O(n log n): what the server pushes to all waiting customers after
    /// the queue moved.
    pub fn queue_positions(
        &self,
        now: Timestamp,
        queue: &[QueueEntry],
    ) -> Vec<(ConversationId, usize)> {
        let mut urgent_security_ahead = 0usize;
        let mut per_group = [[0usize; Language::ALL.len()]; super::types::CATEGORY_COUNT];
        self.ordered(now, queue)
            .into_iter()
            .map(|i| {
                let e = &queue[i];
                let group = &mut per_group[category_index(e.category)][e.language as usize];
                let pos = urgent_security_ahead + *group + 1;
                if e.is_urgent_security() {
                    urgent_security_ahead += 1;
                } else {
                    *group += 1;
                }
                (e.conversation_id, pos)
            })
            .collect()
    }

    fn requirements(&self, entry: &QueueEntry, level: WideningLevel) -> Req {
        let lang_bit = |l| LanguageSet::of([l]).0;
        Req {
            cat: category_index(entry.category),
            lang: lang_bit(entry.language),
            fallback: match entry.fallback_language {
                Some(f) if level >= WideningLevel::FallbackLanguage => lang_bit(f),
                _ => 0,
            },
            min_prof: if level >= WideningLevel::AnyProficiency {
                1
            } else {
                self.min_proficiency()
            },
            skill_free_team: if level >= WideningLevel::OverflowTeam {
                self.config.overflow_team
            } else {
                None
            },
            only_team: None,
        }
    }

    /// Whether `agent` qualifies under `req`, and how well.
    #[inline(always)]
    fn qualify(agent: &AgentState, idx: usize, req: &Req) -> Option<Cand> {
        if agent.presence != Presence::Online || agent.load >= agent.capacity {
            return None;
        }
        let langs = agent.languages.0;
        let tier = if langs & req.lang != 0 {
            0
        } else if langs & req.fallback != 0 {
            1
        } else {
            return None;
        };
        if let Some(team) = req.only_team
            && !agent.in_team(team)
        {
            return None;
        }
        let prof = agent.skills.0[req.cat];
        if prof >= req.min_prof {
            return Some(Cand { idx, tier, prof });
        }
        match req.skill_free_team {
            Some(team) if agent.in_team(team) => Some(Cand { idx, tier, prof: 0 }),
            _ => None,
        }
    }

    /// `Less` when `a` is the better choice: customer's language over
    /// fallback, higher proficiency, lower load ratio, lower load, longer
    /// idle (never assigned counts as idle the longest), smaller id.
    #[inline(always)]
    fn compare(agents: &[AgentState], a: Cand, b: Cand) -> Ordering {
        let (x, y) = (&agents[a.idx], &agents[b.idx]);
        a.tier
            .cmp(&b.tier)
            .then_with(|| b.prof.cmp(&a.prof))
            .then_with(|| {
                // load/capacity compared exactly by cross-multiplication;
                // both capacities are > 0 for a qualified agent.
                (u64::from(x.load) * u64::from(y.capacity))
                    .cmp(&(u64::from(y.load) * u64::from(x.capacity)))
            })
            .then_with(|| x.load.cmp(&y.load))
            .then_with(|| x.last_assigned_at.cmp(&y.last_assigned_at))
            .then_with(|| x.id.cmp(&y.id))
    }

    fn best(agents: &[AgentState], req: &Req) -> Option<Cand> {
        let mut best: Option<Cand> = None;
        for (idx, agent) in agents.iter().enumerate() {
            if let Some(c) = Self::qualify(agent, idx, req) {
                best = match best {
                    Some(b) if Self::compare(agents, b, c) != Ordering::Greater => Some(b),
                    _ => Some(c),
                };
            }
        }
        best
    }

    /// The full decision for one entry: the chosen agent's index and why.
    fn pick(
        &self,
        now: Timestamp,
        agents: &[AgentState],
        entry: &QueueEntry,
    ) -> Option<(usize, WideningLevel, MatchKind)> {
        let level = self.widening_level(now, entry);
        let req = self.requirements(entry, level);

        // 1. Urgent security: the security team first, any proficiency.
        if entry.is_urgent_security()
            && let Some(team) = self.config.security_team
        {
            let sec = Req {
                min_prof: 1,
                only_team: Some(team),
                ..req
            };
            if let Some(c) = Self::best(agents, &sec) {
                return Some((c.idx, level, MatchKind::SecurityTeam));
            }
        }

        // 2. Stickiness: the previous agent, if eligible at this level.
        if self.config.sticky_window_ms > 0
            && let (Some(prev), Some(at)) = (entry.previous_agent, entry.previous_contact_at)
            && now.0.saturating_sub(at.0) <= self.config.sticky_window_ms
            && let Some(idx) = agents.iter().position(|a| a.id == prev)
            && Self::qualify(&agents[idx], idx, &req).is_some()
        {
            return Some((idx, level, MatchKind::Sticky));
        }

        // 3. The best eligible agent at this level.
        let c = Self::best(agents, &req)?;
        let kind = if c.prof == 0 {
            MatchKind::Overflow
        } else if c.tier == 1 {
            MatchKind::FallbackLanguage
        } else {
            MatchKind::Skill
        };
        Some((c.idx, level, kind))
    }

    /// The agent `entry` would go to at `now`, or `None` if nobody is
    /// eligible (the entry stays queued).
    pub fn rank(
        &self,
        now: Timestamp,
        agents: &[AgentState],
        entry: &QueueEntry,
    ) -> Option<AgentId> {
        self.pick(now, agents, entry).map(|(i, _, _)| agents[i].id)
    }

    /// Like [`Self::rank`], with the widening level and the kind of match.
    pub fn route_one(
        &self,
        now: Timestamp,
        agents: &[AgentState],
        entry: &QueueEntry,
    ) -> Option<Assignment> {
        self.pick(now, agents, entry)
            .map(|(i, level, kind)| Assignment {
                conversation_id: entry.conversation_id,
                agent_id: agents[i].id,
                level,
                kind,
            })
    }

    /// Assigns as many queue entries as possible at `now`, in service order
    /// (see [`Self::queue_order`]). Each assignment counts against the
    /// agent's capacity for the entries after it and makes the agent the
    /// most recently assigned, so a batch spreads over agents the way one
    /// decision at a time would. An entry that nobody can take is skipped,
    /// not blocking: the entries behind it need other agents (if they had
    /// the same requirements, nobody could take them either).
    ///
    /// The result is in service order; each conversation id in `queue`
    /// should appear once.
    pub fn decide(
        &self,
        now: Timestamp,
        agents: &[AgentState],
        queue: &[QueueEntry],
    ) -> Vec<Assignment> {
        let mut agents = agents.to_vec();
        let mut free: u64 = agents
            .iter()
            .filter(|a| a.has_free_slot())
            .map(|a| u64::from(a.capacity - a.load))
            .sum();
        let mut out = Vec::new();
        for i in self.ordered(now, queue) {
            if free == 0 {
                break;
            }
            let entry = &queue[i];
            if let Some((idx, level, kind)) = self.pick(now, &agents, entry) {
                let a = &mut agents[idx];
                a.load += 1;
                a.last_assigned_at = Some(now);
                free -= 1;
                out.push(Assignment {
                    conversation_id: entry.conversation_id,
                    agent_id: a.id,
                    level,
                    kind,
                });
            }
        }
        out
    }
}

fn priority_rank(p: Priority) -> u8 {
    match p {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

fn priority_from_rank(r: u8) -> Priority {
    match r {
        0 => Priority::Low,
        1 => Priority::Normal,
        2 => Priority::High,
        _ => Priority::Urgent,
    }
}
