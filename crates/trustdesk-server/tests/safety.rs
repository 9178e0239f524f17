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

    let (status, _) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/status"),
            Some(&agent),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(status, 200);
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

    for entry in walk(app.data_dir()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        for s in secrets {
            assert!(!text.contains(s), "{s} is in {}", entry.display());
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
