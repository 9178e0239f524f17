//! The writer thread's statements, run in-process with rusqlite.
//!
//! The SQL is the shared text from `ops.rs` / `ops_routing.rs` (SQLite
//! reads `$N` as the N-th parameter as long as they first appear in order,
//! which every shared statement does); only the binding is written here.
//! Statements are prepared once and kept in the connection's cache.

use crate::append::{AppendPlan, head_only, plan_append, plan_opening};
use crate::ops::{
    INSERT_ATTACHMENT, INSERT_CONVERSATION, INSERT_CUSTOMER, INSERT_EVENT, INSERT_SESSION,
    UPDATE_CONVERSATION_HEAD, UPDATE_CONVERSATION_STATE,
};
use crate::ops_routing::{DELETE_TIMER, PUT_SLA_STATE, PUT_TIMER};
use crate::rows::{self, RowExt};
use crate::{
    Appended, Created, NewAttachment, NewConversation, Result, Session, StoreError, Timer,
};
use rusqlite::{Connection, OptionalExtension, params};
use trustdesk_core::{Actor, Conversation, ConversationId, Customer, Event, NewEvent, Timestamp};

/// True when the statement failed on a unique or primary key: nothing was
/// written, and the transaction is intact.
pub(super) fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

pub(super) fn insert_event(conn: &Connection, e: &Event) -> rusqlite::Result<usize> {
    let (actor_type, actor_id, actor_name) = rows::actor_columns(&e.actor);
    let payload = rows::payload_json(&e.kind)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(err.to_string().into()))?;
    conn.prepare_cached(INSERT_EVENT)?.execute(params![
        e.conversation_id.to_string(),
        e.seq,
        e.at.0,
        actor_type,
        actor_id,
        actor_name,
        e.kind.name(),
        e.visibility.as_str(),
        e.client_msg_id,
        payload,
    ])
}

/// Writes what changed of a conversation row: only its head when nothing
/// else moved (a message), the whole projected state otherwise.
pub(super) fn update_conversation(
    conn: &Connection,
    before: &Conversation,
    next: &Conversation,
) -> rusqlite::Result<usize> {
    if head_only(before, next) {
        conn.prepare_cached(UPDATE_CONVERSATION_HEAD)?
            .execute(params![
                next.last_seq,
                next.updated_at.0,
                next.id.to_string(),
            ])
    } else {
        write_conversation_state(conn, next)
    }
}

fn write_conversation_state(conn: &Connection, c: &Conversation) -> rusqlite::Result<usize> {
    conn.prepare_cached(UPDATE_CONVERSATION_STATE)?
        .execute(params![
            c.category.map(|v| v.as_str()),
            c.language.map(|v| v.as_str()),
            c.priority.as_str(),
            c.urgent,
            c.status.as_str(),
            c.assignee_id.map(|v| v.to_string()),
            c.team_id.map(|v| v.to_string()),
            c.snoozed_until.map(|t| t.0),
            c.last_seq,
            c.updated_at.0,
            crate::rows::labels_column(c),
            c.id.to_string(),
        ])
}

fn conversation_and_probe(
    conn: &Connection,
    id: ConversationId,
    client_msg_id: Option<&str>,
    sender: &Actor,
) -> Result<(Conversation, bool)> {
    let mut statement = conn.prepare_cached(&crate::ops::conversation_and_probe_sql(""))?;
    let (sender_type, sender_id) = rows::sender_key(sender);
    let found = statement
        .query_row(
            params![id.to_string(), client_msg_id, sender_type, sender_id],
            |row| Ok(rows::conversation(row).map(|c| (c, row.opt_int("duplicate_seq")))),
        )
        .optional()?;
    let (conversation, duplicate_seq) = found.ok_or(StoreError::NotFound)??;
    Ok((conversation, duplicate_seq?.is_some()))
}

fn event_by_client_id(
    conn: &Connection,
    conversation: ConversationId,
    client_msg_id: &str,
    sender: &Actor,
) -> Result<Option<Event>> {
    let mut statement = conn.prepare_cached(&crate::ops::event_by_client_id_sql())?;
    let (sender_type, sender_id) = rows::sender_key(sender);
    statement
        .query_row(
            params![
                conversation.to_string(),
                client_msg_id,
                sender_type,
                sender_id
            ],
            |row| Ok(rows::event(row)),
        )
        .optional()?
        .transpose()
}

/// The general append: reads the row and probes for a stored message with
/// the same client id (a resend), then writes. `ops::append_event` does the
/// same for the async backends.
pub(super) fn append_event(conn: &Connection, new: NewEvent) -> Result<Appended> {
    let (conversation, seen) = conversation_and_probe(
        conn,
        new.conversation_id,
        new.client_msg_id.as_deref(),
        &new.actor,
    )?;
    let existing = match &new.client_msg_id {
        Some(id) if seen => event_by_client_id(conn, new.conversation_id, id, &new.actor)?,
        _ => None,
    };
    match plan_append(conversation.clone(), existing, new)? {
        AppendPlan::Duplicate(event) => Ok(Appended {
            event,
            conversation,
            duplicate: true,
        }),
        AppendPlan::Write {
            event,
            conversation: next,
        } => {
            insert_event(conn, &event)?;
            update_conversation(conn, &conversation, &next)?;
            Ok(Appended {
                event,
                conversation: next,
                duplicate: false,
            })
        }
    }
}

fn events_from_start(
    conn: &Connection,
    conversation: ConversationId,
    limit: usize,
) -> Result<Vec<Event>> {
    let mut statement = conn.prepare_cached(&crate::ops::events_after_sql())?;
    let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
    let mut found = statement.query(params![conversation.to_string(), 0_i64, 0_i64, limit])?;
    let mut events = Vec::new();
    while let Some(row) = found.next()? {
        events.push(rows::event(row)?);
    }
    Ok(events)
}

/// Creates a conversation with its opening events; a second create with
/// the same origin id answers the first one (`duplicate`).
pub(super) fn create_conversation(
    conn: &Connection,
    new: &NewConversation,
    opening: Vec<NewEvent>,
) -> Result<Created> {
    if let Some(origin) = &new.origin_client_id {
        let mut statement = conn.prepare_cached(&crate::ops::conversation_by_origin_sql())?;
        let existing = statement
            .query_row(params![new.customer_id.to_string(), origin], |row| {
                Ok(rows::conversation(row))
            })
            .optional()?
            .transpose()?;
        if let Some(conversation) = existing {
            let events = events_from_start(conn, conversation.id, opening.len())?;
            return Ok(Created {
                conversation,
                events,
                duplicate: true,
            });
        }
    }
    let conversation = new.initial_state();
    conn.prepare_cached(INSERT_CONVERSATION)?.execute(params![
        conversation.id.to_string(),
        conversation.customer_id.to_string(),
        conversation.channel.as_str(),
        conversation.subject.as_deref(),
        conversation.language.map(|l| l.as_str()),
        conversation.priority.as_str(),
        conversation.urgent,
        conversation.status.as_str(),
        new.origin_client_id,
        conversation.created_at.0,
        conversation.updated_at.0,
    ])?;
    let (conversation, events) = plan_opening(conversation, opening)?;
    for event in &events {
        insert_event(conn, event)?;
    }
    if !events.is_empty() {
        write_conversation_state(conn, &conversation)?;
    }
    Ok(Created {
        conversation,
        events,
        duplicate: false,
    })
}

/// Stores a file and the event that shares it, which must go together.
pub(super) fn add_attachment(
    conn: &Connection,
    file: &NewAttachment,
    event: NewEvent,
) -> Result<Appended> {
    let (uploader_type, uploader_id) = rows::uploader_columns(file);
    conn.prepare_cached(INSERT_ATTACHMENT)?.execute(params![
        file.id.to_string(),
        file.conversation_id.to_string(),
        uploader_type,
        uploader_id,
        file.name.as_str(),
        file.mime,
        i64::try_from(file.data.len()).unwrap_or(i64::MAX),
        file.sha256,
        file.data,
        file.at.0,
    ])?;
    append_event(conn, event)
}

pub(super) fn insert_customer(conn: &Connection, c: &Customer) -> Result<()> {
    conn.prepare_cached(INSERT_CUSTOMER)?.execute(params![
        c.id.to_string(),
        c.external_id,
        c.name.as_deref(),
        c.email.as_deref(),
        c.locale.map(|l| l.as_str()),
        c.created_at.0,
    ])?;
    Ok(())
}

pub(super) fn insert_session(conn: &Connection, s: &Session) -> Result<()> {
    let (customer, agent) = rows::session_principal_columns(s);
    conn.prepare_cached(INSERT_SESSION)?.execute(params![
        s.id.to_string(),
        s.token_hash,
        customer,
        agent,
        s.created_at.0,
        s.expires_at.0,
        s.revoked_at.map(|t| t.0),
        s.api_token.as_ref().map(|t| t.name.as_str()),
        rows::session_scopes_column(s),
    ])?;
    Ok(())
}

pub(super) fn put_timer(conn: &Connection, t: &Timer) -> Result<()> {
    conn.prepare_cached(PUT_TIMER)?.execute(params![
        t.conversation_id.to_string(),
        t.kind.key(),
        t.due_at.0,
        t.kind.payload(),
    ])?;
    Ok(())
}

pub(super) fn delete_timer(
    conn: &Connection,
    conversation: ConversationId,
    kind: &trustdesk_core::timer::TimerKind,
    due_at: Option<Timestamp>,
) -> Result<()> {
    conn.prepare_cached(DELETE_TIMER)?.execute(params![
        conversation.to_string(),
        kind.key(),
        if due_at.is_some() { 0_i64 } else { -1_i64 },
        due_at.map_or(0, |t| t.0),
    ])?;
    Ok(())
}

/// One conversation's part of `TimerStore::save_sla`.
pub(super) fn save_sla(conn: &Connection, save: &crate::SlaSave, at: Timestamp) -> Result<()> {
    if let Some(state) = &save.state {
        put_sla_state(conn, save.conversation, state, at)?;
    }
    match save.timer {
        Some(crate::SlaTimerChange::Put(due_at)) => put_timer(
            conn,
            &Timer {
                conversation_id: save.conversation,
                kind: trustdesk_core::timer::TimerKind::Sla,
                due_at,
            },
        ),
        Some(crate::SlaTimerChange::Delete) => delete_timer(
            conn,
            save.conversation,
            &trustdesk_core::timer::TimerKind::Sla,
            None,
        ),
        None => Ok(()),
    }
}

pub(super) fn put_sla_state(
    conn: &Connection,
    conversation: ConversationId,
    state: &str,
    at: Timestamp,
) -> Result<()> {
    conn.prepare_cached(PUT_SLA_STATE)?
        .execute(params![conversation.to_string(), state, at.0])?;
    Ok(())
}
