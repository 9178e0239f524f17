//! The test harness: a real server on port 0 with a fresh database, an HTTP
//! client, and a WebSocket client speaking the protocol.
#![allow(dead_code)]

pub mod mail;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use trustdesk_core::{Agent, AgentId, AgentStatus, Language, Role, TeamId, Timestamp};
use trustdesk_server::accounts::totp;
use trustdesk_server::app::Application;
use trustdesk_server::config::Config;
use trustdesk_server::state::AppState;
use trustdesk_store::{SqliteOptions, SqliteStore, Store};

pub const IDENTITY_SECRET: &str = "test-identity-secret";
pub const PASSWORD: &str = "correct horse battery staple";

/// Polls `check` every 20 ms until it holds, for at most 20 s.
pub async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` listens when it has an address of its own.
    pub metrics_addr: Option<SocketAddr>,
    pub http: reqwest::Client,
    pub state: AppState,
    config: Config,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_path_buf(),
        ..Default::default()
    };
    config.widget.identity_secret = Some(IDENTITY_SECRET.to_owned().into());
    config
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tune: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        tune(&mut config);
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&dir.path().join("trustdesk.db"), SqliteOptions::default())
                .await
                .unwrap(),
        );
        Self::start(config, store, dir).await
    }

    pub async fn spawn_on(store: Arc<dyn Store>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(dir.path());
        Self::start(config, store, dir).await
    }

    /// A server on an existing store with a tuned configuration (a
    /// restart with the same settings).
    pub async fn spawn_on_with(store: Arc<dyn Store>, tune: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        tune(&mut config);
        Self::start(config, store, dir).await
    }

    async fn start(config: Config, store: Arc<dyn Store>, dir: tempfile::TempDir) -> Self {
        let app = Application::build_with_store(config.clone(), store)
            .await
            .unwrap();
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let state = app.state();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            metrics_addr,
            http: reqwest::Client::new(),
            state,
            config,
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        }
    }

    /// Stops the server and starts it again on the same data folder and
    /// configuration (a new port).
    pub async fn restart(&mut self) {
        self.shutdown().await;
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(
                &self._dir.path().join("trustdesk.db"),
                SqliteOptions::default(),
            )
            .await
            .unwrap(),
        );
        let app = Application::build_with_store(self.config.clone(), store)
            .await
            .unwrap();
        self.addr = app.local_addr();
        self.metrics_addr = app.metrics_addr();
        self.state = app.state();
        let (stop, stopped) = oneshot::channel::<()>();
        self.server = Some(tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        })));
        self.stop = Some(stop);
    }

    /// The data folder (the SQLite file is `trustdesk.db` in it).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server and waits until it has finished.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Downloads a shared file (asserting it was served).
    pub async fn download(&self, token: &str, file_id: &str) -> Vec<u8> {
        let res = self
            .http
            .get(self.url(&format!("/v1/attachments/{file_id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "download {file_id}");
        res.bytes().await.unwrap().to_vec()
    }

    /// The agent resolves the conversation (asserting it worked).
    pub async fn resolve(&self, agent_token: &str, conversation: &str) {
        let (status, body) = self
            .post(
                &format!("/v1/agent/conversations/{conversation}/status"),
                Some(agent_token),
                json!({"status": "resolved"}),
            )
            .await;
        assert_eq!(status, 200, "resolve: {body}");
    }

    /// Imports the starter knowledge base and indexes it, so the bot can
    /// answer.
    pub async fn load_starter_kb(&self) {
        let report = trustdesk_server::kb::import::import_starter(self.state.store.as_ref())
            .await
            .unwrap();
        assert!(
            report.imported >= 60 && report.failed.is_empty(),
            "{report:?}"
        );
        self.state
            .kb
            .rebuild(&self.state.store.list_articles().await.unwrap())
            .unwrap();
    }

    /// A new anonymous widget session: (token, customer id).
    pub async fn customer(&self) -> (String, String) {
        let (status, body) = self
            .post("/v1/widget/sessions", None, json!({"locale": "en"}))
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["token"].as_str().unwrap().to_owned(),
            body["customer"]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// Creates an agent in the store and logs it in: (token, agent id).
    pub async fn agent(&self, email: &str) -> (String, String) {
        self.agent_with_role(email, Role::Agent).await
    }

    pub async fn agent_with_role(&self, email: &str, role: Role) -> (String, String) {
        self.agent_in_team(email, role, None).await
    }

    /// Creates an agent with 2FA enrolled (in the store) and logs it in
    /// through the real two-step login: (token, agent id).
    pub async fn agent_in_team(
        &self,
        email: &str,
        role: Role,
        team_id: Option<TeamId>,
    ) -> (String, String) {
        let agent = Agent {
            id: AgentId::new(),
            email: email.into(),
            display_name: email.split('@').next().unwrap().into(),
            role,
            status: AgentStatus::Active,
            languages: vec![Language::En],
            team_id,
            badge: format!("TD-{}", &AgentId::new().to_string()[..8]).to_uppercase(),
            created_at: Timestamp::now(),
        };
        let hash = trustdesk_server::accounts::password::hash(PASSWORD.into())
            .await
            .unwrap();
        self.state.store.create_agent(&agent, &hash).await.unwrap();
        let secret = totp::new_secret();
        self.state
            .store
            .begin_totp(agent.id, secret, Timestamp::now())
            .await
            .unwrap();
        self.state
            .store
            .confirm_totp(agent.id, 1, Vec::new(), Timestamp::now())
            .await
            .unwrap();
        let (status, body) = self.login(email, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        (
            body["token"].as_str().unwrap().to_owned(),
            agent.id.to_string(),
        )
    }

    /// Both login steps with a fresh TOTP code: the final (status, body).
    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let (status, body) = self
            .post(
                "/v1/agent/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        if status != 200 {
            return (status, body);
        }
        assert_eq!(body["next"], "totp", "{body}");
        let ticket = body["ticket"].as_str().unwrap().to_owned();
        let (agent, _) = self
            .state
            .store
            .agent_credentials(email)
            .await
            .unwrap()
            .unwrap();
        let code = self.fresh_code(agent.id).await;
        self.post(
            "/v1/agent/login/2fa",
            None,
            json!({"ticket": ticket, "code": code}),
        )
        .await
    }

    /// A TOTP code for a step this agent has not used yet (waiting for the
    /// next step if the window is used up).
    pub async fn fresh_code(&self, agent: AgentId) -> String {
        loop {
            let record = self.state.store.get_totp(agent).await.unwrap().unwrap();
            let now = totp::step_of(totp::now_secs());
            let step = (now - 1).max(record.last_step + 1);
            if step <= now + 1 {
                return totp::code_for_step(&record.secret, step).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Opens a conversation with a first message; returns its id.
    pub async fn open_conversation(&self, customer_token: &str, body: &str) -> String {
        let (status, res) = self
            .post(
                "/v1/widget/conversations",
                Some(customer_token),
                json!({"body": body, "subject": "help"}),
            )
            .await;
        assert_eq!(status, 201, "{res}");
        res["conversation"]["id"].as_str().unwrap().to_owned()
    }

    /// A WebSocket that has said hello with `token` and got its welcome.
    pub async fn ws(&self, token: &str) -> Ws {
        let mut ws = self.ws_raw().await;
        ws.send(json!({"type": "hello", "v": 1, "token": token}))
            .await;
        let welcome = ws.recv().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        ws
    }

    pub async fn ws_raw(&self) -> Ws {
        let (stream, _) = tokio_tungstenite::connect_async(format!("ws://{}/v1/ws", self.addr))
            .await
            .unwrap();
        Ws { stream }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a WebSocket ended, as the client saw it.
#[derive(Debug, PartialEq)]
pub struct Closed {
    pub code: Option<u16>,
    pub reason: String,
}

impl Ws {
    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::Text(text.to_owned().into()))
            .await
            .unwrap();
    }

    /// The next JSON frame (pings skipped); panics after 5 s.
    pub async fn recv(&mut self) -> Value {
        self.try_recv(Duration::from_secs(5))
            .await
            .expect("a frame within 5 s")
    }

    /// The next JSON frame within `wait`, or `None`.
    pub async fn try_recv(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match next {
                Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
                Ok(Message::Ping(_)) | Ok(Message::Pong(_)) => continue,
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(other) => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// The next frame of this `type`, skipping others (typing, inbox...).
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.recv().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Reads until the server closes; returns the close code and reason.
    pub async fn closed(&mut self) -> Closed {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("the server closes within 10 s");
            match next {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Closed {
                        code: Some(frame.code.into()),
                        reason: frame.reason.to_string(),
                    };
                }
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                    return Closed {
                        code: None,
                        reason: String::new(),
                    };
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Subscribes and collects the replayed events until `subscribed`.
    pub async fn subscribe(
        &mut self,
        conversation_id: &str,
        since: Option<i64>,
    ) -> (Vec<Value>, Value) {
        let mut frame = json!({"type": "subscribe", "conversation_id": conversation_id});
        if let Some(s) = since {
            frame["since"] = json!(s);
        }
        self.send(frame).await;
        let mut events = Vec::new();
        loop {
            let f = self.recv().await;
            match f["type"].as_str() {
                Some("event") => events.push(f["event"].clone()),
                Some("subscribed") => return (events, f),
                Some("error") => return (events, f),
                _ => {}
            }
        }
    }

    /// Sends a message and returns the ack (or error) frame.
    pub async fn send_message(
        &mut self,
        conversation_id: &str,
        client_msg_id: &str,
        body: &str,
    ) -> Value {
        self.send(json!({"type": "send", "conversation_id": conversation_id, "client_msg_id": client_msg_id, "body": body}))
            .await;
        loop {
            let f = self.recv().await;
            if f["type"] == "ack" || f["type"] == "error" {
                return f;
            }
        }
    }

    /// The next `event` frame's event.
    pub async fn next_event(&mut self) -> Value {
        self.recv_type("event").await["event"].clone()
    }
}

/// Every script module under `web/`, as the browser asks for it (the
/// loader `widget.js` is served at `/widget.js`, not here): walked from the
/// source folder, so a module that is not served fails the test using it.
pub fn ui_modules() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut pending = vec![root.clone()];
    let mut found = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "js") {
                let name = path.strip_prefix(&root).unwrap().to_str().unwrap();
                let name = name.replace('\\', "/");
                if name != "widget.js" {
                    found.push(format!("/assets/{name}"));
                }
            }
        }
    }
    found.sort();
    found
}

/// Fails if any file under `dir` holds one of `secrets`.
pub fn assert_nowhere_on_disk(dir: &std::path::Path, secrets: &[&str]) {
    for entry in walk(dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        for s in secrets {
            assert!(!text.contains(s), "{s} is in {}", entry.display());
        }
    }
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
