//! trustdesk-bench: drives a running trustdesk server over the real
//! protocol and prints one JSON line per scenario (or per point of a sweep)
//! on stdout. Progress and errors go to stderr.
//!
//! Scenarios: `idle`, `chat` (against trustdesk or the bare `relay`, or
//! both in the same run with `--ceiling-url`), `conversations`,
//! `kb-search` (over a knowledge base written by `kb-gen`), and `relay`,
//! the ceiling itself; `surge` (the chat load at twice the knee between
//! two stretches of normal load).

mod chat;
mod conversations;
mod idle;
mod kb;
mod net;
mod relay;
mod surge;
mod sys;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "trustdesk-bench",
    about = "Load tool for trustdesk: one JSON line per scenario."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct AgentArgs {
    /// Agent account the bench logs in with (default: the `serve --demo` admin).
    #[arg(long, default_value = "alice@demo.trustdesk")]
    agent_email: String,
    #[arg(long, default_value = "trustdesk-demo")]
    agent_password: String,
    /// The agent's TOTP secret (base32; `serve --demo` prints it).
    #[arg(long)]
    agent_totp_secret: Option<String>,
    /// Use this agent token instead of logging in.
    #[arg(long)]
    agent_token: Option<String>,
}

impl AgentArgs {
    fn login(&self) -> net::AgentLogin {
        net::AgentLogin {
            email: self.agent_email.clone(),
            password: self.agent_password.clone(),
            totp_secret: self.agent_totp_secret.clone(),
            token: self.agent_token.clone(),
        }
    }
}

/// The connections of the chat load (`chat` and `surge`).
#[derive(clap::Args, Clone)]
struct ChatLoad {
    /// The server; several comma-separated for nodes of one desk
    /// (customers spread over them, each agent on the next node).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, default_value_t = 1000)]
    customers: usize,
    #[arg(long, default_value_t = 10)]
    agents: usize,
    /// Message body size in bytes.
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
    #[arg(long, default_value_t = 8)]
    source_ips: usize,
    #[command(flatten)]
    agent: AgentArgs,
}

impl ChatLoad {
    fn options(&self) -> chat::Options {
        chat::Options {
            customers: self.customers,
            agents: self.agents,
            body_bytes: self.body_bytes,
            source_ips: self.source_ips,
            agent: self.agent.login(),
        }
    }

    fn endpoints(&self) -> Result<Vec<net::Endpoint>> {
        self.url.split(',').map(net::Endpoint::parse).collect()
    }
}

#[derive(Subcommand)]
enum Command {
    /// Hold N authenticated, subscribed customer connections; report RSS.
    Idle {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        /// Worker processes holding the connections (each may hold at
        /// most ~19k: the open-files limit is 20,000).
        #[arg(long, default_value_t = 1)]
        shards: usize,
        /// The server's pid, for /proc/PID/status.
        #[arg(long)]
        server_pid: u32,
        /// Source addresses 127.0.0.2… to spread connections over.
        #[arg(long, default_value_t = 8)]
        source_ips: usize,
    },
    #[command(hide = true)]
    IdleWorker {
        #[arg(long)]
        url: String,
        #[arg(long)]
        connections: usize,
        #[arg(long, default_value_t = 0)]
        source_offset: usize,
        #[arg(long, default_value_t = 8)]
        source_ips: usize,
    },
    /// Customers send to agents at an open-loop rate; delivery latency.
    Chat {
        #[command(flatten)]
        load: ChatLoad,
        #[arg(long, value_enum, default_value = "trustdesk")]
        target: chat::TargetKind,
        /// Offered rate, messages per second.
        #[arg(long, default_value_t = 1000.0)]
        rate: f64,
        /// Several rates, one JSON line each (overrides --rate).
        #[arg(long, value_delimiter = ',')]
        sweep: Vec<f64>,
        /// Seconds per point.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Seconds of unrecorded load at the first rate before measuring.
        #[arg(long, default_value_t = 3)]
        warmup: u64,
        /// The server's pid; several (comma-separated) for several nodes.
        #[arg(long, value_delimiter = ',', required = true)]
        server_pid: Vec<u32>,
        /// A relay (`trustdesk-bench relay`) to run every point against
        /// first: the ceiling measured in the same run.
        #[arg(long)]
        ceiling_url: Option<String>,
        #[arg(long, requires = "ceiling_url")]
        ceiling_pid: Option<u32>,
    },
    /// The chat load at a normal rate, then at twice the knee, then normal
    /// again: throughput, refusals and recovery past the knee.
    Surge {
        #[command(flatten)]
        load: ChatLoad,
        /// The knee (msg/s): the highest rate the server keeps up with.
        #[arg(long)]
        knee: f64,
        /// The surge's rate as a multiple of the knee.
        #[arg(long, default_value_t = 2.0)]
        surge_multiple: f64,
        /// The rate before and after, as a fraction of the knee.
        #[arg(long, default_value_t = 0.5)]
        normal_fraction: f64,
        /// Seconds before, during and after the surge.
        #[arg(long, default_value_t = 5)]
        before: u64,
        #[arg(long, default_value_t = 10)]
        surge: u64,
        #[arg(long, default_value_t = 10)]
        after: u64,
        #[arg(long, value_delimiter = ',', required = true)]
        server_pid: Vec<u32>,
    },
    /// New conversations end to end per second (REST in, agent inbox out).
    /// Several nodes of one desk: `--url http://a,http://b` (customers on
    /// the first, the agent's inbox on the last) and every node's pid.
    Conversations {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 200.0)]
        rate: f64,
        #[arg(long, value_delimiter = ',')]
        sweep: Vec<f64>,
        #[arg(long, default_value_t = 10)]
        duration: u64,
        #[arg(long, value_delimiter = ',', required = true)]
        server_pid: Vec<u32>,
        #[command(flatten)]
        agent: AgentArgs,
    },
    /// Writes a generated knowledge base (markdown with front matter) for
    /// `trustdesk kb import DIR`.
    KbGen {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Knowledge-base search queries at an open-loop rate; latency.
    KbSearch {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
        #[arg(long, value_delimiter = ',')]
        sweep: Vec<f64>,
        #[arg(long, default_value_t = 10)]
        duration: u64,
        #[arg(long)]
        server_pid: u32,
        /// The seed `kb-gen` used (queries use its vocabulary).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The ceiling: a bare tokio WebSocket relay (no auth, no storage).
    Relay {
        #[arg(long, default_value = "127.0.0.1:9900")]
        listen: SocketAddr,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Idle {
            url,
            connections,
            shards,
            server_pid,
            source_ips,
        } => idle::run(&url, connections, shards, server_pid, source_ips).await,
        Command::IdleWorker {
            url,
            connections,
            source_offset,
            source_ips,
        } => idle::worker(&url, connections, source_offset, source_ips).await,
        Command::Relay { listen } => relay::run(listen).await,
        Command::KbGen { out, count, seed } => {
            kb::generate(&out, count, seed)?;
            eprintln!("wrote {count} articles under {}", out.display());
            Ok(())
        }
        Command::KbSearch {
            url,
            rate,
            sweep,
            duration,
            server_pid,
            seed,
        } => {
            let endpoint = net::Endpoint::parse(&url)?;
            let rates = if sweep.is_empty() { vec![rate] } else { sweep };
            for rate in rates {
                let options = kb::Options {
                    rate,
                    duration: Duration::from_secs(duration),
                    pid: server_pid,
                    seed,
                };
                kb::run(&endpoint, &options).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(())
        }
        Command::Conversations {
            url,
            rate,
            sweep,
            duration,
            server_pid,
            agent,
        } => {
            let endpoints = url
                .split(',')
                .map(net::Endpoint::parse)
                .collect::<Result<Vec<_>>>()?;
            let (Some(customers), Some(inbox)) = (endpoints.first(), endpoints.last()) else {
                anyhow::bail!("--url names no server");
            };
            let rates = if sweep.is_empty() { vec![rate] } else { sweep };
            // Log in once: a TOTP code is valid once, and the sweep's runs
            // follow each other within seconds.
            let mut login = agent.login();
            login.token = Some(net::agent_login(&net::http_client()?, inbox, &login).await?);
            for (i, rate) in rates.into_iter().enumerate() {
                let options = conversations::Options {
                    rate,
                    duration: Duration::from_secs(duration),
                    pids: server_pid.clone(),
                    agent: login.clone(),
                };
                conversations::run(customers, inbox, &options, i as u32).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(())
        }
        Command::Surge {
            load,
            knee,
            surge_multiple,
            normal_fraction,
            before,
            surge,
            after,
            server_pid,
        } => {
            let options = load.options();
            eprintln!(
                "connecting {} customers and {} agents to {}",
                load.customers, load.agents, load.url
            );
            let target = chat::Target::connect(
                chat::TargetKind::Trustdesk,
                &load.endpoints()?,
                server_pid,
                &options,
                Instant::now(),
            )
            .await?;
            eprintln!("warming up for 3 s at {} msg/s", knee * normal_fraction);
            target
                .run_point(knee * normal_fraction, Duration::from_secs(3), 1)
                .await?;
            let surge = surge::Options {
                knee,
                normal_fraction,
                surge_multiple,
                before: Duration::from_secs(before),
                surge: Duration::from_secs(surge),
                after: Duration::from_secs(after),
            };
            println!("{}", surge::run(&target, &surge, 2).await?);
            Ok(())
        }
        Command::Chat {
            load,
            target,
            rate,
            sweep,
            duration,
            warmup,
            server_pid,
            ceiling_url,
            ceiling_pid,
        } => {
            let options = load.options();
            let epoch = Instant::now();
            // Several nodes of one desk: `--url http://a,http://b`.
            let endpoints = load.endpoints()?;
            eprintln!(
                "connecting {} customers and {} agents to {}",
                load.customers, load.agents, load.url
            );
            let main =
                chat::Target::connect(target, &endpoints, server_pid, &options, epoch).await?;
            let ceiling = match ceiling_url {
                Some(c) => {
                    let pid =
                        ceiling_pid.ok_or_else(|| anyhow::anyhow!("--ceiling-pid is required"))?;
                    eprintln!("connecting the same load to the ceiling at {c}");
                    let endpoint = net::Endpoint::parse(&c)?;
                    Some(
                        chat::Target::connect(
                            chat::TargetKind::Relay,
                            &[endpoint],
                            vec![pid],
                            &options,
                            epoch,
                        )
                        .await?,
                    )
                }
                None => None,
            };
            let rates = if sweep.is_empty() { vec![rate] } else { sweep };
            let mut phase = 1;
            if warmup > 0 {
                eprintln!("warming up for {warmup} s at {} msg/s", rates[0]);
                if let Some(c) = &ceiling {
                    c.run_point(rates[0], Duration::from_secs(warmup), phase)
                        .await?;
                }
                main.run_point(rates[0], Duration::from_secs(warmup), phase + 1)
                    .await?;
                phase += 2;
            }
            for rate in rates {
                let d = Duration::from_secs(duration);
                let ceiling_point = match &ceiling {
                    Some(c) => {
                        let p = c.run_point(rate, d, phase).await?;
                        println!("{}", p.json);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        Some(p)
                    }
                    None => None,
                };
                let mut p = main.run_point(rate, d, phase + 1).await?;
                if let Some(c) = ceiling_point {
                    let round = |x: f64| (x * 1000.0).round() / 1000.0;
                    p.json["ratio_to_ceiling"] =
                        round(p.achieved_msg_s / c.achieved_msg_s.max(1e-9)).into();
                    p.json["ceiling_achieved_msg_s"] = c.json["achieved_msg_s"].clone();
                    p.json["ceiling_p99_ms"] = c.json["p99_ms"].clone();
                    p.json["ceiling_cpu_us_per_msg"] = c.json["server_cpu_us_per_msg"].clone();
                    p.json["cpu_ratio_to_ceiling"] =
                        round(p.cpu_us_per_msg / c.cpu_us_per_msg.max(1e-9)).into();
                }
                println!("{}", p.json);
                phase += 2;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(())
        }
    }
}
