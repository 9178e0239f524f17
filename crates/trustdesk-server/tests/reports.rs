//! Service-quality reports through the real server: conversations with
//! known timings (the server clock is advanced between the steps), then
//! the report, its groups and its CSV compared with the figures worked
//! out by hand here.

mod common;

use common::*;
use serde_json::{Value, json};
use trustdesk_core::Role;

const MIN: i64 = 60_000;

/// The server clock is the wall clock plus what the test advanced, so a
/// step's own run time (milliseconds; more on a loaded machine) adds to
/// each duration: a measured value is right when it is the hand-worked
/// figure plus less than a few seconds.
#[track_caller]
fn near(value: &Value, expected_ms: i64) {
    let got = value
        .as_i64()
        .unwrap_or_else(|| panic!("{value} is not a duration"));
    assert!(
        (expected_ms..expected_ms + 5_000).contains(&got),
        "{got} ms where {expected_ms} ms was worked out"
    );
}

#[track_caller]
fn near_text(cell: &str, expected_ms: i64) {
    near(&json!(cell.parse::<i64>().unwrap()), expected_ms);
}

#[track_caller]
fn summary(value: &Value, n: u64, mean: i64, median: i64, p90: i64) {
    assert_eq!(value["n"], n, "{value}");
    near(&value["mean_ms"], mean);
    near(&value["median_ms"], median);
    near(&value["p90_ms"], p90);
}

async fn reply(app: &TestApp, agent: &str, conv: &str, body: &str) {
    let (status, res) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(agent),
            json!({ "body": body }),
        )
        .await;
    assert_eq!(status, 201, "{res}");
}

async fn customer_says(app: &TestApp, customer: &str, conv: &str, body: &str) {
    let (status, res) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/messages"),
            Some(customer),
            json!({ "body": body }),
        )
        .await;
    assert!(status == 201 || status == 200, "{res}");
}

async fn resolve(app: &TestApp, agent: &str, conv: &str) {
    let (status, res) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/status"),
            Some(agent),
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, 200, "{res}");
}

async fn rate(app: &TestApp, customer: &str, conv: &str, score: u8) {
    let (status, res) = app
        .post(
            &format!("/v1/widget/conversations/{conv}/rating"),
            Some(customer),
            json!({ "score": score }),
        )
        .await;
    assert!(status == 201 || status == 200, "{res}");
}

async fn text(app: &TestApp, path: &str, token: &str) -> (u16, String, String) {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

/// Three conversations:
/// - A: asks for a person; the lead answers after 10 min; the customer
///   writes 1 min later and gets the next answer 4 min after that;
///   resolved 5 min later (20 min in all); rated 5.
/// - B: asks for a person; answered after 20 min; resolved 10 min later
///   (30 min in all); rated 2.
/// - C: a deposit question the bot answers; nobody else writes.
#[tokio::test]
async fn a_report_gives_the_medians_worked_out_by_hand_and_its_csv_agrees() {
    let app = TestApp::spawn_with(|c| c.clock.manual_control = true).await;
    let (lead, lead_id) = app
        .agent_with_role("lead@reports.test", Role::Supervisor)
        .await;
    let (agent, _) = app.agent("agent@reports.test").await;
    let clock = &app.state.clock;
    // The starter knowledge base, so the bot can answer C.
    app.load_starter_kb().await;

    let (alice, _) = app.customer().await;
    let a = app
        .open_conversation(&alice, "I want to talk to a human")
        .await;
    clock.advance(10 * MIN);
    reply(&app, &lead, &a, "Hello, I am here.").await;
    clock.advance(MIN);
    customer_says(&app, &alice, &a, "My withdrawal is still pending").await;
    clock.advance(4 * MIN);
    reply(&app, &lead, &a, "It is confirming on chain now.").await;
    clock.advance(5 * MIN);
    resolve(&app, &lead, &a).await;
    rate(&app, &alice, &a, 5).await;

    let (bob, _) = app.customer().await;
    let b = app
        .open_conversation(&bob, "I want to talk to a human please")
        .await;
    clock.advance(20 * MIN);
    reply(&app, &lead, &b, "Sorry for the wait, how can I help?").await;
    clock.advance(10 * MIN);
    resolve(&app, &lead, &b).await;
    rate(&app, &bob, &b, 2).await;

    let (carol, _) = app.customer().await;
    let (status, created) = app
        .post(
            "/v1/widget/conversations",
            Some(&carol),
            json!({"body": "我的USDT充值一直没到账，TRC20网络，已经两个小时了"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(
        created["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"]["type"] == "bot_reply"),
        "the bot answers C: {created}"
    );
    clock.advance(MIN);

    // Agents see their work; the team's figures are for supervisors.
    let (status, _) = app.get("/v1/reports", Some(&agent)).await;
    assert_eq!(status, 403);
    let (status, _) = app.get("/v1/reports", None).await;
    assert_eq!(status, 401);

    let (status, report) = app.get("/v1/reports?group_by=agent", Some(&lead)).await;
    assert_eq!(status, 200, "{report}");
    let total = &report["total"];
    assert_eq!(total["conversations"], 3, "{report}");
    // First responses 10 and 20 min: median and mean 15, p90 the larger.
    summary(&total["first_response"], 2, 15 * MIN, 15 * MIN, 20 * MIN);
    summary(&total["next_response"], 1, 4 * MIN, 4 * MIN, 4 * MIN);
    summary(&total["resolution"], 2, 25 * MIN, 25 * MIN, 30 * MIN);
    assert_eq!(total["csat"]["n"], 2);
    assert_eq!(total["csat"]["mean_score"], 3.5);
    assert_eq!(total["csat"]["satisfied_percent"], 50.0);
    assert_eq!(total["csat"]["distribution"], json!([0, 1, 0, 0, 1]));
    assert_eq!(total["bot"]["answered"], 1, "{report}");
    assert_eq!(total["bot"]["resolved"], 0);
    assert_eq!(total["bot"]["deflection_percent"], 0.0);
    // Every wait was well inside the default targets (1 h, 2 h, 24 h).
    assert_eq!(total["sla"]["first_response"]["met"], 2);
    assert_eq!(total["sla"]["first_response"]["breached"], 0);

    // By agent: the lead answered all three waits; the bot-only
    // conversation has no replying agent.
    let groups = report["groups"].as_array().unwrap();
    let lead_group: &Value = groups
        .iter()
        .find(|g| g["key"] == lead_id.as_str())
        .unwrap_or_else(|| panic!("no group for the lead: {report}"));
    assert_eq!(lead_group["label"], "lead");
    assert_eq!(lead_group["figures"]["first_response"]["n"], 2);
    assert_eq!(lead_group["figures"]["conversations"], 2);
    let unset = groups.iter().find(|g| g["key"] == "unset").unwrap();
    assert_eq!(unset["figures"]["conversations"], 1);
    assert_eq!(unset["figures"]["first_response"]["n"], 0);

    // Business basis: the default policy counts every hour, so the same.
    let (_, business) = app.get("/v1/reports?basis=business", Some(&lead)).await;
    assert_eq!(business["basis"], "business");
    near(&business["total"]["first_response"]["median_ms"], 15 * MIN);

    // A filter narrows the conversations.
    let (_, email_only) = app.get("/v1/reports?channel=email", Some(&lead)).await;
    assert_eq!(email_only["total"]["conversations"], 0);

    // The CSV of the groups ends with the total row, same figures.
    let (status, kind, csv) = text(&app, "/v1/reports/export?group_by=agent", &lead).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("group,label,conversations,first_response_n"));
    let total_row: Vec<&str> = lines.last().unwrap().split(',').collect();
    assert_eq!(&total_row[..4], &["total", "total", "3", "2"]);
    near_text(total_row[4], 15 * MIN);
    near_text(total_row[5], 15 * MIN);
    near_text(total_row[6], 20 * MIN);

    // One row per conversation, both bases.
    let (status, _, rows) = text(&app, "/v1/reports/export?rows=conversations", &lead).await;
    assert_eq!(status, 200);
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    let row_a = rows.iter().find(|r| r.starts_with(a.as_str())).unwrap();
    let cells: Vec<&str> = row_a.split(',').collect();
    near_text(cells[7], 10 * MIN);
    near_text(cells[12], 20 * MIN);
    assert_eq!(cells[19], "5", "CSAT of A: {row_a}");

    // Bad input: a clear 400, nothing else.
    for bad in [
        "/v1/reports?group_by=mood",
        "/v1/reports?tz=Mars/Olympus",
        "/v1/reports?from=2026-02-01&to=2026-01-01",
        "/v1/reports/export?rows=everything",
        "/v1/reports?surprise=1",
    ] {
        let (status, body) = app.get(bad, Some(&lead)).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
}

/// The public service page's live figures: the median first response per
/// category over the last day, computed once a minute at most.
#[tokio::test]
async fn the_service_page_shows_the_live_median_first_response() {
    let app = TestApp::spawn_with(|c| c.clock.manual_control = true).await;
    let (lead, _) = app
        .agent_with_role("live@reports.test", Role::Supervisor)
        .await;
    let (alice, _) = app.customer().await;
    let a = app
        .open_conversation(&alice, "I want to talk to a human")
        .await;
    app.state.clock.advance(6 * MIN);
    reply(&app, &lead, &a, "Hello!").await;

    let (status, live) = app.get("/v1/service/live", None).await;
    assert_eq!(status, 200, "{live}");
    assert_eq!(live["window_hours"], 24);
    let categories = live["categories"].as_array().unwrap();
    let answered: Vec<&Value> = categories.iter().filter(|c| c["n"] == 1).collect();
    assert_eq!(answered.len(), 1, "{live}");
    near(&answered[0]["median_first_response_ms"], 6 * MIN);

    // Within the minute the same figures come back, even after new work.
    let (bob, _) = app.customer().await;
    let b = app
        .open_conversation(&bob, "I want to talk to a human")
        .await;
    reply(&app, &lead, &b, "Hello!").await;
    let (_, again) = app.get("/v1/service/live", None).await;
    assert_eq!(again, live);
}
