//! Every way a rule or a macro is refused, one at a time.

use super::test_support::*;
use super::*;
use crate::ids::{CannedId, MacroId, TeamId};
use crate::model::{Category, Priority};

fn valid() -> Rule {
    rule(1, always(), vec![add_label("vip")])
}

fn refused(r: Rule) -> ValidationError {
    r.validate().unwrap_err()
}

fn leaf() -> Condition {
    Condition::Assigned { is: false }
}

/// `levels` levels: `levels - 1` nested `all` groups around one leaf.
fn nested(levels: usize) -> Condition {
    (1..levels).fold(leaf(), |c, _| Condition::All { of: vec![c] })
}

#[test]
fn a_plain_rule_is_valid() {
    valid().validate().unwrap();
}

#[test]
fn names_must_be_one_short_line() {
    let named = |name: &str| Rule {
        name: name.into(),
        ..valid()
    };
    assert_eq!(refused(named("  ")), ValidationError::EmptyName);
    assert_eq!(
        refused(named(&"规".repeat(MAX_NAME_CHARS + 1))),
        ValidationError::NameTooLong {
            max: MAX_NAME_CHARS
        }
    );
    named(&"规".repeat(MAX_NAME_CHARS)).validate().unwrap();
    assert_eq!(
        refused(named("two\nlines")),
        ValidationError::NameBadCharacters
    );
}

#[test]
fn actions_are_one_to_twenty() {
    let with = |actions| Rule { actions, ..valid() };
    assert_eq!(refused(with(vec![])), ValidationError::NoActions);
    let many = |n: usize| {
        (0..n)
            .map(|i| add_label(&format!("l{i}")))
            .collect::<Vec<_>>()
    };
    with(many(MAX_ACTIONS)).validate().unwrap();
    assert_eq!(
        refused(with(many(MAX_ACTIONS + 1))),
        ValidationError::TooManyActions { max: MAX_ACTIONS }
    );
}

#[test]
fn conditions_are_at_most_five_deep_and_fifty_leaves() {
    let with = |condition| Rule {
        condition,
        ..valid()
    };
    with(nested(MAX_CONDITION_DEPTH)).validate().unwrap();
    assert_eq!(
        refused(with(nested(MAX_CONDITION_DEPTH + 1))),
        ValidationError::ConditionTooDeep {
            max: MAX_CONDITION_DEPTH
        }
    );
    let not_deep = (1..=MAX_CONDITION_DEPTH + 1).fold(leaf(), |c, _| Condition::Not {
        condition: Box::new(c),
    });
    assert!(matches!(
        refused(with(not_deep)),
        ValidationError::ConditionTooDeep { .. }
    ));
    let leaves = |n| Condition::Any {
        of: vec![leaf(); n],
    };
    with(leaves(MAX_CONDITION_LEAVES)).validate().unwrap();
    assert_eq!(
        refused(with(leaves(MAX_CONDITION_LEAVES + 1))),
        ValidationError::TooManyConditions {
            max: MAX_CONDITION_LEAVES
        }
    );
    // Leaves count across groups, not per group.
    let spread = Condition::All {
        of: vec![leaves(30), leaves(30)],
    };
    assert!(matches!(
        refused(with(spread)),
        ValidationError::TooManyConditions { .. }
    ));
}

#[test]
fn conditions_that_can_never_hold_are_refused() {
    let with = |condition| Rule {
        condition,
        ..valid()
    };
    assert_eq!(
        refused(with(Condition::Any { of: vec![] })),
        ValidationError::EmptyAny
    );
    assert_eq!(
        refused(with(Condition::Category { any_of: vec![] })),
        ValidationError::EmptySet { leaf: "category" }
    );
    assert_eq!(
        refused(with(Condition::Status { any_of: vec![] })),
        ValidationError::EmptySet { leaf: "status" }
    );
    for text in ["", "   ", &"x".repeat(MAX_MESSAGE_TEXT_CHARS + 1)] {
        assert_eq!(
            refused(with(Condition::MessageContains { text: text.into() })),
            ValidationError::BadMessageText {
                max: MAX_MESSAGE_TEXT_CHARS
            }
        );
    }
    // `category in [null]` ("not triaged yet") is a real set.
    with(Condition::Category { any_of: vec![None] })
        .validate()
        .unwrap();
}

#[test]
fn idle_minutes_are_one_minute_to_thirty_days() {
    let idle = |minutes| Rule {
        trigger: Trigger::Idle { minutes },
        ..valid()
    };
    idle(1).validate().unwrap();
    idle(43_200).validate().unwrap();
    for bad in [0, 43_201] {
        assert_eq!(
            refused(idle(bad)),
            ValidationError::IdleMinutes { max: 43_200 }
        );
    }
}

#[test]
fn each_bad_action_is_named_by_its_index() {
    let second = |a: Action| Rule {
        actions: vec![add_label("ok"), a],
        ..valid()
    };
    let err = |a| match refused(second(a)) {
        ValidationError::Action { index: 1, error } => error,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        err(Action::AddNote { body: " \n".into() }),
        ActionError::EmptyNote
    );
    assert_eq!(
        err(Action::AddNote {
            body: "n".repeat(MAX_NOTE_CHARS + 1)
        }),
        ActionError::NoteTooLong {
            max: MAX_NOTE_CHARS
        }
    );
    assert_eq!(
        err(Action::AddNote {
            body: "bell\u{7}".into()
        }),
        ActionError::NoteBadCharacters
    );
    assert_eq!(
        err(Action::Snooze { minutes: 0 }),
        ActionError::SnoozeMinutes { max: MAX_MINUTES }
    );
    for bad in ["", "Vip", "9lives", "has space", &"e".repeat(65)] {
        assert!(matches!(
            err(Action::SendWebhook { event: bad.into() }),
            ActionError::BadWebhookEvent(_)
        ));
    }
    assert_eq!(
        err(Action::SendWebhook {
            event: "freeze.requested".into()
        }),
        ActionError::BuiltInWebhookEvent("freeze.requested".into())
    );
    second(Action::SendWebhook {
        event: "vip.escalated".into(),
    })
    .validate()
    .unwrap();
    let msg = refused(second(Action::Snooze { minutes: 0 })).to_string();
    assert_eq!(msg, "action 1: snooze minutes must be between 1 and 43200");
}

#[test]
fn actions_that_set_the_same_thing_twice_are_refused() {
    let with = |actions| refused(Rule { actions, ..valid() });
    let conflict = |e: ValidationError| match e {
        ValidationError::ConflictingActions { first, second, .. } => (first, second),
        other => panic!("{other:?}"),
    };
    let p = |priority| Action::SetPriority { priority };
    assert_eq!(
        conflict(with(vec![
            p(Priority::High),
            add_label("x"),
            p(Priority::Low)
        ])),
        (0, 2)
    );
    assert_eq!(
        conflict(with(vec![
            add_label("vip"),
            Action::RemoveLabel {
                label: label("vip")
            }
        ])),
        (0, 1)
    );
    assert_eq!(
        conflict(with(vec![
            Action::Resolve {},
            Action::Snooze { minutes: 5 }
        ])),
        (0, 1)
    );
    let team = |t| Action::AssignTeam { team_id: t };
    assert_eq!(
        conflict(with(vec![team(TeamId::new()), team(TeamId::new())])),
        (0, 1)
    );
    let canned = CannedId::new();
    let reply = Action::SendCannedReply { canned_id: canned };
    let err = with(vec![reply.clone(), reply]);
    assert_eq!(
        err.to_string(),
        "actions 0 and 1 are the same send_canned_reply; keep one"
    );
    // Different labels, different replies: fine.
    Rule {
        actions: vec![
            add_label("a"),
            Action::RemoveLabel { label: label("b") },
            Action::SendCannedReply {
                canned_id: CannedId::new(),
            },
            Action::SendCannedReply {
                canned_id: CannedId::new(),
            },
        ],
        ..valid()
    }
    .validate()
    .unwrap();
}

#[test]
fn macros_share_the_action_checks_and_never_send_webhooks() {
    let m = |actions| Macro {
        id: MacroId::new(),
        name: "Escalate".into(),
        actions,
    };
    m(vec![
        Action::SetPriority {
            priority: Priority::Urgent,
        },
        add_label("security"),
    ])
    .validate()
    .unwrap();
    assert_eq!(m(vec![]).validate(), Err(ValidationError::NoActions));
    assert_eq!(
        m(vec![
            add_label("x"),
            Action::SendWebhook {
                event: "risk.notify".into()
            }
        ])
        .validate(),
        Err(ValidationError::Action {
            index: 1,
            error: ActionError::WebhookInMacro
        })
    );
    assert!(matches!(
        m(vec![Action::Snooze { minutes: 99_999 }]).validate(),
        Err(ValidationError::Action { index: 0, .. })
    ));
    let blank = Macro {
        name: "".into(),
        ..m(vec![Action::Resolve {}])
    };
    assert_eq!(blank.validate(), Err(ValidationError::EmptyName));
}

#[test]
fn an_invalid_stored_rule_is_skipped_not_run() {
    let bad = rule(
        1,
        Condition::Category { any_of: vec![] },
        vec![Action::SetPriority {
            priority: Priority::Urgent,
        }],
    );
    let s = crate::automation::Subject {
        category: Some(Category::Security),
        ..subject()
    };
    let p = plan(
        std::slice::from_ref(&bad),
        &customer_message(),
        &s,
        &Limits::default(),
        0,
    );
    assert!(p.fired.is_empty());
    assert!(matches!(p.skipped[0].reason, SkipReason::Invalid { .. }));
}
