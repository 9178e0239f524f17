//! Rate-limit buckets every node shares, so a limit holds for the desk and
//! not per node (a login guesser spreading requests over N nodes behind a
//! load balancer gets the budget of one).
//!
//! PostgreSQL: one row per key in `rate_buckets`, taken from with one
//! atomic upsert on the database's clock (the nodes' clocks may differ).
//! Keys are hashes: the table never holds an address or an email. The
//! table is UNLOGGED (no WAL, no flush per take); a crash only refills
//! every bucket.
//!
//! SQLite has one node: it keeps no shared buckets and the caller counts
//! in memory, which is exact there and costs the message writer nothing.

use async_trait::async_trait;

use crate::Result;

#[async_trait]
pub trait RateStore: Send + Sync {
    /// Takes one request from the bucket `key` (it holds `per_minute`
    /// requests and earns them back evenly over a minute): `Some(true)`
    /// when allowed, `Some(false)` when over the limit, `None` when this
    /// backend shares no buckets (one node: the caller counts itself).
    async fn take_token(&self, key: &[u8], per_minute: u32) -> Result<Option<bool>>;

    /// Forgets the buckets that are full again (untouched for a minute),
    /// which changes no outcome; returns how many.
    async fn purge_rate_buckets(&self) -> Result<u64>;
}

/// The one statement of a take (PostgreSQL): refill by the time since the
/// bucket was last counted, then take a token if a whole one is there.
/// `$1` key, `$2` per minute.
pub(crate) const TAKE_TOKEN: &str = "\
WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms) \
INSERT INTO rate_buckets AS b (key, tokens, counted_at, granted) \
SELECT $1, GREATEST($2::float8 - 1, 0), now.ms, $2 >= 1 FROM now \
ON CONFLICT (key) DO UPDATE SET \
  tokens = CASE WHEN LEAST($2::float8, b.tokens + GREATEST(EXCLUDED.counted_at - b.counted_at, 0) * $2 / 60000.0) >= 1 \
    THEN LEAST($2::float8, b.tokens + GREATEST(EXCLUDED.counted_at - b.counted_at, 0) * $2 / 60000.0) - 1 \
    ELSE LEAST($2::float8, b.tokens + GREATEST(EXCLUDED.counted_at - b.counted_at, 0) * $2 / 60000.0) END, \
  granted = LEAST($2::float8, b.tokens + GREATEST(EXCLUDED.counted_at - b.counted_at, 0) * $2 / 60000.0) >= 1, \
  counted_at = GREATEST(b.counted_at, EXCLUDED.counted_at) \
RETURNING granted";

/// A bucket untouched for a minute is full again: forgetting it is exact.
pub(crate) const PURGE: &str = "DELETE FROM rate_buckets \
WHERE counted_at < (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 60000";
