//! The ceiling: a bare tokio WebSocket relay speaking just enough of the
//! protocol for the same `chat` scenario (hello, subscribe, send). No auth,
//! no persistence, no ordering guarantees: a `send` from one socket becomes
//! one `event` frame, serialised once and forwarded to the other sockets
//! subscribed to that conversation.

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

type Outbox = mpsc::UnboundedSender<Message>;

#[derive(Default)]
struct Hub {
    conversations: Mutex<HashMap<String, Vec<(u64, Outbox)>>>,
    next_id: AtomicU64,
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    conversation_id: Option<&'a str>,
    #[serde(default)]
    client_msg_id: Option<&'a str>,
    #[serde(default)]
    body: Option<String>,
}

pub async fn run(listen: SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(listen).await?;
    eprintln!(
        "relay listening on http://{} (pid {})",
        listener.local_addr()?,
        std::process::id()
    );
    let hub = Arc::new(Hub::default());
    loop {
        let (stream, _) = listener.accept().await?;
        let hub = hub.clone();
        tokio::spawn(async move {
            let _ = serve(stream, hub).await;
        });
    }
}

async fn serve(stream: TcpStream, hub: Arc<Hub>) -> Result<()> {
    stream.set_nodelay(true)?;
    let ws = tokio_tungstenite::accept_async(stream).await?;
    let (mut sink, mut source) = ws.split();
    let (outbox, mut queued) = mpsc::unbounded_channel::<Message>();
    let writer = tokio::spawn(async move {
        while let Some(message) = queued.recv().await {
            if sink.feed(message).await.is_err() {
                return;
            }
            // Write what is queued in one go, then flush.
            while let Ok(message) = queued.try_recv() {
                if sink.feed(message).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
    let mut subscribed: Vec<String> = Vec::new();
    while let Some(Ok(message)) = source.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let Ok(frame) = serde_json::from_str::<Frame>(&text) else {
            continue;
        };
        match frame.kind {
            "hello" => {
                let welcome = r#"{"type":"welcome","v":1,"principal":{"type":"relay"},"heartbeat_interval_ms":25000,"max_frame_bytes":65536}"#;
                let _ = outbox.send(Message::Text(Utf8Bytes::from_static(welcome)));
            }
            "subscribe" => {
                let Some(conversation) = frame.conversation_id else {
                    continue;
                };
                hub.conversations
                    .lock()
                    .expect("hub lock")
                    .entry(conversation.to_owned())
                    .or_default()
                    .push((id, outbox.clone()));
                subscribed.push(conversation.to_owned());
                let reply = serde_json::json!({"type": "subscribed", "conversation_id": conversation, "head_seq": 0, "replayed": 0});
                let _ = outbox.send(Message::Text(reply.to_string().into()));
            }
            "send" => {
                let (Some(conversation), Some(client_msg_id), Some(body)) =
                    (frame.conversation_id, frame.client_msg_id, frame.body)
                else {
                    continue;
                };
                let event = serde_json::json!({"type": "event", "event": {
                    "conversation_id": conversation,
                    "client_msg_id": client_msg_id,
                    "kind": {"type": "message", "body": body},
                }});
                let event = Message::Text(event.to_string().into());
                let conversations = hub.conversations.lock().expect("hub lock");
                if let Some(subscribers) = conversations.get(conversation) {
                    for (other, out) in subscribers {
                        if *other != id {
                            let _ = out.send(event.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut conversations = hub.conversations.lock().expect("hub lock");
    for conversation in subscribed {
        if let Some(list) = conversations.get_mut(&conversation) {
            list.retain(|(other, _)| *other != id);
        }
    }
    drop(conversations);
    writer.abort();
    Ok(())
}
