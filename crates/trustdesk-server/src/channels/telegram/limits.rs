//! Telegram's send limits, kept on our side so a burst of replies waits a
//! moment instead of drawing 429s: about 30 messages a second across all
//! chats and about one a second into one chat. A token bucket for all
//! chats and one per chat; a send takes a token from both.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A rate (`per_second`) with a burst of `burst` tokens.
#[derive(Clone, Copy, Debug)]
struct Rate {
    per_second: f64,
    burst: f64,
}

impl Rate {
    fn new(per_second: f64) -> Self {
        // At least one message a minute, and a burst of at least one.
        let per_second = if per_second.is_finite() {
            per_second.max(1.0 / 60.0)
        } else {
            1.0
        };
        Self {
            per_second,
            burst: per_second.max(1.0),
        }
    }

    fn full(&self, now: Instant) -> Bucket {
        Bucket {
            tokens: self.burst,
            last: now,
        }
    }

    /// Refills the bucket to `now`; how long until it holds a token.
    fn wait(&self, bucket: &mut Bucket, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second)
        }
    }
}

pub struct SendLimits {
    global_rate: Rate,
    chat_rate: Rate,
    state: Mutex<State>,
}

struct State {
    global: Bucket,
    chats: HashMap<String, Bucket>,
}

/// Chats remembered before the idle (full) ones are forgotten.
const MAX_CHATS: usize = 10_000;

impl SendLimits {
    pub fn new(global_per_second: f64, chat_per_second: f64) -> Self {
        let global_rate = Rate::new(global_per_second);
        Self {
            global_rate,
            chat_rate: Rate::new(chat_per_second),
            state: Mutex::new(State {
                global: global_rate.full(Instant::now()),
                chats: HashMap::new(),
            }),
        }
    }

    /// Takes a token for `chat` now, or says how long to wait first.
    fn try_take(&self, chat: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut guard) = self.state.lock() else {
            return Ok(());
        };
        let state = &mut *guard;
        if state.chats.len() >= MAX_CHATS && !state.chats.contains_key(chat) {
            let rate = self.chat_rate;
            state.chats.retain(|_, b| {
                let mut b = b.clone();
                rate.wait(&mut b, now);
                b.tokens < rate.burst
            });
        }
        let chat_rate = self.chat_rate;
        let global_wait = self.global_rate.wait(&mut state.global, now);
        let bucket = state
            .chats
            .entry(chat.to_owned())
            .or_insert_with(|| chat_rate.full(now));
        let chat_wait = chat_rate.wait(bucket, now);
        let wait = global_wait.max(chat_wait);
        if !wait.is_zero() {
            return Err(wait);
        }
        bucket.tokens -= 1.0;
        state.global.tokens -= 1.0;
        Ok(())
    }

    /// Waits until a message may go to `chat`.
    pub async fn acquire(&self, chat: &str) {
        loop {
            match self.try_take(chat, Instant::now()) {
                Ok(()) => return,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_chat_gets_one_message_a_second() {
        let limits = SendLimits::new(30.0, 1.0);
        let t0 = Instant::now();
        assert!(limits.try_take("1", t0).is_ok());
        let wait = limits.try_take("1", t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // Another chat is not held up by the first.
        assert!(limits.try_take("2", t0).is_ok());
        assert!(limits.try_take("1", t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn all_chats_together_stay_under_the_global_rate() {
        let limits = SendLimits::new(3.0, 1.0);
        let t0 = Instant::now();
        for chat in ["a", "b", "c"] {
            assert!(limits.try_take(chat, t0).is_ok(), "{chat}");
        }
        let wait = limits.try_take("d", t0).unwrap_err();
        assert!(wait > Duration::from_millis(300) && wait <= Duration::from_millis(334));
        assert!(
            limits
                .try_take("d", t0 + Duration::from_millis(334))
                .is_ok()
        );
    }

    #[test]
    fn a_refused_take_spends_nothing() {
        let limits = SendLimits::new(1.0, 1.0);
        let t0 = Instant::now();
        assert!(limits.try_take("a", t0).is_ok());
        // "b" is held by the global bucket; its own stays full.
        assert!(limits.try_take("b", t0).is_err());
        assert!(limits.try_take("b", t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn nonsense_rates_are_made_safe() {
        let limits = SendLimits::new(f64::NAN, 0.0);
        assert!(limits.try_take("a", Instant::now()).is_ok());
    }
}
