//! What holds a desk's limits together across nodes: shared rate buckets
//! (PostgreSQL) and the one-query check of which open sessions ended.

use std::sync::Arc;
use trustdesk_core::*;
use trustdesk_store::*;

fn agent(email: &str) -> Agent {
    Agent {
        id: AgentId::new(),
        email: email.into(),
        display_name: email.into(),
        role: Role::Agent,
        status: AgentStatus::Active,
        languages: vec![Language::En],
        team_id: None,
        badge: format!("TD-{}", &AgentId::new().to_string()[..8]),
        created_at: Timestamp(1_000),
    }
}

fn session(principal: Principal, token: u8, expires_at: Timestamp) -> Session {
    Session {
        id: SessionId::new(),
        token_hash: vec![token; 32],
        principal,
        created_at: Timestamp(1_000),
        expires_at,
        revoked_at: None,
        api_token: None,
        pending: None,
    }
}

/// Live, revoked, expired, unknown and a deactivated agent's sessions:
/// only the live ones are left out of `ended_sessions`.
async fn ended_sessions_story(store: Arc<dyn Store>) {
    let now = Timestamp(1_000_000);
    let later = Timestamp(2_000_000);
    let alice = agent("alice@example.com");
    let bob = agent("bob@example.com");
    store.create_agent(&alice, "x").await.unwrap();
    store.create_agent(&bob, "x").await.unwrap();
    let carol = Customer {
        id: CustomerId::new(),
        external_id: None,
        name: None,
        email: None,
        locale: Some(Language::En),
        created_at: Timestamp(1_000),
    };
    store.create_customer(&carol).await.unwrap();

    let alice_live = session(Principal::Agent(alice.id), 1, later);
    let alice_revoked = session(Principal::Agent(alice.id), 2, later);
    let bob_live = session(Principal::Agent(bob.id), 3, later);
    let carol_live = session(Principal::Customer(carol.id), 4, later);
    let carol_expired = session(Principal::Customer(carol.id), 5, now);
    for s in [
        &alice_live,
        &alice_revoked,
        &bob_live,
        &carol_live,
        &carol_expired,
    ] {
        store.create_session(s).await.unwrap();
    }
    store
        .revoke_session(alice_revoked.id, Timestamp(1_500))
        .await
        .unwrap();
    let unknown = SessionId::new();

    let all = [
        alice_live.id,
        alice_revoked.id,
        bob_live.id,
        carol_live.id,
        carol_expired.id,
        unknown,
    ];
    let mut ended = store.ended_sessions(&all, now).await.unwrap();
    ended.sort();
    let mut expected = vec![alice_revoked.id, carol_expired.id, unknown];
    expected.sort();
    assert_eq!(ended, expected);

    // Deactivating an agent ends their sessions without revoking them.
    store
        .set_agent_status(bob.id, AgentStatus::Deactivated)
        .await
        .unwrap();
    let ended = store.ended_sessions(&[bob_live.id], now).await.unwrap();
    assert_eq!(ended, vec![bob_live.id]);

    // More ids than one statement takes: every chunk is checked.
    let many: Vec<SessionId> = (0..1_203)
        .map(|_| SessionId::new())
        .chain([alice_live.id])
        .collect();
    let ended = store.ended_sessions(&many, now).await.unwrap();
    assert_eq!(ended.len(), 1_203);
    assert!(!ended.contains(&alice_live.id));
    assert!(store.ended_sessions(&[], now).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db"), SqliteOptions::default())
        .await
        .unwrap();
    ended_sessions_story(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_on_postgres() {
    let Some(url) = testing::postgres_url() else {
        eprintln!("TRUSTDESK_TEST_POSTGRES_URL not set: PostgreSQL test skipped");
        return;
    };
    let store = testing::fresh_postgres(&url).await.unwrap();
    ended_sessions_story(Arc::new(store)).await;
}

#[tokio::test]
async fn sqlite_shares_no_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db"), SqliteOptions::default())
        .await
        .unwrap();
    assert_eq!(store.take_token(b"k", 3).await.unwrap(), None);
}

/// Two stores on one database (two nodes) spend one bucket: a burst of
/// `per_minute`, then refusals on both, while another key and a bucket
/// untouched for a minute start full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_spend_one_bucket_on_postgres() {
    let Some(url) = testing::postgres_url() else {
        eprintln!("TRUSTDESK_TEST_POSTGRES_URL not set: PostgreSQL test skipped");
        return;
    };
    let options = testing::fresh_postgres_database(&url).await.unwrap();
    let one = PgStore::connect_with(options.clone()).await.unwrap();
    let two = PgStore::connect_with(options.clone()).await.unwrap();
    let key = b"login:203.0.113.7 hashed";

    let mut granted = 0;
    for i in 0..10 {
        let node = if i % 2 == 0 { &one } else { &two };
        if node.take_token(key, 4).await.unwrap() == Some(true) {
            granted += 1;
        }
    }
    assert_eq!(granted, 4, "one budget of 4 for both nodes");
    assert_eq!(two.take_token(b"another key", 4).await.unwrap(), Some(true));

    // Concurrent takes from both nodes never grant more than the budget.
    let one = Arc::new(one);
    let two = Arc::new(two);
    let mut joins = Vec::new();
    for i in 0..20 {
        let node = if i % 2 == 0 { one.clone() } else { two.clone() };
        joins.push(tokio::spawn(async move {
            node.take_token(b"raced", 5).await.unwrap()
        }));
    }
    let mut raced = 0;
    for join in joins {
        if join.await.unwrap() == Some(true) {
            raced += 1;
        }
    }
    assert_eq!(raced, 5, "a race between nodes grants the budget once");

    // A bucket last counted a minute ago is full again, and the purge
    // forgets exactly such buckets.
    let admin = sqlx::PgPool::connect_with(options).await.unwrap();
    sqlx::query("UPDATE rate_buckets SET counted_at = counted_at - 61000 WHERE key = $1")
        .bind(&key[..])
        .execute(&admin)
        .await
        .unwrap();
    assert_eq!(one.purge_rate_buckets().await.unwrap(), 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM rate_buckets")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(left, 2, "the other buckets are still counting");
    let mut granted = 0;
    for _ in 0..6 {
        if one.take_token(key, 4).await.unwrap() == Some(true) {
            granted += 1;
        }
    }
    assert_eq!(granted, 4, "full again after the purge");
}
