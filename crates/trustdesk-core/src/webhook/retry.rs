//! When to try a failed webhook again: a fixed schedule of growing delays
//! (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h with the default
//! base), up to 20 % jitter so endpoints that failed together do not get
//! their retries together, and the receiver's `Retry-After` honoured up to
//! a day. After the last step the delivery is given up (`failed`).
//!
//! The caller draws the jitter (core has no RNG) and measures time.

/// The schedule in units of the base delay (5 s by default): attempt 1
/// failed → retry after 1 unit, attempt 2 → 6 units, ….
pub const SCHEDULE: [i64; 9] = [1, 6, 24, 120, 360, 720, 1440, 2880, 5760];

/// Attempts in all: the first and one per step of the schedule.
pub const MAX_ATTEMPTS: u32 = SCHEDULE.len() as u32 + 1;

/// The default base delay: 5 s.
pub const DEFAULT_BASE_MS: i64 = 5_000;

/// No wait is ever longer than this (a receiver's `Retry-After` included).
pub const MAX_DELAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The most jitter adds to a scheduled delay, in percent.
pub const JITTER_PERCENT: i64 = 20;

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Try again after this many milliseconds.
    RetryIn(i64),
    /// The schedule is exhausted: the delivery is `failed`.
    GiveUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The unit of [`SCHEDULE`] in milliseconds (tests shorten it).
    pub base_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_ms: DEFAULT_BASE_MS,
        }
    }
}

impl RetryPolicy {
    /// The scheduled delay after `attempts_made` attempts, without jitter,
    /// or `None` when no retry is left.
    pub fn scheduled_delay(&self, attempts_made: u32) -> Option<i64> {
        let step = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
        let units = *SCHEDULE.get(step)?;
        Some(units.saturating_mul(self.base_ms.max(1)).min(MAX_DELAY_MS))
    }

    /// After `attempts_made` attempts (the last one failed): when to try
    /// again. `jitter` in `[0, 1]` (clamped) adds up to [`JITTER_PERCENT`]
    /// of the delay; `retry_after_ms`, the receiver's own hint, makes the
    /// wait at least that long, capped at [`MAX_DELAY_MS`].
    pub fn after_failure(
        &self,
        attempts_made: u32,
        jitter: f64,
        retry_after_ms: Option<i64>,
    ) -> Next {
        let Some(delay) = self.scheduled_delay(attempts_made) else {
            return Next::GiveUp;
        };
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // At most +20 % of a delay of at most a day: exact in f64.
        let extra = (delay as f64 * jitter * JITTER_PERCENT as f64 / 100.0) as i64;
        let jittered = delay.saturating_add(extra);
        let hinted = retry_after_ms.unwrap_or(0).clamp(0, MAX_DELAY_MS);
        Next::RetryIn(jittered.max(hinted).min(MAX_DELAY_MS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_default_schedule_reads_as_documented() {
        let policy = RetryPolicy::default();
        let delays: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|n| policy.scheduled_delay(n).unwrap() / 1000)
            .collect();
        assert_eq!(delays, [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800]);
        assert_eq!(policy.after_failure(MAX_ATTEMPTS, 0.0, None), Next::GiveUp);
    }

    #[test]
    fn retry_after_lengthens_but_never_past_a_day() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.after_failure(1, 0.0, Some(60_000)),
            Next::RetryIn(60_000)
        );
        // A shorter hint does not shorten the schedule.
        assert_eq!(
            policy.after_failure(2, 0.0, Some(1_000)),
            Next::RetryIn(30_000)
        );
        assert_eq!(
            policy.after_failure(1, 0.0, Some(i64::MAX)),
            Next::RetryIn(MAX_DELAY_MS)
        );
    }

    fn wait(next: Next) -> i64 {
        match next {
            Next::RetryIn(ms) => ms,
            Next::GiveUp => panic!("gave up early"),
        }
    }

    proptest! {
        #[test]
        fn delays_stay_within_their_bounds(
            attempts in 1u32..MAX_ATTEMPTS,
            jitter in -1.0f64..2.0,
            base in 1i64..100_000_000,
            hint in proptest::option::of(any::<i64>()),
        ) {
            let policy = RetryPolicy { base_ms: base };
            let scheduled = policy.scheduled_delay(attempts).unwrap();
            let Next::RetryIn(delay) = policy.after_failure(attempts, jitter, hint) else {
                panic!("a retry is left after {attempts} attempts");
            };
            prop_assert!(delay >= 0);
            prop_assert!(delay <= MAX_DELAY_MS);
            prop_assert!(delay >= scheduled.min(MAX_DELAY_MS));
            let hint = hint.unwrap_or(0).clamp(0, MAX_DELAY_MS);
            prop_assert!(delay >= hint, "the receiver's Retry-After is honoured");
            if hint == 0 {
                prop_assert!(delay <= (scheduled + scheduled * JITTER_PERCENT / 100).min(MAX_DELAY_MS));
            }
        }

        #[test]
        fn later_attempts_never_wait_less(
            attempts in 1u32..MAX_ATTEMPTS - 1,
            jitter in 0.0f64..=1.0,
            base in 1i64..100_000_000,
        ) {
            let policy = RetryPolicy { base_ms: base };
            let now = wait(policy.after_failure(attempts, jitter, None));
            let later = wait(policy.after_failure(attempts + 1, jitter, None));
            prop_assert!(later >= now);
            // Bounds are monotone too: the least-jittered later delay is
            // no shorter than the most-jittered earlier one (the schedule
            // grows by more than the jitter adds), short of the cap.
            let most_now = wait(policy.after_failure(attempts, 1.0, None));
            let least_later = wait(policy.after_failure(attempts + 1, 0.0, None));
            prop_assert!(least_later >= most_now);
        }

        #[test]
        fn the_schedule_ends_after_max_attempts(attempts in MAX_ATTEMPTS..u32::MAX, jitter in 0.0f64..1.0) {
            prop_assert_eq!(RetryPolicy::default().after_failure(attempts, jitter, Some(1)), Next::GiveUp);
        }
    }
}
