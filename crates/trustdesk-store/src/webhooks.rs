//! Outbound webhooks: the endpoints, the durable outbox of deliveries and
//! the log of their attempts (tables of migration 0013).

use crate::Result;
use async_trait::async_trait;
use trustdesk_core::webhook::events::EventType;
use trustdesk_core::{Timestamp, WebhookDeliveryId, WebhookEndpointId};

/// A registered receiver.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    /// What it subscribed to.
    pub event_types: Vec<EventType>,
    /// `whsec_…`: signs every message.
    pub secret: String,
    /// The secret before the last rotation: it still signs (as a second
    /// signature) until `previous_secret_expires_at`.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<Timestamp>,
    pub enabled: bool,
    /// Why it was disabled (e.g. the receiver answered `410 Gone`).
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for WebhookEndpoint {
    // The secrets stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("event_types", &self.event_types)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl WebhookEndpoint {
    pub fn subscribes_to(&self, event_type: EventType) -> bool {
        self.event_types.contains(&event_type)
    }

    /// The secrets that sign a message sent at `now`: the current one
    /// first, then the previous one while it is still valid.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) =
            (&self.previous_secret, self.previous_secret_expires_at)
            && now < until
        {
            secrets.push(previous);
        }
        secrets
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// To be attempted at `next_attempt_at`.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Given up: the schedule ran out, or the endpoint was disabled.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A message to put in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: WebhookDeliveryId,
    pub endpoint_id: WebhookEndpointId,
    pub event_type: EventType,
    /// The JSON body, exactly as it will be signed and sent.
    pub payload: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: WebhookDeliveryId,
    pub endpoint_id: WebhookEndpointId,
    pub event_type: EventType,
    pub payload: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// One attempt, as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub delivery_id: WebhookDeliveryId,
    /// 1, 2, 3, … per delivery.
    pub attempt: u32,
    pub at: Timestamp,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed, in words safe to show an admin (never a body).
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What an attempt leaves the delivery as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(Timestamp),
    Failed,
}

/// Endpoints, the outbox and the attempt log.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_webhook_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<()>;

    /// Replaces every field but `id` and `created_at`; `NotFound` when
    /// there is no such endpoint.
    async fn update_webhook_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<()>;

    async fn get_webhook_endpoint(&self, id: WebhookEndpointId) -> Result<WebhookEndpoint>;

    /// Oldest first.
    async fn list_webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>>;

    /// Removes the endpoint with its deliveries and their attempts.
    async fn delete_webhook_endpoint(&self, id: WebhookEndpointId) -> Result<()>;

    /// Disables the endpoint with a reason and fails its pending
    /// deliveries, atomically: nothing more is sent to it.
    async fn disable_webhook_endpoint(
        &self,
        id: WebhookEndpointId,
        reason: &str,
        at: Timestamp,
    ) -> Result<()>;

    /// Puts messages in the outbox, pending and due at once, in one
    /// transaction.
    async fn enqueue_webhook_deliveries(&self, deliveries: &[NewDelivery]) -> Result<()>;

    /// Takes up to `limit` pending deliveries due at `now`, earliest first,
    /// and moves their `next_attempt_at` to `lease_until` in the same
    /// statement, so a second worker (another node) does not take them
    /// while this one tries; if this one dies, they are due again when the
    /// lease ends.
    async fn claim_webhook_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>>;

    /// Logs the attempt and sets the delivery's state from it, in one
    /// transaction. A delivery no longer pending (its endpoint was
    /// disabled meanwhile) keeps its state; the attempt is logged anyway.
    async fn record_webhook_attempt(
        &self,
        attempt: &WebhookAttempt,
        outcome: AttemptOutcome,
    ) -> Result<()>;

    async fn get_webhook_delivery(&self, id: WebhookDeliveryId) -> Result<WebhookDelivery>;

    /// The newest first, at most `limit`; all endpoints' when `None`.
    async fn list_webhook_deliveries(
        &self,
        endpoint: Option<WebhookEndpointId>,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>>;

    /// In attempt order.
    async fn webhook_attempts(&self, delivery: WebhookDeliveryId) -> Result<Vec<WebhookAttempt>>;

    /// Makes the delivery pending and due at `at` (a replay: the next
    /// attempt gets the next number).
    async fn replay_webhook_delivery(&self, id: WebhookDeliveryId, at: Timestamp) -> Result<()>;

    /// When the earliest pending delivery is due.
    async fn next_webhook_delivery_at(&self) -> Result<Option<Timestamp>>;
}
