//! Property tests of the routing engine against an independent oracle of
//! the policy (written here from the spec, not from the implementation).

use proptest::prelude::*;
use std::collections::HashMap;
use trustdesk_core::routing::{
    AgentState, Assignment, LanguageSet, Presence, QueueEntry, Router, RoutingConfig, Skills,
    WideningLevel,
};
use trustdesk_core::{AgentId, Category, ConversationId, Language, Priority, TeamId, Timestamp};
use uuid::Uuid;

const SECURITY: u128 = 1;
const OVERFLOW: u128 = 2;

fn arb_config() -> impl Strategy<Value = RoutingConfig> {
    (
        1u8..=3,
        prop::array::uniform3(0i64..400_000),
        prop_oneof![Just(0i64), 0i64..2_000_000],
        prop_oneof![Just(0i64), 1i64..500_000],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(min_proficiency, w, sticky, aging, sec, ovf)| RoutingConfig {
                min_proficiency,
                widen_after_ms: w,
                sticky_window_ms: sticky,
                aging_step_ms: aging,
                security_team: sec.then(|| TeamId(Uuid::from_u128(SECURITY))),
                overflow_team: ovf.then(|| TeamId(Uuid::from_u128(OVERFLOW))),
            },
        )
}

fn arb_agent(i: usize) -> impl Strategy<Value = AgentState> {
    (
        prop::array::uniform6(prop_oneof![3 => Just(0u8), 1 => 1u8..=3]),
        0u8..8,
        0u8..4,
        0u32..4,
        0u32..5,
        prop_oneof![3 => Just(Presence::Online), 1 => Just(Presence::Away), 1 => Just(Presence::Offline)],
        prop::option::of(0i64..1_000_000),
    )
        .prop_map(move |(skills, langs, teams, capacity, load, presence, last)| {
            let mut t = vec![];
            if teams & 1 != 0 {
                t.push(TeamId(Uuid::from_u128(SECURITY)));
            }
            if teams & 2 != 0 {
                t.push(TeamId(Uuid::from_u128(OVERFLOW)));
            }
            AgentState {
                // ids in a shuffled-but-unique order so the id tie-break matters
                id: AgentId(Uuid::from_u128((i as u128 * 7919) % 1_000 + 100)),
                teams: t,
                skills: Skills(skills),
                languages: LanguageSet(langs),
                capacity,
                load,
                presence,
                last_assigned_at: last.map(Timestamp),
            }
        })
}

fn arb_agents() -> impl Strategy<Value = Vec<AgentState>> {
    (0usize..14).prop_flat_map(|n| (0..n).map(arb_agent).collect::<Vec<_>>())
}

fn arb_entry(i: usize, n_agents_hint: usize) -> impl Strategy<Value = QueueEntry> {
    (
        prop::sample::select(Category::ALL),
        prop::sample::select(Language::ALL),
        prop::sample::select(Priority::ALL),
        prop::bool::weighted(0.2),
        0i64..1_000_000,
        prop::option::of((0..n_agents_hint.max(1), 0i64..2_000_000)),
        prop::option::of(prop::sample::select(Language::ALL)),
        0usize..4,
    )
        .prop_map(
            move |(category, language, priority, urgent, at, prev, fb, lvl)| QueueEntry {
                conversation_id: ConversationId(Uuid::from_u128(10_000 + i as u128)),
                category,
                language,
                priority,
                urgent,
                enqueued_at: Timestamp(at),
                previous_agent: prev
                    .map(|(a, _)| AgentId(Uuid::from_u128((a as u128 * 7919) % 1_000 + 100))),
                previous_contact_at: prev.map(|(_, t)| Timestamp(t)),
                fallback_language: fb,
                widening_level: [
                    WideningLevel::Strict,
                    WideningLevel::Strict,
                    WideningLevel::AnyProficiency,
                    WideningLevel::OverflowTeam,
                ][lvl],
            },
        )
}

fn arb_queue() -> impl Strategy<Value = Vec<QueueEntry>> {
    (0usize..25).prop_flat_map(|n| (0..n).map(|i| arb_entry(i, 14)).collect::<Vec<_>>())
}

fn arb_case() -> impl Strategy<Value = (RoutingConfig, Vec<AgentState>, Vec<QueueEntry>, Timestamp)>
{
    (
        arb_config(),
        arb_agents(),
        arb_queue(),
        (1_000_000i64..2_500_000).prop_map(Timestamp),
    )
}

// ---- the oracle -------------------------------------------------------------

fn oracle_level(cfg: &RoutingConfig, now: Timestamp, e: &QueueEntry) -> WideningLevel {
    let waited = now.0 - e.enqueued_at.0;
    let mut t = i64::MIN;
    let mut level = 0;
    for (i, w) in cfg.widen_after_ms.iter().enumerate() {
        t = t.max(*w);
        if waited >= t {
            level = i + 1;
        }
    }
    WideningLevel::ALL[level].max(e.widening_level)
}

fn in_team(a: &AgentState, team: Option<TeamId>) -> bool {
    team.is_some_and(|t| a.teams.contains(&t))
}

/// Whether the policy allows `a` (with `load`) to take `e` at all.
fn allowed(cfg: &RoutingConfig, now: Timestamp, a: &AgentState, load: u32, e: &QueueEntry) -> bool {
    if a.presence != Presence::Online || load >= a.capacity {
        return false;
    }
    let level = oracle_level(cfg, now, e);
    let lang_ok = a.languages.contains(e.language)
        || (level >= WideningLevel::FallbackLanguage
            && e.fallback_language.is_some_and(|f| a.languages.contains(f)));
    if !lang_ok {
        return false;
    }
    let prof = a.skills.get(e.category);
    let min = if level >= WideningLevel::AnyProficiency {
        1
    } else {
        cfg.min_proficiency
    };
    prof >= min
        || (e.urgent
            && e.category == Category::Security
            && in_team(a, cfg.security_team)
            && prof >= 1)
        || (level >= WideningLevel::OverflowTeam && in_team(a, cfg.overflow_team))
}

/// Replays `out` over the agents and checks capacity and eligibility at the
/// moment of each assignment; returns the final loads.
fn replay(
    cfg: &RoutingConfig,
    now: Timestamp,
    agents: &[AgentState],
    queue: &[QueueEntry],
    out: &[Assignment],
) -> Result<HashMap<AgentId, u32>, TestCaseError> {
    let mut loads: HashMap<AgentId, u32> = agents.iter().map(|a| (a.id, a.load)).collect();
    let mut seen = std::collections::HashSet::new();
    for asg in out {
        prop_assert!(seen.insert(asg.conversation_id), "assigned twice");
        let a = agents.iter().find(|a| a.id == asg.agent_id).unwrap();
        let e = queue
            .iter()
            .find(|e| e.conversation_id == asg.conversation_id)
            .unwrap();
        let load = loads[&a.id];
        prop_assert!(
            allowed(cfg, now, a, load, e),
            "{:?} not allowed for {:?} (load {})",
            a,
            e,
            load
        );
        prop_assert_eq!(asg.level, oracle_level(cfg, now, e));
        *loads.get_mut(&a.id).unwrap() += 1;
        prop_assert!(loads[&a.id] <= a.capacity, "over capacity");
    }
    Ok(loads)
}

fn same_requirements(a: &QueueEntry, b: &QueueEntry) -> bool {
    a.category == b.category
        && a.language == b.language
        && a.fallback_language == b.fallback_language
        && a.urgent == b.urgent
        && a.priority == b.priority
        && a.widening_level == b.widening_level
}

/// The spec's ranking key for a regular (non-sticky, non-security) pick.
fn key(
    a: &AgentState,
    e: &QueueEntry,
) -> (
    u8,
    std::cmp::Reverse<u8>,
    u64,
    u32,
    Option<Timestamp>,
    AgentId,
) {
    let tier = u8::from(!a.languages.contains(e.language));
    let prof = a.skills.get(e.category);
    // ratio scaled to compare exactly: load * LCM-free cross product via f64
    // is not exact, so use load * 720720 / capacity (capacity < 16 here).
    let ratio = u64::from(a.load) * 720_720 / u64::from(a.capacity.max(1));
    (
        tier,
        std::cmp::Reverse(prof),
        ratio,
        a.load,
        a.last_assigned_at,
        a.id,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Never over capacity, never to an offline/away agent, never without the
    /// language (beyond an accepted fallback at level 2+), never without the
    /// skill (beyond overflow at level 3, or the security team for urgent
    /// security), never to a proficiency below the strict minimum at level 0.
    #[test]
    fn decisions_respect_capacity_presence_language_and_skill(
        (cfg, agents, queue, now) in arb_case()
    ) {
        let r = Router::new(cfg.clone());
        let out = r.decide(now, &agents, &queue);
        replay(&cfg, now, &agents, &queue, &out)?;
    }

    /// Work-conserving: after a batch, no waiting entry has an agent who
    /// could take it.
    #[test]
    fn nothing_left_waiting_that_an_agent_could_take(
        (cfg, agents, queue, now) in arb_case()
    ) {
        let r = Router::new(cfg.clone());
        let out = r.decide(now, &agents, &queue);
        let loads = replay(&cfg, now, &agents, &queue, &out)?;
        for e in &queue {
            if out.iter().any(|a| a.conversation_id == e.conversation_id) {
                continue;
            }
            for a in &agents {
                prop_assert!(
                    !allowed(&cfg, now, a, loads[&a.id], e),
                    "{:?} left waiting though {:?} could take it", e, a
                );
            }
        }
    }

    /// FIFO within a priority: an earlier entry is never left waiting while a
    /// later one with the same priority and requirements is assigned.
    #[test]
    fn fifo_within_priority((cfg, agents, queue, now) in arb_case()) {
        let r = Router::new(cfg);
        let out = r.decide(now, &agents, &queue);
        let assigned: std::collections::HashSet<_> =
            out.iter().map(|a| a.conversation_id).collect();
        for early in &queue {
            if assigned.contains(&early.conversation_id) {
                continue;
            }
            for late in &queue {
                if late.enqueued_at > early.enqueued_at && same_requirements(early, late) {
                    prop_assert!(
                        !assigned.contains(&late.conversation_id),
                        "{:?} assigned before earlier {:?}", late, early
                    );
                }
            }
        }
    }

    /// Deterministic: the same input gives the same output, whatever the
    /// order of the agents and the queue.
    #[test]
    fn deterministic_and_order_independent(
        (cfg, agents, queue, now) in arb_case(),
        seed in any::<u64>(),
    ) {
        let r = Router::new(cfg);
        let out = r.decide(now, &agents, &queue);
        prop_assert_eq!(&out, &r.decide(now, &agents, &queue));
        let mut a2 = agents.clone();
        let mut q2 = queue.clone();
        // a cheap deterministic shuffle driven by the seed
        let mut s = seed | 1;
        for i in (1..a2.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            a2.swap(i, (s % (i as u64 + 1)) as usize);
        }
        for i in (1..q2.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            q2.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(&out, &r.decide(now, &a2, &q2));
    }

    /// Urgent security requests are served before anything else, and go to
    /// the security team whenever a member can take them.
    #[test]
    fn urgent_security_first((cfg, agents, queue, now) in arb_case()) {
        let r = Router::new(cfg.clone());
        let out = r.decide(now, &agents, &queue);
        let is_us = |c: ConversationId| {
            queue.iter().any(|e| e.conversation_id == c && e.urgent && e.category == Category::Security)
        };
        let first_other = out.iter().position(|a| !is_us(a.conversation_id)).unwrap_or(out.len());
        prop_assert!(out[first_other..].iter().all(|a| !is_us(a.conversation_id)));

        for e in queue.iter().filter(|e| e.urgent && e.category == Category::Security) {
            let team_can = agents.iter().any(|a| {
                in_team(a, cfg.security_team) && allowed(&cfg, now, a, a.load, e)
                    && a.skills.get(Category::Security) >= 1
            });
            if team_can {
                let got = r.rank(now, &agents, e).unwrap();
                let a = agents.iter().find(|a| a.id == got).unwrap();
                prop_assert!(in_team(a, cfg.security_team));
            }
        }
    }

    /// A single regular pick (no stickiness, not urgent security) is the best
    /// allowed agent by the spec's key: language, proficiency, load ratio,
    /// load, idle time, id.
    #[test]
    fn rank_picks_the_best_by_the_spec_key(
        (cfg, agents, queue, now) in arb_case()
    ) {
        let r = Router::new(cfg.clone());
        for e in &queue {
            let mut e = e.clone();
            e.previous_agent = None;
            e.urgent = false;
            let best = agents
                .iter()
                .filter(|a| allowed(&cfg, now, a, a.load, &e))
                .min_by_key(|a| key(a, &e))
                .map(|a| a.id);
            prop_assert_eq!(r.rank(now, &agents, &e), best);
        }
    }

    /// Stickiness: within the window, an allowed previous agent always wins.
    #[test]
    fn sticky_previous_agent_wins_when_allowed(
        (cfg, agents, queue, now) in arb_case()
    ) {
        let r = Router::new(cfg.clone());
        for e in queue.iter().filter(|e| !(e.urgent && e.category == Category::Security)) {
            let (Some(prev), Some(at)) = (e.previous_agent, e.previous_contact_at) else { continue };
            let Some(a) = agents.iter().find(|a| a.id == prev) else { continue };
            let in_window = cfg.sticky_window_ms > 0 && now.0 - at.0 <= cfg.sticky_window_ms;
            let regular_ok = allowed(&cfg, now, a, a.load, &QueueEntry { urgent: false, ..e.clone() });
            if in_window && regular_ok {
                prop_assert_eq!(r.rank(now, &agents, e), Some(prev));
            }
        }
    }

    /// Aging never reorders two entries of the same base priority (FIFO),
    /// never lifts anything to urgent, and the widening level never falls.
    #[test]
    fn aging_and_widening_are_monotonic(
        (cfg, _agents, queue, now) in arb_case(),
        later in 0i64..2_000_000,
    ) {
        let r = Router::new(cfg);
        let later = Timestamp(now.0 + later);
        for e in &queue {
            prop_assert!(r.widening_level(later, e) >= r.widening_level(now, e));
            prop_assert!(r.effective_priority(later, e) >= r.effective_priority(now, e));
            if !e.urgent {
                prop_assert!(r.effective_priority(later, e) <= Priority::High.max(e.priority));
            }
            if let Some(t) = r.next_change_at(now, std::slice::from_ref(e)) {
                prop_assert!(t > now);
                let before = Timestamp(t.0 - 1);
                let changed = r.widening_level(t, e) != r.widening_level(before, e)
                    || r.effective_priority(t, e) != r.effective_priority(before, e);
                prop_assert!(changed, "nothing changes at the announced instant");
            }
        }
    }

    /// Positions for everyone at once agree with one at a time, start at 1
    /// and follow service order within a category and language.
    #[test]
    fn queue_positions_agree((cfg, _agents, queue, now) in arb_case()) {
        let r = Router::new(cfg);
        let all = r.queue_positions(now, &queue);
        prop_assert_eq!(all.len(), queue.len());
        for (id, pos) in &all {
            prop_assert_eq!(r.queue_position(now, &queue, *id), Some(*pos));
            prop_assert!(*pos >= 1);
        }
    }
}

// ---- one routing pass (routing::pass) ------------------------------------------

use trustdesk_core::routing::pass;

/// Waiting conversations over the generated queue: each in the general
/// queue or a team's, some held back for the bot (before or after `now`).
fn arb_pass() -> impl Strategy<
    Value = (
        RoutingConfig,
        Vec<AgentState>,
        Vec<pass::Waiting>,
        Timestamp,
    ),
> {
    arb_case().prop_flat_map(|(cfg, agents, queue, now)| {
        let n = queue.len();
        (
            Just(cfg),
            Just(agents),
            Just(queue),
            Just(now),
            prop::collection::vec((0u8..3, prop::option::of(-500_000i64..500_000)), n),
        )
            .prop_map(|(cfg, agents, queue, now, extra)| {
                let waiting = queue
                    .into_iter()
                    .zip(extra)
                    .map(|(entry, (team, hold))| pass::Waiting {
                        entry,
                        team: match team {
                            0 => None,
                            1 => Some(TeamId(Uuid::from_u128(SECURITY))),
                            _ => Some(TeamId(Uuid::from_u128(OVERFLOW))),
                        },
                        held_until: hold.map(|d| Timestamp(now.0 + d)),
                    })
                    .collect();
                (cfg, agents, waiting, now)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A pass never gives an agent more than their free capacity, never
    /// assigns a conversation twice, never routes a conversation still held
    /// for the bot, and serves a team queue from its members only.
    #[test]
    fn a_pass_respects_capacity_holds_and_teams((cfg, agents, waiting, now) in arb_pass()) {
        let router = Router::new(cfg);
        let plan = pass::plan(&router, now, &agents, &waiting, &[]);
        let mut per_agent: HashMap<AgentId, u32> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for a in &plan.assignments {
            prop_assert!(seen.insert(a.conversation_id), "assigned twice");
            *per_agent.entry(a.agent_id).or_default() += 1;
            let w = waiting.iter().find(|w| w.entry.conversation_id == a.conversation_id)
                .expect("assigned a conversation that was not waiting");
            prop_assert!(w.held_until.is_none_or(|u| u <= now), "routed while held");
            if let Some(team) = w.team {
                let agent = agents.iter().find(|x| x.id == a.agent_id).unwrap();
                prop_assert!(agent.in_team(team), "a team queue served by a non-member");
            }
        }
        for (agent, n) in per_agent {
            let a = agents.iter().find(|x| x.id == agent).unwrap();
            prop_assert!(a.load + n <= a.capacity.max(a.load), "over capacity");
            prop_assert!(a.load < a.capacity || n == 0);
        }
    }

    /// After a pass, every conversation is either assigned or in the queue
    /// view exactly once; held ones show position 0 with their hold, the
    /// others a position from 1; `wake` is no later than the first hold.
    #[test]
    fn a_pass_accounts_for_every_waiting_conversation((cfg, agents, waiting, now) in arb_pass()) {
        let router = Router::new(cfg);
        let plan = pass::plan(&router, now, &agents, &waiting, &[60_000, 120_000]);
        let assigned: std::collections::HashSet<_> =
            plan.assignments.iter().map(|a| a.conversation_id).collect();
        let mut viewed = std::collections::HashSet::new();
        for v in &plan.queue {
            prop_assert!(viewed.insert(v.conversation_id), "listed twice");
            prop_assert!(!assigned.contains(&v.conversation_id), "listed though assigned");
            let w = waiting.iter().find(|w| w.entry.conversation_id == v.conversation_id).unwrap();
            prop_assert_eq!(v.team_id, w.team);
            match w.held_until.filter(|u| *u > now) {
                Some(until) => {
                    prop_assert_eq!(v.position, 0);
                    prop_assert_eq!(v.held_until, Some(until));
                    prop_assert!(plan.wake.is_some_and(|t| t <= until));
                }
                None => prop_assert!(v.position >= 1 && v.held_until.is_none()),
            }
        }
        prop_assert_eq!(viewed.len() + assigned.len(), waiting.len());
    }

    /// An agent's chats go back to the queue exactly when the grace period
    /// has run out; until then the pass wakes when the first one does.
    #[test]
    fn requeues_follow_the_grace_period(
        gone in prop::collection::vec((0u128..6, 0i64..1_000_000), 0..6),
        chats in prop::collection::vec((0u128..40, 0u128..8), 0..30),
        grace in 0i64..600_000,
        now in 0i64..1_500_000,
    ) {
        let agent = |i: u128| AgentId(Uuid::from_u128(500 + i));
        let mut gone_map: HashMap<AgentId, Timestamp> = HashMap::new();
        for (i, since) in gone {
            gone_map.entry(agent(i)).or_insert(Timestamp(since));
        }
        let gone: Vec<_> = gone_map.iter().map(|(a, t)| (*a, *t)).collect();
        let mut chat_map: HashMap<ConversationId, AgentId> = HashMap::new();
        for (c, a) in chats {
            chat_map.entry(ConversationId(Uuid::from_u128(9_000 + c))).or_insert(agent(a));
        }
        let assigned: Vec<_> = chat_map.iter().map(|(c, a)| (*c, *a)).collect();
        let now = Timestamp(now);
        let (requeued, wake) = pass::requeues(now, grace, &gone, &assigned);
        for (c, a) in &assigned {
            let expired = gone_map.get(a).is_some_and(|since| now.0 >= since.0 + grace);
            prop_assert_eq!(requeued.contains(&(*c, *a)), expired);
        }
        let pending = gone_map
            .iter()
            .filter(|(a, since)| now.0 < since.0 + grace && chat_map.values().any(|x| x == *a))
            .map(|(_, since)| Timestamp(since.0 + grace))
            .min();
        prop_assert_eq!(wake, pending);
    }
}
