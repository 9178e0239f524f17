//! The behaviour of conditions, triggers, the planner and dry runs.

use super::test_support::*;
use super::*;
use crate::event::{Actor, EventKind};
use crate::guard::GuardedText;
use crate::ids::{AgentId, CannedId, CustomerId, RuleId, TeamId};
use crate::model::{Category, Channel, ConversationStatus, Language, Priority};
use crate::sla::SlaMetric;
use proptest::prelude::*;

fn holds(c: Condition, s: &Subject) -> bool {
    c.matches(s)
}

fn set_priority(priority: Priority) -> Action {
    Action::SetPriority { priority }
}

fn run(rules: &[Rule], s: &Subject) -> Plan {
    plan(rules, &customer_message(), s, &Limits::default(), 0)
}

fn ids(p: &Plan) -> Vec<RuleId> {
    p.fired.iter().map(|f| f.rule_id).collect()
}

// ---- condition leaves, each true and false ----

#[test]
fn category_and_language_sets_include_not_yet_known() {
    let security = Subject {
        category: Some(Category::Security),
        language: Some(Language::Zh),
        ..subject()
    };
    let cat = |v: Vec<Option<Category>>| Condition::Category { any_of: v };
    assert!(holds(cat(vec![Some(Category::Security)]), &security));
    assert!(!holds(cat(vec![Some(Category::Trading)]), &security));
    assert!(!holds(cat(vec![Some(Category::Security)]), &subject()));
    assert!(holds(cat(vec![None]), &subject()));
    assert!(!holds(cat(vec![None]), &security));
    let lang = |v: Vec<Option<Language>>| Condition::Language { any_of: v };
    assert!(holds(lang(vec![Some(Language::Zh)]), &security));
    assert!(!holds(lang(vec![Some(Language::En)]), &security));
    assert!(holds(lang(vec![None, Some(Language::En)]), &subject()));
}

#[test]
fn priority_in_a_set_or_at_least() {
    let high = Subject {
        priority: Priority::High,
        ..subject()
    };
    let within = |v| Condition::Priority { any_of: v };
    assert!(holds(within(vec![Priority::High, Priority::Urgent]), &high));
    assert!(!holds(within(vec![Priority::Urgent]), &high));
    let at_least = |p| Condition::PriorityAtLeast { at_least: p };
    assert!(holds(at_least(Priority::High), &high));
    assert!(holds(at_least(Priority::Normal), &high));
    assert!(!holds(at_least(Priority::Urgent), &high));
}

#[test]
fn channel_status_label_verified_hours_assigned() {
    let s = Subject {
        channel: Channel::Telegram,
        status: ConversationStatus::Pending,
        labels: [label("vip")].into(),
        customer_verified: true,
        in_business_hours: false,
        assigned: true,
        ..subject()
    };
    let plain = subject();
    let cases = [
        Condition::Channel {
            any_of: vec![Channel::Telegram, Channel::Email],
        },
        Condition::Status {
            any_of: vec![ConversationStatus::Pending],
        },
        Condition::HasLabel {
            label: label("vip"),
        },
        Condition::CustomerVerified { is: true },
        Condition::BusinessHours { is: false },
        Condition::Assigned { is: true },
    ];
    for c in cases {
        assert!(holds(c.clone(), &s), "{c:?} on s");
        assert!(!holds(c.clone(), &plain), "{c:?} on plain");
    }
    assert!(holds(Condition::BusinessHours { is: true }, &plain));
    assert!(holds(Condition::CustomerVerified { is: false }, &plain));
    assert!(holds(Condition::Assigned { is: false }, &plain));
}

#[test]
fn message_contains_ignores_case_and_needs_a_message() {
    let c = |t: &str| Condition::MessageContains { text: t.into() };
    let s = customer_says("My ACCOUNT was Hacked, 账户被盗");
    assert!(holds(c("hacked"), &s));
    assert!(holds(c("account was"), &s));
    assert!(holds(c("被盗"), &s));
    assert!(!holds(c("refund"), &s));
    // Only the triggering message: none means false, even for a wide text.
    assert!(!holds(c("a"), &subject()));
    // The text is the redacted one: the secret is not there to match.
    let redacted = customer_says(
        GuardedText::new("key 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ").as_str(),
    );
    assert!(!holds(c("5huecgu8"), &redacted));
}

#[test]
fn all_any_not_combine() {
    let vip = Condition::HasLabel {
        label: label("vip"),
    };
    let urgent = Condition::Priority {
        any_of: vec![Priority::Urgent],
    };
    let s = Subject {
        labels: [label("vip")].into(),
        ..subject()
    };
    let all = |of| Condition::All { of };
    let any = |of| Condition::Any { of };
    let not = |c| Condition::Not {
        condition: Box::new(c),
    };
    assert!(!holds(all(vec![vip.clone(), urgent.clone()]), &s));
    assert!(holds(all(vec![vip.clone(), not(urgent.clone())]), &s));
    assert!(holds(any(vec![vip.clone(), urgent.clone()]), &s));
    assert!(!holds(any(vec![not(vip.clone()), urgent.clone()]), &s));
    assert!(holds(all(vec![]), &s));
    assert!(!holds(not(all(vec![])), &s));
    assert!(holds(not(not(vip)), &s));
}

// ---- triggers ----

#[test]
fn triggers_match_their_happening_and_narrow_by_filter() {
    let msg = |from| TriggerEvent::MessageCreated { from };
    let status = |to| TriggerEvent::StatusChanged {
        from: ConversationStatus::Open,
        to,
    };
    let t = Trigger::MessageCreated { from: None };
    assert!(t.matches(&msg(Sender::Agent)) && t.matches(&msg(Sender::Customer)));
    let t = Trigger::MessageCreated {
        from: Some(Sender::Customer),
    };
    assert!(t.matches(&msg(Sender::Customer)) && !t.matches(&msg(Sender::Agent)));
    let t = Trigger::StatusChanged {
        to: Some(ConversationStatus::Resolved),
    };
    assert!(t.matches(&status(ConversationStatus::Resolved)));
    assert!(!t.matches(&status(ConversationStatus::Pending)));
    assert!(!t.matches(&msg(Sender::Customer)));
    let t = Trigger::SlaBreached {
        metric: Some(SlaMetric::FirstResponse),
    };
    assert!(t.matches(&TriggerEvent::SlaBreached {
        metric: SlaMetric::FirstResponse
    }));
    assert!(!t.matches(&TriggerEvent::SlaBreached {
        metric: SlaMetric::Resolution
    }));
    assert!(!t.matches(&TriggerEvent::SlaWarning {
        metric: SlaMetric::FirstResponse
    }));
    let t = Trigger::Idle { minutes: 30 };
    assert!(t.matches(&TriggerEvent::Idle { minutes: 30 }));
    assert!(!t.matches(&TriggerEvent::Idle { minutes: 60 }));
    assert!(Trigger::ConversationCreated {}.matches(&TriggerEvent::ConversationCreated {}));
}

#[test]
fn stored_events_map_to_trigger_events() {
    let body = EventKind::Message {
        body: GuardedText::new("hi"),
    };
    let customer = Actor::Customer {
        id: CustomerId::new(),
    };
    let agent = Actor::Agent {
        id: AgentId::new(),
        name: "A".into(),
    };
    assert_eq!(
        TriggerEvent::from_event(&customer, &body),
        Some(TriggerEvent::MessageCreated {
            from: Sender::Customer
        })
    );
    assert_eq!(
        TriggerEvent::from_event(&agent, &body),
        Some(TriggerEvent::MessageCreated {
            from: Sender::Agent
        })
    );
    assert_eq!(TriggerEvent::from_event(&Actor::Bot, &body), None);
    assert_eq!(
        TriggerEvent::from_event(&Actor::System, &EventKind::Note { body: "n".into() }),
        None
    );
    let breach = EventKind::SlaBreached {
        metric: SlaMetric::NextResponse,
        due_at: crate::time::Timestamp(0),
    };
    assert_eq!(
        TriggerEvent::from_event(&Actor::System, &breach),
        Some(TriggerEvent::SlaBreached {
            metric: SlaMetric::NextResponse
        })
    );
}

#[test]
fn idle_thresholds_are_the_enabled_rules_distinct_minutes() {
    let idle = |m, enabled| Rule {
        trigger: Trigger::Idle { minutes: m },
        enabled,
        ..rule(0, always(), vec![add_label("x")])
    };
    let rules = [
        idle(60, true),
        idle(30, true),
        idle(60, true),
        idle(5, false),
        rule(0, always(), vec![add_label("y")]),
    ];
    assert_eq!(idle_thresholds(&rules), vec![30, 60]);
}

// ---- the planner ----

#[test]
fn only_rules_for_this_happening_are_considered() {
    let on_create = Rule {
        trigger: Trigger::ConversationCreated {},
        ..rule(0, always(), vec![add_label("new")])
    };
    let p = run(&[on_create], &subject());
    assert!(p.fired.is_empty() && p.skipped.is_empty());
}

#[test]
fn rules_run_in_position_then_id_order() {
    let mut rules: Vec<Rule> = (0..4)
        .map(|i| rule(10 - i, always(), vec![add_label(&format!("r{i}"))]))
        .collect();
    // Two rules at the same position: the smaller id first.
    rules[0].position = 7;
    let p = run(&rules, &subject());
    let mut expected: Vec<&Rule> = rules.iter().collect();
    expected.sort_by_key(|r| (r.position, r.id));
    assert_eq!(ids(&p), expected.iter().map(|r| r.id).collect::<Vec<_>>());
}

#[test]
fn a_later_rule_sees_the_label_and_priority_an_earlier_one_set() {
    let first = rule(
        1,
        Condition::MessageContains {
            text: "withdrawal".into(),
        },
        vec![add_label("vip"), set_priority(Priority::High)],
    );
    let team = TeamId::new();
    let second = rule(
        2,
        Condition::All {
            of: vec![
                Condition::HasLabel {
                    label: label("vip"),
                },
                Condition::PriorityAtLeast {
                    at_least: Priority::High,
                },
            ],
        },
        vec![Action::AssignTeam { team_id: team }],
    );
    // Given in the wrong order on purpose: position decides.
    let rules = [second.clone(), first.clone()];
    let p = run(&rules, &customer_says("where is my withdrawal?"));
    assert_eq!(ids(&p), vec![first.id, second.id]);
    assert_eq!(
        p.fired[1].actions,
        vec![Action::AssignTeam { team_id: team }]
    );
    // Without the first rule's label the second does not fire.
    let p = run(&rules, &customer_says("hello"));
    assert!(p.fired.is_empty());
    assert_eq!(p.skipped.len(), 2);
    assert!(
        p.skipped
            .iter()
            .all(|s| s.reason == SkipReason::ConditionFalse)
    );
}

#[test]
fn a_rule_never_fires_on_its_own_action() {
    let resolve_notice = Rule {
        trigger: Trigger::StatusChanged { to: None },
        ..rule(1, always(), vec![add_label("touched")])
    };
    let other = Rule {
        trigger: Trigger::StatusChanged { to: None },
        ..rule(2, always(), vec![add_label("seen")])
    };
    let first = Firing::new(TriggerEvent::StatusChanged {
        from: ConversationStatus::Open,
        to: ConversationStatus::Resolved,
    });
    let caused = first.follow_up(resolve_notice.id, first.trigger_event);
    assert_eq!(caused.depth, 1);
    let rules = [resolve_notice.clone(), other.clone()];
    let p = plan(&rules, &caused, &subject(), &Limits::default(), 0);
    assert_eq!(ids(&p), vec![other.id]);
    assert_eq!(
        p.skipped,
        vec![SkippedRule {
            rule_id: resolve_notice.id,
            reason: SkipReason::OwnAction
        }]
    );
}

#[test]
fn a_firing_at_the_depth_cap_fires_nothing_and_says_so() {
    let rules = [
        rule(1, always(), vec![add_label("a")]),
        rule(2, always(), vec![add_label("b")]),
    ];
    let cause = RuleId::new();
    let at = |depth| Firing {
        depth,
        caused_by_rule: Some(cause),
        ..customer_message()
    };
    let limits = Limits::default();
    assert_eq!(limits.max_depth, 3);
    let p = plan(&rules, &at(2), &subject(), &limits, 0);
    assert_eq!(p.fired.len(), 2);
    let p = plan(&rules, &at(3), &subject(), &limits, 0);
    assert!(p.fired.is_empty());
    assert_eq!(p.skipped.len(), 2);
    for s in &p.skipped {
        assert_eq!(
            s.reason,
            SkipReason::DepthLimit {
                depth: 3,
                max_depth: 3
            }
        );
    }
    // A chain of follow-ups reaches the cap after max_depth generations.
    let mut f = customer_message();
    let mut generations = 0;
    while !plan(&rules, &f, &subject(), &limits, 0).fired.is_empty() {
        generations += 1;
        f = f.follow_up(cause, f.trigger_event);
    }
    assert_eq!(generations, 3);
}

#[test]
fn planning_stops_at_the_hourly_cap() {
    let rules: Vec<Rule> = (0..5)
        .map(|i| rule(i, always(), vec![add_label(&format!("l{i}"))]))
        .collect();
    let limits = Limits {
        max_depth: 3,
        max_per_conversation_per_hour: 20,
    };
    let p = plan(&rules, &customer_message(), &subject(), &limits, 17);
    assert_eq!(ids(&p), vec![rules[0].id, rules[1].id, rules[2].id]);
    assert_eq!(
        p.skipped
            .iter()
            .map(|s| (s.rule_id, s.reason.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                rules[3].id,
                SkipReason::RateLimit {
                    fired_last_hour: 20,
                    max: 20
                }
            ),
            (
                rules[4].id,
                SkipReason::RateLimit {
                    fired_last_hour: 20,
                    max: 20
                }
            ),
        ]
    );
    let p = plan(&rules, &customer_message(), &subject(), &limits, 20);
    assert!(p.fired.is_empty());
    let p = plan(&rules, &customer_message(), &subject(), &limits, 99);
    assert!(p.fired.is_empty());
}

#[test]
fn rules_whose_condition_is_false_do_not_count_toward_the_cap() {
    let never = rule(0, Condition::Assigned { is: true }, vec![add_label("x")]);
    let yes = rule(1, always(), vec![add_label("y")]);
    let limits = Limits {
        max_depth: 3,
        max_per_conversation_per_hour: 1,
    };
    let p = plan(
        &[never, yes.clone()],
        &customer_message(),
        &subject(),
        &limits,
        0,
    );
    assert_eq!(ids(&p), vec![yes.id]);
}

#[test]
fn disabled_rules_are_skipped_and_change_nothing() {
    let off = Rule {
        enabled: false,
        ..rule(1, always(), vec![add_label("vip")])
    };
    let needs_vip = rule(
        2,
        Condition::HasLabel {
            label: label("vip"),
        },
        vec![set_priority(Priority::Urgent)],
    );
    let p = run(&[off.clone(), needs_vip.clone()], &subject());
    assert!(p.fired.is_empty());
    assert_eq!(p.skipped[0].rule_id, off.id);
    assert_eq!(p.skipped[0].reason, SkipReason::Disabled);
    assert_eq!(p.skipped[1].reason, SkipReason::ConditionFalse);
}

#[test]
fn a_status_change_by_an_earlier_rule_is_seen_by_a_later_one() {
    let resolve = rule(1, always(), vec![Action::Resolve {}]);
    let reply_if_open = rule(
        2,
        Condition::Status {
            any_of: vec![ConversationStatus::Open],
        },
        vec![Action::SendCannedReply {
            canned_id: CannedId::new(),
        }],
    );
    let p = run(&[resolve.clone(), reply_if_open], &subject());
    assert_eq!(ids(&p), vec![resolve.id]);
}

#[test]
fn assigning_a_team_unassigns_the_agent_for_later_rules() {
    let team = rule(
        1,
        always(),
        vec![Action::AssignTeam {
            team_id: TeamId::new(),
        }],
    );
    let unassigned = rule(2, Condition::Assigned { is: false }, vec![add_label("q")]);
    let s = Subject {
        assigned: true,
        ..subject()
    };
    let p = run(&[team, unassigned.clone()], &s);
    assert_eq!(p.fired.len(), 2);
    assert_eq!(p.fired[1].rule_id, unassigned.id);
}

// ---- collapsing the actions of one pass ----

#[test]
fn the_same_label_is_added_once_by_the_first_rule() {
    let a = rule(1, always(), vec![add_label("vip")]);
    let b = rule(2, always(), vec![add_label("vip"), add_label("other")]);
    let p = run(&[a.clone(), b.clone()], &subject());
    assert_eq!(p.fired[0].actions, vec![add_label("vip")]);
    assert_eq!(p.fired[1].actions, vec![add_label("other")]);
}

#[test]
fn the_last_priority_wins() {
    let a = rule(1, always(), vec![set_priority(Priority::High)]);
    let b = rule(2, always(), vec![set_priority(Priority::Urgent)]);
    let p = run(&[a.clone(), b.clone()], &subject());
    assert_eq!(ids(&p), vec![a.id, b.id]);
    assert!(p.fired[0].actions.is_empty(), "fired, but overridden");
    assert_eq!(p.fired[1].actions, vec![set_priority(Priority::Urgent)]);
    assert_eq!(p.actions().count(), 1);
}

#[test]
fn asking_again_for_what_an_earlier_rule_set_changes_nothing() {
    let a = rule(1, always(), vec![set_priority(Priority::High)]);
    let b = rule(2, always(), vec![set_priority(Priority::High)]);
    let p = run(&[a.clone(), b], &subject());
    assert_eq!(p.fired[0].actions, vec![set_priority(Priority::High)]);
    assert!(p.fired[1].actions.is_empty());
}

#[test]
fn what_is_already_so_or_undone_later_is_left_out() {
    let already_urgent = Subject {
        priority: Priority::Urgent,
        status: ConversationStatus::Resolved,
        labels: [label("vip")].into(),
        ..subject()
    };
    let r = rule(
        1,
        always(),
        vec![
            set_priority(Priority::Urgent),
            add_label("vip"),
            Action::Resolve {},
        ],
    );
    let p = run(std::slice::from_ref(&r), &already_urgent);
    assert_eq!(ids(&p), vec![r.id]);
    assert!(p.is_empty());

    let add = rule(1, always(), vec![add_label("tmp")]);
    let remove = rule(
        2,
        always(),
        vec![Action::RemoveLabel {
            label: label("tmp"),
        }],
    );
    assert!(run(&[add, remove], &subject()).is_empty());
}

#[test]
fn replies_notes_and_webhooks_are_kept_once_each() {
    let canned = CannedId::new();
    let note = Action::AddNote {
        body: "check KYC".into(),
    };
    let hook = Action::SendWebhook {
        event: "vip.escalated".into(),
    };
    let a = rule(
        1,
        always(),
        vec![
            Action::SendCannedReply { canned_id: canned },
            note.clone(),
            hook.clone(),
        ],
    );
    let b = rule(
        2,
        always(),
        vec![
            Action::SendCannedReply { canned_id: canned },
            note.clone(),
            hook.clone(),
            Action::AddNote {
                body: "second note".into(),
            },
        ],
    );
    let p = run(&[a, b], &subject());
    assert_eq!(p.fired[0].actions.len(), 3);
    assert_eq!(
        p.fired[1].actions,
        vec![Action::AddNote {
            body: "second note".into()
        }]
    );
}

#[test]
fn snooze_then_resolve_keeps_only_the_last_status() {
    let a = rule(1, always(), vec![Action::Snooze { minutes: 30 }]);
    let b = rule(2, always(), vec![Action::Resolve {}]);
    let p = run(&[a, b], &subject());
    assert_eq!(
        p.actions().map(|(_, a)| a.clone()).collect::<Vec<_>>(),
        vec![Action::Resolve {}]
    );
}

// ---- dry run ----

#[test]
fn dry_run_counts_what_the_rule_would_have_matched() {
    let r = Rule {
        enabled: false,
        trigger: Trigger::MessageCreated {
            from: Some(Sender::Customer),
        },
        ..rule(
            1,
            Condition::MessageContains {
                text: "stolen".into(),
            },
            vec![set_priority(Priority::Urgent)],
        )
    };
    let agent = Firing::new(TriggerEvent::MessageCreated {
        from: Sender::Agent,
    });
    let cases = vec![
        (customer_message(), customer_says("my coins were STOLEN")),
        (customer_message(), customer_says("how do I deposit")),
        (agent, customer_says("stolen?")),
        (
            customer_message().follow_up(r.id, customer_message().trigger_event),
            customer_says("stolen"),
        ),
        (customer_message(), customer_says("stolen funds")),
    ];
    let d = dry_run(&r, &cases);
    assert_eq!(d.examined, 5);
    assert_eq!(d.triggered, 4, "the agent message is not a trigger");
    assert_eq!(d.matched, vec![0, 4], "a disabled draft still dry-runs");
    assert_eq!(dry_run(&r, &[]), DryRun::default());
}

// ---- properties ----

fn arb_condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(|is| Condition::Assigned { is }),
        any::<bool>().prop_map(|is| Condition::BusinessHours { is }),
        (0..3usize).prop_map(|i| Condition::HasLabel {
            label: label(["a", "b", "c"][i])
        }),
        (0..4usize).prop_map(|i| Condition::PriorityAtLeast {
            at_least: Priority::ALL[i]
        }),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|of| Condition::All { of }),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|of| Condition::Any { of }),
            inner.prop_map(|c| Condition::Not {
                condition: Box::new(c)
            }),
        ]
    })
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0..3usize).prop_map(|i| add_label(["a", "b", "c"][i])),
        (0..3usize).prop_map(|i| Action::RemoveLabel {
            label: label(["a", "b", "c"][i])
        }),
        (0..4usize).prop_map(|i| set_priority(Priority::ALL[i])),
        Just(Action::Resolve {}),
        Just(Action::Snooze { minutes: 10 }),
    ]
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    (
        0..4u32,
        any::<bool>(),
        arb_condition(),
        prop::collection::vec(arb_action(), 1..4),
    )
        .prop_map(|(position, enabled, condition, actions)| Rule {
            enabled,
            ..rule(position, condition, actions)
        })
}

proptest! {
    #[test]
    fn plans_respect_every_limit(
        rules in prop::collection::vec(arb_rule(), 0..8),
        cause in prop::option::of(0..8usize),
        depth in 0..5u32,
        recent in 0..6u32,
        max_depth in 0..4u32,
        max_per_hour in 0..6u32,
    ) {
        let caused_by_rule = cause.and_then(|i| rules.get(i)).map(|r| r.id);
        let firing = Firing { caused_by_rule, depth, ..customer_message() };
        let limits = Limits { max_depth, max_per_conversation_per_hour: max_per_hour };
        let p = plan(&rules, &firing, &subject(), &limits, recent);
        for f in &p.fired {
            prop_assert_ne!(Some(f.rule_id), caused_by_rule);
            let r = rules.iter().find(|r| r.id == f.rule_id).unwrap();
            prop_assert!(r.enabled);
        }
        if depth >= max_depth {
            prop_assert!(p.fired.is_empty());
        }
        prop_assert!(p.fired.len() as u32 <= max_per_hour.saturating_sub(recent));
        // Every candidate is accounted for exactly once.
        prop_assert_eq!(p.fired.len() + p.skipped.len(), rules.len());
    }

    #[test]
    fn the_collapsed_plan_has_the_same_end_state(
        rules in prop::collection::vec(arb_rule(), 0..8),
        start_label in any::<bool>(),
    ) {
        let mut start = subject();
        if start_label {
            start.labels.insert(label("a"));
        }
        let p = plan(&rules, &customer_message(), &start, &Limits::default(), 0);
        // Every action of every fired rule, in order, as it stands.
        let mut sequential = start.clone();
        for f in &p.fired {
            let r = rules.iter().find(|r| r.id == f.rule_id).unwrap();
            for a in &r.actions {
                sequential.apply(a);
            }
        }
        let mut collapsed = start.clone();
        for (_, a) in p.actions() {
            prop_assert!(collapsed.clone().apply(a), "a kept action changes something: {:?}", a);
            collapsed.apply(a);
        }
        prop_assert_eq!(collapsed, sequential);
    }
}
