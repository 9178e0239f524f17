//! The JSON forms an admin UI and the API send: exact shapes, round trips,
//! and refusals of what is not a rule.

use super::test_support::*;
use super::*;
use crate::ids::{CannedId, MacroId, RuleId, TeamId};
use crate::model::{Category, ConversationStatus, Language, Priority};
use crate::sla::SlaMetric;
use serde_json::{Value, json};

fn round_trip<T>(value: Value) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let parsed: T = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
    parsed
}

#[test]
fn conditions_have_the_documented_forms() {
    let c: Condition = round_trip(json!({"type":"all","of":[
        {"type":"category","in":["security", null]},
        {"type":"has_label","label":"vip"},
        {"type":"not","condition":{"type":"assigned","is":true}},
        {"type":"any","of":[
            {"type":"language","in":["zh"]},
            {"type":"priority","in":["high","urgent"]},
            {"type":"priority_at_least","at_least":"high"},
            {"type":"channel","in":["email","telegram"]},
            {"type":"status","in":["open","pending"]},
            {"type":"customer_verified","is":false},
            {"type":"business_hours","is":false},
            {"type":"message_contains","text":"stolen"}
        ]}
    ]}));
    let Condition::All { of } = &c else {
        panic!("{c:?}")
    };
    assert_eq!(
        of[0],
        Condition::Category {
            any_of: vec![Some(Category::Security), None]
        }
    );
}

#[test]
fn actions_have_the_documented_forms() {
    let team = TeamId::new();
    let canned = CannedId::new();
    let actions: Vec<Action> = round_trip(json!([
        {"type":"assign_team","team_id":team.to_string()},
        {"type":"set_priority","priority":"urgent"},
        {"type":"add_label","label":"vip"},
        {"type":"remove_label","label":"waiting"},
        {"type":"send_canned_reply","canned_id":canned.to_string()},
        {"type":"add_note","body":"Check the withdrawal log first."},
        {"type":"resolve"},
        {"type":"snooze","minutes":60},
        {"type":"send_webhook","event":"vip.escalated"}
    ]));
    assert_eq!(actions[0], Action::AssignTeam { team_id: team });
    assert_eq!(actions[6], Action::Resolve {});
}

#[test]
fn triggers_have_the_documented_forms_and_optional_filters() {
    let all: Vec<Trigger> = round_trip(json!([
        {"type":"conversation_created"},
        {"type":"message_created"},
        {"type":"message_created","from":"customer"},
        {"type":"status_changed","to":"resolved"},
        {"type":"status_changed"},
        {"type":"sla_warning"},
        {"type":"sla_breached","metric":"first_response"},
        {"type":"idle","minutes":30}
    ]));
    assert_eq!(all[1], Trigger::MessageCreated { from: None });
    assert_eq!(
        all[6],
        Trigger::SlaBreached {
            metric: Some(SlaMetric::FirstResponse)
        }
    );
    assert_eq!(all[7], Trigger::Idle { minutes: 30 });
}

#[test]
fn the_night_security_rule_of_the_docs_reads_and_validates() {
    let team = TeamId::new();
    let id = RuleId::new();
    let rule: Rule = round_trip(json!({
        "id": id.to_string(),
        "name": "Security in Chinese at night",
        "enabled": true,
        "position": 10,
        "trigger": {"type":"message_created","from":"customer"},
        "condition": {"type":"all","of":[
            {"type":"category","in":["security"]},
            {"type":"language","in":["zh"]},
            {"type":"business_hours","is":false}
        ]},
        "actions": [
            {"type":"set_priority","priority":"urgent"},
            {"type":"add_label","label":"security-night"},
            {"type":"assign_team","team_id":team.to_string()}
        ]
    }));
    rule.validate().unwrap();
    let night = Subject {
        category: Some(Category::Security),
        language: Some(Language::Zh),
        in_business_hours: false,
        ..customer_says("账户被盗")
    };
    let p = plan(&[rule], &customer_message(), &night, &Limits::default(), 0);
    assert_eq!(p.fired.len(), 1);
    assert_eq!(p.fired[0].actions.len(), 3);
}

#[test]
fn a_rule_may_leave_out_enabled_position_and_condition() {
    let rule: Rule = serde_json::from_value(json!({
        "id": RuleId::new().to_string(),
        "name": "Tag everything",
        "trigger": {"type":"conversation_created"},
        "actions": [{"type":"add_label","label":"new"}]
    }))
    .unwrap();
    assert!(rule.enabled);
    assert_eq!(rule.position, 0);
    assert_eq!(rule.condition, Condition::All { of: vec![] });
    assert!(rule.condition.matches(&subject()));
}

#[test]
fn unknown_fields_types_and_bad_values_are_refused() {
    let refused = |v: Value, what: &str| {
        assert!(
            serde_json::from_value::<Condition>(v.clone()).is_err(),
            "{what}: {v}"
        );
    };
    refused(
        json!({"type":"has_label","label":"vip","x":1}),
        "extra field",
    );
    refused(json!({"type":"has_label","label":"VIP"}), "bad label");
    refused(json!({"type":"category","in":["defi"]}), "unknown category");
    refused(json!({"type":"sometimes"}), "unknown type");
    refused(json!({"kind":"all","of":[]}), "no type tag");
    refused(json!({"type":"All","of":[]}), "tags are snake_case");
    refused(
        json!({"type":"all","of":[],"not":true}),
        "extra field on a group",
    );

    let action = |v: Value| serde_json::from_value::<Action>(v).is_err();
    assert!(
        action(json!({"type":"resolve","now":true})),
        "extra on resolve"
    );
    assert!(action(json!({"type":"set_priority","priority":"critical"})));
    assert!(action(json!({"type":"snooze","minutes":-5})));
    assert!(action(json!({"type":"add_label"})), "missing field");

    let trigger = |v: Value| serde_json::from_value::<Trigger>(v).is_err();
    assert!(trigger(
        json!({"type":"conversation_created","from":"agent"})
    ));
    assert!(trigger(json!({"type":"message_created","from":"bot"})));
    assert!(trigger(json!({"type":"idle"})));

    let rule = json!({
        "id": RuleId::new().to_string(), "name": "x",
        "trigger": {"type":"conversation_created"},
        "actions": [{"type":"resolve"}],
        "owner": "mallory"
    });
    assert!(serde_json::from_value::<Rule>(rule).is_err());
}

#[test]
fn a_bad_label_in_a_rule_is_refused_with_the_label_reason() {
    let err =
        serde_json::from_value::<Action>(json!({"type":"add_label","label":"Security Night"}))
            .unwrap_err()
            .to_string();
    assert!(err.contains("lowercase slug"), "{err}");
}

#[test]
fn macros_firings_subjects_and_plans_round_trip() {
    let m: Macro = round_trip(json!({
        "id": MacroId::new().to_string(),
        "name": "Escalate to security",
        "actions": [{"type":"set_priority","priority":"urgent"},{"type":"add_note","body":"Escalated."}]
    }));
    m.validate().unwrap();

    let cause = RuleId::new();
    let f: Firing = round_trip(json!({
        "trigger_event": {"type":"status_changed","from":"open","to":"resolved"},
        "caused_by_rule": cause.to_string(),
        "depth": 1
    }));
    assert_eq!(
        f.trigger_event,
        TriggerEvent::StatusChanged {
            from: ConversationStatus::Open,
            to: ConversationStatus::Resolved
        }
    );
    let s: Subject = round_trip(serde_json::to_value(customer_says("hi")).unwrap());
    assert_eq!(s.priority, Priority::Normal);

    let p = Plan {
        fired: vec![FiredRule {
            rule_id: cause,
            actions: vec![add_label("vip")],
        }],
        skipped: vec![SkippedRule {
            rule_id: cause,
            reason: SkipReason::DepthLimit {
                depth: 3,
                max_depth: 3,
            },
        }],
    };
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["skipped"][0]["reason"]["type"], "depth_limit");
    assert_eq!(v["fired"][0]["actions"][0]["type"], "add_label");
    assert_eq!(serde_json::from_value::<Plan>(v).unwrap(), p);

    let limits: Limits = round_trip(json!({"max_depth":3,"max_per_conversation_per_hour":20}));
    assert_eq!(limits, Limits::default());
}
