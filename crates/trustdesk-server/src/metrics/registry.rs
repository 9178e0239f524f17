//! The metric names, their help text, and the handles the code records
//! into. Names follow Prometheus conventions: `trustdesk_` prefix, base
//! units (seconds), `_total` on counters.

use metrics::{Counter, Gauge, Histogram, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::time::Duration;
use trustdesk_core::event::AssignReason;
use trustdesk_core::sla::SlaMetric;

pub(super) const HTTP_SECONDS: &str = "trustdesk_http_request_duration_seconds";
const CONNECTIONS: &str = "trustdesk_connections";
const MESSAGES: &str = "trustdesk_messages_total";
const ROUTING: &str = "trustdesk_routing_decisions_total";
const QUEUE: &str = "trustdesk_queue_length";
const SLA_WARNINGS: &str = "trustdesk_sla_warnings_total";
const SLA_BREACHES: &str = "trustdesk_sla_breaches_total";
const COMMIT_SECONDS: &str = "trustdesk_store_commit_duration_seconds";
const COMMIT_WRITES: &str = "trustdesk_store_commit_writes";
const OVERLOADED: &str = "trustdesk_overloaded_refusals_total";

/// Request latencies: 1 ms to 10 s.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Commit latencies: 50 µs (SQLite in the page cache) to 1 s.
const COMMIT_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
/// Writes per commit (the SQLite writer's group commit).
/// The decisions, in the order of `Handles::routing`.
const REASONS: [AssignReason; 5] = [
    AssignReason::Routed,
    AssignReason::SelfAssigned,
    AssignReason::Transfer,
    AssignReason::Requeued,
    AssignReason::Escalated,
];

const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Who sent a message, as the `sender` label says it.
#[derive(Clone, Copy)]
pub(super) enum Sender {
    Customer = 0,
    Agent = 1,
    Bot = 2,
}

/// One server's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    handles: Handles,
}

/// What the hot paths record into, registered once.
struct Handles {
    connections: [Gauge; 2],
    messages: [Counter; 3],
    routing: [Counter; 5],
    sla_warnings: [Counter; 3],
    sla_breaches: [Counter; 3],
    queue: Gauge,
    commit_seconds: Histogram,
    commit_writes: Histogram,
    overloaded: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_SECONDS.into()), HTTP_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(COMMIT_SECONDS.into()), COMMIT_BUCKETS)
            })
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(COMMIT_WRITES.into()), BATCH_BUCKETS)
            })
            // Only empty bucket lists are refused, and these are not.
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        let handles = metrics::with_local_recorder(&recorder, || {
            describe();
            Handles {
                connections: ["customer", "agent"]
                    .map(|role| metrics::gauge!(CONNECTIONS, "role" => role)),
                messages: ["customer", "agent", "bot"]
                    .map(|sender| metrics::counter!(MESSAGES, "sender" => sender)),
                routing: REASONS
                    .map(|reason| metrics::counter!(ROUTING, "decision" => reason_label(reason))),
                sla_warnings: SlaMetric::ALL.map(
                    |metric| metrics::counter!(SLA_WARNINGS, "metric" => metric_label(metric)),
                ),
                sla_breaches: SlaMetric::ALL.map(
                    |metric| metrics::counter!(SLA_BREACHES, "metric" => metric_label(metric)),
                ),
                queue: metrics::gauge!(QUEUE),
                commit_seconds: metrics::histogram!(COMMIT_SECONDS),
                commit_writes: metrics::histogram!(COMMIT_WRITES),
                overloaded: metrics::counter!(OVERLOADED),
            }
        });
        Self {
            recorder,
            handle,
            handles,
        }
    }

    /// The exposition text, with the queue length as of now.
    pub fn render(&self, queue_length: usize) -> String {
        self.handles.queue.set(queue_length as f64);
        self.handle.render()
    }

    pub(super) fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// Counts a WebSocket connection until the returned guard drops.
    pub fn connection(&self, agent: bool) -> ConnectionGauge {
        let gauge = self.handles.connections[usize::from(agent)].clone();
        gauge.increment(1.0);
        ConnectionGauge(gauge)
    }

    pub(super) fn message(&self, sender: Sender) {
        self.handles.messages[sender as usize].increment(1);
    }

    pub(super) fn routing_decision(&self, reason: AssignReason) {
        if let Some(index) = REASONS.iter().position(|r| *r == reason) {
            self.handles.routing[index].increment(1);
        }
    }

    pub(super) fn sla_warning(&self, metric: SlaMetric) {
        self.handles.sla_warnings[metric_index(metric)].increment(1);
    }

    pub(super) fn sla_breach(&self, metric: SlaMetric) {
        self.handles.sla_breaches[metric_index(metric)].increment(1);
    }

    /// A customer write refused with `overloaded` (admission control).
    pub fn overloaded(&self) {
        self.handles.overloaded.increment(1);
    }

    /// One HTTP request's latency, by the route's pattern (never the
    /// concrete path: ids would make a series per conversation).
    pub(super) fn http_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            // Any other verb would be a series per invented method.
            _ => "other",
        };
        let recorder: &dyn Recorder = &self.recorder;
        metrics::with_local_recorder(recorder, || {
            metrics::histogram!(HTTP_SECONDS, "route" => route.to_owned(), "method" => method.to_owned(), "status" => class)
                .record(took.as_secs_f64());
        });
    }
}

impl trustdesk_store::CommitObserver for Metrics {
    fn committed(&self, writes: usize, took: Duration) {
        self.handles.commit_seconds.record(took.as_secs_f64());
        self.handles.commit_writes.record(writes as f64);
    }
}

/// Holds one connection in the `trustdesk_connections` gauge.
pub struct ConnectionGauge(Gauge);

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

fn describe() {
    metrics::describe_histogram!(
        HTTP_SECONDS,
        Unit::Seconds,
        "HTTP request latency by route pattern, method and status class."
    );
    metrics::describe_gauge!(
        CONNECTIONS,
        "Open WebSocket connections on this node, by role."
    );
    metrics::describe_counter!(
        MESSAGES,
        "Messages stored by this node, by sender (customer, agent, bot)."
    );
    metrics::describe_counter!(
        ROUTING,
        "Assignments stored by this node, by decision (routed, self_assigned, transfer, requeued, escalated)."
    );
    metrics::describe_gauge!(
        QUEUE,
        "Conversations waiting for an agent, as this node's routing sees them."
    );
    metrics::describe_counter!(
        SLA_WARNINGS,
        "SLA warnings recorded by this node, by metric."
    );
    metrics::describe_counter!(
        SLA_BREACHES,
        "SLA breaches recorded by this node, by metric."
    );
    metrics::describe_histogram!(
        COMMIT_SECONDS,
        Unit::Seconds,
        "Time of one store COMMIT of conversation writes (where the fsync is paid)."
    );
    metrics::describe_histogram!(
        COMMIT_WRITES,
        "Writes carried by one store commit (group commit)."
    );
    metrics::describe_counter!(
        OVERLOADED,
        "Customer writes refused with `overloaded` by admission control."
    );
}

fn reason_label(reason: AssignReason) -> &'static str {
    match reason {
        AssignReason::Routed => "routed",
        AssignReason::SelfAssigned => "self_assigned",
        AssignReason::Transfer => "transfer",
        AssignReason::Requeued => "requeued",
        AssignReason::Escalated => "escalated",
    }
}

fn metric_index(metric: SlaMetric) -> usize {
    match metric {
        SlaMetric::FirstResponse => 0,
        SlaMetric::NextResponse => 1,
        SlaMetric::Resolution => 2,
    }
}

fn metric_label(metric: SlaMetric) -> &'static str {
    match metric {
        SlaMetric::FirstResponse => "first_response",
        SlaMetric::NextResponse => "next_response",
        SlaMetric::Resolution => "resolution",
    }
}
