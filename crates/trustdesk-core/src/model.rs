//! The people and the conversations.

use crate::guard::GuardedText;
use crate::ids::{AgentId, ConversationId, CustomerId, TeamId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The error for a string that names no variant of a domain enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind}: {value:?}")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
}

/// Declares a fieldless enum that is stored and sent as a lowercase string.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant { kind: $kind, value: s.to_owned() }),
                }
            }
        }
    };
}

string_enum!(
    /// Where a conversation came in.
    Channel, "channel" {
        Web => "web",
        Email => "email",
        Telegram => "telegram",
        Api => "api",
    }
);

string_enum!(
    /// The service domain of a request (see PRODUCT.md).
    Category, "category" {
        Account => "account",
        Trading => "trading",
        Transfer => "transfer",
        Security => "security",
        Storage => "storage",
        Compliance => "compliance",
    }
);

string_enum!(
    /// The language a conversation is held in.
    Language, "language" {
        Zh => "zh",
        En => "en",
        Other => "other",
    }
);

string_enum!(
    /// How soon a conversation must be handled. Ordered: `Low < Urgent`.
    Priority, "priority" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

string_enum!(
    /// The lifecycle of a conversation.
    ConversationStatus, "status" {
        /// Waiting on the support team.
        Open => "open",
        /// Waiting on the customer; SLA clocks pause.
        Pending => "pending",
        /// Hidden from the inbox until `snoozed_until`.
        Snoozed => "snoozed",
        /// Answered; a customer reply reopens it.
        Resolved => "resolved",
        /// Final; a customer reply starts a new conversation.
        Closed => "closed",
    }
);

string_enum!(
    /// What an agent account may do.
    Role, "role" {
        Agent => "agent",
        Supervisor => "supervisor",
        Admin => "admin",
    }
);

string_enum!(
    /// Whether an agent account can be used at all.
    AgentStatus, "agent status" {
        Active => "active",
        Deactivated => "deactivated",
    }
);

impl Role {
    /// Whether this role has at least the powers of `other`
    /// (agent < supervisor < admin).
    pub fn at_least(self, other: Role) -> bool {
        let rank = |r: Role| match r {
            Role::Agent => 0,
            Role::Supervisor => 1,
            Role::Admin => 2,
        };
        rank(self) >= rank(other)
    }
}

impl ConversationStatus {
    /// Statuses in which the conversation still needs the team's attention.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::Pending | Self::Snoozed)
    }

    /// The status a customer message moves a conversation to. Resolved,
    /// pending and snoozed conversations reopen; closed ones stay closed
    /// (the caller starts a new conversation instead).
    pub fn after_customer_message(self) -> Self {
        match self {
            Self::Closed => Self::Closed,
            _ => Self::Open,
        }
    }
}

/// A customer: anonymous (no `external_id`) or verified by the exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    /// The exchange's own user id, present only when the identity was
    /// verified by the exchange's HMAC.
    pub external_id: Option<String>,
    /// Given with the identity; screened by the secret guard.
    pub name: Option<GuardedText>,
    pub email: Option<GuardedText>,
    pub locale: Option<Language>,
    pub created_at: Timestamp,
}

impl Customer {
    pub fn is_verified(&self) -> bool {
        self.external_id.is_some()
    }
}

/// A support team member. The password hash never leaves the store layer
/// in a form that is serialised to clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: AgentStatus,
    /// Languages this agent answers in.
    pub languages: Vec<Language>,
    pub team_id: Option<TeamId>,
    /// Public badge code a customer can check in the verification portal.
    pub badge: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub created_at: Timestamp,
}

/// The current state of a conversation: a projection of its event log,
/// kept in one row so inbox queries stay cheap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub customer_id: CustomerId,
    pub channel: Channel,
    pub subject: Option<GuardedText>,
    /// Set by triage; `None` until the first customer message is triaged.
    pub category: Option<Category>,
    pub language: Option<Language>,
    pub priority: Priority,
    pub urgent: bool,
    pub status: ConversationStatus,
    pub assignee_id: Option<AgentId>,
    pub team_id: Option<TeamId>,
    pub snoozed_until: Option<Timestamp>,
    /// The sequence number of the newest event (0 when there is none).
    pub last_seq: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Its labels, sorted, each once (set by agents and automation rules
    /// through `labeled` events).
    #[serde(default)]
    pub labels: Vec<crate::automation::Label>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_their_text() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), *c);
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for s in ConversationStatus::ALL {
            assert_eq!(s.as_str().parse::<ConversationStatus>().unwrap(), *s);
        }
        assert!("Open".parse::<ConversationStatus>().is_err());
        assert!("".parse::<Channel>().is_err());
    }

    #[test]
    fn roles_rank_agent_supervisor_admin() {
        assert!(Role::Admin.at_least(Role::Supervisor));
        assert!(Role::Supervisor.at_least(Role::Supervisor));
        assert!(!Role::Agent.at_least(Role::Supervisor));
    }

    #[test]
    fn priority_orders_by_urgency() {
        assert!(Priority::Low < Priority::Normal);
        assert!(Priority::High < Priority::Urgent);
    }

    #[test]
    fn customer_message_reopens_all_but_closed() {
        use ConversationStatus::*;
        assert_eq!(Resolved.after_customer_message(), Open);
        assert_eq!(Pending.after_customer_message(), Open);
        assert_eq!(Snoozed.after_customer_message(), Open);
        assert_eq!(Closed.after_customer_message(), Closed);
    }
}
