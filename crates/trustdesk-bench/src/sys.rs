//! What the bench reads about the server process from /proc.

use anyhow::{Context, Result};
use std::sync::OnceLock;

/// Resident set size of `pid` in bytes (VmRSS).
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS line")?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .context("VmRSS value")?
        .parse()?;
    Ok(kib * 1024)
}

fn clock_ticks_per_sec() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// CPU time of several processes (the nodes of one desk), summed.
pub fn cpu_us_of(pids: &[u32]) -> Result<u64> {
    pids.iter().map(|pid| cpu_us(*pid)).sum()
}

/// CPU time (user + system) `pid` has used so far, in microseconds.
pub fn cpu_us(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name may contain spaces; fields restart after the last ')'.
    let rest = &stat[stat.rfind(')').context("malformed stat")? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime field 15.
    let utime: u64 = fields.get(11).context("utime")?.parse()?;
    let stime: u64 = fields.get(12).context("stime")?.parse()?;
    Ok((utime + stime) * 1_000_000 / clock_ticks_per_sec())
}

/// Bytes the processes have written to storage so far (`write_bytes` of
/// /proc/PID/io, counted when a page is dirtied, so a figure that does not
/// depend on when the kernel writes back): the database's pages, its log
/// and the checkpoints' copies. `None` where /proc does not say.
pub fn disk_write_bytes_of(pids: &[u32]) -> Option<u64> {
    pids.iter().map(|pid| disk_write_bytes(*pid)).sum()
}

fn disk_write_bytes(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

/// The `p`-th percentile (0..=100) of sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(us: u64) -> f64 {
    (us as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// The latency figures every open-loop scenario reports, from latencies in
/// microseconds (sorted here): `p50_ms`, `p90_ms`, `p99_ms`, `max_ms`.
pub fn latency_fields(latencies: &mut [u64]) -> serde_json::Map<String, serde_json::Value> {
    latencies.sort_unstable();
    let mut fields = serde_json::Map::new();
    for (name, p) in [("p50_ms", 50.0), ("p90_ms", 90.0), ("p99_ms", 99.0)] {
        fields.insert(name.into(), ms(percentile(latencies, p)).into());
    }
    fields.insert(
        "max_ms".into(),
        ms(latencies.last().copied().unwrap_or(0)).into(),
    );
    fields
}

/// Adds `fields` to the JSON object `into`.
pub fn with_fields(
    mut into: serde_json::Value,
    fields: serde_json::Map<String, serde_json::Value>,
) -> serde_json::Value {
    if let Some(object) = into.as_object_mut() {
        object.extend(fields);
    }
    into
}
