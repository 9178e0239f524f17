//! Demo data for `serve --demo`: agents, teams, a verified customer and a
//! few conversations in Chinese and English, so a new user can log in and
//! see a working desk at once. Seeding is idempotent: a second run finds the
//! demo agents and leaves the data alone.

mod history;

use crate::accounts::{password, totp};
use crate::auth::{Authenticated, Who};
use crate::auth::{identity, token};
use crate::cli::find_or_create_team;
use crate::config::Config;
use crate::conversations::{Opening, Post};
use crate::state::AppState;
use secrecy::SecretString;
use std::net::SocketAddr;
use trustdesk_core::guard::GuardedText;
use trustdesk_core::routing::Skills;
use trustdesk_core::{
    Agent, AgentId, AgentStatus, Category, ConversationStatus, Language, Role, SessionId, Timestamp,
};
use trustdesk_store::VerifiedProfile;

pub const DEMO_PASSWORD: &str = "trustdesk-demo";
pub const DEMO_IDENTITY_SECRET: &str = "demo-identity-secret";
pub const DEMO_USER_ID: &str = "demo-user-1";

struct DemoAgent {
    email: &'static str,
    name: &'static str,
    role: Role,
    languages: &'static [Language],
    team: &'static str,
    /// Routing: proficiency per category (0–3) and capacity.
    skills: &'static [(Category, u8)],
    capacity: u32,
}

const AGENTS: &[DemoAgent] = &[
    DemoAgent {
        email: "alice@demo.trustdesk",
        name: "Alice",
        role: Role::Admin,
        languages: &[Language::En, Language::Zh],
        team: "Support",
        skills: &[
            (Category::Account, 2),
            (Category::Trading, 2),
            (Category::Transfer, 2),
            (Category::Security, 1),
            (Category::Storage, 2),
            (Category::Compliance, 3),
        ],
        capacity: 5,
    },
    DemoAgent {
        email: "bob@demo.trustdesk",
        name: "Bob",
        role: Role::Agent,
        languages: &[Language::En],
        team: "Support",
        skills: &[
            (Category::Account, 2),
            (Category::Trading, 3),
            (Category::Transfer, 3),
            (Category::Storage, 1),
        ],
        capacity: 4,
    },
    DemoAgent {
        email: "liming@demo.trustdesk",
        name: "李明",
        role: Role::Supervisor,
        languages: &[Language::Zh, Language::En],
        team: "Security",
        skills: &[
            (Category::Security, 3),
            (Category::Account, 2),
            (Category::Transfer, 2),
            (Category::Storage, 2),
        ],
        capacity: 3,
    },
];

use trustdesk_core::registry::ChannelKind;

/// The demo exchange's official channels, for the verification page.
const DEMO_CHANNELS: &[(ChannelKind, &str, &str)] = &[
    (ChannelKind::Domain, "trustdesk.example", "Main website"),
    (
        ChannelKind::Email,
        "support@trustdesk.example",
        "Support email",
    ),
    (
        ChannelKind::Telegram,
        "@trustdesk_support",
        "Support on Telegram",
    ),
    (ChannelKind::Phone, "+1 800 555 0100", "Support hotline"),
];

/// Demo mode without a configured identity secret uses a fixed one, so the
/// printed example hash works.
pub fn prepare_config(config: &mut Config) {
    if config.widget.identity_secret.is_none() {
        config.widget.identity_secret = Some(SecretString::from(DEMO_IDENTITY_SECRET));
    }
    // Urgent security requests go to 李明's team first.
    if config.routing.security_team.is_none() {
        config.routing.security_team = Some("Security".into());
    }
}

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let store = state.store.as_ref();
    if store.agent_credentials(AGENTS[0].email).await?.is_some() {
        tracing::info!("demo data already present");
        return Ok(());
    }
    let report = crate::kb::import::import_starter(store).await?;
    state.kb.rebuild(&store.list_articles().await?)?;
    tracing::info!(
        articles = report.imported,
        "starter knowledge base imported"
    );
    let hash = password::hash(DEMO_PASSWORD.to_owned()).await?;
    let mut agents = Vec::new();
    for demo in AGENTS {
        let team_id = find_or_create_team(store, demo.team).await?;
        let agent = Agent {
            id: AgentId::new(),
            email: demo.email.into(),
            display_name: demo.name.into(),
            role: demo.role,
            status: AgentStatus::Active,
            languages: demo.languages.to_vec(),
            team_id: Some(team_id),
            badge: token::badge(),
            created_at: Timestamp::now(),
        };
        store.create_agent(&agent, &hash).await?;
        store
            .set_routing_profile(
                &trustdesk_store::RoutingProfile {
                    agent_id: agent.id,
                    skills: Skills::from_pairs(demo.skills.iter().copied()),
                    capacity: demo.capacity,
                    updated_at: Timestamp::now(),
                },
                None,
                None,
            )
            .await?;
        // 2FA is mandatory: demo agents come enrolled, with the secret
        // printed at start so it can go into an authenticator app (or
        // `oathtool --totp -b SECRET`). Step 1 marks it confirmed without
        // using up any current code.
        store
            .begin_totp(agent.id, totp::new_secret(), Timestamp::now())
            .await?;
        store
            .confirm_totp(agent.id, 1, Vec::new(), Timestamp::now())
            .await?;
        agents.push(agent);
    }
    // The default SLA policy (24/7, minutes for urgent), stored so the
    // admin API and the service page show it as the one in effect.
    let policy = serde_json::to_string(&trustdesk_core::sla::SlaPolicy::default())?;
    store
        .put_setting(crate::sla::worker::POLICY_KEY, &policy, Timestamp::now())
        .await?;
    state.sla.reload(store).await?;
    state
        .routing
        .send(crate::routing::worker::Command::ProfilesChanged)
        .await;
    for (kind, value, label) in DEMO_CHANNELS {
        let channel = trustdesk_store::OfficialChannel {
            id: trustdesk_core::ChannelId::new(),
            kind: *kind,
            value: trustdesk_core::registry::normalize(*kind, value)
                .map_err(|e| anyhow::anyhow!(e))?,
            label: (*label).into(),
            created_at: Timestamp::now(),
        };
        store.add_channel(&channel).await?;
    }
    for (shortcut, title, body, locale) in DEMO_CANNED {
        let now = Timestamp::now();
        store
            .upsert_canned(&trustdesk_store::CannedResponse {
                id: trustdesk_core::CannedId::new(),
                shortcut: (*shortcut).into(),
                title: (*title).into(),
                body: (*body).into(),
                locale: Some(*locale),
                created_by: Some(agents[0].id),
                created_at: now,
                updated_at: now,
            })
            .await?;
    }
    let customer = store
        .upsert_verified_customer(&VerifiedProfile {
            external_id: DEMO_USER_ID.into(),
            name: Some(GuardedText::new("Demo Customer")),
            email: Some(GuardedText::new("customer@demo.trustdesk")),
            locale: Some(Language::Zh),
            at: Timestamp::now(),
        })
        .await?;
    let as_customer = Authenticated {
        session_id: SessionId::new(),
        who: Who::Customer(customer.id),
        api_scopes: None,
    };
    let as_agent = |i: usize| Authenticated {
        session_id: SessionId::new(),
        who: Who::Agent(Box::new(agents[i].clone())),
        api_scopes: None,
    };
    let conversations = &state.conversations;

    // 1. A withdrawal that has not arrived, in Chinese, being handled.
    let c1 = conversations
        .open(
            customer.id,
            Opening {
                subject: Some("USDT 提币未到账".into()),
                body: Some(
                    "你好，我三个小时前提了500 USDT（TRC20），到现在还没到账，怎么回事？".into(),
                ),
                language: Some(Language::Zh),
                ..Default::default()
            },
        )
        .await?;
    let id1 = c1.conversation.id;
    conversations
        .post(
            &as_agent(2),
            id1,
            post(
                "您好，我是李明。请把提币记录里的交易哈希（TxID）发给我，我帮您在链上查询。",
                false,
            ),
        )
        .await?;
    conversations
        .post(
            &as_agent(2),
            id1,
            post("客户提币走的是 TRC20，先确认地址网络是否一致。", true),
        )
        .await?;

    // 2. A fake-support call, in English, answered and resolved.
    let c2 = conversations
        .open(customer.id, Opening {
            subject: Some("Someone called me claiming to be support".into()),
            body: Some("Hi, a person on Telegram says he is from your support team and asks for my 2FA code to 'verify' my account. Is that you?".into()),
            language: Some(Language::En),
            ..Default::default()
        })
        .await?;
    let id2 = c2.conversation.id;
    conversations.post(&as_agent(1), id2, post("That is not us. Official support never asks for your 2FA codes, password or seed phrase. Please block that account; you can check any channel on our verification page.", false)).await?;
    conversations
        .post(
            &as_agent(1),
            id2,
            post(
                "Reported the Telegram handle to the trust & safety team.",
                true,
            ),
        )
        .await?;
    conversations
        .set_status(&as_agent(1), id2, ConversationStatus::Resolved, None)
        .await?;
    crate::conversations::feedback::rate(
        state,
        &as_customer,
        id2,
        5,
        Some("Thanks for the quick warning!"),
    )
    .await?;

    // 3. A trading question nobody has picked up yet.
    let c3 = conversations
        .open(
            customer.id,
            Opening {
                subject: Some("Stop-loss on futures".into()),
                body: Some("How do I set a stop-loss on an open futures position?".into()),
                language: Some(Language::En),
                ..Default::default()
            },
        )
        .await?;
    conversations
        .post(
            &as_customer,
            c3.conversation.id,
            post("I'm using the mobile app, if that matters.", false),
        )
        .await?;
    let past = history::seed(store, customer.id, &agents, Timestamp::now()).await?;
    tracing::info!(past, "demo data loaded");
    Ok(())
}

/// Canned responses of the demo: shortcut, title, body, locale.
const DEMO_CANNED: &[(&str, &str, &str, Language)] = &[
    (
        "deposit-txid",
        "Deposit not arrived: ask for the TxID",
        "Hi {{customer.name}}, I'm {{agent.name}}. Could you send me the transaction hash (TxID) of the deposit and the network you used? I'll check it on chain right away.",
        Language::En,
    ),
    (
        "scam-warning",
        "Fake support warning",
        "Official support never asks for your password, 2FA codes, seed phrase or private keys, and never asks you to move funds. You can check any account or link on our verification page.",
        Language::En,
    ),
    (
        "tibi-txid",
        "提币未到账：索要 TxID",
        "{{customer.name}}您好，我是{{agent.name}}。请提供这笔提币的交易哈希（TxID）和所用网络，我马上为您在链上查询。",
        Language::Zh,
    ),
    (
        "fanzha",
        "防诈骗提醒",
        "官方客服绝不会索要您的密码、谷歌验证码、助记词或私钥，也不会要求您转移资产。您可以在官方验证页面核实任何账号或链接。",
        Language::Zh,
    ),
];

fn post(body: &str, internal: bool) -> Post {
    Post {
        client_msg_id: None,
        body: body.into(),
        internal,
        guard_override: None,
    }
}

pub async fn print_instructions(addr: SocketAddr, state: &AppState) {
    let config = &state.config;
    let hash = config
        .widget
        .identity_secret
        .as_ref()
        .map(|s| identity::user_hash(s, DEMO_USER_ID))
        .unwrap_or_default();
    println!();
    println!("trustdesk demo is ready.");
    println!("  Try a chat in your browser:  http://{addr}/demo");
    println!("  Agents (password \"{DEMO_PASSWORD}\", then a TOTP code from the secret):");
    for a in AGENTS {
        println!(
            "    {:<24} {} ({}, team {})",
            a.email, a.name, a.role, a.team
        );
        if let Ok(Some((agent, _))) = state.store.agent_credentials(a.email).await
            && let Ok(Some(t)) = state.store.get_totp(agent.id).await
            && t.confirmed_at.is_some()
        {
            println!(
                "      2FA secret {}  (oathtool --totp -b {})",
                t.secret, t.secret
            );
        }
    }
    println!(
        "  Is this official?  http://{addr}/verify  (try trustdesk.example, then trustdesk-support.example)"
    );
    println!("  Verified demo customer: user_id \"{DEMO_USER_ID}\", user_hash \"{hash}\"");
    println!(
        "  API: http://{addr}/openapi.json   WebSocket: ws://{addr}/v1/ws   Health: http://{addr}/healthz"
    );
    println!();
}
