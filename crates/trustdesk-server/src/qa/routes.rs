//! The QA API: scorecards (admins write, supervisors read), sampling
//! review assignments, one conversation's pre-checks, reviews, and the QA
//! score per agent. Reviewers are supervisors and admins; an agent sees
//! the reviews of their own work.

use super::conversation::{guard_overrides, load};
use super::scorecards;
use crate::auth::{AdminAuth, AgentAuth, SupervisorAuth};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::reports::{Filters, Period};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use trustdesk_core::qa::{
    AgentQa, AgentSample, Candidate, Finding, Rating, Review, SamplePlan, ScoreCategory, Scorecard,
    agent_scores, sample,
};
use trustdesk_core::{AgentId, ConversationId, ReviewId, Role, ScorecardId};
use trustdesk_store::{QaAssignment, StoredReview};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/admin/qa/scorecards",
            get(list_scorecards).post(create_scorecard),
        )
        .route("/v1/agent/qa/scorecards", get(list_scorecards))
        .route("/v1/admin/qa/scorecards/{id}", put(update_scorecard))
        .route("/v1/admin/qa/assignments", post(assign).get(assignments))
        .route("/v1/agent/qa/conversations/{id}", get(conversation))
        .route("/v1/agent/qa/reviews", post(review).get(reviews))
        .route("/v1/reports/qa", get(qa_report))
}

/// The scorecards, the built-in crypto card first.
#[utoipa::path(get, path = "/v1/admin/qa/scorecards", tag = "qa", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_scorecards(
    State(state): State<AppState>,
    // Every agent may read the criteria their work is reviewed by.
    _auth: AgentAuth,
) -> ApiResult<Json<Vec<Scorecard>>> {
    Ok(Json(scorecards::list(state.store.as_ref()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScorecardDraft {
    name: String,
    #[schema(value_type = Vec<Object>)]
    categories: Vec<ScoreCategory>,
    /// 0–100: a review passes at or above it with no critical failure.
    pass_threshold_pct: u8,
}

impl ScorecardDraft {
    fn into_card(self, id: ScorecardId) -> Scorecard {
        Scorecard {
            id,
            name: self.name.trim().to_owned(),
            categories: self.categories,
            pass_threshold_pct: self.pass_threshold_pct,
        }
    }
}

/// Creates a scorecard.
#[utoipa::path(post, path = "/v1/admin/qa/scorecards", tag = "qa", security(("bearer" = [])), request_body = ScorecardDraft,
    responses((status = 201, body = Object), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_scorecard(
    State(state): State<AppState>,
    _auth: AdminAuth,
    Json(draft): Json<ScorecardDraft>,
) -> ApiResult<(StatusCode, Json<Scorecard>)> {
    let card = draft.into_card(ScorecardId::new());
    let saved = scorecards::save(state.store.as_ref(), card, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Replaces a scorecard (the built-in one too). Reviews already made keep
/// the score they got.
#[utoipa::path(put, path = "/v1/admin/qa/scorecards/{id}", tag = "qa", security(("bearer" = [])), params(("id" = String, Path)), request_body = ScorecardDraft,
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_scorecard(
    State(state): State<AppState>,
    _auth: AdminAuth,
    Path(id): Path<String>,
    Json(draft): Json<ScorecardDraft>,
) -> ApiResult<Json<Scorecard>> {
    let id: ScorecardId = id.parse().map_err(|_| ApiError::NotFound)?;
    scorecards::get(state.store.as_ref(), id).await?;
    let saved =
        scorecards::save(state.store.as_ref(), draft.into_card(id), state.clock.now()).await?;
    Ok(Json(saved))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    /// The conversations opened in this period (as in reports: a date or
    /// an RFC 3339 instant; default the last 30 days).
    from: Option<String>,
    to: Option<String>,
    tz: Option<String>,
    /// Reviews per agent (1–50).
    per_agent: u32,
    /// Most forced picks per agent (default twice `per_agent`).
    max_forced: Option<u32>,
    /// The draw's seed (default: the time of the request).
    seed: Option<u64>,
    /// Who reviews them (default: any supervisor).
    reviewer_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Sampled {
    /// Resolved conversations with a replying agent in the period.
    candidates: usize,
    /// New assignments, per agent.
    #[schema(value_type = Vec<Object>)]
    samples: Vec<AgentSample>,
    assigned: u64,
}

/// Samples conversations for review, per agent: the ones QA must see
/// (guard overrides and hits, SLA breaches, low CSAT) first, the rest at
/// random (docs/qa.md). Conversations already assigned or reviewed are
/// never picked again.
#[utoipa::path(post, path = "/v1/admin/qa/assignments", tag = "qa", security(("bearer" = [])), request_body = SampleRequest,
    responses((status = 200, body = Sampled), (status = 400, body = crate::error::ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    auth: SupervisorAuth,
    Json(req): Json<SampleRequest>,
) -> ApiResult<Json<Sampled>> {
    if !(1..=50).contains(&req.per_agent) {
        return Err(ApiError::BadRequest("per_agent must be 1 to 50".into()));
    }
    let reviewer = match req.reviewer_id.as_deref() {
        None => None,
        Some(raw) => {
            let id: AgentId = raw
                .parse()
                .map_err(|_| ApiError::BadRequest("reviewer_id is not an agent id".into()))?;
            let agent = state
                .store
                .get_agent(id)
                .await
                .map_err(|_| ApiError::BadRequest("no such reviewer".into()))?;
            if !agent.role.at_least(Role::Supervisor) {
                return Err(ApiError::BadRequest(
                    "a reviewer is a supervisor or an admin".into(),
                ));
            }
            Some(id)
        }
    };
    let now = state.clock.now();
    let window = Period {
        from: req.from,
        to: req.to,
        tz: req.tz,
    }
    .window(now)?;
    let overrides = guard_overrides(&state).await?;
    // A reviewer samples only what they may read (a team's supervisor
    // their team's conversations and those of no team; an admin all).
    let scope = trustdesk_core::access::AgentScope::of(auth.agent());
    let (candidates, _truncated) = crate::reports::load::fold_between(
        &state,
        window.from,
        window.to,
        Filters::default(),
        move |conversation, events, calendar| {
            if !scope.may_see(conversation) {
                return None;
            }
            let facts = trustdesk_core::reports::facts(conversation, events, calendar);
            let overridden = overrides.get(&conversation.id).copied().unwrap_or(0);
            Candidate::from_facts(&facts, events, overridden)
        },
    )
    .await?;
    let candidates: Vec<Candidate> = candidates.into_iter().flatten().collect();
    let exclude: HashSet<ConversationId> =
        state.store.qa_conversations().await?.into_iter().collect();
    let mut plan = SamplePlan::new(req.per_agent);
    plan.max_forced = req.max_forced;
    let seed = req.seed.unwrap_or(now.0 as u64);
    let samples = sample(&candidates, &plan, &exclude, seed);
    let assignments: Vec<QaAssignment> = samples
        .iter()
        .flat_map(|s| {
            s.picks.iter().map(|p| QaAssignment {
                conversation_id: p.conversation_id,
                agent: s.agent,
                reviewer,
                why: p.why,
                created_at: now,
            })
        })
        .collect();
    let assigned = state.store.add_assignments(&assignments).await?;
    Ok(Json(Sampled {
        candidates: candidates.len(),
        samples,
        assigned,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AssignmentsQuery {
    /// Only the caller's (and those for any reviewer).
    #[serde(default)]
    mine: bool,
    /// Only those not reviewed yet.
    #[serde(default)]
    pending: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignmentView {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    assignment: QaAssignment,
    reviewed: bool,
}

/// The review assignments, newest first.
#[utoipa::path(get, path = "/v1/admin/qa/assignments", tag = "qa", security(("bearer" = [])), params(AssignmentsQuery),
    responses((status = 200, body = Vec<AssignmentView>)))]
pub async fn assignments(
    State(state): State<AppState>,
    auth: SupervisorAuth,
    Query(q): Query<AssignmentsQuery>,
) -> ApiResult<Json<Vec<AssignmentView>>> {
    let reviewer = q.mine.then(|| auth.agent().id);
    let list = state.store.list_assignments(reviewer, 1000).await?;
    Ok(Json(
        list.into_iter()
            .filter(|(_, reviewed)| !(q.pending && *reviewed))
            .map(|(assignment, reviewed)| AssignmentView {
                assignment,
                reviewed,
            })
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationQa {
    /// Whose work it is: the agent of the last human reply.
    #[schema(value_type = Option<String>)]
    agent_id: Option<AgentId>,
    /// What trustdesk already knows, most serious first, each with the
    /// scorecard category it bears on.
    #[schema(value_type = Vec<Object>)]
    findings: Vec<Finding>,
    #[schema(value_type = Object)]
    review: Option<StoredReview>,
}

/// A conversation's pre-checks and review, for the reviewer.
#[utoipa::path(get, path = "/v1/agent/qa/conversations/{id}", tag = "qa", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ConversationQa), (status = 404, body = crate::error::ErrorBody)))]
pub async fn conversation(
    State(state): State<AppState>,
    auth: SupervisorAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationQa>> {
    let id: ConversationId = id.parse().map_err(|_| ApiError::NotFound)?;
    // Outside the reviewer's scope it does not exist, as everywhere.
    state.conversations.visible(&auth.0, id).await?;
    let reviewed = load(&state, id).await?;
    Ok(Json(ConversationQa {
        agent_id: reviewed.facts.last_replying_agent,
        findings: reviewed.findings,
        review: state.store.get_review(id).await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    #[schema(value_type = String)]
    conversation_id: ConversationId,
    /// Default: the built-in crypto card.
    #[schema(value_type = Option<String>)]
    scorecard_id: Option<ScorecardId>,
    /// One per category of the card: `{"key": "tone", "value": 4}`,
    /// `"pass"`, `"fail"` or `"not_applicable"`.
    #[schema(value_type = Vec<Object>)]
    ratings: Vec<Rating>,
    /// Feedback for the agent (at most 4,000 characters).
    comment: Option<String>,
}

const MAX_COMMENT_CHARS: usize = 4_000;

/// Reviews a conversation (replacing an earlier review of it). The agent
/// reviewed is the one who last replied; nobody reviews their own work.
#[utoipa::path(post, path = "/v1/agent/qa/reviews", tag = "qa", security(("bearer" = [])), request_body = ReviewRequest,
    responses((status = 201, body = Object), (status = 400, body = crate::error::ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    auth: SupervisorAuth,
    Json(req): Json<ReviewRequest>,
) -> ApiResult<(StatusCode, Json<StoredReview>)> {
    let comment = req
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(ApiError::BadRequest(format!(
            "comment is longer than {MAX_COMMENT_CHARS} characters"
        )));
    }
    let card = scorecards::get(
        state.store.as_ref(),
        req.scorecard_id
            .unwrap_or(trustdesk_core::qa::CRYPTO_DEFAULT_ID),
    )
    .await
    .map_err(|_| ApiError::BadRequest("no such scorecard".into()))?;
    state
        .conversations
        .visible(&auth.0, req.conversation_id)
        .await?;
    let reviewed = load(&state, req.conversation_id).await?;
    let Some(agent) = reviewed.facts.last_replying_agent else {
        return Err(ApiError::BadRequest(
            "no agent replied in this conversation: there is no work to review".into(),
        ));
    };
    let reviewer = auth.agent().id;
    if agent == reviewer {
        return Err(ApiError::BadRequest("nobody reviews their own work".into()));
    }
    let review = Review {
        id: ReviewId::new(),
        scorecard_id: card.id,
        conversation_id: req.conversation_id,
        agent,
        reviewer,
        ratings: req.ratings,
        comment: comment.map(str::to_owned),
        at: state.clock.now(),
    };
    let score = review
        .score(&card)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let stored = StoredReview { review, score };
    state.store.put_review(&stored).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ReviewsQuery {
    /// An agent id (supervisors; an agent always sees their own).
    agent: Option<String>,
    #[serde(flatten)]
    // `from`, `to`, `tz` as in reports (utoipa cannot flatten them here).
    #[param(ignore)]
    period: Period,
}

/// Reviews in a period, newest first: an agent's own, or (supervisors)
/// anyone's.
#[utoipa::path(get, path = "/v1/agent/qa/reviews", tag = "qa", security(("bearer" = [])), params(ReviewsQuery),
    responses((status = 200, body = Vec<Object>)))]
pub async fn reviews(
    State(state): State<AppState>,
    auth: AgentAuth,
    Query(q): Query<ReviewsQuery>,
) -> ApiResult<Json<Vec<StoredReview>>> {
    let me = auth.agent();
    let agent = if me.role.at_least(Role::Supervisor) {
        q.agent
            .as_deref()
            .map(|raw| {
                raw.parse::<AgentId>()
                    .map_err(|_| ApiError::BadRequest("agent is not an agent id".into()))
            })
            .transpose()?
    } else {
        Some(me.id)
    };
    let window = q.period.window(state.clock.now())?;
    Ok(Json(
        state
            .store
            .list_reviews(agent, window.from, window.to, 1000)
            .await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QaRow {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    score: AgentQa,
    name: String,
}

/// The QA score per agent over the reviews made in a period: reviews,
/// mean percentage, share passed, critical failures.
#[utoipa::path(get, path = "/v1/reports/qa", tag = "reports", security(("bearer" = [])), params(Period),
    responses((status = 200, body = Vec<QaRow>)))]
pub async fn qa_report(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    Query(period): Query<Period>,
) -> ApiResult<Json<Vec<QaRow>>> {
    let window = period.window(state.clock.now())?;
    let reviews = state
        .store
        .list_reviews(None, window.from, window.to, 50_000)
        .await?;
    let pairs: Vec<_> = reviews
        .into_iter()
        .map(|r| (r.review.agent, r.score))
        .collect();
    let names = crate::reports::agent_names(&state).await?;
    Ok(Json(
        agent_scores(&pairs)
            .into_iter()
            .map(|score| QaRow {
                name: names.get(&score.agent).cloned().unwrap_or_default(),
                score,
            })
            .collect(),
    ))
}
