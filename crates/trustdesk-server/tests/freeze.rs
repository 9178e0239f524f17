//! The emergency freeze fast lane through the real server, with a local
//! receiver standing in for the exchange's backend.

mod common;

use axum::body::Bytes;
use axum::http::HeaderMap;
use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use trustdesk_core::webhook::SigningKey;
use trustdesk_server::auth::identity;

const FREEZE_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver that fails the first `failures` requests with 500.
async fn receiver(failures: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let state = (seen.clone(), Arc::new(Mutex::new(failures)));
    let app = axum::Router::new()
        .route(
            "/freeze",
            axum::routing::post(
                |axum::extract::State((seen, left)): axum::extract::State<(
                    Seen,
                    Arc<Mutex<usize>>,
                )>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    seen.lock().unwrap().push((headers, body));
                    let mut left = left.lock().unwrap();
                    if *left > 0 {
                        *left -= 1;
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::OK
                    }
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/freeze", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn verified_customer(app: &TestApp, user: &str) -> String {
    let hash = identity::user_hash(&IDENTITY_SECRET.to_owned().into(), user);
    let (status, body) = app
        .post(
            "/v1/widget/sessions",
            None,
            json!({"identity": {"user_id": user, "user_hash": hash}}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["freeze_available"], true, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn wait_for_notice(app: &TestApp, token: &str, conv: &str, code: &str) -> Value {
    for _ in 0..100 {
        let (_, h) = app
            .get(&format!("/v1/widget/conversations/{conv}"), Some(token))
            .await;
        if let Some(e) = h["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"]["code"] == code)
        {
            return e.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {code} notice");
}

#[tokio::test]
async fn a_freeze_request_reaches_the_exchange_signed_and_escalates_the_conversation() {
    let (url, seen) = receiver(1).await;
    let app = TestApp::spawn_with(|c| {
        c.freeze.webhook_url = Some(url.clone());
        c.freeze.webhook_secret = Some(FREEZE_SECRET.to_owned().into());
        c.webhooks.allow_cidrs = vec!["127.0.0.0/8".parse().unwrap()];
        c.freeze.max_attempts = 3;
    })
    .await;
    let customer = verified_customer(&app, "user-99").await;
    let conv = app
        .open_conversation(&customer, "someone logged into my account")
        .await;
    let (status, _) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/freeze"),
            Some(&customer),
            json!({}),
        )
        .await;
    assert_eq!(status, 202);
    wait_for_notice(&app, &customer, &conv, "freeze_requested").await;
    // Delivered on the second attempt (the first got a 500).
    wait_for_notice(&app, &customer, &conv, "freeze_confirmed").await;
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "one failure, one retry");
    let (headers, body) = &requests[1];
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
    let now = trustdesk_core::Timestamp::now().as_millis() / 1000;
    assert!((now - timestamp).abs() < 300, "a fresh timestamp");
    let key = SigningKey::parse(FREEZE_SECRET).unwrap();
    assert!(
        trustdesk_core::webhook::verify(
            &key,
            &header("webhook-id"),
            timestamp,
            body,
            &header("webhook-signature"),
            now
        ),
        "a valid Standard Webhooks signature"
    );
    assert!(header("webhook-id").starts_with("msg_"));
    assert_eq!(
        requests[0].0["webhook-id"], headers["webhook-id"],
        "a retry keeps the webhook id (replay protection)"
    );
    assert!(
        !headers
            .keys()
            .any(|k| k.as_str().starts_with("x-trustdesk")),
        "the old headers are gone"
    );
    let payload: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["type"], "freeze.requested");
    assert_eq!(payload["data"]["user_id"], "user-99");
    assert_eq!(payload["data"]["conversation_id"], conv.as_str());
    // The conversation is now urgent security.
    let (agent, _) = app.agent("sec-team@example.com").await;
    let (_, view) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    assert_eq!(view["conversation"]["urgent"], true);
    assert_eq!(view["conversation"]["category"], "security");
    assert_eq!(view["conversation"]["priority"], "urgent");
    // Once per conversation.
    let (status, _) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/freeze"),
            Some(&customer),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn freezing_needs_a_verified_customer_and_never_reaches_internal_targets_by_default() {
    let (url, seen) = receiver(0).await;
    let app = TestApp::spawn_with(|c| {
        c.freeze.webhook_url = Some(url.clone());
        c.freeze.webhook_secret = Some(FREEZE_SECRET.to_owned().into());
        c.freeze.max_attempts = 1;
    })
    .await;
    let (anonymous, _) = app.customer().await;
    let conv = app.open_conversation(&anonymous, "hacked").await;
    let (status, err) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/freeze"),
            Some(&anonymous),
            json!({}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    // A loopback webhook target is refused (SSRF guard): the customer is
    // told to use the hotline; nothing reached the receiver.
    let customer = verified_customer(&app, "user-100").await;
    let conv = app.open_conversation(&customer, "hacked").await;
    let (status, _) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/freeze"),
            Some(&customer),
            json!({}),
        )
        .await;
    assert_eq!(status, 202);
    wait_for_notice(&app, &customer, &conv, "freeze_failed").await;
    assert!(seen.lock().unwrap().is_empty());
    // Someone else's conversation: the same 404 as a missing one.
    let other = verified_customer(&app, "user-101").await;
    let (status, _) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/freeze"),
            Some(&other),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
}
