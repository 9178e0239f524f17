//! Leadership: the work only one node may do at a time (firing timers,
//! reading the support mailbox, polling Telegram) runs on the node that
//! holds the lease.
//!
//! PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on
//! a connection of its own. The lock lives exactly as long as that
//! connection: if the node dies, PostgreSQL drops the connection and the
//! lock with it, and another node takes it on its next try (every two
//! seconds). A lease holder checks its connection (`held`) before each
//! round of work; what it writes is still guarded by the store's own
//! conditions (an assignment is a compare-and-set, a timer is deleted only
//! while still due), so a holder that lost the lease a moment ago cannot
//! double anything.
//!
//! SQLite has one node: it always holds the lease.

use async_trait::async_trait;

use crate::Result;

#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Tries to take the lease `name`; `None` when another node holds it.
    async fn try_lease(&self, name: &str) -> Result<Option<Box<dyn Lease>>>;
}

#[async_trait]
pub trait Lease: Send {
    /// Whether the lease is still ours (the connection that holds it
    /// answers).
    async fn held(&mut self) -> bool;
}

/// The lease of a single-node store: always held.
pub(crate) struct OnlyNode;

#[async_trait]
impl Lease for OnlyNode {
    async fn held(&mut self) -> bool {
        true
    }
}

/// The advisory-lock key of a lease name: FNV-1a (64 bit), stable across
/// nodes and versions.
pub(crate) fn lock_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}
