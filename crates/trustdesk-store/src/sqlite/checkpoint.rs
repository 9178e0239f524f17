//! When the write-ahead log is copied back into the database file, and by
//! whom.
//!
//! SQLite's default copies the log back (a checkpoint) inside the COMMIT
//! that takes it past 1,000 pages: the writer, and every write waiting for
//! its commit, stalls for the copy and its fsync, and with the log kept
//! that short a page rewritten by every message (a conversation's row, its
//! newest events) is copied again at almost every checkpoint. The profile
//! of the message path had the checkpoints at 15 % of the server's CPU.
//!
//! Here the writer never checkpoints in a commit. It hears the log's size
//! after each commit (SQLite's WAL hook), and once the log holds
//! `checkpoint_pages` it asks this thread to copy it back. This thread's
//! passes do not block the writer (`PASSIVE`); they repeat while the part
//! still to copy shrinks, then hand the last few frames to the writer,
//! which copies them between two batches so the next transaction can start
//! the log over from its beginning. (A log that is never copied to its end
//! while writes go on is never started over, and grows without bound.)
//! A quiet log is copied back by a pass at least once per `IDLE_PASS`.
//!
//! Durability does not depend on any of this: an acknowledged write is in
//! the fsynced log, and a log not yet copied back is replayed on open.

use rusqlite::Connection;
use std::cell::Cell;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// A quiet log is copied back at least this often.
const IDLE_PASS: Duration = Duration::from_secs(1);

/// Background passes repeat until this few frames are left (the writer
/// copies them), for at most this many passes; a log still longer asks for
/// another round after the writer's next batch.
const TAIL_FRAMES: i64 = 512;
const MAX_PASSES: usize = 8;

/// A log this many times `checkpoint_pages` long is copied to its end by
/// the writer even if the background passes have not caught up (they
/// share a core with it and cannot always outrun a surge of writes): the
/// log's size stays bounded.
const HARD_CAP_MULTIPLE: i64 = 2;

thread_local! {
    /// The log's size in frames after the last commit on this thread's
    /// connection (the writer has a thread of its own, so each store in a
    /// process hears only its own log).
    static LOG_FRAMES: Cell<i64> = const { Cell::new(0) };
}

/// SQLite calls this after every commit of the connection it is set on;
/// setting it also turns off the commit-time auto-checkpoint.
fn note_log_size(_wal: &rusqlite::hooks::Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
    LOG_FRAMES.with(|f| f.set(i64::from(frames)));
    Ok(())
}

/// The writer's side: decides after each batch whether to ask for a
/// background pass or to copy the tail itself.
pub(super) struct CheckpointPolicy {
    /// `None`: SQLite's own policy (in the commit, past 1,000 pages).
    background: Option<BackgroundPasses>,
}

struct BackgroundPasses {
    threshold: i64,
    requests: mpsc::SyncSender<()>,
    /// A background pass is running or asked for.
    pass_pending: Arc<AtomicBool>,
    /// The last background pass left only a tail: the writer finishes it.
    tail_ready: Arc<AtomicBool>,
}

impl CheckpointPolicy {
    /// Installs the log-size hook on the writer's connection (which ends
    /// SQLite's commit-time checkpoints there) and starts the thread that
    /// checkpoints `path` in the background. `threshold_pages` 0 keeps
    /// SQLite's own commit-time checkpoints (to compare against).
    pub(super) fn start(
        writer: &Connection,
        path: &Path,
        threshold_pages: u32,
    ) -> crate::Result<Self> {
        if threshold_pages == 0 {
            return Ok(Self { background: None });
        }
        writer.wal_hook(Some(note_log_size));
        let background = Connection::open(path)?;
        background.busy_timeout(Duration::from_secs(10))?;
        background.pragma_update(None, "synchronous", "FULL")?;
        let (requests, asked) = mpsc::sync_channel(1);
        let pass_pending = Arc::new(AtomicBool::new(false));
        let tail_ready = Arc::new(AtomicBool::new(false));
        let thread = Background {
            conn: background,
            asked,
            pass_pending: pass_pending.clone(),
            tail_ready: tail_ready.clone(),
        };
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || thread.run())
            .map_err(|e| {
                crate::StoreError::Internal(format!("start the checkpoint thread: {e}"))
            })?;
        Ok(Self {
            background: Some(BackgroundPasses {
                threshold: i64::from(threshold_pages),
                requests,
                pass_pending,
                tail_ready,
            }),
        })
    }

    /// Called by the writer between batches, outside any transaction.
    pub(super) fn after_batch(&self, writer: &Connection) {
        if let Some(background) = &self.background {
            background.after_batch(writer);
        }
    }
}

impl BackgroundPasses {
    fn after_batch(&self, writer: &Connection) {
        let frames = LOG_FRAMES.with(Cell::get);
        if frames < self.threshold || self.pass_pending.load(Ordering::Acquire) {
            return;
        }
        let too_long = frames >= self.threshold * HARD_CAP_MULTIPLE;
        if self.tail_ready.swap(false, Ordering::AcqRel) || too_long {
            // Few frames are left to copy: copying them here, with no
            // write in between, lets the next transaction start the log
            // over. Another checkpointer busy is no error: next batch.
            let started = std::time::Instant::now();
            match passive_checkpoint(writer) {
                Ok(pass) if pass.complete() => {
                    tracing::debug!(
                        frames,
                        too_long,
                        took_us = started.elapsed().as_micros() as u64,
                        "sqlite: the writer copied the log's tail"
                    );
                    LOG_FRAMES.with(|f| f.set(0))
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sqlite: checkpoint by the writer failed"),
            }
            return;
        }
        self.pass_pending.store(true, Ordering::Release);
        if self.requests.try_send(()).is_err() {
            // Already asked (the channel holds one) or the thread is gone.
            self.pass_pending.store(false, Ordering::Release);
        }
    }
}

/// What one `wal_checkpoint(PASSIVE)` reported.
struct Pass {
    busy: bool,
    log_frames: i64,
    copied_frames: i64,
}

impl Pass {
    fn complete(&self) -> bool {
        !self.busy && self.copied_frames >= self.log_frames
    }

    fn left(&self) -> i64 {
        self.log_frames - self.copied_frames
    }
}

fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<Pass> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok(Pass {
            busy: row.get::<_, i64>(0)? != 0,
            log_frames: row.get(1)?,
            copied_frames: row.get(2)?,
        })
    })
}

struct Background {
    conn: Connection,
    asked: mpsc::Receiver<()>,
    pass_pending: Arc<AtomicBool>,
    tail_ready: Arc<AtomicBool>,
}

impl Background {
    fn run(self) {
        loop {
            match self.asked.recv_timeout(IDLE_PASS) {
                Ok(()) => {
                    self.copy_back();
                    self.pass_pending.store(false, Ordering::Release);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(e) = passive_checkpoint(&self.conn) {
                        tracing::warn!(error = %e, "sqlite: idle checkpoint failed");
                    }
                }
                // The writer (and its store) is gone.
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Copies back while the part left shrinks, then leaves the tail to
    /// the writer.
    fn copy_back(&self) {
        for passes in 0..MAX_PASSES {
            let started = std::time::Instant::now();
            let done = passive_checkpoint(&self.conn);
            if let Ok(pass) = &done {
                tracing::debug!(
                    passes,
                    log = pass.log_frames,
                    left = pass.left(),
                    took_us = started.elapsed().as_micros() as u64,
                    "sqlite: background checkpoint pass"
                );
            }
            match done {
                Ok(pass) if pass.busy => return,
                Ok(pass) if pass.left() <= TAIL_FRAMES => {
                    self.tail_ready.store(true, Ordering::Release);
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "sqlite: background checkpoint failed");
                    return;
                }
            }
        }
    }
}
