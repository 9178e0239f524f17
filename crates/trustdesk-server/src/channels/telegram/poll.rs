//! Long polling (`getUpdates`): the way in that needs no public URL.
//!
//! The next offset (last handled `update_id` + 1) is kept in the store's
//! checkpoint `telegram:offset` after every update, and asking with it is
//! what tells Telegram the earlier ones are done. So a restart neither
//! skips an update (the checkpoint only passes what the inbox took) nor
//! repeats one (and if a crash falls between the inbox and the
//! checkpoint, the inbox knows the update id and writes nothing twice).
//!
//! Only the wait for news is cut short at shutdown; an update being
//! handled is finished first.

use super::api::{ApiFailure, BotApi};
use super::updates::UpdateHandler;
use crate::clock::ServerClock;
use crate::workers::Worker;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use trustdesk_store::Store;

pub const OFFSET_CHECKPOINT: &str = "telegram:offset";

pub struct Poller {
    api: BotApi,
    handler: Arc<UpdateHandler>,
    store: Arc<dyn Store>,
    clock: Arc<ServerClock>,
    timeout_s: u64,
    /// Only the leading node polls (two would make Telegram refuse both).
    leading: watch::Receiver<bool>,
}

impl Poller {
    pub fn new(
        api: BotApi,
        handler: Arc<UpdateHandler>,
        store: Arc<dyn Store>,
        clock: Arc<ServerClock>,
        timeout_s: u64,
        leading: watch::Receiver<bool>,
    ) -> Self {
        Self {
            api,
            handler,
            store,
            clock,
            // Telegram waits at most 50 s; 0 would be a busy loop.
            timeout_s: timeout_s.clamp(1, 50),
            leading,
        }
    }

    async fn offset(&self) -> anyhow::Result<Option<i64>> {
        Ok(self
            .store
            .checkpoint(OFFSET_CHECKPOINT)
            .await?
            .and_then(|v| v.parse().ok()))
    }

    async fn fetch(&self, offset: Option<i64>) -> Result<Vec<Value>, ApiFailure> {
        let mut body = json!({
            "timeout": self.timeout_s,
            // Edits, reactions, group events…: not asked for at all.
            "allowed_updates": ["message"],
        });
        if let Some(offset) = offset {
            body["offset"] = json!(offset);
        }
        self.api
            .call(
                "getUpdates",
                &body,
                Duration::from_secs(self.timeout_s + 15),
            )
            .await
    }

    /// Hands the updates to the inbox in order, moving the checkpoint past
    /// each one taken. Stops at the first that cannot be taken yet.
    async fn take(&self, updates: Vec<Value>, mut offset: Option<i64>) -> anyhow::Result<()> {
        for update in updates {
            let Some(id) = update.get("update_id").and_then(Value::as_i64) else {
                tracing::info!("a Telegram update without an id was skipped");
                continue;
            };
            if offset.is_some_and(|o| id < o) {
                continue;
            }
            self.handler.handle(&update).await?;
            let next = id.saturating_add(1);
            self.store
                .put_checkpoint(OFFSET_CHECKPOINT, &next.to_string(), self.clock.now())
                .await?;
            offset = Some(next);
        }
        Ok(())
    }
}

impl Worker for Poller {
    const NAME: &'static str = "telegram poller";

    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_secs(1);
        tracing::info!("reading Telegram updates by long polling");
        let mut leading = self.leading.clone();
        loop {
            if !crate::leader::until_leading(&mut leading, &mut shutdown).await {
                return;
            }
            let result = async {
                let offset = self.offset().await?;
                let updates = tokio::select! {
                    updates = self.fetch(offset) => updates,
                    _ = shutdown.changed() => return Ok(()),
                };
                match updates {
                    Ok(updates) => self.take(updates, offset).await,
                    Err(ApiFailure::Refused { code: 409, .. }) => Err(anyhow::anyhow!(
                        "a webhook is set for this bot: delete it or use mode = \"webhook\""
                    )),
                    Err(err) => Err(err.into()),
                }
            }
            .await;
            match result {
                Ok(()) => backoff = Duration::from_secs(1),
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "Telegram polling failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        }
    }
}
