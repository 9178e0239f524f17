//! Email: the support mailbox read over IMAP, answers sent over SMTP,
//! threaded by signed tokens (docs/channels.md).
//!
//! - `parse.rs`: one raw mail → sender, thread headers, new text, files
//! - `mail.rs`: loop defence and thread clues → the inbox
//! - `tokens.rs`: the signed reply address and Message-IDs
//! - `imap.rs`: the mailbox reader (a worker)
//! - `compose.rs` + `smtp.rs`: our mail out (a `ChannelSender`)

pub mod compose;
pub mod imap;
pub mod mail;
pub mod parse;
pub mod smtp;
pub mod tokens;

use crate::channels::config::EmailConfig;
use crate::channels::inbox::ChannelInbox;
use crate::state::AppState;
use std::sync::Arc;

/// The parts of the email channel a configuration turns on.
pub struct Email {
    pub sender: Option<smtp::EmailSender>,
    pub reader: Option<imap::ImapReader>,
    pub handler: Arc<mail::MailHandler>,
}

impl Email {
    /// `None` when no support address is configured.
    pub async fn from_config(
        config: &EmailConfig,
        state: &AppState,
        inbox: Arc<ChannelInbox>,
    ) -> anyhow::Result<Option<Self>> {
        let Some(address) = config.address.as_deref() else {
            return Ok(None);
        };
        let mailbox = trustdesk_core::channel::email::normalise_address(address)
            .ok_or_else(|| anyhow::anyhow!("[channels.email] address is not an email address"))?;
        let keys = Arc::new(
            tokens::ThreadKeys::load(
                state.store.as_ref(),
                config.thread_secret.as_ref(),
                &mailbox,
                state.clock.now(),
            )
            .await?,
        );
        let handler = Arc::new(mail::MailHandler::new(
            inbox,
            keys.clone(),
            state.store.clone(),
            state.clock.clone(),
        ));
        let display_name = config
            .display_name
            .clone()
            .unwrap_or_else(|| "Support".into());
        let sender = config
            .smtp
            .as_ref()
            .map(|smtp| {
                smtp::EmailSender::new(smtp, keys.clone(), display_name, state.store.clone())
            })
            .transpose()?;
        let reader = config
            .imap
            .clone()
            .map(|imap| imap::ImapReader::new(imap, handler.clone(), state.leading.clone()));
        Ok(Some(Self {
            sender,
            reader,
            handler,
        }))
    }
}
