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
//! **Several nodes.** Only the leading node folds writes into the SLA
//! clocks and fires timers; it hears every node's writes
//! ([`DeskWrites`]). The stored clocks carry the seq they were folded up
//! to, so whichever node leads next goes on from there: a write it did not
//! hear (lost on the bus, or made while no node led) is read from the
//! store when the next one shows a gap, when the bus reports a loss, every
//! few seconds for the active conversations, and when a node starts to
//! lead. Every event is folded exactly once, in order.
//!
//! The SLA rules (how events move the clocks, what is due at `now`, how
//! far a breach escalates) are `trustdesk_core::sla::SlaTracker`; this
//! worker feeds it the conversation's events (told by [`Activity`], no
//! store read per message once a conversation is cached), persists it,
//! and announces what it says.

use crate::bus::{DeskWrites, Heard};
use crate::clock::ServerClock;
use crate::conversations::{Activity, Conversations};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;
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
    /// The desk's office hours: the policy's calendar whatever the
    /// priority (always open when the policy names none).
    pub fn office_calendar(&self) -> BusinessCalendar {
        let Ok(i) = self.inner.read() else {
            return BusinessCalendar::always_open();
        };
        i.policy
            .calendar
            .as_ref()
            .and_then(|name| i.calendars.get(name).cloned())
            .unwrap_or_else(BusinessCalendar::always_open)
    }

    pub fn calendar_for(&self, priority: Priority) -> BusinessCalendar {
        let business_hours = self
            .inner
            .read()
            .is_ok_and(|i| i.policy.uses_business_hours(priority));
        if business_hours {
            self.office_calendar()
        } else {
            BusinessCalendar::always_open()
        }
    }
}

/// How many activity reports the worker folds before it stores what they
/// changed.
const BATCH: usize = 1024;

/// How often a node of several, while leading, reads the active
/// conversations back for writes the bus lost.
const RECONCILE: std::time::Duration = std::time::Duration::from_secs(5);

/// The stored form of a conversation's SLA clocks: the tracker and the
/// last event seq folded into it. Rows written before the seq was kept
/// have none: they count as folded up to the conversation's last event.
#[derive(serde::Deserialize, Serialize)]
struct StoredClocks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seq: Option<i64>,
    #[serde(flatten)]
    tracker: SlaTracker,
}

/// A conversation's clocks as the worker holds them.
#[derive(Clone)]
struct Clocks {
    tracker: SlaTracker,
    /// The `sla` timer as last written (`None` = unknown or none).
    timer: Option<Timestamp>,
    /// The last event folded in.
    seq: i64,
    /// The seq stored with the clocks (the last save or load).
    stored_seq: i64,
}

/// The clocks are stored when they change; events that change nothing
/// (a customer writing again while the first response is awaited) are not
/// written for, unless this many have been folded since the last save.
/// A state stored behind its conversation is caught up by folding the
/// events after its seq, which changed nothing then and change nothing
/// again; the bound keeps that read short.
const RESAVE_AFTER_EVENTS: i64 = 64;

/// The SLA writes a batch of activity left for one conversation; the last
/// state folded wins.
#[derive(Default)]
struct PendingWrite {
    state: Option<(SlaTracker, i64)>,
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
    cache: HashMap<ConversationId, Clocks>,
    /// The earliest SLA timer written since the loop last looked.
    own_earliest: Option<Timestamp>,
    /// What the activity observed since the last flush leaves to store.
    pending: HashMap<ConversationId, PendingWrite>,
    /// Every node's write reports.
    activity: Option<DeskWrites>,
    /// Clocks are folded and timers fired on the leading node only.
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
        activity: DeskWrites,
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

    async fn serve(mut self, mut rx: DeskWrites, mut shutdown: watch::Receiver<bool>) {
        let mut clock_changed = self.clock().changed();
        // The due timers and the next deadline are read again only when a
        // timer may have changed (an observed write that touched one), when
        // the worker wakes for a deadline, or when the clock moves: reading
        // them after every message cost two queries per message.
        let mut next: Option<Timestamp> = None;
        let mut reread = true;
        let mut leading = self.leading.clone();
        let mut leader_alive = true;
        let mut is_leading = *leading.borrow();
        if is_leading {
            self.reconcile().await;
        }
        let spans_nodes = rx.spans_nodes();
        let mut reconcile = tokio::time::interval(RECONCILE);
        reconcile.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if reread && !is_leading {
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
                heard = rx.recv() => {
                    let Some(heard) = heard else { return };
                    let mut batch = vec![heard];
                    for _ in 1..BATCH {
                        let Some(more) = rx.try_recv() else { break };
                        batch.push(more);
                    }
                    if !is_leading {
                        // The leader folds every node's writes.
                        continue;
                    }
                    for heard in batch {
                        reread |= match heard {
                            Heard::Write(activity) => self.observe(activity).await,
                            Heard::Missed => self.reconcile().await,
                        };
                    }
                    self.flush().await;
                    // An earlier deadline of our own: wake for it (a later
                    // one, or a removed one, at worst wakes us early once).
                    if let Some(at) = self.own_earliest.take() {
                        next = Some(next.map_or(at, |n| n.min(at)));
                    }
                }
                _ = reconcile.tick(), if spans_nodes && is_leading => {
                    reread |= self.reconcile().await;
                }
                _ = sleep => reread = true,
                _ = clock_changed.changed() => reread = true,
                led = leading.changed(), if leader_alive => {
                    leader_alive = led.is_ok();
                    let now_leading = leader_alive && *leading.borrow();
                    if now_leading && !is_leading {
                        // Go on from the stored clocks, and fold what no
                        // node folded meanwhile.
                        self.cache.clear();
                        self.reconcile().await;
                    }
                    if !now_leading && is_leading {
                        self.flush().await;
                        self.cache.clear();
                    }
                    is_leading = now_leading;
                    reread = true;
                }
                _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
                    // Record what is still queued so no SLA clock is lost.
                    if is_leading {
                        while let Some(Heard::Write(more)) = rx.try_recv() {
                            self.observe(more).await;
                        }
                    }
                    self.flush().await;
                    return;
                }
            }
        }
    }

    /// Folds what the active conversations hold beyond their stored
    /// clocks (writes this node did not hear). Returns whether a timer may
    /// have been set meanwhile (always, when anything was caught up).
    async fn reconcile(&mut self) -> bool {
        let active = match self.store.active_conversations().await {
            Ok(active) => active,
            Err(e) => {
                tracing::warn!(error = %e, "timers: cannot read the active conversations");
                return false;
            }
        };
        let mut caught_up = false;
        for conversation in active {
            if self
                .cache
                .get(&conversation.id)
                .is_some_and(|c| c.seq >= conversation.last_seq)
            {
                continue;
            }
            caught_up |= self.fold(&conversation, &[]).await;
        }
        self.flush().await;
        caught_up
    }

    async fn state(&mut self, conversation: &Conversation) -> Option<Clocks> {
        if let Some(cached) = self.cache.get(&conversation.id) {
            return Some(cached.clone());
        }
        if self.pending.contains_key(&conversation.id) {
            // Closed earlier in this batch: read what it left.
            self.flush().await;
        }
        match self.store.sla_state(conversation.id).await {
            Ok(Some(text)) => match serde_json::from_str::<StoredClocks>(&text) {
                Ok(stored) => {
                    let seq = stored.seq.unwrap_or(conversation.last_seq);
                    Some(Clocks {
                        tracker: stored.tracker,
                        timer: None,
                        seq,
                        stored_seq: seq,
                    })
                }
                Err(e) => {
                    tracing::error!(error = %e, conversation = %conversation.id, "unreadable SLA state; restarting its clocks");
                    Some(Clocks {
                        tracker: SlaTracker::new(conversation),
                        timer: None,
                        seq: conversation.last_seq,
                        // Unreadable: written again at the next fold.
                        stored_seq: -RESAVE_AFTER_EVENTS,
                    })
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read SLA state");
                None
            }
        }
    }

    /// The events of a conversation after `seq`, up to `last`, from the
    /// store.
    async fn events_between(
        &self,
        id: ConversationId,
        mut seq: i64,
        last: i64,
    ) -> Result<Vec<trustdesk_core::Event>, trustdesk_store::StoreError> {
        let mut out = Vec::new();
        while seq < last {
            let page = self
                .store
                .events(
                    id,
                    seq,
                    trustdesk_store::Audience::Team,
                    crate::conversations::MAX_PAGE,
                )
                .await?;
            let Some(tail) = page.last() else { break };
            seq = tail.seq;
            out.extend(page.into_iter().filter(|e| e.seq <= last));
        }
        Ok(out)
    }

    /// Folds one write into the conversation's SLA clocks; returns
    /// whether a timer was set elsewhere and must be read back:
    /// `Conversations` stores the snooze and auto-close timers with a
    /// status change, and reminders with `reminder_set`. The SLA timer
    /// written here is noted in `own_earliest` instead.
    async fn observe(&mut self, activity: Activity) -> bool {
        let set_elsewhere = activity.events.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::StatusChanged { .. } | EventKind::ReminderSet { .. }
            )
        });
        let caught_up = self.fold(&activity.conversation, &activity.events).await;
        set_elsewhere || caught_up
    }

    /// Brings a conversation's clocks up to its last event: `events` when
    /// they follow the clocks' seq, else (a write not heard, or heard out
    /// of order) the store's events after it. Returns whether events were
    /// read from the store (so a timer of theirs may need reading back).
    async fn fold(
        &mut self,
        conversation: &Conversation,
        events: &[trustdesk_core::Event],
    ) -> bool {
        // A conversation whose first event is in this write has no stored
        // state yet: no read for it.
        let fresh = events.first().is_some_and(|e| e.seq == 1);
        let known = if fresh && !self.cache.contains_key(&conversation.id) {
            None
        } else {
            self.state(conversation).await
        };
        let Clocks {
            tracker: mut state,
            timer,
            mut seq,
            mut stored_seq,
        } = match known {
            Some(found) => found,
            None if conversation.status.is_active() || !events.is_empty() => Clocks {
                tracker: SlaTracker::new(conversation),
                timer: None,
                seq: 0,
                // Never stored: written at this fold.
                stored_seq: -RESAVE_AFTER_EVENTS,
            },
            None => return false,
        };
        let unseen: Vec<&trustdesk_core::Event> = events.iter().filter(|e| e.seq > seq).collect();
        if !events.is_empty() && unseen.is_empty() {
            // Folded already (heard twice, or caught up before).
            return false;
        }
        let follows = unseen.first().is_none_or(|e| e.seq == seq + 1)
            && unseen.last().map_or(seq, |e| e.seq) >= conversation.last_seq;
        let from_store;
        let to_fold: Vec<&trustdesk_core::Event> = if follows {
            unseen
        } else {
            match self
                .events_between(conversation.id, seq, conversation.last_seq)
                .await
            {
                Ok(events) => {
                    from_store = events;
                    from_store.iter().collect()
                }
                Err(e) => {
                    // Fold what was heard; the next reconcile reads again.
                    tracing::warn!(error = %e, conversation = %conversation.id, "timers: cannot read the events to catch up");
                    unseen
                }
            }
        };
        let caught_up = !follows;
        let before = state.clone();
        let mut closed = false;
        for event in &to_fold {
            state.apply(event);
            seq = seq.max(event.seq);
            closed |= matches!(
                event.kind,
                EventKind::StatusChanged {
                    to: ConversationStatus::Closed,
                    ..
                }
            );
        }
        state.set_priority(conversation.priority);
        if closed {
            self.cache.remove(&conversation.id);
            self.pending.insert(
                conversation.id,
                PendingWrite {
                    state: Some((state, seq)),
                    timer: Some(TimerWrite::Delete),
                },
            );
            return true;
        }
        let (new_timer, timer_write) = self.next_timer(&state, timer);
        let write = self.pending.entry(conversation.id).or_default();
        if state != before || timer.is_none() || seq - stored_seq >= RESAVE_AFTER_EVENTS {
            write.state = Some((state.clone(), seq));
            stored_seq = seq;
        }
        if timer_write.is_some() {
            write.timer = timer_write;
        }
        self.cache.insert(
            conversation.id,
            Clocks {
                tracker: state,
                timer: new_timer,
                seq,
                stored_seq,
            },
        );
        // A timer this worker wrote needs no read to know when it is due.
        if let Some(at) = new_timer
            && new_timer != timer
        {
            self.own_earliest = Some(self.own_earliest.map_or(at, |t| t.min(at)));
        }
        caught_up
    }

    async fn save(
        &self,
        id: ConversationId,
        state: &SlaTracker,
        seq: i64,
    ) -> Result<(), trustdesk_store::StoreError> {
        let text = encode_clocks(state, seq)?;
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
        let mut saves = Vec::with_capacity(pending.len());
        for (id, write) in pending {
            match self.sla_save(id, write) {
                Ok(save) => saves.push(save),
                Err(e) => {
                    tracing::warn!(error = %e, conversation = %id, "cannot encode SLA state");
                    self.cache.remove(&id);
                }
            }
        }
        if let Err(e) = self.store.save_sla(&saves, self.clock().now()).await {
            tracing::warn!(error = %e, conversations = saves.len(), "cannot save SLA state");
            for save in &saves {
                self.cache.remove(&save.conversation);
            }
        }
    }

    /// The store's form of one conversation's pending write.
    fn sla_save(
        &self,
        id: ConversationId,
        write: PendingWrite,
    ) -> Result<trustdesk_store::SlaSave, trustdesk_store::StoreError> {
        let state = match &write.state {
            Some((state, seq)) => Some(encode_clocks(state, *seq)?),
            None => None,
        };
        let timer = write.timer.map(|t| match t {
            TimerWrite::Put(due_at) => trustdesk_store::SlaTimerChange::Put(due_at),
            TimerWrite::Delete => trustdesk_store::SlaTimerChange::Delete,
        });
        Ok(trustdesk_store::SlaSave {
            conversation: id,
            state,
            timer,
        })
    }

    async fn store_write(
        &self,
        id: ConversationId,
        write: PendingWrite,
    ) -> Result<(), trustdesk_store::StoreError> {
        if let Some((state, seq)) = &write.state {
            self.save(id, state, *seq).await?;
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
        let Some(Clocks {
            tracker: mut state,
            seq,
            ..
        }) = self.state(&conversation).await
        else {
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
        self.save(id, &state, seq)
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
        self.cache.insert(
            id,
            Clocks {
                tracker: state,
                timer: timer.filter(|t| *t != fired_at),
                seq,
                stored_seq: seq,
            },
        );
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

/// The stored form of a conversation's clocks, with the seq folded to.
fn encode_clocks(state: &SlaTracker, seq: i64) -> Result<String, trustdesk_store::StoreError> {
    let stored = StoredClocks {
        seq: Some(seq),
        tracker: state.clone(),
    };
    serde_json::to_string(&stored)
        .map_err(|e| trustdesk_store::StoreError::Internal(format!("encode SLA state: {e}")))
}
