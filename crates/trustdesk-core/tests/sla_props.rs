//! Property tests of the SLA clock math over calendar edge cases: DST
//! changes (Berlin, New York, Lord Howe's 30-minute shift), overnight
//! spans, holidays and pauses.

use jiff::civil::Date;
use jiff::tz::{AmbiguousOffset, TimeZone};
use proptest::prelude::*;
use trustdesk_core::Timestamp;
use trustdesk_core::sla::{BusinessCalendar, CalendarSpec, SlaClock, SlaStatus, Span, Target};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
];

/// The DST transitions of 2026 in the zones above (UTC ms), from the
/// bundled database.
fn transitions() -> &'static [i64] {
    static T: std::sync::OnceLock<Vec<i64>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let from = jiff::Timestamp::from_millisecond(1_767_225_600_000).unwrap(); // 2026-01-01
        let mut v: Vec<i64> = ZONES
            .iter()
            .flat_map(|z| {
                let tz = TimeZone::get(z).unwrap();
                tz.following(from)
                    .take(2)
                    .map(|t| t.timestamp().as_millisecond())
                    .collect::<Vec<_>>()
            })
            .collect();
        v.sort();
        assert_eq!(
            v.len(),
            6,
            "Berlin, New York and Lord Howe change twice a year"
        );
        v
    })
}

fn arb_span() -> impl Strategy<Value = Span> {
    // quarter-hour boundaries, including 24:00 ends and overnight spans;
    // half-hour boundaries land inside Lord Howe's 30-minute gap
    // half of them with both ends between 01:00 and 04:00, where the DST
    // gaps and folds are
    prop_oneof![(0u16..96, 0u16..=96), (4u16..16, 4u16..16),].prop_map(|(s, e)| Span {
        start_min: s * 15,
        end_min: e * 15,
    })
}

fn arb_spec() -> impl Strategy<Value = CalendarSpec> {
    (
        prop::sample::select(ZONES),
        prop::array::uniform7(prop::collection::vec(arb_span(), 0..3)),
        prop::collection::vec(
            (0usize..6, -4i64..4).prop_map(|(i, d)| {
                // holidays around the 2026 DST changes
                let tz = TimeZone::get("UTC").unwrap();
                let t = jiff::Timestamp::from_millisecond(transitions()[i] + d * DAY).unwrap();
                tz.to_datetime(t).date().to_string()
            }),
            0..6,
        ),
    )
        .prop_filter_map("never open", |(tz, mut weekly, holidays)| {
            if weekly.iter().all(|d| d.is_empty()) {
                weekly[0].push(Span::hm(9, 0, 17, 0));
            }
            Some(CalendarSpec {
                time_zone: tz.to_string(),
                weekly,
                holidays,
            })
        })
}

/// An instant in 2026, often within a few days of a DST change.
fn arb_instant() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (1_767_225_600_000i64..1_798_761_600_000).prop_map(Timestamp),
        (0usize..6, -3 * DAY..3 * DAY).prop_map(|(i, d)| Timestamp(transitions()[i] + d)),
    ]
}

fn sorted3() -> impl Strategy<Value = (Timestamp, Timestamp, Timestamp)> {
    (arb_instant(), 0i64..6 * DAY, 0i64..6 * DAY)
        .prop_map(|(a, x, y)| (a, Timestamp(a.0 + x), Timestamp(a.0 + x + y)))
}

/// Whether the calendar is open at `t`, computed directly from the local
/// wall time (the oracle). `None` where local time is ambiguous (a
/// repeated hour), where the spec leaves the meaning to the first occurrence.
fn oracle_open(spec: &CalendarSpec, t: Timestamp) -> Option<bool> {
    let tz = TimeZone::get(&spec.time_zone).unwrap();
    let ts = jiff::Timestamp::from_millisecond(t.0).unwrap();
    let dt = tz.to_datetime(ts);
    if !matches!(
        tz.to_ambiguous_timestamp(dt).offset(),
        AmbiguousOffset::Unambiguous { .. }
    ) {
        return None;
    }
    // also skip instants within 2 h after a transition: span boundaries in a
    // gap move to the gap's end, which the plain wall-time reading ignores
    let near = tz
        .preceding(ts)
        .next()
        .is_some_and(|tr| ts.as_millisecond() - tr.timestamp().as_millisecond() < 2 * HOUR);
    if near {
        return None;
    }
    let date = dt.date();
    let holiday = |d: Date| {
        spec.holidays
            .iter()
            .any(|h| h.parse::<Date>().unwrap() == d)
    };
    if holiday(date) {
        return Some(false);
    }
    let m = i32::from(dt.hour()) * 60 + i32::from(dt.minute());
    let wd = date.weekday().to_monday_zero_offset() as usize;
    let pwd = (wd + 6) % 7;
    let today = spec.weekly[wd].iter().any(|s| {
        let (a, b) = (i32::from(s.start_min), i32::from(s.end_min));
        if b > a { m >= a && m < b } else { m >= a }
    });
    let from_yesterday = spec.weekly[pwd].iter().any(|s| {
        let (a, b) = (i32::from(s.start_min), i32::from(s.end_min));
        b <= a && m < b
    });
    Some(today || from_yesterday)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// Business time is within [0, wall time], and additive over any split
    /// point (so also monotonic in the end).
    #[test]
    fn between_is_bounded_additive_and_monotonic(spec in arb_spec(), (a, b, c) in sorted3()) {
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        let ab = cal.business_time_between(a, b);
        let bc = cal.business_time_between(b, c);
        let ac = cal.business_time_between(a, c);
        prop_assert!(ab >= 0 && ab <= b.0 - a.0);
        prop_assert_eq!(ab + bc, ac);
        prop_assert!(ac >= ab);
        prop_assert_eq!(cal.business_time_between(c, a), 0);
    }

    /// add(start, between(start, end)) lands at or before end, at the same
    /// business instant; and add is the earliest instant with that much
    /// business time.
    #[test]
    fn add_inverts_between(spec in arb_spec(), (a, _b, e) in sorted3()) {
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        let ms = cal.business_time_between(a, e);
        let t = cal.add_business_time(a, ms);
        prop_assert!(t <= e);
        prop_assert!(t >= a);
        prop_assert_eq!(cal.business_time_between(a, t), ms);
        if ms > 0 {
            prop_assert!(cal.business_time_between(a, Timestamp(t.0 - 1)) < ms);
        }
    }

    /// For any amount, add gives an instant with exactly that business time.
    #[test]
    fn add_then_between_round_trips(spec in arb_spec(), a in arb_instant(), ms in 0i64..10 * DAY) {
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        let t = cal.add_business_time(a, ms);
        prop_assert!(t.0 >= a.0 + ms.min(0));
        prop_assert!(t.0 >= a.0);
        prop_assert_eq!(cal.business_time_between(a, t), ms);
        if ms > 0 {
            prop_assert!(cal.business_time_between(a, Timestamp(t.0 - 1)) < ms);
            prop_assert!(cal.is_open(Timestamp(t.0 - 1)));
        }
        // add is additive too
        let half = ms / 2;
        prop_assert_eq!(cal.add_business_time(cal.add_business_time(a, half), ms - half), t);
    }

    /// Open/closed agrees with a direct reading of the local wall clock.
    #[test]
    fn is_open_matches_the_local_wall_clock(spec in arb_spec(), t in arb_instant()) {
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        if let Some(expected) = oracle_open(&spec, t) {
            prop_assert_eq!(cal.is_open(t), expected, "{:?} at {:?}", spec, t);
        }
        prop_assert!(cal.next_open(t) >= t);
        prop_assert!(cal.is_open(cal.next_open(t)));
    }

    /// 24/7 equals wall time, both as the default calendar and as full days
    /// in any zone across DST.
    #[test]
    fn full_days_equal_wall_time(tz in prop::sample::select(ZONES), (a, _b, c) in sorted3()) {
        let always = BusinessCalendar::always_open();
        prop_assert_eq!(always.business_time_between(a, c), c.0 - a.0);
        prop_assert_eq!(always.add_business_time(a, c.0 - a.0), c);
        let spec = CalendarSpec {
            time_zone: tz.to_string(),
            weekly: std::array::from_fn(|_| vec![Span::FULL_DAY]),
            holidays: vec![],
        };
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        prop_assert_eq!(cal.business_time_between(a, c), c.0 - a.0);
        prop_assert_eq!(cal.add_business_time(a, c.0 - a.0), c);
        // overlapping spans covering the day are still wall time, not double
        let spec = CalendarSpec {
            weekly: std::array::from_fn(|_| vec![Span::hm(0, 0, 14, 0), Span::hm(12, 0, 2, 0)]),
            ..spec
        };
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        prop_assert_eq!(cal.business_time_between(a, c), c.0 - a.0);
    }

    /// Paused time never counts; the clock's elapsed time is the business
    /// time since the start minus the business time of the pauses.
    #[test]
    fn paused_time_never_counts(
        spec in arb_spec(),
        start in arb_instant(),
        steps in prop::collection::vec(0i64..2 * DAY, 0..6),
        stop in any::<bool>(),
        probe in 0i64..12 * DAY,
    ) {
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        let mut clock = SlaClock::start(start);
        let mut t = start.0;
        for (i, s) in steps.iter().enumerate() {
            t += s;
            if i % 2 == 0 { clock.pause(Timestamp(t)).unwrap() } else { clock.resume(Timestamp(t)).unwrap() }
        }
        if stop {
            t += 1_000;
            clock.stop(Timestamp(t)).unwrap();
        }
        let now = Timestamp(start.0 + probe);
        let end = clock.stopped_at.map_or(now, |s| s.min(now));
        let mut expected = cal.business_time_between(start, end);
        for p in &clock.pauses {
            let to = p.to.map_or(end, |x| x.min(end));
            expected -= cal.business_time_between(p.from, to);
        }
        prop_assert_eq!(clock.elapsed(&cal, now), expected);
        // across each pause, elapsed does not move
        for p in &clock.pauses {
            if let Some(to) = p.to {
                prop_assert_eq!(clock.elapsed(&cal, p.from), clock.elapsed(&cal, to));
            }
        }
        // and elapsed never decreases
        prop_assert!(clock.elapsed(&cal, Timestamp(now.0 + HOUR)) >= clock.elapsed(&cal, now));
    }

    /// The status changes exactly at the announced instants: warning_at and
    /// due_at are the first instants with that much elapsed time, and
    /// next_event_at is where the status next changes.
    #[test]
    fn status_changes_exactly_at_the_announced_instants(
        spec in arb_spec(),
        start in arb_instant(),
        pause in prop::option::of((0i64..DAY, 0i64..DAY)),
        dur in 1i64..3 * DAY,
        pct in 0u8..=100,
        probe in 0i64..5 * DAY,
    ) {
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        let target = Target::new(dur, pct);
        let mut clock = SlaClock::start(start);
        if let Some((p, r)) = pause {
            clock.pause(Timestamp(start.0 + p)).unwrap();
            clock.resume(Timestamp(start.0 + p + r)).unwrap();
        }
        let now = Timestamp(start.0 + probe);
        let ev = clock.evaluate(&cal, &target, now);
        let status_at = |t: Timestamp| clock.evaluate(&cal, &target, t).status;
        prop_assert_eq!(ev.elapsed_ms, clock.elapsed(&cal, now));
        let due = ev.due_at.unwrap();
        prop_assert_eq!(clock.elapsed(&cal, due), dur);
        prop_assert!(clock.elapsed(&cal, Timestamp(due.0 - 1)) < dur);
        prop_assert_eq!(status_at(due), SlaStatus::Breached);
        prop_assert!(status_at(Timestamp(due.0 - 1)) != SlaStatus::Breached);
        let warn = ev.warning_at.unwrap();
        prop_assert!(warn <= due);
        prop_assert_eq!(clock.elapsed(&cal, warn), target.warning_ms());
        prop_assert_eq!(ev.status == SlaStatus::Breached, now >= due);
        prop_assert_eq!(ev.status != SlaStatus::Ok, now >= warn);
        match ev.next_event_at {
            Some(t) => {
                prop_assert!(t > now);
                prop_assert!(t == warn || t == due);
                prop_assert_eq!(status_at(Timestamp(t.0 - 1)), ev.status);
                prop_assert!(status_at(t) != ev.status);
            }
            None => prop_assert_eq!(ev.status, SlaStatus::Breached),
        }
    }

    /// Around each DST change, with opening spans that start and end inside
    /// the gap or the repeated hour, no instant is counted twice: every
    /// minute holds at most a minute of business time.
    #[test]
    fn no_instant_counts_twice_around_dst_changes(
        zone in prop::sample::select(&["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"][..]),
        which in 0usize..2,
        spans in prop::collection::vec((4u16..16, 4u16..16), 1..4),
    ) {
        let tz = TimeZone::get(zone).unwrap();
        let from = jiff::Timestamp::from_millisecond(1_767_225_600_000).unwrap();
        let tr = tz.following(from).nth(which).unwrap().timestamp().as_millisecond();
        let weekly: [Vec<Span>; 7] = std::array::from_fn(|_| {
            spans.iter().map(|(a, b)| Span { start_min: a * 15, end_min: b * 15 }).collect()
        });
        let spec = CalendarSpec { time_zone: zone.to_string(), weekly, holidays: vec![] };
        let cal = BusinessCalendar::from_spec(&spec).unwrap();
        let (a, b) = (tr - 4 * HOUR, tr + 4 * HOUR);
        let mut sum = 0;
        let mut t = a;
        while t < b {
            let m = cal.business_time_between(Timestamp(t), Timestamp(t + MIN));
            prop_assert!((0..=MIN).contains(&m), "{} ms of business time in one minute at {}", m, t);
            sum += m;
            t += MIN;
        }
        prop_assert_eq!(sum, cal.business_time_between(Timestamp(a), Timestamp(b)));
    }
}
