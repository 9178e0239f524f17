//! New conversations end to end: open-loop arrivals, each creates a
//! customer session and opens a conversation with a first message over
//! REST; the figure is the time from the intended arrival to the first
//! `conversation` frame for it in an agent's inbox (`subscribe_inbox`).
//! The conversation's subject carries the intended time. Customers and the
//! agent may be on different nodes of one desk.

use crate::net::{self, Endpoint};
use crate::sys;
use anyhow::Result;
use futures_util::StreamExt;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub struct Options {
    pub rate: f64,
    pub duration: Duration,
    /// Every node's process: CPU is summed over them.
    pub pids: Vec<u32>,
    pub agent: net::AgentLogin,
}

pub async fn run(endpoint: &Endpoint, inbox: &Endpoint, o: &Options, phase: u32) -> Result<()> {
    let epoch = Instant::now();
    let http = net::http_client()?;
    let token = net::agent_login(&http, inbox, &o.agent).await?;
    let mut ws = net::open(inbox, net::source_ip(0, 1), &token).await?;
    net::send_json(&mut ws, &json!({"type": "subscribe_inbox"})).await?;
    net::expect(&mut ws, "inbox_subscribed").await?;
    let prefix = format!("bench-{phase}-");
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let reader_prefix = prefix.clone();
    let reader = tokio::spawn(async move {
        let mut seen = HashSet::new();
        while let Some(Ok(message)) = ws.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let Some(subject) = net::string_field(&text, "subject") else {
                continue;
            };
            let Some(rest) = subject.strip_prefix(reader_prefix.as_str()) else {
                continue;
            };
            let Some(intended) = rest.split('-').next().and_then(|s| s.parse::<u64>().ok()) else {
                continue;
            };
            if seen.insert(rest.to_owned()) {
                let now = epoch.elapsed().as_micros() as u64;
                let _ = done_tx.send(now.saturating_sub(intended));
            }
        }
    });

    let errors = Arc::new(AtomicU64::new(0));
    // Arrivals the server shed with `429 overloaded`: not failures, the
    // admission control doing its job (they stored nothing).
    let refused = Arc::new(AtomicU64::new(0));
    let interval = Duration::from_secs_f64(1.0 / o.rate);
    let cpu0 = sys::cpu_us_of(&o.pids)?;
    let start = Instant::now() + Duration::from_millis(20);
    let end = start + o.duration;
    let mut lateness = Vec::new();
    let mut sent = 0u64;
    let mut k = 0u32;
    loop {
        let intended = start + interval * k;
        if intended >= end {
            break;
        }
        tokio::time::sleep_until(intended.into()).await;
        lateness.push(intended.elapsed().as_micros() as u64);
        let intended_us = intended.duration_since(epoch).as_micros() as u64;
        let subject = format!("{prefix}{intended_us}-{k}");
        let http = http.clone();
        let endpoint = endpoint.clone();
        let errors = errors.clone();
        let refused = refused.clone();
        tokio::spawn(async move {
            let result = async {
                let token = net::customer_session(&http, &endpoint).await?;
                net::open_conversation(
                    &http,
                    &endpoint,
                    &token,
                    &subject,
                    "I need help with a deposit",
                )
                .await
            }
            .await;
            match result {
                Ok(_) => {}
                Err(e) if e.downcast_ref::<net::Overloaded>().is_some() => {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("conversation failed: {e:#}");
                    }
                }
            }
        });
        sent += 1;
        k += 1;
    }
    let mut latencies = Vec::new();
    let drain_until = Instant::now() + Duration::from_secs(10);
    // Every arrival ends delivered, refused or failed; refusals and
    // failures are counted by their tasks, so look again every 50 ms.
    let settled = |delivered: usize| {
        delivered as u64 + refused.load(Ordering::Relaxed) + errors.load(Ordering::Relaxed) >= sent
    };
    while !settled(latencies.len()) && Instant::now() < drain_until {
        let wait = (Instant::now() + Duration::from_millis(50)).min(drain_until);
        if let Ok(Some(l)) = tokio::time::timeout_at(wait.into(), done_rx.recv()).await {
            latencies.push(l);
        }
    }
    let finished = Instant::now();
    let cpu1 = sys::cpu_us_of(&o.pids)?;
    reader.abort();
    let latency = sys::latency_fields(&mut latencies);
    lateness.sort_unstable();
    let span = finished
        .duration_since(start)
        .as_secs_f64()
        .max(o.duration.as_secs_f64());
    let delivered = latencies.len() as u64;
    println!(
        "{}",
        sys::with_fields(
            json!({
                "scenario": "conversations",
                "offered_per_s": o.rate,
                "duration_s": o.duration.as_secs_f64(),
                "started": sent,
                "delivered": delivered,
                "achieved_per_s": (delivered as f64 / span * 10.0).round() / 10.0,
                "refused": refused.load(Ordering::Relaxed),
                "errors": errors.load(Ordering::Relaxed)
                    + sent.saturating_sub(delivered + refused.load(Ordering::Relaxed)),
                "server_cpu_us_per_conversation": if delivered > 0 { ((cpu1 - cpu0) as f64 / delivered as f64).round() } else { 0.0 },
                "bench_lateness_p99_ms": sys::ms(sys::percentile(&lateness, 99.0)),
            }),
            latency
        )
    );
    Ok(())
}
