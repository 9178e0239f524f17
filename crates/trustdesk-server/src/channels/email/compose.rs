//! Our mail to a customer: threaded (Message-ID, In-Reply-To, References,
//! the signed reply address), marked `Auto-Submitted: auto-replied` when
//! trustdesk wrote it by itself, a text and an HTML part, in the
//! conversation's language, and always the anti-phishing line: the
//! customer's own code when they set one, so a fake "support" mail is told
//! apart at a glance.

use crate::channels::outbound::{Content, Outgoing};
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use trustdesk_core::Language;

/// Who we are in the mail.
pub struct Sender<'a> {
    pub mailbox: &'a str,
    pub display_name: &'a str,
    pub reply_address: String,
    pub message_id: String,
    /// Earlier Message-IDs of the thread, oldest first; the last is the
    /// one this mail answers.
    pub thread: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the address {0} cannot be written to")]
    BadAddress(String),
    #[error("the mail cannot be built: {0}")]
    Build(String),
}

/// Most earlier ids named in References.
const MAX_REFERENCES: usize = 20;

pub fn compose(out: &Outgoing, from: &Sender<'_>) -> Result<Message, ComposeError> {
    let zh = out.conversation.language == Some(Language::Zh);
    let to: Mailbox = out
        .thread
        .address
        .parse()
        .map_err(|_| ComposeError::BadAddress(out.thread.address.clone()))?;
    let from_box = Mailbox::new(
        Some(from.display_name.to_owned()),
        from.mailbox
            .parse()
            .map_err(|_| ComposeError::BadAddress(from.mailbox.to_owned()))?,
    );
    let reply_to: Mailbox = from
        .reply_address
        .parse()
        .map_err(|_| ComposeError::BadAddress(from.reply_address.clone()))?;
    let mut builder = Message::builder()
        .from(from_box)
        .reply_to(reply_to)
        .to(to)
        .subject(subject(out, zh))
        .message_id(Some(format!("<{}>", from.message_id)));
    if let Some(last) = from.thread.last() {
        builder = builder.in_reply_to(format!("<{last}>"));
        let start = from.thread.len().saturating_sub(MAX_REFERENCES);
        let references = from.thread[start..]
            .iter()
            .map(|id| format!("<{id}>"))
            .collect::<Vec<_>>()
            .join(" ");
        builder = builder.references(references);
    }
    if matches!(out.content, Content::Automatic { .. }) {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-replied".into(),
        ));
    }
    // Customers' mail clients must not answer ours automatically either.
    builder = builder.raw_header(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
        "All".into(),
    ));
    let (text, html) = render(out, zh);
    let body = MultiPart::alternative()
        .singlepart(SinglePart::plain(text))
        .singlepart(SinglePart::html(html));
    let message = match &out.content {
        Content::File { file, .. } => {
            let kind = ContentType::parse(&file.mime)
                .unwrap_or(ContentType::parse("application/octet-stream").expect("valid"));
            let attachment = Attachment::new(file.name.clone()).body(file.data.clone(), kind);
            builder.multipart(MultiPart::mixed().multipart(body).singlepart(attachment))
        }
        _ => builder.multipart(body),
    };
    message.map_err(|e| ComposeError::Build(e.to_string()))
}

fn subject(out: &Outgoing, zh: bool) -> String {
    let tag = &out.conversation.id.0.simple().to_string()[..8];
    if matches!(out.content, Content::Transcript { .. }) {
        return if zh {
            format!("您与客服的对话 [#{tag}]")
        } else {
            format!("Your conversation with our support [#{tag}]")
        };
    }
    match out
        .conversation
        .subject
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        Some(s) if s.to_ascii_lowercase().starts_with("re:") => format!("{s} [#{tag}]"),
        Some(s) => format!("Re: {s} [#{tag}]"),
        None if zh => format!("您的客服请求 [#{tag}]"),
        None => format!("Your support request [#{tag}]"),
    }
}

/// The text and HTML bodies. Every piece of text is escaped into the HTML:
/// nothing a customer or an agent wrote becomes markup.
fn render(out: &Outgoing, zh: bool) -> (String, String) {
    let mut text = String::new();
    let mut html = String::from("<div style=\"font-family:sans-serif\">");
    match &out.content {
        Content::Reply { author, body } => {
            text.push_str(body);
            text.push_str(&format!("\n\n— {author}\n"));
            html.push_str(&paragraphs(body));
            html.push_str(&format!("<p>— {}</p>", escape(author)));
        }
        Content::Automatic { text: t, articles } => {
            text.push_str(t);
            text.push('\n');
            html.push_str(&paragraphs(t));
            if !articles.is_empty() {
                html.push_str("<ul>");
                for article in articles {
                    text.push_str(&format!("\n• {}\n  {}\n", article.title, article.snippet));
                    html.push_str(&format!(
                        "<li><b>{}</b><br>{}</li>",
                        escape(&article.title),
                        escape(&article.snippet)
                    ));
                }
                html.push_str("</ul>");
            }
        }
        Content::Transcript { lines } => {
            let intro = if zh {
                "您离开了聊天，以下是对话记录。直接回复此邮件即可继续，您的回复会进入同一个对话。"
            } else {
                "You left the chat, so here is the conversation. Reply to this email to continue it: your answer goes to the same conversation."
            };
            text.push_str(intro);
            text.push_str("\n\n");
            html.push_str(&paragraphs(intro));
            for line in lines {
                let mark = if line.new { "▶ " } else { "" };
                text.push_str(&format!("{mark}{}: {}\n\n", line.author, line.text));
                html.push_str(&format!(
                    "<p>{}<b>{}</b>: {}</p>",
                    if line.new { "&#9654; " } else { "" },
                    escape(&line.author),
                    escape(&line.text).replace('\n', "<br>")
                ));
            }
        }
        Content::File { author, file } => {
            let line = if zh {
                format!("{author} 给您发送了文件：{}", file.name)
            } else {
                format!("{author} sent you a file: {}", file.name)
            };
            text.push_str(&line);
            text.push('\n');
            html.push_str(&paragraphs(&line));
        }
    }
    let safety = safety_line(out.anti_phishing_code.as_deref(), zh);
    let reply_hint = if zh {
        "直接回复此邮件即可继续对话。"
    } else {
        "Reply to this email to continue the conversation."
    };
    text.push_str(&format!("\n--\n{safety}\n{reply_hint}\n"));
    html.push_str(&format!(
        "<hr><p style=\"color:#555\"><b>{}</b><br>{}</p></div>",
        escape(&safety),
        escape(reply_hint)
    ));
    (text, html)
}

fn safety_line(code: Option<&str>, zh: bool) -> String {
    match (code, zh) {
        (Some(code), false) => format!(
            "Your anti-phishing code: {code}. Every official email from us shows it; a mail without it is not from us. We never ask for seed phrases, private keys, passwords or 2FA codes."
        ),
        (Some(code), true) => format!(
            "您的防钓鱼码：{code}。我们的每封官方邮件都会显示它；没有它的邮件不是我们发的。我们绝不会索要助记词、私钥、密码或验证码。"
        ),
        (None, false) => "We never ask for seed phrases, private keys, passwords or 2FA codes. Set an anti-phishing code in your account to recognise our official email.".into(),
        (None, true) => "我们绝不会索要助记词、私钥、密码或验证码。在账户中设置防钓鱼码，即可识别我们的官方邮件。".into(),
    }
}

fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

/// HTML-escapes text for element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
