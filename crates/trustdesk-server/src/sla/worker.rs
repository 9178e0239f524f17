//! The timer worker: SLA clocks and every persisted deadline.
//!
//! One task per node reads the earliest row of the `timers` table, sleeps
//! until it is due (by the server clock, so tests advance time instead of
//! waiting) and fires it. Nothing lives only in memory: the SLA clocks are
//! persisted in `sla_state` on every change and the deadlines in `timers`,
//! so a restart fires what came due while the server was down, once.
//!
//! Timer kinds:
//! * `sla` — the next SLA status change of the conversation (warning or
//!   breach of any metric); firing writes `sla_warning` / `sla_breached`,
//!   and a breach escalates: priority up one level, supervisors notified,
//!   optionally reassigned (`sla.reassign_on_breach`).
//! * `snooze` — a snoozed conversation reopens and its agent is notified.
//! * `auto_close` — a resolved conversation closes.
//! * `reminder:<id>` — an agent's follow-up reminder: `reminder_due` and a
//!   notice to the agent.
//!
//! The SLA rules (how events move the clocks, what is due at `now`, how
//! far a breach escalates) are `trustdesk_core::sla::SlaTracker`; this
//! worker feeds it the conversation's events (told by [`Activity`], no
//! store read per message once a conversation is cached), persists it,
//! and announces what it says.

use crate::clock::ServerClock;
use crate::conversations::{Activity, Conversations};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, watch};
use trustdesk_core::event::{AssignReason, EventKind};
use trustdesk_core::notice::AgentNoticeCode;
use trustdesk_core::sla::{
    BusinessCalendar, CalendarSpec, SlaMetric, SlaPolicy, SlaStatus, SlaTracker,
};
use trustdesk_core::timer::TimerKind;
use trustdesk_core::{Conversation, ConversationId, ConversationStatus, Priority, Role, Timestamp};
use trustdesk_store::{Store, Timer};

/// The settings key of the SLA policy.
pub const POLICY_KEY: &str = "sla_policy";

/// The SLA policy and calendars in effect, shared with the admin API.
#[derive(Clone, Default)]
pub struct SlaConfig {
    inner: Arc<RwLock<SlaConfigInner>>,
}

#[derive(Default)]
struct SlaConfigInner {
    policy: SlaPolicy,
    calendars: HashMap<String, BusinessCalendar>,
}

impl SlaConfig {
    /// Loads the stored policy (the default 24/7 policy when none) and
    /// calendars.
    pub async fn load(store: &dyn Store) -> anyhow::Result<Self> {
        let policy = match store
            .get_setting(POLICY_KEY)
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the SLA policy: {e}"))?
        {
            Some(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::error!(error = %e, "stored SLA policy is unreadable; using the default");
                SlaPolicy::default()
            }),
            None => SlaPolicy::default(),
        };
        let mut calendars = HashMap::new();
        for (name, spec) in store
            .list_calendars()
            .await
            .map_err(|e| anyhow::anyhow!("cannot read calendars: {e}"))?
        {
            match serde_json::from_str::<CalendarSpec>(&spec)
                .ok()
                .and_then(|s| BusinessCalendar::from_spec(&s).ok())
            {
                Some(cal) => {
                    calendars.insert(name, cal);
                }
                None => tracing::error!(calendar = %name, "stored calendar is unreadable; skipped"),
            }
        }
        Ok(Self {
            inner: Arc::new(RwLock::new(SlaConfigInner { policy, calendars })),
        })
    }

    /// Replaces this configuration's content with what is stored.
    pub async fn reload(&self, store: &dyn Store) -> anyhow::Result<()> {
        let fresh = Self::load(store).await?;
        let inner = fresh
            .inner
            .write()
            .map(|mut i| std::mem::take(&mut *i))
            .map_err(|_| anyhow::anyhow!("SLA configuration lock poisoned"))?;
        if let Ok(mut mine) = self.inner.write() {
            *mine = inner;
        }
        Ok(())
    }

    pub fn policy(&self) -> SlaPolicy {
        self.inner
            .read()
            .map(|i| i.policy.clone())
            .unwrap_or_default()
    }

    pub fn set_policy(&self, policy: SlaPolicy) {
        if let Ok(mut i) = self.inner.write() {
            i.policy = policy;
        }
    }

    pub fn set_calendar(&self, name: &str, calendar: Option<BusinessCalendar>) {
        if let Ok(mut i) = self.inner.write() {
            match calendar {
                Some(c) => {
                    i.calendars.insert(name.to_owned(), c);
                }
                None => {
                    i.calendars.remove(name);
                }
            }
        }
    }

    /// The time zone of a calendar, if it exists and has one.
    pub fn time_zone(&self, name: &str) -> Option<String> {
        let i = self.inner.read().ok()?;
        i.calendars
            .get(name)
            .and_then(|c| c.spec())
            .map(|s| s.time_zone.clone())
    }

    pub fn calendar_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .read()
            .map(|i| i.calendars.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The calendar a priority counts with under the current policy.
    fn calendar_for(&self, priority: Priority) -> BusinessCalendar {
        let Ok(i) = self.inner.read() else {
            return BusinessCalendar::always_open();
        };
        if !i.policy.uses_business_hours(priority) {
            return BusinessCalendar::always_open();
        }
        i.policy
            .calendar
            .as_ref()
            .and_then(|name| i.calendars.get(name).cloned())
            .unwrap_or_else(BusinessCalendar::always_open)
    }
}

/// How many activity reports the worker folds before it stores what they
/// changed.
const BATCH: usize = 1024;

/// The SLA writes a batch of activity left for one conversation; the last
/// state folded wins.
#[derive(Default)]
struct PendingWrite {
    state: Option<SlaTracker>,
    timer: Option<TimerWrite>,
}

#[derive(Clone, Copy)]
enum TimerWrite {
    Put(Timestamp),
    Delete,
}

pub struct TimerWorker {
    conversations: Conversations,
    store: Arc<dyn Store>,
    config: SlaConfig,
    reassign_on_breach: bool,
    /// SLA state of the conversations seen since start, with the `sla`
    /// timer as last written.
    cache: HashMap<ConversationId, (SlaTracker, Option<Timestamp>)>,
    /// The earliest SLA timer written since the loop last looked.
    own_earliest: Option<Timestamp>,
    /// What the activity observed since the last flush leaves to store.
    pending: HashMap<ConversationId, PendingWrite>,
    /// The conversations service's write reports.
    activity: Option<mpsc::Receiver<Activity>>,
    /// Timers fire on the leading node only (every node still records the
    /// SLA clocks of the writes it made).
    leading: watch::Receiver<bool>,
}

impl crate::workers::Worker for TimerWorker {
    const NAME: &'static str = "timers";

    async fn run(mut self, shutdown: watch::Receiver<bool>) {
        let Some(activity) = self.activity.take() else {
            return;
        };
        self.serve(activity, shutdown).await;
    }
}

impl TimerWorker {
    pub fn new(
        conversations: Conversations,
        config: SlaConfig,
        reassign_on_breach: bool,
        activity: mpsc::Receiver<Activity>,
        leading: watch::Receiver<bool>,
    ) -> Self {
        Self {
            activity: Some(activity),
            leading,
            store: conversations.store().clone(),
            conversations,
            config,
            reassign_on_breach,
            cache: HashMap::new(),
            own_earliest: None,
            pending: HashMap::new(),
        }
    }

    fn clock(&self) -> &ServerClock {
        self.conversations.clock()
    }

    async fn serve(
        mut self,
        mut rx: mpsc::Receiver<Activity>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut clock_changed = self.clock().changed();
        // The due timers and the next deadline are read again only when a
        // timer may have changed (an observed write that touched one), when
        // the worker wakes for a deadline, or when the clock moves: reading
        // them after every message cost two queries per message.
        let mut next: Option<Timestamp> = None;
        let mut reread = true;
        let mut leading = self.leading.clone();
        let mut leader_alive = true;
        loop {
            if reread && !*leading.borrow() {
                // Another node fires; look again when this one leads.
                reread = false;
                next = None;
            }
            if reread {
                reread = false;
                next = match self.fire_due().await {
                    Ok(()) => match self.store.next_timer_at().await {
                        Ok(next) => next,
                        Err(e) => {
                            tracing::warn!(error = %e, "timers: cannot read the next timer");
                            Some(self.clock().now().plus_millis(1000))
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "timers: firing failed; retrying in 1 s");
                        Some(self.clock().now().plus_millis(1000))
                    }
                };
            }
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep(self.clock().until(at)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                activity = rx.recv() => {
                    let Some(activity) = activity else { return };
                    reread |= self.observe(activity).await;
                    for _ in 1..BATCH {
                        let Ok(more) = rx.try_recv() else { break };
                        reread |= self.observe(more).await;
                    }
                    self.flush().await;
                    // An earlier deadline of our own: wake for it (a later
                    // one, or a removed one, at worst wakes us early once).
                    if let Some(at) = self.own_earliest.take() {
                        next = Some(next.map_or(at, |n| n.min(at)));
                    }
                }
                _ = sleep => reread = true,
                _ = clock_changed.changed() => reread = true,
                led = leading.changed(), if leader_alive => {
                    leader_alive = led.is_ok();
                    reread = true;
                }
                _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
                    // Record what is still queued so no SLA clock is lost.
                    while let Ok(more) = rx.try_recv() {
                        self.observe(more).await;
                    }
                    self.flush().await;
                    return;
                }
            }
        }
    }

    async fn state(
        &mut self,
        conversation: &Conversation,
    ) -> Option<(SlaTracker, Option<Timestamp>)> {
        if let Some(cached) = self.cache.get(&conversation.id) {
            return Some(cached.clone());
        }
        if self.pending.contains_key(&conversation.id) {
            // Closed earlier in this batch: read what it left.
            self.flush().await;
        }
        match self.store.sla_state(conversation.id).await {
            Ok(Some(text)) => match serde_json::from_str::<SlaTracker>(&text) {
                Ok(state) => Some((state, None)),
                Err(e) => {
                    tracing::error!(error = %e, conversation = %conversation.id, "unreadable SLA state; restarting its clocks");
                    Some((SlaTracker::new(conversation), None))
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read SLA state");
                None
            }
        }
    }

    /// Folds one write into the conversation's SLA clocks.
    /// Folds a write into the SLA state; returns whether a timer was set
    /// elsewhere and must be read back: `Conversations` stores the snooze
    /// and auto-close timers with a status change, and reminders with
    /// `reminder_set`. The SLA timer written here is noted in
    /// `own_earliest` instead.
    async fn observe(&mut self, activity: Activity) -> bool {
        let set_elsewhere = activity.events.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::StatusChanged { .. } | EventKind::ReminderSet { .. }
            )
        });
        let conversation = activity.conversation.as_ref();
        // A conversation whose first event is in this write has no stored
        // state yet: no read for it.
        let fresh = activity.events.first().is_some_and(|e| e.seq == 1);
        let known = if fresh && !self.cache.contains_key(&conversation.id) {
            None
        } else {
            self.state(conversation).await
        };
        let (mut state, timer) = match known {
            Some(found) => found,
            None if conversation.status.is_active() => (SlaTracker::new(conversation), None),
            None => return set_elsewhere,
        };
        let before = state.clone();
        for event in activity.events.iter() {
            state.apply(event);
        }
        state.set_priority(conversation.priority);
        let closed = activity.events.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::StatusChanged {
                    to: ConversationStatus::Closed,
                    ..
                }
            )
        });
        if closed {
            self.cache.remove(&conversation.id);
            self.pending.insert(
                conversation.id,
                PendingWrite {
                    state: Some(state),
                    timer: Some(TimerWrite::Delete),
                },
            );
            return true;
        }
        let (new_timer, timer_write) = self.next_timer(&state, timer);
        let write = self.pending.entry(conversation.id).or_default();
        if state != before || timer.is_none() {
            write.state = Some(state.clone());
        }
        if timer_write.is_some() {
            write.timer = timer_write;
        }
        self.cache.insert(conversation.id, (state, new_timer));
        // A timer this worker wrote needs no read to know when it is due.
        if let Some(at) = new_timer
            && new_timer != timer
        {
            self.own_earliest = Some(self.own_earliest.map_or(at, |t| t.min(at)));
        }
        set_elsewhere
    }

    async fn save(
        &self,
        id: ConversationId,
        state: &SlaTracker,
    ) -> Result<(), trustdesk_store::StoreError> {
        let text = serde_json::to_string(state)
            .map_err(|e| trustdesk_store::StoreError::Internal(format!("encode SLA state: {e}")))?;
        self.store
            .put_sla_state(id, &text, self.clock().now())
            .await
    }

    /// When the `sla` timer is due now, and the write that makes it so
    /// (none when its instant did not change).
    fn next_timer(
        &self,
        state: &SlaTracker,
        current: Option<Timestamp>,
    ) -> (Option<Timestamp>, Option<TimerWrite>) {
        let now = self.clock().now();
        let calendar = self.config.calendar_for(state.priority());
        let next = state.next_timer(&self.config.policy(), &calendar, now);
        let write = match next {
            _ if next == current && current.is_some() => None,
            Some(at) => Some(TimerWrite::Put(at)),
            None => Some(TimerWrite::Delete),
        };
        (next, write)
    }

    /// Stores the writes the observed batch left, all at once: they share
    /// the store's group commit instead of waiting for a commit each, so
    /// the worker keeps up with thousands of new conversations a second.
    /// A conversation whose write failed is dropped from the cache, so its
    /// next event reads the stored state and writes again.
    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let this = &*self;
        let results = futures_util::future::join_all(
            pending
                .into_iter()
                .map(|(id, write)| async move { (id, this.store_write(id, write).await) }),
        )
        .await;
        for (id, result) in results {
            if let Err(e) = result {
                tracing::warn!(error = %e, conversation = %id, "cannot save SLA state");
                self.cache.remove(&id);
            }
        }
    }

    async fn store_write(
        &self,
        id: ConversationId,
        write: PendingWrite,
    ) -> Result<(), trustdesk_store::StoreError> {
        if let Some(state) = &write.state {
            self.save(id, state).await?;
        }
        match write.timer {
            Some(TimerWrite::Put(due_at)) => {
                self.store
                    .put_timer(&Timer {
                        conversation_id: id,
                        kind: TimerKind::Sla,
                        due_at,
                    })
                    .await
            }
            Some(TimerWrite::Delete) => self.store.delete_timer(id, &TimerKind::Sla, None).await,
            None => Ok(()),
        }
    }

    /// Writes (or removes) the `sla` timer when its instant changed.
    async fn reschedule(
        &self,
        id: ConversationId,
        state: &SlaTracker,
        current: Option<Timestamp>,
    ) -> Option<Timestamp> {
        let (next, timer) = self.next_timer(state, current);
        if timer.is_none() {
            return next;
        }
        let write = PendingWrite { state: None, timer };
        if let Err(e) = self.store_write(id, write).await {
            tracing::warn!(error = %e, "cannot write the SLA timer");
            return None;
        }
        next
    }

    async fn fire_due(&mut self) -> anyhow::Result<()> {
        loop {
            let now = self.clock().now();
            let due = self
                .store
                .due_timers(now, 100)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if due.is_empty() {
                return Ok(());
            }
            for timer in due {
                let outcome = self.fire(&timer).await;
                let not_found = matches!(outcome, Err(crate::error::ApiError::NotFound));
                match outcome {
                    Ok(()) | Err(crate::error::ApiError::NotFound) => {
                        // Keep it if it was moved meanwhile. A fired `sla`
                        // timer was already moved on by `fire_sla`.
                        if timer.kind != TimerKind::Sla || not_found {
                            self.store
                                .delete_timer(
                                    timer.conversation_id,
                                    &timer.kind,
                                    Some(timer.due_at),
                                )
                                .await
                                .map_err(|e| anyhow::anyhow!("{e}"))?;
                        }
                    }
                    Err(e) => {
                        // One timer that keeps failing must not hold back
                        // the others: try it again in a minute.
                        tracing::warn!(error = %e, kind = %timer.kind.key(), conversation = %timer.conversation_id, "timer failed; retrying in 60 s");
                        let retry = Timer {
                            due_at: now.plus_millis(60_000),
                            ..timer.clone()
                        };
                        self.store
                            .put_timer(&retry)
                            .await
                            .map_err(|e| anyhow::anyhow!("{e}"))?;
                    }
                }
            }
        }
    }

    async fn fire(&mut self, timer: &Timer) -> Result<(), crate::error::ApiError> {
        let id = timer.conversation_id;
        let now = self.clock().now();
        match &timer.kind {
            TimerKind::Sla => self.fire_sla(id, timer.due_at).await,
            TimerKind::Snooze => {
                let conversation = self.store.get_conversation(id).await?;
                let woke = conversation.status == ConversationStatus::Snoozed
                    && conversation.snoozed_until.is_none_or(|u| u <= now);
                if woke
                    && let Some(done) = self
                        .conversations
                        .system_status(id, ConversationStatus::Snoozed, ConversationStatus::Open)
                        .await?
                    && let Some(agent) = done.conversation.assignee_id
                {
                    self.conversations
                        .notify_agent(
                            agent,
                            id,
                            AgentNoticeCode::SnoozeEnded,
                            "A snoozed conversation is back.".into(),
                        )
                        .await;
                }
                Ok(())
            }
            TimerKind::AutoClose => {
                self.conversations
                    .system_status(id, ConversationStatus::Resolved, ConversationStatus::Closed)
                    .await?;
                Ok(())
            }
            TimerKind::Reminder(p) => {
                self.conversations
                    .system_event(
                        id,
                        EventKind::ReminderDue {
                            id: p.id.clone(),
                            agent_id: p.agent_id,
                            note: p.note.clone(),
                        },
                    )
                    .await?;
                self.conversations
                    .notify_agent(p.agent_id, id, AgentNoticeCode::ReminderDue, p.note.clone())
                    .await;
                Ok(())
            }
            TimerKind::Unreadable { kind } => {
                tracing::warn!(kind, "unreadable timer; dropped");
                Ok(())
            }
        }
    }

    /// Announces warnings and breaches that came due, escalates breaches,
    /// and sets the next SLA timer.
    async fn fire_sla(
        &mut self,
        id: ConversationId,
        fired_at: Timestamp,
    ) -> Result<(), crate::error::ApiError> {
        let conversation = self.store.get_conversation(id).await?;
        let Some((mut state, _)) = self.state(&conversation).await else {
            self.store
                .delete_timer(id, &TimerKind::Sla, Some(fired_at))
                .await?;
            return Ok(());
        };
        state.set_priority(conversation.priority);
        let now = self.clock().now();
        let calendar = self.config.calendar_for(state.priority());
        let firing = state.fire(&self.config.policy(), &calendar, now);
        for (metric, due_at) in &firing.warnings {
            self.conversations
                .system_event(
                    id,
                    EventKind::SlaWarning {
                        metric: *metric,
                        due_at: *due_at,
                    },
                )
                .await?;
            let text = format!(
                "SLA {} target is close: due at {}",
                metric_name(*metric),
                due_at.0
            );
            match conversation.assignee_id {
                Some(agent) => {
                    self.conversations
                        .notify_agent(agent, id, AgentNoticeCode::SlaWarning, text)
                        .await
                }
                None => {
                    self.conversations
                        .notify(
                            None,
                            Role::Supervisor,
                            id,
                            AgentNoticeCode::SlaWarning,
                            text,
                        )
                        .await
                }
            }
        }
        for breach in &firing.breaches {
            let metric = breach.metric;
            self.conversations
                .system_event(
                    id,
                    EventKind::SlaBreached {
                        metric,
                        due_at: breach.due_at,
                    },
                )
                .await?;
            // Escalation (planned by the tracker): one priority level up,
            // the supervisors told, and optionally someone else takes it.
            if let Some((from, to)) = breach.priority_change {
                self.conversations
                    .system_event(
                        id,
                        EventKind::PriorityChanged {
                            from,
                            to,
                            reason: format!("sla_breached:{}", metric_name(metric)),
                        },
                    )
                    .await?;
            }
            self.conversations
                .notify(
                    None,
                    Role::Supervisor,
                    id,
                    AgentNoticeCode::SlaBreached,
                    format!(
                        "SLA {} target missed (due at {})",
                        metric_name(metric),
                        breach.due_at.0
                    ),
                )
                .await;
            if self.reassign_on_breach
                && let Some(agent) = conversation.assignee_id
            {
                self.conversations
                    .requeue(id, agent, AssignReason::Escalated)
                    .await?;
            }
        }
        self.save(id, &state)
            .await
            .map_err(crate::error::ApiError::from)?;
        let timer = self.reschedule(id, &state, Some(fired_at)).await;
        if timer == Some(fired_at) {
            // Nothing moved it (should not happen after announcing): drop
            // it rather than fire again at once.
            self.store
                .delete_timer(id, &TimerKind::Sla, Some(fired_at))
                .await?;
        }
        self.cache
            .insert(id, (state, timer.filter(|t| *t != fired_at)));
        Ok(())
    }
}

fn metric_name(metric: SlaMetric) -> &'static str {
    match metric {
        SlaMetric::FirstResponse => "first response",
        SlaMetric::NextResponse => "next response",
        SlaMetric::Resolution => "resolution",
    }
}

/// One SLA clock of a conversation, as the console shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    #[schema(value_type = String)]
    pub metric: SlaMetric,
    #[schema(value_type = String)]
    pub status: SlaStatus,
    /// When the target is (or was) used up; none while it cannot be
    /// reached (paused before it).
    #[schema(value_type = Option<i64>)]
    pub due_at: Option<Timestamp>,
    pub remaining_ms: i64,
    pub paused: bool,
    /// The clock ended (answered or resolved).
    pub stopped: bool,
}

/// The SLA clocks of `conversation` at `now`, from its persisted state and
/// the policy in effect (empty before the timer worker has seen it).
pub async fn clocks(
    config: &SlaConfig,
    store: &dyn Store,
    conversation: &Conversation,
    now: Timestamp,
) -> anyhow::Result<Vec<ClockView>> {
    let Some(text) = store.sla_state(conversation.id).await? else {
        return Ok(Vec::new());
    };
    let state: SlaTracker = serde_json::from_str(&text)?;
    let policy = config.policy();
    let calendar = config.calendar_for(state.priority());
    Ok(state
        .metrics()
        .into_iter()
        .filter_map(|(metric, m)| {
            let m = m?;
            let target = policy.target(state.priority(), metric)?;
            let ev = m.clock.evaluate(&calendar, &target, now);
            Some(ClockView {
                metric,
                status: ev.status,
                due_at: ev.due_at,
                remaining_ms: ev.remaining_ms,
                paused: ev.paused,
                stopped: ev.stopped,
            })
        })
        .collect())
}
