//! The SQL of routing profiles, settings, calendars, timers and SLA state,
//! written once and instantiated per backend like `ops.rs`.

/// Sets a conversation's timer of a kind ($1 conversation, $2 kind,
/// $3 due, $4 payload).
pub(crate) const PUT_TIMER: &str = "INSERT INTO timers (conversation_id, kind, due_at, payload) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, kind) DO UPDATE SET \
     due_at = EXCLUDED.due_at, payload = EXCLUDED.payload";

/// Deletes a timer ($1 conversation, $2 kind); when $3 is not negative,
/// only if it is still due at $4.
pub(crate) const DELETE_TIMER: &str =
    "DELETE FROM timers WHERE conversation_id = $1 AND kind = $2 AND ($3 < 0 OR due_at = $4)";

/// Stores a conversation's SLA state ($1 conversation, $2 state, $3 at).
pub(crate) const PUT_SLA_STATE: &str = "INSERT INTO sla_state (conversation_id, state, updated_at) \
     VALUES ($1, $2, $3) ON CONFLICT (conversation_id) DO UPDATE SET state = EXCLUDED.state, \
     updated_at = EXCLUDED.updated_at";

macro_rules! define_routing_ops {
    ($conn:ty) => {
        use crate::rows::RowExt;
        use crate::{Result, RoutingProfile, StoreError, Timer};
        use trustdesk_core::routing::Skills;
        use trustdesk_core::{AgentId, Category, Conversation, ConversationId, Language, TeamId, Timestamp};

        fn skills_json(skills: &Skills) -> Result<String> {
            let map: std::collections::BTreeMap<&str, u8> = Category::ALL
                .iter()
                .filter(|c| skills.get(**c) > 0)
                .map(|c| (c.as_str(), skills.get(*c)))
                .collect();
            serde_json::to_string(&map).map_err(|e| StoreError::Internal(format!("encode skills: {e}")))
        }

        fn skills_from_json(text: &str) -> Result<Skills> {
            let map: std::collections::BTreeMap<String, u8> = serde_json::from_str(text)
                .map_err(|_| StoreError::Internal("corrupt skills in the database".into()))?;
            Ok(Skills::from_pairs(
                map.into_iter().filter_map(|(k, v)| k.parse::<Category>().ok().map(|c| (c, v))),
            ))
        }

        fn parse_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
            text.parse().map_err(|_| StoreError::Internal(format!("corrupt {what} in the database")))
        }

        pub(crate) async fn routing_profiles(conn: &mut $conn) -> Result<Vec<RoutingProfile>> {
            let rows = sqlx::query("SELECT agent_id, skills, capacity, updated_at FROM agent_routing")
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(RoutingProfile {
                        agent_id: parse_id(&r.text("agent_id")?, "agent id")?,
                        skills: skills_from_json(&r.text("skills")?)?,
                        capacity: u32::try_from(r.int("capacity")?.max(0)).unwrap_or(u32::MAX),
                        updated_at: Timestamp(r.int("updated_at")?),
                    })
                })
                .collect()
        }

        pub(crate) async fn set_routing_profile(
            conn: &mut $conn,
            p: &RoutingProfile,
            languages: Option<&[Language]>,
            team: Option<Option<TeamId>>,
        ) -> Result<()> {
            let exists = sqlx::query("SELECT id FROM agents WHERE id = $1")
                .bind(p.agent_id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO agent_routing (agent_id, skills, capacity, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (agent_id) DO UPDATE SET skills = EXCLUDED.skills, \
                 capacity = EXCLUDED.capacity, updated_at = EXCLUDED.updated_at",
            )
            .bind(p.agent_id.to_string())
            .bind(skills_json(&p.skills)?)
            .bind(i64::from(p.capacity))
            .bind(p.updated_at.0)
            .execute(&mut *conn)
            .await?;
            if let Some(languages) = languages {
                let list: Vec<&str> = languages.iter().map(|l| l.as_str()).collect();
                let json = serde_json::to_string(&list)
                    .map_err(|e| StoreError::Internal(format!("encode languages: {e}")))?;
                sqlx::query("UPDATE agents SET languages = $1 WHERE id = $2")
                    .bind(json)
                    .bind(p.agent_id.to_string())
                    .execute(&mut *conn)
                    .await?;
            }
            if let Some(team) = team {
                sqlx::query("UPDATE agents SET team_id = $1 WHERE id = $2")
                    .bind(team.map(|t| t.to_string()))
                    .bind(p.agent_id.to_string())
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        pub(crate) async fn get_setting(conn: &mut $conn, key: &str) -> Result<Option<String>> {
            let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
            row.map(|r| r.text("value")).transpose()
        }

        pub(crate) async fn put_setting(conn: &mut $conn, key: &str, value: &str, at: Timestamp) -> Result<()> {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
            )
            .bind(key)
            .bind(value)
            .bind(at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn list_calendars(conn: &mut $conn) -> Result<Vec<(String, String)>> {
            let rows = sqlx::query("SELECT name, spec FROM calendars ORDER BY name")
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(|r| Ok((r.text("name")?, r.text("spec")?))).collect()
        }

        pub(crate) async fn put_calendar(conn: &mut $conn, name: &str, spec: &str, at: Timestamp) -> Result<()> {
            sqlx::query(
                "INSERT INTO calendars (name, spec, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, updated_at = EXCLUDED.updated_at",
            )
            .bind(name)
            .bind(spec)
            .bind(at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn delete_calendar(conn: &mut $conn, name: &str) -> Result<()> {
            let done = sqlx::query("DELETE FROM calendars WHERE name = $1")
                .bind(name)
                .execute(&mut *conn)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        }

        pub(crate) async fn put_timer(conn: &mut $conn, t: &Timer) -> Result<()> {
            sqlx::query(crate::ops_routing::PUT_TIMER)
            .bind(t.conversation_id.to_string())
            .bind(t.kind.key())
            .bind(t.due_at.0)
            .bind(t.kind.payload())
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Deletes the timer; with `due_at`, only if it is still that one
        /// (a timer moved while it fired stays).
        pub(crate) async fn delete_timer(
            conn: &mut $conn,
            conversation: ConversationId,
            kind: &trustdesk_core::timer::TimerKind,
            due_at: Option<Timestamp>,
        ) -> Result<()> {
            sqlx::query(crate::ops_routing::DELETE_TIMER)
            .bind(conversation.to_string())
            .bind(kind.key())
            .bind(if due_at.is_some() { 0_i64 } else { -1_i64 })
            .bind(due_at.map_or(0, |t| t.0))
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn due_timers(conn: &mut $conn, now: Timestamp, limit: i64) -> Result<Vec<Timer>> {
            let rows = sqlx::query(
                "SELECT conversation_id, kind, due_at, payload FROM timers WHERE due_at <= $1 \
                 ORDER BY due_at, conversation_id, kind LIMIT $2",
            )
            .bind(now.0)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Timer {
                        conversation_id: parse_id(&r.text("conversation_id")?, "conversation id")?,
                        kind: trustdesk_core::timer::TimerKind::decode(
                            &r.text("kind")?,
                            &r.text("payload")?,
                        ),
                        due_at: Timestamp(r.int("due_at")?),
                    })
                })
                .collect()
        }

        pub(crate) async fn next_timer_at(conn: &mut $conn) -> Result<Option<Timestamp>> {
            let row = sqlx::query("SELECT MIN(due_at) AS next FROM timers")
                .fetch_one(&mut *conn)
                .await?;
            Ok(row.opt_int("next")?.map(Timestamp))
        }

        pub(crate) async fn put_sla_state(
            conn: &mut $conn,
            conversation: ConversationId,
            state: &str,
            at: Timestamp,
        ) -> Result<()> {
            sqlx::query(crate::ops_routing::PUT_SLA_STATE)
            .bind(conversation.to_string())
            .bind(state)
            .bind(at.0)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn sla_state(conn: &mut $conn, conversation: ConversationId) -> Result<Option<String>> {
            let row = sqlx::query("SELECT state FROM sla_state WHERE conversation_id = $1")
                .bind(conversation.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            row.map(|r| r.text("state")).transpose()
        }

        /// Conversations still in the team's hands (open, pending, snoozed),
        /// for the router's start-up view.
        pub(crate) async fn active_conversations(conn: &mut $conn) -> Result<Vec<Conversation>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM conversations WHERE status IN ('open', 'pending', 'snoozed') \
                 ORDER BY created_at, id",
                crate::rows::CONVERSATION_COLUMNS
            ));
            let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
            rows.iter().map(crate::rows::conversation).collect()
        }

        #[allow(dead_code)]
        fn _uses(_: AgentId) {}
    };
}

pub(crate) use define_routing_ops;
