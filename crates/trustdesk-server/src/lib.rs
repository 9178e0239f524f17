//! trustdesk-server: the HTTP and WebSocket API over the store and the bus,
//! plus the background services. `main.rs` is a thin shell around
//! [`app::Application`] and [`cli`].

// Shared plumbing.
pub mod app;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod state;
pub mod web;
pub mod workers;
pub mod ws;

// One folder per feature, each with its service and its HTTP routes.
pub mod accounts;
pub mod attachments;
pub mod automation;
pub mod channels;
pub mod conversations;
pub mod feedback;
pub mod kb;
pub mod qa;
pub mod reports;
pub mod routing;
pub mod sla;
pub mod trust;
pub mod webhooks;

/// Sets up logging once: `RUST_LOG` filters (default `info`), JSON lines
/// when configured.
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
