//! The signed tokens that thread our mail: the per-conversation reply
//! address (`support+<conversation>.<mac>@…`) and our Message-IDs
//! (`td.<conversation>.<seq>.<mac>@…`). The MAC (HMAC-SHA256, 64 bits)
//! makes them unforgeable: an address or id made up by someone else
//! threads nowhere, so nobody can write into a conversation by guessing
//! its id.
//!
//! The key is `[channels.email] thread_secret` when set; otherwise one is
//! made on first start and kept in the store, so every node shares it.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use trustdesk_core::ConversationId;
use trustdesk_core::channel::email::{
    self as rules, MAC_HEX, message_id_payload, reply_address_payload,
};
use trustdesk_store::Store;

const KEY_CHECKPOINT: &str = "email.thread_key";

pub struct ThreadKeys {
    key: Vec<u8>,
    /// Our mailbox, `support@exchange.example`.
    mailbox: String,
    domain: String,
}

impl ThreadKeys {
    pub fn new(key: &[u8], mailbox: &str) -> Self {
        let domain = mailbox.rsplit_once('@').map_or("", |(_, d)| d).to_owned();
        Self {
            key: key.to_vec(),
            mailbox: mailbox.to_ascii_lowercase(),
            domain,
        }
    }

    /// The configured key, or the one kept in the store (made now when
    /// there is none).
    pub async fn load(
        store: &dyn Store,
        configured: Option<&SecretString>,
        mailbox: &str,
        now: trustdesk_core::Timestamp,
    ) -> anyhow::Result<Self> {
        if let Some(secret) = configured {
            return Ok(Self::new(secret.expose_secret().as_bytes(), mailbox));
        }
        let stored = store.checkpoint(KEY_CHECKPOINT).await?;
        let key = match stored {
            Some(hex_key) => hex_key,
            None => {
                let fresh = hex::encode(rand::random::<[u8; 32]>());
                store.put_checkpoint(KEY_CHECKPOINT, &fresh, now).await?;
                // Another node may have stored its own at the same time:
                // everyone uses what the store kept.
                store.checkpoint(KEY_CHECKPOINT).await?.unwrap_or(fresh)
            }
        };
        Ok(Self::new(key.as_bytes(), mailbox))
    }

    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    fn sign(&self, payload: &str) -> String {
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..MAC_HEX / 2])
    }

    fn verify(&self, payload: &str, claimed: &str) -> bool {
        let Ok(bytes) = hex::decode(claimed) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        // Constant time, on the truncated tag.
        bytes.len() == MAC_HEX / 2 && mac.verify_truncated_left(&bytes).is_ok()
    }

    pub fn reply_address(&self, conversation: ConversationId) -> String {
        let mac = self.sign(&reply_address_payload(conversation));
        rules::reply_address(&self.mailbox, conversation, &mac)
    }

    pub fn message_id(&self, conversation: ConversationId, seq: i64) -> String {
        let mac = self.sign(&message_id_payload(conversation, seq));
        rules::message_id(&self.domain, conversation, seq, &mac)
    }

    /// The conversation a recipient address is the signed reply address
    /// of.
    pub fn conversation_of_address(&self, address: &str) -> Option<ConversationId> {
        let (conversation, mac) = rules::parse_reply_address(&self.mailbox, address)?;
        self.verify(&reply_address_payload(conversation), &mac)
            .then_some(conversation)
    }

    /// The conversation one of our signed Message-IDs belongs to.
    pub fn conversation_of_message_id(&self, id: &str) -> Option<ConversationId> {
        let (conversation, seq, mac) = rules::parse_message_id(id)?;
        self.verify(&message_id_payload(conversation, seq), &mac)
            .then_some(conversation)
    }

    /// Our Message-IDs quoted anywhere in `text` (a bounce carries the
    /// failed mail's headers in its body).
    pub fn conversations_quoted_in(&self, text: &str) -> Vec<ConversationId> {
        let mut found = Vec::new();
        for (start, _) in text.match_indices("td.") {
            let token: String = text[start..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, '>' | '<' | '"' | ';' | ','))
                .collect();
            if let Some(id) = self.conversation_of_message_id(&token)
                && !found.contains(&id)
            {
                found.push(id);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_key_and_conversation() {
        let keys = ThreadKeys::new(b"k1", "Support@Ex.com");
        let other = ThreadKeys::new(b"k2", "support@ex.com");
        let conv = ConversationId::new();
        let address = keys.reply_address(conv);
        assert!(address.starts_with("support+"), "{address}");
        assert_eq!(keys.conversation_of_address(&address), Some(conv));
        assert_eq!(other.conversation_of_address(&address), None);
        let forged = address.replace(
            &conv.0.simple().to_string(),
            &ConversationId::new().0.simple().to_string(),
        );
        assert_eq!(keys.conversation_of_address(&forged), None);
        let id = keys.message_id(conv, 4);
        assert_eq!(
            keys.conversation_of_message_id(&format!("<{id}>")),
            Some(conv)
        );
        assert_eq!(other.conversation_of_message_id(&id), None);
        let tampered = id.replacen(".4.", ".5.", 1);
        assert_eq!(keys.conversation_of_message_id(&tampered), None);
        let bounce = format!("Original-Message-ID: <{id}>\r\nIn-Reply-To: <td.junk>");
        assert_eq!(keys.conversations_quoted_in(&bounce), vec![conv]);
    }
}
