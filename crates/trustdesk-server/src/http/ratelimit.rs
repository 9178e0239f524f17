//! A token-bucket rate limiter keyed by client address or account, for
//! endpoints that must not become an oracle, a guessing ground or a CPU
//! sink (login, 2FA, password reset, widget sessions, the "is this
//! official?" lookup). Each key may spend `per_minute` requests at once and
//! earns them back evenly over a minute, so there is no window boundary to
//! burst across. Small and in-process: every node limits on its own.

use dashmap::DashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::Instant;

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
