//! Customers' suggestions and complaints for the product team (table of
//! migration 0018). The SQL is written once for both backends.

use crate::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use trustdesk_core::guard::GuardedText;
use trustdesk_core::{ConversationId, CustomerId, Language, Timestamp};

/// What the customer meant it as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    Suggestion,
    Complaint,
}

/// Where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackSource {
    /// The widget's feedback form.
    Widget,
    /// A CSAT rating's comment, marked as feedback.
    Rating,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub id: trustdesk_core::FeedbackId,
    pub kind: FeedbackKind,
    pub source: FeedbackSource,
    /// Screened by the secret guard before it was stored.
    pub body: GuardedText,
    pub customer_id: CustomerId,
    pub conversation_id: Option<ConversationId>,
    pub language: Option<Language>,
    pub created_at: Timestamp,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suggestion => "suggestion",
            Self::Complaint => "complaint",
        }
    }
}

impl FeedbackSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Widget => "widget",
            Self::Rating => "rating",
        }
    }
}

#[async_trait]
pub trait FeedbackStore: Send + Sync {
    async fn add_feedback(&self, feedback: &Feedback) -> Result<()>;

    /// Feedback sent in `[from, to)`, of one kind or all, newest first.
    async fn list_feedback(
        &self,
        kind: Option<FeedbackKind>,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<Feedback>>;
}

pub(crate) fn kind_text(kind: FeedbackKind) -> &'static str {
    kind.as_str()
}

pub(crate) fn source_text(source: FeedbackSource) -> &'static str {
    source.as_str()
}

pub(crate) fn decode_feedback<R: crate::rows::RowExt>(row: &R) -> Result<Feedback> {
    let corrupt = || crate::StoreError::Internal("corrupt feedback in the database".into());
    let word =
        |col: &str| -> Result<serde_json::Value> { Ok(serde_json::Value::String(row.text(col)?)) };
    Ok(Feedback {
        id: row.text("id")?.parse().map_err(|_| corrupt())?,
        kind: serde_json::from_value(word("kind")?).map_err(|_| corrupt())?,
        source: serde_json::from_value(word("source")?).map_err(|_| corrupt())?,
        body: GuardedText::from_storage(row.text("body")?),
        customer_id: row.text("customer_id")?.parse().map_err(|_| corrupt())?,
        conversation_id: row
            .opt_text("conversation_id")?
            .map(|c| c.parse().map_err(|_| corrupt()))
            .transpose()?,
        language: row
            .opt_text("language")?
            .map(|l| l.parse().map_err(|_| corrupt()))
            .transpose()?,
        created_at: Timestamp(row.int("created_at")?),
    })
}

macro_rules! define_feedback_ops {
    ($conn:ty) => {
        use crate::feedback::{decode_feedback, kind_text, source_text};
        use crate::{Feedback, FeedbackKind, Result};
        use trustdesk_core::Timestamp;

        pub(crate) async fn add_feedback(conn: &mut $conn, f: &Feedback) -> Result<()> {
            sqlx::query(
                "INSERT INTO feedback (id, kind, source, body, customer_id, conversation_id, \
                 language, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(f.id.to_string())
            .bind(kind_text(f.kind))
            .bind(source_text(f.source))
            .bind(f.body.as_str())
            .bind(f.customer_id.to_string())
            .bind(f.conversation_id.map(|c| c.to_string()))
            .bind(f.language.map(|l| l.as_str()))
            .bind(f.created_at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn list_feedback(
            conn: &mut $conn,
            kind: Option<FeedbackKind>,
            from: Timestamp,
            to: Timestamp,
            limit: u32,
        ) -> Result<Vec<Feedback>> {
            let rows = sqlx::query(
                "SELECT id, kind, source, body, customer_id, conversation_id, language, created_at \
                 FROM feedback WHERE created_at >= $1 AND created_at < $2 \
                 AND ($3 IS NULL OR kind = $3) ORDER BY created_at DESC, id DESC LIMIT $4",
            )
            .bind(from.0)
            .bind(to.0)
            .bind(kind.map(kind_text))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode_feedback).collect()
        }
    };
}

pub(crate) use define_feedback_ops;

macro_rules! impl_feedback_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::FeedbackStore for $store {
            async fn add_feedback(&self, feedback: &crate::Feedback) -> crate::Result<()> {
                let feedback = feedback.clone();
                self.write(move |conn| {
                    Box::pin(async move { feedback_ops::add_feedback(conn, &feedback).await })
                })
                .await
            }

            async fn list_feedback(
                &self,
                kind: Option<crate::FeedbackKind>,
                from: trustdesk_core::Timestamp,
                to: trustdesk_core::Timestamp,
                limit: u32,
            ) -> crate::Result<Vec<crate::Feedback>> {
                let mut conn = self.read_pool().acquire().await?;
                feedback_ops::list_feedback(&mut conn, kind, from, to, limit).await
            }
        }
    };
}

pub(crate) use impl_feedback_store;
