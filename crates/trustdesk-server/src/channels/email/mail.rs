//! One inbound mail → the inbox: loop defence, thread clues, the message.
//! Shared by every way mail comes in (the IMAP reader today).

use super::parse::{ParsedMail, parse};
use super::tokens::ThreadKeys;
use crate::channels::inbox::{
    ChannelInbox, Inbound, InboundKind, Received, ThreadHint, stored_message_id,
};
use crate::error::ApiError;
use std::sync::Arc;
use trustdesk_core::channel::email::{Clue, SenderKind};
use trustdesk_core::{Channel, ConversationId, Timestamp};
use trustdesk_store::Store;

pub struct MailHandler {
    inbox: Arc<ChannelInbox>,
    keys: Arc<ThreadKeys>,
    store: Arc<dyn Store>,
    clock: Arc<crate::clock::ServerClock>,
}

/// What became of one mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handled {
    Received(Received),
    /// Not a mail we can read, or one of our own.
    Skipped(&'static str),
}

impl MailHandler {
    pub fn new(
        inbox: Arc<ChannelInbox>,
        keys: Arc<ThreadKeys>,
        store: Arc<dyn Store>,
        clock: Arc<crate::clock::ServerClock>,
    ) -> Self {
        Self {
            inbox,
            keys,
            store,
            clock,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Handles one raw mail. Errors are only those worth a retry (the
    /// store is unavailable); a mail that cannot be used is skipped.
    pub async fn handle(&self, raw: &[u8]) -> anyhow::Result<Handled> {
        let Some(mail) = parse(raw) else {
            tracing::info!("a mail that cannot be parsed was skipped");
            return Ok(Handled::Skipped("unparsable"));
        };
        let Some(from) = mail.from_address.clone() else {
            return Ok(Handled::Skipped("no sender"));
        };
        if self.is_ours(&from) {
            return Ok(Handled::Skipped("our own mail"));
        }
        if !trustdesk_core::guard::scan(&from).is_empty() {
            // An address we would have to store and answer to as it is.
            return Ok(Handled::Skipped("the sender's address holds a secret"));
        }
        let kind = match mail.sender {
            SenderKind::Person => InboundKind::Person,
            SenderKind::AutoReply => InboundKind::Automatic {
                label: "Automatic reply received",
            },
            SenderKind::Bulk => InboundKind::Automatic {
                label: "Bulk mail received",
            },
            SenderKind::Bounce => InboundKind::Automatic {
                label: "Delivery failure reported",
            },
        };
        let clues = self.clues(&mail).await?;
        let inbound = Inbound {
            channel: Channel::Email,
            address: from,
            display_name: mail.from_name.clone(),
            external_id: mail.message_id.clone(),
            subject: mail.subject.clone(),
            body: mail.text.clone(),
            language: None,
            thread: ThreadHint::Clues(clues),
            files: mail.files.clone(),
            kind,
        };
        match self.inbox.receive(inbound).await {
            Ok(received) => Ok(Handled::Received(received)),
            Err(err @ (ApiError::Internal(_) | ApiError::Overloaded { .. })) => {
                Err(anyhow::anyhow!("mail not stored yet: {err}"))
            }
            Err(err) => {
                tracing::info!(code = err.code(), "a mail was refused and skipped");
                Ok(Handled::Skipped("refused"))
            }
        }
    }

    /// Our own address or one of its plus-addresses.
    fn is_ours(&self, address: &str) -> bool {
        let mailbox = self.keys.mailbox();
        let (base, domain) = mailbox.rsplit_once('@').unwrap_or((mailbox, ""));
        let Some((local, their_domain)) = address.rsplit_once('@') else {
            return false;
        };
        their_domain == domain && (local == base || local.starts_with(&format!("{base}+")))
    }

    async fn clues(&self, mail: &ParsedMail) -> anyhow::Result<Vec<(Clue, ConversationId)>> {
        let mut clues = Vec::new();
        for recipient in &mail.recipients {
            if let Some(id) = self.keys.conversation_of_address(recipient) {
                clues.push((Clue::ReplyAddress, id));
            }
        }
        for id in &mail.referenced {
            if let Some(conversation) = self.keys.conversation_of_message_id(id) {
                clues.push((Clue::OurMessageId, conversation));
            } else if let Some(known) = self
                .store
                .channel_message(Channel::Email, &stored_message_id(id))
                .await?
                && let Some(conversation) = known.conversation_id
            {
                clues.push((Clue::KnownMessageId, conversation));
            }
        }
        if mail.sender == SenderKind::Bounce {
            for conversation in self.keys.conversations_quoted_in(&mail.raw_text) {
                clues.push((Clue::OurMessageId, conversation));
            }
        }
        Ok(clues)
    }
}
