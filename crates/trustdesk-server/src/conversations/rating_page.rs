//! `GET /rate/{token}` and `POST /rate/{token}`: the page a CSAT link
//! opens (for customers of email and Telegram, who have no widget). The
//! GET only shows the form, so a mail client that fetches links ahead
//! rates nothing; the POST (a plain HTML form, no script) records it
//! through the same checks as the widget's rating.

use crate::auth::{Authenticated, Who};
use crate::channels::email::compose::escape;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use trustdesk_core::{ConversationId, Language, SessionId};

pub fn router() -> Router<AppState> {
    Router::new().route("/rate/{token}", get(show).post(submit))
}

#[derive(Deserialize)]
pub struct Preselect {
    score: Option<u8>,
}

#[derive(Deserialize)]
pub struct Submitted {
    score: u8,
    #[serde(default)]
    comment: String,
}

struct Words {
    title: &'static str,
    ask: &'static str,
    comment: &'static str,
    send: &'static str,
    thanks: &'static str,
    invalid: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::Zh => Words {
            title: "为本次服务评分",
            ask: "您对本次服务满意吗？（1 = 很不满意，5 = 非常满意）",
            comment: "想告诉我们什么吗？（可选，请勿填写密码、验证码或助记词）",
            send: "提交评分",
            thanks: "感谢您的评分！",
            invalid: "此评分链接无效或已过期。",
        },
        _ => Words {
            title: "Rate our service",
            ask: "How satisfied are you with the help you got? (1 = very unhappy, 5 = very happy)",
            comment: "Anything to tell us? (optional; never write a password, code or seed phrase)",
            send: "Send rating",
            thanks: "Thank you for your rating!",
            invalid: "This rating link is not valid or has expired.",
        },
    }
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/common.css\"></head>\
         <body><main class=\"rate-page\"><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title)
    ))
}

/// The conversation a token opens and its language; `None` for a bad or
/// expired token, or a desk without CSAT links.
async fn opened(state: &AppState, token: &str) -> Option<(ConversationId, Language)> {
    let links = state.rating_links.get()?;
    let id = links.check(token, state.clock.now())?;
    let conversation = state.store.get_conversation(id).await.ok()?;
    Some((id, conversation.language.unwrap_or(Language::En)))
}

fn invalid() -> (StatusCode, Html<String>) {
    let w = words(Language::En);
    (
        StatusCode::NOT_FOUND,
        page(w.title, &format!("<p>{}</p>", w.invalid)),
    )
}

pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(pre): Query<Preselect>,
) -> (StatusCode, Html<String>) {
    let Some((_, language)) = opened(&state, &token).await else {
        return invalid();
    };
    let w = words(language);
    let choices: String = (1..=5)
        .map(|n| {
            let checked = if pre.score == Some(n) { " checked" } else { "" };
            format!("<label class=\"rate-choice\"><input type=\"radio\" name=\"score\" value=\"{n}\" required{checked}> {n}</label>")
        })
        .collect();
    let body = format!(
        "<form method=\"post\"><p>{ask}</p><p>{choices}</p>\
         <p><label>{comment}<br><textarea name=\"comment\" maxlength=\"1000\" rows=\"4\"></textarea></label></p>\
         <p><button type=\"submit\">{send}</button></p></form>",
        ask = escape(w.ask),
        comment = escape(w.comment),
        send = escape(w.send),
    );
    (StatusCode::OK, page(w.title, &body))
}

pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<Submitted>,
) -> (StatusCode, Html<String>) {
    let Some((id, language)) = opened(&state, &token).await else {
        return invalid();
    };
    let w = words(language);
    let Ok(conversation) = state.store.get_conversation(id).await else {
        return invalid();
    };
    // The link stands in for the customer's session: it proves who was
    // sent it, and may do nothing but this rating.
    let customer = Authenticated {
        session_id: SessionId::new(),
        who: Who::Customer(conversation.customer_id),
        api_scopes: None,
    };
    let comment = Some(form.comment.as_str()).filter(|c| !c.trim().is_empty());
    match crate::conversations::feedback::rate(&state, &customer, id, form.score, comment).await {
        Ok(_) => (
            StatusCode::OK,
            page(w.title, &format!("<p>{}</p>", escape(w.thanks))),
        ),
        Err(err) => {
            let status = err.status();
            let message = match err {
                ApiError::BadRequest(m) | ApiError::Conflict(m) => m,
                _ => w.invalid.to_owned(),
            };
            (
                status,
                page(w.title, &format!("<p>{}</p>", escape(&message))),
            )
        }
    }
}
