//! The feedback channel (docs/feedback.md): customers send the product
//! team a suggestion or a complaint from the widget, or mark their CSAT
//! comment as one; supervisors list and export them. The text goes
//! through the secret guard first, like every customer text, so a pasted
//! key never reaches the list, the export or the disk.

pub mod routes;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::trust::guard;
use trustdesk_core::{ConversationId, CustomerId, FeedbackId, Language, triage, validate};
use trustdesk_store::{Feedback, FeedbackKind, FeedbackSource};

/// Longest feedback, in characters.
pub const MAX_CHARS: usize = 2_000;

/// Screens and stores one piece of feedback.
pub async fn record(
    state: &AppState,
    customer: CustomerId,
    kind: FeedbackKind,
    source: FeedbackSource,
    text: &str,
    conversation: Option<ConversationId>,
    language: Option<Language>,
) -> ApiResult<Feedback> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::BadRequest("feedback must not be empty".into()));
    }
    if text.chars().count() > MAX_CHARS {
        return Err(ApiError::BadRequest(format!(
            "feedback is longer than {MAX_CHARS} characters"
        )));
    }
    let text = validate::body(text)?;
    let language = language.unwrap_or_else(|| triage::detect_language(&text));
    let screened = guard::screen_customer_text(&text, language);
    let feedback = Feedback {
        id: FeedbackId::new(),
        kind,
        source,
        body: screened.text,
        customer_id: customer,
        conversation_id: conversation,
        language: Some(language),
        created_at: state.clock.now(),
    };
    state.store.add_feedback(&feedback).await?;
    Ok(feedback)
}
