//! Signed outbound webhooks, safe against SSRF.
//!
//! Every request carries `X-Trustdesk-Event-Id` (unique: the receiver
//! drops repeats), `X-Trustdesk-Timestamp` (Unix seconds: the receiver
//! refuses stale ones) and `X-Trustdesk-Signature: v1=<hex HMAC-SHA256 of
//! "<timestamp>.<body>">`. Delivery is retried with exponential backoff.
//!
//! The target host is resolved once, every address is checked (no
//! loopback, private, link-local, unspecified or multicast targets unless
//! allowed in config), and the connection is pinned to the checked address
//! so a second DNS answer cannot point it elsewhere. Redirects are not
//! followed.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub fn sign(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// True for addresses a server-side request must not reach by default.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64/10 carrier NAT
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// Resolves the URL's host and returns the address to connect to, or why
/// the target is refused.
pub async fn checked_target(
    url: &reqwest::Url,
    allow_internal: bool,
) -> Result<(String, SocketAddr), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https targets".into());
    }
    let host = url.host_str().ok_or("no host")?.to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|_| "the host does not resolve".to_string())?
        .collect();
    if addrs.is_empty() {
        return Err("the host does not resolve".into());
    }
    if !allow_internal && addrs.iter().any(|a| is_internal(a.ip())) {
        return Err("the target is an internal address".into());
    }
    Ok((host, addrs[0]))
}

#[derive(Clone)]
pub struct SignedWebhook {
    pub url: String,
    pub secret: SecretString,
    pub max_attempts: u32,
    pub allow_internal: bool,
    /// First retry delay; doubles each time.
    pub backoff: Duration,
}

impl SignedWebhook {
    /// Delivers `body` until a 2xx answer or the attempts run out. Returns
    /// the final status code, or why it failed.
    pub async fn deliver(&self, event_id: &str, body: &serde_json::Value) -> Result<u16, String> {
        let url =
            reqwest::Url::parse(&self.url).map_err(|_| "the webhook URL is invalid".to_string())?;
        let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let mut delay = self.backoff;
        let mut last = String::new();
        for attempt in 1..=self.max_attempts.max(1) {
            match self.attempt(&url, event_id, &bytes).await {
                Ok(status) if (200..300).contains(&status) => return Ok(status),
                Ok(status) => last = format!("HTTP {status}"),
                Err(e) => last = e,
            }
            tracing::warn!(attempt, error = %last, "webhook delivery failed");
            if attempt < self.max_attempts {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
        }
        Err(last)
    }

    async fn attempt(
        &self,
        url: &reqwest::Url,
        event_id: &str,
        body: &[u8],
    ) -> Result<u16, String> {
        let (host, addr) = checked_target(url, self.allow_internal).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .resolve(&host, addr)
            .build()
            .map_err(|e| e.to_string())?;
        // The wall clock on purpose, not the server clock: the receiver
        // checks this signed timestamp against its own clock to refuse
        // replays.
        let timestamp = trustdesk_core::Timestamp::now().as_millis() / 1000;
        let response = client
            .post(url.clone())
            .header("content-type", "application/json")
            .header("x-trustdesk-event-id", event_id)
            .header("x-trustdesk-timestamp", timestamp.to_string())
            .header("x-trustdesk-signature", sign(&self.secret, timestamp, body))
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "timed out".to_string()
                } else {
                    "connection failed".to_string()
                }
            })?;
        Ok(response.status().as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "100.64.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn signature_covers_timestamp_and_body() {
        let secret = SecretString::from("s");
        let a = sign(&secret, 1, b"{}");
        assert!(a.starts_with("v1=") && a.len() == 3 + 64);
        assert_ne!(a, sign(&secret, 2, b"{}"));
        assert_ne!(a, sign(&secret, 1, b"{ }"));
    }

    #[tokio::test]
    async fn loopback_targets_are_refused_unless_allowed() {
        let url = reqwest::Url::parse("http://127.0.0.1:9/hook").unwrap();
        assert!(checked_target(&url, false).await.is_err());
        assert!(checked_target(&url, true).await.is_ok());
        let localhost = reqwest::Url::parse("http://localhost:9/hook").unwrap();
        assert!(
            checked_target(&localhost, false).await.is_err(),
            "names that resolve inside count too"
        );
        let file = reqwest::Url::parse("file:///etc/passwd").unwrap();
        assert!(checked_target(&file, true).await.is_err());
    }
}
