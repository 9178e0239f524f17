//! The conversations one connection follows, merged into one stream.
//!
//! An agent may follow hundreds of conversations. A `StreamMap` polls every
//! stream it holds each time the connection wakes (hundreds of lock and
//! waker registrations per message); `SelectAll` polls only the streams
//! that were woken. Unsubscribing resolves the stream's cancel signal, so
//! the stream ends at once and its bus topic is released.

use crate::bus::BusMessage;
use futures_util::stream::{BoxStream, SelectAll, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use trustdesk_core::ConversationId;

pub type BusStream = crate::bus::SubscriptionStream;
pub type Item = Result<Arc<BusMessage>, BroadcastStreamRecvError>;

#[derive(Default)]
pub struct Subscriptions {
    streams: SelectAll<BoxStream<'static, (ConversationId, Item)>>,
    /// Dropping a conversation's sender ends its stream.
    cancels: HashMap<ConversationId, oneshot::Sender<()>>,
}

impl Subscriptions {
    /// Follows `id` through `stream`, replacing an earlier stream for it.
    pub fn insert(&mut self, id: ConversationId, stream: BusStream) {
        self.remove(&id);
        let (cancel, cancelled) = oneshot::channel::<()>();
        self.streams.push(
            stream
                .take_until(cancelled)
                .map(move |item| (id, item))
                .boxed(),
        );
        self.cancels.insert(id, cancel);
    }

    /// Stops following `id`; false if it was not followed.
    pub fn remove(&mut self, id: &ConversationId) -> bool {
        self.cancels.remove(id).is_some()
    }

    pub fn contains_key(&self, id: &ConversationId) -> bool {
        self.cancels.contains_key(id)
    }

    pub fn len(&self) -> usize {
        self.cancels.len()
    }

    /// The next message on any followed conversation; `None` when none is
    /// followed (`SelectAll` says so at once; a `select!` branch then waits
    /// on the others).
    pub async fn next(&mut self) -> Option<(ConversationId, Item)> {
        self.streams.next().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{Hub, Topic};

    fn message() -> Arc<BusMessage> {
        Arc::new(BusMessage::SessionsRevoked(Arc::from(vec![])))
    }

    #[tokio::test]
    async fn delivers_from_every_followed_conversation_and_stops_after_remove() {
        let hub = Hub::new();
        let (a, b) = (ConversationId::new(), ConversationId::new());
        let mut subs = Subscriptions::default();
        subs.insert(a, hub.subscribe(Topic::Conversation(a)).into_stream());
        subs.insert(b, hub.subscribe(Topic::Conversation(b)).into_stream());
        assert_eq!(subs.len(), 2);
        hub.deliver(Topic::Conversation(b), message());
        let (from, item) = subs.next().await.expect("a message");
        assert_eq!(from, b);
        assert!(item.is_ok());

        assert!(subs.remove(&b));
        assert!(!subs.contains_key(&b));
        hub.deliver(Topic::Conversation(b), message());
        hub.deliver(Topic::Conversation(a), message());
        let (from, _) = subs.next().await.expect("a message");
        assert_eq!(from, a, "nothing from a conversation no longer followed");
        // The ended stream released its topic: only `a` is left on the hub.
        tokio::task::yield_now().await;
        assert_eq!(hub.topic_count(), 1);
    }
}
