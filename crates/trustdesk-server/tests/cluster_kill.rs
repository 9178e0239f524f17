//! Issue 16, several nodes under kill -9: three real `trustdesk serve`
//! processes on one PostgreSQL and one NATS. Customers talk to node 1,
//! agents watch and answer from nodes 2 and 3; thousands of messages and
//! dozens of new conversations flow while the node that leads (the one whose
//! `/healthz` says `"leading": true`, whichever it is) is killed with
//! SIGKILL and started again. Clients send without pause around the kill,
//! so it lands on writes in flight; they reconnect to another node, resend
//! what was not acknowledged with the same `client_msg_id`, resume their
//! subscriptions with `since`, and go back to their own node once it is up
//! again (so after the restart customers open conversations on node 1
//! whichever node died). Afterwards:
//!
//! 1. every acknowledged message is stored exactly once, in send order,
//!    under the seq its ack named;
//! 2. every subscriber got every event of its conversations (customers:
//!    the public ones) exactly once and in seq order, across reconnects;
//! 3. no conversation was ever assigned to two agents at once (each
//!    `assigned`/`transferred` event takes it from whoever held it);
//! 4. routing went on after the leader died: conversations opened after
//!    the kill are routed to an agent within 15 s (and, checked apart,
//!    those opened before it);
//! 5. timers fired once: reminders due before, during and after the
//!    takeover, set through the leader and through other nodes (one of
//!    them at the end, when nothing else is written), and a snooze ending
//!    after the kill, each fire exactly once and within 5 s;
//! 6. another node leads within seconds, and only one.
//!
//! Every check runs and is printed (PASS/FAIL) before the test fails with
//! the list of what did not hold, so one broken requirement does not hide
//! the others. Runs when `TRUSTDESK_TEST_POSTGRES_URL` and
//! `TRUSTDESK_TEST_NATS_URL` are set (`.ci/run` sets both); the nodes' logs
//! are kept in a folder named at the end when something failed.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use trustdesk_server::accounts::totp;
use trustdesk_store::testing;

/// Customers, each on node 1, each with its conversations and messages.
const CUSTOMERS: usize = 6;
const MESSAGES_PER_CUSTOMER: usize = 300;
const CONVERSATIONS_PER_CUSTOMER: usize = 8;
/// A customer's message k is not sent before start + k × this: the run
/// lasts long enough for the kill to land in its middle.
const CUSTOMER_PACE: Duration = Duration::from_millis(100);
/// Agents: two on node 2, two on node 3. Each answers the conversations
/// routed to it (or, with none, writes notes in a notebook conversation),
/// at most this many times, one per pace.
const AGENTS: usize = 4;
const AGENT_REPLIES: usize = 75;
const AGENT_PACE: Duration = Duration::from_millis(400);
/// When the leader is killed (after the clients start) and for how long it
/// stays down. Late enough that conversations opened at the start have had
/// their 15 s to be routed before the kill changes anything.
const KILL_AFTER: Duration = Duration::from_secs(16);
const DOWN_FOR: Duration = Duration::from_secs(3);
/// A conversation opened after the kill is routed within this long.
const ROUTED_WITHIN_MS: i64 = 15_000;
/// A timer fires within this long after it is due (a takeover takes a
/// second or two: the lock is tried every 2 s).
const FIRED_WITHIN_MS: i64 = 5_000;
const PASSWORD: &str = "correct horse battery staple";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A command with none of the caller's `TRUSTDESK_*` settings (the test
/// variables, a config file): only what the test gives it.
fn trustdesk(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trustdesk"));
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("TRUSTDESK_") {
            command.env_remove(key);
        }
    }
    command
}

/// One `trustdesk serve` process; killed when dropped, so a failing
/// assertion does not leave it running.
struct Node {
    n: usize,
    addr: SocketAddr,
    dir: PathBuf,
    database_url: String,
    nats: String,
    subject: String,
    child: Option<Child>,
}

impl Node {
    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("node.log"))
            .unwrap();
        let child = trustdesk(&self.dir)
            .args(["serve", "--listen", &self.addr.to_string()])
            .args(["--database-url", &self.database_url])
            .args(["--bus-url", &self.nats])
            .arg("--data-dir")
            .arg(self.dir.join("data"))
            .env("TRUSTDESK_BUS_SUBJECT", &self.subject)
            // Route at once even when the bot answered (the bot hold has
            // its own tests); nothing else differs from the defaults.
            .env("TRUSTDESK_ROUTING__BOT_HOLD_MS", "0")
            .env("RUST_LOG", "warn,trustdesk_server::leader=info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the trustdesk binary starts");
        self.child = Some(child);
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn health(http: &reqwest::Client, addr: SocketAddr) -> Option<Value> {
    let res = http
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.json().await.ok()
}

async fn wait_healthy(http: &reqwest::Client, node: &mut Node) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if health(http, node.addr).await.is_some() {
            return;
        }
        if let Some(status) = node.child.as_mut().unwrap().try_wait().unwrap() {
            panic!(
                "node {} exited during startup: {status} (log: {})",
                node.n,
                node.dir.join("node.log").display()
            );
        }
        assert!(Instant::now() < deadline, "node {} did not come up", node.n);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The nodes among `among` whose `/healthz` says they lead.
async fn leaders(http: &reqwest::Client, nodes: &[Node], among: &[usize]) -> Vec<usize> {
    let mut leading = Vec::new();
    for &i in among {
        if let Some(h) = health(http, nodes[i].addr).await
            && h["leading"] == true
        {
            leading.push(i);
        }
    }
    leading
}

/// Waits until exactly one node of `among` leads, twice in a row 300 ms
/// apart; `Err` with the last answer after `within`.
async fn one_leader(
    http: &reqwest::Client,
    nodes: &[Node],
    among: &[usize],
    within: Duration,
) -> Result<usize, Vec<usize>> {
    let deadline = Instant::now() + within;
    let mut last = Vec::new();
    loop {
        let now = leaders(http, nodes, among).await;
        if now.len() == 1 && now == last {
            return Ok(now[0]);
        }
        if Instant::now() > deadline {
            return Err(now);
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// `trustdesk agent create` against the shared database.
fn create_agent(dir: &Path, database_url: &str, email: &str, name: &str, role: &str) {
    let mut child = trustdesk(dir)
        .args(["agent", "create", "--email", email, "--name", name])
        .args(["--role", role, "--password-stdin"])
        .args(["--database-url", database_url])
        .arg("--data-dir")
        .arg(dir.join("cli"))
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{PASSWORD}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "agent create {email}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = http.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
        Err(e) => (0, json!({"transport": e.to_string()})),
    }
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    call(http, reqwest::Method::POST, url, token, Some(body)).await
}

/// An agent created by the CLI signs in for the first time over HTTP:
/// password → enrolment ticket → TOTP secret → first code → session.
/// Returns (session token, agent id).
async fn first_login(http: &reqwest::Client, node: &Node, email: &str) -> (String, String) {
    let (status, ticket) = post(
        http,
        node.url("/v1/agent/login"),
        None,
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "login {email}: {ticket}");
    assert_eq!(ticket["next"], "enrol", "{ticket}");
    let ticket = ticket["ticket"].as_str().unwrap().to_owned();
    let (status, enrol) = post(
        http,
        node.url("/v1/agent/2fa/enrol"),
        None,
        json!({"ticket": ticket}),
    )
    .await;
    assert_eq!(status, 200, "enrol {email}: {enrol}");
    let secret = enrol["secret"].as_str().unwrap();
    let code = totp::code_for_step(secret, totp::step_of(totp::now_secs())).unwrap();
    let (status, done) = post(
        http,
        node.url("/v1/agent/2fa/confirm"),
        None,
        json!({"ticket": ticket, "code": code}),
    )
    .await;
    assert_eq!(status, 200, "confirm {email}: {done}");
    (
        done["token"].as_str().unwrap().to_owned(),
        done["agent"]["id"].as_str().unwrap().to_owned(),
    )
}

// ---------------------------------------------------------------------
// Clients

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What one client did and saw, read by the test at the end.
#[derive(Default)]
struct Record {
    name: String,
    /// Customers see public events only.
    customer: bool,
    /// Conversations it subscribed to.
    subscribed: BTreeSet<String>,
    /// Per conversation, the seq of every `event` frame, in arrival order.
    received: HashMap<String, Vec<i64>>,
    /// Acknowledged messages in send order: (conversation, client_msg_id, seq).
    acked: Vec<(String, String, i64)>,
    /// The node of each connection it made, in order.
    connections: Vec<usize>,
    /// Refusals the server should not have given.
    problems: Vec<String>,
    done_sending: bool,
    /// Messages sent again on a new connection, and acks that said the
    /// server had stored it already.
    resent: usize,
    duplicates: usize,
}

type Shared = Arc<Mutex<Record>>;

/// What every client shares.
struct Env {
    http: reqwest::Client,
    addrs: Vec<SocketAddr>,
    /// Told of every new conversation and what it is for.
    agents: Vec<mpsc::UnboundedSender<(String, Purpose)>>,
    /// Customers are done: agents finish their last answer and stop sending.
    sending_over: AtomicBool,
    /// Around the kill clients send without pause, so the victim dies with
    /// writes in flight (to be resent on another node).
    burst: AtomicBool,
    /// The test has what it needs: clients stop reading.
    stop: AtomicBool,
}

struct Conn {
    ws: Ws,
    /// The node it is connected to.
    node: usize,
    subscribed: HashSet<String>,
    last_ping: Instant,
    home_checked: Instant,
}

/// A client that fell back to another node goes back to its own once that
/// is up again (as a load balancer would spread it): true when it should
/// reconnect now. So conversations are opened on node 1 again after its
/// restart, whichever node was killed.
async fn home_is_back(env: &Env, order: &[usize], conn: &mut Conn) -> bool {
    if conn.node == order[0] || conn.home_checked.elapsed() < Duration::from_secs(2) {
        return false;
    }
    conn.home_checked = Instant::now();
    health(&env.http, env.addrs[order[0]]).await.is_some()
}

/// Connects to the first node in `order` that answers and says hello.
async fn connect(env: &Env, order: &[usize], token: &str) -> Option<(Conn, usize)> {
    for &i in order {
        let url = format!("ws://{}/v1/ws", env.addrs[i]);
        let Ok(Ok((mut ws, _))) = tokio::time::timeout(
            Duration::from_secs(3),
            tokio_tungstenite::connect_async(url),
        )
        .await
        else {
            continue;
        };
        let hello = json!({"type": "hello", "v": 1, "token": token});
        if ws
            .send(Message::Text(hello.to_string().into()))
            .await
            .is_err()
        {
            continue;
        }
        let welcome = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(text) = msg {
                    return serde_json::from_str::<Value>(&text).ok();
                }
            }
            None
        })
        .await;
        match welcome {
            Ok(Some(frame)) if frame["type"] == "welcome" => {
                return Some((
                    Conn {
                        ws,
                        node: i,
                        subscribed: HashSet::new(),
                        last_ping: Instant::now(),
                        home_checked: Instant::now(),
                    },
                    i,
                ));
            }
            other => eprintln!("node {}: no welcome: {other:?}", i + 1),
        }
    }
    None
}

async fn send_frame(conn: &mut Conn, frame: Value) -> bool {
    conn.ws
        .send(Message::Text(frame.to_string().into()))
        .await
        .is_ok()
}

/// Subscribes (once per connection) from the last seq this client got.
async fn subscribe(conn: &mut Conn, rec: &Shared, conversation: &str) -> bool {
    if conn.subscribed.contains(conversation) {
        return true;
    }
    let since = {
        let mut r = rec.lock().unwrap();
        r.subscribed.insert(conversation.to_owned());
        r.received
            .get(conversation)
            .and_then(|s| s.last().copied())
            .unwrap_or(0)
    };
    conn.subscribed.insert(conversation.to_owned());
    send_frame(
        conn,
        json!({"type": "subscribe", "conversation_id": conversation, "since": since,
               "ref": format!("sub:{conversation}")}),
    )
    .await
}

/// The answer to the message in flight.
enum Answer {
    Ack { cid: String, seq: i64 },
    Retry(Duration),
    Refused,
}

/// Assignment as an agent follows it from the events it receives.
struct Mine<'a> {
    me: &'a str,
    conversations: &'a mut BTreeSet<String>,
}

/// Reads frames until `deadline` or an answer to the message in flight:
/// `Err(())` when the connection broke.
async fn pump(
    conn: &mut Conn,
    rec: &Shared,
    deadline: Instant,
    mut mine: Option<Mine<'_>>,
) -> Result<Option<Answer>, ()> {
    loop {
        if conn.last_ping.elapsed() > Duration::from_secs(10) {
            conn.last_ping = Instant::now();
            if !send_frame(conn, json!({"type": "ping"})).await {
                return Err(());
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        let wait = (deadline - now).min(Duration::from_secs(1));
        let next = match tokio::time::timeout(wait, conn.ws.next()).await {
            Err(_) => continue,
            Ok(None) | Ok(Some(Err(_))) => return Err(()),
            Ok(Some(Ok(msg))) => msg,
        };
        let text = match next {
            Message::Text(text) => text,
            Message::Close(_) => return Err(()),
            _ => continue,
        };
        let frame: Value = serde_json::from_str(&text).unwrap();
        match frame["type"].as_str() {
            Some("event") => {
                let event = &frame["event"];
                let conversation = event["conversation_id"].as_str().unwrap().to_owned();
                let seq = event["seq"].as_i64().unwrap();
                if let Some(m) = mine.as_mut() {
                    let to = match event["kind"]["type"].as_str() {
                        Some("assigned") => Some(&event["kind"]["to"]),
                        Some("transferred") => Some(&event["kind"]["to_agent"]),
                        _ => None,
                    };
                    match to {
                        Some(to) if to == m.me => {
                            m.conversations.insert(conversation.clone());
                        }
                        Some(_) => {
                            m.conversations.remove(&conversation);
                        }
                        None => {}
                    }
                }
                rec.lock()
                    .unwrap()
                    .received
                    .entry(conversation)
                    .or_default()
                    .push(seq);
            }
            Some("ack") => {
                if frame["duplicate"] == true {
                    rec.lock().unwrap().duplicates += 1;
                }
                return Ok(Some(Answer::Ack {
                    cid: frame["client_msg_id"].as_str().unwrap().to_owned(),
                    seq: frame["seq"].as_i64().unwrap(),
                }));
            }
            Some("error") => {
                let reference = frame["ref"].as_str().unwrap_or_default();
                if frame["code"] == "overloaded" {
                    let ms = frame["retry_after_ms"].as_u64().unwrap_or(200);
                    return Ok(Some(Answer::Retry(Duration::from_millis(ms))));
                }
                let name = rec.lock().unwrap().name.clone();
                rec.lock()
                    .unwrap()
                    .problems
                    .push(format!("{name}: refused: {frame}"));
                if reference.starts_with("msg:") {
                    return Ok(Some(Answer::Refused));
                }
            }
            _ => {}
        }
    }
}

/// What a client sends next, with its `client_msg_id`.
struct Outgoing {
    conversation: String,
    cid: String,
    body: String,
    /// An agent's internal note rather than a message to the customer.
    internal: bool,
}

/// A client's new connection after it lost one: subscribed again to
/// `conversations` (each resumes from what it saw) and the unacknowledged
/// message resent with its id. `None` (after a short pause when no node
/// answered) means try again.
async fn reconnect(
    env: &Env,
    order: &[usize],
    token: &str,
    rec: &Shared,
    conversations: &[String],
    pending: Option<&Outgoing>,
) -> Option<Conn> {
    let Some((mut c, node)) = connect(env, order, token).await else {
        tokio::time::sleep(Duration::from_millis(50)).await;
        return None;
    };
    rec.lock().unwrap().connections.push(node);
    let mut ok = true;
    for id in conversations {
        ok &= subscribe(&mut c, rec, id).await;
    }
    if let Some(out) = pending {
        rec.lock().unwrap().resent += 1;
        ok &= send_message(&mut c, out).await;
    }
    ok.then_some(c)
}

async fn send_message(conn: &mut Conn, out: &Outgoing) -> bool {
    send_frame(
        conn,
        json!({"type": "send", "conversation_id": out.conversation, "client_msg_id": out.cid,
               "body": out.body, "internal": out.internal, "ref": format!("msg:{}", out.cid)}),
    )
    .await
}

/// The outcome of waiting for the ack of `out`; `Err(())` means reconnect
/// and resend.
async fn await_ack(
    conn: &mut Conn,
    rec: &Shared,
    out: &Outgoing,
    mine: Option<Mine<'_>>,
) -> Result<bool, ()> {
    match pump(conn, rec, Instant::now() + Duration::from_secs(10), mine).await? {
        Some(Answer::Ack { cid, seq }) if cid == out.cid => {
            rec.lock()
                .unwrap()
                .acked
                .push((out.conversation.clone(), cid, seq));
            Ok(true)
        }
        Some(Answer::Ack { .. }) => Ok(false),
        Some(Answer::Retry(wait)) => {
            tokio::time::sleep(wait).await;
            if send_message(conn, out).await {
                Ok(false)
            } else {
                Err(())
            }
        }
        Some(Answer::Refused) => Ok(true),
        // Ten seconds without an answer: drop this connection and resend
        // on a new one.
        None => Err(()),
    }
}

/// Opens a conversation over REST, on the first node in `order` that
/// answers; the same `client_msg_id` makes a retry on another node safe.
async fn open_conversation(
    env: &Env,
    order: &[usize],
    token: &str,
    cid: &str,
    body: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for &i in order {
            let (status, created) = post(
                &env.http,
                format!("http://{}/v1/widget/conversations", env.addrs[i]),
                Some(token),
                json!({"subject": "kill test", "body": body, "client_msg_id": cid}),
            )
            .await;
            if status == 200 || status == 201 {
                return created;
            }
            if status != 0 && status != 429 && status < 500 {
                panic!("opening {cid} was refused: {status} {created}");
            }
        }
        assert!(Instant::now() < deadline, "{cid}: no node opened it");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a conversation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    /// A customer's chat: routed, answered by its agent.
    Chat,
    /// Where the reminders and the snooze are set; nobody writes in it.
    Timers,
    /// Where agents without a conversation of their own write internal
    /// notes (which take nothing), so agents have writes in flight at the
    /// kill whatever routing does, without teaching a router of the
    /// customers' chats.
    Notebook,
}

struct CustomerPlan {
    n: usize,
    token: String,
    order: Vec<usize>,
    messages: usize,
    conversations: usize,
    /// What its conversations are for, in opening order (default: chats).
    purposes: Vec<Purpose>,
}

/// A customer: opens its conversations one after another over REST,
/// subscribes to each over its WebSocket and sends its messages round
/// robin over them, one at a time, each resent until acknowledged.
async fn customer(env: Arc<Env>, plan: CustomerPlan, rec: Shared) {
    let start = Instant::now();
    // Conversations are opened on a clock of their own (the burst around
    // the kill must not move them before it).
    let open_every = CUSTOMER_PACE * (plan.messages / plan.conversations.max(1)) as u32;
    let mut conversations: Vec<String> = Vec::new();
    let mut sent = 0usize;
    let mut pending: Option<Outgoing> = None;
    let mut conn: Option<Conn> = None;
    loop {
        let Some(c) = conn.as_mut() else {
            conn = reconnect(
                &env,
                &plan.order,
                &plan.token,
                &rec,
                &conversations,
                pending.as_ref(),
            )
            .await;
            continue;
        };
        if let Some(out) = &pending {
            match await_ack(c, &rec, out, None).await {
                Ok(true) => pending = None,
                Ok(false) => {}
                Err(()) => conn = None,
            }
            continue;
        }
        if home_is_back(&env, &plan.order, c).await {
            conn = None;
            continue;
        }
        // Opens follow their schedule, but all are done before the customer
        // says it is done: in a burst its messages can run out first, and a
        // conversation opened after that would be missing from the checks.
        if conversations.len() < plan.conversations
            && (Instant::now() >= start + open_every * conversations.len() as u32
                || sent >= plan.messages)
        {
            let j = conversations.len();
            let cid = format!("k{}-open{j}", plan.n);
            let body = format!(
                "Hello, customer {} here with question {j} about my deposit",
                plan.n
            );
            let created = open_conversation(&env, &plan.order, &plan.token, &cid, &body).await;
            let id = created["conversation"]["id"].as_str().unwrap().to_owned();
            let seq = created["events"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["client_msg_id"] == cid.as_str())
                .and_then(|e| e["seq"].as_i64())
                .expect("the first message is in the answer");
            rec.lock().unwrap().acked.push((id.clone(), cid, seq));
            conversations.push(id.clone());
            for agent in &env.agents {
                let purpose = plan.purposes.get(j).copied().unwrap_or(Purpose::Chat);
                let _ = agent.send((id.clone(), purpose));
            }
            if !subscribe(c, &rec, &id).await {
                conn = None;
            }
            continue;
        }
        if sent < plan.messages {
            let due = start + CUSTOMER_PACE * sent as u32;
            if Instant::now() < due && !env.burst.load(Ordering::SeqCst) {
                let until = due.min(Instant::now() + Duration::from_millis(50));
                if pump(c, &rec, until, None).await.is_err() {
                    conn = None;
                }
                continue;
            }
            let out = Outgoing {
                conversation: conversations[sent % conversations.len()].clone(),
                cid: format!("k{}-m{sent}", plan.n),
                body: format!("Customer {} message {sent}, still waiting", plan.n),
                internal: false,
            };
            sent += 1;
            if !send_message(c, &out).await {
                conn = None;
            }
            pending = Some(out);
            continue;
        }
        rec.lock().unwrap().done_sending = true;
        if env.stop.load(Ordering::SeqCst) {
            return;
        }
        if pump(c, &rec, Instant::now() + Duration::from_millis(200), None)
            .await
            .is_err()
        {
            conn = None;
        }
    }
}

struct AgentPlan {
    name: String,
    token: String,
    id: String,
    order: Vec<usize>,
}

/// An agent: subscribes to every conversation it is told of (from seq 0),
/// follows which are assigned to it from the events, and answers those,
/// one at a time, each resent until acknowledged.
async fn agent(
    env: Arc<Env>,
    plan: AgentPlan,
    mut told: mpsc::UnboundedReceiver<(String, Purpose)>,
    rec: Shared,
) {
    let mut known: Vec<String> = Vec::new();
    let mut quiet: HashSet<String> = HashSet::new();
    let mut notebook: Option<String> = None;
    let mut mine: BTreeSet<String> = BTreeSet::new();
    let mut replies = 0usize;
    let mut next_reply = Instant::now();
    let mut pending: Option<Outgoing> = None;
    let mut conn: Option<Conn> = None;
    loop {
        let mut fresh = Vec::new();
        while let Ok((id, purpose)) = told.try_recv() {
            if purpose != Purpose::Chat {
                quiet.insert(id.clone());
            }
            if purpose == Purpose::Notebook {
                notebook = Some(id.clone());
            }
            known.push(id.clone());
            fresh.push(id);
        }
        let Some(c) = conn.as_mut() else {
            conn = reconnect(
                &env,
                &plan.order,
                &plan.token,
                &rec,
                &known,
                pending.as_ref(),
            )
            .await;
            continue;
        };
        let mut ok = true;
        for id in &fresh {
            ok &= subscribe(c, &rec, id).await;
        }
        if !ok {
            conn = None;
            continue;
        }
        if let Some(out) = &pending {
            let tracker = Mine {
                me: &plan.id,
                conversations: &mut mine,
            };
            match await_ack(c, &rec, out, Some(tracker)).await {
                Ok(true) => pending = None,
                Ok(false) => {}
                Err(()) => conn = None,
            }
            continue;
        }
        if home_is_back(&env, &plan.order, c).await {
            conn = None;
            continue;
        }
        let over = env.sending_over.load(Ordering::SeqCst) || replies >= AGENT_REPLIES;
        if over {
            rec.lock().unwrap().done_sending = true;
            if env.stop.load(Ordering::SeqCst) {
                return;
            }
        }
        // Its own conversations get answers; without any (routing has not
        // reached it) it writes notes in the notebook.
        let answerable: Vec<&String> = mine.iter().filter(|id| !quiet.contains(*id)).collect();
        let target = if answerable.is_empty() {
            notebook.clone().map(|id| (id, true))
        } else {
            Some((answerable[replies % answerable.len()].clone(), false))
        };
        match target {
            Some((conversation, internal))
                if !over && (Instant::now() >= next_reply || env.burst.load(Ordering::SeqCst)) =>
            {
                let out = Outgoing {
                    conversation,
                    cid: format!("{}-r{replies}", plan.name),
                    body: if internal {
                        format!("Note {replies}: customer still waiting, checking the ledger")
                    } else {
                        format!("Thanks for waiting, I am looking into it (answer {replies})")
                    },
                    internal,
                };
                replies += 1;
                next_reply = Instant::now() + AGENT_PACE;
                if !send_message(c, &out).await {
                    conn = None;
                }
                pending = Some(out);
            }
            _ => {
                let tracker = Mine {
                    me: &plan.id,
                    conversations: &mut mine,
                };
                let until = Instant::now() + Duration::from_millis(50);
                if pump(c, &rec, until, Some(tracker)).await.is_err() {
                    conn = None;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------
// Reading the outcome

/// Every event of a conversation, as an admin reads it over REST.
async fn log_of(http: &reqwest::Client, base: &str, token: &str, id: &str) -> (Value, Vec<Value>) {
    let mut events: Vec<Value> = Vec::new();
    loop {
        let since = events.last().map_or(0, |e| e["seq"].as_i64().unwrap());
        let (status, page) = call(
            http,
            reqwest::Method::GET,
            format!("{base}/v1/agent/conversations/{id}?since={since}&limit=500"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, 200, "history of {id}: {page}");
        let conversation = page["conversation"].clone();
        let page = page["events"].as_array().unwrap().clone();
        if page.is_empty() {
            return (conversation, events);
        }
        events.extend(page);
    }
}

async fn all_logs(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    ids: &[String],
) -> BTreeMap<String, (Value, Vec<Value>)> {
    let mut logs = BTreeMap::new();
    for id in ids {
        logs.insert(id.clone(), log_of(http, base, token, id).await);
    }
    logs
}

/// What each subscriber got that differs from the log: one line each.
fn delivery_mismatches(
    records: &[Shared],
    logs: &BTreeMap<String, (Value, Vec<Value>)>,
) -> Vec<String> {
    let mut out = Vec::new();
    for rec in records {
        let r = rec.lock().unwrap();
        for id in &r.subscribed {
            let Some((_, events)) = logs.get(id) else {
                continue;
            };
            let expected: Vec<i64> = events
                .iter()
                .filter(|e| !r.customer || e["visibility"] == "public")
                .map(|e| e["seq"].as_i64().unwrap())
                .collect();
            let got = r.received.get(id).cloned().unwrap_or_default();
            if got != expected {
                let mut seen = HashSet::new();
                let dups: Vec<i64> = got.iter().filter(|s| !seen.insert(**s)).copied().collect();
                let missing: Vec<i64> = expected
                    .iter()
                    .filter(|s| !got.contains(s))
                    .copied()
                    .collect();
                let ordered = got.windows(2).all(|w| w[0] < w[1]);
                out.push(format!(
                    "{} in {id}: {} events received, {} in the log; duplicates {dups:?}, missing {missing:?}, in order: {ordered}",
                    r.name,
                    got.len(),
                    expected.len()
                ));
            }
        }
    }
    out
}

fn kind(e: &Value) -> &str {
    e["kind"]["type"].as_str().unwrap_or_default()
}

/// A checklist that goes on after a failed item.
#[derive(Default)]
struct Checks {
    failures: Vec<String>,
}

impl Checks {
    fn check(&mut self, what: &str, problems: Vec<String>) {
        if problems.is_empty() {
            eprintln!("PASS  {what}");
        } else {
            eprintln!("FAIL  {what}: {} problem(s)", problems.len());
            for p in problems.iter().take(12) {
                eprintln!("        {p}");
            }
            if problems.len() > 12 {
                eprintln!("        … and {} more", problems.len() - 12);
            }
            self.failures.push(format!(
                "{what}: {}",
                problems.first().cloned().unwrap_or_default()
            ));
        }
    }
}

/// A follow-up reminder the test set: its id, when it is due, and through
/// which node it was set.
struct Reminder {
    label: &'static str,
    id: String,
    due: i64,
    /// "node N (leading)" or "node N (not leading)" when it was set.
    via: String,
}

async fn set_reminder(
    http: &reqwest::Client,
    node: &Node,
    token: &str,
    conversation: &str,
    label: &'static str,
    leads: bool,
    in_ms: i64,
) -> Reminder {
    let via = format!(
        "node {} ({})",
        node.n,
        if leads { "leading" } else { "not leading" }
    );
    let (status, body) = post(
        http,
        node.url(&format!("/v1/agent/conversations/{conversation}/reminders")),
        Some(token),
        json!({"in_ms": in_ms, "note": format!("kill test: {label}")}),
    )
    .await;
    assert_eq!(status, 201, "reminder {label}: {body}");
    let kind = &body["event"]["kind"];
    eprintln!("reminder {label:>9} set through {via}, due in {in_ms} ms");
    Reminder {
        label,
        id: kind["id"].as_str().unwrap().to_owned(),
        due: kind["at"].as_i64().unwrap(),
        via,
    }
}

/// Drops this run's database (its nodes are gone), so passing runs leave
/// nothing behind; a failing run keeps it to look at.
async fn drop_database(admin_url: &str, name: &str) {
    use sqlx::Connection;
    let Ok(admin) = admin_url.parse::<sqlx::postgres::PgConnectOptions>() else {
        return;
    };
    if let Ok(mut conn) = sqlx::PgConnection::connect_with(&admin).await {
        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&mut conn)
            .await
        {
            eprintln!("could not drop {name}: {e}");
        }
        let _ = conn.close().await;
    }
}

/// Sleeps until `at` (no-op when it passed).
async fn sleep_until(at: Instant) {
    tokio::time::sleep_until(at).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_dies_under_load_and_nothing_is_lost_or_doubled() {
    let (Some(pg), Some(nats)) = (
        testing::postgres_url(),
        std::env::var("TRUSTDESK_TEST_NATS_URL")
            .ok()
            .filter(|u| !u.is_empty()),
    ) else {
        eprintln!(
            "TRUSTDESK_TEST_POSTGRES_URL / TRUSTDESK_TEST_NATS_URL not set: cluster kill test skipped"
        );
        return;
    };
    let started = std::time::Instant::now();
    let options = testing::fresh_postgres_database(&pg).await.unwrap();
    let mut url = reqwest::Url::parse(&pg).expect("TRUSTDESK_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{}", options.get_database().unwrap()));
    let database_url = url.to_string();
    let subject = format!("td-kill-{}", uuid::Uuid::new_v4().simple());
    let run_dir = std::env::temp_dir().join(format!("trustdesk-{subject}"));
    std::fs::create_dir_all(run_dir.join("cli")).unwrap();

    // Accounts, as an operator makes them: the CLI on the shared database.
    create_agent(&run_dir, &database_url, "admin@kill.test", "Admin", "admin");
    let agent_names: Vec<String> = (1..=AGENTS).map(|i| format!("a{i}")).collect();
    for name in &agent_names {
        // Supervisors: they may watch every conversation of the general
        // queue, assigned or not, and are routed to like anyone with a
        // routing profile.
        let email = format!("{name}@kill.test");
        create_agent(
            &run_dir,
            &database_url,
            &email,
            &format!("Agent {name}"),
            "supervisor",
        );
    }

    let mut nodes: Vec<Node> = (1..=3)
        .map(|n| {
            let dir = run_dir.join(format!("node{n}"));
            std::fs::create_dir_all(dir.join("data")).unwrap();
            Node {
                n,
                addr: free_addr(),
                dir,
                database_url: database_url.clone(),
                nats: nats.clone(),
                subject: subject.clone(),
                child: None,
            }
        })
        .collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for node in nodes.iter_mut() {
        node.start();
    }
    for node in nodes.iter_mut() {
        wait_healthy(&http, node).await;
    }
    let mut checks = Checks::default();
    for node in &nodes {
        let h = health(&http, node.addr).await.unwrap();
        assert_eq!(h["store"], "postgres", "{h}");
        assert_eq!(h["bus"], "nats", "{h}");
    }
    let leader = one_leader(&http, &nodes, &[0, 1, 2], Duration::from_secs(15)).await;
    checks.check(
        "exactly one node leads at start",
        match &leader {
            Ok(_) => vec![],
            Err(now) => vec![format!("leading now: {now:?}")],
        },
    );

    // Sign-ins (first login enrols 2FA) and routing profiles, over HTTP.
    let (admin, _) = first_login(&http, &nodes[1], "admin@kill.test").await;
    let mut agents = Vec::new();
    for (i, name) in agent_names.iter().enumerate() {
        let home = if i < AGENTS / 2 { 1 } else { 2 };
        let (token, id) = first_login(&http, &nodes[home], &format!("{name}@kill.test")).await;
        let (status, body) = call(
            &http,
            reqwest::Method::PUT,
            nodes[home].url(&format!("/v1/admin/agents/{id}/routing")),
            Some(&admin),
            Some(
                json!({"skills": {"account": 3, "trading": 3, "transfer": 3, "security": 3,
                                   "storage": 3, "compliance": 3},
                        "capacity": 30, "languages": ["en"]}),
            ),
        )
        .await;
        assert_eq!(status, 200, "routing profile of {name}: {body}");
        agents.push((name.clone(), token, id, home));
    }

    // Clients: customers prefer node 1, agents their own node; each falls
    // back to the others.
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..AGENTS).map(|_| mpsc::unbounded_channel()).unzip();
    let env = Arc::new(Env {
        http: http.clone(),
        addrs: nodes.iter().map(|n| n.addr).collect(),
        agents: senders,
        sending_over: AtomicBool::new(false),
        burst: AtomicBool::new(false),
        stop: AtomicBool::new(false),
    });
    let mut records: Vec<Shared> = Vec::new();
    let mut tasks = Vec::new();
    for ((name, token, id, home), told) in agents.iter().zip(receivers) {
        let rec: Shared = Arc::new(Mutex::new(Record {
            name: name.clone(),
            ..Default::default()
        }));
        records.push(rec.clone());
        let order = if *home == 1 {
            vec![1, 2, 0]
        } else {
            vec![2, 1, 0]
        };
        let plan = AgentPlan {
            name: name.clone(),
            token: token.clone(),
            id: id.clone(),
            order,
        };
        tasks.push(tokio::spawn(agent(env.clone(), plan, told, rec)));
    }
    // Agents are routed to only while online: wait until each node's
    // router counts its own agents (other nodes' presence is not asked).
    for (name, token, id, home) in &agents {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (_, q) = call(
                &http,
                reqwest::Method::GET,
                nodes[*home].url("/v1/agent/queue"),
                Some(token),
                None,
            )
            .await;
            let online = q["agents"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|a| a["agent_id"] == id.as_str() && a["presence"] == "online")
            });
            if online {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} is not online on node {}: {q}",
                home + 1
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for n in 0..=CUSTOMERS {
        let (status, session) = post(
            &http,
            nodes[0].url("/v1/widget/sessions"),
            None,
            json!({"locale": "en"}),
        )
        .await;
        assert_eq!(status, 201, "{session}");
        let token = session["token"].as_str().unwrap().to_owned();
        // Customer CUSTOMERS is the quiet one: no messages, a conversation
        // for the timers and the agents' notebook.
        let quiet = n == CUSTOMERS;
        let rec: Shared = Arc::new(Mutex::new(Record {
            name: if quiet {
                "quiet".into()
            } else {
                format!("k{n}")
            },
            customer: true,
            ..Default::default()
        }));
        records.push(rec.clone());
        let plan = CustomerPlan {
            n,
            token,
            order: vec![0, 1, 2],
            messages: if quiet { 0 } else { MESSAGES_PER_CUSTOMER },
            conversations: if quiet { 2 } else { CONVERSATIONS_PER_CUSTOMER },
            purposes: if quiet {
                vec![Purpose::Timers, Purpose::Notebook]
            } else {
                Vec::new()
            },
        };
        tasks.push(tokio::spawn(customer(env.clone(), plan, rec)));
    }
    let quiet = records.last().unwrap().clone();
    let t0 = Instant::now();
    let (timer_conversation, notebook) = loop {
        if let [(timers, _, _), (notebook, _, _), ..] = quiet.lock().unwrap().acked.as_slice() {
            break (timers.clone(), notebook.clone());
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no timer conversation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let leader_before = leader.unwrap_or(1);
    let other = |leader: usize| (0..3).find(|i| *i != leader).unwrap();
    let reminder_token = agents[0].1.clone();
    let mut reminders = Vec::new();

    // A reminder due before the kill, set through a node that does not
    // lead (the leader's timer worker must still see it).
    // The test's next write through the leader comes 9 s later (and would
    // wake its timer worker): in time means before that.
    sleep_until(t0 + KILL_AFTER - Duration::from_secs(12)).await;
    let kill_planned_ms = now_ms() + 12_000;
    reminders.push(
        set_reminder(
            &http,
            &nodes[other(leader_before)],
            &reminder_token,
            &timer_conversation,
            "before",
            false,
            2_000,
        )
        .await,
    );
    // Due just after the kill (through the leader), well after it (through
    // another node), and a snooze that ends after it.
    sleep_until(t0 + KILL_AFTER - Duration::from_secs(3)).await;
    let to_kill = kill_planned_ms - now_ms();
    reminders.push(
        set_reminder(
            &http,
            &nodes[leader_before],
            &reminder_token,
            &timer_conversation,
            "gap",
            true,
            to_kill + 1_000,
        )
        .await,
    );
    reminders.push(
        set_reminder(
            &http,
            &nodes[other(leader_before)],
            &reminder_token,
            &timer_conversation,
            "after",
            false,
            to_kill + 6_000,
        )
        .await,
    );
    let snoozed_until = kill_planned_ms + 4_000;
    let (status, body) = post(
        &http,
        nodes[other(leader_before)].url(&format!(
            "/v1/agent/conversations/{timer_conversation}/status"
        )),
        Some(&reminder_token),
        json!({"status": "snoozed", "snoozed_until": snoozed_until}),
    )
    .await;
    assert_eq!(status, 200, "snooze: {body}");

    // Kill -9 the leader, whichever node it is, in the middle of a burst.
    sleep_until(t0 + KILL_AFTER - Duration::from_millis(500)).await;
    env.burst.store(true, Ordering::SeqCst);
    sleep_until(t0 + KILL_AFTER).await;
    let victim = match leaders(&http, &nodes, &[0, 1, 2]).await.as_slice() {
        [one] => *one,
        other => {
            eprintln!("leaders just before the kill: {other:?}; killing node 2");
            1
        }
    };
    let acked_before_kill: usize = records.iter().map(|r| r.lock().unwrap().acked.len()).sum();
    nodes[victim].kill();
    let kill_at = now_ms();
    tokio::time::sleep(Duration::from_millis(500)).await;
    env.burst.store(false, Ordering::SeqCst);
    eprintln!(
        "killed node {} (the leader) with SIGKILL after {acked_before_kill} acknowledged messages",
        victim + 1
    );
    let survivors: Vec<usize> = (0..3).filter(|i| *i != victim).collect();
    let takeover = one_leader(&http, &nodes, &survivors, Duration::from_secs(10)).await;
    let taken_ms = now_ms() - kill_at;
    sleep_until(t0 + KILL_AFTER + DOWN_FOR).await;
    nodes[victim].start();
    wait_healthy(&http, &mut nodes[victim]).await;
    eprintln!("node {} is back", victim + 1);
    checks.check(
        "another node leads within 10 s of the kill",
        match &takeover {
            Ok(n) => {
                eprintln!("node {} leads {taken_ms} ms after the kill", n + 1);
                vec![]
            }
            Err(now) => vec![format!("leading among the survivors: {now:?}")],
        },
    );
    let leader_after = takeover.clone().unwrap_or(survivors[0]);
    // Reminders set after the restart, through a node that does not lead
    // and through the new leader.
    sleep_until(t0 + KILL_AFTER + Duration::from_secs(8)).await;
    reminders.push(
        set_reminder(
            &http,
            &nodes[other(leader_after)],
            &reminder_token,
            &timer_conversation,
            "late",
            false,
            3_000,
        )
        .await,
    );
    reminders.push(
        set_reminder(
            &http,
            &nodes[leader_after],
            &reminder_token,
            &timer_conversation,
            "late-lead",
            true,
            3_000,
        )
        .await,
    );

    // The customers finish, then the agents.
    let deadline = Instant::now() + Duration::from_secs(120);
    let customers = &records[AGENTS..];
    while !customers.iter().all(|r| r.lock().unwrap().done_sending) {
        assert!(Instant::now() < deadline, "the customers did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    env.sending_over.store(true, Ordering::SeqCst);
    while !records.iter().all(|r| r.lock().unwrap().done_sending) {
        assert!(Instant::now() < deadline, "the agents did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sending_secs = t0.elapsed().as_secs_f64();
    // One more, set through a node that does not lead while nothing else
    // is written anywhere: the leader hears of it from nothing but the
    // store. (The reminders above may be noticed thanks to other writes on
    // the leader that wake its timer worker.)
    tokio::time::sleep(Duration::from_secs(1)).await;
    let leader_now = one_leader(&http, &nodes, &[0, 1, 2], Duration::from_secs(5))
        .await
        .unwrap_or(leader_after);
    reminders.push(
        set_reminder(
            &http,
            &nodes[other(leader_now)],
            &reminder_token,
            &timer_conversation,
            "quiet",
            false,
            3_000,
        )
        .await,
    );

    // Every conversation; wait for the last timers and for routing to have
    // had its chance, then until the subscribers caught up with the logs.
    let mut ids: Vec<String> = Vec::new();
    for rec in &records {
        for (id, _, _) in &rec.lock().unwrap().acked {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    let base = nodes[leader_after].url("");
    let last_due = reminders.iter().map(|r| r.due).max().unwrap();
    let latest_opened = all_logs(&http, &base, &admin, &ids)
        .await
        .values()
        .map(|(c, _)| c["created_at"].as_i64().unwrap_or(0))
        .max()
        .unwrap_or(0);
    let wait_until = (latest_opened + ROUTED_WITHIN_MS).max(last_due + FIRED_WITHIN_MS);
    loop {
        let logs = all_logs(
            &http,
            &base,
            &admin,
            std::slice::from_ref(&timer_conversation),
        )
        .await;
        let fired = logs[&timer_conversation]
            .1
            .iter()
            .filter(|e| kind(e) == "reminder_due")
            .count();
        let routed = async {
            let logs = all_logs(&http, &base, &admin, &ids).await;
            logs.values().all(|(c, _)| !c["assignee_id"].is_null())
        };
        if now_ms() > wait_until || (fired >= reminders.len() && routed.await) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let settle = Instant::now() + Duration::from_secs(20);
    let logs = loop {
        let logs = all_logs(&http, &base, &admin, &ids).await;
        if delivery_mismatches(&records, &logs).is_empty() || Instant::now() > settle {
            break logs;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    env.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.expect("a client task panicked");
    }

    // 1. Every acknowledged message stored once, in send order, under the
    //    seq of its ack; nothing of ours stored that was not acknowledged.
    let mut total_acked = 0;
    let mut problems = Vec::new();
    let mut owner: HashMap<String, String> = HashMap::new();
    for rec in &records {
        let r = rec.lock().unwrap();
        total_acked += r.acked.len();
        let mut by_conversation: BTreeMap<&str, Vec<(&str, i64)>> = BTreeMap::new();
        for (conversation, cid, seq) in &r.acked {
            owner.insert(cid.clone(), r.name.clone());
            by_conversation
                .entry(conversation)
                .or_default()
                .push((cid, *seq));
        }
        for (conversation, acked) in by_conversation {
            let events = &logs[conversation].1;
            let mine: HashSet<&str> = acked.iter().map(|(c, _)| *c).collect();
            let stored: Vec<(&str, i64)> = events
                .iter()
                .filter_map(|e| {
                    let cid = e["client_msg_id"].as_str()?;
                    mine.contains(cid)
                        .then(|| (cid, e["seq"].as_i64().unwrap()))
                })
                .collect();
            if stored != acked {
                let mut counts: HashMap<&str, usize> = HashMap::new();
                for (cid, _) in &stored {
                    *counts.entry(cid).or_default() += 1;
                }
                let twice: Vec<&&str> = counts
                    .iter()
                    .filter(|(_, n)| **n > 1)
                    .map(|(c, _)| c)
                    .collect();
                let lost: Vec<&str> = acked
                    .iter()
                    .filter(|(c, _)| !counts.contains_key(c))
                    .map(|(c, _)| *c)
                    .collect();
                let moved: Vec<String> = acked
                    .iter()
                    .filter(|a| counts.get(a.0) == Some(&1) && !stored.contains(a))
                    .map(|(c, s)| format!("{c} acked as {s}"))
                    .collect();
                problems.push(format!(
                    "{} in {conversation}: stored twice {twice:?}, lost {lost:?}, under another seq {moved:?}, order kept: {}",
                    r.name,
                    stored.iter().map(|s| s.0).collect::<Vec<_>>()
                        == acked.iter().map(|a| a.0).collect::<Vec<_>>()
                ));
            }
        }
    }
    for (id, (_, events)) in &logs {
        for e in events {
            if let Some(cid) = e["client_msg_id"].as_str()
                && !owner.contains_key(cid)
            {
                problems.push(format!(
                    "{cid} is stored in {id} but was never acknowledged"
                ));
            }
        }
    }
    checks.check(
        &format!(
            "{total_acked} acknowledged messages stored exactly once, in send order, under their ack's seq"
        ),
        problems,
    );

    // 2. Exactly-once, in-order delivery to every subscriber.
    let mut problems = delivery_mismatches(&records, &logs);
    for rec in &records {
        problems.extend(rec.lock().unwrap().problems.iter().cloned());
    }
    let subscriptions: usize = records
        .iter()
        .map(|r| r.lock().unwrap().subscribed.len())
        .sum();
    checks.check(
        &format!(
            "{subscriptions} subscriptions got every event of their conversation once, in seq order"
        ),
        problems,
    );

    // 3. Never two agents at once: each assignment or transfer takes the
    //    conversation from whoever held it, and one to agent B never
    //    follows one to agent A without A letting go first.
    let mut problems = Vec::new();
    let mut assignments = 0;
    for (id, (conversation, events)) in &logs {
        let mut holder = Value::Null;
        for e in events {
            let (from, to, reason) = match kind(e) {
                "assigned" => (
                    &e["kind"]["from"],
                    &e["kind"]["to"],
                    e["kind"]["reason"].as_str().unwrap_or_default(),
                ),
                "transferred" => (&e["kind"]["from"], &e["kind"]["to_agent"], "transfer"),
                _ => continue,
            };
            assignments += 1;
            if *from != holder {
                problems.push(format!(
                    "{id} seq {}: {reason} from {from} while {holder} held it",
                    e["seq"]
                ));
            }
            if !holder.is_null() && !to.is_null() && *to != holder && reason != "transfer" {
                problems.push(format!(
                    "{id} seq {}: {reason} to {to} while {holder} held it",
                    e["seq"]
                ));
            }
            holder = to.clone();
        }
        if conversation["assignee_id"] != holder {
            problems.push(format!(
                "{id}: the row says {} but the log says {holder}",
                conversation["assignee_id"]
            ));
        }
    }
    checks.check(
        &format!(
            "no conversation assigned to two agents at once ({assignments} assignment events)"
        ),
        problems,
    );

    // 4. Routing: conversations opened after the kill are routed within
    //    15 s (and, for comparison, those opened before).
    let agent_node: HashMap<&str, usize> = agents
        .iter()
        .map(|(_, _, id, home)| (id.as_str(), *home))
        .collect();
    let routing = |after: bool| {
        let mut problems = Vec::new();
        let mut count = 0;
        for (id, (conversation, events)) in &logs {
            if *id == timer_conversation || *id == notebook {
                continue;
            }
            let created = conversation["created_at"].as_i64().unwrap();
            if (created >= kill_at) != after {
                continue;
            }
            count += 1;
            let routed = events.iter().find(|e| {
                kind(e) == "assigned"
                    && e["kind"]["reason"] == "routed"
                    && !e["kind"]["to"].is_null()
            });
            match routed {
                Some(e) if e["at"].as_i64().unwrap() - created <= ROUTED_WITHIN_MS => {}
                Some(e) => problems.push(format!(
                    "{id}: routed {} ms after it was opened",
                    e["at"].as_i64().unwrap() - created
                )),
                None => problems.push(format!(
                    "{id} (opened {} ms {} the kill) was never routed; assignee {}",
                    (created - kill_at).abs(),
                    if after { "after" } else { "before" },
                    conversation["assignee_id"]
                )),
            }
        }
        (count, problems)
    };
    let (before_count, before_problems) = routing(false);
    let (after_count, after_problems) = routing(true);
    checks.check(
        &format!("{before_count} conversations opened before the kill routed within 15 s"),
        before_problems,
    );
    checks.check(
        &format!("{after_count} conversations opened after the kill routed within 15 s"),
        after_problems,
    );
    if after_count == 0 {
        checks.check(
            "conversations were opened after the kill",
            vec!["none: the run is too short for the kill time".into()],
        );
    }
    let mut routed_to: BTreeMap<String, usize> = BTreeMap::new();
    for (_, events) in logs.values() {
        for e in events {
            if kind(e) == "assigned" && e["kind"]["reason"] == "routed" {
                let to = e["kind"]["to"].as_str().unwrap_or("nobody");
                let on = agent_node
                    .get(to)
                    .map_or("?".into(), |n| format!("node {}", n + 1));
                *routed_to.entry(format!("{to} ({on})")).or_default() += 1;
            }
        }
    }
    eprintln!("routed assignments per agent: {routed_to:?}");

    // 5. Timers fired once, in time.
    let (_, timer_events) = &logs[&timer_conversation];
    let mut problems = Vec::new();
    for r in &reminders {
        let fired: Vec<&Value> = timer_events
            .iter()
            .filter(|e| kind(e) == "reminder_due" && e["kind"]["id"] == r.id.as_str())
            .collect();
        match fired.as_slice() {
            [one] => {
                let late = one["at"].as_i64().unwrap() - r.due;
                eprintln!(
                    "reminder {:>9} (set through {}) fired {late} ms after it was due",
                    r.label, r.via
                );
                if !(0..=FIRED_WITHIN_MS).contains(&late) {
                    problems.push(format!(
                        "reminder {} (set through {}) fired {late} ms after it was due",
                        r.label, r.via
                    ));
                }
            }
            [] => problems.push(format!(
                "reminder {} (set through {}, due {} ms after the kill) never fired",
                r.label,
                r.via,
                r.due - kill_at
            )),
            many => problems.push(format!(
                "reminder {} fired {} times (seqs {:?})",
                r.label,
                many.len(),
                many.iter().map(|e| e["seq"].clone()).collect::<Vec<_>>()
            )),
        }
    }
    let woke: Vec<&Value> = timer_events
        .iter()
        .filter(|e| {
            kind(e) == "status_changed"
                && e["kind"]["from"] == "snoozed"
                && e["kind"]["to"] == "open"
                && e["actor"]["type"] == "system"
        })
        .collect();
    match woke.as_slice() {
        [one] => {
            let late = one["at"].as_i64().unwrap() - snoozed_until;
            eprintln!("snooze ended {late} ms after it was due");
            if !(0..=FIRED_WITHIN_MS).contains(&late) {
                problems.push(format!("the snooze ended {late} ms after it was due"));
            }
        }
        [] => problems.push("the snooze never ended".into()),
        many => problems.push(format!("the snooze ended {} times", many.len())),
    }
    checks.check(
        &format!(
            "{} reminders and a snooze around the kill fired exactly once, within {} s",
            reminders.len(),
            FIRED_WITHIN_MS / 1000
        ),
        problems,
    );

    // 6. One leader at the end.
    let end = one_leader(&http, &nodes, &[0, 1, 2], Duration::from_secs(5)).await;
    checks.check(
        "exactly one node leads at the end",
        match &end {
            Ok(_) => vec![],
            Err(now) => vec![format!("leading now: {now:?}")],
        },
    );

    let (resent, duplicates, replies) = records.iter().fold((0, 0, 0), |(r, d, a), rec| {
        let rec = rec.lock().unwrap();
        let answers = if rec.customer { 0 } else { rec.acked.len() };
        (r + rec.resent, d + rec.duplicates, a + answers)
    });
    eprintln!(
        "{resent} messages resent after a reconnect ({duplicates} acked as already stored); {replies} agent answers and notes"
    );
    if resent == 0 {
        eprintln!(
            "NOTE  no write was in flight when the node died: the resend path was not exercised this run"
        );
    }
    let reconnects: usize = records
        .iter()
        .map(|r| r.lock().unwrap().connections.len().saturating_sub(1))
        .sum();
    eprintln!(
        "{} conversations, {total_acked} acknowledged messages ({acked_before_kill} before the kill), \
         {reconnects} reconnects; node {} (leader) killed, node {} led after; sending took {sending_secs:.1} s, \
         the whole test {:.1} s",
        ids.len(),
        victim + 1,
        leader_after + 1,
        started.elapsed().as_secs_f64()
    );
    for node in nodes.iter_mut() {
        node.kill();
    }
    let database = options.get_database().unwrap();
    if checks.failures.is_empty() {
        let _ = std::fs::remove_dir_all(&run_dir);
        drop_database(&pg, database).await;
    } else {
        panic!(
            "{} requirement(s) did not hold (node logs in {}, database {database}):\n  {}",
            checks.failures.len(),
            run_dir.display(),
            checks.failures.join("\n  ")
        );
    }
}
