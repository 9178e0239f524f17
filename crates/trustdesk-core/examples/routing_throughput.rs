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
use trustdesk_core::Timestamp;
use trustdesk_core::routing::{Presence, Router, RoutingConfig};

#[path = "../benches/common/routing_fixture.rs"]
mod fixture;
use fixture::*;

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
