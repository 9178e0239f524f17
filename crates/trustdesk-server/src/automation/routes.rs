//! The automation API: rules and macros (admins), the dry run, the log of
//! firings, and running a macro on a conversation (agents).

use super::book::load_macros;
use super::subject::{message_of, subject_of};
use crate::accounts::audit::{actor_of, record};
use crate::auth::{AdminAuth, AgentAuth, ConversationWriter};
use crate::conversations::ActedBy;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use trustdesk_core::audit::AuditAction;
use trustdesk_core::automation::{
    Action, Condition, DryRun, Firing, Macro, Rule, Trigger, TriggerEvent, dry_run,
};
use trustdesk_core::{Conversation, MacroId, RuleId};
use trustdesk_store::{Audience, ConversationFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/admin/automation/rules",
            get(list_rules).post(create_rule),
        )
        .route(
            "/v1/admin/automation/rules/{id}",
            put(update_rule).patch(switch_rule).delete(delete_rule),
        )
        .route("/v1/admin/automation/dry-run", post(dry_run_rule))
        .route("/v1/admin/automation/firings", get(firings))
        .route("/v1/admin/macros", post(create_macro))
        .route(
            "/v1/admin/macros/{id}",
            put(update_macro).delete(delete_macro),
        )
        .route("/v1/agent/macros", get(list_macros))
        .route(
            "/v1/agent/conversations/{id}/macros/{macro_id}",
            post(run_macro),
        )
}

/// A rule as an admin writes it (the id is the server's).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDraft {
    name: String,
    #[serde(default = "yes")]
    enabled: bool,
    /// Rules run in ascending position (then id).
    #[serde(default)]
    position: u32,
    #[schema(value_type = Object)]
    trigger: Trigger,
    #[serde(default)]
    #[schema(value_type = Object)]
    condition: Condition,
    #[schema(value_type = Vec<Object>)]
    actions: Vec<Action>,
}

fn yes() -> bool {
    true
}

impl RuleDraft {
    fn into_rule(self, id: RuleId) -> ApiResult<Rule> {
        let rule = Rule {
            id,
            name: self.name.trim().to_owned(),
            enabled: self.enabled,
            position: self.position,
            trigger: self.trigger,
            condition: self.condition,
            actions: self.actions,
        };
        rule.validate()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok(rule)
    }
}

/// The teams and canned responses actions name must exist.
async fn check_references(state: &AppState, actions: &[Action]) -> ApiResult<()> {
    let teams = state.store.list_teams().await?;
    for action in actions {
        match action {
            Action::AssignTeam { team_id } if !teams.iter().any(|t| t.id == *team_id) => {
                return Err(ApiError::BadRequest(format!("no team {team_id}")));
            }
            Action::SendCannedReply { canned_id } => {
                let canned =
                    state.store.get_canned(*canned_id).await.map_err(|_| {
                        ApiError::BadRequest(format!("no canned response {canned_id}"))
                    })?;
                // Refused now rather than at every firing.
                crate::trust::guard::check_outbound_text(&canned.body)?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn audit(
    state: &AppState,
    auth: &AdminAuth,
    action: AuditAction,
    subject: String,
    name: &str,
) -> ApiResult<()> {
    record(
        state.store.as_ref(),
        state.clock.now(),
        actor_of(&auth.0),
        action,
        subject,
        serde_json::json!({ "name": name }),
    )
    .await
}

/// The rules, in the order they run.
#[utoipa::path(get, path = "/v1/admin/automation/rules", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_rules(
    State(state): State<AppState>,
    _auth: AdminAuth,
) -> ApiResult<Json<Vec<Rule>>> {
    let rules = state.automation.reload(state.store.as_ref()).await?;
    Ok(Json(rules.to_vec()))
}

/// Creates a rule.
#[utoipa::path(post, path = "/v1/admin/automation/rules", tag = "admin", security(("bearer" = [])), request_body = RuleDraft,
    responses((status = 201, body = Object), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    auth: AdminAuth,
    Json(draft): Json<RuleDraft>,
) -> ApiResult<(StatusCode, Json<Rule>)> {
    let rule = draft.into_rule(RuleId::new())?;
    check_references(&state, &rule.actions).await?;
    let saved = rule.clone();
    state
        .automation
        .edit_rules(state.store.as_ref(), state.clock.now(), move |rules| {
            rules.push(saved);
            Ok(())
        })
        .await?;
    audit(
        &state,
        &auth,
        AuditAction::AutomationRuleSaved,
        rule.id.to_string(),
        &rule.name,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

fn rule_id(raw: &str) -> ApiResult<RuleId> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// Replaces a rule.
#[utoipa::path(put, path = "/v1/admin/automation/rules/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = RuleDraft,
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_rule(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Json(draft): Json<RuleDraft>,
) -> ApiResult<Json<Rule>> {
    let rule = draft.into_rule(rule_id(&id)?)?;
    check_references(&state, &rule.actions).await?;
    let saved = rule.clone();
    state
        .automation
        .edit_rules(state.store.as_ref(), state.clock.now(), move |rules| {
            let slot = rules
                .iter_mut()
                .find(|r| r.id == saved.id)
                .ok_or(ApiError::NotFound)?;
            *slot = saved;
            Ok(())
        })
        .await?;
    audit(
        &state,
        &auth,
        AuditAction::AutomationRuleSaved,
        rule.id.to_string(),
        &rule.name,
    )
    .await?;
    Ok(Json(rule))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSwitch {
    enabled: bool,
}

/// Turns a rule on or off without sending it whole (so two admins'
/// edits of other fields are not overwritten).
#[utoipa::path(patch, path = "/v1/admin/automation/rules/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = RuleSwitch,
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
pub async fn switch_rule(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Json(req): Json<RuleSwitch>,
) -> ApiResult<Json<Rule>> {
    let id = rule_id(&id)?;
    let rule = state
        .automation
        .edit_rules(state.store.as_ref(), state.clock.now(), move |rules| {
            let slot = rules
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or(ApiError::NotFound)?;
            slot.enabled = req.enabled;
            Ok(slot.clone())
        })
        .await?;
    audit(
        &state,
        &auth,
        AuditAction::AutomationRuleSaved,
        rule.id.to_string(),
        &rule.name,
    )
    .await?;
    Ok(Json(rule))
}

/// Deletes a rule.
#[utoipa::path(delete, path = "/v1/admin/automation/rules/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = rule_id(&id)?;
    let name = state
        .automation
        .edit_rules(state.store.as_ref(), state.clock.now(), move |rules| {
            let at = rules
                .iter()
                .position(|r| r.id == id)
                .ok_or(ApiError::NotFound)?;
            Ok(rules.remove(at).name)
        })
        .await?;
    audit(
        &state,
        &auth,
        AuditAction::AutomationRuleDeleted,
        id.to_string(),
        &name,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunRequest {
    rule: RuleDraft,
    /// How many of the most recently active conversations to look at
    /// (1–500, default 100).
    #[serde(default)]
    last: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DryRunAnswer {
    /// Conversations looked at.
    examined_conversations: usize,
    /// Happenings in them the rule's trigger matched.
    triggered: usize,
    /// Happenings whose conditions held too: the rule would have fired.
    would_fire: usize,
    /// The conversations it would have acted on, newest first.
    #[schema(value_type = Vec<Object>)]
    conversations: Vec<Conversation>,
}

const DRY_RUN_DEFAULT: u32 = 100;
const DRY_RUN_MAX: u32 = 500;

/// What a rule would have done on the last N conversations. Each
/// conversation's happenings (its creation, messages, status changes, SLA
/// warnings and breaches) are replayed against the rule alone, seen with
/// the conversation as it is now (its labels, priority, team) and office
/// hours as they were at each happening. Nothing is written.
#[utoipa::path(post, path = "/v1/admin/automation/dry-run", tag = "admin", security(("bearer" = [])), request_body = DryRunRequest,
    responses((status = 200, body = DryRunAnswer), (status = 400, body = crate::error::ErrorBody)))]
pub async fn dry_run_rule(
    State(state): State<AppState>,
    _auth: AdminAuth,
    Json(req): Json<DryRunRequest>,
) -> ApiResult<Json<DryRunAnswer>> {
    let last = req.last.unwrap_or(DRY_RUN_DEFAULT);
    if !(1..=DRY_RUN_MAX).contains(&last) {
        return Err(ApiError::BadRequest(format!(
            "last must be 1 to {DRY_RUN_MAX}"
        )));
    }
    let rule = req.rule.into_rule(RuleId::new())?;
    let conversations = recent_conversations(&state, last).await?;
    let mut cases = Vec::new();
    let mut owners = Vec::new();
    for (index, conversation) in conversations.iter().enumerate() {
        let events = state
            .store
            .events(conversation.id, 0, Audience::Team, 1000)
            .await?;
        let store = state.store.as_ref();
        let created = subject_of(
            store,
            &state.sla,
            conversation,
            None,
            conversation.created_at,
        )
        .await?;
        cases.push((Firing::new(TriggerEvent::ConversationCreated {}), created));
        owners.push(index);
        for event in &events {
            if let Some(trigger) = TriggerEvent::from_event(&event.actor, &event.kind) {
                let subject =
                    subject_of(store, &state.sla, conversation, message_of(event), event.at)
                        .await?;
                cases.push((Firing::new(trigger), subject));
                owners.push(index);
            }
        }
    }
    let DryRun {
        matched, triggered, ..
    } = dry_run(&rule, &cases);
    let mut hit: Vec<usize> = matched.iter().map(|&case| owners[case]).collect();
    hit.dedup();
    Ok(Json(DryRunAnswer {
        examined_conversations: conversations.len(),
        triggered,
        would_fire: matched.len(),
        conversations: hit.into_iter().map(|i| conversations[i].clone()).collect(),
    }))
}

/// The `n` most recently active conversations, newest first.
async fn recent_conversations(state: &AppState, n: u32) -> ApiResult<Vec<Conversation>> {
    let mut out: Vec<Conversation> = Vec::new();
    let mut filter = ConversationFilter {
        limit: ConversationFilter::MAX_LIMIT,
        ..Default::default()
    };
    while out.len() < n as usize {
        filter.limit = (n as usize - out.len()).min(ConversationFilter::MAX_LIMIT as usize) as u32;
        let page = state.store.list_conversations(&filter).await?;
        let Some(last) = page.last() else { break };
        filter.before = Some((last.updated_at, last.id));
        let full = page.len() as i64 == filter.effective_limit();
        out.extend(page);
        if !full {
            break;
        }
    }
    Ok(out)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FiringsQuery {
    /// At most this many, newest first (1–500, default 100).
    limit: Option<u32>,
}

/// The log of rule firings (from the audit log), newest first.
#[utoipa::path(get, path = "/v1/admin/automation/firings", tag = "admin", security(("bearer" = [])), params(FiringsQuery),
    responses((status = 200, body = Vec<Object>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn firings(
    State(state): State<AppState>,
    _auth: AdminAuth,
    Query(q): Query<FiringsQuery>,
) -> ApiResult<Json<Vec<trustdesk_core::audit::AuditEntry>>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500) as usize;
    let mut entries: Vec<_> = state
        .store
        .list_audit()
        .await?
        .into_iter()
        .filter(|e| e.action == AuditAction::AutomationFired.as_str())
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    entries.truncate(limit);
    Ok(Json(entries))
}

/// A macro as an admin writes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MacroDraft {
    name: String,
    #[schema(value_type = Vec<Object>)]
    actions: Vec<Action>,
}

impl MacroDraft {
    fn into_macro(self, id: MacroId) -> ApiResult<Macro> {
        let saved = Macro {
            id,
            name: self.name.trim().to_owned(),
            actions: self.actions,
        };
        saved
            .validate()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok(saved)
    }
}

fn macro_id(raw: &str) -> ApiResult<MacroId> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// The macros (every agent may run them).
#[utoipa::path(get, path = "/v1/agent/macros", tag = "agent", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>)))]
pub async fn list_macros(
    State(state): State<AppState>,
    _auth: AgentAuth,
) -> ApiResult<Json<Vec<Macro>>> {
    Ok(Json(load_macros(state.store.as_ref()).await?))
}

/// Creates a macro.
#[utoipa::path(post, path = "/v1/admin/macros", tag = "admin", security(("bearer" = [])), request_body = MacroDraft,
    responses((status = 201, body = Object), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_macro(
    State(state): State<AppState>,
    auth: AdminAuth,
    Json(draft): Json<MacroDraft>,
) -> ApiResult<(StatusCode, Json<Macro>)> {
    let saved = draft.into_macro(MacroId::new())?;
    check_references(&state, &saved.actions).await?;
    let stored = saved.clone();
    state
        .automation
        .edit_macros(state.store.as_ref(), state.clock.now(), move |macros| {
            macros.push(stored);
            Ok(())
        })
        .await?;
    audit(
        &state,
        &auth,
        AuditAction::MacroSaved,
        saved.id.to_string(),
        &saved.name,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Replaces a macro.
#[utoipa::path(put, path = "/v1/admin/macros/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = MacroDraft,
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_macro(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Json(draft): Json<MacroDraft>,
) -> ApiResult<Json<Macro>> {
    let saved = draft.into_macro(macro_id(&id)?)?;
    check_references(&state, &saved.actions).await?;
    let stored = saved.clone();
    state
        .automation
        .edit_macros(state.store.as_ref(), state.clock.now(), move |macros| {
            let slot = macros
                .iter_mut()
                .find(|m| m.id == stored.id)
                .ok_or(ApiError::NotFound)?;
            *slot = stored;
            Ok(())
        })
        .await?;
    audit(
        &state,
        &auth,
        AuditAction::MacroSaved,
        saved.id.to_string(),
        &saved.name,
    )
    .await?;
    Ok(Json(saved))
}

/// Deletes a macro.
#[utoipa::path(delete, path = "/v1/admin/macros/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_macro(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = macro_id(&id)?;
    let name = state
        .automation
        .edit_macros(state.store.as_ref(), state.clock.now(), move |macros| {
            let at = macros
                .iter()
                .position(|m| m.id == id)
                .ok_or(ApiError::NotFound)?;
            Ok(macros.remove(at).name)
        })
        .await?;
    audit(
        &state,
        &auth,
        AuditAction::MacroDeleted,
        id.to_string(),
        &name,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MacroRun {
    /// The conversation after the macro.
    #[schema(value_type = Object)]
    conversation: Conversation,
    /// The actions that changed something.
    applied: Vec<&'static str>,
}

/// Runs a macro on a conversation as the calling agent: its actions in
/// order, then one `rule_fired` event naming the macro.
#[utoipa::path(post, path = "/v1/agent/conversations/{id}/macros/{macro_id}", tag = "agent", security(("bearer" = [])), params(("id" = String, Path), ("macro_id" = String, Path)),
    responses((status = 200, body = MacroRun), (status = 404, body = crate::error::ErrorBody)))]
pub async fn run_macro(
    State(state): State<AppState>,
    auth: ConversationWriter,
    Path((raw_id, raw_macro)): Path<(String, String)>,
) -> ApiResult<Json<MacroRun>> {
    let id: trustdesk_core::ConversationId = raw_id.parse().map_err(|_| ApiError::NotFound)?;
    let wanted = macro_id(&raw_macro)?;
    let chosen = load_macros(state.store.as_ref())
        .await?
        .into_iter()
        .find(|m| m.id == wanted)
        .ok_or(ApiError::NotFound)?;
    let mut conversation = state.conversations.visible(&auth.0, id).await?;
    let actor = auth.0.actor();
    let mut applied = Vec::new();
    for action in &chosen.actions {
        if let Some(appended) = state
            .conversations
            .perform(&conversation, &actor, action)
            .await?
        {
            conversation = appended.conversation;
            applied.push(action.name());
        }
    }
    let recorded = state
        .conversations
        .record_firing(
            id,
            &actor,
            ActedBy::Macro(chosen.id),
            &chosen.name,
            &chosen.actions,
        )
        .await?;
    Ok(Json(MacroRun {
        conversation: recorded.conversation,
        applied,
    }))
}
