//! Telegram: a bot customers write to in a private chat (docs/channels.md).
//!
//! - `api.rs`: the Bot API methods we call (the token stays inside)
//! - `updates.rs`: one update → the inbox (shared by both ways in)
//! - `poll.rs`: long polling with a stored offset (a worker)
//! - `webhook.rs`: `POST /v1/channels/telegram/webhook` (webhook mode)
//! - `compose.rs` + `sender.rs` + `limits.rs`: our messages out (a
//!   `ChannelSender`) within Telegram's rate limits
//!
//! Why not teloxide (ENGINEERING.md's suggestion): we call seven methods.
//! teloxide 0.17 with `default-features = false, features = ["rustls"]`
//! adds about 25 crates to our tree, among them teloxide-core (~47,000
//! lines of generated API types), dptree with stacker/psm (a C build
//! script), serde_with and derive_more, for a build that is already long
//! on a two-core machine. Its `set_api_url` does cover file downloads, so
//! a fake Bot API would have worked; but the 429 `retry_after`, the error
//! classes the delivery worker needs and the rule that no URL (they carry
//! the token) is ever logged are each a few lines over reqwest, which we
//! already have with rustls.

pub mod api;
pub mod compose;
pub mod limits;
pub mod poll;
pub mod sender;
pub mod updates;
pub mod webhook;

use crate::channels::config::{TelegramConfig, TelegramMode};
use crate::channels::inbox::ChannelInbox;
use crate::state::AppState;
use axum::Router;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// The parts of the Telegram channel a configuration turns on.
pub struct Telegram {
    pub sender: sender::TelegramSender,
    /// Polling mode only.
    pub poller: Option<poll::Poller>,
}

impl Telegram {
    /// `None` when no bot token is configured. In webhook mode this also
    /// registers the webhook with Telegram when `webhook_url` is set.
    pub async fn from_config(
        config: &TelegramConfig,
        state: &AppState,
        inbox: Arc<ChannelInbox>,
    ) -> anyhow::Result<Option<Self>> {
        let Some(token) = config.bot_token.clone() else {
            return Ok(None);
        };
        let api = api::BotApi::new(&config.api_url, token)?;
        let sender = sender::TelegramSender::new(
            api.clone(),
            limits::SendLimits::new(config.send_per_second, config.send_per_chat_per_second),
            state.store.clone(),
        );
        let poller = match config.mode {
            TelegramMode::Polling => Some(poll::Poller::new(
                api.clone(),
                Arc::new(handler(state, inbox, api)),
                state.store.clone(),
                state.clock.clone(),
                config.poll_timeout_s,
                state.leading.clone(),
            )),
            TelegramMode::Webhook => {
                let secret = webhook_secret(config)?;
                if let Some(url) = &config.webhook_url {
                    register_webhook(&api, url, secret).await;
                }
                None
            }
        };
        Ok(Some(Self { sender, poller }))
    }
}

fn handler(state: &AppState, inbox: Arc<ChannelInbox>, api: api::BotApi) -> updates::UpdateHandler {
    updates::UpdateHandler::new(inbox, api, state.config.limits.attachment_max_bytes)
}

/// The webhook secret, required in webhook mode and of the characters
/// Telegram accepts (it would refuse `setWebhook` otherwise).
fn webhook_secret(config: &TelegramConfig) -> anyhow::Result<&SecretString> {
    let secret = config.webhook_secret.as_ref().ok_or_else(|| {
        anyhow::anyhow!("[channels.telegram] mode = \"webhook\" needs a webhook_secret")
    })?;
    let s = secret.expose_secret();
    let valid = (1..=256).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        anyhow::bail!(
            "[channels.telegram] webhook_secret must be 1-256 characters of A-Z a-z 0-9 _ -"
        );
    }
    Ok(secret)
}

/// `setWebhook`; a failure is logged, not fatal: the server still sends,
/// and the webhook can be set again by a restart.
async fn register_webhook(api: &api::BotApi, url: &str, secret: &SecretString) {
    let body = serde_json::json!({
        "url": url,
        "secret_token": secret.expose_secret(),
        "allowed_updates": ["message"],
    });
    match api
        .call::<serde_json::Value>("setWebhook", &body, Duration::from_secs(30))
        .await
    {
        Ok(_) => tracing::info!(url, "Telegram webhook set"),
        Err(err) => tracing::error!(error = %err, "cannot set the Telegram webhook"),
    }
}

/// The webhook route, live only in webhook mode with a valid secret (it
/// answers 404 otherwise). Built with the router; it has its own inbox,
/// which only Telegram uses in that mode.
pub fn webhook_router(state: &AppState) -> Router<AppState> {
    let config = &state.config.channels.telegram;
    let hook = match (&config.bot_token, config.mode) {
        (Some(token), TelegramMode::Webhook) => webhook_secret(config).ok().and_then(|secret| {
            let api = api::BotApi::new(&config.api_url, token.clone()).ok()?;
            let inbox = Arc::new(ChannelInbox::new(
                state.clone(),
                state.config.channels.inbound_per_address_per_minute,
            ));
            Some(Arc::new(webhook::Webhook::new(
                secret.expose_secret(),
                Arc::new(handler(state, inbox, api)),
            )))
        }),
        _ => None,
    };
    webhook::router(hook)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_mode_needs_a_secret_telegram_accepts() {
        let mut config = TelegramConfig {
            mode: TelegramMode::Webhook,
            ..Default::default()
        };
        assert!(webhook_secret(&config).is_err());
        for bad in ["", "has space", "ünï", &"a".repeat(257)] {
            config.webhook_secret = Some(bad.to_owned().into());
            assert!(webhook_secret(&config).is_err(), "{bad}");
        }
        config.webhook_secret = Some("Ok_secret-123".to_owned().into());
        assert!(webhook_secret(&config).is_ok());
    }
}
