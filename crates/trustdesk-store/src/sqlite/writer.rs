//! The single writer of the embedded backend and its group commit.
//!
//! One task owns the only write connection. It drains whatever jobs queued
//! up while it was busy and runs them in one transaction (each job inside
//! its own savepoint, so one failing job does not undo its neighbours),
//! then commits once with `synchronous=FULL`: under load a batch grows on
//! its own and one fsync covers many acknowledged writes.
//!
//! Every statement is a round trip to sqlx's SQLite thread (two context
//! switches), which is most of what a message costs. So:
//! - the writer keeps what it wrote: since it is the only connection that
//!   writes, the conversation rows it last stored are the rows on disk, and
//!   an append to a conversation it knows needs no read first;
//! - such an append is one trip: the event insert and the row update (with
//!   the batch's `BEGIN` in front when it is the first write). It needs no
//!   savepoint: either the insert fails on a unique key and nothing was
//!   written, or the failure is of another kind and the whole batch is
//!   rolled back;
//! - every other job runs inside its own savepoint, so a failing job is
//!   undone alone.
//!
//! A message in a batch of one therefore costs two trips (the append, the
//! `COMMIT`); a batch of n appends costs n + 1.

use super::ops;
use crate::append::{AppendPlan, head_only, plan_append};
use crate::{Appended, Result, StoreError};
use futures_util::future::BoxFuture;
use sqlx::{Connection, SqliteConnection};
use std::collections::HashMap;
use std::sync::LazyLock;
use tokio::sync::mpsc;
use trustdesk_core::{Conversation, ConversationId, NewEvent};

use super::SqliteOptions;

/// Tells a job's caller how the batch's commit went (`None`: committed).
pub(super) type Reply = Box<dyn FnOnce(Option<&str>) + Send>;
/// A unit of work for the writer: runs inside the batch transaction and
/// says whether it succeeded.
pub(super) type Job =
    Box<dyn for<'c> FnOnce(&'c mut Writer) -> BoxFuture<'c, (bool, Reply)> + Send>;

/// Conversation rows kept by the writer; past this many it starts over
/// (a forgotten row costs one read on its next append, nothing more).
const CACHED_CONVERSATIONS: usize = 10_000;

/// The event insert and the conversation update as one statement list:
/// the update's placeholders follow the insert's ten. With and without the
/// batch's `BEGIN` in front; with the whole row, or only its head when
/// nothing else changed (a message).
struct AppendSql {
    state: String,
    head: String,
    begin_state: String,
    begin_head: String,
}

static APPEND_SQL: LazyLock<AppendSql> = LazyLock::new(|| {
    let state = format!(
        "{}; {}",
        crate::ops::INSERT_EVENT,
        shift_placeholders(crate::ops::UPDATE_CONVERSATION_STATE, 10)
    );
    let head = format!(
        "{}; {}",
        crate::ops::INSERT_EVENT,
        shift_placeholders(crate::ops::UPDATE_CONVERSATION_HEAD, 10)
    );
    AppendSql {
        begin_state: format!("BEGIN IMMEDIATE; {state}"),
        begin_head: format!("BEGIN IMMEDIATE; {head}"),
        state,
        head,
    }
});

impl AppendSql {
    fn pick(&self, begin: bool, head_only: bool) -> &str {
        match (begin, head_only) {
            (false, false) => &self.state,
            (false, true) => &self.head,
            (true, false) => &self.begin_state,
            (true, true) => &self.begin_head,
        }
    }
}

/// `$n` becomes `$(n + by)`: sqlx numbers `$n` across a statement list.
fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

/// The write connection and what it knows of the rows it wrote.
pub(super) struct Writer {
    conn: SqliteConnection,
    /// Conversation rows as this connection last wrote or read them inside
    /// a transaction that committed (or is about to: see `touched`).
    cache: HashMap<ConversationId, Conversation>,
    /// Rows cached by the running job; forgotten if the job is undone.
    job_touched: Vec<ConversationId>,
    /// Rows cached by the running batch; forgotten if its commit fails.
    batch_touched: Vec<ConversationId>,
    /// The batch's transaction is open.
    in_transaction: bool,
    /// A statement failed in a way that may have left part of a job
    /// written: the batch must be rolled back whole.
    poisoned: bool,
}

impl Writer {
    pub(super) fn new(conn: SqliteConnection) -> Self {
        Self {
            conn,
            cache: HashMap::new(),
            job_touched: Vec::new(),
            batch_touched: Vec::new(),
            in_transaction: false,
            poisoned: false,
        }
    }

    pub(super) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }

    /// Records a conversation row this transaction holds.
    pub(super) fn remember(&mut self, conversation: &Conversation) {
        if self.cache.len() >= CACHED_CONVERSATIONS && !self.cache.contains_key(&conversation.id) {
            self.cache.clear();
        }
        self.job_touched.push(conversation.id);
        self.cache.insert(conversation.id, conversation.clone());
    }

    fn forget(&mut self, ids: &[ConversationId]) {
        for id in ids {
            self.cache.remove(id);
        }
    }

    /// Runs `work` inside a savepoint of the batch's transaction (opening
    /// it first if needed): a failed job is undone alone.
    pub(super) async fn in_savepoint<T, F>(&mut self, work: F) -> Result<T>
    where
        F: for<'c> FnOnce(&'c mut Writer) -> BoxFuture<'c, Result<T>>,
    {
        let open = if self.in_transaction {
            "SAVEPOINT job"
        } else {
            "BEGIN IMMEDIATE; SAVEPOINT job"
        };
        if let Err(e) = sqlx::raw_sql(open).execute(&mut self.conn).await {
            self.poisoned = true;
            return Err(e.into());
        }
        self.in_transaction = true;
        let touched_before = self.job_touched.len();
        let result = work(self).await;
        let close = match result {
            Ok(_) => "RELEASE job",
            Err(_) => "ROLLBACK TO job; RELEASE job",
        };
        if let Err(e) = sqlx::raw_sql(close).execute(&mut self.conn).await {
            self.poisoned = true;
            return Err(e.into());
        }
        if result.is_err() {
            let undone = self.job_touched.split_off(touched_before);
            self.forget(&undone);
        }
        result
    }

    /// Runs `work`, which writes with one statement, without a savepoint:
    /// a statement that fails on a constraint writes nothing, and any other
    /// failure rolls the batch back whole.
    pub(super) async fn single_statement<T, F>(&mut self, work: F) -> Result<T>
    where
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>>,
    {
        if !self.in_transaction {
            if let Err(e) = sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut self.conn)
                .await
            {
                self.poisoned = true;
                return Err(e.into());
            }
            self.in_transaction = true;
        }
        let result = work(&mut self.conn).await;
        if let Err(StoreError::Internal(_)) = &result {
            self.poisoned = true;
        }
        result
    }

    /// Appends an event. For a conversation the writer knows, the plan is
    /// made on the cached row and written in one trip; anything unusual
    /// (a resend, a closed conversation) takes the general path, which
    /// reads the row and probes for the stored message.
    pub(super) async fn append(&mut self, new: NewEvent) -> Result<Appended> {
        let id = new.conversation_id;
        if let Some(cached) = self.cache.get(&id).cloned() {
            let before = cached.clone();
            match plan_append(cached, None, new.clone()) {
                Ok(AppendPlan::Write {
                    event,
                    conversation,
                }) => {
                    let head = head_only(&before, &conversation);
                    let sql = APPEND_SQL.pick(!self.in_transaction, head);
                    let query = ops::bind_event(sqlx::query(sql), &event)?;
                    let query = if head {
                        ops::bind_conversation_head(query, &conversation)
                    } else {
                        ops::bind_conversation_state(query, &conversation)
                    };
                    let written = query.execute(&mut self.conn).await;
                    match written {
                        Ok(_) => {
                            self.in_transaction = true;
                            self.remember(&conversation);
                            return Ok(Appended {
                                event,
                                conversation,
                                duplicate: false,
                            });
                        }
                        // The insert met a unique key: most likely a resend
                        // of a stored message. Nothing was written (and the
                        // BEGIN in front, if any, did run); the general path
                        // tells a duplicate from a conflict.
                        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                            self.in_transaction = true;
                            self.forget(&[id]);
                        }
                        Err(e) => {
                            self.forget(&[id]);
                            self.poisoned = true;
                            return Err(e.into());
                        }
                    }
                }
                // Decided by the owner alone: no stored message is revealed.
                Err(StoreError::NotFound) => return Err(StoreError::NotFound),
                // A closed conversation may still answer a resend.
                Ok(AppendPlan::Duplicate(_)) | Err(_) => {}
            }
        }
        let appended = self
            .in_savepoint(move |w| Box::pin(ops::append_event(&mut w.conn, new)))
            .await?;
        self.remember(&appended.conversation);
        Ok(appended)
    }
}

pub(super) fn writer_gone() -> StoreError {
    StoreError::Internal("the write was not completed".into())
}

pub(super) async fn run_writer(
    mut writer: Writer,
    mut queue: mpsc::Receiver<Job>,
    options: SqliteOptions,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(options.max_batch);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        let deadline = tokio::time::Instant::now() + options.batch_window;
        while batch.len() < options.max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(mpsc::error::TryRecvError::Empty) if !options.batch_window.is_zero() => {
                    match tokio::time::timeout_at(deadline, queue.recv()).await {
                        Ok(Some(job)) => batch.push(job),
                        _ => break,
                    }
                }
                Err(_) => break,
            }
        }
        commit_batch(&mut writer, &mut batch).await;
    }
    let _ = writer.conn.close().await;
}

async fn commit_batch(writer: &mut Writer, batch: &mut Vec<Job>) {
    let size = batch.len();
    writer.batch_touched.clear();
    writer.in_transaction = false;
    writer.poisoned = false;
    let mut replies = Vec::with_capacity(size);
    for job in batch.drain(..) {
        if writer.poisoned {
            // Dropped: the caller gets an error; nothing of theirs stays.
            continue;
        }
        writer.job_touched.clear();
        let (ok, reply) = job(writer).await;
        replies.push(reply);
        let touched = std::mem::take(&mut writer.job_touched);
        if ok {
            writer.batch_touched.extend(touched);
        } else {
            writer.forget(&touched);
        }
    }
    let mut failure = None;
    if writer.poisoned {
        failure = Some("a write failed part-way".to_owned());
    } else if writer.in_transaction
        && let Err(e) = sqlx::raw_sql("COMMIT").execute(&mut writer.conn).await
    {
        failure = Some(e.to_string());
    }
    match failure {
        None => replies.into_iter().for_each(|reply| reply(None)),
        Some(message) => {
            tracing::error!(error = %message, batch = size, "sqlite commit failed");
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut writer.conn).await;
            // Nothing of this batch is on disk: what it cached is not true.
            let touched = std::mem::take(&mut writer.batch_touched);
            writer.forget(&touched);
            replies.into_iter().for_each(|reply| reply(Some(&message)));
        }
    }
    writer.in_transaction = false;
}

#[cfg(test)]
mod tests {
    use super::shift_placeholders;

    #[test]
    fn placeholders_shift_past_the_first_statement() {
        assert_eq!(
            shift_placeholders("UPDATE t SET a = $1, b = $10 WHERE id = $11", 10),
            "UPDATE t SET a = $11, b = $20 WHERE id = $21"
        );
        assert_eq!(
            shift_placeholders("SELECT '$' || $2", 3),
            "SELECT '$' || $5"
        );
    }
}
