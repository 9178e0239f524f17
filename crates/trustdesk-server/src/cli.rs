//! The `trustdesk` command line.

use crate::accounts::password;
use crate::app::{self, Application};
use crate::auth::token;
use crate::config::{Config, Overrides};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::{
    Agent, AgentId, AgentStatus, Language, Role, Team, TeamId, Timestamp, validate,
};

#[derive(Parser, Debug)]
#[command(
    name = "trustdesk",
    version,
    about = "Customer service for crypto exchanges: chat, triage, routing, SLA, and support scammers cannot impersonate."
)]
pub struct Cli {
    /// Configuration file (default: ./trustdesk.toml if present).
    #[arg(long, global = true, env = "TRUSTDESK_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(StoreArgs),
    /// Manage agent accounts.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Knowledge base administration.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Triage: reads one text per line on stdin, prints one JSON object per
    /// line (category, language, priority, urgent, confidence).
    Classify,
    /// The secret guard.
    Guard {
        #[command(subcommand)]
        command: GuardCommand,
    },
    /// The hash-chained audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Checks the whole chain: exits non-zero at the first edited, removed
    /// or reordered entry.
    Verify(StoreArgs),
}

#[derive(Subcommand, Debug)]
pub enum KbCommand {
    /// Imports every markdown file with front matter under DIR (updating
    /// articles with the same locale and slug).
    Import {
        dir: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum GuardCommand {
    /// Reads one text per line on stdin, prints one JSON object per line
    /// with `findings` (kind, start, end, action) and `redacted`.
    Scan,
}

#[derive(Args, Debug, Default)]
pub struct StoreArgs {
    /// Data folder (created on first run).
    #[arg(long, env = "TRUSTDESK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://… (default: SQLite in the data folder).
    #[arg(long, env = "TRUSTDESK_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TRUSTDESK_LISTEN")]
    pub listen: Option<SocketAddr>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// nats://… to run as one of several nodes (with a shared
    /// --database-url postgres://…).
    #[arg(long, env = "TRUSTDESK_BUS_URL")]
    pub bus_url: Option<String>,
    /// Load demo agents, a demo customer and sample conversations, and
    /// print how to log in.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Create an agent account. The password is read from stdin with
    /// --password-stdin, otherwise a strong one is generated and printed.
    Create(CreateAgentArgs),
    /// Remove an agent's 2FA (lost phone and recovery codes, e.g. the only
    /// admin) and end their sessions; they enrol again at the next login.
    /// Audited. Open WebSockets close within seconds.
    Reset2fa(ResetTwoFactorArgs),
}

#[derive(Args, Debug)]
pub struct ResetTwoFactorArgs {
    #[arg(long)]
    pub email: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Args, Debug)]
pub struct CreateAgentArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    #[arg(long, default_value = "agent", value_parser = ["agent", "supervisor", "admin"])]
    pub role: String,
    /// Languages the agent answers in, comma-separated.
    #[arg(long, default_value = "en")]
    pub languages: String,
    /// Team name (created if missing).
    #[arg(long)]
    pub team: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

fn overrides(store: &StoreArgs, listen: Option<SocketAddr>) -> Overrides {
    Overrides {
        listen,
        data_dir: store.data_dir.clone(),
        database_url: store.database_url.clone(),
        bus_url: None,
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let mut config = Config::load(
                cli.config.as_deref(),
                &Overrides {
                    bus_url: args.bus_url.clone(),
                    ..overrides(&args.store, args.listen)
                },
            )?;
            crate::init_tracing(config.log.json);
            if args.demo {
                crate::demo::prepare_config(&mut config);
            }
            // Train the triage model now, on the main thread: the first
            // customer does not wait for it, and its training buffers are
            // freed in the main heap, which glibc gives back, instead of a
            // worker thread's arena, which kept ~5 MB of them resident.
            trustdesk_core::triage::Classifier::builtin();
            let application = Application::build(config).await?;
            let addr = application.local_addr();
            if args.demo {
                crate::demo::seed(&application.state()).await?;
                crate::demo::print_instructions(addr, &application.state()).await;
            }
            tracing::info!(%addr, "trustdesk listening");
            println!("trustdesk is listening on http://{addr}  (Ctrl-C to stop)");
            application.run_until_stopped(app::shutdown_signal()).await
        }
        Command::Migrate(args) => {
            let config = Config::load(cli.config.as_deref(), &overrides(&args, None))?;
            crate::init_tracing(config.log.json);
            let store = app::open_store(&config).await?;
            println!("database is up to date ({})", store.backend());
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify(store),
        } => {
            let config = Config::load(cli.config.as_deref(), &overrides(&store, None))?;
            crate::init_tracing(config.log.json);
            let store = app::open_store(&config).await?;
            let entries = store
                .list_audit()
                .await
                .map_err(|e| anyhow::anyhow!("cannot read the audit log: {e}"))?;
            match trustdesk_core::audit::verify(&entries) {
                Ok(()) => {
                    println!("audit log intact: {} entries", entries.len());
                    Ok(())
                }
                Err(b) => bail!("audit log broken: {b}"),
            }
        }
        Command::Classify => {
            each_line(|line| serde_json::to_string(&trustdesk_core::triage::classify(line)))
        }
        Command::Guard {
            command: GuardCommand::Scan,
        } => each_line(|line| serde_json::to_string(&trustdesk_core::guard::guard(line))),
        Command::Kb {
            command: KbCommand::Import { dir, store },
        } => {
            let config = Config::load(cli.config.as_deref(), &overrides(&store, None))?;
            crate::init_tracing(config.log.json);
            let store = app::open_store(&config).await?;
            let report = crate::kb::import::import_dir(store.as_ref(), &dir).await?;
            println!(
                "imported {} articles ({} skipped without front matter)",
                report.imported, report.skipped
            );
            for (path, error) in &report.failed {
                eprintln!("{}: {error}", path.display());
            }
            if report.failed.is_empty() {
                Ok(())
            } else {
                bail!("{} files could not be imported", report.failed.len())
            }
        }
        Command::Agent {
            command: AgentCommand::Create(args),
        } => {
            let config = Config::load(cli.config.as_deref(), &overrides(&args.store, None))?;
            crate::init_tracing(config.log.json);
            create_agent(&config, args).await
        }
        Command::Agent {
            command: AgentCommand::Reset2fa(args),
        } => {
            let config = Config::load(cli.config.as_deref(), &overrides(&args.store, None))?;
            crate::init_tracing(config.log.json);
            reset_two_factor(&config, &args.email).await
        }
    }
}

async fn reset_two_factor(config: &Config, email: &str) -> anyhow::Result<()> {
    let store = app::open_store(config).await?;
    let (agent, _) = store
        .agent_credentials(email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no agent with email {email}"))?;
    store.reset_totp(agent.id).await?;
    let revoked = store
        .revoke_agent_sessions(agent.id, None, Timestamp::now())
        .await?;
    crate::accounts::audit::record(
        store.as_ref(),
        Timestamp::now(),
        "cli".into(),
        AuditAction::TwoFactorReset,
        agent.id.to_string(),
        serde_json::json!({ "revoked_sessions": revoked.len() }),
    )
    .await
    .map_err(|_| anyhow::anyhow!("could not write the audit entry"))?;
    println!(
        "2FA removed for {} <{}>; {} sessions revoked. They enrol again at the next login.",
        agent.display_name,
        agent.email,
        revoked.len()
    );
    Ok(())
}

async fn create_agent(config: &Config, args: CreateAgentArgs) -> anyhow::Result<()> {
    let email = args.email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        bail!("--email must be an email address");
    }
    let name = validate::name(&args.name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let role: Role = args
        .role
        .parse()
        .map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let languages = args
        .languages
        .split(',')
        .map(|l| {
            l.trim()
                .parse::<Language>()
                .map_err(|e| anyhow::anyhow!("--languages: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (password, generated) = if args.password_stdin {
        let mut input = String::new();
        std::io::stdin()
            .read_to_string(&mut input)
            .context("read password from stdin")?;
        let line = input.lines().next().unwrap_or_default().to_owned();
        (line, false)
    } else {
        (token::issue("").0[..20].to_owned(), true)
    };
    password::check_strength(&password).map_err(|e| anyhow::anyhow!(e))?;
    let store = app::open_store(config).await?;
    let team_id = match &args.team {
        None => None,
        Some(team_name) => Some(find_or_create_team(store.as_ref(), team_name).await?),
    };
    let agent = Agent {
        id: AgentId::new(),
        email: email.clone(),
        display_name: name,
        role,
        status: AgentStatus::Active,
        languages,
        team_id,
        badge: token::badge(),
        created_at: Timestamp::now(),
    };
    let hash = password::hash(password.clone()).await?;
    store
        .create_agent(&agent, &hash)
        .await
        .map_err(|e| match e {
            trustdesk_store::StoreError::Conflict(_) => {
                anyhow::anyhow!("an agent with email {email} already exists")
            }
            other => anyhow::anyhow!("cannot create the agent: {other}"),
        })?;
    println!(
        "created {} agent {} <{}> (badge {})",
        agent.role, agent.display_name, agent.email, agent.badge
    );
    if generated {
        println!("password (shown once): {password}");
    }
    Ok(())
}

pub(crate) async fn find_or_create_team(
    store: &dyn trustdesk_store::Store,
    name: &str,
) -> anyhow::Result<TeamId> {
    if let Some(team) = store
        .list_teams()
        .await?
        .into_iter()
        .find(|t| t.name == name)
    {
        return Ok(team.id);
    }
    let team = Team {
        id: TeamId::new(),
        name: validate::name(name).map_err(|e| anyhow::anyhow!("team: {e}"))?,
        created_at: Timestamp::now(),
    };
    store.create_team(&team).await?;
    Ok(team.id)
}

/// Applies `f` to every line of stdin and prints one result per line.
fn each_line(f: impl Fn(&str) -> serde_json::Result<String>) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let line = line.context("stdin is not valid UTF-8 text")?;
        writeln!(out, "{}", f(&line)?)?;
    }
    out.flush()?;
    Ok(())
}
