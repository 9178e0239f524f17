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
        // Route at once, and move chats on soon after an agent leaves.
        c.routing.bot_hold_ms = 0;
        c.routing.grace_ms = 2_000;
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

/// The leading node and the other, once one leads.
async fn leader_and_follower<'a>(one: &'a TestApp, two: &'a TestApp) -> (&'a TestApp, &'a TestApp) {
    for _ in 0..100 {
        match (*one.state.leading.borrow(), *two.state.leading.borrow()) {
            (true, false) => return (one, two),
            (false, true) => return (two, one),
            _ => {}
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no single leader within 10 s");
}

async fn put(app: &TestApp, path: &str, token: &str, body: serde_json::Value) -> u16 {
    app.http
        .put(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn conversation(app: &TestApp, token: &str, id: &str) -> serde_json::Value {
    let (status, body) = app
        .get(&format!("/v1/agent/conversations/{id}"), Some(token))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_routes_to_an_agent_on_another_node_and_requeues_once_when_they_leave() {
    let Some((one, two)) = two_nodes().await else {
        return;
    };
    let (leader, follower) = leader_and_follower(&one, &two).await;
    let (admin, _) = follower
        .agent_with_role("lead@desk.test", Role::Admin)
        .await;
    let (agent, agent_id) = follower.agent("routed@desk.test").await;
    // The profile is set on the follower: the leader hears of it.
    let skills = json!({"account": 3, "trading": 3, "transfer": 3, "security": 3, "storage": 3, "compliance": 3});
    assert_eq!(
        put(
            follower,
            &format!("/v1/admin/agents/{agent_id}/routing"),
            &admin,
            json!({"skills": skills, "capacity": 5, "languages": ["en"]}),
        )
        .await,
        200
    );
    let agent_ws = follower.ws(&agent).await;
    // The leader counts a console open on the other node.
    wait_for("the leader to see the agent online", || async {
        let (_, queue) = leader.get("/v1/agent/queue", Some(&admin)).await;
        queue["agents"].as_array().is_some_and(|agents| {
            agents.iter().any(|a| {
                a["agent_id"] == agent_id.as_str()
                    && a["presence"] == "online"
                    && a["connections"] == 1
            })
        })
    })
    .await;

    // A customer on the follower: only the leader assigns, to the agent
    // connected to the follower.
    let (customer, _) = follower.customer().await;
    let conv = follower
        .open_conversation(
            &customer,
            "My USDT withdrawal has not arrived after 3 hours",
        )
        .await;
    wait_for("the routed assignment", || async {
        conversation(leader, &admin, &conv).await["conversation"]["assignee_id"]
            == agent_id.as_str()
    })
    .await;

    // The agent's last console closes: after the grace period the chat
    // goes back to the queue, once, whichever node saw them leave.
    drop(agent_ws);
    wait_for("the requeue after the grace period", || async {
        conversation(follower, &admin, &conv).await["conversation"]["assignee_id"].is_null()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let view = conversation(leader, &admin, &conv).await;
    let reasons: Vec<&serde_json::Value> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == "assigned")
        .map(|e| &e["kind"]["reason"])
        .collect();
    assert_eq!(reasons, vec!["routed", "requeued"], "{view}");
}

async fn first_response(app: &TestApp, agent: &str, conv: &str) -> Option<serde_json::Value> {
    let (_, body) = app
        .get(&format!("/v1/agent/conversations/{conv}/sla"), Some(agent))
        .await;
    body["clocks"]
        .as_array()
        .and_then(|c| c.iter().find(|m| m["metric"] == "first_response").cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_clocks_follow_writes_made_on_every_node() {
    let Some((one, two)) = two_nodes().await else {
        return;
    };
    let (agent, _) = two.agent_with_role("sla@desk.test", Role::Admin).await;
    let (customer, _) = one.customer().await;
    let conv = one
        .open_conversation(&customer, "How do I change my phone number")
        .await;
    wait_for("the clocks to run", || async {
        first_response(&one, &agent, &conv)
            .await
            .is_some_and(|m| m["stopped"] == false)
    })
    .await;
    // The agent answers on node two.
    let (status, _) = two
        .post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&agent),
            json!({"body": "Hello, I can help with that."}),
        )
        .await;
    assert_eq!(status, 201);
    wait_for("the first-response clock to stop", || async {
        first_response(&two, &agent, &conv)
            .await
            .is_some_and(|m| m["stopped"] == true)
    })
    .await;
    // The customer writes again on node one: the clocks still know of the
    // answer given on node two (one node folds every node's writes).
    let mut ws = one.ws(&customer).await;
    let ack = ws
        .send_message(&conv, "c-again", "Thanks, one more question")
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (_, body) = one
        .get(&format!("/v1/agent/conversations/{conv}/sla"), Some(&agent))
        .await;
    let clocks = body["clocks"].as_array().unwrap();
    let first = clocks
        .iter()
        .find(|m| m["metric"] == "first_response")
        .unwrap();
    assert_eq!(first["stopped"], true, "{body}");
    let next = clocks.iter().find(|m| m["metric"] == "next_response");
    assert!(
        next.is_some_and(|m| m["stopped"] == false),
        "the customer's new message starts the next-response clock: {body}"
    );
}

/// A login limit is the desk's, not a node's: wrong passwords spread over
/// both nodes exhaust one budget (10 per account per minute), after which
/// both nodes refuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_limit_holds_across_nodes() {
    let Some((one, two)) = two_nodes().await else {
        return;
    };
    one.agent("target@desk.test").await;
    let mut answers = Vec::new();
    for attempt in 0..12 {
        let node = if attempt % 2 == 0 { &one } else { &two };
        let (status, _) = node
            .post(
                "/v1/agent/login",
                None,
                json!({"email": "target@desk.test", "password": "wrong guess"}),
            )
            .await;
        answers.push(status);
    }
    // The agent's own login above spent one of the account's ten.
    let refused = answers.iter().filter(|s| **s == 429).count();
    assert_eq!(&answers[..9], &[401; 9], "{answers:?}");
    assert_eq!(refused, 3, "{answers:?}");
    assert!(answers[9..].iter().all(|s| *s == 429), "{answers:?}");
}

/// A session ended without a word on the bus (as the CLI or a lost NATS
/// message would leave it) still closes its sockets on every node within
/// a sweep, customers' and agents' alike, and only those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_ended_in_the_store_close_their_sockets_on_every_node() {
    let Some((one, two)) = two_nodes().await else {
        return;
    };
    let (agent, agent_id) = one.agent("revoked@desk.test").await;
    let (kept, _) = one.agent("kept@desk.test").await;
    let (customer, _) = one.customer().await;
    let mut agent_ws = two.ws(&agent).await;
    let mut kept_ws = two.ws(&kept).await;
    let mut customer_ws = one.ws(&customer).await;

    let store = &one.state.store;
    let now = trustdesk_core::Timestamp::now();
    let customer_session = store
        .session_by_token_hash(&trustdesk_server::auth::token::hash(&customer))
        .await
        .unwrap()
        .unwrap();
    store
        .revoke_session(customer_session.id, now)
        .await
        .unwrap();
    store
        .revoke_agent_sessions(agent_id.parse().unwrap(), None, now)
        .await
        .unwrap();

    let started = std::time::Instant::now();
    for ws in [&mut agent_ws, &mut customer_ws] {
        let closed = ws.closed().await;
        assert_eq!(
            (closed.code, closed.reason.as_str()),
            (Some(4002), "session_revoked")
        );
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "closed within a sweep: {:?}",
        started.elapsed()
    );
    // The other agent's socket on the same node is still served.
    kept_ws
        .send(json!({"type": "ping", "ref": "still-here"}))
        .await;
    let pong = kept_ws.recv_type("pong").await;
    assert_eq!(pong["ref"], "still-here", "{pong}");
}
