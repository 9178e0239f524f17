//! Example-based tests of the SLA clock math: calendars across DST,
//! overnight hours, holidays, pauses, statuses and timers.

use jiff::civil::date;
use trustdesk_core::Priority;
use trustdesk_core::Timestamp;
use trustdesk_core::sla::{
    BusinessCalendar, CalendarError, CalendarSpec, ClockError, ManualClock, SlaClock, SlaMetric,
    SlaPolicy, SlaStatus, Span, Target, add_business_time, business_time_between,
};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

/// Local wall time in `tz` as a Timestamp.
fn local(tz: &str, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
    let z = date(y, mo, d).at(h, mi, 0, 0).in_tz(tz).unwrap();
    Timestamp(z.timestamp().as_millisecond())
}

fn spec(tz: &str, weekly: [Vec<Span>; 7], holidays: &[&str]) -> CalendarSpec {
    CalendarSpec {
        time_zone: tz.into(),
        weekly,
        holidays: holidays.iter().map(|s| s.to_string()).collect(),
    }
}

fn office(tz: &str, holidays: &[&str]) -> BusinessCalendar {
    let d = || vec![Span::hm(9, 0, 17, 0)];
    BusinessCalendar::from_spec(&spec(
        tz,
        [d(), d(), d(), d(), d(), vec![], vec![]],
        holidays,
    ))
    .unwrap()
}

fn every_day(tz: &str, span: Span) -> BusinessCalendar {
    BusinessCalendar::from_spec(&spec(tz, std::array::from_fn(|_| vec![span]), &[])).unwrap()
}

#[test]
fn always_open_is_wall_time() {
    let cal = BusinessCalendar::default();
    assert!(cal.is_always_open());
    let a = Timestamp(1_000);
    assert_eq!(business_time_between(&cal, a, Timestamp(5_000)), 4_000);
    assert_eq!(business_time_between(&cal, Timestamp(5_000), a), 0);
    assert_eq!(
        add_business_time(&cal, a, 7 * HOUR),
        Timestamp(1_000 + 7 * HOUR)
    );
}

#[test]
fn office_hours_roll_over_the_weekend() {
    let cal = office("Europe/Berlin", &[]);
    // Friday 2026-11-20 16:00 + 2 business hours = Monday 10:00
    let fri = local("Europe/Berlin", 2026, 11, 20, 16, 0);
    assert_eq!(
        cal.add_business_time(fri, 2 * HOUR),
        local("Europe/Berlin", 2026, 11, 23, 10, 0)
    );
    // a target used up exactly at closing time is due at closing, not Monday
    let mon = local("Europe/Berlin", 2026, 11, 23, 9, 0);
    assert_eq!(
        cal.add_business_time(mon, 8 * HOUR),
        local("Europe/Berlin", 2026, 11, 23, 17, 0)
    );
    // a start outside hours waits for the opening
    let sat = local("Europe/Berlin", 2026, 11, 21, 12, 0);
    assert_eq!(
        cal.add_business_time(sat, 30 * MIN),
        local("Europe/Berlin", 2026, 11, 23, 9, 30)
    );
    assert_eq!(
        cal.next_open(sat),
        local("Europe/Berlin", 2026, 11, 23, 9, 0)
    );
    assert!(!cal.is_open(sat));
    assert!(cal.is_open(mon));
    // a whole week is 40 business hours
    assert_eq!(
        cal.business_time_between(mon, local("Europe/Berlin", 2026, 11, 30, 9, 0)),
        40 * HOUR
    );
}

#[test]
fn full_days_in_berlin_count_23_and_25_hours_on_dst_days() {
    let cal = every_day("Europe/Berlin", Span::FULL_DAY);
    let tz = "Europe/Berlin";
    // spring forward: 2026-03-29 has 23 hours
    assert_eq!(
        cal.business_time_between(local(tz, 2026, 3, 29, 0, 0), local(tz, 2026, 3, 30, 0, 0)),
        23 * HOUR
    );
    // fall back: 2026-10-25 has 25 hours
    assert_eq!(
        cal.business_time_between(local(tz, 2026, 10, 25, 0, 0), local(tz, 2026, 10, 26, 0, 0)),
        25 * HOUR
    );
    // and any interval is exactly wall time
    let a = local(tz, 2026, 3, 28, 13, 17);
    let b = local(tz, 2026, 11, 2, 4, 5);
    assert_eq!(cal.business_time_between(a, b), b.0 - a.0);
}

#[test]
fn overnight_hours_across_dst_in_berlin() {
    let tz = "Europe/Berlin";
    let cal = every_day(tz, Span::parse("22:00-06:00").unwrap());
    // Sat 28 → Sun 29 March 2026: 22:00–06:00 is 7 real hours
    let night = |d: i8, m: i8| {
        cal.business_time_between(
            local(tz, 2026, m, d, 12, 0),
            local(tz, 2026, m, d + 1, 12, 0),
        )
    };
    assert_eq!(night(28, 3), 7 * HOUR);
    assert_eq!(night(24, 10), 9 * HOUR);
    assert_eq!(night(10, 11), 8 * HOUR);
    // midnight is inside the span, 06:00 is not
    assert!(cal.is_open(local(tz, 2026, 11, 11, 0, 0)));
    assert!(cal.is_open(local(tz, 2026, 11, 11, 5, 59)));
    assert!(!cal.is_open(local(tz, 2026, 11, 11, 6, 0)));
    // 23:00 + 3 business hours = 02:00; 05:00 + 2 h = next night 23:00
    assert_eq!(
        cal.add_business_time(local(tz, 2026, 11, 10, 23, 0), 3 * HOUR),
        local(tz, 2026, 11, 11, 2, 0)
    );
    assert_eq!(
        cal.add_business_time(local(tz, 2026, 11, 11, 5, 0), 2 * HOUR),
        local(tz, 2026, 11, 11, 23, 0)
    );
}

#[test]
fn overnight_span_on_one_weekday_only() {
    let tz = "America/New_York";
    // Fridays 22:00 to Saturday 06:00 only
    let mut weekly: [Vec<Span>; 7] = Default::default();
    weekly[4] = vec![Span::hm(22, 0, 6, 0)];
    let cal = BusinessCalendar::from_spec(&spec(tz, weekly, &[])).unwrap();
    assert!(cal.is_open(local(tz, 2026, 11, 21, 3, 0))); // Saturday 03:00
    assert!(!cal.is_open(local(tz, 2026, 11, 22, 3, 0))); // Sunday 03:00
    assert!(!cal.is_open(local(tz, 2026, 11, 20, 3, 0))); // Friday 03:00
    let week =
        cal.business_time_between(local(tz, 2026, 11, 16, 0, 0), local(tz, 2026, 11, 23, 0, 0));
    assert_eq!(week, 8 * HOUR);
}

#[test]
fn new_york_dst_days() {
    let tz = "America/New_York";
    let cal = every_day(tz, Span::hm(0, 0, 6, 0));
    // 2026-03-08: 02:00 → 03:00, so 00:00–06:00 is 5 h; 2026-11-01: 7 h
    let day = |m: i8, d: i8| {
        cal.business_time_between(local(tz, 2026, m, d, 0, 0), local(tz, 2026, m, d, 12, 0))
    };
    assert_eq!(day(3, 8), 5 * HOUR);
    assert_eq!(day(11, 1), 7 * HOUR);
    assert_eq!(day(11, 2), 6 * HOUR);
}

#[test]
fn span_boundary_in_a_dst_gap_means_the_end_of_the_gap() {
    let tz = "Europe/Berlin";
    // 02:30 does not exist on 2026-03-29; the span starts at 03:00 that day
    let cal = every_day(tz, Span::hm(2, 30, 5, 0));
    let d = cal.business_time_between(local(tz, 2026, 3, 29, 0, 0), local(tz, 2026, 3, 29, 12, 0));
    assert_eq!(d, 2 * HOUR);
    // two spans meeting inside the gap do not overlap (no double counting)
    let mut weekly: [Vec<Span>; 7] = Default::default();
    weekly[6] = vec![Span::hm(1, 0, 2, 30), Span::hm(2, 15, 4, 0)];
    let cal = BusinessCalendar::from_spec(&spec(tz, weekly, &[])).unwrap();
    let d = cal.business_time_between(local(tz, 2026, 3, 29, 0, 0), local(tz, 2026, 3, 29, 12, 0));
    assert_eq!(d, 2 * HOUR); // 01:00–04:00 local is 2 real hours that night
}

#[test]
fn holidays_close_the_whole_local_date() {
    let tz = "Europe/Berlin";
    let cal = office(tz, &["2026-12-24", "2026-12-25"]);
    // Wed 23 Dec 16:00 + 2 h → Mon 28 Dec 10:00 (Thu/Fri holidays, weekend)
    assert_eq!(
        cal.add_business_time(local(tz, 2026, 12, 23, 16, 0), 2 * HOUR),
        local(tz, 2026, 12, 28, 10, 0)
    );
    // an overnight span is cut at the holiday's midnight
    let mut weekly: [Vec<Span>; 7] = std::array::from_fn(|_| vec![Span::hm(22, 0, 6, 0)]);
    weekly[0].push(Span::hm(9, 0, 10, 0));
    let cal = BusinessCalendar::from_spec(&spec(tz, weekly, &["2026-12-25"])).unwrap();
    let d = cal.business_time_between(
        local(tz, 2026, 12, 24, 12, 0),
        local(tz, 2026, 12, 25, 12, 0),
    );
    assert_eq!(d, 2 * HOUR);
    let d = cal.business_time_between(
        local(tz, 2026, 12, 25, 12, 0),
        local(tz, 2026, 12, 26, 12, 0),
    );
    assert_eq!(d, 6 * HOUR); // 25th 22:00–24:00 closed, 26th 00:00–06:00 open
}

#[test]
fn bad_specs_are_refused() {
    let ok = || std::array::from_fn(|_| vec![Span::FULL_DAY]);
    assert!(matches!(
        BusinessCalendar::from_spec(&spec("Mars/Olympus", ok(), &[])),
        Err(CalendarError::UnknownTimeZone(_))
    ));
    assert!(matches!(
        BusinessCalendar::from_spec(&spec("UTC", Default::default(), &[])),
        Err(CalendarError::NeverOpen)
    ));
    assert!(matches!(
        BusinessCalendar::from_spec(&spec("UTC", ok(), &["2026-13-01"])),
        Err(CalendarError::BadHoliday(_))
    ));
    assert!(Span::parse("25:00-06:00").is_err());
    assert!(Span::parse("09:00").is_err());
    assert_eq!(Span::parse("22:00-06:00").unwrap(), Span::hm(22, 0, 6, 0));
    assert_eq!(Span::parse("00:00-24:00").unwrap(), Span::FULL_DAY);
    let json = serde_json::to_string(&spec("Asia/Shanghai", ok(), &["2026-10-01"])).unwrap();
    let back: CalendarSpec = serde_json::from_str(&json).unwrap();
    assert!(BusinessCalendar::from_spec(&back).is_ok());
}

#[test]
fn pauses_do_not_count_and_the_state_machine_is_strict() {
    let cal = BusinessCalendar::always_open();
    let mut c = SlaClock::start(Timestamp(0));
    c.pause(Timestamp(10 * MIN)).unwrap();
    assert_eq!(c.pause(Timestamp(11 * MIN)), Err(ClockError::AlreadyPaused));
    assert!(matches!(
        c.resume(Timestamp(5 * MIN)),
        Err(ClockError::OutOfOrder { .. })
    ));
    assert_eq!(c.elapsed(&cal, Timestamp(40 * MIN)), 10 * MIN);
    c.resume(Timestamp(40 * MIN)).unwrap();
    assert_eq!(c.resume(Timestamp(41 * MIN)), Err(ClockError::NotPaused));
    assert_eq!(c.elapsed(&cal, Timestamp(45 * MIN)), 15 * MIN);
    c.stop(Timestamp(50 * MIN)).unwrap();
    assert_eq!(c.elapsed(&cal, Timestamp(500 * MIN)), 20 * MIN);
    assert_eq!(c.pause(Timestamp(60 * MIN)), Err(ClockError::Stopped));
}

#[test]
fn status_warning_breach_and_the_next_timer() {
    let cal = BusinessCalendar::always_open();
    let target = Target::new(10 * MIN, 80);
    let mut c = SlaClock::start(Timestamp(0));
    let e = c.evaluate(&cal, &target, Timestamp(MIN));
    assert_eq!(e.status, SlaStatus::Ok);
    assert_eq!(e.warning_at, Some(Timestamp(8 * MIN)));
    assert_eq!(e.due_at, Some(Timestamp(10 * MIN)));
    assert_eq!(e.next_event_at, Some(Timestamp(8 * MIN)));
    let e = c.evaluate(&cal, &target, Timestamp(8 * MIN));
    assert_eq!(e.status, SlaStatus::Warning);
    assert_eq!(e.next_event_at, Some(Timestamp(10 * MIN)));
    // waiting on the customer for an hour moves both instants by an hour
    c.pause(Timestamp(9 * MIN)).unwrap();
    let e = c.evaluate(&cal, &target, Timestamp(30 * MIN));
    assert_eq!(
        (e.status, e.next_event_at, e.due_at),
        (SlaStatus::Warning, None, None)
    );
    assert!(e.paused);
    c.resume(Timestamp(69 * MIN)).unwrap();
    let e = c.evaluate(&cal, &target, Timestamp(69 * MIN));
    assert_eq!(e.due_at, Some(Timestamp(70 * MIN)));
    assert_eq!(e.remaining_ms, MIN);
    let e = c.evaluate(&cal, &target, Timestamp(75 * MIN));
    assert_eq!(
        (e.status, e.next_event_at, e.remaining_ms),
        (SlaStatus::Breached, None, -5 * MIN)
    );
    // stopping freezes the result
    c.stop(Timestamp(80 * MIN)).unwrap();
    let e = c.evaluate(&cal, &target, Timestamp(1_000 * MIN));
    assert_eq!(
        (e.status, e.elapsed_ms, e.stopped),
        (SlaStatus::Breached, 20 * MIN, true)
    );
}

#[test]
fn timers_survive_a_restart_through_serialisation() {
    let cal = office("America/New_York", &[]);
    let target = Target::new(4 * HOUR, 75);
    let start = local("America/New_York", 2026, 3, 6, 15, 0); // a Friday
    let mut c = SlaClock::start(start);
    c.pause(local("America/New_York", 2026, 3, 6, 16, 0))
        .unwrap();
    c.resume(local("America/New_York", 2026, 3, 9, 8, 0))
        .unwrap();
    let now = local("America/New_York", 2026, 3, 9, 8, 30);
    let json = serde_json::to_string(&c).unwrap();
    let restored: SlaClock = serde_json::from_str(&json).unwrap();
    let e = restored.evaluate(&cal, &target, now);
    assert_eq!(e, c.evaluate(&cal, &target, now));
    // 1 h on Friday; 2 h more by Monday 11:00 reaches 3 h = 75 %; due 12:00
    assert_eq!(e.elapsed_ms, HOUR);
    assert_eq!(
        e.warning_at,
        Some(local("America/New_York", 2026, 3, 9, 11, 0))
    );
    assert_eq!(e.due_at, Some(local("America/New_York", 2026, 3, 9, 12, 0)));
    assert_eq!(e.next_event_at, e.warning_at);
}

#[test]
fn injectable_clock_drives_evaluation() {
    let cal = BusinessCalendar::always_open();
    let clock = ManualClock::new(Timestamp(0));
    let c = SlaClock::start(Timestamp(0));
    let t = Target::new(HOUR, 80);
    assert_eq!(c.evaluate_with(&cal, &t, &clock).status, SlaStatus::Ok);
    clock.advance(50 * MIN);
    assert_eq!(c.evaluate_with(&cal, &t, &clock).status, SlaStatus::Warning);
    clock.set(Timestamp(2 * HOUR));
    assert_eq!(
        c.evaluate_with(&cal, &t, &clock).status,
        SlaStatus::Breached
    );
    let fixed = || Timestamp(0);
    assert_eq!(c.evaluate_with(&cal, &t, &fixed).status, SlaStatus::Ok);
}

#[test]
fn default_policy_is_24_7_with_minutes_for_urgent() {
    let p = SlaPolicy::default();
    assert_eq!(
        p.target(Priority::Urgent, SlaMetric::FirstResponse),
        Some(Target::new(5 * MIN, 80))
    );
    assert!(!p.uses_business_hours(Priority::Normal)); // no calendar set
    let with_cal = SlaPolicy {
        calendar: Some("office".into()),
        ..SlaPolicy::default()
    };
    assert!(with_cal.uses_business_hours(Priority::Normal));
    assert!(!with_cal.uses_business_hours(Priority::Urgent));
    assert_eq!(Target::new(10 * MIN, 80).warning_ms(), 8 * MIN);
    assert_eq!(Target::new(10 * MIN, 200).warning_ms(), 10 * MIN);
}
