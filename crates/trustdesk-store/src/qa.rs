//! QA reviews and review assignments (tables of migration 0017; the
//! scorecards are a desk setting, the scoring is `trustdesk_core::qa`).

use crate::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use trustdesk_core::qa::{Review, ReviewScore, Why};
use trustdesk_core::{AgentId, ConversationId, Timestamp};

/// A review with the score it got on its card when it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredReview {
    pub review: Review,
    pub score: ReviewScore,
}

/// A conversation sampled for review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QaAssignment {
    pub conversation_id: ConversationId,
    /// The agent whose work it is.
    pub agent: AgentId,
    /// Who should review it (`None`: any reviewer).
    pub reviewer: Option<AgentId>,
    pub why: Why,
    pub created_at: Timestamp,
}

/// Reviews and assignments.
#[async_trait]
pub trait QaStore: Send + Sync {
    /// Stores a review; a conversation's earlier review is replaced.
    async fn put_review(&self, review: &StoredReview) -> Result<()>;

    async fn get_review(&self, conversation: ConversationId) -> Result<Option<StoredReview>>;

    /// Reviews made in `[from, to)`, of one agent or all, newest first.
    async fn list_reviews(
        &self,
        agent: Option<AgentId>,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredReview>>;

    /// Adds assignments; a conversation already assigned keeps its first.
    /// Returns how many were new.
    async fn add_assignments(&self, assignments: &[QaAssignment]) -> Result<u64>;

    /// Assignments, newest first, of one reviewer (and those for anyone)
    /// or all, each with whether its conversation has a review.
    async fn list_assignments(
        &self,
        reviewer: Option<AgentId>,
        limit: u32,
    ) -> Result<Vec<(QaAssignment, bool)>>;

    /// Every conversation assigned or reviewed (sampling leaves them out).
    async fn qa_conversations(&self) -> Result<Vec<ConversationId>>;
}
