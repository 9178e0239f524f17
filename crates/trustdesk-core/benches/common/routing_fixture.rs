//! The routing fixture shared by the criterion bench (`benches/routing.rs`)
//! and the throughput example (`examples/routing_throughput.rs`): 500
//! agents with varied skills, languages, teams, presence and load, and a
//! varied stream of queue entries, from a fixed seed.
#![allow(dead_code)]

use trustdesk_core::routing::{
    AgentState, LanguageSet, Presence, QueueEntry, Skills, WideningLevel,
};
use trustdesk_core::{AgentId, Category, ConversationId, Language, Priority, TeamId, Timestamp};
use uuid::Uuid;

pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub const SECURITY: TeamId = TeamId(Uuid::from_u128(1));
pub const OVERFLOW: TeamId = TeamId(Uuid::from_u128(2));

pub fn agents(n: usize, rng: &mut Rng) -> Vec<AgentState> {
    (0..n)
        .map(|i| {
            let mut skills = Skills::NONE;
            for c in Category::ALL {
                if rng.below(3) == 0 {
                    skills.set(*c, 1 + rng.below(3) as u8);
                }
            }
            let mut langs = LanguageSet::EMPTY;
            for l in Language::ALL {
                if rng.below(2) == 0 {
                    langs.insert(*l);
                }
            }
            let mut teams = vec![TeamId(Uuid::from_u128(100 + rng.below(10) as u128))];
            if i % 25 == 0 {
                teams.push(SECURITY);
            }
            if i % 10 == 0 {
                teams.push(OVERFLOW);
            }
            let capacity = 2 + rng.below(5) as u32;
            AgentState {
                id: AgentId(Uuid::from_u128(rng.next() as u128 | 1 << 64)),
                teams,
                skills,
                languages: langs,
                capacity,
                load: rng.below(u64::from(capacity) + 1) as u32,
                presence: match rng.below(10) {
                    0 => Presence::Offline,
                    1 => Presence::Away,
                    _ => Presence::Online,
                },
                last_assigned_at: Some(Timestamp(rng.below(1_000_000) as i64)),
            }
        })
        .collect()
}

pub fn entries(n: usize, agents: &[AgentState], rng: &mut Rng) -> Vec<QueueEntry> {
    (0..n)
        .map(|i| {
            let mut e = QueueEntry::new(
                ConversationId(Uuid::from_u128(i as u128 + 1_000_000)),
                Category::ALL[rng.below(6) as usize],
                Language::ALL[rng.below(3) as usize],
                Priority::ALL[rng.below(4) as usize],
                Timestamp(500_000 + rng.below(500_000) as i64),
            );
            e.urgent = rng.below(20) == 0;
            if rng.below(4) == 0 {
                e.previous_agent = Some(agents[rng.below(agents.len() as u64) as usize].id);
                e.previous_contact_at = Some(Timestamp(900_000));
            }
            if rng.below(3) == 0 {
                e.fallback_language = Some(Language::En);
            }
            if rng.below(5) == 0 {
                e.widening_level = WideningLevel::OverflowTeam;
            }
            e
        })
        .collect()
}
