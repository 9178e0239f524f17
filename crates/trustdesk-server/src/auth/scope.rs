//! What an API token may be granted. Routes name the scope they need in
//! their extractor (`ConversationReader`, `ConversationWriter`), so a new
//! route is closed to tokens unless it asks for one.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApiScope {
    /// The inbox, conversation history, WebSocket subscriptions and the
    /// directory (who am I, agents, teams).
    #[serde(rename = "conversations:read")]
    ConversationsRead,
    /// Replies, notes, status, assignment, transfers, reminders, uploads.
    #[serde(rename = "conversations:write")]
    ConversationsWrite,
}

impl ApiScope {
    pub const ALL: [ApiScope; 2] = [ApiScope::ConversationsRead, ApiScope::ConversationsWrite];

    /// The name stored with the token and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::ConversationsRead => "conversations:read",
            ApiScope::ConversationsWrite => "conversations:write",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for scope in ApiScope::ALL {
            assert_eq!(ApiScope::parse(scope.as_str()), Some(scope));
            assert_eq!(
                serde_json::to_value(scope).unwrap(),
                serde_json::Value::String(scope.as_str().into())
            );
        }
        assert_eq!(ApiScope::parse("conversations:admin"), None);
        assert_eq!(ApiScope::parse(""), None);
    }
}
