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

use crate::conversations::{Activity, Conversations};
use crate::workers::Worker;
use async_trait::async_trait;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};
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
    activity: mpsc::Receiver<Activity>,
}

impl OutboundWorker {
    pub fn new(
        conversations: Conversations,
        senders: Vec<Arc<dyn ChannelSender>>,
        handle: ChannelsHandle,
        activity: mpsc::Receiver<Activity>,
    ) -> Self {
        Self {
            conversations,
            senders: senders.into_iter().map(|s| (s.channel(), s)).collect(),
            handle,
            activity,
        }
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
        } = self;
        let senders = Arc::new(senders);
        match conversations.store().lagging_channel_threads().await {
            Ok(threads) => threads.iter().for_each(|t| handle.poke(t.conversation_id)),
            Err(err) => tracing::error!(error = %err, "cannot read the channel threads to resume"),
        }
        let retries = Arc::new(Mutex::new(HashMap::<ConversationId, u32>::new()));
        let mut running: JoinSet<ConversationId> = JoinSet::new();
        let mut busy: HashSet<ConversationId> = HashSet::new();
        loop {
            while running.len() < PARALLEL {
                let Some(id) = handle.take(&busy) else { break };
                busy.insert(id);
                let job = Delivery {
                    conversations: conversations.clone(),
                    senders: senders.clone(),
                    handle: handle.clone(),
                    retries: retries.clone(),
                };
                running.spawn(async move {
                    job.deliver(id).await;
                    id
                });
            }
            tokio::select! {
                report = activity.recv() => match report {
                    Some(report) if report.conversation.channel != Channel::Web => {
                        handle.poke(report.conversation.id);
                    }
                    Some(_) => {}
                    None => break,
                },
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

struct Delivery {
    conversations: Conversations,
    senders: Arc<HashMap<Channel, Arc<dyn ChannelSender>>>,
    handle: ChannelsHandle,
    retries: Arc<Mutex<HashMap<ConversationId, u32>>>,
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
            return Ok(Progress::Done);
        };
        let Some(sender) = self.senders.get(&thread.channel) else {
            // The channel is not configured on this server: the cursor
            // stays, so turning it on delivers what waited.
            return Ok(Progress::Done);
        };
        let events = store
            .events(id, thread.delivered_seq, Audience::Customer, PAGE)
            .await?;
        if events.is_empty() {
            return Ok(Progress::Done);
        }
        let conversation = store.get_conversation(id).await?;
        let customer = store.get_customer(conversation.customer_id).await?;
        let code = store.anti_phishing_code(customer.id).await?;
        let now = || self.conversations.clock().now();
        let mut skipped_to = None;
        for event in &events {
            let Some(content) = content_of(event, store.as_ref()).await? else {
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
        if let Some(seq) = skipped_to {
            store.advance_channel_thread(id, seq, now()).await?;
        }
        Ok(if events.len() as u32 == PAGE {
            Progress::More
        } else {
            Progress::Done
        })
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
