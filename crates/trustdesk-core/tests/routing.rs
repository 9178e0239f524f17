//! Example-based tests of the routing policy, one rule at a time.

use trustdesk_core::routing::{
    AgentState, LanguageSet, MatchKind, Presence, QueueEntry, Router, RoutingConfig, Skills,
    WideningLevel, estimate_wait,
};
use trustdesk_core::{AgentId, Category, ConversationId, Language, Priority, TeamId, Timestamp};
use uuid::Uuid;

const MIN: i64 = 60_000;

fn aid(n: u128) -> AgentId {
    AgentId(Uuid::from_u128(n))
}
fn cid(n: u128) -> ConversationId {
    ConversationId(Uuid::from_u128(n))
}
fn tid(n: u128) -> TeamId {
    TeamId(Uuid::from_u128(n))
}

fn agent(n: u128, skills: &[(Category, u8)], langs: &[Language]) -> AgentState {
    AgentState {
        id: aid(n),
        teams: vec![],
        skills: Skills::from_pairs(skills.iter().copied()),
        languages: LanguageSet::of(langs.iter().copied()),
        capacity: 3,
        load: 0,
        presence: Presence::Online,
        last_assigned_at: None,
    }
}

fn entry(n: u128, cat: Category, lang: Language, prio: Priority, at: i64) -> QueueEntry {
    QueueEntry::new(cid(n), cat, lang, prio, Timestamp(at))
}

fn router() -> Router {
    Router::new(RoutingConfig {
        security_team: Some(tid(1)),
        overflow_team: Some(tid(2)),
        ..RoutingConfig::default()
    })
}

use Category::*;
use Language::*;
use Priority::*;

#[test]
fn skill_and_language_pick_the_agent() {
    let r = router();
    let agents = [
        agent(1, &[(Transfer, 3)], &[En]),
        agent(2, &[(Account, 3)], &[Zh]),
    ];
    let now = Timestamp(0);
    assert_eq!(
        r.rank(now, &agents, &entry(10, Transfer, En, Normal, 0)),
        Some(aid(1))
    );
    assert_eq!(
        r.rank(now, &agents, &entry(11, Account, Zh, Normal, 0)),
        Some(aid(2))
    );
    // right skill, wrong language / right language, wrong skill: nobody
    assert_eq!(
        r.rank(now, &agents, &entry(12, Transfer, Zh, Normal, 0)),
        None
    );
    assert_eq!(
        r.rank(now, &agents, &entry(13, Trading, En, Normal, 0)),
        None
    );
}

#[test]
fn offline_away_and_full_agents_get_nothing() {
    let r = router();
    let mut off = agent(1, &[(Transfer, 3)], &[En]);
    off.presence = Presence::Offline;
    let mut away = agent(2, &[(Transfer, 3)], &[En]);
    away.presence = Presence::Away;
    let mut full = agent(3, &[(Transfer, 3)], &[En]);
    full.load = 3;
    let mut zero = agent(4, &[(Transfer, 3)], &[En]);
    zero.capacity = 0;
    let e = entry(10, Transfer, En, Normal, 0);
    assert_eq!(r.rank(Timestamp(0), &[off, away, full, zero], &e), None);
}

#[test]
fn higher_proficiency_beats_lower_load() {
    let r = router();
    let mut expert = agent(1, &[(Trading, 3)], &[En]);
    expert.load = 2;
    let good = agent(2, &[(Trading, 2)], &[En]);
    let e = entry(10, Trading, En, Normal, 0);
    assert_eq!(r.rank(Timestamp(0), &[good, expert], &e), Some(aid(1)));
}

#[test]
fn least_loaded_by_ratio_then_absolute_load() {
    let r = router();
    let mut a = agent(1, &[(Trading, 2)], &[En]);
    a.capacity = 4;
    a.load = 2; // 50 %
    let mut b = agent(2, &[(Trading, 2)], &[En]);
    b.capacity = 3;
    b.load = 1; // 33 %
    let e = entry(10, Trading, En, Normal, 0);
    assert_eq!(
        r.rank(Timestamp(0), &[a.clone(), b.clone()], &e),
        Some(aid(2))
    );
    // equal ratio (50 %): fewer chats wins
    b.capacity = 2;
    assert_eq!(r.rank(Timestamp(0), &[a, b], &e), Some(aid(2)));
}

#[test]
fn longest_idle_then_id_breaks_ties() {
    let r = router();
    let mut a = agent(1, &[(Trading, 2)], &[En]);
    let mut b = agent(2, &[(Trading, 2)], &[En]);
    let mut c = agent(3, &[(Trading, 2)], &[En]);
    a.last_assigned_at = Some(Timestamp(500));
    b.last_assigned_at = Some(Timestamp(100));
    c.last_assigned_at = Some(Timestamp(300));
    let e = entry(10, Trading, En, Normal, 0);
    assert_eq!(
        r.rank(Timestamp(1_000), &[a.clone(), b.clone(), c.clone()], &e),
        Some(aid(2))
    );
    c.last_assigned_at = None; // never assigned = idle the longest
    assert_eq!(
        r.rank(Timestamp(1_000), &[a.clone(), b.clone(), c], &e),
        Some(aid(3))
    );
    a.last_assigned_at = Some(Timestamp(100));
    assert_eq!(r.rank(Timestamp(1_000), &[b, a], &e), Some(aid(1)));
}

#[test]
fn widening_accepts_lower_proficiency_then_fallback_then_overflow() {
    let r = router();
    let novice = agent(1, &[(Storage, 1)], &[En]);
    let zh_expert = agent(2, &[(Storage, 3)], &[Zh]);
    let mut overflow = agent(3, &[], &[En]);
    overflow.teams = vec![tid(2)];
    let mut e = entry(10, Storage, En, Normal, 0);
    e.fallback_language = Some(Zh);

    // level 0: only proficiency >= 2 in English: nobody
    assert_eq!(r.widening_level(Timestamp(0), &e), WideningLevel::Strict);
    assert_eq!(
        r.rank(Timestamp(0), &[novice.clone(), overflow.clone()], &e),
        None
    );
    assert_eq!(
        r.rank(Timestamp(0), std::slice::from_ref(&zh_expert), &e),
        None
    );
    // level 1 after 1 min: the novice
    let t1 = Timestamp(MIN);
    assert_eq!(r.widening_level(t1, &e), WideningLevel::AnyProficiency);
    assert_eq!(
        r.rank(t1, &[novice.clone(), zh_expert.clone()], &e),
        Some(aid(1))
    );
    assert_eq!(r.rank(t1, &[zh_expert.clone(), overflow.clone()], &e), None);
    // level 2 after 3 min: the Chinese-speaking expert (customer accepts zh),
    // but the customer's own language still comes first
    let t2 = Timestamp(3 * MIN);
    assert_eq!(r.widening_level(t2, &e), WideningLevel::FallbackLanguage);
    assert_eq!(
        r.rank(t2, &[zh_expert.clone(), overflow.clone()], &e),
        Some(aid(2))
    );
    assert_eq!(
        r.rank(t2, &[zh_expert.clone(), novice.clone()], &e),
        Some(aid(1))
    );
    let a = r
        .route_one(t2, std::slice::from_ref(&zh_expert), &e)
        .unwrap();
    assert_eq!(a.kind, MatchKind::FallbackLanguage);
    // level 3 after 5 min: the overflow team without the skill, but a skilled
    // agent is still preferred
    let t3 = Timestamp(5 * MIN);
    assert_eq!(r.widening_level(t3, &e), WideningLevel::OverflowTeam);
    let a = r.route_one(t3, &[overflow.clone()], &e).unwrap();
    assert_eq!((a.agent_id, a.kind), (aid(3), MatchKind::Overflow));
    assert_eq!(r.rank(t3, &[overflow.clone(), novice], &e), Some(aid(1)));
    // an overflow agent still needs a language the customer speaks
    let mut zh_overflow = agent(4, &[], &[Other]);
    zh_overflow.teams = vec![tid(2)];
    assert_eq!(r.rank(t3, &[zh_overflow], &e), None);
}

#[test]
fn fallback_language_only_when_the_customer_accepts_it() {
    let r = router();
    let zh = agent(1, &[(Storage, 3)], &[Zh]);
    let e = entry(10, Storage, En, Normal, 0);
    assert_eq!(r.rank(Timestamp(60 * MIN), &[zh], &e), None);
}

#[test]
fn stored_widening_level_is_a_floor() {
    let r = router();
    let novice = agent(1, &[(Storage, 1)], &[En]);
    let mut e = entry(10, Storage, En, Normal, 0);
    e.widening_level = WideningLevel::AnyProficiency;
    assert_eq!(r.rank(Timestamp(0), &[novice], &e), Some(aid(1)));
    assert_eq!(
        r.next_widening_at(Timestamp(0), &e),
        Some(Timestamp(3 * MIN))
    );
    e.widening_level = WideningLevel::OverflowTeam;
    assert_eq!(r.next_widening_at(Timestamp(0), &e), None);
}

#[test]
fn sticky_to_previous_agent_within_window_when_eligible() {
    let r = router();
    let best = agent(1, &[(Account, 3)], &[En]);
    let mut prev = agent(2, &[(Account, 2)], &[En]);
    prev.load = 2;
    let mut e = entry(10, Account, En, Normal, 10 * MIN);
    e.previous_agent = Some(aid(2));
    e.previous_contact_at = Some(Timestamp(0));
    let a = r
        .route_one(Timestamp(10 * MIN), &[best.clone(), prev.clone()], &e)
        .unwrap();
    assert_eq!((a.agent_id, a.kind), (aid(2), MatchKind::Sticky));
    // outside the 24 h window: the best agent
    let late = Timestamp(25 * 60 * MIN);
    e.enqueued_at = late;
    assert_eq!(
        r.rank(late, &[best.clone(), prev.clone()], &e),
        Some(aid(1))
    );
    // within the window but full: the best agent
    e.enqueued_at = Timestamp(10 * MIN);
    prev.load = 3;
    assert_eq!(
        r.rank(Timestamp(10 * MIN), &[best.clone(), prev.clone()], &e),
        Some(aid(1))
    );
    // within the window but lacking the language: not sticky
    prev.load = 0;
    prev.languages = LanguageSet::of([Zh]);
    assert_eq!(r.rank(Timestamp(10 * MIN), &[best, prev], &e), Some(aid(1)));
}

#[test]
fn urgent_security_goes_to_security_team_first() {
    let r = router();
    let outsider = agent(1, &[(Security, 3)], &[En]);
    let mut sec = agent(2, &[(Security, 1)], &[En]);
    sec.teams = vec![tid(1)];
    let mut e = entry(10, Security, En, High, 0);
    e.urgent = true;
    let a = r
        .route_one(Timestamp(0), &[outsider.clone(), sec.clone()], &e)
        .unwrap();
    assert_eq!((a.agent_id, a.kind), (aid(2), MatchKind::SecurityTeam));
    // team busy: the regular policy
    sec.load = 3;
    assert_eq!(
        r.rank(Timestamp(0), &[outsider.clone(), sec.clone()], &e),
        Some(aid(1))
    );
    // not urgent: the regular policy (proficiency first)
    sec.load = 0;
    e.urgent = false;
    assert_eq!(r.rank(Timestamp(0), &[outsider, sec], &e), Some(aid(1)));
}

#[test]
fn urgent_security_overtakes_the_queue() {
    let r = router();
    let mut a = agent(1, &[(Security, 3), (Transfer, 3)], &[En]);
    a.capacity = 1;
    let mut queue: Vec<QueueEntry> = (0..50)
        .map(|i| entry(100 + i, Transfer, En, High, i as i64))
        .collect();
    let mut u = entry(7, Security, En, Normal, 10_000);
    u.urgent = true;
    queue.push(u);
    let out = r.decide(Timestamp(10_000), &[a], &queue);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].conversation_id, cid(7));
}

#[test]
fn fifo_within_priority_and_priority_order() {
    let r = router();
    let mut a = agent(1, &[(Transfer, 3)], &[En]);
    a.capacity = 3;
    let queue = vec![
        entry(1, Transfer, En, Low, 0),
        entry(2, Transfer, En, Normal, 30),
        entry(3, Transfer, En, Normal, 20),
        entry(4, Transfer, En, High, 50),
        entry(5, Transfer, En, Normal, 40),
    ];
    let now = Timestamp(100);
    let order: Vec<_> = r
        .ordered(now, &queue)
        .into_iter()
        .map(|i| queue[i].conversation_id)
        .collect();
    assert_eq!(order, vec![cid(4), cid(3), cid(2), cid(5), cid(1)]);
    let out = r.decide(now, &[a], &queue);
    let got: Vec<_> = out.iter().map(|a| a.conversation_id).collect();
    assert_eq!(got, vec![cid(4), cid(3), cid(2)]);
    assert_eq!(r.queue_position(now, &queue, cid(5)), Some(4));
    assert_eq!(r.queue_position(now, &queue, cid(4)), Some(1));
    assert_eq!(r.queue_position(now, &queue, cid(99)), None);
}

#[test]
fn aging_lifts_waiting_entries_but_never_to_urgent() {
    let r = router(); // 5 min per step
    let old_low = entry(1, Transfer, En, Low, 0);
    let new_high = entry(2, Transfer, En, High, 9 * MIN);
    let new_normal = entry(3, Transfer, En, Normal, 9 * MIN);
    let mut urgent = entry(4, Transfer, En, Normal, 9 * MIN);
    urgent.urgent = true;
    let now = Timestamp(10 * MIN);
    assert_eq!(r.effective_priority(Timestamp(4 * MIN), &old_low), Low);
    assert_eq!(r.effective_priority(Timestamp(5 * MIN), &old_low), Normal);
    assert_eq!(r.effective_priority(now, &old_low), High);
    assert_eq!(r.effective_priority(Timestamp(1_000 * MIN), &old_low), High);
    assert_eq!(r.effective_priority(now, &urgent), Urgent);
    let queue = vec![new_normal, new_high, old_low.clone(), urgent];
    let order: Vec<_> = r
        .ordered(now, &queue)
        .into_iter()
        .map(|i| queue[i].conversation_id)
        .collect();
    assert_eq!(order, vec![cid(4), cid(1), cid(2), cid(3)]);
    assert_eq!(
        r.next_aging_at(Timestamp(MIN), &old_low),
        Some(Timestamp(5 * MIN))
    );
    assert_eq!(r.next_aging_at(now, &old_low), None);
    // the single timer the server needs: the earliest widening/aging step
    assert_eq!(
        r.next_change_at(Timestamp(MIN / 2), &queue[2..3]),
        Some(Timestamp(MIN))
    );
}

#[test]
fn decide_spreads_load_and_never_exceeds_capacity() {
    let r = router();
    let mut a = agent(1, &[(Transfer, 2)], &[En]);
    a.capacity = 2;
    let mut b = agent(2, &[(Transfer, 2)], &[En]);
    b.capacity = 2;
    let queue: Vec<_> = (0..200)
        .map(|i| entry(i, Transfer, En, Normal, i as i64))
        .collect();
    let out = r.decide(Timestamp(1_000), &[a, b], &queue);
    assert_eq!(out.len(), 4);
    let to: Vec<_> = out.iter().map(|x| x.agent_id).collect();
    assert_eq!(to, vec![aid(1), aid(2), aid(1), aid(2)]);
    let got: Vec<_> = out.iter().map(|x| x.conversation_id).collect();
    assert_eq!(got, vec![cid(0), cid(1), cid(2), cid(3)]);
}

#[test]
fn a_blocked_entry_does_not_block_others() {
    let r = router();
    let a = agent(1, &[(Transfer, 3)], &[En]);
    let queue = vec![
        entry(1, Compliance, Zh, High, 0), // nobody can take it
        entry(2, Transfer, En, Low, 10),
    ];
    let out = r.decide(Timestamp(20), &[a], &queue);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].conversation_id, cid(2));
}

#[test]
fn wait_estimate_is_unknown_without_data() {
    assert_eq!(estimate_wait(2, &[], 3), None);
    assert_eq!(estimate_wait(2, &[120_000], 0), None);
    assert_eq!(estimate_wait(2, &[120_000], 4), Some(60_000));
}

#[test]
fn routing_profile_from_a_stored_agent() {
    let stored = trustdesk_core::Agent {
        id: aid(9),
        email: "a@example.invalid".into(),
        display_name: "A".into(),
        role: trustdesk_core::Role::Agent,
        status: trustdesk_core::AgentStatus::Active,
        languages: vec![Zh, En],
        team_id: Some(tid(1)),
        badge: "X1".into(),
        created_at: Timestamp(0),
    };
    let mut a = AgentState::from_agent(&stored, Skills::from_pairs([(Security, 2)]), 4);
    assert!(a.languages.contains(Zh) && a.languages.contains(En) && !a.languages.contains(Other));
    assert!(a.in_team(tid(1)));
    let mut e = entry(1, Security, Zh, Normal, 0);
    e.urgent = true;
    assert_eq!(
        router().rank(Timestamp(0), std::slice::from_ref(&a), &e),
        None
    ); // offline
    a.presence = Presence::Online;
    let got = router().route_one(Timestamp(0), &[a], &e).unwrap();
    assert_eq!(got.kind, MatchKind::SecurityTeam);
}
