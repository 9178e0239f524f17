//! Knowledge base: public search and articles, and the admin API.

use crate::auth::SupervisorAuth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::kb::Hit;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use trustdesk_core::audit::AuditAction;
use trustdesk_core::kb::{Article, ArticleDraft};
use trustdesk_core::{ArticleId, Language};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/kb/search", get(search))
        .route("/v1/kb/articles/{id}", get(article))
        .route("/v1/admin/kb/articles", get(admin_list).post(admin_upsert))
        .route("/v1/admin/kb/articles/{id}/published", post(admin_publish))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words to search for, in Chinese or English (up to 500 characters).
    q: String,
    /// `zh` or `en`: only articles in this locale.
    locale: Option<String>,
    /// 1–50 (default 10).
    limit: Option<usize>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    hits: Vec<Hit>,
}

fn parse_locale(raw: Option<&str>) -> ApiResult<Option<Language>> {
    raw.filter(|l| !l.is_empty())
        .map(|l| {
            l.parse::<Language>()
                .map_err(|_| ApiError::BadRequest(format!("unknown locale {l:?}")))
        })
        .transpose()
}

/// Searches published articles (Chinese word segmentation with a crypto
/// dictionary, English stemming).
#[utoipa::path(get, path = "/v1/kb/search", tag = "kb", params(SearchQuery), responses((status = 200, body = SearchResults), (status = 400, body = crate::error::ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let locale = parse_locale(q.locale.as_deref())?;
    let hits = state
        .kb
        .search(&q.q, locale, q.limit.unwrap_or(10))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(SearchResults { hits }))
}

/// A published article.
#[utoipa::path(get, path = "/v1/kb/articles/{id}", tag = "kb", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
async fn article(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Article>> {
    let id: ArticleId = id.parse().map_err(|_| ApiError::NotFound)?;
    let article = state.store.get_article(id).await?;
    if !article.published {
        return Err(ApiError::NotFound);
    }
    Ok(Json(article))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ArticleList {
    #[schema(value_type = Vec<Object>)]
    articles: Vec<Article>,
}

/// Every article, published or not (supervisors and admins).
#[utoipa::path(get, path = "/v1/admin/kb/articles", tag = "kb", security(("bearer" = [])), responses((status = 200, body = ArticleList), (status = 403, body = crate::error::ErrorBody)))]
async fn admin_list(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
) -> ApiResult<Json<ArticleList>> {
    Ok(Json(ArticleList {
        articles: state.store.list_articles().await?,
    }))
}

/// Creates an article, or updates the one with the same locale and slug.
#[utoipa::path(post, path = "/v1/admin/kb/articles", tag = "kb", security(("bearer" = [])), request_body = Object,
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn admin_upsert(
    State(state): State<AppState>,
    auth: SupervisorAuth,
    Json(draft): Json<ArticleDraft>,
) -> ApiResult<Json<Article>> {
    let draft = draft
        .validated()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let article = state
        .store
        .upsert_article(&draft, state.clock.now())
        .await?;
    let detail = serde_json::json!({ "slug": article.slug, "locale": article.locale, "published": article.published });
    crate::accounts::audit::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::accounts::audit::actor_of(&auth.0),
        AuditAction::KbArticleSaved,
        article.id.to_string(),
        detail,
    )
    .await?;
    state
        .kb
        .upsert(&article)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(article))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    published: bool,
}

/// Publishes or unpublishes an article.
#[utoipa::path(post, path = "/v1/admin/kb/articles/{id}/published", tag = "kb", security(("bearer" = [])), params(("id" = String, Path)), request_body = Publish,
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
async fn admin_publish(
    State(state): State<AppState>,
    auth: SupervisorAuth,
    Path(id): Path<String>,
    Json(req): Json<Publish>,
) -> ApiResult<Json<Article>> {
    let id: ArticleId = id.parse().map_err(|_| ApiError::NotFound)?;
    let article = state
        .store
        .set_article_published(id, req.published, state.clock.now())
        .await?;
    crate::accounts::audit::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::accounts::audit::actor_of(&auth.0),
        AuditAction::KbPublished,
        id.to_string(),
        serde_json::json!({ "published": req.published }),
    )
    .await?;
    state
        .kb
        .upsert(&article)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(article))
}
