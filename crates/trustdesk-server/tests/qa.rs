//! QA review through the real server: sampling that forces the
//! conversations QA must see, pre-checks, scoring on the built-in crypto
//! card (the numbers docs/qa.md gives), who may review and who sees what,
//! and the QA score per agent.

mod common;

use common::TestApp;
use serde_json::{Value, json};
use trustdesk_core::Role;

/// A checksum-valid BIP39 phrase (all-zero entropy).
const SEED: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// A customer's conversation answered by `agent` and resolved; rated
/// `score` if given. Returns its id.
async fn served(app: &TestApp, agent: &str, opening: &str, score: Option<u8>) -> String {
    let (customer, _) = app.customer().await;
    let id = app.open_conversation(&customer, opening).await;
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{id}/messages"),
            Some(agent),
            json!({"body": "I am on it, one moment."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.resolve(agent, &id).await;
    if let Some(score) = score {
        let (status, body) = app
            .post(
                &format!("/v1/widget/conversations/{id}/rating"),
                Some(&customer),
                json!({"score": score}),
            )
            .await;
        assert!(status == 200 || status == 201, "{body}");
    }
    id
}

fn picks(sampled: &Value, agent: &str) -> Vec<(String, String)> {
    sampled["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["agent"] == agent)
        .flat_map(|s| s["picks"].as_array().unwrap().iter())
        .map(|p| {
            (
                p["conversation_id"].as_str().unwrap().to_owned(),
                p["why"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Ratings for every category of `card`: pass on pass/fail ones, `score`
/// on 1–5 ones, except `fail_key`, which fails.
fn ratings(card: &Value, score: u8, fail_key: Option<&str>) -> Value {
    card["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let key = c["key"].as_str().unwrap();
            let value = match c["scale"].as_str().unwrap() {
                "pass_fail" if Some(key) == fail_key => json!("fail"),
                "pass_fail" => json!("pass"),
                _ => json!(score),
            };
            json!({"key": key, "value": value})
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_reviews_and_scores_per_agent() {
    let app = TestApp::spawn().await;
    let (supervisor, _) = app
        .agent_with_role("lead@example.com", Role::Supervisor)
        .await;
    let (alice, alice_id) = app.agent("alice@example.com").await;
    let (bob, bob_id) = app.agent("bob@example.com").await;
    let a_plain = served(&app, &alice, "How do I set a stop-loss?", Some(5)).await;
    let a_unhappy = served(&app, &alice, "My deposit is late", Some(1)).await;
    let b_plain = served(&app, &bob, "Where do I find my API keys settings?", None).await;
    let b_secret = served(
        &app,
        &bob,
        &format!("my wallet words are {SEED} please check"),
        None,
    )
    .await;

    // One each: the conversations QA must see come first.
    let (status, first) = app
        .post(
            "/v1/admin/qa/assignments",
            Some(&supervisor),
            json!({"per_agent": 1, "seed": 7}),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["candidates"], 4);
    assert_eq!(
        picks(&first, &alice_id),
        vec![(a_unhappy.clone(), "low_csat".to_owned())]
    );
    assert_eq!(
        picks(&first, &bob_id),
        vec![(b_secret.clone(), "guard_hit".to_owned())]
    );
    // Sampled again: never the same conversation twice.
    let (_, second) = app
        .post(
            "/v1/admin/qa/assignments",
            Some(&supervisor),
            json!({"per_agent": 1, "seed": 7}),
        )
        .await;
    assert_eq!(
        picks(&second, &alice_id),
        vec![(a_plain.clone(), "random".to_owned())]
    );
    assert_eq!(
        picks(&second, &bob_id),
        vec![(b_plain.clone(), "random".to_owned())]
    );
    let (_, pending) = app
        .get("/v1/admin/qa/assignments?pending=true", Some(&supervisor))
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 4);
    let (status, _) = app
        .post(
            "/v1/admin/qa/assignments",
            Some(&alice),
            json!({"per_agent": 1}),
        )
        .await;
    assert_eq!(status, 403, "agents do not sample");

    // The pre-checks say what trustdesk already knows.
    let (status, qa) = app
        .get(
            &format!("/v1/agent/qa/conversations/{b_secret}"),
            Some(&supervisor),
        )
        .await;
    assert_eq!(status, 200, "{qa}");
    assert_eq!(qa["agent_id"], bob_id.as_str());
    let findings = qa["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["type"] == "secret_redacted" && f["suggests"] == "never_asked_for_secret"),
        "{qa}"
    );
    assert!(qa["review"].is_null());

    // Reviews on the built-in card.
    let (_, cards) = app.get("/v1/admin/qa/scorecards", Some(&supervisor)).await;
    let card = &cards[0];
    let (status, good) = app
        .post("/v1/agent/qa/reviews", Some(&supervisor), json!({"conversation_id": b_secret, "ratings": ratings(card, 4, None), "comment": "Clear and calm."}))
        .await;
    assert_eq!(status, 201, "{good}");
    // docs/qa.md: three critical pass/fail categories of weight 3 passed
    // (9 of 9) and 1–5 categories of weights 3, 3, 2, 2, 1 at 4 (0.75 of
    // 11): 17.25 of 20.
    assert_eq!(good["score"]["percent"], 86.25);
    assert_eq!(good["score"]["passed"], true);
    assert_eq!(good["review"]["agent"], bob_id.as_str());
    let (status, bad) = app
        .post("/v1/agent/qa/reviews", Some(&supervisor), json!({"conversation_id": a_unhappy, "ratings": ratings(card, 4, Some("never_asked_for_secret"))}))
        .await;
    assert_eq!(status, 201, "{bad}");
    assert_eq!(bad["score"]["percent"], 71.25);
    assert_eq!(bad["score"]["passed"], false);
    assert_eq!(
        bad["score"]["critical_failed"],
        json!(["never_asked_for_secret"])
    );
    // A review missing a category is refused and says which.
    let mut partial = ratings(card, 4, None);
    partial.as_array_mut().unwrap().pop();
    let (status, body) = app
        .post(
            "/v1/agent/qa/reviews",
            Some(&supervisor),
            json!({"conversation_id": a_plain, "ratings": partial}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("timeliness"), "{body}");
    // Agents do not review, and nobody reviews their own work.
    let (status, _) = app
        .post(
            "/v1/agent/qa/reviews",
            Some(&alice),
            json!({"conversation_id": b_plain, "ratings": ratings(card, 4, None)}),
        )
        .await;
    assert_eq!(status, 403);
    let own = served(
        &app,
        &supervisor,
        "Can you explain the trading fee tiers?",
        None,
    )
    .await;
    let (status, body) = app
        .post(
            "/v1/agent/qa/reviews",
            Some(&supervisor),
            json!({"conversation_id": own, "ratings": ratings(card, 4, None)}),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // An agent sees the reviews of their own work, only.
    let (_, mine) = app.get("/v1/agent/qa/reviews", Some(&bob)).await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["review"]["comment"], "Clear and calm.");
    let (_, theirs) = app
        .get(
            &format!("/v1/agent/qa/reviews?agent={bob_id}"),
            Some(&alice),
        )
        .await;
    assert_eq!(
        theirs.as_array().unwrap().len(),
        1,
        "asking for Bob's still gives Alice her own"
    );
    assert_eq!(theirs[0]["review"]["agent"], alice_id.as_str());

    // The QA score per agent.
    let (status, report) = app.get("/v1/reports/qa", Some(&supervisor)).await;
    assert_eq!(status, 200, "{report}");
    let row = |id: &str| {
        report
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["agent"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&bob_id)["reviews"], 1);
    assert_eq!(row(&bob_id)["mean_percent"], 86.25);
    assert_eq!(row(&bob_id)["pass_percent"], 100.0);
    assert_eq!(row(&alice_id)["critical_fails"], 1);
    assert_eq!(row(&alice_id)["pass_percent"], 0.0);
    assert_eq!(row(&alice_id)["name"], "alice");
}

/// A team's supervisor reviews what they may read: a conversation of
/// another team is not found for their QA either, and is never sampled
/// for them; an admin reviews it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_sees_only_the_conversations_in_scope() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (bob, _) = app.agent("bob@example.com").await;
    let (status, team) = app
        .post(
            "/v1/admin/teams",
            Some(&admin),
            json!({"name": "Chain desk"}),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    let (status, other) = app
        .post("/v1/admin/teams", Some(&admin), json!({"name": "Cards"}))
        .await;
    assert_eq!(status, 201, "{other}");
    let other_team: trustdesk_core::TeamId = other["id"].as_str().unwrap().parse().unwrap();
    let (lead, _) = app
        .agent_in_team("cards-lead@example.com", Role::Supervisor, Some(other_team))
        .await;
    let (customer, _) = app.customer().await;
    let id = app.open_conversation(&customer, "My deposit is late").await;
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{id}/messages"),
            Some(&bob),
            json!({"body": "Checking the chain now."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{id}/transfer"),
            Some(&admin),
            json!({"team_id": team["id"], "reason": "chain desk"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.resolve(&admin, &id).await;

    let (status, _) = app
        .get(&format!("/v1/agent/qa/conversations/{id}"), Some(&lead))
        .await;
    assert_eq!(status, 404);
    let (_, cards) = app.get("/v1/agent/qa/scorecards", Some(&bob)).await;
    let card = cards[0].clone();
    assert!(
        card["categories"].as_array().unwrap().len() >= 3,
        "agents read the criteria too"
    );
    let (status, _) = app
        .post(
            "/v1/agent/qa/reviews",
            Some(&lead),
            json!({"conversation_id": id, "ratings": ratings(&card, 4, None)}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, sampled) = app
        .post(
            "/v1/admin/qa/assignments",
            Some(&lead),
            json!({"per_agent": 3}),
        )
        .await;
    assert_eq!(sampled["candidates"], 0, "{sampled}");
    let (status, _) = app
        .post(
            "/v1/agent/qa/reviews",
            Some(&admin),
            json!({"conversation_id": id, "ratings": ratings(&card, 4, None)}),
        )
        .await;
    assert_eq!(status, 201);
}
