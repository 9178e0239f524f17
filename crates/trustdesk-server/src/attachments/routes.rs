//! Attachments: upload (customer and agent), download (whoever may see the
//! conversation). Uploads are the raw file as the request body, with the
//! file name in the query, so no multipart parser sits in front of the
//! content check.
//!
//! Downloads are never rendered by the browser as a page of ours: they are
//! served as `attachment` with the detected type, `nosniff`, and a CSP
//! sandbox, so even a file that slipped past the content check could not
//! run script on this origin.

use crate::attachments::service as attachments;
use crate::auth::{Authenticated, ConversationWriter, CustomerAuth};
use crate::conversations::views::Posted;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ConversationPath, Json, Query};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use trustdesk_core::{AttachmentId, ConversationId};

pub fn router(max_bytes: usize) -> Router<AppState> {
    // A little over the limit, so an oversize file reaches the handler's
    // clear `too_large` rather than a cut connection.
    let limit = DefaultBodyLimit::max(max_bytes.saturating_add(1));
    Router::new()
        .route(
            "/v1/widget/conversations/{id}/attachments",
            post(customer_upload).layer(limit),
        )
        .route(
            "/v1/agent/conversations/{id}/attachments",
            post(agent_upload).layer(limit),
        )
        .route("/v1/attachments/{id}", get(download))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name as the uploader knows it; it is cleaned and given
    /// the extension of the detected type.
    name: Option<String>,
}

/// Attaches a file (customer). The body is the file itself.
#[utoipa::path(post, path = "/v1/widget/conversations/{id}/attachments", tag = "widget", security(("bearer" = [])),
    params(("id" = String, Path), UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Posted), (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn customer_upload(
    State(state): State<AppState>,
    CustomerAuth(auth): CustomerAuth,
    ConversationPath(id): ConversationPath,
    Query(q): Query<UploadQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    upload(&state, &auth, id, q, body).await
}

/// Attaches a file (agent). The body is the file itself.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/attachments", tag = "agent", security(("bearer" = [])),
    params(("id" = String, Path), UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Posted), (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn agent_upload(
    State(state): State<AppState>,
    writer: ConversationWriter,
    ConversationPath(id): ConversationPath,
    Query(q): Query<UploadQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    upload(&state, &writer.0, id, q, body).await
}

async fn upload(
    state: &AppState,
    auth: &Authenticated,
    id: ConversationId,
    q: UploadQuery,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest("could not read the file".into())
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::BadRequest("the file is empty".into()));
    }
    let name = q.name.unwrap_or_default();
    let appended = attachments::attach(state, auth, id, &name, &body).await?;
    Ok(Posted::response(appended))
}

/// Downloads an attachment of a conversation the caller may see.
#[utoipa::path(get, path = "/v1/attachments/{id}", tag = "widget", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the file, as a download"), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn download(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: AttachmentId = id.parse().map_err(|_| ApiError::NotFound)?;
    let file = attachments::fetch(&state, &auth, id).await?;
    let disposition = format!(
        "attachment; filename=\"download\"; filename*=UTF-8''{}",
        percent_encode(&file.name)
    );
    let mut response = file.data.into_response();
    let headers = response.headers_mut();
    let value =
        |s: &str| HeaderValue::from_str(s).map_err(|_| ApiError::Internal("bad header".into()));
    headers.insert(header::CONTENT_TYPE, value(&file.mime)?);
    headers.insert(header::CONTENT_DISPOSITION, value(&disposition)?);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// RFC 5987 encoding for `filename*`: everything but unreserved ASCII is
/// percent-encoded, so no quote, semicolon or newline reaches the header.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_encoding_leaves_nothing_that_could_break_the_header() {
        let encoded = super::percent_encode("a\"; b\r\n提币.png");
        assert_eq!(encoded, "a%22%3B%20b%0D%0A%E6%8F%90%E5%B8%81.png");
    }
}
