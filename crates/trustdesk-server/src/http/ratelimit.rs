//! A token-bucket rate limiter keyed by client address or account, for
//! endpoints that must not become an oracle, a guessing ground or a CPU
//! sink (login, 2FA, password reset, widget sessions, the "is this
//! official?" lookup). Each key may spend `per_minute` requests at once and
//! earns them back evenly over a minute, so there is no window boundary to
//! burst across. Small and in-process: every node limits on its own.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use dashmap::DashMap;
use std::convert::Infallible;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

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
    per_minute: u32,
    start: Instant,
    /// Per key: tokens left and when they were counted (seconds since
    /// `start`).
    buckets: DashMap<K, (f64, f64)>,
}

impl<K: Eq + Hash> RateLimiter<K> {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            start: Instant::now(),
            buckets: DashMap::new(),
        }
    }

    /// Counts one request from `key` (an address or an account); false when
    /// over the limit.
    pub fn allow(&self, key: K) -> bool {
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
        let limiter: RateLimiter = RateLimiter::new(3);
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
