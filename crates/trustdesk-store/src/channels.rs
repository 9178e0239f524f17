//! What the channels beyond the widget keep: a customer's address on each
//! channel, the channel thread of a conversation with its delivery cursor,
//! the messages seen on a channel (inbound dedupe, email threading), the
//! readers' checkpoints and links between conversations.

use async_trait::async_trait;
use trustdesk_core::guard::GuardedText;
use trustdesk_core::{Channel, ConversationId, Customer, CustomerId, Timestamp};

use crate::Result;

/// A customer's address on a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelIdentity {
    pub channel: Channel,
    /// Lower-cased email address, Telegram user id.
    pub address: String,
    pub customer_id: CustomerId,
    /// The name the channel gave (screened by the secret guard).
    pub display_name: Option<GuardedText>,
    pub created_at: Timestamp,
}

/// Who wrote in on a channel, for [`ChannelStore::customer_for_address`].
#[derive(Clone, Debug)]
pub struct ChannelContact {
    pub channel: Channel,
    pub address: String,
    pub display_name: Option<GuardedText>,
    /// Kept as the new customer's email (email channel).
    pub email: Option<GuardedText>,
    pub at: Timestamp,
}

/// The channel a conversation lives on and how far its public events went
/// out to the customer there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelThread {
    pub conversation_id: ConversationId,
    pub channel: Channel,
    pub address: String,
    /// Every public event up to this seq was delivered (or skipped as not
    /// for this channel).
    pub delivered_seq: i64,
    pub updated_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "in",
            Direction::Outbound => "out",
        }
    }
}

/// One message seen on a channel, by its id there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelMessage {
    pub channel: Channel,
    /// An email Message-ID (without the angle brackets), a Telegram update
    /// id.
    pub external_id: String,
    /// `None` for a message that was seen but not stored (an auto-reply, a
    /// bounce without a thread).
    pub conversation_id: Option<ConversationId>,
    pub direction: Direction,
    pub at: Timestamp,
}

/// A conversation that continues another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationLink {
    pub conversation_id: ConversationId,
    pub linked_id: ConversationId,
    pub reason: String,
    pub at: Timestamp,
}

#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// The customer behind this address, created (customer and identity in
    /// one transaction) on first sight. `true` when it was created.
    async fn customer_for_address(&self, contact: &ChannelContact) -> Result<(Customer, bool)>;

    /// Gives a known customer an address (a verified widget customer's
    /// email, when their chat continues by email); `false`, changing
    /// nothing, when the address already belongs to someone.
    async fn add_channel_identity(&self, identity: &ChannelIdentity) -> Result<bool>;

    /// Every address the customer has used, oldest first.
    async fn channel_identities(&self, customer: CustomerId) -> Result<Vec<ChannelIdentity>>;

    /// Binds a conversation to its channel thread (delivery starts after
    /// `delivered_seq`); binding it again changes nothing.
    async fn bind_channel_thread(&self, thread: &ChannelThread) -> Result<()>;

    async fn channel_thread(&self, conversation: ConversationId) -> Result<Option<ChannelThread>>;

    /// Threads with events past their cursor, for the outbound catch-up at
    /// start.
    async fn lagging_channel_threads(&self) -> Result<Vec<ChannelThread>>;

    /// Moves the cursor forward to `seq` (never back).
    async fn advance_channel_thread(
        &self,
        conversation: ConversationId,
        seq: i64,
        at: Timestamp,
    ) -> Result<()>;

    /// Records a message; `false` (nothing written) when its id was seen
    /// before on that channel.
    async fn record_channel_message(&self, message: &ChannelMessage) -> Result<bool>;

    async fn channel_message(
        &self,
        channel: Channel,
        external_id: &str,
    ) -> Result<Option<ChannelMessage>>;

    /// The conversation's channel messages, oldest first (an email thread's
    /// References chain).
    async fn channel_messages_of(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<ChannelMessage>>;

    async fn checkpoint(&self, name: &str) -> Result<Option<String>>;

    async fn put_checkpoint(&self, name: &str, value: &str, at: Timestamp) -> Result<()>;

    async fn link_conversations(&self, link: &ConversationLink) -> Result<()>;

    /// Links from or to the conversation.
    async fn conversation_links(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<ConversationLink>>;
}
