//! The automation worker: hears every write of the desk, turns what
//! happened into trigger events, asks the pure planner
//! (`trustdesk_core::automation::plan`) which rules fire, and carries
//! their actions out through the conversations service.
//!
//! It runs on the leading node only, like the SLA timers, so a rule fires
//! once per happening however many nodes heard it.
//!
//! Loop safety is the planner's (a rule never fires on what it caused, a
//! depth cap, a per-conversation hourly cap); the worker supplies the
//! facts: the events it wrote itself are planned again at once as
//! follow-ups of the rule that caused them (depth + 1) and skipped when
//! they come back through the bus, and it counts each conversation's
//! firings of the last hour.
//!
//! Idle rules: the worker keeps, per open or pending conversation, when
//! its last message was, and raises `idle` once per threshold per quiet
//! stretch. That memory is the leader's: a new leader starts the
//! stretches from the conversations' last update.

use super::book::AutomationHandle;
use super::subject::{message_of, subject_of};
use crate::accounts::audit;
use crate::bus::{DeskWrites, Heard};
use crate::clock::ServerClock;
use crate::conversations::{ActedBy, Activity, Conversations};
use crate::sla::worker::SlaConfig;
use crate::workers::Worker;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use trustdesk_core::audit::AuditAction;
use trustdesk_core::automation::{
    Action, Firing, Limits, Rule, TriggerEvent, TriggeringMessage, idle_thresholds, plan,
};
use trustdesk_core::event::EventKind;
use trustdesk_core::{Actor, ConversationId, ConversationStatus, Timestamp};
use trustdesk_store::{ConversationFilter, Store};

/// How often rules are read again (other nodes' edits) and idle
/// conversations looked at.
const TICK: Duration = Duration::from_secs(10);
const HOUR_MS: i64 = 3_600_000;
/// Own events not yet heard back are forgotten past this many (a write
/// whose report was lost must not hold memory for ever).
const MAX_OWN: usize = 100_000;

pub struct AutomationWorker {
    conversations: Conversations,
    store: Arc<dyn Store>,
    sla: SlaConfig,
    clock: Arc<ServerClock>,
    handle: AutomationHandle,
    writes: DeskWrites,
    leading: watch::Receiver<bool>,
    limits: Limits,
    /// Events this worker wrote, by (conversation, seq).
    own: HashSet<(ConversationId, i64)>,
    /// Each conversation's firings in the last hour.
    recent: HashMap<ConversationId, VecDeque<Timestamp>>,
    idle: HashMap<ConversationId, Quiet>,
}

/// A conversation's current quiet stretch.
struct Quiet {
    since: Timestamp,
    /// Thresholds (minutes) already raised in this stretch.
    raised: Vec<u32>,
}

impl AutomationWorker {
    pub fn new(
        conversations: Conversations,
        sla: SlaConfig,
        clock: Arc<ServerClock>,
        handle: AutomationHandle,
        writes: DeskWrites,
        leading: watch::Receiver<bool>,
    ) -> Self {
        Self {
            store: conversations.store().clone(),
            clock,
            conversations,
            sla,
            handle,
            writes,
            leading,
            limits: Limits::default(),
            own: HashSet::new(),
            recent: HashMap::new(),
            idle: HashMap::new(),
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    async fn reload(&self) {
        if let Err(e) = self.handle.reload(self.store.as_ref()).await {
            tracing::warn!(error = %e, "automation: rules not read again");
        }
    }

    async fn on_write(&mut self, activity: Activity) {
        let id = activity.conversation.id;
        let mut firings: Vec<(TriggerEvent, Option<TriggeringMessage>)> = Vec::new();
        let mut created = false;
        for event in activity.events.iter() {
            self.track_quiet(id, event);
            if self.own.remove(&(id, event.seq)) {
                continue;
            }
            if event.seq == 1 {
                created = true;
            }
            if let Some(trigger) = TriggerEvent::from_event(&event.actor, &event.kind) {
                firings.push((trigger, message_of(event)));
            }
        }
        if created {
            firings.insert(0, (TriggerEvent::ConversationCreated {}, None));
        }
        for (trigger, message) in firings {
            self.fire(id, Firing::new(trigger), message).await;
        }
    }

    /// Starts, ends or keeps the conversation's quiet stretch.
    fn track_quiet(&mut self, id: ConversationId, event: &trustdesk_core::Event) {
        match &event.kind {
            EventKind::Message { .. } if message_of(event).is_some() => {
                self.idle.insert(
                    id,
                    Quiet {
                        since: event.at,
                        raised: Vec::new(),
                    },
                );
            }
            EventKind::StatusChanged { to, .. } => match to {
                ConversationStatus::Open | ConversationStatus::Pending => {
                    self.idle.insert(
                        id,
                        Quiet {
                            since: event.at,
                            raised: Vec::new(),
                        },
                    );
                }
                _ => {
                    self.idle.remove(&id);
                }
            },
            _ => {}
        }
    }

    /// Plans and carries out the rules for one happening, then for what
    /// their actions caused, breadth first.
    async fn fire(
        &mut self,
        id: ConversationId,
        first: Firing,
        message: Option<TriggeringMessage>,
    ) {
        let rules = self.handle.rules();
        if rules.is_empty() {
            return;
        }
        let mut queue = VecDeque::from([(first, message)]);
        while let Some((firing, message)) = queue.pop_front() {
            // Its own writes come back through this queue: writing into a
            // full one would wait for this very worker (see
            // `DeskWrites::nearly_full`). The hourly cap bounds what one
            // happening writes well below the quarter kept free.
            if self.writes.nearly_full() {
                tracing::warn!(conversation = %id, "automation: behind on the desk's writes; rules skipped for this happening");
                return;
            }
            let conversation = match self.store.get_conversation(id).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, conversation = %id, "automation: conversation not read");
                    return;
                }
            };
            let now = self.now();
            let subject = match subject_of(
                self.store.as_ref(),
                &self.sla,
                &conversation,
                message,
                now,
            )
            .await
            {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, conversation = %id, "automation: subject not built");
                    return;
                }
            };
            let fired_last_hour = self.fired_last_hour(id, now);
            let planned = plan(&rules, &firing, &subject, &self.limits, fired_last_hour);
            let mut current = conversation;
            for fired in planned.fired {
                let Some(rule) = rules.iter().find(|r| r.id == fired.rule_id) else {
                    continue;
                };
                let mut done = Vec::new();
                for action in &fired.actions {
                    match self
                        .conversations
                        .perform(&current, &Actor::System, action)
                        .await
                    {
                        Ok(Some(appended)) => {
                            self.own.insert((id, appended.event.seq));
                            if let Some(next) = TriggerEvent::from_event(
                                &appended.event.actor,
                                &appended.event.kind,
                            ) {
                                queue.push_back((firing.follow_up(rule.id, next), None));
                            }
                            current = appended.conversation;
                            done.push(action.clone());
                        }
                        Ok(None) if matches!(action, Action::SendWebhook { .. }) => {
                            done.push(action.clone())
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, rule = %rule.id, action = action.name(), conversation = %id, "automation: action not carried out");
                        }
                    }
                }
                // A rule whose actions all found nothing to change (the
                // status already reached, the label already there) did
                // nothing worth a record.
                if !done.is_empty() {
                    self.record(rule, id, &done, now).await;
                }
            }
        }
    }

    fn fired_last_hour(&mut self, id: ConversationId, now: Timestamp) -> u32 {
        let times = self.recent.entry(id).or_default();
        while times.front().is_some_and(|t| now.0 - t.0 >= HOUR_MS) {
            times.pop_front();
        }
        u32::try_from(times.len()).unwrap_or(u32::MAX)
    }

    /// The `rule_fired` event and the audit entry of one firing.
    async fn record(&mut self, rule: &Rule, id: ConversationId, done: &[Action], now: Timestamp) {
        self.recent.entry(id).or_default().push_back(now);
        match self
            .conversations
            .record_firing(id, &Actor::System, ActedBy::Rule(rule.id), &rule.name, done)
            .await
        {
            Ok(appended) => {
                self.own.insert((id, appended.event.seq));
            }
            Err(e) => {
                tracing::warn!(error = %e, rule = %rule.id, "automation: firing not recorded")
            }
        }
        let detail = serde_json::json!({
            "rule_id": rule.id,
            "rule": rule.name,
            "actions": done.iter().map(|a| a.name()).collect::<Vec<_>>(),
        });
        if let Err(e) = audit::record(
            self.store.as_ref(),
            now,
            "system:automation".into(),
            AuditAction::AutomationFired,
            id.to_string(),
            detail,
        )
        .await
        {
            tracing::warn!(error = %e, "automation: firing not audited");
        }
        if self.own.len() > MAX_OWN {
            self.own.clear();
        }
    }

    /// Raises `idle` for every conversation quiet past a threshold.
    async fn raise_idle(&mut self) {
        let thresholds = idle_thresholds(&self.handle.rules());
        if thresholds.is_empty() {
            return;
        }
        let now = self.now();
        let mut due = Vec::new();
        for (id, quiet) in self.idle.iter_mut() {
            for &minutes in &thresholds {
                if now.0 - quiet.since.0 >= i64::from(minutes) * 60_000
                    && !quiet.raised.contains(&minutes)
                {
                    quiet.raised.push(minutes);
                    due.push((*id, minutes));
                }
            }
        }
        for (id, minutes) in due {
            self.fire(id, Firing::new(TriggerEvent::Idle { minutes }), None)
                .await;
        }
    }

    /// A new leader's quiet stretches: every open or pending conversation,
    /// quiet since its last update.
    async fn seed_quiet(&mut self) {
        self.idle.clear();
        let mut filter = ConversationFilter {
            statuses: vec![ConversationStatus::Open, ConversationStatus::Pending],
            limit: ConversationFilter::MAX_LIMIT,
            ..Default::default()
        };
        loop {
            let page = match self.store.list_conversations(&filter).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e, "automation: open conversations not read");
                    return;
                }
            };
            let Some(last) = page.last() else { return };
            filter.before = Some((last.updated_at, last.id));
            let full = page.len() as i64 == filter.effective_limit();
            for c in page {
                self.idle.insert(
                    c.id,
                    Quiet {
                        since: c.updated_at,
                        raised: Vec::new(),
                    },
                );
            }
            if !full {
                return;
            }
        }
    }
}

impl Worker for AutomationWorker {
    const NAME: &'static str = "automation";

    async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        self.reload().await;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut leading = self.leading.clone();
        let mut is_leading = *leading.borrow();
        if is_leading {
            self.seed_quiet().await;
        }
        loop {
            tokio::select! {
                heard = self.writes.recv() => match heard {
                    Some(Heard::Write(activity)) if is_leading => self.on_write(activity).await,
                    Some(_) => {}
                    None => return,
                },
                _ = tick.tick() => {
                    self.reload().await;
                    if is_leading {
                        self.raise_idle().await;
                    }
                }
                changed = leading.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now_leading = *leading.borrow();
                    if now_leading && !is_leading {
                        self.seed_quiet().await;
                    }
                    is_leading = now_leading;
                }
                () = stopped(&mut shutdown) => {
                    // What is already heard is carried out before stopping.
                    while let Some(Heard::Write(activity)) = self.writes.try_recv() {
                        if is_leading {
                            self.on_write(activity).await;
                        }
                    }
                    return;
                }
            }
        }
    }
}

/// Resolves once the shutdown signal is true (the guard `wait_for` returns
/// is not `Send`, so it must not live in the select's output).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
