//! The spine through the real server: customers and agents over HTTP and
//! WebSocket.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn customer_and_agent_exchange_messages_both_ways_in_real_time() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, agent_id) = app.agent("alice@example.com").await;
    let conv = app
        .open_conversation(&customer, "My deposit has not arrived")
        .await;

    let mut cws = app.ws(&customer).await;
    let mut aws = app.ws(&agent).await;
    let (_, sub) = cws.subscribe(&conv, None).await;
    // The opening: the message, triage, and the bot's answer or handoff.
    let head = sub["head_seq"].as_i64().unwrap();
    assert!(head >= 1);
    let (replayed, _) = aws.subscribe(&conv, Some(0)).await;
    assert_eq!(
        replayed.len() as i64,
        head,
        "the agent replays the whole opening"
    );
    assert_eq!(replayed[0]["kind"]["body"], "My deposit has not arrived");

    // Customer -> agent.
    let ack = cws.send_message(&conv, "c-1", "txid is 0xabc").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["seq"], head + 1);
    assert_eq!(ack["duplicate"], false);
    let seen = aws.next_event().await;
    assert_eq!(seen["seq"], head + 1);
    assert_eq!(seen["kind"]["body"], "txid is 0xabc");
    assert_eq!(seen["actor"]["type"], "customer");

    // Agent -> customer. Replying takes the unassigned conversation.
    let ack = aws
        .send_message(&conv, "a-1", "Found it, 2 confirmations to go")
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let mine = cws.next_event().await;
    assert_eq!(mine["seq"], head + 1, "the sender sees its own message too");
    let reply = cws.next_event().await;
    assert_eq!(reply["kind"]["body"], "Found it, 2 confirmations to go");
    assert_eq!(reply["actor"]["type"], "agent");
    assert_eq!(reply["actor"]["id"], agent_id.as_str());
    let (_, view) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    assert_eq!(view["conversation"]["assignee_id"], agent_id.as_str());

    // REST and WebSocket write to the same log.
    let (status, posted) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/messages"),
            Some(&customer),
            json!({"body": "thanks!", "client_msg_id": "c-2"}),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    let mut live = aws.next_event().await;
    while live["seq"] != posted["event"]["seq"] {
        live = aws.next_event().await;
    }
    assert_eq!(live["kind"]["body"], "thanks!");
}

#[tokio::test]
async fn an_internal_note_never_reaches_the_customer() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("bob@example.com").await;
    let conv = app.open_conversation(&customer, "help").await;
    let mut cws = app.ws(&customer).await;
    cws.subscribe(&conv, None).await;

    let (status, note) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/notes"),
            Some(&agent),
            json!({"body": "SECRET-NOTE: VIP customer"}),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["event"]["visibility"], "internal");
    let mut aws = app.ws(&agent).await;
    aws.send(json!({"type": "send", "conversation_id": conv, "client_msg_id": "n2", "body": "SECRET-NOTE two", "internal": true})).await;
    assert_eq!(aws.recv_type("ack").await["type"], "ack");
    let (status, _) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&agent),
            json!({"body": "public reply"}),
        )
        .await;
    assert_eq!(status, 201);

    // Live: the customer gets the reply and nothing of the notes.
    let mut frames = Vec::new();
    while let Some(f) = cws.try_recv(Duration::from_millis(700)).await {
        frames.push(f);
    }
    let text = serde_json::to_string(&frames).unwrap();
    assert!(text.contains("public reply"), "{text}");
    assert!(!text.contains("SECRET-NOTE"), "a note leaked live: {text}");
    // Replay over WebSocket and history over REST: no notes either.
    let mut again = app.ws(&customer).await;
    let (replayed, _) = again.subscribe(&conv, Some(0)).await;
    assert!(
        !serde_json::to_string(&replayed)
            .unwrap()
            .contains("SECRET-NOTE")
    );
    let (_, history) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    assert!(!history.to_string().contains("SECRET-NOTE"), "{history}");
    assert!(!history.to_string().contains("\"internal\""));
    // The team sees both notes.
    let (_, team) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    assert_eq!(team.to_string().matches("SECRET-NOTE").count(), 2);
    // A customer cannot write a note.
    let mut cws2 = app.ws(&customer).await;
    cws2.send(json!({"type": "send", "conversation_id": conv, "client_msg_id": "x", "body": "b", "internal": true})).await;
    assert_eq!(cws2.recv_type("error").await["code"], "bad_request");
}

#[tokio::test]
async fn reconnecting_with_since_replays_exactly_the_missed_events() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("carol@example.com").await;
    let conv = app.open_conversation(&customer, "first").await;
    let mut cws = app.ws(&customer).await;
    cws.subscribe(&conv, Some(0)).await;
    let last_seen = cws.send_message(&conv, "m2", "second").await["seq"]
        .as_i64()
        .unwrap();
    drop(cws); // the customer's connection drops

    // While away: a note (internal), an assignment (internal) and a reply.
    app.post(
        &format!("/v1/agent/conversations/{conv}/notes"),
        Some(&agent),
        json!({"body": "looking"}),
    )
    .await;
    for body in ["reply one", "reply two"] {
        let (status, _) = app
            .post(
                &format!("/v1/agent/conversations/{conv}/messages"),
                Some(&agent),
                json!({"body": body}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let mut back = app.ws(&customer).await;
    let (events, sub) = back.subscribe(&conv, Some(last_seen)).await;
    let bodies: Vec<_> = events
        .iter()
        .map(|e| {
            let k = &e["kind"];
            k["body"]
                .as_str()
                .or(k["code"].as_str())
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(
        bodies,
        vec!["reply one", "agent_joined", "reply two"],
        "exactly the missed public events, in order"
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert!(seqs.iter().all(|s| *s > last_seen));
    assert_eq!(
        sub["head_seq"],
        last_seen + 5,
        "note, reply, assigned, agent joined, reply"
    );

    // The agent's replay includes everything after the cursor.
    let mut aws = app.ws(&agent).await;
    let (events, _) = aws.subscribe(&conv, Some(last_seen)).await;
    let kinds: Vec<_> = events
        .iter()
        .map(|e| e["kind"]["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        vec!["note", "message", "assigned", "system_notice", "message"]
    );

    // A cursor ahead of the head is an error and no subscription.
    let mut ahead = app.ws(&customer).await;
    let (_, err) = ahead.subscribe(&conv, Some(last_seen + 6)).await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "cursor_ahead");
    // After replay, live events continue with no gap and no repeat.
    app.post(
        &format!("/v1/agent/conversations/{conv}/messages"),
        Some(&agent),
        json!({"body": "live"}),
    )
    .await;
    let live = back.next_event().await;
    assert_eq!(live["seq"], last_seen + 6);
    assert_eq!(live["kind"]["body"], "live");
    // REST history honours since too.
    let (_, h) = app
        .get(
            &format!("/v1/widget/conversations/{conv}?since={}", last_seen + 4),
            Some(&customer),
        )
        .await;
    let seqs: Vec<i64> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![last_seen + 5, last_seen + 6]);
    let (status, err) = app
        .get(
            &format!("/v1/widget/conversations/{conv}?since=99"),
            Some(&customer),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
}

#[tokio::test]
async fn the_same_client_message_id_twice_yields_one_message() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let conv = app.open_conversation(&customer, "hello").await;
    let mut ws = app.ws(&customer).await;
    ws.subscribe(&conv, None).await;
    let first = ws.send_message(&conv, "dup-1", "only once").await;
    let again = ws.send_message(&conv, "dup-1", "only once").await;
    assert_eq!(first["seq"], again["seq"], "a resend gets the stored seq");
    assert_eq!(again["duplicate"], true);
    let clash = ws.send_message(&conv, "dup-1", "a different body").await;
    assert_eq!(clash["type"], "error");
    assert_eq!(clash["code"], "conflict");
    // Client ids are each sender's own: an agent's console that happens to
    // use "dup-1" too sends a new message, not a clash with the customer's.
    let (agent, _) = app.agent("dup-agent@example.com").await;
    let mut aws = app.ws(&agent).await;
    aws.subscribe(&conv, None).await;
    let reply = aws
        .send_message(&conv, "dup-1", "an agent's own first message")
        .await;
    assert_eq!(reply["type"], "ack", "{reply}");
    assert_eq!(reply["duplicate"], false);
    assert_ne!(reply["seq"], first["seq"]);
    // Over REST as well, and across transports.
    let path = format!("/v1/widget/conversations/{conv}/messages");
    let (status, res) = app
        .post(
            &path,
            Some(&customer),
            json!({"client_msg_id": "dup-1", "body": "only once"}),
        )
        .await;
    assert_eq!((status, res["duplicate"].as_bool()), (200, Some(true)));
    assert_eq!(res["event"]["seq"], first["seq"]);
    let (_, history) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    let count = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["body"] == "only once")
        .count();
    assert_eq!(count, 1);
    // Opening a conversation is idempotent on its client_msg_id too.
    let open = json!({"body": "new issue", "client_msg_id": "open-1"});
    let (s1, r1) = app
        .post("/v1/widget/conversations", Some(&customer), open.clone())
        .await;
    let (s2, r2) = app
        .post("/v1/widget/conversations", Some(&customer), open)
        .await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(r1["conversation"]["id"], r2["conversation"]["id"]);
    assert_eq!(r2["duplicate"], true);
}

#[tokio::test]
async fn a_bad_frame_errors_only_its_own_connection() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("dave@example.com").await;
    let conv = app.open_conversation(&customer, "hi").await;
    let mut bad = app.ws(&customer).await;
    let mut good = app.ws(&agent).await;
    bad.subscribe(&conv, None).await;
    good.subscribe(&conv, None).await;

    bad.send_text("{this is not json").await;
    assert_eq!(bad.recv_type("error").await["code"], "malformed");
    bad.send(json!({"type": "launch", "ref": "r1"})).await;
    let err = bad.recv_type("error").await;
    assert_eq!(
        (err["code"].as_str(), err["ref"].as_str()),
        (Some("unknown_type"), Some("r1"))
    );
    bad.send(json!({"type": "send", "conversation_id": conv, "client_msg_id": "x", "body": "b", "extra": true})).await;
    assert_eq!(bad.recv_type("error").await["code"], "invalid_frame");
    let huge = "x".repeat(70 * 1024);
    bad.send(
        json!({"type": "send", "conversation_id": conv, "client_msg_id": "big", "body": huge}),
    )
    .await;
    assert_eq!(bad.recv_type("error").await["code"], "too_large");
    bad.stream
        .send(tokio_tungstenite::tungstenite::Message::Binary(
            vec![0xff, 0xfe].into(),
        ))
        .await
        .unwrap();
    assert_eq!(bad.recv_type("error").await["code"], "unsupported");
    let empty = bad.send_message(&conv, "e", "   ").await;
    assert_eq!(empty["code"], "bad_request");

    // The other connection noticed nothing; the bad one still works.
    assert!(quiet(&mut good).await.is_none());
    let ack = bad.send_message(&conv, "ok-1", "still here").await;
    assert_eq!(ack["type"], "ack");
    assert_eq!(good.next_event().await["kind"]["body"], "still here");
    // Nothing the bad frames carried was stored.
    let (_, history) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    let messages = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == "message")
        .count();
    assert_eq!(messages, 2);
}

use futures_util::SinkExt;

#[tokio::test]
async fn websocket_authentication_and_close_reasons() {
    let app = TestApp::spawn_with(|c| {
        c.limits.hello_timeout_secs = 1;
        c.limits.heartbeat_interval_secs = 1;
        c.limits.heartbeat_timeout_secs = 2;
    })
    .await;
    // A bad token closes with 4001.
    let mut ws = app.ws_raw().await;
    ws.send(json!({"type": "hello", "v": 1, "token": "tdc_forged"}))
        .await;
    let closed = ws.closed().await;
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (Some(4001), "unauthorized")
    );
    // Silence instead of hello closes with 4005.
    let mut ws = app.ws_raw().await;
    assert_eq!(ws.closed().await.code, Some(4005));
    // Another protocol version closes with 4006.
    let (customer, _) = app.customer().await;
    let mut ws = app.ws_raw().await;
    ws.send(json!({"type": "hello", "v": 2, "token": customer}))
        .await;
    assert_eq!(ws.closed().await.code, Some(4006));
    // A client that stops answering pings is closed for heartbeat timeout.
    let mut ws = app.ws(&customer).await;
    tokio::time::sleep(Duration::from_millis(3500)).await; // not reading: no pongs
    let closed = ws.closed().await;
    assert_eq!(closed.code, Some(4003), "{closed:?}");
    // A client that keeps reading stays connected past the timeout.
    let mut alive = app.ws(&customer).await;
    assert!(alive.try_recv(Duration::from_millis(3500)).await.is_none());
    alive.send(json!({"type": "ping", "ref": "p"})).await;
    assert_eq!(alive.recv_type("pong").await["ref"], "p");
}

#[tokio::test]
async fn logout_revokes_the_session_and_closes_its_websockets() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.agent("erin@example.com").await;
    let mut ws = app.ws(&agent).await;
    let (status, _) = app.post("/v1/agent/logout", Some(&agent), json!({})).await;
    assert_eq!(status, 204);
    let closed = ws.closed().await;
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (Some(4002), "session_revoked")
    );
    let (status, _) = app.get("/v1/agent/me", Some(&agent)).await;
    assert_eq!(status, 401, "the token is dead");
}

#[tokio::test]
async fn graceful_shutdown_says_going_away() {
    let mut app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let mut ws = app.ws(&customer).await;
    let stopping = tokio::spawn(async move {
        app.shutdown().await;
    });
    let closed = ws.closed().await;
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (Some(1001), "going_away")
    );
    stopping.await.unwrap();
}

#[tokio::test]
async fn agents_get_live_inbox_updates_and_typing() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.agent("frank@example.com").await;
    let (customer, _) = app.customer().await;
    let mut aws = app.ws(&agent).await;
    aws.send(json!({"type": "subscribe_inbox"})).await;
    aws.recv_type("inbox_subscribed").await;
    let conv = app.open_conversation(&customer, "new question").await;
    let update = aws.recv_type("conversation").await;
    assert_eq!(update["conversation"]["id"], conv.as_str());
    assert!(update["conversation"]["last_seq"].as_i64().unwrap() >= 1);
    // Customers have no inbox.
    let mut cws = app.ws(&customer).await;
    cws.send(json!({"type": "subscribe_inbox"})).await;
    assert_eq!(cws.recv_type("error").await["code"], "forbidden");
    // Typing reaches the other side, not the typist.
    aws.subscribe(&conv, None).await;
    cws.subscribe(&conv, None).await;
    cws.send(json!({"type": "typing", "conversation_id": conv}))
        .await;
    let typing = aws.recv_type("typing").await;
    assert_eq!(typing["actor"]["type"], "customer");
    assert!(quiet(&mut cws).await.is_none());
}

/// The next frame within 300 ms other than a `queue` update (a waiting
/// conversation's subscribers get its queue position; that is not noise
/// from another client).
async fn quiet(ws: &mut common::Ws) -> Option<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = ws.try_recv(left).await?;
        if frame["type"] != "queue" {
            return Some(frame);
        }
    }
}

#[tokio::test]
async fn refused_frames_close_with_the_rfc_6455_codes() {
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let app = TestApp::spawn_with(|c| c.limits.max_frame_bytes = 1000).await;
    let (customer, _) = app.customer().await;
    // Over max_frame_bytes but under the hard cap: an error, the socket lives.
    let mut ws = app.ws(&customer).await;
    ws.send_text(&"x".repeat(2000)).await;
    assert_eq!(ws.recv().await["code"], "too_large");
    // Over the hard cap (1 MiB here): 1009.
    ws.send_text(&"x".repeat((1 << 20) + 1)).await;
    let closed = ws.closed().await;
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (Some(1009), "message_too_big")
    );
    // A text frame that is not UTF-8: 1007, also before hello.
    for authenticated in [true, false] {
        let mut ws = if authenticated {
            app.ws(&customer).await
        } else {
            app.ws_raw().await
        };
        let frame = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
        ws.stream.send(Message::Frame(frame)).await.unwrap();
        let closed = ws.closed().await;
        assert_eq!(
            (closed.code, closed.reason.as_str()),
            (Some(1007), "invalid_utf8"),
            "authenticated: {authenticated}"
        );
    }
}

/// A WebSocket whose client reads nothing, with a receive buffer as small
/// as the kernel allows: the server's writes to it stall at once.
async fn stalled_agent_socket(app: &TestApp, token: &str, conversation: &str) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(app.addr).await.unwrap();
    let (stream, _) = tokio_tungstenite::client_async(
        format!("ws://{}/v1/ws", app.addr),
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
    )
    .await
    .unwrap();
    let mut ws = Ws { stream };
    ws.send(json!({"type": "hello", "v": 1, "token": token}))
        .await;
    assert_eq!(ws.recv().await["type"], "welcome");
    let (_, subscribed) = ws.subscribe(conversation, None).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    ws
}

/// The agent's live connections as the supervisors' queue view shows them.
async fn connections_of(app: &TestApp, supervisor: &str, agent_id: &str) -> u64 {
    let (status, queue) = app.get("/v1/agent/queue", Some(supervisor)).await;
    assert_eq!(status, 200, "{queue}");
    queue["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_id"] == agent_id)
        .map(|a| a["connections"].as_u64().unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_socket_that_stops_reading_is_closed_within_the_heartbeat_timeout() {
    let app = TestApp::spawn_with(|c| {
        c.limits.heartbeat_interval_secs = 1;
        c.limits.heartbeat_timeout_secs = 2;
    })
    .await;
    let (customer, _) = app.customer().await;
    let conv = app.open_conversation(&customer, "busy conversation").await;
    let (supervisor, _) = app
        .agent_with_role("lead@example.com", trustdesk_core::Role::Supervisor)
        .await;
    let (writer, _) = app.agent("writer@example.com").await;
    let (reader, reader_id) = app.agent("stalled@example.com").await;
    let _stalled = stalled_agent_socket(&app, &reader, &conv).await;
    assert_eq!(connections_of(&app, &supervisor, &reader_id).await, 1);

    // Far more than any socket buffer holds: the server's write to the
    // stalled reader blocks early in this.
    let note = "n".repeat(9_000);
    let path = format!("/v1/agent/conversations/{conv}/notes");
    for i in 0..600 {
        let (status, res) = app
            .post(&path, Some(&writer), json!({"body": format!("{i} {note}")}))
            .await;
        assert_eq!(status, 201, "{res}");
    }
    // The reader is closed within the heartbeat timeout of its write
    // blocking (and its presence goes with it), though it never reads.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    loop {
        if connections_of(&app, &supervisor, &reader_id).await == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stalled socket is still open"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
