//! Who is calling: bearer tokens, server-side sessions, passwords and the
//! exchange's signed customer identities.

pub mod identity;

pub mod token;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use trustdesk_core::event::Actor;
use trustdesk_core::{Agent, AgentStatus, CustomerId, Role, SessionId, Timestamp};
use trustdesk_store::{Principal, Session};

/// A caller whose session was found live.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub session_id: SessionId,
    pub who: Who,
    /// `Some` for an API token: what it may do. `None` for a console or
    /// widget session (everything the principal's role allows).
    pub api_scopes: Option<Vec<String>>,
}

/// API token scopes: reading conversations (inbox, history, WebSocket
/// subscriptions) and writing to them (replies, notes, status, assignment).
pub const SCOPE_READ: &str = "conversations:read";
pub const SCOPE_WRITE: &str = "conversations:write";
pub const SCOPES: &[&str] = &[SCOPE_READ, SCOPE_WRITE];

#[derive(Clone, Debug)]
pub enum Who {
    Customer(CustomerId),
    /// The agent as loaded when the session was checked.
    Agent(Box<Agent>),
}

impl Authenticated {
    /// How this caller appears in the event log.
    pub fn actor(&self) -> Actor {
        match &self.who {
            Who::Customer(id) => Actor::Customer { id: *id },
            Who::Agent(agent) => Actor::Agent {
                id: agent.id,
                name: agent.display_name.clone(),
            },
        }
    }

    pub fn agent(&self) -> Option<&Agent> {
        match &self.who {
            Who::Agent(agent) => Some(agent),
            Who::Customer(_) => None,
        }
    }

    /// Whether this caller may use `scope`: always for a session, only
    /// when granted for an API token.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.api_scopes
            .as_ref()
            .is_none_or(|scopes| scopes.iter().any(|s| s == scope))
    }

    pub fn is_api_token(&self) -> bool {
        self.api_scopes.is_some()
    }

    pub fn customer_id(&self) -> Option<CustomerId> {
        match &self.who {
            Who::Customer(id) => Some(*id),
            Who::Agent(_) => None,
        }
    }
}

/// Resolves a bearer token to a live session. Unknown, expired and revoked
/// tokens and deactivated agents all get the same `Unauthorized`.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Authenticated, ApiError> {
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::Unauthorized);
    }
    let session = state
        .store
        .session_by_token_hash(&token::hash(token))
        .await?
        .ok_or(ApiError::Unauthorized)?;
    resolve(state, &session).await
}

/// The caller behind a stored session, if it is still live. A login
/// ticket (password checked, second factor still to come) is not a session
/// and is refused here like an unknown token.
pub async fn resolve(state: &AppState, session: &Session) -> Result<Authenticated, ApiError> {
    if !session.is_live(Timestamp::now()) || session.pending.is_some() {
        return Err(ApiError::Unauthorized);
    }
    let who = match session.principal {
        Principal::Customer(id) => Who::Customer(id),
        Principal::Agent(id) => {
            let agent = state
                .store
                .get_agent(id)
                .await
                .map_err(|_| ApiError::Unauthorized)?;
            if agent.status != AgentStatus::Active {
                return Err(ApiError::Unauthorized);
            }
            Who::Agent(Box::new(agent))
        }
    };
    Ok(Authenticated {
        session_id: session.id,
        who,
        api_scopes: session.api_token.as_ref().map(|t| t.scopes.clone()),
    })
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Extractor: any authenticated caller with a bearer token.
impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        authenticate(state, token).await
    }
}

/// Extractor: a customer (widget) session.
pub struct CustomerAuth(pub Authenticated);

impl FromRequestParts<AppState> for CustomerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = Authenticated::from_request_parts(parts, state).await?;
        match auth.who {
            Who::Customer(_) => Ok(Self(auth)),
            Who::Agent(_) => Err(ApiError::Unauthorized),
        }
    }
}

/// Extractor: an agent session.
pub struct AgentAuth(pub Authenticated);

impl AgentAuth {
    pub fn agent(&self) -> &Agent {
        match &self.0.who {
            Who::Agent(agent) => agent,
            Who::Customer(_) => unreachable!("AgentAuth only holds agents"),
        }
    }

    pub fn is_at_least(&self, role: Role) -> bool {
        self.agent().role.at_least(role)
    }
}

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = Authenticated::from_request_parts(parts, state).await?;
        if auth.is_api_token() && !api_token_allows(&auth, &parts.method, parts.uri.path()) {
            return Err(ApiError::Forbidden);
        }
        match auth.who {
            Who::Agent(_) => Ok(Self(auth)),
            Who::Customer(_) => Err(ApiError::Unauthorized),
        }
    }
}

/// What an API token may call: the conversation API and the directory,
/// reading with `conversations:read`, writing with `conversations:write`.
/// Never the security routes (passwords, 2FA, tokens, administration),
/// whatever its agent's role.
pub fn api_token_allows(auth: &Authenticated, method: &Method, path: &str) -> bool {
    let conversation_api = path == "/v1/agent/conversations"
        || path.starts_with("/v1/agent/conversations/")
        || matches!(
            path,
            "/v1/agent/me" | "/v1/agent/agents" | "/v1/agent/teams"
        );
    if !conversation_api {
        return false;
    }
    if *method == Method::GET {
        auth.has_scope(SCOPE_READ)
    } else {
        path.starts_with("/v1/agent/conversations/") && auth.has_scope(SCOPE_WRITE)
    }
}
