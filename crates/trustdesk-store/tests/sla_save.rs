//! The SLA worker's flush: many conversations' clocks and timers stored in
//! one transaction, all or nothing, on both backends.

use std::sync::Arc;
use trustdesk_core::timer::TimerKind;
use trustdesk_core::*;
use trustdesk_store::*;

mod common;

async fn conversation(store: &dyn Store) -> ConversationId {
    common::conversation(store).await.0
}

async fn flush_story(store: Arc<dyn Store>) {
    let (a, b, c) = (
        conversation(store.as_ref()).await,
        conversation(store.as_ref()).await,
        conversation(store.as_ref()).await,
    );
    let save = |conversation, state: Option<&str>, timer| SlaSave {
        conversation,
        state: state.map(str::to_owned),
        timer,
    };
    store
        .save_sla(
            &[
                save(
                    a,
                    Some("{\"a\":1}"),
                    Some(SlaTimerChange::Put(Timestamp(5_000))),
                ),
                save(b, Some("{\"b\":1}"), None),
                save(c, None, Some(SlaTimerChange::Put(Timestamp(7_000)))),
            ],
            Timestamp(2_000),
        )
        .await
        .unwrap();
    assert_eq!(
        store.sla_state(a).await.unwrap().as_deref(),
        Some("{\"a\":1}")
    );
    assert_eq!(
        store.sla_state(b).await.unwrap().as_deref(),
        Some("{\"b\":1}")
    );
    assert_eq!(store.sla_state(c).await.unwrap(), None);
    let due: Vec<(ConversationId, Timestamp)> = store
        .due_timers(Timestamp(10_000), 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == TimerKind::Sla)
        .map(|t| (t.conversation_id, t.due_at))
        .collect();
    assert_eq!(due, vec![(a, Timestamp(5_000)), (c, Timestamp(7_000))]);

    // A batch with a write that cannot be stored (no such conversation)
    // stores none of its writes.
    let missing = ConversationId::new();
    let failed = store
        .save_sla(
            &[
                save(a, Some("{\"a\":2}"), Some(SlaTimerChange::Delete)),
                save(missing, Some("{}"), None),
            ],
            Timestamp(3_000),
        )
        .await;
    assert!(failed.is_err());
    assert_eq!(
        store.sla_state(a).await.unwrap().as_deref(),
        Some("{\"a\":1}"),
        "all or nothing"
    );
    assert_eq!(store.next_timer_at().await.unwrap(), Some(Timestamp(5_000)));

    // Moving one timer and deleting another.
    store
        .save_sla(
            &[
                save(a, Some("{\"a\":3}"), Some(SlaTimerChange::Delete)),
                save(c, None, Some(SlaTimerChange::Put(Timestamp(9_000)))),
            ],
            Timestamp(4_000),
        )
        .await
        .unwrap();
    assert_eq!(
        store.sla_state(a).await.unwrap().as_deref(),
        Some("{\"a\":3}")
    );
    assert_eq!(store.next_timer_at().await.unwrap(), Some(Timestamp(9_000)));
    store.save_sla(&[], Timestamp(5_000)).await.unwrap();
}

#[tokio::test]
async fn sqlite_saves_a_flush_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db"), SqliteOptions::default())
        .await
        .unwrap();
    flush_story(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_saves_a_flush_at_once() {
    let Some(url) = testing::postgres_url() else {
        eprintln!("TRUSTDESK_TEST_POSTGRES_URL not set: PostgreSQL test skipped");
        return;
    };
    let store = testing::fresh_postgres(&url).await.unwrap();
    flush_story(Arc::new(store)).await;
}
