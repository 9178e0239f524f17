//! Automation rules, macros, labels and conversation search through the
//! real server: rules taking effect on real writes, loop safety, idle
//! rules on the server clock, the dry run, and the guards on the way.

mod common;

use common::{TestApp, wait_for};
use serde_json::{Value, json};
use std::time::Duration;
use trustdesk_core::Role;

async fn view(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = app
        .get(&format!("/v1/agent/conversations/{id}"), Some(token))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn events_of<'a>(view: &'a Value, kind: &str) -> Vec<&'a Value> {
    view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == kind)
        .collect()
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let res = app
        .http
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn rule(app: &TestApp, admin: &str, rule: Value) -> Value {
    let (status, body) = app
        .post("/v1/admin/automation/rules", Some(admin), rule)
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_acts_on_a_new_security_conversation_and_is_recorded() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let created = rule(
        &app,
        &admin,
        json!({
            "name": "Security cases first",
            "trigger": {"type": "conversation_created"},
            "condition": {"type": "all", "of": [
                {"type": "category", "in": ["security"]},
                {"type": "language", "in": ["en"]}
            ]},
            "actions": [
                {"type": "set_priority", "priority": "urgent"},
                {"type": "add_label", "label": "security-case"},
                {"type": "add_note", "body": "Check the login history before anything else."}
            ]
        }),
    )
    .await;
    let (customer, _) = app.customer().await;
    let security = app
        .open_conversation(
            &customer,
            "Someone stole my account, I see a login from another country",
        )
        .await;
    let trading = app
        .open_conversation(&customer, "How do I set a stop-loss on a futures order?")
        .await;
    wait_for("the rule's firing", || async {
        !events_of(&view(&app, &admin, &security).await, "rule_fired").is_empty()
    })
    .await;
    let v = view(&app, &admin, &security).await;
    assert_eq!(v["conversation"]["labels"], json!(["security-case"]));
    assert_eq!(v["conversation"]["priority"], "urgent");
    let fired = events_of(&v, "rule_fired");
    assert_eq!(fired.len(), 1, "{v}");
    assert_eq!(fired[0]["kind"]["rule_id"], created["id"]);
    // Triage had made it urgent already: the planner keeps only the net
    // change, so no priority event was written.
    assert_eq!(
        fired[0]["kind"]["actions"],
        json!(["add_label", "add_note"])
    );
    assert!(events_of(&v, "priority_changed").is_empty());
    assert!(
        events_of(&v, "note")
            .iter()
            .any(|n| n["kind"]["body"] == "Check the login history before anything else.")
    );
    // Internal: the customer sees none of it.
    let (_, mine) = app
        .get(
            &format!("/v1/widget/conversations/{security}"),
            Some(&customer),
        )
        .await;
    let kinds: Vec<&str> = mine["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"]["type"].as_str().unwrap())
        .collect();
    assert!(
        !kinds
            .iter()
            .any(|k| ["rule_fired", "labeled", "note"].contains(k)),
        "{kinds:?}"
    );
    // The trading question did not match.
    let other = view(&app, &admin, &trading).await;
    assert!(events_of(&other, "rule_fired").is_empty());
    assert_eq!(other["conversation"]["labels"], json!([]));
    // Audited.
    let (status, log) = app.get("/v1/admin/automation/firings", Some(&admin)).await;
    assert_eq!(status, 200);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["subject"], security.as_str());
    // The inbox finds it by label and by text.
    let (_, by_label) = app
        .get("/v1/agent/conversations?label=security-case", Some(&admin))
        .await;
    let ids: Vec<&str> = by_label["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![security.as_str()]);
    let (_, by_text) = app
        .get("/v1/agent/conversations?q=STOP-LOSS", Some(&admin))
        .await;
    let ids: Vec<&str> = by_text["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![trading.as_str()]);
    // A dry run of a similar rule finds the security conversation only.
    let (status, dry) = app
        .post(
            "/v1/admin/automation/dry-run",
            Some(&admin),
            json!({"rule": {
                "name": "would it",
                "trigger": {"type": "message_created", "from": "customer"},
                "condition": {"type": "message_contains", "text": "stole"},
                "actions": [{"type": "add_label", "label": "x"}]
            }, "last": 50}),
        )
        .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["examined_conversations"], 2);
    assert_eq!(dry["would_fire"], 1);
    assert_eq!(dry["conversations"][0]["id"], security.as_str());
    // Nothing was written by the dry run.
    assert_eq!(
        view(&app, &admin, &security).await["conversation"]["labels"],
        json!(["security-case"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_that_feed_each_other_stop_at_the_depth_cap() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    // Each snoozes on any status change, which is a status change: alone,
    // a rule never fires on its own action; together they would feed each
    // other for ever.
    rule(
        &app,
        &admin,
        json!({"name": "snooze an hour", "position": 1,
        "trigger": {"type": "status_changed"},
        "actions": [{"type": "snooze", "minutes": 60}]}),
    )
    .await;
    rule(
        &app,
        &admin,
        json!({"name": "snooze half an hour", "position": 2,
        "trigger": {"type": "status_changed"},
        "actions": [{"type": "snooze", "minutes": 30}]}),
    )
    .await;
    let (customer, _) = app.customer().await;
    let id = app
        .open_conversation(&customer, "My deposit is missing")
        .await;
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{id}/status"),
            Some(&admin),
            json!({"status": "pending"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    wait_for("three firings", || async {
        events_of(&view(&app, &admin, &id).await, "rule_fired").len() >= 3
    })
    .await;
    // Give a runaway loop time to show itself.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let v = view(&app, &admin, &id).await;
    let fired: Vec<&str> = events_of(&v, "rule_fired")
        .iter()
        .map(|e| e["kind"]["name"].as_str().unwrap())
        .collect();
    // Depth 0 (the admin's change): both match and the later snooze wins,
    // so only the second acts. Depth 1: the first, on the second's
    // snooze. Depth 2: the second again. Depth 3 is refused.
    assert_eq!(
        fired,
        vec![
            "snooze half an hour",
            "snooze an hour",
            "snooze half an hour"
        ],
        "{v}"
    );
    assert_eq!(v["conversation"]["status"], "snoozed");
    let until = v["conversation"]["snoozed_until"].as_i64().unwrap();
    let expected = app.state.clock.now().0 + 30 * 60_000;
    assert!(
        (expected - until).abs() < 60_000,
        "the last snooze is the half hour: {until} vs {expected}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_rule_fires_once_per_quiet_stretch() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    rule(&app, &admin, json!({"name": "nudge", "trigger": {"type": "idle", "minutes": 30},
        "condition": {"type": "status", "in": ["open"]},
        "actions": [{"type": "add_label", "label": "quiet"}, {"type": "set_priority", "priority": "high"}]})).await;
    let (customer, _) = app.customer().await;
    let id = app
        .open_conversation(&customer, "Where is my withdrawal?")
        .await;
    app.state.clock.advance(31 * 60_000);
    wait_for("the idle rule", || async {
        view(&app, &admin, &id).await["conversation"]["labels"] == json!(["quiet"])
    })
    .await;
    // Still quiet, later: not again.
    app.state.clock.advance(60 * 60_000);
    tokio::time::sleep(Duration::from_secs(11)).await;
    let v = view(&app, &admin, &id).await;
    assert_eq!(events_of(&v, "rule_fired").len(), 1, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn macros_run_as_the_agent_and_rules_are_checked() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (agent, _) = app.agent("agent@example.com").await;
    // Bad rules get clear errors, nothing is stored.
    for (bad, says) in [
        (
            json!({"name": "", "trigger": {"type": "conversation_created"}, "actions": [{"type": "resolve"}]}),
            "name",
        ),
        (
            json!({"name": "x", "trigger": {"type": "conversation_created"}, "actions": []}),
            "action",
        ),
        (
            json!({"name": "x", "trigger": {"type": "conversation_created"}, "actions": [{"type": "add_label", "label": "Not A Slug"}]}),
            "slug",
        ),
        (
            json!({"name": "x", "trigger": {"type": "teleport"}, "actions": [{"type": "resolve"}]}),
            "teleport",
        ),
        (
            json!({"name": "x", "trigger": {"type": "conversation_created"}, "actions": [{"type": "assign_team", "team_id": "00000000-0000-4000-8000-000000000000"}]}),
            "team",
        ),
    ] {
        let (status, body) = app
            .post("/v1/admin/automation/rules", Some(&admin), bad)
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body.to_string().to_lowercase().contains(says),
            "{says}: {body}"
        );
    }
    let (status, _) = app
        .post("/v1/admin/automation/rules", Some(&agent), json!({"name": "x", "trigger": {"type": "conversation_created"}, "actions": [{"type": "resolve"}]}))
        .await;
    assert_eq!(status, 403, "agents do not write rules");
    let (_, rules) = app.get("/v1/admin/automation/rules", Some(&admin)).await;
    assert_eq!(rules, json!([]));
    // A macro may not send webhooks.
    let (status, body) = app
        .post(
            "/v1/admin/macros",
            Some(&admin),
            json!({"name": "leak", "actions": [{"type": "send_webhook", "event": "crm-sync"}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, vip) = app
        .post(
            "/v1/admin/macros",
            Some(&admin),
            json!({"name": "VIP", "actions": [
            {"type": "add_label", "label": "vip"}, {"type": "set_priority", "priority": "high"}]}),
        )
        .await;
    assert_eq!(status, 201, "{vip}");
    let (_, listed) = app.get("/v1/agent/macros", Some(&agent)).await;
    assert_eq!(listed[0]["name"], "VIP");
    let (customer, _) = app.customer().await;
    let id = app
        .open_conversation(&customer, "I want to raise my withdrawal limit")
        .await;
    let (status, ran) = app
        .post(
            &format!(
                "/v1/agent/conversations/{id}/macros/{}",
                vip["id"].as_str().unwrap()
            ),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{ran}");
    assert_eq!(ran["conversation"]["labels"], json!(["vip"]));
    assert_eq!(ran["conversation"]["priority"], "high");
    assert_eq!(ran["applied"], json!(["add_label", "set_priority"]));
    let v = view(&app, &admin, &id).await;
    let fired = events_of(&v, "rule_fired");
    assert_eq!(fired[0]["kind"]["macro_id"], vip["id"]);
    assert_eq!(fired[0]["actor"]["type"], "agent");
    // Labels by hand: only the net change is written.
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{id}/labels"),
            Some(&admin),
            json!({"add": ["vip", "kyc"], "remove": ["none-such"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["labels"], json!(["kyc", "vip"]));
    let v = view(&app, &admin, &id).await;
    let labeled = events_of(&v, "labeled");
    assert_eq!(
        labeled.last().unwrap()["kind"],
        json!({"type": "labeled", "added": ["kyc"]})
    );
    let (status, _) = app
        .post(
            &format!("/v1/agent/conversations/{id}/labels"),
            Some(&admin),
            json!({"add": ["BAD LABEL"]}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/v1/admin/macros/{}", vip["id"].as_str().unwrap()),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    let (_, listed) = app.get("/v1/agent/macros", Some(&agent)).await;
    assert_eq!(listed, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_switched_off_stops_firing_and_back_on_fires_again() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let created = rule(
        &app,
        &admin,
        json!({"name": "tag every new one", "trigger": {"type": "conversation_created"},
               "actions": [{"type": "add_label", "label": "new"}]}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let (status, off) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/admin/automation/rules/{id}"),
        &admin,
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["enabled"], false);
    assert_eq!(
        off["actions"], created["actions"],
        "the rest of the rule is kept"
    );
    let (customer, _) = app.customer().await;
    let quiet = app
        .open_conversation(&customer, "My deposit is missing")
        .await;
    let (status, _) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/admin/automation/rules/{id}"),
        &admin,
        json!({"enabled": true}),
    )
    .await;
    assert_eq!(status, 200);
    let tagged = app
        .open_conversation(&customer, "My withdrawal is missing")
        .await;
    wait_for("the rule again", || async {
        view(&app, &admin, &tagged).await["conversation"]["labels"] == json!(["new"])
    })
    .await;
    assert_eq!(
        view(&app, &admin, &quiet).await["conversation"]["labels"],
        json!([])
    );
    let (status, _) = send(
        &app,
        reqwest::Method::PATCH,
        "/v1/admin/automation/rules/not-a-rule",
        &admin,
        json!({"enabled": true}),
    )
    .await;
    assert_eq!(status, 404);
}
