//! Row decoding shared by both backends. Both store ids as UUID text,
//! times as integer milliseconds and payloads as JSON text, so one decoder
//! serves both; `RowExt` hides the backend's row type.

use crate::{Principal, Result, Session, StoreError};
use sqlx::Row;
use std::str::FromStr;
use trustdesk_core::event::Actor;
use trustdesk_core::guard::GuardedText;
use trustdesk_core::kb::Article;
use trustdesk_core::{
    Agent, Conversation, Customer, Event, EventKind, Team, Timestamp, Visibility,
};

pub(crate) trait RowExt {
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn flag(&self, col: &str) -> Result<bool>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>>;
}

macro_rules! impl_row_ext {
    ($row:ty, $get:ident) => {
        impl RowExt for $row {
            fn text(&self, col: &str) -> Result<String> {
                Ok(self.$get(col)?)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>> {
                Ok(self.$get(col)?)
            }
            fn int(&self, col: &str) -> Result<i64> {
                Ok(self.$get(col)?)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>> {
                Ok(self.$get(col)?)
            }
            fn flag(&self, col: &str) -> Result<bool> {
                Ok(self.$get(col)?)
            }
            fn bytes(&self, col: &str) -> Result<Vec<u8>> {
                Ok(self.$get(col)?)
            }
        }
    };
}

impl_row_ext!(sqlx::sqlite::SqliteRow, try_get);
impl_row_ext!(sqlx::postgres::PgRow, try_get);
// The embedded writer reads with rusqlite (see `sqlite::writer`).
impl_row_ext!(rusqlite::Row<'_>, get);

fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!("corrupt {what} in the database"))
}

pub(crate) fn parse<T: FromStr>(value: &str, what: &str) -> Result<T> {
    value.parse().map_err(|_| corrupt(what))
}

fn parse_opt<T: FromStr>(value: Option<String>, what: &str) -> Result<Option<T>> {
    value.map(|v| parse(&v, what)).transpose()
}

pub(crate) const TEAM_COLUMNS: &str = "id, name, created_at";

pub(crate) fn team<R: RowExt>(r: &R) -> Result<Team> {
    Ok(Team {
        id: parse(&r.text("id")?, "team id")?,
        name: r.text("name")?,
        created_at: Timestamp(r.int("created_at")?),
    })
}

pub(crate) const AGENT_COLUMNS: &str =
    "id, email, display_name, role, status, languages, team_id, badge, created_at";

pub(crate) fn agent<R: RowExt>(r: &R) -> Result<Agent> {
    Ok(Agent {
        id: parse(&r.text("id")?, "agent id")?,
        email: r.text("email")?,
        display_name: r.text("display_name")?,
        role: parse(&r.text("role")?, "agent role")?,
        status: parse(&r.text("status")?, "agent status")?,
        languages: serde_json::from_str(&r.text("languages")?)
            .map_err(|_| corrupt("agent languages"))?,
        team_id: parse_opt(r.opt_text("team_id")?, "team id")?,
        badge: r.text("badge")?,
        created_at: Timestamp(r.int("created_at")?),
    })
}

pub(crate) fn languages_json(agent: &Agent) -> String {
    serde_json::to_string(&agent.languages).unwrap_or_else(|_| "[]".into())
}

pub(crate) const CUSTOMER_COLUMNS: &str = "id, external_id, name, email, locale, created_at";

pub(crate) fn customer<R: RowExt>(r: &R) -> Result<Customer> {
    Ok(Customer {
        id: parse(&r.text("id")?, "customer id")?,
        external_id: r.opt_text("external_id")?,
        name: r.opt_text("name")?.map(GuardedText::from_storage),
        email: r.opt_text("email")?.map(GuardedText::from_storage),
        locale: parse_opt(r.opt_text("locale")?, "customer locale")?,
        created_at: Timestamp(r.int("created_at")?),
    })
}

pub(crate) const SESSION_COLUMNS: &str =
    "id, token_hash, customer_id, agent_id, created_at, expires_at, revoked_at, token_name, scopes";

pub(crate) fn session<R: RowExt>(r: &R) -> Result<Session> {
    let principal = match (r.opt_text("customer_id")?, r.opt_text("agent_id")?) {
        (Some(c), None) => Principal::Customer(parse(&c, "session customer")?),
        (None, Some(a)) => Principal::Agent(parse(&a, "session agent")?),
        _ => return Err(corrupt("session principal")),
    };
    let name = r.opt_text("token_name")?;
    let scopes = r.opt_text("scopes")?;
    Ok(Session {
        id: parse(&r.text("id")?, "session id")?,
        token_hash: r.bytes("token_hash")?,
        principal,
        created_at: Timestamp(r.int("created_at")?),
        expires_at: Timestamp(r.int("expires_at")?),
        revoked_at: r.opt_int("revoked_at")?.map(Timestamp),
        api_token: name.as_ref().map(|name| crate::ApiTokenInfo {
            name: name.clone(),
            scopes: scopes
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        }),
        pending: match (&name, scopes.as_deref()) {
            (None, Some(s)) => {
                Some(crate::Pending::parse(s).ok_or_else(|| corrupt("session scopes"))?)
            }
            _ => None,
        },
    })
}

/// A session's principal as its two columns (customer, agent).
pub(crate) fn session_principal_columns(s: &Session) -> (Option<String>, Option<String>) {
    match s.principal {
        Principal::Customer(c) => (Some(c.to_string()), None),
        Principal::Agent(a) => (None, Some(a.to_string())),
    }
}

/// The `scopes` column: an API token's scopes, or a pending sign-in step.
pub(crate) fn session_scopes_column(s: &Session) -> Option<String> {
    match (&s.api_token, s.pending) {
        (Some(t), _) => Some(t.scopes.join(" ")),
        (None, Some(p)) => Some(p.as_str().to_owned()),
        (None, None) => None,
    }
}

pub(crate) const CONVERSATION_COLUMNS: &str = "id, customer_id, channel, subject, category, \
     language, priority, urgent, status, assignee_id, team_id, snoozed_until, last_seq, \
     created_at, updated_at, labels";

/// `text` with LIKE's wildcards and the escape character escaped (the
/// statement says `ESCAPE '\'`).
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `labels` column: the sorted labels as a JSON array.
pub(crate) fn labels_column(c: &Conversation) -> String {
    serde_json::to_string(&c.labels).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn conversation<R: RowExt>(r: &R) -> Result<Conversation> {
    Ok(Conversation {
        id: parse(&r.text("id")?, "conversation id")?,
        customer_id: parse(&r.text("customer_id")?, "customer id")?,
        channel: parse(&r.text("channel")?, "channel")?,
        subject: r.opt_text("subject")?.map(GuardedText::from_storage),
        category: parse_opt(r.opt_text("category")?, "category")?,
        language: parse_opt(r.opt_text("language")?, "language")?,
        priority: parse(&r.text("priority")?, "priority")?,
        urgent: r.flag("urgent")?,
        status: parse(&r.text("status")?, "status")?,
        assignee_id: parse_opt(r.opt_text("assignee_id")?, "assignee")?,
        team_id: parse_opt(r.opt_text("team_id")?, "team")?,
        snoozed_until: r.opt_int("snoozed_until")?.map(Timestamp),
        last_seq: r.int("last_seq")?,
        created_at: Timestamp(r.int("created_at")?),
        updated_at: Timestamp(r.int("updated_at")?),
        labels: serde_json::from_str(&r.text("labels")?)
            .map_err(|e| StoreError::Internal(format!("stored labels: {e}")))?,
    })
}

pub(crate) const EVENT_COLUMNS: &str = "conversation_id, seq, at, actor_type, actor_id, \
     actor_name, visibility, client_msg_id, payload";

/// The actor split into the three columns that make it queryable.
pub(crate) fn actor_columns(actor: &Actor) -> (&'static str, Option<String>, Option<String>) {
    match actor {
        Actor::Customer { id } => ("customer", Some(id.to_string()), None),
        Actor::Agent { id, name } => ("agent", Some(id.to_string()), Some(name.clone())),
        Actor::Bot => ("bot", None, None),
        Actor::System => ("system", None, None),
    }
}

/// Who sent an event, as the columns that scope its client message id
/// (`actor_type`, `COALESCE(actor_id, '')`): each sender numbers its own
/// messages, so the same id from two senders is two messages.
pub(crate) fn sender_key(actor: &Actor) -> (&'static str, String) {
    let (actor_type, actor_id, _) = actor_columns(actor);
    (actor_type, actor_id.unwrap_or_default())
}

pub(crate) fn event<R: RowExt>(r: &R) -> Result<Event> {
    let actor_id = r.opt_text("actor_id")?;
    let actor = match (r.text("actor_type")?.as_str(), actor_id) {
        ("customer", Some(id)) => Actor::Customer {
            id: parse(&id, "event actor")?,
        },
        ("agent", Some(id)) => Actor::Agent {
            id: parse(&id, "event actor")?,
            name: r.opt_text("actor_name")?.unwrap_or_default(),
        },
        ("bot", _) => Actor::Bot,
        ("system", _) => Actor::System,
        _ => return Err(corrupt("event actor")),
    };
    let kind: EventKind =
        serde_json::from_str(&r.text("payload")?).map_err(|_| corrupt("event payload"))?;
    Ok(Event {
        conversation_id: parse(&r.text("conversation_id")?, "event conversation")?,
        seq: r.int("seq")?,
        at: Timestamp(r.int("at")?),
        actor,
        visibility: Visibility::parse(&r.text("visibility")?)
            .ok_or_else(|| corrupt("event visibility"))?,
        client_msg_id: r.opt_text("client_msg_id")?,
        kind,
    })
}

pub(crate) fn payload_json(kind: &EventKind) -> Result<String> {
    serde_json::to_string(kind).map_err(|e| StoreError::Internal(format!("encode event: {e}")))
}

pub(crate) const ARTICLE_COLUMNS: &str =
    "id, slug, locale, category, title, body, tags, published, created_at, updated_at";

pub(crate) fn article<R: RowExt>(r: &R) -> Result<Article> {
    Ok(Article {
        id: parse(&r.text("id")?, "article id")?,
        slug: r.text("slug")?,
        locale: parse(&r.text("locale")?, "article locale")?,
        category: parse(&r.text("category")?, "article category")?,
        title: r.text("title")?,
        body: r.text("body")?,
        tags: serde_json::from_str(&r.text("tags")?).map_err(|_| corrupt("article tags"))?,
        published: r.flag("published")?,
        created_at: Timestamp(r.int("created_at")?),
        updated_at: Timestamp(r.int("updated_at")?),
    })
}

pub(crate) const CHANNEL_COLUMNS: &str = "id, kind, value, label, created_at";

pub(crate) fn channel<R: RowExt>(r: &R) -> Result<crate::OfficialChannel> {
    Ok(crate::OfficialChannel {
        id: parse(&r.text("id")?, "channel id")?,
        kind: r
            .text("kind")?
            .parse()
            .map_err(|_| corrupt("channel kind"))?,
        value: r.text("value")?,
        label: r.text("label")?,
        created_at: Timestamp(r.int("created_at")?),
    })
}

pub(crate) const AUDIT_COLUMNS: &str = "seq, at, actor, action, subject, detail, prev_hash, hash";

pub(crate) fn audit<R: RowExt>(r: &R) -> Result<trustdesk_core::audit::AuditEntry> {
    Ok(trustdesk_core::audit::AuditEntry {
        seq: r.int("seq")?,
        at: Timestamp(r.int("at")?),
        actor: r.text("actor")?,
        action: r.text("action")?,
        subject: r.text("subject")?,
        detail: r.text("detail")?,
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

/// Who uploaded a file, as its two columns (type, id).
pub(crate) fn uploader_columns(file: &crate::NewAttachment) -> (&'static str, String) {
    match file.uploaded_by {
        Principal::Customer(id) => ("customer", id.to_string()),
        Principal::Agent(id) => ("agent", id.to_string()),
    }
}

pub(crate) const ATTACHMENT_COLUMNS: &str =
    "id, conversation_id, name, mime, sha256, data, created_at";

pub(crate) fn attachment<R: RowExt>(r: &R) -> Result<crate::StoredAttachment> {
    Ok(crate::StoredAttachment {
        id: parse(&r.text("id")?, "attachment id")?,
        conversation_id: parse(&r.text("conversation_id")?, "conversation id")?,
        name: r.text("name")?,
        mime: r.text("mime")?,
        sha256: r.text("sha256")?,
        data: r.bytes("data")?,
        created_at: Timestamp(r.int("created_at")?),
    })
}

pub(crate) const CANNED_COLUMNS: &str =
    "id, shortcut, title, body, locale, created_by, created_at, updated_at";

pub(crate) fn canned<R: RowExt>(r: &R) -> Result<crate::CannedResponse> {
    Ok(crate::CannedResponse {
        id: parse(&r.text("id")?, "canned response id")?,
        shortcut: r.text("shortcut")?,
        title: r.text("title")?,
        body: r.text("body")?,
        locale: parse_opt(r.opt_text("locale")?, "canned response locale")?,
        created_by: parse_opt(r.opt_text("created_by")?, "canned response author")?,
        created_at: Timestamp(r.int("created_at")?),
        updated_at: Timestamp(r.int("updated_at")?),
    })
}

pub(crate) const IDENTITY_COLUMNS: &str = "channel, address, customer_id, display_name, created_at";

pub(crate) fn channel_identity<R: RowExt>(r: &R) -> Result<crate::ChannelIdentity> {
    Ok(crate::ChannelIdentity {
        channel: parse(&r.text("channel")?, "identity channel")?,
        address: r.text("address")?,
        customer_id: parse(&r.text("customer_id")?, "identity customer")?,
        display_name: r.opt_text("display_name")?.map(GuardedText::from_storage),
        created_at: Timestamp(r.int("created_at")?),
    })
}

pub(crate) const THREAD_COLUMNS: &str =
    "conversation_id, channel, address, delivered_seq, updated_at";

pub(crate) fn channel_thread<R: RowExt>(r: &R) -> Result<crate::ChannelThread> {
    Ok(crate::ChannelThread {
        conversation_id: parse(&r.text("conversation_id")?, "thread conversation")?,
        channel: parse(&r.text("channel")?, "thread channel")?,
        address: r.text("address")?,
        delivered_seq: r.int("delivered_seq")?,
        updated_at: Timestamp(r.int("updated_at")?),
    })
}

pub(crate) const CHANNEL_MESSAGE_COLUMNS: &str =
    "channel, external_id, conversation_id, direction, created_at";

pub(crate) fn channel_message<R: RowExt>(r: &R) -> Result<crate::ChannelMessage> {
    let direction = match r.text("direction")?.as_str() {
        "in" => crate::Direction::Inbound,
        "out" => crate::Direction::Outbound,
        _ => return Err(corrupt("channel message direction")),
    };
    Ok(crate::ChannelMessage {
        channel: parse(&r.text("channel")?, "message channel")?,
        external_id: r.text("external_id")?,
        conversation_id: parse_opt(r.opt_text("conversation_id")?, "message conversation")?,
        direction,
        at: Timestamp(r.int("created_at")?),
    })
}

pub(crate) fn conversation_link<R: RowExt>(r: &R) -> Result<crate::ConversationLink> {
    Ok(crate::ConversationLink {
        conversation_id: parse(&r.text("conversation_id")?, "link conversation")?,
        linked_id: parse(&r.text("linked_id")?, "linked conversation")?,
        reason: r.text("reason")?,
        at: Timestamp(r.int("created_at")?),
    })
}
