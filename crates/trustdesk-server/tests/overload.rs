//! Admission control: past saturation a customer write is refused at once
//! with `overloaded` and a retry hint, stores nothing, and goes through when
//! retried after the load is gone; agents are never refused.

mod common;

use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn customer_writes_are_refused_with_a_retry_hint_while_saturated_and_pass_after() {
    let app = TestApp::spawn_with(|c| c.limits.customer_writes_in_flight = 2).await;
    let (customer, _) = app.customer().await;
    let conversation = app.open_conversation(&customer, "first question").await;
    let (agent, _) = app.agent("olga@example.com").await;
    let mut ws = app.ws(&customer).await;
    let (_, subscribed) = ws.subscribe(&conversation, None).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");

    // Saturate: every permit is held, as by writes still being served.
    let held = [
        app.state.conversations.admit().expect("a permit"),
        app.state.conversations.admit().expect("a permit"),
    ];

    // A new conversation over REST: 429 overloaded, Retry-After, nothing stored.
    let open = json!({"subject": "busy", "body": "deposit missing", "client_msg_id": "open-1"});
    let res = app
        .http
        .post(app.url("/v1/widget/conversations"))
        .bearer_auth(&customer)
        .json(&open)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "overloaded", "{body}");
    assert_eq!(body["error"]["retry_after_ms"], 1000);
    let (_, list) = app.get("/v1/widget/conversations", Some(&customer)).await;
    let count = |list: &serde_json::Value| {
        list.as_array()
            .or_else(|| list["conversations"].as_array())
            .map_or(0, Vec::len)
    };
    assert_eq!(count(&list), 1, "the refused open stored nothing: {list}");

    // A new visitor is refused the same way.
    let (status, body) = app
        .post("/v1/widget/sessions", None, json!({"locale": "en"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("overloaded"))
    );

    // A customer message over the WebSocket: an error frame with the hint.
    let send = json!({"type": "send", "ref": "m-1", "conversation_id": conversation,
        "client_msg_id": "m-1", "body": "still waiting"});
    ws.send(send.clone()).await;
    let refused = ws.recv_type("error").await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "overloaded");
    assert_eq!(refused["ref"], "m-1");
    assert_eq!(refused["retry_after_ms"], 1000);

    // Agents keep working: their replies drain the backlog.
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{conversation}/notes"),
            Some(&agent),
            json!({"body": "looking into it"}),
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {body}");

    // The load is gone: the same frame and the same open go through, once.
    drop(held);
    ws.send(send).await;
    let ack = ws.recv_type("ack").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(
        ack["duplicate"], false,
        "the refused send stored nothing: {ack}"
    );
    let (status, body) = app
        .post("/v1/widget/conversations", Some(&customer), open)
        .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let (_, list) = app.get("/v1/widget/conversations", Some(&customer)).await;
    assert_eq!(count(&list), 2, "{list}");
}
