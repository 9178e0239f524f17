//! The emergency freeze fast lane: "my account is hacked" → one step →
//! a signed freeze request to the exchange, the conversation escalated to
//! urgent security, and the customer told how it went.

use crate::auth::Authenticated;
use crate::conversations::Conversations;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::webhooks::delivery::SignedWebhook;
use std::time::Duration;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::notice::NoticeCode;
use trustdesk_core::{Category, ConversationId, EventKind, Language, Priority};
use trustdesk_store::Audience;

/// Requests a freeze from a customer's conversation.
pub async fn request(state: &AppState, who: &Authenticated, id: ConversationId) -> ApiResult<()> {
    let customer_id = who.customer_id().ok_or(ApiError::NotFound)?;
    let conversation = state.conversations.visible(who, id).await?;
    let config = &state.config.freeze;
    let (Some(url), Some(secret)) = (config.webhook_url.clone(), config.webhook_secret.clone())
    else {
        return Err(ApiError::BadRequest(
            "the freeze fast lane is not set up on this server".into(),
        ));
    };
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
    let hook = SignedWebhook {
        url,
        secret,
        max_attempts: config.max_attempts,
        allow_internal: config.allow_private_targets,
        backoff: Duration::from_secs(1),
    };
    let event_id = uuid::Uuid::new_v4().to_string();
    let body = serde_json::json!({
        "type": "account.freeze_requested",
        "id": event_id,
        "user_id": user_id,
        "conversation_id": id,
        "requested_at": state.clock.now(),
    });
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

async fn deliver(
    conversations: Conversations,
    hook: SignedWebhook,
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
