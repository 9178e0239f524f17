//! Files shared in a conversation.
//!
//! A file is accepted only when its content is one of the allowed kinds
//! (`trustdesk_core::files::sniff`: images, PDF, plain text; never HTML or
//! SVG, whatever it is called). Plain text from a customer passes the
//! secret guard like a message does: a seed phrase in `backup.txt` is
//! redacted before the bytes are stored. The file and the event that
//! shares it are written in one transaction.

use crate::auth::{Authenticated, Who};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::trust::guard;
use sha2::{Digest, Sha256};
use trustdesk_core::files::{self, FileKind};
use trustdesk_core::guard::GuardedText;
use trustdesk_core::{AttachmentId, ConversationId, ConversationStatus, Language};
use trustdesk_store::{Appended, NewAttachment, Principal, StoredAttachment};

/// Stores `bytes` as a file of conversation `id` and tells everyone in it.
pub async fn attach(
    state: &AppState,
    who: &Authenticated,
    id: ConversationId,
    claimed_name: &str,
    bytes: &[u8],
) -> ApiResult<Appended> {
    let max = state.config.limits.attachment_max_bytes;
    if bytes.len() > max {
        return Err(ApiError::TooLarge);
    }
    let kind = files::sniff(bytes).ok_or_else(|| {
        ApiError::UnsupportedType(
            "only images (PNG, JPEG, GIF, WebP), PDF and plain text can be attached".into(),
        )
    })?;
    let conversation = state.conversations.visible(who, id).await?;
    if who.customer_id().is_some() && conversation.status == ConversationStatus::Closed {
        return Err(ApiError::Conflict(
            "this conversation is closed; please start a new one".into(),
        ));
    }
    let language = conversation.language.unwrap_or(Language::En);
    let mut notices = Vec::new();
    let mut data = bytes.to_vec();
    let safe_name = files::safe_name(claimed_name, kind);
    // Every file name passes the guard before the store sees it (the type
    // of `NewAttachment::name` insists); only a customer is told.
    let screened_name = guard::screen_customer_text(&safe_name, language);
    let name = if screened_name.redacted {
        GuardedText::new(&format!("file.{}", kind.extension()))
    } else {
        screened_name.text
    };
    if let Who::Customer(_) = who.who {
        notices.extend(screened_name.notices);
        // Text content is customer text too.
        if kind == FileKind::Text {
            let text = String::from_utf8_lossy(bytes);
            let screened = guard::screen_customer_text(&text, language);
            if screened.redacted {
                data = screened.text.into_string().into_bytes();
                notices.extend(screened.notices);
            }
        }
    }
    let file = NewAttachment {
        id: AttachmentId::new(),
        conversation_id: id,
        uploaded_by: match &who.who {
            Who::Customer(c) => Principal::Customer(*c),
            Who::Agent(a) => Principal::Agent(a.id),
        },
        name: name.clone(),
        mime: kind.mime().to_owned(),
        sha256: hex::encode(Sha256::digest(&data)),
        at: state.conversations.clock().now(),
        data,
    };
    // One notice even when both the name and the content held a secret.
    let notice = notices.into_iter().next();
    state.conversations.share_file(who, file, notice).await
}

/// The file, if `who` may see the conversation it belongs to. Another
/// conversation's file is `NotFound`, like a missing one.
pub async fn fetch(
    state: &AppState,
    who: &Authenticated,
    id: AttachmentId,
) -> ApiResult<StoredAttachment> {
    let file = state.store.get_attachment(id).await?;
    state
        .conversations
        .visible(who, file.conversation_id)
        .await?;
    Ok(file)
}
