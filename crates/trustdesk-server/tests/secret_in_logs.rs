//! The raw secret never reaches the logs: the real binary at trace level
//! (every module, sqlx statements included) receives a seed phrase, a
//! password and a 2FA code, and its whole log output is searched. An agent
//! also signs in, enrols 2FA and creates an API token: the password, the
//! login ticket, the TOTP secret, the recovery codes and the tokens are
//! absent from the logs too.

use serde_json::json;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::time::Duration;

const SECRETS: [&str; 3] = ["abandon abandon abandon", "Tr0ub4dor&3xyz", "493021"];

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test]
async fn trace_logs_hold_no_raw_secret() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let agent_password = "Agent-Pa55word-for-logs";
    let mut create = Command::new(env!("CARGO_BIN_EXE_trustdesk"))
        .args([
            "agent",
            "create",
            "--email",
            "logs@example.com",
            "--name",
            "Logs",
            "--password-stdin",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("TRUSTDESK_CONFIG")
        .env_remove("TRUSTDESK_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = create.stdin.take().unwrap();
        writeln!(stdin, "{agent_password}").unwrap();
    }
    assert!(create.wait().unwrap().success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_trustdesk"))
        .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
        .arg(dir.path())
        .env_remove("TRUSTDESK_CONFIG")
        .env_remove("TRUSTDESK_DATABASE_URL")
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "server did not start");
    let session: serde_json::Value = http
        .post(format!("{base}/v1/widget/sessions"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap();
    let seed = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    let created: serde_json::Value = http
        .post(format!("{base}/v1/widget/conversations"))
        .bearer_auth(token)
        .json(&json!({"body": format!("my recovery words are {seed}")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conv = created["conversation"]["id"].as_str().unwrap();
    let status = http
        .post(format!("{base}/v1/widget/conversations/{conv}/messages"))
        .bearer_auth(token)
        .json(&json!({"body": "my password is Tr0ub4dor&3xyz and my 2FA code is 493021", "client_msg_id": "c1"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 201);

    // An agent: password → enrolment ticket → secret → code → session →
    // API token.
    let post = |path: &str, token: Option<&str>, body: serde_json::Value| {
        let mut req = http.post(format!("{base}{path}")).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            req.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let ticket = post(
        "/v1/agent/login",
        None,
        json!({"email": "logs@example.com", "password": agent_password}),
    )
    .await;
    assert_eq!(ticket["next"], "enrol", "{ticket}");
    let ticket = ticket["ticket"].as_str().unwrap().to_owned();
    let enrol = post("/v1/agent/2fa/enrol", None, json!({"ticket": ticket})).await;
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let now = trustdesk_server::accounts::totp::now_secs();
    let step = trustdesk_server::accounts::totp::step_of(now);
    let code = trustdesk_server::accounts::totp::code_for_step(&secret, step - 1).unwrap();
    let done = post(
        "/v1/agent/2fa/confirm",
        None,
        json!({"ticket": ticket, "code": code}),
    )
    .await;
    let session_token = done["token"].as_str().unwrap().to_owned();
    let recovery: Vec<String> = serde_json::from_value(done["recovery_codes"].clone()).unwrap();
    let code = trustdesk_server::accounts::totp::code_for_step(&secret, step).unwrap();
    let api = post(
        "/v1/agent/tokens",
        Some(&session_token),
        json!({"name": "logs", "scopes": ["conversations:read"], "code": code}),
    )
    .await;
    let api_token = api["token"].as_str().unwrap().to_owned();
    let mut agent_secrets = vec![
        agent_password.to_owned(),
        ticket,
        secret,
        session_token,
        api_token,
    ];
    agent_secrets.extend(recovery);

    let _ = child.kill();
    let _ = child.wait();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(
        logs.len() > 1000,
        "trace logging was on: {} bytes",
        logs.len()
    );
    for secret in SECRETS {
        assert!(!logs.contains(secret), "{secret} is in the logs");
    }
    assert_eq!(agent_secrets.len(), 15);
    for secret in &agent_secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "an agent secret is in the logs"
        );
    }
}
