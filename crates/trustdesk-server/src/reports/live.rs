//! The public service page's live figures: the median first response per
//! category over the last 24 hours, beside the published commitments.
//! Public, so it is computed at most once a minute per node, whatever the
//! traffic.

use super::load;
use super::window::Filters;
use crate::error::ApiResult;
use crate::http::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use trustdesk_core::Timestamp;
use trustdesk_core::reports::{Basis, Dimension, GroupKey, Summary};
use trustdesk_core::sla::SlaMetric;

const WINDOW_MS: i64 = 24 * 3_600_000;
const FRESH_FOR: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LiveService {
    /// When the figures were computed (ms since the epoch).
    #[schema(value_type = i64)]
    pub at: Timestamp,
    pub window_hours: u32,
    pub categories: Vec<LiveCategory>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LiveCategory {
    /// A category, or `unset` for requests not triaged yet.
    pub category: String,
    /// First responses counted.
    pub n: usize,
    /// Wall-clock median, what the customer waited.
    pub median_first_response_ms: Option<i64>,
}

/// The last figures computed on this node and when.
#[derive(Clone, Default)]
pub struct LiveCache(Arc<Mutex<Option<(Instant, LiveService)>>>);

async fn compute(state: &AppState) -> ApiResult<LiveService> {
    let now = state.clock.now();
    let (facts, _) =
        load::facts_between(state, Timestamp(now.0 - WINDOW_MS), now, Filters::default()).await?;
    let measurements: Vec<_> = facts.iter().flat_map(|f| f.measurements()).collect();
    let by_category = trustdesk_core::reports::summarize_by(
        &measurements,
        SlaMetric::FirstResponse,
        Basis::Calendar,
        &Dimension::Category,
    );
    Ok(LiveService {
        at: now,
        window_hours: 24,
        categories: by_category
            .into_iter()
            .map(|(key, s): (GroupKey, Summary)| LiveCategory {
                category: key.to_string(),
                n: s.n,
                median_first_response_ms: s.median_ms,
            })
            .collect(),
    })
}

/// Median first response per category over the last 24 hours (public).
#[utoipa::path(get, path = "/v1/service/live", tag = "reports", responses((status = 200, body = LiveService)))]
pub(crate) async fn live(State(state): State<AppState>) -> ApiResult<Json<LiveService>> {
    // One computation at a time; callers meanwhile wait for its result.
    let mut cached = state.live_service.0.lock().await;
    if let Some((at, figures)) = cached.as_ref()
        && at.elapsed() < FRESH_FOR
    {
        return Ok(Json(figures.clone()));
    }
    let figures = compute(&state).await?;
    *cached = Some((Instant::now(), figures.clone()));
    Ok(Json(figures))
}
