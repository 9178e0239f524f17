//! Agent and customer accounts: the two-step login, 2FA enrolment,
//! passwords, sessions, API tokens, the administrator's account actions,
//! widget sessions for customers, and the audit trail of sensitive actions.
//! Authentication of a request (who is calling) is shared and lives in
//! `crate::auth`; what an account may do lives here.

pub mod admin;
pub mod audit;
pub mod directory;
pub mod enrolment;
pub mod login;
pub mod password;
pub mod passwords;
pub mod sessions;
pub mod tokens;
pub mod totp;
pub mod widget_sessions;

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(login::router())
        .merge(enrolment::router())
        .merge(passwords::router())
        .merge(sessions::router())
        .merge(tokens::router())
        .merge(admin::router())
        .merge(directory::router())
        .merge(widget_sessions::router())
}
