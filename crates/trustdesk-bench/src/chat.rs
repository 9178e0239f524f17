//! The chat scenario, shared by both targets: C customers each with a
//! conversation, A agents subscribed to them (conversation i goes to agent
//! i mod A), open-loop sends at a target rate.
//!
//! Every send is scheduled by the clock (customer i of n sends at
//! `start + (i/n + k) * n/R`) and never waits for an answer. Its intended
//! send time travels in the `client_msg_id`, and the agent that receives
//! the `event` records `now - intended`: the bench's own lateness and any
//! back-pressure on the socket are inside the figure, not hidden
//! (no coordinated omission). The lateness is also reported on its own.

use crate::net::{self, Endpoint, Ws};
use crate::sys;
use anyhow::{Context, Result};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    /// The trustdesk server (REST sessions, authenticated WebSockets).
    Trustdesk,
    /// The bare relay of `trustdesk-bench relay`.
    Relay,
}

impl TargetKind {
    fn label(self) -> &'static str {
        match self {
            TargetKind::Trustdesk => "trustdesk",
            TargetKind::Relay => "relay",
        }
    }
}

pub struct Options {
    pub customers: usize,
    pub agents: usize,
    pub body_bytes: usize,
    pub source_ips: usize,
    pub agent: net::AgentLogin,
}

/// What every reader task updates.
struct Shared {
    epoch: Instant,
    /// Only events of the current point are counted.
    phase: AtomicU32,
    deliveries: Mutex<Vec<Delivery>>,
    refusals: Mutex<Vec<Refusal>>,
    acks: AtomicU64,
    error_frames: AtomicU64,
    disconnects: AtomicU64,
}

impl Shared {
    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}

struct Customer {
    sink: Arc<tokio::sync::Mutex<SplitSink<Ws, Message>>>,
    conversation_id: Arc<str>,
}

/// A target with its connections open and its readers running.
pub struct Target {
    kind: TargetKind,
    /// The server processes (several nodes: their CPU is summed).
    pids: Vec<u32>,
    customers: Vec<Customer>,
    shared: Arc<Shared>,
    body: Arc<str>,
}

pub struct Point {
    pub json: Value,
    pub achieved_msg_s: f64,
    pub cpu_us_per_msg: f64,
}

impl Target {
    /// Connects the load. With several endpoints (nodes of one desk),
    /// customers are spread over them and each agent connects to the node
    /// after its customers' one, so every message crosses nodes.
    pub async fn connect(
        kind: TargetKind,
        endpoints: &[Endpoint],
        pids: Vec<u32>,
        options: &Options,
        epoch: Instant,
    ) -> Result<Self> {
        let shared = Arc::new(Shared {
            epoch,
            phase: AtomicU32::new(0),
            deliveries: Mutex::new(Vec::new()),
            refusals: Mutex::new(Vec::new()),
            acks: AtomicU64::new(0),
            error_frames: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
        });
        let c = options.customers;
        let a = options.agents.max(1);
        // Tokens and conversations.
        let (customer_tokens, conversations, agent_tokens) = match kind {
            TargetKind::Relay => (
                vec!["relay".to_owned(); c],
                (0..c).map(|i| format!("relay-{i}")).collect::<Vec<_>>(),
                vec!["relay".to_owned(); a],
            ),
            TargetKind::Trustdesk => {
                let http = net::http_client()?;
                let created: Vec<Result<(String, String)>> = futures_util::stream::iter(0..c)
                    .map(|i| net::customer_with_conversation(&http, node(endpoints, i)))
                    .buffered(32)
                    .collect()
                    .await;
                let mut tokens = Vec::with_capacity(c);
                let mut ids = Vec::with_capacity(c);
                for r in created {
                    let (t, id) = r.context("creating a customer with a conversation")?;
                    tokens.push(t);
                    ids.push(id);
                }
                // One login (a TOTP code is valid once), shared by every
                // agent connection.
                let token = net::agent_login(&http, node(endpoints, 0), &options.agent)
                    .await
                    .context(
                        "agent login (serve --demo with --agent-totp-secret, or --agent-token)",
                    )?;
                let agents = vec![token; a];
                (tokens, ids, agents)
            }
        };
        // Agents first, each subscribed to its share of the conversations.
        for (j, token) in agent_tokens.iter().enumerate() {
            let mut ws = net::open(
                node(endpoints, j + 1),
                net::source_ip(j, options.source_ips),
                token,
            )
            .await?;
            for id in conversations.iter().skip(j).step_by(a) {
                net::subscribe(&mut ws, id).await?;
            }
            let (_sink, stream) = ws.split();
            tokio::spawn(agent_reader(stream, shared.clone(), _sink));
        }
        let mut customers = Vec::with_capacity(c);
        let opened: Vec<Result<Ws>> = futures_util::stream::iter(0..c)
            .map(|i| {
                let token = customer_tokens[i].clone();
                let id = conversations[i].clone();
                let endpoint = node(endpoints, i).clone();
                let src = net::source_ip(a + i, options.source_ips);
                async move {
                    let mut ws = net::open(&endpoint, src, &token).await?;
                    net::subscribe(&mut ws, &id).await?;
                    Ok(ws)
                }
            })
            .buffered(64)
            .collect()
            .await;
        for (i, ws) in opened.into_iter().enumerate() {
            let (sink, stream) = ws?.split();
            tokio::spawn(customer_reader(stream, shared.clone()));
            customers.push(Customer {
                sink: Arc::new(tokio::sync::Mutex::new(sink)),
                conversation_id: conversations[i].clone().into(),
            });
        }
        Ok(Self {
            kind,
            pids,
            customers,
            shared,
            body: "x".repeat(options.body_bytes.max(1)).into(),
        })
    }

    /// Runs one point at `rate` msg/s for `duration`; returns its JSON line.
    /// CPU time of every server process, summed.
    fn cpu_us(&self) -> Result<u64> {
        sys::cpu_us_of(&self.pids)
    }

    /// Runs one point at `rate` msg/s for `duration`; returns its JSON line.
    pub async fn run_point(&self, rate: f64, duration: Duration, phase: u32) -> Result<Point> {
        let run = self.run_stages(&[Stage { rate, duration }], phase).await?;
        let mut latencies: Vec<u64> = run.deliveries.iter().map(|d| d.latency_us).collect();
        latencies.sort_unstable();
        let mut lateness = run.lateness_us;
        lateness.sort_unstable();
        let delivered = latencies.len() as u64;
        let last_us = run
            .deliveries
            .iter()
            .map(Delivery::delivered_us)
            .max()
            .unwrap_or(0);
        let span_s =
            (last_us.saturating_sub(run.start_us) as f64 / 1e6).max(duration.as_secs_f64());
        let achieved = delivered as f64 / span_s;
        let lost = run.sent.saturating_sub(delivered);
        let cpu_per_msg = if delivered > 0 {
            run.cpu_us as f64 / delivered as f64
        } else {
            0.0
        };
        let json = json!({
            "scenario": "chat",
            "target": self.kind.label(),
            "customers": self.customers.len(),
            "offered_msg_s": rate,
            "duration_s": duration.as_secs_f64(),
            "sent": run.sent,
            "delivered": delivered,
            "acked": if self.kind == TargetKind::Trustdesk { json!(run.acks) } else { Value::Null },
            "achieved_msg_s": (achieved * 10.0).round() / 10.0,
            "p50_ms": sys::ms(sys::percentile(&latencies, 50.0)),
            "p90_ms": sys::ms(sys::percentile(&latencies, 90.0)),
            "p99_ms": sys::ms(sys::percentile(&latencies, 99.0)),
            "max_ms": sys::ms(latencies.last().copied().unwrap_or(0)),
            // A refusal is an error frame and a message not delivered:
            // counted once.
            "errors": run.error_frames - run.refusals.len() as u64 + run.failed + lost + run.disconnects,
            "refused_overloaded": run.refusals.len(),
            "lost": lost,
            "server_cpu_us_per_msg": (cpu_per_msg * 10.0).round() / 10.0,
            "server_disk_write_bytes_per_msg": run
                .disk_write_bytes
                .filter(|_| delivered > 0)
                .map(|bytes| (bytes as f64 / delivered as f64).round()),
            "bench_lateness_p99_ms": sys::ms(sys::percentile(&lateness, 99.0)),
            "bench_lateness_max_ms": sys::ms(lateness.last().copied().unwrap_or(0)),
        });
        Ok(Point {
            json,
            achieved_msg_s: achieved,
            cpu_us_per_msg: cpu_per_msg,
        })
    }

    /// Sends open loop through `stages` back to back (the rate changes at
    /// each stage's start, with no pause or drain between them), then waits
    /// up to 5 s for what is in flight. Every delivery and refusal is
    /// returned with the time its message was meant to be sent.
    pub async fn run_stages(&self, stages: &[Stage], phase: u32) -> Result<StagedRun> {
        let shared = &self.shared;
        shared.phase.store(phase, Ordering::SeqCst);
        shared.deliveries.lock().expect("lock").clear();
        shared.refusals.lock().expect("lock").clear();
        let acks0 = shared.acks.load(Ordering::SeqCst);
        let errors0 = shared.error_frames.load(Ordering::SeqCst);
        let disconnects0 = shared.disconnects.load(Ordering::SeqCst);

        let n = self.customers.len();
        let cpu0 = self.cpu_us()?;
        let disk0 = sys::disk_write_bytes_of(&self.pids);
        let start = Instant::now() + Duration::from_millis(20);
        let stages: Arc<[Stage]> = stages.into();
        let mut writers = Vec::with_capacity(n);
        for (i, customer) in self.customers.iter().enumerate() {
            let sink = customer.sink.clone();
            let conversation = customer.conversation_id.clone();
            let body = self.body.clone();
            let shared = shared.clone();
            let stages = stages.clone();
            writers.push(tokio::spawn(async move {
                let mut lateness = Vec::new();
                let mut sent = 0u64;
                let mut failed = 0u64;
                let mut k = 0u32;
                let mut stage_start = start;
                for stage in stages.iter() {
                    let interval = Duration::from_secs_f64(n as f64 / stage.rate);
                    let offset = interval.mul_f64(i as f64 / n as f64);
                    let stage_end = stage_start + stage.duration;
                    let mut j = 0u32;
                    loop {
                        let intended = stage_start + offset + interval * j;
                        if intended >= stage_end {
                            break;
                        }
                        tokio::time::sleep_until(intended.into()).await;
                        let now = Instant::now();
                        lateness.push(now.duration_since(intended).as_micros() as u64);
                        let intended_us = intended.duration_since(shared.epoch).as_micros() as u64;
                        // The id doubles as the `ref`, so a refusal names
                        // the message it refused.
                        let id = format!("b{phase}-{intended_us}-{i}-{k}");
                        let frame = format!(
                            r#"{{"type":"send","conversation_id":"{conversation}","client_msg_id":"{id}","ref":"{id}","body":"{body}"}}"#
                        );
                        if sink.lock().await.send(Message::Text(frame.into())).await.is_ok() {
                            sent += 1;
                        } else {
                            failed += 1;
                        }
                        j += 1;
                        k += 1;
                    }
                    stage_start = stage_end;
                }
                (lateness, sent, failed)
            }));
        }
        let mut lateness = Vec::new();
        let mut sent = 0;
        let mut failed = 0;
        for w in writers {
            let (l, s, f) = w.await?;
            lateness.extend(l);
            sent += s;
            failed += f;
        }
        // Drain: wait for what is in flight (at most 5 s). A refused
        // message is answered, so it is not waited for.
        let drain_until = Instant::now() + Duration::from_secs(5);
        let answered = || {
            shared.deliveries.lock().expect("lock").len() as u64
                + shared.refusals.lock().expect("lock").len() as u64
        };
        while answered() < sent && Instant::now() < drain_until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if self.kind == TargetKind::Trustdesk {
            let refused = shared.refusals.lock().expect("lock").len() as u64;
            while shared.acks.load(Ordering::SeqCst) - acks0 + refused < sent
                && Instant::now() < drain_until
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        let cpu1 = self.cpu_us()?;
        let disk1 = sys::disk_write_bytes_of(&self.pids);
        shared.phase.store(u32::MAX, Ordering::SeqCst);
        Ok(StagedRun {
            disk_write_bytes: disk0.zip(disk1).map(|(a, b)| b.saturating_sub(a)),
            start_us: start.duration_since(shared.epoch).as_micros() as u64,
            deliveries: std::mem::take(&mut *shared.deliveries.lock().expect("lock")),
            refusals: std::mem::take(&mut *shared.refusals.lock().expect("lock")),
            lateness_us: lateness,
            sent,
            failed,
            acks: shared.acks.load(Ordering::SeqCst) - acks0,
            error_frames: shared.error_frames.load(Ordering::SeqCst) - errors0,
            disconnects: shared.disconnects.load(Ordering::SeqCst) - disconnects0,
            cpu_us: cpu1 - cpu0,
        })
    }
}

/// A stretch of constant offered load.
#[derive(Clone, Copy, Debug)]
pub struct Stage {
    pub rate: f64,
    pub duration: Duration,
}

/// A message that reached its agent.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    /// When it was meant to be sent (µs since the bench's epoch).
    pub intended_us: u64,
    pub latency_us: u64,
}

impl Delivery {
    pub fn delivered_us(&self) -> u64 {
        self.intended_us + self.latency_us
    }
}

/// A message the server refused as `overloaded`.
#[derive(Clone, Copy, Debug)]
pub struct Refusal {
    pub intended_us: u64,
    /// The refusal said when to try again.
    pub retry_after: bool,
}

/// What one `run_stages` saw (every time in µs since the bench's epoch).
pub struct StagedRun {
    pub start_us: u64,
    pub deliveries: Vec<Delivery>,
    pub refusals: Vec<Refusal>,
    pub lateness_us: Vec<u64>,
    pub sent: u64,
    pub failed: u64,
    pub acks: u64,
    /// Error frames of every kind, refusals included.
    pub error_frames: u64,
    pub disconnects: u64,
    /// The server processes' CPU time over the run.
    pub cpu_us: u64,
    /// What they wrote to storage over the run.
    pub disk_write_bytes: Option<u64>,
}

/// Parses `b{phase}-{intended_us}-…`.
fn parse_id(id: &str) -> Option<(u32, u64)> {
    let rest = id.strip_prefix('b')?;
    let mut parts = rest.split('-');
    let phase = parts.next()?.parse().ok()?;
    let intended = parts.next()?.parse().ok()?;
    Some((phase, intended))
}

async fn agent_reader(
    mut stream: SplitStream<Ws>,
    shared: Arc<Shared>,
    // Kept alive so the socket stays open (and pongs can be written).
    _sink: SplitSink<Ws, Message>,
) {
    while let Some(message) = stream.next().await {
        match message {
            Ok(Message::Text(text)) => {
                // Agents send nothing, so every frame with one of our
                // client message ids is an event delivery.
                let Some((phase, intended)) =
                    net::string_field(&text, "client_msg_id").and_then(parse_id)
                else {
                    if text.contains(r#""type":"error""#) {
                        shared.error_frames.fetch_add(1, Ordering::Relaxed);
                    }
                    continue;
                };
                if phase != shared.phase.load(Ordering::Relaxed) {
                    continue;
                }
                let now = shared.now_us();
                shared.deliveries.lock().expect("lock").push(Delivery {
                    intended_us: intended,
                    latency_us: now.saturating_sub(intended),
                });
            }
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    shared.disconnects.fetch_add(1, Ordering::Relaxed);
}

async fn customer_reader(mut stream: SplitStream<Ws>, shared: Arc<Shared>) {
    while let Some(message) = stream.next().await {
        match message {
            Ok(Message::Text(text)) => {
                if text.contains(r#""type":"ack""#) {
                    shared.acks.fetch_add(1, Ordering::Relaxed);
                } else if text.contains(r#""type":"error""#) {
                    let errors = shared.error_frames.fetch_add(1, Ordering::Relaxed);
                    let refused = net::string_field(&text, "code") == Some("overloaded");
                    let of_this_phase = net::string_field(&text, "ref")
                        .and_then(parse_id)
                        .filter(|(phase, _)| *phase == shared.phase.load(Ordering::Relaxed));
                    match of_this_phase {
                        Some((_, intended_us)) if refused => {
                            shared.refusals.lock().expect("lock").push(Refusal {
                                intended_us,
                                retry_after: text.contains(r#""retry_after_ms":"#),
                            });
                        }
                        _ if errors < 5 => eprintln!("error frame: {text}"),
                        _ => {}
                    }
                }
            }
            Ok(Message::Close(frame)) => {
                eprintln!("customer socket closed: {frame:?}");
                break;
            }
            Err(_) => break,
            Ok(_) => {}
        }
    }
    shared.disconnects.fetch_add(1, Ordering::Relaxed);
}

/// The node the `i`th client connects to (round robin).
fn node(endpoints: &[Endpoint], i: usize) -> &Endpoint {
    &endpoints[i % endpoints.len()]
}
