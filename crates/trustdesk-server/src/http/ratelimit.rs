//! A token-bucket rate limiter keyed by client address or account, for
//! endpoints that must not become an oracle, a guessing ground or a CPU
//! sink (login, 2FA, password reset, widget sessions, the "is this
//! official?" lookup). Each key may spend `per_minute` requests at once and
//! earns them back evenly over a minute, so there is no window boundary to
//! burst across.
//!
//! On PostgreSQL the buckets live in the database (`RateStore`), so the
//! limit holds for the whole desk whichever node a request lands on. On
//! SQLite (one node), or when the database does not answer in time, the
//! buckets are this process's: a store outage never turns into "every
//! login refused", and never into "no limit" either.

use crate::state::AppState;
use crate::workers::Worker;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use dashmap::DashMap;
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::fmt::Display;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use trustdesk_store::Store;

/// How long a shared bucket may take to answer before this node counts
/// the request in its own buckets instead.
const SHARED_DEADLINE: Duration = Duration::from_secs(1);

/// How often the leader forgets shared buckets that are full again.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Extractor: the client's address for rate limits. The peer address,
/// unless the peer is one of `limits.trusted_proxies`: then the rightmost
/// address in `X-Forwarded-For` that is not a trusted proxy (a client can
/// prepend anything it likes, so only what the proxies appended counts).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let trusted = &state.config.limits.trusted_proxies;
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(Self(client_ip(peer, &forwarded, trusted)))
    }
}

fn client_ip(peer: IpAddr, forwarded: &str, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => return client,
        }
    }
    client
}

pub struct RateLimiter<K: Eq + Hash = IpAddr> {
    /// Part of every shared bucket's key: two limits on one address keep
    /// two budgets.
    name: &'static str,
    per_minute: u32,
    /// The desk's shared buckets, when the store keeps them.
    shared: Option<Arc<dyn Store>>,
    local: LocalBuckets<K>,
}

impl<K: Eq + Hash + Display> RateLimiter<K> {
    /// A limit for the whole desk, named `name`, counted in the store's
    /// shared buckets where it has them.
    pub fn shared(name: &'static str, per_minute: u32, store: Arc<dyn Store>) -> Self {
        Self {
            name,
            per_minute,
            shared: Some(store),
            local: LocalBuckets::new(per_minute),
        }
    }

    /// A limit this process counts alone (work that runs on one node).
    pub fn local(per_minute: u32) -> Self {
        Self {
            name: "local",
            per_minute,
            shared: None,
            local: LocalBuckets::new(per_minute),
        }
    }

    /// Counts one request from `key` (an address or an account); false when
    /// over the limit.
    pub async fn allow(&self, key: K) -> bool {
        if let Some(store) = &self.shared {
            let hashed = self.bucket_key(&key);
            let take = store.take_token(&hashed, self.per_minute);
            match tokio::time::timeout(SHARED_DEADLINE, take).await {
                Ok(Ok(Some(granted))) => return granted,
                Ok(Ok(None)) => {}
                // The key is an address or an email: never logged.
                Ok(Err(err)) => {
                    tracing::warn!(limit = self.name, error = %err, "shared rate limit unavailable; counting on this node")
                }
                Err(_) => {
                    tracing::warn!(
                        limit = self.name,
                        "shared rate limit too slow; counting on this node"
                    )
                }
            }
        }
        self.local.allow(key)
    }

    /// What the database stores for `key`: a hash, never the address or
    /// account itself.
    fn bucket_key(&self, key: &K) -> Vec<u8> {
        let mut hash = Sha256::new();
        hash.update(self.name.as_bytes());
        hash.update([0]);
        hash.update(key.to_string().as_bytes());
        hash.finalize().to_vec()
    }
}

/// This process's buckets.
struct LocalBuckets<K: Eq + Hash> {
    per_minute: u32,
    start: Instant,
    /// Per key: tokens left and when they were counted (seconds since
    /// `start`).
    buckets: DashMap<K, (f64, f64)>,
}

impl<K: Eq + Hash> LocalBuckets<K> {
    fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            start: Instant::now(),
            buckets: DashMap::new(),
        }
    }

    fn allow(&self, key: K) -> bool {
        self.allow_at(key, self.start.elapsed().as_secs_f64())
    }

    fn allow_at(&self, key: K, now: f64) -> bool {
        let capacity = f64::from(self.per_minute);
        let rate = capacity / 60.0;
        if self.buckets.len() > 100_000 {
            // Forget keys whose bucket is full again rather than grow
            // without bound.
            self.buckets
                .retain(|_, (tokens, at)| *tokens + (now - *at) * rate < capacity);
        }
        let mut entry = self.buckets.entry(key).or_insert((capacity, now));
        let (tokens, at) = *entry;
        let tokens = (tokens + (now - at).max(0.0) * rate).min(capacity);
        if tokens >= 1.0 {
            *entry = (tokens - 1.0, now);
            true
        } else {
            *entry = (tokens, now);
            false
        }
    }
}

/// Forgets the shared buckets that are full again, on the leader only
/// (any node could; one is enough).
pub struct RateBucketPurge {
    store: Arc<dyn Store>,
    leading: watch::Receiver<bool>,
}

impl RateBucketPurge {
    pub fn new(store: Arc<dyn Store>, leading: watch::Receiver<bool>) -> Self {
        Self { store, leading }
    }
}

impl Worker for RateBucketPurge {
    const NAME: &'static str = "rate-bucket purge";

    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut every = tokio::time::interval(PURGE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            if !*self.leading.borrow() {
                continue;
            }
            match self.store.purge_rate_buckets().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(buckets = n, "forgot full rate buckets"),
                Err(err) => tracing::warn!(error = %err, "could not purge rate buckets"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.9".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let trusted = [proxy];
        // Not from the proxy: the header is ignored (anyone can send it).
        assert_eq!(client_ip(client, "1.2.3.4", &trusted), client);
        assert_eq!(client_ip(proxy, "203.0.113.7", &trusted), client);
        // A forged left part is ignored: the rightmost untrusted hop wins.
        assert_eq!(client_ip(proxy, "1.2.3.4, 203.0.113.7", &trusted), client);
        assert_eq!(client_ip(proxy, "203.0.113.7, 10.0.0.9", &trusted), client);
        assert_eq!(client_ip(proxy, "", &trusted), proxy);
        assert_eq!(client_ip(proxy, "garbage", &trusted), proxy);
    }

    #[test]
    fn limits_per_key_and_refills_over_a_minute() {
        let limiter = LocalBuckets::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow_at(a, 7.0)));
        assert!(!limiter.allow_at(a, 7.0));
        assert!(!limiter.allow_at(a, 20.0), "a third of a token after 13 s");
        assert!(
            limiter.allow_at(b, 7.0),
            "another address has its own budget"
        );
        assert!(limiter.allow_at(a, 28.0), "one token back after 20 s");
        assert!(!limiter.allow_at(a, 28.0));
        assert!((0..3).all(|_| limiter.allow_at(a, 1000.0)), "full again");
        assert!(!limiter.allow_at(a, 1000.0));
    }
}
