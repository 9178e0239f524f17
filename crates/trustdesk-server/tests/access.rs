//! Who may see what: conversation isolation between customers, verified
//! identities, agent login, and error bodies.

mod common;

use common::*;
use serde_json::json;
use std::sync::Arc;
use trustdesk_server::auth::identity;

#[tokio::test]
async fn a_customer_gets_the_same_404_for_anothers_conversation_as_for_a_missing_one() {
    let app = TestApp::spawn().await;
    let (alice, _) = app.customer().await;
    let (mallory, _) = app.customer().await;
    let theirs = app.open_conversation(&alice, "my private problem").await;
    let missing = trustdesk_core::ConversationId::new().to_string();

    for id in [theirs.as_str(), missing.as_str(), "not-a-uuid"] {
        let (status, body) = app
            .get(&format!("/v1/widget/conversations/{id}"), Some(&mallory))
            .await;
        assert_eq!(status, 404, "GET {id}");
        assert_eq!(
            body,
            json!({"error": {"code": "not_found", "message": "not found"}})
        );
        let (status, body) = app
            .post(
                &format!("/v1/widget/conversations/{id}/messages"),
                Some(&mallory),
                json!({"body": "x", "client_msg_id": "m"}),
            )
            .await;
        assert_eq!(status, 404, "POST {id}");
        assert_eq!(
            body,
            json!({"error": {"code": "not_found", "message": "not found"}})
        );
    }
    // Over WebSocket: subscribe, send, typing.
    let mut ws = app.ws(&mallory).await;
    let mut answers = Vec::new();
    for id in [theirs.as_str(), missing.as_str()] {
        let (events, frame) = ws.subscribe(id, Some(0)).await;
        assert!(events.is_empty(), "nothing replayed");
        answers.push((
            frame["type"].clone(),
            frame["code"].clone(),
            frame["message"].clone(),
        ));
        let ack = ws.send_message(id, "m1", "let me in").await;
        answers.push((
            ack["type"].clone(),
            ack["code"].clone(),
            ack["message"].clone(),
        ));
    }
    assert_eq!(answers[0], answers[2], "subscribe: theirs vs missing");
    assert_eq!(answers[1], answers[3], "send: theirs vs missing");
    assert_eq!(answers[0].1, "not_found");
    ws.send(json!({"type": "typing", "conversation_id": theirs}))
        .await;
    assert_eq!(ws.recv_type("error").await["code"], "not_subscribed");
    // Her list does not show it; nothing was written to it.
    let (_, list) = app.get("/v1/widget/conversations", Some(&mallory)).await;
    assert_eq!(list["conversations"], json!([]));
    let (_, hers) = app
        .get(&format!("/v1/widget/conversations/{theirs}"), Some(&alice))
        .await;
    let messages = hers["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == "message")
        .count();
    assert_eq!(messages, 1);
    // A customer token is not an agent token.
    let (status, _) = app
        .get(&format!("/v1/agent/conversations/{theirs}"), Some(&alice))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_forged_identity_is_refused_and_a_signed_one_is_the_same_customer_every_time() {
    let app = TestApp::spawn().await;
    let secret = IDENTITY_SECRET.to_owned().into();
    let good = identity::user_hash(&secret, "user-7");
    let forged = identity::user_hash(&"guessed-secret".to_owned().into(), "user-7");
    let wrong_user = identity::user_hash(&secret, "user-8");
    for hash in [forged.as_str(), wrong_user.as_str(), "", "zz"] {
        let (status, body) = app
            .post(
                "/v1/widget/sessions",
                None,
                json!({"identity": {"user_id": "user-7", "user_hash": hash}}),
            )
            .await;
        assert_eq!(status, 401, "hash {hash:?}: {body}");
        assert!(body.get("token").is_none());
    }
    let start = json!({"identity": {"user_id": "user-7", "user_hash": good, "name": "Wang"}});
    let (status, first) = app.post("/v1/widget/sessions", None, start.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["customer"]["external_id"], "user-7");
    let (_, second) = app.post("/v1/widget/sessions", None, start).await;
    assert_eq!(first["customer"]["id"], second["customer"]["id"]);
    // Both sessions see the same conversations.
    let t1 = first["token"].as_str().unwrap();
    let t2 = second["token"].as_str().unwrap();
    let conv = app.open_conversation(t1, "from my phone").await;
    let (status, _) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(t2))
        .await;
    assert_eq!(status, 200);
    // Without a configured secret, identities cannot be verified at all.
    let open = TestApp::spawn_with(|c| c.widget.identity_secret = None).await;
    let (status, body) = open
        .post(
            "/v1/widget/sessions",
            None,
            json!({"identity": {"user_id": "user-7", "user_hash": good}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn login_answers_the_same_for_unknown_accounts_and_wrong_passwords() {
    let app = TestApp::spawn().await;
    app.agent("grace@example.com").await;
    let (s1, b1) = app
        .post(
            "/v1/agent/login",
            None,
            json!({"email": "grace@example.com", "password": "wrong password!"}),
        )
        .await;
    let (s2, b2) = app
        .post(
            "/v1/agent/login",
            None,
            json!({"email": "nobody@example.com", "password": "wrong password!"}),
        )
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2);
    let (s3, b3) = app.login("GRACE@example.com", PASSWORD).await;
    assert_eq!(s3, 200, "emails are case-insensitive: {b3}");
    assert!(b3["token"].as_str().unwrap().starts_with("tda_"));
    assert!(b3["agent"].get("password_hash").is_none());
}

#[tokio::test]
async fn agent_inbox_filters_and_status_changes() {
    let app = TestApp::spawn().await;
    let (agent, agent_id) = app.agent("heidi@example.com").await;
    let (customer, _) = app.customer().await;
    let a = app.open_conversation(&customer, "one").await;
    let b = app.open_conversation(&customer, "two").await;
    let (status, _) = app
        .post(
            &format!("/v1/agent/conversations/{a}/assign"),
            Some(&agent),
            json!({"agent_id": agent_id}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, mine) = app
        .get("/v1/agent/conversations?assignee=me", Some(&agent))
        .await;
    let ids: Vec<_> = mine["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![a.clone()]);
    let (_, unassigned) = app
        .get(
            "/v1/agent/conversations?assignee=unassigned&status=open",
            Some(&agent),
        )
        .await;
    let ids: Vec<_> = unassigned["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![b.clone()]);
    let (status, err) = app
        .get("/v1/agent/conversations?status=bogus", Some(&agent))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );

    // Resolve; the customer's next message reopens it.
    let path = format!("/v1/agent/conversations/{a}/status");
    let (status, res) = app
        .post(&path, Some(&agent), json!({"status": "resolved"}))
        .await;
    assert_eq!(status, 200, "{res}");
    let (status, _) = app
        .post(&path, Some(&agent), json!({"status": "resolved"}))
        .await;
    assert_eq!(status, 409, "already resolved");
    let (status, _) = app
        .post(&path, Some(&agent), json!({"status": "snoozed"}))
        .await;
    assert_eq!(status, 400, "snooze needs a time");
    app.post(
        &format!("/v1/widget/conversations/{a}/messages"),
        Some(&customer),
        json!({"body": "it happened again"}),
    )
    .await;
    let (_, view) = app
        .get(&format!("/v1/agent/conversations/{a}"), Some(&agent))
        .await;
    assert_eq!(view["conversation"]["status"], "open");
    let last = view["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["kind"],
        json!({"type": "status_changed", "from": "resolved", "to": "open"})
    );
    assert_eq!(view["customer"]["id"], view["conversation"]["customer_id"]);
    // Closed stays closed: the customer is told to start anew.
    app.post(&path, Some(&agent), json!({"status": "closed"}))
        .await;
    let (status, err) = app
        .post(
            &format!("/v1/widget/conversations/{a}/messages"),
            Some(&customer),
            json!({"body": "hello?"}),
        )
        .await;
    assert_eq!(status, 409, "{err}");
}

#[tokio::test]
async fn health_openapi_and_error_bodies() {
    let app = TestApp::spawn().await;
    let (status, health) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["store"], "sqlite");
    let (status, doc) = app.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    for path in [
        "/v1/widget/sessions",
        "/v1/widget/conversations/{id}/messages",
        "/v1/agent/login",
        "/v1/agent/conversations/{id}/notes",
        "/healthz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    // Malformed JSON: a JSON error, no internals.
    let res = app
        .http
        .post(app.url("/v1/widget/sessions"))
        .header("content-type", "application/json")
        .body("{\"locale\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    let text = body.to_string();
    assert!(!text.contains("sqlx") && !text.contains("/work/") && !text.contains("panicked"));
    // Oversized bodies are refused before they are read whole.
    let big = "x".repeat(300 * 1024);
    let (status, _) = app
        .post("/v1/widget/sessions", None, json!({"locale": big}))
        .await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn the_spine_runs_on_postgres_too() {
    let Some(url) = trustdesk_store::testing::postgres_url() else {
        eprintln!("TRUSTDESK_TEST_POSTGRES_URL not set: skipped");
        return;
    };
    let store = trustdesk_store::testing::fresh_postgres(&url)
        .await
        .unwrap();
    let app = TestApp::spawn_on(Arc::new(store)).await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("ivan@example.com").await;
    let conv = app.open_conversation(&customer, "postgres please").await;
    let mut cws = app.ws(&customer).await;
    let mut aws = app.ws(&agent).await;
    cws.subscribe(&conv, Some(0)).await;
    aws.subscribe(&conv, Some(0)).await;
    assert_eq!(
        cws.send_message(&conv, "p1", "over postgres").await["type"],
        "ack"
    );
    assert_eq!(aws.next_event().await["kind"]["body"], "over postgres");
    assert_eq!(
        aws.send_message(&conv, "p2", "answered").await["type"],
        "ack"
    );
    let mut seen = cws.next_event().await;
    while seen["kind"]["body"] != "answered" {
        seen = cws.next_event().await;
    }
    let (_, health) = app.get("/healthz", None).await;
    assert_eq!(health["store"], "postgres");
}

#[tokio::test]
async fn the_anti_phishing_code_is_set_through_the_exchange_identity_and_never_shown_to_agents() {
    let app = TestApp::spawn().await;
    let secret = IDENTITY_SECRET.to_owned().into();
    let hash = identity::user_hash(&secret, "user-5");
    let (_, session) = app
        .post(
            "/v1/widget/sessions",
            None,
            json!({"identity": {"user_id": "user-5", "user_hash": hash}}),
        )
        .await;
    let customer = session["token"].as_str().unwrap().to_owned();
    let (anonymous, _) = app.customer().await;
    let path = "/v1/widget/anti-phishing-code";
    let now = app.state.clock.now().0 / 1000;
    let proof = |at: i64, nonce: &str| {
        json!({
            "issued_at": at,
            "nonce": nonce,
            "signature": identity::proof_signature(&secret, "anti_phishing_code", "user-5", at, nonce),
        })
    };
    let (status, _) = app
        .http
        .put(app.url(path))
        .bearer_auth(&anonymous)
        .json(&json!({"code": "BLUEFOX7", "proof": proof(now, "nonce-anonymous-01")}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 400, "anonymous visitors cannot set one");
    let put = |token: String, body: serde_json::Value| {
        let req = app.http.put(app.url(path)).bearer_auth(token).json(&body);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        put(
            customer.clone(),
            json!({"code": "BLUEFOX7", "user_hash": hash})
        )
        .await,
        400,
        "the static user hash is no longer proof enough"
    );
    let mut forged = proof(now, "nonce-forged-0001");
    forged["signature"] = json!(hash);
    assert_eq!(
        put(
            customer.clone(),
            json!({"code": "BLUEFOX7", "proof": forged})
        )
        .await,
        401,
        "the user hash in the signature's place"
    );
    assert_eq!(
        put(
            customer.clone(),
            json!({"code": "BLUEFOX7", "proof": proof(now - 600, "nonce-stale-00001")})
        )
        .await,
        401,
        "a proof from ten minutes ago"
    );
    assert_eq!(
        put(
            customer.clone(),
            json!({"code": "x", "proof": proof(now - 5, "nonce-short-code01")})
        )
        .await,
        400,
        "too short"
    );
    let fresh = proof(now - 2, "nonce-fresh-000001");
    assert_eq!(
        put(
            customer.clone(),
            json!({"code": "蓝狐狸2026", "proof": fresh.clone()})
        )
        .await,
        200
    );
    assert_eq!(
        put(
            customer.clone(),
            json!({"code": "EVILFOX1", "proof": fresh})
        )
        .await,
        401,
        "a proof works once: a captured one cannot be replayed"
    );
    let (_, got) = app.get(path, Some(&customer)).await;
    assert_eq!(got["code"], "蓝狐狸2026");
    let (_, other) = app.get(path, Some(&anonymous)).await;
    assert_eq!(other["code"], serde_json::Value::Null);
    // Agents never see it.
    let conv = app.open_conversation(&customer, "hello").await;
    let (agent, _) = app.agent("apc@example.com").await;
    let (_, view) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    assert!(!view.to_string().contains("蓝狐狸2026"));
}
