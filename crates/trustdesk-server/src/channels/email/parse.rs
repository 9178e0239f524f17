//! One raw mail (RFC 5322, MIME) → what the inbox needs: sender, thread
//! headers, the new text, files, and whether a person or a machine sent
//! it. mail-parser does the MIME work (encodings, charsets, multipart).
//!
//! Agents read text. An HTML-only mail is first cleaned by ammonia with an
//! allowlist (no scripts, styles, forms or remote images: tracking pixels
//! are dropped, never fetched) and its text is taken from what is left;
//! the quoted history of a reply is trimmed
//! (`trustdesk_core::channel::quote`).

use crate::channels::inbox::InboundFile;
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use trustdesk_core::channel::email::{
    SenderKind, SenderSignals, classify_sender, normalise_address,
};
use trustdesk_core::channel::quote::trim_quoted;

/// Most files taken from one mail.
const MAX_FILES: usize = 10;

#[derive(Clone, Debug)]
pub struct ParsedMail {
    /// The Message-ID without brackets; a digest of the mail when it has
    /// none, so a re-import is still recognised.
    pub message_id: String,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    /// To, Cc, Delivered-To and X-Original-To, normalised.
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    /// In-Reply-To then References, without brackets.
    pub referenced: Vec<String>,
    /// The new text of the mail (quote trimmed).
    pub text: String,
    pub sender: SenderKind,
    pub files: Vec<InboundFile>,
    /// The whole mail as text, to find our Message-IDs quoted in a bounce.
    pub raw_text: String,
}

pub fn parse(raw: &[u8]) -> Option<ParsedMail> {
    let message = MessageParser::default().parse(raw)?;
    let from = message.from().and_then(Address::first);
    let from_address = from.and_then(|a| a.address()).and_then(normalise_address);
    let from_name = from
        .and_then(|a| a.name())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let mut recipients = Vec::new();
    for list in [message.to(), message.cc()].into_iter().flatten() {
        recipients.extend(
            list.iter()
                .filter_map(|a| a.address())
                .filter_map(normalise_address),
        );
    }
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for value in message.header_values(name) {
            if let Some(text) = value.as_text() {
                recipients.extend(normalise_address(text));
            }
        }
    }
    let mut referenced = Vec::new();
    for value in [message.in_reply_to(), message.references()] {
        if let Some(ids) = value.as_text_list() {
            referenced.extend(ids.iter().map(|id| bare_id(id)));
        }
    }
    let mut seen = HashSet::new();
    referenced.retain(|id| !id.is_empty() && seen.insert(id.clone()));
    let header = |name: &'static str| message.header_raw(name).map(str::trim);
    let delivery_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    let null_return_path = matches!(message.return_path(), HeaderValue::Text(t) if t.trim().is_empty())
        || header("Return-Path").is_some_and(|r| r == "<>");
    let sender = classify_sender(&SenderSignals {
        from_address: from_address.as_deref().unwrap_or(""),
        auto_submitted: header("Auto-Submitted"),
        precedence: header("Precedence"),
        x_autoreply: header("X-Autoreply").or(header("X-Autorespond")),
        x_auto_response_suppress: header("X-Auto-Response-Suppress"),
        delivery_report,
        null_return_path,
    });
    let text = match message.body_text(0) {
        Some(text) if message.text_body.is_empty() && !message.html_body.is_empty() => {
            // Only HTML: take the text of the cleaned HTML.
            drop(text);
            let html = message.body_html(0).unwrap_or_default();
            mail_parser::decoders::html::html_to_text(&clean_html(&html))
        }
        Some(text) => text.into_owned(),
        None => String::new(),
    };
    let text = trim_quoted(&text).to_owned();
    let files = message
        .attachments()
        .filter(|part| !part.is_message())
        .take(MAX_FILES)
        .map(|part| InboundFile {
            name: part.attachment_name().unwrap_or("file").to_owned(),
            bytes: part.contents().to_vec(),
        })
        .collect();
    let message_id = message
        .message_id()
        .map(bare_id)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| format!("no-id-{}", &hex::encode(Sha256::digest(raw))[..32]));
    Some(ParsedMail {
        message_id,
        from_address,
        from_name,
        recipients,
        subject: message.subject().map(|s| s.trim().to_owned()),
        referenced,
        text,
        sender,
        files,
        raw_text: String::from_utf8_lossy(raw).into_owned(),
    })
}

fn bare_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

/// The allowlist: text structure and links only; no images (remote ones
/// are trackers, inline ones arrive as files), no styles, scripts, forms
/// or frames (their content is removed with them).
pub fn clean_html(html: &str) -> String {
    let tags: HashSet<&str> = [
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "span",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
    .into_iter()
    .collect();
    let dropped_with_content: HashSet<&str> =
        ["script", "style", "title", "head", "noscript", "template"]
            .into_iter()
            .collect();
    ammonia::Builder::default()
        .tags(tags)
        .clean_content_tags(dropped_with_content)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "From: \"Ann Lee\" <Ann@Example.org>\r\n\
To: support+abc@ex.com\r\n\
Subject: Re: Deposit missing\r\n\
Message-ID: <CAF-1@mail.example.org>\r\n\
In-Reply-To: <td.1.2.3@ex.com>\r\n\
References: <first@ex.com> <td.1.2.3@ex.com>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
It arrived, thanks!\r\n\
\r\n\
On Mon, 7 Dec 2026, Support <support@ex.com> wrote:\r\n\
> Your deposit is on its way.\r\n";

    #[test]
    fn a_plain_reply_reads_back_sender_thread_and_new_text() {
        let mail = parse(REPLY.as_bytes()).unwrap();
        assert_eq!(mail.message_id, "CAF-1@mail.example.org");
        assert_eq!(mail.from_address.as_deref(), Some("ann@example.org"));
        assert_eq!(mail.from_name.as_deref(), Some("Ann Lee"));
        assert_eq!(mail.recipients, vec!["support+abc@ex.com"]);
        assert_eq!(mail.referenced, vec!["td.1.2.3@ex.com", "first@ex.com"]);
        assert_eq!(mail.text, "It arrived, thanks!");
        assert_eq!(mail.sender, SenderKind::Person);
    }

    #[test]
    fn html_only_mail_loses_scripts_styles_and_remote_images() {
        let raw = "From: a@x.org\r\nMessage-ID: <h@x.org>\r\nContent-Type: text/html\r\n\r\n\
<html><head><style>p{display:none}</style></head><body><p>Hello <b>team</b></p>\
<img src=\"https://tracker.example/p.gif\"><script>alert(1)</script></body></html>";
        let mail = parse(raw.as_bytes()).unwrap();
        assert!(mail.text.contains("Hello"), "{}", mail.text);
        assert!(!mail.text.contains("alert"), "{}", mail.text);
        assert!(!mail.text.contains("display"), "{}", mail.text);
        let clean = clean_html(
            "<p>x<img src=\"https://t.example/p.gif\"><a href=\"javascript:alert(1)\">y</a></p>",
        );
        assert!(
            !clean.contains("img") && !clean.contains("javascript"),
            "{clean}"
        );
    }

    #[test]
    fn machines_are_recognised_from_their_headers() {
        let auto =
            "From: a@x.org\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nAway";
        assert_eq!(
            parse(auto.as_bytes()).unwrap().sender,
            SenderKind::AutoReply
        );
        let bounce = "From: MAILER-DAEMON@mx.x.org\r\nSubject: Undelivered\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n";
        let mail = parse(bounce.as_bytes()).unwrap();
        assert_eq!(mail.sender, SenderKind::Bounce);
        let nameless = "From: a@x.org\r\n\r\nhi";
        let id = parse(nameless.as_bytes()).unwrap().message_id;
        assert!(id.starts_with("no-id-"));
        assert_eq!(id, parse(nameless.as_bytes()).unwrap().message_id);
    }

    #[test]
    fn garbage_never_panics() {
        for raw in [
            &b""[..],
            b"\xff\xfe\x00",
            b"From:\r\n\r\n",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x",
        ] {
            let _ = parse(raw);
        }
    }
}
