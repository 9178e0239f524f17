//! The customer-facing wait estimate.

/// Estimated wait in milliseconds for the customer at 1-based `position`
/// (from [`super::Router::queue_position`]), given recent handling times of
/// finished conversations and `agents_available`, the number of concurrent
/// slots serving this queue (e.g. the sum of capacities of the online
/// agents eligible for it).
///
/// Model: each slot frees up once per typical handling time, so the queue
/// drains `agents_available / median` conversations per millisecond and the
/// customer at `position` waits `position × median / agents_available`
/// (rounded up). The median, not the mean, so one conversation left open
/// overnight does not inflate every estimate. Non-positive handling times
/// are ignored.
///
/// Returns `None` — "unknown", which the widget must say as such — when
/// there is no usable handling time or no agent is available. Position 0
/// (being assigned now) is `Some(0)`.
pub fn estimate_wait(
    position: usize,
    recent_handle_times_ms: &[i64],
    agents_available: usize,
) -> Option<i64> {
    if position == 0 {
        return Some(0);
    }
    if agents_available == 0 {
        return None;
    }
    let mut times: Vec<i64> = recent_handle_times_ms
        .iter()
        .copied()
        .filter(|t| *t > 0)
        .collect();
    if times.is_empty() {
        return None;
    }
    times.sort_unstable();
    let n = times.len();
    let median: i128 = if n % 2 == 1 {
        i128::from(times[n / 2])
    } else {
        (i128::from(times[n / 2 - 1]) + i128::from(times[n / 2])) / 2
    };
    let num = median * position as i128;
    let den = agents_available as i128;
    let est = (num + den - 1) / den;
    Some(i64::try_from(est).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_without_data_or_agents() {
        assert_eq!(estimate_wait(3, &[], 2), None);
        assert_eq!(estimate_wait(3, &[0, -5], 2), None);
        assert_eq!(estimate_wait(3, &[60_000], 0), None);
    }

    #[test]
    fn scales_with_position_and_slots() {
        let times = [60_000, 120_000, 90_000];
        // median 90 s
        assert_eq!(estimate_wait(1, &times, 1), Some(90_000));
        assert_eq!(estimate_wait(4, &times, 2), Some(180_000));
        assert_eq!(estimate_wait(1, &times, 3), Some(30_000));
        assert_eq!(estimate_wait(0, &times, 3), Some(0));
    }

    #[test]
    fn median_ignores_outliers() {
        let times = [60_000, 60_000, 60_000, 86_400_000];
        assert_eq!(estimate_wait(1, &times, 1), Some(60_000));
    }

    #[test]
    fn more_waiting_never_means_shorter_estimate() {
        let times = [45_000, 80_000, 30_000, 200_000];
        let mut last = 0;
        for p in 1..50 {
            let e = estimate_wait(p, &times, 7).unwrap();
            assert!(e >= last);
            last = e;
        }
    }
}
