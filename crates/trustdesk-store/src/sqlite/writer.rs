//! The single writer of the embedded backend and its group commit.
//!
//! One thread owns the write connection (rusqlite, in-process). It takes
//! whatever jobs queued up while it was busy and runs them in one
//! transaction, then commits once with `synchronous=FULL`: under load a
//! batch grows on its own and one fsync covers many acknowledged writes.
//!
//! Why a thread of its own and not a tokio task on sqlx: every sqlx
//! statement is a round trip to sqlx's SQLite thread, and each return
//! queued the writer task behind thousands of connection tasks. Here a
//! batch costs one wake-up of this thread, whatever its size, and the
//! statements run back to back with no hop between them.
//!
//! - The writer keeps what it wrote: it is the only connection that writes
//!   conversations and events, so the rows it last stored are the rows on
//!   disk, and an append to a conversation it knows needs no read first.
//!   Such an append needs no savepoint either: either the insert fails on
//!   a unique key and nothing was written, or the failure is of another
//!   kind and the whole batch is rolled back.
//! - Every other job that writes more than one statement runs inside its
//!   own savepoint, so a failing job is undone alone.
//! - Writes that are rare (agents, settings, the knowledge base, audit)
//!   keep their async sqlx code and a connection of their own. They get a
//!   turn (`Job::Exclusive`): the writer commits what it holds, hands over,
//!   and waits until the turn is given back, so SQLite's write lock is
//!   never fought over and their order in the queue is kept.

use super::checkpoint::CheckpointPolicy;
use super::statements;
use crate::append::{AppendPlan, plan_append};
use crate::commits::CommitWatch;
use crate::{Appended, Result, StoreError};
use rusqlite::Connection;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use trustdesk_core::{Conversation, ConversationId, NewEvent};

use super::SqliteOptions;

/// Tells a job's caller how the batch's commit went (`None`: committed).
pub(super) type Reply = Box<dyn FnOnce(Option<&str>) + Send>;

/// Work that runs inside the batch transaction and says whether it
/// succeeded, with the answer for its caller.
pub(super) type Work = Box<dyn FnOnce(&mut Writer) -> (bool, Reply) + Send>;

/// A unit of work for the writer thread.
pub(super) enum Job {
    Write(Work),
    /// A turn on the other write connection: the writer waits until the
    /// `Turn` it sends is dropped.
    Exclusive(oneshot::Sender<Turn>),
}

/// Held while a write on the other connection runs; dropping it (also when
/// the caller is cancelled) gives the writer back its lock.
pub(super) struct Turn {
    _done: std::sync::mpsc::Sender<()>,
}

/// Conversation rows kept by the writer; past this many it starts over
/// (a forgotten row costs one read on its next append, nothing more).
const CACHED_CONVERSATIONS: usize = 10_000;

/// The log file is truncated to this size when it starts over.
const LOG_SIZE_LIMIT_BYTES: i64 = 256 << 20;

/// Prepared statements kept by the connection: every hot statement fits.
const CACHED_STATEMENTS: usize = 32;

/// The write connection and what it knows of the rows it wrote.
pub(super) struct Writer {
    conn: Connection,
    /// Conversation rows as this connection last wrote or read them inside
    /// a transaction that committed (or is about to: see `batch_touched`).
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
    /// Hears how long each commit took and how many jobs it carried.
    commits: CommitWatch,
    /// When the log is copied back into the database (never in a commit).
    checkpoints: CheckpointPolicy,
}

impl Writer {
    /// Opens the write connection on a database the migrations have
    /// already prepared (WAL mode is a property of the file).
    pub(super) fn open(path: &Path, commits: CommitWatch, options: &SqliteOptions) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Acknowledged means on disk: every commit is fsynced.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // The only connection writing conversations keeps their pages: the
        // default 2 MiB made appends spread over many conversations read
        // their B-tree pages back from the file.
        conn.pragma_update(None, "cache_size", -32768)?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        // A log that grew during a surge is cut back when it starts over.
        conn.pragma_update(None, "journal_size_limit", LOG_SIZE_LIMIT_BYTES)?;
        let checkpoints = CheckpointPolicy::start(&conn, path, options.checkpoint_pages)?;
        Ok(Self {
            conn,
            cache: HashMap::new(),
            job_touched: Vec::new(),
            batch_touched: Vec::new(),
            in_transaction: false,
            poisoned: false,
            commits,
            checkpoints,
        })
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

    /// Opens the batch's transaction if this is its first write.
    fn begin(&mut self) -> Result<()> {
        if !self.in_transaction {
            if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
                self.poisoned = true;
                return Err(e.into());
            }
            self.in_transaction = true;
        }
        Ok(())
    }

    /// Runs `work` inside a savepoint of the batch's transaction: a failed
    /// job is undone alone.
    pub(super) fn in_savepoint<T>(
        &mut self,
        work: impl FnOnce(&mut Writer) -> Result<T>,
    ) -> Result<T> {
        self.begin()?;
        if let Err(e) = self.conn.execute_batch("SAVEPOINT job") {
            self.poisoned = true;
            return Err(e.into());
        }
        let touched_before = self.job_touched.len();
        let result = work(self);
        let close = match result {
            Ok(_) => "RELEASE job",
            Err(_) => "ROLLBACK TO job; RELEASE job",
        };
        if let Err(e) = self.conn.execute_batch(close) {
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
    pub(super) fn single_statement<T>(
        &mut self,
        work: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        self.begin()?;
        let result = work(&self.conn);
        if result.is_err() {
            self.check_transaction();
        }
        result
    }

    /// After a failed statement: SQLite undoes the statement alone when it
    /// can, and the whole transaction for some errors (I/O, disk full).
    /// In that case the jobs before this one are gone too, and the batch
    /// must fail whole; otherwise only this job failed.
    fn check_transaction(&mut self) {
        if self.conn.is_autocommit() {
            self.poisoned = true;
        }
    }

    /// Appends an event. For a conversation the writer knows, the plan is
    /// made on the cached row and written at once; anything unusual (a
    /// resend, a closed conversation) takes the general path, which reads
    /// the row and probes for the stored message.
    pub(super) fn append(&mut self, new: NewEvent) -> Result<Appended> {
        let id = new.conversation_id;
        if let Some(before) = self.cache.get(&id).cloned() {
            match plan_append(before.clone(), None, new.clone()) {
                Ok(AppendPlan::Write {
                    event,
                    conversation,
                }) => {
                    self.begin()?;
                    match statements::insert_event(&self.conn, &event) {
                        Ok(_) => {
                            let updated =
                                statements::update_conversation(&self.conn, &before, &conversation);
                            if let Err(e) = updated {
                                self.forget(&[id]);
                                self.poisoned = true;
                                return Err(e.into());
                            }
                            self.remember(&conversation);
                            return Ok(Appended {
                                event,
                                conversation,
                                duplicate: false,
                            });
                        }
                        // The insert met a unique key: most likely a resend
                        // of a stored message. Nothing was written; the
                        // general path tells a duplicate from a conflict.
                        Err(e) if statements::is_unique_violation(&e) => self.forget(&[id]),
                        Err(e) => {
                            self.forget(&[id]);
                            self.check_transaction();
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
        let appended = self.in_savepoint(move |w| statements::append_event(&w.conn, new))?;
        self.remember(&appended.conversation);
        Ok(appended)
    }

    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs one batch: jobs in order, each `Exclusive` turn splitting it
    /// into separately committed parts.
    fn run_batch(&mut self, batch: &mut Vec<Job>) {
        let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            match job {
                Job::Write(work) => {
                    if self.poisoned {
                        // Dropped: the caller gets an error; nothing of
                        // theirs stays.
                        continue;
                    }
                    self.job_touched.clear();
                    // A job that panics may have written part of itself:
                    // the batch is rolled back and its caller gets an
                    // error, but the writer lives on.
                    let ran = std::panic::catch_unwind(AssertUnwindSafe(|| work(self)));
                    let touched = std::mem::take(&mut self.job_touched);
                    match ran {
                        Ok((true, reply)) => {
                            replies.push(reply);
                            self.batch_touched.extend(touched);
                        }
                        Ok((false, reply)) => {
                            replies.push(reply);
                            self.forget(&touched);
                        }
                        Err(_) => {
                            tracing::error!("a write job panicked; its batch is rolled back");
                            self.forget(&touched);
                            self.poisoned = true;
                        }
                    }
                }
                Job::Exclusive(turn) => {
                    self.commit(&mut replies);
                    let (done, given_back) = std::sync::mpsc::channel();
                    if turn.send(Turn { _done: done }).is_ok() {
                        // Err once every sender is gone: the turn is over.
                        let _ = given_back.recv();
                    }
                }
            }
        }
        self.commit(&mut replies);
    }

    /// Commits what the batch wrote (or rolls it all back if a job left it
    /// half written) and answers every job's caller.
    fn commit(&mut self, replies: &mut Vec<Reply>) {
        let mut failure = None;
        let mut committed = None;
        if self.poisoned {
            failure = Some("a write failed part-way".to_owned());
        } else if self.in_transaction {
            let started = Instant::now();
            match self.conn.execute_batch("COMMIT") {
                Ok(()) => committed = Some(started.elapsed()),
                Err(e) => failure = Some(e.to_string()),
            }
        }
        match failure {
            None => {
                if let Some(took) = committed {
                    self.commits.committed(replies.len(), took);
                }
                replies.drain(..).for_each(|reply| reply(None))
            }
            Some(message) => {
                tracing::error!(error = %message, jobs = replies.len(), "sqlite commit failed");
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                // Nothing of this batch is on disk: what it cached is not true.
                let touched = std::mem::take(&mut self.batch_touched);
                self.forget(&touched);
                replies.drain(..).for_each(|reply| reply(Some(&message)));
            }
        }
        self.batch_touched.clear();
        self.in_transaction = false;
        self.poisoned = false;
    }
}

pub(super) fn writer_gone() -> StoreError {
    StoreError::Internal("the write was not completed".into())
}

/// The writer thread: waits for a job, takes what else queued up, and runs
/// the batch. Under load (the previous batch had company) it first lingers
/// for the configured window so more writes share the commit: each commit
/// is an fsync, and on this kind of machine the fsync's own CPU (the VM's
/// disk doorbell, the kernel's writeback) cost more than the statements.
/// A lone write when idle never waits.
pub(super) fn run_writer(
    mut writer: Writer,
    mut queue: mpsc::Receiver<Job>,
    options: SqliteOptions,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(options.max_batch);
    let mut under_load = false;
    while let Some(first) = queue.blocking_recv() {
        if under_load && !options.batch_window.is_zero() {
            // One nap, not a wake-up per arriving write.
            std::thread::sleep(options.batch_window);
        }
        batch.push(first);
        while batch.len() < options.max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        under_load = batch.len() > 1;
        writer.run_batch(&mut batch);
        writer.checkpoints.after_batch(&writer.conn);
    }
}
