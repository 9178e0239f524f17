//! The emergency freeze fast lane: "my account is hacked" → one step →
//! a signed freeze request to the exchange, the conversation escalated to
//! urgent security, and the customer told how it went.
//!
//! The request is a Standard Webhooks message signed and sent by the same
//! code as every webhook (`trustdesk_core::webhook`, `webhooks::sender`:
//! the SSRF checks and the `[webhooks] allow_cidrs` allowlist included),
//! but sent directly with a short retry loop rather than through the
//! outbox. On purpose: the customer is waiting in the chat for "frozen" or
//! "call the hotline now", so a request still being retried an hour later
//! (the outbox's schedule) would be worse than a prompt failure that sends
//! them to the phone. Subscribed endpoints still hear of it: the
//! `freeze_requested` notice written below becomes a `freeze.requested`
//! delivery in the outbox like any other event.

use crate::auth::Authenticated;
use crate::conversations::Conversations;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::webhooks::sender::{Message, Sender};
use secrecy::ExposeSecret;
use std::time::Duration;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::notice::NoticeCode;
use trustdesk_core::webhook::SigningKey;
use trustdesk_core::webhook::events::{EventType, payload};
use trustdesk_core::{Category, ConversationId, EventKind, Language, Priority};
use trustdesk_store::Audience;

/// Requests a freeze from a customer's conversation.
pub async fn request(state: &AppState, who: &Authenticated, id: ConversationId) -> ApiResult<()> {
    let customer_id = who.customer_id().ok_or(ApiError::NotFound)?;
    let conversation = state.conversations.visible(who, id).await?;
    let config = &state.config.freeze;
    let not_set_up =
        || ApiError::BadRequest("the freeze fast lane is not set up on this server".into());
    let (Some(url), Some(secret)) = (config.webhook_url.clone(), config.webhook_secret.as_ref())
    else {
        return Err(not_set_up());
    };
    let key = SigningKey::parse(secret.expose_secret()).map_err(|err| {
        tracing::error!(error = %err, "freeze.webhook_secret is unusable; the freeze lane is off");
        not_set_up()
    })?;
    let customer = state.store.get_customer(customer_id).await?;
    let Some(user_id) = customer.external_id else {
        return Err(ApiError::BadRequest(
            "freezing needs your exchange account: open the chat from the exchange while logged in"
                .into(),
        ));
    };
    let history = state
        .store
        .events(id, 0, Audience::Team, crate::conversations::MAX_PAGE)
        .await?;
    let already = history.iter().any(
        |e| matches!(&e.kind, EventKind::SystemNotice { code, .. } if code == NoticeCode::FreezeRequested.as_str()),
    );
    if already {
        return Err(ApiError::Conflict(
            "a freeze was already requested in this conversation".into(),
        ));
    }
    let language = conversation.language.unwrap_or(Language::En);
    let conversations = &state.conversations;
    // Escalate first: urgent security, so routing and SLA treat it so.
    conversations
        .system_event(
            id,
            EventKind::Triaged {
                category: Category::Security,
                language,
                priority: Priority::Urgent,
                urgent: true,
                confidence: 1.0,
            },
        )
        .await?;
    conversations
        .system_event(id, NoticeCode::FreezeRequested.event(language))
        .await?;
    let hook = FreezeHook {
        sender: Sender::from_config(&state.config.webhooks),
        url,
        key,
        max_attempts: config.max_attempts.max(1),
        backoff: Duration::from_secs(1),
    };
    let event_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let body = payload(
        EventType::FreezeRequested,
        state.clock.now(),
        serde_json::json!({
            "user_id": user_id,
            "conversation_id": id,
            "requested_at": state.clock.now(),
        }),
    );
    let event_id_for_audit = event_id.clone();
    tokio::spawn(deliver(
        conversations.clone(),
        hook,
        event_id,
        body,
        id,
        language,
    ));
    tracing::info!(conversation = %id, "freeze requested");
    crate::accounts::audit::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::accounts::audit::actor_of(who),
        AuditAction::FreezeRequested,
        id.to_string(),
        serde_json::json!({ "event_id": event_id_for_audit }),
    )
    .await?;
    Ok(())
}

/// The freeze request's target and its short, in-memory retry loop.
struct FreezeHook {
    sender: Sender,
    url: String,
    key: SigningKey,
    max_attempts: u32,
    /// First retry delay; doubles each time.
    backoff: Duration,
}

impl FreezeHook {
    /// Sends until a 2xx answer or the attempts run out, with the same
    /// `webhook-id` each time (the exchange drops repeats).
    async fn deliver(&self, event_id: &str, body: &serde_json::Value) -> Result<u16, String> {
        let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let keys = [self.key.clone()];
        let message = Message {
            url: &self.url,
            id: event_id,
            body: &bytes,
            keys: &keys,
        };
        let mut delay = self.backoff;
        let mut last = String::new();
        for attempt in 1..=self.max_attempts {
            match self.sender.send(&message).await {
                Ok(answer) if answer.is_success() => return Ok(answer.status),
                Ok(answer) => last = format!("HTTP {}", answer.status),
                Err(e) => last = e.to_string(),
            }
            tracing::warn!(attempt, error = %last, "freeze request delivery failed");
            if attempt < self.max_attempts {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
        }
        Err(last)
    }
}

async fn deliver(
    conversations: Conversations,
    hook: FreezeHook,
    event_id: String,
    body: serde_json::Value,
    id: ConversationId,
    language: Language,
) {
    let code = match hook.deliver(&event_id, &body).await {
        Ok(_) => NoticeCode::FreezeConfirmed,
        Err(err) => {
            tracing::error!(conversation = %id, error = %err, "freeze request not delivered");
            NoticeCode::FreezeFailed
        }
    };
    if let Err(err) = conversations.system_event(id, code.event(language)).await {
        tracing::error!(conversation = %id, error = %err, "could not record the freeze outcome");
    }
}
