//! The notices trustdesk posts into a conversation (`system_notice`
//! events): one code per situation, stored by name in the event so the
//! widget, the console and integrations can tell them apart. Notices with a
//! fixed wording carry it here, in Chinese and English, so the text and
//! its code cannot drift apart; the rest (the guard's list of what it
//! removed, an agent's badge) are worded where their details are known.

use crate::event::{EventKind, Visibility};
use crate::model::Language;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoticeCode {
    /// Triage said urgent: a person takes it, security first.
    HandoffUrgent,
    /// The customer asked for a person.
    HandoffRequested,
    /// The customer said the bot's articles did not help.
    HandoffNotHelped,
    /// The bot had no confident answer.
    HandoffNoAnswer,
    /// The customer said the bot's articles helped.
    BotResolved,
    /// The emergency freeze request was sent.
    FreezeRequested,
    /// The exchange accepted the freeze request.
    FreezeConfirmed,
    /// The freeze request could not be delivered.
    FreezeFailed,
    /// An official agent joined (badge and the chat's verification code).
    AgentJoined,
    /// The secret guard removed something from the customer's message.
    SecretRedacted,
    /// The customer's message looked like it held a seed phrase.
    PossibleSecret,
}

impl NoticeCode {
    pub const ALL: &[NoticeCode] = &[
        NoticeCode::HandoffUrgent,
        NoticeCode::HandoffRequested,
        NoticeCode::HandoffNotHelped,
        NoticeCode::HandoffNoAnswer,
        NoticeCode::BotResolved,
        NoticeCode::FreezeRequested,
        NoticeCode::FreezeConfirmed,
        NoticeCode::FreezeFailed,
        NoticeCode::AgentJoined,
        NoticeCode::SecretRedacted,
        NoticeCode::PossibleSecret,
    ];

    /// The name stored in the event (part of the protocol: never changes).
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeCode::HandoffUrgent => "handoff_urgent",
            NoticeCode::HandoffRequested => "handoff_requested",
            NoticeCode::HandoffNotHelped => "handoff_not_helped",
            NoticeCode::HandoffNoAnswer => "handoff_no_answer",
            NoticeCode::BotResolved => "bot_resolved",
            NoticeCode::FreezeRequested => "freeze_requested",
            NoticeCode::FreezeConfirmed => "freeze_confirmed",
            NoticeCode::FreezeFailed => "freeze_failed",
            NoticeCode::AgentJoined => "agent_joined",
            NoticeCode::SecretRedacted => "secret_redacted",
            NoticeCode::PossibleSecret => "possible_secret",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// The bot handed the conversation to a person.
    pub fn is_handoff(self) -> bool {
        matches!(
            self,
            NoticeCode::HandoffUrgent
                | NoticeCode::HandoffRequested
                | NoticeCode::HandoffNotHelped
                | NoticeCode::HandoffNoAnswer
        )
    }

    /// The fixed wording, for the notices that have one.
    pub fn fixed_text(self, language: Language) -> Option<&'static str> {
        let zh = language == Language::Zh;
        let text = match (self, zh) {
            (NoticeCode::HandoffUrgent, true) => {
                "我们已将您的请求标记为紧急，安全团队会优先处理。请勿向任何人透露密码、验证码或助记词。"
            }
            (NoticeCode::HandoffUrgent, false) => {
                "We have marked your request as urgent; the security team will take it first. Never share your password, 2FA codes or seed phrase with anyone."
            }
            (NoticeCode::HandoffRequested, true) => "好的，正在为您转接人工客服，请稍候。",
            (NoticeCode::HandoffRequested, false) => {
                "Sure, we're connecting you with an agent. Please stay in the chat."
            }
            (NoticeCode::HandoffNotHelped, true) => {
                "抱歉没能帮到您，正在为您转接人工客服，请稍候。"
            }
            (NoticeCode::HandoffNotHelped, false) => {
                "Sorry that didn't help. We're connecting you with an agent; please stay in the chat."
            }
            (NoticeCode::HandoffNoAnswer, true) => "客服人员会尽快回复您，请稍候。",
            (NoticeCode::HandoffNoAnswer, false) => {
                "An agent will reply as soon as possible. Please stay in the chat."
            }
            (NoticeCode::BotResolved, true) => "很高兴帮到您！如有其他问题，随时在这里留言。",
            (NoticeCode::BotResolved, false) => {
                "Glad that helped! If anything else comes up, just write here."
            }
            (NoticeCode::FreezeRequested, true) => {
                "已向交易所发送冻结账户请求，安全团队正在优先处理。请勿向任何人透露密码、验证码或助记词。"
            }
            (NoticeCode::FreezeRequested, false) => {
                "We have sent a request to freeze your account; the security team is on it now. Never share your password, codes or seed phrase with anyone."
            }
            (NoticeCode::FreezeConfirmed, true) => {
                "交易所已收到冻结请求，您的账户正在冻结。安全团队会在这里继续跟进。"
            }
            (NoticeCode::FreezeConfirmed, false) => {
                "The exchange has received the freeze request and is freezing your account. The security team will follow up here."
            }
            (NoticeCode::FreezeFailed, true) => {
                "冻结请求暂时未能送达交易所。安全团队已收到通知并会立即人工处理；您也可以拨打官方客服热线（见官方验证页面）。"
            }
            (NoticeCode::FreezeFailed, false) => {
                "The freeze request could not reach the exchange yet. The security team has been alerted and will act manually right away; you can also call the official hotline (see the verification page)."
            }
            (
                NoticeCode::AgentJoined | NoticeCode::SecretRedacted | NoticeCode::PossibleSecret,
                _,
            ) => {
                return None;
            }
        };
        Some(text)
    }

    /// A public notice with this code and `text`.
    pub fn with_text(self, text: impl Into<String>) -> EventKind {
        EventKind::SystemNotice {
            code: self.as_str().into(),
            text: text.into(),
            audience: Visibility::Public,
        }
    }

    /// A public notice in its fixed wording (an empty text for the notices
    /// worded elsewhere, which call [`NoticeCode::with_text`] instead).
    pub fn event(self, language: Language) -> EventKind {
        self.with_text(self.fixed_text(language).unwrap_or_default())
    }
}

/// What an agent's console is told about, outside the conversation log:
/// the `code` of the WebSocket `notice` frame (part of the protocol: the
/// names never change).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentNoticeCode {
    /// Another agent or a supervisor transferred a conversation to you.
    TransferredToYou,
    /// You were away past the grace period; the conversation went back to
    /// the queue.
    Requeued,
    /// A snoozed conversation of yours is open again.
    SnoozeEnded,
    /// A reminder you set is due.
    ReminderDue,
    /// An SLA target is close.
    SlaWarning,
    /// An SLA target was missed (supervisors).
    SlaBreached,
}

impl AgentNoticeCode {
    pub const ALL: &[AgentNoticeCode] = &[
        AgentNoticeCode::TransferredToYou,
        AgentNoticeCode::Requeued,
        AgentNoticeCode::SnoozeEnded,
        AgentNoticeCode::ReminderDue,
        AgentNoticeCode::SlaWarning,
        AgentNoticeCode::SlaBreached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentNoticeCode::TransferredToYou => "transferred_to_you",
            AgentNoticeCode::Requeued => "requeued",
            AgentNoticeCode::SnoozeEnded => "snooze_ended",
            AgentNoticeCode::ReminderDue => "reminder_due",
            AgentNoticeCode::SlaWarning => "sla_warning",
            AgentNoticeCode::SlaBreached => "sla_breached",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for code in NoticeCode::ALL {
            assert_eq!(NoticeCode::parse(code.as_str()), Some(*code));
        }
        let mut names: Vec<_> = NoticeCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), NoticeCode::ALL.len());
        assert_eq!(NoticeCode::parse("handoff"), None);
    }

    #[test]
    fn agent_notice_names_are_unique_and_match_their_serialised_form() {
        let mut names: Vec<_> = AgentNoticeCode::ALL.iter().map(|c| c.as_str()).collect();
        for code in AgentNoticeCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AgentNoticeCode::ALL.len());
        // the two sets of codes never collide: a console tells them apart
        for code in AgentNoticeCode::ALL {
            assert_eq!(NoticeCode::parse(code.as_str()), None);
        }
    }

    #[test]
    fn handoffs_are_exactly_the_handoff_codes() {
        for code in NoticeCode::ALL {
            assert_eq!(code.is_handoff(), code.as_str().starts_with("handoff_"));
        }
    }

    #[test]
    fn fixed_wordings_exist_in_both_languages_and_differ() {
        for code in NoticeCode::ALL {
            let zh = code.fixed_text(Language::Zh);
            let en = code.fixed_text(Language::En);
            assert_eq!(zh.is_some(), en.is_some(), "{code:?}");
            if let (Some(zh), Some(en)) = (zh, en) {
                assert_ne!(zh, en);
                assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
                assert!(en.is_ascii());
            }
        }
    }
}
