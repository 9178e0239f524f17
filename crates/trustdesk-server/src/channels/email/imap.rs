//! Reading the support mailbox over IMAP (async-imap): TLS, IDLE where the
//! server offers it (polling otherwise), and a checkpoint per mailbox —
//! UIDVALIDITY and the last imported UID, stored after every mail — so a
//! restart neither imports a mail twice nor skips one. If the server
//! renumbers the mailbox (a new UIDVALIDITY), everything is read again and
//! the Message-ID dedupe drops what was already imported.
//!
//! Mail is read with `BODY.PEEK[]`: trustdesk never changes flags, so the
//! mailbox can still be read by people.

use super::mail;
use crate::channels::config::{ImapConfig, TlsMode};
use crate::workers::Worker;
use anyhow::Context;
use futures_util::StreamExt;
use secrecy::ExposeSecret;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Stream for T {}

type Session = async_imap::Session<Box<dyn Stream>>;

pub struct ImapReader {
    config: ImapConfig,
    handler: Arc<mail::MailHandler>,
    /// Only the leading node reads the mailbox (`leader.rs`).
    leading: watch::Receiver<bool>,
}

impl ImapReader {
    pub fn new(
        config: ImapConfig,
        handler: Arc<mail::MailHandler>,
        leading: watch::Receiver<bool>,
    ) -> Self {
        Self {
            config,
            handler,
            leading,
        }
    }

    fn checkpoint_name(&self) -> String {
        let c = &self.config;
        format!("imap:{}@{}:{}/{}", c.username, c.host, c.port, c.mailbox)
    }

    async fn connect(&self) -> anyhow::Result<Session> {
        let c = &self.config;
        let tcp = tokio::time::timeout(
            Duration::from_secs(30),
            TcpStream::connect((c.host.as_str(), c.port)),
        )
        .await
        .context("IMAP connect timed out")?
        .with_context(|| format!("cannot connect to {}:{}", c.host, c.port))?;
        let stream: Box<dyn Stream> = match c.tls {
            TlsMode::Implicit => {
                let connector = TlsConnector::from(Arc::new(tls_config(c)?));
                let name = ServerName::try_from(c.host.clone()).context("bad IMAP host name")?;
                Box::new(connector.connect(name, tcp).await.context("IMAP TLS")?)
            }
            TlsMode::Starttls => anyhow::bail!(
                "IMAP over STARTTLS is not supported: use tls = \"implicit\" (port 993)"
            ),
            TlsMode::None => {
                tracing::warn!(host = %c.host, "IMAP without TLS: only for a mail server on this host");
                Box::new(tcp)
            }
        };
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.context("no IMAP greeting")?;
        let password = c
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default();
        let session = client
            .login(&c.username, password)
            .await
            .map_err(|(e, _)| anyhow::anyhow!("IMAP login refused: {e}"))?;
        Ok(session)
    }

    /// One connection: import, then wait for more (IDLE or a poll), until
    /// shutdown, the end of this node's lead, or an error.
    async fn session(&self, shutdown: &mut watch::Receiver<bool>) -> anyhow::Result<()> {
        let mut leading = self.leading.clone();
        let mut session = self.connect().await?;
        let idle = self.config.idle
            && session
                .capabilities()
                .await
                .map(|caps| caps.has_str("IDLE"))
                .unwrap_or(false);
        let poll = Duration::from_millis(self.config.poll_interval_ms.clamp(1_000, 29 * 60_000));
        tracing::info!(mailbox = %self.config.mailbox, idle, "reading the support mailbox");
        loop {
            let mailbox = session.select(&self.config.mailbox).await?;
            let validity = mailbox.uid_validity.unwrap_or(0);
            let next = mailbox.uid_next.unwrap_or(1);
            self.import(&mut session, validity, next).await?;
            if *shutdown.borrow() {
                let _ = session.logout().await;
                return Ok(());
            }
            if idle {
                let mut handle = session.idle();
                handle.init().await?;
                let (wait, stop) = handle.wait_with_timeout(poll);
                tokio::select! {
                    result = wait => { result?; }
                    _ = shutdown.changed() => { drop(stop); return Ok(()); }
                    _ = async { let _ = leading.wait_for(|l| !*l).await; } => { drop(stop); return Ok(()); }
                }
                session = handle.done().await?;
            } else {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.changed() => { let _ = session.logout().await; return Ok(()); }
                    _ = async { let _ = leading.wait_for(|l| !*l).await; } => { let _ = session.logout().await; return Ok(()); }
                }
            }
        }
    }

    async fn import(&self, session: &mut Session, validity: u32, next: u32) -> anyhow::Result<()> {
        let store = self.handler.store();
        let name = self.checkpoint_name();
        let saved = store
            .checkpoint(&name)
            .await?
            .and_then(|v| parse_checkpoint(&v));
        let mut last = match saved {
            Some((v, last)) if v == validity => last,
            Some(_) => {
                tracing::warn!(mailbox = %self.config.mailbox, "the mailbox was renumbered (UIDVALIDITY); reading it again");
                0
            }
            None if self.config.import_existing => 0,
            None => next.saturating_sub(1),
        };
        let now = || self.handler.now();
        if saved.is_none_or(|(v, l)| v != validity || l != last) {
            store
                .put_checkpoint(&name, &format!("{validity}:{last}"), now())
                .await?;
        }
        if next <= last + 1 {
            return Ok(());
        }
        let mut fetched = Vec::new();
        {
            let mut stream = session
                .uid_fetch(format!("{}:*", last + 1), "(UID BODY.PEEK[])")
                .await?;
            while let Some(item) = stream.next().await {
                let item = item?;
                if let (Some(uid), Some(body)) = (item.uid, item.body())
                    && uid > last
                {
                    fetched.push((uid, body.to_vec()));
                }
            }
        }
        fetched.sort_by_key(|(uid, _)| *uid);
        for (uid, raw) in fetched {
            // A store failure stops here without moving the checkpoint:
            // the mail is read again on the next pass.
            self.handler.handle(&raw).await?;
            last = uid;
            store
                .put_checkpoint(&name, &format!("{validity}:{last}"), now())
                .await?;
        }
        Ok(())
    }
}

impl Worker for ImapReader {
    const NAME: &'static str = "imap reader";

    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_secs(1);
        let mut leading = self.leading.clone();
        loop {
            if !crate::leader::until_leading(&mut leading, &mut shutdown).await {
                return;
            }
            match self.session(&mut shutdown).await {
                // Shutdown, or the lead moved to another node.
                Ok(()) => continue,
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "IMAP session ended; reconnecting");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(60));
        }
    }
}

fn tls_config(c: &ImapConfig) -> anyhow::Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &c.ca_file {
        for cert in CertificateDer::pem_file_iter(path)
            .with_context(|| format!("cannot read {}", path.display()))?
        {
            roots.add(cert.context("bad certificate in the CA file")?)?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn parse_checkpoint(value: &str) -> Option<(u32, u32)> {
    let (validity, last) = value.split_once(':')?;
    Some((validity.parse().ok()?, last.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_read_back() {
        assert_eq!(parse_checkpoint("1700000000:42"), Some((1_700_000_000, 42)));
        assert_eq!(parse_checkpoint("x:1"), None);
        assert_eq!(parse_checkpoint("12"), None);
    }
}
