//! Email end to end, against real mail servers started here (Dovecot for
//! IMAP over TLS, aiosmtpd for SMTP with STARTTLS; see common/mail.rs):
//! a customer's mail opens a conversation, the answers arrive in the
//! customer's mailbox threaded and signed, replies from every kind of mail
//! client land in the same conversation, machines never start a loop, and
//! no secret sent by mail is kept.

mod common;

use common::mail::{MailServers, password};
use common::*;
use lettre::address::Envelope;
use lettre::transport::smtp::client::Tls;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{Value, json};
use std::time::Duration;
use trustdesk_core::Role;
use trustdesk_server::channels::config::{EmailConfig, ImapConfig, SmtpConfig, TlsMode};

const SUPPORT: &str = "support@desk.test";
/// A checksum-valid BIP39 phrase (all-zero entropy).
const SEED: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
/// A checksum-valid WIF private key.
const WIF: &str = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";

fn email_config(servers: &MailServers) -> EmailConfig {
    EmailConfig {
        address: Some(SUPPORT.into()),
        display_name: Some("Desk Support".into()),
        thread_secret: None,
        imap: Some(ImapConfig {
            host: "127.0.0.1".into(),
            port: servers.imaps_port,
            tls: TlsMode::Implicit,
            ca_file: Some(servers.ca_file()),
            username: "support".into(),
            password: Some(password("support").into()),
            mailbox: "INBOX".into(),
            poll_interval_ms: 1_000,
            idle: true,
            import_existing: true,
        }),
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: servers.smtp_port,
            tls: TlsMode::Starttls,
            ca_file: Some(servers.ca_file()),
            username: None,
            password: None,
        }),
        continue_chat_after_ms: 1_000,
    }
}

async fn spawn(servers: &MailServers) -> TestApp {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let email = email_config(servers);
    TestApp::spawn_with(|c| {
        c.channels.email = email;
        // The customer's mail client answers in seconds in these tests.
        c.channels.inbound_per_address_per_minute = 60;
    })
    .await
}

/// Sends a raw mail the way a customer's mail client does: over SMTP to
/// the mail server.
async fn deliver(servers: &MailServers, from: &str, to: &str, raw: &str) {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(servers.smtp_port)
        .tls(Tls::None)
        .build();
    let envelope = Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()]).unwrap();
    transport
        .send_raw(&envelope, raw.replace('\n', "\r\n").as_bytes())
        .await
        .expect("the mail server accepts the mail");
}

async fn conversations(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app
        .get("/v1/agent/conversations?limit=50", Some(token))
        .await;
    assert_eq!(status, 200, "{page}");
    page["conversations"].as_array().unwrap().clone()
}

/// Waits until `count` email conversations exist.
async fn wait_for_conversations(app: &TestApp, token: &str, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        let found: Vec<Value> = conversations(app, token)
            .await
            .into_iter()
            .filter(|c| c["channel"] == "email")
            .collect();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {count} email conversations");
}

async fn events(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/v1/agent/conversations/{id}"), Some(token))
        .await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

/// Waits until the conversation holds an event matching `pred`.
async fn wait_for_event(
    app: &TestApp,
    token: &str,
    id: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..200 {
        if let Some(e) = events(app, token, id).await.into_iter().find(&pred) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {what} in {id}: {:#?}", events(app, token, id).await);
}

fn customer_message(body: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e: &Value| {
        e["kind"]["type"] == "message"
            && e["actor"]["type"] == "customer"
            && e["kind"]["body"].as_str().is_some_and(|b| b.contains(body))
    }
}

/// A header's value in a raw mail (first occurrence, unfolded).
fn header(mail: &str, name: &str) -> Option<String> {
    let parsed = mail_parser::MessageParser::default().parse(mail.as_bytes())?;
    parsed
        .header_raw(name)
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn text_of(mail: &str) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.as_bytes())
        .unwrap();
    parsed
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_mail_conversation_threads_across_every_kind_of_reply_and_never_loops() {
    let servers = MailServers::start().await;
    let app = spawn(&servers).await;
    let (admin, _) = app.agent_with_role("lead@desk.test", Role::Admin).await;

    // 1. A customer writes in.
    deliver(
        &servers,
        "ann@customer.test",
        SUPPORT,
        "From: Ann Lee <ann@customer.test>\n\
To: support@desk.test\n\
Subject: My deposit has not arrived\n\
Message-ID: <ann-1@customer.test>\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
I deposited 0.5 ETH two hours ago and it is not in my account.\n",
    )
    .await;
    let found = wait_for_conversations(&app, &admin, 1).await;
    let conv = found[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(found[0]["subject"], "My deposit has not arrived");
    wait_for_event(
        &app,
        &admin,
        &conv,
        "the first message",
        customer_message("0.5 ETH"),
    )
    .await;
    // The bot's answer (or its hand-off notice) goes out, marked automatic.
    let first = servers.wait_for_mail("ann", 1).await;
    // By now the thread is bound: replies go back to the sender.
    let (status, channels) = app
        .get(
            &format!("/v1/agent/conversations/{conv}/channels"),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{channels}");
    assert_eq!(channels["channel"], "email");
    assert_eq!(channels["reply_to"], "ann@customer.test");
    assert_eq!(channels["identities"][0]["address"], "ann@customer.test");
    assert_eq!(channels["identities"][0]["display_name"], "Ann Lee");
    assert_eq!(
        header(&first[0], "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert_eq!(
        header(&first[0], "In-Reply-To").as_deref(),
        Some("<ann-1@customer.test>")
    );

    // 2. An agent answers in the console; the mail is threaded and signed.
    let (status, body) = app
        .post(
            &format!("/v1/agent/conversations/{conv}/messages"),
            Some(&admin),
            json!({"body": "Your deposit is confirmed on chain; it will be credited after 12 confirmations."}),
        )
        .await;
    assert!(status == 201 || status == 200, "{body}");
    let mails = servers.wait_for_mail("ann", 2).await;
    let reply = &mails[1];
    assert!(
        text_of(reply).contains("credited after 12 confirmations"),
        "{reply}"
    );
    assert!(
        text_of(reply).contains("We never ask for seed phrases"),
        "{reply}"
    );
    assert!(reply.contains("text/html"), "an HTML part too");
    assert_eq!(
        header(reply, "Auto-Submitted"),
        None,
        "a person's reply is not automatic"
    );
    assert!(header(reply, "From").unwrap().contains("support@desk.test"));
    let reply_to = header(reply, "Reply-To").unwrap();
    let reply_address = reply_to.trim_matches(|c| c == '<' || c == '>').to_owned();
    assert!(
        reply_address.starts_with("support+") && reply_address.ends_with("@desk.test"),
        "{reply_to}"
    );
    let message_id = header(reply, "Message-ID").unwrap();
    assert!(message_id.starts_with("<td."), "{message_id}");
    assert_eq!(
        header(reply, "In-Reply-To").as_deref(),
        Some("<ann-1@customer.test>")
    );
    assert!(
        header(reply, "References")
            .unwrap()
            .contains("<ann-1@customer.test>")
    );

    // 3. A Gmail-style reply: In-Reply-To and References, the quote below.
    deliver(
        &servers,
        "ann@customer.test",
        &reply_address,
        &format!(
            "From: Ann Lee <ann@customer.test>\n\
To: Desk Support <{reply_address}>\n\
Subject: Re: My deposit has not arrived\n\
Message-ID: <ann-2@customer.test>\n\
In-Reply-To: {message_id}\n\
References: <ann-1@customer.test> {message_id}\n\
\n\
Thank you, I see it now.\n\
\n\
On Mon, 7 Dec 2026 at 10:00, Desk Support <support@desk.test> wrote:\n\
> Your deposit is confirmed on chain\n"
        ),
    )
    .await;
    let event = wait_for_event(
        &app,
        &admin,
        &conv,
        "the threaded reply",
        customer_message("I see it now"),
    )
    .await;
    assert!(
        !event["kind"]["body"]
            .as_str()
            .unwrap()
            .contains("confirmed on chain"),
        "quote trimmed"
    );

    // 4. An Outlook-style reply that drops In-Reply-To and References: the
    // signed reply address alone threads it.
    deliver(
        &servers,
        "ann@customer.test",
        &reply_address,
        &format!(
            "From: Ann Lee <ann@customer.test>\n\
To: {reply_address}\n\
Subject: RE: My deposit has not arrived\n\
Message-ID: <ann-3@customer.test>\n\
Thread-Index: AdlMn1\n\
\n\
One more question about the fee.\n\
\n\
________________________________\n\
From: Desk Support <support@desk.test>\n\
Sent: Monday, 7 December 2026 10:00\n"
        ),
    )
    .await;
    wait_for_event(
        &app,
        &admin,
        &conv,
        "the Outlook reply",
        customer_message("about the fee"),
    )
    .await;
    assert_eq!(
        wait_for_conversations(&app, &admin, 1).await.len(),
        1,
        "no new conversation"
    );

    // 5. An out-of-office answer to our mail: a note, nothing sent back.
    let mails_before = servers.mailbox("ann").len();
    deliver(
        &servers,
        "ann@customer.test",
        &reply_address,
        &format!(
            "From: Ann Lee <ann@customer.test>\n\
To: {reply_address}\n\
Subject: Automatic reply: My deposit\n\
Message-ID: <ann-oof@customer.test>\n\
In-Reply-To: {message_id}\n\
Auto-Submitted: auto-replied\n\
\n\
I am out of the office until Monday.\n"
        ),
    )
    .await;
    let note = wait_for_event(&app, &admin, &conv, "the auto-reply note", |e| {
        e["kind"]["type"] == "note"
            && e["kind"]["body"]
                .as_str()
                .is_some_and(|b| b.contains("out of the office"))
    })
    .await;
    assert_eq!(note["visibility"], "internal");

    // 6. A bounce of one of our mails: a note on its conversation, no
    // customer for the mailer daemon, nothing sent back.
    deliver(
        &servers,
        "mailer-daemon@mx.customer.test",
        SUPPORT,
        &format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.customer.test>\n\
To: support@desk.test\n\
Subject: Undelivered Mail Returned to Sender\n\
Message-ID: <bounce-1@mx.customer.test>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\
\n\
--b1\n\
Content-Type: text/plain\n\
\n\
The mail could not be delivered: mailbox full.\n\
--b1\n\
Content-Type: text/rfc822-headers\n\
\n\
From: Desk Support <support@desk.test>\n\
Message-ID: {message_id}\n\
--b1--\n"
        ),
    )
    .await;
    wait_for_event(&app, &admin, &conv, "the bounce note", |e| {
        e["kind"]["type"] == "note"
            && e["kind"]["body"]
                .as_str()
                .is_some_and(|b| b.contains("Delivery failure"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        servers.mailbox("ann").len(),
        mails_before,
        "no mail answers an auto-reply or a bounce"
    );
    assert!(servers.mailbox("mailer-daemon").is_empty());

    // 7. Someone else replies to Ann's thread (a forward): a new
    // conversation for them, linked, never merged into Ann's.
    deliver(
        &servers,
        "bob@other.test",
        &reply_address,
        &format!(
            "From: Bob <bob@other.test>\n\
To: {reply_address}\n\
Subject: Fwd: My deposit has not arrived\n\
Message-ID: <bob-1@other.test>\n\
In-Reply-To: {message_id}\n\
\n\
My deposit is missing too.\n"
        ),
    )
    .await;
    let both = wait_for_conversations(&app, &admin, 2).await;
    let bob_conv = both.iter().find(|c| c["id"] != conv.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for_event(
        &app,
        &admin,
        &bob_conv,
        "Bob's message",
        customer_message("missing too"),
    )
    .await;
    assert!(
        !events(&app, &admin, &conv)
            .await
            .iter()
            .any(customer_message("missing too")),
        "Bob's mail is not in Ann's conversation"
    );
    let (_, bob_channels) = app
        .get(
            &format!("/v1/agent/conversations/{bob_conv}/channels"),
            Some(&admin),
        )
        .await;
    assert_eq!(bob_channels["links"][0]["linked_id"], conv.as_str());
    assert_eq!(bob_channels["links"][0]["reason"], "other_sender");

    // 8. A made-up reply address threads nowhere.
    let forged = reply_address.replace(
        &reply_address[reply_address.len() - 20..reply_address.len() - 10],
        "0000000000",
    );
    deliver(
        &servers,
        "ann@customer.test",
        &forged,
        &format!(
            "From: Ann Lee <ann@customer.test>\n\
To: {forged}\n\
Subject: A new question\n\
Message-ID: <ann-4@customer.test>\n\
\n\
How do I set up 2FA?\n"
        ),
    )
    .await;
    let three = wait_for_conversations(&app, &admin, 3).await;
    assert_eq!(three.len(), 3);
    assert!(
        !events(&app, &admin, &conv)
            .await
            .iter()
            .any(customer_message("set up 2FA"))
    );
}

#[tokio::test]
async fn secrets_sent_by_mail_are_never_kept_and_a_restart_imports_each_mail_once() {
    let servers = MailServers::start().await;
    let mut app = spawn(&servers).await;
    let (admin, _) = app.agent_with_role("lead@desk.test", Role::Admin).await;
    let attachment = base64_lines(format!("my backup words: {SEED}\n").as_bytes());
    deliver(
        &servers,
        "ann@customer.test",
        SUPPORT,
        &format!(
            "From: \"Ann {SEED}\" <ann@customer.test>\n\
To: support@desk.test\n\
Subject: Help {SEED}\n\
Message-ID: <{WIF}@customer.test>\n\
References: <{WIF}.2@customer.test>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"m1\"\n\
\n\
--m1\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
The support agent on Telegram asked for my words: {SEED}\n\
--m1\n\
Content-Type: text/plain; name=\"backup.txt\"\n\
Content-Disposition: attachment; filename=\"backup.txt\"\n\
Content-Transfer-Encoding: base64\n\
\n\
{attachment}\n\
--m1--\n"
        ),
    )
    .await;
    let found = wait_for_conversations(&app, &admin, 1).await;
    let conv = found[0]["id"].as_str().unwrap().to_owned();
    wait_for_event(
        &app,
        &admin,
        &conv,
        "the message",
        customer_message("asked for my words"),
    )
    .await;
    wait_for_event(&app, &admin, &conv, "the file", |e| {
        e["kind"]["type"] == "attachment"
    })
    .await;
    let (_, shown) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&admin))
        .await;
    let (_, channels) = app
        .get(
            &format!("/v1/agent/conversations/{conv}/channels"),
            Some(&admin),
        )
        .await;
    let file_id = events(&app, &admin, &conv)
        .await
        .into_iter()
        .find(|e| e["kind"]["type"] == "attachment")
        .unwrap()["kind"]["file"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = String::from_utf8_lossy(&app.download(&admin, &file_id).await).into_owned();
    for (what, text) in [
        ("the conversation", shown.to_string()),
        ("the channels", channels.to_string()),
        ("the file", file),
    ] {
        assert!(
            !text.contains("abandon abandon abandon"),
            "the seed reached {what}: {text}"
        );
    }
    // Our answer quotes the subject: the redacted one.
    let mails = servers.wait_for_mail("ann", 1).await;
    assert!(
        !mails
            .iter()
            .any(|m| m.contains("abandon abandon abandon") || m.contains(WIF))
    );

    // Mail that arrives while trustdesk is down is imported after the
    // restart, and nothing before it a second time.
    let before = events(&app, &admin, &conv).await.len();
    app.shutdown().await;
    deliver(
        &servers,
        "ann@customer.test",
        SUPPORT,
        "From: Ann <ann@customer.test>\n\
To: support@desk.test\n\
Subject: Second question\n\
Message-ID: <while-down@customer.test>\n\
\n\
Written while the desk was restarting.\n",
    )
    .await;
    app.restart().await;
    let (admin, _) = app.agent_with_role("lead2@desk.test", Role::Admin).await;
    let all = wait_for_conversations(&app, &admin, 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(conversations(&app, &admin).await.len(), 2, "{all:#?}");
    assert_eq!(
        events(&app, &admin, &conv).await.len(),
        before,
        "nothing imported twice"
    );

    app.shutdown().await;
    assert_nowhere_on_disk(app.data_dir(), &["abandon abandon abandon", WIF]);
}

fn base64_lines(bytes: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_chat_the_customer_left_continues_by_email_and_their_mail_reply_lands_in_it() {
    use trustdesk_server::auth::identity;
    let servers = MailServers::start().await;
    let app = spawn(&servers).await;
    let (admin, _) = app.agent_with_role("lead@desk.test", Role::Admin).await;
    // A verified customer: the exchange vouches for the address.
    let hash = identity::user_hash(&IDENTITY_SECRET.to_owned().into(), "user-ann");
    let (status, session) = app
        .post(
            "/v1/widget/sessions",
            None,
            json!({"identity": {"user_id": "user-ann", "user_hash": hash, "email": "ann@customer.test", "name": "Ann"}}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let ann = session["token"].as_str().unwrap().to_owned();
    let conv = app
        .open_conversation(&ann, "How long does a BTC withdrawal take?")
        .await;
    // An anonymous customer who typed nothing verifiable gets no mail.
    let (stranger, _) = app.customer().await;
    let other = app
        .open_conversation(&stranger, "How long does a BTC withdrawal take?")
        .await;
    for id in [&conv, &other] {
        let (status, body) = app
            .post(
                &format!("/v1/agent/conversations/{id}/messages"),
                Some(&admin),
                json!({"body": "Usually within 30 minutes after 2 confirmations."}),
            )
            .await;
        assert!(status == 201 || status == 200, "{body}");
    }
    // Ann does not answer in the widget: the chat goes on by email.
    let mails = servers.wait_for_mail("ann", 1).await;
    let transcript = &mails[0];
    let text = text_of(transcript);
    assert!(
        text.contains("How long does a BTC withdrawal take?"),
        "{text}"
    );
    assert!(text.contains("Usually within 30 minutes"), "{text}");
    assert!(text.contains("Reply to this email"), "{text}");
    let reply_to = header(transcript, "Reply-To").unwrap();
    let reply_address = reply_to.trim_matches(|c| c == '<' || c == '>').to_owned();
    let message_id = header(transcript, "Message-ID").unwrap();
    deliver(
        &servers,
        "ann@customer.test",
        &reply_address,
        &format!(
            "From: Ann <ann@customer.test>\n\
To: {reply_address}\n\
Subject: Re: Your conversation with our support\n\
Message-ID: <ann-cont@customer.test>\n\
In-Reply-To: {message_id}\n\
\n\
Thanks, and what is the fee?\n"
        ),
    )
    .await;
    wait_for_event(
        &app,
        &admin,
        &conv,
        "Ann's mail in her chat",
        customer_message("what is the fee"),
    )
    .await;
    // The next agent reply follows her by email.
    app.post(
        &format!("/v1/agent/conversations/{conv}/messages"),
        Some(&admin),
        json!({"body": "The fee is 0.0002 BTC."}),
    )
    .await;
    let mails = servers.wait_for_mail("ann", 2).await;
    assert!(text_of(&mails[1]).contains("0.0002 BTC"));
    assert_eq!(
        header(&mails[1], "In-Reply-To").as_deref(),
        Some("<ann-cont@customer.test>")
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        servers.mailbox("ann").len(),
        2,
        "one mail per reply, no repeat"
    );
}

#[tokio::test]
async fn a_flood_from_one_address_is_capped_and_others_still_get_through() {
    let servers = MailServers::start().await;
    let email = email_config(&servers);
    let app = TestApp::spawn_with(|c| {
        c.channels.email = email;
        c.channels.inbound_per_address_per_minute = 3;
    })
    .await;
    let (admin, _) = app.agent_with_role("lead@desk.test", Role::Admin).await;
    for i in 0..6 {
        deliver(
            &servers,
            "loop@robot.test",
            SUPPORT,
            &format!(
                "From: robot@robot.test\n\
To: support@desk.test\n\
Subject: Ticket {i}\n\
Message-ID: <flood-{i}@robot.test>\n\
\n\
Your ticket number {i} was received.\n"
            ),
        )
        .await;
    }
    deliver(
        &servers,
        "bob@other.test",
        SUPPORT,
        "From: bob@other.test\nTo: support@desk.test\nSubject: Withdrawal\nMessage-ID: <bob-w@other.test>\n\nWhere is my withdrawal?\n",
    )
    .await;
    wait_for_conversations(&app, &admin, 4).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = wait_for_conversations(&app, &admin, 4).await;
    assert_eq!(all.len(), 4, "three from the flood, one from Bob: {all:#?}");
    assert!(all.iter().any(|c| c["subject"] == "Withdrawal"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolved_mail_conversation_sends_a_csat_link_that_rates_it_once() {
    let servers = MailServers::start().await;
    let email = email_config(&servers);
    let app = TestApp::spawn_with(|c| {
        c.channels.email = email;
        c.public_url = Some("https://support.desk.test/".into());
    })
    .await;
    let (admin, _) = app.agent_with_role("lead@desk.test", Role::Admin).await;
    deliver(
        &servers,
        "ann@customer.test",
        SUPPORT,
        "From: Ann Lee <ann@customer.test>\n\
To: support@desk.test\n\
Subject: Withdrawal pending\n\
Message-ID: <ann-csat@customer.test>\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
My withdrawal has been pending for a day.\n",
    )
    .await;
    let conv = wait_for_conversations(&app, &admin, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = servers.wait_for_mail("ann", 1).await.len();
    app.resolve(&admin, &conv).await;
    let mails = servers.wait_for_mail("ann", before + 1).await;
    let text = text_of(mails.last().unwrap());
    let start = text
        .find("https://support.desk.test/rate/")
        .unwrap_or_else(|| panic!("no CSAT link in {text}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<' && *c != '"')
        .collect();
    let path = link.trim_start_matches("https://support.desk.test");
    // Opening the link rates nothing (mail clients fetch links ahead).
    let page = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"score\""));
    let (_, seen) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&admin))
        .await;
    assert!(!seen.to_string().contains("\"rated\""));
    // The form does, once.
    let form = [("score", "4"), ("comment", "Quick and clear, thanks")];
    let sent = app
        .http
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert!(sent.text().await.unwrap().contains("Thank you"));
    let (_, rated) = app
        .get(&format!("/v1/agent/conversations/{conv}"), Some(&admin))
        .await;
    let rating = rated["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["type"] == "rated")
        .cloned()
        .expect("rated");
    assert_eq!(rating["kind"]["score"], 4);
    assert_eq!(rating["actor"]["type"], "customer");
    let again = app
        .http
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "one rating per resolution");
    // A forged or altered link opens nothing.
    let forged = format!("{}0", path);
    assert_eq!(
        app.http
            .get(app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let other = app
        .http
        .post(app.url(&path.replacen(&conv, &uuid::Uuid::new_v4().to_string(), 1)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}
