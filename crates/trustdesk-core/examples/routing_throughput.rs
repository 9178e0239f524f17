//! Routing decisions per second with 500 agents in memory.
//!
//!     cargo run --release -p trustdesk-core --example routing_throughput [agents] [seconds]
//!
//! Prints one JSON line per scenario:
//! * `rank`: one decision (`Router::rank`) for a varied stream of entries
//!   (all categories, languages, priorities, some sticky, some widened, some
//!   urgent security) against the same 500 agents;
//! * `decide_batch`: `Router::decide` over a 200-entry queue, counted per
//!   entry routed or examined;
//! * `bare_scan`: the ceiling on this machine — one pass over the 500
//!   agents doing nothing but a presence/capacity check — so the figure can
//!   be read as a ratio that survives a noisy shared machine.

use std::hint::black_box;
use std::time::{Duration, Instant};
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

fn run<F: FnMut() -> usize>(name: &str, secs: f64, mut f: F) -> f64 {
    // warm-up
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(200) {
        black_box(f());
    }
    let start = Instant::now();
    let mut ops = 0usize;
    while start.elapsed().as_secs_f64() < secs {
        ops += f();
    }
    let rate = ops as f64 / start.elapsed().as_secs_f64();
    println!(
        "{{\"scenario\":\"{name}\",\"ops_per_s\":{rate:.0},\"ns_per_op\":{:.1}}}",
        1e9 / rate
    );
    rate
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n_agents: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(500);
    let secs: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3.0);

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let agents = agents(n_agents, &mut rng);
    let stream = entries(4096, &agents, &mut rng);
    let queue = entries(200, &agents, &mut rng);
    let router = Router::new(RoutingConfig {
        security_team: Some(SECURITY),
        overflow_team: Some(OVERFLOW),
        ..RoutingConfig::default()
    });
    let now = Timestamp(1_000_000);

    let bare = run("bare_scan", secs, || {
        let free = agents
            .iter()
            .filter(|a| a.presence == Presence::Online && a.load < a.capacity)
            .count();
        black_box(free);
        1
    });

    let mut i = 0usize;
    let mut routed = 0usize;
    let rank = run("rank", secs, || {
        let e = &stream[i & 4095];
        i += 1;
        if black_box(router.rank(now, black_box(&agents), e)).is_some() {
            routed += 1;
        }
        1
    });

    let mut assigned = 0usize;
    let batch = run("decide_batch", secs, || {
        let out = router.decide(now, black_box(&agents), black_box(&queue));
        assigned = out.len();
        queue.len()
    });

    println!(
        "{{\"agents\":{n_agents},\"rank_routed_share\":{:.2},\"decide_assigned_of_200\":{assigned},\"rank_vs_bare_scan\":{:.2},\"decide_vs_bare_scan\":{:.2}}}",
        routed as f64 / i as f64,
        bare / rank,
        bare / batch
    );
}
