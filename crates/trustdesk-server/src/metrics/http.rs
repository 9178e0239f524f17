//! Request latency by route pattern, as a middleware on the whole router.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// The route pattern with `:name` for each `{name}` segment: braces in a
/// label value are valid Prometheus text, but some scrapers' parsers take
/// them for the label set's own and drop the line.
fn route_label(pattern: &str) -> String {
    pattern.replace('{', ":").replace('}', "")
}

/// Records how long each request took until its response head. A request
/// no route matched is labelled `unmatched` (never its path: every
/// probe of a random URL would become a series).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| route_label(p.as_str()))
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.http_request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn route_labels_have_no_braces() {
        assert_eq!(
            super::route_label("/v1/agent/conversations/{id}/messages"),
            "/v1/agent/conversations/:id/messages"
        );
        assert_eq!(super::route_label("/healthz"), "/healthz");
    }
}
