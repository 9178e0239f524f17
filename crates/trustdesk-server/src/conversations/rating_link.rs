//! CSAT by link: the signed link that lets a customer of a channel
//! without our widget (email, Telegram) rate a resolved conversation.
//!
//! `{public_url}/rate/{conversation}.{expires_ms}.{mac}`: the MAC is
//! HMAC-SHA256 (128 bits, hex) over the conversation and the expiry, with
//! a key made on first start and kept in the store (every node shares
//! it). The link proves nothing but "the customer of this conversation
//! was sent this": it can rate the conversation, once per resolution,
//! and nothing else. Links last 30 days.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use trustdesk_core::{ConversationId, Language, Timestamp};
use trustdesk_store::Store;

const KEY_CHECKPOINT: &str = "rating.link_key";
const VALID_MS: i64 = 30 * 24 * 3_600_000;
/// Hex digits of the MAC kept in a link.
const MAC_HEX: usize = 32;

pub struct RatingLinks {
    key: Vec<u8>,
    /// `https://support.exchange.example`, without a trailing slash.
    base: String,
}

impl RatingLinks {
    pub fn new(key: &[u8], public_url: &str) -> Self {
        Self {
            key: key.to_vec(),
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The links of this desk: the key kept in the store (made now when
    /// there is none).
    pub async fn load(store: &dyn Store, public_url: &str, now: Timestamp) -> anyhow::Result<Self> {
        let key = match store.checkpoint(KEY_CHECKPOINT).await? {
            Some(key) => key,
            None => {
                let fresh = hex::encode(rand::random::<[u8; 32]>());
                store.put_checkpoint(KEY_CHECKPOINT, &fresh, now).await?;
                // Another node may have stored its own meanwhile: everyone
                // uses what the store kept.
                store.checkpoint(KEY_CHECKPOINT).await?.unwrap_or(fresh)
            }
        };
        Ok(Self::new(key.as_bytes(), public_url))
    }

    fn mac(&self, conversation: ConversationId, expires: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("rate:{conversation}:{expires}").as_bytes());
        hex::encode(mac.finalize().into_bytes())[..MAC_HEX].to_owned()
    }

    /// The token of a link made at `now`.
    pub fn token(&self, conversation: ConversationId, now: Timestamp) -> String {
        let expires = now.0 + VALID_MS;
        format!(
            "{conversation}.{expires}.{}",
            self.mac(conversation, expires)
        )
    }

    pub fn link(&self, conversation: ConversationId, now: Timestamp) -> String {
        format!("{}/rate/{}", self.base, self.token(conversation, now))
    }

    /// The conversation a token may rate, if it is ours and not expired.
    pub fn check(&self, token: &str, now: Timestamp) -> Option<ConversationId> {
        let mut parts = token.splitn(3, '.');
        let conversation: ConversationId = parts.next()?.parse().ok()?;
        let expires: i64 = parts.next()?.parse().ok()?;
        let given = parts.next()?;
        let wanted = self.mac(conversation, expires);
        let same: bool = subtle::ConstantTimeEq::ct_eq(given.as_bytes(), wanted.as_bytes()).into();
        (same && now.0 < expires).then_some(conversation)
    }

    /// What the customer is sent when the conversation is resolved.
    pub fn invitation(
        &self,
        conversation: ConversationId,
        language: Language,
        now: Timestamp,
    ) -> String {
        let link = self.link(conversation, now);
        match language {
            Language::Zh => format!("您的问题已解决。请花几秒钟为本次服务评分：{link}"),
            _ => format!("Your request is resolved. How did we do? Rate this conversation: {link}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_its_conversation_only_until_it_expires() {
        let links = RatingLinks::new(b"k", "https://support.example/");
        let id = ConversationId::new();
        let now = Timestamp(1_000);
        let token = links.token(id, now);
        assert_eq!(links.check(&token, now), Some(id));
        assert_eq!(
            links.check(&token, Timestamp(now.0 + VALID_MS - 1)),
            Some(id)
        );
        assert_eq!(
            links.check(&token, Timestamp(now.0 + VALID_MS)),
            None,
            "expired"
        );
        assert!(
            links
                .link(id, now)
                .starts_with("https://support.example/rate/")
        );
        // Another conversation, a later expiry or another key: refused.
        let other = ConversationId::new();
        assert_eq!(
            links.check(&token.replacen(&id.to_string(), &other.to_string(), 1), now),
            None
        );
        let (head, mac) = token.rsplit_once('.').unwrap();
        let (conv, expires) = head.split_once('.').unwrap();
        let later: i64 = expires.parse::<i64>().unwrap() + 1;
        assert_eq!(links.check(&format!("{conv}.{later}.{mac}"), now), None);
        assert_eq!(
            RatingLinks::new(b"other", "https://x").check(&token, now),
            None
        );
        assert_eq!(links.check("nonsense", now), None);
    }
}
