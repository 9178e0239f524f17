//! Our messages out: `sendMessage` for text, `sendPhoto` / `sendDocument`
//! for a shared file, into the chat the conversation's thread is bound to
//! (a private chat's id is the customer's user id), inside our send
//! limits. Telegram's answers map onto the delivery worker's retry rules:
//! 429 waits `retry_after`, a refused chat (blocked the bot, no such chat)
//! is permanent, anything else is tried again.

use super::api::{ApiFailure, BotApi, Upload};
use super::compose;
use super::limits::SendLimits;
use crate::channels::outbound::{ChannelSender, Content, Outgoing, SendFailure, Sent};
use async_trait::async_trait;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use trustdesk_core::Channel;
use trustdesk_store::{Direction, Store};

pub struct TelegramSender {
    api: BotApi,
    limits: SendLimits,
    store: Arc<dyn Store>,
}

/// The part of a sent `Message` we keep.
#[derive(Deserialize)]
struct SentMessage {
    message_id: i64,
}

const SEND_WAIT: Duration = Duration::from_secs(30);
const UPLOAD_WAIT: Duration = Duration::from_secs(120);

impl TelegramSender {
    pub fn new(api: BotApi, limits: SendLimits, store: Arc<dyn Store>) -> Self {
        Self { api, limits, store }
    }

    /// Whether nothing of ours went out in this conversation yet.
    async fn first(&self, out: &Outgoing) -> Result<bool, SendFailure> {
        let messages = self.store.channel_messages_of(out.conversation.id).await?;
        Ok(!messages
            .iter()
            .any(|m| m.channel == Channel::Telegram && m.direction == Direction::Outbound))
    }
}

#[async_trait]
impl ChannelSender for TelegramSender {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    async fn send(&self, out: &Outgoing) -> Result<Sent, SendFailure> {
        let chat = out.thread.address.as_str();
        let Ok(chat_id) = chat.parse::<i64>() else {
            return Err(SendFailure::Permanent(
                "the thread's address is not a Telegram chat".into(),
            ));
        };
        let first = self.first(out).await?;
        let sent: SentMessage = match &out.content {
            Content::File { author, file } => {
                let photo = matches!(file.mime.as_str(), "image/jpeg" | "image/png");
                let (method, field) = if photo {
                    ("sendPhoto", "photo")
                } else {
                    ("sendDocument", "document")
                };
                self.limits.acquire(chat).await;
                self.api
                    .call_with_file(
                        method,
                        &[
                            ("chat_id", chat_id.to_string()),
                            ("caption", compose::caption(out, author, &file.name, first)),
                        ],
                        Upload {
                            field,
                            name: &file.name,
                            mime: &file.mime,
                            bytes: &file.data,
                        },
                        UPLOAD_WAIT,
                    )
                    .await
                    .map_err(failure)?
            }
            _ => {
                let mut last = None;
                for text in compose::texts(out, first) {
                    self.limits.acquire(chat).await;
                    last = Some(
                        self.api
                            .call(
                                "sendMessage",
                                &serde_json::json!({
                                    "chat_id": chat_id,
                                    "text": text,
                                    "link_preview_options": {"is_disabled": true},
                                }),
                                SEND_WAIT,
                            )
                            .await
                            .map_err(failure)?,
                    );
                }
                last.ok_or_else(|| SendFailure::Permanent("nothing to send".into()))?
            }
        };
        Ok(Sent {
            // Message ids are per chat: the chat makes it unique.
            external_id: Some(format!("out:{chat_id}:{}", sent.message_id)),
        })
    }
}

/// Telegram's answer → the delivery worker's rule.
fn failure(err: ApiFailure) -> SendFailure {
    match err {
        ApiFailure::Refused {
            code: 429,
            retry_after,
            ..
        } => SendFailure::Retry {
            reason: "Telegram asked us to slow down".into(),
            after: Some(Duration::from_secs(retry_after.unwrap_or(1).clamp(1, 3600))),
        },
        // The customer blocked the bot, the chat is gone, the message is
        // refused as it is: sending it again changes nothing.
        ApiFailure::Refused {
            code: code @ (400 | 403),
            description,
            ..
        } => SendFailure::Permanent(format!("Telegram refused it ({code}: {description})")),
        // 401/404 (a wrong token) and 5xx are ours or Telegram's to fix:
        // the message waits instead of being dropped.
        other => SendFailure::Retry {
            reason: other.to_string(),
            after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: u16, retry_after: Option<u64>) -> ApiFailure {
        ApiFailure::Refused {
            method: "sendMessage",
            code,
            description: "x".into(),
            retry_after,
        }
    }

    #[test]
    fn telegram_answers_map_to_the_retry_rules() {
        assert!(matches!(
            failure(refused(429, Some(7))),
            SendFailure::Retry { after: Some(d), .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            failure(refused(429, None)),
            SendFailure::Retry { after: Some(d), .. } if d == Duration::from_secs(1)
        ));
        assert!(matches!(
            failure(refused(403, None)),
            SendFailure::Permanent(_)
        ));
        assert!(matches!(
            failure(refused(400, None)),
            SendFailure::Permanent(_)
        ));
        assert!(matches!(
            failure(refused(401, None)),
            SendFailure::Retry { after: None, .. }
        ));
        assert!(matches!(
            failure(ApiFailure::Transport {
                method: "sendMessage",
                reason: "timeout".into()
            }),
            SendFailure::Retry { after: None, .. }
        ));
    }
}
