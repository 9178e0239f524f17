//! One Telegram update → the inbox. Shared by both ways in (polling and
//! the webhook).
//!
//! [`read`] is pure: it decides from the update alone whether it is a
//! customer's message (a private chat, a person, new text, a caption, a
//! photo or a document) and what it carries. [`UpdateHandler`] then
//! downloads the files and hands the message to the inbox. Nothing here
//! logs what a message says.

use super::api::{ApiFailure, BotApi};
use crate::channels::inbox::{
    ChannelInbox, Inbound, InboundFile, InboundKind, Received, ThreadHint,
};
use crate::error::ApiError;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use trustdesk_core::{Channel, Language};

/// The parts of an update we read; everything else is ignored.
#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    from: Option<User>,
    chat: Chat,
    text: Option<String>,
    caption: Option<String>,
    photo: Option<Vec<PhotoSize>>,
    document: Option<Document>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    is_bot: bool,
    first_name: Option<String>,
    last_name: Option<String>,
    language_code: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct PhotoSize {
    file_id: String,
    file_unique_id: Option<String>,
    file_size: Option<u64>,
    width: Option<u32>,
    height: Option<u32>,
}

#[derive(Deserialize)]
struct Document {
    file_id: String,
    file_name: Option<String>,
    file_size: Option<u64>,
}

/// A file the message carries, still on Telegram's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRef {
    pub file_id: String,
    pub name: String,
    pub size: Option<u64>,
}

/// A customer's message as read from an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerMessage {
    pub update_id: i64,
    /// The Telegram user id; in a private chat it is also the chat id.
    pub user_id: i64,
    pub name: Option<String>,
    pub text: String,
    pub language: Option<Language>,
    pub files: Vec<FileRef>,
}

/// What an update is to us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    Message(CustomerMessage),
    /// Not for the inbox; the reason is for the log and says nothing of
    /// the content.
    Ignored {
        update_id: Option<i64>,
        reason: &'static str,
    },
}

impl Read {
    pub fn update_id(&self) -> Option<i64> {
        match self {
            Read::Message(m) => Some(m.update_id),
            Read::Ignored { update_id, .. } => *update_id,
        }
    }
}

pub fn read(update: &Value) -> Read {
    let update_id = update.get("update_id").and_then(Value::as_i64);
    let ignored = |reason| Read::Ignored { update_id, reason };
    let Ok(update) = Update::deserialize(update) else {
        return ignored("malformed update");
    };
    // Edited messages, channel posts, callbacks… arrive in other fields.
    let Some(message) = update.message else {
        return ignored("not a new message");
    };
    if message.chat.kind != "private" {
        return ignored("not a private chat");
    }
    let Some(from) = message.from else {
        return ignored("no sender");
    };
    if from.is_bot {
        return ignored("sent by a bot");
    }
    let mut files = Vec::new();
    if let Some(photo) = message.photo.as_ref().and_then(|sizes| largest(sizes)) {
        let unique = photo.file_unique_id.as_deref().unwrap_or("photo");
        files.push(FileRef {
            file_id: photo.file_id.clone(),
            name: format!("photo_{}.jpg", safe_token(unique)),
            size: photo.file_size,
        });
    }
    if let Some(document) = &message.document {
        files.push(FileRef {
            file_id: document.file_id.clone(),
            name: document
                .file_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "document".into()),
            size: document.file_size,
        });
    }
    let text = message.text.or(message.caption).unwrap_or_default();
    // A join, a pin, a sticker, a voice note…: nothing an agent can read.
    if text.trim().is_empty() && files.is_empty() {
        return ignored("a service message or an unsupported kind");
    }
    let name = [from.first_name, from.last_name]
        .into_iter()
        .flatten()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Read::Message(CustomerMessage {
        update_id: update.update_id,
        user_id: from.id,
        name: (!name.is_empty()).then_some(name),
        text,
        language: from.language_code.as_deref().and_then(language_of),
        files,
    })
}

/// The largest size Telegram offers (by pixels; the list is usually
/// ordered, but that is not promised).
fn largest(sizes: &[PhotoSize]) -> Option<&PhotoSize> {
    sizes
        .iter()
        .max_by_key(|p| u64::from(p.width.unwrap_or(0)) * u64::from(p.height.unwrap_or(0)))
}

fn safe_token(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(40)
        .collect()
}

/// The customer's app language, when it is one we hold conversations in.
fn language_of(code: &str) -> Option<Language> {
    let code = code.to_ascii_lowercase();
    if code == "zh" || code.starts_with("zh-") {
        Some(Language::Zh)
    } else if code == "en" || code.starts_with("en-") {
        Some(Language::En)
    } else {
        None
    }
}

/// What became of one update.
#[derive(Debug)]
pub enum Handled {
    Received(Received),
    Ignored(&'static str),
}

/// Why an update could not be taken now; it is worth a retry (the
/// store or Telegram is unavailable).
#[derive(Debug, thiserror::Error)]
pub enum NotYet {
    #[error("the message could not be stored yet: {0}")]
    Store(String),
    #[error("a file could not be fetched yet: {0}")]
    File(ApiFailure),
}

pub struct UpdateHandler {
    inbox: Arc<ChannelInbox>,
    api: BotApi,
    max_file_bytes: usize,
}

impl UpdateHandler {
    pub fn new(inbox: Arc<ChannelInbox>, api: BotApi, max_file_bytes: usize) -> Self {
        Self {
            inbox,
            api,
            max_file_bytes,
        }
    }

    pub async fn handle(&self, update: &Value) -> Result<Handled, NotYet> {
        let message = match read(update) {
            Read::Message(message) => message,
            Read::Ignored { update_id, reason } => {
                tracing::debug!(update_id, reason, "Telegram update ignored");
                return Ok(Handled::Ignored(reason));
            }
        };
        let mut files = Vec::new();
        let mut refused = Vec::new();
        for file in &message.files {
            if file.size.is_some_and(|n| n > self.max_file_bytes as u64) {
                refused.push(file.name.clone());
                continue;
            }
            match self.api.download(&file.file_id, self.max_file_bytes).await {
                Ok(Some(bytes)) => files.push(InboundFile {
                    name: file.name.clone(),
                    bytes,
                }),
                Ok(None) => refused.push(file.name.clone()),
                // Telegram no longer has it (too old, too big for bots):
                // the message is kept without it and the agents are told.
                Err(ApiFailure::Refused { code: 400, .. }) => refused.push(file.name.clone()),
                Err(err) => return Err(NotYet::File(err)),
            }
        }
        let mut body = message.text.clone();
        for name in refused {
            // The name is customer text: it passes the guard with the body.
            body.push_str(&format!(
                "\n[A file could not be taken from Telegram (too large or no longer available): {name}]"
            ));
        }
        let inbound = Inbound {
            channel: Channel::Telegram,
            address: message.user_id.to_string(),
            display_name: message.name.clone(),
            external_id: format!("update:{}", message.update_id),
            subject: None,
            body,
            language: message.language,
            thread: ThreadHint::Latest,
            files,
            kind: InboundKind::Person,
        };
        match self.inbox.receive(inbound).await {
            Ok(received) => Ok(Handled::Received(received)),
            Err(err @ (ApiError::Internal(_) | ApiError::Overloaded { .. })) => {
                Err(NotYet::Store(err.code().to_owned()))
            }
            Err(err) => {
                // Refused for good (e.g. a closed conversation's rule): it
                // will not work on a retry either.
                tracing::info!(
                    update_id = message.update_id,
                    code = err.code(),
                    "a Telegram message was refused and skipped"
                );
                Ok(Handled::Ignored("refused"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn private(message: Value) -> Value {
        let mut m = json!({
            "message_id": 5,
            "date": 1,
            "from": {"id": 777, "is_bot": false, "first_name": "Ada", "last_name": "Li", "language_code": "zh-hans"},
            "chat": {"id": 777, "type": "private"},
        });
        m.as_object_mut()
            .unwrap()
            .extend(message.as_object().unwrap().clone());
        json!({"update_id": 10, "message": m})
    }

    #[test]
    fn a_private_text_message_is_a_customer_message() {
        let Read::Message(m) = read(&private(json!({"text": "hello"}))) else {
            panic!("not read")
        };
        assert_eq!(m.update_id, 10);
        assert_eq!(m.user_id, 777);
        assert_eq!(m.name.as_deref(), Some("Ada Li"));
        assert_eq!(m.text, "hello");
        assert_eq!(m.language, Some(Language::Zh));
        assert!(m.files.is_empty());
    }

    #[test]
    fn photos_take_the_largest_size_and_documents_keep_their_name() {
        let update = private(json!({
            "caption": "see",
            "photo": [
                {"file_id": "big", "file_unique_id": "U/1", "width": 800, "height": 600, "file_size": 9},
                {"file_id": "small", "file_unique_id": "U2", "width": 90, "height": 60}
            ],
        }));
        let Read::Message(m) = read(&update) else {
            panic!("not read")
        };
        assert_eq!(m.text, "see");
        assert_eq!(m.files[0].file_id, "big");
        assert_eq!(m.files[0].name, "photo_U1.jpg");
        let doc =
            private(json!({"document": {"file_id": "d", "file_name": "a.txt", "file_size": 3}}));
        let Read::Message(m) = read(&doc) else {
            panic!("not read")
        };
        assert_eq!(m.text, "");
        assert_eq!(
            m.files,
            vec![FileRef {
                file_id: "d".into(),
                name: "a.txt".into(),
                size: Some(3)
            }]
        );
    }

    #[test]
    fn groups_bots_edits_and_service_messages_are_ignored() {
        let mut group = private(json!({"text": "hi"}));
        group["message"]["chat"]["type"] = json!("supergroup");
        let mut bot = private(json!({"text": "hi"}));
        bot["message"]["from"]["is_bot"] = json!(true);
        let edit = json!({"update_id": 3, "edited_message": {"text": "x"}});
        let joined = private(json!({"new_chat_members": []}));
        let sticker = private(json!({"sticker": {"file_id": "s"}}));
        for (update, reason) in [
            (group, "not a private chat"),
            (bot, "sent by a bot"),
            (edit, "not a new message"),
            (joined, "a service message or an unsupported kind"),
            (sticker, "a service message or an unsupported kind"),
        ] {
            assert!(
                matches!(read(&update), Read::Ignored { reason: r, .. } if r == reason),
                "{update}"
            );
        }
    }

    #[test]
    fn malformed_updates_are_skipped_without_a_panic() {
        for bad in [
            json!(null),
            json!("x"),
            json!({"update_id": "nine"}),
            json!({"update_id": 4, "message": {"chat": 3}}),
            json!({"update_id": 4, "message": {"from": {"id": "me"}, "chat": {"type": "private"}, "text": "x"}}),
        ] {
            assert!(matches!(read(&bad), Read::Ignored { .. }), "{bad}");
        }
        assert_eq!(
            read(&json!({"update_id": 4, "message": 1})).update_id(),
            Some(4)
        );
    }

    #[test]
    fn languages_map_to_ours_or_none() {
        assert_eq!(language_of("en-GB"), Some(Language::En));
        assert_eq!(language_of("ZH"), Some(Language::Zh));
        assert_eq!(language_of("ru"), None);
    }
}
