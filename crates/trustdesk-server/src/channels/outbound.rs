//! The way out: public events of a channel conversation (an agent's
//! reply, the bot's answer, a notice for the customer, a shared file) go
//! to the customer on the conversation's channel, in order, each once.
//!
//! Each channel thread has a durable cursor (`channel_threads.delivered_seq`):
//! the worker reads the conversation's public events after it, sends the
//! deliverable ones through the channel's [`ChannelSender`] and moves the
//! cursor past each event it sent or skipped. A write report only says
//! "look at conversation X"; the store says what to send. So a send that
//! fails is retried from the cursor, and at start the worker resumes every
//! thread whose cursor is behind its conversation.
//!
//! Write reports are drained by their own loop that only marks the
//! conversation as due, so a slow mail server never holds up a writer.
//!
//! Only the leading node delivers (two nodes catching up one thread at
//! once would send a reply twice); it hears every node's writes, and
//! resumes the lagging threads when it starts to lead, when the bus
//! reports a loss and every few seconds. A node that loses the lead while
//! a send is in flight may still finish it: across a handover a reply can
//! go out twice, never not at all.

use crate::bus::{DeskWrites, Heard};
use crate::conversations::rating_link::RatingLinks;
use crate::conversations::{Activity, Conversations};
use crate::workers::Worker;
use async_trait::async_trait;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use trustdesk_core::event::{Actor, EventKind, SuggestedArticle, Visibility};
use trustdesk_core::{Channel, Conversation, ConversationId, Customer, Event};
use trustdesk_store::{Audience, ChannelMessage, ChannelThread, Direction, StoredAttachment};

/// What goes out, channel-neutral.
#[derive(Clone, Debug)]
pub enum Content {
    /// A person's reply.
    Reply { author: String, body: String },
    /// Something trustdesk wrote by itself (the bot's answer, a notice):
    /// marked as automatic on channels that can say so.
    Automatic {
        text: String,
        articles: Vec<SuggestedArticle>,
    },
    /// A file an agent shared.
    File {
        author: String,
        file: StoredAttachment,
    },
    /// A widget chat the customer left, continued by email: what was said,
    /// oldest first, with the replies they have not seen yet at the end.
    Transcript { lines: Vec<TranscriptLine> },
}

#[derive(Clone, Debug)]
pub struct TranscriptLine {
    /// "You", an agent's name, the bot.
    pub author: String,
    pub text: String,
    /// Written after the customer's last message (unseen by them).
    pub new: bool,
}

/// One event on its way to the customer.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub conversation: Conversation,
    pub customer: Customer,
    pub thread: ChannelThread,
    pub event: Event,
    pub content: Content,
    /// Shown in every official message when the customer set one.
    pub anti_phishing_code: Option<String>,
}

/// What the channel answered.
#[derive(Clone, Debug, Default)]
pub struct Sent {
    /// The message's id on the channel (an email Message-ID), recorded so
    /// a reply to it threads back.
    pub external_id: Option<String>,
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum SendFailure {
    /// Try again later (a connection failure, a rate limit).
    #[error("temporary: {reason}")]
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// It will never work (the address is refused): skipped, with a note
    /// for the agents.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// A store that cannot answer now is a reason to try again later.
impl From<trustdesk_store::StoreError> for SendFailure {
    fn from(err: trustdesk_store::StoreError) -> Self {
        SendFailure::Retry {
            reason: err.to_string(),
            after: None,
        }
    }
}

#[async_trait]
pub trait ChannelSender: Send + Sync + 'static {
    fn channel(&self) -> Channel;
    async fn send(&self, outgoing: &Outgoing) -> Result<Sent, SendFailure>;
}

/// Marks conversations as due for delivery; shared by the inbox, the
/// write reports and the retry timers.
#[derive(Clone, Default)]
pub struct ChannelsHandle {
    due: Arc<Mutex<Due>>,
    wake: Arc<Notify>,
}

#[derive(Default)]
struct Due {
    order: VecDeque<ConversationId>,
    queued: HashSet<ConversationId>,
    /// Widget conversations to continue by email on their next pass.
    continue_by_email: HashSet<ConversationId>,
    /// Whether a widget conversation was continued by email (has a
    /// thread), so its writes are delivered without a store read each.
    web_threads: HashMap<ConversationId, bool>,
}

impl ChannelsHandle {
    pub fn poke(&self, id: ConversationId) {
        if let Ok(mut due) = self.due.lock()
            && due.queued.insert(id)
        {
            due.order.push_back(id);
        }
        self.wake.notify_one();
    }

    /// Asks for the widget conversation to continue by email (the worker
    /// checks the customer has an address and did not answer meanwhile).
    pub fn continue_by_email(&self, id: ConversationId) {
        if let Ok(mut due) = self.due.lock() {
            due.continue_by_email.insert(id);
        }
        self.poke(id);
    }

    fn web_thread(&self, id: ConversationId) -> Option<bool> {
        self.due.lock().ok()?.web_threads.get(&id).copied()
    }

    fn set_web_thread(&self, id: ConversationId, threaded: Option<bool>) {
        if let Ok(mut due) = self.due.lock() {
            match threaded {
                Some(t) => {
                    due.web_threads.insert(id, t);
                }
                None => {
                    due.web_threads.remove(&id);
                }
            }
        }
    }

    /// Keeps the continuation asked for, for the retry (no poke now).
    fn continue_by_email_later(&self, id: ConversationId) {
        if let Ok(mut due) = self.due.lock() {
            due.continue_by_email.insert(id);
        }
    }

    fn take_continuation(&self, id: ConversationId) -> bool {
        self.due
            .lock()
            .map(|mut due| due.continue_by_email.remove(&id))
            .unwrap_or(false)
    }

    fn take(&self, skip: &HashSet<ConversationId>) -> Option<ConversationId> {
        let mut due = self.due.lock().ok()?;
        let position = due.order.iter().position(|id| !skip.contains(id))?;
        let id = due.order.remove(position)?;
        due.queued.remove(&id);
        Some(id)
    }
}

/// Conversations delivered at once (each conversation one at a time, in
/// order).
const PARALLEL: usize = 8;
/// Events read per pass over a conversation.
const PAGE: u32 = 100;

pub struct OutboundWorker {
    conversations: Conversations,
    senders: HashMap<Channel, Arc<dyn ChannelSender>>,
    handle: ChannelsHandle,
    activity: DeskWrites,
    leading: watch::Receiver<bool>,
    /// A widget chat whose agent reply the customer has not answered for
    /// this long continues by email (`None` = never).
    continue_after: Option<Duration>,
    /// A resolved conversation's customer gets a CSAT link (`None`: no
    /// `public_url`, no link).
    rating_links: Option<Arc<RatingLinks>>,
}

impl OutboundWorker {
    pub fn new(
        conversations: Conversations,
        senders: Vec<Arc<dyn ChannelSender>>,
        handle: ChannelsHandle,
        activity: DeskWrites,
        leading: watch::Receiver<bool>,
    ) -> Self {
        Self {
            conversations,
            senders: senders.into_iter().map(|s| (s.channel(), s)).collect(),
            handle,
            activity,
            leading,
            continue_after: None,
            rating_links: None,
        }
    }

    /// Sends a CSAT link when a conversation is resolved.
    pub fn with_rating_links(mut self, links: Option<Arc<RatingLinks>>) -> Self {
        self.rating_links = links;
        self
    }

    /// Widget chats left unanswered by the customer this long after an
    /// agent's reply continue by email (when email can be sent).
    pub fn continue_chats_by_email_after(mut self, after: Option<Duration>) -> Self {
        self.continue_after = after.filter(|_| self.senders.contains_key(&Channel::Email));
        self
    }
}

/// Widget chats waiting for the customer after an agent's reply. Kept in
/// memory: after a restart a waiting chat is simply not followed up by
/// email (its replies are still in the widget).
#[derive(Default)]
struct Waiting {
    since: HashMap<ConversationId, tokio::time::Instant>,
}

impl Waiting {
    fn hear(&mut self, report: &Activity) {
        for event in report.events.iter() {
            match (&event.actor, &event.kind) {
                (Actor::Agent { .. }, EventKind::Message { .. })
                    if event.visibility == Visibility::Public =>
                {
                    self.since
                        .entry(event.conversation_id)
                        .or_insert_with(tokio::time::Instant::now);
                }
                (Actor::Customer { .. }, _) => {
                    self.since.remove(&event.conversation_id);
                }
                _ => {}
            }
        }
    }

    /// The chats waiting longer than `after`, removed from the list.
    fn overdue(&mut self, after: Duration) -> Vec<ConversationId> {
        let now = tokio::time::Instant::now();
        let due: Vec<ConversationId> = self
            .since
            .iter()
            .filter(|(_, since)| now.duration_since(**since) >= after)
            .map(|(id, _)| *id)
            .collect();
        for id in &due {
            self.since.remove(id);
        }
        due
    }
}

impl Worker for OutboundWorker {
    const NAME: &'static str = "channel delivery";

    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let Self {
            conversations,
            senders,
            handle,
            mut activity,
            mut leading,
            continue_after,
            rating_links,
        } = self;
        let spans_nodes = activity.spans_nodes();
        let mut resume = tokio::time::interval(RESUME_EVERY);
        resume.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut is_leading = *leading.borrow();
        let mut leader_alive = true;
        let mut waiting = Waiting::default();
        let mut sweep =
            tokio::time::interval(continue_after.map_or(Duration::from_secs(3600), |a| {
                (a / 4).max(Duration::from_millis(200))
            }));
        let senders = Arc::new(senders);
        if is_leading {
            resume_lagging(&conversations, &handle).await;
        }
        let retries = Arc::new(Mutex::new(HashMap::<ConversationId, u32>::new()));
        let mut running: JoinSet<ConversationId> = JoinSet::new();
        let mut busy: HashSet<ConversationId> = HashSet::new();
        loop {
            while is_leading && running.len() < PARALLEL {
                let Some(id) = handle.take(&busy) else { break };
                busy.insert(id);
                let job = Delivery {
                    conversations: conversations.clone(),
                    senders: senders.clone(),
                    handle: handle.clone(),
                    retries: retries.clone(),
                    rating_links: rating_links.clone(),
                };
                running.spawn(async move {
                    job.deliver(id).await;
                    id
                });
            }
            tokio::select! {
                report = activity.recv() => match report {
                    Some(_) if !is_leading => {}
                    Some(Heard::Missed) => resume_lagging(&conversations, &handle).await,
                    Some(Heard::Write(report)) if report.conversation.channel != Channel::Web => {
                        handle.poke(report.conversation.id);
                    }
                    // Only a chat continued by email has a thread (and only
                    // when email can be sent): its replies go out too.
                    Some(Heard::Write(report)) if continue_after.is_some() => {
                        waiting.hear(&report);
                        let id = report.conversation.id;
                        if report.conversation.status == trustdesk_core::ConversationStatus::Closed {
                            handle.set_web_thread(id, None);
                            continue;
                        }
                        let threaded = match handle.web_thread(id) {
                            Some(known) => known,
                            None => {
                                let found = conversations.store().channel_thread(id).await;
                                let threaded = found.is_ok_and(|t| t.is_some());
                                handle.set_web_thread(id, Some(threaded));
                                threaded
                            }
                        };
                        if threaded {
                            handle.poke(id);
                        }
                    }
                    Some(_) => {}
                    None => break,
                },
                _ = resume.tick(), if spans_nodes && is_leading => {
                    resume_lagging(&conversations, &handle).await;
                }
                led = leading.changed(), if leader_alive => {
                    leader_alive = led.is_ok();
                    let now_leading = leader_alive && *leading.borrow();
                    if now_leading && !is_leading {
                        resume_lagging(&conversations, &handle).await;
                    }
                    is_leading = now_leading;
                }
                _ = sweep.tick(), if continue_after.is_some() => {
                    for id in waiting.overdue(continue_after.unwrap_or_default()) {
                        handle.continue_by_email(id);
                    }
                }
                Some(done) = running.join_next(), if !running.is_empty() => {
                    if let Ok(id) = done {
                        busy.remove(&id);
                    }
                }
                _ = handle.wake.notified() => {}
                _ = shutdown.changed() => {
                    if *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
        // What is in flight finishes; what is not yet sent stays behind
        // its cursor for the next start.
        while running.join_next().await.is_some() {}
    }
}

/// How often a node of several, while leading, looks for threads behind
/// their conversation (a write the bus lost).
const RESUME_EVERY: Duration = Duration::from_secs(5);

/// Marks every thread whose cursor is behind its conversation as due.
async fn resume_lagging(conversations: &Conversations, handle: &ChannelsHandle) {
    match conversations.store().lagging_channel_threads().await {
        Ok(threads) => threads.iter().for_each(|t| handle.poke(t.conversation_id)),
        Err(err) => tracing::error!(error = %err, "cannot read the channel threads to resume"),
    }
}

struct Delivery {
    conversations: Conversations,
    senders: Arc<HashMap<Channel, Arc<dyn ChannelSender>>>,
    handle: ChannelsHandle,
    retries: Arc<Mutex<HashMap<ConversationId, u32>>>,
    rating_links: Option<Arc<RatingLinks>>,
}

impl Delivery {
    async fn deliver(&self, id: ConversationId) {
        match self.pass(id).await {
            Ok(Progress::Done) => {
                if let Ok(mut r) = self.retries.lock() {
                    r.remove(&id);
                }
            }
            Ok(Progress::More) => self.handle.poke(id),
            Ok(Progress::RetryLater(after)) => self.retry_later(id, after),
            Err(err) => {
                tracing::warn!(error = %err, "channel delivery failed; retrying");
                self.retry_later(id, None);
            }
        }
    }

    fn retry_later(&self, id: ConversationId, after: Option<Duration>) {
        let attempt = self
            .retries
            .lock()
            .map(|mut r| {
                let n = r.entry(id).or_insert(0);
                *n += 1;
                *n
            })
            .unwrap_or(1);
        let delay = after.unwrap_or_else(|| backoff(attempt));
        let handle = self.handle.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            handle.poke(id);
        });
    }

    async fn pass(&self, id: ConversationId) -> Result<Progress, trustdesk_store::StoreError> {
        let store = self.conversations.store();
        let Some(thread) = store.channel_thread(id).await? else {
            if self.handle.take_continuation(id) {
                return self.continue_by_email(id).await;
            }
            return Ok(Progress::Done);
        };
        let Some(sender) = self.senders.get(&thread.channel) else {
            // The channel is not configured on this server: the cursor
            // stays, so turning it on delivers what waited.
            return Ok(Progress::Done);
        };
        // The row first: every public event up to its head is in the page
        // read after it (unless the page is full), so the cursor can move
        // past the internal events at the end too.
        let conversation = store.get_conversation(id).await?;
        let events = store
            .events(id, thread.delivered_seq, Audience::Customer, PAGE)
            .await?;
        let complete = (events.len() as u32) < PAGE;
        if events.is_empty() {
            if complete && conversation.last_seq > thread.delivered_seq {
                store
                    .advance_channel_thread(
                        id,
                        conversation.last_seq,
                        self.conversations.clock().now(),
                    )
                    .await?;
            }
            return Ok(Progress::Done);
        }
        let customer = store.get_customer(conversation.customer_id).await?;
        let code = store.anti_phishing_code(customer.id).await?;
        let now = || self.conversations.clock().now();
        let mut skipped_to = None;
        for event in &events {
            let invitation = self.rating_links.as_deref().map(|links| {
                links.invitation(
                    id,
                    conversation
                        .language
                        .unwrap_or(trustdesk_core::Language::En),
                    now(),
                )
            });
            let Some(content) = content_of(event, store.as_ref(), invitation).await? else {
                skipped_to = Some(event.seq);
                continue;
            };
            let outgoing = Outgoing {
                conversation: conversation.clone(),
                customer: customer.clone(),
                thread: thread.clone(),
                event: event.clone(),
                content,
                anti_phishing_code: code.clone(),
            };
            match sender.send(&outgoing).await {
                Ok(sent) => {
                    if let Some(external_id) = sent.external_id {
                        store
                            .record_channel_message(&ChannelMessage {
                                channel: thread.channel,
                                external_id,
                                conversation_id: Some(id),
                                direction: Direction::Outbound,
                                at: now(),
                            })
                            .await?;
                    }
                    store.advance_channel_thread(id, event.seq, now()).await?;
                    skipped_to = None;
                }
                Err(SendFailure::Retry { reason, after }) => {
                    tracing::warn!(channel = thread.channel.as_str(), %reason, "send failed; will retry");
                    if let Some(seq) = skipped_to {
                        store.advance_channel_thread(id, seq, now()).await?;
                    }
                    return Ok(Progress::RetryLater(after));
                }
                Err(SendFailure::Permanent(reason)) => {
                    tracing::warn!(channel = thread.channel.as_str(), %reason, "send refused; skipped");
                    let note = format!(
                        "This message could not be delivered by {}: {reason}",
                        thread.channel.as_str()
                    );
                    self.conversations
                        .system_event(id, EventKind::Note { body: note })
                        .await
                        .map_err(|e| trustdesk_store::StoreError::Internal(e.to_string()))?;
                    store.advance_channel_thread(id, event.seq, now()).await?;
                    skipped_to = None;
                }
            }
        }
        let head = if complete {
            Some(conversation.last_seq)
        } else {
            skipped_to
        };
        if let Some(seq) = head.max(skipped_to) {
            store.advance_channel_thread(id, seq, now()).await?;
        }
        Ok(if complete {
            Progress::Done
        } else {
            Progress::More
        })
    }
}

impl Delivery {
    /// Sends a left widget chat's transcript by email, with the replies the
    /// customer has not answered, and binds the conversation to the
    /// customer's address so what follows goes by email too. Only for a
    /// verified customer (the exchange vouched for the address: a typed-in
    /// address could send someone else a stranger's chat) who has not
    /// written since.
    async fn continue_by_email(
        &self,
        id: ConversationId,
    ) -> Result<Progress, trustdesk_store::StoreError> {
        let store = self.conversations.store();
        let Some(sender) = self.senders.get(&Channel::Email) else {
            return Ok(Progress::Done);
        };
        let conversation = store.get_conversation(id).await?;
        let customer = store.get_customer(conversation.customer_id).await?;
        let address = customer
            .email
            .as_deref()
            .and_then(trustdesk_core::channel::email::normalise_address);
        let (true, Some(address), false) = (
            customer.is_verified(),
            address,
            conversation.status == trustdesk_core::ConversationStatus::Closed,
        ) else {
            return Ok(Progress::Done);
        };
        let events = store.events(id, 0, Audience::Customer, 500).await?;
        let last_customer = events.iter().rposition(|e| {
            matches!(e.actor, Actor::Customer { .. }) && matches!(e.kind, EventKind::Message { .. })
        });
        let lines: Vec<TranscriptLine> = events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let text = match &e.kind {
                    EventKind::Message { body } => body.as_str().to_owned(),
                    EventKind::BotReply { text, .. } => text.clone(),
                    _ => return None,
                };
                let author = match &e.actor {
                    Actor::Customer { .. } => "You".to_owned(),
                    Actor::Agent { name, .. } => name.clone(),
                    Actor::Bot => "Bot".to_owned(),
                    Actor::System => return None,
                };
                Some(TranscriptLine {
                    author,
                    text,
                    new: last_customer.is_none_or(|c| i > c),
                })
            })
            .collect();
        if !lines.last().is_some_and(|l| l.new && l.author != "You") {
            // The customer wrote last: nothing waits for them.
            return Ok(Progress::Done);
        }
        let Some(last) = events.last() else {
            return Ok(Progress::Done);
        };
        let thread = ChannelThread {
            conversation_id: id,
            channel: Channel::Email,
            address,
            delivered_seq: last.seq,
            updated_at: self.conversations.clock().now(),
        };
        let outgoing = Outgoing {
            anti_phishing_code: store.anti_phishing_code(customer.id).await?,
            conversation,
            customer,
            thread: thread.clone(),
            event: last.clone(),
            content: Content::Transcript { lines },
        };
        // Her mail reply must be hers: the address joins her identities
        // (unless it already belongs to someone, whose reply then opens a
        // linked conversation instead).
        store
            .add_channel_identity(&trustdesk_store::ChannelIdentity {
                channel: Channel::Email,
                address: thread.address.clone(),
                customer_id: outgoing.customer.id,
                display_name: outgoing.customer.name.clone(),
                created_at: thread.updated_at,
            })
            .await?;
        match sender.send(&outgoing).await {
            Ok(sent) => {
                store.bind_channel_thread(&thread).await?;
                self.handle.set_web_thread(id, Some(true));
                if let Some(external_id) = sent.external_id {
                    store
                        .record_channel_message(&ChannelMessage {
                            channel: Channel::Email,
                            external_id,
                            conversation_id: Some(id),
                            direction: Direction::Outbound,
                            at: self.conversations.clock().now(),
                        })
                        .await?;
                }
                Ok(Progress::Done)
            }
            Err(SendFailure::Retry { after, .. }) => {
                self.handle.continue_by_email_later(id);
                Ok(Progress::RetryLater(after))
            }
            Err(SendFailure::Permanent(reason)) => {
                tracing::info!(%reason, "the chat could not continue by email");
                Ok(Progress::Done)
            }
        }
    }
}

enum Progress {
    Done,
    More,
    RetryLater(Option<Duration>),
}

/// 2 s, 4 s, 8 s … up to 10 minutes.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempt.min(10)).min(600))
}

/// What of this public event goes to the customer: people's replies, the
/// bot's answers and notices meant for the customer, and files shared by
/// the team. The customer's own messages and everything else stay.
async fn content_of(
    event: &Event,
    store: &dyn trustdesk_store::Store,
    rating_invitation: Option<String>,
) -> Result<Option<Content>, trustdesk_store::StoreError> {
    if event.visibility != Visibility::Public {
        return Ok(None);
    }
    let author = match &event.actor {
        Actor::Agent { name, .. } => Some(name.clone()),
        Actor::Customer { .. } => return Ok(None),
        _ => None,
    };
    Ok(match (&event.kind, author) {
        (EventKind::Message { body }, Some(author)) => Some(Content::Reply {
            author,
            body: body.as_str().to_owned(),
        }),
        (EventKind::BotReply { text, articles, .. }, _) => Some(Content::Automatic {
            text: text.clone(),
            articles: articles.clone(),
        }),
        (EventKind::SystemNotice { text, audience, .. }, _) if *audience == Visibility::Public => {
            Some(Content::Automatic {
                text: text.clone(),
                articles: Vec::new(),
            })
        }
        // Resolved: the customer may rate it through the CSAT link.
        (
            EventKind::StatusChanged {
                to: trustdesk_core::ConversationStatus::Resolved,
                ..
            },
            _,
        ) => rating_invitation.map(|text| Content::Automatic {
            text,
            articles: Vec::new(),
        }),
        (EventKind::Attachment { file }, Some(author)) => Some(Content::File {
            author,
            file: store.get_attachment(file.id).await?,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops_at_ten_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert!(backoff(3) > backoff(2));
        assert_eq!(backoff(40), Duration::from_secs(600));
    }

    #[test]
    fn a_conversation_is_due_once_and_busy_ones_wait() {
        let handle = ChannelsHandle::default();
        let (a, b) = (ConversationId::new(), ConversationId::new());
        handle.poke(a);
        handle.poke(a);
        handle.poke(b);
        let busy = HashSet::from([a]);
        assert_eq!(handle.take(&busy), Some(b));
        assert_eq!(handle.take(&busy), None);
        assert_eq!(handle.take(&HashSet::new()), Some(a));
        assert_eq!(handle.take(&HashSet::new()), None);
    }
}
