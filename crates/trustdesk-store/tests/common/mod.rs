//! What several store tests set up the same way.

use trustdesk_core::*;
use trustdesk_store::*;

/// A new customer with an open web conversation (no events yet).
pub async fn conversation(store: &dyn Store) -> (ConversationId, CustomerId) {
    let customer = Customer {
        id: CustomerId::new(),
        external_id: None,
        name: None,
        email: None,
        locale: None,
        created_at: Timestamp(1_000),
    };
    store.create_customer(&customer).await.unwrap();
    let id = ConversationId::new();
    store
        .create_conversation(
            &NewConversation {
                id,
                customer_id: customer.id,
                channel: Channel::Web,
                subject: None,
                language: Some(Language::En),
                priority: Priority::Normal,
                origin_client_id: None,
                at: Timestamp(1_000),
            },
            Vec::new(),
        )
        .await
        .unwrap();
    (id, customer.id)
}
