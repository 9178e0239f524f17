//! Channels beyond the widget: email and Telegram, each behind the same two
//! seams (docs/channels.md).
//!
//! - In: a channel turns what arrives into an [`inbox::Inbound`] and hands
//!   it to the [`inbox::ChannelInbox`], which maps the address to a
//!   customer and goes through `Conversations::open/post` like chat (the
//!   secret guard, triage, the bot, routing, SLA).
//! - Out: the [`outbound::OutboundWorker`] hears every write, reads the
//!   public events past each channel thread's cursor and sends them
//!   through the channel's [`outbound::ChannelSender`].

pub mod config;
pub mod email;
pub mod inbox;
pub mod outbound;
pub mod routes;
pub mod telegram;

use crate::state::AppState;
use crate::workers::Workers;
use std::sync::Arc;

pub use outbound::ChannelsHandle;

/// Starts the configured channels: their readers and the delivery worker.
pub async fn start(
    state: &AppState,
    workers: &mut Workers,
    activity: crate::bus::DeskWrites,
) -> anyhow::Result<()> {
    let config = &state.config.channels;
    if !config.any() {
        return Ok(());
    }
    let inbox = Arc::new(inbox::ChannelInbox::new(
        state.clone(),
        config.inbound_per_address_per_minute,
    ));
    let mut senders: Vec<Arc<dyn outbound::ChannelSender>> = Vec::new();
    if let Some(email) = email::Email::from_config(&config.email, state, inbox.clone()).await? {
        if let Some(sender) = email.sender {
            senders.push(Arc::new(sender));
        }
        if let Some(reader) = email.reader {
            workers.spawn(reader);
        }
    }
    let continue_after = Some(config.email.continue_chat_after_ms)
        .filter(|ms| *ms > 0)
        .map(std::time::Duration::from_millis);
    if let Some(telegram) =
        telegram::Telegram::from_config(&config.telegram, state, inbox.clone()).await?
    {
        senders.push(Arc::new(telegram.sender));
        if let Some(poller) = telegram.poller {
            workers.spawn(poller);
        }
    }
    workers.spawn(
        outbound::OutboundWorker::new(
            state.conversations.clone(),
            senders,
            state.channels.clone(),
            activity,
            state.leading.clone(),
        )
        .continue_chats_by_email_after(continue_after)
        .with_rating_links(state.rating_links.get().cloned()),
    );
    Ok(())
}
