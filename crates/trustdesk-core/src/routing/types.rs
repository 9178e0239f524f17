//! The data the routing engine works on: agents' routing profiles, queue
//! entries, the configuration, and the decisions it returns.
//!
//! Skills and languages are stored as fixed arrays / bit sets rather than
//! `Vec`s: the engine scans every agent for every decision, and a compact
//! profile keeps 500 agents inside the L1/L2 cache.

use crate::ids::{AgentId, ConversationId, TeamId};
use crate::model::{Agent, Category, Language, Priority};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Number of categories (the size of a [`Skills`] table).
pub const CATEGORY_COUNT: usize = Category::ALL.len();

/// Index of a category in a [`Skills`] table.
#[inline]
pub(crate) fn category_index(c: Category) -> usize {
    c as usize
}

/// Whether an agent can take conversations right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Connected and accepting new conversations.
    Online,
    /// Connected, keeps the conversations it has, gets no new ones.
    Away,
    /// Not connected (explicitly, or heartbeats missed); see
    /// [`super::presence`] for when its conversations return to the queue.
    Offline,
}

/// Proficiency per category: 0 = no skill, 1 = basic, 2 = good, 3 = expert.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Skills(pub [u8; CATEGORY_COUNT]);

impl Skills {
    pub const NONE: Skills = Skills([0; CATEGORY_COUNT]);

    /// Builds a table from `(category, proficiency)` pairs. Proficiencies
    /// above 3 are clamped to 3; a later pair for the same category wins.
    pub fn from_pairs<I: IntoIterator<Item = (Category, u8)>>(pairs: I) -> Self {
        let mut s = Self::NONE;
        for (c, p) in pairs {
            s.set(c, p);
        }
        s
    }

    /// Sets the proficiency (0 removes the skill; values above 3 become 3).
    pub fn set(&mut self, category: Category, proficiency: u8) {
        self.0[category_index(category)] = proficiency.min(3);
    }

    /// The proficiency for `category` (0 when the agent lacks the skill).
    #[inline]
    pub fn get(&self, category: Category) -> u8 {
        self.0[category_index(category)]
    }
}

/// A set of languages as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LanguageSet(pub u8);

impl LanguageSet {
    pub const EMPTY: LanguageSet = LanguageSet(0);

    pub fn of<I: IntoIterator<Item = Language>>(langs: I) -> Self {
        let mut s = Self::EMPTY;
        for l in langs {
            s.insert(l);
        }
        s
    }

    pub fn insert(&mut self, l: Language) {
        self.0 |= 1 << (l as u8);
    }

    #[inline]
    pub fn contains(self, l: Language) -> bool {
        self.0 & (1 << (l as u8)) != 0
    }
}

/// An agent as the router sees it: a routing profile plus live state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentState {
    pub id: AgentId,
    /// Teams the agent belongs to (security team, overflow team, …).
    pub teams: Vec<TeamId>,
    pub skills: Skills,
    pub languages: LanguageSet,
    /// Maximum number of concurrent conversations.
    pub capacity: u32,
    /// Conversations currently assigned.
    pub load: u32,
    pub presence: Presence,
    /// When the agent last received a conversation (`None` = never, i.e.
    /// idle the longest).
    pub last_assigned_at: Option<Timestamp>,
}

impl AgentState {
    /// The routing profile of a stored agent: their languages and team,
    /// with the given skills and capacity; offline, no load, never assigned
    /// until the server fills in the live state.
    pub fn from_agent(agent: &Agent, skills: Skills, capacity: u32) -> Self {
        Self {
            id: agent.id,
            teams: agent.team_id.into_iter().collect(),
            skills,
            languages: LanguageSet::of(agent.languages.iter().copied()),
            capacity,
            load: 0,
            presence: Presence::Offline,
            last_assigned_at: None,
        }
    }

    /// Whether the agent is in `team`.
    #[inline]
    pub fn in_team(&self, team: TeamId) -> bool {
        self.teams.contains(&team)
    }

    /// Online with a free slot.
    #[inline]
    pub fn has_free_slot(&self) -> bool {
        self.presence == Presence::Online && self.load < self.capacity
    }
}

/// How far a queue entry's requirements have been relaxed. Each level
/// includes the relaxations of the levels below it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum WideningLevel {
    /// Skill at least [`RoutingConfig::min_proficiency`], customer's language.
    #[default]
    Strict = 0,
    /// Any proficiency (≥ 1) in the category.
    AnyProficiency = 1,
    /// Also agents who speak the customer's accepted fallback language.
    FallbackLanguage = 2,
    /// Also members of the overflow team, whatever their skills.
    OverflowTeam = 3,
}

impl WideningLevel {
    pub const ALL: [WideningLevel; 4] = [
        Self::Strict,
        Self::AnyProficiency,
        Self::FallbackLanguage,
        Self::OverflowTeam,
    ];

    pub fn from_index(i: usize) -> Self {
        Self::ALL[i.min(3)]
    }
}

/// A conversation waiting for an agent: its requirements and history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub conversation_id: ConversationId,
    pub category: Category,
    pub language: Language,
    pub priority: Priority,
    /// Triage's urgent flag; an urgent entry ranks as [`Priority::Urgent`],
    /// and an urgent `security` entry jumps the whole queue.
    pub urgent: bool,
    /// When the entry (first) entered the queue. Re-queued conversations
    /// should keep their original time so they do not lose their place.
    pub enqueued_at: Timestamp,
    /// The agent who last handled this customer, for stickiness.
    pub previous_agent: Option<AgentId>,
    /// When that agent last had contact with the customer.
    pub previous_contact_at: Option<Timestamp>,
    /// A second language the customer accepts (used from
    /// [`WideningLevel::FallbackLanguage`] on).
    pub fallback_language: Option<Language>,
    /// A floor for the widening level (e.g. a supervisor widened it, or the
    /// server persisted the level it had reached). The effective level is
    /// the maximum of this and the level earned by waiting.
    pub widening_level: WideningLevel,
}

impl QueueEntry {
    /// A fresh entry with no history, no fallback and no widening.
    pub fn new(
        conversation_id: ConversationId,
        category: Category,
        language: Language,
        priority: Priority,
        enqueued_at: Timestamp,
    ) -> Self {
        Self {
            conversation_id,
            category,
            language,
            priority,
            urgent: false,
            enqueued_at,
            previous_agent: None,
            previous_contact_at: None,
            fallback_language: None,
            widening_level: WideningLevel::Strict,
        }
    }

    /// An urgent request about security: jumps the queue, security team first.
    #[inline]
    pub fn is_urgent_security(&self) -> bool {
        self.urgent && self.category == Category::Security
    }

    /// The priority before aging: `Urgent` when the urgent flag is set.
    #[inline]
    pub fn base_priority(&self) -> Priority {
        if self.urgent {
            Priority::Urgent
        } else {
            self.priority
        }
    }
}

/// Tunables of the routing policy. All durations in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoutingConfig {
    /// The proficiency required at [`WideningLevel::Strict`] (1–3; values
    /// outside are clamped). Default 2.
    pub min_proficiency: u8,
    /// Waits (since `enqueued_at`) after which an entry reaches widening
    /// levels 1, 2 and 3. Expected non-decreasing; each is treated as at
    /// least the one before it. Default 60 s, 180 s, 300 s.
    pub widen_after_ms: [i64; 3],
    /// How long after the last contact a returning customer is routed back
    /// to the same agent (if that agent is eligible). Default 24 h;
    /// 0 disables stickiness.
    pub sticky_window_ms: i64,
    /// Aging: every `aging_step_ms` of waiting raises a low/normal entry's
    /// effective priority by one level, up to `High` (never `Urgent`).
    /// Default 5 min; 0 or less disables aging.
    pub aging_step_ms: i64,
    /// The team that receives urgent security requests first.
    pub security_team: Option<TeamId>,
    /// The team that takes anything at [`WideningLevel::OverflowTeam`].
    pub overflow_team: Option<TeamId>,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            min_proficiency: 2,
            widen_after_ms: [60_000, 180_000, 300_000],
            sticky_window_ms: 24 * 3_600_000,
            aging_step_ms: 5 * 60_000,
            security_team: None,
            overflow_team: None,
        }
    }
}

/// Why the router chose the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The customer's previous agent (within the sticky window).
    Sticky,
    /// An urgent security request went to the security team.
    SecurityTeam,
    /// The agent has the skill and the customer's language.
    Skill,
    /// The agent speaks the customer's fallback language (level 2+).
    FallbackLanguage,
    /// An overflow-team member without the skill (level 3).
    Overflow,
}

/// One routing decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub conversation_id: ConversationId,
    pub agent_id: AgentId,
    /// The effective widening level when the decision was made.
    pub level: WideningLevel,
    pub kind: MatchKind,
}
