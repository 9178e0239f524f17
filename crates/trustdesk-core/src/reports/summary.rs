//! The figures a report publishes for a set of durations or ratings.
//!
//! Definitions (published in `docs/reports.md`):
//! - mean: the sum divided by n, rounded down to the millisecond;
//! - median: the middle value of the sorted set; for an even n the mean of
//!   the two middle values, rounded down to the millisecond (the usual
//!   statistical median, so two values 1 s and 2 s have median 1.5 s);
//! - p90: nearest rank — the value at rank ⌈0.9 · n⌉ (1-based) of the
//!   sorted set, so it is always one of the measured values (for n < 10
//!   it is the largest value up to rank n);
//! - with n = 0 there is no mean, median or p90 (`None`, never 0: an empty
//!   group did not respond instantly).

use serde::{Deserialize, Serialize};

/// n, mean, median and p90 of a set of durations in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub mean_ms: Option<i64>,
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

impl Summary {
    pub fn of(durations_ms: impl IntoIterator<Item = i64>) -> Self {
        let mut sorted: Vec<i64> = durations_ms.into_iter().collect();
        sorted.sort_unstable();
        let n = sorted.len();
        if n == 0 {
            return Self::default();
        }
        // i128 so that no sum of i64 values can overflow.
        let sum: i128 = sorted.iter().map(|&v| i128::from(v)).sum();
        let mean = floor_div(sum, n as i128);
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            let pair = i128::from(sorted[n / 2 - 1]) + i128::from(sorted[n / 2]);
            floor_div(pair, 2)
        };
        // ⌈0.9 n⌉ = ⌈9n / 10⌉ in integers; at least 1 since n ≥ 1.
        let rank = (9 * n).div_ceil(10);
        Self {
            n,
            mean_ms: Some(mean),
            median_ms: Some(median),
            p90_ms: Some(sorted[rank - 1]),
        }
    }
}

/// `a / b` rounded towards minus infinity; the result lies between the
/// smallest and largest value averaged, so it fits in an i64.
fn floor_div(a: i128, b: i128) -> i64 {
    a.div_euclid(b) as i64
}

/// CSAT figures for a set of ratings (1–5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CsatSummary {
    /// Ratings counted (scores outside 1–5 are not ratings and are skipped).
    pub n: usize,
    /// Ratings of 4 or 5: the usual definition of a satisfied customer.
    pub satisfied: usize,
    /// The mean score, `None` when there is no rating.
    pub mean_score: Option<f64>,
}

impl CsatSummary {
    pub fn of(scores: impl IntoIterator<Item = u8>) -> Self {
        let (mut n, mut satisfied, mut sum) = (0usize, 0usize, 0u64);
        for score in scores.into_iter().filter(|s| (1..=5).contains(s)) {
            n += 1;
            sum += u64::from(score);
            if score >= 4 {
                satisfied += 1;
            }
        }
        Self {
            n,
            satisfied,
            mean_score: (n > 0).then(|| sum as f64 / n as f64),
        }
    }

    /// The share of satisfied ratings, 0–100 %; `None` without ratings.
    pub fn satisfied_percent(&self) -> Option<f64> {
        (self.n > 0).then(|| self.satisfied as f64 * 100.0 / self.n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_set_has_no_figures() {
        assert_eq!(
            Summary::of([]),
            Summary {
                n: 0,
                mean_ms: None,
                median_ms: None,
                p90_ms: None
            }
        );
    }

    #[test]
    fn one_value_is_every_figure() {
        let s = Summary::of([42_000]);
        assert_eq!(
            (s.n, s.mean_ms, s.median_ms, s.p90_ms),
            (1, Some(42_000), Some(42_000), Some(42_000))
        );
    }

    #[test]
    fn two_values_median_is_their_mean_p90_the_larger() {
        // sorted [1000, 2000]: mean = median = 3000 / 2 = 1500;
        // p90 rank = ⌈0.9 · 2⌉ = ⌈1.8⌉ = 2 → 2000.
        let s = Summary::of([2_000, 1_000]);
        assert_eq!(
            (s.n, s.mean_ms, s.median_ms, s.p90_ms),
            (2, Some(1_500), Some(1_500), Some(2_000))
        );
    }

    #[test]
    fn even_median_rounds_down_to_the_millisecond() {
        // sorted [1, 2]: (1 + 2) / 2 = 1.5 → 1; mean likewise 1.
        let s = Summary::of([2, 1]);
        assert_eq!((s.median_ms, s.mean_ms), (Some(1), Some(1)));
        // sorted [0, 3, 4, 100]: median (3 + 4) / 2 = 3.5 → 3;
        // mean 107 / 4 = 26.75 → 26; p90 rank ⌈3.6⌉ = 4 → 100.
        let s = Summary::of([100, 4, 0, 3]);
        assert_eq!(
            (s.median_ms, s.mean_ms, s.p90_ms),
            (Some(3), Some(26), Some(100))
        );
    }

    #[test]
    fn odd_median_is_the_middle_value() {
        // sorted [1, 5, 9]: median 5, mean 15 / 3 = 5, p90 rank ⌈2.7⌉ = 3 → 9.
        let s = Summary::of([9, 1, 5]);
        assert_eq!(
            (s.median_ms, s.mean_ms, s.p90_ms),
            (Some(5), Some(5), Some(9))
        );
    }

    #[test]
    fn p90_is_nearest_rank() {
        // 1..=10: rank ⌈9⌉ = 9 → 9 (not 10, not an interpolated 9.1).
        assert_eq!(Summary::of(1..=10).p90_ms, Some(9));
        // 1..=11: rank ⌈9.9⌉ = 10 → 10.
        assert_eq!(Summary::of(1..=11).p90_ms, Some(10));
        // 1..=20: rank 18 → 18; median (10 + 11) / 2 = 10.5 → 10.
        let s = Summary::of(1..=20);
        assert_eq!((s.p90_ms, s.median_ms), (Some(18), Some(10)));
        // 1..=100: rank 90 → 90; mean 5050 / 100 = 50.5 → 50.
        let s = Summary::of(1..=100);
        assert_eq!((s.p90_ms, s.mean_ms), (Some(90), Some(50)));
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let s = Summary::of([i64::MAX, i64::MAX, i64::MAX]);
        assert_eq!(s.mean_ms, Some(i64::MAX));
        assert_eq!(Summary::of([i64::MAX, i64::MAX]).median_ms, Some(i64::MAX));
        // (MIN + MAX) / 2 = -0.5 → rounds down to -1.
        assert_eq!(Summary::of([i64::MIN, i64::MAX]).median_ms, Some(-1));
    }

    #[test]
    fn csat_counts_four_and_five_as_satisfied() {
        // scores 5, 4, 2, 1 (0 and 9 are not ratings): n 4, satisfied 2,
        // mean 12 / 4 = 3.0, satisfied 50 %.
        let c = CsatSummary::of([5, 4, 0, 2, 9, 1]);
        assert_eq!((c.n, c.satisfied), (4, 2));
        assert_eq!(c.mean_score, Some(3.0));
        assert_eq!(c.satisfied_percent(), Some(50.0));
        let none = CsatSummary::of([]);
        assert_eq!(
            (none.n, none.mean_score, none.satisfied_percent()),
            (0, None, None)
        );
    }
}
