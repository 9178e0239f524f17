//! Tests of [`prechecks`] and [`Candidate::from_facts`].

use super::*;
use crate::event::{Actor, Event, EventKind, Visibility};
use crate::ids::{AgentId, ConversationId};
use crate::model::{Channel, Language, Priority};
use crate::notice::NoticeCode;
use crate::reports::{ConversationFacts, Csat};
use crate::sla::SlaMetric;
use crate::time::Timestamp;

fn facts() -> ConversationFacts {
    ConversationFacts {
        conversation_id: ConversationId::new(),
        channel: Channel::Web,
        category: None,
        language: None,
        team: None,
        priority: Priority::Normal,
        opened_at: Timestamp(0),
        first_response: None,
        next_responses: Vec::new(),
        resolution: None,
        reopen_count: 0,
        bot_answered: false,
        handed_off_from_bot: false,
        bot_resolved: false,
        last_replying_agent: None,
        csat: None,
        sla_breaches: Vec::new(),
    }
}

fn notice(f: &ConversationFacts, seq: i64, kind: EventKind) -> Event {
    Event {
        conversation_id: f.conversation_id,
        seq,
        at: Timestamp(seq * 1000),
        actor: Actor::System,
        visibility: Visibility::Public,
        client_msg_id: None,
        kind,
    }
}

fn csat(score: u8) -> Option<Csat> {
    Some(Csat {
        score,
        comment: None,
        at: Timestamp(9_000),
    })
}

#[test]
fn a_clean_conversation_has_no_findings() {
    let f = facts();
    let events = [notice(
        &f,
        1,
        NoticeCode::HandoffRequested.event(Language::En),
    )];
    assert!(prechecks(&f, &events, 0).is_empty());
    let mut f = f;
    f.csat = csat(3);
    assert!(prechecks(&f, &[], 0).is_empty(), "3 of 5 is not low");
}

#[test]
fn every_finding_most_serious_first_with_its_suggestion() {
    let mut f = facts();
    f.sla_breaches = vec![
        (SlaMetric::FirstResponse, Timestamp(500)),
        (SlaMetric::Resolution, Timestamp(7_000)),
    ];
    f.csat = csat(2);
    f.reopen_count = 2;
    let mut other = notice(&f, 2, NoticeCode::SecretRedacted.with_text("x"));
    other.conversation_id = ConversationId::new();
    // given out of order: the findings follow the sequence numbers
    let events = [
        notice(&f, 4, NoticeCode::SecretRedacted.with_text("removed a key")),
        notice(
            &f,
            3,
            NoticeCode::PossibleSecret.with_text("looks like words"),
        ),
        notice(&f, 5, NoticeCode::AgentJoined.with_text("badge")),
        other,
    ];
    let got = prechecks(&f, &events, 2);
    let secret = Some(keys::NEVER_ASKED_FOR_SECRET.to_string());
    let timely = Some(keys::TIMELINESS.to_string());
    assert_eq!(
        got,
        [
            Finding {
                kind: FindingKind::GuardOverride { count: 2 },
                at: None,
                suggests: secret.clone()
            },
            Finding {
                kind: FindingKind::PossibleSecret,
                at: Some(Timestamp(3_000)),
                suggests: secret.clone()
            },
            Finding {
                kind: FindingKind::SecretRedacted,
                at: Some(Timestamp(4_000)),
                suggests: secret
            },
            Finding {
                kind: FindingKind::SlaBreached {
                    metric: SlaMetric::FirstResponse
                },
                at: Some(Timestamp(500)),
                suggests: timely.clone()
            },
            Finding {
                kind: FindingKind::SlaBreached {
                    metric: SlaMetric::Resolution
                },
                at: Some(Timestamp(7_000)),
                suggests: timely
            },
            Finding {
                kind: FindingKind::LowCsat { score: 2 },
                at: Some(Timestamp(9_000)),
                suggests: None
            },
            Finding {
                kind: FindingKind::Reopened { count: 2 },
                at: None,
                suggests: Some(keys::RESOLUTION.to_string())
            },
        ]
    );
    assert_eq!(guard_hits(f.conversation_id, &events), 2);
}

#[test]
fn suggestions_resolve_on_cards_that_have_the_key() {
    let mut f = facts();
    f.reopen_count = 1;
    let finding = &prechecks(&f, &[], 0)[0];
    let card = Scorecard::crypto_default();
    assert_eq!(
        finding.suggestion_on(&card).map(|c| c.label.as_str()),
        Some("Problem solved")
    );
    let mut custom = card.clone();
    custom.categories.retain(|c| c.key != keys::RESOLUTION);
    assert!(finding.suggestion_on(&custom).is_none());
    // every key a pre-check can suggest is on the built-in card
    for key in [
        keys::NEVER_ASKED_FOR_SECRET,
        keys::TIMELINESS,
        keys::RESOLUTION,
    ] {
        assert!(card.category(key).is_some(), "{key}");
    }
}

#[test]
fn findings_have_a_flat_tagged_json_form() {
    let cases = [
        (
            Finding {
                kind: FindingKind::SlaBreached {
                    metric: SlaMetric::FirstResponse,
                },
                at: Some(Timestamp(1_767_225_600_000)),
                suggests: Some("timeliness".into()),
            },
            serde_json::json!({"type": "sla_breached", "metric": "first_response",
                "at": 1_767_225_600_000_i64, "suggests": "timeliness"}),
        ),
        (
            Finding {
                kind: FindingKind::GuardOverride { count: 1 },
                at: None,
                suggests: Some("never_asked_for_secret".into()),
            },
            serde_json::json!({"type": "guard_override", "count": 1,
                "suggests": "never_asked_for_secret"}),
        ),
        (
            Finding {
                kind: FindingKind::LowCsat { score: 1 },
                at: Some(Timestamp(5)),
                suggests: None,
            },
            serde_json::json!({"type": "low_csat", "score": 1, "at": 5}),
        ),
        (
            Finding {
                kind: FindingKind::SecretRedacted,
                at: Some(Timestamp(5)),
                suggests: None,
            },
            serde_json::json!({"type": "secret_redacted", "at": 5}),
        ),
        (
            Finding {
                kind: FindingKind::Reopened { count: 3 },
                at: None,
                suggests: None,
            },
            serde_json::json!({"type": "reopened", "count": 3}),
        ),
    ];
    for (finding, json) in cases {
        assert_eq!(serde_json::to_value(&finding).unwrap(), json);
        assert_eq!(serde_json::from_value::<Finding>(json).unwrap(), finding);
    }
}

#[test]
fn a_candidate_is_built_from_the_facts_and_the_guard_notices() {
    let mut f = facts();
    assert_eq!(Candidate::from_facts(&f, &[], 0), None, "no agent replied");
    let agent = AgentId::new();
    f.last_replying_agent = Some(agent);
    f.csat = csat(1);
    f.sla_breaches = vec![(SlaMetric::NextResponse, Timestamp(3))];
    let events = [notice(&f, 1, NoticeCode::SecretRedacted.with_text("x"))];
    let c = Candidate::from_facts(&f, &events, 2).unwrap();
    assert_eq!(
        c,
        Candidate {
            conversation_id: f.conversation_id,
            agent,
            csat: Some(1),
            sla_breached: true,
            guard_hits: 1,
            outbound_overrides: 2,
        }
    );
    assert_eq!(
        c.forced_reason(&SamplePlan::new(3)),
        Some(Reason::GuardOverride)
    );
}
