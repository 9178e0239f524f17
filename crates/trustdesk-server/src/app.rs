//! Building and running the server: `build` binds and reports the port
//! (tests use port 0), `run_until_stopped` serves until a shutdown signal
//! and then lets connections say goodbye.

use crate::bus::{Bus, MemoryBus};
use crate::config::Config;
use crate::kb::KbIndex;
use crate::state::AppState;
use crate::workers::Workers;
use anyhow::Context;
use axum::serve::ListenerExt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use trustdesk_store::Store;

pub struct Application {
    listener: TcpListener,
    /// `/metrics` on an address of its own (`[metrics] listen`).
    metrics_listener: Option<TcpListener>,
    state: AppState,
    stop: watch::Sender<bool>,
    workers: Workers,
}

/// How long a clean stop waits for the workers to finish what they hold.
const WORKER_GRACE: Duration = Duration::from_secs(10);

impl Application {
    /// Opens the store (running migrations), creates the data folder and
    /// binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = open_store(&config).await?;
        Self::build_with_store(config, store).await
    }

    pub async fn build_with_store(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let bus: Arc<dyn Bus> = match &config.bus_url {
            Some(url) => Arc::new(crate::bus::NatsBus::connect(url, &config.bus_subject).await?),
            None => Arc::new(MemoryBus::new()),
        };
        let (stop, stopping) = watch::channel(false);
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let metrics_listener = match config.metrics.listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for metrics on {addr}"))?,
            ),
            None => None,
        };
        let kb = Arc::new(KbIndex::new()?);
        kb.rebuild(
            &store
                .list_articles()
                .await
                .map_err(|e| anyhow::anyhow!("cannot read articles: {e}"))?,
        )?;
        tracing::info!(articles = kb.len(), "knowledge base indexed");
        let state = AppState::new(config, store, bus, kb, stopping);
        let workers = start_workers(&state).await?;
        Ok(Self {
            listener,
            metrics_listener,
            state,
            stop,
            workers,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `/metrics` is served when it has a listener of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `signal` resolves, then tells every WebSocket to go
    /// away (close code 1001) and waits for in-flight requests.
    pub async fn run_until_stopped(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = crate::http::router(self.state.clone());
        let stop = self.stop;
        let workers = self.workers;
        if let Some(listener) = self.metrics_listener {
            let router = crate::metrics::routes::own_listener(self.state.clone());
            let mut stopping = self.state.shutdown.clone();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = stopping.wait_for(|stop| *stop).await;
                };
                if let Err(e) = axum::serve(listener, router)
                    .with_graceful_shutdown(stopped)
                    .await
                {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            });
        }
        let shutdown = async move {
            signal.await;
            tracing::info!("shutting down");
            let _ = stop.send(true);
        };
        // Without TCP_NODELAY a small frame written while the previous one
        // is unacknowledged waits for the peer's delayed ACK (40 ms on
        // Linux): that was the whole tail of the message latency.
        let listener = self.listener.tap_io(|stream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("server failed")?;
        // The listener has drained: no request can feed a worker any more.
        workers.join(WORKER_GRACE).await;
        Ok(())
    }
}

/// Starts the routing, timer and webhook workers (once per state).
async fn start_workers(state: &AppState) -> anyhow::Result<Workers> {
    let mut workers = Workers::new(state.shutdown.clone());
    let Some(inputs) = state.worker_inputs.lock().ok().and_then(|mut i| i.take()) else {
        return Ok(workers);
    };
    state.sla.reload(state.store.as_ref()).await?;
    workers.spawn(crate::leader::LeaderWorker::new(
        state.store.clone(),
        inputs.leading,
    ));
    let router = crate::routing::worker::Worker::load(
        state.conversations.clone(),
        &state.config.routing,
        state.routing.clone(),
        inputs.routing,
    )
    .await?;
    workers.spawn(router);
    workers.spawn(crate::metrics::MetricsUpkeep(state.metrics.clone()));
    workers.spawn(crate::ws::sessions::SessionSweep::new(
        state.store.clone(),
        state.bus.clone(),
        state.clock.clone(),
        state.open_sessions.clone(),
    ));
    workers.spawn(crate::http::ratelimit::RateBucketPurge::new(
        state.store.clone(),
        state.leading.clone(),
    ));
    workers.spawn(crate::sla::worker::TimerWorker::new(
        state.conversations.clone(),
        state.sla.clone(),
        state.config.sla.reassign_on_breach,
        inputs.timers,
        state.leading.clone(),
    ));
    workers.spawn(crate::automation::worker::AutomationWorker::new(
        state.conversations.clone(),
        state.sla.clone(),
        state.clock.clone(),
        state.automation.clone(),
        inputs.automation,
        state.leading.clone(),
    ));
    if let Some(url) = &state.config.public_url {
        let links = crate::conversations::rating_link::RatingLinks::load(
            state.store.as_ref(),
            url,
            state.clock.now(),
        )
        .await?;
        let _ = state.rating_links.set(Arc::new(links));
    }
    crate::channels::start(state, &mut workers, inputs.channels).await?;
    workers.spawn(crate::webhooks::worker::WebhookWorker::new(
        state.store.clone(),
        state.clock.clone(),
        crate::webhooks::sender::Sender::from_config(&state.config.webhooks),
        trustdesk_core::webhook::retry::RetryPolicy {
            base_ms: i64::try_from(state.config.webhooks.retry_base_ms.max(1)).unwrap_or(i64::MAX),
        },
        state.webhooks.clone(),
        inputs.webhooks,
    ));
    Ok(workers)
}

/// Opens the configured store, creating the data folder for SQLite.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data folder {}", config.data_dir.display()))?;
    let url = config.database_url();
    let store = trustdesk_store::open_with(&url, config.store.sqlite_options())
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    tracing::info!(backend = store.backend(), "store ready");
    Ok(store)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
