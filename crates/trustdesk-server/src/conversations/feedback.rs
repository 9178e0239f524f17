//! Customer satisfaction (CSAT): once a conversation is resolved, the
//! customer rates it 1–5 with an optional comment. One rating per
//! resolution; a reopened and again resolved conversation can be rated
//! again. The comment is customer text, so the secret guard sees it first.

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::trust::guard;
use trustdesk_core::event::EventKind;
use trustdesk_core::{ConversationId, ConversationStatus, Language, validate};
use trustdesk_store::{Appended, Audience};

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 1_000;

/// How far back the "already rated?" check looks. A resolution is recent
/// by construction: ratings are only taken while the conversation is
/// resolved or closed, and nothing but a rating, a status change or a
/// notice follows the resolution.
const LOOKBACK: i64 = 50;

pub async fn rate(
    state: &AppState,
    who: &Authenticated,
    id: ConversationId,
    score: u8,
    comment: Option<&str>,
) -> ApiResult<Appended> {
    if who.customer_id().is_none() {
        return Err(ApiError::NotFound);
    }
    if !(1..=5).contains(&score) {
        return Err(ApiError::BadRequest("score must be 1 to 5".into()));
    }
    let comment = comment
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            if c.chars().count() > MAX_COMMENT_CHARS {
                return Err(ApiError::BadRequest(format!(
                    "comment is longer than {MAX_COMMENT_CHARS} characters"
                )));
            }
            Ok(validate::body(c)?)
        })
        .transpose()?;
    let conversation = state.conversations.visible(who, id).await?;
    if !matches!(
        conversation.status,
        ConversationStatus::Resolved | ConversationStatus::Closed
    ) {
        return Err(ApiError::Conflict(
            "a conversation can be rated once it is resolved".into(),
        ));
    }
    let recent = state
        .store
        .events(
            id,
            (conversation.last_seq - LOOKBACK).max(0),
            Audience::Customer,
            LOOKBACK as u32,
        )
        .await?;
    for event in recent.iter().rev() {
        match &event.kind {
            EventKind::Rated { .. } => {
                return Err(ApiError::Conflict(
                    "this conversation has already been rated".into(),
                ));
            }
            EventKind::StatusChanged { to, .. } if *to == ConversationStatus::Resolved => break,
            _ => {}
        }
    }
    let language = conversation.language.unwrap_or(Language::En);
    let comment = comment.map(|c| guard::screen_customer_text(&c, language).text);
    state
        .conversations
        .record_rating(who, id, score, comment)
        .await
}
