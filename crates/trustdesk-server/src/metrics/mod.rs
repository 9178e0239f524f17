//! Prometheus metrics at `/metrics` (docs/operations.md, "Metrics").
//!
//! Each server owns its recorder (`Metrics`): nothing is installed as the
//! process's global recorder, so several servers in one process (the
//! tests) keep separate figures. The hot paths hold handles registered
//! once (a counter add is one atomic); only the HTTP histogram looks its
//! labels up per request.
//!
//! - `registry.rs`: the metric names, their help text and the handles;
//! - `events.rs`: what the stored events say (messages, routing
//!   decisions, SLA warnings and breaches), counted where every write is
//!   announced;
//! - `http.rs`: request latency by route, as a middleware;
//! - `routes.rs`: the scrape endpoint, with its token or on its own
//!   listener.

mod events;
pub mod http;
mod registry;
pub mod routes;

pub use registry::{ConnectionGauge, Metrics};

use crate::workers::Worker;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often histogram samples are folded in when nobody scrapes (they
/// are kept until then; the upkeep bounds that memory).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Folds the histograms' pending samples in on a schedule.
pub struct MetricsUpkeep(pub Arc<Metrics>);

impl Worker for MetricsUpkeep {
    const NAME: &'static str = "metrics-upkeep";

    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.0.upkeep(),
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}
