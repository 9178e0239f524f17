//! The store story: one walk through everything the server relies on,
//! run against SQLite always and against PostgreSQL when
//! TRUSTDESK_TEST_POSTGRES_URL is set (a fresh database per run).

use std::sync::Arc;
use trustdesk_core::event::{Actor, EventKind};
use trustdesk_core::guard::GuardedText;
use trustdesk_core::timer::TimerKind;
use trustdesk_core::*;
use trustdesk_store::*;

fn agent(email: &str, name: &str) -> Agent {
    Agent {
        id: AgentId::new(),
        email: email.into(),
        display_name: name.into(),
        role: Role::Agent,
        status: AgentStatus::Active,
        languages: vec![Language::En, Language::Zh],
        team_id: None,
        badge: format!("TD-{}", &AgentId::new().to_string()[..8]),
        created_at: Timestamp(1_000),
    }
}

fn message(
    conversation: ConversationId,
    actor: Actor,
    body: &str,
    client: Option<&str>,
) -> NewEvent {
    NewEvent {
        conversation_id: conversation,
        actor,
        kind: EventKind::Message {
            body: GuardedText::new(body),
        },
        client_msg_id: client.map(str::to_owned),
        at: Timestamp::now(),
    }
}

async fn story(store: Arc<dyn Store>) {
    // Teams and agents.
    let team = Team {
        id: TeamId::new(),
        name: "Security".into(),
        created_at: Timestamp(1),
    };
    store.create_team(&team).await.unwrap();
    let mut alice = agent("Alice@Example.com", "Alice");
    alice.team_id = Some(team.id);
    store.create_agent(&alice, "hash-a").await.unwrap();
    let dup = agent("alice@example.com", "Other Alice");
    assert!(matches!(
        store.create_agent(&dup, "h").await,
        Err(StoreError::Conflict(_))
    ));
    let (found, hash) = store
        .agent_credentials("  ALICE@example.COM ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, alice.id);
    assert_eq!(found.team_id, Some(team.id));
    assert_eq!(found.languages, vec![Language::En, Language::Zh]);
    assert_eq!(hash, "hash-a");
    assert!(
        store
            .agent_credentials("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.get_agent(AgentId::new()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_teams().await.unwrap(), vec![team.clone()]);

    // Customers: anonymous, and verified ones found again by external id.
    let anon = Customer {
        id: CustomerId::new(),
        external_id: None,
        name: None,
        email: None,
        locale: Some(Language::Zh),
        created_at: Timestamp(5),
    };
    store.create_customer(&anon).await.unwrap();
    assert_eq!(store.get_customer(anon.id).await.unwrap(), anon);
    // Each exchange proof changes the anti-phishing code once: a replay of
    // it, or an older one, changes nothing.
    assert!(
        store
            .set_anti_phishing_code(anon.id, "BLUEFOX7", Timestamp(6), 1_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_anti_phishing_code(anon.id, "EVIL1234", Timestamp(7), 1_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_anti_phishing_code(anon.id, "EVIL1234", Timestamp(7), 999)
            .await
            .unwrap()
    );
    assert_eq!(
        store.anti_phishing_code(anon.id).await.unwrap().as_deref(),
        Some("BLUEFOX7")
    );
    assert!(
        store
            .set_anti_phishing_code(anon.id, "GREENOWL8", Timestamp(8), 1_001)
            .await
            .unwrap()
    );
    assert_eq!(
        store.anti_phishing_code(anon.id).await.unwrap().as_deref(),
        Some("GREENOWL8")
    );
    let profile = VerifiedProfile {
        external_id: "user-42".into(),
        name: Some(GuardedText::new("Wang")),
        email: None,
        locale: None,
        at: Timestamp(6),
    };
    let first = store.upsert_verified_customer(&profile).await.unwrap();
    let again = store
        .upsert_verified_customer(&VerifiedProfile {
            name: None,
            email: Some(GuardedText::new("w@x.io")),
            ..profile.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        first.id, again.id,
        "the same external id is the same customer"
    );
    assert_eq!(
        again.name.as_deref(),
        Some("Wang"),
        "a missing field keeps the old value"
    );
    assert_eq!(again.email.as_deref(), Some("w@x.io"));
    assert!(again.is_verified());

    // Sessions: looked up by token hash; revocation keeps the current one.
    let now = Timestamp::now();
    let mut sessions = Vec::new();
    for i in 0..3u8 {
        let s = Session {
            id: SessionId::new(),
            token_hash: vec![i; 32],
            principal: Principal::Agent(alice.id),
            created_at: now,
            expires_at: now.plus_millis(60_000),
            revoked_at: None,
            api_token: (i == 2).then(|| ApiTokenInfo {
                name: "backend".into(),
                scopes: vec!["conversations:read".into()],
            }),
            pending: (i == 1).then_some(Pending::Enrolment),
        };
        store.create_session(&s).await.unwrap();
        sessions.push(s);
    }
    let got = store
        .session_by_token_hash(&[1u8; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, sessions[1]);
    assert!(got.is_live(now));
    let tokens = store.list_api_tokens(alice.id).await.unwrap();
    assert_eq!(
        tokens,
        vec![sessions[2].clone()],
        "only the named one is a token"
    );
    assert_eq!(
        store.get_session(sessions[2].id).await.unwrap(),
        sessions[2]
    );

    // Second factor: one pending secret, confirmed once; each step and each
    // recovery code is accepted once only.
    assert!(store.get_totp(alice.id).await.unwrap().is_none());
    store
        .begin_totp(alice.id, "SECRETA".into(), now)
        .await
        .unwrap();
    store
        .begin_totp(alice.id, "SECRETB".into(), now)
        .await
        .unwrap();
    let pending = store.get_totp(alice.id).await.unwrap().unwrap();
    assert_eq!(
        pending.secret, "SECRETB",
        "a new enrolment replaces a pending one"
    );
    assert!(pending.confirmed_at.is_none());
    assert!(
        !store.consume_totp_step(alice.id, 5).await.unwrap(),
        "not confirmed yet"
    );
    store
        .confirm_totp(alice.id, 100, vec![vec![7; 32], vec![8; 32]], now)
        .await
        .unwrap();
    assert!(matches!(
        store.begin_totp(alice.id, "SECRETC".into(), now).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        !store.consume_totp_step(alice.id, 100).await.unwrap(),
        "the confirming code is used"
    );
    assert!(store.consume_totp_step(alice.id, 101).await.unwrap());
    assert!(
        !store.consume_totp_step(alice.id, 101).await.unwrap(),
        "replay"
    );
    assert!(
        !store.consume_totp_step(alice.id, 99).await.unwrap(),
        "older step"
    );
    assert_eq!(
        store.get_totp(alice.id).await.unwrap().unwrap().last_step,
        101
    );
    assert!(
        store
            .consume_recovery_code(alice.id, vec![7; 32], now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .consume_recovery_code(alice.id, vec![7; 32], now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .consume_recovery_code(alice.id, vec![9; 32], now)
            .await
            .unwrap()
    );
    assert_eq!(store.recovery_codes_left(alice.id).await.unwrap(), 1);
    store.reset_totp(alice.id).await.unwrap();
    assert!(store.get_totp(alice.id).await.unwrap().is_none());
    assert_eq!(store.recovery_codes_left(alice.id).await.unwrap(), 0);

    store
        .set_agent_role(alice.id, Role::Supervisor)
        .await
        .unwrap();
    store
        .set_agent_status(alice.id, AgentStatus::Deactivated)
        .await
        .unwrap();
    let changed = store.get_agent(alice.id).await.unwrap();
    assert_eq!(
        (changed.role, changed.status),
        (Role::Supervisor, AgentStatus::Deactivated)
    );
    store
        .set_agent_status(alice.id, AgentStatus::Active)
        .await
        .unwrap();
    store.set_agent_role(alice.id, Role::Agent).await.unwrap();
    store
        .set_agent_password(alice.id, "h2".into())
        .await
        .unwrap();
    assert!(matches!(
        store.set_agent_password(AgentId::new(), "h".into()).await,
        Err(StoreError::NotFound)
    ));

    let revoked = store
        .revoke_agent_sessions(alice.id, Some(sessions[0].id), now)
        .await
        .unwrap();
    assert_eq!(revoked.len(), 2);
    assert!(!revoked.contains(&sessions[0].id));
    let s1 = store
        .session_by_token_hash(&[1u8; 32])
        .await
        .unwrap()
        .unwrap();
    assert!(!s1.is_live(now), "revoked session is dead");
    assert!(
        store
            .session_by_token_hash(&[0u8; 32])
            .await
            .unwrap()
            .unwrap()
            .is_live(now)
    );
    store.revoke_session(sessions[0].id, now).await.unwrap();
    assert!(
        !store
            .session_by_token_hash(&[0u8; 32])
            .await
            .unwrap()
            .unwrap()
            .is_live(now)
    );
    assert!(
        store
            .session_by_token_hash(&[9u8; 32])
            .await
            .unwrap()
            .is_none()
    );

    // A conversation opens with the customer's first message, idempotently.
    let new = NewConversation {
        id: ConversationId::new(),
        customer_id: anon.id,
        channel: Channel::Web,
        subject: Some(GuardedText::new("提币没到账")),
        language: Some(Language::Zh),
        priority: Priority::Normal,
        origin_client_id: Some("open-1".into()),
        at: Timestamp::now(),
    };
    let customer = Actor::Customer { id: anon.id };
    let opening = vec![message(
        new.id,
        customer.clone(),
        "我的USDT提币没到账",
        Some("m-1"),
    )];
    let created = store
        .create_conversation(&new, opening.clone())
        .await
        .unwrap();
    assert!(!created.duplicate);
    assert_eq!(created.events.len(), 1);
    assert_eq!(created.events[0].seq, 1);
    assert_eq!(created.conversation.last_seq, 1);
    let conv_id = created.conversation.id;
    let retry = NewConversation {
        id: ConversationId::new(),
        ..new.clone()
    };
    let again = store.create_conversation(&retry, opening).await.unwrap();
    assert!(
        again.duplicate,
        "the same origin id does not open a second conversation"
    );
    assert_eq!(again.conversation.id, conv_id);
    assert_eq!(again.events, created.events);

    // Appends: sequence numbers, idempotent resend, conflicting reuse.
    let a2 = store
        .append_event(message(
            conv_id,
            customer.clone(),
            "txid 0xabc",
            Some("m-2"),
        ))
        .await
        .unwrap();
    assert_eq!((a2.event.seq, a2.duplicate), (2, false));
    let resend = store
        .append_event(message(
            conv_id,
            customer.clone(),
            "txid 0xabc",
            Some("m-2"),
        ))
        .await
        .unwrap();
    assert!(resend.duplicate);
    assert_eq!(resend.event, a2.event);
    let clash = store
        .append_event(message(conv_id, customer.clone(), "different", Some("m-2")))
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))));
    let missing = store
        .append_event(message(ConversationId::new(), customer.clone(), "x", None))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));

    // The agent takes it, writes a note and a reply, then resolves.
    let agent_actor = Actor::Agent {
        id: alice.id,
        name: "Alice".into(),
    };
    let assign = NewEvent {
        conversation_id: conv_id,
        actor: agent_actor.clone(),
        kind: EventKind::Assigned {
            from: None,
            to: Some(alice.id),
            team_id: Some(team.id),
            reason: trustdesk_core::event::AssignReason::SelfAssigned,
            note: None,
        },
        client_msg_id: None,
        at: Timestamp::now(),
    };
    store.append_event(assign).await.unwrap();
    let note = NewEvent {
        conversation_id: conv_id,
        actor: agent_actor.clone(),
        kind: EventKind::Note {
            body: "checked the chain: 2 confirmations".into(),
        },
        client_msg_id: Some("n-1".into()),
        at: Timestamp::now(),
    };
    let note = store.append_event(note).await.unwrap();
    assert_eq!(note.event.visibility, Visibility::Internal);
    // Client ids are each sender's own: the agent's console happening to
    // use the customer's "m-2" is a new message, and its own resend is
    // still recognised.
    let reply = store
        .append_event(message(
            conv_id,
            agent_actor.clone(),
            "到账了，请查收",
            Some("m-2"),
        ))
        .await
        .unwrap();
    assert!(
        !reply.duplicate,
        "an agent's id equal to the customer's is not a resend"
    );
    assert_ne!(reply.event.seq, a2.event.seq);
    let reply_again = store
        .append_event(message(
            conv_id,
            agent_actor.clone(),
            "到账了，请查收",
            Some("m-2"),
        ))
        .await
        .unwrap();
    assert!(reply_again.duplicate);
    assert_eq!(reply_again.event, reply.event);
    let resolve = NewEvent {
        conversation_id: conv_id,
        actor: agent_actor.clone(),
        kind: EventKind::StatusChanged {
            from: ConversationStatus::Open,
            to: ConversationStatus::Resolved,
            snoozed_until: None,
        },
        client_msg_id: None,
        at: Timestamp::now(),
    };
    let resolved = store.append_event(resolve).await.unwrap();
    assert_eq!(resolved.conversation.status, ConversationStatus::Resolved);
    assert_eq!(resolved.conversation.assignee_id, Some(alice.id));
    assert_eq!(resolved.conversation.last_seq, 6);

    // Replay: the team sees everything, the customer never the note.
    let team_view = store.events(conv_id, 0, Audience::Team, 100).await.unwrap();
    assert_eq!(
        team_view.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    let customer_view = store
        .events(conv_id, 0, Audience::Customer, 100)
        .await
        .unwrap();
    assert!(
        customer_view
            .iter()
            .all(|e| e.visibility == Visibility::Public)
    );
    assert!(
        customer_view
            .iter()
            .all(|e| !matches!(e.kind, EventKind::Note { .. }))
    );
    assert_eq!(
        customer_view.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 5, 6]
    );
    let since = store.events(conv_id, 2, Audience::Team, 2).await.unwrap();
    assert_eq!(
        since.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 4],
        "since + limit"
    );
    assert_eq!(
        team_view[4].actor, agent_actor,
        "agent name kept with the event"
    );
    let stored = store.get_conversation(conv_id).await.unwrap();
    assert_eq!(stored, resolved.conversation);

    // Inbox filters and paging.
    let mut ids = vec![conv_id];
    for i in 0..4 {
        let c = NewConversation {
            id: ConversationId::new(),
            origin_client_id: None,
            at: Timestamp(stored.updated_at.0 + 10 + i),
            ..new.clone()
        };
        ids.push(
            store
                .create_conversation(&c, vec![])
                .await
                .unwrap()
                .conversation
                .id,
        );
    }
    let open = store
        .list_conversations(&ConversationFilter {
            statuses: vec![ConversationStatus::Open],
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(open.len(), 4);
    assert!(
        open.windows(2).all(|w| w[0].updated_at >= w[1].updated_at),
        "newest first"
    );
    let mine = store
        .list_conversations(&ConversationFilter {
            assignee: Some(AssigneeFilter::Agent(alice.id)),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.iter().map(|c| c.id).collect::<Vec<_>>(), vec![conv_id]);
    let unassigned = store
        .list_conversations(&ConversationFilter {
            assignee: Some(AssigneeFilter::Unassigned),
            customer_id: Some(anon.id),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(unassigned.len(), 4);
    let page1 = store
        .list_conversations(&ConversationFilter {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    let last = page1.last().unwrap();
    let page2 = store
        .list_conversations(&ConversationFilter {
            limit: 10,
            before: Some((last.updated_at, last.id)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page1.len() + page2.len(), 5);
    assert!(
        page2.iter().all(|c| !page1.contains(c)),
        "pages do not overlap"
    );

    // The inbox's visibility clause is the SQL form of `AgentScope::may_see`.
    let all = store
        .list_conversations(&ConversationFilter {
            limit: 200,
            ..Default::default()
        })
        .await
        .unwrap();
    for team in [alice.team_id, None] {
        for role in [Role::Agent, Role::Supervisor, Role::Admin] {
            let scope = trustdesk_core::access::AgentScope {
                agent_id: alice.id,
                team_id: team,
                role,
            };
            let seen: Vec<_> = store
                .list_conversations(&ConversationFilter {
                    limit: 200,
                    visible_to: Some(scope),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect();
            let expected: Vec<_> = all
                .iter()
                .filter(|c| scope.may_see(c))
                .map(|c| c.id)
                .collect();
            assert_eq!(seen, expected, "{role:?} in {team:?}");
        }
    }

    // Concurrent appends get distinct, gap-free sequence numbers.
    let target = ids[1];
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let actor = customer.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("c-{i}");
            store
                .append_event(message(target, actor, &format!("msg {i}"), Some(&id)))
                .await
                .unwrap()
                .event
                .seq
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=40).collect::<Vec<i64>>());
    assert_eq!(store.get_conversation(target).await.unwrap().last_seq, 40);

    // Knowledge base: (locale, slug) identifies an article across imports.
    let draft = trustdesk_core::kb::ArticleDraft {
        slug: "deposit-not-credited".into(),
        locale: Language::Zh,
        category: Category::Transfer,
        title: "充值未到账".into(),
        body: "请先确认区块确认数。".into(),
        tags: vec!["充值".into()],
        published: true,
    };
    let first = store.upsert_article(&draft, Timestamp(10)).await.unwrap();
    let edited = trustdesk_core::kb::ArticleDraft {
        title: "充值没到账怎么办".into(),
        ..draft.clone()
    };
    let second = store.upsert_article(&edited, Timestamp(20)).await.unwrap();
    assert_eq!(first.id, second.id, "same locale and slug: an update");
    assert_eq!(
        (second.created_at, second.updated_at),
        (Timestamp(10), Timestamp(20))
    );
    assert_eq!(second.title, "充值没到账怎么办");
    let english = trustdesk_core::kb::ArticleDraft {
        locale: Language::En,
        title: "Deposit not credited".into(),
        ..draft
    };
    let en = store.upsert_article(&english, Timestamp(30)).await.unwrap();
    assert_ne!(en.id, first.id, "another locale is another article");
    let hidden = store
        .set_article_published(en.id, false, Timestamp(40))
        .await
        .unwrap();
    assert!(!hidden.published);
    assert_eq!(store.get_article(en.id).await.unwrap(), hidden);
    assert_eq!(store.list_articles().await.unwrap().len(), 2);
    assert!(matches!(
        store
            .set_article_published(trustdesk_core::ArticleId::new(), true, Timestamp(1))
            .await,
        Err(StoreError::NotFound)
    ));

    // The official-channel registry.
    let channel = OfficialChannel {
        id: trustdesk_core::ChannelId::new(),
        kind: trustdesk_core::registry::ChannelKind::Domain,
        value: "examplex.com".into(),
        label: "Main website".into(),
        created_at: Timestamp(50),
    };
    store.add_channel(&channel).await.unwrap();
    let twin = OfficialChannel {
        id: trustdesk_core::ChannelId::new(),
        ..channel.clone()
    };
    assert!(matches!(
        store.add_channel(&twin).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.list_channels().await.unwrap(), vec![channel.clone()]);
    store.delete_channel(channel.id).await.unwrap();
    assert!(matches!(
        store.delete_channel(channel.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .agent_by_badge(&alice.badge)
            .await
            .unwrap()
            .map(|a| a.id),
        Some(alice.id)
    );
    assert!(store.agent_by_badge("TD-NOBODY").await.unwrap().is_none());
    customer_checks(store.clone(), &alice).await;
    concurrent_appends(store.clone()).await;
    routing_story(store.clone(), &alice).await;
    channel_story(store.clone()).await;
    webhook_story(store).await;
}

/// The channel tables: an address maps to one customer however often (and
/// however concurrently) it writes in; a thread's cursor only moves
/// forward and reports lagging threads; a channel message id is recorded
/// once; checkpoints and links read back.
async fn channel_story(store: Arc<dyn Store>) {
    use trustdesk_store::{
        ChannelContact, ChannelMessage, ChannelThread, ConversationLink, Direction,
    };
    let contact = ChannelContact {
        channel: Channel::Email,
        address: "ann@customer.test".into(),
        display_name: Some(trustdesk_core::guard::GuardedText::new("Ann")),
        email: Some(trustdesk_core::guard::GuardedText::new("ann@customer.test")),
        at: Timestamp(10),
    };
    let racing = (0..8).map(|_| {
        let store = store.clone();
        let contact = contact.clone();
        tokio::spawn(async move { store.customer_for_address(&contact).await.unwrap() })
    });
    let results: Vec<_> = futures_util::future::join_all(racing)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let ann = results[0].0.id;
    assert!(
        results.iter().all(|(c, _)| c.id == ann),
        "one customer per address"
    );
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    assert_eq!(results[0].0.email.as_deref(), Some("ann@customer.test"));
    let telegram = ChannelContact {
        channel: Channel::Telegram,
        address: "4242".into(),
        ..contact.clone()
    };
    let (tg, created) = store.customer_for_address(&telegram).await.unwrap();
    assert!(
        created && tg.id != ann,
        "another channel's address is another customer"
    );
    let identities = store.channel_identities(ann).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].address, "ann@customer.test");
    assert_eq!(identities[0].display_name.as_deref(), Some("Ann"));

    let (conv, _) = customer_with_conversation(&store, Some(("hello by mail", "m-1"))).await;
    let thread = ChannelThread {
        conversation_id: conv,
        channel: Channel::Email,
        address: "ann@customer.test".into(),
        delivered_seq: 0,
        updated_at: Timestamp(11),
    };
    store.bind_channel_thread(&thread).await.unwrap();
    store
        .bind_channel_thread(&ChannelThread {
            address: "other@x.test".into(),
            ..thread.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        store.channel_thread(conv).await.unwrap(),
        Some(thread.clone()),
        "the first binding stays"
    );
    assert!(
        store
            .lagging_channel_threads()
            .await
            .unwrap()
            .iter()
            .any(|t| t.conversation_id == conv),
        "its event is past the cursor"
    );
    store
        .advance_channel_thread(conv, 1, Timestamp(12))
        .await
        .unwrap();
    store
        .advance_channel_thread(conv, 0, Timestamp(13))
        .await
        .unwrap();
    let moved = store.channel_thread(conv).await.unwrap().unwrap();
    assert_eq!(moved.delivered_seq, 1, "the cursor never moves back");
    assert!(
        !store
            .lagging_channel_threads()
            .await
            .unwrap()
            .iter()
            .any(|t| t.conversation_id == conv)
    );

    let first = ChannelMessage {
        channel: Channel::Email,
        external_id: "ann-1@customer.test".into(),
        conversation_id: Some(conv),
        direction: Direction::Inbound,
        at: Timestamp(14),
    };
    assert!(store.record_channel_message(&first).await.unwrap());
    assert!(
        !store.record_channel_message(&first).await.unwrap(),
        "recorded once"
    );
    let ours = ChannelMessage {
        external_id: "td.x@desk.test".into(),
        direction: Direction::Outbound,
        at: Timestamp(15),
        ..first.clone()
    };
    store.record_channel_message(&ours).await.unwrap();
    assert_eq!(
        store
            .channel_message(Channel::Email, "ann-1@customer.test")
            .await
            .unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store
            .channel_message(Channel::Telegram, "ann-1@customer.test")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.channel_messages_of(conv).await.unwrap(),
        vec![first, ours]
    );

    assert_eq!(store.checkpoint("imap:x").await.unwrap(), None);
    store
        .put_checkpoint("imap:x", "7:41", Timestamp(16))
        .await
        .unwrap();
    store
        .put_checkpoint("imap:x", "7:42", Timestamp(17))
        .await
        .unwrap();
    assert_eq!(
        store.checkpoint("imap:x").await.unwrap().as_deref(),
        Some("7:42")
    );

    let (newer, _) = customer_with_conversation(&store, None).await;
    let link = ConversationLink {
        conversation_id: newer,
        linked_id: conv,
        reason: "continues_closed".into(),
        at: Timestamp(18),
    };
    store.link_conversations(&link).await.unwrap();
    store.link_conversations(&link).await.unwrap();
    assert_eq!(
        store.conversation_links(conv).await.unwrap(),
        vec![link.clone()]
    );
    assert_eq!(store.conversation_links(newer).await.unwrap(), vec![link]);
}

/// Webhook endpoints, the outbox and its attempt log: a delivery is
/// claimed once (the lease), retried, delivered; disabling an endpoint
/// fails what it still had pending; deleting it removes its log.
async fn webhook_story(store: Arc<dyn Store>) {
    use trustdesk_core::webhook::events::EventType;
    let endpoint = WebhookEndpoint {
        id: WebhookEndpointId::new(),
        url: "https://hooks.example.com/trustdesk".into(),
        description: "CRM".into(),
        event_types: vec![EventType::MessageCreated, EventType::ConversationRated],
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
        previous_secret: None,
        previous_secret_expires_at: None,
        enabled: true,
        disabled_reason: None,
        created_at: Timestamp(10_000),
        updated_at: Timestamp(10_000),
    };
    store.create_webhook_endpoint(&endpoint).await.unwrap();
    assert_eq!(
        store.get_webhook_endpoint(endpoint.id).await.unwrap(),
        endpoint
    );
    assert_eq!(
        store.list_webhook_endpoints().await.unwrap(),
        vec![endpoint.clone()]
    );
    // A rotation keeps the previous secret with its expiry.
    let mut rotated = endpoint.clone();
    rotated.previous_secret = Some(endpoint.secret.clone());
    rotated.previous_secret_expires_at = Some(Timestamp(20_000));
    rotated.secret = "whsec_KioqKioqKioqKioqKioqKioqKioqKioqKioqKio=".into();
    rotated.updated_at = Timestamp(11_000);
    store.update_webhook_endpoint(&rotated).await.unwrap();
    let back = store.get_webhook_endpoint(endpoint.id).await.unwrap();
    assert_eq!(back, rotated);
    assert_eq!(back.signing_secrets(Timestamp(19_999)).len(), 2);
    assert_eq!(
        back.signing_secrets(Timestamp(20_000)),
        vec![rotated.secret.as_str()]
    );
    let mut missing = rotated.clone();
    missing.id = WebhookEndpointId::new();
    assert!(matches!(
        store.update_webhook_endpoint(&missing).await,
        Err(StoreError::NotFound)
    ));

    // Two messages in the outbox; a claim leases them, so a second claim
    // (another node) at the same moment gets nothing.
    let first = NewDelivery {
        id: WebhookDeliveryId::new(),
        endpoint_id: endpoint.id,
        event_type: EventType::MessageCreated,
        payload: r#"{"type":"message.created"}"#.into(),
        created_at: Timestamp(12_000),
    };
    let second = NewDelivery {
        id: WebhookDeliveryId::new(),
        created_at: Timestamp(12_001),
        event_type: EventType::ConversationRated,
        ..first.clone()
    };
    store
        .enqueue_webhook_deliveries(&[first.clone(), second.clone()])
        .await
        .unwrap();
    assert_eq!(
        store.next_webhook_delivery_at().await.unwrap(),
        Some(Timestamp(12_000))
    );
    assert!(
        store
            .claim_webhook_deliveries(Timestamp(11_999), Timestamp(99_000), 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let claimed = store
        .claim_webhook_deliveries(Timestamp(13_000), Timestamp(73_000), 10)
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![first.id, second.id]
    );
    assert_eq!(claimed[0].status, DeliveryStatus::Pending);
    assert_eq!(claimed[0].attempts, 0);
    assert_eq!(claimed[0].next_attempt_at, Timestamp(73_000), "leased");
    assert!(
        store
            .claim_webhook_deliveries(Timestamp(13_000), Timestamp(73_000), 10)
            .await
            .unwrap()
            .is_empty(),
        "a leased delivery is not claimed twice"
    );
    // The first fails (500) and is retried later; then it is delivered.
    let failed = WebhookAttempt {
        delivery_id: first.id,
        attempt: 1,
        at: Timestamp(13_100),
        status_code: Some(500),
        error: Some("HTTP 500".into()),
        duration_ms: 12,
    };
    store
        .record_webhook_attempt(&failed, AttemptOutcome::RetryAt(Timestamp(18_100)))
        .await
        .unwrap();
    let d = store.get_webhook_delivery(first.id).await.unwrap();
    assert_eq!(d.status, DeliveryStatus::Pending);
    assert_eq!((d.attempts, d.next_attempt_at), (1, Timestamp(18_100)));
    assert_eq!(d.last_status_code, Some(500));
    let ok = WebhookAttempt {
        attempt: 2,
        at: Timestamp(18_200),
        status_code: Some(204),
        error: None,
        ..failed.clone()
    };
    store
        .record_webhook_attempt(&ok, AttemptOutcome::Delivered)
        .await
        .unwrap();
    let d = store.get_webhook_delivery(first.id).await.unwrap();
    assert_eq!(d.status, DeliveryStatus::Delivered);
    assert_eq!(d.delivered_at, Some(Timestamp(18_200)));
    assert_eq!(d.last_error, None);
    assert_eq!(
        store.webhook_attempts(first.id).await.unwrap(),
        vec![failed.clone(), ok.clone()]
    );
    // The same attempt number twice is refused, not silently merged.
    assert!(matches!(
        store
            .record_webhook_attempt(&ok, AttemptOutcome::Delivered)
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Disabling the endpoint fails what it still had pending; its log
    // stays readable, newest first.
    store
        .disable_webhook_endpoint(endpoint.id, "410 Gone", Timestamp(19_000))
        .await
        .unwrap();
    let e = store.get_webhook_endpoint(endpoint.id).await.unwrap();
    assert!(!e.enabled);
    assert_eq!(e.disabled_reason.as_deref(), Some("410 Gone"));
    let d = store.get_webhook_delivery(second.id).await.unwrap();
    assert_eq!(d.status, DeliveryStatus::Failed);
    assert_eq!(store.next_webhook_delivery_at().await.unwrap(), None);
    let log = store
        .list_webhook_deliveries(Some(endpoint.id), 10)
        .await
        .unwrap();
    assert_eq!(
        log.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![second.id, first.id]
    );
    assert!(
        store
            .list_webhook_deliveries(Some(WebhookEndpointId::new()), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A replay makes it pending and due now, but a disabled endpoint's
    // deliveries are not claimed until it is enabled again.
    store
        .replay_webhook_delivery(second.id, Timestamp(20_000))
        .await
        .unwrap();
    assert!(
        store
            .claim_webhook_deliveries(Timestamp(20_000), Timestamp(80_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let mut enabled = e.clone();
    enabled.enabled = true;
    enabled.disabled_reason = None;
    store.update_webhook_endpoint(&enabled).await.unwrap();
    let claimed = store
        .claim_webhook_deliveries(Timestamp(20_000), Timestamp(80_000), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].attempts), (second.id, 0));
    assert!(matches!(
        store
            .replay_webhook_delivery(WebhookDeliveryId::new(), Timestamp(1))
            .await,
        Err(StoreError::NotFound)
    ));

    store.delete_webhook_endpoint(endpoint.id).await.unwrap();
    assert!(matches!(
        store.get_webhook_delivery(first.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.webhook_attempts(first.id).await.unwrap().is_empty());
    assert!(matches!(
        store.delete_webhook_endpoint(endpoint.id).await,
        Err(StoreError::NotFound)
    ));
}

/// A new customer with a conversation opened by `opening` (a message body
/// and its client id), for the stories below.
async fn customer_with_conversation(
    store: &Arc<dyn Store>,
    opening: Option<(&str, &str)>,
) -> (ConversationId, Actor) {
    let owner = trustdesk_core::CustomerId::new();
    store
        .create_customer(&trustdesk_core::Customer {
            id: owner,
            external_id: None,
            name: None,
            email: None,
            locale: None,
            created_at: Timestamp(1),
        })
        .await
        .unwrap();
    let customer = Actor::Customer { id: owner };
    let new = NewConversation {
        id: ConversationId::new(),
        customer_id: owner,
        channel: Channel::Web,
        subject: None,
        language: Some(Language::En),
        priority: Priority::Normal,
        origin_client_id: None,
        at: Timestamp::now(),
    };
    let events = opening
        .map(|(body, cid)| vec![message(new.id, customer.clone(), body, Some(cid))])
        .unwrap_or_default();
    let created = store.create_conversation(&new, events).await.unwrap();
    (created.conversation.id, customer)
}

/// The customer checks happen on the row the append writes, whether the
/// store read it first or knew it already (the SQLite writer keeps the rows
/// it wrote): a stranger gets the same NotFound as for a missing
/// conversation, even with a stored client message id; a closed
/// conversation takes no new message but still answers a resend.
async fn customer_checks(store: Arc<dyn Store>, alice: &trustdesk_core::Agent) {
    let (id, customer) = customer_with_conversation(&store, Some(("hello", "c-1"))).await;
    let stored = store
        .append_event(message(id, customer.clone(), "txid 0xabc", Some("c-2")))
        .await
        .unwrap();
    assert_eq!(stored.event.seq, 2);
    let stranger = Actor::Customer {
        id: trustdesk_core::CustomerId::new(),
    };
    for client in [Some("c-2"), Some("s-1"), None] {
        let intrusion = store
            .append_event(message(id, stranger.clone(), "txid 0xabc", client))
            .await;
        assert!(
            matches!(intrusion, Err(StoreError::NotFound)),
            "{intrusion:?}"
        );
    }
    let closed = store
        .append_event(NewEvent {
            conversation_id: id,
            actor: Actor::Agent {
                id: alice.id,
                name: alice.display_name.clone(),
            },
            kind: EventKind::StatusChanged {
                from: ConversationStatus::Open,
                to: ConversationStatus::Closed,
                snoozed_until: None,
            },
            client_msg_id: None,
            at: Timestamp::now(),
        })
        .await
        .unwrap();
    assert_eq!(closed.conversation.status, ConversationStatus::Closed);
    let refused = store
        .append_event(message(id, customer.clone(), "still there?", Some("c-3")))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    let resend = store
        .append_event(message(id, customer.clone(), "txid 0xabc", Some("c-2")))
        .await
        .unwrap();
    assert!(resend.duplicate);
    assert_eq!(resend.event, stored.event);
    let clash = store
        .append_event(message(id, customer.clone(), "other text", Some("c-2")))
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    // Nothing was written by the refusals: the head moved by the close only.
    let head = store.get_conversation(id).await.unwrap();
    assert_eq!(
        (head.last_seq, head.status),
        (3, ConversationStatus::Closed)
    );
    assert_eq!(
        store
            .events(id, 0, Audience::Team, 10)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

/// Routing profiles, settings, calendars, timers and SLA state.
async fn routing_story(store: Arc<dyn Store>, alice: &trustdesk_core::Agent) {
    use trustdesk_core::routing::Skills;
    use trustdesk_store::{RoutingProfile, Timer};
    let profile = RoutingProfile {
        agent_id: alice.id,
        skills: Skills::from_pairs([
            (trustdesk_core::Category::Security, 3),
            (trustdesk_core::Category::Transfer, 1),
        ]),
        capacity: 4,
        updated_at: Timestamp(10),
    };
    store
        .set_routing_profile(&profile, Some(vec![Language::Zh]), Some(None))
        .await
        .unwrap();
    assert_eq!(
        store.routing_profiles().await.unwrap(),
        vec![profile.clone()]
    );
    let reloaded = store.get_agent(alice.id).await.unwrap();
    assert_eq!(reloaded.languages, vec![Language::Zh]);
    assert_eq!(reloaded.team_id, None);
    let nobody = RoutingProfile {
        agent_id: AgentId::new(),
        ..profile.clone()
    };
    assert!(matches!(
        store.set_routing_profile(&nobody, None, None).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(store.get_setting("sla_policy").await.unwrap(), None);
    store
        .put_setting("sla_policy", "{\"a\":1}", Timestamp(1))
        .await
        .unwrap();
    store
        .put_setting("sla_policy", "{\"a\":2}", Timestamp(2))
        .await
        .unwrap();
    assert_eq!(
        store.get_setting("sla_policy").await.unwrap().as_deref(),
        Some("{\"a\":2}")
    );

    store
        .put_calendar("berlin", "{}", Timestamp(1))
        .await
        .unwrap();
    assert_eq!(
        store.list_calendars().await.unwrap(),
        vec![("berlin".to_string(), "{}".to_string())]
    );
    store.delete_calendar("berlin").await.unwrap();
    assert!(matches!(
        store.delete_calendar("berlin").await,
        Err(StoreError::NotFound)
    ));

    let customer = Customer {
        id: CustomerId::new(),
        external_id: None,
        name: None,
        email: None,
        locale: None,
        created_at: Timestamp(1),
    };
    store.create_customer(&customer).await.unwrap();
    let new = trustdesk_store::NewConversation {
        id: ConversationId::new(),
        customer_id: customer.id,
        channel: trustdesk_core::Channel::Web,
        subject: None,
        language: None,
        priority: trustdesk_core::Priority::Normal,
        origin_client_id: None,
        at: Timestamp(5),
    };
    let conv = store
        .create_conversation(&new, vec![])
        .await
        .unwrap()
        .conversation
        .id;
    assert!(
        store
            .active_conversations()
            .await
            .unwrap()
            .iter()
            .any(|c| c.id == conv)
    );
    assert_eq!(store.next_timer_at().await.unwrap(), None);
    let timer = |kind: TimerKind, due: i64| Timer {
        conversation_id: conv,
        kind,
        due_at: Timestamp(due),
    };
    store.put_timer(&timer(TimerKind::Sla, 500)).await.unwrap();
    store
        .put_timer(&timer(TimerKind::Snooze, 300))
        .await
        .unwrap();
    // Setting a kind again moves it.
    store.put_timer(&timer(TimerKind::Sla, 200)).await.unwrap();
    assert_eq!(store.next_timer_at().await.unwrap(), Some(Timestamp(200)));
    let due = store.due_timers(Timestamp(300), 10).await.unwrap();
    assert_eq!(
        due.iter().map(|t| t.kind.clone()).collect::<Vec<_>>(),
        vec![TimerKind::Sla, TimerKind::Snooze]
    );
    assert!(
        store
            .due_timers(Timestamp(199), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A conditional delete leaves a timer that moved meanwhile.
    store
        .delete_timer(conv, &TimerKind::Sla, Some(Timestamp(150)))
        .await
        .unwrap();
    assert_eq!(store.next_timer_at().await.unwrap(), Some(Timestamp(200)));
    store
        .delete_timer(conv, &TimerKind::Sla, Some(Timestamp(200)))
        .await
        .unwrap();
    // A reminder's payload comes back typed.
    let reminder = TimerKind::Reminder(trustdesk_core::timer::Reminder {
        id: "r1".into(),
        agent_id: trustdesk_core::AgentId::new(),
        note: "call back".into(),
    });
    store
        .put_timer(&timer(reminder.clone(), 250))
        .await
        .unwrap();
    let due = store.due_timers(Timestamp(300), 10).await.unwrap();
    assert_eq!(
        due.iter().map(|t| t.kind.clone()).collect::<Vec<_>>(),
        vec![reminder.clone(), TimerKind::Snooze]
    );
    store.delete_timer(conv, &reminder, None).await.unwrap();
    store
        .delete_timer(conv, &TimerKind::Snooze, None)
        .await
        .unwrap();
    assert_eq!(store.next_timer_at().await.unwrap(), None);

    assert_eq!(store.sla_state(conv).await.unwrap(), None);
    store
        .put_sla_state(conv, "{\"x\":1}", Timestamp(1))
        .await
        .unwrap();
    store
        .put_sla_state(conv, "{\"x\":2}", Timestamp(2))
        .await
        .unwrap();
    assert_eq!(
        store.sla_state(conv).await.unwrap().as_deref(),
        Some("{\"x\":2}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trustdesk.db");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&path, SqliteOptions::default())
            .await
            .unwrap(),
    );
    story(store.clone()).await;
    let before = store
        .list_conversations(&ConversationFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    drop(store);
    // Everything acknowledged is in the file: reopen and compare.
    let reopened = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    let after = reopened
        .list_conversations(&ConversationFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_story_on_postgres() {
    let Some(url) = testing::postgres_url() else {
        eprintln!("TRUSTDESK_TEST_POSTGRES_URL not set: PostgreSQL story skipped");
        return;
    };
    let store = testing::fresh_postgres(&url)
        .await
        .expect("fresh test database");
    story(Arc::new(store)).await;
}

/// Appends that queue up together share a commit (the SQLite writer's
/// group commit, planned on the rows it cached): under concurrency every
/// conversation still gets gapless seqs in each client's order, each client
/// message id once, and a resend gets the stored message.
async fn concurrent_appends(store: Arc<dyn Store>) {
    let mut conversations = Vec::new();
    for _ in 0..5 {
        conversations.push(customer_with_conversation(&store, None).await);
    }
    let mut tasks = Vec::new();
    for (id, actor) in conversations.clone() {
        for writer in 0..4 {
            let (store, actor) = (store.clone(), actor.clone());
            tasks.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                for k in 0..25 {
                    let cid = format!("w{writer}-{k}");
                    let body = format!("message {k} from {writer}");
                    let first = store
                        .append_event(message(id, actor.clone(), &body, Some(&cid)))
                        .await
                        .unwrap();
                    assert!(!first.duplicate);
                    // Every fifth message is sent twice, as after a lost ack.
                    if k % 5 == 0 {
                        let again = store
                            .append_event(message(id, actor.clone(), &body, Some(&cid)))
                            .await
                            .unwrap();
                        assert!(again.duplicate);
                        assert_eq!(again.event, first.event);
                    }
                    seqs.push(first.event.seq);
                }
                assert!(
                    seqs.windows(2).all(|w| w[0] < w[1]),
                    "a client's order: {seqs:?}"
                );
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    for (id, _) in conversations {
        let events = store.events(id, 0, Audience::Team, 500).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=100).collect::<Vec<i64>>()
        );
        let mut ids: Vec<_> = events
            .iter()
            .filter_map(|e| e.client_msg_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 100, "each client message id once");
        assert_eq!(store.get_conversation(id).await.unwrap().last_seq, 100);
    }
}

/// On SQLite, rare writes (settings here) run on a connection of their own
/// during a turn the message writer hands over. Among a stream of messages
/// they all land, in order with the messages around them; a rare write
/// abandoned at any point (its caller timed out) neither blocks the writer
/// nor leaves a half-open transaction behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rare_writes_take_turns_with_the_message_writer_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("trustdesk.db"), SqliteOptions::default())
            .await
            .unwrap(),
    );
    let (id, actor) = customer_with_conversation(&store, None).await;
    let messages = {
        let (store, actor) = (store.clone(), actor.clone());
        tokio::spawn(async move {
            for k in 0..200 {
                let body = format!("message {k}");
                let cid = format!("m{k}");
                store
                    .append_event(message(id, actor.clone(), &body, Some(&cid)))
                    .await
                    .unwrap();
            }
        })
    };
    let settings = {
        let store = store.clone();
        tokio::spawn(async move {
            for k in 0..50 {
                let key = format!("rare.{k}");
                store
                    .put_setting(&key, &k.to_string(), Timestamp(k))
                    .await
                    .unwrap();
            }
        })
    };
    let abandoned = {
        let store = store.clone();
        tokio::spawn(async move {
            for k in 0..50_u64 {
                // Cut off somewhere between queueing and committing.
                let write = store.put_setting("abandoned", "yes", Timestamp(1));
                let _ = tokio::time::timeout(std::time::Duration::from_micros(20 * k), write).await;
            }
        })
    };
    for task in [messages, settings, abandoned] {
        task.await.unwrap();
    }
    // Neither connection was left holding the write lock.
    let last = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.append_event(message(id, actor.clone(), "after", None)),
    )
    .await
    .expect("the writer is not blocked")
    .unwrap();
    assert_eq!(last.event.seq, 201);
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.put_setting("after", "yes", Timestamp(2)),
    )
    .await
    .expect("rare writes are not blocked")
    .unwrap();
    let events = store.events(id, 0, Audience::Team, 500).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=201).collect::<Vec<i64>>()
    );
    for k in 0..50 {
        assert_eq!(
            store.get_setting(&format!("rare.{k}")).await.unwrap(),
            Some(k.to_string())
        );
    }
    assert_eq!(
        store.get_setting("after").await.unwrap().as_deref(),
        Some("yes")
    );
    let abandoned = store.get_setting("abandoned").await.unwrap();
    assert!(abandoned.is_none() || abandoned.as_deref() == Some("yes"));
}

/// A lease is held by one node at a time and passes to another when the
/// holder goes (its connection closes, as when the node dies).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_is_held_by_one_node_and_passes_on_when_it_goes() {
    let Some(url) = testing::postgres_url() else {
        eprintln!("TRUSTDESK_TEST_POSTGRES_URL not set: PostgreSQL lease test skipped");
        return;
    };
    let options = testing::fresh_postgres_database(&url).await.unwrap();
    let one = trustdesk_store::PgStore::connect_with(options.clone())
        .await
        .unwrap();
    let two = trustdesk_store::PgStore::connect_with(options)
        .await
        .unwrap();
    let mut held = one
        .try_lease("singletons")
        .await
        .unwrap()
        .expect("the first node leads");
    assert!(held.held().await);
    assert!(
        two.try_lease("singletons").await.unwrap().is_none(),
        "one leader at a time"
    );
    assert!(
        two.try_lease("another").await.unwrap().is_some(),
        "leases are per name"
    );
    drop(held);
    let mut taken = None;
    for _ in 0..50 {
        if let Some(lease) = two.try_lease("singletons").await.unwrap() {
            taken = Some(lease);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut taken = taken.expect("the lease passes on when its holder goes");
    assert!(taken.held().await);
}

#[tokio::test]
async fn the_only_node_always_holds_the_lease() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db"), SqliteOptions::default())
        .await
        .unwrap();
    let mut lease = store.try_lease("singletons").await.unwrap().unwrap();
    assert!(lease.held().await);
    assert!(store.try_lease("singletons").await.unwrap().is_some());
}
