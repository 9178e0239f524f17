//! The way in for every channel beyond the widget: a message from an
//! address becomes a customer message through the same service (guard,
//! triage, bot, routing, SLA) as chat.
//!
//! What a channel supplies is the message and its thread clues; the inbox
//! finds or creates the customer behind the address, decides the
//! conversation (`trustdesk_core::channel::email::plan_thread` for clues,
//! or the customer's open conversation on the channel for chats like
//! Telegram), posts or opens, shares the files, and records the message's
//! id so a second delivery of it changes nothing.
//!
//! A crash between the post and the record is harmless too: the message's
//! client id is derived from its channel id, so the store answers the
//! retry with the stored event instead of a second one.

use crate::auth::{Authenticated, Who};
use crate::conversations::{Conversations, Opening, Post};
use crate::error::{ApiError, ApiResult};
use crate::http::ratelimit::RateLimiter;
use crate::state::AppState;
use crate::trust::guard;
use sha2::{Digest, Sha256};
use trustdesk_core::channel::email::{Candidate, Clue, ThreadPlan, plan_thread};
use trustdesk_core::event::EventKind;
use trustdesk_core::guard::GuardedText;
use trustdesk_core::{
    Channel, ConversationId, ConversationStatus, Customer, Language, SessionId, Timestamp, triage,
    validate,
};
use trustdesk_store::{
    ChannelContact, ChannelMessage, ChannelThread, ConversationFilter, ConversationLink, Direction,
};

/// A message that arrived on a channel.
#[derive(Clone, Debug)]
pub struct Inbound {
    pub channel: Channel,
    /// The sender's address there (normalised: lower-cased email, numeric
    /// Telegram user id).
    pub address: String,
    /// The name the channel gave; screened before it is stored.
    pub display_name: Option<String>,
    /// The message's id on the channel, unique there.
    pub external_id: String,
    pub subject: Option<String>,
    pub body: String,
    pub language: Option<Language>,
    pub thread: ThreadHint,
    pub files: Vec<InboundFile>,
    pub kind: InboundKind,
}

/// How the conversation of a message is found.
#[derive(Clone, Debug)]
pub enum ThreadHint {
    /// Email: what the reply address and the message-id headers point at.
    Clues(Vec<(Clue, ConversationId)>),
    /// A chat (Telegram): the customer's open conversation on the channel,
    /// else a new one.
    Latest,
}

/// A person, or a machine that must never start or reopen anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboundKind {
    Person,
    /// An automatic answer, a list mail or a bounce: kept as an internal
    /// note on the conversation it is about, if any, with this label.
    Automatic {
        label: &'static str,
    },
}

#[derive(Clone, Debug)]
pub struct InboundFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What became of an inbound message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// Stored in this conversation; `opened` when it started it.
    Stored {
        conversation: ConversationId,
        opened: bool,
    },
    /// Seen before on this channel: nothing written.
    Duplicate,
    /// An automatic mail kept as a note (or dropped when it belongs to no
    /// conversation).
    Automatic {
        conversation: Option<ConversationId>,
    },
    /// Over the per-address cap: dropped.
    Throttled,
}

/// Most characters of an inbound body kept (the rest is cut with a mark).
const KEEP_CHARS: usize = validate::MAX_BODY_CHARS - 40;

pub struct ChannelInbox {
    state: AppState,
    per_address: RateLimiter<String>,
}

impl ChannelInbox {
    pub fn new(state: AppState, per_address_per_minute: u32) -> Self {
        Self {
            state,
            per_address: RateLimiter::local(per_address_per_minute.max(1)),
        }
    }

    fn conversations(&self) -> &Conversations {
        &self.state.conversations
    }

    fn now(&self) -> Timestamp {
        self.state.conversations.clock().now()
    }

    pub async fn receive(&self, message: Inbound) -> ApiResult<Received> {
        let store = &self.state.store;
        if store
            .channel_message(message.channel, &stored_message_id(&message.external_id))
            .await?
            .is_some()
        {
            return Ok(Received::Duplicate);
        }
        if !self
            .per_address
            .allow(format!("{}:{}", message.channel.as_str(), message.address))
            .await
        {
            tracing::warn!(
                channel = message.channel.as_str(),
                "inbound message over the per-address cap; dropped"
            );
            return Ok(Received::Throttled);
        }
        let received = match &message.kind {
            // A machine gets no customer record: its note goes beside the
            // conversation its strongest clue names, whoever owns it.
            InboundKind::Automatic { label } => {
                let target = self.strongest_clue(&message).await?;
                if let Some(id) = target {
                    self.note_automatic(id, label, &message).await?;
                }
                Received::Automatic {
                    conversation: target,
                }
            }
            InboundKind::Person => {
                let customer = self.customer(&message).await?;
                self.store_message(&customer, &message).await?
            }
        };
        if let Received::Automatic { conversation } = &received {
            self.record(&message, *conversation).await?;
        }
        Ok(received)
    }

    async fn record(
        &self,
        message: &Inbound,
        conversation: Option<ConversationId>,
    ) -> ApiResult<()> {
        self.state
            .store
            .record_channel_message(&ChannelMessage {
                channel: message.channel,
                external_id: stored_message_id(&message.external_id),
                conversation_id: conversation,
                direction: Direction::Inbound,
                at: self.now(),
            })
            .await?;
        Ok(())
    }

    async fn customer(&self, message: &Inbound) -> ApiResult<Customer> {
        let name = message
            .display_name
            .as_deref()
            .map(|n| {
                n.trim()
                    .chars()
                    .take(validate::MAX_NAME_CHARS)
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty())
            .map(|n| GuardedText::new(&n));
        let email = (message.channel == Channel::Email).then(|| GuardedText::new(&message.address));
        let (customer, _created) = self
            .state
            .store
            .customer_for_address(&ChannelContact {
                channel: message.channel,
                address: message.address.clone(),
                display_name: name,
                email,
                at: self.now(),
            })
            .await?;
        Ok(customer)
    }

    async fn strongest_clue(&self, message: &Inbound) -> ApiResult<Option<ConversationId>> {
        let ThreadHint::Clues(clues) = &message.thread else {
            return Ok(None);
        };
        let mut ordered = clues.clone();
        ordered.sort_by_key(|(clue, _)| *clue);
        for (_, id) in ordered {
            match self.state.store.get_conversation(id).await {
                Ok(c) => return Ok(Some(c.id)),
                Err(trustdesk_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    async fn thread_of(&self, customer: &Customer, message: &Inbound) -> ApiResult<ThreadPlan> {
        match &message.thread {
            ThreadHint::Clues(clues) => {
                let mut candidates = Vec::new();
                for (clue, id) in clues {
                    match self.state.store.get_conversation(*id).await {
                        Ok(c) => candidates.push(Candidate {
                            clue: *clue,
                            conversation: c.id,
                            owner: c.customer_id,
                            closed: c.status == ConversationStatus::Closed,
                        }),
                        Err(trustdesk_store::StoreError::NotFound) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(plan_thread(customer.id, &candidates))
            }
            ThreadHint::Latest => {
                let open = self
                    .state
                    .store
                    .list_conversations(&ConversationFilter {
                        statuses: vec![
                            ConversationStatus::Open,
                            ConversationStatus::Pending,
                            ConversationStatus::Snoozed,
                            ConversationStatus::Resolved,
                        ],
                        customer_id: Some(customer.id),
                        limit: 20,
                        ..Default::default()
                    })
                    .await?;
                let latest = open
                    .iter()
                    .filter(|c| c.channel == message.channel)
                    .max_by_key(|c| c.updated_at);
                Ok(match latest {
                    Some(c) => ThreadPlan::Continue(c.id),
                    None => ThreadPlan::Open { linked: None },
                })
            }
        }
    }

    async fn store_message(&self, customer: &Customer, message: &Inbound) -> ApiResult<Received> {
        let who = as_customer(customer);
        let client_msg_id = client_id(message.channel, &message.external_id);
        let body = keep(&message.body);
        let plan = self.thread_of(customer, message).await?;
        let (conversation, opened) = match plan {
            ThreadPlan::Continue(id) => {
                if !body.is_empty() {
                    self.conversations()
                        .post(
                            &who,
                            id,
                            Post {
                                client_msg_id: Some(client_msg_id),
                                body,
                                internal: false,
                                guard_override: None,
                            },
                        )
                        .await?;
                }
                (id, false)
            }
            ThreadPlan::Open { linked } => {
                let subject = message
                    .subject
                    .as_deref()
                    .map(|s| {
                        s.trim()
                            .chars()
                            .take(validate::MAX_SUBJECT_CHARS)
                            .collect::<String>()
                    })
                    .filter(|s| !s.is_empty());
                let body = if body.is_empty() {
                    subject.clone().unwrap_or_else(|| "(no text)".into())
                } else {
                    body
                };
                let created = self
                    .conversations()
                    .open(
                        customer.id,
                        Opening {
                            subject,
                            body: Some(body),
                            client_msg_id: Some(client_msg_id),
                            language: message.language,
                            channel: Some(message.channel),
                        },
                    )
                    .await?;
                let id = created.conversation.id;
                if let Some((older, reason)) = linked {
                    self.state
                        .store
                        .link_conversations(&ConversationLink {
                            conversation_id: id,
                            linked_id: older,
                            reason: reason.as_str().into(),
                            at: self.now(),
                        })
                        .await?;
                }
                (id, true)
            }
        };
        // Recorded before the thread is bound (delivery cannot start before
        // that), so our answer names this message in In-Reply-To.
        self.record(message, Some(conversation)).await?;
        // Replies go back where the customer wrote from (binding again
        // keeps the first address).
        self.state
            .store
            .bind_channel_thread(&ChannelThread {
                conversation_id: conversation,
                channel: message.channel,
                address: message.address.clone(),
                delivered_seq: 0,
                updated_at: self.now(),
            })
            .await?;
        for file in &message.files {
            match crate::attachments::service::attach(
                &self.state,
                &who,
                conversation,
                &file.name,
                &file.bytes,
            )
            .await
            {
                Ok(_) => {}
                Err(err @ (ApiError::TooLarge | ApiError::UnsupportedType(_))) => {
                    tracing::info!(error = %err, "inbound file refused");
                    let text = format!(
                        "A file sent by the customer was not accepted ({}).",
                        err.code()
                    );
                    self.conversations()
                        .system_event(conversation, EventKind::Note { body: text })
                        .await?;
                }
                Err(err) => return Err(err),
            }
        }
        self.state.channels.poke(conversation);
        Ok(Received::Stored {
            conversation,
            opened,
        })
    }

    /// An automatic mail as an internal note: agents see it, nothing is
    /// reopened, nobody is answered. Its text passes the guard first.
    async fn note_automatic(
        &self,
        id: ConversationId,
        label: &str,
        message: &Inbound,
    ) -> ApiResult<()> {
        let subject = message.subject.as_deref().unwrap_or("");
        let raw = format!("{label}: {subject}\n\n{}", keep(&message.body));
        let screened = guard::screen_customer_text(&raw, triage::detect_language(&raw));
        let body = keep(screened.text.as_str());
        self.conversations()
            .system_event(id, EventKind::Note { body })
            .await?;
        Ok(())
    }
}

/// A customer acting through a channel (no session: the channel's own
/// authentication stands for it).
pub fn as_customer(customer: &Customer) -> Authenticated {
    Authenticated {
        session_id: SessionId(uuid::Uuid::nil()),
        who: Who::Customer(customer.id),
        api_scopes: None,
    }
}

/// The client id of a channel message: stable for the same message, so a
/// re-import is answered with the stored event.
pub fn client_id(channel: Channel, external_id: &str) -> String {
    let digest = Sha256::digest(format!("{}:{external_id}", channel.as_str()).as_bytes());
    format!("ch-{}", &hex::encode(digest)[..24])
}

/// How a message id from a channel is stored and looked up: as given, or,
/// when the secret guard finds something in it (a private key as a
/// Message-ID is a customer field like any other), as a digest. The same
/// id always maps to the same key, so dedupe and thread lookups still
/// work; a digested id is never echoed back in a header.
pub fn stored_message_id(external_id: &str) -> String {
    if trustdesk_core::guard::scan(external_id).is_empty() {
        external_id.to_owned()
    } else {
        let digest = Sha256::digest(external_id.as_bytes());
        format!("{HIDDEN_ID}{}", &hex::encode(digest)[..32])
    }
}

/// The prefix of a digested message id.
pub const HIDDEN_ID: &str = "hidden-";

/// The body, trimmed and cut to what a message may hold.
fn keep(body: &str) -> String {
    let body = body.trim();
    if body.chars().count() <= KEEP_CHARS {
        return body.to_owned();
    }
    let mut cut: String = body.chars().take(KEEP_CHARS).collect();
    cut.push_str("\n[… message shortened]");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_stable_valid_and_never_look_secret() {
        let a = client_id(Channel::Email, "CAF123@mail.gmail.com");
        assert_eq!(a, client_id(Channel::Email, "CAF123@mail.gmail.com"));
        assert_ne!(a, client_id(Channel::Telegram, "CAF123@mail.gmail.com"));
        for i in 0..2000 {
            let id = client_id(Channel::Telegram, &i.to_string());
            assert!(validate::client_msg_id(&id).is_ok(), "{id}");
        }
    }

    #[test]
    fn message_ids_holding_a_secret_are_stored_as_a_digest() {
        let wif = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ@x.io";
        let stored = stored_message_id(wif);
        assert!(
            stored.starts_with(HIDDEN_ID) && !stored.contains("5HueCGU8"),
            "{stored}"
        );
        assert_eq!(stored, stored_message_id(wif), "the same key every time");
        assert_eq!(
            stored_message_id("CAF-1@mail.gmail.com"),
            "CAF-1@mail.gmail.com"
        );
    }

    #[test]
    fn long_bodies_are_cut_to_what_a_message_holds() {
        let long = "a".repeat(validate::MAX_BODY_CHARS * 2);
        let kept = keep(&long);
        assert!(validate::body(&kept).is_ok());
        assert!(kept.ends_with("shortened]"));
        assert_eq!(keep("  hi \n"), "hi");
    }
}
