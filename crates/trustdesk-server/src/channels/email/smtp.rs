//! Sending our mail over SMTP (lettre): TLS implicit or STARTTLS, with the
//! configured extra roots for a self-signed server.

use super::compose::{self, Sender};
use super::tokens::ThreadKeys;
use crate::channels::config::{SmtpConfig, TlsMode};
use crate::channels::outbound::{ChannelSender, Outgoing, SendFailure, Sent};
use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use trustdesk_core::Channel;
use trustdesk_store::{Direction, Store};

pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    keys: Arc<ThreadKeys>,
    display_name: String,
    store: Arc<dyn Store>,
}

impl EmailSender {
    pub fn new(
        config: &SmtpConfig,
        keys: Arc<ThreadKeys>,
        display_name: String,
        store: Arc<dyn Store>,
    ) -> anyhow::Result<Self> {
        let tls = || -> anyhow::Result<TlsParameters> {
            let mut params = TlsParameters::builder(config.host.clone());
            if let Some(path) = &config.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                params = params.add_root_certificate(Certificate::from_pem(&pem)?);
            }
            Ok(params.build_rustls()?)
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(Duration::from_secs(30)));
        builder = match config.tls {
            TlsMode::Implicit => builder.tls(Tls::Wrapper(tls()?)),
            TlsMode::Starttls => builder.tls(Tls::Required(tls()?)),
            TlsMode::None => {
                tracing::warn!(host = %config.host, "SMTP without TLS: only for a mail server on this host");
                builder.tls(Tls::None)
            }
        };
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            keys,
            display_name,
            store,
        })
    }

    /// The thread's earlier Message-IDs, oldest first, ending with the
    /// newest mail from the customer when there is one (the one we answer).
    async fn thread_ids(&self, out: &Outgoing) -> Result<Vec<String>, SendFailure> {
        let messages = self.store.channel_messages_of(out.conversation.id).await?;
        let mut ids: Vec<String> = messages
            .iter()
            .filter(|m| m.channel == Channel::Email)
            .map(|m| m.external_id.clone())
            .filter(|id| echoable(id))
            .collect();
        if let Some(pos) = messages
            .iter()
            .rposition(|m| m.direction == Direction::Inbound && echoable(&m.external_id))
        {
            let answered = messages[pos].external_id.clone();
            ids.retain(|id| *id != answered);
            ids.push(answered);
        }
        Ok(ids)
    }
}

/// A stored id we may name in our headers: not one we made up for a mail
/// without a Message-ID, not the digest of one that held a secret.
fn echoable(id: &str) -> bool {
    !id.starts_with("no-id-") && !id.starts_with(crate::channels::inbox::HIDDEN_ID)
}

#[async_trait]
impl ChannelSender for EmailSender {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn send(&self, out: &Outgoing) -> Result<Sent, SendFailure> {
        let message_id = self.keys.message_id(out.conversation.id, out.event.seq);
        let sender = Sender {
            mailbox: self.keys.mailbox(),
            display_name: &self.display_name,
            reply_address: self.keys.reply_address(out.conversation.id),
            message_id: message_id.clone(),
            thread: self.thread_ids(out).await?,
        };
        let mail =
            compose::compose(out, &sender).map_err(|e| SendFailure::Permanent(e.to_string()))?;
        match self.transport.send(mail).await {
            Ok(_) => Ok(Sent {
                external_id: Some(message_id),
            }),
            Err(e) if e.is_permanent() => Err(SendFailure::Permanent(format!(
                "the mail server refused it ({})",
                e.status()
                    .map_or_else(|| "5xx".to_string(), |c| c.to_string())
            ))),
            Err(e) => Err(SendFailure::Retry {
                reason: e.to_string(),
                after: None,
            }),
        }
    }
}
