//! `/metrics` through the real server: who may scrape it, and that what
//! it says (parsed as Prometheus text) counts what really happened.

mod common;

use common::TestApp;
use prometheus_parse::{Sample, Scrape, Value};
use serde_json::json;
use std::time::Duration;
use trustdesk_core::Role;

const TOKEN: &str = "metrics-token-for-tests-0123456789";

/// Scrapes `url` with `token` and parses the text; (status, scrape).
async fn scrape(app: &TestApp, url: &str, token: Option<&str>) -> (u16, Option<Scrape>) {
    let mut request = app.http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    if status != 200 {
        return (status, None);
    }
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = res.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    (
        status,
        Some(Scrape::parse(lines).expect("valid Prometheus text")),
    )
}

/// The value of the sample named `metric` whose labels include `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    find(scrape, metric, labels).map(|s| match &s.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        other => panic!("{metric} is not a number: {other:?}"),
    })
}

fn find<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
}

/// How many observations a histogram holds (its `+Inf` bucket).
fn observations(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    match find(scrape, metric, labels).map(|s| &s.value) {
        Some(Value::Histogram(buckets)) => buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .map(|b| b.count)
            .unwrap_or(0.0),
        other => panic!(
            "{metric}{labels:?} is not a histogram: {other:?} in {:?}",
            scrape
                .samples
                .iter()
                .filter(|s| s.metric == metric)
                .map(|s| &s.labels)
                .collect::<Vec<_>>()
        ),
    }
}

async fn scrape_until(app: &TestApp, what: &str, mut done: impl FnMut(&Scrape) -> bool) -> Scrape {
    let url = app.url("/metrics");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (status, scraped) = scrape(app, &url, Some(TOKEN)).await;
        assert_eq!(status, 200);
        let scraped = scraped.unwrap();
        if done(&scraped) {
            return scraped;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_served_unless_configured() {
    let app = TestApp::spawn().await;
    let (status, _) = scrape(&app, &app.url("/metrics"), None).await;
    assert_eq!(
        status, 404,
        "no token and no own listener: nobody may read them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_needs_the_token() {
    let app = TestApp::spawn_with(|c| c.metrics.token = Some(TOKEN.to_owned().into())).await;
    let url = app.url("/metrics");
    assert_eq!(scrape(&app, &url, None).await.0, 401);
    assert_eq!(
        scrape(&app, &url, Some("metrics-token-for-tests-012345678"))
            .await
            .0,
        401
    );
    let (status, scraped) = scrape(&app, &url, Some(TOKEN)).await;
    assert_eq!(status, 200);
    let scraped = scraped.unwrap();
    assert!(
        scraped.docs.contains_key("trustdesk_messages_total")
            || scraped.docs.contains_key("trustdesk_messages")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_own_listener_serves_them_and_the_public_one_does_not() {
    let app =
        TestApp::spawn_with(|c| c.metrics.listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let own = app.metrics_addr.expect("a metrics listener");
    assert_ne!(own, app.addr);
    assert_eq!(scrape(&app, &app.url("/metrics"), None).await.0, 404);
    let (status, scraped) = scrape(&app, &format!("http://{own}/metrics"), None).await;
    assert_eq!(status, 200);
    assert!(value(&scraped.unwrap(), "trustdesk_queue_length", &[]).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_count_what_happened() {
    let app = TestApp::spawn_with(|c| c.metrics.token = Some(TOKEN.to_owned().into())).await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (agent_token, agent) = app.agent("agent@example.com").await;
    let skills = json!({"account": 3, "trading": 3, "transfer": 3, "security": 3, "storage": 3, "compliance": 3});
    let res = app
        .http
        .put(app.url(&format!("/v1/admin/agents/{agent}/routing")))
        .bearer_auth(&admin)
        .json(&json!({"skills": skills, "capacity": 5, "languages": ["en"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let before = scrape_until(&app, "a first scrape", |_| true).await;
    assert_eq!(
        value(&before, "trustdesk_connections", &[("role", "agent")]),
        Some(0.0)
    );

    let console = app.ws(&agent_token).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, queue) = app.get("/v1/agent/queue", Some(&admin)).await;
        let online = queue["agents"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["agent_id"] == agent.as_str() && a["presence"] == "online");
        if online {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the agent never came online"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (customer, _) = app.customer().await;
    let id = app
        .open_conversation(
            &customer,
            "My USDT withdrawal has not arrived after 3 hours",
        )
        .await;
    for text in ["any news?", "the tx id is in my account history"] {
        let (status, body) = app
            .post(
                &format!("/v1/widget/conversations/{id}/messages"),
                Some(&customer),
                json!({"body": text}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // The routing engine gives it to the one agent online.
    let after = scrape_until(&app, "the routed assignment", |s| {
        value(
            s,
            "trustdesk_routing_decisions_total",
            &[("decision", "routed")],
        ) == Some(1.0)
    })
    .await;
    assert_eq!(
        value(&after, "trustdesk_connections", &[("role", "agent")]),
        Some(1.0)
    );
    assert_eq!(
        value(
            &after,
            "trustdesk_messages_total",
            &[("sender", "customer")]
        ),
        Some(3.0),
        "the opening message and two more"
    );
    assert_eq!(
        value(&after, "trustdesk_messages_total", &[("sender", "agent")]),
        Some(0.0)
    );
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{id}/messages"),
            Some(&agent_token),
            json!({"body": "Looking into it now."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let after = scrape_until(&app, "the agent's message", |s| {
        value(s, "trustdesk_messages_total", &[("sender", "agent")]) == Some(1.0)
    })
    .await;
    // Latency by route pattern, never by concrete path.
    assert_eq!(
        observations(
            &after,
            "trustdesk_http_request_duration_seconds",
            &[
                ("route", "/v1/widget/conversations/:id/messages"),
                ("method", "POST"),
                ("status", "2xx")
            ]
        ),
        2.0
    );
    assert!(
        !after
            .samples
            .iter()
            .any(|s| s.labels.values().any(|v| v.contains(&id))),
        "no series names a conversation"
    );
    // Every stored write went through a commit the store reported.
    let commits = observations(&after, "trustdesk_store_commit_duration_seconds", &[]);
    assert!(commits >= 5.0, "{commits} commits");
    assert_eq!(
        observations(&after, "trustdesk_store_commit_writes", &[]),
        commits
    );
    assert!(value(&after, "trustdesk_queue_length", &[]).is_some());

    drop(console);
    scrape_until(&app, "the console's disconnect", |s| {
        value(s, "trustdesk_connections", &[("role", "agent")]) == Some(0.0)
    })
    .await;
}
