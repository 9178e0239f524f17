//! Tests of [`sample`]: strata, quota, exclusions and the seeded draw.

use super::*;
use crate::ids::{AgentId, ConversationId};
use proptest::prelude::*;
use std::collections::HashSet;
use uuid::Uuid;

fn conv(n: u128) -> ConversationId {
    ConversationId(Uuid::from_u128(0x1000 + n))
}

fn agent(n: u128) -> AgentId {
    AgentId(Uuid::from_u128(n))
}

/// An unflagged candidate: CSAT 5, no breach, no guard event.
fn plain(c: u128, a: u128) -> Candidate {
    Candidate {
        conversation_id: conv(c),
        agent: agent(a),
        csat: Some(5),
        sla_breached: false,
        guard_hits: 0,
        outbound_overrides: 0,
    }
}

fn with(c: u128, a: u128, f: impl FnOnce(&mut Candidate)) -> Candidate {
    let mut cand = plain(c, a);
    f(&mut cand);
    cand
}

fn none() -> HashSet<ConversationId> {
    HashSet::new()
}

fn ids(s: &AgentSample) -> Vec<ConversationId> {
    s.picks.iter().map(|p| p.conversation_id).collect()
}

fn whys(s: &AgentSample) -> Vec<Why> {
    s.picks.iter().map(|p| p.why).collect()
}

fn forty_plain() -> Vec<Candidate> {
    (0..40).map(|c| plain(c, 1)).collect()
}

#[test]
fn the_same_seed_gives_the_same_sample() {
    let plan = SamplePlan::new(5);
    let a = sample(&forty_plain(), &plan, &none(), 42);
    assert_eq!(a, sample(&forty_plain(), &plan, &none(), 42));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].picks.len(), 5);
    assert!(whys(&a[0]).iter().all(|w| *w == Why::Random));
}

#[test]
fn different_seeds_give_different_samples() {
    let plan = SamplePlan::new(5);
    let draws: HashSet<Vec<ConversationId>> = (0..10)
        .map(|seed| ids(&sample(&forty_plain(), &plan, &none(), seed)[0]))
        .collect();
    // 40 choose 5 is 658,008: ten seeds drawing fewer than 9 distinct
    // samples would mean the seed hardly matters.
    assert!(draws.len() >= 9, "{} distinct draws", draws.len());
}

#[test]
fn input_order_does_not_matter() {
    let plan = SamplePlan::new(4);
    let mut cands: Vec<Candidate> = (0..30).map(|c| plain(c, c % 3)).collect();
    cands.push(with(100, 1, |c| c.sla_breached = true));
    cands.push(with(101, 2, |c| c.csat = Some(1)));
    let forward = sample(&cands, &plan, &none(), 7);
    cands.reverse();
    assert_eq!(sample(&cands, &plan, &none(), 7), forward);
    cands.rotate_left(11);
    assert_eq!(sample(&cands, &plan, &none(), 7), forward);
}

#[test]
fn forced_conversations_come_first_by_priority_then_random_fills() {
    let mut cands: Vec<Candidate> = (0..20).map(|c| plain(c, 1)).collect();
    cands.push(with(50, 1, |c| c.csat = Some(2)));
    cands.push(with(51, 1, |c| c.sla_breached = true));
    cands.push(with(52, 1, |c| c.outbound_overrides = 1));
    for seed in 0..20 {
        let s = &sample(&cands, &SamplePlan::new(5), &none(), seed)[0];
        assert_eq!(ids(s)[..3], [conv(52), conv(51), conv(50)]);
        assert_eq!(
            whys(s),
            [
                Why::Forced(Reason::GuardOverride),
                Why::Forced(Reason::SlaBreach),
                Why::Forced(Reason::LowCsat),
                Why::Random,
                Why::Random,
            ]
        );
    }
}

#[test]
fn forced_go_past_the_quota_up_to_twice_it_higher_reasons_first() {
    // 2 overrides, 3 guard hits, 7 low CSAT: 12 forced, quota 5, cap 10.
    let mut cands: Vec<Candidate> = (0..10).map(|c| plain(c, 1)).collect();
    cands.extend((20..22).map(|c| with(c, 1, |c| c.outbound_overrides = 2)));
    cands.extend((30..33).map(|c| with(c, 1, |c| c.guard_hits = 1)));
    cands.extend((40..47).map(|c| with(c, 1, |c| c.csat = Some(1))));
    let s = &sample(&cands, &SamplePlan::new(5), &none(), 3)[0];
    let count = |r: Reason| whys(s).iter().filter(|w| **w == Why::Forced(r)).count();
    assert_eq!(s.picks.len(), 10, "capped at 2 × 5, no random picks");
    assert_eq!(count(Reason::GuardOverride), 2);
    assert_eq!(count(Reason::GuardHit), 3);
    assert_eq!(count(Reason::LowCsat), 5, "the lowest reason is cut");

    let plan = SamplePlan {
        max_forced: Some(12),
        ..SamplePlan::new(5)
    };
    assert_eq!(sample(&cands, &plan, &none(), 3)[0].picks.len(), 12);
}

#[test]
fn a_cap_below_the_quota_leaves_the_rest_to_the_draw() {
    let cands: Vec<Candidate> = (0..6)
        .map(|c| with(c, 1, |c| c.sla_breached = true))
        .collect();
    let plan = SamplePlan {
        max_forced: Some(1),
        ..SamplePlan::new(3)
    };
    let s = &sample(&cands, &plan, &none(), 9)[0];
    assert_eq!(
        whys(s),
        [Why::Forced(Reason::SlaBreach), Why::Random, Why::Random]
    );
}

#[test]
fn the_quota_is_respected_per_agent() {
    let cands: Vec<Candidate> = (0..90).map(|c| plain(c, c % 3)).collect();
    let got = sample(&cands, &SamplePlan::new(7), &none(), 1);
    assert_eq!(
        got.iter().map(|s| s.agent).collect::<Vec<_>>(),
        [agent(0), agent(1), agent(2)]
    );
    for s in &got {
        assert_eq!(s.picks.len(), 7);
        let own: HashSet<_> = cands
            .iter()
            .filter(|c| c.agent == s.agent)
            .map(|c| c.conversation_id)
            .collect();
        assert!(ids(s).iter().all(|id| own.contains(id)), "own work only");
    }
    assert!(
        sample(&cands, &SamplePlan::new(0), &none(), 1)
            .iter()
            .all(|s| s.picks.is_empty())
    );
}

#[test]
fn excluded_conversations_are_never_chosen() {
    let mut cands: Vec<Candidate> = (0..10).map(|c| plain(c, 1)).collect();
    cands.push(with(10, 1, |c| c.guard_hits = 3));
    let exclude: HashSet<ConversationId> = [conv(10), conv(0), conv(1), conv(2)].into();
    for seed in 0..50 {
        let s = &sample(&cands, &SamplePlan::new(6), &exclude, seed)[0];
        assert_eq!(s.picks.len(), 6);
        assert!(ids(s).iter().all(|id| !exclude.contains(id)));
        assert!(
            whys(s).iter().all(|w| *w == Why::Random),
            "the forced one was reviewed"
        );
    }
}

#[test]
fn an_agent_with_fewer_candidates_than_the_quota_gets_all() {
    let cands = vec![
        plain(1, 1),
        with(2, 1, |c| c.csat = None),
        with(3, 1, |c| c.sla_breached = true),
    ];
    let s = &sample(&cands, &SamplePlan::new(5), &none(), 11)[0];
    let mut got = ids(s);
    got.sort();
    assert_eq!(got, [conv(1), conv(2), conv(3)]);
    assert_eq!(s.picks[0].why, Why::Forced(Reason::SlaBreach));
}

#[test]
fn an_agent_whose_work_was_all_reviewed_is_listed_with_no_picks() {
    let cands = vec![plain(1, 1), plain(2, 2)];
    let got = sample(&cands, &SamplePlan::new(5), &[conv(1)].into(), 0);
    assert_eq!(got.len(), 2);
    assert!(got[0].picks.is_empty());
    assert_eq!(ids(&got[1]), [conv(2)]);
}

#[test]
fn low_csat_is_one_to_the_mark_and_the_highest_reason_counts() {
    let plan = SamplePlan::new(1);
    let reason = |f: fn(&mut Candidate)| with(0, 0, f).forced_reason(&plan);
    assert_eq!(reason(|c| c.csat = Some(1)), Some(Reason::LowCsat));
    assert_eq!(reason(|c| c.csat = Some(2)), Some(Reason::LowCsat));
    assert_eq!(reason(|c| c.csat = Some(3)), None);
    assert_eq!(reason(|c| c.csat = Some(0)), None, "0 is not a rating");
    assert_eq!(reason(|c| c.csat = None), None);
    let mut three = plan.clone();
    three.low_csat_at_most = 3;
    assert_eq!(
        with(0, 0, |c| c.csat = Some(3)).forced_reason(&three),
        Some(Reason::LowCsat)
    );
    let all = with(0, 0, |c| {
        c.csat = Some(1);
        c.sla_breached = true;
        c.guard_hits = 1;
    });
    assert_eq!(all.forced_reason(&plan), Some(Reason::GuardHit));
}

#[test]
fn a_conversation_listed_twice_is_sampled_once() {
    let cands = vec![plain(1, 1), plain(1, 1), plain(2, 1)];
    let s = &sample(&cands, &SamplePlan::new(5), &none(), 0)[0];
    assert_eq!(s.picks.len(), 2);
}

#[test]
fn adding_an_agent_changes_nobody_elses_sample() {
    let plan = SamplePlan::new(3);
    let mut cands: Vec<Candidate> = (0..20).map(|c| plain(c, 1)).collect();
    let before = sample(&cands, &plan, &none(), 5);
    cands.extend((100..120).map(|c| plain(c, 2)));
    let after = sample(&cands, &plan, &none(), 5);
    assert_eq!(after[0], before[0]);
    assert_eq!(after.len(), 2);
}

#[test]
fn picks_and_plans_have_a_plain_json_form() {
    let pick = Pick {
        conversation_id: conv(1),
        why: Why::Forced(Reason::GuardOverride),
    };
    let v = serde_json::to_value(&pick).unwrap();
    assert_eq!(v["why"], "guard_override");
    assert_eq!(serde_json::from_value::<Pick>(v).unwrap(), pick);
    for (why, word) in [
        (Why::Forced(Reason::GuardHit), "guard_hit"),
        (Why::Forced(Reason::SlaBreach), "sla_breach"),
        (Why::Forced(Reason::LowCsat), "low_csat"),
        (Why::Random, "random"),
    ] {
        assert_eq!(serde_json::to_value(why).unwrap(), word);
        assert_eq!(serde_json::from_value::<Why>(word.into()).unwrap(), why);
    }
    let plan: SamplePlan = serde_json::from_str(r#"{"per_agent":4}"#).unwrap();
    assert_eq!(plan, SamplePlan::new(4));
    assert_eq!(plan.forced_cap(), 8);
    assert_eq!(
        serde_json::to_value(&plan).unwrap(),
        serde_json::json!({"per_agent": 4, "low_csat_at_most": 2})
    );
}

fn arb_candidate() -> impl Strategy<Value = Candidate> {
    (
        0u128..60,
        0u128..4,
        prop::option::of(0u8..=5),
        any::<bool>(),
        0u32..3,
        0u32..2,
    )
        .prop_map(
            |(c, a, csat, sla_breached, guard_hits, outbound_overrides)| Candidate {
                conversation_id: conv(c),
                agent: agent(a),
                csat,
                sla_breached,
                guard_hits,
                outbound_overrides,
            },
        )
}

proptest! {
    #[test]
    fn never_duplicates_never_excluded_always_within_bounds(
        cands in prop::collection::vec(arb_candidate(), 0..80),
        excluded in prop::collection::hash_set(0u128..60, 0..20),
        per_agent in 0u32..8,
        seed in any::<u64>(),
    ) {
        let exclude: HashSet<ConversationId> = excluded.into_iter().map(conv).collect();
        let plan = SamplePlan::new(per_agent);
        let got = sample(&cands, &plan, &exclude, seed);
        let mut seen = HashSet::new();
        for s in &got {
            for p in &s.picks {
                prop_assert!(seen.insert(p.conversation_id), "duplicate {:?}", p);
                prop_assert!(!exclude.contains(&p.conversation_id));
            }
            prop_assert!(s.picks.len() <= plan.forced_cap().max(per_agent) as usize);
            // forced first, in priority order
            let forced: Vec<Reason> = s.picks.iter().filter_map(|p| match p.why {
                Why::Forced(r) => Some(r),
                Why::Random => None,
            }).collect();
            prop_assert!(forced.windows(2).all(|w| w[0] <= w[1]));
            prop_assert!(s.picks[..forced.len()].iter().all(|p| p.why != Why::Random));
        }
        let mut shuffled = cands.clone();
        shuffled.reverse();
        prop_assert_eq!(sample(&shuffled, &plan, &exclude, seed), got);
    }
}
