//! The local fan-out hub: one broadcast channel per topic with live
//! subscribers. A channel is created on the first subscription and removed
//! when its last subscription is dropped, so idle conversations cost
//! nothing.

use super::{BusMessage, Topic};
use dashmap::DashMap;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Buffered messages per topic before a subscriber that does not keep up
/// is told it lagged (and is cut off as a slow consumer; it resumes with
/// `since`). The buffer is allocated whole when the topic is created, so
/// a conversation's topic (one per followed conversation, a few events a
/// second at most) keeps a small one; the inbox and control topics carry
/// every node-wide change and keep a large one.
const CONVERSATION_TOPIC_CAPACITY: usize = 64;
const SHARED_TOPIC_CAPACITY: usize = 4096;

fn capacity(topic: Topic) -> usize {
    match topic {
        Topic::Conversation(_) | Topic::Routing => CONVERSATION_TOPIC_CAPACITY,
        Topic::Inbox | Topic::Control => SHARED_TOPIC_CAPACITY,
    }
}

#[derive(Clone, Default)]
pub struct Hub {
    topics: Arc<DashMap<Topic, broadcast::Sender<Arc<BusMessage>>>>,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// Delivers to this node's subscribers; a topic nobody listens to costs
    /// one map lookup.
    pub fn deliver(&self, topic: Topic, message: Arc<BusMessage>) {
        if let Some(sender) = self.topics.get(&topic) {
            let _ = sender.send(message);
        }
    }

    pub fn subscribe(&self, topic: Topic) -> Subscription {
        let receiver = self
            .topics
            .entry(topic)
            .or_insert_with(|| broadcast::channel(capacity(topic)).0)
            .subscribe();
        Subscription {
            topic,
            receiver: Some(receiver),
            hub: self.clone(),
        }
    }

    /// Topics with at least one subscriber on this node.
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    fn release(&self, topic: Topic) {
        self.topics
            .remove_if(&topic, |_, sender| sender.receiver_count() == 0);
    }
}

/// A live subscription; dropping it unsubscribes.
pub struct Subscription {
    topic: Topic,
    receiver: Option<broadcast::Receiver<Arc<BusMessage>>>,
    hub: Hub,
}

impl Subscription {
    pub fn topic(&self) -> Topic {
        self.topic
    }

    /// The receiving end, for `select!` loops.
    pub fn receiver(&mut self) -> &mut broadcast::Receiver<Arc<BusMessage>> {
        self.receiver.as_mut().expect("present until drop")
    }

    /// The subscription as a stream; the topic is released when the stream
    /// is dropped.
    pub fn into_stream(mut self) -> SubscriptionStream {
        let receiver = self.receiver.take().expect("present until drop");
        SubscriptionStream {
            inner: tokio_stream::wrappers::BroadcastStream::new(receiver),
            _release: Release {
                topic: self.topic,
                hub: self.hub.clone(),
            },
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(receiver) = self.receiver.take() {
            drop(receiver);
            self.hub.release(self.topic);
        }
    }
}

/// A subscription as a `Stream` of its messages.
pub struct SubscriptionStream {
    // Dropped before `_release`, so the release sees the receiver gone.
    inner: tokio_stream::wrappers::BroadcastStream<Arc<BusMessage>>,
    _release: Release,
}

struct Release {
    topic: Topic,
    hub: Hub,
}

impl Drop for Release {
    fn drop(&mut self) {
        self.hub.release(self.topic);
    }
}

impl futures_util::Stream for SubscriptionStream {
    type Item = Result<Arc<BusMessage>, tokio_stream::wrappers::errors::BroadcastStreamRecvError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.inner).poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustdesk_core::ConversationId;

    fn msg() -> Arc<BusMessage> {
        Arc::new(BusMessage::SessionsRevoked(Arc::from(vec![])))
    }

    #[tokio::test]
    async fn delivers_to_subscribers_and_forgets_idle_topics() {
        let hub = Hub::new();
        let topic = Topic::Conversation(ConversationId::new());
        hub.deliver(topic, msg());
        assert_eq!(hub.topic_count(), 0, "no subscriber, no channel");
        let mut a = hub.subscribe(topic);
        let mut b = hub.subscribe(topic);
        hub.deliver(topic, msg());
        assert!(a.receiver().recv().await.is_ok());
        assert!(b.receiver().recv().await.is_ok());
        drop(a);
        assert_eq!(hub.topic_count(), 1, "b still listens");
        drop(b);
        assert_eq!(hub.topic_count(), 0, "last subscriber gone, channel gone");
    }

    #[tokio::test]
    async fn a_dropped_stream_releases_its_topic() {
        let hub = Hub::new();
        let topic = Topic::Conversation(ConversationId::new());
        let stream = hub.subscribe(topic).into_stream();
        assert_eq!(hub.topic_count(), 1, "the stream keeps the topic");
        drop(stream);
        assert_eq!(hub.topic_count(), 0, "last stream gone, channel gone");
    }

    #[tokio::test]
    async fn other_topics_are_not_delivered() {
        let hub = Hub::new();
        let mut a = hub.subscribe(Topic::Conversation(ConversationId::new()));
        hub.deliver(Topic::Conversation(ConversationId::new()), msg());
        assert!(a.receiver().try_recv().is_err());
    }
}
