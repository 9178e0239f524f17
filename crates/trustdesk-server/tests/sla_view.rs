//! The console's view of a conversation's SLA clocks, through the real
//! server.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

async fn clocks(app: &TestApp, conv: &str, token: &str, want: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let (status, body) = app
            .get(&format!("/v1/agent/conversations/{conv}/sla"), Some(token))
            .await;
        assert_eq!(status, 200, "{body}");
        if want(&body["clocks"]) {
            return body["clocks"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the SLA clocks never reached the expected state");
}

fn metric<'a>(clocks: &'a Value, name: &str) -> &'a Value {
    clocks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == name)
        .unwrap_or_else(|| panic!("no {name} clock in {clocks}"))
}

#[tokio::test]
async fn agents_see_the_clocks_run_stop_and_pause() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("sla-view@test.trustdesk").await;
    let conv = app
        .open_conversation(&customer, "how do I change my phone number")
        .await;

    // The first-response and resolution clocks run from the opening.
    let running = clocks(&app, &conv, &agent, |c| {
        c.as_array().is_some_and(|a| a.len() >= 2)
    })
    .await;
    let first = metric(&running, "first_response");
    assert_eq!(first["status"], "ok");
    assert_eq!(first["stopped"], false);
    assert!(first["due_at"].as_i64().unwrap() > 0);
    assert!(first["remaining_ms"].as_i64().unwrap() > 0);

    // The agent answers: the first-response clock stops.
    let (status, _) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&agent),
            json!({"body": "Hello, I can help with that."}),
        )
        .await;
    assert_eq!(status, 201);
    let answered = clocks(&app, &conv, &agent, |c| {
        c.as_array().is_some_and(|a| {
            a.iter()
                .any(|m| m["metric"] == "first_response" && m["stopped"] == true)
        })
    })
    .await;
    assert_eq!(metric(&answered, "resolution")["stopped"], false);

    // Pending on the customer pauses what still runs.
    app.post(
        &format!("/v1/agent/conversations/{conv}/status"),
        Some(&agent),
        json!({"status": "pending"}),
    )
    .await;
    let paused = clocks(&app, &conv, &agent, |c| {
        c.as_array().is_some_and(|a| {
            a.iter()
                .any(|m| m["metric"] == "resolution" && m["paused"] == true)
        })
    })
    .await;
    assert_eq!(metric(&paused, "first_response")["stopped"], true);

    // A customer's token gets nothing; a made-up id is 404.
    let (status, _) = app
        .get(
            &format!("/v1/agent/conversations/{conv}/sla"),
            Some(&customer),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .get(
            &format!(
                "/v1/agent/conversations/{}/sla",
                trustdesk_core::ConversationId::new()
            ),
            Some(&agent),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_at_risk_list_holds_conversations_near_or_past_a_target() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("sla-risk@test.trustdesk").await;
    let conv = app
        .open_conversation(&customer, "how do I change my phone number")
        .await;
    // Wait until the timer worker keeps the conversation's clocks.
    clocks(&app, &conv, &agent, |c| {
        c.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    let listed = |body: &Value| {
        body["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == conv.as_str())
    };
    let (status, body) = app.get("/v1/agent/sla/at-risk", Some(&agent)).await;
    assert_eq!(status, 200);
    assert!(
        !listed(&body),
        "fresh conversations are not at risk: {body}"
    );

    // Past the first-response warning threshold (of any priority's target).
    let first_due = metric(
        &clocks(&app, &conv, &agent, |c| {
            c.as_array().is_some_and(|a| !a.is_empty())
        })
        .await,
        "first_response",
    )["remaining_ms"]
        .as_i64()
        .unwrap();
    app.state.clock.advance(first_due - first_due / 10);
    let (_, body) = app.get("/v1/agent/sla/at-risk", Some(&agent)).await;
    assert!(listed(&body), "90 % of the target used: at risk: {body}");

    // Answering stops that clock; the conversation leaves the list.
    app.post(
        &format!("/v1/agent/conversations/{conv}/messages"),
        Some(&agent),
        json!({"body": "Hello, I can help with that."}),
    )
    .await;
    let mut gone = false;
    for _ in 0..100 {
        let (_, body) = app.get("/v1/agent/sla/at-risk", Some(&agent)).await;
        if !listed(&body) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "answered conversations leave the list");
    // Customers cannot ask.
    let (status, _) = app.get("/v1/agent/sla/at-risk", Some(&customer)).await;
    assert_eq!(status, 401);
}
