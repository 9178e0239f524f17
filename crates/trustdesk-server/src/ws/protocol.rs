//! The trustdesk WebSocket protocol, version 1 (docs/protocol.md).
//!
//! Text frames, one JSON object each, with a `type` tag. Unknown fields are
//! refused so a typo is an error, not a silent no-op. Every client frame
//! may carry a `ref` string that the server echoes in the matching `ack`,
//! `error` or confirmation.

use serde::{Deserialize, Serialize};
use trustdesk_core::event::Actor;
use trustdesk_core::routing::Presence;
use trustdesk_core::{
    AgentId, Conversation, ConversationId, ConversationStatus, CustomerId, Event, Role, Timestamp,
};

pub const PROTOCOL_VERSION: u32 = 1;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// First frame when the upgrade request carried no bearer token.
    Hello {
        v: u32,
        token: Option<String>,
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    /// Live events of a conversation; with `since`, first the stored events
    /// after that seq, in order.
    Subscribe {
        conversation_id: ConversationId,
        since: Option<i64>,
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    Unsubscribe {
        conversation_id: ConversationId,
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    /// Agents: conversation summaries as they change.
    SubscribeInbox {
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    /// A message (or, for agents with `internal`, a note). `client_msg_id`
    /// makes a resend safe.
    Send {
        conversation_id: ConversationId,
        client_msg_id: String,
        body: String,
        #[serde(default)]
        internal: bool,
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    /// Agents: change the status.
    SetStatus {
        conversation_id: ConversationId,
        status: ConversationStatus,
        snoozed_until: Option<Timestamp>,
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    Typing {
        conversation_id: ConversationId,
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    Read {
        conversation_id: ConversationId,
        seq: i64,
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    Ping {
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
    /// Agents: online (new conversations come), away (keep yours, get no
    /// new ones) or offline (yours go back to the queue after the grace
    /// period).
    Presence {
        status: Presence,
        #[serde(default, rename = "ref")]
        reference: Option<String>,
    },
}

const CLIENT_TYPES: &[&str] = &[
    "hello",
    "subscribe",
    "unsubscribe",
    "subscribe_inbox",
    "send",
    "set_status",
    "typing",
    "read",
    "ping",
    "presence",
];

/// Why a frame could not be decoded; each becomes an `error` frame for
/// that client only.
#[derive(Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub code: &'static str,
    pub message: String,
    pub reference: Option<String>,
}

impl ClientFrame {
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        serde_json::from_str(text).map_err(|err| classify(text, &err))
    }

    pub fn reference(&self) -> Option<&str> {
        match self {
            Self::Hello { reference, .. }
            | Self::Subscribe { reference, .. }
            | Self::Unsubscribe { reference, .. }
            | Self::SubscribeInbox { reference }
            | Self::Send { reference, .. }
            | Self::SetStatus { reference, .. }
            | Self::Typing { reference, .. }
            | Self::Read { reference, .. }
            | Self::Ping { reference }
            | Self::Presence { reference, .. } => reference.as_deref(),
        }
    }
}

/// Only on the error path: look again, loosely, to say what was wrong.
fn classify(text: &str, err: &serde_json::Error) -> DecodeError {
    #[derive(Deserialize)]
    struct Loose {
        #[serde(rename = "type")]
        kind: Option<serde_json::Value>,
        #[serde(rename = "ref")]
        reference: Option<serde_json::Value>,
    }
    let Ok(loose) = serde_json::from_str::<Loose>(text) else {
        return DecodeError {
            code: "malformed",
            message: "frame is not a JSON object".into(),
            reference: None,
        };
    };
    let reference = loose.reference.and_then(|r| r.as_str().map(str::to_owned));
    match loose.kind.as_ref().and_then(|k| k.as_str()) {
        None => DecodeError {
            code: "malformed",
            message: "frame has no string \"type\"".into(),
            reference,
        },
        Some(kind) if !CLIENT_TYPES.contains(&kind) => DecodeError {
            code: "unknown_type",
            message: format!("unknown frame type {:?}", truncate(kind, 40)),
            reference,
        },
        Some(_) => DecodeError {
            code: "invalid_frame",
            // serde's message names the field and the expectation, never
            // server internals.
            message: truncate(&crate::http::extract::screened(&err.to_string()), 200),
            reference,
        },
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Who the server says you are, in `welcome`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PrincipalView {
    Customer {
        id: CustomerId,
    },
    Agent {
        id: AgentId,
        name: String,
        role: Role,
    },
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    Welcome {
        v: u32,
        principal: PrincipalView,
        heartbeat_interval_ms: u64,
        max_frame_bytes: usize,
    },
    Subscribed {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
        conversation_id: ConversationId,
        /// The newest seq when the subscription started; events up to it
        /// were replayed (those after `since`), later ones arrive live.
        head_seq: i64,
        replayed: usize,
    },
    Unsubscribed {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
        conversation_id: ConversationId,
    },
    InboxSubscribed {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
    },
    Event {
        event: &'a Event,
    },
    /// The message is stored (durably) under `seq`.
    Ack {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
        conversation_id: ConversationId,
        client_msg_id: &'a str,
        seq: i64,
        /// True when this `client_msg_id` was stored before: nothing new
        /// was written.
        duplicate: bool,
    },
    /// A status change was stored.
    Done {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
        conversation_id: ConversationId,
        seq: i64,
    },
    Conversation {
        conversation: &'a Conversation,
    },
    Typing {
        conversation_id: ConversationId,
        actor: &'a Actor,
    },
    Read {
        conversation_id: ConversationId,
        actor: &'a Actor,
        seq: i64,
    },
    Pong {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
    },
    Error {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
        code: &'a str,
        message: &'a str,
        /// With `overloaded`: nothing was stored; send the same frame again
        /// after this long.
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u32>,
    },
    /// A waiting conversation's place in the queue, pushed when it changes
    /// (and on subscribe). `estimated_wait_ms` is `null` and `estimate`
    /// `"unknown"` when there is no basis for an estimate.
    Queue {
        conversation_id: ConversationId,
        position: usize,
        estimated_wait_ms: Option<i64>,
        estimate: &'static str,
    },
    /// The presence the server now uses for this agent.
    PresenceSet {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a str>,
        status: Presence,
    },
    /// A notification for an agent: a reminder, a snooze that ended, an
    /// SLA warning or breach, a transfer, a requeue.
    Notice {
        conversation_id: ConversationId,
        code: &'a str,
        text: &'a str,
    },
    /// Sent just before the server closes the socket, with the reason
    /// (the close frame carries the same reason and a 4xxx code).
    Bye {
        reason: CloseReason,
    },
}

impl ServerFrame<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server frames always serialise")
    }
}

/// Why the server closes a connection. Each has a WebSocket close code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// No valid `hello` token, or the session is not live.
    Unauthorized,
    /// The session was revoked (logout, password change, deactivation).
    SessionRevoked,
    /// Nothing heard from the client within the heartbeat timeout.
    HeartbeatTimeout,
    /// The client did not read fast enough; resume with `since`.
    SlowConsumer,
    /// No `hello` within the hello timeout.
    HelloTimeout,
    /// The client speaks a protocol version this server does not.
    UnsupportedVersion,
    /// The server is shutting down; reconnect (to another node).
    GoingAway,
    /// A message over the hard cap (RFC 6455 "message too big").
    MessageTooBig,
    /// A text frame that is not UTF-8 (RFC 6455 "invalid frame payload").
    InvalidText,
}

impl CloseReason {
    pub fn code(self) -> u16 {
        match self {
            Self::GoingAway => 1001,
            Self::InvalidText => 1007,
            Self::MessageTooBig => 1009,
            Self::Unauthorized => 4001,
            Self::SessionRevoked => 4002,
            Self::HeartbeatTimeout => 4003,
            Self::SlowConsumer => 4004,
            Self::HelloTimeout => 4005,
            Self::UnsupportedVersion => 4006,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::SessionRevoked => "session_revoked",
            Self::HeartbeatTimeout => "heartbeat_timeout",
            Self::SlowConsumer => "slow_consumer",
            Self::HelloTimeout => "hello_timeout",
            Self::UnsupportedVersion => "unsupported_version",
            Self::GoingAway => "going_away",
            Self::MessageTooBig => "message_too_big",
            Self::InvalidText => "invalid_utf8",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_send_frame() {
        let id = ConversationId::new();
        let text = format!(
            r#"{{"type":"send","conversation_id":"{id}","client_msg_id":"c1","body":"hi","ref":"r9"}}"#
        );
        let frame = ClientFrame::decode(&text).unwrap();
        assert_eq!(frame.reference(), Some("r9"));
        assert!(matches!(
            frame,
            ClientFrame::Send {
                internal: false,
                ..
            }
        ));
    }

    #[test]
    fn classifies_bad_frames() {
        assert_eq!(
            ClientFrame::decode("{not json").unwrap_err().code,
            "malformed"
        );
        assert_eq!(ClientFrame::decode("[1,2]").unwrap_err().code, "malformed");
        assert_eq!(
            ClientFrame::decode(r#"{"body":"x"}"#).unwrap_err().code,
            "malformed"
        );
        let unknown = ClientFrame::decode(r#"{"type":"launch_missiles","ref":"a"}"#).unwrap_err();
        assert_eq!(
            (unknown.code, unknown.reference.as_deref()),
            ("unknown_type", Some("a"))
        );
        let invalid =
            ClientFrame::decode(r#"{"type":"subscribe","conversation_id":"nope"}"#).unwrap_err();
        assert_eq!(invalid.code, "invalid_frame");
        let extra = ClientFrame::decode(r#"{"type":"ping","surprise":1}"#).unwrap_err();
        assert_eq!(extra.code, "invalid_frame", "unknown fields are refused");
    }

    #[test]
    fn decodes_presence_and_refuses_unknown_status() {
        let frame = ClientFrame::decode(r#"{"type":"presence","status":"away"}"#).unwrap();
        assert_eq!(
            frame,
            ClientFrame::Presence {
                status: Presence::Away,
                reference: None
            }
        );
        let bad = ClientFrame::decode(r#"{"type":"presence","status":"asleep"}"#).unwrap_err();
        assert_eq!(bad.code, "invalid_frame");
    }

    #[test]
    fn server_frames_are_tagged() {
        let json = ServerFrame::Bye {
            reason: CloseReason::SlowConsumer,
        }
        .to_json();
        assert_eq!(json, r#"{"type":"bye","reason":"slow_consumer"}"#);
        let err = ServerFrame::Error {
            reference: None,
            code: "x",
            message: "y",
            retry_after_ms: None,
        }
        .to_json();
        assert_eq!(err, r#"{"type":"error","code":"x","message":"y"}"#);
        let busy = ServerFrame::Error {
            reference: Some("m-1"),
            code: "overloaded",
            message: "busy",
            retry_after_ms: Some(1000),
        }
        .to_json();
        assert_eq!(
            busy,
            r#"{"type":"error","ref":"m-1","code":"overloaded","message":"busy","retry_after_ms":1000}"#
        );
    }
}
