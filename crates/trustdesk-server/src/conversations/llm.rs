//! The optional generative answer mode: an OpenAI-compatible
//! chat-completions endpoint phrases the bot's answer from the top
//! retrieved articles only, citing them as `[1]`, `[2]` ….
//!
//! What goes out: the system prompt with the articles (plain text) and the
//! customer's question, which the caller has already passed through the
//! secret guard. What comes back passes the outbound guard (a reply asking
//! for a secret, remote access or a transfer is refused) and the secret
//! guard (anything secret-looking is redacted). Any failure is an error the
//! caller answers by falling back to the extractive reply. Neither the
//! question, the answer nor the API key is ever logged.

use crate::config::GenerativeConfig;
use crate::trust::guard as outbound_check;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use trustdesk_core::guard;
use trustdesk_core::kb::{Article, plain_text};
use trustdesk_core::{ArticleId, Language};

/// Longest part of one article put into the prompt.
pub const MAX_ARTICLE_CHARS: usize = 4000;
/// Longest answer accepted; a longer one is treated as garbage.
pub const MAX_ANSWER_CHARS: usize = 4000;

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("generative mode is misconfigured: {0}")]
    Config(&'static str),
    #[error("the endpoint timed out")]
    Timeout,
    #[error("the endpoint could not be reached: {0}")]
    Transport(reqwest::Error),
    #[error("the endpoint answered HTTP {0}")]
    Status(u16),
    #[error("the endpoint's answer was not a usable completion: {0}")]
    Garbage(&'static str),
    #[error("the outbound guard refused the generated answer")]
    Refused,
    #[error("no article to answer from")]
    NoArticles,
}

/// A generated answer, after the guards.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    pub text: String,
    /// The articles the answer cites, in citation order, without repeats.
    pub cited: Vec<ArticleId>,
}

pub struct LlmClient {
    http: reqwest::Client,
    endpoint: String,
    model: String,
    api_key: Option<SecretString>,
    timeout: Duration,
    max_articles: usize,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<ChatMessage<'a>>,
    temperature: f32,
    stream: bool,
}

#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'a str,
    content: String,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ResponseMessage,
}

#[derive(Deserialize)]
struct ResponseMessage {
    content: Option<String>,
}

impl LlmClient {
    pub fn new(config: &GenerativeConfig) -> Result<Self, LlmError> {
        let base = config.url.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(LlmError::Config("url must be an http:// or https:// URL"));
        }
        if config.model.trim().is_empty() {
            return Err(LlmError::Config("model is empty"));
        }
        if config.max_articles == 0 {
            return Err(LlmError::Config("max_articles must be at least 1"));
        }
        let timeout = Duration::from_millis(config.timeout_ms.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect would carry the key (and the question) elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| LlmError::Config("the HTTP client could not be built"))?;
        Ok(Self {
            http,
            endpoint: format!("{base}/chat/completions"),
            model: config.model.trim().to_owned(),
            api_key: config.api_key.clone(),
            timeout,
            max_articles: config.max_articles,
        })
    }

    pub fn max_articles(&self) -> usize {
        self.max_articles
    }

    /// Asks the endpoint for an answer to `question` (already redacted by
    /// the secret guard) from `articles` only, and runs the guards on it.
    pub async fn answer(
        &self,
        question: &str,
        language: Language,
        articles: &[Article],
    ) -> Result<Generated, LlmError> {
        let articles = &articles[..articles.len().min(self.max_articles)];
        if articles.is_empty() {
            return Err(LlmError::NoArticles);
        }
        let request = ChatRequest {
            model: &self.model,
            messages: vec![
                ChatMessage {
                    role: "system",
                    content: system_prompt(language, articles),
                },
                ChatMessage {
                    role: "user",
                    content: question.to_owned(),
                },
            ],
            temperature: 0.0,
            stream: false,
        };
        let mut req = self.http.post(&self.endpoint).json(&request);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key.expose_secret());
        }
        // reqwest's timeout covers the whole exchange; this outer bound
        // also covers reading and decoding the body.
        let content = tokio::time::timeout(self.timeout, async {
            let res = req.send().await.map_err(transport)?;
            let status = res.status();
            if !status.is_success() {
                return Err(LlmError::Status(status.as_u16()));
            }
            let body: ChatResponse = res.json().await.map_err(|e| match transport(e) {
                LlmError::Timeout => LlmError::Timeout,
                _ => LlmError::Garbage("not a chat-completions JSON body"),
            })?;
            body.choices
                .into_iter()
                .next()
                .and_then(|c| c.message.content)
                .ok_or(LlmError::Garbage("no choice with content"))
        })
        .await
        .map_err(|_| LlmError::Timeout)??;
        check_answer(&content, articles)
    }
}

fn transport(err: reqwest::Error) -> LlmError {
    if err.is_timeout() {
        LlmError::Timeout
    } else {
        // The URL could carry credentials; keep it out of logs.
        LlmError::Transport(err.without_url())
    }
}

/// The guards and the citation parse on a raw completion.
pub fn check_answer(content: &str, articles: &[Article]) -> Result<Generated, LlmError> {
    let content = content.trim();
    if content.is_empty() {
        return Err(LlmError::Garbage("empty answer"));
    }
    if content.chars().count() > MAX_ANSWER_CHARS {
        return Err(LlmError::Garbage("answer too long"));
    }
    outbound_check::check_outbound_text(content).map_err(|_| LlmError::Refused)?;
    let text = guard::guard(content).redacted;
    // The redaction could in principle join text into something the
    // outbound guard would refuse; check what is actually sent.
    outbound_check::check_outbound_text(&text).map_err(|_| LlmError::Refused)?;
    let cited = citations(&text, articles.len())
        .into_iter()
        .map(|n| articles[n - 1].id)
        .collect();
    Ok(Generated { text, cited })
}

/// The article numbers (1-based, within `count`) cited as `[n]` or
/// `[n, m]`, in order of first citation.
pub fn citations(text: &str, count: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['[', '【']) {
        let after = &rest[open + rest[open..].chars().next().map_or(1, char::len_utf8)..];
        let Some(close) = after.find([']', '】']) else {
            break;
        };
        let inside = &after[..close];
        let numbers: Option<Vec<usize>> = inside
            .split([',', '，', ' '])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().ok())
            .collect();
        if let Some(numbers) = numbers {
            for n in numbers {
                if (1..=count).contains(&n) && !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        rest = after;
    }
    out
}

/// The instructions and the articles, in the customer's language.
pub fn system_prompt(language: Language, articles: &[Article]) -> String {
    let mut prompt = String::from(
        "You are the customer-support assistant of a cryptocurrency exchange.\n\
         Rules:\n\
         - Answer ONLY from the numbered help-center articles below. Do not use any other knowledge and do not invent fees, limits, times, addresses or links.\n\
         - Cite the articles you used as [1], [2] … right after the sentences that rely on them.\n\
         - If the articles do not answer the question, say that you don't know and that an agent will help; do not guess.\n\
         - Never ask the customer for a seed phrase (mnemonic), private key, password, 2FA or verification code, remote access to a device, or to send funds to any address.\n\
         - Keep the answer short and practical.\n",
    );
    prompt.push_str(match language {
        Language::Zh => "- The customer writes in Chinese: answer in Simplified Chinese.\n",
        _ => "- The customer writes in English: answer in English.\n",
    });
    prompt.push_str("\nArticles:\n");
    for (i, article) in articles.iter().enumerate() {
        let body: String = plain_text(&article.body)
            .chars()
            .take(MAX_ARTICLE_CHARS)
            .collect();
        prompt.push_str(&format!(
            "\n[{}] {}\n{}\n",
            i + 1,
            article.title,
            body.trim()
        ));
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustdesk_core::{Category, Timestamp};

    fn article(title: &str, body: &str) -> Article {
        Article {
            id: ArticleId::new(),
            slug: "a".into(),
            locale: Language::En,
            category: Category::Transfer,
            title: title.into(),
            body: body.into(),
            tags: vec![],
            published: true,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        }
    }

    #[test]
    fn citations_are_read_in_order_without_repeats_or_strays() {
        assert_eq!(citations("See [2] and [1]. Also [2].", 3), vec![2, 1]);
        assert_eq!(citations("见【1】和[3, 2]", 3), vec![1, 3, 2]);
        assert_eq!(citations("[7] [0] [x] [1", 3), Vec::<usize>::new());
        assert_eq!(citations("no citations", 3), Vec::<usize>::new());
    }

    #[test]
    fn answers_asking_for_secrets_are_refused_and_secrets_redacted() {
        let a = vec![article("Deposits", "Check the network.")];
        assert!(matches!(
            check_answer("Please send me your seed phrase so I can check [1].", &a),
            Err(LlmError::Refused)
        ));
        assert!(matches!(check_answer("  ", &a), Err(LlmError::Garbage(_))));
        let ok = check_answer("Check the network you used [1].", &a).unwrap();
        assert_eq!(ok.cited, vec![a[0].id]);
        let redacted = check_answer("Your password is hunter2hunter2, check [1].", &a).unwrap();
        assert!(
            !redacted.text.contains("hunter2hunter2"),
            "{}",
            redacted.text
        );
    }

    #[test]
    fn the_prompt_carries_the_articles_and_the_language() {
        let a = vec![
            article("Deposit not credited", "Wait for **confirmations**."),
            article("Wrong network", "Contact support."),
        ];
        let p = system_prompt(Language::Zh, &a);
        assert!(p.contains("[1] Deposit not credited"));
        assert!(p.contains("[2] Wrong network"));
        assert!(p.contains("Simplified Chinese"));
        assert!(p.contains("seed phrase"));
    }

    #[test]
    fn bad_configs_are_refused() {
        let mut c = GenerativeConfig {
            enabled: true,
            url: "127.0.0.1:11434".into(),
            model: "m".into(),
            ..Default::default()
        };
        assert!(LlmClient::new(&c).is_err());
        c.url = "http://127.0.0.1:11434/v1/".into();
        let client = LlmClient::new(&c).unwrap();
        assert_eq!(
            client.endpoint,
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        c.model = " ".into();
        assert!(LlmClient::new(&c).is_err());
    }
}
