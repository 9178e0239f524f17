//! Helpers for tests that need a real database (used by this crate's and
//! the server's test suites).

use crate::{PgStore, Result, StoreError};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// The PostgreSQL server tests should use, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("TRUSTDESK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Creates a new, empty database on the server `admin_url` points at and
/// opens a store on it, so test runs never share state.
pub async fn fresh_postgres(admin_url: &str) -> Result<PgStore> {
    PgStore::connect_with(fresh_postgres_database(admin_url).await?).await
}

/// Creates a new, empty database and returns how to connect to it (for
/// tests that open it more than once: several nodes on one database).
pub async fn fresh_postgres_database(admin_url: &str) -> Result<PgConnectOptions> {
    let admin: PgConnectOptions = admin_url.parse()?;
    let name = format!("trustdesk_test_{}", uuid_simple());
    let mut conn = PgConnection::connect_with(&admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    conn.close()
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok(admin.database(&name))
}

fn uuid_simple() -> String {
    trustdesk_core::ConversationId::new().0.simple().to_string()
}
