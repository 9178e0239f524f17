//! Criterion benchmark of the routing decision with 500 agents in memory.
//!
//!     cargo bench -p trustdesk-core --bench routing
//!
//! * `rank/500_agents`: one decision (`Router::rank`) for a varied stream
//!   of entries (all categories, languages, priorities, 25 % sticky, 20 %
//!   widened to overflow, 5 % urgent);
//! * `decide/200_entries_500_agents`: `Router::decide` over a 200-entry
//!   queue (throughput counted per entry);
//! * `bare_scan/500_agents`: the ceiling — one presence/capacity pass
//!   over the 500 agents — so the figures read as ratios on a shared box.
//!
//! The same data as `examples/routing_throughput.rs`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use trustdesk_core::routing::{
    AgentState, LanguageSet, Presence, QueueEntry, Router, RoutingConfig, Skills, WideningLevel,
};
use trustdesk_core::{AgentId, Category, ConversationId, Language, Priority, TeamId, Timestamp};
use uuid::Uuid;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SECURITY: TeamId = TeamId(Uuid::from_u128(1));
const OVERFLOW: TeamId = TeamId(Uuid::from_u128(2));

fn agents(n: usize, rng: &mut Rng) -> Vec<AgentState> {
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

fn entries(n: usize, agents: &[AgentState], rng: &mut Rng) -> Vec<QueueEntry> {
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

fn routing(c: &mut Criterion) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let agents = agents(500, &mut rng);
    let stream = entries(4096, &agents, &mut rng);
    let queue = entries(200, &agents, &mut rng);
    let router = Router::new(RoutingConfig {
        security_team: Some(SECURITY),
        overflow_team: Some(OVERFLOW),
        ..RoutingConfig::default()
    });
    let now = Timestamp(1_000_000);

    let mut group = c.benchmark_group("routing");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bare_scan/500_agents", |b| {
        b.iter(|| {
            black_box(&agents)
                .iter()
                .filter(|a| a.presence == Presence::Online && a.load < a.capacity)
                .count()
        })
    });
    let mut i = 0usize;
    group.bench_function("rank/500_agents", |b| {
        b.iter(|| {
            let e = &stream[i & 4095];
            i += 1;
            router.rank(now, black_box(&agents), black_box(e))
        })
    });
    group.throughput(Throughput::Elements(queue.len() as u64));
    group.bench_function("decide/200_entries_500_agents", |b| {
        b.iter(|| router.decide(now, black_box(&agents), black_box(&queue)))
    });
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
