//! The few Bot API methods trustdesk uses, over reqwest.
//!
//! Every Bot API URL carries the bot token (`…/bot<TOKEN>/method`,
//! `…/file/bot<TOKEN>/path`), so no URL leaves this module: errors are
//! stripped of theirs (`reqwest::Error::without_url`) and say only which
//! method failed; a file's download URL is built, used and dropped.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// Most bytes of an API answer read (a file is bounded by its own cap).
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct BotApi {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

/// Why a call did not work. Nothing in it holds the token or a URL.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiFailure {
    /// No answer (connection, timeout) or an answer that is not the Bot
    /// API's JSON.
    #[error("{method}: {reason}")]
    Transport {
        method: &'static str,
        reason: String,
    },
    /// The Bot API answered `ok: false`.
    #[error("{method}: Telegram answered {code}: {description}")]
    Refused {
        method: &'static str,
        code: u16,
        description: String,
        retry_after: Option<u64>,
    },
}

/// The Bot API's envelope: `{ok, result}` or `{ok: false, error_code,
/// description, parameters: {retry_after}}`.
#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    result: Option<Value>,
    error_code: Option<u16>,
    description: Option<String>,
    parameters: Option<ErrorParameters>,
}

#[derive(Deserialize)]
struct ErrorParameters {
    retry_after: Option<u64>,
}

/// `getFile`'s answer.
#[derive(Deserialize)]
struct FileInfo {
    file_path: Option<String>,
}

/// A file for `sendDocument` / `sendPhoto`.
pub struct Upload<'a> {
    /// The form field: `document` or `photo`.
    pub field: &'static str,
    pub name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
}

impl BotApi {
    pub fn new(api_url: &str, token: SecretString) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Never follow a redirect: it would carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            base: api_url.trim_end_matches('/').to_owned(),
            token,
        })
    }

    fn method_url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.base, self.token.expose_secret())
    }

    /// Calls `method` with a JSON body; `wait` bounds the whole call.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        body: &Value,
        wait: Duration,
    ) -> Result<T, ApiFailure> {
        let request = self
            .http
            .post(self.method_url(method))
            .timeout(wait)
            .json(body);
        self.answer(method, request).await
    }

    /// Calls `method` with a multipart form of text fields and one file.
    pub async fn call_with_file<T: DeserializeOwned>(
        &self,
        method: &'static str,
        fields: &[(&str, String)],
        file: Upload<'_>,
        wait: Duration,
    ) -> Result<T, ApiFailure> {
        let boundary = format!("trustdesk-{}", hex::encode(rand::random::<[u8; 12]>()));
        let body = multipart(&boundary, fields, &file);
        let request = self
            .http
            .post(self.method_url(method))
            .timeout(wait)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.answer(method, request).await
    }

    async fn answer<T: DeserializeOwned>(
        &self,
        method: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiFailure> {
        let transport = |reason: String| ApiFailure::Transport { method, reason };
        let response = request
            .send()
            .await
            .map_err(|e| transport(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let bytes = read_capped(response, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| transport(e.to_string()))?;
        let envelope: Envelope = serde_json::from_slice(&bytes)
            .map_err(|_| transport(format!("HTTP {status} without a Bot API answer")))?;
        if !envelope.ok {
            return Err(ApiFailure::Refused {
                method,
                code: envelope.error_code.unwrap_or(status),
                description: envelope
                    .description
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect(),
                retry_after: envelope.parameters.and_then(|p| p.retry_after),
            });
        }
        serde_json::from_value(envelope.result.unwrap_or(Value::Null))
            .map_err(|_| transport("an answer of an unexpected shape".into()))
    }

    /// `getFile` then the download, at most `max_bytes`: `Ok(None)` when
    /// the file is larger (nothing more is read).
    pub async fn download(
        &self,
        file_id: &str,
        max_bytes: usize,
    ) -> Result<Option<Vec<u8>>, ApiFailure> {
        let info: FileInfo = self
            .call(
                "getFile",
                &serde_json::json!({ "file_id": file_id }),
                Duration::from_secs(30),
            )
            .await?;
        let method = "file download";
        let transport = |reason: String| ApiFailure::Transport { method, reason };
        let path = info
            .file_path
            .ok_or_else(|| transport("no file path".into()))?;
        // Built here and dropped here: the URL holds the token.
        let response = self
            .http
            .get(format!(
                "{}/file/bot{}/{}",
                self.base,
                self.token.expose_secret(),
                path.trim_start_matches('/')
            ))
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .map_err(|e| transport(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(transport(format!("HTTP {}", response.status().as_u16())));
        }
        match read_capped(response, max_bytes).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(ReadError::TooLarge) => Ok(None),
            Err(e) => Err(transport(e.to_string())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("the answer is larger than expected")]
    TooLarge,
    #[error("{0}")]
    Body(String),
}

/// The body, refusing to hold more than `max` bytes.
async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ReadError::Body(e.without_url().to_string()))?
    {
        if bytes.len() + chunk.len() > max {
            return Err(ReadError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A `multipart/form-data` body (RFC 7578): the text fields, then the
/// file. Written by hand because it is this one shape (reqwest's
/// `multipart` feature would be another dependency for it).
fn multipart(boundary: &str, fields: &[(&str, String)], file: &Upload<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                quoted(name)
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            quoted(file.field),
            quoted(file.name),
            quoted(file.mime)
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// A header parameter value that cannot end the quotes or the line.
fn quoted(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\r' | '\n' => '_',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_holds_its_fields_and_a_file_name_that_cannot_break_out() {
        let body = multipart(
            "B",
            &[("chat_id", "42".into())],
            &Upload {
                field: "document",
                name: "a\"b\r\nX-Evil: 1.txt",
                mime: "text/plain",
                bytes: b"hello",
            },
        );
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.starts_with(
                "--B\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
            )
        );
        assert!(text.contains("filename=\"a_b__X-Evil: 1.txt\""), "{text}");
        assert!(text.ends_with("\r\n\r\nhello\r\n--B--\r\n"));
    }

    #[test]
    fn failures_never_show_the_token() {
        let api = BotApi::new("http://127.0.0.1:9/", "123:SECRET".to_owned().into()).unwrap();
        assert_eq!(api.base, "http://127.0.0.1:9");
        let failure = ApiFailure::Transport {
            method: "getUpdates",
            reason: "error sending request".into(),
        };
        assert!(!failure.to_string().contains("SECRET"));
    }

    #[tokio::test]
    async fn a_connection_failure_names_the_method_not_the_url() {
        // Port 9 (discard) on loopback: nothing listens there.
        let api = BotApi::new("http://127.0.0.1:9", "123:SECRET".to_owned().into()).unwrap();
        let err = api
            .call::<Value>("getMe", &serde_json::json!({}), Duration::from_secs(5))
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("getMe"), "{text}");
        assert!(
            !text.contains("SECRET") && !text.contains("127.0.0.1"),
            "{text}"
        );
    }
}
