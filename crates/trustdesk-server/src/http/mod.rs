//! The HTTP API's shared plumbing: every feature's router merged, the
//! OpenAPI document at `/openapi.json`, extractors and rate limits. The
//! routes themselves live with their feature (`conversations/`,
//! `accounts/`, `routing/`, `sla/`, `trust/`, `kb/`, `attachments/`).

pub mod extract;
pub mod health;
pub mod ratelimit;

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
        crate::accounts::widget_sessions::start_session,
        crate::conversations::customer_routes::list, crate::conversations::customer_routes::open, crate::conversations::customer_routes::show, crate::conversations::customer_routes::send, crate::conversations::customer_routes::rate,
        crate::trust::freeze_routes::freeze, crate::trust::anti_phishing::get_anti_phishing_code, crate::trust::anti_phishing::set_anti_phishing_code,
        crate::accounts::login::login, crate::accounts::login::second_factor, crate::accounts::enrolment::enrol, crate::accounts::enrolment::confirm, crate::accounts::passwords::change_password, crate::accounts::passwords::request_reset,
        crate::accounts::tokens::create_token, crate::accounts::tokens::list_tokens, crate::accounts::tokens::revoke_token,
        crate::accounts::admin::admin_set_password, crate::accounts::admin::admin_reset_2fa, crate::accounts::admin::admin_set_status, crate::accounts::admin::admin_set_role,
        crate::accounts::sessions::logout, crate::accounts::sessions::me, crate::accounts::directory::agents, crate::accounts::directory::teams,
        crate::conversations::agent_routes::list, crate::conversations::agent_routes::show,
        crate::conversations::agent_routes::reply, crate::conversations::agent_routes::note, crate::conversations::agent_routes::set_status, crate::conversations::agent_routes::assign,
        crate::conversations::stats::bot_stats, crate::conversations::stats::csat_stats,
        crate::attachments::routes::customer_upload, crate::attachments::routes::agent_upload, crate::attachments::routes::download,
        crate::conversations::labels::change, crate::conversations::canned::list, crate::conversations::canned::create, crate::conversations::canned::update, crate::conversations::canned::remove,
        crate::conversations::related::related, crate::conversations::related::sla_clocks, crate::conversations::related::at_risk,
        crate::kb::routes::search, crate::kb::routes::article, crate::kb::routes::admin_list, crate::kb::routes::admin_upsert, crate::kb::routes::admin_publish,
        crate::trust::analysis::classify, crate::trust::analysis::scan,
        crate::trust::verify::lookup, crate::trust::verify::report, crate::trust::verify::list, crate::trust::verify::add, crate::trust::verify::remove,
        crate::conversations::agent_routes::transfer, crate::conversations::agent_routes::remind, crate::routing::routes::queue, crate::routing::routes::my_queue, crate::routing::routes::get_routing, crate::routing::routes::put_routing,
        crate::routing::routes::create_team, crate::sla::routes::get_policy, crate::sla::routes::put_policy, crate::sla::routes::list_calendars, crate::sla::routes::put_calendar,
        crate::sla::routes::delete_calendar, crate::sla::routes::advance_clock, crate::sla::routes::commitments,
        crate::webhooks::routes::list, crate::webhooks::routes::create, crate::webhooks::routes::show, crate::webhooks::routes::update, crate::webhooks::routes::remove,
        crate::webhooks::routes::rotate, crate::webhooks::routes::enable, crate::webhooks::routes::deliveries, crate::webhooks::routes::replay, crate::webhooks::routes::event_types,
        crate::channels::routes::channels, crate::channels::telegram::webhook::receive,
        crate::reports::show, crate::reports::export, crate::reports::live::live,
        crate::metrics::routes::scrape,
        crate::automation::routes::list_rules, crate::automation::routes::create_rule, crate::automation::routes::update_rule, crate::automation::routes::switch_rule, crate::automation::routes::delete_rule,
        crate::automation::routes::dry_run_rule, crate::automation::routes::firings, crate::automation::routes::list_macros, crate::automation::routes::create_macro,
        crate::feedback::routes::send, crate::feedback::routes::list, crate::feedback::routes::export,
        crate::qa::routes::list_scorecards, crate::qa::routes::create_scorecard, crate::qa::routes::update_scorecard, crate::qa::routes::assign,
        crate::qa::routes::assignments, crate::qa::routes::conversation, crate::qa::routes::review, crate::qa::routes::reviews, crate::qa::routes::qa_report,
        crate::automation::routes::update_macro, crate::automation::routes::delete_macro, crate::automation::routes::run_macro,
    ),
    modifiers(&BearerAuth),
    tags((name = "widget", description = "Customers, through the chat widget"), (name = "agent", description = "Agents, through the console"), (name = "kb", description = "Knowledge base"), (name = "analysis", description = "Triage and the secret guard"), (name = "trust", description = "Official-channel verification"), (name = "routing", description = "Transfers, reminders, the queue, published commitments"), (name = "admin", description = "Routing profiles, teams, SLA policy and calendars"), (name = "ops"), (name = "channels", description = "Channels beyond the widget (Telegram's webhook)"), (name = "reports", description = "Service-quality reports (supervisors) and the live service figures"), (name = "qa", description = "QA review: scorecards, sampled assignments, reviews"))
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
        .merge(crate::accounts::router())
        .merge(crate::conversations::router())
        .merge(crate::routing::router())
        .merge(crate::sla::router())
        .merge(crate::reports::router())
        .merge(crate::automation::router())
        .merge(crate::qa::router())
        .merge(crate::feedback::routes::router())
        .merge(crate::trust::router())
        .merge(crate::kb::routes::router())
        .merge(crate::attachments::router(max_file))
        .merge(crate::channels::routes::router())
        .merge(crate::webhooks::router())
        .merge(crate::channels::telegram::webhook_router(&state))
        .merge(crate::ws::router())
        .merge(crate::metrics::routes::router(&state))
        .merge(crate::web::router())
        .route("/openapi.json", get(openapi))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::conversations::admission::shed_customer_writes,
        ))
        // Outside admission control, so a refused request is timed too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::http::track,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
