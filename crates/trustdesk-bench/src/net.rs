//! Connections: WebSockets from spread source addresses, the protocol's
//! handshake frames, and the REST calls that create sessions.

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

pub type Ws = WebSocketStream<TcpStream>;

/// Where the bench connects: the base URL and its socket address.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub base: String,
    pub addr: SocketAddr,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Self> {
        let base = url.trim_end_matches('/').to_owned();
        let host = base
            .strip_prefix("http://")
            .context("only http:// URLs are supported")?;
        let addr = host
            .to_socket_addrs()?
            .next()
            .context("the URL does not resolve")?;
        Ok(Self { base, addr })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// Source addresses 127.0.0.2, 127.0.0.3, …: each has its own ephemeral
/// port range, so many connections do not run out of ports.
pub fn source_ip(index: usize, count: usize) -> Ipv4Addr {
    let n = (index % count.max(1)) as u32 + 2;
    Ipv4Addr::new(127, 0, (n >> 8) as u8, (n & 0xff) as u8)
}

/// Opens a WebSocket to `/v1/ws` from the given source address.
pub async fn connect(endpoint: &Endpoint, source: Ipv4Addr) -> Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    if endpoint.addr.ip().is_loopback() {
        socket.bind(SocketAddr::new(source.into(), 0))?;
    }
    let stream = socket.connect(endpoint.addr).await?;
    stream.set_nodelay(true)?;
    let url = format!("ws://{}/v1/ws", endpoint.addr);
    let (ws, _) = tokio_tungstenite::client_async(url, stream).await?;
    Ok(ws)
}

pub async fn send_json(ws: &mut Ws, frame: &Value) -> Result<()> {
    ws.send(Message::Text(frame.to_string().into())).await?;
    Ok(())
}

/// The next JSON text frame, skipping pings; fails after `wait`.
pub async fn recv_json(ws: &mut Ws, wait: Duration) -> Result<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next())
            .await
            .context("timed out waiting for a frame")?;
        match next {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(Message::Close(frame))) => bail!("closed by the server: {frame:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => bail!("connection ended"),
        }
    }
}

/// Waits for a frame of `kind`, skipping others; an `error` frame fails.
pub async fn expect(ws: &mut Ws, kind: &str) -> Result<Value> {
    loop {
        let frame = recv_json(ws, Duration::from_secs(30)).await?;
        if frame["type"] == kind {
            return Ok(frame);
        }
        if frame["type"] == "error" {
            bail!("expected {kind}, got {frame}");
        }
    }
}

/// Connects, says hello with `token`, and waits for the welcome.
pub async fn open(endpoint: &Endpoint, source: Ipv4Addr, token: &str) -> Result<Ws> {
    let mut ws = connect(endpoint, source).await?;
    send_json(&mut ws, &json!({"type": "hello", "v": 1, "token": token})).await?;
    expect(&mut ws, "welcome").await?;
    Ok(ws)
}

pub async fn subscribe(ws: &mut Ws, conversation_id: &str) -> Result<()> {
    send_json(
        ws,
        &json!({"type": "subscribe", "conversation_id": conversation_id}),
    )
    .await?;
    expect(ws, "subscribed").await?;
    Ok(())
}

pub fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()?)
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Result<Value> {
    let mut req = http.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if status.as_u16() == 429 && text.contains("\"overloaded\"") {
        return Err(Overloaded.into());
    }
    if !status.is_success() {
        bail!("HTTP {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

/// The server refused the request at the door (`429 overloaded`): its
/// admission control shedding load, counted apart from failures.
#[derive(Debug)]
pub struct Overloaded;

impl std::fmt::Display for Overloaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the server is overloaded (429)")
    }
}

impl std::error::Error for Overloaded {}

/// A new anonymous customer session; returns its token.
pub async fn customer_session(http: &reqwest::Client, endpoint: &Endpoint) -> Result<String> {
    let res = post(
        http,
        endpoint.url("/v1/widget/sessions"),
        None,
        json!({"locale": "en"}),
    )
    .await?;
    Ok(res["token"].as_str().context("token")?.to_owned())
}

/// Opens a conversation with a first message; returns its id.
pub async fn open_conversation(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    token: &str,
    subject: &str,
    body: &str,
) -> Result<String> {
    let res = post(
        http,
        endpoint.url("/v1/widget/conversations"),
        Some(token),
        json!({"subject": subject, "body": body}),
    )
    .await?;
    Ok(res["conversation"]["id"]
        .as_str()
        .context("conversation id")?
        .to_owned())
}

/// How the bench gets an agent token: a given token (a session or an API
/// token with both conversation scopes), or email + password + the TOTP
/// secret (2FA is mandatory; `serve --demo` prints the demo agents' secrets).
#[derive(Clone, Debug)]
pub struct AgentLogin {
    pub email: String,
    pub password: String,
    pub totp_secret: Option<String>,
    pub token: Option<String>,
}

/// Logs an agent in (password, then a TOTP code); returns its token.
pub async fn agent_login(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    login: &AgentLogin,
) -> Result<String> {
    if let Some(token) = &login.token {
        return Ok(token.clone());
    }
    let secret = login.totp_secret.as_deref().context(
        "2FA is mandatory: pass --agent-totp-secret (printed by serve --demo) or --agent-token",
    )?;
    let res = post(
        http,
        endpoint.url("/v1/agent/login"),
        None,
        json!({"email": login.email, "password": login.password}),
    )
    .await?;
    let ticket = res["ticket"].as_str().context("ticket")?.to_owned();
    let res = post(
        http,
        endpoint.url("/v1/agent/login/2fa"),
        None,
        json!({"ticket": ticket, "code": totp_now(secret)?}),
    )
    .await?;
    Ok(res["token"].as_str().context("token")?.to_owned())
}

/// The current RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret.
pub fn totp_now(secret: &str) -> Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    totp_at(secret, now)
}

fn totp_at(secret: &str, unix_secs: u64) -> Result<String> {
    use hmac::{Hmac, Mac};
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut key = Vec::new();
    for c in secret.trim_end_matches('=').chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
            .find(c.to_ascii_uppercase())
            .context("the TOTP secret is not base32")? as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            key.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    let step = unix_secs / 30;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).context("TOTP key")?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 15);
    let code = u32::from_be_bytes([
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) & 0x7fff_ffff;
    Ok(format!("{:06}", code % 1_000_000))
}

/// A customer with a conversation: (token, conversation id).
pub async fn customer_with_conversation(
    http: &reqwest::Client,
    endpoint: &Endpoint,
) -> Result<(String, String)> {
    let token = customer_session(http, endpoint).await?;
    let id = open_conversation(http, endpoint, &token, "bench", "hello from the bench").await?;
    Ok((token, id))
}

/// The value of a JSON string field `"name":"…"` in a frame, without
/// parsing the whole frame (the bench must stay cheap).
pub fn string_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":\"");
    let start = text.find(&key)? + key.len();
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

#[cfg(test)]
mod tests {
    #[test]
    fn totp_matches_rfc6238() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(super::totp_at(secret, 59).unwrap(), "287082");
        assert_eq!(super::totp_at(secret, 1_234_567_890).unwrap(), "005924");
        assert!(super::totp_at("not base32!", 59).is_err());
    }
}
