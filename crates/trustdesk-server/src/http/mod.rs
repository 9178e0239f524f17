//! The HTTP API: one router per resource, merged here, plus the OpenAPI
//! document at `/openapi.json`.

pub mod agent;
pub mod analysis;
pub mod attachments;
pub mod canned;
pub mod desk;
pub mod extract;
pub mod health;
pub mod kb;
pub mod ratelimit;
pub mod related;
pub mod security;
pub mod verify;
pub mod views;
pub mod widget;

use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(title = "trustdesk", description = "Customer service for crypto exchanges: widget and agent APIs. Real-time traffic uses the WebSocket protocol at /v1/ws (docs/protocol.md)."),
    paths(
        health::health,
        widget::start_session, widget::list, widget::open, widget::show, widget::send, widget::freeze, widget::get_anti_phishing_code, widget::set_anti_phishing_code, widget::rate,
        security::login, security::second_factor, security::enrol, security::confirm, security::change_password, security::request_reset,
        security::create_token, security::list_tokens, security::revoke_token,
        security::admin_set_password, security::admin_reset_2fa, security::admin_set_status, security::admin_set_role,
        agent::logout, agent::me, agent::agents, agent::teams, agent::list, agent::show,
        agent::reply, agent::note, agent::set_status, agent::assign, agent::bot_stats, agent::csat_stats,
        attachments::customer_upload, attachments::agent_upload, attachments::download,
        canned::list, canned::create, canned::update, canned::remove, related::related, related::sla_clocks, related::at_risk,
        kb::search, kb::article, kb::admin_list, kb::admin_upsert, kb::admin_publish,
        analysis::classify, analysis::scan,
        verify::lookup, verify::report, verify::list, verify::add, verify::remove,
        desk::transfer, desk::remind, desk::queue, desk::my_queue, desk::get_routing, desk::put_routing,
        desk::create_team, desk::get_policy, desk::put_policy, desk::list_calendars, desk::put_calendar,
        desk::delete_calendar, desk::advance_clock, desk::commitments,
    ),
    modifiers(&BearerAuth),
    tags((name = "widget", description = "Customers, through the chat widget"), (name = "agent", description = "Agents, through the console"), (name = "kb", description = "Knowledge base"), (name = "analysis", description = "Triage and the secret guard"), (name = "trust", description = "Official-channel verification"), (name = "routing", description = "Transfers, reminders, the queue, published commitments"), (name = "admin", description = "Routing profiles, teams, SLA policy and calendars"), (name = "ops"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

pub fn router(state: AppState) -> Router {
    let max_body = state.config.limits.max_body_bytes;
    let max_file = state.config.limits.attachment_max_bytes;
    Router::new()
        .merge(health::router())
        .merge(widget::router())
        .merge(agent::router())
        .merge(security::router())
        .merge(kb::router())
        .merge(analysis::router())
        .merge(verify::router())
        .merge(attachments::router(max_file))
        .merge(canned::router())
        .merge(related::router())
        .merge(desk::router())
        .merge(crate::ws::router())
        .merge(crate::web::router())
        .route("/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
