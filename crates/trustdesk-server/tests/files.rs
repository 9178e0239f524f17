//! Attachments, customer satisfaction ratings and canned responses, through
//! the real server.

mod common;

use common::*;
use serde_json::{Value, json};
use trustdesk_core::Role;

const SEED: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload(app: &TestApp, path: &str, token: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(app.url(path))
        .query(&[("name", name)])
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn download(app: &TestApp, id: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(&format!("/v1/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_shared_image_reaches_the_agent_as_a_sandboxed_download_and_nobody_else() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("files@test.trustdesk").await;
    let conv = app
        .open_conversation(&customer, "my deposit is missing, screenshot attached")
        .await;

    let (status, posted) = upload(
        &app,
        &format!("/v1/widget/conversations/{conv}/attachments"),
        &customer,
        "../../screenshot.html",
        PNG,
    )
    .await;
    assert_eq!(status, 201, "{posted}");
    let file = &posted["event"]["kind"]["file"];
    assert_eq!(posted["event"]["kind"]["type"], "attachment");
    assert_eq!(file["mime"], "image/png", "the type comes from the content");
    assert_eq!(
        file["name"], "screenshot.html.png",
        "no path, the real extension"
    );
    assert_eq!(file["size"], PNG.len());
    let id = file["id"].as_str().unwrap();

    // The agent sees the event in the conversation and can fetch the bytes.
    let (_, history) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    assert!(
        history["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"]["file"]["id"] == id),
        "{history}"
    );
    let res = download(&app, id, &agent).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // Another customer, a made-up id and no token all get nothing.
    let (stranger, _) = app.customer().await;
    assert_eq!(download(&app, id, &stranger).await.status(), 404);
    assert_eq!(
        download(
            &app,
            &trustdesk_core::AttachmentId::new().to_string(),
            &agent
        )
        .await
        .status(),
        404
    );
    assert_eq!(download(&app, "not-an-id", &agent).await.status(), 404);
    let (status, _) = upload(
        &app,
        &format!("/v1/widget/conversations/{conv}/attachments"),
        &stranger,
        "x.png",
        PNG,
    )
    .await;
    assert_eq!(status, 404, "no upload into someone else's conversation");
}

#[tokio::test]
async fn html_svg_and_executables_are_refused_whatever_they_are_called() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let conv = app.open_conversation(&customer, "hello").await;
    let path = format!("/v1/widget/conversations/{conv}/attachments");
    for (name, bytes) in [
        (
            "photo.png",
            &b"<html><script>alert(document.cookie)</script></html>"[..],
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        ),
        ("scan.jpg", b"<?xml version=\"1.0\"?><svg/>"),
        ("setup.pdf", b"MZ\x90\0\x03\0\0\0\x04\0"),
    ] {
        let (status, body) = upload(&app, &path, &customer, name, bytes).await;
        assert_eq!(status, 415, "{name}: {body}");
        assert_eq!(body["error"]["code"], "unsupported_type");
    }
    let (status, body) = upload(&app, &path, &customer, "empty.txt", b"").await;
    assert_eq!(status, 400, "{body}");
    // Nothing was stored for the refused files.
    let (_, history) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    assert!(
        !history["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"]["type"] == "attachment")
    );
}

#[tokio::test]
async fn oversize_files_get_a_clear_error() {
    let app = TestApp::spawn_with(|c| c.limits.attachment_max_bytes = 1024).await;
    let (customer, _) = app.customer().await;
    let conv = app.open_conversation(&customer, "hello").await;
    let mut big = PNG.to_vec();
    big.resize(5000, 0);
    let (status, body) = upload(
        &app,
        &format!("/v1/widget/conversations/{conv}/attachments"),
        &customer,
        "big.png",
        &big,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large");
}

#[tokio::test]
async fn a_seed_phrase_in_a_text_file_is_redacted_before_it_is_stored() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("redact@test.trustdesk").await;
    let conv = app
        .open_conversation(&customer, "here is my wallet backup")
        .await;
    let text = format!("wallet backup\n{SEED}\n");
    let (status, posted) = upload(
        &app,
        &format!("/v1/widget/conversations/{conv}/attachments"),
        &customer,
        "backup.txt",
        text.as_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{posted}");
    let id = posted["event"]["kind"]["file"]["id"].as_str().unwrap();
    let stored = download(&app, id, &agent).await.text().await.unwrap();
    assert!(stored.starts_with("wallet backup"), "{stored}");
    assert!(
        !stored.contains("abandon"),
        "the agent never sees the phrase: {stored}"
    );
    // The customer is told why, like for a message.
    let (_, history) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    assert!(
        history["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"]["code"] == "secret_redacted"),
        "{history}"
    );
    // And the phrase is nowhere in the database files (main file and WAL).
    let contains = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let mut stored_text_seen = false;
    for entry in std::fs::read_dir(app.data_dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        assert!(!contains(&bytes, b"abandon abandon"), "seed phrase on disk");
        stored_text_seen |= contains(&bytes, b"wallet backup\n");
    }
    assert!(
        stored_text_seen,
        "the scan reads the files the store writes"
    );
}

#[tokio::test]
async fn customers_rate_resolved_conversations_once_and_agents_see_the_score() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("csat@test.trustdesk").await;
    let conv = app
        .open_conversation(&customer, "how do I change my phone number")
        .await;
    let rating = |score: u8, comment: &str| json!({"score": score, "comment": comment});
    let path = format!("/v1/widget/conversations/{conv}/rating");

    let (status, body) = app.post(&path, Some(&customer), rating(5, "great")).await;
    assert_eq!(status, 409, "not resolved yet: {body}");

    app.resolve(&agent, &conv).await;

    let (status, _) = app.post(&path, Some(&customer), rating(6, "")).await;
    assert_eq!(status, 400);
    let (status, _) = app.post(&path, Some(&customer), json!({"score": 0})).await;
    assert_eq!(status, 400);
    let (stranger, _) = app.customer().await;
    let (status, _) = app.post(&path, Some(&stranger), rating(1, "")).await;
    assert_eq!(status, 404, "only the conversation's customer rates it");

    let (status, body) = app
        .post(
            &path,
            Some(&customer),
            rating(4, &format!("fast, thanks. my words: {SEED}")),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["event"]["kind"]["score"], 4);
    let comment = body["event"]["kind"]["comment"].as_str().unwrap();
    assert!(comment.starts_with("fast, thanks"), "{comment}");
    assert!(
        !comment.contains("abandon"),
        "the comment passed the guard: {comment}"
    );

    let (status, _) = app
        .post(&path, Some(&customer), rating(1, "changed my mind"))
        .await;
    assert_eq!(status, 409, "one rating per resolution");

    // The agent sees it in the conversation and in the summary.
    let (_, history) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    assert!(
        history["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"]["type"] == "rated")
    );
    let (status, stats) = app.get("/v1/agent/stats/csat", Some(&agent)).await;
    assert_eq!(status, 200);
    assert_eq!(stats["ratings"], 1);
    assert_eq!(stats["average"], 4.0);
    assert_eq!(stats["distribution"], json!([0, 0, 0, 1, 0]));

    // Reopened by the customer and resolved again: a new rating is welcome.
    let (status, _) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/messages"),
            Some(&customer),
            json!({"body": "one more question"}),
        )
        .await;
    assert_eq!(status, 201);
    app.resolve(&agent, &conv).await;
    let (status, _) = app.post(&path, Some(&customer), rating(2, "")).await;
    assert_eq!(status, 201);
    let (_, stats) = app.get("/v1/agent/stats/csat", Some(&agent)).await;
    assert_eq!(stats["ratings"], 2);
    assert_eq!(stats["average"], 3.0);
    assert_eq!(stats["satisfied_share"], 0.5);
}

#[tokio::test]
async fn canned_responses_are_written_by_supervisors_and_checked_by_the_guard() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.agent("canned-agent@test.trustdesk").await;
    let (supervisor, _) = app
        .agent_with_role("canned-sup@test.trustdesk", Role::Supervisor)
        .await;
    let reply = json!({
        "shortcut": "/Deposit-Delay",
        "title": "Deposit not arrived",
        "body": "Hi {{customer.name}}, deposits need 12 network confirmations. Could you share the txid?",
        "locale": "en"
    });

    let (status, _) = app
        .post("/v1/agent/canned", Some(&agent), reply.clone())
        .await;
    assert_eq!(
        status, 403,
        "agents read canned responses, they don't write them"
    );

    let (status, created) = app
        .post("/v1/agent/canned", Some(&supervisor), reply.clone())
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["shortcut"], "deposit-delay");
    let (status, _) = app
        .post("/v1/agent/canned", Some(&supervisor), reply.clone())
        .await;
    assert_eq!(status, 409, "the shortcut is taken");

    let (status, body) = app
        .post(
            "/v1/agent/canned",
            Some(&supervisor),
            json!({"shortcut": "verify", "title": "Verify", "body": "To verify your wallet please send us your seed phrase."}),
        )
        .await;
    assert_eq!(
        status, 422,
        "a template asking for a seed phrase is refused: {body}"
    );
    assert_eq!(body["error"]["code"], "blocked");
    let (status, _) = app
        .post(
            "/v1/agent/canned",
            Some(&supervisor),
            json!({"shortcut": "bad shortcut!", "title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(status, 400);

    let (status, list) = app.get("/v1/agent/canned", Some(&agent)).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);

    let id = created["id"].as_str().unwrap();
    let res = reqwest::Client::new()
        .put(app.url(&format!("/v1/agent/canned/{id}")))
        .bearer_auth(&supervisor)
        .json(&json!({"shortcut": "deposit-delay", "title": "Deposit pending", "body": "Please share the txid."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["title"], "Deposit pending");
    assert_eq!(updated["created_at"], created["created_at"]);

    let delete = |token: String| {
        reqwest::Client::new()
            .delete(app.url(&format!("/v1/agent/canned/{id}")))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(delete(agent.clone()).await.unwrap().status(), 403);
    assert_eq!(delete(supervisor.clone()).await.unwrap().status(), 204);
    assert_eq!(delete(supervisor.clone()).await.unwrap().status(), 404);
}

#[tokio::test]
async fn agents_see_the_customers_other_conversations_through_one_they_can_see() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (other, _) = app.customer().await;
    let (agent, _) = app.agent("related@test.trustdesk").await;
    let first = app.open_conversation(&customer, "my deposit is late").await;
    let second = app
        .open_conversation(&customer, "how do I change my phone number")
        .await;
    let unrelated = app.open_conversation(&other, "stop-loss question").await;

    let (status, page) = app
        .get(
            &format!("/v1/agent/conversations/{second}/related"),
            Some(&agent),
        )
        .await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![first.as_str()],
        "the other one, not itself, not another customer's"
    );
    assert!(!ids.contains(&unrelated.as_str()));

    // Customers cannot use it, and a made-up conversation is not found.
    let (status, _) = app
        .get(
            &format!("/v1/agent/conversations/{second}/related"),
            Some(&customer),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .get(
            &format!(
                "/v1/agent/conversations/{}/related",
                trustdesk_core::ConversationId::new()
            ),
            Some(&agent),
        )
        .await;
    assert_eq!(status, 404);
}
