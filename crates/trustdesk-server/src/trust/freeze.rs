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
use trustdesk_core::{Category, ConversationId, EventKind, Language, Priority, Visibility};
use trustdesk_store::Audience;

fn notice(code: &str, language: Language) -> EventKind {
    let zh = language == Language::Zh;
    let text = match (code, zh) {
        ("freeze_requested", true) => {
            "已向交易所发送冻结账户请求，安全团队正在优先处理。请勿向任何人透露密码、验证码或助记词。"
        }
        ("freeze_requested", false) => {
            "We have sent a request to freeze your account; the security team is on it now. Never share your password, codes or seed phrase with anyone."
        }
        ("freeze_confirmed", true) => {
            "交易所已收到冻结请求，您的账户正在冻结。安全团队会在这里继续跟进。"
        }
        ("freeze_confirmed", false) => {
            "The exchange has received the freeze request and is freezing your account. The security team will follow up here."
        }
        (_, true) => {
            "冻结请求暂时未能送达交易所。安全团队已收到通知并会立即人工处理；您也可以拨打官方客服热线（见官方验证页面）。"
        }
        (_, false) => {
            "The freeze request could not reach the exchange yet. The security team has been alerted and will act manually right away; you can also call the official hotline (see the verification page)."
        }
    };
    EventKind::SystemNotice {
        code: code.into(),
        text: text.into(),
        audience: Visibility::Public,
    }
}

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
        |e| matches!(&e.kind, EventKind::SystemNotice { code, .. } if code == "freeze_requested"),
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
        .system_event(id, notice("freeze_requested", language))
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
        Ok(_) => "freeze_confirmed",
        Err(err) => {
            tracing::error!(conversation = %id, error = %err, "freeze request not delivered");
            "freeze_failed"
        }
    };
    if let Err(err) = conversations.system_event(id, notice(code, language)).await {
        tracing::error!(conversation = %id, error = %err, "could not record the freeze outcome");
    }
}
