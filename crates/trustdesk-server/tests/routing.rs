//! Routing, presence, queues, SLA and the lifecycle, through the real
//! server: HTTP for setup and checks, agent WebSockets for presence, the
//! server clock advanced instead of waiting.

mod common;

use common::{TestApp, Ws, wait_for};
use serde_json::{Value, json};
use std::time::Duration;
use trustdesk_core::Role;

const MIN: i64 = 60_000;

/// A server that routes at once even when the bot answered (the bot hold
/// has its own test).
async fn spawn() -> TestApp {
    TestApp::spawn_with(|c| c.routing.bot_hold_ms = 0).await
}

/// Sets an agent's routing profile through the admin API.
async fn profile(
    app: &TestApp,
    admin: &str,
    agent: &str,
    skills: Value,
    capacity: u32,
    languages: &[&str],
) {
    let (status, body) = put(
        app,
        &format!("/v1/admin/agents/{agent}/routing"),
        admin,
        json!({"skills": skills, "capacity": capacity, "languages": languages}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let res = app
        .http
        .put(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn all_skills(level: u8) -> Value {
    json!({"account": level, "trading": level, "transfer": level, "security": level, "storage": level, "compliance": level})
}

/// The conversation as an agent sees it (row and every event).
async fn view(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = app
        .get(&format!("/v1/agent/conversations/{id}"), Some(token))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn assignee(app: &TestApp, token: &str, id: &str) -> Option<String> {
    view(app, token, id).await["conversation"]["assignee_id"]
        .as_str()
        .map(str::to_owned)
}

fn events_of<'a>(view: &'a Value, kind: &str) -> Vec<&'a Value> {
    view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == kind)
        .collect()
}

async fn queue(app: &TestApp, supervisor: &str) -> Value {
    let (status, body) = app.get("/v1/agent/queue", Some(supervisor)).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits until the router counts this agent's connection.
async fn online(app: &TestApp, supervisor: &str, agent: &str) {
    wait_for("the agent to be online", || async {
        queue(app, supervisor).await["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["agent_id"] == agent && a["presence"] == "online")
    })
    .await;
}

async fn presence_is(app: &TestApp, supervisor: &str, agent: &str, presence: &str) -> bool {
    queue(app, supervisor).await["agents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["agent_id"] == agent && a["presence"] == presence)
}

async fn status(app: &TestApp, token: &str, id: &str, status: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({"status": status});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.post(
        &format!("/v1/agent/conversations/{id}/status"),
        Some(token),
        body,
    )
    .await
}

/// The next `notice` frame with this code.
async fn notice(ws: &mut Ws, code: &str) -> Value {
    loop {
        let frame = ws.recv_type("notice").await;
        if frame["code"] == code {
            return frame;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_get_conversations_matching_their_skills_and_languages() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (t_transfer, en_transfer) = app.agent("en-transfer@example.com").await;
    let (t_trading, en_trading) = app.agent("en-trading@example.com").await;
    let (t_zh, zh) = app.agent("zh@example.com").await;
    profile(
        &app,
        &admin,
        &en_transfer,
        json!({"transfer": 3}),
        5,
        &["en"],
    )
    .await;
    profile(&app, &admin, &en_trading, json!({"trading": 3}), 5, &["en"]).await;
    profile(
        &app,
        &admin,
        &zh,
        json!({"transfer": 3, "trading": 3}),
        5,
        &["zh"],
    )
    .await;
    let _w1 = app.ws(&t_transfer).await;
    let _w2 = app.ws(&t_trading).await;
    let _w3 = app.ws(&t_zh).await;
    for agent in [&en_transfer, &en_trading, &zh] {
        online(&app, &admin, agent).await;
    }
    let (customer, _) = app.customer().await;
    let transfer = app
        .open_conversation(
            &customer,
            "My USDT withdrawal has not arrived after 3 hours",
        )
        .await;
    let trading = app
        .open_conversation(&customer, "How do I set a stop-loss on a futures order?")
        .await;
    let chinese = app.open_conversation(&customer, "我的提币还没有到账").await;
    for (id, who) in [
        (&transfer, &en_transfer),
        (&trading, &en_trading),
        (&chinese, &zh),
    ] {
        wait_for("the routed assignment", || async {
            assignee(&app, &admin, id).await.is_some()
        })
        .await;
        assert_eq!(
            assignee(&app, &admin, id).await.as_deref(),
            Some(who.as_str())
        );
        // The customer is told who joined (written right after the
        // assignment).
        wait_for("the agent_joined notice", || async {
            events_of(&view(&app, &admin, id).await, "system_notice")
                .iter()
                .any(|e| e["kind"]["code"] == "agent_joined")
        })
        .await;
        let v = view(&app, &admin, id).await;
        let assigned = events_of(&v, "assigned");
        assert_eq!(assigned[0]["kind"]["reason"], "routed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_holds_while_200_conversations_arrive_at_once() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let mut agents = Vec::new();
    let mut sockets = Vec::new();
    for i in 0..3 {
        let (token, id) = app.agent(&format!("a{i}@example.com")).await;
        profile(&app, &admin, &id, all_skills(2), 5, &["en"]).await;
        sockets.push(app.ws(&token).await);
        online(&app, &admin, &id).await;
        agents.push((token, id));
    }
    let texts = [
        "My USDT withdrawal has not arrived after 3 hours",
        "How do I set a stop-loss on a futures order?",
        "How do I change the email address on my account?",
    ];
    let (customer, _) = app.customer().await;
    let opened = futures_util::future::join_all((0..200).map(|i| {
        let app = &app;
        let customer = &customer;
        async move { app.open_conversation(customer, texts[i % 3]).await }
    }))
    .await;
    assert_eq!(opened.len(), 200);
    wait_for("15 assigned and 185 queued", || async {
        let q = queue(&app, &admin).await;
        let loads: u64 = q["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["load"].as_u64().unwrap())
            .sum();
        q["queue"].as_array().unwrap().len() == 185 && loads == 15
    })
    .await;
    for (_, id) in &agents {
        let (s, page) = app
            .get(
                &format!("/v1/agent/conversations?assignee={id}&status=open,pending&limit=200"),
                Some(&admin),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            page["conversations"].as_array().unwrap().len(),
            5,
            "capacity 5 holds"
        );
    }
    // Positions are 1..n per competing queue, and nobody is at 0.
    let q = queue(&app, &admin).await;
    assert!(
        q["queue"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["position"].as_u64().unwrap() >= 1)
    );
    // A slot frees up: the longest-waiting fitting conversation fills it.
    let (token, id) = &agents[0];
    let (s, page) = app
        .get(
            &format!("/v1/agent/conversations?assignee={id}&limit=200"),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200);
    let first = page["conversations"][0]["id"].as_str().unwrap().to_owned();
    let (s, body) = status(&app, token, &first, "resolved", json!({})).await;
    assert_eq!(s, 200, "{body}");
    wait_for("the freed slot to be refilled", || async {
        let q = queue(&app, &admin).await;
        let load = q["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agent_id"] == id.as_str())
            .map(|a| a["load"].as_u64().unwrap());
        q["queue"].as_array().unwrap().len() == 184 && load == Some(5)
    })
    .await;
    drop(sockets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_of_an_agent_who_leaves_move_to_others_after_the_grace_period() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (ta, a) = app.agent("a@example.com").await;
    let (tb, b) = app.agent("b@example.com").await;
    let (tc, c) = app.agent("c@example.com").await;
    for id in [&a, &b, &c] {
        profile(&app, &admin, id, all_skills(3), 5, &["en"]).await;
    }
    let ws_a = app.ws(&ta).await;
    online(&app, &admin, &a).await;
    let (customer, _) = app.customer().await;
    let one = app
        .open_conversation(
            &customer,
            "My USDT withdrawal has not arrived after 3 hours",
        )
        .await;
    let two = app
        .open_conversation(
            &customer,
            "How do I change the email address on my account?",
        )
        .await;
    for id in [&one, &two] {
        wait_for("A to get it", || async {
            assignee(&app, &admin, id).await.as_deref() == Some(a.as_str())
        })
        .await;
    }
    let mut ws_b = app.ws(&tb).await;
    online(&app, &admin, &b).await;
    // A disconnects: nothing moves during the grace period (60 s)...
    drop(ws_a);
    wait_for("A to be offline", || {
        presence_is(&app, &admin, &a, "offline")
    })
    .await;
    app.state.clock.advance(59 * 1000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        assignee(&app, &admin, &one).await.as_deref(),
        Some(a.as_str())
    );
    // ...and after it, both go to B, who is online with room.
    app.state.clock.advance(2 * 1000);
    for id in [&one, &two] {
        wait_for("B to get it", || async {
            assignee(&app, &admin, id).await.as_deref() == Some(b.as_str())
        })
        .await;
        let v = view(&app, &admin, id).await;
        let reasons: Vec<&Value> = events_of(&v, "assigned")
            .iter()
            .map(|e| &e["kind"]["reason"])
            .collect();
        assert_eq!(reasons, vec!["routed", "requeued", "routed"]);
    }
    // B goes offline explicitly (still connected): after the grace period
    // the chats move to C.
    let _ws_c = app.ws(&tc).await;
    online(&app, &admin, &c).await;
    ws_b.send(json!({"type": "presence", "status": "offline", "ref": "p1"}))
        .await;
    let set = ws_b.recv_type("presence_set").await;
    assert_eq!(set["status"], "offline");
    wait_for("B to be offline", || {
        presence_is(&app, &admin, &b, "offline")
    })
    .await;
    app.state.clock.advance(61 * 1000);
    for id in [&one, &two] {
        wait_for("C to get it", || async {
            assignee(&app, &admin, id).await.as_deref() == Some(c.as_str())
        })
        .await;
    }
    // B was told why.
    notice(&mut ws_b, "requeued").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn away_agents_keep_their_chats_and_get_no_new_ones() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (ta, a) = app.agent("a@example.com").await;
    profile(&app, &admin, &a, all_skills(3), 5, &["en"]).await;
    let mut ws = app.ws(&ta).await;
    online(&app, &admin, &a).await;
    let (customer, _) = app.customer().await;
    let mine = app
        .open_conversation(
            &customer,
            "How do I change the email address on my account?",
        )
        .await;
    wait_for("A to get it", || async {
        assignee(&app, &admin, &mine).await.is_some()
    })
    .await;
    ws.send(json!({"type": "presence", "status": "away"})).await;
    ws.recv_type("presence_set").await;
    wait_for("A to be away", || presence_is(&app, &admin, &a, "away")).await;
    let waiting = app
        .open_conversation(&customer, "How do I set a stop-loss on a futures order?")
        .await;
    app.state.clock.advance(10 * MIN);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        assignee(&app, &admin, &mine).await.as_deref(),
        Some(a.as_str())
    );
    assert_eq!(
        assignee(&app, &admin, &waiting).await,
        None,
        "away gets no new chats"
    );
    ws.send(json!({"type": "presence", "status": "online"}))
        .await;
    wait_for("A back online takes it", || async {
        assignee(&app, &admin, &waiting).await.as_deref() == Some(a.as_str())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urgent_security_chat_overtakes_the_queue_and_customers_see_their_place() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (tx, x) = app.agent("x@example.com").await;
    profile(&app, &admin, &x, all_skills(3), 1, &["en"]).await;
    let mut normal = Vec::new();
    for _ in 0..3 {
        let (customer, _) = app.customer().await;
        let id = app
            .open_conversation(
                &customer,
                "My USDT withdrawal has not arrived after 3 hours",
            )
            .await;
        normal.push((customer, id));
    }
    let (victim, _) = app.customer().await;
    let urgent = app
        .open_conversation(
            &victim,
            "My account was hacked and someone withdrew all my BTC",
        )
        .await;
    wait_for("four waiting", || async {
        queue(&app, &admin).await["queue"].as_array().unwrap().len() == 4
    })
    .await;
    let q = queue(&app, &admin).await;
    assert_eq!(
        q["queue"][0]["conversation_id"],
        urgent.as_str(),
        "urgent security first"
    );
    assert_eq!(q["queue"][0]["position"], 1);
    // The first normal customer waits behind the urgent request.
    let mut ws = app.ws(&normal[0].0).await;
    let (_, sub) = ws.subscribe(&normal[0].1, None).await;
    assert_eq!(sub["type"], "subscribed");
    let frame = ws.recv_type("queue").await;
    assert_eq!(frame["position"], 2);
    assert_eq!(
        frame["estimate"], "unknown",
        "no handling times and nobody online yet"
    );
    assert!(frame["estimated_wait_ms"].is_null());
    let (s, mine) = app
        .get(
            &format!("/v1/widget/conversations/{}/queue", normal[0].1),
            Some(&normal[0].0),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(mine["position"], 2);
    // Another customer's conversation is a 404, like a missing one.
    let (s, _) = app
        .get(
            &format!("/v1/widget/conversations/{urgent}/queue"),
            Some(&normal[0].0),
        )
        .await;
    assert_eq!(s, 404);
    // The only agent comes online with one slot: the urgent one is taken.
    let _wx = app.ws(&tx).await;
    wait_for("the urgent chat assigned", || async {
        assignee(&app, &admin, &urgent).await.as_deref() == Some(x.as_str())
    })
    .await;
    for (_, id) in &normal {
        assert_eq!(assignee(&app, &admin, id).await, None);
    }
    // The position updates as the queue moves (the urgent one left), and
    // once a chat was handled the estimate is known.
    let frame = ws.recv_type("queue").await;
    assert_eq!(frame["position"], 1);
    app.state.clock.advance(4 * MIN);
    let (s, body) = status(&app, &tx, &urgent, "resolved", json!({})).await;
    assert_eq!(s, 200, "{body}");
    wait_for("the first normal chat assigned", || async {
        assignee(&app, &admin, &normal[0].1).await.as_deref() == Some(x.as_str())
    })
    .await;
    let mut ws2 = app.ws(&normal[1].0).await;
    ws2.subscribe(&normal[1].1, None).await;
    let frame = ws2.recv_type("queue").await;
    assert_eq!(frame["position"], 1);
    assert_eq!(frame["estimate"], "known");
    let wait = frame["estimated_wait_ms"].as_i64().unwrap();
    assert!((4 * MIN..=5 * MIN).contains(&wait), "{wait}");
}

/// A policy with the same targets for every priority, so escalation does
/// not change the arithmetic: warning at 5 min, breach at 10 min.
async fn short_policy(app: &TestApp, admin: &str) {
    let t = json!({"first_response_ms": 10 * MIN, "next_response_ms": 20 * MIN, "resolution_ms": 60 * MIN, "business_hours": false});
    let (s, body) = put(
        app,
        "/v1/admin/sla/policy",
        admin,
        json!({"name": "test", "low": t, "normal": t, "high": t, "urgent": t, "warning_percent": 50}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
}

async fn sla_timer_set(app: &TestApp) {
    wait_for("the SLA timer", || async {
        app.state.store.next_timer_at().await.unwrap().is_some()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_warning_and_breach_fire_at_the_simulated_times_and_escalate() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (agent, _) = app.agent("agent@example.com").await;
    short_policy(&app, &admin).await;
    let mut supervisor_ws = app.ws(&admin).await;
    let (customer, _) = app.customer().await;
    let id = app
        .open_conversation(
            &customer,
            "How do I change the email address on my account?",
        )
        .await;
    // A second conversation goes pending: its clocks stop counting.
    let paused = app
        .open_conversation(&customer, "How do I set a stop-loss on a futures order?")
        .await;
    let (s, _) = status(&app, &agent, &paused, "pending", json!({})).await;
    assert_eq!(s, 200);
    sla_timer_set(&app).await;
    let before = view(&app, &admin, &id).await["conversation"]["priority"].clone();
    app.state.clock.advance(4 * MIN);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(events_of(&view(&app, &admin, &id).await, "sla_warning").is_empty());
    app.state.clock.advance(2 * MIN);
    wait_for("the warning", || async {
        !events_of(&view(&app, &admin, &id).await, "sla_warning").is_empty()
    })
    .await;
    let v = view(&app, &admin, &id).await;
    let warning = events_of(&v, "sla_warning")[0];
    assert_eq!(warning["kind"]["metric"], "first_response");
    assert_eq!(warning["visibility"], "internal");
    assert!(events_of(&v, "sla_breached").is_empty());
    app.state.clock.advance(5 * MIN);
    wait_for("the breach and its escalation", || async {
        !events_of(&view(&app, &admin, &id).await, "priority_changed").is_empty()
    })
    .await;
    let v = view(&app, &admin, &id).await;
    assert_eq!(events_of(&v, "sla_breached").len(), 1);
    assert_eq!(events_of(&v, "sla_warning").len(), 1);
    let changed = events_of(&v, "priority_changed");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["kind"]["from"], before);
    assert_ne!(v["conversation"]["priority"], before, "escalated");
    let told = notice(&mut supervisor_ws, "sla_breached").await;
    assert_eq!(told["conversation_id"], id.as_str());
    // The customer sees none of it.
    let (_, mine) = app
        .get(&format!("/v1/widget/conversations/{id}"), Some(&customer))
        .await;
    assert!(mine["events"].as_array().unwrap().iter().all(|e| {
        !["sla_warning", "sla_breached", "priority_changed"]
            .contains(&e["kind"]["type"].as_str().unwrap())
    }));
    // The pending conversation never warned.
    let p = view(&app, &admin, &paused).await;
    assert!(events_of(&p, "sla_warning").is_empty());
    assert!(events_of(&p, "sla_breached").is_empty());
    // The customer replies: it reopens and its clock runs on from 0 + the
    // time before the pause (~0), so 6 more minutes bring the warning.
    let (s, _) = app
        .post(
            &format!("/v1/widget/conversations/{paused}/messages"),
            Some(&customer),
            json!({"body": "I am on the mobile app"}),
        )
        .await;
    assert_eq!(s, 201);
    app.state.clock.advance(6 * MIN);
    wait_for("the resumed clock's warning", || async {
        !events_of(&view(&app, &admin, &paused).await, "sla_warning").is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_timers_survive_a_restart_and_fire_once() {
    let mut first = TestApp::spawn().await;
    let (admin, _) = first
        .agent_with_role("admin@example.com", Role::Admin)
        .await;
    short_policy(&first, &admin).await;
    let (customer, _) = first.customer().await;
    let id = first
        .open_conversation(
            &customer,
            "How do I change the email address on my account?",
        )
        .await;
    sla_timer_set(&first).await;
    let store = first.state.store.clone();
    first.shutdown().await;
    // The clock moved on while the server was down.
    let second = TestApp::spawn_on(store).await;
    second.state.clock.advance(11 * MIN);
    wait_for("warning and breach after the restart", || async {
        let v = view(&second, &admin, &id).await;
        events_of(&v, "sla_breached").len() == 1 && events_of(&v, "sla_warning").len() == 1
    })
    .await;
    second.state.clock.advance(2 * MIN);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v = view(&second, &admin, &id).await;
    assert_eq!(events_of(&v, "sla_warning").len(), 1, "fired once");
    assert_eq!(events_of(&v, "sla_breached").len(), 1, "fired once");
    // The resolution target (60 min) is still ahead and fires later.
    second.state.clock.advance(50 * MIN);
    wait_for("the resolution breach", || async {
        events_of(&view(&second, &admin, &id).await, "sla_breached").len() == 2
    })
    .await;
    drop(first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_snooze_wakes_reply_reopens_auto_close_and_reminders() {
    let app = TestApp::spawn_with(|c| {
        c.lifecycle.auto_close_after_ms = 48 * 60 * MIN;
        c.routing.bot_hold_ms = 0;
        // Sessions expire by the server clock too, and this test moves it
        // forward by days.
        c.sessions.agent_ttl_hours = 24 * 7;
    })
    .await;
    let (agent, _) = app.agent("agent@example.com").await;
    let mut ws = app.ws(&agent).await;
    let (customer, _) = app.customer().await;
    let id = app
        .open_conversation(
            &customer,
            "How do I change the email address on my account?",
        )
        .await;
    // Answering takes it.
    let (s, _) = app
        .post(
            &format!("/v1/agent/conversations/{id}/messages"),
            Some(&agent),
            json!({"body": "Let me check."}),
        )
        .await;
    assert_eq!(s, 201);
    // Snooze for an hour of server time.
    let until = app.state.clock.now().0 + 60 * MIN;
    let (s, body) = status(
        &app,
        &agent,
        &id,
        "snoozed",
        json!({"snoozed_until": until}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    app.state.clock.advance(59 * MIN);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        view(&app, &agent, &id).await["conversation"]["status"],
        "snoozed"
    );
    app.state.clock.advance(2 * MIN);
    wait_for("the snooze to end", || async {
        view(&app, &agent, &id).await["conversation"]["status"] == "open"
    })
    .await;
    notice(&mut ws, "snooze_ended").await;
    // Resolved, then the customer writes: open again.
    let (s, _) = status(&app, &agent, &id, "resolved", json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post(
            &format!("/v1/widget/conversations/{id}/messages"),
            Some(&customer),
            json!({"body": "One more question"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        view(&app, &agent, &id).await["conversation"]["status"],
        "open"
    );
    // A reminder in 24 h fires as an event and a notice.
    let (s, body) = app
        .post(
            &format!("/v1/agent/conversations/{id}/reminders"),
            Some(&agent),
            json!({"in_ms": 24 * 60 * MIN, "note": "check the deposit landed"}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["event"]["kind"]["type"], "reminder_set");
    app.state.clock.advance(24 * 60 * MIN + 1000);
    let frame = notice(&mut ws, "reminder_due").await;
    assert_eq!(frame["text"], "check the deposit landed");
    assert_eq!(
        events_of(&view(&app, &agent, &id).await, "reminder_due").len(),
        1
    );
    // Resolved and left alone: closed after the configured 48 h.
    let (s, _) = status(&app, &agent, &id, "resolved", json!({})).await;
    assert_eq!(s, 200);
    app.state.clock.advance(47 * 60 * MIN);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        view(&app, &agent, &id).await["conversation"]["status"],
        "resolved"
    );
    app.state.clock.advance(2 * 60 * MIN);
    wait_for("the auto-close", || async {
        view(&app, &agent, &id).await["conversation"]["status"] == "closed"
    })
    .await;
    // Bad reminders are refused clearly.
    let (s, body) = app
        .post(
            &format!("/v1/agent/conversations/{id}/reminders"),
            Some(&agent),
            json!({"in_ms": -5, "note": "x"}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_need_a_reason_and_taking_someone_elses_chat_needs_a_supervisor() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (sup, _) = app
        .agent_with_role("sup@example.com", Role::Supervisor)
        .await;
    let (ta, a) = app.agent("a@example.com").await;
    let (tb, b) = app.agent("b@example.com").await;
    let (customer, _) = app.customer().await;
    let id = app
        .open_conversation(
            &customer,
            "My USDT withdrawal has not arrived after 3 hours",
        )
        .await;
    let path = format!("/v1/agent/conversations/{id}/transfer");
    let (s, _) = app
        .post(
            &format!("/v1/agent/conversations/{id}/assign"),
            Some(&ta),
            json!({"agent_id": a}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, body) = app
        .post(&path, Some(&ta), json!({"agent_id": b, "reason": "  "}))
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let (s, _) = app.post(&path, Some(&ta), json!({"reason": "x"})).await;
    assert_eq!(s, 400);
    // B cannot take A's conversation: outside B's scope it does not even
    // exist for B (the same 404 as a missing id)...
    let (s, body) = app
        .post(
            &path,
            Some(&tb),
            json!({"agent_id": b, "reason": "mine now"}),
        )
        .await;
    assert_eq!(s, 404, "{body}");
    // ...A can hand it to B...
    let (s, body) = app
        .post(
            &path,
            Some(&ta),
            json!({"agent_id": b, "reason": "B knows TRON"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["event"]["kind"]["type"], "transferred");
    assert_eq!(body["event"]["kind"]["supervisor"], false);
    assert_eq!(
        assignee(&app, &admin, &id).await.as_deref(),
        Some(b.as_str())
    );
    // ...and a supervisor can reassign it to a team's queue.
    let (s, team) = app
        .post(
            "/v1/admin/teams",
            Some(&admin),
            json!({"name": "Chain desk"}),
        )
        .await;
    assert_eq!(s, 201, "{team}");
    let (s, body) = app
        .post(
            &path,
            Some(&sup),
            json!({"team_id": team["id"], "reason": "needs the chain desk"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["event"]["kind"]["supervisor"], true);
    let v = view(&app, &admin, &id).await;
    assert_eq!(v["conversation"]["team_id"], team["id"]);
    assert!(v["conversation"]["assignee_id"].is_null());
    // The customer does not see transfers or reasons.
    let (_, mine) = app
        .get(&format!("/v1/widget/conversations/{id}"), Some(&customer))
        .await;
    assert!(!mine.to_string().contains("chain desk"));
    // An unknown team, a missing conversation: clear errors. (The admin
    // asks: the conversation now belongs to a team the supervisor is not
    // in, so for the supervisor it is out of scope.)
    let (s, _) = app
        .post(
            &path,
            Some(&admin),
            json!({"team_id": trustdesk_core::TeamId::new(), "reason": "x"}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = app
        .post(
            &format!(
                "/v1/agent/conversations/{}/transfer",
                trustdesk_core::ConversationId::new()
            ),
            Some(&sup),
            json!({"agent_id": a, "reason": "x"}),
        )
        .await;
    assert_eq!(s, 404);
    // Only members of the team get it from the queue.
    let (tc, c) = app.agent("c@example.com").await;
    let (td, d) = app.agent("d@example.com").await;
    profile(&app, &admin, &d, all_skills(3), 5, &["en"]).await;
    let _wd = app.ws(&td).await;
    online(&app, &admin, &d).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        assignee(&app, &admin, &id).await,
        None,
        "D is not in the team"
    );
    let (s, body) = put(
        &app,
        &format!("/v1/admin/agents/{c}/routing"),
        &admin,
        json!({"skills": all_skills(3), "capacity": 5, "languages": ["en"], "team_id": team["id"]}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let _wc = app.ws(&tc).await;
    wait_for("the team member to get it", || async {
        assignee(&app, &admin, &id).await.as_deref() == Some(c.as_str())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_validates_and_commitments_come_from_the_policy() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (agent, a) = app.agent("a@example.com").await;
    // Agents cannot change routing or policies.
    let (s, _) = put(
        &app,
        &format!("/v1/admin/agents/{a}/routing"),
        &agent,
        json!({"skills": {}, "capacity": 1}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = app.get("/v1/agent/queue", Some(&agent)).await;
    assert_eq!(s, 403);
    // Bad input: clear 400s, never a 500.
    for body in [
        json!({"skills": {"transfer": 4}, "capacity": 1}),
        json!({"skills": {"cooking": 1}, "capacity": 1}),
        json!({"skills": {}, "capacity": 1000}),
        json!({"skills": {}, "capacity": 1, "languages": []}),
        json!({"skills": {}, "capacity": 1, "team_id": 7}),
    ] {
        let (s, res) = put(
            &app,
            &format!("/v1/admin/agents/{a}/routing"),
            &admin,
            body.clone(),
        )
        .await;
        assert_eq!(s, 400, "{body} -> {res}");
        assert_eq!(res["error"]["code"], "bad_request");
    }
    let (s, _) = put(
        &app,
        &format!(
            "/v1/admin/agents/{}/routing",
            trustdesk_core::AgentId::new()
        ),
        &admin,
        json!({"skills": {}, "capacity": 1}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, got) = app
        .get(&format!("/v1/admin/agents/{a}/routing"), Some(&admin))
        .await;
    assert_eq!(s, 200);
    assert_eq!(got["capacity"], 0, "no profile: never routed to");
    // The published commitments: the 24/7 default first.
    let (s, c) = app.get("/v1/service/commitments", None).await;
    assert_eq!(s, 200);
    assert_eq!(c["hours"], "24/7");
    let urgent = &c["commitments"][0];
    assert_eq!(urgent["priority"], "urgent");
    assert_eq!(urgent["first_response_ms"], 5 * MIN);
    // A business-hours calendar and a policy using it.
    let weekday = json!([{"start_min": 540, "end_min": 1080}]);
    let (s, res) = put(
        &app,
        "/v1/admin/calendars/berlin",
        &admin,
        json!({"time_zone": "Europe/Nowhere", "weekly": [weekday, weekday, weekday, weekday, weekday, [], []], "holidays": []}),
    )
    .await;
    assert_eq!(s, 400, "{res}");
    let (s, res) = put(
        &app,
        "/v1/admin/calendars/berlin",
        &admin,
        json!({"time_zone": "Europe/Berlin", "weekly": [weekday, weekday, weekday, weekday, weekday, [], []], "holidays": ["2026-12-25"]}),
    )
    .await;
    assert_eq!(s, 200, "{res}");
    let (s, mut policy) = app.get("/v1/admin/sla/policy", Some(&admin)).await;
    assert_eq!(s, 200);
    policy["calendar"] = json!("nope");
    let (s, _) = put(&app, "/v1/admin/sla/policy", &admin, policy.clone()).await;
    assert_eq!(s, 400);
    policy["calendar"] = json!("berlin");
    policy["normal"]["first_response_ms"] = json!(30 * MIN);
    let (s, res) = put(&app, "/v1/admin/sla/policy", &admin, policy.clone()).await;
    assert_eq!(s, 200, "{res}");
    let (_, c) = app.get("/v1/service/commitments", None).await;
    assert_eq!(c["hours"], "berlin");
    assert_eq!(c["time_zone"], "Europe/Berlin");
    let normal = c["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["priority"] == "normal")
        .unwrap();
    assert_eq!(normal["first_response_ms"], 30 * MIN);
    assert_eq!(normal["business_hours"], true);
    assert_eq!(
        c["commitments"][0]["business_hours"], false,
        "urgent stays 24/7"
    );
    // The calendar in use cannot be deleted.
    let res = app
        .http
        .delete(app.url("/v1/admin/calendars/berlin"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 409);
    // The clock route does not exist unless enabled.
    let (s, _) = app
        .post("/v1/admin/clock/advance", Some(&admin), json!({"ms": 1000}))
        .await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_answer_holds_the_chat_back_until_the_customer_asks_for_a_person_or_the_hold_ends() {
    let app = TestApp::spawn_with(|c| c.routing.bot_hold_ms = 2 * MIN).await;
    app.load_starter_kb().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    let (ta, a) = app.agent("a@example.com").await;
    profile(&app, &admin, &a, all_skills(3), 5, &["en"]).await;
    let _ws = app.ws(&ta).await;
    online(&app, &admin, &a).await;
    let (customer, _) = app.customer().await;
    let text = "How do I change the email address on my account?";
    let waits = app.open_conversation(&customer, text).await;
    let asks = app.open_conversation(&customer, text).await;
    for id in [&waits, &asks] {
        let v = view(&app, &admin, id).await;
        assert_eq!(events_of(&v, "bot_reply").len(), 1, "the bot answered: {v}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        assignee(&app, &admin, &waits).await,
        None,
        "held for the bot"
    );
    // Asking for a person ends the hold at once.
    let (s, _) = app
        .post(
            &format!("/v1/widget/conversations/{asks}/messages"),
            Some(&customer),
            json!({"body": "I want to talk to a human"}),
        )
        .await;
    assert_eq!(s, 201);
    wait_for("the handed-off chat routed", || async {
        assignee(&app, &admin, &asks).await.as_deref() == Some(a.as_str())
    })
    .await;
    assert_eq!(assignee(&app, &admin, &waits).await, None);
    // Otherwise the hold ends after 2 minutes.
    app.state.clock.advance(2 * MIN + 1000);
    wait_for("the held chat routed", || async {
        assignee(&app, &admin, &waits).await.as_deref() == Some(a.as_str())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_counts_business_hours_only_when_the_policy_says_so() {
    let app = spawn().await;
    let (admin, _) = app.agent_with_role("admin@example.com", Role::Admin).await;
    // A UTC calendar open one hour a day, starting an hour from now.
    let now_ms = app.state.clock.now().0;
    let minute_of_day = (now_ms / MIN).rem_euclid(24 * 60);
    let start = (minute_of_day + 60) % (24 * 60);
    let end = (start + 60) % (24 * 60);
    let day = json!([{"start_min": start, "end_min": end}]);
    let (s, body) = put(
        &app,
        "/v1/admin/calendars/one-hour",
        &admin,
        json!({"time_zone": "UTC", "weekly": [day, day, day, day, day, day, day], "holidays": []}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let t = json!({"first_response_ms": 10 * MIN, "next_response_ms": 20 * MIN, "resolution_ms": 600 * MIN, "business_hours": true});
    let (s, body) = put(
        &app,
        "/v1/admin/sla/policy",
        &admin,
        json!({"name": "office", "low": t, "normal": t, "high": t, "urgent": t, "warning_percent": 50, "calendar": "one-hour"}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (customer, _) = app.customer().await;
    let id = app
        .open_conversation(
            &customer,
            "How do I change the email address on my account?",
        )
        .await;
    sla_timer_set(&app).await;
    // 24/7 would have breached at +10 min; closed hours do not count.
    app.state.clock.advance(30 * MIN);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v = view(&app, &admin, &id).await;
    assert!(
        events_of(&v, "sla_warning").is_empty(),
        "closed hours count nothing"
    );
    // Open from about +60 (the start of that minute, so up to a minute
    // earlier): 5 business minutes warn, 10 breach. At +62 nothing yet.
    app.state.clock.advance(32 * MIN);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(events_of(&view(&app, &admin, &id).await, "sla_warning").is_empty());
    // At +67: 7–8 business minutes, a warning, no breach.
    app.state.clock.advance(5 * MIN);
    wait_for("the business-hours warning", || async {
        !events_of(&view(&app, &admin, &id).await, "sla_warning").is_empty()
    })
    .await;
    assert!(events_of(&view(&app, &admin, &id).await, "sla_breached").is_empty());
    // At +72: 12 or more, the breach.
    app.state.clock.advance(5 * MIN);
    wait_for("the business-hours breach", || async {
        !events_of(&view(&app, &admin, &id).await, "sla_breached").is_empty()
    })
    .await;
}

/// Two agents who click "take" at the same moment: the store's
/// compare-and-set on the assignee lets exactly one through; the other is
/// told it was taken, and the log holds one assignment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_taking_one_conversation_at_once_never_both_get_it() {
    let app = TestApp::spawn().await;
    let (ta, a) = app.agent("a@example.com").await;
    let (tb, b) = app.agent("b@example.com").await;
    for round in 0..10 {
        let (customer, _) = app.customer().await;
        let id = app
            .open_conversation(&customer, &format!("How do I enable 2FA? ({round})"))
            .await;
        let path = format!("/v1/agent/conversations/{id}/assign");
        let (first, second) = tokio::join!(
            app.post(&path, Some(&ta), json!({"agent_id": a})),
            app.post(&path, Some(&tb), json!({"agent_id": b})),
        );
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert!(
            statuses == [200, 409] || statuses == [200, 404],
            "round {round}: exactly one takes it: {first:?} {second:?}"
        );
        let events = app
            .state
            .store
            .events(id.parse().unwrap(), 0, trustdesk_store::Audience::Team, 100)
            .await
            .unwrap();
        let taken = events
            .iter()
            .filter(|e| {
                matches!(
                    &e.kind,
                    trustdesk_core::EventKind::Assigned { to: Some(_), .. }
                )
            })
            .count();
        assert_eq!(taken, 1, "round {round}: one assignment in the log");
    }
}
