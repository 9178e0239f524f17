//! The feedback channel through the real server: a customer's suggestion
//! or complaint from the widget and from a CSAT comment, screened by the
//! secret guard, listed and exported for supervisors only.

mod common;

use common::TestApp;
use serde_json::json;
use trustdesk_core::Role;

/// A checksum-valid BIP39 phrase (all-zero entropy).
const SEED: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_is_screened_listed_and_exported() {
    let app = TestApp::spawn().await;
    let (supervisor, _) = app
        .agent_with_role("lead@example.com", Role::Supervisor)
        .await;
    let (agent, _) = app.agent("agent@example.com").await;
    let (customer, customer_id) = app.customer().await;

    let (status, kept) = app
        .post("/v1/widget/feedback", Some(&customer), json!({"kind": "suggestion", "body": format!("Please add a dark mode. My words are {SEED}")}))
        .await;
    assert_eq!(status, 201, "{kept}");
    assert!(
        !kept["body"].as_str().unwrap().contains("abandon"),
        "{kept}"
    );
    let (status, _) = app
        .post("/v1/widget/feedback", Some(&customer), json!({"kind": "complaint", "body": "=HYPERLINK(\"http://evil\") withdrawals are too slow"}))
        .await;
    assert_eq!(status, 201);
    for (bad, why) in [
        (json!({"kind": "praise", "body": "x"}), "unknown kind"),
        (json!({"kind": "complaint", "body": "   "}), "empty"),
        (
            json!({"kind": "complaint", "body": "x".repeat(2_001)}),
            "too long",
        ),
        (
            json!({"kind": "complaint", "body": "x", "extra": 1}),
            "unknown field",
        ),
    ] {
        let (status, body) = app.post("/v1/widget/feedback", Some(&customer), bad).await;
        assert_eq!(status, 400, "{why}: {body}");
    }
    // Someone else's conversation is not found, as everywhere.
    let (other, _) = app.customer().await;
    let theirs = app.open_conversation(&other, "My deposit is missing").await;
    let (status, _) = app
        .post(
            "/v1/widget/feedback",
            Some(&customer),
            json!({"kind": "complaint", "body": "about that", "conversation_id": theirs}),
        )
        .await;
    assert_eq!(status, 404);

    // A CSAT comment marked as a complaint joins the list.
    let mine = app
        .open_conversation(&customer, "Where is my withdrawal?")
        .await;
    app.resolve(&supervisor, &mine).await;
    let (status, body) = app
        .post(
            &format!("/v1/widget/conversations/{mine}/rating"),
            Some(&customer),
            json!({"score": 2, "comment": "It took three days", "feedback": "complaint"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let (status, _) = app.get("/v1/admin/feedback", Some(&agent)).await;
    assert_eq!(
        status, 403,
        "agents do not read the product team's feedback"
    );
    let (status, all) = app.get("/v1/admin/feedback", Some(&supervisor)).await;
    assert_eq!(status, 200, "{all}");
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.iter().all(|f| f["customer_id"] == customer_id.as_str()));
    assert!(!serde_json::to_string(all).unwrap().contains("abandon"));
    let rating = all
        .iter()
        .find(|f| f["source"] == "rating")
        .expect("the CSAT comment");
    assert_eq!(rating["conversation_id"], mine.as_str());
    assert_eq!(rating["body"], "It took three days");
    let (_, complaints) = app
        .get("/v1/admin/feedback?kind=complaint", Some(&supervisor))
        .await;
    assert_eq!(complaints.as_array().unwrap().len(), 2);
    let (status, _) = app
        .get("/v1/admin/feedback?kind=praise", Some(&supervisor))
        .await;
    assert_eq!(status, 400);

    let res = app
        .http
        .get(app.url("/v1/admin/feedback/export"))
        .bearer_auth(&supervisor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,created_at,kind,source,language,customer_id,conversation_id,body"
    );
    assert_eq!(lines.count(), 3);
    assert!(
        csv.contains("'=HYPERLINK"),
        "a cell never starts a formula: {csv}"
    );
    assert!(!csv.contains("abandon"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_cannot_flood_the_feedback_channel() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        let (status, _) = app
            .post(
                "/v1/widget/feedback",
                Some(&customer),
                json!({"kind": "suggestion", "body": format!("idea {i}")}),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses, vec![201, 201, 201, 201, 201, 429, 429]);
}
