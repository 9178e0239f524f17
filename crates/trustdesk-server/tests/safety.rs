//! Trust and safety on the message path: secrets never stored, shown or
//! fanned out; agents cannot ask for them.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

/// A checksum-valid BIP39 phrase (all-zero entropy).
const SEED: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

#[tokio::test]
async fn a_pasted_seed_phrase_is_nowhere_but_the_customers_own_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("guard.db");
    let store = std::sync::Arc::new(
        trustdesk_store::SqliteStore::open(&db, trustdesk_store::SqliteOptions::default())
            .await
            .unwrap(),
    );
    let app = TestApp::spawn_on(store).await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("sec@example.com").await;
    let mut aws = app.ws(&agent).await;
    aws.send(json!({"type": "subscribe_inbox"})).await;
    aws.recv_type("inbox_subscribed").await;

    // Opening message and a later message both carry secrets.
    let (status, created) = app
        .post(
            "/v1/widget/conversations",
            Some(&customer),
            json!({"body": format!("support asked me for my words: {SEED}")}),
        )
        .await;
    assert_eq!(status, 201);
    let conv = created["conversation"]["id"].as_str().unwrap().to_owned();
    let mut cws = app.ws(&customer).await;
    cws.subscribe(&conv, Some(0)).await;
    aws.subscribe(&conv, Some(0)).await;
    let ack = cws
        .send_message(
            &conv,
            "s-1",
            "my password is Tr0ub4dor&3xyz and the code 2FA 493021",
        )
        .await;
    assert_eq!(ack["type"], "ack");

    // What every party received.
    let mut seen = vec![created.to_string(), ack.to_string()];
    for ws in [&mut cws, &mut aws] {
        while let Some(frame) = ws.try_recv(Duration::from_millis(500)).await {
            seen.push(frame.to_string());
        }
    }
    let (_, customer_view) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    let (_, agent_view) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    seen.push(customer_view.to_string());
    seen.push(agent_view.to_string());
    let everything = seen.join("\n");
    for secret in ["abandon abandon", "Tr0ub4dor&3xyz", "493021"] {
        assert!(!everything.contains(secret), "{secret} reached a client");
    }
    assert!(
        everything.contains("[redacted:seed_phrase]"),
        "the marker stands in its place"
    );
    assert!(
        everything.contains("secret_redacted"),
        "the customer is told why"
    );

    // And the disk: the database file and its write-ahead log.
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&bytes);
            for secret in ["abandon abandon", "Tr0ub4dor&3xyz", "493021"] {
                assert!(!text.contains(secret), "{secret} is in {path}");
            }
        }
    }
    // The knowledge-base index only ever holds articles.
    assert!(app.state.kb.search("abandon", None, 10).unwrap().is_empty());
}

#[tokio::test]
async fn agents_cannot_send_messages_asking_for_secrets() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("scam@example.com").await;
    let conv = app
        .open_conversation(&customer, "help with my wallet")
        .await;
    let path = format!("/v1/agent/conversations/{conv}/messages");
    let (status, err) = app
        .post(
            &path,
            Some(&agent),
            json!({"body": "To verify your wallet, please send me your 12-word seed phrase."}),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["code"], "blocked");
    let mut aws = app.ws(&agent).await;
    let blocked = aws
        .send_message(&conv, "x1", "请把您的谷歌验证码发给我")
        .await;
    assert_eq!(blocked["code"], "blocked");
    let (status, _) = app
        .post(
            &path,
            Some(&agent),
            json!({"body": "Never share your seed phrase with anyone, including us."}),
        )
        .await;
    assert_eq!(status, 201);
    // Internal notes may discuss it: the customer never sees them.
    let (status, _) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/notes"),
            Some(&agent),
            json!({"body": "Scammer asked them for the seed phrase"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, history) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    assert!(!history.to_string().contains("send me your 12-word"));
}

#[tokio::test]
async fn agents_see_the_crypto_context_of_a_message_and_the_customer_does_not() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("chain@example.com").await;
    let (_, created) = app
        .post("/v1/widget/conversations", Some(&customer), json!({"body": "My ERC20 USDT withdrawal to TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW never arrived"}))
        .await;
    let conv = created["conversation"]["id"].as_str().unwrap();
    let (_, view) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    let ctx = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["type"] == "crypto_context")
        .expect("crypto context")
        .clone();
    assert_eq!(ctx["visibility"], "internal");
    let m = &ctx["kind"]["mentions"][0];
    assert_eq!(m["text"], "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW");
    assert_eq!(m["networks"][0], "tron");
    assert_eq!(m["valid"], true);
    assert_eq!(
        m["mismatch"], "evm",
        "a TRON address given for an ERC20 withdrawal"
    );
    let (_, mine) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    assert!(!mine.to_string().contains("crypto_context"));
}

/// Every free-text field a customer supplies besides the message body — the
/// subject, the name and email of a signed identity, a file name, a rating
/// comment — passes the guard before the store: none of the secrets is in
/// what either side is shown or in any file of the data folder afterwards.
#[tokio::test]
async fn secrets_in_any_customer_field_are_neither_stored_nor_shown() {
    const WIF: &str = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";
    const CARD: &str = "4111 1111 1111 1111";
    let secrets = ["abandon abandon", WIF, CARD];
    let app = TestApp::spawn().await;
    let secret = IDENTITY_SECRET.to_owned().into();
    let hash = trustdesk_server::auth::identity::user_hash(&secret, "user-leaky");
    let (status, session) = app
        .post(
            "/v1/widget/sessions",
            None,
            json!({"identity": {
                "user_id": "user-leaky",
                "user_hash": hash,
                "name": format!("Wang {SEED}"),
                "email": format!("{WIF}@x.io"),
            }}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let customer = session["token"].as_str().unwrap().to_owned();
    let (agent, _) = app.agent("fields@test.trustdesk").await;

    let (status, created) = app
        .post(
            "/v1/widget/conversations",
            Some(&customer),
            json!({"subject": format!("card {CARD} key {WIF}"), "body": "my withdrawal is stuck"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let conv = created["conversation"]["id"].as_str().unwrap().to_owned();
    assert!(
        created.to_string().contains("secret_redacted"),
        "the customer is told even when only the subject held a secret: {created}"
    );

    let res = reqwest::Client::new()
        .post(app.url(&format!("/v1/widget/conversations/{conv}/attachments")))
        .query(&[("name", format!("{WIF}.txt"))])
        .bearer_auth(&customer)
        .header("content-type", "text/plain")
        .body("screenshot text")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);

    app.resolve(&agent, &conv).await;
    let (status, rated) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/rating"),
            Some(&customer),
            json!({"score": 2, "comment": format!("you never asked for {CARD}")}),
        )
        .await;
    assert_eq!(status, 201, "{rated}");

    let (_, customer_view) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    let (_, agent_view) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    let (_, inbox) = app.get("/v1/agent/conversations", Some(&agent)).await;
    let shown = [
        session,
        created,
        rated,
        customer_view,
        agent_view.clone(),
        inbox,
    ]
    .map(|v| v.to_string())
    .join("\n");
    for s in secrets {
        assert!(!shown.contains(s), "{s} reached a client");
    }
    assert!(
        agent_view.to_string().contains("Wang"),
        "the rest of the name is kept"
    );

    assert_nowhere_on_disk(app.data_dir(), &secrets);
}

/// Walks the OpenAPI document: every string a customer can send (JSON body
/// fields, nested ones included, and query parameters of every write under
/// `/v1/widget/` and the public report form) gets a seed phrase, a WIF key
/// and a card number, one field at a time on an otherwise valid request;
/// then a customer `send` frame does the same. Whatever the server accepts
/// must leave no trace of the three in any response or any file of the
/// data folder. A field added to a customer schema is walked without
/// anyone listing it here.
#[tokio::test]
async fn every_customer_writable_field_of_the_openapi_document_is_screened() {
    const WIF: &str = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";
    const CARD: &str = "4111 1111 1111 1111";
    let poison = format!("note {SEED} key {WIF} card {CARD}");
    let secrets = ["abandon abandon", WIF, CARD, "4111111111111111"];
    let app = TestApp::spawn().await;
    let secret = IDENTITY_SECRET.to_owned().into();
    let user = "user-walker";
    let hash = trustdesk_server::auth::identity::user_hash(&secret, user);
    let (status, session) = app
        .post(
            "/v1/widget/sessions",
            None,
            json!({"identity": {"user_id": user, "user_hash": hash}}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let customer = session["token"].as_str().unwrap().to_owned();
    let (agent, _) = app.agent("walker@test.trustdesk").await;
    let (_, doc) = app.get("/openapi.json", None).await;
    let schemas = doc["components"]["schemas"].clone();

    let mut shown = Vec::new();
    let mut accepted = std::collections::BTreeSet::new();
    let mut proofs = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !(path.starts_with("/v1/widget/") || path == "/v1/verify/report") {
            continue;
        }
        for (method, op) in ops.as_object().unwrap() {
            if !["post", "put", "patch"].contains(&method.as_str()) {
                continue;
            }
            let body_schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let mut fields = Vec::new();
            string_fields(body_schema, &schemas, &mut Vec::new(), &mut fields);
            let query: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| {
                    p["in"] == "query" && p["schema"]["type"].to_string().contains("string")
                })
                .map(|p| format!("?{}", p["name"].as_str().unwrap()))
                .collect();
            for field in fields.into_iter().map(|f| f.join(".")).chain(query) {
                let conv = app.open_conversation(&customer, "walking the API").await;
                if path.ends_with("/rating") {
                    app.resolve(&agent, &conv).await;
                }
                // The whole poison first; fields with a length limit get
                // each secret alone.
                for value in [poison.as_str(), SEED, WIF, CARD] {
                    proofs += 1;
                    let mut body = baseline(path, user, &hash, &secret, proofs);
                    let mut url = app.url(&path.replace("{id}", &conv));
                    if let Some(name) = field.strip_prefix('?') {
                        url = format!("{url}?{name}={}", urlencode(value));
                    } else {
                        set_field(&mut body, &field, json!(value));
                    }
                    let request = app
                        .http
                        .request(method.to_uppercase().parse().unwrap(), &url);
                    let request = if path.ends_with("/sessions") {
                        request
                    } else {
                        request.bearer_auth(&customer)
                    };
                    let request = if op["requestBody"]["content"]["application/json"].is_null() {
                        request
                            .header("content-type", "text/plain")
                            .body("a plain file")
                    } else {
                        request.json(&body)
                    };
                    let res = request.send().await.unwrap();
                    let status = res.status().as_u16();
                    let text = res.text().await.unwrap();
                    assert!(status < 500, "{method} {path} {field}: {status} {text}");
                    shown.push(text);
                    if status < 300 {
                        accepted.insert(format!("{path} {field}"));
                        break;
                    }
                }
            }
        }
    }
    // The socket: a customer's `send` frame.
    let conv = app.open_conversation(&customer, "walking the socket").await;
    let mut ws = app.ws(&customer).await;
    ws.subscribe(&conv, None).await;
    let ack = ws.send_message(&conv, "walk-ws-1", &poison).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    shown.push(ack.to_string());
    shown.push(ws.next_event().await.to_string());

    for must in [
        "/v1/widget/sessions identity.name",
        "/v1/widget/sessions identity.email",
        "/v1/widget/conversations subject",
        "/v1/widget/conversations body",
        "/v1/widget/conversations/{id}/messages body",
        "/v1/widget/conversations/{id}/rating comment",
        "/v1/widget/conversations/{id}/attachments ?name",
        "/v1/verify/report value",
        "/v1/verify/report details",
    ] {
        assert!(
            accepted.contains(must),
            "{must} was not exercised: {accepted:?}"
        );
    }
    for view in [
        "/v1/agent/conversations".to_owned(),
        format!("/v1/agent/conversations/{conv}"),
        format!("/v1/agent/conversations/{conv}/events"),
    ] {
        shown.push(app.get(&view, Some(&agent)).await.1.to_string());
    }
    shown.push(
        app.get("/v1/widget/conversations", Some(&customer))
            .await
            .1
            .to_string(),
    );
    for text in &shown {
        for s in secrets {
            assert!(!text.contains(s), "{s} reached a client: {text}");
        }
    }
    assert_nowhere_on_disk(app.data_dir(), &secrets);
}

/// A valid request body for each customer write, so that one poisoned
/// field is the only thing that can make it fail.
fn baseline(
    path: &str,
    user: &str,
    hash: &str,
    secret: &secrecy::SecretString,
    n: i64,
) -> serde_json::Value {
    match path {
        "/v1/widget/sessions" => json!({"locale": "en", "identity": {
            "user_id": user, "user_hash": hash, "name": "Walker", "email": "walker@example.com"}}),
        "/v1/widget/conversations" => json!({"subject": "walk", "body": "hello",
            "language": "en", "client_msg_id": format!("walk-open-{n}")}),
        "/v1/widget/conversations/{id}/messages" => {
            json!({"body": "hello", "client_msg_id": format!("walk-msg-{n}")})
        }
        "/v1/widget/conversations/{id}/rating" => json!({"score": 3, "comment": "fine"}),
        "/v1/widget/anti-phishing-code" => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            let at = now - 250 + n;
            let nonce = format!("walker-nonce-{n:08}");
            let signature = trustdesk_server::auth::identity::proof_signature(
                secret,
                "anti_phishing_code",
                user,
                at,
                &nonce,
            );
            json!({"code": "BLUEFOX7", "proof": {"issued_at": at, "nonce": nonce, "signature": signature}})
        }
        "/v1/verify/report" => json!({"value": "evil.example", "details": "they asked me to pay"}),
        _ => json!({}),
    }
}

/// The dotted paths of every string field of a schema.
fn string_fields(
    schema: &serde_json::Value,
    schemas: &serde_json::Value,
    at: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) {
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.rsplit('/').next().unwrap();
        return string_fields(&schemas[name], schemas, at, out);
    }
    for variant in schema["oneOf"].as_array().into_iter().flatten() {
        string_fields(variant, schemas, at, out);
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, prop) in props {
            at.push(name.clone());
            string_fields(prop, schemas, at, out);
            at.pop();
        }
    } else if schema["type"].to_string().contains("string") && !at.is_empty() {
        out.push(at.clone());
    }
}

fn set_field(body: &mut serde_json::Value, dotted: &str, value: serde_json::Value) {
    let mut at = body;
    let parts: Vec<&str> = dotted.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        at = &mut at[*part];
    }
    at[parts[parts.len() - 1]] = value;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
