//! A fixed-window rate limiter keyed by client address or account, for
//! endpoints that must not become an oracle, a guessing ground or a CPU
//! sink (login, 2FA, password reset, widget sessions, the "is this
//! official?" lookup). Small and in-process: every node limits on its own.

use dashmap::DashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct RateLimiter<K: Eq + Hash = IpAddr> {
    per_minute: u32,
    windows: DashMap<K, (u64, u32)>,
}

impl<K: Eq + Hash> RateLimiter<K> {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: DashMap::new(),
        }
    }

    /// Counts one request from `ip` (or for an account); false when over
    /// the limit.
    pub fn allow(&self, ip: K) -> bool {
        let minute = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() / 60)
            .unwrap_or(0);
        self.allow_at(ip, minute)
    }

    fn allow_at(&self, ip: K, minute: u64) -> bool {
        if self.windows.len() > 100_000 {
            // Forget old windows rather than grow without bound.
            self.windows.retain(|_, (m, _)| *m == minute);
        }
        let mut entry = self.windows.entry(ip).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_window() {
        let limiter: RateLimiter = RateLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow_at(a, 7)));
        assert!(!limiter.allow_at(a, 7));
        assert!(limiter.allow_at(b, 7), "another address has its own budget");
        assert!(limiter.allow_at(a, 8), "a new minute starts afresh");
    }
}
