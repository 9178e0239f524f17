//! The Telegram channel against a real local fake Bot API (an axum server
//! started by each test): polling with a stored offset, the webhook and
//! its secret, replies going out with their rate-limit retry, and the
//! secret guard and the bot token on the way through.

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use trustdesk_core::{CustomerId, Role, Timestamp};
use trustdesk_server::channels::config::TelegramMode;

const TOKEN: &str = "4242424242:AAHtestTOKENsecretPART-never-shown";
/// The part of the token that is the secret.
const TOKEN_SECRET: &str = "AAHtestTOKENsecretPART-never-shown";
const SEED: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const CUSTOMER: i64 = 777_001;

// ---- the logs ---------------------------------------------------------

/// Everything every test in this binary logs, at trace level, in every
/// module (reqwest's `log` records included): the last test searches it.
fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    static INIT: OnceLock<()> = OnceLock::new();
    let logs = LOGS.get_or_init(|| Mutex::new(Vec::new()));
    INIT.get_or_init(|| {
        struct Sink;
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                LOGS.get().unwrap().lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| Sink)
            .try_init();
    });
    logs
}

// ---- the fake Bot API ---------------------------------------------------

#[derive(Default)]
struct Script {
    /// Served by getUpdates from the asked offset on.
    updates: Vec<Value>,
    /// Offsets getUpdates was asked with.
    offsets: Vec<Option<i64>>,
    /// Accepted sendMessage / sendDocument / sendPhoto calls, with when.
    sent: Vec<(String, Value, Instant)>,
    /// sendMessage calls answered 429, with when.
    throttled: Vec<Instant>,
    /// How many of the next sendMessage calls answer 429.
    throttle_next: u32,
    /// How many of the next getUpdates calls fail with a bare 502.
    fail_polls: u32,
    /// file_id → (file_path, bytes)
    files: HashMap<String, (String, Vec<u8>)>,
    /// setWebhook bodies.
    webhooks: Vec<Value>,
    /// Calls with a wrong token.
    wrong_token: u32,
    next_message_id: i64,
}

#[derive(Clone)]
struct Fake {
    script: Arc<Mutex<Script>>,
    url: String,
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn refused(code: u16, description: &str, extra: Value) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if !extra.is_null() {
        body["parameters"] = extra;
    }
    (StatusCode::from_u16(code).unwrap(), axum::Json(body)).into_response()
}

async fn method(
    State(fake): State<Fake>,
    Path((bot, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        fake.script.lock().unwrap().wrong_token += 1;
        return refused(401, "Unauthorized", Value::Null);
    }
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match method.as_str() {
        "getUpdates" => {
            let offset = json["offset"].as_i64();
            let wait = json["timeout"].as_u64().unwrap_or(0).min(1);
            {
                let mut s = fake.script.lock().unwrap();
                s.offsets.push(offset);
                if s.fail_polls > 0 {
                    s.fail_polls -= 1;
                    return (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response();
                }
            }
            let deadline = Instant::now() + Duration::from_secs(wait);
            loop {
                let due: Vec<Value> = fake
                    .script
                    .lock()
                    .unwrap()
                    .updates
                    .iter()
                    .filter(|u| offset.is_none_or(|o| u["update_id"].as_i64().unwrap_or(0) >= o))
                    .cloned()
                    .collect();
                if !due.is_empty() || Instant::now() >= deadline {
                    return ok(Value::Array(due));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        "sendMessage" | "sendDocument" | "sendPhoto" => {
            let mut s = fake.script.lock().unwrap();
            if method == "sendMessage" && s.throttle_next > 0 {
                s.throttle_next -= 1;
                s.throttled.push(Instant::now());
                return refused(
                    429,
                    "Too Many Requests: retry after 1",
                    json!({"retry_after": 1}),
                );
            }
            let recorded = if method == "sendMessage" {
                json
            } else {
                // The multipart form, as text (the file is small text).
                Value::String(String::from_utf8_lossy(&body).into_owned())
            };
            s.sent.push((method.clone(), recorded, Instant::now()));
            s.next_message_id += 1;
            ok(
                json!({"message_id": s.next_message_id, "date": 0, "chat": {"id": CUSTOMER, "type": "private"}}),
            )
        }
        "getFile" => {
            let s = fake.script.lock().unwrap();
            let id = json["file_id"].as_str().unwrap_or("");
            match s.files.get(id) {
                Some((path, bytes)) => ok(json!({
                    "file_id": id, "file_unique_id": "u", "file_size": bytes.len(), "file_path": path
                })),
                None => refused(400, "Bad Request: invalid file_id", Value::Null),
            }
        }
        "setWebhook" => {
            fake.script.lock().unwrap().webhooks.push(json);
            ok(json!(true))
        }
        _ => refused(404, "Not Found", Value::Null),
    }
}

async fn file(State(fake): State<Fake>, Path((bot, path)): Path<(String, String)>) -> Response {
    if bot != format!("bot{TOKEN}") {
        fake.script.lock().unwrap().wrong_token += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let s = fake.script.lock().unwrap();
    match s.files.values().find(|(p, _)| *p == path) {
        Some((_, bytes)) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

impl Fake {
    async fn start() -> Self {
        logs();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Fake {
            script: Arc::new(Mutex::new(Script::default())),
            url: format!("http://{}", listener.local_addr().unwrap()),
        };
        let app = Router::new()
            .route("/file/{bot}/{*path}", get(file))
            .route("/{bot}/{method}", post(method))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    fn push(&self, update: Value) {
        self.script.lock().unwrap().updates.push(update);
    }

    fn add_file(&self, id: &str, path: &str, bytes: &[u8]) {
        self.script
            .lock()
            .unwrap()
            .files
            .insert(id.into(), (path.into(), bytes.to_vec()));
    }

    fn sent(&self) -> Vec<(String, Value, Instant)> {
        self.script.lock().unwrap().sent.clone()
    }

    /// The accepted sends whose text (or form) holds `needle`: an open
    /// also sends the customer a notice, which the tests skip this way.
    fn sent_with(&self, needle: &str) -> Vec<(String, Value, Instant)> {
        self.sent()
            .into_iter()
            .filter(|(_, v, _)| {
                v["text"]
                    .as_str()
                    .or(v.as_str())
                    .is_some_and(|t| t.contains(needle))
            })
            .collect()
    }

    async fn app(&self, mode: TelegramMode) -> TestApp {
        let url = self.url.clone();
        TestApp::spawn_with(move |c| {
            let t = &mut c.channels.telegram;
            t.bot_token = Some(TOKEN.to_owned().into());
            t.api_url = url.clone();
            t.mode = mode;
            t.poll_timeout_s = 1;
            if mode == TelegramMode::Webhook {
                t.webhook_secret = Some("hook_SECRET-1".to_owned().into());
                t.webhook_url = Some("https://support.example/v1/channels/telegram/webhook".into());
            }
        })
        .await
    }
}

/// A private-chat message from our customer.
fn message(update_id: i64, fields: Value) -> Value {
    let mut m = json!({
        "message_id": update_id * 10,
        "date": 1_700_000_000,
        "from": {"id": CUSTOMER, "is_bot": false, "first_name": "Mei", "last_name": "Chen", "language_code": "en"},
        "chat": {"id": CUSTOMER, "type": "private", "first_name": "Mei"},
    });
    m.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    json!({"update_id": update_id, "message": m})
}

// ---- helpers ------------------------------------------------------------

async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Telegram conversations the agent sees.
async fn telegram_conversations(app: &TestApp, agent: &str) -> Vec<Value> {
    let (status, page) = app.get("/v1/agent/conversations", Some(agent)).await;
    assert_eq!(status, 200, "{page}");
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["channel"] == "telegram")
        .cloned()
        .collect()
}

async fn the_conversation(app: &TestApp, agent: &str) -> String {
    eventually("a telegram conversation", async || {
        let found = telegram_conversations(app, agent).await;
        found.first().map(|c| c["id"].as_str().unwrap().to_owned())
    })
    .await
}

/// Customer messages in the conversation, by body.
async fn customer_messages(app: &TestApp, agent: &str, conv: &str) -> Vec<String> {
    let (_, history) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(agent))
        .await;
    history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == "message" && e["actor"]["type"] == "customer")
        .map(|e| e["kind"]["body"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// Every file under `dir`, as text.
fn everything_in(dir: &std::path::Path) -> String {
    walk(dir)
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

// ---- the tests ----------------------------------------------------------

#[tokio::test]
async fn a_polled_message_opens_a_telegram_conversation_and_the_reply_reaches_the_chat() {
    let fake = Fake::start().await;
    let first = message(501, json!({"text": "my USDT deposit has not arrived"}));
    // The same update twice in one batch: stored once.
    fake.push(first.clone());
    fake.push(first);
    let app = fake.app(TelegramMode::Polling).await;
    let (agent, _) = app.agent_with_role("tg@example.com", Role::Admin).await;

    let conv = the_conversation(&app, &agent).await;
    let (status, channels) = app
        .get(
            &format!("/v1/agent/conversations/{conv}/channels"),
            Some(&agent),
        )
        .await;
    assert_eq!(status, 200, "{channels}");
    assert_eq!(channels["channel"], "telegram");
    assert_eq!(channels["reply_to"], CUSTOMER.to_string());
    let identity = &channels["identities"][0];
    assert_eq!(identity["channel"], "telegram");
    assert_eq!(identity["address"], CUSTOMER.to_string());
    assert_eq!(identity["display_name"], "Mei Chen");
    assert_eq!(
        customer_messages(&app, &agent, &conv).await,
        vec!["my USDT deposit has not arrived".to_owned()]
    );

    // The offset moved past the update, in the store and on the wire.
    let stored = eventually("the offset checkpoint", async || {
        app.state.store.checkpoint("telegram:offset").await.unwrap()
    })
    .await;
    assert_eq!(stored, "502");
    eventually("a poll from the new offset", async || {
        fake.script
            .lock()
            .unwrap()
            .offsets
            .contains(&Some(502))
            .then_some(())
    })
    .await;

    // The customer set an anti-phishing code: our messages carry it.
    let (_, history) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    let customer: CustomerId =
        serde_json::from_value(history["conversation"]["customer_id"].clone()).unwrap();
    app.state
        .store
        .set_anti_phishing_code(customer, "BLUE-OTTER-7", Timestamp::now(), 1)
        .await
        .unwrap();
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&agent),
            json!({"body": "We are checking your deposit now."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (method, sent, _) = eventually("the reply at sendMessage", async || {
        fake.sent_with("checking your deposit").into_iter().next()
    })
    .await;
    assert_eq!(method, "sendMessage");
    assert_eq!(sent["chat_id"], CUSTOMER);
    let text = sent["text"].as_str().unwrap();
    assert!(
        text.starts_with("We are checking your deposit now."),
        "{text}"
    );
    assert!(text.contains("Anti-phishing code: BLUE-OTTER-7"), "{text}");
    // The opening notice was our first message: the long warning went
    // there, not here.
    assert!(!text.contains("never ask"), "{text}");
    let notice = fake.sent()[0].1["text"].as_str().unwrap().to_owned();
    assert!(notice.contains("never ask for seed phrases"), "{notice}");
    assert!(sent.get("parse_mode").is_none(), "plain text only");

    // The customer answers: same conversation.
    fake.push(message(
        502,
        json!({"text": "thanks, txid is in my wallet"}),
    ));
    eventually("the second message", async || {
        (customer_messages(&app, &agent, &conv).await.len() == 2).then_some(())
    })
    .await;
    assert_eq!(telegram_conversations(&app, &agent).await.len(), 1);

    // A second reply: the code again, the long warning not.
    app.post(
        &format!("/v1/agent/conversations/{conv}/messages"),
        Some(&agent),
        json!({"body": "Found it, credited."}),
    )
    .await;
    let (_, second, _) = eventually("the second reply", async || {
        fake.sent_with("credited").into_iter().next()
    })
    .await;
    let text = second["text"].as_str().unwrap();
    assert!(text.contains("Anti-phishing code: BLUE-OTTER-7"), "{text}");
    assert_eq!(fake.script.lock().unwrap().wrong_token, 0);
}

#[tokio::test]
async fn a_restart_resumes_from_the_stored_offset_without_repeating() {
    let fake = Fake::start().await;
    fake.push(message(10, json!({"text": "first"})));
    let mut app = fake.app(TelegramMode::Polling).await;
    let (agent, _) = app
        .agent_with_role("restart@example.com", Role::Admin)
        .await;
    let conv = the_conversation(&app, &agent).await;
    eventually("the checkpoint", async || {
        (app.state
            .store
            .checkpoint("telegram:offset")
            .await
            .unwrap()
            .as_deref()
            == Some("11"))
        .then_some(())
    })
    .await;
    app.shutdown().await;
    let polls_before = fake.script.lock().unwrap().offsets.len();

    // A new server on the same store, and a fake that has forgotten
    // nothing: it still serves update 10 to anyone who asks without an
    // offset.
    fake.push(message(11, json!({"text": "second"})));
    let store = app.state.store.clone();
    let url = fake.url.clone();
    let again = TestApp::spawn_on_with(store, move |c| {
        let t = &mut c.channels.telegram;
        t.bot_token = Some(TOKEN.to_owned().into());
        t.api_url = url;
        t.poll_timeout_s = 1;
    })
    .await;
    let (agent, _) = again
        .agent_with_role("restart2@example.com", Role::Admin)
        .await;
    eventually("the second message", async || {
        (customer_messages(&again, &agent, &conv).await.len() == 2).then_some(())
    })
    .await;
    assert_eq!(
        customer_messages(&again, &agent, &conv).await,
        vec!["first".to_owned(), "second".to_owned()]
    );
    let offsets = fake.script.lock().unwrap().offsets[polls_before..].to_vec();
    assert_eq!(offsets.first(), Some(&Some(11)), "{offsets:?}");
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_reply_is_delivered_once() {
    let fake = Fake::start().await;
    fake.push(message(1, json!({"text": "hello?"})));
    fake.script.lock().unwrap().throttle_next = 1;
    let app = fake.app(TelegramMode::Polling).await;
    let (agent, _) = app.agent_with_role("rl@example.com", Role::Admin).await;
    let conv = the_conversation(&app, &agent).await;
    let (status, _) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&agent),
            json!({"body": "Hello, how can I help?"}),
        )
        .await;
    assert_eq!(status, 201);
    // The first send (the opening notice) drew the 429; everything
    // after waited retry_after.
    eventually("the reply after the 429", async || {
        fake.sent_with("how can I help").into_iter().next()
    })
    .await;
    let (_, _, at) = fake.sent()[0].clone();
    let throttled = fake.script.lock().unwrap().throttled.clone();
    assert_eq!(throttled.len(), 1, "refused once");
    assert!(
        at.duration_since(throttled[0]) >= Duration::from_millis(950),
        "retried before retry_after: {:?}",
        at.duration_since(throttled[0])
    );
    // Nothing goes out twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.sent_with("how can I help").len(), 1);
    let texts: Vec<_> = fake
        .sent()
        .iter()
        .map(|(_, v, _)| v["text"].clone())
        .collect();
    let unique: std::collections::HashSet<_> = texts.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        unique.len(),
        texts.len(),
        "a message was sent twice: {texts:?}"
    );
}

#[tokio::test]
async fn the_webhook_takes_updates_only_with_its_secret_and_once() {
    let fake = Fake::start().await;
    let app = fake.app(TelegramMode::Webhook).await;
    let (agent, _) = app.agent_with_role("hook@example.com", Role::Admin).await;
    let webhooks = fake.script.lock().unwrap().webhooks.clone();
    assert_eq!(webhooks.len(), 1, "setWebhook at start");
    assert_eq!(
        webhooks[0]["url"],
        "https://support.example/v1/channels/telegram/webhook"
    );
    assert_eq!(webhooks[0]["secret_token"], "hook_SECRET-1");

    let update = message(9001, json!({"text": "hello from the webhook"}));
    let url = app.url("/v1/channels/telegram/webhook");
    let post = |secret: Option<&'static str>| {
        let mut req = app.http.post(&url).json(&update);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        async move { req.send().await.unwrap() }
    };
    for wrong in [
        None,
        Some("hook_SECRET-2"),
        Some("hook_SECRET-1x"),
        Some(""),
    ] {
        let res = post(wrong).await;
        assert_eq!(res.status(), 401, "{wrong:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    assert!(telegram_conversations(&app, &agent).await.is_empty());
    assert_eq!(post(Some("hook_SECRET-1")).await.status(), 200);
    // Telegram delivers again (it does after a timeout): nothing new.
    assert_eq!(post(Some("hook_SECRET-1")).await.status(), 200);
    let conv = the_conversation(&app, &agent).await;
    assert_eq!(
        customer_messages(&app, &agent, &conv).await,
        vec!["hello from the webhook".to_owned()]
    );
    // A body that is not an update is taken and forgotten, not retried.
    let res = app
        .http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "hook_SECRET-1")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // No polling in webhook mode.
    assert!(fake.script.lock().unwrap().offsets.is_empty());
}

#[tokio::test]
async fn the_webhook_is_not_there_in_polling_mode() {
    let fake = Fake::start().await;
    let app = fake.app(TelegramMode::Polling).await;
    let res = app
        .http
        .post(app.url("/v1/channels/telegram/webhook"))
        .header("X-Telegram-Bot-Api-Secret-Token", "anything")
        .json(&message(1, json!({"text": "x"})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_seed_phrase_sent_on_telegram_reaches_neither_the_disk_nor_the_agents() {
    let fake = Fake::start().await;
    fake.add_file(
        "doc-1",
        "documents/file_1.txt",
        format!("backup words: {SEED}\n").as_bytes(),
    );
    fake.push(message(
        70,
        json!({"text": format!("support asked for my words: {SEED}")}),
    ));
    fake.push(message(
        71,
        json!({"caption": "my backup", "document": {"file_id": "doc-1", "file_unique_id": "d1", "file_name": "wallet.txt", "mime_type": "text/plain", "file_size": 120}}),
    ));
    let app = fake.app(TelegramMode::Polling).await;
    let (agent, _) = app.agent_with_role("guard@example.com", Role::Admin).await;
    let conv = the_conversation(&app, &agent).await;
    let history = eventually("the document", async || {
        let (_, history) = app
            .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
            .await;
        history["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"]["type"] == "attachment")
            .then_some(history)
    })
    .await;
    let file_id = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["type"] == "attachment")
        .unwrap()["kind"]["file"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let file_text = String::from_utf8_lossy(&app.download(&agent, &file_id).await).into_owned();
    let (_, inbox) = app.get("/v1/agent/conversations", Some(&agent)).await;
    let shown = format!("{history}\n{file_text}\n{inbox}");
    assert!(
        !shown.contains("abandon abandon"),
        "a seed phrase reached an agent"
    );
    assert!(shown.contains("[redacted:seed_phrase]"), "{shown}");
    assert!(
        file_text.contains("backup words:"),
        "the rest of the file is kept"
    );
    // The database file and its write-ahead log.
    let stored = everything_in(app.data_dir());
    assert!(stored.len() > 1000, "the data folder was read");
    assert!(
        !stored.contains("abandon abandon"),
        "a seed phrase is on disk"
    );
    assert!(!stored.contains(TOKEN_SECRET), "the bot token is on disk");
}

#[tokio::test]
async fn the_bot_token_is_neither_on_disk_nor_in_the_logs() {
    let fake = Fake::start().await;
    fake.add_file("photo-big", "photos/file_9.jpg", &jpeg());
    fake.add_file(
        "doc-2",
        "documents/file_2.txt",
        b"order 5521 screenshot notes\n",
    );
    {
        let mut s = fake.script.lock().unwrap();
        // A failing poll, a 429: the error paths log too.
        s.fail_polls = 1;
        s.throttle_next = 1;
    }
    fake.push(message(
        300,
        json!({"caption": "see attached", "photo": [{"file_id": "photo-big", "file_unique_id": "p9", "width": 2, "height": 2, "file_size": 200}]}),
    ));
    // A file Telegram no longer has: the message is kept, the agents told.
    fake.push(message(
        301,
        json!({"document": {"file_id": "gone", "file_unique_id": "g", "file_name": "old.pdf", "file_size": 10}}),
    ));
    let app = fake.app(TelegramMode::Polling).await;
    let (agent, _) = app.agent_with_role("logs@example.com", Role::Admin).await;
    let conv = the_conversation(&app, &agent).await;
    eventually("both updates", async || {
        (app.state
            .store
            .checkpoint("telegram:offset")
            .await
            .unwrap()
            .as_deref()
            == Some("302"))
        .then_some(())
    })
    .await;
    let messages = customer_messages(&app, &agent, &conv).await;
    assert!(
        messages
            .iter()
            .any(|m| m.contains("could not be taken from Telegram") && m.contains("old.pdf")),
        "{messages:?}"
    );
    app.post(
        &format!("/v1/agent/conversations/{conv}/messages"),
        Some(&agent),
        json!({"body": "Thanks, looking at the photo."}),
    )
    .await;
    let res = app
        .http
        .post(app.url(&format!(
            "/v1/agent/conversations/{conv}/attachments?name=steps.txt"
        )))
        .bearer_auth(&agent)
        .body("1. open the app\n2. tap deposit\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (method, form, _) = eventually("the file", async || {
        fake.sent_with("2. tap deposit").into_iter().next()
    })
    .await;
    assert_eq!(method, "sendDocument");
    let form = form.as_str().unwrap();
    assert!(
        form.contains(&format!("\r\n\r\n{CUSTOMER}\r\n")),
        "chat id in the form"
    );
    assert!(form.contains("filename=\"steps.txt\""), "{form}");
    assert!(form.contains("2. tap deposit"), "the bytes");

    // The photo was downloaded into our store.
    let (_, history) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&agent))
        .await;
    assert!(history.to_string().contains("photo_p9.jpg"), "{history}");

    let stored = everything_in(app.data_dir());
    assert!(!stored.contains(TOKEN_SECRET), "the bot token is on disk");
    assert!(!stored.contains("/file/bot"), "a file URL is on disk");
    let logs = String::from_utf8_lossy(&logs().lock().unwrap()).into_owned();
    assert!(
        logs.contains("Telegram polling failed"),
        "the logs were captured ({} bytes)",
        logs.len()
    );
    assert!(
        logs.contains("send failed; will retry"),
        "the 429 was logged"
    );
    assert!(!logs.contains(TOKEN_SECRET), "the bot token is in the logs");
    assert!(!logs.contains("/file/bot"), "a file URL is in the logs");
}

/// A tiny JPEG (enough for the content sniffer).
fn jpeg() -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    bytes.extend_from_slice(&[0u8; 64]);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}
