//! The outbox worker: two loops in one task.
//!
//! * **Enqueue** hears every stored write (`Activity`), asks
//!   `trustdesk_core::webhook::events::describe` what it tells subscribers,
//!   and writes one delivery per subscribed, enabled endpoint to the store
//!   (many reports in one write) — before any attempt, so a message to
//!   send never lives only in memory.
//! * **Deliver** claims due deliveries from the store (the claim is a
//!   lease, so two nodes never send the same one at once), sends each with
//!   the SSRF-safe [`Sender`], logs the attempt and plans the next one
//!   with `trustdesk_core::webhook::retry`: 2xx is delivered; `410 Gone`
//!   disables the endpoint (its pending deliveries stop); anything else is
//!   retried on the schedule with jitter, honouring `Retry-After` on 429
//!   and 503, until the schedule runs out (`failed`).
//!
//! Pending deliveries are in the store, so after a restart they simply
//! come due again. At shutdown the enqueue loop stores what it was told,
//! and the attempts in flight finish and are logged before the task ends.

use super::WebhookHandle;
use super::sender::{Answer, Message, SendError, Sender};
use crate::clock::ServerClock;
use crate::conversations::Activity;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use trustdesk_core::webhook::SigningKey;
use trustdesk_core::webhook::events::{describe, payload};
use trustdesk_core::webhook::retry::{Next, RetryPolicy};
use trustdesk_core::{Timestamp, WebhookDeliveryId, WebhookEndpointId};
use trustdesk_store::{
    AttemptOutcome, NewDelivery, Store, WebhookAttempt, WebhookDelivery, WebhookEndpoint,
};

/// Reports folded into one store write.
const ENQUEUE_BATCH: usize = 1024;
/// Deliveries claimed (and sent concurrently) at once.
const CLAIM_BATCH: u32 = 16;
/// How long a claim holds a delivery: longer than any attempt (its
/// deadline is at most 30 s), short enough that a crashed node's claims
/// come back soon.
const LEASE_MS: i64 = 60_000;
/// How often the deliver loop looks at the store when nothing is due
/// locally: other nodes enqueue too.
const POLL: Duration = Duration::from_secs(1);
/// How long the endpoint list read for enqueueing is trusted (another
/// node's admin change is seen after this; this node's at once).
const ENDPOINTS_TTL: Duration = Duration::from_secs(2);

pub struct WebhookWorker {
    store: Arc<dyn Store>,
    clock: Arc<ServerClock>,
    sender: Sender,
    policy: RetryPolicy,
    handle: WebhookHandle,
    activity: mpsc::Receiver<Activity>,
}

impl WebhookWorker {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<ServerClock>,
        sender: Sender,
        policy: RetryPolicy,
        handle: WebhookHandle,
        activity: mpsc::Receiver<Activity>,
    ) -> Self {
        Self {
            store,
            clock,
            sender,
            policy,
            handle,
            activity,
        }
    }
}

impl crate::workers::Worker for WebhookWorker {
    const NAME: &'static str = "webhooks";

    async fn run(self, shutdown: watch::Receiver<bool>) {
        let enqueue = Enqueuer {
            store: self.store.clone(),
            clock: self.clock.clone(),
            handle: self.handle.clone(),
            endpoints: None,
        };
        let deliver = Deliverer {
            store: self.store,
            clock: self.clock,
            sender: self.sender,
            policy: self.policy,
            handle: self.handle,
        };
        tokio::join!(
            enqueue.run(self.activity, shutdown.clone()),
            deliver.run(shutdown)
        );
    }
}

struct Enqueuer {
    store: Arc<dyn Store>,
    clock: Arc<ServerClock>,
    handle: WebhookHandle,
    /// The endpoints as last read, with when and at which generation.
    endpoints: Option<(Arc<[WebhookEndpoint]>, Instant, u64)>,
}

impl Enqueuer {
    async fn run(
        mut self,
        mut activity: mpsc::Receiver<Activity>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut batch = Vec::with_capacity(ENQUEUE_BATCH);
        loop {
            tokio::select! {
                biased;
                n = activity.recv_many(&mut batch, ENQUEUE_BATCH) => {
                    if n == 0 {
                        return;
                    }
                }
                () = stopped(&mut shutdown) => {
                    // Store what was already reported, then stop.
                    while activity.try_recv().map(|a| batch.push(a)).is_ok() {}
                    self.enqueue(std::mem::take(&mut batch)).await;
                    return;
                }
            }
            self.enqueue(std::mem::take(&mut batch)).await;
        }
    }

    async fn enqueue(&mut self, reports: Vec<Activity>) {
        if reports.is_empty() {
            return;
        }
        let endpoints = match self.endpoints().await {
            Ok(list) => list,
            Err(err) => {
                tracing::error!(error = %err, "webhooks: cannot read endpoints; events not enqueued");
                return;
            }
        };
        if endpoints.is_empty() {
            return;
        }
        let now = self.clock.now();
        let mut deliveries = Vec::new();
        for report in &reports {
            for event in report.events.iter() {
                for (event_type, data) in describe(event, &report.conversation) {
                    let body = payload(event_type, event.at, data).to_string();
                    for endpoint in endpoints
                        .iter()
                        .filter(|e| e.enabled && e.subscribes_to(event_type))
                    {
                        deliveries.push(NewDelivery {
                            id: WebhookDeliveryId::new(),
                            endpoint_id: endpoint.id,
                            event_type,
                            payload: body.clone(),
                            created_at: now,
                        });
                    }
                }
            }
        }
        if deliveries.is_empty() {
            return;
        }
        match self.store.enqueue_webhook_deliveries(&deliveries).await {
            Ok(()) => self.handle.kick(),
            Err(err) => {
                tracing::error!(error = %err, count = deliveries.len(), "webhooks: enqueue failed")
            }
        }
    }

    async fn endpoints(&mut self) -> trustdesk_store::Result<Arc<[WebhookEndpoint]>> {
        let generation = self.handle.generation();
        let fresh = self
            .endpoints
            .as_ref()
            .is_some_and(|(_, at, g)| *g == generation && at.elapsed() < ENDPOINTS_TTL);
        if !fresh {
            let list = self.store.list_webhook_endpoints().await?;
            self.endpoints = Some((list.into(), Instant::now(), generation));
        }
        Ok(self
            .endpoints
            .as_ref()
            .map_or_else(|| Arc::from([]), |(l, _, _)| l.clone()))
    }
}

struct Deliverer {
    store: Arc<dyn Store>,
    clock: Arc<ServerClock>,
    sender: Sender,
    policy: RetryPolicy,
    handle: WebhookHandle,
}

impl Deliverer {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            // A read first: claiming is a write (on SQLite a turn of the
            // single writer), so it is only made when something is due.
            let now = self.clock.now();
            let next = match self.store.next_webhook_delivery_at().await {
                Ok(next) => next,
                Err(err) => {
                    tracing::error!(error = %err, "webhooks: cannot read the outbox");
                    None
                }
            };
            if next.is_some_and(|at| at <= now) {
                match self
                    .store
                    .claim_webhook_deliveries(now, now.plus_millis(LEASE_MS), CLAIM_BATCH)
                    .await
                {
                    // Not raced against shutdown: an attempt in flight
                    // finishes and is logged (each has a deadline).
                    Ok(claimed) if !claimed.is_empty() => {
                        self.deliver_all(claimed).await;
                        continue;
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!(error = %err, "webhooks: cannot claim deliveries"),
                }
            }
            // Until the next is due, at most a poll: other nodes enqueue
            // and replay too.
            let wait = next.map_or(POLL, |at| {
                Duration::from_millis(u64::try_from(at.0.saturating_sub(now.0)).unwrap_or(0))
                    .clamp(Duration::from_millis(10), POLL)
            });
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.handle.kicked() => {}
                () = stopped(&mut shutdown) => return,
            }
        }
    }

    async fn deliver_all(&self, claimed: Vec<WebhookDelivery>) {
        let mut endpoints: HashMap<WebhookEndpointId, Option<WebhookEndpoint>> = HashMap::new();
        for d in &claimed {
            if let std::collections::hash_map::Entry::Vacant(slot) = endpoints.entry(d.endpoint_id)
            {
                let endpoint = match self.store.get_webhook_endpoint(d.endpoint_id).await {
                    Ok(e) => Some(e),
                    Err(err) => {
                        tracing::warn!(error = %err, "webhooks: endpoint unreadable; delivery waits for its lease");
                        None
                    }
                };
                slot.insert(endpoint);
            }
        }
        let attempts = claimed.iter().filter_map(|d| {
            let endpoint = endpoints.get(&d.endpoint_id)?.as_ref()?;
            Some(self.attempt(d, endpoint))
        });
        futures_util::future::join_all(attempts).await;
    }

    /// One attempt of one delivery, logged with what it leaves the
    /// delivery as.
    async fn attempt(&self, delivery: &WebhookDelivery, endpoint: &WebhookEndpoint) {
        let number = delivery.attempts.saturating_add(1);
        let keys: Vec<SigningKey> = endpoint
            .signing_secrets(self.clock.now())
            .into_iter()
            .filter_map(|s| SigningKey::parse(s).ok())
            .collect();
        let started = Instant::now();
        let result = if keys.is_empty() {
            // Secrets are generated by the server; an unusable one is a
            // corrupt row, logged as a failed attempt rather than sent
            // unsigned.
            Err(None)
        } else {
            self.sender
                .send(&Message {
                    url: &endpoint.url,
                    id: &message_id(delivery.id),
                    body: delivery.payload.as_bytes(),
                    keys: &keys,
                })
                .await
                .map_err(Some)
        };
        let at = self.clock.now();
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status_code, error, outcome, gone) = self.judge(number, &result, at);
        let attempt = WebhookAttempt {
            delivery_id: delivery.id,
            attempt: number,
            at,
            status_code,
            error,
            duration_ms,
        };
        if let Err(err) = self.store.record_webhook_attempt(&attempt, outcome).await {
            tracing::error!(error = %err, delivery = %delivery.id, "webhooks: cannot log an attempt");
        }
        if gone {
            tracing::warn!(endpoint = %endpoint.id, "webhook endpoint answered 410 Gone: disabled");
            if let Err(err) = self
                .store
                .disable_webhook_endpoint(endpoint.id, GONE_REASON, at)
                .await
            {
                tracing::error!(error = %err, "webhooks: cannot disable a gone endpoint");
            }
            self.handle.endpoints_changed();
        }
    }

    /// What an attempt's result means: the logged status and error, the
    /// delivery's next state, and whether the endpoint is gone.
    fn judge(
        &self,
        number: u32,
        result: &Result<Answer, Option<SendError>>,
        at: Timestamp,
    ) -> (Option<u16>, Option<String>, AttemptOutcome, bool) {
        let retry = |retry_after: Option<i64>| match self.policy.after_failure(
            number,
            rand::random::<f64>(),
            retry_after,
        ) {
            Next::RetryIn(ms) => AttemptOutcome::RetryAt(at.plus_millis(ms)),
            Next::GiveUp => AttemptOutcome::Failed,
        };
        match result {
            Ok(answer) if answer.is_success() => {
                (Some(answer.status), None, AttemptOutcome::Delivered, false)
            }
            Ok(answer) if answer.status == 410 => (
                Some(410),
                Some(GONE_REASON.into()),
                AttemptOutcome::Failed,
                true,
            ),
            Ok(answer) => (
                Some(answer.status),
                Some(format!("HTTP {}", answer.status)),
                retry(answer.retry_after_ms),
                false,
            ),
            Err(Some(err)) => (None, Some(err.to_string()), retry(None), false),
            Err(None) => (
                None,
                Some("the endpoint's secret is unusable".into()),
                retry(None),
                false,
            ),
        }
    }
}

/// Resolves once the shutdown signal is true (holding no borrow of it).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Why an endpoint was disabled by its receiver.
pub const GONE_REASON: &str = "the receiver answered 410 Gone";

/// The `webhook-id` of a delivery: `msg_` and its id without dashes.
pub fn message_id(id: WebhookDeliveryId) -> String {
    format!("msg_{}", id.0.simple())
}
