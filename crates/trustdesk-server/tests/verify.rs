//! "Is this official?": the registry, the public lookup, look-alikes,
//! agent badges, the rate limit and fake reports.

mod common;

use common::*;
use serde_json::json;
use trustdesk_core::Role;

async fn registry(app: &TestApp) -> String {
    let (admin, _) = app.agent_with_role("root@example.com", Role::Admin).await;
    for (kind, value, label) in [
        ("domain", "https://www.Examplex.com/", "Main website"),
        ("email", "support@examplex.com", "Support email"),
        ("telegram", "t.me/examplex_support", "Telegram"),
        ("phone", "+1 (800) 555-0100", "Hotline"),
    ] {
        let (status, body) = app
            .post(
                "/v1/admin/registry",
                Some(&admin),
                json!({"kind": kind, "value": value, "label": label}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    admin
}

fn url(value: &str) -> String {
    format!(
        "/v1/verify?value={}",
        value
            .replace('+', "%2B")
            .replace('@', "%40")
            .replace(' ', "%20")
    )
}

#[tokio::test]
async fn official_channels_verify_and_everything_else_does_not() {
    let app = TestApp::spawn().await;
    let admin = registry(&app).await;
    for value in [
        "examplex.com",
        "https://examplex.com/login",
        "SUPPORT@examplex.com",
        "@examplex_support",
        "+1 800 555 0100",
    ] {
        let (status, v) = app.get(&url(value), None).await;
        assert_eq!(status, 200, "{value}: {v}");
        assert_eq!(v["verified"], true, "{value}: {v}");
        assert!(v["label"].is_string());
    }
    // Unknown is never fine; look-alikes are named.
    let (_, v) = app.get(&url("examplex-support.com"), None).await;
    assert_eq!(
        (v["verified"].as_bool(), v["lookalike_of"].as_str()),
        (Some(false), Some("examplex.com")),
        "{v}"
    );
    let (_, v) = app.get(&url("help@examp1ex.com"), None).await;
    assert_eq!(
        (v["verified"].as_bool(), v["lookalike_of"].as_str()),
        (Some(false), Some("examplex.com")),
        "{v}"
    );
    let (_, v) = app.get(&url("@examplex_support_team"), None).await;
    assert_eq!(v["verified"], false);
    let (_, v) = app.get(&url("wikipedia.org"), None).await;
    assert_eq!(v["verified"], false);
    assert!(v.get("lookalike_of").is_none());
    // An active agent's badge verifies.
    let agent = app
        .state
        .store
        .list_agents()
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let (_, v) = app.get(&url(&agent.badge.to_lowercase()), None).await;
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["kind"], "agent_id");
    let (_, v) = app.get(&url("TD-NOTAREAL"), None).await;
    assert_eq!(v["verified"], false);
    // Removing an entry takes effect at once; bad input is a clear 400.
    let (_, list) = app.get("/v1/admin/registry", Some(&admin)).await;
    let id = list["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "phone")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .http
        .delete(app.url(&format!("/v1/admin/registry/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 204);
    let (_, v) = app.get(&url("+1 800 555 0100"), None).await;
    assert_eq!(v["verified"], false);
    let (status, _) = app.get("/v1/verify?value=x&kind=pigeon", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn only_admins_change_the_registry() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.agent("plain@example.com").await;
    let (status, _) = app
        .post(
            "/v1/admin/registry",
            Some(&agent),
            json!({"kind": "domain", "value": "evil.com", "label": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .post(
            "/v1/admin/registry",
            None,
            json!({"kind": "domain", "value": "evil.com", "label": "x"}),
        )
        .await;
    assert_eq!(status, 401);
    let admin = registry(&app).await;
    let (status, _) = app
        .post(
            "/v1/admin/registry",
            Some(&admin),
            json!({"kind": "domain", "value": "EXAMPLEX.com", "label": "dup"}),
        )
        .await;
    assert_eq!(status, 409, "the same channel twice");
}

#[tokio::test]
async fn the_lookup_is_rate_limited_per_address() {
    let app = TestApp::spawn_with(|c| c.limits.verify_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(app.get(&url("examplex.com"), None).await.0, 200);
    }
    let (status, body) = app.get(&url("examplex.com"), None).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn reporting_a_fake_opens_a_security_conversation() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (status, created) = app
        .post("/v1/verify/report", Some(&customer), json!({"value": "@examplex_helpdesk", "details": "This account messaged me and asked for my 2FA code to unlock my account"}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["conversation"]["category"], "security", "{created}");
    assert!(
        created["conversation"]["subject"]
            .as_str()
            .unwrap()
            .contains("@examplex_helpdesk")
    );
    let (status, _) = app
        .post("/v1/verify/report", None, json!({"value": "x"}))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_customer_learns_the_agents_badge_and_a_code_only_this_chat_knows() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, agent_id) = app.agent("badge@example.com").await;
    let conv = app.open_conversation(&customer, "hello").await;
    app.post(
        &format!("/v1/agent/conversations/{conv}/messages"),
        Some(&agent),
        json!({"body": "Hi, I'm here"}),
    )
    .await;
    let (_, history) = app
        .get(&format!("/v1/widget/conversations/{conv}"), Some(&customer))
        .await;
    let joined = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["code"] == "agent_joined")
        .expect("introduction")
        .clone();
    let text = joined["kind"]["text"].as_str().unwrap();
    let me = app
        .state
        .store
        .get_agent(agent_id.parse().unwrap())
        .await
        .unwrap();
    assert!(text.contains(&me.badge), "{text}");
    // The agent sees the same code in the console view.
    let (_, view) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    let seen_by_agent = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["code"] == "agent_joined")
        .unwrap()
        .clone();
    assert_eq!(seen_by_agent["kind"]["text"].as_str(), Some(text));
    // Another conversation gets another code.
    let other = app.open_conversation(&customer, "again").await;
    app.post(
        &format!("/v1/agent/conversations/{other}/messages"),
        Some(&agent),
        json!({"body": "Hi again"}),
    )
    .await;
    let (_, h2) = app
        .get(
            &format!("/v1/widget/conversations/{other}"),
            Some(&customer),
        )
        .await;
    let text2 = h2["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["code"] == "agent_joined")
        .unwrap()["kind"]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(text, text2, "codes are per conversation");
    // The badge verifies publicly.
    let (_, v) = app.get(&url(&me.badge), None).await;
    assert_eq!(v["verified"], true);
}
