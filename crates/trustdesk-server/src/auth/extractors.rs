//! The extractors that admit a caller to a route. A handler says who may
//! call it by the type of its `auth` argument, so no handler checks a role
//! or a scope by hand:
//!
//! | extractor | who |
//! |---|---|
//! | `CustomerAuth` | a customer's widget session |
//! | `AgentAuth` | an agent's console session (never an API token) |
//! | `SupervisorAuth`, `AdminAuth` | a console session of at least that role |
//! | `ConversationReader` | a console session, or a token with `conversations:read` |
//! | `ConversationWriter` | a console session, or a token with `conversations:write` |
//!
//! A missing or dead session is `401`; a live one that is not admitted is
//! `403` (a customer on an agent route is `401`, as before: it has no
//! agent session).

use super::{ApiScope, Authenticated, Who};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::marker::PhantomData;
use trustdesk_core::{Agent, Role};

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

/// Which agents a route admits.
pub trait Admission: Send + Sync + 'static {
    fn admits(auth: &Authenticated, agent: &Agent) -> bool;
}

/// Console sessions only: API tokens never reach security or admin routes.
pub struct ConsoleSession;
/// Console sessions of supervisors and admins.
pub struct Supervisors;
/// Console sessions of admins.
pub struct Admins;
/// Console sessions, and API tokens granted this scope.
pub struct TokenScope<const SCOPE: u8>;

const READ: u8 = 0;
const WRITE: u8 = 1;

impl Admission for ConsoleSession {
    fn admits(auth: &Authenticated, _: &Agent) -> bool {
        !auth.is_api_token()
    }
}

impl Admission for Supervisors {
    fn admits(auth: &Authenticated, agent: &Agent) -> bool {
        !auth.is_api_token() && agent.role.at_least(Role::Supervisor)
    }
}

impl Admission for Admins {
    fn admits(auth: &Authenticated, agent: &Agent) -> bool {
        !auth.is_api_token() && agent.role.at_least(Role::Admin)
    }
}

impl<const SCOPE: u8> Admission for TokenScope<SCOPE> {
    fn admits(auth: &Authenticated, _: &Agent) -> bool {
        let scope = match SCOPE {
            READ => ApiScope::ConversationsRead,
            _ => ApiScope::ConversationsWrite,
        };
        auth.has_scope(scope)
    }
}

/// Extractor: an agent admitted by `A` (by default: any console session).
pub struct AgentAuth<A: Admission = ConsoleSession>(pub Authenticated, PhantomData<A>);

pub type SupervisorAuth = AgentAuth<Supervisors>;
pub type AdminAuth = AgentAuth<Admins>;
pub type ConversationReader = AgentAuth<TokenScope<READ>>;
pub type ConversationWriter = AgentAuth<TokenScope<WRITE>>;

impl<A: Admission> AgentAuth<A> {
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

impl<A: Admission> FromRequestParts<AppState> for AgentAuth<A> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = Authenticated::from_request_parts(parts, state).await?;
        let Who::Agent(agent) = &auth.who else {
            return Err(ApiError::Unauthorized);
        };
        if !A::admits(&auth, agent) {
            return Err(ApiError::Forbidden);
        }
        Ok(Self(auth, PhantomData))
    }
}
