//! Several nodes on one PostgreSQL and one NATS: what a customer does on
//! one node reaches an agent on another live, and back. Runs when
//! `TRUSTDESK_TEST_POSTGRES_URL` and `TRUSTDESK_TEST_NATS_URL` are set
//! (`.ci/run` sets both).

mod common;

use common::*;
use serde_json::json;
use std::sync::Arc;
use trustdesk_core::Role;
use trustdesk_store::{PgStore, Store, testing};

async fn node(options: sqlx::postgres::PgConnectOptions, nats: &str, subject: &str) -> TestApp {
    let store: Arc<dyn Store> = Arc::new(PgStore::connect_with(options).await.unwrap());
    let (nats, subject) = (nats.to_owned(), subject.to_owned());
    TestApp::spawn_on_with(store, move |c| {
        c.bus_url = Some(nats);
        c.bus_subject = subject;
    })
    .await
}

/// Two nodes on a fresh database and a NATS subject prefix of their own
/// (other test runs on the same NATS are another desk); `None`, skipped,
/// without a PostgreSQL or NATS to use.
async fn two_nodes() -> Option<(TestApp, TestApp)> {
    let (Some(pg), Some(nats)) = (
        testing::postgres_url(),
        std::env::var("TRUSTDESK_TEST_NATS_URL")
            .ok()
            .filter(|u| !u.is_empty()),
    ) else {
        eprintln!(
            "TRUSTDESK_TEST_POSTGRES_URL / TRUSTDESK_TEST_NATS_URL not set: cluster test skipped"
        );
        return None;
    };
    let database = testing::fresh_postgres_database(&pg).await.unwrap();
    let subject = format!("td-test-{}", uuid::Uuid::new_v4().simple());
    let one = node(database.clone(), &nats, &subject).await;
    let two = node(database, &nats, &subject).await;
    Some((one, two))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_on_one_node_and_an_agent_on_another_talk_live() {
    let Some((one, two)) = two_nodes().await else {
        return;
    };
    let (_, health) = two.get("/healthz", None).await;
    assert_eq!(health["bus"], "nats", "{health}");
    assert_eq!(health["store"], "postgres");

    let (agent, _) = two.agent_with_role("lead@desk.test", Role::Admin).await;
    let (customer, _) = one.customer().await;
    let conv = one
        .open_conversation(&customer, "My withdrawal is stuck")
        .await;

    let mut agent_ws = two.ws(&agent).await;
    let (_, subscribed) = agent_ws.subscribe(&conv, None).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    let mut customer_ws = one.ws(&customer).await;
    let (_, subscribed) = customer_ws.subscribe(&conv, None).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");

    // Node one → node two, live.
    let ack = customer_ws
        .send_message(&conv, "c-2", "It has been three hours")
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let seen = loop {
        let event = agent_ws.next_event().await;
        if event["kind"]["type"] == "message"
            && event["actor"]["type"] == "customer"
            && event["seq"] == ack["seq"]
        {
            break event;
        }
    };
    assert_eq!(seen["kind"]["body"], "It has been three hours");

    // Node two → node one, live.
    let (status, body) = two
        .post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&agent),
            json!({"body": "I see it; it is confirming now."}),
        )
        .await;
    assert!(status == 201 || status == 200, "{body}");
    loop {
        let event = customer_ws.next_event().await;
        if event["kind"]["type"] == "message" && event["actor"]["type"] == "agent" {
            assert_eq!(event["kind"]["body"], "I see it; it is confirming now.");
            break;
        }
    }
}

/// Exactly one node leads the singleton work (timers, mail, Telegram), and
/// when it goes another takes over within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_leads_and_another_takes_over_when_it_goes() {
    let Some((mut one, two)) = two_nodes().await else {
        return;
    };
    let leaders = |a: &TestApp, b: &TestApp| (*a.state.leading.borrow(), *b.state.leading.borrow());
    let mut settled = None;
    for _ in 0..50 {
        let now = leaders(&one, &two);
        if now.0 || now.1 {
            settled = Some(now);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let settled = settled.expect("a node leads within seconds");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(leaders(&one, &two), settled, "one leader, and it stays");
    assert!(settled.0 != settled.1, "exactly one leader: {settled:?}");
    if settled.1 {
        // Make node one the leader's survivor in either case.
        drop(two);
        for _ in 0..80 {
            if *one.state.leading.borrow() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("node one did not take over");
    }
    one.shutdown().await;
    for _ in 0..80 {
        if *two.state.leading.borrow() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("node two did not take over within 8 s");
}
