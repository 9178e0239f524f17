//! The audit log: sensitive actions are recorded in a hash chain that
//! `trustdesk audit verify` checks; the outbound guard's supervisor
//! override is one of them.

mod common;

use common::*;
use serde_json::json;
use std::process::Command;
use trustdesk_core::Role;

const ASK: &str = "Please send me your seed phrase so I can verify the wallet";

fn verify_cli(app: &TestApp) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trustdesk"))
        .args(["audit", "verify", "--data-dir"])
        .arg(app.data_dir())
        .env_remove("TRUSTDESK_DATABASE_URL")
        .env_remove("TRUSTDESK_CONFIG")
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn a_supervisor_can_override_the_outbound_guard_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let (customer, _) = app.customer().await;
    let (agent, _) = app.agent("plain@example.com").await;
    let (supervisor, supervisor_id) = app
        .agent_with_role("lead@example.com", Role::Supervisor)
        .await;
    let conv = app.open_conversation(&customer, "help").await;
    let path = format!("/v1/agent/conversations/{conv}/messages");
    let (status, err) = app
        .post(
            &path,
            Some(&agent),
            json!({"body": ASK, "override_reason": "trust me"}),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("supervisor")
    );
    let (status, _) = app
        .post(&path, Some(&supervisor), json!({"body": ASK}))
        .await;
    assert_eq!(status, 422, "no reason, no override");
    let (status, posted) = app
        .post(&path, Some(&supervisor), json!({"body": ASK, "override_reason": "quoting the scammer's message back to the customer"}))
        .await;
    assert_eq!(status, 201, "{posted}");
    let entries = app.state.store.list_audit().await.unwrap();
    let override_entry = entries
        .iter()
        .find(|e| e.action == "guard.override")
        .expect("the override is audited");
    assert_eq!(override_entry.actor, format!("agent:{supervisor_id}"));
    assert_eq!(override_entry.subject, conv);
    assert!(override_entry.detail.contains("quoting the scammer"));
    assert!(entries.iter().filter(|e| e.action == "agent.login").count() >= 2);
    assert_eq!(trustdesk_core::audit::verify(&entries), Ok(()));
}

#[tokio::test]
async fn audit_verify_detects_an_edited_or_removed_entry() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.agent_with_role("root@example.com", Role::Admin).await;
    for value in ["examplex.com", "examplex.io", "examplex.net"] {
        let (status, _) = app
            .post(
                "/v1/admin/registry",
                Some(&admin),
                json!({"kind": "domain", "value": value, "label": "site"}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (ok, text) = verify_cli(&app);
    assert!(ok, "{text}");
    assert!(text.contains("intact: 4 entries"), "{text}");

    // Someone with database access edits an entry.
    let db = app.data_dir().join("trustdesk.db");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&db))
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET detail = '{\"kind\":\"domain\",\"value\":\"evil.com\"}' WHERE seq = 3")
        .execute(&pool)
        .await
        .unwrap();
    let (ok, text) = verify_cli(&app);
    assert!(!ok);
    assert!(text.contains("entry 3"), "{text}");
    // Removing an entry is detected too.
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    let (ok, text) = verify_cli(&app);
    assert!(!ok, "{text}");
    assert!(
        text.contains("removed") || text.contains("entry 3"),
        "{text}"
    );
}
