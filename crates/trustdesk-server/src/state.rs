//! What every handler and service shares.

use crate::bus::{Bus, DeskWrites};
use crate::clock::ServerClock;
use crate::config::Config;
use crate::conversations::Activity;
use crate::conversations::Conversations;
use crate::conversations::admission::Admission;
use crate::conversations::llm::LlmClient;
use crate::http::ratelimit::RateLimiter;
use crate::kb::KbIndex;
use crate::routing::worker::RoutingHandle;
use crate::sla::worker::SlaConfig;
use crate::workers::ACTIVITY_QUEUE;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::Mutex;
use tokio::sync::mpsc;
use tokio::sync::watch;
use trustdesk_store::Store;

/// Feedback one customer may send per minute.
const FEEDBACK_PER_MINUTE: u32 = 5;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    /// This server's Prometheus metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    pub conversations: Conversations,
    /// The knowledge-base search index.
    pub kb: Arc<KbIndex>,
    /// Budget of the public verification lookup, per client address.
    pub verify_limiter: RateLimiter,
    /// Login, 2FA and reset attempts per client address.
    pub auth_ip_limiter: RateLimiter,
    /// Login, 2FA and reset attempts per account (lower-cased email or
    /// agent id), known or not.
    pub auth_account_limiter: RateLimiter<String>,
    /// Widget sessions per client address.
    pub widget_session_limiter: RateLimiter,
    /// Feedback per customer.
    pub feedback_limiter: RateLimiter<String>,
    /// Flips to `true` when the server begins shutting down; long-lived
    /// tasks (WebSockets, workers) watch it to say goodbye.
    pub shutdown: watch::Receiver<bool>,
    /// The server clock (wall time, advanced in tests).
    pub clock: Arc<ServerClock>,
    /// The sessions this node's sockets are open on (for the sweep).
    pub open_sessions: crate::ws::sessions::OpenSessions,
    /// The service page's live figures, computed at most once a minute.
    pub live_service: crate::reports::LiveCache,
    /// The routing worker: presence, queue positions, the queue view.
    pub routing: RoutingHandle,
    /// The SLA policy and calendars in effect.
    pub sla: SlaConfig,
    /// CSAT links for channels without the widget (set at start when
    /// `public_url` is).
    pub rating_links: std::sync::OnceLock<Arc<crate::conversations::rating_link::RatingLinks>>,
    /// This node's copy of the automation rules.
    pub automation: crate::automation::AutomationHandle,
    /// Marks channel conversations as due for delivery.
    pub channels: crate::channels::ChannelsHandle,
    /// Wakes this node's webhook worker after an admin change.
    pub webhooks: crate::webhooks::WebhookHandle,
    /// Whether this node leads the singleton work (`leader.rs`).
    pub leading: watch::Receiver<bool>,
    /// The workers' inputs until [`crate::app::Application`] starts them.
    pub worker_inputs: Mutex<Option<WorkerInputs>>,
}

pub struct WorkerInputs {
    pub routing: crate::routing::worker::Inputs,
    /// The desk-wide workers hear every node's writes.
    pub timers: DeskWrites,
    pub automation: DeskWrites,
    pub channels: DeskWrites,
    /// Webhooks are queued by the node that stored the write.
    pub webhooks: mpsc::Receiver<Activity>,
    pub leading: watch::Sender<bool>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        kb: Arc<KbIndex>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let limits = &config.limits;
        let verify_limiter = RateLimiter::shared("verify", limits.verify_per_minute, store.clone());
        let auth_ip_limiter =
            RateLimiter::shared("auth-ip", limits.auth_per_minute_ip, store.clone());
        let auth_account_limiter = RateLimiter::shared(
            "auth-account",
            limits.auth_per_minute_account,
            store.clone(),
        );
        let widget_session_limiter = RateLimiter::shared(
            "widget-session",
            limits.widget_sessions_per_minute,
            store.clone(),
        );
        let feedback_limiter = RateLimiter::shared("feedback", FEEDBACK_PER_MINUTE, store.clone());
        let llm = if config.bot.generative.enabled {
            match LlmClient::new(&config.bot.generative) {
                Ok(client) => {
                    tracing::info!(model = %config.bot.generative.model, "generative answer mode on");
                    Some(Arc::new(client))
                }
                Err(err) => {
                    tracing::error!(error = %err, "generative answer mode stays off");
                    None
                }
            }
        } else {
            None
        };
        let clock = Arc::new(ServerClock::new());
        let (routing, routing_rx) = RoutingHandle::new();
        let (routing_activity_tx, routing_activity_rx) = mpsc::channel(ACTIVITY_QUEUE);
        let (timers_tx, timers_rx) = mpsc::channel(ACTIVITY_QUEUE);
        let (automation_tx, automation_rx) = mpsc::channel(ACTIVITY_QUEUE);
        let (channels_tx, channels_rx) = mpsc::channel(ACTIVITY_QUEUE);
        let (webhooks_tx, webhooks_rx) = mpsc::channel(ACTIVITY_QUEUE);
        let (leading_tx, leading) = watch::channel(false);
        let metrics = Arc::new(crate::metrics::Metrics::new());
        store.watch_commits(metrics.clone());
        let conversations = Conversations::new(store.clone(), bus.clone(), kb.clone())
            .with_metrics(metrics.clone())
            .with_llm(llm)
            .with_clock(clock.clone())
            .with_auto_close(config.lifecycle.auto_close_after_ms)
            .with_admission(Admission::new(config.limits.customer_writes_in_flight))
            .with_hook(routing_activity_tx)
            .with_hook(timers_tx)
            .with_hook(automation_tx)
            .with_hook(webhooks_tx);
        // Without a channel nothing is delivered beyond the widget: the
        // delivery worker is not started and no write wakes it.
        let conversations = if config.channels.any() {
            conversations.with_hook(channels_tx)
        } else {
            conversations
        };
        let routing_leading = leading.clone();
        let routing_writes = DeskWrites::new(routing_activity_rx, bus.desk_writes());
        let timer_writes = DeskWrites::new(timers_rx, bus.desk_writes());
        let automation_writes = DeskWrites::new(automation_rx, bus.desk_writes());
        // Another node's writes are buffered for a receiver until it reads
        // them: only subscribe the delivery worker that will run.
        let channel_writes = config.channels.any().then(|| bus.desk_writes()).flatten();
        Self(Arc::new(Inner {
            config,
            store,
            bus,
            metrics,
            conversations,
            kb,
            verify_limiter,
            auth_ip_limiter,
            auth_account_limiter,
            widget_session_limiter,
            feedback_limiter,
            shutdown,
            clock,
            open_sessions: Default::default(),
            live_service: Default::default(),
            routing,
            sla: SlaConfig::default(),
            automation: Default::default(),
            rating_links: Default::default(),
            channels: crate::channels::ChannelsHandle::default(),
            webhooks: crate::webhooks::WebhookHandle::default(),
            leading,
            worker_inputs: Mutex::new(Some(WorkerInputs {
                routing: crate::routing::worker::Inputs {
                    commands: routing_rx,
                    writes: routing_writes,
                    leading: routing_leading,
                },
                timers: timer_writes,
                automation: automation_writes,
                channels: DeskWrites::new(channels_rx, channel_writes),
                webhooks: webhooks_rx,
                leading: leading_tx,
            })),
        }))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
