//! The security regression suite: each test attacks the real server the way
//! an outsider (or a curious insider) would, one class of attack per test.
//! docs/security.md maps every promise to the test that proves it.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use trustdesk_core::{
    Agent, AgentId, AgentStatus, ConversationId, Language, Role, Team, TeamId, Timestamp,
};
use trustdesk_server::accounts::totp;
use trustdesk_server::auth::{identity, token};

async fn team(app: &TestApp, name: &str) -> TeamId {
    let team = Team {
        id: TeamId::new(),
        name: name.into(),
        created_at: Timestamp::now(),
    };
    app.state.store.create_team(&team).await.unwrap();
    team.id
}

/// Puts a conversation in a team's queue (as routing would).
async fn route_to(app: &TestApp, conversation: &str, team: TeamId) {
    app.state
        .conversations
        .route_to_team(conversation.parse().unwrap(), team)
        .await
        .unwrap();
}

/// An agent without 2FA (as `trustdesk agent create` makes them).
async fn unenrolled_agent(app: &TestApp, email: &str) -> AgentId {
    let agent = Agent {
        id: AgentId::new(),
        email: email.into(),
        display_name: "New".into(),
        role: Role::Agent,
        status: AgentStatus::Active,
        languages: vec![Language::En],
        team_id: None,
        badge: token::badge(),
        created_at: Timestamp::now(),
    };
    let hash = trustdesk_server::accounts::password::hash(PASSWORD.into())
        .await
        .unwrap();
    app.state.store.create_agent(&agent, &hash).await.unwrap();
    agent.id
}

async fn ticket(app: &TestApp, email: &str) -> (String, String) {
    let (status, body) = app
        .post(
            "/v1/agent/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (
        body["ticket"].as_str().unwrap().to_owned(),
        body["next"].as_str().unwrap().to_owned(),
    )
}

async fn agent_id(app: &TestApp, email: &str) -> AgentId {
    app.state
        .store
        .agent_credentials(email)
        .await
        .unwrap()
        .unwrap()
        .0
        .id
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    app.state
        .store
        .list_audit()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn delete(app: &TestApp, path: &str, token: &str) -> u16 {
    app.http
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

// --- 2FA ---------------------------------------------------------------------

#[tokio::test]
async fn a_password_alone_opens_nothing_and_a_totp_code_works_once() {
    let app = TestApp::spawn().await;
    app.agent("ada@example.com").await;
    let id = agent_id(&app, "ada@example.com").await;
    let (t, next) = ticket(&app, "ada@example.com").await;
    assert_eq!(next, "totp");
    assert!(t.starts_with("tdt_"));
    // The ticket is not a session: not for the API, not for the WebSocket.
    let (status, _) = app.get("/v1/agent/me", Some(&t)).await;
    assert_eq!(status, 401);
    let mut ws = app.ws_raw().await;
    ws.send(json!({"type": "hello", "v": 1, "token": t})).await;
    assert_eq!(ws.closed().await.code, Some(4001));

    let code = app.fresh_code(id).await;
    let (status, body) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t, "code": code}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let session = body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/agent/me", Some(&session)).await.0, 200);
    // The ticket was used up.
    let (status, _) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t, "code": code}),
        )
        .await;
    assert_eq!(status, 401);
    // Replaying the same code with a fresh ticket fails.
    let (t2, _) = ticket(&app, "ada@example.com").await;
    let (status, replay) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t2, "code": code}),
        )
        .await;
    assert_eq!(status, 401, "a used code is refused: {replay}");
    // ... and so does an older step than the last used one.
    let record = app.state.store.get_totp(id).await.unwrap().unwrap();
    let older = totp::code_for_step(&record.secret, record.last_step - 1).unwrap();
    let (status, _) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t2, "code": older}),
        )
        .await;
    assert_eq!(status, 401);
    // Two steps ahead is outside the ±1 window.
    let now = totp::step_of(totp::now_secs());
    let ahead = totp::code_for_step(&record.secret, now + 3).unwrap();
    let (status, _) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t2, "code": ahead}),
        )
        .await;
    assert_eq!(status, 401);
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|a| a == "agent.2fa.failed")
    );
}

#[tokio::test]
async fn a_used_totp_code_stays_used_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trustdesk.db");
    let open = || async {
        let store: std::sync::Arc<dyn trustdesk_store::Store> = std::sync::Arc::new(
            trustdesk_store::SqliteStore::open(&path, Default::default())
                .await
                .unwrap(),
        );
        TestApp::spawn_on(store).await
    };
    let mut app = open().await;
    app.agent("restart@example.com").await;
    let id = agent_id(&app, "restart@example.com").await;
    let record = app.state.store.get_totp(id).await.unwrap().unwrap();
    let used = totp::code_for_step(&record.secret, record.last_step).unwrap();
    app.shutdown().await;
    drop(app);

    let app = open().await;
    let (t, _) = ticket(&app, "restart@example.com").await;
    let (status, _) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t, "code": used}),
        )
        .await;
    assert_eq!(
        status, 401,
        "the last used code is remembered in the database"
    );
}

#[tokio::test]
async fn enrolment_gives_a_qr_and_one_time_recovery_codes() {
    let app = TestApp::spawn().await;
    let id = unenrolled_agent(&app, "new@example.com").await;
    let (t, next) = ticket(&app, "new@example.com").await;
    assert_eq!(next, "enrol");
    // An enrolment ticket cannot skip to a session.
    let (status, _) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t, "code": "000000"}),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(app.get("/v1/agent/conversations", Some(&t)).await.0, 401);

    let (status, enrol) = app
        .post("/v1/agent/2fa/enrol", None, json!({"ticket": t}))
        .await;
    assert_eq!(status, 200, "{enrol}");
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    assert!(
        enrol["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/trustdesk:new%40example.com?secret=")
    );
    assert!(enrol["qr_svg"].as_str().unwrap().contains("<svg"));
    // A wrong code does not confirm.
    let (status, _) = app
        .post(
            "/v1/agent/2fa/confirm",
            None,
            json!({"ticket": t, "code": "12345x"}),
        )
        .await;
    assert_eq!(status, 401);
    let code = totp::code_at(&secret, totp::now_secs()).unwrap();
    let (status, done) = app
        .post(
            "/v1/agent/2fa/confirm",
            None,
            json!({"ticket": t, "code": code}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert!(done["token"].as_str().unwrap().starts_with("tda_"));
    let codes: Vec<String> = serde_json::from_value(done["recovery_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    // Enrolment cannot be restarted by replaying the ticket.
    let (status, _) = app
        .post("/v1/agent/2fa/enrol", None, json!({"ticket": t}))
        .await;
    assert_eq!(status, 401);

    // A recovery code logs in once.
    let (t2, next) = ticket(&app, "new@example.com").await;
    assert_eq!(next, "totp");
    let (status, body) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t2, "code": codes[3].to_lowercase()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recovery_codes_left"], 9);
    let (t3, _) = ticket(&app, "new@example.com").await;
    let (status, _) = app
        .post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": t3, "code": codes[3]}),
        )
        .await;
    assert_eq!(status, 401, "a recovery code is one-time");
    // Only hashes are stored.
    let record = app.state.store.get_totp(id).await.unwrap().unwrap();
    assert!(record.confirmed_at.is_some());
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|a| a == "agent.2fa.enrolled")
    );
}

// --- sessions and revocation ----------------------------------------------------

#[tokio::test]
async fn a_password_change_revokes_other_sessions_and_closes_their_websockets() {
    let app = TestApp::spawn().await;
    let (first, _) = app.agent("pat@example.com").await;
    let (_, second) = app.login("pat@example.com", PASSWORD).await;
    let second = second["token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&second).await;
    let mut ws_first = app.ws(&first).await;

    // Wrong current password: nothing changes.
    let (status, _) = app
        .post(
            "/v1/agent/password",
            Some(&first),
            json!({"current_password": "not my password", "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, body) = app
        .post(
            "/v1/agent/password",
            Some(&first),
            json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revoked_sessions"], 1);
    let started = Instant::now();
    let closed = ws.closed().await;
    assert_eq!(closed.code, Some(4002), "{closed:?}");
    assert_eq!(closed.reason, "session_revoked");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(app.get("/v1/agent/me", Some(&second)).await.0, 401);
    // The session that made the change lives on, its socket too.
    assert_eq!(app.get("/v1/agent/me", Some(&first)).await.0, 200);
    ws_first.send(json!({"type": "ping", "ref": "p"})).await;
    assert_eq!(ws_first.recv_type("pong").await["ref"], "p");
    // The old password no longer works; the new one does.
    assert_eq!(app.login("pat@example.com", PASSWORD).await.0, 401);
    assert_eq!(
        app.login("pat@example.com", "a brand new password").await.0,
        200
    );
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|a| a == "agent.password_changed")
    );
}

#[tokio::test]
async fn a_revocation_the_bus_never_carried_still_closes_agent_sockets() {
    // Another node (or `trustdesk agent reset-2fa`) revokes in the shared
    // database; this node's bus hears nothing. The socket still closes
    // within seconds: agent connections re-read their session.
    let app = TestApp::spawn().await;
    let (agent, id) = app.agent("far@example.com").await;
    let mut ws = app.ws(&agent).await;
    let started = Instant::now();
    app.state
        .store
        .revoke_agent_sessions(id.parse().unwrap(), None, Timestamp::now())
        .await
        .unwrap();
    let closed = ws.closed().await;
    assert_eq!(closed.code, Some(4002), "{closed:?}");
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn admin_actions_revoke_sessions_and_are_admin_only() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.agent_with_role("root@example.com", Role::Admin).await;
    let (supervisor, _) = app
        .agent_with_role("sup@example.com", Role::Supervisor)
        .await;
    let (victim, victim_id) = app.agent("eve@example.com").await;
    let mut ws = app.ws(&victim).await;

    // Not an admin: refused, nothing changes.
    for (path, body) in [
        ("status", json!({"status": "deactivated"})),
        ("role", json!({"role": "admin"})),
        ("password", json!({"new_password": "taken over password"})),
        ("2fa/reset", json!({})),
    ] {
        let url = format!("/v1/admin/agents/{victim_id}/{path}");
        assert_eq!(app.post(&url, Some(&supervisor), body.clone()).await.0, 403);
        assert_eq!(app.post(&url, Some(&victim), body).await.0, 403);
    }
    assert_eq!(app.get("/v1/agent/me", Some(&victim)).await.0, 200);

    // Deactivation: the socket closes at once, REST and login refuse.
    let (status, body) = app
        .post(
            &format!("/v1/admin/agents/{victim_id}/status"),
            Some(&admin),
            json!({"status": "deactivated"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ws.closed().await.code, Some(4002));
    assert_eq!(app.get("/v1/agent/me", Some(&victim)).await.0, 401);
    let (status, refused) = app
        .post(
            "/v1/agent/login",
            None,
            json!({"email": "eve@example.com", "password": PASSWORD}),
        )
        .await;
    let (_, unknown) = app
        .post(
            "/v1/agent/login",
            None,
            json!({"email": "nobody@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(refused, unknown, "a deactivated account looks like none");

    // Reactivate, then a 2FA reset: the next login must enrol again.
    app.post(
        &format!("/v1/admin/agents/{victim_id}/status"),
        Some(&admin),
        json!({"status": "active"}),
    )
    .await;
    let (_, again) = app.login("eve@example.com", PASSWORD).await;
    let again = again["token"].as_str().unwrap().to_owned();
    let mut ws = app.ws(&again).await;
    let (status, _) = app
        .post(
            &format!("/v1/admin/agents/{victim_id}/2fa/reset"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(ws.closed().await.code, Some(4002));
    assert_eq!(ticket(&app, "eve@example.com").await.1, "enrol");

    // A role change revokes too (nothing keeps running with old powers).
    let (_, sup_again) = app.login("sup@example.com", PASSWORD).await;
    let sup_id = agent_id(&app, "sup@example.com").await;
    let (status, _) = app
        .post(
            &format!("/v1/admin/agents/{sup_id}/role"),
            Some(&admin),
            json!({"role": "agent"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.get("/v1/agent/me", Some(sup_again["token"].as_str().unwrap()))
            .await
            .0,
        401
    );
    // An admin resets a password: every session of that agent ends.
    let (status, body) = app
        .post(
            &format!("/v1/admin/agents/{sup_id}/password"),
            Some(&admin),
            json!({"new_password": "short"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = app
        .post(
            &format!("/v1/admin/agents/{sup_id}/password"),
            Some(&admin),
            json!({"new_password": "reset by the admin"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.login("sup@example.com", "reset by the admin").await.0,
        200
    );
    // An admin cannot lock themselves out.
    let admin_id = agent_id(&app, "root@example.com").await;
    let (status, _) = app
        .post(
            &format!("/v1/admin/agents/{admin_id}/status"),
            Some(&admin),
            json!({"status": "deactivated"}),
        )
        .await;
    assert_eq!(status, 400);

    let actions = audit_actions(&app).await;
    for action in [
        "agent.deactivated",
        "agent.activated",
        "agent.2fa.reset",
        "agent.role_changed",
        "agent.password_reset",
    ] {
        assert!(actions.iter().any(|a| a == action), "audited: {action}");
    }
    // The chain still verifies.
    let entries = app.state.store.list_audit().await.unwrap();
    assert!(trustdesk_core::audit::verify(&entries).is_ok());
}

// --- login and reset: no account oracle, rate limits ---------------------------------

#[tokio::test]
async fn login_and_reset_answer_the_same_for_real_and_unknown_accounts() {
    let app = TestApp::spawn().await;
    app.agent("real@example.com").await;
    let login = |email: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            let (status, body) = app
                .post(
                    "/v1/agent/login",
                    None,
                    json!({"email": email, "password": "wrong password!!"}),
                )
                .await;
            (status, body, started.elapsed())
        }
    };
    let reset = |email: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            let (status, body) = app
                .post("/v1/agent/password-reset", None, json!({"email": email}))
                .await;
            (status, body, started.elapsed())
        }
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..3 {
        let (s1, b1, d1) = login("real@example.com").await;
        let (s2, b2, d2) = login("ghost@example.com").await;
        assert_eq!((s1, &b1), (s2, &b2), "login: same status and body");
        assert_eq!(s1, 401);
        let (s3, b3, d3) = reset("real@example.com").await;
        let (s4, b4, d4) = reset("ghost@example.com").await;
        assert_eq!((s3, &b3), (s4, &b4), "reset: same status and body");
        assert_eq!(s3, 202);
        known.extend([d1, d3]);
        unknown.extend([d2, d4]);
    }
    // Both paths do the argon2 work: an unknown account is not answered
    // noticeably faster (a missing dummy hash would make it ~100x faster).
    known.sort();
    unknown.sort();
    let (k, u) = (known[known.len() / 2], unknown[unknown.len() / 2]);
    assert!(u * 3 >= k, "unknown {u:?} vs known {k:?}");
    // A reset request for a real account reaches the audit log (for an
    // administrator); the unknown one leaves no trace.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let entries = app.state.store.list_audit().await.unwrap();
    let resets = entries
        .iter()
        .filter(|e| e.action == "agent.password_reset_requested")
        .count();
    assert_eq!(resets, 3);
}

#[tokio::test]
async fn login_2fa_reset_and_widget_sessions_are_rate_limited() {
    let app = TestApp::spawn_with(|c| {
        c.limits.auth_per_minute_account = 3;
        c.limits.auth_per_minute_ip = 12;
        c.limits.widget_sessions_per_minute = 5;
    })
    .await;
    app.agent("limited@example.com").await; // one login for this account
    let attempt = |email: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/v1/agent/login",
                None,
                json!({"email": email, "password": "guess guess guess"}),
            )
            .await
        }
    };
    // Per account: known and unknown accounts hit the same wall.
    for _ in 0..2 {
        assert_eq!(attempt("limited@example.com").await.0, 401);
    }
    let (s_known, b_known) = attempt("limited@example.com").await;
    for _ in 0..3 {
        assert_eq!(attempt("unknown@example.com").await.0, 401);
    }
    let (s_unknown, b_unknown) = attempt("unknown@example.com").await;
    assert_eq!((s_known, s_unknown), (429, 429));
    assert_eq!(b_known, b_unknown);
    assert_eq!(b_known["error"]["code"], "rate_limited");
    // Per address: many accounts from one address.
    let mut limited = false;
    for i in 0..12 {
        let (status, _) = app
            .post(
                "/v1/agent/password-reset",
                None,
                json!({"email": format!("spray{i}@example.com")}),
            )
            .await;
        limited |= status == 429;
    }
    assert!(limited, "the address budget ran out");
    // Widget sessions per address.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.post("/v1/widget/sessions", None, json!({})).await.0);
    }
    assert_eq!(statuses, vec![201, 201, 201, 201, 201, 429]);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() {
    let session = |app: &TestApp, forwarded: &'static str| {
        let req = app
            .http
            .post(app.url("/v1/widget/sessions"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({}));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let proxied = TestApp::spawn_with(|c| {
        c.limits.widget_sessions_per_minute = 2;
        c.limits.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(session(&proxied, "198.51.100.1").await);
    }
    statuses.push(session(&proxied, "198.51.100.2").await);
    // A forged left-hand entry does not buy a new budget.
    statuses.push(session(&proxied, "203.0.113.9, 198.51.100.1").await);
    assert_eq!(statuses, vec![201, 201, 429, 201, 429]);
    // Without a trusted proxy the header is ignored: one budget for all.
    let direct = TestApp::spawn_with(|c| c.limits.widget_sessions_per_minute = 2).await;
    let mut statuses = Vec::new();
    for forwarded in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        statuses.push(session(&direct, forwarded).await);
    }
    assert_eq!(statuses, vec![201, 201, 429]);
}

#[tokio::test]
async fn second_factor_guessing_is_rate_limited_per_account() {
    let app = TestApp::spawn_with(|c| c.limits.auth_per_minute_account = 4).await;
    // The harness login used one second-factor attempt of the four.
    app.agent("guess@example.com").await;
    let (t, _) = ticket(&app, "guess@example.com").await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let code = format!("{:06}", 100_000 + i);
        statuses.push(
            app.post(
                "/v1/agent/login/2fa",
                None,
                json!({"ticket": t, "code": code}),
            )
            .await
            .0,
        );
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429, 429]);
}

// --- API tokens -------------------------------------------------------------------

#[tokio::test]
async fn api_tokens_are_scoped_revocable_and_need_the_second_factor() {
    let app = TestApp::spawn().await;
    let (session, me) = app.agent("ops@example.com").await;
    let id: AgentId = me.parse().unwrap();
    let (customer, _) = app.customer().await;
    let conv = app
        .open_conversation(&customer, "where is my deposit")
        .await;

    // A used or wrong code does not mint a token.
    let (status, _) = app
        .post(
            "/v1/agent/tokens",
            Some(&session),
            json!({"name": "backend", "scopes": ["conversations:read"], "code": "000000"}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .post(
            "/v1/agent/tokens",
            Some(&session),
            json!({"name": "backend", "scopes": ["everything"], "code": app.fresh_code(id).await}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, read) = app
        .post(
            "/v1/agent/tokens",
            Some(&session),
            json!({"name": "backend", "scopes": ["conversations:read"], "code": app.fresh_code(id).await}),
        )
        .await;
    assert_eq!(status, 201, "{read}");
    let read_token = read["token"].as_str().unwrap().to_owned();
    assert!(read_token.starts_with("tdk_"));
    // Stored hashed: the store knows it only by its SHA-256.
    let stored = app
        .state
        .store
        .session_by_token_hash(&token::hash(&read_token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id.to_string(), read["id"].as_str().unwrap());

    // Read scope: reads, never writes, never the security routes.
    assert_eq!(
        app.get("/v1/agent/conversations", Some(&read_token))
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(
            &format!("/v1/agent/conversations/{conv}"),
            Some(&read_token)
        )
        .await
        .0,
        200
    );
    let reply = json!({"body": "looking into it"});
    assert_eq!(
        app.post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&read_token),
            reply.clone()
        )
        .await
        .0,
        403
    );
    assert_eq!(app.get("/v1/agent/tokens", Some(&read_token)).await.0, 403);
    assert_eq!(
        app.post(
            "/v1/agent/password",
            Some(&read_token),
            json!({"current_password": PASSWORD, "new_password": "token took over"})
        )
        .await
        .0,
        403
    );
    // Over the WebSocket too.
    let mut ws = app.ws(&read_token).await;
    let (_, subscribed) = ws.subscribe(&conv, Some(0)).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    let refused = ws.send_message(&conv, "c1", "hi").await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "forbidden");

    // Write scope can reply.
    let (_, write) = app
        .post(
            "/v1/agent/tokens",
            Some(&session),
            json!({"name": "bot", "scopes": ["conversations:write", "conversations:read"], "code": app.fresh_code(id).await}),
        )
        .await;
    let write_token = write["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&write_token),
            reply
        )
        .await
        .0,
        201
    );
    // Listing shows names and scopes, never tokens.
    let (_, list) = app.get("/v1/agent/tokens", Some(&session)).await;
    assert_eq!(list["tokens"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains("tdk_"));
    // Someone else's token id: 404, like a missing one.
    let (other, _) = app.agent("other@example.com").await;
    let read_id = read["id"].as_str().unwrap();
    assert_eq!(
        delete(&app, &format!("/v1/agent/tokens/{read_id}"), &other).await,
        404
    );
    // Revoked: refused at once, its socket closed.
    assert_eq!(
        delete(&app, &format!("/v1/agent/tokens/{read_id}"), &session).await,
        204
    );
    assert_eq!(ws.closed().await.code, Some(4002));
    assert_eq!(
        app.get("/v1/agent/conversations", Some(&read_token))
            .await
            .0,
        401
    );
    let actions = audit_actions(&app).await;
    assert!(actions.iter().any(|a| a == "api_token.created"));
    assert!(actions.iter().any(|a| a == "api_token.revoked"));
}

// --- IDOR: every conversation route and WebSocket operation ---------------------------

#[tokio::test]
async fn agents_outside_a_conversations_scope_get_the_same_404_as_for_a_missing_one() {
    let app = TestApp::spawn().await;
    let red = team(&app, "Red").await;
    let blue = team(&app, "Blue").await;
    let (red_agent, _) = app
        .agent_in_team("r1@example.com", Role::Agent, Some(red))
        .await;
    let (red_mate, red_mate_id) = app
        .agent_in_team("r2@example.com", Role::Agent, Some(red))
        .await;
    let (blue_agent, _) = app
        .agent_in_team("b1@example.com", Role::Agent, Some(blue))
        .await;
    let (blue_sup, _) = app
        .agent_in_team("bs@example.com", Role::Supervisor, Some(blue))
        .await;
    let (red_sup, _) = app
        .agent_in_team("rs@example.com", Role::Supervisor, Some(red))
        .await;
    let (admin, _) = app.agent_with_role("adm@example.com", Role::Admin).await;
    let (customer, _) = app.customer().await;
    let conv = app.open_conversation(&customer, "red team case").await;
    route_to(&app, &conv, red).await;
    let missing = ConversationId::new().to_string();

    let routes = |id: &str| {
        vec![
            ("GET", format!("/v1/agent/conversations/{id}"), json!(null)),
            (
                "POST",
                format!("/v1/agent/conversations/{id}/messages"),
                json!({"body": "hello"}),
            ),
            (
                "POST",
                format!("/v1/agent/conversations/{id}/notes"),
                json!({"body": "note"}),
            ),
            (
                "POST",
                format!("/v1/agent/conversations/{id}/status"),
                json!({"status": "resolved"}),
            ),
            (
                "POST",
                format!("/v1/agent/conversations/{id}/assign"),
                json!({"agent_id": null}),
            ),
        ]
    };
    let call = |method: &'static str, path: String, body: Value, token: String| {
        let app = &app;
        async move {
            if method == "GET" {
                app.get(&path, Some(&token)).await
            } else {
                app.post(&path, Some(&token), body).await
            }
        }
    };
    for outsider in [&blue_agent, &blue_sup] {
        for ((m, path, body), (_, missing_path, _)) in
            routes(&conv).into_iter().zip(routes(&missing))
        {
            let theirs = call(m, path.clone(), body.clone(), outsider.clone()).await;
            let nothing = call(m, missing_path, body, outsider.clone()).await;
            assert_eq!(theirs.0, 404, "{m} {path}");
            assert_eq!(theirs, nothing, "{m} {path}: no oracle");
        }
        // The inbox does not list it.
        let (_, inbox) = app.get("/v1/agent/conversations", Some(outsider)).await;
        assert!(!inbox.to_string().contains(&conv));
        // Nor does any WebSocket operation reach it.
        let mut ws = app.ws(outsider).await;
        let (_, theirs) = ws.subscribe(&conv, None).await;
        let (_, nothing) = ws.subscribe(&missing, None).await;
        assert_eq!(theirs["code"], "not_found");
        assert_eq!(theirs["message"], nothing["message"]);
        let theirs = ws.send_message(&conv, "x1", "hi").await;
        let nothing = ws.send_message(&missing, "x2", "hi").await;
        assert_eq!(theirs["code"], "not_found");
        assert_eq!(theirs["message"], nothing["message"]);
        ws.send(json!({"type": "set_status", "conversation_id": conv, "status": "resolved", "ref": "s"}))
            .await;
        let f = ws.recv_type("error").await;
        assert_eq!(f["code"], "not_found");
        ws.send(json!({"type": "typing", "conversation_id": conv}))
            .await;
        assert_eq!(ws.recv_type("error").await["code"], "not_subscribed");
        // The inbox stream never carries it.
        ws.send(json!({"type": "subscribe_inbox", "ref": "i"}))
            .await;
        ws.recv_type("inbox_subscribed").await;
        let (status, _) = app
            .post(
                &format!("/v1/agent/conversations/{conv}/notes"),
                Some(&red_agent),
                json!({"body": "red only"}),
            )
            .await;
        assert_eq!(status, 201);
        while let Some(frame) = ws.try_recv(Duration::from_millis(300)).await {
            assert!(!frame.to_string().contains(&conv), "leaked {frame}");
        }
    }
    // Inside the scope: the team's agents, its supervisor, and admins.
    for insider in [&red_agent, &red_mate, &red_sup, &admin] {
        let (status, _) = app
            .get(&format!("/v1/agent/conversations/{conv}"), Some(insider))
            .await;
        assert_eq!(status, 200);
        let (_, inbox) = app.get("/v1/agent/conversations", Some(insider)).await;
        assert!(inbox.to_string().contains(&conv));
    }
    // Transfer it to a teammate: a subscribed agent of another team would
    // lose it; a red agent keeps it (team scope).
    let (status, _) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/assign"),
            Some(&red_sup),
            json!({"agent_id": red_mate_id}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.get(&format!("/v1/agent/conversations/{conv}"), Some(&red_agent))
            .await
            .0,
        200
    );

    // Routed to another team while a red agent follows it: the
    // subscription ends (`unsubscribed` without a ref), nothing more comes.
    let (red_only, _) = app
        .agent_in_team("r3@example.com", Role::Agent, Some(red))
        .await;
    let mut ws = app.ws(&red_only).await;
    let (_, subscribed) = ws.subscribe(&conv, None).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    route_to(&app, &conv, blue).await;
    let gone = ws.recv_type("unsubscribed").await;
    assert_eq!(gone["conversation_id"], conv.as_str());
    assert!(gone.get("ref").is_none());
    assert_eq!(
        app.get(&format!("/v1/agent/conversations/{conv}"), Some(&red_only))
            .await
            .0,
        404
    );
    app.post(
        &format!("/v1/agent/conversations/{conv}/notes"),
        Some(&admin),
        json!({"body": "blue now"}),
    )
    .await;
    while let Some(frame) = ws.try_recv(Duration::from_millis(300)).await {
        assert!(!frame.to_string().contains("blue now"), "leaked {frame}");
    }

    // Customers: another customer's conversation is a missing one, on every
    // widget route and WebSocket operation.
    let (stranger, _) = app.customer().await;
    for path in [
        format!("/v1/widget/conversations/{conv}"),
        format!("/v1/widget/conversations/{missing}"),
    ] {
        assert_eq!(app.get(&path, Some(&stranger)).await.0, 404);
    }
    let a = app
        .post(
            &format!("/v1/widget/conversations/{conv}/messages"),
            Some(&stranger),
            json!({"body": "hi"}),
        )
        .await;
    let b = app
        .post(
            &format!("/v1/widget/conversations/{missing}/messages"),
            Some(&stranger),
            json!({"body": "hi"}),
        )
        .await;
    assert_eq!(a.0, 404);
    assert_eq!(a, b);
    let mut ws = app.ws(&stranger).await;
    let (_, theirs) = ws.subscribe(&conv, None).await;
    let (_, nothing) = ws.subscribe(&missing, None).await;
    assert_eq!(theirs["code"], "not_found");
    assert_eq!(theirs["message"], nothing["message"]);
}

// --- stored XSS -------------------------------------------------------------------------

#[tokio::test]
async fn script_payloads_in_messages_names_and_subjects_never_come_back_as_markup() {
    let app = TestApp::spawn().await;
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "\"><svg onload=alert(1)>",
        "javascript:alert(1)",
    ];
    let hash = identity::user_hash(&IDENTITY_SECRET.to_owned().into(), "xss-user");
    let (status, session) = app
        .post(
            "/v1/widget/sessions",
            None,
            json!({"identity": {"user_id": "xss-user", "user_hash": hash, "name": payloads[0], "email": payloads[1]}}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let customer = session["token"].as_str().unwrap();
    let (status, opened) = app
        .post(
            "/v1/widget/conversations",
            Some(customer),
            json!({"subject": payloads[2], "body": payloads.join(" ")}),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let conv = opened["conversation"]["id"].as_str().unwrap().to_owned();
    let (agent, _) = app.agent("xss@example.com").await;
    app.post(
        &format!("/v1/agent/conversations/{conv}/notes"),
        Some(&agent),
        json!({"body": payloads[1]}),
    )
    .await;
    // The API returns the text as JSON data (not HTML), unaltered.
    let res = app
        .http
        .get(app.url(&format!("/v1/agent/conversations/{conv}")))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let history: Value = res.json().await.unwrap();
    assert_eq!(history["customer"]["name"], payloads[0]);
    // Every HTML page: no payload, a CSP without inline scripts.
    for page in ["/", "/console", "/demo", "/verify", "/widget/frame"] {
        let res = app.http.get(app.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{page}");
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{page}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") || !csp.contains("script-src 'self' 'unsafe-inline'")
        );
        let html = res.text().await.unwrap();
        for p in payloads {
            assert!(!html.contains(p), "{page} echoes {p}");
        }
    }
    // The scripts that render data have no HTML sinks: tests/web.rs
    // (script_in_a_message_never_becomes_html) checks every module.
}

// --- server-side requests ------------------------------------------------------------

#[tokio::test]
async fn webhooks_never_reach_internal_addresses_even_through_a_redirect() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use trustdesk_core::webhook::SigningKey;
    use trustdesk_server::webhooks::sender::{Message, SendError, Sender};
    use trustdesk_server::webhooks::ssrf::{AllowList, TargetError, checked_target};
    // Internal targets are refused by default, by every spelling.
    for url in [
        "http://127.0.0.1/x",
        "http://localhost/x",
        "http://[::1]/x",
        "http://10.0.0.8/x",
        "http://192.168.1.1/x",
        "http://172.16.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/x",
        "http://0.0.0.0/x",
        "http://2130706433/x",
        "http://0x7f.1/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data",
        "http://[64:ff9b::a9fe:a9fe]/x",
        "http://[2002:7f00:1::1]/x",
        "http://100.64.0.1/x",
        "file:///etc/passwd",
    ] {
        let parsed = reqwest::Url::parse(url).unwrap();
        assert!(
            checked_target(&parsed, &AllowList::default())
                .await
                .is_err(),
            "{url} allowed"
        );
    }
    // A redirect is never followed, even when the first hop is allowed:
    // the internal target behind it sees nothing.
    let hits = Arc::new(AtomicUsize::new(0));
    let inner_hits = hits.clone();
    let inner = axum::Router::new().fallback(move || {
        let hits = inner_hits.clone();
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            "secret"
        }
    });
    let inner_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let inner_addr = inner_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(inner_listener, inner).await.unwrap() });
    let outer = axum::Router::new().fallback(move || async move {
        (
            axum::http::StatusCode::TEMPORARY_REDIRECT,
            [("location", format!("http://{inner_addr}/metadata"))],
        )
    });
    let outer_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let outer_addr = outer_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(outer_listener, outer).await.unwrap() });
    let loopback = AllowList::new(vec!["127.0.0.0/8".parse().unwrap()]);
    let url = format!("http://{outer_addr}/hook");
    let keys = [SigningKey::from_bytes(vec![7; 32]).unwrap()];
    let message = Message {
        url: &url,
        id: "msg_1",
        body: b"{}",
        keys: &keys,
    };
    let answer = Sender::new(loopback, Duration::from_secs(5))
        .send(&message)
        .await
        .unwrap();
    assert_eq!(answer.status, 307, "a redirect is not a delivery");
    assert!(!answer.is_success());
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
    // Without the allowlist the first hop is refused before connecting.
    assert_eq!(
        Sender::new(AllowList::default(), Duration::from_secs(5))
            .send(&message)
            .await,
        Err(SendError::Refused(TargetError::Internal))
    );
}

// --- ids, errors, CORS, Origin -----------------------------------------------------------

#[tokio::test]
async fn ids_and_tokens_are_random_not_guessable() {
    let app = TestApp::spawn().await;
    let (customer, customer_id) = app.customer().await;
    let a = app.open_conversation(&customer, "one").await;
    let b = app.open_conversation(&customer, "two").await;
    for id in [&a, &b, &customer_id] {
        let uuid = uuid::Uuid::parse_str(id).unwrap();
        // Version 4: 122 random bits, nothing derived from time or a counter.
        assert_eq!(uuid.get_version_num(), 4, "{id}");
    }
    assert_ne!(a[..8], b[..8], "consecutive ids share no time prefix");
    // Tokens: 256 random bits.
    let (token_a, _) = app.customer().await;
    assert_eq!(token_a.len(), 4 + 43);
    assert_ne!(token_a, customer);
    // Ids that are not ours, well-formed or not, give nothing away.
    let (status, body) = app.get("/v1/widget/conversations/1", Some(&customer)).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn error_bodies_never_contain_internal_text() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.agent("err@example.com").await;
    let internal = [
        "sqlx", "sqlite", "SQLITE", "postgres", "panicked", "src/", ".rs:", "thread", "Error {",
        "axum::", "hyper",
    ];
    let mut bodies = Vec::new();
    for (path, body) in [
        ("/v1/agent/login", "{\"email\": 1}".to_owned()),
        ("/v1/agent/login", "not json".to_owned()),
        (
            "/v1/agent/login/2fa",
            "{\"ticket\": \"x\", \"code\": \"1\", \"extra\": 1}".to_owned(),
        ),
        ("/v1/widget/sessions", "{\"locale\": \"xx\"}".to_owned()),
        (
            "/v1/agent/conversations/not-a-uuid/messages",
            "{\"body\": \"x\"}".to_owned(),
        ),
        (
            "/v1/agent/tokens",
            "{\"name\": \"\", \"scopes\": [], \"code\": \"\"}".to_owned(),
        ),
        ("/v1/agent/password", "[]".to_owned()),
        (
            "/v1/agent/2fa/enrol",
            format!("{{\"ticket\": \"{}\"}}", "A".repeat(5000)),
        ),
    ] {
        let res = app
            .http
            .post(app.url(path))
            .bearer_auth(&agent)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert!((400..500).contains(&status), "{path}: {status} {text}");
        let json: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
        assert!(json["error"]["code"].is_string(), "{path}: {text}");
        bodies.push((path, text));
    }
    let res = app
        .http
        .get(app.url("/v1/agent/conversations?limit=abc&status=bogus"))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    bodies.push(("inbox", res.text().await.unwrap()));
    for (path, text) in &bodies {
        for word in internal {
            assert!(!text.contains(word), "{path} leaks {word:?}: {text}");
        }
    }
}

#[tokio::test]
async fn cors_never_reflects_an_origin_and_foreign_pages_cannot_open_sockets() {
    let app = TestApp::spawn_with(|c| {
        c.widget.allowed_origins = vec!["https://www.exchange.example".into()];
    })
    .await;
    let (agent, _) = app.agent("cors@example.com").await;
    for method in [reqwest::Method::OPTIONS, reqwest::Method::GET] {
        let res = app
            .http
            .request(method.clone(), app.url("/v1/agent/me"))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "GET")
            .bearer_auth(&agent)
            .send()
            .await
            .unwrap();
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "{method}"
        );
        assert!(
            res.headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
    }
    // No ambient credentials: sign-in answers set no cookie (the console
    // keeps its bearer token in sessionStorage), so there is nothing for a
    // cross-site request to ride on (no CSRF).
    let res = app
        .http
        .post(app.url("/v1/agent/login"))
        .json(&json!({"email": "cors@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    for page in ["/console", "/", "/widget/frame"] {
        let res = app.http.get(app.url(page)).send().await.unwrap();
        assert!(res.headers().get("set-cookie").is_none(), "{page}");
    }
    // A page on another origin cannot open a WebSocket (cross-site hijack).
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{}/v1/ws", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(req).await;
    assert!(refused.is_err(), "a foreign Origin was upgraded");
    let mut req = format!("ws://{}/v1/ws", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", "https://www.exchange.example".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
}

// --- roles: every route, every principal ----------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Who {
    Nobody,
    Customer,
    Agent,
    Supervisor,
    Admin,
    /// An agent's API token with `conversations:read`.
    ApiRead,
}

#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The answer does not depend on who asks.
    Public,
    Customer,
    /// Any session or API token.
    AnyAuth,
    /// Agents of at least this role; `api`: a read token may call it.
    Agent(Role, bool),
}

impl Expect {
    fn allows(self, who: Who) -> bool {
        let role = match who {
            Who::Agent => Some(Role::Agent),
            Who::Supervisor => Some(Role::Supervisor),
            Who::Admin => Some(Role::Admin),
            _ => None,
        };
        match self {
            Expect::Public => true,
            Expect::Customer => matches!(who, Who::Customer),
            Expect::AnyAuth => !matches!(who, Who::Nobody),
            Expect::Agent(min, api) => {
                role.is_some_and(|r| r.at_least(min)) || (api && matches!(who, Who::ApiRead))
            }
        }
    }
}

#[tokio::test]
async fn every_route_checks_who_is_calling() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let conv = app.open_conversation(&customer, "route table").await;
    let (agent, agent_id) = app.agent("t-agent@example.com").await;
    let (supervisor, _) = app
        .agent_with_role("t-sup@example.com", Role::Supervisor)
        .await;
    let (admin, _) = app
        .agent_with_role("t-admin@example.com", Role::Admin)
        .await;
    let (_, api) = app
        .post(
            "/v1/agent/tokens",
            Some(&agent),
            json!({"name": "ro", "scopes": ["conversations:read"], "code": app.fresh_code(agent_id.parse().unwrap()).await}),
        )
        .await;
    let api = api["token"].as_str().unwrap().to_owned();
    let someone = AgentId::new();
    let missing = uuid::Uuid::new_v4();
    use Expect::*;
    let table: Vec<(&str, String, Value, Expect)> = vec![
        ("GET", "/healthz".into(), json!(null), Public),
        ("GET", "/openapi.json".into(), json!(null), Public),
        ("GET", "/console".into(), json!(null), Public),
        (
            "GET",
            "/v1/verify?value=trustdesk.example".into(),
            json!(null),
            Public,
        ),
        (
            "GET",
            "/v1/kb/search?q=withdrawal".into(),
            json!(null),
            Public,
        ),
        ("POST", "/v1/widget/sessions".into(), json!({}), Public),
        (
            "POST",
            "/v1/agent/password-reset".into(),
            json!({"email": "x@example.com"}),
            Public,
        ),
        (
            "GET",
            "/v1/widget/conversations".into(),
            json!(null),
            Customer,
        ),
        (
            "POST",
            "/v1/widget/conversations".into(),
            json!({"body": "hi"}),
            Customer,
        ),
        (
            "GET",
            format!("/v1/widget/conversations/{conv}"),
            json!(null),
            Customer,
        ),
        (
            "POST",
            format!("/v1/widget/conversations/{conv}/messages"),
            json!({"body": "hi"}),
            Customer,
        ),
        (
            "POST",
            format!("/v1/widget/conversations/{conv}/freeze"),
            json!({}),
            Customer,
        ),
        (
            "GET",
            "/v1/widget/anti-phishing-code".into(),
            json!(null),
            Customer,
        ),
        (
            "POST",
            "/v1/verify/report".into(),
            json!({"value": "evil.example"}),
            Customer,
        ),
        (
            "POST",
            "/v1/triage/classify".into(),
            json!({"text": "hi"}),
            AnyAuth,
        ),
        (
            "POST",
            "/v1/guard/scan".into(),
            json!({"text": "hi"}),
            AnyAuth,
        ),
        (
            "GET",
            "/v1/agent/me".into(),
            json!(null),
            Agent(Role::Agent, true),
        ),
        (
            "GET",
            "/v1/agent/agents".into(),
            json!(null),
            Agent(Role::Agent, true),
        ),
        (
            "GET",
            "/v1/agent/teams".into(),
            json!(null),
            Agent(Role::Agent, true),
        ),
        (
            "GET",
            "/v1/agent/stats/bot".into(),
            json!(null),
            Agent(Role::Agent, false),
        ),
        (
            "GET",
            "/v1/agent/conversations".into(),
            json!(null),
            Agent(Role::Agent, true),
        ),
        (
            "GET",
            format!("/v1/agent/conversations/{conv}"),
            json!(null),
            Agent(Role::Agent, true),
        ),
        (
            "POST",
            format!("/v1/agent/conversations/{conv}/notes"),
            json!({"body": "n"}),
            Agent(Role::Agent, false),
        ),
        (
            "POST",
            format!("/v1/agent/conversations/{conv}/messages"),
            json!({"body": ""}),
            Agent(Role::Agent, false),
        ),
        (
            "POST",
            format!("/v1/agent/conversations/{conv}/status"),
            json!({"status": "open"}),
            Agent(Role::Agent, false),
        ),
        (
            "POST",
            format!("/v1/agent/conversations/{conv}/assign"),
            json!({"agent_id": null}),
            Agent(Role::Agent, false),
        ),
        (
            "GET",
            "/v1/agent/tokens".into(),
            json!(null),
            Agent(Role::Agent, false),
        ),
        (
            "POST",
            "/v1/agent/tokens".into(),
            json!({"name": "x", "scopes": ["root"], "code": "1"}),
            Agent(Role::Agent, false),
        ),
        (
            "DELETE",
            format!("/v1/agent/tokens/{missing}"),
            json!(null),
            Agent(Role::Agent, false),
        ),
        (
            "POST",
            "/v1/agent/password".into(),
            json!({"current_password": "x", "new_password": "short"}),
            Agent(Role::Agent, false),
        ),
        (
            "GET",
            "/v1/admin/kb/articles".into(),
            json!(null),
            Agent(Role::Supervisor, false),
        ),
        (
            "POST",
            format!("/v1/admin/kb/articles/{missing}/published"),
            json!({"published": true}),
            Agent(Role::Supervisor, false),
        ),
        (
            "GET",
            "/v1/admin/registry".into(),
            json!(null),
            Agent(Role::Admin, false),
        ),
        (
            "DELETE",
            format!("/v1/admin/registry/{missing}"),
            json!(null),
            Agent(Role::Admin, false),
        ),
        (
            "POST",
            format!("/v1/admin/agents/{someone}/password"),
            json!({"new_password": "long enough password"}),
            Agent(Role::Admin, false),
        ),
        (
            "POST",
            format!("/v1/admin/agents/{someone}/2fa/reset"),
            json!({}),
            Agent(Role::Admin, false),
        ),
        (
            "POST",
            format!("/v1/admin/agents/{someone}/status"),
            json!({"status": "deactivated"}),
            Agent(Role::Admin, false),
        ),
        (
            "POST",
            format!("/v1/admin/agents/{someone}/role"),
            json!({"role": "admin"}),
            Agent(Role::Admin, false),
        ),
        // Attachments, ratings, canned responses, the details pane.
        ("GET", "/service".into(), json!(null), Public),
        ("GET", "/v1/service/commitments".into(), json!(null), Public),
        (
            "POST",
            format!("/v1/widget/conversations/{conv}/rating"),
            json!({"score": 5}),
            Customer,
        ),
        (
            "GET",
            format!("/v1/widget/conversations/{conv}/queue"),
            json!(null),
            Customer,
        ),
        (
            "GET",
            format!("/v1/attachments/{missing}"),
            json!(null),
            AnyAuth,
        ),
        (
            "GET",
            "/v1/agent/canned".into(),
            json!(null),
            Agent(Role::Agent, false),
        ),
        (
            "POST",
            "/v1/agent/canned".into(),
            json!({"shortcut": "x", "title": "x", "body": "x"}),
            Agent(Role::Supervisor, false),
        ),
        (
            "DELETE",
            format!("/v1/agent/canned/{missing}"),
            json!(null),
            Agent(Role::Supervisor, false),
        ),
        (
            "GET",
            "/v1/agent/stats/csat".into(),
            json!(null),
            Agent(Role::Agent, false),
        ),
        (
            "GET",
            format!("/v1/agent/conversations/{conv}/related"),
            json!(null),
            Agent(Role::Agent, true),
        ),
        (
            "GET",
            format!("/v1/agent/conversations/{conv}/sla"),
            json!(null),
            Agent(Role::Agent, true),
        ),
        (
            "GET",
            "/v1/agent/sla/at-risk".into(),
            json!(null),
            Agent(Role::Agent, false),
        ),
        // Routing, queue, SLA administration.
        (
            "POST",
            format!("/v1/agent/conversations/{conv}/reminders"),
            json!({"in_ms": 3600000, "note": "check"}),
            Agent(Role::Agent, false),
        ),
        (
            "GET",
            "/v1/agent/queue".into(),
            json!(null),
            Agent(Role::Supervisor, false),
        ),
        (
            "GET",
            format!("/v1/admin/agents/{someone}/routing"),
            json!(null),
            Agent(Role::Supervisor, false),
        ),
        (
            "POST",
            "/v1/admin/teams".into(),
            json!({"name": "Route table team"}),
            Agent(Role::Admin, false),
        ),
        (
            "GET",
            "/v1/admin/sla/policy".into(),
            json!(null),
            Agent(Role::Supervisor, false),
        ),
        (
            "GET",
            "/v1/admin/calendars".into(),
            json!(null),
            Agent(Role::Supervisor, false),
        ),
    ];
    let principals = [
        (Who::Nobody, None),
        (Who::Customer, Some(customer.clone())),
        (Who::Agent, Some(agent.clone())),
        (Who::Supervisor, Some(supervisor.clone())),
        (Who::Admin, Some(admin.clone())),
        (Who::ApiRead, Some(api.clone())),
    ];
    for (method, path, body, expect) in &table {
        let mut public_statuses = Vec::new();
        for (who, token) in &principals {
            let mut req = match *method {
                "GET" => app.http.get(app.url(path)),
                "DELETE" => app.http.delete(app.url(path)),
                _ => app.http.post(app.url(path)).json(body),
            };
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let status = req.send().await.unwrap().status().as_u16();
            if matches!(expect, Public) {
                public_statuses.push(status);
                continue;
            }
            let refused = status == 401 || status == 403;
            assert_eq!(
                !refused,
                expect.allows(*who),
                "{method} {path} as {who:?}: {status}"
            );
        }
        if matches!(expect, Public) {
            assert!(
                public_statuses.windows(2).all(|w| w[0] == w[1]),
                "{method} {path}: {public_statuses:?}"
            );
        }
    }
    // Logout last: it ends the caller's own session only.
    assert_eq!(
        app.post("/v1/agent/logout", Some(&customer), json!({}))
            .await
            .0,
        401
    );
    assert_eq!(
        app.post("/v1/agent/logout", Some(&api), json!({})).await.0,
        403
    );
    assert_eq!(
        app.post("/v1/agent/logout", Some(&agent), json!({}))
            .await
            .0,
        204
    );
    assert_eq!(app.get("/v1/agent/me", Some(&agent)).await.0, 401);
    assert_eq!(app.get("/v1/agent/me", Some(&admin)).await.0, 200);
}

/// Session expiry reads the server clock, like every other deadline: moving
/// it past an agent session's lifetime ends the session.
#[tokio::test]
async fn an_agent_session_expires_when_the_server_clock_passes_its_lifetime() {
    let app = TestApp::spawn_with(|c| c.sessions.agent_ttl_hours = 12).await;
    let (agent, _) = app.agent("clock@example.com").await;
    let (status, _) = app.get("/v1/agent/me", Some(&agent)).await;
    assert_eq!(status, 200);
    app.state.clock.advance(11 * 3_600_000);
    let (status, _) = app.get("/v1/agent/me", Some(&agent)).await;
    assert_eq!(status, 200, "still inside its 12 hours");
    app.state.clock.advance(2 * 3_600_000);
    let (status, body) = app.get("/v1/agent/me", Some(&agent)).await;
    assert_eq!(status, 401, "{body}");
}
