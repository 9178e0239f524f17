//! The answer bot: answers a new question from the knowledge base at once
//! when it is confident, and otherwise (or when asked, or when the request
//! is urgent) hands the conversation to a human with a notice.

use crate::conversations::llm::LlmClient;
use crate::kb::KbIndex;
use trustdesk_core::Language;
use trustdesk_core::event::{EventKind, SuggestedArticle};
use trustdesk_core::notice::NoticeCode;
use trustdesk_store::Store;

/// BM25 scores are unbounded; this maps them to 0..1 so a threshold reads
/// as a confidence. A score of 10 (a question whose key words appear in an
/// article's title and body) gives ≈ 0.63.
const SCORE_SCALE: f32 = 10.0;
/// Below this, the bot stays quiet and hands off.
pub const MIN_CONFIDENCE: f32 = 0.45;
const MAX_ARTICLES: usize = 3;

/// Phrases with which a customer asks for a person, in zh and en.
const HUMAN_PHRASES: &[&str] = &[
    "人工",
    "真人",
    "客服人员",
    "转人工",
    "human",
    "real person",
    "an agent",
    "live agent",
    "talk to someone",
    "speak to someone",
    "representative",
    "operator",
];

pub fn wants_human(text: &str) -> bool {
    let lower = text.to_lowercase();
    HUMAN_PHRASES.iter().any(|p| lower.contains(p))
}

/// Short answers to "did this help?". Longer messages are new questions,
/// not feedback, so only messages of a few words count.
const YES: &[&str] = &[
    "yes",
    "yep",
    "solved",
    "it helped",
    "that helped",
    "thanks",
    "thank you",
    "解决了",
    "有帮助",
    "可以了",
    "好了",
    "谢谢",
    "是的",
];
const NO: &[&str] = &[
    "no",
    "nope",
    "didn't help",
    "did not help",
    "not solved",
    "没有",
    "没解决",
    "没有帮助",
    "不行",
    "不是",
];

/// The customer's answer to the bot's "did this help?", if the message is
/// one: `Some(true)` helped, `Some(false)` did not.
pub fn feedback(text: &str) -> Option<bool> {
    let t = text
        .trim()
        .trim_end_matches(['.', '!', '。', '！', '~'])
        .to_lowercase();
    if t.chars().count() > 24 {
        return None;
    }
    // "no" first: "没有帮助" contains "有帮助".
    if NO.iter().any(|p| {
        t == *p
            || t.starts_with(&format!("{p} "))
            || t.starts_with(&format!("{p},"))
            || (!p.is_ascii() && t.starts_with(p))
    }) {
        return Some(false);
    }
    if YES.iter().any(|p| {
        t == *p
            || t.starts_with(&format!("{p} "))
            || t.starts_with(&format!("{p},"))
            || (!p.is_ascii() && t.starts_with(p))
    }) {
        return Some(true);
    }
    None
}

pub fn confidence(score: f32) -> f32 {
    1.0 - (-score.max(0.0) / SCORE_SCALE).exp()
}

/// What the bot does with a customer's question.
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// Suggest these articles.
    Answer(EventKind),
    /// Leave it to a person; tell the customer so.
    Handoff(EventKind),
}

/// Decides on the first message of a conversation.
pub fn first_reply(kb: &KbIndex, question: &str, language: Language, urgent: bool) -> Decision {
    if urgent {
        return Decision::Handoff(NoticeCode::HandoffUrgent.event(language));
    }
    if wants_human(question) {
        return Decision::Handoff(NoticeCode::HandoffRequested.event(language));
    }
    let locale = if language == Language::Zh {
        Language::Zh
    } else {
        Language::En
    };
    let hits = match kb.suggest(question, locale, MAX_ARTICLES) {
        Ok(hits) => hits,
        Err(err) => {
            tracing::warn!(error = %err, "knowledge base search failed; handing off");
            Vec::new()
        }
    };
    let best = hits.first().map(|h| confidence(h.score)).unwrap_or(0.0);
    if best < MIN_CONFIDENCE {
        return Decision::Handoff(NoticeCode::HandoffNoAnswer.event(language));
    }
    let articles = hits
        .into_iter()
        .filter(|h| confidence(h.score) >= MIN_CONFIDENCE * 0.8)
        .map(|h| SuggestedArticle {
            id: h.id,
            slug: h.slug,
            title: h.title,
            snippet: h.snippet,
        })
        .collect();
    let text = match language {
        Language::Zh => {
            "您好！以下文章可能解答您的问题。问题解决了吗？请回复“解决了”或“没有”，也可以随时点“转人工客服”。"
        }
        _ => {
            "Hi! These articles may answer your question. Did this solve it? Reply \"yes\" or \"no\", or tap \"Talk to a human\" any time."
        }
    };
    Decision::Answer(EventKind::BotReply {
        text: text.into(),
        articles,
        confidence: best,
    })
}

/// The generative mode's step after [`first_reply`]: when the bot answers
/// and a generative endpoint is configured, the answer's text is written by
/// the endpoint from the suggested articles (fetched in full from the
/// store), and the articles become the ones it cites (all suggested ones if
/// it cites none). Handoffs, a disabled mode and every failure leave the
/// extractive decision as it was. `question` must be the guarded text.
pub async fn generate(
    llm: Option<&LlmClient>,
    store: &dyn Store,
    question: &str,
    language: Language,
    decision: Decision,
) -> Decision {
    let Some(llm) = llm else {
        return decision;
    };
    let Decision::Answer(EventKind::BotReply {
        text,
        articles,
        confidence,
    }) = decision
    else {
        return decision;
    };
    let mut full = Vec::new();
    for suggested in articles.iter().take(llm.max_articles()) {
        match store.get_article(suggested.id).await {
            Ok(article) if article.published => full.push(article),
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "generative answer: article not readable; skipped")
            }
        }
    }
    match llm.answer(question, language, &full).await {
        Ok(generated) => {
            let cited: Vec<SuggestedArticle> = generated
                .cited
                .iter()
                .filter_map(|id| articles.iter().find(|a| a.id == *id).cloned())
                .collect();
            tracing::debug!(cited = cited.len(), "generative answer used");
            Decision::Answer(EventKind::BotReply {
                text: generated.text,
                articles: if cited.is_empty() { articles } else { cited },
                confidence,
            })
        }
        Err(err) => {
            // The error never carries message text or the key.
            tracing::warn!(error = %err, "generative answer failed; using the extractive answer");
            Decision::Answer(EventKind::BotReply {
                text,
                articles,
                confidence,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_requests_for_a_person() {
        assert!(wants_human("I want to talk to a HUMAN please"));
        assert!(wants_human("转人工"));
        assert!(!wants_human("my deposit has not arrived"));
    }

    #[test]
    fn reads_short_feedback_only() {
        assert_eq!(feedback("Yes, thanks!"), Some(true));
        assert_eq!(feedback("解决了"), Some(true));
        assert_eq!(feedback("没有帮助"), Some(false));
        assert_eq!(feedback("no"), Some(false));
        assert_eq!(feedback("No, still need help"), Some(false));
        assert_eq!(feedback("Yes, solved"), Some(true));
        assert_eq!(
            feedback("nothing arrived yet, my deposit is still missing"),
            None
        );
        assert_eq!(feedback("notably"), None);
    }

    #[test]
    fn confidence_is_monotonic_and_bounded() {
        assert_eq!(confidence(0.0), 0.0);
        assert!(confidence(5.0) < confidence(10.0));
        assert!(confidence(1000.0) <= 1.0);
        assert_eq!(confidence(-3.0), 0.0);
    }
}
