//! The idle scenario: N authenticated customer connections, each subscribed
//! to its own conversation, held open while the server's RSS is read.
//!
//! A process may hold at most 20,000 open files here, so the connections
//! are opened by `--shards` worker processes (this same binary, hidden
//! subcommand `idle-worker`). Each worker first creates its sessions and
//! conversations over REST (which also warms the server up) and says
//! `prepared`; the parent reads the RSS, says `go`; each worker opens its
//! sockets and says `ready <n>`; the parent waits for the server to settle,
//! reads the RSS again, and closes the workers' stdin to end them.

use crate::net::{self, Endpoint, Ws};
use crate::sys;
use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

pub async fn run(
    url: &str,
    connections: usize,
    shards: usize,
    pid: u32,
    source_ips: usize,
) -> Result<()> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || run_blocking(&url, connections, shards, pid, source_ips))
        .await?
}

fn run_blocking(
    url: &str,
    connections: usize,
    shards: usize,
    pid: u32,
    source_ips: usize,
) -> Result<()> {
    let shards = shards.max(1);
    let exe = std::env::current_exe()?;
    let mut workers = Vec::new();
    for shard in 0..shards {
        let n = connections / shards + usize::from(shard < connections % shards);
        let mut child = Command::new(&exe)
            .args([
                "idle-worker",
                "--url",
                url,
                "--connections",
                &n.to_string(),
                "--source-offset",
                &(shard * 7919).to_string(),
                "--source-ips",
                &source_ips.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let stdin = child.stdin.take().context("stdin")?;
        workers.push((child, stdout, stdin));
    }
    let next_line = |lines: &mut std::io::Lines<BufReader<std::process::ChildStdout>>| {
        lines.next().transpose().map(Option::unwrap_or_default)
    };
    for (_, lines, _) in workers.iter_mut() {
        let line = next_line(lines)?;
        if line != "prepared" {
            bail!("a worker failed while preparing: {line:?}");
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    let before = sys::rss_bytes(pid)?;
    for (_, _, stdin) in workers.iter_mut() {
        stdin.write_all(b"go\n")?;
        stdin.flush()?;
    }
    let mut held = 0usize;
    for (_, lines, _) in workers.iter_mut() {
        let line = next_line(lines)?;
        let n: usize = line
            .strip_prefix("ready ")
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("a worker failed while connecting: {line:?}"))?;
        held += n;
    }
    // Let the server settle (allocator, buffers), then measure.
    std::thread::sleep(Duration::from_secs(3));
    let after = sys::rss_bytes(pid)?;
    for (mut child, _, stdin) in workers {
        drop(stdin);
        let _ = child.wait();
    }
    let per = after.saturating_sub(before) as f64 / held.max(1) as f64;
    println!(
        "{}",
        json!({
            "scenario": "idle",
            "connections": held,
            "shards": shards,
            "server_rss_before_bytes": before,
            "server_rss_bytes": after,
            "bytes_per_connection": per.round(),
            "kib_per_connection": (per / 1024.0 * 100.0).round() / 100.0,
        })
    );
    Ok(())
}

/// One worker: prepare, connect on `go`, hold until stdin closes.
pub async fn worker(
    url: &str,
    connections: usize,
    source_offset: usize,
    source_ips: usize,
) -> Result<()> {
    let endpoint = Endpoint::parse(url)?;
    let http = net::http_client()?;
    let created: Vec<Result<(String, String)>> = futures_util::stream::iter(0..connections)
        .map(|_| net::customer_with_conversation(&http, &endpoint))
        .buffer_unordered(32)
        .collect()
        .await;
    let customers = created.into_iter().collect::<Result<Vec<_>>>()?;
    drop(http);
    say("prepared")?;
    let go = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await??;
    if go.trim() != "go" {
        return Ok(());
    }
    let opened: Vec<Result<Ws>> = futures_util::stream::iter(customers.into_iter().enumerate())
        .map(|(i, (token, id))| {
            let endpoint = endpoint.clone();
            let src = net::source_ip(source_offset + i, source_ips);
            async move {
                let mut ws = net::open(&endpoint, src, &token).await?;
                net::subscribe(&mut ws, &id).await?;
                Ok(ws)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut held = Vec::with_capacity(opened.len());
    for ws in opened {
        held.push(ws?);
    }
    // Keep reading so pings are answered.
    let count = held.len();
    for mut ws in held {
        tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} });
    }
    say(&format!("ready {count}"))?;
    // Hold until the parent closes stdin.
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin()
            .lock()
            .read_line(&mut sink)
            .map(|n| n > 0)
            .unwrap_or(false)
        {}
    })
    .await?;
    Ok(())
}

fn say(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}
