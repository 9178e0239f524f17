//! Typed identifiers.
//!
//! Every id that a client could guess is a random UUID v4 (122 random bits):
//! knowing one conversation id tells nothing about another. The newtypes keep
//! an agent id from being passed where a conversation id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// A customer of the exchange (anonymous visitor or verified user).
    CustomerId
);
typed_id!(
    /// A support agent, supervisor or admin.
    AgentId
);
typed_id!(
    /// A team of agents (e.g. "Security", "L2 Transfers").
    TeamId
);
typed_id!(
    /// A conversation (one request, across channels).
    ConversationId
);
typed_id!(
    /// A server-side login session of a customer or an agent.
    SessionId
);
typed_id!(
    /// A knowledge-base article.
    ArticleId
);
typed_id!(
    /// An entry of the official-channel registry.
    ChannelId
);
typed_id!(
    /// A file attached to a conversation.
    AttachmentId
);
typed_id!(
    /// A canned response (a saved reply agents insert).
    CannedId
);

typed_id!(
    /// An automation rule (a trigger, conditions and actions an admin set up).
    RuleId
);
typed_id!(
    /// A macro: a saved list of actions an agent runs by hand.
    MacroId
);

typed_id!(
    /// An outbound webhook endpoint an admin registered.
    WebhookEndpointId
);
typed_id!(
    /// One webhook message (the same for every attempt to deliver it); sent
    /// as `webhook-id: msg_<simple uuid>`.
    WebhookDeliveryId
);
typed_id!(
    /// A QA scorecard (the categories reviewers rate conversations on).
    ScorecardId
);
typed_id!(
    /// One QA review: a reviewer's ratings of one conversation.
    ReviewId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id = ConversationId::new();
        assert_eq!(id.to_string().parse::<ConversationId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<ConversationId>(&json).unwrap(), id);
    }

    #[test]
    fn fresh_ids_are_random_v4() {
        let a = CustomerId::new();
        let b = CustomerId::new();
        assert_ne!(a, b);
        assert_eq!(a.0.get_version_num(), 4);
    }
}

typed_id!(
    /// A customer's suggestion or complaint.
    FeedbackId
);
