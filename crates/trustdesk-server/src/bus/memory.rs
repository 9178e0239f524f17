//! The single-node bus: publishing is delivering to the local hub.

use super::{Bus, BusMessage, Hub, Subscription, Topic};
use async_trait::async_trait;
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct MemoryBus {
    hub: Hub,
}

impl MemoryBus {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Bus for MemoryBus {
    async fn publish(&self, topic: Topic, message: BusMessage) {
        self.hub.deliver(topic, Arc::new(message));
    }

    fn deliver_local(&self, topic: Topic, message: BusMessage) {
        self.hub.deliver(topic, Arc::new(message));
    }

    async fn subscribe(&self, topic: Topic) -> Subscription {
        self.hub.subscribe(topic)
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}
