//! One WebSocket connection: authentication, subscriptions with replay and
//! gap filling, client requests, heartbeats and closing with a reason.
//!
//! A single task owns the socket. It selects over the client's frames, the
//! bus subscriptions, the control topic, a heartbeat tick and shutdown.
//! Writes to the socket happen only here. The outbound queue is bounded
//! twice: per conversation by the bus's ring (a receiver that falls behind
//! it is closed as a slow consumer; the client resumes with `since`), and
//! on the socket by tungstenite's write buffer, which makes a write wait
//! for the peer. A peer that stops reading would hold that write, and with
//! it the task and the kernel's send buffer, for ever: every write has a
//! deadline (the heartbeat timeout), past which the peer is closed as a
//! slow consumer.
//!
//! Frames the WebSocket layer refuses end with the RFC 6455 codes: 1009
//! for a message over the hard cap, 1007 for text that is not UTF-8.

use super::protocol::{ClientFrame, CloseReason, PrincipalView, ServerFrame};
use super::subscriptions::{BusStream, Subscriptions};
use crate::auth::{self, Authenticated, Who};
use crate::bus::{BusMessage, Topic};
use crate::conversations::{Conversations, MAX_PAGE, Post};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use trustdesk_core::event::EventKind;
use trustdesk_core::{ConversationId, Event, Visibility};
use trustdesk_store::Audience;

/// Conversations one connection may follow at once.
const MAX_SUBSCRIPTIONS_CUSTOMER: usize = 20;
const MAX_SUBSCRIPTIONS_AGENT: usize = 1000;

/// How long the goodbye (a `bye` frame and the close frame) may take: the
/// peer may be the one that stopped reading.
const CLOSE_DEADLINE: Duration = Duration::from_secs(1);

/// Why the loop ended: a reason to tell the client, or the client left.
enum End {
    Close(CloseReason),
    ClientGone,
}

/// What a read error from the WebSocket layer means for the connection:
/// a frame it refused gets its RFC 6455 close code, anything else (a reset,
/// a broken frame) means the client is gone.
fn read_error_end(err: axum::Error) -> End {
    use tungstenite::error::{CapacityError, Error};
    match err.into_inner().downcast::<Error>().map(|e| *e) {
        Ok(Error::Capacity(CapacityError::MessageTooLong { .. })) => {
            End::Close(CloseReason::MessageTooBig)
        }
        Ok(Error::Utf8(_)) => End::Close(CloseReason::InvalidText),
        _ => End::ClientGone,
    }
}

/// A write that gives up after `deadline`: a peer that accepts nothing for
/// that long is treated as gone, and closed as a slow consumer.
async fn within<T>(
    deadline: Duration,
    write: impl std::future::Future<Output = Result<T, axum::Error>>,
) -> Result<T, End> {
    match tokio::time::timeout(deadline, write).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) => Err(End::ClientGone),
        Err(_) => Err(End::Close(CloseReason::SlowConsumer)),
    }
}

struct Connection {
    state: AppState,
    auth: Authenticated,
    audience: Audience,
    socket: WebSocket,
    subscriptions: Subscriptions,
    /// Per subscribed conversation, the highest seq seen on it (delivered or
    /// filtered out); anything newer than `last + 1` is a gap to fill.
    last_seq: HashMap<ConversationId, i64>,
    inbox: Option<BusStream>,
    control: BusStream,
    last_heard: Instant,
    /// How long one write may wait for the peer to read.
    write_deadline: Duration,
    /// Frames written to the socket but not flushed yet: frames that are
    /// ready together (an ack and the echo of the same message, an event
    /// and the inbox line it changes) leave in one write.
    unflushed: bool,
}

/// Runs a connection to its end. `pre_auth` is set when the upgrade request
/// carried a valid bearer token; otherwise the first frame must be `hello`.
pub async fn run(mut socket: WebSocket, state: AppState, pre_auth: Option<Authenticated>) {
    let auth = match pre_auth {
        Some(auth) => auth,
        None => match await_hello(&mut socket, &state).await {
            Ok(auth) => auth,
            Err(reason) => {
                close(&mut socket, reason).await;
                return;
            }
        },
    };
    // A peer that takes no bytes for as long as it may stay silent is gone.
    let write_deadline = Duration::from_secs(state.config.limits.heartbeat_timeout_secs.max(1));
    // Subscribe to control first, so a revocation that races the welcome is
    // still seen.
    let control = state.bus.subscribe(Topic::Control).await.into_stream();
    // Counted among this node's open sessions, which the session sweep
    // checks against the store: however the session ends, this socket
    // closes within a sweep.
    let _open = state.open_sessions.open(auth.session_id);
    let _counted = state.metrics.connection(auth.agent().is_some());
    let mut conn = Connection {
        audience: Conversations::audience(&auth),
        state,
        auth,
        socket,
        subscriptions: Subscriptions::default(),
        last_seq: HashMap::new(),
        inbox: None,
        control,
        last_heard: Instant::now(),
        write_deadline,
        unflushed: false,
    };
    // An agent connection counts for presence until it ends, whichever
    // way it ends.
    let _presence = match conn.auth.agent() {
        Some(agent) => Some(conn.state.routing.connect(agent.id).await),
        None => None,
    };
    let end = conn.serve().await;
    if let End::Close(reason) = end {
        close(&mut conn.socket, reason).await;
    }
}

async fn await_hello(
    socket: &mut WebSocket,
    state: &AppState,
) -> Result<Authenticated, CloseReason> {
    let limit = Duration::from_secs(state.config.limits.hello_timeout_secs);
    let deadline = Instant::now() + limit;
    loop {
        let next = tokio::time::timeout_at(deadline, socket.recv()).await;
        let text = match next {
            Err(_) => return Err(CloseReason::HelloTimeout),
            Ok(Some(Err(err))) => {
                return Err(match read_error_end(err) {
                    End::Close(reason) => reason,
                    End::ClientGone => CloseReason::Unauthorized,
                });
            }
            Ok(None) => return Err(CloseReason::Unauthorized),
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(Message::Close(_)))) => return Err(CloseReason::Unauthorized),
            Ok(Some(Ok(_))) => continue,
        };
        match ClientFrame::decode(&text) {
            Ok(ClientFrame::Hello { v, token, .. }) => {
                if v != super::protocol::PROTOCOL_VERSION {
                    return Err(CloseReason::UnsupportedVersion);
                }
                let token = token.unwrap_or_default();
                return auth::authenticate(state, &token)
                    .await
                    .map_err(|_| CloseReason::Unauthorized);
            }
            Ok(other) => {
                let frame = ServerFrame::Error {
                    reference: other.reference(),
                    code: "unauthorized",
                    message: "send hello with a token first",
                    retry_after_ms: None,
                };
                within(limit, send_text(socket, frame.to_json()))
                    .await
                    .map_err(|_| CloseReason::Unauthorized)?;
            }
            Err(err) => {
                let frame = ServerFrame::Error {
                    reference: err.reference.as_deref(),
                    code: err.code,
                    message: &err.message,
                    retry_after_ms: None,
                };
                within(limit, send_text(socket, frame.to_json()))
                    .await
                    .map_err(|_| CloseReason::Unauthorized)?;
            }
        }
    }
}

async fn send_text(socket: &mut WebSocket, json: String) -> Result<(), axum::Error> {
    socket.send(Message::Text(Utf8Bytes::from(json))).await
}

/// Says why and closes; gives up after [`CLOSE_DEADLINE`] (the socket is
/// then simply dropped, which resets the connection).
async fn close(socket: &mut WebSocket, reason: CloseReason) {
    let goodbye = async {
        let _ = send_text(socket, ServerFrame::Bye { reason }.to_json()).await;
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code: reason.code(),
                reason: Utf8Bytes::from_static(reason.as_str()),
            })))
            .await;
        let _ = socket.close().await;
    };
    let _ = tokio::time::timeout(CLOSE_DEADLINE, goodbye).await;
}

async fn pending_or(
    stream: Option<&mut BusStream>,
) -> Option<Result<Arc<BusMessage>, BroadcastStreamRecvError>> {
    match stream {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

impl Connection {
    async fn serve(&mut self) -> End {
        let limits = self.state.config.limits.clone();
        if self.welcome(&limits).await.is_err() {
            return End::ClientGone;
        }
        let mut shutdown = self.state.shutdown.clone();
        let heartbeat_timeout = Duration::from_secs(limits.heartbeat_timeout_secs);
        let mut heartbeat =
            tokio::time::interval(Duration::from_secs(limits.heartbeat_interval_secs.max(1)));
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        heartbeat.tick().await;
        loop {
            // Biased: what the bus has ready is written first, then the
            // frames are flushed in one write, then the client is heard.
            let step = tokio::select! {
                biased;
                _ = async { let _ = shutdown.wait_for(|stopping| *stopping).await; } => Err(End::Close(CloseReason::GoingAway)),
                Some(item) = self.control.next() => match item {
                    Ok(message) => self.on_control(&message).await,
                    // Control messages are rare; a lag here means this task
                    // was stalled, i.e. the client is not reading.
                    Err(BroadcastStreamRecvError::Lagged(_)) => Err(End::Close(CloseReason::SlowConsumer)),
                },
                Some((conversation_id, item)) = self.subscriptions.next() => match item {
                    Ok(message) => self.on_conversation_message(conversation_id, &message).await,
                    Err(BroadcastStreamRecvError::Lagged(_)) => Err(End::Close(CloseReason::SlowConsumer)),
                },
                item = pending_or(self.inbox.as_mut()) => match item {
                    Some(Ok(message)) => self.on_inbox_message(&message).await,
                    Some(Err(BroadcastStreamRecvError::Lagged(_))) => Err(End::Close(CloseReason::SlowConsumer)),
                    None => Ok(()),
                },
                _ = std::future::ready(()), if self.unflushed => self.flush().await,
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(message)) => {
                        self.last_heard = Instant::now();
                        self.on_message(message, limits.max_frame_bytes).await
                    }
                    Some(Err(err)) => Err(read_error_end(err)),
                    None => Err(End::ClientGone),
                },
                _ = heartbeat.tick() => {
                    if self.last_heard.elapsed() > heartbeat_timeout {
                        Err(End::Close(CloseReason::HeartbeatTimeout))
                    } else {
                        within(self.write_deadline, self.socket.send(Message::Ping(Default::default()))).await
                    }
                },
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    async fn welcome(&mut self, limits: &crate::config::Limits) -> Result<(), End> {
        let principal = match &self.auth.who {
            Who::Customer(id) => PrincipalView::Customer { id: *id },
            Who::Agent(agent) => PrincipalView::Agent {
                id: agent.id,
                name: agent.display_name.clone(),
                role: agent.role,
            },
        };
        let frame = ServerFrame::Welcome {
            v: super::protocol::PROTOCOL_VERSION,
            principal,
            heartbeat_interval_ms: limits.heartbeat_interval_secs * 1000,
            max_frame_bytes: limits.max_frame_bytes,
        };
        self.send(frame).await
    }

    /// Queues a frame; the loop flushes when nothing else is ready.
    async fn send(&mut self, frame: ServerFrame<'_>) -> Result<(), End> {
        self.unflushed = true;
        let message = Message::Text(Utf8Bytes::from(frame.to_json()));
        within(
            self.write_deadline,
            SinkExt::feed(&mut self.socket, message),
        )
        .await
    }

    async fn flush(&mut self) -> Result<(), End> {
        self.unflushed = false;
        within(self.write_deadline, SinkExt::flush(&mut self.socket)).await
    }

    async fn send_error(
        &mut self,
        reference: Option<&str>,
        code: &str,
        message: &str,
    ) -> Result<(), End> {
        self.send(ServerFrame::Error {
            reference,
            code,
            message,
            retry_after_ms: None,
        })
        .await
    }

    async fn send_api_error(&mut self, reference: Option<&str>, err: ApiError) -> Result<(), End> {
        let message = err.public_message();
        self.send(ServerFrame::Error {
            reference,
            code: err.code(),
            message: &message,
            retry_after_ms: err.retry_after_ms(),
        })
        .await
    }

    async fn on_message(&mut self, message: Message, max_frame_bytes: usize) -> Result<(), End> {
        match message {
            Message::Text(text) => {
                if text.len() > max_frame_bytes {
                    let message = format!("frame is larger than {max_frame_bytes} bytes");
                    return self.send_error(None, "too_large", &message).await;
                }
                match ClientFrame::decode(&text) {
                    Ok(frame) => self.on_frame(frame).await,
                    Err(err) => {
                        self.send_error(err.reference.as_deref(), err.code, &err.message)
                            .await
                    }
                }
            }
            Message::Binary(_) => {
                self.send_error(None, "unsupported", "binary frames are not supported")
                    .await
            }
            Message::Close(_) => Err(End::ClientGone),
            // Pings are answered by the WebSocket layer; pongs only prove
            // the client is alive, which `last_heard` already noted.
            Message::Ping(_) | Message::Pong(_) => Ok(()),
        }
    }

    async fn on_frame(&mut self, frame: ClientFrame) -> Result<(), End> {
        match frame {
            ClientFrame::Hello { reference, .. } => {
                self.send_error(
                    reference.as_deref(),
                    "already_authenticated",
                    "hello was already accepted",
                )
                .await
            }
            ClientFrame::Presence { status, reference } => {
                let Some(agent) = self.auth.agent() else {
                    return self
                        .send_error(
                            reference.as_deref(),
                            "forbidden",
                            "only agents have a presence",
                        )
                        .await;
                };
                self.state
                    .routing
                    .send(crate::routing::worker::Command::SetPresence(
                        agent.id, status,
                    ))
                    .await;
                self.send(ServerFrame::PresenceSet {
                    reference: reference.as_deref(),
                    status,
                })
                .await
            }
            ClientFrame::Ping { reference } => {
                self.send(ServerFrame::Pong {
                    reference: reference.as_deref(),
                })
                .await
            }
            ClientFrame::Subscribe {
                conversation_id,
                since,
                reference,
            } => {
                self.subscribe(conversation_id, since, reference.as_deref())
                    .await
            }
            ClientFrame::Unsubscribe {
                conversation_id,
                reference,
            } => {
                self.subscriptions.remove(&conversation_id);
                self.last_seq.remove(&conversation_id);
                self.send(ServerFrame::Unsubscribed {
                    reference: reference.as_deref(),
                    conversation_id,
                })
                .await
            }
            ClientFrame::SubscribeInbox { reference } => {
                if !self.auth.has_scope(auth::ApiScope::ConversationsRead) {
                    return self.forbidden_scope(reference.as_deref()).await;
                }
                if self.auth.agent().is_none() {
                    return self
                        .send_error(
                            reference.as_deref(),
                            "forbidden",
                            "only agents have an inbox",
                        )
                        .await;
                }
                if self.inbox.is_none() {
                    self.inbox = Some(self.state.bus.subscribe(Topic::Inbox).await.into_stream());
                }
                self.send(ServerFrame::InboxSubscribed {
                    reference: reference.as_deref(),
                })
                .await
            }
            ClientFrame::Send {
                conversation_id,
                client_msg_id,
                body,
                internal,
                reference,
            } => {
                if !self.auth.has_scope(auth::ApiScope::ConversationsWrite) {
                    return self.forbidden_scope(reference.as_deref()).await;
                }
                // Past saturation a customer's message is refused before any
                // work; agents' replies are how the backlog drains.
                let _admitted = match self.auth.who {
                    Who::Customer(_) => match self.state.conversations.admit() {
                        Ok(permit) => Some(permit),
                        Err(refused) => {
                            return self.send_api_error(reference.as_deref(), refused).await;
                        }
                    },
                    Who::Agent(_) => None,
                };
                let post = Post {
                    client_msg_id: Some(client_msg_id.clone()),
                    body,
                    internal,
                    guard_override: None,
                };
                match self
                    .state
                    .conversations
                    .post(&self.auth, conversation_id, post)
                    .await
                {
                    Ok(appended) => {
                        self.send(ServerFrame::Ack {
                            reference: reference.as_deref(),
                            conversation_id,
                            client_msg_id: &client_msg_id,
                            seq: appended.event.seq,
                            duplicate: appended.duplicate,
                        })
                        .await
                    }
                    Err(err) => self.send_api_error(reference.as_deref(), err).await,
                }
            }
            ClientFrame::SetStatus {
                conversation_id,
                status,
                snoozed_until,
                reference,
            } => {
                if !self.auth.has_scope(auth::ApiScope::ConversationsWrite) {
                    return self.forbidden_scope(reference.as_deref()).await;
                }
                let result = self
                    .state
                    .conversations
                    .set_status(&self.auth, conversation_id, status, snoozed_until)
                    .await;
                match result {
                    Ok(appended) => {
                        let seq = appended.event.seq;
                        self.send(ServerFrame::Done {
                            reference: reference.as_deref(),
                            conversation_id,
                            seq,
                        })
                        .await
                    }
                    Err(err) => self.send_api_error(reference.as_deref(), err).await,
                }
            }
            ClientFrame::Typing {
                conversation_id,
                reference,
            } => {
                if !self.subscriptions.contains_key(&conversation_id) {
                    return self.not_subscribed(reference.as_deref()).await;
                }
                let message = BusMessage::Typing {
                    conversation_id,
                    actor: self.auth.actor(),
                };
                self.state
                    .bus
                    .publish(Topic::Conversation(conversation_id), message)
                    .await;
                Ok(())
            }
            ClientFrame::Read {
                conversation_id,
                seq,
                reference,
            } => {
                if !self.subscriptions.contains_key(&conversation_id) {
                    return self.not_subscribed(reference.as_deref()).await;
                }
                let message = BusMessage::Read {
                    conversation_id,
                    actor: self.auth.actor(),
                    seq,
                };
                self.state
                    .bus
                    .publish(Topic::Conversation(conversation_id), message)
                    .await;
                Ok(())
            }
        }
    }

    async fn forbidden_scope(&mut self, reference: Option<&str>) -> Result<(), End> {
        self.send_error(
            reference,
            "forbidden",
            "this API token does not have the scope for that",
        )
        .await
    }

    async fn not_subscribed(&mut self, reference: Option<&str>) -> Result<(), End> {
        self.send_error(
            reference,
            "not_subscribed",
            "subscribe to the conversation first",
        )
        .await
    }

    /// Subscribes, then replays what the client missed. Subscribing to the
    /// bus before reading the store means nothing falls between the two;
    /// anything seen twice is dropped by seq.
    async fn subscribe(
        &mut self,
        id: ConversationId,
        since: Option<i64>,
        reference: Option<&str>,
    ) -> Result<(), End> {
        let max = if self.auth.agent().is_some() {
            MAX_SUBSCRIPTIONS_AGENT
        } else {
            MAX_SUBSCRIPTIONS_CUSTOMER
        };
        if !self.auth.has_scope(auth::ApiScope::ConversationsRead) {
            return self.forbidden_scope(reference).await;
        }
        if !self.subscriptions.contains_key(&id) && self.subscriptions.len() >= max {
            let message = format!("at most {max} subscriptions per connection");
            return self
                .send_error(reference, "too_many_subscriptions", &message)
                .await;
        }
        if let Err(err) = self.state.conversations.visible(&self.auth, id).await {
            return self.send_api_error(reference, err).await;
        }
        let subscription = self.state.bus.subscribe(Topic::Conversation(id)).await;
        let head = match self.state.store.get_conversation(id).await {
            Ok(conversation) => conversation.last_seq,
            Err(err) => return self.send_api_error(reference, err.into()).await,
        };
        let since = since.unwrap_or(head);
        if since < 0 || since > head {
            let message = format!("since={since} is outside 0..={head}");
            return self.send_error(reference, "cursor_ahead", &message).await;
        }
        let mut replayed = 0;
        let mut cursor = since;
        while cursor < head {
            let page = match self
                .state
                .store
                .events(id, cursor, self.audience, MAX_PAGE)
                .await
            {
                Ok(page) => page,
                Err(err) => return self.send_api_error(reference, err.into()).await,
            };
            let Some(last) = page.last() else { break };
            cursor = last.seq;
            for event in page.iter().filter(|e| e.seq <= head) {
                self.send(ServerFrame::Event { event }).await?;
                replayed += 1;
            }
        }
        self.last_seq.insert(id, head);
        self.subscriptions.insert(id, subscription.into_stream());
        self.send(ServerFrame::Subscribed {
            reference,
            conversation_id: id,
            head_seq: head,
            replayed,
        })
        .await?;
        if let Some(info) = self.state.routing.queue_info(id) {
            self.send_queue(&info).await?;
        }
        Ok(())
    }

    async fn on_conversation_message(
        &mut self,
        id: ConversationId,
        message: &BusMessage,
    ) -> Result<(), End> {
        match message {
            BusMessage::Event(event) => self.on_event(id, event).await,
            BusMessage::Typing {
                conversation_id,
                actor,
            } => {
                if *actor == self.auth.actor() {
                    return Ok(());
                }
                self.send(ServerFrame::Typing {
                    conversation_id: *conversation_id,
                    actor,
                })
                .await
            }
            BusMessage::Read {
                conversation_id,
                actor,
                seq,
            } => {
                if *actor == self.auth.actor() {
                    return Ok(());
                }
                self.send(ServerFrame::Read {
                    conversation_id: *conversation_id,
                    actor,
                    seq: *seq,
                })
                .await
            }
            BusMessage::Queue(info) => self.send_queue(info).await,
            BusMessage::Conversation(_)
            | BusMessage::SessionsRevoked(_)
            | BusMessage::Notice(_)
            | BusMessage::Presence(_)
            | BusMessage::ProfilesChanged { .. } => Ok(()),
        }
    }

    /// Delivers an event in seq order, exactly once. The bus may deliver
    /// out of order (two appends published by racing tasks, or another
    /// node); a gap is filled from the store, and anything already covered
    /// is dropped.
    async fn on_event(&mut self, id: ConversationId, event: &Event) -> Result<(), End> {
        self.deliver_event(id, event).await?;
        if matches!(event.kind, EventKind::Assigned { .. }) && self.auth.agent().is_some() {
            self.recheck_access(id).await?;
        }
        Ok(())
    }

    /// After a transfer an agent may no longer see the conversation: the
    /// subscription ends (`unsubscribed` without a `ref`).
    async fn recheck_access(&mut self, id: ConversationId) -> Result<(), End> {
        if self
            .state
            .conversations
            .visible(&self.auth, id)
            .await
            .is_ok()
        {
            return Ok(());
        }
        self.subscriptions.remove(&id);
        self.last_seq.remove(&id);
        self.send(ServerFrame::Unsubscribed {
            reference: None,
            conversation_id: id,
        })
        .await
    }

    async fn deliver_event(&mut self, id: ConversationId, event: &Event) -> Result<(), End> {
        let last = self.last_seq.get(&id).copied().unwrap_or(0);
        if event.seq <= last {
            return Ok(());
        }
        if event.seq == last + 1 {
            self.last_seq.insert(id, event.seq);
            if self.may_see(event) {
                return self.send(ServerFrame::Event { event }).await;
            }
            return Ok(());
        }
        let missing = u32::try_from(event.seq - last).unwrap_or(u32::MAX);
        let events = match self
            .state
            .store
            .events(id, last, self.audience, missing)
            .await
        {
            Ok(events) => events,
            Err(err) => {
                tracing::warn!(error = %err, "gap fill failed; closing so the client resumes");
                return Err(End::Close(CloseReason::SlowConsumer));
            }
        };
        self.last_seq.insert(id, event.seq);
        for stored in events.iter().filter(|e| e.seq <= event.seq) {
            self.send(ServerFrame::Event { event: stored }).await?;
        }
        Ok(())
    }

    fn may_see(&self, event: &Event) -> bool {
        self.audience == Audience::Team || event.visibility == Visibility::Public
    }

    async fn on_inbox_message(&mut self, message: &BusMessage) -> Result<(), End> {
        match message {
            BusMessage::Conversation(conversation) => {
                // The inbox topic carries every conversation; each agent
                // gets only those they may see.
                match self.auth.agent() {
                    Some(agent) if Conversations::agent_may_see(agent, conversation) => {
                        self.send(ServerFrame::Conversation { conversation }).await
                    }
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    async fn on_control(&mut self, message: &BusMessage) -> Result<(), End> {
        match message {
            BusMessage::SessionsRevoked(ids) if ids.contains(&self.auth.session_id) => {
                Err(End::Close(CloseReason::SessionRevoked))
            }
            BusMessage::Notice(notice) => {
                let Some(agent) = self.auth.agent() else {
                    return Ok(());
                };
                let for_me = match notice.agent_id {
                    Some(id) => id == agent.id,
                    None => agent.role.at_least(notice.min_role),
                };
                if !for_me {
                    return Ok(());
                }
                self.send(ServerFrame::Notice {
                    conversation_id: notice.conversation_id,
                    code: notice.code.as_str(),
                    text: &notice.text,
                })
                .await
            }
            _ => Ok(()),
        }
    }

    async fn send_queue(&mut self, info: &crate::bus::QueueInfo) -> Result<(), End> {
        self.send(ServerFrame::Queue {
            conversation_id: info.conversation_id,
            position: info.position,
            estimated_wait_ms: info.estimated_wait_ms,
            estimate: if info.estimated_wait_ms.is_some() {
                "known"
            } else {
                "unknown"
            },
        })
        .await
    }
}
