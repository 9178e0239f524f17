//! The raw secret never reaches the logs: the real binary at trace level
//! (every module, sqlx statements included) receives a seed phrase, a
//! password and a 2FA code, and its whole log output is searched.

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
}
