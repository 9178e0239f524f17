//! Who is calling: bearer tokens, server-side sessions and the exchange's
//! signed customer identities, plus the extractors that admit a caller to
//! a route (`extractors.rs`: one per role, one per API scope).

pub mod extractors;
pub mod identity;
pub mod scope;
pub mod shared_secret;
pub mod token;

pub use extractors::{
    AdminAuth, AgentAuth, ConversationReader, ConversationWriter, CustomerAuth, SupervisorAuth,
};
pub use scope::ApiScope;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use trustdesk_core::event::Actor;
use trustdesk_core::{Agent, AgentStatus, CustomerId, SessionId};
use trustdesk_store::{Principal, Session};

/// A caller whose session was found live.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub session_id: SessionId,
    pub who: Who,
    /// `Some` for an API token: what it may do. `None` for a console or
    /// widget session (everything the principal's role allows).
    pub api_scopes: Option<Vec<ApiScope>>,
}

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
    pub fn has_scope(&self, scope: ApiScope) -> bool {
        self.api_scopes
            .as_ref()
            .is_none_or(|scopes| scopes.contains(&scope))
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
    if !session.is_live(state.clock.now()) || session.pending.is_some() {
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
        // A scope this version does not know grants nothing.
        api_scopes: session
            .api_token
            .as_ref()
            .map(|t| t.scopes.iter().filter_map(|s| ApiScope::parse(s)).collect()),
    })
}

pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
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
