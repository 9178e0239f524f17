//! `[channels]`: the ways in beyond the widget (docs/channels.md).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    /// Messages one address may send in a minute on any channel before
    /// the rest is dropped (a loop or a flood).
    pub inbound_per_address_per_minute: u32,
    pub email: EmailConfig,
    pub telegram: TelegramConfig,
}

impl ChannelsConfig {
    /// Whether any channel beyond the widget is configured (otherwise the
    /// delivery worker is not started and writes are not reported to it).
    pub fn any(&self) -> bool {
        self.email.address.is_some() || self.telegram.bot_token.is_some()
    }
}

impl Default for ChannelsConfig {
    fn default() -> Self {
        Self {
            inbound_per_address_per_minute: 10,
            email: EmailConfig::default(),
            telegram: TelegramConfig::default(),
        }
    }
}

/// The support mailbox: read over IMAP, answered over SMTP.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    /// The address customers write to (`support@exchange.example`).
    /// Replies go out from it with a signed reply address
    /// `support+<conversation>.<mac>@exchange.example`: the mail system
    /// must deliver plus-addresses to the same mailbox.
    pub address: Option<String>,
    /// The name on our mail ("Example Exchange Support").
    pub display_name: Option<String>,
    /// The key of the thread tokens; made and kept in the database when
    /// unset.
    #[serde(skip_serializing)]
    pub thread_secret: Option<SecretString>,
    pub imap: Option<ImapConfig>,
    pub smtp: Option<SmtpConfig>,
    /// A widget chat whose agent reply a verified customer has not
    /// answered for this long continues by email (transcript + reply
    /// link); 0 = never.
    pub continue_chat_after_ms: u64,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            address: None,
            display_name: None,
            thread_secret: None,
            imap: None,
            smtp: None,
            continue_chat_after_ms: 15 * 60_000,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (IMAP 993, SMTP 465).
    #[default]
    Implicit,
    /// Plain first, then STARTTLS, required (SMTP 587).
    Starttls,
    /// No TLS: only for a mail server on the same host.
    None,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// A PEM file of extra trusted roots (a self-signed server).
    pub ca_file: Option<PathBuf>,
    pub username: String,
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
    pub mailbox: String,
    /// How often to look for new mail when the server has no IDLE (and the
    /// longest an IDLE waits before it is renewed).
    pub poll_interval_ms: u64,
    /// Use IDLE when the server offers it.
    pub idle: bool,
    /// On the first connection, import the mail already in the mailbox
    /// (otherwise only what arrives from then on).
    pub import_existing: bool,
}

impl Default for ImapConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 993,
            tls: TlsMode::Implicit,
            ca_file: None,
            username: String::new(),
            password: None,
            mailbox: "INBOX".into(),
            poll_interval_ms: 60_000,
            idle: true,
            import_existing: false,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
    pub username: Option<String>,
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 465,
            tls: TlsMode::Implicit,
            ca_file: None,
            username: None,
            password: None,
        }
    }
}

/// How Telegram updates reach us.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    /// We ask (`getUpdates`): works behind NAT, no public URL needed.
    #[default]
    Polling,
    /// Telegram posts to `POST /v1/channels/telegram/webhook`.
    Webhook,
}

/// A Telegram bot customers write to (docs/channels.md). Off unless
/// `bot_token` is set.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    /// The token @BotFather gave. It is part of every Bot API URL, so it
    /// is never logged and no URL holding it is kept.
    #[serde(skip_serializing)]
    pub bot_token: Option<SecretString>,
    /// The Bot API's address (a local Bot API server, or a fake in tests).
    pub api_url: String,
    pub mode: TelegramMode,
    /// Webhook mode: Telegram sends it in `X-Telegram-Bot-Api-Secret-Token`
    /// (1–256 characters of `A-Z a-z 0-9 _ -`); required in that mode.
    #[serde(skip_serializing)]
    pub webhook_secret: Option<SecretString>,
    /// Webhook mode: when set, `setWebhook` is called with it at start
    /// (the public address of `/v1/channels/telegram/webhook`).
    pub webhook_url: Option<String>,
    /// Polling mode: how long one `getUpdates` waits for news (seconds).
    pub poll_timeout_s: u64,
    /// Messages sent per second across all chats (Telegram allows ~30).
    pub send_per_second: f64,
    /// Messages sent per second to one chat (Telegram allows ~1).
    pub send_per_chat_per_second: f64,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            bot_token: None,
            api_url: "https://api.telegram.org".into(),
            mode: TelegramMode::Polling,
            webhook_secret: None,
            webhook_url: None,
            poll_timeout_s: 50,
            send_per_second: 25.0,
            send_per_chat_per_second: 1.0,
        }
    }
}
