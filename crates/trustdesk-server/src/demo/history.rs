//! A month of past conversations for the demo, so the reports, the QA
//! sampling and the service page have something to show on a fresh
//! desk: resolved conversations across categories, languages, agents and
//! channels, with first responses, resolutions, CSAT and a few SLA
//! breaches at known times.
//!
//! They are written straight to the store with past timestamps (the
//! service stamps every event "now"), so only text trustdesk wrote itself
//! goes in: nothing here passes a customer's text around the guard.

use anyhow::Context;
use trustdesk_core::event::{Actor, AssignReason, EventKind};
use trustdesk_core::guard::GuardedText;
use trustdesk_core::sla::SlaMetric;
use trustdesk_core::{
    Agent, Category, Channel, ConversationId, ConversationStatus, CustomerId, Language, NewEvent,
    Priority, Timestamp,
};
use trustdesk_store::{NewConversation, Store};

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
/// How many past conversations the demo gets.
const CONVERSATIONS: usize = 90;

/// Opening messages per category, English and Chinese.
const OPENINGS: &[(Category, &str, &str)] = &[
    (
        Category::Transfer,
        "My USDT withdrawal has not arrived after two hours",
        "我的USDT提币两个小时了还没到账",
    ),
    (
        Category::Transfer,
        "I sent ETH to my deposit address but the balance is still zero",
        "我充值的ETH还没有到账",
    ),
    (
        Category::Account,
        "I cannot pass the identity verification step",
        "身份认证一直通不过",
    ),
    (
        Category::Trading,
        "How do I set a stop-loss on a futures position?",
        "合约怎么设置止损？",
    ),
    (
        Category::Security,
        "I got a login alert from a country I have never been to",
        "收到异地登录提醒，不是我本人操作",
    ),
    (
        Category::Storage,
        "How do I move my coins to a hardware wallet safely?",
        "怎么安全地把币转到硬件钱包？",
    ),
    (
        Category::Compliance,
        "Which tax report can I download for last year?",
        "去年的交易记录报税在哪里下载？",
    ),
];

/// A small deterministic generator, so every demo has the same history.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Writes the history for `customer`, answered by `agents`, ending `now`.
pub async fn seed(
    store: &dyn Store,
    customer: CustomerId,
    agents: &[Agent],
    now: Timestamp,
) -> anyhow::Result<usize> {
    let mut draw = Draw(2026);
    for i in 0..CONVERSATIONS {
        let (category, en, zh) = OPENINGS[draw.below(OPENINGS.len() as u64) as usize];
        let language = if draw.below(3) == 0 {
            Language::Zh
        } else {
            Language::En
        };
        let channel = match draw.below(10) {
            0..=5 => Channel::Web,
            6..=7 => Channel::Email,
            8 => Channel::Telegram,
            _ => Channel::Api,
        };
        let priority = if category == Category::Security {
            Priority::Urgent
        } else {
            Priority::Normal
        };
        // Spread over the last 30 days, during the day.
        let day = 1 + (i as i64 * 30 / CONVERSATIONS as i64);
        let opened = Timestamp(now.0 - day * DAY + (8 * 60 + draw.below(10 * 60) as i64) * MINUTE);
        let agent = &agents[draw.below(agents.len() as u64) as usize];
        // Minutes to the first reply; a few are slow.
        let first_reply = if draw.below(8) == 0 {
            45 + draw.below(180)
        } else {
            1 + draw.below(12)
        } as i64;
        let resolved_after = first_reply + 10 + draw.below(8 * 60) as i64;
        let id = ConversationId::new();
        let text = if language == Language::Zh { zh } else { en };
        let customer_actor = Actor::Customer { id: customer };
        let agent_actor = Actor::Agent {
            id: agent.id,
            name: agent.display_name.clone(),
        };
        let at = |minutes: i64| Timestamp(opened.0 + minutes * MINUTE);
        let event = |actor: &Actor, kind: EventKind, minutes: i64| NewEvent {
            conversation_id: id,
            actor: actor.clone(),
            kind,
            client_msg_id: None,
            at: at(minutes),
        };
        store
            .create_conversation(
                &NewConversation {
                    id,
                    customer_id: customer,
                    channel,
                    subject: Some(GuardedText::new(text)),
                    language: Some(language),
                    priority,
                    origin_client_id: Some(format!("demo-history-{i}")),
                    at: opened,
                },
                vec![
                    event(
                        &customer_actor,
                        EventKind::Message {
                            body: GuardedText::new(text),
                        },
                        0,
                    ),
                    event(
                        &Actor::System,
                        EventKind::Triaged {
                            category,
                            language,
                            priority,
                            urgent: priority == Priority::Urgent,
                            confidence: 0.9,
                        },
                        0,
                    ),
                ],
            )
            .await
            .context("demo history: a conversation")?;
        let mut later = vec![event(
            &Actor::System,
            EventKind::Assigned {
                from: None,
                to: Some(agent.id),
                team_id: agent.team_id,
                reason: AssignReason::Routed,
                note: None,
            },
            1.min(first_reply),
        )];
        if first_reply > 30 {
            later.push(event(
                &Actor::System,
                EventKind::SlaBreached {
                    metric: SlaMetric::FirstResponse,
                    due_at: at(30),
                },
                30,
            ));
        }
        let reply = if language == Language::Zh {
            "您好，我来帮您查一下，请稍等。"
        } else {
            "Hi, I am looking into this for you now."
        };
        later.push(event(
            &agent_actor,
            EventKind::Message {
                body: GuardedText::new(reply),
            },
            first_reply,
        ));
        later.push(event(
            &agent_actor,
            EventKind::StatusChanged {
                from: ConversationStatus::Open,
                to: ConversationStatus::Resolved,
                snoozed_until: None,
            },
            resolved_after,
        ));
        if draw.below(3) != 0 {
            // Mostly happy; slow ones less so.
            let score = if first_reply > 30 {
                1 + draw.below(3) as u8
            } else {
                3 + draw.below(3) as u8
            };
            later.push(event(
                &customer_actor,
                EventKind::Rated {
                    score,
                    comment: None,
                },
                resolved_after + 5,
            ));
        }
        for new in later {
            store
                .append_event(new)
                .await
                .context("demo history: an event")?;
        }
    }
    Ok(CONVERSATIONS)
}
