//! Configuration: defaults → `trustdesk.toml` → `TRUSTDESK_*` environment →
//! command-line flags (figment). Secrets are `SecretString`s: they never
//! show in `Debug` output or logs.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP/WebSocket server listens on.
    pub listen: SocketAddr,
    /// Folder for the embedded database and other local state.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; defaults to a SQLite file in
    /// `data_dir`.
    pub database_url: Option<String>,
    /// `nats://…` to run several nodes (their buses meet there); unset,
    /// the bus is in-process (one node).
    pub bus_url: Option<String>,
    /// The NATS subject prefix: nodes with the same prefix form one desk.
    pub bus_subject: String,
    /// Where customers reach this desk (`https://support.exchange.example`):
    /// links in mail and Telegram (the CSAT link) point here. Unset, no
    /// such links are sent.
    pub public_url: Option<String>,
    pub widget: WidgetConfig,
    pub limits: Limits,
    pub sessions: SessionConfig,
    pub freeze: FreezeConfig,
    pub log: LogConfig,
    pub bot: BotConfig,
    pub routing: RoutingSettings,
    pub sla: SlaSettings,
    pub lifecycle: LifecycleConfig,
    pub clock: ClockConfig,
    pub store: StoreSettings,
    /// Email and the other channels beyond the widget.
    pub channels: crate::channels::config::ChannelsConfig,
    pub webhooks: WebhooksConfig,
    pub metrics: MetricsConfig,
}

/// Prometheus metrics at `/metrics` (docs/operations.md). Off unless one
/// of the two is set: they say who may read the desk's figures.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Scrapes must send `Authorization: Bearer <token>`. On the public
    /// listener unless `listen` is set too.
    #[serde(skip_serializing)]
    pub token: Option<SecretString>,
    /// Serve `/metrics` on this address instead (e.g. a private
    /// interface); the public listener then does not serve it.
    pub listen: Option<SocketAddr>,
}

/// Routing and presence (docs/routing.md).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSettings {
    /// How long an agent who disconnected or went offline keeps their
    /// conversations before they go back to the queue.
    pub grace_ms: i64,
    /// Proficiency required before widening (1–3).
    pub min_proficiency: u8,
    /// Waits after which a queued conversation widens to levels 1, 2, 3.
    pub widen_after_ms: [i64; 3],
    /// Aging step (a low/normal entry gains a priority level per step).
    pub aging_step_ms: i64,
    /// After the answer bot proposed articles, the conversation waits this
    /// long for the customer's "did it help?" before it is routed (asking
    /// for a person, or "no", routes it at once). 0 = route at once.
    pub bot_hold_ms: i64,
    /// Name of the team that gets urgent security requests first.
    pub security_team: Option<String>,
    /// Name of the team that takes anything at widening level 3.
    pub overflow_team: Option<String>,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        let core = trustdesk_core::routing::RoutingConfig::default();
        Self {
            grace_ms: 60_000,
            min_proficiency: core.min_proficiency,
            widen_after_ms: core.widen_after_ms,
            aging_step_ms: core.aging_step_ms,
            bot_hold_ms: 120_000,
            security_team: None,
            overflow_team: None,
        }
    }
}

/// What happens on an SLA breach beyond the event, the priority raise and
/// the supervisors' notice.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaSettings {
    /// Take a breached conversation from its agent and route it again.
    pub reassign_on_breach: bool,
}

/// The conversation lifecycle.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecycleConfig {
    /// A resolved conversation closes by itself after this long (0 = never).
    pub auto_close_after_ms: i64,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            auto_close_after_ms: 7 * 24 * 3_600_000,
        }
    }
}

/// The embedded database's writer (SQLite; PostgreSQL ignores these).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// How long the writer lingers for more writes before a group commit
    /// when it is under load (its previous commit held more than one
    /// write), in microseconds; a lone write when idle is committed at
    /// once. 0 never lingers (batches still grow with what queues up while
    /// a commit runs).
    pub batch_window_us: u64,
    /// Most writes in one commit.
    pub max_batch: usize,
    /// Read-only connections beside the writer.
    pub readers: u32,
    /// The write-ahead log's size in pages (4 KiB) at which a background
    /// thread copies it back into the database file; larger means fewer
    /// copies of the pages every message rewrites, and a longer replay
    /// after a crash.
    pub checkpoint_pages: u32,
}

impl Default for StoreSettings {
    fn default() -> Self {
        let defaults = trustdesk_store::SqliteOptions::default();
        Self {
            batch_window_us: u64::try_from(defaults.batch_window.as_micros()).unwrap_or(0),
            max_batch: defaults.max_batch,
            readers: defaults.readers,
            checkpoint_pages: defaults.checkpoint_pages,
        }
    }
}

impl StoreSettings {
    pub fn sqlite_options(&self) -> trustdesk_store::SqliteOptions {
        trustdesk_store::SqliteOptions {
            readers: self.readers.max(1),
            max_batch: self.max_batch.max(1),
            batch_window: std::time::Duration::from_micros(self.batch_window_us.min(100_000)),
            // 0 keeps SQLite's own checkpoints in the commit (to compare).
            checkpoint_pages: match self.checkpoint_pages {
                0 => 0,
                pages => pages.clamp(64, 1 << 20),
            },
        }
    }
}

/// The server clock every deadline is measured with.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClockConfig {
    /// Allow admins to move the clock forward (`POST /v1/admin/clock/advance`)
    /// to try SLA and snooze timers without waiting. Never in production.
    pub manual_control: bool,
}

/// The emergency freeze fast lane: where freeze requests go.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreezeConfig {
    /// The exchange's endpoint that freezes an account. Unset: the freeze
    /// button is not offered.
    pub webhook_url: Option<String>,
    /// Signs every request the Standard Webhooks way (`webhook-id`,
    /// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`):
    /// `whsec_<base64 key>`, the key 24 to 64 bytes. Internal targets are
    /// refused unless `[webhooks] allow_cidrs` lets them through.
    #[serde(skip_serializing)]
    pub webhook_secret: Option<SecretString>,
    /// Attempts before giving up (with exponential backoff from 1 s).
    pub max_attempts: u32,
}

/// Outbound webhooks (docs/webhooks.md): the SSRF allowlist shared with
/// the freeze lane, and the outbox's timing.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Internal networks webhooks may reach anyway (loopback, private,
    /// link-local… are refused otherwise: server-side requests to
    /// internal addresses are how SSRF works). E.g. `["127.0.0.0/8"]` for
    /// a receiver on the same host. Every address a host resolves to must
    /// be public or inside one of these.
    pub allow_cidrs: Vec<ipnet::IpNet>,
    /// The unit of the retry schedule (5 s: retries after 5 s, 30 s,
    /// 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, then `failed`). Tests
    /// shorten it.
    pub retry_base_ms: u64,
    /// Deadline of one attempt (at most 30 s).
    pub timeout_ms: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            allow_cidrs: Vec::new(),
            retry_base_ms: 5_000,
            timeout_ms: 10_000,
        }
    }
}

impl Default for FreezeConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            webhook_secret: None,
            max_attempts: 5,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WidgetConfig {
    /// The per-deployment secret the exchange uses to sign its user ids
    /// (HMAC-SHA256, hex). Without it, only anonymous sessions are allowed.
    #[serde(skip_serializing)]
    pub identity_secret: Option<SecretString>,
    /// Origins allowed to open customer WebSockets (e.g.
    /// `https://www.exchange.example`). Empty: any origin.
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest WebSocket text frame accepted; larger ones get an error frame.
    pub max_frame_bytes: usize,
    /// How often the server pings a WebSocket.
    pub heartbeat_interval_secs: u64,
    /// A WebSocket silent for this long is closed (`heartbeat_timeout`).
    pub heartbeat_timeout_secs: u64,
    /// Time a WebSocket has to authenticate with `hello`.
    pub hello_timeout_secs: u64,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Public "is this official?" lookups per client address per minute.
    pub verify_per_minute: u32,
    /// Largest file a customer or agent may attach.
    pub attachment_max_bytes: usize,
    /// Login, second-factor and password-reset attempts per client address
    /// per minute.
    pub auth_per_minute_ip: u32,
    /// The same attempts per account (email) per minute, whether the
    /// account exists or not.
    pub auth_per_minute_account: u32,
    /// Widget sessions created per client address per minute.
    pub widget_sessions_per_minute: u32,
    /// Customer writes (new sessions, conversations, messages) served at
    /// once; past it they are refused with `overloaded` and a retry hint
    /// instead of queueing until they time out.
    pub customer_writes_in_flight: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client for the
    /// per-address limits (e.g. `["127.0.0.1"]` behind a local nginx).
    /// Empty: the peer address counts, and the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 64 * 1024,
            heartbeat_interval_secs: 25,
            heartbeat_timeout_secs: 60,
            hello_timeout_secs: 10,
            max_body_bytes: 256 * 1024,
            verify_per_minute: 30,
            attachment_max_bytes: 10 * 1024 * 1024,
            auth_per_minute_ip: 30,
            auth_per_minute_account: 10,
            widget_sessions_per_minute: 120,
            customer_writes_in_flight: crate::conversations::service::DEFAULT_IN_FLIGHT,
            trusted_proxies: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    pub customer_ttl_hours: i64,
    pub agent_ttl_hours: i64,
    /// How long a login ticket (password done, second factor to come) lives.
    pub login_ticket_secs: i64,
    /// Lifetime of an API token.
    pub api_token_days: i64,
    /// The issuer shown in authenticator apps.
    pub totp_issuer: String,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            customer_ttl_hours: 24 * 30,
            agent_ttl_hours: 12,
            login_ticket_secs: 300,
            api_token_days: 365,
            totp_issuer: "trustdesk".into(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// One JSON object per log line instead of human-readable text.
    pub json: bool,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotConfig {
    /// The optional generative answer mode (off by default).
    pub generative: GenerativeConfig,
}

/// An OpenAI-compatible chat-completions endpoint that phrases the bot's
/// answer from the retrieved articles only. When it fails, times out or
/// writes something the outbound guard refuses, the bot falls back to its
/// extractive answer.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerativeConfig {
    pub enabled: bool,
    /// Base URL, e.g. `http://127.0.0.1:11434/v1`; the server POSTs to
    /// `{url}/chat/completions`.
    pub url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set.
    #[serde(skip_serializing)]
    pub api_key: Option<SecretString>,
    /// The whole request, connection to last byte.
    pub timeout_ms: u64,
    /// At most this many of the bot's retrieved articles go into the prompt.
    pub max_articles: usize,
}

impl Default for GenerativeConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: String::new(),
            model: String::new(),
            api_key: None,
            timeout_ms: 8000,
            max_articles: 3,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            bus_url: None,
            bus_subject: "trustdesk".into(),
            public_url: None,
            widget: WidgetConfig::default(),
            limits: Limits::default(),
            sessions: SessionConfig::default(),
            freeze: FreezeConfig::default(),
            log: LogConfig::default(),
            bot: BotConfig::default(),
            routing: RoutingSettings::default(),
            sla: SlaSettings::default(),
            lifecycle: LifecycleConfig::default(),
            clock: ClockConfig::default(),
            channels: Default::default(),
            store: StoreSettings::default(),
            webhooks: WebhooksConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bus_url: Option<String>,
}

/// The top-level keys of [`Config`]. Other `TRUSTDESK_*` variables (test
/// settings, tool paths, `TRUSTDESK_CONFIG`) are not configuration.
const CONFIG_KEYS: &[&str] = &[
    "freeze",
    "listen",
    "data_dir",
    "database_url",
    "bus_url",
    "bus_subject",
    "public_url",
    "widget",
    "limits",
    "sessions",
    "log",
    "bot",
    "routing",
    "sla",
    "lifecycle",
    "clock",
    "store",
    "channels",
    "webhooks",
    "metrics",
];

fn is_config_key(key: &figment::value::UncasedStr) -> bool {
    let key = key.as_str().to_ascii_lowercase();
    CONFIG_KEYS.iter().any(|top| {
        key == *top
            || key
                .strip_prefix(top)
                .is_some_and(|rest| rest.starts_with("__") || rest.starts_with('.'))
    })
}

impl Config {
    /// Loads the configuration. `file` defaults to `trustdesk.toml` in the
    /// working directory and may be missing. Nested keys in the environment
    /// use a double underscore: `TRUSTDESK_WIDGET__IDENTITY_SECRET`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, Box<figment::Error>> {
        let file = file.unwrap_or(Path::new("trustdesk.toml"));
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(
                Env::prefixed("TRUSTDESK_")
                    .filter(is_config_key)
                    .split("__"),
            )
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("trustdesk.db").display()))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_and_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "td.toml",
                "listen = \"127.0.0.1:9000\"\n[limits]\nmax_frame_bytes = 1000\n",
            )?;
            jail.set_env("TRUSTDESK_BIN", "/not/config");
            jail.set_env("TRUSTDESK_TEST_POSTGRES_URL", "postgres://elsewhere");
            jail.set_env("TRUSTDESK_DATA_DIR", "/tmp/from-env");
            jail.set_env(
                "TRUSTDESK_WIDGET__ALLOWED_ORIGINS",
                "[\"https://a.example\"]",
            );
            let cfg =
                Config::load(Some(Path::new("td.toml")), &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(cfg.listen.port(), 9000);
            assert_eq!(cfg.limits.max_frame_bytes, 1000);
            assert_eq!(cfg.data_dir, PathBuf::from("/tmp/from-env"));
            assert_eq!(
                cfg.widget.allowed_origins,
                vec!["https://a.example".to_string()]
            );
            let flags = Overrides {
                listen: Some("127.0.0.1:7000".parse().unwrap()),
                ..Default::default()
            };
            let cfg = Config::load(Some(Path::new("td.toml")), &flags).map_err(|e| *e)?;
            assert_eq!(cfg.listen.port(), 7000);
            assert_eq!(cfg.database_url(), "sqlite:///tmp/from-env/trustdesk.db");
            Ok(())
        });
    }

    #[test]
    fn generative_mode_is_off_by_default_and_set_from_env() {
        figment::Jail::expect_with(|jail| {
            let cfg = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert!(!cfg.bot.generative.enabled);
            assert_eq!(cfg.bot.generative.timeout_ms, 8000);
            assert_eq!(cfg.bot.generative.max_articles, 3);
            jail.set_env("TRUSTDESK_BOT__GENERATIVE__ENABLED", "true");
            jail.set_env(
                "TRUSTDESK_BOT__GENERATIVE__URL",
                "http://127.0.0.1:11434/v1",
            );
            jail.set_env("TRUSTDESK_BOT__GENERATIVE__MODEL", "qwen2.5:7b");
            jail.set_env("TRUSTDESK_BOT__GENERATIVE__API_KEY", "sk-hidden-key");
            jail.set_env("TRUSTDESK_BOT__GENERATIVE__TIMEOUT_MS", "1500");
            let cfg = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            let g = &cfg.bot.generative;
            assert!(g.enabled);
            assert_eq!(g.url, "http://127.0.0.1:11434/v1");
            assert_eq!(g.model, "qwen2.5:7b");
            assert_eq!(g.timeout_ms, 1500);
            assert!(g.api_key.is_some());
            assert!(!format!("{cfg:?}").contains("sk-hidden-key"));
            jail.create_file("td.toml", "[bot.generative]\nenable = true\n")?;
            assert!(Config::load(Some(Path::new("td.toml")), &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("td.toml", "lisen = \"127.0.0.1:9000\"\n")?;
            assert!(Config::load(Some(Path::new("td.toml")), &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let cfg = Config {
            widget: WidgetConfig {
                identity_secret: Some(SecretString::from("s3cr3t-value")),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(!format!("{cfg:?}").contains("s3cr3t-value"));
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod example_file {
    use super::*;

    #[test]
    fn the_shipped_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trustdesk.example.toml");
        figment::Jail::expect_with(|_| {
            let cfg = Config::load(Some(&path), &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(cfg.listen.port(), 8080);
            assert_eq!(
                cfg.limits.max_frame_bytes,
                Limits::default().max_frame_bytes
            );
            Ok(())
        });
    }
}
