//! The surge scenario: the chat load at a normal rate, then twice the
//! knee, then the normal rate again, with no pause between the stages.
//!
//! What it shows is whether the server degrades gracefully past its knee:
//! during the surge it should keep delivering about as much as at the knee
//! (throughput counted by delivery time, so a backlog drained later does
//! not flatter it), refuse the excess at once with `overloaded` and a
//! `retry_after_ms` instead of queueing it, and come back to its normal
//! latency within seconds of the surge ending (`recovery_s`).

use crate::chat::{Delivery, Stage, StagedRun, Target};
use crate::sys;
use anyhow::Result;
use serde_json::{Value, json};
use std::time::Duration;

pub struct Options {
    /// The knee: the highest rate the server keeps up with.
    pub knee: f64,
    /// The normal rate before and after, as a fraction of the knee.
    pub normal_fraction: f64,
    /// The surge's rate, as a multiple of the knee.
    pub surge_multiple: f64,
    pub before: Duration,
    pub surge: Duration,
    pub after: Duration,
}

/// Latency counts as recovered once each second's p99 is at most this
/// multiple of the p99 before the surge (and never needs to be below the
/// 20 ms target).
const RECOVERED_MULTIPLE: f64 = 2.0;
const RECOVERED_FLOOR_US: u64 = 20_000;

pub async fn run(target: &Target, options: &Options, phase: u32) -> Result<Value> {
    let normal = options.knee * options.normal_fraction;
    let surge = options.knee * options.surge_multiple;
    let stages = [
        ("before", normal, options.before),
        ("surge", surge, options.surge),
        ("after", normal, options.after),
    ];
    let schedule: Vec<Stage> = stages
        .iter()
        .map(|&(_, rate, duration)| Stage { rate, duration })
        .collect();
    eprintln!(
        "surge: {normal} msg/s for {:?}, {surge} msg/s for {:?}, {normal} msg/s for {:?}",
        options.before, options.surge, options.after
    );
    let run = target.run_stages(&schedule, phase).await?;

    let mut windows = Vec::new();
    let mut from = run.start_us;
    for &(name, rate, duration) in &stages {
        let to = from + duration.as_micros() as u64;
        windows.push((name, rate, from, to));
        from = to;
    }
    let stage_lines: Vec<Value> = windows
        .iter()
        .map(|&(name, rate, from, to)| stage_line(&run, name, rate, from, to))
        .collect();
    let before_p99 = stage_lines[0]["p99_us"].as_u64().unwrap_or(0);
    let threshold = ((before_p99 as f64 * RECOVERED_MULTIPLE) as u64).max(RECOVERED_FLOOR_US);
    let (_, _, surge_from, surge_to) = windows[1];
    let (_, _, _, after_to) = windows[2];
    let timeline = per_second(&run, run.start_us, after_to);
    let recovery_s = recovery(&timeline, surge_to, after_to, threshold);
    let delivered = run.deliveries.len() as f64;
    Ok(json!({
        "scenario": "surge",
        "knee_msg_s": options.knee,
        "stages": stage_lines,
        "surge_achieved_fraction_of_knee":
            round3(delivered_within(&run.deliveries, surge_from, surge_to) as f64
                / (surge_to - surge_from) as f64 * 1e6 / options.knee),
        "recovered_p99_threshold_ms": sys::ms(threshold),
        "recovery_s": recovery_s,
        "lost": run.sent.saturating_sub(run.deliveries.len() as u64 + run.refusals.len() as u64),
        "other_errors": run.error_frames.saturating_sub(run.refusals.len() as u64)
            + run.failed + run.disconnects,
        "server_cpu_us_per_delivered_msg": if delivered > 0.0 {
            (run.cpu_us as f64 / delivered * 10.0).round() / 10.0
        } else { 0.0 },
        "timeline": timeline.iter().map(|s| s.json()).collect::<Vec<_>>(),
    }))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn delivered_within(deliveries: &[Delivery], from: u64, to: u64) -> usize {
    deliveries
        .iter()
        .filter(|d| (from..to).contains(&d.delivered_us()))
        .count()
}

/// One stage: what was offered in it (by intended send time), what was
/// delivered during it (by delivery time), and how those offered fared.
fn stage_line(run: &StagedRun, name: &str, rate: f64, from: u64, to: u64) -> Value {
    let offered_here = |intended: u64| (from..to).contains(&intended);
    let mut latencies: Vec<u64> = run
        .deliveries
        .iter()
        .filter(|d| offered_here(d.intended_us))
        .map(|d| d.latency_us)
        .collect();
    latencies.sort_unstable();
    let refused: Vec<_> = run
        .refusals
        .iter()
        .filter(|r| offered_here(r.intended_us))
        .collect();
    let seconds = (to - from) as f64 / 1e6;
    json!({
        "stage": name,
        "offered_msg_s": rate,
        "achieved_msg_s": (delivered_within(&run.deliveries, from, to) as f64 / seconds).round(),
        "delivered": latencies.len(),
        "refused_overloaded": refused.len(),
        "refused_with_retry_after": refused.iter().filter(|r| r.retry_after).count(),
        "p50_ms": sys::ms(sys::percentile(&latencies, 50.0)),
        "p99_ms": sys::ms(sys::percentile(&latencies, 99.0)),
        "p99_us": sys::percentile(&latencies, 99.0),
        "max_ms": sys::ms(latencies.last().copied().unwrap_or(0)),
    })
}

/// One second of the run, by intended send time.
struct Second {
    start_us: u64,
    delivered: usize,
    refused: usize,
    p99_us: u64,
}

impl Second {
    fn json(&self) -> Value {
        json!({"delivered": self.delivered, "refused": self.refused, "p99_ms": sys::ms(self.p99_us)})
    }
}

fn per_second(run: &StagedRun, from: u64, to: u64) -> Vec<Second> {
    let seconds = (to.saturating_sub(from)).div_ceil(1_000_000) as usize;
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); seconds];
    let mut refused = vec![0; seconds];
    let bucket = |intended: u64| {
        intended
            .checked_sub(from)
            .map(|t| (t / 1_000_000) as usize)
            .filter(|&i| i < seconds)
    };
    for d in &run.deliveries {
        if let Some(i) = bucket(d.intended_us) {
            latencies[i].push(d.latency_us);
        }
    }
    for r in &run.refusals {
        if let Some(i) = bucket(r.intended_us) {
            refused[i] += 1;
        }
    }
    latencies
        .into_iter()
        .zip(refused)
        .enumerate()
        .map(|(i, (mut l, refused))| {
            l.sort_unstable();
            Second {
                start_us: from + i as u64 * 1_000_000,
                delivered: l.len(),
                refused,
                p99_us: sys::percentile(&l, 99.0),
            }
        })
        .collect()
}

/// Seconds from the surge's end until every later second's p99 is under
/// the threshold and nothing is refused; `None` if that never happens
/// before the run ends.
fn recovery(timeline: &[Second], surge_end: u64, end: u64, threshold: u64) -> Option<f64> {
    let after: Vec<&Second> = timeline
        .iter()
        .filter(|s| s.start_us >= surge_end && s.start_us < end)
        .collect();
    let calm = |s: &&Second| s.p99_us <= threshold && s.refused == 0;
    let first_of_calm_tail = after
        .iter()
        .rposition(|s| !calm(s))
        .map_or(0, |last_bad| last_bad + 1);
    (first_of_calm_tail < after.len())
        .then(|| (after[first_of_calm_tail].start_us.saturating_sub(surge_end)) as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(start_s: u64, p99_ms: u64, refused: usize) -> Second {
        Second {
            start_us: start_s * 1_000_000,
            delivered: 100,
            refused,
            p99_us: p99_ms * 1000,
        }
    }

    #[test]
    fn recovery_is_the_start_of_the_calm_tail_after_the_surge() {
        let timeline = [
            second(0, 5, 0),
            second(1, 900, 40), // the surge
            second(2, 300, 0),  // draining
            second(3, 8, 0),
            second(4, 30, 0), // a relapse: not recovered before it
            second(5, 6, 0),
            second(6, 5, 0),
        ];
        assert_eq!(recovery(&timeline, 2_000_000, 7_000_000, 20_000), Some(3.0));
        // Calm at once after the surge.
        assert_eq!(recovery(&timeline, 5_000_000, 7_000_000, 20_000), Some(0.0));
        // Never calm: the last second is still refusing.
        let stuck = [second(0, 5, 0), second(1, 5, 3)];
        assert_eq!(recovery(&stuck, 1_000_000, 2_000_000, 20_000), None);
    }
}
