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
use trustdesk_core::Timestamp;
use trustdesk_core::routing::{Presence, Router, RoutingConfig};

#[path = "common/routing_fixture.rs"]
mod fixture;
use fixture::*;

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
