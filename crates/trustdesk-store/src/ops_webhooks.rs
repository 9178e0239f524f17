//! The SQL of webhook endpoints, the outbox and the attempt log, written
//! once and instantiated per backend like `ops.rs`. `$lock` ends the
//! claim's inner select: PostgreSQL's `FOR UPDATE SKIP LOCKED`, so two
//! nodes claiming at once take different rows instead of waiting on each
//! other; nothing on SQLite, whose single writer already serialises.

const ENDPOINT_COLUMNS: &str = "id, url, description, event_types, secret, previous_secret, \
     previous_secret_expires_at, enabled, disabled_reason, created_at, updated_at";

const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_type, payload, status, attempts, \
     next_attempt_at, last_status_code, last_error, created_at, delivered_at";

pub(crate) fn claim_sql(lock: &str) -> String {
    format!(
        "UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id IN (\
         SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.enabled \
         ORDER BY d.next_attempt_at, d.id LIMIT $3{lock}) RETURNING {DELIVERY_COLUMNS}"
    )
}

pub(crate) fn endpoint_select_sql(filter: &str) -> String {
    format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints {filter}")
}

pub(crate) fn delivery_select_sql(filter: &str) -> String {
    format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries {filter}")
}

pub(crate) fn decode_endpoint<R: crate::rows::RowExt>(
    r: &R,
) -> crate::Result<crate::WebhookEndpoint> {
    let names: Vec<String> = serde_json::from_str(&r.text("event_types")?)
        .map_err(|_| corrupt("webhook event types"))?;
    Ok(crate::WebhookEndpoint {
        id: parse(&r.text("id")?, "webhook endpoint id")?,
        url: r.text("url")?,
        description: r.text("description")?,
        // A name this version does not know (written by a newer one) is
        // skipped rather than failing the whole endpoint.
        event_types: names
            .iter()
            .filter_map(|n| trustdesk_core::webhook::events::EventType::parse(n))
            .collect(),
        secret: r.text("secret")?,
        previous_secret: r.opt_text("previous_secret")?,
        previous_secret_expires_at: r
            .opt_int("previous_secret_expires_at")?
            .map(trustdesk_core::Timestamp),
        enabled: r.flag("enabled")?,
        disabled_reason: r.opt_text("disabled_reason")?,
        created_at: trustdesk_core::Timestamp(r.int("created_at")?),
        updated_at: trustdesk_core::Timestamp(r.int("updated_at")?),
    })
}

pub(crate) fn event_types_json(types: &[trustdesk_core::webhook::events::EventType]) -> String {
    let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    serde_json::Value::from(names).to_string()
}

pub(crate) fn decode_delivery<R: crate::rows::RowExt>(
    r: &R,
) -> crate::Result<crate::WebhookDelivery> {
    Ok(crate::WebhookDelivery {
        id: parse(&r.text("id")?, "webhook delivery id")?,
        endpoint_id: parse(&r.text("endpoint_id")?, "webhook endpoint id")?,
        event_type: trustdesk_core::webhook::events::EventType::parse(&r.text("event_type")?)
            .ok_or_else(|| corrupt("webhook event type"))?,
        payload: r.text("payload")?,
        status: crate::DeliveryStatus::parse(&r.text("status")?)
            .ok_or_else(|| corrupt("webhook delivery status"))?,
        attempts: u32::try_from(r.int("attempts")?.max(0)).unwrap_or(u32::MAX),
        next_attempt_at: trustdesk_core::Timestamp(r.int("next_attempt_at")?),
        last_status_code: r
            .opt_int("last_status_code")?
            .and_then(|c| u16::try_from(c).ok()),
        last_error: r.opt_text("last_error")?,
        created_at: trustdesk_core::Timestamp(r.int("created_at")?),
        delivered_at: r.opt_int("delivered_at")?.map(trustdesk_core::Timestamp),
    })
}

pub(crate) fn decode_attempt<R: crate::rows::RowExt>(
    r: &R,
) -> crate::Result<crate::WebhookAttempt> {
    Ok(crate::WebhookAttempt {
        delivery_id: parse(&r.text("delivery_id")?, "webhook delivery id")?,
        attempt: u32::try_from(r.int("attempt")?.max(0)).unwrap_or(u32::MAX),
        at: trustdesk_core::Timestamp(r.int("at")?),
        status_code: r
            .opt_int("status_code")?
            .and_then(|c| u16::try_from(c).ok()),
        error: r.opt_text("error")?,
        duration_ms: r.int("duration_ms")?,
    })
}

fn corrupt(what: &str) -> crate::StoreError {
    crate::StoreError::Internal(format!("corrupt {what} in the database"))
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> crate::Result<T> {
    text.parse().map_err(|_| corrupt(what))
}

macro_rules! define_webhook_ops {
    ($conn:ty, $lock:literal) => {
        use crate::ops_webhooks::{
            claim_sql, decode_attempt, decode_delivery, decode_endpoint, delivery_select_sql,
            endpoint_select_sql, event_types_json,
        };
        use crate::{
            AttemptOutcome, NewDelivery, Result, StoreError, WebhookAttempt, WebhookDelivery,
            WebhookEndpoint,
        };
        use trustdesk_core::{Timestamp, WebhookDeliveryId, WebhookEndpointId};

        pub(crate) async fn create_webhook_endpoint(conn: &mut $conn, e: &WebhookEndpoint) -> Result<()> {
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, url, description, event_types, secret, \
                 previous_secret, previous_secret_expires_at, enabled, disabled_reason, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(e.id.to_string())
            .bind(&e.url)
            .bind(&e.description)
            .bind(event_types_json(&e.event_types))
            .bind(&e.secret)
            .bind(e.previous_secret.as_deref())
            .bind(e.previous_secret_expires_at.map(|t| t.0))
            .bind(e.enabled)
            .bind(e.disabled_reason.as_deref())
            .bind(e.created_at.0)
            .bind(e.updated_at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn update_webhook_endpoint(conn: &mut $conn, e: &WebhookEndpoint) -> Result<()> {
            let done = sqlx::query(
                "UPDATE webhook_endpoints SET url = $2, description = $3, event_types = $4, \
                 secret = $5, previous_secret = $6, previous_secret_expires_at = $7, enabled = $8, \
                 disabled_reason = $9, updated_at = $10 WHERE id = $1",
            )
            .bind(e.id.to_string())
            .bind(&e.url)
            .bind(&e.description)
            .bind(event_types_json(&e.event_types))
            .bind(&e.secret)
            .bind(e.previous_secret.as_deref())
            .bind(e.previous_secret_expires_at.map(|t| t.0))
            .bind(e.enabled)
            .bind(e.disabled_reason.as_deref())
            .bind(e.updated_at.0)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        }

        pub(crate) async fn get_webhook_endpoint(conn: &mut $conn, id: WebhookEndpointId) -> Result<WebhookEndpoint> {
            let sql = sqlx::AssertSqlSafe(endpoint_select_sql("WHERE id = $1"));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(decode_endpoint).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) async fn list_webhook_endpoints(conn: &mut $conn) -> Result<Vec<WebhookEndpoint>> {
            let sql = sqlx::AssertSqlSafe(endpoint_select_sql("ORDER BY created_at, id"));
            let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
            rows.iter().map(decode_endpoint).collect()
        }

        pub(crate) async fn delete_webhook_endpoint(conn: &mut $conn, id: WebhookEndpointId) -> Result<()> {
            // The cascade is spelled out: it must not depend on a backend's
            // foreign-key setting.
            sqlx::query(
                "DELETE FROM webhook_attempts WHERE delivery_id IN \
                 (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
            )
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        }

        pub(crate) async fn disable_webhook_endpoint(
            conn: &mut $conn,
            id: WebhookEndpointId,
            reason: &str,
            at: Timestamp,
        ) -> Result<()> {
            let done = sqlx::query(
                "UPDATE webhook_endpoints SET enabled = $2, disabled_reason = $3, updated_at = $4 \
                 WHERE id = $1",
            )
            .bind(id.to_string())
            .bind(false)
            .bind(reason)
            .bind(at.0)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = $2 \
                 WHERE endpoint_id = $1 AND status = 'pending'",
            )
            .bind(id.to_string())
            .bind("endpoint disabled")
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn enqueue_webhook_deliveries(conn: &mut $conn, deliveries: &[NewDelivery]) -> Result<()> {
            for d in deliveries {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, event_type, payload, status, \
                     attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
                )
                .bind(d.id.to_string())
                .bind(d.endpoint_id.to_string())
                .bind(d.event_type.as_str())
                .bind(&d.payload)
                .bind(d.created_at.0)
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        pub(crate) async fn claim_webhook_deliveries(
            conn: &mut $conn,
            now: Timestamp,
            lease_until: Timestamp,
            limit: u32,
        ) -> Result<Vec<WebhookDelivery>> {
            let sql = sqlx::AssertSqlSafe(claim_sql($lock));
            let rows = sqlx::query(sql)
                .bind(now.0)
                .bind(lease_until.0)
                .bind(i64::from(limit.max(1)))
                .fetch_all(&mut *conn)
                .await?;
            let mut claimed: Vec<WebhookDelivery> = rows.iter().map(decode_delivery).collect::<Result<_>>()?;
            // RETURNING gives no order; the worker wants the earliest first.
            claimed.sort_by_key(|d| (d.created_at, d.id));
            Ok(claimed)
        }

        pub(crate) async fn record_webhook_attempt(
            conn: &mut $conn,
            a: &WebhookAttempt,
            outcome: AttemptOutcome,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(a.delivery_id.to_string())
            .bind(i64::from(a.attempt))
            .bind(a.at.0)
            .bind(a.status_code.map(i64::from))
            .bind(a.error.as_deref())
            .bind(a.duration_ms)
            .execute(&mut *conn)
            .await?;
            let (status, next, delivered) = match outcome {
                AttemptOutcome::Delivered => ("delivered", a.at, Some(a.at.0)),
                AttemptOutcome::RetryAt(at) => ("pending", at, None),
                AttemptOutcome::Failed => ("failed", a.at, None),
            };
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, \
                 last_status_code = $5, last_error = $6, delivered_at = $7 \
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(a.delivery_id.to_string())
            .bind(status)
            .bind(i64::from(a.attempt))
            .bind(next.0)
            .bind(a.status_code.map(i64::from))
            .bind(a.error.as_deref())
            .bind(delivered)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn get_webhook_delivery(conn: &mut $conn, id: WebhookDeliveryId) -> Result<WebhookDelivery> {
            let sql = sqlx::AssertSqlSafe(delivery_select_sql("WHERE id = $1"));
            let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&mut *conn).await?;
            row.as_ref().map(decode_delivery).transpose()?.ok_or(StoreError::NotFound)
        }

        pub(crate) async fn list_webhook_deliveries(
            conn: &mut $conn,
            endpoint: Option<WebhookEndpointId>,
            limit: u32,
        ) -> Result<Vec<WebhookDelivery>> {
            let sql = sqlx::AssertSqlSafe(delivery_select_sql(
                "WHERE ($1 = '' OR endpoint_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
            ));
            let rows = sqlx::query(sql)
                .bind(endpoint.map(|e| e.to_string()).unwrap_or_default())
                .bind(i64::from(limit.max(1)))
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(decode_delivery).collect()
        }

        pub(crate) async fn webhook_attempts(conn: &mut $conn, delivery: WebhookDeliveryId) -> Result<Vec<WebhookAttempt>> {
            let rows = sqlx::query(
                "SELECT delivery_id, attempt, at, status_code, error, duration_ms FROM webhook_attempts \
                 WHERE delivery_id = $1 ORDER BY attempt",
            )
            .bind(delivery.to_string())
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(decode_attempt).collect()
        }

        pub(crate) async fn replay_webhook_delivery(conn: &mut $conn, id: WebhookDeliveryId, at: Timestamp) -> Result<()> {
            let done = sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, delivered_at = NULL \
                 WHERE id = $1",
            )
            .bind(id.to_string())
            .bind(at.0)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        }

        pub(crate) async fn next_webhook_delivery_at(conn: &mut $conn) -> Result<Option<Timestamp>> {
            use crate::rows::RowExt;
            let row = sqlx::query(
                "SELECT MIN(d.next_attempt_at) AS next FROM webhook_deliveries d \
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.status = 'pending' AND e.enabled",
            )
            .fetch_one(&mut *conn)
            .await?;
            Ok(row.opt_int("next")?.map(Timestamp))
        }
    };
}

pub(crate) use define_webhook_ops;

/// `impl WebhookStore` for a backend with `self.write(job)`,
/// `self.read_pool()` and a `webhook_ops` module (the shape
/// `ops_channels::impl_channel_store` uses): written once for both.
macro_rules! impl_webhook_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::WebhookStore for $store {
            async fn create_webhook_endpoint(
                &self,
                endpoint: &crate::WebhookEndpoint,
            ) -> crate::Result<()> {
                let endpoint = endpoint.clone();
                self.write(move |conn| {
                    Box::pin(
                        async move { webhook_ops::create_webhook_endpoint(conn, &endpoint).await },
                    )
                })
                .await
            }

            async fn update_webhook_endpoint(
                &self,
                endpoint: &crate::WebhookEndpoint,
            ) -> crate::Result<()> {
                let endpoint = endpoint.clone();
                self.write(move |conn| {
                    Box::pin(
                        async move { webhook_ops::update_webhook_endpoint(conn, &endpoint).await },
                    )
                })
                .await
            }

            async fn get_webhook_endpoint(
                &self,
                id: trustdesk_core::WebhookEndpointId,
            ) -> crate::Result<crate::WebhookEndpoint> {
                {
                    let mut conn = self.read_pool().acquire().await?;
                    webhook_ops::get_webhook_endpoint(&mut conn, id).await
                }
            }

            async fn list_webhook_endpoints(&self) -> crate::Result<Vec<crate::WebhookEndpoint>> {
                {
                    let mut conn = self.read_pool().acquire().await?;
                    webhook_ops::list_webhook_endpoints(&mut conn).await
                }
            }

            async fn delete_webhook_endpoint(
                &self,
                id: trustdesk_core::WebhookEndpointId,
            ) -> crate::Result<()> {
                self.write(move |conn| {
                    Box::pin(async move { webhook_ops::delete_webhook_endpoint(conn, id).await })
                })
                .await
            }

            async fn disable_webhook_endpoint(
                &self,
                id: trustdesk_core::WebhookEndpointId,
                reason: &str,
                at: trustdesk_core::Timestamp,
            ) -> crate::Result<()> {
                let reason = reason.to_owned();
                self.write(move |conn| {
                    Box::pin(async move {
                        webhook_ops::disable_webhook_endpoint(conn, id, &reason, at).await
                    })
                })
                .await
            }

            async fn enqueue_webhook_deliveries(
                &self,
                deliveries: &[crate::NewDelivery],
            ) -> crate::Result<()> {
                if deliveries.is_empty() {
                    return Ok(());
                }
                let deliveries = deliveries.to_vec();
                self.write(move |conn| {
                    Box::pin(async move {
                        webhook_ops::enqueue_webhook_deliveries(conn, &deliveries).await
                    })
                })
                .await
            }

            async fn claim_webhook_deliveries(
                &self,
                now: trustdesk_core::Timestamp,
                lease_until: trustdesk_core::Timestamp,
                limit: u32,
            ) -> crate::Result<Vec<crate::WebhookDelivery>> {
                self.write(move |conn| {
                    Box::pin(async move {
                        webhook_ops::claim_webhook_deliveries(conn, now, lease_until, limit).await
                    })
                })
                .await
            }

            async fn record_webhook_attempt(
                &self,
                attempt: &crate::WebhookAttempt,
                outcome: crate::AttemptOutcome,
            ) -> crate::Result<()> {
                let attempt = attempt.clone();
                self.write(move |conn| {
                    Box::pin(async move {
                        webhook_ops::record_webhook_attempt(conn, &attempt, outcome).await
                    })
                })
                .await
            }

            async fn get_webhook_delivery(
                &self,
                id: trustdesk_core::WebhookDeliveryId,
            ) -> crate::Result<crate::WebhookDelivery> {
                {
                    let mut conn = self.read_pool().acquire().await?;
                    webhook_ops::get_webhook_delivery(&mut conn, id).await
                }
            }

            async fn list_webhook_deliveries(
                &self,
                endpoint: Option<trustdesk_core::WebhookEndpointId>,
                limit: u32,
            ) -> crate::Result<Vec<crate::WebhookDelivery>> {
                {
                    let mut conn = self.read_pool().acquire().await?;
                    webhook_ops::list_webhook_deliveries(&mut conn, endpoint, limit).await
                }
            }

            async fn webhook_attempts(
                &self,
                delivery: trustdesk_core::WebhookDeliveryId,
            ) -> crate::Result<Vec<crate::WebhookAttempt>> {
                {
                    let mut conn = self.read_pool().acquire().await?;
                    webhook_ops::webhook_attempts(&mut conn, delivery).await
                }
            }

            async fn replay_webhook_delivery(
                &self,
                id: trustdesk_core::WebhookDeliveryId,
                at: trustdesk_core::Timestamp,
            ) -> crate::Result<()> {
                self.write(move |conn| {
                    Box::pin(
                        async move { webhook_ops::replay_webhook_delivery(conn, id, at).await },
                    )
                })
                .await
            }

            async fn next_webhook_delivery_at(
                &self,
            ) -> crate::Result<Option<trustdesk_core::Timestamp>> {
                {
                    let mut conn = self.read_pool().acquire().await?;
                    webhook_ops::next_webhook_delivery_at(&mut conn).await
                }
            }
        }
    };
}

pub(crate) use impl_webhook_store;
