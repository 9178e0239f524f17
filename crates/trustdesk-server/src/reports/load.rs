//! Reads the conversations a window selects and folds each log into its
//! facts, off the async threads (a month of a busy desk is a lot of
//! events to fold).

use super::window::Window;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use std::collections::HashMap;
use trustdesk_core::reports::{self, ConversationFacts};
use trustdesk_core::sla::{BusinessCalendar, SlaMetric};
use trustdesk_core::{Conversation, Event, Priority, Timestamp};

/// The most conversations one report reads; past it the report says it is
/// truncated (the oldest are counted) and a shorter period should be asked.
/// It bounds the memory a report holds: every event of every conversation
/// read is in memory while it is folded (tens of MB per 10,000).
pub const MAX_CONVERSATIONS: u32 = 50_000;

/// The facts of the conversations opened in the window (filters applied),
/// and whether there were more than one report reads.
pub async fn facts(state: &AppState, window: &Window) -> ApiResult<(Vec<ConversationFacts>, bool)> {
    facts_between(state, window.from, window.to, window.filters.clone()).await
}

pub async fn facts_between(
    state: &AppState,
    from: Timestamp,
    to: Timestamp,
    filters: super::window::Filters,
) -> ApiResult<(Vec<ConversationFacts>, bool)> {
    fold_between(state, from, to, filters, reports::facts).await
}

/// Folds each conversation opened in `[from, to)` that `filters` keeps
/// with `fold` (its log and the business calendar of its priority), off
/// the async threads; and whether there were more than one report reads.
pub async fn fold_between<T, F>(
    state: &AppState,
    from: Timestamp,
    to: Timestamp,
    filters: super::window::Filters,
    fold: F,
) -> ApiResult<(Vec<T>, bool)>
where
    T: Send + 'static,
    F: Fn(&Conversation, &[Event], &BusinessCalendar) -> T + Send + 'static,
{
    let mut log = state
        .store
        .report_log(from, to, MAX_CONVERSATIONS + 1)
        .await?;
    let truncated = log.len() > MAX_CONVERSATIONS as usize;
    log.truncate(MAX_CONVERSATIONS as usize);
    // Business time counts with the calendar the SLA policy gives each
    // priority (urgent requests are usually 24/7).
    let calendars: HashMap<Priority, BusinessCalendar> = Priority::ALL
        .iter()
        .map(|p| (*p, state.sla.calendar_for(*p)))
        .collect();
    tokio::task::spawn_blocking(move || {
        let folded = log
            .iter()
            .filter(|(conversation, _)| filters.keeps(conversation))
            .map(|(conversation, events)| {
                let calendar = calendars
                    .get(&conversation.priority)
                    .cloned()
                    .unwrap_or_else(BusinessCalendar::always_open);
                fold(conversation, events, &calendar)
            })
            .collect();
        (folded, truncated)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("report fold failed: {e}")))
}

/// Whether the SLA policy in effect sets a target for a priority and
/// metric (waits without one are left out of attainment).
pub fn has_target(state: &AppState) -> impl Fn(Priority, SlaMetric) -> bool + use<> {
    let policy = state.sla.policy();
    move |priority, metric| policy.target(priority, metric).is_some()
}
