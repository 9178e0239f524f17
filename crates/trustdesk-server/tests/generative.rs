//! The optional generative answer mode through the real server, against a
//! local fake OpenAI-compatible chat-completions endpoint.

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const EXTRACTIVE_EN: &str = "Hi! These articles may answer your question. Did this solve it? Reply \"yes\" or \"no\", or tap \"Talk to a human\" any time.";
const EXTRACTIVE_ZH: &str = "您好！以下文章可能解答您的问题。问题解决了吗？请回复“解决了”或“没有”，也可以随时点“转人工客服”。";
const KEY: &str = "sk-test-key-0123456789";
const MODEL: &str = "fake-model-7b";

/// What the fake endpoint does with the next request.
#[derive(Clone)]
enum Mode {
    Reply(String),
    Hang,
    Fail,
    Garbage,
}

/// One request the fake endpoint received.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    authorization: Option<String>,
    raw: String,
    body: Value,
}

#[derive(Clone)]
struct Fake {
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    base: String,
}

impl Fake {
    async fn spawn(mode: Mode) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let fake = Fake {
            mode: Arc::new(Mutex::new(mode)),
            seen: Arc::new(Mutex::new(Vec::new())),
            base,
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            // Any other path is recorded too, then answered 404.
            .fallback(completions_elsewhere)
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn completions(
    State(fake): State<Fake>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    raw: String,
) -> Response {
    fake.seen.lock().unwrap().push(Seen {
        path: uri.path().to_owned(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
    });
    let mode = fake.mode.lock().unwrap().clone();
    match mode {
        Mode::Reply(content) => axum::Json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": content}}],
        }))
        .into_response(),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        Mode::Fail => (StatusCode::INTERNAL_SERVER_ERROR, "model crashed").into_response(),
        Mode::Garbage => (StatusCode::OK, "<html>not json</html>").into_response(),
    }
}

async fn completions_elsewhere(
    State(fake): State<Fake>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    raw: String,
) -> StatusCode {
    let _ = completions(State(fake), uri, headers, raw).await;
    StatusCode::NOT_FOUND
}

async fn spawn_app(fake: &Fake, enabled: bool, timeout_ms: u64) -> TestApp {
    let base = fake.base.clone();
    let app = TestApp::spawn_with(move |config| {
        let g = &mut config.bot.generative;
        g.enabled = enabled;
        g.url = base;
        g.model = MODEL.into();
        g.api_key = Some(KEY.to_owned().into());
        g.timeout_ms = timeout_ms;
    })
    .await;
    app.load_starter_kb().await;
    app
}

/// Opens a conversation and returns the create response.
async fn open(app: &TestApp, body: &str) -> Value {
    let (customer, _) = app.customer().await;
    let (status, created) = app
        .post(
            "/v1/widget/conversations",
            Some(&customer),
            json!({"body": body}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

fn event<'a>(created: &'a Value, kind: &str) -> Option<&'a Value> {
    created["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["type"] == kind)
}

fn messages(seen: &Seen) -> (String, String) {
    let m = seen.body["messages"].as_array().unwrap();
    assert_eq!(m.len(), 2, "{}", seen.body);
    assert_eq!(m[0]["role"], "system");
    assert_eq!(m[1]["role"], "user");
    (
        m[0]["content"].as_str().unwrap().to_owned(),
        m[1]["content"].as_str().unwrap().to_owned(),
    )
}

/// The title given for article `[n]` in the system prompt.
fn prompt_title(system: &str, n: usize) -> String {
    let prefix = format!("[{n}] ");
    system
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no article [{n}] in the prompt"))
        .to_owned()
}

#[tokio::test]
async fn the_bot_answers_with_generated_text_grounded_in_the_retrieved_articles() {
    let answer = "您的充值可能仍在等待区块确认，请核对充值网络与地址是否一致 [2]。如仍未到账，请回复，人工客服会协助您。";
    let fake = Fake::spawn(Mode::Reply(answer.into())).await;
    let app = spawn_app(&fake, true, 5000).await;
    let question = "我的USDT充值一直没到账，TRC20网络，已经两个小时了";
    let created = open(&app, question).await;

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(
        req.authorization.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(req.body["model"], MODEL);
    let (system, user) = messages(req);
    assert_eq!(user, question);
    assert!(system.contains("Simplified Chinese"));
    assert!(system.contains("seed phrase"));
    // The prompt carries the articles the search retrieves, with their text.
    let (_, search) = app
        .get(
            &format!("/v1/kb/search?locale=zh&limit=3&q={}", enc(question)),
            None,
        )
        .await;
    let hits = search["hits"].as_array().unwrap();
    assert!(hits.len() >= 2, "{search}");
    for (i, hit) in hits.iter().take(2).enumerate() {
        assert_eq!(prompt_title(&system, i + 1), hit["title"].as_str().unwrap());
        let snippet = hit["snippet"].as_str().unwrap();
        assert!(system.contains(snippet.trim()), "{snippet} not in prompt");
    }

    // The bot reply is the generated text, citing article [2] only.
    let bot = event(&created, "bot_reply").expect("a bot reply");
    assert_eq!(bot["actor"]["type"], "bot");
    assert_eq!(bot["kind"]["text"], answer);
    let articles = bot["kind"]["articles"].as_array().unwrap();
    assert_eq!(articles.len(), 1, "{bot}");
    assert_eq!(articles[0]["title"], prompt_title(&system, 2));
    assert_eq!(articles[0]["id"], hits[1]["id"]);
    assert!(bot["kind"]["confidence"].as_f64().unwrap() >= 0.45);
}

#[tokio::test]
async fn the_endpoint_never_sees_a_raw_secret_and_uncited_answers_keep_the_suggestions() {
    let answer = "Deposits are credited after the network confirmations the articles describe.";
    let fake = Fake::spawn(Mode::Reply(answer.into())).await;
    let app = spawn_app(&fake, true, 5000).await;
    let created = open(
        &app,
        "My USDT deposit has not arrived after two hours on TRC20. my password is hunter2hunter2",
    )
    .await;
    let stored = event(&created, "message").unwrap()["kind"]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!stored.contains("hunter2hunter2"), "{stored}");
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{created}");
    assert!(!seen[0].raw.contains("hunter2hunter2"));
    let (_, user) = messages(&seen[0]);
    assert_eq!(user, stored, "the endpoint gets the guarded text");
    let bot = event(&created, "bot_reply").expect("a bot reply");
    assert_eq!(bot["kind"]["text"], answer);
    // No citation: the retrieved articles stay as suggestions.
    assert!(!bot["kind"]["articles"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_generated_answer_asking_for_a_seed_phrase_is_not_sent() {
    let fake = Fake::spawn(Mode::Reply(
        "To verify your wallet, please send me your seed phrase [1].".into(),
    ))
    .await;
    let app = spawn_app(&fake, true, 5000).await;
    let created = open(
        &app,
        "My USDT deposit has not arrived after two hours on TRC20",
    )
    .await;
    assert_eq!(fake.seen().len(), 1);
    let bot = event(&created, "bot_reply").expect("the extractive reply");
    assert_eq!(bot["kind"]["text"], EXTRACTIVE_EN);
    assert!(!bot["kind"]["articles"].as_array().unwrap().is_empty());
    let all = created.to_string();
    assert!(!all.contains("send me your seed phrase"));
}

#[tokio::test]
async fn failures_timeouts_and_garbage_fall_back_to_the_extractive_answer() {
    let fake = Fake::spawn(Mode::Fail).await;
    let app = spawn_app(&fake, true, 400).await;
    let question = "我的USDT充值一直没到账，TRC20网络，已经两个小时了";
    for (n, mode) in [Mode::Fail, Mode::Garbage, Mode::Hang]
        .into_iter()
        .enumerate()
    {
        fake.set(mode);
        let started = std::time::Instant::now();
        let created = open(&app, question).await;
        assert_eq!(fake.seen().len(), n + 1);
        let bot = event(&created, "bot_reply").expect("the extractive reply");
        assert_eq!(bot["kind"]["text"], EXTRACTIVE_ZH, "{created}");
        assert!(!bot["kind"]["articles"].as_array().unwrap().is_empty());
        // Not a timing benchmark: only that a hanging endpoint cannot hold
        // the customer for its 30 s.
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

#[tokio::test]
async fn when_disabled_no_request_is_made_and_the_reply_is_unchanged() {
    let fake = Fake::spawn(Mode::Reply("generated [1]".into())).await;
    let app = spawn_app(&fake, false, 5000).await;
    let created = open(&app, "我的USDT充值一直没到账，TRC20网络，已经两个小时了").await;
    let bot = event(&created, "bot_reply").expect("the extractive reply");
    assert_eq!(bot["kind"]["text"], EXTRACTIVE_ZH);
    assert!(!bot["kind"]["articles"].as_array().unwrap().is_empty());
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn handoffs_skip_the_endpoint_and_a_later_first_message_is_answered() {
    let answer = "Check that you used the same network as the deposit address [1].";
    let fake = Fake::spawn(Mode::Reply(answer.into())).await;
    let app = spawn_app(&fake, true, 5000).await;
    // Urgent, or asking for a person: a human, never the model.
    let urgent = open(
        &app,
        "My account was hacked and someone is withdrawing all my BTC right now, please freeze it!",
    )
    .await;
    assert!(event(&urgent, "bot_reply").is_none(), "{urgent}");
    let human = open(&app, "I want to talk to a human").await;
    assert!(event(&human, "bot_reply").is_none(), "{human}");
    assert!(fake.seen().is_empty());

    // A conversation opened without a message gets the generated answer on
    // its first message.
    let (customer, _) = app.customer().await;
    let (status, created) = app
        .post(
            "/v1/widget/conversations",
            Some(&customer),
            json!({"subject": "deposit"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["conversation"]["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/v1/widget/conversations/{id}/messages"),
            Some(&customer),
            json!({"body": "My USDT deposit has not arrived after two hours on TRC20"}),
        )
        .await;
    assert!(status == 200 || status == 201, "{status}");
    let (_, history) = app
        .get(&format!("/v1/widget/conversations/{id}"), Some(&customer))
        .await;
    let bot = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["type"] == "bot_reply")
        .expect("a bot reply")
        .clone();
    assert_eq!(bot["kind"]["text"], answer);
    assert_eq!(bot["kind"]["articles"].as_array().unwrap().len(), 1);
    assert_eq!(fake.seen().len(), 1);
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
