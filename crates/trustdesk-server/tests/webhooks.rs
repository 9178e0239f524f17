//! Outbound webhooks through the real server, with a real receiver in the
//! test that checks every signature with its own HMAC code (not ours) and
//! answers as scripted: failures, `Retry-After`, `410 Gone`.

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::*;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use trustdesk_core::Role;
use trustdesk_server::app::Application;
use trustdesk_server::config::Config;
use trustdesk_store::{SqliteOptions, SqliteStore, Store, WebhookStore};

/// What the receiver saw.
#[derive(Clone)]
struct Seen {
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

impl Seen {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// One scripted answer: a status and, maybe, a `Retry-After`.
type Answer = (u16, Option<&'static str>);

/// A receiver answering from a script (then 200 for ever).
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    url: String,
}

impl Receiver {
    async fn start(script: &[Answer]) -> Self {
        let mut receiver = Receiver {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Default::default()
        };
        let state = receiver.clone();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |axum::extract::State(r): axum::extract::State<Receiver>,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        r.seen.lock().unwrap().push(Seen {
                            at: Instant::now(),
                            headers,
                            body,
                        });
                        let (status, retry_after) =
                            r.script.lock().unwrap().pop_front().unwrap_or((200, None));
                        let mut response = axum::response::Response::new(axum::body::Body::empty());
                        *response.status_mut() = StatusCode::from_u16(status).unwrap();
                        if let Some(value) = retry_after {
                            response
                                .headers_mut()
                                .insert("retry-after", value.parse().unwrap());
                        }
                        response
                    },
                ),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        receiver.url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived.
    async fn wait_for(&self, n: usize) -> Vec<Seen> {
        for _ in 0..200 {
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver got {} requests, not {n}", self.seen().len());
    }
}

/// The receiver's own check, written from the spec and not with
/// trustdesk's signer: which of the header's signatures this secret made
/// (by position), after checking the timestamp is within 5 minutes.
fn signatures_made_by(secret: &str, seen: &Seen) -> Vec<usize> {
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").expect("whsec_ secret"))
        .unwrap();
    let id = seen.header("webhook-id");
    let timestamp: i64 = seen.header("webhook-timestamp").parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - timestamp).abs() <= 300,
        "timestamp outside tolerance"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&seen.body);
    let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    seen.header("webhook-signature")
        .split(' ')
        .enumerate()
        .filter(|(_, sig)| *sig == expected)
        .map(|(i, _)| i)
        .collect()
}

fn fast_webhooks(c: &mut Config) {
    c.webhooks.allow_cidrs = vec!["127.0.0.0/8".parse().unwrap()];
    c.webhooks.retry_base_ms = 50;
}

async fn admin(app: &TestApp) -> String {
    app.agent_with_role("admin@example.com", Role::Admin)
        .await
        .0
}

/// Registers an endpoint; returns (id, secret).
async fn register(app: &TestApp, token: &str, url: &str, types: &[&str]) -> (String, String) {
    let (status, body) = app
        .post(
            "/v1/admin/webhooks",
            Some(token),
            json!({"url": url, "description": "CRM", "event_types": types}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["endpoint"]["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn delivery_log(app: &TestApp, token: &str, endpoint: &str) -> Vec<Value> {
    let (status, body) = app
        .get(
            &format!("/v1/admin/webhooks/{endpoint}/deliveries"),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

/// Polls the delivery log until `done` holds.
async fn wait_for_log(
    app: &TestApp,
    token: &str,
    endpoint: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..200 {
        let log = delivery_log(app, token, endpoint).await;
        if done(&log) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the delivery log never got there: {:?}",
        delivery_log(app, token, endpoint).await
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_as_the_same_signed_message_and_logged() {
    let receiver = Receiver::start(&[(500, None)]).await;
    let app = TestApp::spawn_with(fast_webhooks).await;
    let token = admin(&app).await;
    let (endpoint, secret) = register(&app, &token, &receiver.url, &["message.created"]).await;
    // The secret is shown once: never in a listing.
    let (_, list) = app.get("/v1/admin/webhooks", Some(&token)).await;
    assert_eq!(list["endpoints"][0]["id"], endpoint.as_str());
    assert!(!list.to_string().contains(&secret));

    let (customer, _) = app.customer().await;
    let conv = app
        .open_conversation(&customer, "where is my deposit?")
        .await;
    let seen = receiver.wait_for(2).await;
    assert_eq!(
        seen[0].header("webhook-id"),
        seen[1].header("webhook-id"),
        "a retry is the same message"
    );
    assert!(seen[0].header("webhook-id").starts_with("msg_"));
    for request in &seen {
        assert_eq!(
            signatures_made_by(&secret, request),
            vec![0],
            "signed with the secret"
        );
        assert_eq!(request.header("content-type"), "application/json");
    }
    assert!(signatures_made_by("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &seen[1]).is_empty());
    let payload = seen[1].json();
    assert_eq!(payload["type"], "message.created");
    assert_eq!(payload["data"]["conversation_id"], conv.as_str());
    assert_eq!(payload["data"]["body"], "where is my deposit?");
    assert_eq!(payload["data"]["author"]["type"], "customer");
    assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
    // Only what it subscribed to: no conversation.created, and the bot's
    // reply is not a `message` event.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.seen().len(), 2);

    let log = wait_for_log(&app, &token, &endpoint, |log| {
        log.first().is_some_and(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(log.len(), 1);
    let delivery = &log[0];
    assert_eq!(
        delivery["webhook_id"],
        seen[0].header("webhook-id").as_str()
    );
    assert_eq!(delivery["attempts"], 2);
    let codes: Vec<&Value> = delivery["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(200)]);
    assert_eq!(delivery["attempt_log"][0]["error"], "HTTP 500");

    // A replay sends the same message again, now.
    let id = delivery["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/v1/admin/webhooks/deliveries/{id}/replay"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let seen = receiver.wait_for(3).await;
    assert_eq!(seen[2].header("webhook-id"), seen[0].header("webhook-id"));
    wait_for_log(&app, &token, &endpoint, |log| {
        log[0]["attempts"] == 3 && log[0]["status"] == "delivered"
    })
    .await;

    // Every admin change is audited, without the secret.
    let audit = app.state.store.list_audit().await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"webhook.create"), "{actions:?}");
    assert!(actions.contains(&"webhook.replay"), "{actions:?}");
    assert!(audit.iter().all(|e| !e.detail.contains(&secret)));
}

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let receiver = Receiver::start(&[(429, Some("1"))]).await;
    let app = TestApp::spawn_with(fast_webhooks).await;
    let token = admin(&app).await;
    register(&app, &token, &receiver.url, &["conversation.created"]).await;
    let (customer, _) = app.customer().await;
    app.open_conversation(&customer, "hello").await;
    let seen = receiver.wait_for(2).await;
    let gap = seen[1].at - seen[0].at;
    // The schedule alone would retry after 50-60 ms.
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    assert_eq!(seen[1].json()["type"], "conversation.created");
    assert_eq!(seen[0].header("webhook-id"), seen[1].header("webhook-id"));
}

#[tokio::test]
async fn gone_disables_the_endpoint_until_an_admin_enables_it() {
    let receiver = Receiver::start(&[(410, None)]).await;
    let app = TestApp::spawn_with(fast_webhooks).await;
    let token = admin(&app).await;
    let (endpoint, _) = register(&app, &token, &receiver.url, &["message.created"]).await;
    let (customer, _) = app.customer().await;
    let conv = app.open_conversation(&customer, "first").await;
    receiver.wait_for(1).await;
    let mut view = Value::Null;
    for _ in 0..100 {
        view = app
            .get(&format!("/v1/admin/webhooks/{endpoint}"), Some(&token))
            .await
            .1;
        if view["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(view["enabled"], false, "{view}");
    assert_eq!(view["disabled_reason"], "the receiver answered 410 Gone");
    // Nothing more is sent: not a retry, not a new message.
    let (status, _) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/messages"),
            Some(&customer),
            json!({"body": "second"}),
        )
        .await;
    assert!(status == 200 || status == 201, "{status}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.seen().len(),
        1,
        "a gone endpoint hears nothing more"
    );
    let log = delivery_log(&app, &token, &endpoint).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "failed");
    // Replaying to a disabled endpoint is refused; enabling it again lets
    // new messages through.
    let id = log[0]["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/v1/admin/webhooks/deliveries/{id}/replay"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, view) = app
        .post(
            &format!("/v1/admin/webhooks/{endpoint}/enable"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["enabled"], true);
    app.post(
        &format!("/v1/widget/conversations/{conv}/messages"),
        Some(&customer),
        json!({"body": "third"}),
    )
    .await;
    let seen = receiver.wait_for(2).await;
    assert_eq!(seen[1].json()["data"]["body"], "third");
}

#[tokio::test]
async fn during_a_rotation_both_secrets_sign_each_message() {
    let receiver = Receiver::start(&[]).await;
    let app = TestApp::spawn_with(fast_webhooks).await;
    let token = admin(&app).await;
    let (endpoint, old) = register(&app, &token, &receiver.url, &["message.created"]).await;
    let (status, rotated) = app
        .post(
            &format!("/v1/admin/webhooks/{endpoint}/rotate"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["endpoint"]["previous_secret_expires_at"].is_string());
    let (customer, _) = app.customer().await;
    app.open_conversation(&customer, "hi").await;
    let seen = receiver.wait_for(1).await;
    assert_eq!(seen[0].header("webhook-signature").split(' ').count(), 2);
    assert_eq!(
        signatures_made_by(&new, &seen[0]),
        vec![0],
        "the new secret signs first"
    );
    assert_eq!(
        signatures_made_by(&old, &seen[0]),
        vec![1],
        "the old one still signs"
    );
}

#[tokio::test]
async fn internal_targets_are_refused_when_saved() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:10.0.0.1]/x",
        "ftp://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "not a url",
    ] {
        let (status, body) = app
            .post(
                "/v1/admin/webhooks",
                Some(&token),
                json!({"url": url, "event_types": ["message.created"]}),
            )
            .await;
        assert_eq!(status, 400, "{url}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
    }
    let (status, body) = app
        .post(
            "/v1/admin/webhooks",
            Some(&token),
            json!({"url": "https://hooks.example.com/x", "event_types": ["message.deleted"]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // The allowlist opens loopback, not the metadata service.
    let app = TestApp::spawn_with(fast_webhooks).await;
    let token = admin(&app).await;
    let (status, _) = app
        .post(
            "/v1/admin/webhooks",
            Some(&token),
            json!({"url": "http://127.0.0.1:9/hook", "event_types": ["message.created"]}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post(
            "/v1/admin/webhooks",
            Some(&token),
            json!({"url": "http://169.254.169.254/", "event_types": ["message.created"]}),
        )
        .await;
    assert_eq!(status, 400);
    // Admins only.
    let (agent, _) = app
        .agent_with_role("sup@example.com", Role::Supervisor)
        .await;
    let (status, _) = app.get("/v1/admin/webhooks", Some(&agent)).await;
    assert_eq!(status, 403);
    let (status, _) = app.get("/v1/admin/webhooks/not-an-id", Some(&token)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_customers_seed_phrase_never_reaches_a_webhook() {
    const SEED: &str =
        "legal winner thank year wave sausage worth useful legal winner thank yellow";
    let receiver = Receiver::start(&[]).await;
    let app = TestApp::spawn_with(fast_webhooks).await;
    let token = admin(&app).await;
    register(
        &app,
        &token,
        &receiver.url,
        &["conversation.created", "message.created"],
    )
    .await;
    let (customer, _) = app.customer().await;
    app.open_conversation(&customer, &format!("is this right? {SEED}"))
        .await;
    let seen = receiver.wait_for(2).await;
    let message = seen
        .iter()
        .map(Seen::json)
        .find(|p| p["type"] == "message.created")
        .expect("the message was sent");
    let body = message["data"]["body"].as_str().unwrap();
    assert!(body.contains("[redacted:seed_phrase]"), "{body}");
    for request in &seen {
        let text = String::from_utf8_lossy(&request.body);
        assert!(!text.contains("sausage"), "{text}");
        assert!(!text.contains("legal winner"), "{text}");
    }
}

#[tokio::test]
async fn internal_notes_never_reach_a_webhook() {
    let receiver = Receiver::start(&[]).await;
    let app = TestApp::spawn_with(fast_webhooks).await;
    let token = admin(&app).await;
    register(
        &app,
        &token,
        &receiver.url,
        &["message.created", "conversation.status_changed"],
    )
    .await;
    let (customer, _) = app.customer().await;
    let conv = app.open_conversation(&customer, "help").await;
    receiver.wait_for(1).await;
    let (agent, _) = app.agent("agent@example.com").await;
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/notes"),
            Some(&agent),
            json!({"body": "internal: customer seems confused"}),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");
    app.resolve(&agent, &conv).await;
    let seen = receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all: Vec<Value> = receiver.seen().iter().map(Seen::json).collect();
    assert!(
        all.iter()
            .all(|p| !p.to_string().contains("customer seems confused"))
    );
    assert!(
        seen.iter()
            .map(Seen::json)
            .any(|p| p["type"] == "conversation.status_changed" && p["data"]["to"] == "resolved"),
        "{all:?}"
    );
}

/// A server on a data folder that outlives it.
async fn start_on(dir: &std::path::Path, tune: impl FnOnce(&mut Config)) -> (TestServer, String) {
    let mut config = test_config(dir);
    tune(&mut config);
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.join("trustdesk.db"), SqliteOptions::default())
            .await
            .unwrap(),
    );
    let app = Application::build_with_store(config, store).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    (TestServer { stop, task }, base)
}

struct TestServer {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("a clean stop")
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn a_delivery_pending_at_shutdown_is_delivered_after_a_restart() {
    let receiver = Receiver::start(&[(503, None)]).await;
    let dir = tempfile::tempdir().unwrap();
    // The retry is due 1.5 s after the failure: after the stop.
    let slow_retry = |c: &mut Config| {
        c.webhooks.allow_cidrs = vec!["127.0.0.0/8".parse().unwrap()];
        c.webhooks.retry_base_ms = 1_500;
    };
    // Set up through the store (the HTTP flow is covered above).
    let store = SqliteStore::open(&dir.path().join("trustdesk.db"), SqliteOptions::default())
        .await
        .unwrap();
    let endpoint = trustdesk_server::webhooks::endpoints::new_endpoint(
        receiver.url.clone(),
        String::new(),
        vec![trustdesk_core::webhook::events::EventType::ConversationCreated],
        trustdesk_core::Timestamp::now(),
    );
    store.create_webhook_endpoint(&endpoint).await.unwrap();
    drop(store);
    let (server, base) = start_on(dir.path(), slow_retry).await;
    let http = reqwest::Client::new();
    let session: Value = http
        .post(format!("{base}/v1/widget/sessions"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap();
    let opened = http
        .post(format!("{base}/v1/widget/conversations"))
        .bearer_auth(token)
        .json(&json!({"body": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 201);
    receiver.wait_for(1).await;
    server.stop().await;
    assert_eq!(receiver.seen().len(), 1, "the retry was not due yet");
    let (server, _) = start_on(dir.path(), slow_retry).await;
    let seen = receiver.wait_for(2).await;
    assert_eq!(seen[0].header("webhook-id"), seen[1].header("webhook-id"));
    assert_eq!(signatures_made_by(&endpoint.secret, &seen[1]), vec![0]);
    server.stop().await;
}

/// A rule's `send_webhook` leaves through the outbox as
/// `automation.webhook`, signed like every message, with the rule's names
/// and the conversation's id and never its text.
#[tokio::test]
async fn an_automation_rule_sends_its_webhook_through_the_outbox() {
    let receiver = Receiver::start(&[]).await;
    let app = TestApp::spawn_with(fast_webhooks).await;
    let token = admin(&app).await;
    let (_, secret) = register(&app, &token, &receiver.url, &["automation.webhook"]).await;
    let (status, rule) = app
        .post(
            "/v1/admin/automation/rules",
            Some(&token),
            json!({
                "name": "Tell the risk system",
                "trigger": {"type": "conversation_created"},
                "condition": {"type": "category", "in": ["security"]},
                "actions": [{"type": "send_webhook", "event": "risk-review"}]
            }),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    let (customer, _) = app.customer().await;
    let conv = app
        .open_conversation(
            &customer,
            "Someone stole my account, I see a login from another country",
        )
        .await;
    let seen = receiver.wait_for(1).await;
    let payload = seen[0].json();
    assert_eq!(payload["type"], "automation.webhook");
    assert_eq!(payload["data"]["event"], "risk-review");
    assert_eq!(payload["data"]["conversation_id"], conv.as_str());
    assert_eq!(payload["data"]["rule_id"], rule["id"]);
    assert_eq!(payload["data"]["rule"], "Tell the risk system");
    assert!(!payload.to_string().contains("stole"), "{payload}");
    assert_eq!(signatures_made_by(&secret, &seen[0]), vec![0]);
    // A conversation the rule does not match sends nothing.
    app.open_conversation(&customer, "How do I set a stop-loss?")
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.seen().len(), 1);
}
