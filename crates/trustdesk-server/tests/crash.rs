//! Durability under kill -9: a supervisor runs the real `trustdesk` binary,
//! clients send messages with client message ids over the WebSocket and
//! record every ack, and the supervisor kills the server with SIGKILL at
//! random moments and restarts it on the same data folder. Clients
//! reconnect and resend what was not acknowledged (same client_msg_id).
//! Afterwards every acknowledged message is in its conversation exactly
//! once, in send order, under the seq its ack named.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const CLIENTS: usize = 4;
const KILLS: usize = 20;

fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// The server process; killed when dropped, so a failing assertion does
/// not leave it running.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

fn start_server(data_dir: &Path, addr: SocketAddr) -> Server {
    Server(
        Command::new(env!("CARGO_BIN_EXE_trustdesk"))
            .args(["serve", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", &addr.to_string()])
            .env_remove("TRUSTDESK_CONFIG")
            .env_remove("TRUSTDESK_DATABASE_URL")
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the trustdesk binary starts"),
    )
}

async fn wait_healthy(http: &reqwest::Client, addr: SocketAddr, server: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(res) = http.get(format!("http://{addr}/healthz")).send().await
            && res.status().is_success()
        {
            return;
        }
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("the server exited during startup: {status}");
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: SocketAddr, token: &str) -> Option<Ws> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/ws"))
        .await
        .ok()?;
    let hello = json!({"type": "hello", "v": 1, "token": token});
    ws.send(Message::Text(hello.to_string().into()))
        .await
        .ok()?;
    let frame = next_frame(&mut ws).await?;
    assert_eq!(frame["type"], "welcome", "{frame}");
    Some(ws)
}

/// The next JSON frame, or `None` when the connection ends or stays silent.
async fn next_frame(ws: &mut Ws) -> Option<Value> {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .ok()??;
        match next.ok()? {
            Message::Text(text) => return Some(serde_json::from_str(&text).unwrap()),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Sends `client_msg_id` and waits for its ack: `Some(seq)`, or `None` if
/// the connection broke first.
async fn send_and_ack(ws: &mut Ws, conversation: &str, id: &str) -> Option<i64> {
    let frame = json!({"type": "send", "conversation_id": conversation,
        "client_msg_id": id, "body": format!("body of {id}")});
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .ok()?;
    loop {
        let frame = next_frame(ws).await?;
        match frame["type"].as_str() {
            Some("ack") if frame["client_msg_id"] == id => return frame["seq"].as_i64(),
            Some("error") => panic!("the server refused {id}: {frame}"),
            _ => continue,
        }
    }
}

/// Sends messages one after another until told to stop; every message that
/// was sent but not acknowledged is resent after reconnecting. Returns the
/// acknowledged messages in send order with their seq.
async fn client(
    n: usize,
    addr: SocketAddr,
    token: String,
    conversation: String,
    stop: Arc<AtomicBool>,
) -> Vec<(String, i64)> {
    let mut acked = Vec::new();
    let mut next = 0usize;
    let mut pending: Option<String> = None;
    let mut ws: Option<Ws> = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "client {n} is stuck");
        if pending.is_none() {
            if stop.load(Ordering::SeqCst) {
                return acked;
            }
            next += 1;
            pending = Some(format!("c{n}-{next}"));
        }
        let Some(socket) = ws.as_mut() else {
            ws = connect(addr, &token).await;
            if ws.is_none() {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            continue;
        };
        let id = pending.clone().unwrap();
        match send_and_ack(socket, &conversation, &id).await {
            Some(seq) => {
                acked.push((id, seq));
                pending = None;
            }
            None => ws = None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_kill_9() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let http = reqwest::Client::new();
    let mut server = start_server(dir.path(), addr);
    wait_healthy(&http, addr, &mut server).await;

    let mut conversations = Vec::new();
    for _ in 0..CLIENTS {
        let session = post(
            &http,
            format!("http://{addr}/v1/widget/sessions"),
            None,
            json!({"locale": "en"}),
        )
        .await;
        let token = session["token"].as_str().unwrap().to_owned();
        let opened = post(
            &http,
            format!("http://{addr}/v1/widget/conversations"),
            Some(&token),
            json!({"subject": "crash test", "body": "first"}),
        )
        .await;
        let id = opened["conversation"]["id"].as_str().unwrap().to_owned();
        conversations.push((token, id));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = conversations
        .iter()
        .enumerate()
        .map(|(n, (token, id))| {
            tokio::spawn(client(n, addr, token.clone(), id.clone(), stop.clone()))
        })
        .collect();

    for _ in 0..KILLS {
        let uptime = rand::random_range(150..700);
        tokio::time::sleep(Duration::from_millis(uptime)).await;
        server.kill();
        tokio::time::sleep(Duration::from_millis(rand::random_range(0..100))).await;
        server = start_server(dir.path(), addr);
        wait_healthy(&http, addr, &mut server).await;
    }
    // Let every client get its last message acknowledged, then stop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let mut results = Vec::new();
    for c in clients {
        results.push(c.await.unwrap());
    }

    let mut total = 0;
    for ((token, id), acked) in conversations.iter().zip(&results) {
        assert!(!acked.is_empty(), "a client got no ack at all");
        total += acked.len();
        // The whole log, page by page.
        let mut events: Vec<Value> = Vec::new();
        loop {
            let since = events.last().map_or(0, |e| e["seq"].as_i64().unwrap());
            let page = http
                .get(format!(
                    "http://{addr}/v1/widget/conversations/{id}?since={since}&limit=500"
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert!(page.status().is_success());
            let page: Value = page.json().await.unwrap();
            let page = page["events"].as_array().unwrap().clone();
            if page.is_empty() {
                break;
            }
            events.extend(page);
        }
        // Every stored message of the bench clients, in log order.
        let stored: Vec<(String, i64)> = events
            .iter()
            .filter_map(|e| {
                let cid = e["client_msg_id"].as_str()?;
                cid.starts_with('c')
                    .then(|| (cid.to_owned(), e["seq"].as_i64().unwrap()))
            })
            .collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (cid, _) in &stored {
            *counts.entry(cid).or_default() += 1;
        }
        for (cid, seq) in acked {
            assert_eq!(counts.get(cid.as_str()), Some(&1), "{cid} stored once");
            assert!(
                stored.contains(&(cid.clone(), *seq)),
                "{cid} stored under the seq of its ack ({seq})"
            );
        }
        assert!(
            counts.values().all(|&c| c == 1),
            "a message was stored twice"
        );
        // In send order: the acked messages appear in the log in the order
        // they were sent, and nothing else of ours is in between.
        let acked_ids: Vec<&str> = acked.iter().map(|(c, _)| c.as_str()).collect();
        let stored_ids: Vec<&str> = stored.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(stored_ids, acked_ids, "stored in send order");
    }
    server.kill();
    eprintln!(
        "{KILLS} kill -9/restart cycles, {total} acknowledged messages, all present once and in order ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
}
