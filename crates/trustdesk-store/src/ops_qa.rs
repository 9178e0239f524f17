//! The SQL of QA reviews and assignments, written once and instantiated
//! per backend like `ops_webhooks.rs`.

use crate::{QaAssignment, Result, StoreError, StoredReview};

fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt {what} in the database"))
}

pub(crate) fn decode_review<R: crate::rows::RowExt>(row: &R) -> Result<StoredReview> {
    serde_json::from_str(&row.text("body")?).map_err(|_| corrupt("QA review"))
}

pub(crate) fn decode_assignment<R: crate::rows::RowExt>(row: &R) -> Result<(QaAssignment, bool)> {
    let why: trustdesk_core::qa::Why =
        serde_json::from_value(serde_json::Value::String(row.text("why")?))
            .map_err(|_| corrupt("QA assignment reason"))?;
    Ok((
        QaAssignment {
            conversation_id: parse_id(row.text("conversation_id")?)?,
            agent: parse_id(row.text("agent_id")?)?,
            reviewer: row.opt_text("reviewer_id")?.map(parse_id).transpose()?,
            why,
            created_at: trustdesk_core::Timestamp(row.int("created_at")?),
        },
        row.int("reviewed")? != 0,
    ))
}

fn parse_id<T: std::str::FromStr>(text: String) -> Result<T> {
    text.parse().map_err(|_| corrupt("QA assignment"))
}

pub(crate) fn why_text(why: trustdesk_core::qa::Why) -> String {
    match serde_json::to_value(why) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "random".to_owned(),
    }
}

macro_rules! define_qa_ops {
    ($conn:ty) => {
        use crate::ops_qa::{decode_assignment, decode_review, why_text};
        use crate::{QaAssignment, Result, StoreError, StoredReview};
        use trustdesk_core::{AgentId, ConversationId, Timestamp};

        pub(crate) async fn put_review(conn: &mut $conn, r: &StoredReview) -> Result<()> {
            let body = serde_json::to_string(r).map_err(|e| StoreError::Internal(e.to_string()))?;
            sqlx::query(
                "INSERT INTO qa_reviews (id, conversation_id, agent_id, reviewer_id, created_at, body) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id) DO UPDATE SET \
                 id = excluded.id, agent_id = excluded.agent_id, reviewer_id = excluded.reviewer_id, \
                 created_at = excluded.created_at, body = excluded.body",
            )
            .bind(r.review.id.to_string())
            .bind(r.review.conversation_id.to_string())
            .bind(r.review.agent.to_string())
            .bind(r.review.reviewer.to_string())
            .bind(r.review.at.0)
            .bind(body)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn get_review(conn: &mut $conn, id: ConversationId) -> Result<Option<StoredReview>> {
            let row = sqlx::query("SELECT body FROM qa_reviews WHERE conversation_id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            row.as_ref().map(decode_review).transpose()
        }

        pub(crate) async fn list_reviews(
            conn: &mut $conn,
            agent: Option<AgentId>,
            from: Timestamp,
            to: Timestamp,
            limit: u32,
        ) -> Result<Vec<StoredReview>> {
            let rows = sqlx::query(
                "SELECT body FROM qa_reviews WHERE created_at >= $1 AND created_at < $2 \
                 AND ($3 IS NULL OR agent_id = $3) ORDER BY created_at DESC, id DESC LIMIT $4",
            )
            .bind(from.0)
            .bind(to.0)
            .bind(agent.map(|a| a.to_string()))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode_review).collect()
        }

        pub(crate) async fn add_assignments(conn: &mut $conn, list: &[QaAssignment]) -> Result<u64> {
            let mut added = 0;
            for a in list {
                let done = sqlx::query(
                    "INSERT INTO qa_assignments (conversation_id, agent_id, reviewer_id, why, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id) DO NOTHING",
                )
                .bind(a.conversation_id.to_string())
                .bind(a.agent.to_string())
                .bind(a.reviewer.map(|r| r.to_string()))
                .bind(why_text(a.why))
                .bind(a.created_at.0)
                .execute(&mut *conn)
                .await?;
                added += done.rows_affected();
            }
            Ok(added)
        }

        pub(crate) async fn list_assignments(
            conn: &mut $conn,
            reviewer: Option<AgentId>,
            limit: u32,
        ) -> Result<Vec<(QaAssignment, bool)>> {
            let rows = sqlx::query(
                "SELECT a.conversation_id, a.agent_id, a.reviewer_id, a.why, a.created_at, \
                 CASE WHEN r.id IS NULL THEN 0 ELSE 1 END AS reviewed \
                 FROM qa_assignments a LEFT JOIN qa_reviews r ON r.conversation_id = a.conversation_id \
                 WHERE ($1 IS NULL OR a.reviewer_id = $1 OR a.reviewer_id IS NULL) \
                 ORDER BY a.created_at DESC, a.conversation_id LIMIT $2",
            )
            .bind(reviewer.map(|r| r.to_string()))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode_assignment).collect()
        }

        pub(crate) async fn qa_conversations(conn: &mut $conn) -> Result<Vec<ConversationId>> {
            let rows = sqlx::query(
                "SELECT conversation_id FROM qa_assignments UNION SELECT conversation_id FROM qa_reviews",
            )
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    use crate::rows::RowExt;
                    r.text("conversation_id")?
                        .parse()
                        .map_err(|_| StoreError::Internal("corrupt QA conversation id".into()))
                })
                .collect()
        }
    };
}

pub(crate) use define_qa_ops;

/// `impl QaStore` for a backend with `self.write(job)`, `self.read_pool()`
/// and a `qa_ops` module.
macro_rules! impl_qa_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::QaStore for $store {
            async fn put_review(&self, review: &crate::StoredReview) -> crate::Result<()> {
                let review = review.clone();
                self.write(move |conn| {
                    Box::pin(async move { qa_ops::put_review(conn, &review).await })
                })
                .await
            }

            async fn get_review(
                &self,
                conversation: trustdesk_core::ConversationId,
            ) -> crate::Result<Option<crate::StoredReview>> {
                let mut conn = self.read_pool().acquire().await?;
                qa_ops::get_review(&mut conn, conversation).await
            }

            async fn list_reviews(
                &self,
                agent: Option<trustdesk_core::AgentId>,
                from: trustdesk_core::Timestamp,
                to: trustdesk_core::Timestamp,
                limit: u32,
            ) -> crate::Result<Vec<crate::StoredReview>> {
                let mut conn = self.read_pool().acquire().await?;
                qa_ops::list_reviews(&mut conn, agent, from, to, limit).await
            }

            async fn add_assignments(
                &self,
                assignments: &[crate::QaAssignment],
            ) -> crate::Result<u64> {
                if assignments.is_empty() {
                    return Ok(0);
                }
                let assignments = assignments.to_vec();
                self.write(move |conn| {
                    Box::pin(async move { qa_ops::add_assignments(conn, &assignments).await })
                })
                .await
            }

            async fn list_assignments(
                &self,
                reviewer: Option<trustdesk_core::AgentId>,
                limit: u32,
            ) -> crate::Result<Vec<(crate::QaAssignment, bool)>> {
                let mut conn = self.read_pool().acquire().await?;
                qa_ops::list_assignments(&mut conn, reviewer, limit).await
            }

            async fn qa_conversations(&self) -> crate::Result<Vec<trustdesk_core::ConversationId>> {
                let mut conn = self.read_pool().acquire().await?;
                qa_ops::qa_conversations(&mut conn).await
            }
        }
    };
}

pub(crate) use impl_qa_store;
