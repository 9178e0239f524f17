//! Labels: the team's own tags on a conversation, changed by agents, by
//! macros and by automation rules, each change a `labeled` event (so the
//! row's labels are a projection of the log like everything else).

use super::*;
use trustdesk_core::automation::Label;

/// Most labels one conversation carries.
pub const MAX_LABELS: usize = 20;

impl Conversations {
    /// Adds and removes labels as `actor`, after `visible` said the
    /// caller may. Only the net change is written; `None` when nothing
    /// changes (every added label already there, every removed one
    /// absent).
    pub async fn change_labels(
        &self,
        conversation: &Conversation,
        actor: Actor,
        add: &[Label],
        remove: &[Label],
    ) -> ApiResult<Option<Appended>> {
        if let Some(both) = add.iter().find(|l| remove.contains(l)) {
            return Err(ApiError::BadRequest(format!(
                "label {both} is both added and removed"
            )));
        }
        let mut added: Vec<Label> = add
            .iter()
            .filter(|l| !conversation.labels.contains(l))
            .cloned()
            .collect();
        added.sort();
        added.dedup();
        let mut removed: Vec<Label> = remove
            .iter()
            .filter(|l| conversation.labels.contains(l))
            .cloned()
            .collect();
        removed.sort();
        removed.dedup();
        if added.is_empty() && removed.is_empty() {
            return Ok(None);
        }
        if conversation.labels.len() + added.len() - removed.len() > MAX_LABELS {
            return Err(ApiError::BadRequest(format!(
                "a conversation carries at most {MAX_LABELS} labels"
            )));
        }
        self.append(NewEvent {
            conversation_id: conversation.id,
            actor,
            kind: EventKind::Labeled { added, removed },
            client_msg_id: None,
            at: self.clock.now(),
        })
        .await
        .map(Some)
    }
}
